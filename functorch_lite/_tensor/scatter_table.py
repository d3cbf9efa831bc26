"""Table rows for the out-of-place scatters of `torch.*`: `*_scatter`, `put`, `scatter_reduce`, `index_reduce`.

Each returns a new tensor with some positions written or reduced into (JAX arrays are immutable,
so every scatter is PyTorch's out-of-place form; the `_` methods rebind). Reductions follow
PyTorch: `include_self=False` starts every written position from the reduction's identity, `mean`
divides by the number of values reduced, and `prod`'s gradient handles zeros as PyTorch does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..autograd.dispatch import apply
from .op_table import SAME, OpDef
from .shape_ops import _index_key

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _select_scatter(x, src, dim, index):
    return x.at[(slice(None),) * (dim % x.ndim) + (index,)].set(src.astype(x.dtype))


def _slice_scatter(x, src, dim=0, start=None, end=None, step=1):
    return x.at[(slice(None),) * (dim % x.ndim) + (slice(start, end, step),)].set(src.astype(x.dtype))


def _diagonal_scatter(x, src, offset=0, dim1=0, dim2=1):
    dim1, dim2 = dim1 % x.ndim, dim2 % x.ndim
    moved = jnp.moveaxis(x, (dim1, dim2), (-2, -1))
    rows, cols = moved.shape[-2:]
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = jnp.arange(length) - min(offset, 0)
    out = moved.at[..., i, i + offset].set(src.astype(x.dtype))
    return jnp.moveaxis(out, (-2, -1), (dim1, dim2))


def _put(x, index, source, accumulate=False):
    flat, index = x.reshape(-1), index.reshape(-1)
    index = jnp.where(index < 0, index + flat.size, index)
    source = source.reshape(-1).astype(x.dtype)
    return (flat.at[index].add(source) if accumulate else flat.at[index].set(source)).reshape(x.shape)


def _masked_scatter(x, mask, source):
    shape = jnp.broadcast_shapes(x.shape, mask.shape)
    x, mask = jnp.broadcast_to(x, shape), jnp.broadcast_to(mask, shape)
    # The k-th True position (row-major) takes source's k-th element.
    position = jnp.clip(jnp.cumsum(mask.reshape(-1)) - 1, 0, max(source.size - 1, 0)).reshape(shape)
    return jnp.where(mask, source.reshape(-1)[position].astype(x.dtype), x) if source.size else x


@jax.custom_vjp
def _scatter_prod(x, index, src):
    return x.at[index].multiply(src)


def _scatter_prod_fwd(x, index, src):
    out = _scatter_prod(x, index, src)
    return out, (x, index, src, out)


def _scatter_prod_bwd(saved, g):
    # d out / d v = product of the other factors: out / v, or (for a zero v) the product of the
    # nonzero others when v is the only zero of its group.
    x, index, src, out = saved
    zeros = jnp.zeros(x.shape, jnp.int32).at[index].add((src == 0).astype(jnp.int32)) + (x == 0)
    nonzero = jnp.where(x == 0, 1, x).at[index].multiply(jnp.where(src == 0, 1, src))

    def others(v, count, product, total):
        return jnp.where(v == 0, jnp.where(count == 1, product, 0), total / jnp.where(v == 0, 1, v))

    grad_x = g * others(x, zeros, nonzero, out)
    grad_src = g[index] * others(src, zeros[index], nonzero[index], out[index])
    return grad_x, None, grad_src


_scatter_prod.defvjp(_scatter_prod_fwd, _scatter_prod_bwd)


def _reduce_into(x, index, src, reduce, include_self):
    """`x` with `src` reduced into the positions `index` (a tuple of index arrays, as `x.at[...]`)."""
    if reduce not in _REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {_REDUCTIONS}, got {reduce!r}")
    src = src.astype(x.dtype)
    written = jnp.zeros(x.shape, bool).at[index].set(True)
    if not include_self:
        dtype_max = jnp.inf if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.iinfo(x.dtype).max
        dtype_min = -jnp.inf if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.iinfo(x.dtype).min
        identity = {"sum": 0, "mean": 0, "prod": 1, "amax": dtype_min, "amin": dtype_max}[reduce]
        x = jnp.where(written, jnp.asarray(identity, x.dtype), x)
    if reduce == "prod":
        return _scatter_prod(x, index, src)
    if reduce == "amax":
        return x.at[index].max(src)
    if reduce == "amin":
        return x.at[index].min(src)
    total = x.at[index].add(src)
    if reduce == "sum":
        return total
    count = jnp.zeros(x.shape, x.dtype).at[index].add(1) + (1 if include_self else 0)
    count = jnp.where(count == 0, 1, count)
    return total / count if jnp.issubdtype(x.dtype, jnp.inexact) else total // count


def _scatter_reduce(x, dim, index, src, reduce, *, include_self=True):
    if x.ndim == 0:
        return _scatter_reduce(x.reshape(1), 0, index.reshape(1), src.reshape(1), reduce, include_self=include_self)[0]
    if index.size == 0:
        return x
    dim = dim % x.ndim
    grids = list(jnp.meshgrid(*[jnp.arange(s) for s in index.shape], indexing="ij"))
    grids[dim] = index
    return _reduce_into(x, tuple(grids), src[tuple(slice(0, s) for s in index.shape)], reduce, include_self)


def _index_reduce(x, dim, index, source, reduce, *, include_self=True):
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ValueError(f"index_reduce: reduce must be 'prod', 'mean', 'amax' or 'amin', got {reduce!r}")
    if x.ndim == 0:
        return _index_reduce(x.reshape(1), 0, index, source.reshape(1), reduce, include_self=include_self)[0]
    dim = dim % x.ndim
    moved = jnp.moveaxis(x, dim, 0)
    source = jnp.moveaxis(source.reshape(1) if source.ndim == 0 else source, dim, 0)
    out = _reduce_into(moved, (index.reshape(-1),), source, reduce, include_self)
    return jnp.moveaxis(out, 0, dim)


def _index_put(x, indices, values, accumulate):
    values = jnp.asarray(values).astype(x.dtype)
    return x.at[indices].add(values) if accumulate else x.at[indices].set(values)


def index_put(input, indices, values, accumulate=False):
    """`input` with `values` written (or added, `accumulate=True`) at `input[indices]`, as `torch.index_put`."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put: indices must be a tuple of Tensors, got {type(indices).__name__}")
    return apply(_index_put, input, _index_key(tuple(indices)), values, bool(accumulate))


_SCATTERS = {
    "select_scatter": _select_scatter, "slice_scatter": _slice_scatter, "diagonal_scatter": _diagonal_scatter,
    "put": _put, "masked_scatter": _masked_scatter, "scatter_reduce": _scatter_reduce,
    "index_reduce": _index_reduce,
}  # fmt: skip

ROWS = [OpDef(n, f, "other", SAME) for n, f in _SCATTERS.items()]
FUNCTIONS = {"index_put": index_put}
