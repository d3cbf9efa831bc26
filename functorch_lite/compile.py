"""`functorch_lite.compile`: one XLA program for an imperative PyTorch-style step.

    @functorch_lite.compile
    def train_step(inputs, labels):
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss

The state the step touches (Parameters, buffers, `.grad`, optimizer slots, learning
rates, generator keys) is found by tracing the step once with every live one lifted to
an input; the jitted program carries exactly those it reads or writes, donates what it
overwrites, and writes the new values back after every call. How, and what selects a
program: docs/design_notes.md.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
import linecache
import operator
import os
import sys
import weakref
from collections.abc import Callable
from itertools import repeat
from sys import getrefcount
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from . import _grad_pack, _value_checks
from . import random as _random
from ._tensor.tensor import Tensor
from .nn import parameter as _parameter

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
        array = value._array
        return ("T", array.shape, array.dtype), [array]
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        array = jnp.asarray(value)
        return ("A", array.shape, array.dtype), [array]
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


# -- finding the state by tracing ------------------------------------------------------------------
def _live_state() -> tuple[list, list, list]:
    """Every facade object that exists now: Tensors holding concrete arrays, optimizers, generators."""
    from .optim.optimizer import Optimizer

    tensors, optimizers, generators = [], [], []
    for obj in gc.get_objects():
        if isinstance(obj, Tensor):
            if isinstance(obj._array, jax.Array) and not isinstance(obj._array, jax.core.Tracer):
                tensors.append(obj)
        elif isinstance(obj, Optimizer):
            optimizers.append(obj)
        elif isinstance(obj, _random.Generator):
            generators.append(obj)
    return tensors, optimizers, generators


def _frame_site(frame: Any) -> str:
    """The innermost frame outside jax and this package, as `file:line (`code`)`."""
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith((_PACKAGE_DIR, _JAX_DIR)) and "importlib" not in filename:
            line = linecache.getline(filename, frame.f_lineno).strip()
            return f"{os.path.basename(filename)}:{frame.f_lineno} (`{line}`)"
        frame = frame.f_back
    return "an unknown line"


class _Snapshot:
    """Everything a discovery trace may change, saved so that it can be put back exactly."""

    def __init__(self, tensors: list, optimizers: list, generators: list):
        self.tensors = [(t, t._array, t._grad, t._node, t._output_index, t._requires_grad, t._version) for t in tensors]
        self.optimizers = [
            (
                opt,
                opt.state,
                list(opt.state.items()),
                [(d, dict(d)) for d in opt.state.values()],
                [(g, g.get("lr")) for g in opt.param_groups],
            )
            for opt in optimizers
        ]
        self.generators = [(g, g._key) for g in generators]

    def restore(self) -> None:
        for t, array, grad, node, index, requires_grad, version in self.tensors:
            t._array, t._grad, t._node, t._output_index = array, grad, node, index
            t._requires_grad, t._version = requires_grad, version
        for opt, state, items, slots, lrs in self.optimizers:
            opt.state = state
            state.clear()
            state.update(items)
            for d, saved in slots:
                d.clear()
                d.update(saved)
            for group, lr in lrs:
                group["lr"] = lr
        for g, key in self.generators:
            g._key = key


class _Program:
    """One traced step: which state slots it reads and writes, its guard, and the jitted program."""

    def __init__(self, reads: list, lr_groups: list, writes: list, guard_owners: list, optimizers: list):
        self.reads = reads  # ("array", t) | ("grad", t) | ("slot", d, k) | ("key", g)
        self.lr_groups = lr_groups
        self.lr_arrays: list[tuple[Any, Any]] = [(None, None)] * len(lr_groups)
        self.writes = writes  # the same kinds plus ("newgrad", t) and ("nograd", t)
        self.guard_owners = guard_owners
        self.guard_grads = [t._grad is None for t in guard_owners]
        self.guard_requires = list(map(_get_requires_grad, guard_owners))
        self.optimizers = [(opt, opt.state, _slot_count(opt)) for opt in optimizers]
        # The slot dicts the program reads and writes, and every group's options but `lr` (an input): the
        # step traced them as they are now.
        self.slot_dicts = [(opt.state, p, opt.state.get(p)) for opt in optimizers for p in _group_params(opt)]
        self.options = [(g, _options(g)) for opt in optimizers for g in opt.param_groups]
        self.generation = _generation[0]
        self.jitted: Callable | None = None
        self._group_writes(writes)
        # The hot path reads and writes plain lists of objects of one kind.
        self.read_arrays = [e[1] for e in reads if e[0] == "array"]
        self.read_grads = [e[1] for e in reads if e[0] == "grad"]
        self.read_slots = [(e[1], e[2]) for e in reads if e[0] == "slot"]
        self.read_keys = [e[1] for e in reads if e[0] == "key"]
        # Only what the step overwrites is donated; what it only reads stays valid.
        written = {_slot_id(e) for e in writes}
        self.donated = [i for i, e in enumerate(reads) if _slot_id(e) in written]
        self.kept = [i for i, e in enumerate(reads) if _slot_id(e) not in written]

    def valid(self) -> bool:
        if self.generation != _generation[0]:
            return False
        if [t._grad is None for t in self.guard_owners] != self.guard_grads:
            return False
        if list(map(_get_requires_grad, self.guard_owners)) != self.guard_requires:
            return False
        if not all(opt.state is state and _slot_count(opt) == count for opt, state, count in self.optimizers):
            return False
        if not all(state.get(p) is slots for state, p, slots in self.slot_dicts):
            return False
        return all(_same_options(_options(g), saved) for g, saved in self.options)

    def read(self) -> list:
        out = list(map(_get_array, self.read_arrays))
        out += [t._grad._array for t in self.read_grads]
        out += [d[k] for d, k in self.read_slots]
        out += [jnp.asarray(g._key) for g in self.read_keys]
        return out

    def learning_rates(self) -> list:
        """The groups' learning rates as arrays; a number is put on the device once per value, not per call."""
        out = []
        for i, group in enumerate(self.lr_groups):
            lr = group["lr"]
            if not isinstance(lr, jax.Array):
                seen, array = self.lr_arrays[i]
                if lr != seen or type(lr) is not type(seen):
                    array = _lr_array(lr)
                    self.lr_arrays[i] = (lr, array)
                lr = array
            out.append(lr)
        return out

    def write(self, values: list) -> None:
        """The new state into its objects: plain attribute stores, grouped by kind (no per-entry dispatch)."""
        n = len(self.w_arrays)
        any(map(setattr, self.w_arrays, repeat("_array"), values[:n]))
        k = n + len(self.w_keys)
        any(map(setattr, self.w_keys, repeat("_key"), values[n:k]))
        for owner, value in zip(self.w_grads, values[k : k + len(self.w_grads)]):
            grad = owner._grad
            if grad is None:
                owner._grad = Tensor._wrap(value)
            else:
                grad._array = value
        k += len(self.w_grads)
        for owner in self.w_nograds:
            owner._grad = None
        for (opt, param, key, is_tensor), value in zip(self.w_slots, values[k : k + len(self.w_slots)]):
            slots = opt.state[param]
            old = slots.get(key)
            if isinstance(old, Tensor):
                old._array = value
            else:
                slots[key] = Tensor._wrap(value) if is_tensor else value
        k += len(self.w_slots)
        wrap = Tensor._wrap  # then the new grads: their own ones, and the packed ones last
        for owner, value in zip(self.w_newgrads, values[k : k + len(self.w_newgrads)]):
            owner._grad = wrap(value)
        for (owners, split, last), buffer in zip(self.packs, values[k + len(self.w_newgrads) :]):
            _grad_pack.write(owners, split, buffer, last)

    def _group_writes(self, writes: list) -> None:
        """Sorts the written slots by kind; `order` maps the program's outputs to that order.

        The new `.grad`s (which replace no input) come last: jax gives each donated input's buffer to
        the first output of its shape and dtype, so a new grad before the optimizer's slots would take
        a slot's buffer (a momentum buffer has its parameter's shape), and XLA would copy both."""
        valued = [(i, e) for i, e in enumerate(w for w in writes if w[0] != "nograd")]
        kinds = ("array", "key", "grad", "slot", "newgrad")
        ordered = sorted(valued, key=lambda item: kinds.index(item[1][0]))
        self.order = [i for i, _ in ordered]
        self.w_arrays = [e[1] for _, e in ordered if e[0] == "array"]
        self.w_keys = [e[1] for _, e in ordered if e[0] == "key"]
        self.w_grads = [e[1] for _, e in ordered if e[0] == "grad"]
        self.w_newgrads = [e[1] for _, e in ordered if e[0] == "newgrad"]  # new .grad Tensors
        self.packs: list = []  # (owners, split, last grads) of the new grads packed into one buffer (set by `_build`)
        self.w_slots = [e[1:] for _, e in ordered if e[0] == "slot"]
        self.w_nograds = [e[1] for e in writes if e[0] == "nograd"]


_get_array = operator.attrgetter("_array")
_get_requires_grad = operator.attrgetter("_requires_grad")


def _lr_array(lr: Any) -> Any:
    """A learning rate as the program's input: a Python number stays weakly typed, as in the eager step (a
    float16 or float64 parameter is updated in its own precision)."""
    return lr if isinstance(lr, jax.Array) else jnp.asarray(lr)


def _group_params(opt: Any) -> list:
    return [p for g in opt.param_groups for p in g["params"]]


def _options(group: dict) -> tuple:
    """A group's options other than `lr` and `params`: constants of the traced program."""
    return tuple((k, v) for k, v in group.items() if k not in ("params", "lr"))


def _same_options(now: tuple, saved: tuple) -> bool:
    try:
        return bool(now == saved)  # identical objects compare equal without __eq__
    except Exception:  # e.g. a Tensor option: compare by identity only
        return len(now) == len(saved) and all(a is b for a, b in zip(now, saved))


_generation = _parameter.generation


def _slot_id(entry: tuple) -> tuple:
    kind = entry[0]
    if kind == "slot":
        slots = entry[1] if len(entry) == 3 else entry[1].state.get(entry[2])
        return ("slot", id(slots), entry[2] if len(entry) == 3 else entry[3])
    return (kind, id(entry[1]))  # a dropped grad ("nograd") is not donated: nothing replaces it


def _slot_count(opt: Any) -> int:
    return sum(map(len, opt.state.values()))


def _used_invars(jaxpr: Any) -> set[int]:
    used = {id(v) for eqn in jaxpr.eqns for v in eqn.invars}
    return used | {id(v) for v in jaxpr.outvars}


def _describe_holder(tensor: Tensor) -> str:
    """Where a leaked Tensor is kept: a list, a dict, an attribute of an object."""
    for holder in gc.get_referrers(tensor):
        if isinstance(holder, list):
            return "a Python list (appended to or assigned inside the step)"
        names = getattr(holder, "__dict__", None)
        if isinstance(names, dict) and not isinstance(holder, type):
            name = next((k for k, v in names.items() if v is tensor), None)
            if name is not None:
                return f"attribute {name!r} of a {type(holder).__name__}"
        if isinstance(holder, dict):
            for owner in gc.get_referrers(holder):
                if getattr(owner, "__dict__", None) is holder or any(
                    getattr(owner, r, None) is holder for r in ("_parameters", "_buffers", "_modules")
                ):
                    name = next((k for k, v in holder.items() if v is tensor), "?")
                    return f"attribute {name!r} of a {type(owner).__name__}"
            name = next((k for k, v in holder.items() if v is tensor), "?")
            return f"a dict under key {name!r}"
    return "an object outside the step"


# -- the compiled callable -------------------------------------------------------------------------
class Compiled:
    """A jitted imperative function; call it like the original."""

    def __init__(self, fn: Callable, *, donate: bool = True, mesh: Any = None, check: bool = False):
        functools.update_wrapper(self, fn, updated=())
        self.fn = fn
        self.donate = donate
        self.mesh = mesh
        self.check = check
        self._programs: dict[tuple, list[_Program]] = {}
        self._executables: dict[tuple, Callable] = {}
        self._compiled = 0
        self._arg_names = list(inspect.signature(fn).parameters)

    @property
    def cache_size(self) -> int:
        """How many programs have been compiled (one per signature)."""
        return self._compiled

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        descs, arrays = [], []
        for i, value in enumerate(args):
            if isinstance(value, Tensor):  # the common case, without building a name for errors
                array = value._array
                descs.append(("T", array.shape, array.dtype))
                arrays.append(array)
                continue
            where = repr(self._arg_names[i]) if i < len(self._arg_names) else f"#{i}"
            desc, leaves = _split_argument(value, where)
            descs.append(desc)
            arrays.extend(leaves)
        kw_descs = {}
        for name, value in kwargs.items():
            kw_descs[name], leaves = _split_argument(value, repr(name))
            arrays.extend(leaves)
        key = (tuple(descs), tuple(sorted(kw_descs.items())))
        programs = self._programs.setdefault(key, [])
        program = next((p for p in reversed(programs) if p.valid()), None)  # the newest first
        if program is None:
            objects = {id(v): v for v in (*args, *kwargs.values())}
            program = self._discover(descs, kw_descs, arrays, objects)
            programs[:] = [p for p in programs if p.generation == _generation[0]][-7:] + [program]
        state_in = program.read()
        donated = [state_in[i] for i in program.donated]
        kept = [state_in[i] for i in program.kept]
        del state_in  # the donated arrays' only references: their slots and `donated` (see _unshared)
        if self.donate:
            donated = _unshared(donated)
        (donated, kept), arrays = self._place((donated, kept), arrays)
        out, new_values = program.jitted(donated, kept, program.learning_rates(), arrays)
        program.write(new_values)
        if self.check:
            error, out = out
            _raise_checked(error)
        return jax.tree.unflatten(
            program.out_tree, [Tensor._wrap(a) if w else a for a, w in zip(out, program.out_wrap)]
        )

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
        home = next((a for a in (*state_in[0][:1], *state_in[1][:1]) if isinstance(a, jax.Array)), None)
        if home is not None and arrays:
            devices = home.devices()
            arrays = [
                a if isinstance(a, jax.Array) and a.devices() == devices else jax.device_put(a, home.sharding)
                for a in arrays
            ]
        return state_in, arrays

    def _discover(self, descs: list, kw_descs: dict, arrays: list, objects: dict) -> _Program:
        """Traces the step once with every live Tensor, optimizer slot, learning rate and generator
        key as an input, and keeps the ones it reads or writes."""
        gc.collect()
        tensors, optimizers, generators = _live_state()
        owners = {id(t._grad): t for t in tensors if t._grad is not None}
        plain = [t for t in tensors if id(t) not in owners]  # a grad is read through its owner
        sources = [("array", t) for t in plain] + [("grad", owners[id(t)]) for t in tensors if id(t) in owners]
        numbers = (int, float, np.number, jax.Array)
        groups = [g for opt in optimizers for g in opt.param_groups if isinstance(g.get("lr"), numbers)]
        for opt in optimizers:
            for slots in opt.state.values():
                sources += [("slot", slots, k) for k, v in slots.items() if isinstance(v, jax.Array)]
        sources += [("key", g) for g in generators]
        values = _read_sources(sources)
        lrs = [_lr_array(g["lr"]) for g in groups]
        snapshot = _Snapshot(tensors, optimizers, generators)
        box: dict = {}
        sites: dict[int, tuple[Any, str]] = {}

        def traced(lifted: list, lifted_lrs: list, arg_arrays: list):
            _write_sources(sources, lifted)
            for group, lr in zip(groups, lifted_lrs):
                group["lr"] = lr
            grads_before = [t._grad for t in tensors]
            slots_before = [(slots, dict(slots)) for opt in optimizers for slots in opt.state.values()]
            remaining = list(arg_arrays)
            call_args = [_rebuild_argument(d, remaining, objects) for d in descs]
            call_kwargs = {k: _rebuild_argument(d, remaining, objects) for k, d in kw_descs.items()}
            out = self.fn(*call_args, **call_kwargs)
            leaves, box["tree"] = jax.tree.flatten(out, is_leaf=lambda t: isinstance(t, Tensor))
            box["wrap"] = [isinstance(t, Tensor) for t in leaves]
            leaves = [t._array if isinstance(t, Tensor) else t for t in leaves]
            writes, new_values = _find_writes(sources, lifted, tensors, grads_before, optimizers, slots_before)
            box["writes"] = writes
            for group, lr in zip(groups, lifted_lrs):
                if group["lr"] is not lr:
                    raise CompileError(
                        f"functorch_lite.compile: {self.__name__} changes an optimizer's learning rate (a scheduler's "
                        "step(), or group['lr'] = ...) inside the compiled step; the learning rate is an input of the "
                        "compiled program, so the change would be lost. Call scheduler.step() outside the step."
                    )
            return leaves, new_values

        original_wrap = Tensor.__dict__["_wrap"]

        def recording_wrap(cls: type, *a: Any, **k: Any) -> Tensor:
            tensor = original_wrap.__func__(cls, *a, **k)
            sites[id(tensor)] = (weakref.ref(tensor), _frame_site(sys._getframe(1)))
            return tensor

        _parameter.registration_hook[0] = _refuse_registration
        Tensor._wrap = classmethod(recording_wrap)
        checks = _value_checks.checkified() if self.check else contextlib.nullcontext()
        try:
            checks.__enter__()
            closed = jax.make_jaxpr(traced)(values, lrs, arrays)
        except _VALUE_ERRORS as err:
            raise CompileError(
                f"functorch_lite.compile: {self.__name__} reads a tensor's value at {_user_frame(err.__traceback__)} "
                "while it is being compiled, but values exist only when the compiled program runs. Return the "
                "tensor from the step and call .item()/float() on the result outside it; use torch.where / "
                "clamp instead of Python `if`/`while` on tensor values."
            ) from None
        finally:
            checks.__exit__(None, None, None)
            Tensor._wrap = original_wrap
            _parameter.registration_hook[0] = None
            snapshot.restore()
        self._check_no_leaks(sites)
        return self._build(closed, sources, groups, box, tensors, optimizers, len(arrays))

    def _plan_packs(self, program: _Program, jaxpr: Any) -> tuple[list, list]:
        """Which new `.grad`s the program packs (`_grad_pack`): their output positions in groups, and the
        positions of the outputs that stay their own. Not under a mesh (the packs would be replicated)."""
        if self.mesh is not None or len(program.w_newgrads) < 2:
            return [], []
        start = len(program.order) - len(program.w_newgrads)  # the new grads are the last outputs
        outvars = jaxpr.outvars[len(jaxpr.outvars) - len(program.order) :]
        avals = [outvars[program.order[start + i]].aval for i in range(len(program.w_newgrads))]
        groups = _grad_pack.plan(avals)
        if not groups:
            return [], []
        in_pack = {i for members in groups for i in members}
        owners = program.w_newgrads
        program.packs = [
            ([owners[i] for i in members], _grad_pack.splitter(tuple(avals[i].shape for i in members)), [])
            for members in groups
        ]
        program.w_newgrads = [owner for i, owner in enumerate(owners) if i not in in_pack]
        kept_out = [i for i in range(len(program.order)) if i < start or i - start not in in_pack]
        return [[start + i for i in members] for members in groups], kept_out

    def _check_no_leaks(self, sites: dict) -> None:
        gc.collect()
        for ref, site in sites.values():
            tensor = ref()
            if tensor is not None and isinstance(tensor._array, jax.core.Tracer):
                holder = _describe_holder(tensor)
                tensor._array = jnp.zeros(tensor._array.shape, tensor._array.dtype)  # no leaked tracer
                raise CompileError(
                    f"functorch_lite.compile: {self.__name__} stores a tensor created inside the step in {holder} "
                    f"(the tensor was made at {site}). Only Parameters, buffers, .grad, optimizer state and the random "
                    "generator that existed before the call are carried out of a compiled step; return the tensor "
                    "from the step instead, or update an existing buffer in place (buf.copy_(value))."
                )

    def _build(
        self, closed: Any, sources: list, groups: list, box: dict, tensors: list, optimizers: list, n_args: int
    ) -> _Program:
        jaxpr = closed.jaxpr
        used = _used_invars(jaxpr)
        n_state = len(sources)
        invars = jaxpr.invars
        state_used = [id(v) in used for v in invars[:n_state]]
        lr_used = [id(v) in used for v in invars[n_state : n_state + len(groups)]]
        reads = [s for s, u in zip(sources, state_used) if u]
        lr_groups = [g for g, u in zip(groups, lr_used) if u]
        writes = box["writes"]
        touched = {id(e[1]) for e in reads + writes if e[0] in ("array", "grad", "nograd")}
        used_opts = [
            opt
            for opt in optimizers
            if any(id(p) in touched for g in opt.param_groups for p in g["params"])
            or any(g is h for g in opt.param_groups for h in lr_groups)
        ]
        guard = [t for t in tensors if id(t) in touched]
        seen = {id(t) for t in guard}
        for opt in used_opts:
            for g in opt.param_groups:
                guard += [p for p in g["params"] if id(p) not in seen and not seen.add(id(p))]
        program = _Program(reads, lr_groups, writes, guard, used_opts)
        program.out_tree, program.out_wrap = box["tree"], box["wrap"]
        state_index = [i for i, u in enumerate(state_used) if u]
        lr_index = [n_state + i for i, u in enumerate(lr_used) if u]
        keep = state_index + lr_index + list(range(len(invars) - n_args, len(invars)))
        jaxpr = _pruned(jaxpr, keep)
        mesh, order, n_reads = self.mesh, program.order, len(reads)
        donated_at, kept_at = program.donated, program.kept
        packed, kept_out = self._plan_packs(program, jaxpr)

        def run(donated: list, kept: list, lrs: list, arg_arrays: list):
            state: list = [None] * n_reads
            for i, v in zip(donated_at, donated):
                state[i] = v
            for i, v in zip(kept_at, kept):
                state[i] = v
            flat = jax.core.eval_jaxpr(jaxpr, closed.consts, *state, *lrs, *arg_arrays)
            n_out = len(flat) - len(order)
            out, new_values = flat[:n_out], flat[n_out:]
            new_values = [new_values[i] for i in order]
            if packed:
                new_values = [new_values[i] for i in kept_out] + [
                    _grad_pack.pack([new_values[i] for i in members]) for members in packed
                ]
            if mesh is not None:  # the new state stays replicated; XLA all-reduces the gradients
                from .parallel import replicated_sharding

                new_values = jax.lax.with_sharding_constraint(new_values, replicated_sharding(mesh))
            return out, new_values

        # A step traced again (train/eval switched back, a module created elsewhere) that gives the
        # same program over the same slots reuses its compiled executable.
        fingerprint = (
            tuple(map(_slot_id, reads)),
            tuple(map(_slot_id, writes)),
            tuple(map(id, lr_groups)),
            str(jaxpr),
            tuple(_const_key(c) for c in closed.consts),
        )
        cached = self._executables.get(fingerprint)
        if cached is not None:
            program.jitted = cached
            return program
        if self.check:
            checked = checkify.checkify(run, errors=checkify.user_checks)

            def run_checked(donated: list, kept: list, lrs: list, arg_arrays: list):
                error, (out, new_values) = checked(donated, kept, lrs, arg_arrays)
                return (error, out), new_values

            program.jitted = jax.jit(run_checked, donate_argnums=(0,) if self.donate else ())
        else:
            program.jitted = jax.jit(run, donate_argnums=(0,) if self.donate else ())
        if len(self._executables) >= 32:
            self._executables.pop(next(iter(self._executables)))
        self._executables[fingerprint] = program.jitted
        self._compiled += 1
        return program


def _pruned(jaxpr: Any, keep: list[int]) -> Any:
    """The jaxpr over only the inputs it uses (the discovery trace lifted every live array)."""
    info = jaxpr.debug_info
    names = getattr(info, "arg_names", None)
    if names is not None and len(names) == len(jaxpr.invars):
        info = info._replace(arg_names=tuple(names[i] for i in keep))
    return jaxpr.replace(invars=[jaxpr.invars[i] for i in keep], debug_info=info)


def _const_key(const: Any) -> Any:
    """A constant captured by the trace, by value where it is small."""
    size = int(np.size(const))
    if size <= 4096 and not isinstance(const, jax.core.Tracer):
        array = np.asarray(const)
        return (array.shape, str(array.dtype), array.tobytes())
    return id(const)


def _read_sources(sources: list) -> list:
    out = []
    for entry in sources:
        kind, owner = entry[0], entry[1]
        if kind == "array":
            out.append(owner._array)
        elif kind == "grad":
            out.append(owner._grad._array)
        elif kind == "slot":
            out.append(owner[entry[2]])
        else:
            out.append(jnp.asarray(owner._key))
    return out


def _write_sources(sources: list, values: list) -> None:
    for entry, value in zip(sources, values):
        kind, owner = entry[0], entry[1]
        if kind == "array":
            owner._array = value
        elif kind == "grad":
            owner._grad._array = value
        elif kind == "slot":
            owner[entry[2]] = value
        else:
            owner._key = value


def _find_writes(
    sources: list, lifted: list, tensors: list, grads_before: list, optimizers: list, slots_before: list
) -> tuple[list, list]:
    """What the step changed: rebound arrays, new or dropped grads, optimizer slots, generator keys."""
    writes, values = [], []
    for entry, value in zip(sources, lifted):
        kind, owner = entry[0], entry[1]
        if kind == "array" and owner._array is not value:
            writes.append(entry)
            values.append(owner._array)
        elif kind == "key" and owner._key is not value:
            writes.append(entry)
            values.append(owner._key)
    lifted_grads = {id(e[1]): v for e, v in zip(sources, lifted) if e[0] == "grad"}
    for t, before in zip(tensors, grads_before):
        grad = t._grad
        if grad is None:
            if before is not None:
                writes.append(("nograd", t))
        elif grad is not before:  # a new .grad Tensor (after zero_grad(), or the first backward)
            writes.append(("newgrad", t))
            values.append(grad._array)
        elif grad._array is not lifted_grads.get(id(t)):  # the same .grad, updated in place
            writes.append(("grad", t))
            values.append(grad._array)
    lifted_ids = {id(v) for v in lifted}
    for opt in optimizers:
        for param, slots in opt.state.items():
            for k, v in slots.items():
                array = v._array if isinstance(v, Tensor) else v
                if isinstance(array, jax.core.Tracer) and id(array) not in lifted_ids:
                    # the slots dict may be new: found again at write time; a Tensor slot stays a Tensor
                    writes.append(("slot", opt, param, k, isinstance(v, Tensor)))
                    values.append(array)
    return writes, values


def _raise_checked(error: Any) -> None:
    """The eager op's own error for a failed value check (`_value_checks`), after the compiled step ran."""
    message = error.get()
    if message:
        message = message.split(" (check failed at")[0].split(" (`check` failed)")[0].strip()
        name, _, text = message.partition(": ")
        raise getattr(_value_checks, name, IndexError)(text if hasattr(_value_checks, name) else message)


def _refuse_registration(owner: Any, name: str, value: Any) -> None:
    raise CompileError(
        f"functorch_lite.compile: the step registers {type(value).__name__} {name!r} on a {type(owner).__name__} "
        f"at {_frame_site(sys._getframe(2))}. A compiled step cannot create Parameters, buffers or Modules; create "
        "them before the first call (the next call finds them)."
    )


_OWNED = 4  # references to an array held only by its slot: the slot, the list, the loop, getrefcount's argument


def _unshared(arrays: list) -> list:
    """Donation deletes a buffer: copy the ones something else also holds (another Tensor, a
    detached view, a slot of another optimizer), so no live Tensor is left with a deleted one."""
    return [a if getrefcount(a) <= _OWNED else jnp.array(a, copy=True) for a in arrays]


def compile(fn: Callable | Any = None, *, donate: bool = True, mesh: Any = None, check: bool = False) -> Any:  # noqa: A001 - torch's name
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
        return lambda f: compile(f, donate=donate, mesh=mesh, check=check)
    if mesh is not None and not isinstance(mesh, jax.sharding.Mesh):
        raise TypeError(f"functorch_lite.compile: mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}")
    if _is_module(fn):
        compiled = Compiled(fn.__call__, donate=donate, mesh=mesh, check=check)
        compiled.module = fn
        return compiled
    if not callable(fn):
        raise TypeError(f"functorch_lite.compile: expected a function or an nn.Module, got {type(fn).__name__}")
    return Compiled(fn, donate=donate, mesh=mesh, check=check)
