"""Random draws shaped by tensors: in-place fills (`uniform_`, `normal_`, ...), `normal`, `bernoulli`, ...

Each draw is a pure jax function of a PRNG key taken from the library's generator
(`functorch_lite.random`, or a `generator=` argument), run through the dispatcher like any op, so a
seeded program is reproducible and the key is data (one compiled program per shape). The in-place
fills rebind the tensor, as every in-place method does. `normal` and `bernoulli` keep the tape:
`normal(mean, std)` is `mean + std * eps` (the reparameterised sample), `bernoulli` has no gradient.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _checks, _value_checks
from ..autograd.dispatch import apply
from . import dtypes as _dtypes
from .creation import _finish, _key, _shape
from .tensor import Tensor


def _uniform(x, key, low, high):
    return jax.random.uniform(key, x.shape, x.dtype, low, high)


def _normal(x, key, mean, std):
    return mean + std * jax.random.normal(key, x.shape, x.dtype)


def _log_normal(x, key, mean, std):
    return jnp.exp(mean + std * jax.random.normal(key, x.shape, x.dtype))


def _exponential(x, key, lambd):
    return jax.random.exponential(key, x.shape, x.dtype) / lambd


def _cauchy(x, key, median, sigma):
    return median + sigma * jax.random.cauchy(key, x.shape, x.dtype)


def _geometric(x, key, p):
    # The number of Bernoulli(p) trials up to the first success: 1, 2, 3, ...
    u = jax.random.uniform(key, x.shape, jnp.float32, jnp.finfo(jnp.float32).tiny, 1.0)
    return (jnp.floor(jnp.log(u) / jnp.log1p(-p)) + 1).astype(x.dtype)


def _floating_self(tensor: Tensor, op: str) -> None:
    if not _dtypes.is_floating(tensor.dtype):
        raise TypeError(f"{op}: expected a floating tensor, got {tensor.dtype}")


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fills `self` with samples of U[from_, to)."""
    _floating_self(self, "uniform_")
    if not from_ <= to:
        raise ValueError(f"uniform_: expects from <= to, got from={from_}, to={to}")
    return self._inplace(_uniform, _key(generator), float(from_), float(to))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fills `self` with samples of N(mean, std^2)."""
    _floating_self(self, "normal_")
    _checks.non_negative(std, "std", "normal_")
    return self._inplace(_normal, _key(generator), float(mean), float(std))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
    """Fills `self` with exp(N(mean, std^2)) samples."""
    _floating_self(self, "log_normal_")
    _checks.real(std, "std", "log_normal_", ok=lambda s: s > 0, expected="a positive number")
    return self._inplace(_log_normal, _key(generator), float(mean), float(std))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fills `self` with Exponential(lambd) samples."""
    _floating_self(self, "exponential_")
    _checks.real(lambd, "lambd", "exponential_", ok=lambda v: v > 0, expected="a positive number")
    return self._inplace(_exponential, _key(generator), float(lambd))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fills `self` with Cauchy(median, sigma) samples."""
    _floating_self(self, "cauchy_")
    _checks.real(sigma, "sigma", "cauchy_", ok=lambda s: s > 0, expected="a positive number")
    return self._inplace(_cauchy, _key(generator), float(median), float(sigma))


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Fills `self` with Geometric(p) samples (the trial of the first success: 1, 2, ...)."""
    _checks.real(p, "p", "geometric_", ok=lambda v: 0 < v < 1, expected="a probability in (0, 1)")
    return self._inplace(_geometric, _key(generator), float(p))


def _normal_tensors(mean, std, key):
    # As torch.normal: the sample stays on the graph (requires_grad) but its gradient to mean and std is zero.
    sample = mean + std * jax.random.normal(key, jnp.broadcast_shapes(mean.shape, std.shape), mean.dtype)
    return jax.lax.stop_gradient(sample)


def normal(
    mean: Any, std: Any = 1.0, size: Any = None, *, generator: Any = None, dtype: Any = None, **factory: Any
) -> Tensor:
    """`torch.normal`: N(mean, std^2) samples; `mean`/`std` tensors broadcast, numbers need `size`."""
    tensors = isinstance(mean, Tensor) or isinstance(std, Tensor)
    if not tensors:
        if size is None:
            raise TypeError("normal: with a number mean and std, pass size=, e.g. normal(0.0, 1.0, (2, 3))")
        _checks.non_negative(std, "std", "normal")
        dtype = _dtypes.as_dtype(dtype, "normal") if dtype is not None else _dtypes.get_default_dtype()
        sample = jax.random.normal(_key(generator), _shape((size,), "normal"), dtype)
        return _finish(mean + std * sample, None, factory.get("device"), factory.get("requires_grad", False), "normal")
    reference = mean if isinstance(mean, Tensor) else std
    if not _dtypes.is_floating(reference.dtype):
        raise TypeError(f"normal: expected floating mean and std, got {reference.dtype}")
    mean = mean if isinstance(mean, Tensor) else Tensor(jnp.asarray(mean, reference.dtype))
    std = std if isinstance(std, Tensor) else Tensor(jnp.asarray(std, reference.dtype))
    if _checks.is_concrete(std._array) and bool(jnp.any(std._array < 0)):
        raise ValueError("normal: std must be >= 0, got a negative value")
    return apply(_normal_tensors, mean, std, _key(generator))


def _bernoulli(p, key):
    return (jax.random.uniform(key, p.shape, jnp.float32) < p).astype(p.dtype)


def bernoulli(input: Tensor, p: Any = None, *, generator: Any = None) -> Tensor:
    """0/1 samples with probabilities `input` (or the number `p`), in `input`'s dtype."""
    probabilities = input if p is None else input.new_full(tuple(input.shape), float(p))
    _value_checks.check_values(_value_checks.probabilities, probabilities._array, "bernoulli")
    return apply(_bernoulli, probabilities.detach(), _key(generator))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fills `self` with 0/1 samples of probability `p` (a number or a tensor)."""
    probabilities = p if isinstance(p, Tensor) else jnp.asarray(_checks.probability(p, "p", "bernoulli_"))
    return self._inplace(_bernoulli_fill, probabilities, _key(generator))


def _bernoulli_fill(x, p, key):
    return (jax.random.uniform(key, x.shape, jnp.float32) < jnp.broadcast_to(p, x.shape)).astype(x.dtype)


def _multinomial(weights, key, num_samples, replacement):
    logits = jnp.log(weights)
    if replacement:
        shape = (num_samples, *weights.shape[:-1])
        return jnp.moveaxis(jax.random.categorical(key, logits, shape=shape), 0, -1).astype(jnp.int32)
    # Sampling without replacement is a top-k of Gumbel-perturbed logits.
    perturbed = logits + jax.random.gumbel(key, weights.shape, jnp.float32)
    return jax.lax.top_k(perturbed, num_samples)[1].astype(jnp.int32)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Tensor:
    """Indices drawn from the rows of `input` (non-negative weights), as `torch.multinomial`."""
    if input.ndim not in (1, 2):
        raise ValueError(f"multinomial: expected a 1-D or 2-D weight tensor, got {input.ndim}-D")
    _checks.positive_int(num_samples, "num_samples", "multinomial")
    if not replacement and num_samples > input.shape[-1]:
        raise ValueError(
            f"multinomial: cannot sample num_samples={num_samples} > {input.shape[-1]} categories without replacement"
        )
    _value_checks.check_values(_value_checks.distribution, input._array, "multinomial")
    return apply(_multinomial, input.detach(), _key(generator), int(num_samples), bool(replacement))


def randint_like(
    input: Tensor, low: int = 0, high: Any = None, *, generator: Any = None, dtype: Any = None, **factory: Any
) -> Tensor:
    """Random integers in [low, high) shaped like `input` (`randint_like(x, high)` or `(x, low, high)`)."""
    if high is None:
        low, high = 0, low
    if not high > low:
        raise ValueError(f"randint_like: expected low < high, got low={low}, high={high}")
    dtype = dtype if dtype is not None else input.dtype
    array = jax.random.randint(_key(generator), tuple(input.shape), int(low), int(high), jnp.int32)
    return _finish(array, dtype, factory.get("device"), factory.get("requires_grad", False), "randint_like")


METHODS = {
    f.__name__: f
    for f in (uniform_, normal_, log_normal_, exponential_, cauchy_, geometric_, bernoulli, bernoulli_, multinomial)
}
FUNCTIONS = {f.__name__: f for f in (normal, bernoulli, multinomial, randint_like)}
