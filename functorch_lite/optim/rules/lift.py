"""What every pure optimizer shares: `PureOptimizer`, the lifting of a per-array rule to pytrees,
torch-exact arithmetic helpers and the argument checks (over the shared `_checks`)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ... import _checks as checks

PyTree = Any
Scalar = Any  # a Python float or a (possibly traced) 0-d jax array
LearningRate = Any  # a Scalar or a schedule: a callable of the step count returning a Scalar


class PureOptimizer(NamedTuple):
    """A pure optimizer: ``init(params) -> state``, ``update(grads, state, params)``."""

    init: Callable[[PyTree], Any]
    update: Callable[[PyTree, Any, PyTree], tuple[PyTree, Any]]


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
        checks.finite_non_negative(lr, "lr", name, expected="a non-negative number or a schedule")


def _check_non_negative(name: str, **arguments: Any) -> None:
    for argument, value in arguments.items():
        checks.finite_non_negative(value, argument, name)


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
