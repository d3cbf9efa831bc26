"""`linear`, `embedding`, `dropout` and `flatten` with torch.nn.functional's layouts and semantics."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _checks, _value_checks
from .._precision import matmul_precision
from . import _lowering


def _linear_args(input, weight, bias, op="linear"):
    """Checked arrays of one linear call: weight (out, in), input (..., in), bias (out,)."""
    x = _checks.as_array(input, "input", op)
    w = _checks.as_array(weight, "weight", op)
    _checks.rank(w, (2,), "weight", op, "(out_features, in_features)")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(
            f"{op}: expected input with last dimension {w.shape[1]} (weight {tuple(w.shape)}), "
            f"got input of shape {tuple(x.shape)}"
        )
    _checks.floating(x, "input", op)
    _checks.same_dtype(x, w, "input and weight", op)
    b = None if bias is None else _checks.as_array(bias, "bias", op)
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"{op}: expected bias of shape ({w.shape[0]},), got {tuple(b.shape)}")
    return x, w, b


def linear(input: jax.Array, weight: jax.Array, bias: jax.Array | None = None) -> jax.Array:
    """`input @ weight.T + bias`, with weight of shape (out_features, in_features), as in PyTorch."""
    x, w, b = _linear_args(input, weight, bias)
    y = jnp.matmul(x, w.T, precision=matmul_precision())
    return y if b is None else y + b


def flatten(input: jax.Array, start_dim: int = 0, end_dim: int = -1) -> jax.Array:
    """Merges dims `start_dim` .. `end_dim` into one, as `torch.flatten`."""
    x = _checks.as_array(input, "input", "flatten")
    if x.ndim == 0:
        return x.reshape(1)
    start, end = (_checks.normalize_dim(d, x.ndim, "flatten") for d in (start_dim, end_dim))
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
    return x.reshape(*x.shape[:start], -1, *x.shape[end + 1 :])


def dropout(input: jax.Array, p: float = 0.5, training: bool = True, *, key: jax.Array | None = None) -> jax.Array:
    """Zeroes each element with probability `p` and scales the rest by 1/(1-p) when training.

    Args:
        key: a PRNG key; required when `training` and `p > 0`.
    """
    p = _checks.probability(p, "p", "dropout")
    x = _checks.as_array(input, "input", "dropout")
    if not training or p == 0.0:
        return x
    if key is None:
        raise ValueError(f"dropout: training=True with p={p} needs a PRNG key (key=jax.random.key(...))")
    if p == 1.0:
        return jnp.zeros_like(x)
    keep = _lowering.bernoulli_mask(key, 1.0 - p, x.shape)
    return jnp.where(keep, x / (1.0 - p), jnp.zeros((), x.dtype))


def padding_index(padding_idx: Any, num_embeddings: int, op: str) -> int | None:
    """`padding_idx` as a row index in [0, num_embeddings), or None; PyTorch accepts negatives."""
    if padding_idx is None:
        return None
    n = num_embeddings
    if not _checks.is_int(padding_idx) or not -n <= padding_idx < n:
        raise ValueError(f"{op}: padding_idx must be an int within [-{n}, {n}), got {padding_idx!r}")
    return int(padding_idx) % n


def _embedding_args(input, weight, padding_idx, op="embedding"):
    """Checked indices and table of one embedding call, and the padding row (or None)."""
    idx = _checks.as_array(input, "input", op)
    w = _checks.as_array(weight, "weight", op)
    _checks.rank(w, (2,), "weight", op, "(num_embeddings, embedding_dim)")
    if not jnp.issubdtype(idx.dtype, jnp.integer):
        raise TypeError(f"{op}: expected integer indices, got dtype {idx.dtype}")
    n = w.shape[0]
    _value_checks.check_values(_value_checks.rows_in_range, idx, n, op)
    return idx, w, padding_index(padding_idx, n, op)


def embedding(input: jax.Array, weight: jax.Array, padding_idx: int | None = None) -> jax.Array:
    """Rows of `weight` (num_embeddings, dim) picked by integer `input`; the `padding_idx` row gets no grad."""
    idx, w, pad = _embedding_args(input, weight, padding_idx)
    if pad is not None:
        w = jnp.where((jnp.arange(w.shape[0]) == pad)[:, None], jax.lax.stop_gradient(w), w)
    return jnp.take(w, idx, axis=0)
