"""Initialisers with PyTorch's distributions (torch.nn.init), as pure functions of a PRNG key.

Each takes `(key, shape, dtype=float32)` plus the distribution's options and returns
a new array; `fan_in`/`fan_out` follow PyTorch's `_calculate_fan_in_and_fan_out`
(dim 1 and dim 0 times the receptive field), so OIHW conv and (out, in) linear
weights get exactly PyTorch's bounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp

from .. import _checks

Shape = Sequence[int]
_GAINS_LINEAR = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def _checked(shape: Shape, op: str) -> tuple[int, ...]:
    """A shape of non-negative ints; XLA would reject a negative size with an MLIR error."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{op}: shape must be a sequence of ints, got {shape!r}") from None
    if not all(_checks.is_int(d) for d in dims):
        raise TypeError(f"{op}: shape must be a sequence of ints, got {shape!r}")
    if any(d < 0 for d in dims):
        raise ValueError(f"{op}: sizes must be non-negative, got {dims}")
    return dims


def fans(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) as PyTorch computes them."""
    if len(shape) < 2:
        raise ValueError(f"init: fan in and fan out need a shape with at least 2 dims, got {tuple(shape)}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain for a nonlinearity."""
    if nonlinearity in _GAINS_LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fan(shape: Shape, mode: str) -> int:
    _checks.one_of(mode, ("fan_in", "fan_out"), "mode", "init")
    fan_in, fan_out = fans(shape)
    return fan_in if mode == "fan_in" else fan_out


def uniform(key: jax.Array, shape: Shape, a: float = 0.0, b: float = 1.0, dtype=jnp.float32) -> jax.Array:
    """U(a, b)."""
    return jax.random.uniform(key, _checked(shape, "init.uniform"), dtype, minval=a, maxval=b)


def normal(key: jax.Array, shape: Shape, mean: float = 0.0, std: float = 1.0, dtype=jnp.float32) -> jax.Array:
    """N(mean, std^2)."""
    return mean + std * jax.random.normal(key, _checked(shape, "init.normal"), dtype)


def zeros(key: jax.Array | None, shape: Shape, dtype=jnp.float32) -> jax.Array:
    """All zeros (`key` unused; kept for the common signature)."""
    return jnp.zeros(_checked(shape, "init.zeros"), dtype)


def ones(key: jax.Array | None, shape: Shape, dtype=jnp.float32) -> jax.Array:
    """All ones (`key` unused)."""
    return jnp.ones(_checked(shape, "init.ones"), dtype)


def constant(key: jax.Array | None, shape: Shape, value: float, dtype=jnp.float32) -> jax.Array:
    """Every entry `value` (`key` unused)."""
    return jnp.full(_checked(shape, "init.constant"), value, dtype)


def xavier_uniform(key: jax.Array, shape: Shape, gain: float = 1.0, dtype=jnp.float32) -> jax.Array:
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(key, shape, -bound, bound, dtype)


def xavier_normal(key: jax.Array, shape: Shape, gain: float = 1.0, dtype=jnp.float32) -> jax.Array:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    return normal(key, shape, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), dtype)


def kaiming_uniform(
    key: jax.Array,
    shape: Shape,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    dtype=jnp.float32,
) -> jax.Array:
    """U(-b, b), b = gain * sqrt(3 / fan); with a=sqrt(5) this is PyTorch's default layer init."""
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(_fan(shape, mode))
    return uniform(key, shape, -bound, bound, dtype)


def kaiming_normal(
    key: jax.Array,
    shape: Shape,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    dtype=jnp.float32,
) -> jax.Array:
    """N(0, std^2) with std = gain / sqrt(fan)."""
    return normal(key, shape, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(shape, mode)), dtype)


def default_weight(key: jax.Array, shape: Shape, dtype=jnp.float32) -> jax.Array:
    """PyTorch's Linear/Conv default: kaiming_uniform with a=sqrt(5), i.e. U(+-1/sqrt(fan_in))."""
    return kaiming_uniform(key, shape, a=math.sqrt(5.0), dtype=dtype)


def default_bias(key: jax.Array, shape: Shape, fan_in: int, dtype=jnp.float32) -> jax.Array:
    """PyTorch's Linear/Conv default bias: U(+-1/sqrt(fan_in)) (zero bound when fan_in is 0)."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform(key, shape, -bound, bound, dtype)
