"""torch.optim's SGD-variant classes: `ASGD` (averaged SGD) and `Muon` (orthogonalised momentum).

PyTorch's signatures and defaults over the pure rules of `rules/sgd_family.py`; `Optimizer` does the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import rules
from .algorithms_adaptive import _defaults
from .optimizer import Optimizer


class ASGD(Optimizer):
    """Averaged SGD; `state[p]['ax']` is the averaged parameter. References: Polyak & Juditsky, 1992."""

    _rule = staticmethod(rules.asgd_rule)
    _init_rule = staticmethod(rules.asgd_init)
    _state_type = rules.ASGDState
    _rule_options = ("lambd", "alpha", "t0", "weight_decay", "maximize")
    _init_options = ("lr",)  # the first step size

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ):
        super().__init__(params, _defaults(locals()))


class Muon(Optimizer):
    """Muon: momentum orthogonalised by a Newton-Schulz iteration, for 2-D parameters.

    As torch 2.13's code: `buffer.lerp_(grad, 1 - momentum)`, Nesterov `grad.lerp(buffer, momentum)`, the
    iteration in bfloat16. References: Jordan et al., 2024 (https://kellerjordan.github.io/posts/muon/).
    """

    _rule = staticmethod(rules.muon_rule)
    _init_rule = staticmethod(rules.muon_init)
    _state_type = rules.MuonState
    _rule_options = ("weight_decay", "momentum", "nesterov", "ns_coefficients", "eps", "ns_steps", "adjust_lr_fn")
    _saved_keys = ("momentum_buffer",)  # torch's Muon keeps no step count

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = rules.MUON_NS_COEFFICIENTS,
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
    ):
        super().__init__(params, _defaults(locals()))
        for group in self.param_groups:
            for param in group["params"]:
                if param.ndim != 2:
                    raise ValueError(
                        "Muon: only supports 2D parameters whereas we found a parameter with size: "
                        f"{tuple(param.shape)}"
                    )

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        rules.check_muon_options(
            type(self).__name__, options["ns_coefficients"], options["ns_steps"], options["adjust_lr_fn"]
        )


__all__ = ["ASGD", "Muon"]
