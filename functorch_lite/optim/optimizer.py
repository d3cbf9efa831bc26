"""The facade's `Optimizer` base class: torch.optim's bookkeeping over the pure update rules.

An optimizer holds `param_groups` (dicts of Parameters and options, as in PyTorch)
and `state` (Parameter -> dict of jax arrays keyed like torch's per-parameter state).
`step()` computes nothing itself: for each group it makes ONE call to a jitted
function that applies the class's per-array rule (`optim/rules/`) to every
parameter of the group. That function is cached per (rule, static options); the
learning rate is an array argument, so a scheduler changing `group['lr']` does not
recompile, and the state arrays are donated (updated in place by XLA).

Compile readiness: everything the step reads or writes is enumerable (`param_groups`,
`state[p]`, the Parameters' arrays and grads); `step()` reads no value back to Python,
so it also runs when those arrays are tracers inside an outer `jax.jit`.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks as checks
from .._tensor.tensor import Tensor
from ..autograd import enable_grad
from ..nn.parameter import set_array, state_changed


@functools.lru_cache(maxsize=256)
def _fused_update(rule: Callable, options: tuple, counts_steps: bool) -> Callable:
    """One jitted update of a whole group: the per-array rule mapped over its parameters.

    Without a stored step count (`counts_steps=False`, torch's SGD and Muon), the rule is told only
    whether a parameter's state is new (`fresh`, static): its step is 0 then, else 1, and no step
    array goes in or comes out.
    """
    keywords = dict(options)

    def update(params: tuple, grads: tuple, states: tuple, lr: Any, fresh: tuple) -> tuple[tuple, tuple]:
        if not counts_steps:
            states = [s._replace(step=np.int32(0 if f else 1)) for s, f in zip(states, fresh)]
        results = [rule(p, g, s, lr=lr, **keywords) for p, g, s in zip(params, grads, states)]
        new_states = tuple(r[1] if counts_steps else r[1]._replace(step=None) for r in results)
        return tuple(r[0] for r in results), new_states

    # The states are private to the optimizer, so XLA may update them in place. Parameter
    # arrays are not donated: detached views (state_dict(), .detach()) may still hold them.
    return jax.jit(update, donate_argnums=(2,), static_argnums=(4,))


def _copy(value: Any) -> Any:
    if isinstance(value, Tensor):
        return Tensor._wrap(_copy(value._array))
    if isinstance(value, (jax.Array, np.ndarray)):
        return value if isinstance(value, jax.core.Tracer) else jnp.array(value, copy=True)
    return value


def _as_tensor_copy(value: Any) -> Any:
    """A saved state value for a user's optimizer: arrays (ours, numpy's, torch's) come back as Tensors."""
    if isinstance(value, Tensor):
        return Tensor._wrap(_copy(value._array))
    if isinstance(value, (jax.Array, np.ndarray)) or hasattr(value, "numpy"):
        return Tensor._wrap(jnp.array(np.asarray(value), copy=True))
    return value


class Optimizer:
    """torch.optim.Optimizer: `defaults`, `param_groups`, `state`, `add_param_group`, `zero_grad`,
    `step(closure=None)`, `state_dict`/`load_state_dict`.

    Subclass it as PyTorch's docs teach: `__init__(params, ...)` calls `super().__init__(params, defaults)`
    and `step` loops over `self.param_groups` and `p.grad`, updating with in-place Tensor ops under
    `no_grad()` and keeping per-parameter `self.state[p]`. The library's own classes instead name a
    pure rule and let the inherited `step` apply it; class attributes they set:
    - `_rule`, `_init_rule`, `_state_type`: the per-array rule, initialiser and NamedTuple;
    - `_rule_options`: group keys passed to the rule as static keywords (all but `lr`);
    - `_init_options`: group keys passed to `_init_rule` (which slots exist);
    - `_saved_keys`: the state keys torch saves (SGD keeps no `step`);
    - `_eager_state`: create the state at construction (torch's Adagrad does).
    """

    _rule: Callable | None = None
    _init_rule: Callable
    _state_type: type[NamedTuple]
    _rule_options: tuple[str, ...] = ()
    _init_options: tuple[str, ...] = ()
    _saved_keys: tuple[str, ...] | None = None
    _eager_state: bool = False

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]):
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params argument given to the optimizer should be an "
                f"iterable of Tensors or dicts, but got a Tensor"
            )
        self.defaults = dict(defaults)
        self._check_options(self.defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or dicts (such as "
                f"model.parameters()), got {type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- groups and options --------------------------------------------------------------------
    # Options checked by name wherever a class has them (torch's meaning and messages).
    _non_negative_options: tuple[str, ...] = (
        "eps",
        "weight_decay",
        "momentum",
        "dampening",
        "lr_decay",
        "alpha",
        "initial_accumulator_value",
        "lambd",
        "t0",
        "momentum_decay",
        "rho",
    )
    _flag_options: tuple[str, ...] = ("nesterov", "maximize", "amsgrad", "centered", "decoupled_weight_decay")

    def _check_options(self, options: dict[str, Any]) -> None:
        """Range checks with PyTorch's meaning; subclasses add theirs."""
        name = type(self).__name__
        if "lr" in options:
            lr = options["lr"]
            lr = lr.array if isinstance(lr, Tensor) else lr
            checks.finite_non_negative(lr, "lr", name, range_prefix="Invalid learning rate: ")
        for key in self._non_negative_options:
            if key in options:
                checks.finite_non_negative(options[key], f"Invalid {key} value:", name, type_error=ValueError)
        for key in self._flag_options:
            if key in options:
                checks.flag(options[key], key, name)
        if "betas" in options:
            whole = "Invalid betas: expected a pair of numbers in [0, 1)"
            checks.number_pair(options["betas"], "betas", name, ok=lambda x: 0 <= x < 1, expected="", whole=whole)
        if options.get("differentiable"):
            raise ValueError(f"{name}: differentiable=True is not supported (the update is not recorded on the tape)")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a group; options it does not set are taken from the defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{name}: optimizer parameters need to be organized in ordered "
                "collections, but the ordering of tensors in sets will change between runs. Please use a list instead."
            )
        elif params is None:
            raise ValueError(f"{name}: param_group must have a 'params' entry")
        params = list(params)
        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"{name}: optimizer can only optimize Tensors, but params[{index}] is a {type(param).__name__}"
                )
            if not param.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (params[{index}])")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group contains the same parameter twice")
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group = {key: param_group.get(key, value) for key, value in self.defaults.items()}
        group.update({k: v for k, v in param_group.items() if k not in group})
        group["params"] = params
        self._check_options(group)
        state_changed()  # a compiled step must find the new group
        self.param_groups.append(group)
        if self._eager_state:
            for param in params:
                self.state[param] = self._new_state(param, group)

    # -- the step ------------------------------------------------------------------------------
    @property
    def _counts_steps(self) -> bool:
        """Whether the state keeps a step count: torch's SGD and Muon save none, and neither do we."""
        return self._saved_keys is None or "step" in self._saved_keys

    def _new_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        flags = {key: group[key] for key in self._init_options}
        state = _as_dict(self._init_rule(param.array, **flags))
        if not self._counts_steps:
            del state["step"]
        return state

    def _state_tuple(self, param: Tensor, group: dict[str, Any]) -> tuple[NamedTuple, bool]:
        """The rule's state for `param` (created on its first step), and whether it is new."""
        state = self.state.get(param)
        fresh = not state
        if fresh:
            state = self.state[param] = self._new_state(param, group)
        return self._state_type(*[state.get(field) for field in self._state_type._fields]), fresh

    def _static_options(self, group: dict[str, Any]) -> tuple:
        return tuple(
            (key, tuple(group[key]) if isinstance(group[key], list) else group[key]) for key in self._rule_options
        )

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drops every gradient (or zeroes it in place with `set_to_none=False`)."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    set_array(param.grad, jnp.zeros_like(param.grad.array))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns `closure()` if given."""
        if self._rule is None:
            raise NotImplementedError(
                f"{type(self).__name__}: a subclass of Optimizer must define step() (or name a pure _rule)"
            )
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p._grad is not None]
            if not params:
                continue
            update = _fused_update(type(self)._rule, self._static_options(group), self._counts_steps)
            states, fresh = zip(*[self._state_tuple(p, group) for p in params])
            lr = group["lr"]
            new_params, new_states = update(
                tuple(p._array for p in params),
                tuple(p._grad._array for p in params),
                states,
                lr.array if isinstance(lr, Tensor) else lr,
                fresh,
            )
            for param, array, state in zip(params, new_params, new_states, strict=True):
                set_array(param, array)
                self.state[param].update(_as_dict(state))
        return loss

    # -- checkpoints ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """`{'state': {index: {key: array}}, 'param_groups': [{..., 'params': [index, ...]}]}`.

        Parameters are numbered in group order, as in PyTorch; arrays are copies, so a
        later (donating) step does not invalidate a saved state_dict.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = []
            for param in group["params"]:
                index.setdefault(id(param), len(index))
                packed["params"].append(index[id(param)])
            groups.append(packed)
        state = {}
        for param, slots in self.state.items():
            saved = {
                key: _copy(value) for key, value in slots.items() if self._saved_keys is None or key in self._saved_keys
            }
            if saved and id(param) in index:
                state[index[id(param)]] = saved
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores state and options saved by `state_dict()` (or by torch.optim of the same
        class: torch tensors are converted)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with 'state' and "
                f"'param_groups', got {type(state_dict).__name__}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has a different number "
                f"of parameter groups ({len(saved_groups)} vs {len(self.param_groups)})"
            )
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded state dict contains a parameter "
                    f"group that doesn't match the size of optimizer's group "
                    f"({len(saved['params'])} vs {len(group['params'])})"
                )
        by_index = {}
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            by_index.update(zip(saved["params"], group["params"], strict=True))
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = defaultdict(dict)
        state_changed()  # a compiled step must read the new state dicts
        for index, slots in state_dict["state"].items():
            if index not in by_index:
                raise ValueError(
                    f"{name}.load_state_dict: state refers to parameter {index}, which no parameter group holds"
                )
            param = by_index[index]
            self.state[param] = self._restore(param, slots)

    def _restore(self, param: Tensor, slots: dict[str, Any]) -> dict[str, Any]:
        if self._rule is None:  # a user's subclass: its state holds Tensors (or anything) as it wrote them
            return {key: _as_tensor_copy(value) for key, value in slots.items()}
        restored = {}
        for key, value in slots.items():
            array = value.array if isinstance(value, Tensor) else jnp.array(np.asarray(value), copy=True)
            if key == "step":
                if not self._counts_steps:
                    continue
                array = array.astype(jnp.int32)  # torch keeps a float step
            elif jnp.issubdtype(array.dtype, jnp.floating):
                array = array.astype(param.dtype)
            restored[key] = _copy(array)
        if restored and "step" not in restored and self._counts_steps:
            restored["step"] = jnp.ones((), jnp.int32)  # state exists: at least one step was taken
        return restored

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"


def _as_dict(state: NamedTuple) -> dict[str, Any]:
    return {key: value for key, value in state._asdict().items() if value is not None}


__all__ = ["Optimizer"]
