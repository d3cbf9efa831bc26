"""`nn.utils.rnn`: padding and packing batches of variable-length sequences of Tensors.

The gathers live in `functorch_lite.functional.packed`; these wrappers turn lengths
into static ints and run the pure functions on the tape, so gradients flow through
`data`. A `PackedSequence` here holds Tensors: `data`, `batch_sizes` (int), and the
`sorted_indices` / `unsorted_indices` permutations (None when the batch came sorted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import functional as fn
from ..._tensor.tensor import Tensor
from ...autograd.dispatch import apply
from ...functional.packed import PackedSequence


def _ints(values: Any, name: str, op: str) -> tuple[int, ...]:
    """Lengths or batch sizes as a tuple of Python ints (static arguments of the pure functions)."""
    array = np.asarray(values.numpy() if isinstance(values, Tensor) else values)
    if array.ndim != 1 or not (array.size == 0 or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{op}: {name} must be a 1-D sequence of ints, got {values!r}")
    return tuple(int(v) for v in array)


def pad_sequence(
    sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Stacks Tensors of shape (L_i, *) into (L_max, B, *), or (B, L_max, *) with batch_first."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0)) if hasattr(sequences, "unbind") else [sequences]
    return apply(fn.pad_sequence, list(sequences), batch_first, float(padding_value), padding_side)


def pack_padded_sequence(
    input: Tensor, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Packs a padded batch whose sequences have the given lengths (a list or a 1-D int Tensor)."""
    lengths = _ints(lengths, "lengths", "pack_padded_sequence")
    return apply(fn.pack_padded_sequence, input, lengths, batch_first, enforce_sorted)


def _pad_packed(data, batch_sizes, sorted_indices, unsorted_indices, batch_first, padding_value, total_length):
    packed = PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)
    return fn.pad_packed_sequence(packed, batch_first, padding_value, total_length)


def pad_packed_sequence(
    sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0, total_length: int | None = None
) -> tuple[Tensor, Tensor]:
    """The inverse of `pack_padded_sequence`: (padded Tensor, lengths) in the original batch order."""
    sizes = _ints(sequence.batch_sizes, "batch_sizes", "pad_packed_sequence")
    data, _, sorted_indices, unsorted_indices = sequence
    return apply(
        _pad_packed, data, sizes, sorted_indices, unsorted_indices, batch_first, float(padding_value), total_length
    )


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of Tensors of shape (L_i, *)."""
    lengths = [int(s.shape[0]) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """The list of Tensors inside a padded batch, each cut to its length."""
    lengths = _ints(lengths, "lengths", "unpad_sequence")
    return apply(fn.unpad_sequence, padded_sequences, lengths, batch_first)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of Tensors inside a packed batch, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = [
    "PackedSequence",
    "pad_sequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pack_sequence",
    "unpad_sequence",
    "unpack_sequence",
]
