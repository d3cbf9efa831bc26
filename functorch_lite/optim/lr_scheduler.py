"""`optim.lr_scheduler`: torch's epoch-based schedulers, valued by the closed forms in `schedules.py`.

As in PyTorch, constructing a scheduler records each group's `initial_lr` and sets
`group['lr']` for epoch 0; each `scheduler.step()` advances `last_epoch` and writes
the new learning rate into every param group (a Python float: the optimizer passes
it to its jitted step as an argument, so nothing recompiles).

Limitation: the value is the closed form of `base_lr` and `last_epoch`, not torch's
recursive update of the current `group['lr']`, so two schedulers on one optimizer do
not compose multiplicatively as they do in torch (the last one stepped wins).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import jax

from . import schedules
from .optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses give `_schedule(base_lr) -> (epoch -> lr)`."""

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
        self._step_count = 0
        self._build()  # validates the options before the optimizer is touched
        for group, base_lr in zip(optimizer.param_groups, self.base_lrs, strict=True):
            group.setdefault("initial_lr", base_lr)
        self.step()

    def _build(self) -> None:
        self._schedules = [self._schedule(base_lr) for base_lr in self.base_lrs]

    def _schedule(self, base_lr: float) -> Callable[[int], float]:
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """The learning rates for `last_epoch`."""
        return [schedule(self.last_epoch) for schedule in self._schedules]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last `step()` wrote."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advances one epoch (or jumps to `epoch`) and writes the new lr into every group."""
        self._step_count += 1
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        rates = self.get_lr()
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
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer and the schedule functions."""
        return {
            key: value for key, value in self.__dict__.items() if key not in ("optimizer", "_schedules", "lr_lambdas")
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._build()


class StepLR(LRScheduler):
    """lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr: float) -> Callable[[int], float]:
        return schedules.step_lr(base_lr, self.step_size, self.gamma)


class MultiStepLR(LRScheduler):
    """lr * gamma ** (number of milestones reached)."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1, last_epoch: int = -1):
        self.milestones, self.gamma = list(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr: float) -> Callable[[int], float]:
        return schedules.multistep_lr(base_lr, self.milestones, self.gamma)


class ExponentialLR(LRScheduler):
    """lr * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr: float) -> Callable[[int], float]:
        return schedules.exponential_lr(base_lr, self.gamma)


class CosineAnnealingLR(LRScheduler):
    """eta_min + (lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2."""

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,  # noqa: N803
        last_epoch: int = -1,
    ):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr: float) -> Callable[[int], float]:
        return schedules.cosine_annealing_lr(base_lr, self.T_max, self.eta_min)


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
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def _schedule(self, base_lr: float) -> Callable[[int], float]:
        return schedules.linear_lr(base_lr, self.start_factor, self.end_factor, self.total_iters)


class LambdaLR(LRScheduler):
    """base_lr * lr_lambda(epoch); one function, or one per param group."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence, last_epoch: int = -1):
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"LambdaLR: expected {groups} lr_lambdas, got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        if not all(callable(f) for f in self.lr_lambdas):
            raise TypeError(f"LambdaLR: lr_lambda must be a callable or a list of callables, got {lr_lambda!r}")
        super().__init__(optimizer, last_epoch)

    def _build(self) -> None:
        self._schedules = [
            lambda epoch, base=base, f=f: base * f(epoch)
            for base, f in zip(self.base_lrs, self.lr_lambdas, strict=True)
        ]


__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "LambdaLR"]
