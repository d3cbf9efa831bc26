"""`grid_sample` and `affine_grid` of torch.nn.functional, for 4-D (N, C, H, W) and 5-D (N, C, D, H, W) inputs.

`grid[..., 0]` is x (the last input dim), `grid[..., 1]` y, `grid[..., 2]` z, in [-1, 1].
Each coordinate is mapped to pixel units (`align_corners` as PyTorch), padded (zeros: taps
outside read 0; border: clamped; reflection: reflected, then clamped), and the corner taps
are read with one flat `take_along_axis` each and mixed with (bi/tri)linear, nearest or
bicubic weights. The gradient with respect to both the input and the grid is JAX's.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import jax
import jax.numpy as jnp

from .. import _checks

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_CUBIC_A = -0.75  # PyTorch's bicubic convolution coefficient


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    if twice_low == twice_high:
        return jnp.zeros_like(coord)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    coord = jnp.abs(coord - low)
    extra, flips = jnp.fmod(coord, span), jnp.floor(coord / span)
    return jnp.where(jnp.fmod(flips, 2) == 0, extra + low, span - extra + low)


def _pad_coordinate(coord, size, padding_mode, align_corners):
    if padding_mode == "border":
        return jnp.clip(coord, 0, size - 1)
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        return jnp.clip(coord, 0, size - 1)
    return coord


def _mix(x, taps, weights, sizes):
    """sum_t weights[t] * x at integer taps[.][t], zero outside the input, as (N, C, P), in one gather.

    `taps` holds one (T, N, P) array per spatial dim (T taps per point), `weights` is (T, N, P).
    """
    n, c = x.shape[:2]
    count = taps[0].shape[0]
    inside = jnp.ones(taps[0].shape, bool)
    flat = jnp.zeros(taps[0].shape, jnp.int32)
    for tap, size in zip(taps, sizes):
        inside = inside & (tap >= 0) & (tap <= size - 1)
        flat = flat * size + jnp.clip(tap, 0, size - 1).astype(jnp.int32)
    flat = jnp.moveaxis(flat, 0, 1).reshape(n, 1, -1)  # (N, 1, T * P)
    values = jnp.take_along_axis(x.reshape(n, c, -1), flat, axis=2).reshape(n, c, count, -1)
    weights = jnp.moveaxis(jnp.where(inside, weights, jnp.zeros((), weights.dtype)), 0, 1)[:, None]
    return jnp.sum(values * weights, axis=2)


def _cubic_weights(t):
    """The four bicubic convolution weights for taps at offsets -1, 0, 1, 2 of fraction `t`."""
    a = _CUBIC_A

    def near(s):  # |s| <= 1
        return ((a + 2) * s - (a + 3)) * s * s + 1

    def far(s):  # 1 < |s| < 2
        return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a

    return (far(t + 1), near(t), near(1 - t), far(2 - t))


def grid_sample(
    input: jax.Array, grid: jax.Array, mode: str = "bilinear", padding_mode: str = "zeros", align_corners: Any = None
) -> jax.Array:
    """Samples `input` at the normalised locations of `grid` (N, *out, k): output (N, C, *out), as PyTorch."""
    op = "grid_sample"
    x, g = _checks.as_array(input, "input", op), _checks.as_array(grid, "grid", op)
    mode = _checks.one_of(mode, _MODES, "mode", op)
    padding_mode = _checks.one_of(padding_mode, _PADDINGS, "padding_mode", op)
    align = bool(align_corners)
    _checks.rank(x, (4, 5), "input", op, "(N, C, H, W) or (N, C, D, H, W)")
    k = x.ndim - 2
    if g.ndim != x.ndim or g.shape[0] != x.shape[0] or g.shape[-1] != k:
        raise ValueError(
            f"{op}: expected grid of shape (N={x.shape[0]}, *output, {k}) with {x.ndim} dims for input of shape "
            f"{tuple(x.shape)}, got {tuple(g.shape)}"
        )
    if mode == "bicubic" and k != 2:
        raise ValueError(f"{op}: bicubic interpolation only supports 4D input")
    _checks.floating(x, "input", op)
    _checks.same_dtype(x, g, "input and grid", op)
    sizes = x.shape[2:]
    out_shape = (x.shape[0], x.shape[1], *g.shape[1:-1])
    # grid's last dim lists x, y, z: the spatial dims from the last one backwards
    coords = [_unnormalize(g[..., k - 1 - d], sizes[d], align) for d in range(k)]
    if mode == "bicubic":
        return _bicubic(x, coords, sizes, padding_mode, align).reshape(out_shape)
    coords = [_pad_coordinate(c, s, padding_mode, align).reshape(1, x.shape[0], -1) for c, s in zip(coords, sizes)]
    if mode == "nearest":
        return _mix(x, [jnp.round(c) for c in coords], jnp.ones_like(coords[0]), sizes).reshape(out_shape)
    low = [jnp.floor(c) for c in coords]
    frac = [c - f for c, f in zip(coords, low)]
    corners = list(itertools.product((0, 1), repeat=k))
    taps = [jnp.concatenate([low[d] + corner[d] for corner in corners]) for d in range(k)]
    weights = [jnp.concatenate([frac[d] if corner[d] else 1 - frac[d] for corner in corners]) for d in range(k)]
    return _mix(x, taps, functools.reduce(jnp.multiply, weights), sizes).reshape(out_shape)


def _bicubic(x, coords, sizes, padding_mode, align):
    """4x4 taps around each point; PyTorch pads each tap's index, not the sampling point."""
    (y, ix), (h, w) = [c.reshape(x.shape[0], -1) for c in coords], sizes
    y0, x0 = jnp.floor(y), jnp.floor(ix)
    wy, wx = _cubic_weights(y - y0), _cubic_weights(ix - x0)
    ty = [jax.lax.stop_gradient(_pad_coordinate(y0 - 1 + i, h, padding_mode, align)) for i in range(4)]
    tx = [jax.lax.stop_gradient(_pad_coordinate(x0 - 1 + j, w, padding_mode, align)) for j in range(4)]
    taps = [
        jnp.stack([ty[i] for i in range(4) for _ in range(4)]),
        jnp.stack([tx[j] for _ in range(4) for j in range(4)]),
    ]
    weights = jnp.stack([wy[i] * wx[j] for i in range(4) for j in range(4)])
    return _mix(x, taps, weights, sizes)


def _base_coordinates(steps, align_corners, dtype):
    if steps <= 1:
        return jnp.zeros((max(steps, 0),), dtype)
    line = jnp.linspace(-1.0, 1.0, steps, dtype=dtype)
    return line if align_corners else line * (steps - 1) / steps


def affine_grid(theta: jax.Array, size: Any, align_corners: Any = None) -> jax.Array:
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of affine maps `theta` (N, 2, 3) (or (N, 3, 4))."""
    op = "affine_grid"
    t = _checks.as_array(theta, "theta", op)
    _checks.floating(t, "theta", op)
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise ValueError(f"{op}: only 2D (size of 4) and 3D (size of 5) affine grids are supported, got size {size}")
    k = len(size) - 2
    if t.shape != (size[0], k, k + 1):
        raise ValueError(
            f"{op}: expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for size {size}, "
            f"got theta of shape {tuple(t.shape)}"
        )
    if min(size[2:]) <= 0:
        raise ValueError(f"{op}: expected non-zero, positive output size, got {size}")
    spatial = size[2:]
    axes = [_base_coordinates(s, bool(align_corners), t.dtype) for s in spatial]  # D, H, W order
    mesh = jnp.meshgrid(*axes, indexing="ij")
    base = jnp.stack([*mesh[::-1], jnp.ones(spatial, t.dtype)], axis=-1)  # x, y, (z,) 1
    return jnp.einsum("...j,nij->n...i", base, t, precision=jax.lax.Precision.HIGHEST)


OPS = {f.__name__: f for f in (grid_sample, affine_grid)}
