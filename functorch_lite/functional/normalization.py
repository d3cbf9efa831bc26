"""`batch_norm` and `layer_norm`; batch_norm returns its new running statistics explicitly."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks
from . import _lowering


def _channel_shape(x: jax.Array) -> tuple[int, ...]:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _batch_norm_args(input, running_mean, running_var, weight, bias, training, momentum, eps, op="batch_norm"):
    """Checked input (N, C, ...) and per-channel arrays (C,) (or None) of one batch_norm call."""
    x = _checks.as_array(input, "input", op)
    _checks.rank(x, (2, 3, 4, 5), "input", op, "(N, C, ...)")
    _checks.floating(x, "input", op)
    named = {"running_mean": running_mean, "running_var": running_var, "weight": weight, "bias": bias}
    arrays = {name: None if t is None else _checks.as_array(t, name, op) for name, t in named.items()}
    _checks.number(eps, "eps", op, minimum=0.0)
    _checks.number(momentum, "momentum", op)
    for name, t in arrays.items():
        if t is not None and tuple(t.shape) != (x.shape[1],):
            raise ValueError(
                f"{op}: expected {name} of shape ({x.shape[1]},) for input {tuple(x.shape)}, got {tuple(t.shape)}"
            )
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: running_mean and running_var must both be given or both be None")
    if training and x.size // max(x.shape[1], 1) == 1:  # an empty batch is fine, as in PyTorch
        raise ValueError(f"{op}: expected more than 1 value per channel when training, got input {x.shape}")
    return x, *arrays.values()


def batch_norm(
    input: jax.Array,
    running_mean: jax.Array | None,
    running_var: jax.Array | None,
    weight: jax.Array | None = None,
    bias: jax.Array | None = None,
    training: bool = False,
    momentum: float | jax.Array = 0.1,
    eps: float = 1e-5,
) -> tuple[jax.Array, jax.Array | None, jax.Array | None]:
    """Normalises over every dim but the channel dim (dim 1).

    In training the batch statistics normalise (biased variance) and the running
    statistics move by `momentum` towards the batch mean and the unbiased batch
    variance, as in PyTorch. Without running statistics (None) the batch statistics
    are always used.

    Returns:
        `(output, new_running_mean, new_running_var)`; the running statistics are
        returned unchanged when not training.
    """
    if jnp.ndim(input) == 1 and jnp.size(input) == 0:
        # PyTorch returns an empty input of any rank unchanged, before it looks for a channel dim.
        x = _checks.as_array(input, "input", "batch_norm")
        _checks.floating(x, "input", "batch_norm")
        return x, running_mean, running_var
    x, running_mean, running_var, weight, bias = _batch_norm_args(
        input, running_mean, running_var, weight, bias, training, momentum, eps
    )
    shape, axes = _channel_shape(x), (0, *range(2, x.ndim))
    count = x.size // max(x.shape[1], 1)
    if training or running_mean is None:
        mean, var = _lowering.batch_norm_statistics(x, axes)
        y = _lowering.batch_norm_transform(x, mean, var, weight, bias, eps)
    else:
        mean, var = running_mean, running_var
        y = (x - mean.reshape(shape)) * jax.lax.rsqrt(var.reshape(shape) + eps)
        y = y if weight is None else y * weight.reshape(shape)
        y = y if bias is None else y + bias.reshape(shape)
    if not training or running_mean is None or not x.size:  # an empty batch keeps the statistics
        return y, running_mean, running_var
    unbiased = jax.lax.stop_gradient(var * (count / (count - 1)))
    new_mean = (1 - momentum) * running_mean + momentum * jax.lax.stop_gradient(mean).astype(running_mean.dtype)
    new_var = (1 - momentum) * running_var + momentum * unbiased.astype(running_var.dtype)
    return y, new_mean, new_var


def normalized_shape_tuple(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    """`normalized_shape` (an int or a sequence of ints) as a tuple."""
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _layer_norm_args(input, normalized_shape, weight, bias, op="layer_norm"):
    """Checked input and trailing shape of one layer_norm call; weight and bias must have that shape."""
    x = _checks.as_array(input, "input", op)
    _checks.floating(x, "input", op)
    shape = normalized_shape_tuple(normalized_shape)
    if not shape or tuple(x.shape[-len(shape) :]) != shape:
        raise ValueError(f"{op}: expected input with trailing shape {shape}, got {tuple(x.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        # A weight of another shape would broadcast into a silently wrong result.
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"{op}: expected {name} of shape {shape}, got {tuple(t.shape)}")
    return x, tuple(range(x.ndim - len(shape), x.ndim))


def layer_norm(
    input: jax.Array,
    normalized_shape: int | Sequence[int],
    weight: jax.Array | None = None,
    bias: jax.Array | None = None,
    eps: float = 1e-5,
) -> jax.Array:
    """Normalises the trailing `normalized_shape` dims (biased variance), then scales and shifts."""
    x, axes = _layer_norm_args(input, normalized_shape, weight, bias)
    mean = jnp.mean(x, axis=axes, keepdims=True)
    y = (x - mean) * jax.lax.rsqrt(jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True) + eps)
    y = y if weight is None else y * weight
    return y if bias is None else y + bias
