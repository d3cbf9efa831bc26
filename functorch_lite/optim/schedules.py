"""Learning-rate schedules: pure functions of the step count, valued like torch's lr_scheduler.

A schedule maps ``step`` (the number of optimizer updates already done; the first update
uses ``schedule(0)``) to a learning rate. Each one is the closed form of the torch
scheduler of the same name, stepped once per update:

    schedule = step_lr(0.1, step_size=30)      # value at step t == torch StepLR after t steps
    optimizer = adam(lr=schedule)

On a Python integer a schedule returns a Python float computed in double precision
(as torch does); on a jax integer array, traced or not, it returns a float32 jax array,
so a schedule can live inside ``jax.jit``.
"""

from __future__ import annotations

import bisect
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from .. import _checks as checks

Schedule = Callable[[Any], Any]


def _backend(step: Any):
    """numpy (float64) for concrete integers, jax.numpy for arrays and tracers."""
    if isinstance(step, (int, np.integer)) and not isinstance(step, bool):
        return np
    return jnp


def _finish(value: Any, xp) -> Any:
    return float(value) if xp is np else jnp.asarray(value, jnp.float32)


def _check_number(name: str, argument: str, value: Any, minimum: float = 0.0) -> None:
    expected = f"a number >= {minimum}"
    checks.real(value, argument, name, ok=lambda x: x >= minimum, expected=expected, type_error=ValueError)


def _check_positive_int(name: str, argument: str, value: Any) -> None:
    checks.positive_int(value, argument, name, noun="integer")


def constant(lr: float) -> Schedule:
    """The same ``lr`` at every step."""
    _check_number("constant", "lr", lr)
    return lambda step: _finish(lr, _backend(step))


def step_lr(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """torch StepLR: ``lr * gamma ** (step // step_size)``."""
    _check_number("step_lr", "lr", lr)
    _check_positive_int("step_lr", "step_size", step_size)
    _check_number("step_lr", "gamma", gamma)

    def schedule(step):
        xp = _backend(step)
        return _finish(lr * xp.power(gamma, step // step_size), xp)

    return schedule


def multistep_lr(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """torch MultiStepLR: ``lr * gamma ** (number of milestones <= step)``."""
    _check_number("multistep_lr", "lr", lr)
    _check_number("multistep_lr", "gamma", gamma)
    if not isinstance(milestones, Sequence) or not all(
        isinstance(m, numbers.Integral) and not isinstance(m, bool) and m >= 0 for m in milestones
    ):
        raise ValueError(f"multistep_lr: milestones must be a sequence of non-negative integers, got {milestones!r}")
    milestones = sorted(int(m) for m in milestones)

    def schedule(step):
        xp = _backend(step)
        passed = xp.sum(xp.asarray(milestones, dtype=np.int32) <= step)
        return _finish(lr * xp.power(gamma, passed), xp)

    return schedule


def exponential_lr(lr: float, gamma: float) -> Schedule:
    """torch ExponentialLR: ``lr * gamma ** step``."""
    _check_number("exponential_lr", "lr", lr)
    _check_number("exponential_lr", "gamma", gamma)

    def schedule(step):
        xp = _backend(step)
        return _finish(lr * xp.power(gamma, step), xp)

    return schedule


def cosine_annealing_lr(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:  # noqa: N803
    """torch CosineAnnealingLR (closed form):
    ``eta_min + (lr - eta_min) * (1 + cos(pi * step / T_max)) / 2``; periodic past T_max."""
    _check_number("cosine_annealing_lr", "lr", lr)
    _check_positive_int("cosine_annealing_lr", "T_max", T_max)
    _check_number("cosine_annealing_lr", "eta_min", eta_min)

    def schedule(step):
        xp = _backend(step)
        # (1 + cos(pi t / T)) / 2 == sin(pi (T - t) / 2T)**2; the latter has no cancellation
        # near t = T, where float32 would otherwise lose the small learning rates.
        half_cosine = xp.sin(np.pi / 2 * ((T_max - xp.asarray(step)) / T_max))
        return _finish(eta_min + (lr - eta_min) * half_cosine**2, xp)

    return schedule


def linear_lr(lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5) -> Schedule:
    """torch LinearLR: ``lr`` times a factor going linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` steps, then constant. A linear warm-up."""
    _check_number("linear_lr", "lr", lr)
    if not isinstance(start_factor, numbers.Real) or not 0 < start_factor <= 1:
        raise ValueError(f"linear_lr: start_factor must be in (0, 1], got {start_factor!r}")
    if not isinstance(end_factor, numbers.Real) or not 0 <= end_factor <= 1:
        raise ValueError(f"linear_lr: end_factor must be in [0, 1], got {end_factor!r}")
    _check_positive_int("linear_lr", "total_iters", total_iters)

    def schedule(step):
        xp = _backend(step)
        progress = xp.minimum(step, total_iters) / total_iters
        return _finish(lr * (start_factor + (end_factor - start_factor) * progress), xp)

    return schedule


def sequential_lr(schedules: Sequence[Schedule], milestones: Sequence[int]) -> Schedule:
    """torch SequentialLR: ``schedules[i]`` runs from ``milestones[i - 1]`` on, restarted
    at its own step 0 there (e.g. ``linear_lr`` warm-up, then ``cosine_annealing_lr``)."""
    if not schedules or not all(callable(s) for s in schedules):
        raise ValueError(f"sequential_lr: schedules must be a non-empty sequence of schedules, got {schedules!r}")
    if len(milestones) != len(schedules) - 1:
        raise ValueError(
            f"sequential_lr: expected {len(schedules) - 1} milestones for "
            f"{len(schedules)} schedules, got {len(milestones)}"
        )
    if list(milestones) != sorted(milestones) or any(not isinstance(m, numbers.Integral) or m <= 0 for m in milestones):
        raise ValueError(f"sequential_lr: milestones must be increasing positive integers, got {milestones!r}")
    starts = [0, *(int(m) for m in milestones)]

    def schedule(step):
        if _backend(step) is np:
            index = bisect.bisect_right(starts, step) - 1
            return schedules[index](step - starts[index])
        # Traced step: evaluate every piece at a valid local step, then pick one.
        step = jnp.asarray(step)
        values = jnp.stack(
            [
                jnp.asarray(piece(jnp.maximum(step - start, 0)), jnp.float32)
                for piece, start in zip(schedules, starts, strict=True)
            ]
        )
        return values[jnp.sum(jnp.asarray(starts[1:], jnp.int32) <= step)]

    return schedule
