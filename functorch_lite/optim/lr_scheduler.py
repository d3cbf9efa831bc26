"""`optim.lr_scheduler`: torch's learning-rate schedulers over the facade's optimizers.

As in PyTorch, constructing a scheduler records each group's `initial_lr` and sets `group['lr']`
for epoch 0; `step()` advances `last_epoch` and writes the new rate into every param group (a
Python float: the optimizer passes it to its jitted step as an argument, nothing recompiles).
`step()` uses torch's recursive ("chainable") form, which multiplies the group's current lr,
so schedulers compose under `ChainedScheduler` or side by side exactly as in torch;
`step(epoch)` uses the closed form, the pure schedule of `schedules.py` with the same name.
This module holds the base class and the decays; `CyclicLR`/`OneCycleLR` live in `lr_scheduler_cycles.py`,
`ReduceLROnPlateau`/`SequentialLR`/`ChainedScheduler` in `lr_scheduler_composite.py`, all importable from here.
"""

from __future__ import annotations

import math
import numbers
import types
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import jax

from . import schedules
from .optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses give `get_lr()` (the chainable form) and `_schedule(base_lr)` (the closed form)."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected a functorch_lite optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        if last_epoch != -1:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: param 'initial_lr' is not specified in "
                        f"param_groups[{index}] when resuming with last_epoch={last_epoch}"
                    )
        self.base_lrs = [group.get("initial_lr", group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._closed_forms()  # validates the options before the optimizer is touched
        for group, base_lr in zip(optimizer.param_groups, self.base_lrs, strict=True):
            group.setdefault("initial_lr", base_lr)
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def _schedule(self, base_lr: float) -> Callable[[int], float] | None:
        """The pure closed form for one group, or None where there is none."""
        return None

    def _closed_forms(self) -> list | None:
        forms = [self._schedule(base_lr) for base_lr in self.base_lrs]
        return None if any(form is None for form in forms) else forms

    def _group_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def get_lr(self) -> list[float]:
        """The learning rates for `last_epoch`, from the groups' current ones (torch's chainable form)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates the last `step()` wrote."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advances one epoch (or jumps to `epoch`, by the closed form) and writes the new lr into every group."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            rates = self.get_lr()
        else:
            self.last_epoch = epoch
            forms = self._closed_forms()
            rates = [form(epoch) for form in forms] if forms is not None else self.get_lr()
        self._write(rates)

    def _write(self, rates: list[Any]) -> None:
        for index, lr in enumerate(rates):
            # A user lr_lambda can return anything; refuse it here, not as nan weights later.
            if isinstance(lr, numbers.Real) and not isinstance(lr, bool):
                if math.isfinite(lr) and lr >= 0:
                    continue
            elif isinstance(lr, jax.core.Tracer) or (hasattr(lr, "dtype") and getattr(lr, "ndim", 1) == 0):
                continue
            raise ValueError(
                f"{type(self).__name__}: the learning rate for param_groups[{index}] "
                f"at epoch {self.last_epoch} must be a finite non-negative number, got {lr!r}"
            )
        for group, lr in zip(self.optimizer.param_groups, rates, strict=True):
            group["lr"] = lr
        self._last_lr = self._group_lrs()

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (torch's keys)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)


def _lambdas(name: str, optimizer: Optimizer, lr_lambda: Any) -> list[Callable[[int], float]]:
    groups = len(optimizer.param_groups)
    lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
    if len(lambdas) != groups:
        raise ValueError(f"{name}: expected {groups} lr_lambdas, got {len(lambdas)}")
    if not all(callable(f) for f in lambdas):
        raise TypeError(f"{name}: lr_lambda must be a callable or a list of callables, got {lr_lambda!r}")
    return lambdas


class _LambdaState:
    """torch's state_dict for the lambda schedulers: callable objects' attributes, functions as None."""

    def state_dict(self) -> dict[str, Any]:
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy() for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        saved = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        for fn, attributes in zip(self.lr_lambdas, saved, strict=True):
            if attributes is not None:
                fn.__dict__.update(attributes)


class LambdaLR(_LambdaState, LRScheduler):
    """base_lr * lr_lambda(epoch); one function, or one per param group."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence, last_epoch: int = -1):
        self.lr_lambdas = _lambdas("LambdaLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas, strict=True)]


class MultiplicativeLR(_LambdaState, LRScheduler):
    """The group's lr times lr_lambda(epoch), every epoch after the first."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence, last_epoch: int = -1):
        self.lr_lambdas = _lambdas("MultiplicativeLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._group_lrs()
        return [lr * f(self.last_epoch) for lr, f in zip(self._group_lrs(), self.lr_lambdas, strict=True)]


class StepLR(LRScheduler):
    """lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr):
        return schedules.step_lr(base_lr, self.step_size, self.gamma)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class MultiStepLR(LRScheduler):
    """lr * gamma ** (number of milestones reached)."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1, last_epoch: int = -1):
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr):
        return schedules.multistep_lr(base_lr, list(self.milestones.elements()), self.gamma)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._group_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._group_lrs()]


class ConstantLR(LRScheduler):
    """lr * factor until total_iters, then lr."""

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1):
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr):
        return schedules.constant_lr(base_lr, self.factor, self.total_iters)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._group_lrs()]
        if self.last_epoch != self.total_iters:
            return self._group_lrs()
        return [lr * (1.0 / self.factor) for lr in self._group_lrs()]


class LinearLR(LRScheduler):
    """lr times a factor moving linearly from start_factor to end_factor over total_iters."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr):
        return schedules.linear_lr(base_lr, self.start_factor, self.end_factor, self.total_iters)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._group_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._group_lrs()
        change = self.end_factor - self.start_factor
        ratio = 1.0 + change / (self.total_iters * self.start_factor + (self.last_epoch - 1) * change)
        return [lr * ratio for lr in self._group_lrs()]


class ExponentialLR(LRScheduler):
    """lr * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr):
        return schedules.exponential_lr(base_lr, self.gamma)

    def get_lr(self) -> list[float]:
        return self._group_lrs() if self._is_initial else [lr * self.gamma for lr in self._group_lrs()]


class PolynomialLR(LRScheduler):
    """lr * (1 - min(epoch, total_iters) / total_iters) ** power."""

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1):
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr):
        return schedules.polynomial_lr(base_lr, self.total_iters, self.power)

    def get_lr(self) -> list[float]:
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._group_lrs()
        t, total = self.last_epoch, self.total_iters
        decay = ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** self.power
        return [lr * decay for lr in self._group_lrs()]


class CosineAnnealingLR(LRScheduler):
    """eta_min + (lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, by torch's recursive form."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr):
        return schedules.cosine_annealing_lr(base_lr, self.T_max, self.eta_min)

    def get_lr(self) -> list[float]:
        t, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._group_lrs()
        if self._step_count == 1 and t > 0:
            return [schedules.annealed_cosine(base, eta_min, t, period) for base in self.base_lrs]
        if (t - 1 - period) % (2 * period) == 0:
            bump = (1 - math.cos(math.pi / period)) / 2
            return [lr + (base - eta_min) * bump for lr, base in zip(self._group_lrs(), self.base_lrs, strict=True)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - eta_min) + eta_min for lr in self._group_lrs()]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing restarted every T_i epochs, T_i = T_0 * T_mult ** (number of restarts)."""

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr):
        return schedules.cosine_annealing_warm_restarts(base_lr, self.T_0, self.T_mult, self.eta_min)

    def get_lr(self) -> list[float]:
        return [schedules.annealed_cosine(base, self.eta_min, self.T_cur, self.T_i) for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advances one epoch, or jumps to `epoch` (fractional epochs allowed, as in torch)."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur % self.T_i, self.T_i * self.T_mult
        elif epoch < 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be non-negative, got {epoch}")
        elif epoch >= self.T_0 and self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        elif epoch >= self.T_0:
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult**n
        else:
            self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        self._write(self.get_lr())


__all__ = [
    "LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "ChainedScheduler",
]
# The cycling, metric-driven and composite schedulers, imported after the base class they extend.
from .lr_scheduler_composite import ChainedScheduler, ReduceLROnPlateau, SequentialLR  # noqa: E402
from .lr_scheduler_cycles import CyclicLR, OneCycleLR  # noqa: E402
