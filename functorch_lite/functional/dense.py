"""Linear, embedding, dropout and flatten with PyTorch's layouts and semantics."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _checks, _value_checks


def linear(input: jax.Array, weight: jax.Array, bias: jax.Array | None = None) -> jax.Array:
    """x @ weight.T + bias, with weight of shape (out_features, in_features)."""
    op = "linear"
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
    y = jnp.matmul(x, w.T, precision=jax.lax.Precision.HIGHEST)
    if bias is not None:
        b = _checks.as_array(bias, "bias", op)
        if b.shape != (w.shape[0],):
            raise ValueError(f"{op}: expected bias of shape ({w.shape[0]},), got {tuple(b.shape)}")
        y = y + b
    return y


def flatten(input: jax.Array, start_dim: int = 0, end_dim: int = -1) -> jax.Array:
    """Merges dims start_dim..end_dim into one (torch.flatten)."""
    x = _checks.as_array(input, "input", "flatten")
    if x.ndim == 0:
        return x.reshape(1)
    start = _checks.normalize_dim(start_dim, x.ndim, "flatten")
    end = _checks.normalize_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
    return x.reshape(*x.shape[:start], -1, *x.shape[end + 1 :])


def dropout(input: jax.Array, p: float = 0.5, training: bool = True, *, key: jax.Array | None = None) -> jax.Array:
    """Zeroes each element with probability p and scales the rest by 1/(1-p) when training."""
    op = "dropout"
    p = _checks.probability(p, "p", op)
    x = _checks.as_array(input, "input", op)
    if not training or p == 0.0:
        return x
    if key is None:
        raise ValueError(f"{op}: training=True with p={p} needs a PRNG key (key=jax.random.key(...))")
    if p == 1.0:
        return jnp.zeros_like(x)
    keep = jax.random.bernoulli(key, 1.0 - p, x.shape)
    return jnp.where(keep, x / (1.0 - p), jnp.zeros((), x.dtype))


def embedding(input: jax.Array, weight: jax.Array, padding_idx: int | None = None) -> jax.Array:
    """Rows of `weight` (num_embeddings, dim) picked by integer `input`; padding_idx: no grad."""
    op = "embedding"
    idx = _checks.as_array(input, "input", op)
    w = _checks.as_array(weight, "weight", op)
    _checks.rank(w, (2,), "weight", op, "(num_embeddings, embedding_dim)")
    if not jnp.issubdtype(idx.dtype, jnp.integer):
        raise TypeError(f"{op}: expected integer indices, got dtype {idx.dtype}")
    n = w.shape[0]
    _value_checks.check_values(_value_checks.rows_in_range, idx, n, op)
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"{op}: padding_idx must be within [-{n}, {n}), got {padding_idx}")
        row = jnp.arange(n)[:, None] == (padding_idx % n)
        w = jnp.where(row, jax.lax.stop_gradient(w), w)
    return jnp.take(w, idx, axis=0)
