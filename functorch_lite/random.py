"""The global random generator behind `manual_seed`, `rand`, `randn`, `randint`, dropout.

PyTorch keeps hidden RNG state; JAX wants explicit keys. A `Generator` holds one raw
threefry key (uint32[2]) and hands out a fresh subkey per draw (`next_key`), so seeding
once makes a whole program reproducible. `get_state()`/`set_state()` expose the raw
key so `compile` and checkpoints can carry it as an ordinary array; while a step is
being traced the key may be a tracer and drawing still works.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_split = jax.jit(lambda key: tuple(jax.random.split(key)))


def _key_from_seed(seed: int) -> np.ndarray:
    """The threefry key jax.random.PRNGKey builds: (high 32 bits, low 32 bits) of the seed."""
    seed %= 2**64  # PyTorch accepts any int and wraps it into 64 bits
    return np.array([(seed >> 32) & 0xFFFFFFFF, seed & 0xFFFFFFFF], dtype=np.uint32)


class Generator:
    """A stream of PRNG keys: `Generator().manual_seed(0).next_key()`."""

    def __init__(self, device: Any = "cpu", seed: int = 0):
        self.device = device
        self._initial_seed = seed
        # numpy until the first draw: creating a jax array here would start JAX's backend on
        # `import functorch_lite`, after which jax.distributed.initialize() can no longer run.
        self._key: Any = _key_from_seed(seed)

    def manual_seed(self, seed: int) -> Generator:
        """Restarts the stream from `seed`; returns self, as PyTorch does."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        self._initial_seed = int(seed)
        self._key = _key_from_seed(int(seed))
        return self

    def initial_seed(self) -> int:
        return self._initial_seed

    def next_key(self) -> jax.Array:
        """A fresh key for one draw; advances the stream."""
        if isinstance(self._key, jax.core.Tracer):
            self._key, key = jax.random.split(self._key)
        else:
            self._key, key = _split(self._key)
        return key

    def get_state(self) -> jax.Array:
        """The raw key data, uint32[2] (a tracer while a step is being traced)."""
        return self._key

    def set_state(self, state: Any) -> Generator:
        """Restores a state from `get_state()` (a jax/numpy array or a Tensor holding one)."""
        state = getattr(state, "array", state)
        if not hasattr(state, "dtype"):
            state = np.asarray(state)
        shape, dtype = tuple(state.shape), np.dtype(state.dtype)
        if shape != (2,) or dtype != np.uint32:
            raise ValueError(f"Generator.set_state: expected a uint32 array of shape (2,), got {dtype} {shape}")
        self._key = state if isinstance(state, jax.Array) else jnp.asarray(state)
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seeds the global generator (PyTorch's `torch.manual_seed`)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seeds the global generator from the OS and returns the seed."""
    value = int(np.random.SeedSequence().entropy % 2**63)
    default_generator.manual_seed(value)
    return value


def initial_seed() -> int:
    """The seed the global generator started from."""
    return default_generator.initial_seed()


def get_rng_state() -> jax.Array:
    """The global generator's state, for `set_rng_state`."""
    return default_generator.get_state()


def set_rng_state(state: Any) -> None:
    """Restores the global generator to a state from `get_rng_state`."""
    default_generator.set_state(state)
