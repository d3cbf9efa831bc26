"""Channel-wise and self-normalising dropout: `dropout1d/2d/3d`, `alpha_dropout`, `feature_alpha_dropout`.

One kernel (PyTorch's `_dropout_impl`) serves all five: a Bernoulli(1 - p) keep mask over
the whole input, or over (N, C, 1, ...) for the feature ("channel") variants; plain dropout
scales the kept values by 1/(1-p), alpha dropout sets the dropped ones to SELU's negative
saturation and applies the affine map that keeps zero mean and unit variance. p = 1 gives zeros.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _checks
from . import _lowering

_SELU_SATURATION = 1.7580993408473766  # -SELU(-inf) = scale * alpha


def _dropout_impl(x, p, training, key, feature, alpha, op):
    p = _checks.probability(p, "p", op)
    x = _checks.as_array(x, "input", op)
    if p == 0.0 or not training or x.size == 0:
        return x
    if p == 1.0:
        return x * jnp.zeros((), x.dtype)
    if feature and x.ndim < 2:
        raise ValueError(f"{op}: Feature dropout requires at least 2 dimensions in the input, got shape {x.shape}")
    if key is None:
        raise ValueError(f"{op}: training=True with p={p} needs a PRNG key (key=jax.random.key(...))")
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = _lowering.bernoulli_mask(key, 1.0 - p, shape).astype(x.dtype)
    if not alpha:
        return x * (keep / (1.0 - p))
    a = 1.0 / ((_SELU_SATURATION**2 * p + 1) * (1 - p)) ** 0.5
    return x * (keep * a) + (keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p


def _unbatched(x, batched_ndim, op, p, training, key):
    """Channel dropout of an input that may lack its batch dim (`batched_ndim - 1` dims)."""
    x = _checks.as_array(x, "input", op)
    if x.ndim not in (batched_ndim - 1, batched_ndim):
        raise ValueError(f"{op}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but received a {x.ndim}D input")
    if x.ndim == batched_ndim:
        return _dropout_impl(x, p, training, key, True, False, op)
    return _dropout_impl(x[None], p, training, key, True, False, op)[0]


def dropout1d(input: jax.Array, p: float = 0.5, training: bool = True, *, key: jax.Array | None = None) -> jax.Array:
    """Zeroes whole channels of (N, C, L) or (C, L) with probability p, scaling the rest by 1/(1-p)."""
    return _unbatched(input, 3, "dropout1d", p, training, key)


def dropout2d(input: jax.Array, p: float = 0.5, training: bool = True, *, key: jax.Array | None = None) -> jax.Array:
    """Zeroes whole channels (dim 1) with probability p; a 3-D input is (N, C, L), as PyTorch still reads it."""
    return _dropout_impl(input, p, training, key, True, False, "dropout2d")


def dropout3d(input: jax.Array, p: float = 0.5, training: bool = True, *, key: jax.Array | None = None) -> jax.Array:
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p."""
    return _unbatched(input, 5, "dropout3d", p, training, key)


def alpha_dropout(input: jax.Array, p: float = 0.5, training: bool = False, *, key: jax.Array | None = None):
    """Dropout for SELU networks: keeps the input's mean and variance (PyTorch's AlphaDropout)."""
    return _dropout_impl(input, p, training, key, False, True, "alpha_dropout")


def feature_alpha_dropout(input: jax.Array, p: float = 0.5, training: bool = False, *, key: jax.Array | None = None):
    """Alpha dropout of whole channels (dim 1)."""
    return _dropout_impl(input, p, training, key, True, True, "feature_alpha_dropout")


OPS = {f.__name__: f for f in (dropout1d, dropout2d, dropout3d, alpha_dropout, feature_alpha_dropout)}
