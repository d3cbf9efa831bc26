"""Seeds for the data pipeline: every shuffle is a pure function of (seed, epoch).

A sampler or split never keeps a mutable random stream. It keeps an integer
seed and derives a fresh `numpy.random.Generator(PCG64)` from `(seed, epoch)`
whenever it needs randomness, so two loaders with one seed agree, a new epoch
gets a new order, and a run can resume from `(seed, epoch)` alone.
"""

from __future__ import annotations

import numbers

import numpy as np


def resolve_seed(seed: int | None, generator: np.random.Generator | int | None, owner: str) -> int:
    """Turns the `seed=` / `generator=` arguments of `owner` into one integer seed.

    `generator` may be an int (used as the seed) or a numpy Generator (one
    integer is drawn from it, so its state decides the order). With neither,
    fresh OS entropy is used: unreproducible, as torch's default generator is,
    but still recorded so that a state_dict can replay it.
    """
    if seed is not None and generator is not None:
        raise ValueError(f"{owner}: pass seed= or generator=, not both (got seed={seed!r} and generator={generator!r})")
    if generator is not None:
        if isinstance(generator, np.random.Generator):
            return int(generator.integers(0, 2**63))
        seed = generator
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"{owner}: seed/generator must be a non-negative int or a numpy.random.Generator, got {seed!r}")
    return int(seed)


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The generator for one epoch: seeded from the pair (seed, epoch), nothing else."""
    return np.random.Generator(np.random.PCG64([seed, epoch]))
