"""`apply(fn, *args, **kwargs)`: runs a pure jax function on Tensors and records its vjp.

Every Tensor op, every `functional` op and every pure `Layer.apply` used by the
imperative facade goes through here, so this is the hot path of eager training.

How a call runs:

1. The arguments are flattened once into a *signature* (a hashable description of the
   containers and static Python values, with a marker per array saying whether it is a
   Tensor that needs a gradient) plus two lists of arrays: the differentiable ones and
   the rest (Tensors without grad, jax/numpy constants). Python numbers passed as operands
   of an op marked with `scalar_operands` are data, not part of the signature: they go in
   with the arrays and `jax.jit` sees them as weakly typed scalars, so `x * 0.1` and
   `x * 0.11` share one compiled program and keep PyTorch's promotion (a float32 tensor
   times a Python float stays float32, an int tensor times 2 stays int, times 2.5 is float).
   Everything else (dims, shapes, dtypes, flags, strings, None) is static: it changes the program.
2. `(fn, signature)` selects a cached `_Plan` (an LRU of `MAX_PLANS` entries) holding a
   jitted forward and a jitted backward. One of four paths then runs the op:
   - eager, small: the cached forward; the backward recomputes the forward inside its
     own jit and applies `jax.vjp` (XLA drops the parts the gradient does not use);
   - eager, large inputs needing grad: the forward also returns the vjp's residuals;
   - traced (any input is a `jax.core.Tracer`, e.g. inside `jax.jit` of a whole step), with
     grad: `jax.vjp` directly, its pullback kept on the node, so the step is one program;
   - traced without grad: the plain call.
3. Eagerly, value checks traced inside the op (`functorch_lite._value_checks`: class labels,
   embedding rows, ...) come back from the kernel as one bool, read after the launch; when
   false the op reruns on the concrete arrays outside jit and raises its own error.
4. Array outputs come back as Tensors in the same pytree structure; floating outputs
   of a recorded op require grad and point at one new `TapeNode`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _value_checks
from . import anomaly, grad_mode, tape
from .tape import TapeNode, edge_of

_DIFF = "<differentiable array>"  # signature markers; static strings are wrapped, so they never clash
_ARRAY = "<array>"
_STATIC = "<static>"
_SLICE = "<slice>"
_SCALAR = "<scalar>"
MAX_PLANS = 4096  # least recently used plans go first (callers may pass a fresh lambda per call)

_plans: OrderedDict[tuple, _Plan] = OrderedDict()
_Tracer = jax.core.Tracer
_ARRAY_TYPES = (jax.Array, np.ndarray)
_grad_state = grad_mode.state
_INT32 = (-(2**31), 2**31)


def scalar_operands(*kinds: type) -> Callable[[Callable], Callable]:
    """Marks a pure op whose top-level Python numbers of the given types (int, float) are traced data.

    Numbers nested in tuples/lists/dicts and bools stay static. Mark only ops where a number
    is an operand of the math (`mul`, `add`'s alpha, `clamp`'s bounds), never a shape or a dim.
    """

    def mark(fn: Callable) -> Callable:
        fn.scalar_operands = frozenset(kinds)
        return fn

    return mark


def _flatten_operand(obj: Any, scalars: frozenset, diff: list, other: list, inputs: list, record: bool, op: Any) -> Any:
    """`_flatten` for a top-level argument: a Python number of a kind in `scalars` is traced data."""
    kind = type(obj)
    if kind in scalars and (kind is float or _INT32[0] <= obj < _INT32[1]):
        other.append(obj)
        return (_SCALAR, kind)
    return _flatten(obj, diff, other, inputs, record, op)


def _flatten(obj: Any, diff: list, other: list, inputs: list, record: bool, op: Callable) -> Any:
    """The signature of `obj`; appends its arrays to `diff`/`other` and grad Tensors to `inputs`."""
    kind = type(obj)
    if kind is tape.Tensor or isinstance(obj, tape.Tensor):
        if record and obj._requires_grad:
            diff.append(obj._array)
            inputs.append(obj)
            return _DIFF
        other.append(obj._array)
        return _ARRAY
    if kind is tuple or kind is list:
        return (kind, tuple([_flatten(item, diff, other, inputs, record, op) for item in obj]))
    if kind is dict:
        return (dict, tuple(obj), tuple([_flatten(item, diff, other, inputs, record, op) for item in obj.values()]))
    if isinstance(obj, _ARRAY_TYPES):
        other.append(obj)
        return _ARRAY
    if kind is slice:  # not hashable before Python 3.12
        return (_SLICE, obj.start, obj.stop, obj.step)
    try:
        hash(obj)
    except TypeError:
        raise TypeError(
            f"{_op_name(op)}: static argument {obj!r} of type {kind.__name__} is not hashable; "
            f"pass arrays, Tensors, numbers, strings, None or tuples/lists/dicts of them"
        ) from None
    return (_STATIC, kind, obj)


def _rebuild(signature: Any, diff: Any, other: Any) -> Any:
    """Inverse of `_flatten`: the original arguments with arrays taken from the two iterators."""
    if signature is _DIFF:
        return next(diff)
    if signature is _ARRAY:
        return next(other)
    kind = signature[0]
    if kind is _STATIC:
        return signature[2]
    if kind is _SCALAR:
        return next(other)
    if kind is tuple or kind is list:
        return kind([_rebuild(item, diff, other) for item in signature[1]])
    if kind is dict:
        pairs = zip(signature[1], signature[2], strict=True)
        return {key: _rebuild(item, diff, other) for key, item in pairs}
    return slice(signature[1], signature[2], signature[3])  # _SLICE


def _op_name(fn: Callable) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _cotangents(out: Any, cotangents: list) -> Any:
    """Cotangents for `out`'s structure: given ones cast to the output dtype, zeros for None."""
    leaves, treedef = jax.tree_util.tree_flatten(out)
    filled = []
    for leaf, ct in zip(leaves, cotangents, strict=False):
        if not jnp.issubdtype(leaf.dtype, jnp.inexact):
            filled.append(np.zeros(leaf.shape, jax.dtypes.float0))  # integer outputs have no tangent
        elif ct is None:
            filled.append(jnp.zeros(leaf.shape, leaf.dtype))
        else:
            filled.append(ct.astype(leaf.dtype))
    return jax.tree_util.tree_unflatten(treedef, filled)


class _Plan:
    """Everything about one (fn, signature): the call, and its jitted forward and backward."""

    __slots__ = ("fn", "name", "signature", "forward", "backward", "forward_saving")

    def __init__(self, fn: Callable, signature: Any):
        self.fn = fn
        self.name = _op_name(fn)
        self.signature = signature
        self.forward = jax.jit(self.call_checked)
        self.backward = jax.jit(self.vjp)
        # For large inputs: the forward also returns the vjp's residuals (a pytree), so the
        # backward does not recompute a convolution's patches or a pool's argmax.
        self.forward_saving = jax.jit(self.call_saving)

    def call(self, diff: tuple, other: tuple) -> Any:
        args_signature, keyword_names, keyword_signatures = self.signature
        diff_iter, other_iter = iter(diff), iter(other)
        args = [_rebuild(s, diff_iter, other_iter) for s in args_signature]
        kwargs = {k: _rebuild(s, diff_iter, other_iter) for k, s in zip(keyword_names, keyword_signatures, strict=True)}
        return self.fn(*args, **kwargs)

    def call_checked(self, diff: tuple, other: tuple) -> tuple[Any, Any]:
        """The outputs, and one bool for the value checks traced inside (None when there are none)."""
        with _value_checks.collecting() as flags:
            out = self.call(diff, other)
        return out, _value_checks.all_ok(flags)

    def call_saving(self, diff: tuple, other: tuple) -> tuple[Any, Any, Any]:
        out, saved, ok = jax.vjp(lambda *d: self.call_checked(d, other), *diff, has_aux=True)
        return out, saved, ok

    def vjp(self, diff: tuple, other: tuple, cotangents: list) -> tuple:
        """Gradients w.r.t. `diff` of the op at (diff, other), pulled back from `cotangents`."""
        out, pullback = jax.vjp(lambda *d: self.call(d, other), *diff)
        return pullback(_cotangents(out, cotangents))


class _Backward:
    """A node's backward: the op's saved inputs, and a pullback when it was traced."""

    __slots__ = ("plan", "diff", "other", "edges", "pullback", "out")

    def __init__(self, plan, diff, other, edges, pullback, out):
        self.plan, self.diff, self.other, self.edges = plan, diff, other, edges
        self.pullback, self.out = pullback, out

    def __call__(self, cotangents: list, create_graph: bool) -> Any:
        if create_graph:
            return self._recorded(cotangents)
        if isinstance(self.pullback, _SavedPullback):
            return self.pullback(cotangents)
        if self.pullback is not None:
            return self.pullback(_cotangents(self.out, cotangents))
        return self.plan.backward(self.diff, self.other, cotangents)

    def _recorded(self, cotangents: list) -> Any:
        """The vjp as a recorded op of the inputs, so it can be differentiated again."""
        aliases = []
        for array, (target, index) in zip(self.diff, self.edges, strict=False):
            # The input's value when the op ran, wired to where its gradient went then
            # (`target` may be a leaf Tensor: the engine sums into its `.grad`).
            alias = tape.Tensor._wrap(array, True, target, index)
            aliases.append(alias)
        return apply(self.plan.vjp, tuple(aliases), self.other, list(cotangents))


def apply(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Runs pure `fn` on the arrays inside `args`/`kwargs` and returns Tensors.

    Records one tape node (the vjp w.r.t. the inputs that require grad) when grad mode
    is on and any input Tensor requires grad. Static arguments must be hashable.
    """
    diff: list = []
    other: list = []
    inputs: list = []
    plan = _plan_for(fn, _signature(fn, args, kwargs, diff, other, inputs, _grad_state.enabled))
    diff_tuple, other_tuple = tuple(diff), tuple(other)
    traced = _any_tracer(diff_tuple) or _any_tracer(other_tuple)
    if traced:
        run = _run_traced_with_grad if inputs else _run_traced
    elif inputs and _large(diff_tuple, other_tuple):
        run = _run_eager_saving_residuals
    else:
        run = _run_eager
    try:
        out, pullback = run(plan, diff_tuple, other_tuple)
    except Exception as error:
        _drop_jax_note(error)
        raise_if_donated(error)
        raise
    if not inputs:
        return _wrap_outputs(out, None)
    edges = [edge_of(t) for t in inputs]
    backward = _Backward(plan, diff_tuple, other_tuple, edges, pullback, out if traced else None)
    return _wrap_outputs(out, TapeNode(plan.name, edges, 0, backward))


def _signature(fn: Callable, args: tuple, kwargs: dict, diff: list, other: list, inputs: list, record: bool) -> tuple:
    scalars = getattr(fn, "scalar_operands", None)
    if scalars:
        return (
            tuple([_flatten_operand(a, scalars, diff, other, inputs, record, fn) for a in args]),
            tuple(kwargs),
            tuple([_flatten_operand(v, scalars, diff, other, inputs, record, fn) for v in kwargs.values()]),
        )
    return (
        tuple([_flatten(a, diff, other, inputs, record, fn) for a in args]),
        tuple(kwargs),
        tuple([_flatten(v, diff, other, inputs, record, fn) for v in kwargs.values()]),
    )


def _plan_for(fn: Callable, signature: tuple) -> _Plan:
    """The cached plan of (fn, signature); the least recently used one goes past `MAX_PLANS`."""
    key = (fn, signature)
    plan = _plans.get(key)
    if plan is not None:
        _plans.move_to_end(key)
        return plan
    plan = _plans[key] = _Plan(fn, signature)
    while len(_plans) > MAX_PLANS:
        _plans.popitem(last=False)
    return plan


def _any_tracer(arrays: tuple) -> bool:
    for array in arrays:
        if isinstance(array, _Tracer):
            return True
    return False


# ---- the four ways an op runs: each returns (outputs, pullback or None) ------------------------------------------
def _run_eager(plan: _Plan, diff: tuple, other: tuple) -> tuple[Any, None]:
    """Concrete inputs, small or without grad: one cached kernel; the backward recomputes."""
    out, ok = plan.forward(diff, other)
    _after_eager(plan, diff, other, out, ok)
    return out, None


def _run_eager_saving_residuals(plan: _Plan, diff: tuple, other: tuple) -> tuple[Any, _SavedPullback]:
    """Concrete large inputs needing grad: the kernel also returns the vjp's residuals."""
    out, saved, ok = plan.forward_saving(diff, other)
    _after_eager(plan, diff, other, out, ok)
    return out, _SavedPullback(saved, out)


def _run_traced_with_grad(plan: _Plan, diff: tuple, other: tuple) -> tuple[Any, Any]:
    """Inside a trace (a whole step under `jax.jit`): `jax.vjp` directly, no nested jit."""
    return jax.vjp(lambda *d: plan.call(d, other), *diff)


def _run_traced(plan: _Plan, diff: tuple, other: tuple) -> tuple[Any, None]:
    """Inside a trace, nothing to record: the plain call."""
    return plan.call(diff, other), None


def _after_eager(plan: _Plan, diff: tuple, other: tuple, out: Any, ok: Any) -> None:
    """Raises a failed value check (the op's own error, rerun on the host) and anomaly-mode NaNs."""
    if ok is not None and not ok:
        plan.call(diff, other)  # outside jit the op sees the values and raises its own error
        raise RuntimeError(f"{plan.name}: a value check failed in the kernel but not on the host")
    if anomaly._enabled:
        # Checked for unrecorded ops too (no grad needed, no_grad): a NaN made from the data
        # must be blamed on its op, not on the first recorded op that consumes it.
        anomaly.check_outputs(jax.tree_util.tree_leaves(out), plan.name, "forward")


# Recomputing the forward inside the backward's jit is cheapest for small ops (one dispatch,
# no residuals kept); past this many input elements, saving residuals wins (see
# benchmarks/README.md, "Eager facade: when the tape saves residuals").
_SAVE_RESIDUALS_ABOVE = 1 << 15


def _large(diff: tuple, other: tuple) -> bool:
    size = 0
    for array in diff:
        size += array.size
    for array in other:
        size += getattr(array, "size", 0)
    return size > _SAVE_RESIDUALS_ABOVE


@jax.jit
def _pull(saved: Any, out: Any, cotangents: list) -> Any:
    return saved(_cotangents(out, cotangents))


class _SavedPullback:
    """The pullback of an eager op whose forward saved its residuals: one jitted call."""

    __slots__ = ("saved", "out")

    def __init__(self, saved: Any, out: Any):
        self.saved, self.out = saved, out

    def __call__(self, cotangents: Any) -> Any:
        return _pull(self.saved, self.out, cotangents)


def _wrap_outputs(out: Any, node: TapeNode | None) -> Any:
    wrap = tape.Tensor._wrap
    if isinstance(out, jax.Array):  # the common case: one array, no tree walk
        if node is None:
            return wrap(out)
        node.num_outputs = 1
        return wrap(out, True, node, 0) if _is_inexact(out) else wrap(out)
    leaves, treedef = jax.tree_util.tree_flatten(out)
    if node is None:
        return treedef.unflatten([wrap(leaf) for leaf in leaves])
    node.num_outputs = len(leaves)
    return treedef.unflatten(
        [wrap(leaf, True, node, i) if _is_inexact(leaf) else wrap(leaf) for i, leaf in enumerate(leaves)]
    )


def _is_inexact(array: Any) -> bool:
    return array.dtype.kind in "fcV"  # "V": bfloat16 and other ml_dtypes floats


def _drop_jax_note(error: BaseException) -> None:
    """Removes jax's traceback-filtering note so the op's own message reads as raised."""
    notes = getattr(error, "__notes__", None)
    if notes:
        error.__notes__ = [n for n in notes if "JAX_TRACEBACK_FILTERING" not in n]
        if not error.__notes__:
            del error.__notes__


def raise_if_donated(error: BaseException) -> None:
    """Turns JAX's 'Array has been deleted' into an error that says why and what to do."""
    if isinstance(error, RuntimeError) and "has been deleted" in str(error):
        raise RuntimeError(
            "this tensor's buffer was donated to a compiled step (functorch_lite.compile), which updated the "
            "state in place, so its old value no longer exists. Read the parameter itself after the step, or "
            "take a copy with .clone() before calling the step if you need the old value."
        ) from error
