"""Pure SGD, Adam/AdamW, RMSprop and Adagrad: per-array rules, their NamedTuple states and factories."""

from __future__ import annotations

import numbers
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .lift import (
    LearningRate,
    PureOptimizer,
    PyTree,
    Scalar,
    _check_betas,
    _check_flags,
    _check_lr,
    _check_non_negative,
    _is_zero,
    _lerp,
    _lift_to_pytrees,
    _one_minus_power,
    _same_dtype,
    _zero_step,
    check_nesterov,
)


class SGDState(NamedTuple):
    step: jax.Array
    momentum_buffer: PyTree  # None without momentum


class AdamState(NamedTuple):
    step: jax.Array
    exp_avg: PyTree
    exp_avg_sq: PyTree
    max_exp_avg_sq: PyTree  # None without amsgrad


class RMSpropState(NamedTuple):
    step: jax.Array
    square_avg: PyTree
    momentum_buffer: PyTree  # None without momentum
    grad_avg: PyTree  # None unless centered


class AdagradState(NamedTuple):
    step: jax.Array
    sum: PyTree


# ---------------------------------------------------------------- per-array rules


def sgd_init(param: jax.Array, *, momentum: float = 0.0) -> SGDState:
    """SGD state for one parameter; the buffer exists only when ``momentum != 0``."""
    buffer = None if _is_zero(momentum) else jnp.zeros_like(param)
    return SGDState(_zero_step(), buffer)


def sgd_rule(
    param: jax.Array,
    grad: jax.Array,
    state: SGDState,
    *,
    lr: Scalar,
    momentum: Scalar = 0.0,
    dampening: Scalar = 0.0,
    weight_decay: Scalar = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
) -> tuple[jax.Array, SGDState]:
    """One torch.optim.SGD step for one array."""
    grad = -grad if maximize else grad
    if not _is_zero(weight_decay):
        grad = grad + weight_decay * param
    buffer = state.momentum_buffer
    if buffer is not None:
        # torch starts the buffer at the raw gradient, without dampening.
        buffer = jnp.where(state.step == 0, grad, buffer * momentum + (1 - dampening) * grad)
        grad = grad + momentum * buffer if nesterov else buffer
    new_param = param + (-lr) * grad
    return _same_dtype(param, new_param, SGDState(state.step + 1, buffer))


def adam_init(param: jax.Array, *, amsgrad: bool = False) -> AdamState:
    """Adam/AdamW state for one parameter; ``max_exp_avg_sq`` only with amsgrad."""
    # Separate buffers, never one shared zeros array: a jitted step donates each state leaf.
    return AdamState(
        _zero_step(), jnp.zeros_like(param), jnp.zeros_like(param), jnp.zeros_like(param) if amsgrad else None
    )


def adam_rule(
    param: jax.Array,
    grad: jax.Array,
    state: AdamState,
    *,
    lr: Scalar,
    betas: tuple[Scalar, Scalar] = (0.9, 0.999),
    eps: Scalar = 1e-8,
    weight_decay: Scalar = 0.0,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
) -> tuple[jax.Array, AdamState]:
    """One torch.optim.Adam step for one array (AdamW with ``decoupled_weight_decay``)."""
    beta1, beta2 = betas
    grad = -grad if maximize else grad
    step = state.step + 1
    param_decayed = param
    if not _is_zero(weight_decay):
        if decoupled_weight_decay:
            param_decayed = param * (1 - lr * weight_decay)
        else:
            grad = grad + weight_decay * param
    exp_avg = _lerp(state.exp_avg, grad, 1 - beta1)
    exp_avg_sq = state.exp_avg_sq * beta2 + ((1 - beta2) * grad) * grad
    float_step = jnp.asarray(step, jnp.float32)
    step_size = lr / _one_minus_power(beta1, float_step)
    bias_correction2_sqrt = jnp.sqrt(_one_minus_power(beta2, float_step))
    max_exp_avg_sq = state.max_exp_avg_sq
    if max_exp_avg_sq is not None:
        max_exp_avg_sq = jnp.maximum(max_exp_avg_sq, exp_avg_sq)
        second_moment = max_exp_avg_sq
    else:
        second_moment = exp_avg_sq
    denom = jnp.sqrt(second_moment) / bias_correction2_sqrt + eps
    new_param = param_decayed + ((-step_size) * exp_avg) / denom
    new_state = AdamState(step, exp_avg, exp_avg_sq, max_exp_avg_sq)
    return _same_dtype(param, new_param, new_state)


adamw_rule = partial(adam_rule, decoupled_weight_decay=True)


def rmsprop_init(param: jax.Array, *, momentum: float = 0.0, centered: bool = False) -> RMSpropState:
    """RMSprop state for one parameter; buffer with ``momentum > 0``, grad_avg if centered."""
    use_momentum = not (isinstance(momentum, numbers.Number) and momentum <= 0)
    return RMSpropState(
        _zero_step(),
        jnp.zeros_like(param),
        jnp.zeros_like(param) if use_momentum else None,
        jnp.zeros_like(param) if centered else None,
    )


def rmsprop_rule(
    param: jax.Array,
    grad: jax.Array,
    state: RMSpropState,
    *,
    lr: Scalar,
    alpha: Scalar = 0.99,
    eps: Scalar = 1e-8,
    weight_decay: Scalar = 0.0,
    momentum: Scalar = 0.0,
    maximize: bool = False,
) -> tuple[jax.Array, RMSpropState]:
    """One torch.optim.RMSprop step for one array."""
    grad = -grad if maximize else grad
    if not _is_zero(weight_decay):
        grad = grad + weight_decay * param
    square_avg = state.square_avg * alpha + ((1 - alpha) * grad) * grad
    grad_avg = state.grad_avg
    if grad_avg is not None:
        grad_avg = _lerp(grad_avg, grad, 1 - alpha)
        average = jnp.sqrt(square_avg + (-grad_avg) * grad_avg)
    else:
        average = jnp.sqrt(square_avg)
    average = average + eps
    buffer = state.momentum_buffer
    if buffer is not None:
        buffer = buffer * momentum + grad / average
        new_param = param + (-lr) * buffer
    else:
        new_param = param + ((-lr) * grad) / average
    new_state = RMSpropState(state.step + 1, square_avg, buffer, grad_avg)
    return _same_dtype(param, new_param, new_state)


def adagrad_init(param: jax.Array, *, initial_accumulator_value: Scalar = 0.0) -> AdagradState:
    """Adagrad state for one parameter: the sum starts at ``initial_accumulator_value``."""
    return AdagradState(_zero_step(), jnp.full_like(param, initial_accumulator_value))


def adagrad_rule(
    param: jax.Array,
    grad: jax.Array,
    state: AdagradState,
    *,
    lr: Scalar,
    lr_decay: Scalar = 0.0,
    weight_decay: Scalar = 0.0,
    eps: Scalar = 1e-10,
    maximize: bool = False,
) -> tuple[jax.Array, AdagradState]:
    """One torch.optim.Adagrad step for one array."""
    step = state.step + 1
    grad = -grad if maximize else grad
    if not _is_zero(weight_decay):
        grad = grad + weight_decay * param
    decayed_lr = lr / (1 + (jnp.asarray(step, jnp.float32) - 1) * lr_decay)
    square_sum = state.sum + grad * grad
    std = jnp.sqrt(square_sum) + eps
    new_param = param + ((-decayed_lr) * grad) / std
    return _same_dtype(param, new_param, AdagradState(step, square_sum))


# ---------------------------------------------------------------- factories


def sgd(
    lr: LearningRate = 1e-3,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
) -> PureOptimizer:
    """torch.optim.SGD: momentum, dampening, weight decay and Nesterov momentum.

    References: Sutskever et al., 2013 (http://proceedings.mlr.press/v28/sutskever13.html).
    """
    _check_lr("sgd", lr)
    _check_non_negative("sgd", momentum=momentum, dampening=dampening, weight_decay=weight_decay)
    _check_flags("sgd", nesterov=nesterov, maximize=maximize)
    check_nesterov("sgd", nesterov, momentum, dampening)
    rule = partial(
        sgd_rule,
        momentum=momentum,
        dampening=dampening,
        weight_decay=weight_decay,
        nesterov=nesterov,
        maximize=maximize,
    )
    return _lift_to_pytrees("sgd", SGDState, partial(sgd_init, momentum=momentum), rule, lr)


def _adam_like(
    name: str, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay: bool
) -> PureOptimizer:
    _check_lr(name, lr)
    _check_non_negative(name, eps=eps, weight_decay=weight_decay)
    _check_betas(name, betas)
    _check_flags(name, amsgrad=amsgrad, maximize=maximize)
    rule = partial(
        adam_rule,
        betas=tuple(betas),
        eps=eps,
        weight_decay=weight_decay,
        decoupled_weight_decay=decoupled_weight_decay,
        maximize=maximize,
    )
    return _lift_to_pytrees(name, AdamState, partial(adam_init, amsgrad=amsgrad), rule, lr)


def adam(
    lr: LearningRate = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
) -> PureOptimizer:
    """torch.optim.Adam, with L2 weight decay added to the gradient and optional AMSGrad.

    References: Kingma & Ba, 2014 (https://arxiv.org/abs/1412.6980).
    """
    return _adam_like("adam", lr, betas, eps, weight_decay, amsgrad, maximize, False)


def adamw(
    lr: LearningRate = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    maximize: bool = False,
) -> PureOptimizer:
    """torch.optim.AdamW: Adam with decoupled weight decay ``p *= 1 - lr * weight_decay``.

    References: Loshchilov & Hutter, 2017 (https://arxiv.org/abs/1711.05101).
    """
    return _adam_like("adamw", lr, betas, eps, weight_decay, amsgrad, maximize, True)


def rmsprop(
    lr: LearningRate = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> PureOptimizer:
    """torch.optim.RMSprop, optionally centered and with momentum.

    References: Hinton, Lecture 6e of Neural Networks for Machine Learning, 2012.
    """
    _check_lr("rmsprop", lr)
    _check_non_negative("rmsprop", alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
    _check_flags("rmsprop", centered=centered, maximize=maximize)
    rule = partial(rmsprop_rule, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, maximize=maximize)
    init_rule = partial(rmsprop_init, momentum=momentum, centered=centered)
    return _lift_to_pytrees("rmsprop", RMSpropState, init_rule, rule, lr)


def adagrad(
    lr: LearningRate = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
) -> PureOptimizer:
    """torch.optim.Adagrad with learning-rate decay ``lr / (1 + (step - 1) * lr_decay)``.

    References: Duchi et al., 2011 (https://jmlr.org/papers/v12/duchi11a.html).
    """
    _check_lr("adagrad", lr)
    _check_non_negative(
        "adagrad",
        lr_decay=lr_decay,
        weight_decay=weight_decay,
        initial_accumulator_value=initial_accumulator_value,
        eps=eps,
    )
    _check_flags("adagrad", maximize=maximize)
    rule = partial(adagrad_rule, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps, maximize=maximize)
    init_rule = partial(adagrad_init, initial_accumulator_value=initial_accumulator_value)
    return _lift_to_pytrees("adagrad", AdagradState, init_rule, rule, lr)
