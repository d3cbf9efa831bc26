"""Pure per-coordinate adaptive optimizers: Adadelta, Adamax, NAdam, RAdam, Rprop and Adafactor.

The same two layers as `classic.py` (a per-array ``*_rule`` with its ``*_init`` and NamedTuple
state keyed like torch's ``optimizer.state[p]``, and a factory lifting it to pytrees), the same
contract for callers, and torch's single-tensor arithmetic in the same order.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ... import _checks as checks
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
)


class AdadeltaState(NamedTuple):
    step: jax.Array
    square_avg: PyTree
    acc_delta: PyTree


class AdamaxState(NamedTuple):
    step: jax.Array
    exp_avg: PyTree
    exp_inf: PyTree


class NAdamState(NamedTuple):
    step: jax.Array
    mu_product: PyTree  # a float32 scalar per parameter: the product of the momentum schedule
    exp_avg: PyTree
    exp_avg_sq: PyTree


class RAdamState(NamedTuple):
    step: jax.Array
    exp_avg: PyTree
    exp_avg_sq: PyTree


class RpropState(NamedTuple):
    step: jax.Array
    prev: PyTree
    step_size: PyTree


class AdafactorState(NamedTuple):
    step: jax.Array
    row_var: PyTree  # None for vectors and scalars
    col_var: PyTree  # None for vectors and scalars
    variance: PyTree  # None for matrices and higher ranks


def _decay(param: jax.Array, grad: jax.Array, lr: Scalar, weight_decay: Scalar, decoupled: bool):
    """L2 weight decay added to the gradient, or decoupled (AdamW-style) on the parameter."""
    if _is_zero(weight_decay):
        return param, grad
    if decoupled:
        return param * (1 - lr * weight_decay), grad
    return param, grad + weight_decay * param


def _float_step(step: jax.Array) -> jax.Array:
    return jnp.asarray(step, jnp.float32)


# ---------------------------------------------------------------- Adadelta


def adadelta_init(param: jax.Array) -> AdadeltaState:
    return AdadeltaState(_zero_step(), jnp.zeros_like(param), jnp.zeros_like(param))


def adadelta_rule(
    param, grad, state: AdadeltaState, *, lr, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False
) -> tuple[jax.Array, AdadeltaState]:
    """One torch.optim.Adadelta step for one array."""
    grad = -grad if maximize else grad
    _, grad = _decay(param, grad, lr, weight_decay, False)
    square_avg = state.square_avg * rho + ((1 - rho) * grad) * grad
    std = jnp.sqrt(square_avg + eps)
    delta = jnp.sqrt(state.acc_delta + eps) / std * grad
    acc_delta = state.acc_delta * rho + ((1 - rho) * delta) * delta
    new_param = param + (-lr) * delta
    return _same_dtype(param, new_param, AdadeltaState(state.step + 1, square_avg, acc_delta))


def adadelta(lr: LearningRate = 1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False) -> PureOptimizer:
    """torch.optim.Adadelta.

    References: Zeiler, 2012 (https://arxiv.org/abs/1212.5701).
    """
    _check_lr("adadelta", lr)
    _check_non_negative("adadelta", eps=eps, weight_decay=weight_decay)
    checks.real(rho, "rho", "adadelta", ok=lambda x: 0 <= x <= 1, expected="in [0, 1]")
    _check_flags("adadelta", maximize=maximize)
    rule = partial(adadelta_rule, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
    return _lift_to_pytrees("adadelta", AdadeltaState, adadelta_init, rule, lr)


# ---------------------------------------------------------------- Adamax


def adamax_init(param: jax.Array) -> AdamaxState:
    return AdamaxState(_zero_step(), jnp.zeros_like(param), jnp.zeros_like(param))


def adamax_rule(
    param, grad, state: AdamaxState, *, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False
) -> tuple[jax.Array, AdamaxState]:
    """One torch.optim.Adamax step for one array (the infinity-norm Adam)."""
    beta1, beta2 = betas
    grad = -grad if maximize else grad
    step = state.step + 1
    _, grad = _decay(param, grad, lr, weight_decay, False)
    exp_avg = _lerp(state.exp_avg, grad, 1 - beta1)
    exp_inf = jnp.maximum(state.exp_inf * beta2, jnp.abs(grad) + eps)
    clr = lr / _one_minus_power(beta1, _float_step(step))
    new_param = param + (-clr) * (exp_avg / exp_inf)
    return _same_dtype(param, new_param, AdamaxState(step, exp_avg, exp_inf))


def adamax(lr: LearningRate = 2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False) -> PureOptimizer:
    """torch.optim.Adamax.

    References: Kingma & Ba, 2014, section 7.1 (https://arxiv.org/abs/1412.6980).
    """
    _check_lr("adamax", lr)
    _check_non_negative("adamax", eps=eps, weight_decay=weight_decay)
    _check_betas("adamax", betas)
    _check_flags("adamax", maximize=maximize)
    rule = partial(adamax_rule, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize)
    return _lift_to_pytrees("adamax", AdamaxState, adamax_init, rule, lr)


# ---------------------------------------------------------------- NAdam


def nadam_init(param: jax.Array) -> NAdamState:
    return NAdamState(_zero_step(), jnp.ones((), jnp.float32), jnp.zeros_like(param), jnp.zeros_like(param))


def nadam_rule(
    param,
    grad,
    state: NAdamState,
    *,
    lr,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    momentum_decay=4e-3,
    decoupled_weight_decay=False,
    maximize=False,
) -> tuple[jax.Array, NAdamState]:
    """One torch.optim.NAdam step for one array (Nesterov momentum with a decaying schedule)."""
    beta1, beta2 = betas
    grad = -grad if maximize else grad
    step = state.step + 1
    float_step = _float_step(step)
    bias_correction2 = _one_minus_power(beta2, float_step)
    param, grad = _decay(param, grad, lr, weight_decay, decoupled_weight_decay)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (float_step * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((float_step + 1) * momentum_decay))
    mu_product = state.mu_product * mu
    exp_avg = _lerp(state.exp_avg, grad, 1 - beta1)
    exp_avg_sq = state.exp_avg_sq * beta2 + ((1 - beta2) * grad) * grad
    denom = jnp.sqrt(exp_avg_sq / bias_correction2) + eps
    new_param = param + (-lr * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
    new_param = new_param + (-lr * mu_next / (1.0 - mu_product * mu_next)) * exp_avg / denom
    new_state = NAdamState(step, mu_product.astype(jnp.float32), exp_avg, exp_avg_sq)
    new_param, cast = _same_dtype(param, new_param, new_state)
    return new_param, cast._replace(mu_product=new_state.mu_product)


def nadam(
    lr: LearningRate = 2e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    momentum_decay=4e-3,
    decoupled_weight_decay=False,
    maximize=False,
) -> PureOptimizer:
    """torch.optim.NAdam (NAdamW with ``decoupled_weight_decay``).

    References: Dozat, 2016 (https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ).
    """
    _check_lr("nadam", lr)
    _check_non_negative("nadam", eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay)
    _check_betas("nadam", betas)
    _check_flags("nadam", decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
    rule = partial(
        nadam_rule,
        betas=tuple(betas),
        eps=eps,
        weight_decay=weight_decay,
        momentum_decay=momentum_decay,
        decoupled_weight_decay=decoupled_weight_decay,
        maximize=maximize,
    )
    return _lift_to_pytrees("nadam", NAdamState, nadam_init, rule, lr)


# ---------------------------------------------------------------- RAdam


def radam_init(param: jax.Array) -> RAdamState:
    return RAdamState(_zero_step(), jnp.zeros_like(param), jnp.zeros_like(param))


def radam_rule(
    param,
    grad,
    state: RAdamState,
    *,
    lr,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    decoupled_weight_decay=False,
    maximize=False,
) -> tuple[jax.Array, RAdamState]:
    """One torch.optim.RAdam step: Adam once the variance is tractable (rho_t > 5), else SGD with momentum."""
    beta1, beta2 = betas
    grad = -grad if maximize else grad
    step = state.step + 1
    float_step = _float_step(step)
    param, grad = _decay(param, grad, lr, weight_decay, decoupled_weight_decay)
    exp_avg = _lerp(state.exp_avg, grad, 1 - beta1)
    exp_avg_sq = state.exp_avg_sq * beta2 + ((1 - beta2) * grad) * grad
    bias_correction1 = _one_minus_power(beta1, float_step)
    bias_correction2 = _one_minus_power(beta2, float_step)
    corrected_exp_avg = exp_avg / bias_correction1
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * float_step * (beta2**float_step) / bias_correction2
    rect = jnp.sqrt(jnp.maximum((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.0))
    adaptive_lr = jnp.sqrt(bias_correction2) / (jnp.sqrt(exp_avg_sq) + eps)
    rectified = param - corrected_exp_avg * lr * adaptive_lr * rect
    plain = param - corrected_exp_avg * lr
    new_param = jnp.where(rho_t > 5.0, rectified, plain)
    return _same_dtype(param, new_param, RAdamState(step, exp_avg, exp_avg_sq))


def radam(
    lr: LearningRate = 1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    decoupled_weight_decay=False,
    maximize=False,
) -> PureOptimizer:
    """torch.optim.RAdam (with decoupled weight decay if asked).

    References: Liu et al., 2019 (https://arxiv.org/abs/1908.03265).
    """
    _check_lr("radam", lr)
    _check_non_negative("radam", eps=eps, weight_decay=weight_decay)
    _check_betas("radam", betas)
    _check_flags("radam", decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
    rule = partial(
        radam_rule,
        betas=tuple(betas),
        eps=eps,
        weight_decay=weight_decay,
        decoupled_weight_decay=decoupled_weight_decay,
        maximize=maximize,
    )
    return _lift_to_pytrees("radam", RAdamState, radam_init, rule, lr)


# ---------------------------------------------------------------- Rprop


def rprop_init(param: jax.Array, *, lr: Scalar = 1e-2) -> RpropState:
    """Every step size starts at ``lr``."""
    return RpropState(_zero_step(), jnp.zeros_like(param), jnp.full_like(param, lr))


def rprop_rule(
    param, grad, state: RpropState, *, lr, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0), maximize=False
) -> tuple[jax.Array, RpropState]:
    """One torch.optim.Rprop step: per-coordinate step sizes grown or shrunk by the sign agreement."""
    del lr  # only the initial step sizes come from lr
    etaminus, etaplus = etas
    grad = -grad if maximize else grad
    sign = jnp.sign(grad * state.prev)
    factor = jnp.where(sign > 0, etaplus, jnp.where(sign < 0, etaminus, 1.0)).astype(param.dtype)
    step_size = jnp.clip(state.step_size * factor, step_sizes[0], step_sizes[1])
    grad = jnp.where(sign < 0, 0.0, grad)  # after a sign change, skip this coordinate once
    new_param = param - jnp.sign(grad) * step_size
    return _same_dtype(param, new_param, RpropState(state.step + 1, grad, step_size))


def rprop(lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0), maximize=False) -> PureOptimizer:
    """torch.optim.Rprop (``lr`` is the initial step size, so it must be a number).

    References: Riedmiller & Braun, 1993 (https://doi.org/10.1109/ICNN.1993.298623).
    """
    checks.finite_non_negative(lr, "lr", "rprop")
    checks.number_pair(etas, "etas", "rprop", ok=lambda x: x > 0, expected="a positive number")
    if not 0.0 < etas[0] < 1.0 < etas[1]:
        raise ValueError(f"rprop: etas must satisfy 0 < etaminus < 1 < etaplus, got {etas!r}")
    checks.number_pair(step_sizes, "step_sizes", "rprop", ok=lambda x: x >= 0, expected="a non-negative number")
    _check_flags("rprop", maximize=maximize)
    rule = partial(rprop_rule, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize)
    return _lift_to_pytrees("rprop", RpropState, partial(rprop_init, lr=lr), rule, lr)


# ---------------------------------------------------------------- Adafactor


def adafactor_init(param: jax.Array) -> AdafactorState:
    """Factored second moments (a row and a column vector) for rank >= 2, a full one below."""
    if param.ndim > 1:
        row = jnp.zeros((*param.shape[:-1], 1), param.dtype)
        col = jnp.zeros((*param.shape[:-2], 1, param.shape[-1]), param.dtype)
        return AdafactorState(_zero_step(), row, col, None)
    return AdafactorState(_zero_step(), None, None, jnp.zeros_like(param))


def _rms(x: jax.Array) -> jax.Array:
    return jnp.linalg.vector_norm(x) / jnp.sqrt(jnp.asarray(x.size, jnp.float32))


def adafactor_rule(
    param,
    grad,
    state: AdafactorState,
    *,
    lr,
    beta2_decay=-0.8,
    eps=(None, 1e-3),
    d=1.0,
    weight_decay=0.0,
    maximize=False,
) -> tuple[jax.Array, AdafactorState]:
    """One torch.optim.Adafactor step for one array (torch's variant: no first moment)."""
    eps1, eps2 = eps
    if eps1 is None:
        eps1 = float(jnp.finfo(param.dtype).eps)
    grad = -grad if maximize else grad
    step = state.step + 1
    float_step = _float_step(step)
    one_minus_beta2 = float_step**beta2_decay
    rho = jnp.minimum(lr, 1 / jnp.sqrt(float_step))
    alpha = jnp.maximum(eps2, _rms(param)) * rho
    param, _ = _decay(param, grad, lr, weight_decay, True)
    row_var, col_var, variance = state.row_var, state.col_var, state.variance
    if param.ndim > 1:
        row_var = _lerp(row_var, jnp.sum(grad * grad, axis=-1, keepdims=True) / grad.shape[-1], one_minus_beta2)
        col_var = _lerp(col_var, jnp.sum(grad * grad, axis=-2, keepdims=True) / grad.shape[-2], one_minus_beta2)
        var_estimate = (row_var * col_var) / jnp.maximum(jnp.mean(row_var, axis=-2, keepdims=True), eps1)
    else:
        variance = _lerp(variance, grad * grad, one_minus_beta2)
        var_estimate = variance
    update = jax.lax.rsqrt(jnp.maximum(var_estimate, eps1 * eps1)) * grad
    denom = jnp.maximum(1.0, _rms(update) / d)
    new_param = param + (-alpha / denom) * update
    return _same_dtype(param, new_param, AdafactorState(step, row_var, col_var, variance))


def adafactor(
    lr: LearningRate = 1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, maximize=False
) -> PureOptimizer:
    """torch.optim.Adafactor (relative step sizes, factored second moments, update clipping at ``d``).

    References: Shazeer & Stern, 2018 (https://arxiv.org/abs/1804.04235).
    """
    _check_lr("adafactor", lr)
    check_adafactor_options("adafactor", beta2_decay, eps, d, weight_decay)
    _check_flags("adafactor", maximize=maximize)
    rule = partial(adafactor_rule, beta2_decay=beta2_decay, eps=tuple(eps), d=d, weight_decay=weight_decay)
    rule = partial(rule, maximize=maximize)
    return _lift_to_pytrees("adafactor", AdafactorState, adafactor_init, rule, lr)


def check_adafactor_options(name: str, beta2_decay: Any, eps: Any, d: Any, weight_decay: Any) -> None:
    """Adafactor's own ranges (the pure factory and the class)."""
    checks.real(beta2_decay, "beta2_decay", name, ok=lambda x: x <= 0, expected="a number <= 0")
    if not isinstance(eps, (tuple, list)) or len(eps) != 2:
        raise ValueError(f"{name}: eps must be a pair (eps1 or None, eps2), got {eps!r}")
    if eps[0] is not None:
        checks.finite_non_negative(eps[0], "eps[0]", name)
    checks.finite_non_negative(eps[1], "eps[1]", name)
    checks.real(d, "d", name, ok=lambda x: x >= 1, expected="a number >= 1")
    checks.finite_non_negative(weight_decay, "weight_decay", name)
