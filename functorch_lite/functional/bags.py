"""`embedding_bag` (sums, means or maxima of bags of embedding rows) and `one_hot`, as torch.nn.functional.

Bags are either the rows of a 2-D `input` or the runs of a 1-D `input` that start at `offsets`;
each looked-up row is given its bag number (a `searchsorted` of its position in `offsets`) and
reduced with a segment sum or max, so the number of bags is static and offsets may be traced.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks, _value_checks
from .dense import padding_index

_MODES = ("sum", "mean", "max")


def _bags(idx, offsets, include_last_offset, op):
    """(flat indices, bag number per index, number of bags) for 2-D input or 1-D input with offsets."""
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{op}: if input is 2D, then offsets has to be None, as input is treated as a mini-batch")
        bags, length = idx.shape
        return idx.reshape(-1), jnp.repeat(jnp.arange(bags), length), bags
    if idx.ndim != 1:
        raise ValueError(f"{op}: input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if offsets is None:
        raise ValueError(f"{op}: offsets has to be a 1D Tensor but got None")
    offsets = _checks.as_array(offsets, "offsets", op)
    if offsets.ndim != 1 or not jnp.issubdtype(offsets.dtype, jnp.integer):
        raise ValueError(f"{op}: offsets has to be a 1D integer Tensor, got shape {offsets.shape} {offsets.dtype}")
    bags = offsets.shape[0] - 1 if include_last_offset else offsets.shape[0]
    if bags < 0:
        raise ValueError(f"{op}: include_last_offset=True needs at least one offset")
    # Positions past the last bag's end (include_last_offset) get bag number `bags`: dropped by the segment ops.
    segments = jnp.searchsorted(offsets, jnp.arange(idx.shape[0]), side="right") - 1
    return idx, segments, bags


def embedding_bag(
    input: jax.Array,
    weight: jax.Array,
    offsets: jax.Array | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: jax.Array | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> jax.Array:
    """Reduces bags of rows of `weight` (num_embeddings, dim) to one row per bag: (bags, dim).

    `padding_idx` entries are left out of their bag (and of its count for 'mean'); an empty bag
    gives zeros. `per_sample_weights` (the shape of `input`) scale the rows, 'sum' mode only.
    """
    op = "embedding_bag"
    idx = _checks.as_array(input, "input", op)
    w = _checks.as_array(weight, "weight", op)
    _checks.rank(w, (2,), "weight", op, "(num_embeddings, embedding_dim)")
    if not jnp.issubdtype(idx.dtype, jnp.integer):
        raise TypeError(f"{op}: expected integer indices, got dtype {idx.dtype}")
    mode = _checks.one_of(mode, _MODES, "mode", op)
    if max_norm is not None:
        raise ValueError(
            f"{op}: max_norm is not supported (PyTorch rescales weight rows in place; arrays are immutable)"
        )
    if sparse:
        raise ValueError(f"{op}: sparse=True is not supported: sparse gradients are out of scope on JAX")
    if per_sample_weights is not None and mode != "sum":
        raise ValueError(
            f"{op}: embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for "
            f"mode='sum' (got mode='{mode}'). Please open a feature request on GitHub."
        )
    n = w.shape[0]
    _value_checks.check_values(_value_checks.index_in_range, idx, n, op, dim=0)
    pad = padding_index(padding_idx, n, op)
    flat, segments, bags = _bags(idx, offsets, include_last_offset, op)
    rows = jnp.take(w, flat, axis=0, mode="clip")
    if scale_grad_by_freq:  # each row's gradient divided by how often its index occurs in the mini-batch
        counts = jnp.zeros((n,), w.dtype).at[flat].add(1.0)[flat][:, None]
        rows = jax.lax.stop_gradient(rows) + (rows - jax.lax.stop_gradient(rows)) / counts
    if per_sample_weights is not None:
        psw = _checks.as_array(per_sample_weights, "per_sample_weights", op)
        if psw.shape != idx.shape:
            raise ValueError(f"{op}: expected per_sample_weights of shape {idx.shape} (input's), got {psw.shape}")
        rows = rows * psw.reshape(-1, 1).astype(w.dtype)
    keep = jnp.ones(flat.shape, bool) if pad is None else flat != pad
    segments = jnp.where(keep, segments, bags)  # padding entries join no bag
    if mode == "max":
        top = jax.ops.segment_max(rows, segments, bags)
        filled = jax.ops.segment_sum(keep.astype(jnp.int32), segments, bags)[:, None] > 0
        return jnp.where(filled, top, jnp.zeros((), w.dtype))
    total = jax.ops.segment_sum(rows, segments, bags)
    if mode == "sum":
        return total
    count = jax.ops.segment_sum(keep.astype(w.dtype), segments, bags)[:, None]
    return total / jnp.maximum(count, 1)


def one_hot(tensor: jax.Array, num_classes: int = -1) -> jax.Array:
    """Integer class labels as one-hot int32 vectors along a new last dim (PyTorch's int64 is int32 here).

    `num_classes=-1` takes the largest label + 1, which needs concrete labels (the output shape).
    """
    labels, classes = _labels(tensor), _checks.integer(num_classes, "num_classes", "one_hot")
    classes = inferred_classes(labels) if classes < 0 else classes
    _value_checks.check_values(_value_checks.num_classes, labels, classes, "one_hot")
    return (labels[..., None] == jnp.arange(classes, dtype=labels.dtype)).astype(jnp.int32)


def _labels(tensor: Any) -> jax.Array:
    labels = _checks.as_array(tensor, "tensor", "one_hot")
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise TypeError(f"one_hot: one_hot is only applicable to index tensor, got dtype {labels.dtype}")
    return labels


def inferred_classes(tensor: Any) -> int:
    """one_hot's class count for num_classes=-1: the largest label + 1 (the labels must be concrete)."""
    labels = _labels(tensor)
    if not _checks.is_concrete(labels):
        raise ValueError(
            "one_hot: num_classes=-1 takes the class count from the labels' values, which are unknown under "
            "jit or compile; pass num_classes"
        )
    _value_checks.check_values(_value_checks.num_classes, labels, -1, "one_hot")
    if labels.size == 0:
        raise ValueError("one_hot: Can not infer total number of classes from empty tensor.")
    return int(np.max(np.asarray(labels))) + 1


OPS = {f.__name__: f for f in (embedding_bag, one_hot)}
