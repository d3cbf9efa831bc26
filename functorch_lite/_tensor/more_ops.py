"""Table rows for assorted `torch.*` ops: `combinations`, `mode`, `histogram`, `fill`, and `broadcast_shapes`.

Sizes are static (the combination count, the bin count), so each op has a static output shape
and runs under `jit`. `broadcast_shapes` is shape arithmetic on Python ints, with no array.
"""

from __future__ import annotations

import itertools
from collections import namedtuple
from typing import Any

import jax.numpy as jnp
import numpy as np

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


_ROWS = {"combinations": _combinations, "mode": _mode, "histogram": _histogram, "fill": _fill}
_METHODLESS = {"combinations", "fill"}
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


FUNCTIONS = {"broadcast_shapes": broadcast_shapes, "zero_": zero_}
