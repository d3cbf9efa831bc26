"""The new gradients of a compiled step, packed: one output buffer per dtype instead of one per gradient.

Each output of a jitted call costs a few microseconds of dispatch, so a model with hundreds of small
parameters spends most of a compiled step creating `.grad` arrays that the next `zero_grad()` drops
unread. The compiled program instead copies the small new gradients into one flat buffer per dtype (one
`concatenate` in the program); each `.grad` is a `PackedGrad` whose array is cut from that buffer, for all
of the pack's gradients in one jitted call, the first time any is read.
"""

from __future__ import annotations

import functools
import sys
from sys import getrefcount
from typing import Any
from weakref import getweakrefcount, ref

import jax
import jax.numpy as jnp
import numpy as np

from ._tensor.tensor import ComputedArrayTensor, Tensor

# Gradients up to this many elements are packed (32 KiB in float32: the copy costs less than the
# output it saves); larger ones stay outputs of their own.
PACK_MAX_ELEMENTS = 1 << 13


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def plan(avals: list) -> list[list[int]]:
    """Groups of positions in `avals` to pack together: small arrays of one dtype, two or more per group."""
    groups: dict[Any, list[int]] = {}
    for i, aval in enumerate(avals):
        if _size(aval.shape) <= PACK_MAX_ELEMENTS:
            groups.setdefault(aval.dtype, []).append(i)
    return [members for members in groups.values() if len(members) > 1]


def pack(arrays: list) -> jax.Array:
    """Inside the compiled program: the arrays, flattened and concatenated."""
    return jnp.concatenate([jnp.ravel(a) for a in arrays])


@functools.lru_cache(maxsize=64)
def splitter(shapes: tuple[tuple[int, ...], ...]) -> Any:
    """One jitted call that cuts a packed buffer back into arrays of `shapes`."""
    offsets = np.cumsum([0, *map(_size, shapes)]).tolist()

    def split(buffer: jax.Array) -> list:
        return [buffer[start:stop].reshape(shape) for start, stop, shape in zip(offsets, offsets[1:], shapes)]

    return jax.jit(split)


class GradPack:
    """One packed buffer and how to split it; split once, when the first of its gradients is read."""

    __slots__ = ("_buffer", "_split", "_arrays")

    def __init__(self, buffer: jax.Array, split: Any):
        self._buffer, self._split, self._arrays = buffer, split, None

    def get(self, index: int) -> jax.Array:
        if self._arrays is None:
            self._arrays = self._split(self._buffer)
            self._buffer = None
        return self._arrays[index]


class PackedGrad(ComputedArrayTensor):
    """A `.grad` written by a compiled step, whose array is cut from its pack when first read."""

    __slots__ = ("_pack", "_index", "_value")

    @classmethod
    def _make(cls, pack: GradPack, index: int) -> PackedGrad:
        grad = cls._bare()
        grad._pack, grad._index, grad._value = pack, index, None
        return grad

    @property
    def _array(self) -> Any:
        value = self._value
        if value is None:
            value = self._value = self._pack.get(self._index)
            self._pack = None
        return value

    @_array.setter
    def _array(self, value: Any) -> None:
        self._value, self._pack = value, None

    def __reduce_ex__(self, protocol: int) -> Any:
        return Tensor._wrap, (self._array,)  # pickled as the plain Tensor it stands for


# A PackedGrad that only its owner's `.grad` and `write`'s local name hold (plus getrefcount's argument), and
# only the last write's weak reference refers to, is unobservable: the next write may reuse the object
# instead of making a new one. (Weak references: a dropped grad is not kept alive until the next call.)
_UNSHARED = 3
# CPython 3.14 stops counting some stack references; there a grad is never reused (always a new object).
_REUSE = sys.version_info < (3, 14)


def write(owners: list, split: Any, buffer: jax.Array, last: list) -> None:
    """Gives each owner a new `.grad` cut lazily from `buffer`; `last` holds weak references to the previous
    call's grads (reused where nothing else refers to them) and is updated in place."""
    grad_pack = GradPack(buffer, split)
    make = PackedGrad._make
    if not last:
        last.extend([None] * len(owners))
    for index, owner in enumerate(owners):
        previous = last[index]
        grad = previous() if previous is not None else None
        if (
            _REUSE
            and grad is not None
            and owner._grad is grad
            and getrefcount(grad) == _UNSHARED
            and getweakrefcount(grad) == 1
        ):
            grad._pack, grad._value = grad_pack, None
        else:
            grad = make(grad_pack, index)
            owner._grad = grad
            last[index] = ref(grad)
