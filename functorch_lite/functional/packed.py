"""Padded and packed batches of variable-length sequences, as torch.nn.utils.rnn, on jax arrays.

A packed sequence stores, time step after time step, the rows of the sequences still
running at that step, longest sequences first: `data` (sum(lengths), *), `batch_sizes`
(how many rows each step has; concrete numpy ints, as PyTorch keeps them on the CPU),
and the permutation that sorted the batch by length (`sorted_indices`) with its
inverse (`unsorted_indices`), both None when the caller sorted it already. Packing and
unpacking are gathers and scatters with indices computed from the concrete lengths, so
they are differentiable and jit-safe for a fixed set of lengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks


class PackedSequence(NamedTuple):
    """A packed batch: data (sum(lengths), *), batch_sizes (numpy ints), sorted/unsorted indices or None."""

    data: Any
    batch_sizes: Any
    sorted_indices: Any = None
    unsorted_indices: Any = None


def static_ints(values: Any, name: str, op: str) -> np.ndarray:
    """A 1-D array of concrete ints (lengths, batch sizes): they decide shapes, so they cannot be traced."""
    if isinstance(values, jax.core.Tracer):
        raise TypeError(f"{op}: {name} must be concrete (they decide output shapes), got a traced value inside jit")
    array = np.asarray(values)
    if array.ndim != 1 or not (array.size == 0 or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{op}: {name} must be a 1-D sequence of ints, got {values!r}")
    return array.astype(np.int64)


def checked_batch_sizes(batch_sizes: Any, op: str) -> np.ndarray:
    sizes = static_ints(batch_sizes, "batch_sizes", op)
    if sizes.size == 0 or sizes.min() < 1 or np.any(np.diff(sizes) > 0):
        raise ValueError(f"{op}: batch_sizes must be positive and non-increasing, got {sizes.tolist()}")
    return sizes


def lengths_from_batch_sizes(sizes: np.ndarray) -> np.ndarray:
    """The length of each (sorted) sequence: how many steps have at least b + 1 rows."""
    return (sizes[None, :] > np.arange(sizes[0])[:, None]).sum(axis=1)


def _positions(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(step, batch row) of every row of packed data."""
    steps = np.repeat(np.arange(len(sizes)), sizes)
    rows = np.concatenate([np.arange(s) for s in sizes])
    return steps, rows


def padded_from_packed(data: jax.Array, sizes: np.ndarray, total_length: int | None = None, padding_value=0.0):
    """Packed `data` as a time-major padded batch (T, B, *) in sorted order."""
    steps, rows = _positions(sizes)
    length = len(sizes) if total_length is None else total_length
    out = jnp.full((length, int(sizes[0]), *data.shape[1:]), padding_value, data.dtype)
    return out.at[steps, rows].set(data)


def packed_from_padded(padded: jax.Array, sizes: np.ndarray) -> jax.Array:
    """The rows of a time-major padded batch (T, B, *) in sorted order that `sizes` keeps."""
    steps, rows = _positions(sizes)
    return padded[steps, rows]


def invert_permutation(indices: Any) -> Any:
    if indices is None:
        return None
    return jnp.zeros_like(indices).at[indices].set(jnp.arange(indices.shape[0], dtype=indices.dtype))


def pad_sequence(
    sequences: Sequence[jax.Array], batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> jax.Array:
    """Stacks sequences of shape (L_i, *) into (L_max, B, *), or (B, L_max, *) with batch_first."""
    op = "pad_sequence"
    if padding_side not in ("left", "right"):
        raise ValueError(f"{op}: padding_side must be 'left' or 'right', got {padding_side!r}")
    if isinstance(sequences, jax.Array) or not isinstance(sequences, Sequence) or len(sequences) == 0:
        raise ValueError(f"{op}: sequences must be a non-empty list of arrays, got {type(sequences).__name__}")
    arrays = [_checks.as_array(s, f"sequences[{i}]", op) for i, s in enumerate(sequences)]
    trailing = arrays[0].shape[1:]
    for i, a in enumerate(arrays):
        if a.ndim == 0 or a.shape[1:] != trailing:
            raise ValueError(f"{op}: every sequence must have shape (L, *{trailing}), got {tuple(a.shape)} at {i}")
    longest = max(a.shape[0] for a in arrays)
    pads = []
    for a in arrays:
        extra = [(0, longest - a.shape[0]) if padding_side == "right" else (longest - a.shape[0], 0)]
        pads.append(jnp.pad(a, extra + [(0, 0)] * len(trailing), constant_values=padding_value))
    return jnp.stack(pads, axis=0 if batch_first else 1)


def pack_padded_sequence(
    input: jax.Array, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Packs a padded batch (T, B, *) (or (B, T, *)) of sequences with the given concrete lengths."""
    op = "pack_padded_sequence"
    x = _checks.as_array(input, "input", op)
    lengths = static_ints(lengths, "lengths", op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected input of rank >= 2 (T, B, *), got shape {tuple(x.shape)}")
    if batch_first:
        x = jnp.swapaxes(x, 0, 1)
    if lengths.shape[0] != x.shape[1]:
        raise ValueError(f"{op}: expected {x.shape[1]} lengths (the batch size), got {lengths.shape[0]}")
    if lengths.size and lengths.min() <= 0:
        raise ValueError(
            f"{op}: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if lengths.size and lengths.max() > x.shape[0]:
        raise ValueError(f"{op}: lengths must be <= the padded length {x.shape[0]}, got {lengths.max()}")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise ValueError(
                f"{op}: `lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can "
                "pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
                "requirement if you do not need ONNX exportability."
            )
        order, sorted_indices = np.arange(len(lengths)), None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = jnp.asarray(order)
    sizes = (lengths[order][None, :] > np.arange(lengths.max())[:, None]).sum(axis=1)
    data = packed_from_padded(x[:, order], sizes)
    return PackedSequence(data, sizes, sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(
    sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0, total_length: int | None = None
) -> tuple[jax.Array, np.ndarray]:
    """The inverse of `pack_padded_sequence`: (padded batch in the original order, lengths as int64)."""
    op = "pad_packed_sequence"
    data, batch_sizes, _, unsorted = sequence
    sizes = checked_batch_sizes(batch_sizes, op)
    if total_length is not None and total_length < len(sizes):
        raise ValueError(
            f"{op}: Expected total_length to be at least the length of the longest sequence in the input, "
            f"but got total_length={total_length} and max sequence length being {len(sizes)}"
        )
    padded = padded_from_packed(_checks.as_array(data, "data", op), sizes, total_length, padding_value)
    lengths = lengths_from_batch_sizes(sizes)
    if unsorted is not None:
        padded = padded[:, unsorted]
        # The permutation is data: concrete eagerly (lengths stay numpy), traced under jit.
        lengths = lengths[np.asarray(unsorted)] if _checks.is_concrete(unsorted) else jnp.asarray(lengths)[unsorted]
    return (jnp.swapaxes(padded, 0, 1) if batch_first else padded), lengths


def pack_sequence(sequences: Sequence[jax.Array], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of sequences (L_i, *) (padding, then `pack_padded_sequence`)."""
    lengths = [np.shape(s)[0] if np.ndim(s) else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded: jax.Array, lengths: Any, batch_first: bool = False) -> list[jax.Array]:
    """The list of sequences inside a padded batch, each cut to its length."""
    lengths = static_ints(lengths, "lengths", "unpad_sequence")
    x = padded if batch_first else jnp.swapaxes(padded, 0, 1)
    return [x[i, : int(n)] for i, n in enumerate(lengths)]


def unpack_sequence(packed: PackedSequence) -> list[jax.Array]:
    """The list of sequences inside a packed batch, in the original order."""
    padded, lengths = pad_packed_sequence(packed, batch_first=True)
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
