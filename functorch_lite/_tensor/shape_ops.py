"""Tensor shape methods: sizes, views, permutations, indexing, `cat` and `stack`.

Shapes are static (known without running anything, also under tracing), so shape
arguments are checked here in Python and a bad `view` names both shapes before any
array op runs. Every result is a fresh array; "views" are reshapes that share nothing,
which is indistinguishable from PyTorch's views because arrays are never mutated.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..autograd.dispatch import apply


class Size(tuple):
    """A shape, as PyTorch's `torch.Size`: a tuple of ints with `numel()`."""

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"


class ShapeError(ValueError, RuntimeError):
    """A shape that does not fit: ValueError here, RuntimeError for PyTorch code."""


def reshape(x, shape):
    return jnp.reshape(x, shape)


def permute(x, dims):
    return jnp.transpose(x, dims)


def squeeze(x, dims):
    return jnp.squeeze(x, dims)


def unsqueeze(x, dim):
    return jnp.expand_dims(x, dim)


def expand(x, shape):
    return jnp.broadcast_to(x, shape)


def repeat(x, repeats):
    return jnp.tile(x, repeats)


def getitem(x, index):
    return x[index]


def getitem_two_step(x, basic, advanced):
    return x[basic][advanced]


def _is_int(item: Any) -> bool:
    return isinstance(item, (int, np.integer)) and not isinstance(item, bool)


def _split_ints_from_arrays(key: tuple) -> tuple | None:
    """PyTorch treats ints as basic indices even beside index arrays; numpy (and jax) make
    them advanced, which moves the result dims. Index with ints and slices first, then arrays."""
    has_int = any(_is_int(k) for k in key)
    has_array = any(not (_is_int(k) or isinstance(k, slice)) for k in key)
    if not (has_int and has_array) or any(k is None or k is Ellipsis for k in key):
        return None
    basic = tuple(k if _is_int(k) or isinstance(k, slice) else slice(None) for k in key)
    advanced = tuple(slice(None) if isinstance(k, slice) else k for k in key if not _is_int(k))
    return basic, advanced


def setitem(x, index, value):
    return x.at[index].set(jnp.asarray(value).astype(x.dtype))


def cat_arrays(arrays, dim):
    return jnp.concatenate(arrays, axis=dim)


def stack_arrays(arrays, dim):
    return jnp.stack(arrays, axis=dim)


def _sizes(args: Sequence[Any], op: str) -> tuple[int, ...]:
    """`f(2, 3)`, `f((2, 3))`, `f([2, 3])`, `f(torch.Size(...))` -> (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    try:
        return tuple(int(operator_index(s)) for s in args)
    except (TypeError, AttributeError):  # AttributeError: an object without __index__ (a str)
        raise TypeError(f"{op}: expected a shape of ints, got {args!r}") from None


def operator_index(value: Any) -> int:
    if isinstance(value, (bool, float)):
        raise TypeError
    return int(value.__index__())


def infer_shape(shape: tuple[int, ...], numel: int, current: tuple[int, ...], op: str) -> tuple[int, ...]:
    """Resolves one -1 as PyTorch does; raises naming both shapes when sizes disagree."""
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise ShapeError(f"{op}: only one dimension can be inferred, got shape {list(shape)}")
    if any(s < -1 for s in shape):
        raise ShapeError(f"{op}: invalid shape dimension in {list(shape)}")
    known = math.prod(s for s in shape if s != -1)
    if unknown:
        if known == 0 or numel % known:
            raise ShapeError(
                f"{op}: shape {list(shape)} is invalid for input of size {numel} (input shape {list(current)})"
            )
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise ShapeError(
            f"{op}: shape {list(shape)} is invalid for input of size {numel} (input shape {list(current)})"
        )
    return shape


def _normalize_dim(dim: int, ndim: int, op: str) -> int:
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-bound}, {bound - 1}], but got {dim})"
        )
    return int(dim) % bound


def _index_key(index: Any) -> Any:
    """Boolean masks become integer indices, eagerly (the result shape depends on values)."""
    items = index if isinstance(index, tuple) else (index,)
    converted = []
    for item in items:
        array = getattr(item, "_array", item)
        if isinstance(array, (jax.Array, np.ndarray)) and array.dtype == np.bool_:
            if isinstance(array, jax.core.Tracer):
                raise TypeError("indexing: a boolean mask index needs concrete values; it cannot be traced")
            converted.extend(np.nonzero(np.asarray(array)))
        elif isinstance(item, list):  # jax rejects list indices; numpy semantics say "an index array"
            converted.append(_index_key(np.asarray([getattr(i, "_array", i) for i in item])))
        else:
            converted.append(item)
    return tuple(converted) if isinstance(index, tuple) or len(converted) != 1 else converted[0]


def _check_index_bounds(key: Any, shape: tuple[int, ...]) -> None:
    """IndexError for an out-of-range int index: jax would silently clamp it to the last row."""
    items = key if isinstance(key, tuple) else (key,)
    dim = 0
    for position, item in enumerate(items):
        if item is None:
            continue
        if item is Ellipsis:  # the dims after the ellipsis are counted from the end
            dim = len(shape) - sum(1 for i in items[position + 1 :] if i is not None)
            continue
        values = getattr(item, "_array", item)
        if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
            values = np.asarray(values)
        if (
            dim < len(shape)
            and isinstance(values, (np.ndarray, jax.Array))
            and not isinstance(values, jax.core.Tracer)
            and values.dtype.kind in "iu"
        ):
            values, size = np.asarray(values), shape[dim]
            bad = values[(values < -size) | (values >= size)]
            if bad.size:
                raise IndexError(f"indexing: index {int(bad[0])} is out of bounds for dimension {dim} with size {size}")
        dim += 1


class ShapeMixin:
    """Sizes, reshapes and indexing of `Tensor`."""

    __slots__ = ()

    @property
    def shape(self) -> Size:
        return Size(self._array.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._array.shape)
        return self._array.shape[_normalize_dim(dim, self._array.ndim, "size")]

    def dim(self) -> int:
        return self._array.ndim

    @property
    def ndim(self) -> int:
        return self._array.ndim

    def ndimension(self) -> int:
        return self._array.ndim

    def numel(self) -> int:
        return int(math.prod(self._array.shape))

    nelement = numel

    def __len__(self) -> int:
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self) -> Iterator[Any]:
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))

    def view(self, *shape: Any) -> Any:
        """Same data, new shape; one dim may be -1. All tensors here are contiguous."""
        sizes = infer_shape(_sizes(shape, "view"), self.numel(), self._array.shape, "view")
        return self if sizes == self._array.shape else apply(reshape, self, sizes)

    def reshape(self, *shape: Any) -> Any:
        sizes = infer_shape(_sizes(shape, "reshape"), self.numel(), self._array.shape, "reshape")
        return self if sizes == self._array.shape else apply(reshape, self, sizes)

    def view_as(self, other: Any) -> Any:
        return self.view(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Any:
        ndim = self._array.ndim
        if ndim == 0:
            return self.reshape(1)
        start = _normalize_dim(start_dim, ndim, "flatten")
        end = _normalize_dim(end_dim, ndim, "flatten")
        if start > end:
            raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
        shape = self._array.shape
        return self.reshape(*shape[:start], -1, *shape[end + 1 :])

    def permute(self, *dims: Any) -> Any:
        order = _sizes(dims, "permute")
        ndim = self._array.ndim
        if len(order) != ndim:
            raise ValueError(f"permute: number of dims don't match: tensor has {ndim} dims, got {list(order)}")
        order = tuple(_normalize_dim(d, ndim, "permute") for d in order)
        if sorted(order) != list(range(ndim)):
            raise ValueError(f"permute: dims {list(dims)} repeat a dimension")
        return apply(permute, self, order)

    def transpose(self, dim0: int, dim1: int) -> Any:
        ndim = self._array.ndim
        order = list(range(ndim))
        a, b = _normalize_dim(dim0, ndim, "transpose"), _normalize_dim(dim1, ndim, "transpose")
        order[a], order[b] = order[b], order[a]
        return self if a == b else apply(permute, self, tuple(order))

    def t(self) -> Any:
        if self._array.ndim > 2:
            raise ValueError(f"t: expects a tensor with <= 2 dimensions, got {self._array.ndim}")
        return self.transpose(0, 1) if self._array.ndim == 2 else self

    @property
    def T(self) -> Any:  # noqa: N802 - PyTorch's name
        ndim = self._array.ndim
        return self if ndim < 2 else apply(permute, self, tuple(reversed(range(ndim))))

    @property
    def mT(self) -> Any:  # noqa: N802
        return self.transpose(-2, -1)

    @property
    def mH(self) -> Any:  # noqa: N802 - the conjugate transpose (of real tensors: mT)
        return self.mT.conj()

    @property
    def H(self) -> Any:  # noqa: N802
        return self.T.conj()

    def squeeze(self, dim: Any = None) -> Any:
        shape, ndim = self._array.shape, self._array.ndim
        if dim is None:
            dims = tuple(i for i, s in enumerate(shape) if s == 1)
        else:
            wanted = dim if isinstance(dim, (tuple, list)) else (dim,)
            # PyTorch ignores dims whose size is not 1
            dims = tuple(d for d in (_normalize_dim(w, ndim, "squeeze") for w in wanted) if ndim and shape[d] == 1)
        return apply(squeeze, self, dims) if dims else self

    def unsqueeze(self, dim: int) -> Any:
        return apply(unsqueeze, self, _normalize_dim(dim, self._array.ndim + 1, "unsqueeze"))

    def contiguous(self, memory_format: Any = None) -> Any:
        return self

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return True

    def expand(self, *sizes: Any) -> Any:
        target = _sizes(sizes, "expand")
        shape = self._array.shape
        if len(target) < len(shape):
            raise ValueError(
                f"expand: the number of sizes provided ({len(target)}) must be greater or equal to "
                f"the number of dimensions in the tensor ({len(shape)})"
            )
        offset = len(target) - len(shape)
        resolved = tuple(shape[i - offset] if s == -1 and i >= offset else s for i, s in enumerate(target))
        for i, size in enumerate(shape):
            if size != 1 and size != resolved[i + offset]:
                raise ShapeError(
                    f"expand: the expanded size {resolved[i + offset]} must match the existing size "
                    f"{size} at non-singleton dimension {i + offset}; target sizes {list(target)}, "
                    f"tensor sizes {list(shape)}"
                )
        return self if resolved == shape else apply(expand, self, resolved)

    def expand_as(self, other: Any) -> Any:
        return self.expand(other.shape)

    def repeat(self, *repeats: Any) -> Any:
        counts = _sizes(repeats, "repeat")
        if len(counts) < self._array.ndim:
            raise ValueError(
                f"repeat: number of repeat dims ({len(counts)}) can not be smaller than the "
                f"number of dimensions of the tensor ({self._array.ndim})"
            )
        return apply(repeat, self, counts)

    def __getitem__(self, index: Any) -> Any:
        key = _index_key(index)
        _check_index_bounds(key, self._array.shape)
        split = _split_ints_from_arrays(key) if isinstance(key, tuple) else None
        if split is not None:
            return apply(getitem_two_step, self, *split)
        return apply(getitem, self, key)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._inplace(setitem, _index_key(index), value)


def _as_tensors(tensors: Any, op: str) -> list:
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"{op}: expected a non-empty list or tuple of Tensors, got {type(tensors).__name__}")
    return list(tensors)


def cat(tensors: Sequence[Any], dim: int = 0) -> Any:
    """Concatenates along an existing dim (`torch.cat`)."""
    items = _as_tensors(tensors, "cat")
    shapes = [jnp.shape(getattr(item, "_array", item)) for item in items]
    if any(shape != (0,) for shape in shapes):  # PyTorch skips legacy empty 1-D tensors beside others
        items = [item for item, shape in zip(items, shapes) if shape != (0,)]
    ndim = jnp.ndim(getattr(items[0], "_array", items[0]))
    return apply(cat_arrays, items, _normalize_dim(dim, ndim, "cat"))


def stack(tensors: Sequence[Any], dim: int = 0) -> Any:
    """Stacks along a new dim (`torch.stack`)."""
    items = _as_tensors(tensors, "stack")
    ndim = jnp.ndim(getattr(items[0], "_array", items[0]))
    return apply(stack_arrays, items, _normalize_dim(dim, ndim + 1, "stack"))


concat = concatenate = cat
