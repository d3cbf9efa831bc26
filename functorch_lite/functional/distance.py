"""`pdist`: the p-norm distances between all pairs of rows, as torch.nn.functional.pdist.

The row pairs (i < j, row-major) are a static index table; zero differences are masked out
before the power so the gradient is PyTorch's (0 where a difference or a distance is 0,
never NaN), for every p >= 0 including inf.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks


def _p_norm(diff: jax.Array, p: float) -> jax.Array:
    """The p-norm of `diff` over its last dim, with zero gradient wherever a term or the norm is 0."""
    magnitude = jnp.abs(diff)
    if p == 0:
        return jnp.sum(magnitude != 0, axis=-1).astype(diff.dtype)
    nonzero = magnitude > 0
    if p == float("inf"):
        return jnp.max(jnp.where(nonzero, magnitude, 0), axis=-1, initial=0.0)
    terms = jnp.where(nonzero, jnp.where(nonzero, magnitude, 1) ** p, 0)
    total = jnp.sum(terms, axis=-1)
    positive = total > 0
    return jnp.where(positive, jnp.where(positive, total, 1) ** (1.0 / p), 0)


def pdist(input: jax.Array, p: float = 2.0) -> jax.Array:
    """Distances ||x_i - x_j||_p for the N(N-1)/2 row pairs i < j of `input` (N, M), in row-major order."""
    op = "pdist"
    x = _checks.as_array(input, "input", op)
    if x.ndim != 2:
        raise ValueError(f"{op}: pdist only supports 2D tensors, got: {x.ndim}D")
    _checks.floating(x, "input", op)
    if not _checks.is_real_scalar(p) or not float(p) >= 0:
        raise ValueError(f"{op}: pdist only supports non-negative p values, got {p!r}")
    first, second = np.triu_indices(x.shape[0], 1)
    return _p_norm(x[first] - x[second], float(p))


OPS = {"pdist": pdist}
