"""`functorch_lite.compile`: one XLA program for an imperative PyTorch-style step.

    @functorch_lite.compile
    def train_step(inputs, labels):
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss

The state the step touches (modules, optimizers, schedulers, the global generator) is
found on the first call, traced once under `jax.jit` as donated inputs and outputs, and
written back after every call. How, and what selects a program: docs/design_notes.md.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import os
import types
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import random as _random
from ._tensor.tensor import Tensor

__all__ = ["compile", "CompileError"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_JAX_DIR = os.path.dirname(os.path.abspath(jax.__file__))


class CompileError(TypeError):
    """A step that cannot be compiled as written; the message says where and what to do instead."""


def _is_module(obj: Any) -> bool:
    return hasattr(obj, "_parameters") and hasattr(obj, "named_modules")


def _is_optimizer(obj: Any) -> bool:
    return hasattr(obj, "param_groups") and hasattr(obj, "state") and not _is_module(obj)


def _is_scheduler(obj: Any) -> bool:
    return _is_optimizer(getattr(obj, "optimizer", None))


# -- finding the state a function can touch ---------------------------------------------------------
def _referenced_objects(fn: Callable, seen: set[int], depth: int = 0) -> list[Any]:
    """Objects a function can reach by name: closure cells, globals it names, a bound self."""
    out: list[Any] = []
    if id(fn) in seen or depth > 4:
        return out
    seen.add(id(fn))
    if isinstance(fn, functools.partial):
        return [*fn.args, *fn.keywords.values(), *_referenced_objects(fn.func, seen, depth + 1)]
    if inspect.ismethod(fn):
        out.append(fn.__self__)
        fn = fn.__func__
    code = getattr(fn, "__code__", None)
    if code is None:
        if _is_module(fn):
            out.append(fn)
        return out
    for cell in fn.__closure__ or ():
        try:
            out.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    names = set(code.co_names)
    for const in code.co_consts:  # names used by nested functions and comprehensions
        if isinstance(const, types.CodeType):
            names |= set(const.co_names)
    globals_ = getattr(fn, "__globals__", {})
    for name in names:
        if name in globals_:
            out.append(globals_[name])
    # Helper functions the step calls may hold the model in their own closures or globals.
    for obj in list(out):
        if isinstance(obj, (types.FunctionType, types.MethodType, functools.partial)):
            out.extend(_referenced_objects(obj, seen, depth + 1))
    return out


class _State:
    """The state reachable from a step: every array it may read or write, found once."""

    def __init__(self, roots: list[Any]):
        self.modules: list[Any] = []
        self.optimizers: list[Any] = []
        tensors: dict[int, Tensor] = {}
        for obj in roots:
            if _is_scheduler(obj):
                obj = obj.optimizer
            if _is_module(obj) and all(m is not obj for m in self.modules):
                self.modules.append(obj)
                for _, module in obj.named_modules():
                    for registry in (module._parameters, module._buffers):
                        for t in registry.values():
                            if t is not None:
                                tensors.setdefault(id(t), t)
            elif _is_optimizer(obj) and all(o is not obj for o in self.optimizers):
                self.optimizers.append(obj)
                for group in obj.param_groups:
                    for p in group["params"]:
                        tensors.setdefault(id(p), p)
        self.tensors = list(tensors.values())
        self.all_modules = [m for root in self.modules for _, m in root.named_modules()]
        self.generator = _random.default_generator

    # Reading and writing the flat state. Each entry is (kind, owner, key); owners are the
    # long-lived objects (a Tensor, an optimizer, the generator), never a dict that a step may replace.
    def entries(self) -> list[tuple[str, Any, Any]]:
        out: list[tuple[str, Any, Any]] = [("generator", self.generator, None)]
        for t in self.tensors:
            out.append(("tensor", t, None))
            if t._grad is not None:
                out.append(("grad", t, None))
        for opt in self.optimizers:
            for group_index in range(len(opt.param_groups)):
                out.append(("lr", opt, group_index))
            for p, slots in opt.state.items():
                for key, value in slots.items():
                    if isinstance(value, (Tensor, jax.Array, np.ndarray)):
                        out.append(("opt", (opt, p), key))
        return out

    @staticmethod
    def read(entry: tuple[str, Any, Any]) -> Any:
        kind, owner, key = entry
        if kind == "generator":
            return owner.get_state()
        if kind == "tensor":
            return owner._array
        if kind == "grad":
            return owner._grad._array
        if kind == "lr":
            lr = owner.param_groups[key]["lr"]
            # A numpy scalar: jit takes it as an input without a device round trip of its own.
            return lr if isinstance(lr, jax.Array) else np.float32(lr)
        opt, param = owner
        value = opt.state[param][key]
        if isinstance(value, Tensor):
            return value._array
        return value if isinstance(value, jax.Array) else jnp.asarray(value)

    @staticmethod
    def write(entry: tuple[str, Any, Any], value: Any) -> None:
        kind, owner, key = entry
        if kind == "generator":
            owner.set_state(value)
        elif kind == "tensor":
            owner._array = value
        elif kind == "grad":
            if owner._grad is None:
                owner._grad = Tensor._wrap(value)
            else:
                owner._grad._array = value
        elif kind == "lr":
            owner.param_groups[key]["lr"] = value
        else:
            opt, param = owner
            slots = opt.state[param]
            if isinstance(slots.get(key), Tensor):
                slots[key]._array = value
            else:
                slots[key] = value

    def learning_rates(self) -> list[Any]:
        return [group["lr"] for opt in self.optimizers for group in opt.param_groups]

    def set_learning_rates(self, values: list[Any]) -> None:
        groups = [group for opt in self.optimizers for group in opt.param_groups]
        for group, value in zip(groups, values):
            group["lr"] = value

    def signature(self, entries: list) -> tuple:
        """Which slots exist, static optimizer options, and train/eval flags."""
        slots = tuple(
            (kind, tuple(map(id, owner)) if isinstance(owner, tuple) else id(owner), key)
            for kind, owner, key in entries
        )
        flags = tuple(m.training for m in self.all_modules)
        static = tuple(
            tuple((k, v) for k, v in group.items() if k not in ("params", "lr") and _is_hashable(v))
            for opt in self.optimizers
            for group in opt.param_groups
        )
        return slots, flags, static


def _is_hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# -- arguments -------------------------------------------------------------------------------------
def _split_argument(value: Any, where: str) -> tuple[Any, list]:
    """An argument as (static description, array leaves)."""
    if isinstance(value, Tensor):
        return ("T", tuple(value.shape), str(value.dtype)), [value._array]
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        array = jnp.asarray(value)
        return ("A", tuple(array.shape), str(array.dtype)), [array]
    if value is None or isinstance(value, (bool, int, float, str)):
        return ("S", value), []
    if _is_module(value) or _is_optimizer(value) or _is_scheduler(value):
        return ("O", id(value)), []
    if isinstance(value, (tuple, list)):
        parts = [_split_argument(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return (type(value).__name__, tuple(p[0] for p in parts)), [a for p in parts for a in p[1]]
    if isinstance(value, dict):
        parts = [_split_argument(v, f"{where}[{k!r}]") for k, v in value.items()]
        return ("dict", tuple(value), tuple(p[0] for p in parts)), [a for p in parts for a in p[1]]
    raise CompileError(
        f"functorch_lite.compile: argument {where} has type {type(value).__name__}, which is neither array-like "
        "(Tensor, jax or numpy array) nor static (None, bool, int, float, str, or tuples/lists/dicts of these); "
        "pass its arrays instead, or refer to the object from the function's body"
    )


def _rebuild_argument(desc: Any, arrays: list, objects: dict[int, Any]) -> Any:
    kind = desc[0]
    if kind == "T":
        return Tensor._wrap(arrays.pop(0))
    if kind == "A":
        return arrays.pop(0)
    if kind == "S":
        return desc[1]
    if kind == "O":
        return objects[desc[1]]
    if kind in ("tuple", "list"):
        items = [_rebuild_argument(d, arrays, objects) for d in desc[1]]
        return tuple(items) if kind == "tuple" else items
    return {k: _rebuild_argument(d, arrays, objects) for k, d in zip(desc[1], desc[2])}


# -- errors ----------------------------------------------------------------------------------------
def _user_frame(tb: Any) -> str:
    """The innermost traceback frame outside jax and this package: where the user's code read a value."""
    where = "an unknown line"
    while tb is not None:
        filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if not filename.startswith((_PACKAGE_DIR, _JAX_DIR)) or os.sep + "examples" + os.sep in filename:
            line = linecache.getline(filename, tb.tb_lineno).strip()
            where = f"{os.path.basename(filename)}:{tb.tb_lineno} (`{line}`)"
        tb = tb.tb_next
    return where


_VALUE_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerIntegerConversionError,
)


# -- the compiled callable -------------------------------------------------------------------------
class Compiled:
    """A jitted imperative function; call it like the original."""

    def __init__(self, fn: Callable, *, donate: bool = True, roots: list[Any] | None = None, mesh: Any = None):
        functools.update_wrapper(self, fn, updated=())
        self.fn = fn
        self.donate = donate
        self.mesh = mesh
        self._roots = roots
        self._state: _State | None = None
        self._programs: dict[tuple, Callable] = {}

    def _find_state(self, args: tuple, kwargs: dict) -> _State:
        roots = list(self._roots) if self._roots is not None else _referenced_objects(self.fn, set())
        roots += [v for v in (*args, *kwargs.values()) if _is_module(v) or _is_optimizer(v) or _is_scheduler(v)]
        return _State(roots)

    @property
    def cache_size(self) -> int:
        """How many programs have been compiled (one per signature)."""
        return len(self._programs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._state is None:
            self._state = self._find_state(args, kwargs)
            self._arg_names = list(inspect.signature(self.fn).parameters)
        state = self._state
        entries = state.entries()
        descs, arrays = [], []
        for i, value in enumerate(args):
            where = repr(self._arg_names[i]) if i < len(self._arg_names) else f"#{i}"
            desc, leaves = _split_argument(value, where)
            descs.append(desc)
            arrays.extend(leaves)
        kw_descs = {}
        for name, value in kwargs.items():
            kw_descs[name], leaves = _split_argument(value, repr(name))
            arrays.extend(leaves)
        key = (tuple(descs), tuple(sorted(kw_descs.items())), state.signature(entries))
        program = self._programs.get(key)
        if program is None:
            objects = {id(v): v for v in (*args, *kwargs.values())}
            program = self._build(entries, descs, kw_descs, objects)
            self._programs[key] = program
        state_in = _distinct([state.read(e) for e in entries]) if self.donate else [state.read(e) for e in entries]
        state_in, arrays = self._place(state_in, arrays)
        learning_rates = state.learning_rates()
        try:
            (out, new_values), out_entries = program(state_in, arrays)
        except _VALUE_ERRORS as err:
            self._programs.pop(key, None)
            raise CompileError(
                f"functorch_lite.compile: {self.__name__} reads a tensor's value at {_user_frame(err.__traceback__)} "
                "while it is being compiled, but values exist only when the compiled program runs. Return the "
                "tensor from the step and call .item()/float() on the result outside it; use torch.where / "
                "clamp instead of Python `if`/`while` on tensor values."
            ) from None
        finally:
            state.set_learning_rates(learning_rates)  # lr is an input only; keep the user's Python floats
        for entry, value in zip(out_entries, new_values):
            if entry[0] != "lr":
                state.write(entry, value)
        return out

    def _place(self, state_in: list, arrays: list) -> tuple[list, list]:
        """Data parallel: state replicated, array arguments split on axis 0. Otherwise: the
        arguments go to the device holding the state (the module's parameters)."""
        if self.mesh is not None:
            from . import parallel

            batch = [a for a in arrays if np.ndim(a) > 0]
            batch = iter(
                parallel.mesh._shard_batch(batch, self.mesh, 0, None, self.__name__, "functorch_lite.compile(mesh=...)")
            )
            arrays = [next(batch) if np.ndim(a) > 0 else a for a in arrays]
            return parallel.replicate(state_in, self.mesh), arrays
        home = next((a for a in state_in[1:] if isinstance(a, jax.Array)), None)
        if home is not None and arrays:
            devices = home.devices()
            arrays = [
                a if isinstance(a, jax.Array) and a.devices() == devices else jax.device_put(a, home.sharding)
                for a in arrays
            ]
        return state_in, arrays

    def _restore(self, entries: list, values: list) -> None:
        for entry, value in zip(entries, values):
            self._state.write(entry, value)

    def _build(self, entries: list, descs: list, kw_descs: dict, objects: dict) -> Callable:
        state = self._state
        out_entries_box: list = []

        def pure(state_in: list, arrays: list):
            for entry, value in zip(entries, state_in):
                state.write(entry, value)
            remaining = list(arrays)
            args = [_rebuild_argument(d, remaining, objects) for d in descs]
            kwargs = {k: _rebuild_argument(d, remaining, objects) for k, d in kw_descs.items()}
            out = self.fn(*args, **kwargs)
            out_entries = state.entries()
            new_values = [state.read(e) for e in out_entries if e[0] != "lr"]
            if self.mesh is not None:  # the new state stays replicated; XLA all-reduces the gradients
                from .parallel import replicated_sharding

                new_values = jax.lax.with_sharding_constraint(new_values, replicated_sharding(self.mesh))
            out_entries = [e for e in out_entries if e[0] != "lr"]
            out_entries_box[:] = [out_entries]
            out = jax.tree.map(
                lambda t: t._array if isinstance(t, Tensor) else t, out, is_leaf=lambda t: isinstance(t, Tensor)
            )
            return out, new_values

        jitted = jax.jit(pure, donate_argnums=(0,) if self.donate else ())

        def run(state_in: list, arrays: list):
            try:
                out, new_values = jitted(state_in, arrays)
            except BaseException:
                # Tracing may have left tracers in the objects: put the inputs back.
                self._restore(entries, state_in) if not _any_deleted(state_in) else None
                raise
            out = jax.tree.map(lambda a: Tensor._wrap(a) if isinstance(a, jax.Array) else a, out)
            return (out, new_values), out_entries_box[0]

        return run


def _distinct(arrays: list) -> list:
    """Donation refuses one buffer passed twice (tied weights, a shared cotangent): copy repeats."""
    seen: set[int] = set()
    out = []
    for a in arrays:
        if id(a) in seen:
            a = jnp.array(a, copy=True)
        seen.add(id(a))
        out.append(a)
    return out


def _any_deleted(arrays: list) -> bool:
    return any(isinstance(a, jax.Array) and not isinstance(a, jax.core.Tracer) and a.is_deleted() for a in arrays)


def compile(fn: Callable | Any = None, *, donate: bool = True, mesh: Any = None) -> Any:  # noqa: A001 - torch's name
    """Compiles an imperative step (or a Module's forward) into one jitted XLA program.

    `functorch_lite.compile(step)` or `@functorch_lite.compile`; `compile(module)`
    returns a callable running the module's forward jitted (for evaluation loops).
    `donate=False` keeps the old state buffers alive (slower, more memory).
    `mesh=functorch_lite.parallel.data_parallel_mesh()` trains data-parallel: the state
    is replicated on every device of the mesh and every array argument is a global batch
    split along its first axis (its size must divide by the device count).
    """
    if not isinstance(donate, bool):
        raise TypeError(f"functorch_lite.compile: donate must be a bool, got {donate!r}")
    if fn is None:
        return lambda f: compile(f, donate=donate, mesh=mesh)
    if mesh is not None and not isinstance(mesh, jax.sharding.Mesh):
        raise TypeError(f"functorch_lite.compile: mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}")
    if _is_module(fn):
        compiled = Compiled(fn.__call__, donate=donate, roots=[fn], mesh=mesh)
        compiled.module = fn
        return compiled
    if not callable(fn):
        raise TypeError(f"functorch_lite.compile: expected a function or an nn.Module, got {type(fn).__name__}")
    return Compiled(fn, donate=donate, mesh=mesh)
