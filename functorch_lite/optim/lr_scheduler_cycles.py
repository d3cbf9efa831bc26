"""`CyclicLR` and `OneCycleLR`: schedules that cycle the lr (and the momentum the other way), per batch.

Their values are the pure `schedules.cyclic_lr` / `schedules.one_cycle` shapes; re-exported by `lr_scheduler`.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from .. import _checks as checks
from . import schedules
from .lr_scheduler import LRScheduler
from .optimizer import Optimizer


def _per_group(name: str, optimizer: Optimizer, argument: str, value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{name}: {argument} must have one value per param group ({len(optimizer.param_groups)}), "
                f"got {len(value)}"
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


def _cycle_momentum(name: str, optimizer: Optimizer, base_momentum: Any, max_momentum: Any, fresh: bool):
    """Momentum cycling writes `momentum` (or Adam's beta1) with the lr; torch's group keys."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"{name}: optimizer must support momentum or beta1 with `cycle_momentum` enabled")
    bases = _per_group(name, optimizer, "base_momentum", base_momentum)
    maxes = _per_group(name, optimizer, "max_momentum", max_momentum)
    if fresh:
        for group, high, low in zip(optimizer.param_groups, maxes, bases, strict=True):
            _set_momentum(group, high, "betas" in optimizer.defaults)
            group["max_momentum"], group["base_momentum"] = high, low
    return bases, maxes


def _set_momentum(group: dict[str, Any], value: float, use_beta1: bool) -> None:
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


class CyclicLR(LRScheduler):
    """Cyclical learning rates between base_lr and max_lr (and momentum the other way), per batch."""

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float = 0.8,
        max_momentum: float = 0.9,
        last_epoch: int = -1,
    ):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"CyclicLR: expected a functorch_lite optimizer, got {type(optimizer).__name__}")
        base_lrs = _per_group("CyclicLR", optimizer, "base_lr", base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.max_lrs = _per_group("CyclicLR", optimizer, "max_lr", max_lr)
        up = float(step_size_up)
        self.total_size = up + (float(step_size_down) if step_size_down is not None else up)
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}")
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else ("iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums, self.max_momentums = _cycle_momentum(
                "CyclicLR", optimizer, base_momentum, max_momentum, last_epoch == -1
            )
        self.optimizer = optimizer
        self.base_lrs = base_lrs
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _cycle(self, low: float, high: float):
        by_cycle = self.scale_mode == "cycle"
        return schedules._cyclic(
            low, high, self.total_size, self.step_ratio, self.mode, self.gamma, self._scale_fn_custom, by_cycle
        )

    def get_lr(self) -> list[float]:
        """Closed form in the epoch (torch's too); it also writes the cycled momentum."""
        if self.cycle_momentum:
            pairs = zip(self.optimizer.param_groups, self.max_momentums, self.base_momentums, strict=True)
            for group, high, low in pairs:
                _set_momentum(group, self._cycle(high, low)(self.last_epoch), self.use_beta1)
        lows_highs = zip(self.base_lrs, self.max_lrs, strict=True)
        return [self._cycle(low, high)(self.last_epoch) for low, high in lows_highs]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None if fn is None or isinstance(fn, types.FunctionType) else fn.__dict__.copy()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        fn = state_dict.pop("_scale_fn_custom")
        super().load_state_dict(state_dict)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)


class OneCycleLR(LRScheduler):
    """The 1cycle policy: warm up to max_lr, then anneal far below the start (momentum the other way)."""

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        name = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected a functorch_lite optimizer, got {type(optimizer).__name__}")
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(f"{name}: you must define either total_steps OR (epochs AND steps_per_epoch)")
            total_steps = checks.positive_int(epochs, "epochs", name) * checks.positive_int(
                steps_per_epoch, "steps_per_epoch", name
            )
        self.total_steps = checks.positive_int(total_steps, "total_steps", name)
        max_lrs = _per_group(name, optimizer, "max_lr", max_lr)
        for lr in max_lrs:  # validates pct_start and anneal_strategy too
            schedules.one_cycle_lr(lr, self.total_steps, pct_start, anneal_strategy, div_factor, final_div_factor)
        self._anneal_func_type = anneal_strategy
        keys = [
            ("initial_lr", "max_lr", "max_momentum", "base_momentum"),
            ("max_lr", "min_lr", "base_momentum", "max_momentum"),
        ]
        if three_phase:
            keys[1:] = [
                ("max_lr", "initial_lr", "base_momentum", "max_momentum"),
                ("initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        ends = [end for end, _, _ in schedules.one_cycle_phases(self.total_steps, pct_start, three_phase, (0, 0, 0))]
        names = ("start_lr", "end_lr", "start_momentum", "end_momentum")
        self._schedule_phases = [{"end_step": end, **dict(zip(names, k))} for end, k in zip(ends, keys, strict=True)]
        if last_epoch == -1:
            for lr, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            _cycle_momentum(name, optimizer, base_momentum, max_momentum, last_epoch == -1)
        super().__init__(optimizer, last_epoch)

    def _shape(self, group: dict[str, Any], start: str, end: str):
        """The pure one-cycle schedule through the group's values named by each phase's `start`/`end` keys."""
        phases = [(p["end_step"], group[p[start]], group[p[end]]) for p in self._schedule_phases]
        return schedules.one_cycle(phases, self._anneal_func_type)

    def get_lr(self) -> list[float]:
        """Closed form in the epoch (torch's too); it also writes the cycled momentum."""
        if self.last_epoch > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {self.last_epoch} times; the specified number of total steps "
                f"is {self.total_steps}"
            )
        if self.cycle_momentum:
            for group in self.optimizer.param_groups:
                momentum = self._shape(group, "start_momentum", "end_momentum")(self.last_epoch)
                _set_momentum(group, momentum, self.use_beta1)
        return [self._shape(g, "start_lr", "end_lr")(self.last_epoch) for g in self.optimizer.param_groups]


__all__ = ["CyclicLR", "OneCycleLR"]
