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
    if checks.is_int(step):
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


def annealed_cosine(lr: Any, eta_min: float, t: Any, period: Any) -> Any:
    """``eta_min + (lr - eta_min) * (1 + cos(pi * t / period)) / 2`` (torch's form), any backend."""
    xp = np if all(isinstance(v, (int, float, np.integer, np.floating)) for v in (lr, t, period)) else jnp
    return _finish(eta_min + (lr - eta_min) * (1 + xp.cos(np.pi * t / period)) / 2, xp)


def constant_lr(lr: float, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    """torch ConstantLR: ``lr * factor`` for the first ``total_iters`` steps, then ``lr``."""
    _check_number("constant_lr", "lr", lr)
    checks.real(factor, "factor", "constant_lr", ok=lambda x: 0 <= x <= 1, expected="in [0, 1]", type_error=ValueError)
    checks.real(total_iters, "total_iters", "constant_lr", ok=lambda x: x >= 0, expected="a number >= 0")

    def schedule(step):
        xp = _backend(step)
        return _finish(lr * xp.where(step >= total_iters, 1.0, factor), xp)

    return schedule


def polynomial_lr(lr: float, total_iters: int = 5, power: float = 1.0) -> Schedule:
    """torch PolynomialLR: ``lr * (1 - min(step, total_iters) / total_iters) ** power``."""
    _check_number("polynomial_lr", "lr", lr)
    _check_positive_int("polynomial_lr", "total_iters", total_iters)
    _check_number("polynomial_lr", "power", power)

    def schedule(step):
        xp = _backend(step)
        return _finish(lr * (1.0 - xp.minimum(total_iters, step) / total_iters) ** power, xp)

    return schedule


def cosine_annealing_warm_restarts(lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> Schedule:  # noqa: N803
    """torch CosineAnnealingWarmRestarts: cosine annealing restarted after ``T_0``, ``T_0 * T_mult``, ... steps."""
    _check_number("cosine_annealing_warm_restarts", "lr", lr)
    _check_positive_int("cosine_annealing_warm_restarts", "T_0", T_0)
    _check_positive_int("cosine_annealing_warm_restarts", "T_mult", T_mult)
    _check_number("cosine_annealing_warm_restarts", "eta_min", eta_min)

    def schedule(step):
        xp = _backend(step)
        if T_mult == 1:
            t_cur, period = step % T_0, T_0
        else:
            # the number of completed cycles, from the geometric sum T_0 (T_mult^n - 1) / (T_mult - 1) <= step
            n = xp.floor(xp.log(step / T_0 * (T_mult - 1) + 1) / np.log(T_mult))
            t_cur = step - T_0 * (T_mult**n - 1) / (T_mult - 1)
            period = T_0 * T_mult**n
        return annealed_cosine(lr, eta_min, t_cur, period)

    return schedule


def cyclic_lr(
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Schedule:
    """torch CyclicLR (its built-in modes): from ``base_lr`` up to ``max_lr`` and back, cycle after cycle."""
    _check_number("cyclic_lr", "base_lr", base_lr)
    _check_number("cyclic_lr", "max_lr", max_lr)
    _check_positive_int("cyclic_lr", "step_size_up", step_size_up)
    if step_size_down is not None:
        _check_positive_int("cyclic_lr", "step_size_down", step_size_down)
    if mode not in ("triangular", "triangular2", "exp_range"):
        raise ValueError(f"cyclic_lr: mode must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}")
    up = float(step_size_up)
    total = up + (float(step_size_down) if step_size_down is not None else up)
    return _cyclic(base_lr, max_lr, total, up / total, mode, gamma)


def _cyclic(low: Any, high: Any, total: float, ratio: float, mode: str, gamma: float, scale_fn=None, by_cycle=True):
    """The cyclic triangle from `low` to `high`; CyclicLR's momentum cycle is the same with the ends swapped."""

    def schedule(step):
        xp = _backend(step)
        cycle = xp.floor(1 + step / total)
        x = 1.0 + step / total - cycle
        factor = xp.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        if scale_fn is not None:
            scale = scale_fn(int(cycle) if by_cycle else step) if xp is np else scale_fn(cycle if by_cycle else step)
        elif mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 1 / (2.0 ** (cycle - 1))
        else:
            scale = gamma**step
        return _finish(low + (high - low) * factor * scale, xp)

    return schedule


def one_cycle_lr(
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """torch OneCycleLR: warm up from ``max_lr / div_factor`` to ``max_lr``, then anneal to
    ``max_lr / div_factor / final_div_factor`` (three phases: down to the start first)."""
    _check_number("one_cycle_lr", "max_lr", max_lr)
    _check_positive_int("one_cycle_lr", "total_steps", total_steps)
    checks.real(pct_start, "pct_start", "one_cycle_lr", ok=lambda x: 0 <= x <= 1, expected="in [0, 1]")
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"one_cycle_lr: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
    start, peak = max_lr / div_factor, max_lr
    end = start / final_div_factor
    return one_cycle(one_cycle_phases(total_steps, pct_start, three_phase, (start, peak, end)), anneal_strategy)


def one_cycle_phases(total_steps: int, pct_start: float, three_phase: bool, values: Sequence[Any]) -> list[tuple]:
    """``(end_step, start_value, end_value)`` per phase: start -> peak -> end, or start -> peak -> start -> end."""
    start, peak, end = values
    if three_phase:
        return [
            (float(pct_start * total_steps) - 1, start, peak),
            (float(2 * pct_start * total_steps) - 2, peak, start),
            (total_steps - 1, start, end),
        ]
    return [(float(pct_start * total_steps) - 1, start, peak), (total_steps - 1, peak, end)]


def one_cycle(phases: Sequence[tuple], anneal_strategy: str = "cos") -> Schedule:
    """Piecewise annealing through ``phases`` of ``(end_step, start_value, end_value)``; OneCycleLR's shape."""

    def anneal(a, b, pct, xp):
        if anneal_strategy == "cos":
            return b + (a - b) / 2.0 * (xp.cos(np.pi * pct) + 1)
        return (b - a) * pct + a

    def schedule(step):
        xp = _backend(step)
        begin, values = 0.0, []
        for i, (end_step, a, b) in enumerate(phases):
            if xp is np and (step <= end_step or i == len(phases) - 1):
                return _finish(anneal(a, b, (step - begin) / (end_step - begin), np), np)
            values.append(anneal(a, b, (step - begin) / (end_step - begin), jnp))
            begin = end_step
        index = jnp.sum(jnp.asarray([end_step for end_step, _, _ in phases[:-1]]) < step)
        return jnp.asarray(jnp.stack(values)[index], jnp.float32)

    return schedule
