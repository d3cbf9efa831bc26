"""`interpolate` (nearest, nearest-exact, linear, bilinear, trilinear, area) with PyTorch's index rules.

Resampling is separable: for each spatial axis the source indices and weights are computed once
in numpy from static sizes, then applied with `jnp.take`, so the op is two gathers per axis.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .conv_pool_nd import OPS as _ND

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _sizes(x, size, scale_factor, n):
    if size is not None:
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * n
        return sizes, [None] * n
    scales = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) else (scale_factor,) * n
    return tuple(int(np.floor(s * f)) for s, f in zip(x.shape[2:], scales)), list(scales)


def _scale(in_size, out_size, factor, recompute):
    if factor is not None and not recompute:
        return 1.0 / factor
    return in_size / out_size


def interpolate(
    input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
    antialias=False,
):  # fmt: skip
    n = input.ndim - 2
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    out_sizes, factors = _sizes(input, size, scale_factor, n)
    if mode == "area":
        return _ND[f"adaptive_avg_pool{n}d"](input, out_sizes) if n != 2 else _area2d(input, out_sizes)
    if mode in _LINEAR and _LINEAR[mode] != n:
        raise ValueError(f"interpolate: mode {mode!r} expects {_LINEAR[mode] + 2}-D input, got {input.ndim}-D")
    if mode not in ("nearest", "nearest-exact") and mode not in _LINEAR:
        raise ValueError(f"interpolate: mode {mode!r} is not supported")
    out = input
    for axis, (in_size, out_size, factor) in enumerate(zip(input.shape[2:], out_sizes, factors)):
        d = axis + 2
        dst = np.arange(out_size, dtype=np.float64)
        scale = _scale(in_size, out_size, factor, recompute_scale_factor)
        if mode == "nearest":
            index = np.minimum(np.floor(dst * scale).astype(np.int64), in_size - 1)
            out = jnp.take(out, jnp.asarray(index), axis=d)
            continue
        if mode == "nearest-exact":
            index = np.minimum(np.floor((dst + 0.5) * scale).astype(np.int64), in_size - 1)
            out = jnp.take(out, jnp.asarray(index), axis=d)
            continue
        if align_corners:
            src = dst * ((in_size - 1) / (out_size - 1)) if out_size > 1 else np.zeros_like(dst)
        else:
            src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
        low = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
        high = np.minimum(low + 1, in_size - 1)
        weight = (src - low).astype(np.float32).reshape((-1,) + (1,) * (input.ndim - d - 1))
        out = jnp.take(out, jnp.asarray(low), axis=d) * (1 - weight) + jnp.take(out, jnp.asarray(high), axis=d) * weight
    return out.astype(input.dtype)


def _area2d(input, out_sizes):
    from .pooling import adaptive_avg_pool2d

    return adaptive_avg_pool2d(input, out_sizes)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


OPS = {f.__name__: f for f in (interpolate, upsample_nearest, upsample_bilinear)}
