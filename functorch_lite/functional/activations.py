"""Elementwise activations and (log-)softmax with torch.nn.functional's names and defaults."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from .. import _checks


def relu(input: jax.Array) -> jax.Array:
    """max(x, 0)."""
    return jax.nn.relu(_checks.as_array(input, "input", "relu"))


def leaky_relu(input: jax.Array, negative_slope: float = 0.01) -> jax.Array:
    """x if x > 0 else negative_slope * x."""
    x = _checks.as_array(input, "input", "leaky_relu")
    _checks.number(negative_slope, "negative_slope", "leaky_relu")
    # Strictly positive, as PyTorch: the derivative at exactly 0 is negative_slope.
    return jnp.where(x > 0, x, negative_slope * x)


def gelu(input: jax.Array, approximate: str = "none") -> jax.Array:
    """Gaussian error linear unit; approximate='tanh' uses the tanh formula."""
    approximate = gelu_approximation(approximate, "gelu")
    return jax.nn.gelu(_checks.as_array(input, "input", "gelu"), approximate=approximate == "tanh")


def gelu_approximation(approximate: str, op: str) -> str:
    """GELU's `approximate` option, checked: 'none' or 'tanh' (the GELU layer calls it too)."""
    return _checks.one_of(approximate, ("none", "tanh"), "approximate", op)


def sigmoid(input: jax.Array) -> jax.Array:
    """1 / (1 + exp(-x))."""
    return jax.nn.sigmoid(_checks.as_array(input, "input", "sigmoid"))


def tanh(input: jax.Array) -> jax.Array:
    """Hyperbolic tangent."""
    return jnp.tanh(_checks.as_array(input, "input", "tanh"))


def _softmax_dim(x: jax.Array, dim: int | None, op: str) -> int | None:
    if dim is None:  # PyTorch's deprecated implicit choice, kept for compatibility
        warnings.warn(f"{op}: implicit dimension choice is deprecated; pass dim=", UserWarning, stacklevel=3)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    dim = _checks.normalize_dim(dim, x.ndim, op)
    return dim if x.ndim else None  # a 0-d input (dim 0 or -1, as PyTorch accepts) is its own softmax group


def softmax(input: jax.Array, dim: int | None = None, dtype=None) -> jax.Array:
    """exp(x) / sum(exp(x)) along `dim`."""
    x = _checks.as_array(input, "input", "softmax")
    x = x if dtype is None else x.astype(dtype)
    return jax.nn.softmax(x, axis=_softmax_dim(x, dim, "softmax"))


def log_softmax(input: jax.Array, dim: int | None = None, dtype=None) -> jax.Array:
    """x - logsumexp(x) along `dim`."""
    x = _checks.as_array(input, "input", "log_softmax")
    x = x if dtype is None else x.astype(dtype)
    return jax.nn.log_softmax(x, axis=_softmax_dim(x, dim, "log_softmax"))
