"""torch.optim's adaptive optimizer classes: `Adadelta`, `Adamax`, `NAdam`, `RAdam`, `Rprop`, `Adafactor`.

Each class names PyTorch's signature and defaults (so `param_groups` and `state_dict()` have
torch's keys) and the pure per-array rule of `rules/adaptive.py`; `Optimizer` does the rest.
`foreach`, `fused`, `capturable` are accepted as no-ops: every step is one fused, jitted call per group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import _checks as checks
from . import rules
from .optimizer import Optimizer


def _defaults(arguments: dict[str, Any]) -> dict[str, Any]:
    """The constructor's options as torch's `defaults` dict (everything but `self` and `params`)."""
    return {key: value for key, value in arguments.items() if key not in ("self", "params", "__class__")}


class Adadelta(Optimizer):
    """Adadelta. References: Zeiler, 2012 (https://arxiv.org/abs/1212.5701)."""

    _rule = staticmethod(rules.adadelta_rule)
    _init_rule = staticmethod(rules.adadelta_init)
    _state_type = rules.AdadeltaState
    _rule_options = ("rho", "eps", "weight_decay", "maximize")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        super().__init__(params, _defaults(locals()))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        checks.real(options["rho"], "Invalid rho value:", type(self).__name__, ok=lambda x: 0 <= x <= 1,
                          expected="in [0, 1]", type_error=ValueError)  # fmt: skip


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm. References: Kingma & Ba, 2014 (https://arxiv.org/abs/1412.6980)."""

    _rule = staticmethod(rules.adamax_rule)
    _init_rule = staticmethod(rules.adamax_init)
    _state_type = rules.AdamaxState
    _rule_options = ("betas", "eps", "weight_decay", "maximize")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ):
        super().__init__(params, _defaults(locals()))


class NAdam(Optimizer):
    """NAdam (NAdamW with `decoupled_weight_decay`). References: Dozat, 2016."""

    _rule = staticmethod(rules.nadam_rule)
    _init_rule = staticmethod(rules.nadam_init)
    _state_type = rules.NAdamState
    _rule_options = ("betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay", "maximize")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ):
        super().__init__(params, _defaults(locals()))


class RAdam(Optimizer):
    """RAdam (with `decoupled_weight_decay`). References: Liu et al., 2019 (https://arxiv.org/abs/1908.03265)."""

    _rule = staticmethod(rules.radam_rule)
    _init_rule = staticmethod(rules.radam_init)
    _state_type = rules.RAdamState
    _rule_options = ("betas", "eps", "weight_decay", "decoupled_weight_decay", "maximize")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ):
        super().__init__(params, _defaults(locals()))


class Rprop(Optimizer):
    """Rprop: per-coordinate step sizes from the gradient's sign history. References: Riedmiller & Braun, 1993."""

    _rule = staticmethod(rules.rprop_rule)
    _init_rule = staticmethod(rules.rprop_init)
    _state_type = rules.RpropState
    _rule_options = ("etas", "step_sizes", "maximize")
    _init_options = ("lr",)  # the step sizes start at the group's lr

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        super().__init__(params, _defaults(locals()))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        etas = options["etas"]
        whole = "Invalid eta values: expected 0 < etaminus < 1 < etaplus"
        checks.number_pair(etas, "etas", type(self).__name__, ok=lambda x: x > 0, expected="", whole=whole)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"{type(self).__name__}: {whole}, got {etas!r}")
        whole = "Invalid step_sizes: expected a pair of non-negative numbers"
        checks.number_pair(options["step_sizes"], "step_sizes", type(self).__name__, ok=lambda x: x >= 0,
                                 expected="", whole=whole)  # fmt: skip


class Adafactor(Optimizer):
    """Adafactor (torch's variant). References: Shazeer & Stern, 2018 (https://arxiv.org/abs/1804.04235)."""

    _rule = staticmethod(rules.adafactor_rule)
    _init_rule = staticmethod(rules.adafactor_init)
    _state_type = rules.AdafactorState
    _rule_options = ("beta2_decay", "eps", "d", "weight_decay", "maximize")
    _non_negative_options = ()  # eps is a pair here: checked below

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ):
        super().__init__(params, _defaults(locals()))

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        rules.check_adafactor_options(
            type(self).__name__, options["beta2_decay"], options["eps"], options["d"], options["weight_decay"]
        )


__all__ = ["Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "Adafactor"]
