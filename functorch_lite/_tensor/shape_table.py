"""Table rows for shape, indexing, sorting and order-statistic ops of `torch.*` (jnp wrappers).

Each function maps PyTorch's arguments (`dim`, split sizes, `descending`, named-tuple results)
onto one `jnp`/`lax` call; sizes are static, so results have static shapes and run under `jit`.
Ops whose output shape depends on values (`nonzero`, `masked_select`, `unique`) need concrete
inputs and raise under tracing, as JAX does.
"""

from __future__ import annotations

from collections import namedtuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import _value_checks
from .math_ops import scalar_dims
from .op_table import SAME, OpDef

_ValuesIndices = namedtuple("values_indices", ["values", "indices"])


def _dims(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def _axis(dim, ndim):
    return dim % max(ndim, 1)


def _flip(x, dims):
    return jnp.flip(x, _dims(dims)) if x.ndim else x


def _roll(x, shifts, dims=None):
    if dims is None:
        return jnp.roll(x.reshape(-1), shifts).reshape(x.shape)
    return jnp.roll(x, _dims(shifts), _dims(dims))


def _rot90(x, k=1, dims=(0, 1)):
    return jnp.rot90(x, k, _dims(dims))


def _tril(x, diagonal=0):
    return jnp.tril(x, diagonal)


def _triu(x, diagonal=0):
    return jnp.triu(x, diagonal)


@scalar_dims
def _gather(x, dim, index, *, sparse_grad=False):
    index = jnp.asarray(index)
    if index.ndim == 0:
        index = index.reshape(1)
    axis = _axis(dim, x.ndim)
    _value_checks.check_values(_value_checks.index_in_range, index, x.shape[axis], "gather", dim=axis)
    if index.size == 0:
        return jnp.zeros(index.shape, x.dtype)
    slices = tuple(slice(0, s) for s in index.shape)
    return jnp.take_along_axis(x[slices[:dim] + (slice(None),) + slices[dim + 1 :]], index, axis=dim)


@scalar_dims
def _index_select(x, dim, index):
    axis = _axis(dim, x.ndim)
    _value_checks.check_values(_value_checks.index_in_range, index, x.shape[axis], "index_select", dim=axis)
    return jnp.take(x, jnp.asarray(index).reshape(-1), axis=dim)


def _masked_fill(x, mask, value):
    return jnp.where(mask, jnp.asarray(value, x.dtype), x)


@scalar_dims
def _sort(x, dim=-1, descending=False, stable=False):
    axis = _axis(dim, x.ndim)
    key = -x if descending and not jnp.issubdtype(x.dtype, jnp.bool_) else x
    if descending and jnp.issubdtype(x.dtype, jnp.bool_):
        key = ~x
    indices = jnp.argsort(key, axis=axis, stable=True)
    return _ValuesIndices(jnp.take_along_axis(x, indices, axis=axis), indices.astype(jnp.int32))


def _argsort(x, dim=-1, descending=False, stable=False):
    return _sort(x, dim, descending, stable)[1]


def _msort(x):
    return _sort(x, 0)[0]


@scalar_dims
def _topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    axis = _axis(dim, x.ndim)
    moved = jnp.moveaxis(x, axis, -1)
    values, indices = jax.lax.top_k(moved if largest else -moved, k)
    values = values if largest else -values
    return _ValuesIndices(jnp.moveaxis(values, -1, axis), jnp.moveaxis(indices, -1, axis).astype(jnp.int32))


@scalar_dims
def _kthvalue(x, k, dim=-1, keepdim=False):
    values, indices = _sort(x, dim)
    axis = _axis(dim, x.ndim)
    v = jnp.take(values, k - 1, axis=axis)
    i = jnp.take(indices, k - 1, axis=axis)
    if keepdim:
        v, i = jnp.expand_dims(v, axis), jnp.expand_dims(i, axis)
    return _ValuesIndices(v, i)


def _median(x, dim=None, keepdim=False):
    if dim is None:
        flat = jnp.sort(x.reshape(-1))
        return flat[(flat.size - 1) // 2]
    n = x.shape[dim] if x.ndim else 1
    return _kthvalue(x, (n - 1) // 2 + 1, dim, keepdim)


def _nanmedian(x, dim=None, keepdim=False):
    if dim is None:
        flat = x.reshape(-1)
        count = jnp.sum(~jnp.isnan(flat))
        return jnp.where(count == 0, jnp.nan, jnp.sort(flat)[jnp.maximum((count - 1) // 2, 0)])
    return _median(x, dim, keepdim)


def _narrow(x, dim, start, length):
    start = jnp.asarray(start)
    start = jnp.where(start < 0, start + x.shape[dim], start)  # a traced start (a 0-d tensor) works too
    return jax.lax.dynamic_slice_in_dim(x, start, length, axis=dim)


def _movedim(x, source, destination):
    return jnp.moveaxis(x, _dims(source), _dims(destination))


def _swapaxes(x, axis0, axis1):
    return jnp.swapaxes(x, axis0, axis1) if x.ndim else x


def _diag(x, diagonal=0):
    return jnp.diag(x, diagonal)


def _diagonal(x, offset=0, dim1=0, dim2=1):
    return jnp.diagonal(x, offset, dim1, dim2)


def _diag_embed(x, offset=0, dim1=-2, dim2=-1):
    length = x.shape[-1]
    n = length + abs(offset)
    out = jnp.zeros((*x.shape[:-1], n, n), x.dtype)
    rows, cols = jnp.arange(length) + max(-offset, 0), jnp.arange(length) + max(offset, 0)
    out = out.at[..., rows, cols].set(x)
    ndim = x.ndim + 1
    return jnp.moveaxis(out, (-2, -1), (dim1 % ndim, dim2 % ndim))


def _diagflat(x, offset=0):
    return jnp.diagflat(x, offset)


def _split(x, split_size_or_sections, dim=0):
    size = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        bounds = list(range(step, size, step)) if step else []
        return tuple(jnp.split(x, bounds, axis=dim)) if size else (x,)
    bounds = np.cumsum(split_size_or_sections)[:-1].tolist()
    return tuple(jnp.split(x, bounds, axis=dim))


def _chunk(x, chunks, dim=0):
    size = x.shape[dim]
    step = -(-size // chunks) if size else 1
    return _split(x, step, dim)


def _tensor_split(x, indices_or_sections, dim=0):
    if isinstance(indices_or_sections, int):
        return tuple(jnp.array_split(x, indices_or_sections, axis=dim))
    return tuple(jnp.split(x, list(indices_or_sections), axis=dim))


def _unbind(x, dim=0):
    return tuple(jnp.moveaxis(x, dim, 0))


def _take(x, index):
    _value_checks.check_values(_value_checks.index_in_range, index, x.size, "take")
    return jnp.take(x.reshape(-1), index)


def _take_along_dim(x, indices, dim=None):
    if dim is None:
        return jnp.take_along_axis(x.reshape(-1), indices.reshape(-1), axis=0)
    return jnp.take_along_axis(x, indices, axis=dim)


def _broadcast_to(x, size):
    return jnp.broadcast_to(x, tuple(size))


def _ravel(x):
    return x.reshape(-1)


def _tile(x, dims):
    return jnp.tile(x, tuple(dims))


def _unflatten(x, dim, sizes):
    dim = _axis(dim, x.ndim)
    sizes = list(sizes)
    if -1 in sizes:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes[sizes.index(-1)] = x.shape[dim] // known if known else 0
    return x.reshape(x.shape[:dim] + tuple(sizes) + x.shape[dim + 1 :])


def _repeat_interleave(x, repeats=None, dim=None, *, output_size=None):
    if dim is None:
        x = x.reshape(-1)
        dim = 0
    if not isinstance(repeats, int):
        repeats = np.asarray(repeats)
        total = int(repeats.sum()) if output_size is None else output_size
        return jnp.repeat(x, repeats, axis=dim, total_repeat_length=total)
    return jnp.repeat(x, repeats, axis=dim)


def _diff(x, n=1, dim=-1, prepend=None, append=None):
    return jnp.diff(x, n, axis=dim, prepend=prepend, append=append)


def _trapezoid(y, x=None, *, dx=None, dim=-1):
    if x is None:
        return jnp.trapezoid(y, dx=1.0 if dx is None else dx, axis=dim)
    return jnp.trapezoid(y, x, axis=dim)


def _cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    y = jnp.moveaxis(y, dim, -1)
    mid = (y[..., 1:] + y[..., :-1]) / 2
    if x is not None:
        x = jnp.moveaxis(jnp.broadcast_to(x, y.shape) if x.ndim > 1 else x, dim if x.ndim > 1 else -1, -1)
        mid = mid * jnp.diff(x, axis=-1)
    else:
        mid = mid * (1.0 if dx is None else dx)
    return jnp.moveaxis(jnp.cumsum(mid, axis=-1), -1, dim)


def _searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    side = side or ("right" if right else "left")
    if sorted_sequence.ndim == 1:
        out = jnp.searchsorted(sorted_sequence, values, side=side)
    else:
        flat_seq = sorted_sequence.reshape(-1, sorted_sequence.shape[-1])
        flat_val = jnp.asarray(values).reshape(flat_seq.shape[0], -1)
        out = jax.vmap(lambda s, v: jnp.searchsorted(s, v, side=side))(flat_seq, flat_val).reshape(jnp.shape(values))
    return out.astype(jnp.int32)


def _bucketize(x, boundaries, *, out_int32=False, right=False):
    return jnp.searchsorted(boundaries, x, side="right" if right else "left").astype(jnp.int32)


@scalar_dims
def _index_add(x, dim, index, source, *, alpha=1):
    source = source.reshape(1) if source.ndim == 0 else source
    moved = jnp.moveaxis(x, dim, 0)
    return jnp.moveaxis(moved.at[index.reshape(-1)].add(alpha * jnp.moveaxis(source, dim, 0)), 0, dim)


@scalar_dims
def _index_copy(x, dim, index, source):
    source = source.reshape(1) if source.ndim == 0 else source
    moved = jnp.moveaxis(x, dim, 0)
    return jnp.moveaxis(moved.at[index.reshape(-1)].set(jnp.moveaxis(source, dim, 0)), 0, dim)


def _index_fill(x, dim, index, value):
    moved = jnp.moveaxis(x, dim, 0) if x.ndim else x.reshape(1)
    out = moved.at[jnp.asarray(index).reshape(-1)].set(jnp.asarray(value, x.dtype))
    return jnp.moveaxis(out, 0, dim) if x.ndim else out.reshape(())


def _scatter_indices(index, dim):
    grids = jnp.meshgrid(*[jnp.arange(s) for s in index.shape], indexing="ij")
    grids[dim] = index
    return tuple(grids)


def _scatter(x, dim, index, src=None, value=None, *, reduce=None):
    if index.ndim == 0 or index.size == 0:
        return x
    source = src if src is not None else value
    if hasattr(source, "shape") and jnp.ndim(source):
        source = source[tuple(slice(0, s) for s in index.shape)]
    return x.at[_scatter_indices(index, dim)].set(source)


def _scatter_add(x, dim, index, src):
    if index.size == 0:
        return x
    return x.at[_scatter_indices(index, dim)].add(src[tuple(slice(0, s) for s in index.shape)])


def _atleast(n):
    def op(*tensors):
        items = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
        f = {1: jnp.atleast_1d, 2: jnp.atleast_2d, 3: jnp.atleast_3d}[n]
        out = tuple(f(t) for t in items)
        return out[0] if len(tensors) == 1 and not isinstance(tensors[0], (list, tuple)) else out

    return op


def _stacker(f):
    return lambda tensors: f(list(tensors))


def _meshgrid(*tensors, indexing="ij"):
    items = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    return tuple(jnp.meshgrid(*[jnp.atleast_1d(t) for t in items], indexing=indexing))


def _broadcast_tensors(*tensors):
    return tuple(jnp.broadcast_arrays(*tensors))


def _block_diag(*tensors):
    import jax.scipy.linalg as jsl

    return jsl.block_diag(*[t.reshape(1, -1) if t.ndim < 2 else t for t in tensors])


def _cartesian_prod(*tensors):
    if len(tensors) == 1:
        return tensors[0]
    grids = jnp.meshgrid(*tensors, indexing="ij")
    return jnp.stack([g.reshape(-1) for g in grids], axis=1)


def _einsum(equation, *operands):
    items = operands[0] if len(operands) == 1 and isinstance(operands[0], (list, tuple)) else operands
    return jnp.einsum(equation, *items)


def _cdist(x1, x2, p=2.0, compute_mode=None):
    diff = x1[..., :, None, :] - x2[..., None, :, :]
    if p == 0:
        return jnp.sum(diff != 0, axis=-1).astype(x1.dtype)
    if p == float("inf"):
        return jnp.max(jnp.abs(diff), axis=-1)
    if p == 2:
        sq = jnp.sum(diff * diff, axis=-1)
        safe = jnp.where(sq == 0, 1.0, sq)
        return jnp.where(sq == 0, 0.0, jnp.sqrt(safe))
    return jnp.sum(jnp.abs(diff) ** p, axis=-1) ** (1 / p)


def _dist(x, other, p=2):
    from .linalg_fft import _vector_norm

    return _vector_norm(x - other, p)


def _cov(x, *, correction=1, fweights=None, aweights=None):
    return jnp.cov(x, ddof=correction, fweights=fweights, aweights=aweights)


@scalar_dims
def _quantile(x, q, dim=None, keepdim=False, *, interpolation="linear"):
    return jnp.quantile(x, q, axis=dim, keepdims=keepdim, method=interpolation)


@scalar_dims
def _nanquantile(x, q, dim=None, keepdim=False, *, interpolation="linear"):
    return jnp.nanquantile(x, q, axis=dim, keepdims=keepdim, method=interpolation)


def _renorm(x, p, dim, maxnorm):
    axes = tuple(d for d in range(x.ndim) if d != dim % x.ndim)
    norms = jnp.linalg.vector_norm(x, ord=p, axis=axes, keepdims=True)
    return x * jnp.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


def _select(x, dim, index):
    return jnp.take(x, index, axis=dim)


def _unfold(x, dimension, size, step):
    if x.ndim == 0:
        return x.reshape(1)
    n = x.shape[dimension]
    starts = np.arange(0, n - size + 1, step)
    windows = jnp.take(x, jnp.asarray(starts[:, None] + np.arange(size)), axis=dimension)
    return jnp.moveaxis(windows, dimension % x.ndim + 1, -1)


def _sum_to_size(x, *size):
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    lead = x.ndim - len(size)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1 and x.shape[lead + i] != 1)
    return jnp.sum(x, axis=axes, keepdims=True).reshape(size)


def _isin(elements, test_elements, *, assume_unique=False, invert=False):
    return jnp.isin(elements, test_elements, invert=invert)


def _frexp(x):
    mantissa, exponent = jnp.frexp(x)
    return mantissa, exponent.astype(jnp.int32)


_SHAPE = {
    "flip": _flip, "fliplr": jnp.fliplr, "flipud": jnp.flipud, "roll": _roll, "rot90": _rot90, "tril": _tril,
    "triu": _triu, "gather": _gather, "index_select": _index_select, "masked_fill": _masked_fill, "sort": _sort,
    "argsort": _argsort, "msort": _msort, "topk": _topk, "kthvalue": _kthvalue, "median": _median,
    "nanmedian": _nanmedian, "narrow": _narrow, "movedim": _movedim, "moveaxis": _movedim,
    "swapaxes": _swapaxes, "swapdims": _swapaxes, "diag": _diag, "diagonal": _diagonal, "diag_embed": _diag_embed,
    "diagflat": _diagflat, "split": _split, "chunk": _chunk, "tensor_split": _tensor_split,
    "hsplit": lambda x, s: _tensor_split(x, s, 1 if x.ndim > 1 else 0),
    "vsplit": lambda x, s: _tensor_split(x, s, 0), "dsplit": lambda x, s: _tensor_split(x, s, 2),
    "unbind": _unbind, "take": _take, "take_along_dim": _take_along_dim, "broadcast_to": _broadcast_to,
    "ravel": _ravel, "tile": _tile, "unflatten": _unflatten, "repeat_interleave": _repeat_interleave,
    "diff": _diff, "index_add": _index_add, "index_copy": _index_copy, "index_fill": _index_fill,
    "scatter": _scatter, "scatter_add": _scatter_add, "renorm": _renorm, "quantile": _quantile,
    "nanquantile": _nanquantile, "select": _select, "unfold": _unfold, "sum_to_size": _sum_to_size,
    "isin": _isin, "frexp": _frexp,
}  # fmt: skip
_FUNCTIONS_ONLY = {
    "atleast_1d": _atleast(1), "atleast_2d": _atleast(2), "atleast_3d": _atleast(3),
    "hstack": _stacker(jnp.hstack), "vstack": _stacker(jnp.vstack), "dstack": _stacker(jnp.dstack),
    "column_stack": _stacker(jnp.column_stack), "row_stack": _stacker(jnp.vstack), "meshgrid": _meshgrid,
    "broadcast_tensors": _broadcast_tensors, "block_diag": _block_diag, "cartesian_prod": _cartesian_prod,
    "cdist": _cdist, "dist": _dist, "cov": _cov, "corrcoef": jnp.corrcoef, "trapezoid": _trapezoid,
    "trapz": _trapezoid, "cumulative_trapezoid": _cumulative_trapezoid, "searchsorted": _searchsorted,
    "bucketize": _bucketize, "einsum": _einsum,
    "polar": lambda abs, angle: jax.lax.complex(abs * jnp.cos(angle), abs * jnp.sin(angle)),  # noqa: A006
    "complex": lambda real, imag: jax.lax.complex(*jnp.broadcast_arrays(real, imag)),
}  # fmt: skip

_STATIC = {"tensor_split": (1,), "narrow": (), "repeat_interleave": (1, "repeats"), "split": (1,), "hsplit": (1,)}
_STATIC |= {"vsplit": (1,), "dsplit": (1,), "roll": (1, 2), "tile": (1,)}
ROWS = [OpDef(n, f, "other", SAME, static=_STATIC.get(n, ())) for n, f in _SHAPE.items()] + [
    OpDef(n, f, "other", SAME, False) for n, f in _FUNCTIONS_ONLY.items()
]
