"""Pure optimizers with torch.optim's update rules, written once per array and lifted to pytrees.

Each optimizer is two layers:

- a **per-array rule** ``<name>_rule(param, grad, state, **hyper) -> (new_param, new_state)``
  and its initialiser ``<name>_init(param, **flags) -> state``. ``state`` is the optimizer's
  NamedTuple holding this one parameter's slots plus its own ``step``, i.e. torch's
  per-parameter ``optimizer.state[p]`` dict with the same keys. The rule increments ``step``.
- a **factory** (``sgd``, ``adam``, ...) returning ``PureOptimizer(init, update)`` that lifts the
  rule over any pytree of parameters. Its state is the same NamedTuple, with one shared
  scalar ``step`` and each slot a pytree shaped like ``params``.

Contract for callers of the per-array rules (the facade's fused, jitted step):

- Numeric hyper-parameters (``lr``, ``betas``, ``eps``, ``weight_decay``, ``momentum``,
  ``dampening``, ``alpha``, ``lr_decay``) may be Python floats or traced jax scalars.
  Python floats give the closest match to torch, which does its scalar math in double.
- Structural choices are Python values: ``nesterov``, ``maximize`` and
  ``decoupled_weight_decay`` are bools; whether momentum, amsgrad or centering is used is
  read from the state (a slot that is ``None`` is not used), so it is fixed by ``*_init``.
- ``step`` is an int32 scalar: the number of updates already applied to the parameter.
  SGD treats ``step == 0`` as torch's "no momentum buffer yet" (buffer = raw grad).
- Rules do no validation (they are the hot path); the factories validate.

Slots that an option switches off are ``None`` (``SGDState.momentum_buffer`` without
momentum, ``AdamState.max_exp_avg_sq`` without amsgrad, ``RMSpropState.momentum_buffer``
without momentum, ``RMSpropState.grad_avg`` unless centered). ``None`` is an empty pytree,
so states stay jit- and donation-friendly.

Arithmetic follows torch's single-tensor (``foreach=False``) code in the same order.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from .. import _checks as checks

PyTree = Any
Scalar = Any  # a Python float or a (possibly traced) 0-d jax array
LearningRate = Any  # a Scalar or a schedule: a callable of the step count returning a Scalar


class PureOptimizer(NamedTuple):
    """A pure optimizer: ``init(params) -> state``, ``update(grads, state, params)``."""

    init: Callable[[PyTree], Any]
    update: Callable[[PyTree, Any, PyTree], tuple[PyTree, Any]]


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


# ---------------------------------------------------------------- arithmetic helpers


def _is_zero(value: Scalar) -> bool:
    # A traced value might be non-zero, so only a concrete zero skips a term.
    return isinstance(value, numbers.Number) and value == 0


def _lerp(start: jax.Array, end: jax.Array, weight: Scalar) -> jax.Array:
    """torch.lerp's two-branch formula, which is exact at both ends."""
    from_start = lambda: start + weight * (end - start)
    from_end = lambda: end - (end - start) * (1 - weight)
    if isinstance(weight, numbers.Number):
        return from_start() if abs(weight) < 0.5 else from_end()
    return jnp.where(jnp.abs(weight) < 0.5, from_start(), from_end())


def _one_minus_power(beta: Scalar, exponent: jax.Array) -> jax.Array:
    """``1 - beta**exponent`` without float32's cancellation (torch computes it in double)."""
    if isinstance(beta, numbers.Number):
        log_beta = math.log(beta) if beta > 0 else -math.inf
    else:
        log_beta = jnp.log(beta)
    return -jnp.expm1(exponent * log_beta)


def _same_dtype(param: jax.Array, new_param: jax.Array, new_state: NamedTuple):
    """Cast results back to the parameter's dtype: float32 scalars must not promote bf16."""
    slots = {
        name: None if value is None else value.astype(param.dtype)
        for name, value in new_state._asdict().items()
        if name != "step"
    }
    return new_param.astype(param.dtype), new_state._replace(**slots)


def _zero_step() -> jax.Array:
    return jnp.zeros((), jnp.int32)


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


# ---------------------------------------------------------------- lifting to pytrees


def _check_grads(name: str, grads: PyTree, params: PyTree) -> None:
    """Raise a ValueError naming the first path where grads and params disagree."""
    keystr = jax.tree_util.keystr
    param_leaves, param_def = jax.tree_util.tree_flatten_with_path(params)
    grad_leaves, grad_def = jax.tree_util.tree_flatten_with_path(grads)
    for (param_path, param), (grad_path, grad) in zip(param_leaves, grad_leaves, strict=False):
        if param_path != grad_path:
            raise ValueError(
                f"{name}.update: grads do not match params: params has "
                f"{keystr(param_path)} where grads has {keystr(grad_path)}"
            )
        if jnp.shape(param) != jnp.shape(grad):
            raise ValueError(
                f"{name}.update: grads{keystr(grad_path)} has shape "
                f"{jnp.shape(grad)}, expected the parameter's {jnp.shape(param)}"
            )
    if param_def != grad_def:
        common = min(len(param_leaves), len(grad_leaves))
        extras = [f"params has {keystr(path)} but grads do not" for path, _ in param_leaves[common : common + 1]]
        extras += [f"grads have {keystr(path)} but params do not" for path, _ in grad_leaves[common : common + 1]]
        detail = extras[0] if extras else f"grads are {grad_def}, params are {param_def}"
        raise ValueError(f"{name}.update: grads do not match params: {detail}")


def _split(name: str, state: NamedTuple, treedef, count: int) -> list[NamedTuple]:
    """Tree-level state (slots are pytrees) -> one per-array state per parameter leaf."""
    columns = {}
    for slot, tree in state._asdict().items():
        if slot == "step":
            continue
        try:
            columns[slot] = [None] * count if tree is None else treedef.flatten_up_to(tree)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{name}.update: state.{slot} does not match the structure of params ({error})") from None
    return [state._replace(**{slot: column[index] for slot, column in columns.items()}) for index in range(count)]


def _merge(state_type: type, states: list[NamedTuple], treedef, step: jax.Array):
    """Per-array states -> tree-level state; a slot that is None everywhere stays None."""
    slots = {}
    for slot in state_type._fields[1:]:
        column = [getattr(state, slot) for state in states]
        slots[slot] = None if all(value is None for value in column) else treedef.unflatten(column)
    return state_type(step=step, **slots)


def _lift_to_pytrees(
    name: str, state_type: type, init_rule: Callable, update_rule: Callable, lr: LearningRate
) -> PureOptimizer:
    """Lift a per-array (init, rule) pair to an PureOptimizer over pytrees."""

    def init(params: PyTree) -> NamedTuple:
        leaves, treedef = jax.tree.flatten(params)
        states = [init_rule(jnp.asarray(leaf)) for leaf in leaves]
        return _merge(state_type, states, treedef, _zero_step())

    def update(grads: PyTree, state: NamedTuple, params: PyTree) -> tuple[PyTree, NamedTuple]:
        if not isinstance(state, state_type):
            raise TypeError(
                f"{name}.update: state must be the {state_type.__name__} that "
                f"{name}(...).init returns, got {type(state).__name__}"
            )
        _check_grads(name, grads, params)
        param_leaves, treedef = jax.tree.flatten(params)
        grad_leaves = treedef.flatten_up_to(grads)
        lr_value = lr(state.step) if callable(lr) else lr
        per_array = _split(name, state, treedef, len(param_leaves))
        triples = zip(param_leaves, grad_leaves, per_array, strict=True)
        results = [update_rule(param, grad, param_state, lr=lr_value) for param, grad, param_state in triples]
        new_params = treedef.unflatten([param for param, _ in results])
        new_state = _merge(state_type, [slots for _, slots in results], treedef, state.step + 1)
        return new_params, new_state

    return PureOptimizer(init, update)


# ---------------------------------------------------------------- validation (the shared _checks)


def _check_lr(name: str, lr: LearningRate) -> None:
    if not callable(lr):
        checks.non_negative(lr, "lr", name, expected="a non-negative number or a schedule")


def _check_non_negative(name: str, **arguments: Any) -> None:
    for argument, value in arguments.items():
        checks.non_negative(value, argument, name)


def _check_flags(name: str, **flags: Any) -> None:
    for flag, value in flags.items():
        checks.flag(value, flag, name)


def _check_betas(name: str, betas: Any) -> None:
    checks.number_pair(betas, "betas", name, ok=lambda x: 0 <= x < 1, expected="in [0, 1)", members="(beta1, beta2)")


def check_nesterov(name: str, nesterov: bool, momentum: Any, dampening: Any) -> None:
    """Nesterov momentum needs a momentum and no dampening (the pure factory and the class)."""
    if nesterov and (_is_zero(momentum) or not _is_zero(dampening)):
        raise ValueError(
            f"{name}: nesterov=True requires momentum > 0 and dampening == 0 (Nesterov momentum requires a "
            f"momentum and zero dampening), got momentum={momentum!r}, dampening={dampening!r}"
        )


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
