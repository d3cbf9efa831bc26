"""Ops whose output shape depends on the values: `nonzero`, `masked_select`, `unique`, `bincount`, ...

They need concrete values, so they run eagerly on the host (numpy) and raise a clear error under
`jit`/`compile` tracing, where JAX cannot give them a static shape. `masked_select` keeps its
gradient by indexing through the tape; the others return integer or count tensors, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .tensor import Tensor


def _host(x: Any, op: str) -> np.ndarray:
    array = x._array if isinstance(x, Tensor) else jnp.asarray(x)
    if isinstance(array, jax.core.Tracer):
        raise RuntimeError(
            f"{op}: the output shape depends on the values, which JAX cannot trace; call it outside jit/compile"
        )
    return np.asarray(array)


def _int(array: np.ndarray) -> Tensor:
    return Tensor._wrap(jnp.asarray(array.astype(np.int64)))


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    values = _host(input, "nonzero")
    if as_tuple:
        return tuple(_int(i) for i in np.nonzero(values.reshape(1) if values.ndim == 0 else values))
    return _int(np.argwhere(values))


def argwhere(input: Any) -> Tensor:
    return _int(np.argwhere(_host(input, "argwhere")))


def masked_select(input: Any, mask: Any) -> Tensor:
    x = input if isinstance(input, Tensor) else Tensor(jnp.asarray(input))
    m = _host(mask, "masked_select").astype(bool)
    shape = np.broadcast_shapes(tuple(x.shape), m.shape)
    return x.expand(*shape)[Tensor._wrap(jnp.asarray(np.broadcast_to(m, shape)))]


def unique(input: Any, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):  # noqa: A002
    values = _host(input, "unique")
    out = np.unique(values, return_inverse=True, return_counts=True, axis=dim)
    result = [Tensor._wrap(jnp.asarray(out[0]))]
    if return_inverse:
        result.append(_int(out[1].reshape(values.shape if dim is None else -1)))
    if return_counts:
        result.append(_int(out[2]))
    return result[0] if len(result) == 1 else tuple(result)


def unique_consecutive(input: Any, return_inverse: bool = False, return_counts: bool = False, dim=None):
    values = _host(input, "unique_consecutive")
    moved = values.reshape(-1) if dim is None else np.moveaxis(values, dim, 0)
    if len(moved) <= 1:
        change = np.ones(len(moved), bool)
    else:
        rest = moved[1:] != moved[:-1]
        change = np.concatenate([[True], rest.reshape(len(rest), -1).any(axis=1)])
    kept = moved[change]
    result = [Tensor._wrap(jnp.asarray(kept if dim is None else np.moveaxis(kept, 0, dim)))]
    if return_inverse:
        inverse = np.cumsum(change) - 1
        result.append(_int(inverse.reshape(values.shape) if dim is None else inverse))
    if return_counts:
        result.append(_int(np.diff(np.append(np.flatnonzero(change), len(moved)))))
    return result[0] if len(result) == 1 else tuple(result)


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Tensor:
    values = _host(input, "bincount")
    w = None if weights is None else _host(weights, "bincount")
    counts = np.bincount(values, w, minlength)
    return Tensor._wrap(jnp.asarray(counts if w is not None else counts.astype(np.int64)))


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    values = _host(input, "histc")
    low, high = (float(values.min()), float(values.max())) if min == max and values.size else (min, max)
    if low == high:
        low, high = low - 1, high + 1
    counts, _ = np.histogram(values, bins, (low, high))
    return Tensor._wrap(jnp.asarray(counts.astype(values.dtype)))


FUNCTIONS = {f.__name__: f for f in (nonzero, argwhere, masked_select, unique, unique_consecutive, bincount, histc)}
METHODS = FUNCTIONS
