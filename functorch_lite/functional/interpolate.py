"""`interpolate` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area) with PyTorch's index rules.

Resampling is separable: for each spatial axis the source indices and weights are computed once
in numpy from static sizes, then applied with `jnp.take`, so the op is two gathers per axis (four
for bicubic, whose taps PyTorch clamps to the border).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .conv_pool_nd import OPS as _ND

_LINEAR = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution coefficient


def _cubic_weights(t):
    """Weights of the taps at floor(src) - 1, ..., floor(src) + 2 for the fractions `t` (Keys' kernel)."""
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


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
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError(
            "interpolate: align_corners option can only be set with the interpolating modes: "
            f"linear | bilinear | bicubic | trilinear (got mode={mode!r})"
        )
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
        elif mode == "bicubic":  # cubic source indices may fall before 0: the taps are clamped instead
            src = (dst + 0.5) * scale - 0.5
        else:
            src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
        if mode == "bicubic":
            out = _cubic_axis(out, src, in_size, d)
            continue
        low = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
        high = np.minimum(low + 1, in_size - 1)
        weight = (src - low).astype(np.float32).reshape((-1,) + (1,) * (input.ndim - d - 1))
        out = jnp.take(out, jnp.asarray(low), axis=d) * (1 - weight) + jnp.take(out, jnp.asarray(high), axis=d) * weight
    return out.astype(input.dtype)


def _cubic_axis(x, src, in_size, axis):
    """Bicubic resampling of one axis at source positions `src`, taps clamped to [0, in_size - 1]."""
    floor = np.floor(src)
    broadcast = (-1,) + (1,) * (x.ndim - axis - 1)
    out = 0
    for offset, weight in zip(range(-1, 3), _cubic_weights(src - floor)):
        index = np.clip(floor.astype(np.int64) + offset, 0, in_size - 1)
        out = out + jnp.take(x, jnp.asarray(index), axis=axis) * weight.astype(np.float32).reshape(broadcast)
    return out


def _area2d(input, out_sizes):
    from .pooling import adaptive_avg_pool2d

    return adaptive_avg_pool2d(input, out_sizes)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


OPS = {f.__name__: f for f in (interpolate, upsample_nearest, upsample_bilinear)}
