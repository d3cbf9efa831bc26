"""torch.optim's optimizer classes: `SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`.

Each class only names its options (PyTorch's signature and defaults, so its
`param_groups` and `state_dict()` have torch's keys) and the pure per-array rule
that does its arithmetic (`optim/rules/`); `Optimizer` does the rest.
`foreach`, `fused` and `capturable` are accepted for compatibility: every step here
is already one fused, jitted call per group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import rules
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, weight decay and Nesterov.

    References: Sutskever et al., 2013 (http://proceedings.mlr.press/v28/sutskever13.html).
    """

    _rule = staticmethod(rules.sgd_rule)
    _init_rule = staticmethod(rules.sgd_init)
    _state_type = rules.SGDState
    _rule_options = ("momentum", "dampening", "weight_decay", "nesterov", "maximize")
    _init_options = ("momentum",)
    _saved_keys = ("momentum_buffer",)  # torch's SGD keeps no step count

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ):
        rules.check_nesterov("SGD", nesterov, momentum, dampening)
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
                foreach=foreach,
                differentiable=differentiable,
                fused=fused,
            ),
        )


class Adam(Optimizer):
    """Adam, with L2 weight decay added to the gradient (or decoupled) and optional AMSGrad.

    References: Kingma & Ba, 2014 (https://arxiv.org/abs/1412.6980).
    """

    _rule = staticmethod(rules.adam_rule)
    _init_rule = staticmethod(rules.adam_init)
    _state_type = rules.AdamState
    _rule_options = ("betas", "eps", "weight_decay", "decoupled_weight_decay", "maximize")
    _init_options = ("amsgrad",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
                foreach=foreach,
                capturable=capturable,
                differentiable=differentiable,
                fused=fused,
                decoupled_weight_decay=decoupled_weight_decay,
            ),
        )


class AdamW(Adam):
    """Adam with decoupled weight decay `p *= 1 - lr * weight_decay`.

    References: Loshchilov & Hutter, 2017 (https://arxiv.org/abs/1711.05101).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )


class RMSprop(Optimizer):
    """RMSprop, optionally centered and with momentum.

    References: Hinton, Lecture 6e of Neural Networks for Machine Learning, 2012.
    """

    _rule = staticmethod(rules.rmsprop_rule)
    _init_rule = staticmethod(rules.rmsprop_init)
    _state_type = rules.RMSpropState
    _rule_options = ("alpha", "eps", "weight_decay", "momentum", "maximize")
    _init_options = ("momentum", "centered")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                alpha=alpha,
                eps=eps,
                centered=centered,
                weight_decay=weight_decay,
                capturable=capturable,
                foreach=foreach,
                maximize=maximize,
                differentiable=differentiable,
            ),
        )


class Adagrad(Optimizer):
    """Adagrad with learning-rate decay `lr / (1 + (step - 1) * lr_decay)`.

    References: Duchi et al., 2011 (https://jmlr.org/papers/v12/duchi11a.html).
    """

    _rule = staticmethod(rules.adagrad_rule)
    _init_rule = staticmethod(rules.adagrad_init)
    _state_type = rules.AdagradState
    _rule_options = ("lr_decay", "weight_decay", "eps", "maximize")
    _init_options = ("initial_accumulator_value",)
    _eager_state = True  # torch creates Adagrad's state in the constructor

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                eps=eps,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                foreach=foreach,
                maximize=maximize,
                differentiable=differentiable,
                fused=fused,
            ),
        )


__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
