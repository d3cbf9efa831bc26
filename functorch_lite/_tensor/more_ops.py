"""Table rows for assorted `torch.*` ops: `combinations`, `mode`, `histogram(dd)`, `gradient`, `stft`, ...

Sizes are static (the combination count, the bin count, `nonzero_static`'s size), so each op has a
static output shape and runs under `jit`. `broadcast_shapes` is shape arithmetic on Python ints;
the strided and permuted `empty` factories ignore the memory layout (JAX arrays have none).
"""

from __future__ import annotations

import itertools
from collections import namedtuple
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import functional as fn
from ..functional.conv_pool_nd import group_norm as _group_norm
from . import dtypes as _dtypes
from .creation import empty
from .math_ops import scalar_dims
from .op_table import SAME, OpDef
from .shape_ops import Size

_ValuesIndices = namedtuple("mode", ["values", "indices"])
_Histogram = namedtuple("histogram", ["hist", "bin_edges"])


def _combinations(x, r=2, with_replacement=False):
    if x.ndim != 1:
        raise ValueError(f"combinations: expected a 1-D tensor, got {x.ndim}-D")
    if r == 0:
        return jnp.zeros((0,), x.dtype)
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.asarray(list(choose(range(x.shape[0]), r)), np.int32).reshape(-1, r)
    return x[index]


@scalar_dims
def _mode(x, dim=-1, keepdim=False):
    """The most frequent value along `dim` (the smallest on ties), and its last index, as PyTorch."""
    moved = jnp.moveaxis(x, dim, -1)
    counts = jnp.sum(moved[..., :, None] == moved[..., None, :], axis=-1)
    most = counts == jnp.max(counts, axis=-1, keepdims=True)
    ceiling = jnp.inf if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.iinfo(x.dtype).max
    value = jnp.min(jnp.where(most, moved, ceiling), axis=-1, keepdims=True)
    positions = jnp.arange(moved.shape[-1])
    index = jnp.max(jnp.where(moved == value, positions, -1), axis=-1, keepdims=True)
    values = jnp.take_along_axis(moved, index, axis=-1)[..., 0]
    index = index[..., 0].astype(jnp.int32)
    if keepdim:
        values, index = jnp.expand_dims(values, dim), jnp.expand_dims(index, dim)
    return _ValuesIndices(values, index)


def _histogram(x, bins=100, *, range=None, weight=None, density=False):  # noqa: A002 - PyTorch's name
    values = x.reshape(-1)
    if isinstance(bins, int):
        if range is None:
            low, high = (jnp.min(values), jnp.max(values)) if values.size else (jnp.zeros(()), jnp.ones(()))
        else:
            low, high = jnp.asarray(range[0], x.dtype), jnp.asarray(range[1], x.dtype)
        same = low == high
        low, high = jnp.where(same, low - 0.5, low), jnp.where(same, high + 0.5, high)
        edges = jnp.linspace(low, high, bins + 1).astype(x.dtype)
    else:
        edges = bins
    w = None if weight is None else weight.reshape(-1)
    hist, _ = jnp.histogram(values, edges, weights=w, density=density)
    return _Histogram(hist.astype(x.dtype), edges)


def _fill(x, value):
    return jnp.broadcast_to(jnp.asarray(value).astype(x.dtype), x.shape)


def _histogramdd(x, bins=10, *, range=None, weight=None, density=False):  # noqa: A002 - PyTorch's name
    sample = x.reshape(-1, x.shape[-1])
    counts = isinstance(bins, int) or (isinstance(bins, (tuple, list)) and all(isinstance(b, int) for b in bins))
    if counts:
        bins = [bins] * sample.shape[1] if isinstance(bins, int) else list(bins)
        if range is not None:
            low, high = jnp.asarray(range[0::2], x.dtype), jnp.asarray(range[1::2], x.dtype)
        elif sample.shape[0]:
            low, high = jnp.min(sample, axis=0), jnp.max(sample, axis=0)
        else:
            low, high = jnp.zeros(sample.shape[1], x.dtype), jnp.ones(sample.shape[1], x.dtype)
        same = low == high
        low, high = jnp.where(same, low - 0.5, low), jnp.where(same, high + 0.5, high)
        bins = [jnp.linspace(low[d], high[d], b + 1).astype(x.dtype) for d, b in enumerate(bins)]
    w = None if weight is None else weight.reshape(-1)
    hist, edges = jnp.histogramdd(sample, list(bins), weights=w, density=density)
    return hist.astype(x.dtype), tuple(e.astype(x.dtype) for e in edges)


def _view_as_complex(x):
    return jax.lax.complex(x[..., 0], x[..., 1])


def _nonzero_static(x, *, size, fill_value=-1):
    return jnp.argwhere(x, size=size, fill_value=fill_value).astype(jnp.int32)


def _gradient_along(f, axis, spacing, edge_order):
    """d f / d x along `axis`: central differences inside, one-sided of order `edge_order` at the ends."""
    f = jnp.moveaxis(f, axis, 0)
    if f.shape[0] < edge_order + 1:
        raise ValueError(f"gradient: each dimension needs at least edge_order + 1 = {edge_order + 1} points")
    if jnp.ndim(spacing) == 0:
        h = spacing
        inner = (f[2:] - f[:-2]) / (2 * h)
        if edge_order == 1:
            first, last = (f[1] - f[0]) / h, (f[-1] - f[-2]) / h
        else:
            first, last = (-3 * f[0] + 4 * f[1] - f[2]) / (2 * h), (3 * f[-1] - 4 * f[-2] + f[-3]) / (2 * h)
    else:  # coordinates: non-uniform second-order differences inside
        if edge_order != 1:
            raise ValueError("gradient: coordinate spacing supports edge_order=1 only")
        x = spacing.reshape((-1,) + (1,) * (f.ndim - 1))
        hd, hs = x[1:-1] - x[:-2], x[2:] - x[1:-1]
        inner = (hd**2 * f[2:] - hs**2 * f[:-2] + (hs**2 - hd**2) * f[1:-1]) / (hs * hd * (hd + hs))
        first, last = (f[1] - f[0]) / (x[1] - x[0]), (f[-1] - f[-2]) / (x[-1] - x[-2])
    return jnp.moveaxis(jnp.concatenate([first[None], inner, last[None]]), 0, axis)


def _gradient(x, *, spacing=1, dim=None, edge_order=1):
    spacing = 1 if spacing is None else spacing
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    dims = tuple(range(x.ndim)) if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    spacings = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(spacings) != len(dims):
        raise ValueError(f"gradient: expected {len(dims)} spacings (one per dim), got {len(spacings)}")
    x = x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(jnp.float32)
    return tuple(_gradient_along(x, d, h, edge_order) for d, h in zip(dims, spacings))


def _stft(x, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
          normalized=False, onesided=None, return_complex=None):  # fmt: skip
    if return_complex is None and not jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise ValueError("stft: pass return_complex=True (or False) for real input, as PyTorch requires")
    hop = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    window = jnp.ones((win_length,), x.dtype) if window is None else window
    left = (n_fft - win_length) // 2
    window = jnp.pad(window, (left, n_fft - win_length - left))
    if center:
        pad = [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        x = jnp.pad(x, pad, mode={"reflect": "reflect", "constant": "constant", "replicate": "edge"}[pad_mode])
    count = 1 + (x.shape[-1] - n_fft) // hop
    index = np.arange(count)[:, None] * hop + np.arange(n_fft)[None, :]
    frames = x[..., index] * window
    real = not jnp.issubdtype(x.dtype, jnp.complexfloating)
    spectrum = jnp.fft.rfft(frames, axis=-1) if (onesided is None and real) or onesided else jnp.fft.fft(frames)
    spectrum = spectrum / np.sqrt(n_fft) if normalized else spectrum
    spectrum = jnp.swapaxes(spectrum, -1, -2)
    return spectrum if return_complex or return_complex is None else jnp.stack([spectrum.real, spectrum.imag], -1)


def _native_layer_norm(x, normalized_shape, weight, bias, eps):
    """`(out, mean, rstd)`: `layer_norm`'s output and the statistics it normalised with."""
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = jnp.mean(x, axis=axes, keepdims=True)
    rstd = jax.lax.rsqrt(jnp.var(x, axis=axes, keepdims=True) + eps)
    return fn.layer_norm(x, tuple(normalized_shape), weight, bias, eps), mean, rstd


def _native_group_norm(x, weight, bias, n, c, hw, group, eps):
    """`(out, mean, rstd)` of `group_norm`, the statistics shaped (N, group)."""
    grouped = x.reshape(n, group, -1)
    mean, rstd = jnp.mean(grouped, axis=-1), jax.lax.rsqrt(jnp.var(grouped, axis=-1) + eps)
    return _group_norm(x, group, weight, bias, eps), mean, rstd


_ROWS = {
    "native_layer_norm": _native_layer_norm,
    "native_group_norm": _native_group_norm,
    "combinations": _combinations, "mode": _mode, "histogram": _histogram, "fill": _fill,
    "histogramdd": _histogramdd, "view_as_complex": _view_as_complex, "nonzero_static": _nonzero_static,
    "gradient": _gradient, "stft": _stft,
}  # fmt: skip
_METHODLESS = {"combinations", "fill", "histogramdd", "view_as_complex", "gradient"}
_METHODLESS |= {"native_layer_norm", "native_group_norm"}
ROWS = [OpDef(n, f, "other", SAME, n not in _METHODLESS) for n, f in _ROWS.items()]


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape that tensors of `shapes` broadcast to (an int is a 1-D shape), as `torch.broadcast_shapes`."""
    normalized = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*normalized))
    except ValueError:
        raise ValueError(f"broadcast_shapes: shapes {normalized} cannot be broadcast together") from None


def zero_(input: Any) -> Any:
    """`torch.zero_(t)`: `t.zero_()`."""
    return input.zero_()


def empty_strided(size: Any, stride: Any, **options: Any) -> Any:
    """`torch.empty_strided`: `empty(size)` (JAX arrays have no strides to set)."""
    return empty(*size, **options)


def empty_permuted(size: Any, physical_layout: Any, **options: Any) -> Any:
    """`torch.empty_permuted`: `empty(size)` (JAX chooses the physical layout)."""
    return empty(*size, **options)


def new_empty_strided(self: Any, size: Any, stride: Any, **options: Any) -> Any:
    """`Tensor.new_empty_strided`: `self.new_empty(size)` (JAX arrays have no strides to set)."""
    return self.new_empty(tuple(size), **options)


def cfloat(self: Any, memory_format: Any = None) -> Any:
    return self.to(_dtypes.complex64)


def cdouble(self: Any, memory_format: Any = None) -> Any:
    return self.to(_dtypes._canonical("complex128"))  # complex64 unless JAX runs with x64


FUNCTIONS = {
    "broadcast_shapes": broadcast_shapes, "zero_": zero_, "empty_strided": empty_strided,
    "empty_permuted": empty_permuted,
}  # fmt: skip
METHODS = {"new_empty_strided": new_empty_strided, "cfloat": cfloat, "cdouble": cdouble}
