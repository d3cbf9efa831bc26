"""Pure normalisation layers: LayerNorm, and BatchNorm1d/2d with explicit running statistics.

Same `Layer(init, apply)` contract as `layers.py`. BatchNorm's buffers come from
`init_state()` and `apply` returns `(y, new_state)`, so a jitted training step takes
and returns them explicitly, as PyTorch's module updates them in place.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .. import _checks
from .layers import Layer, _named, _stateless
from .normalization import batch_norm, layer_norm


def LayerNorm(
    normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True, dtype=jnp.float32
) -> Layer:
    """Normalises the trailing `normalized_shape` dims; weight ones, bias zeros (PyTorch's init)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape):
        raise ValueError(
            f"LayerNorm: normalized_shape must be a positive int or a non-empty sequence of "
            f"positive ints, got {normalized_shape!r}"
        )
    bias = bias and elementwise_affine  # PyTorch: no affine transform means no bias either
    name = f"LayerNorm({shape}, eps={eps}, elementwise_affine={elementwise_affine}, bias={bias})"

    def init(key):
        if not elementwise_affine:
            return {}
        params = {"weight": jnp.ones(shape, dtype)}
        if bias:
            params["bias"] = jnp.zeros(shape, dtype)
        return params

    return _stateless(lambda p, x: layer_norm(x, shape, p.get("weight"), p.get("bias"), eps), name, init)


def _batch_norm_layer(
    kind: str,
    ranks: tuple[int, ...],
    num_features: int,
    eps: float,
    momentum: float | None,
    affine: bool,
    track_running_stats: bool,
    dtype,
    bias: bool,
) -> Layer:
    c = _checks.positive_int(num_features, "num_features", kind)
    _checks.number(eps, "eps", kind, minimum=0.0)
    if momentum is not None:  # None: a cumulative moving average
        _checks.number(momentum, "momentum", kind)
    bias = bias and affine  # PyTorch: no affine transform means no bias either
    name = (
        f"{kind}({c}, eps={eps}, momentum={momentum}, affine={affine}, bias={bias}, "
        f"track_running_stats={track_running_stats})"
    )

    def init(key):
        if not affine:
            return {}
        return (
            {"weight": jnp.ones((c,), dtype), "bias": jnp.zeros((c,), dtype)}
            if bias
            else {"weight": jnp.ones((c,), dtype)}
        )

    def init_state():
        if not track_running_stats:
            return {}
        return {
            "running_mean": jnp.zeros((c,), dtype),
            "running_var": jnp.ones((c,), dtype),
            "num_batches_tracked": jnp.zeros((), jnp.int32),
        }

    def apply(params, x, *, state=None, key=None, training=True):
        x = _checks.as_array(x, "input", name)
        if x.ndim not in ranks or x.shape[1] != c:
            raise ValueError(
                f"{name}: expected input of rank {' or '.join(map(str, ranks))} with {c} channels "
                f"in dim 1, got shape {tuple(x.shape)}"
            )
        state = init_state() if state is None else state
        if not track_running_stats:
            y, _, _ = batch_norm(x, None, None, params.get("weight"), params.get("bias"), True, 0.0, eps)
            return y, state
        count = state["num_batches_tracked"] + 1 if training else state["num_batches_tracked"]
        factor = (1.0 / count) if momentum is None else momentum  # None: cumulative moving average
        y, mean, var = batch_norm(
            x,
            state["running_mean"],
            state["running_var"],
            params.get("weight"),
            params.get("bias"),
            training,
            factor,
            eps,
        )
        return y, {"running_mean": mean, "running_var": var, "num_batches_tracked": count}

    return Layer(init, _named(apply, name), init_state, stateful=True, name=name)


def BatchNorm1d(
    num_features: int,
    eps: float = 1e-5,
    momentum: float | None = 0.1,
    affine: bool = True,
    track_running_stats: bool = True,
    dtype=jnp.float32,
    *,
    bias: bool = True,
) -> Layer:
    """Batch normalisation over (N, C) or (N, C, L); running statistics are explicit state."""
    return _batch_norm_layer(
        "BatchNorm1d", (2, 3), num_features, eps, momentum, affine, track_running_stats, dtype, bias
    )


def BatchNorm2d(
    num_features: int,
    eps: float = 1e-5,
    momentum: float | None = 0.1,
    affine: bool = True,
    track_running_stats: bool = True,
    dtype=jnp.float32,
    *,
    bias: bool = True,
) -> Layer:
    """Batch normalisation over (N, C, H, W); running statistics are explicit state."""
    return _batch_norm_layer("BatchNorm2d", (4,), num_features, eps, momentum, affine, track_running_stats, dtype, bias)
