"""The tape: one `TapeNode` per recorded op, and the backward walk over them.

Like micrograd's engine: every op that needs a gradient leaves a node beside its
outputs; `backward()` sorts the nodes reachable from the output topologically and
calls each node's vjp once, in reverse order, summing cotangents on the way. The
difference is that a node's derivative is `jax.vjp` of the op's pure function (see
`dispatch.py`), never hand-written.

A node's `edges` say where each input gradient goes: `(node, output_index)` for an
input produced by another recorded op, `(leaf_tensor, 0)` for a leaf that requires
grad (its gradient is summed into `.grad`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from . import anomaly, grad_mode

SECOND_BACKWARD_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)

_add_arrays = jax.jit(jnp.add)  # one dispatch instead of jnp's eager per-primitive path

# The Tensor class. The tape never imports it: the Tensor layer registers it once, at import.
Tensor: Any = None


def register_tensor_type(cls: type) -> None:
    """Tells the tape and the dispatcher which class wraps arrays (called once by the Tensor layer)."""
    global Tensor
    Tensor = cls


class TapeNode:
    """One recorded op: where its input gradients go and how to compute them.

    `backward(cotangents, create_graph)` takes one cotangent per output (None where no
    gradient arrived) and returns one gradient per edge. `release()` drops the saved
    inputs, after which a second backward raises PyTorch's error.
    """

    __slots__ = ("op_name", "edges", "num_outputs", "_backward", "_retained", "__weakref__")

    def __init__(
        self,
        op_name: str,
        edges: Sequence[tuple[Any, int]],
        num_outputs: int,
        backward: Callable[[list, bool], Sequence[Any]],
    ):
        self.op_name = op_name
        self.edges = tuple(edges)
        self.num_outputs = num_outputs
        self._backward = backward
        self._retained: list | None = None

    def name(self) -> str:
        """PyTorch-style node name, e.g. `MulBackward`."""
        return "".join(part.capitalize() for part in self.op_name.strip("_<>").split("_")) + "Backward"

    @property
    def next_functions(self) -> tuple:
        """(node, output_index) per input, as in PyTorch: a leaf shows as its `AccumulateGrad` node."""
        return tuple(
            (_accumulate_grad(target), 0) if not _is_node(target) else (target, index) for target, index in self.edges
        )

    def retain(self, output_index: int, tensor: Any) -> None:
        """Keeps the gradient of output `output_index` in `tensor.grad` (`retain_grad()`)."""
        if self._retained is None:
            self._retained = []
        self._retained.append((output_index, weakref.ref(tensor)))

    def release(self) -> None:
        self._backward = None

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


class AccumulateGrad:
    """What `next_functions` shows for a leaf: the node that sums its gradient into `.grad`."""

    __slots__ = ("_variable", "__weakref__")
    next_functions = ()

    def __init__(self, variable: Any):
        self._variable = weakref.ref(variable)  # the cache below must not keep the leaf alive

    @property
    def variable(self) -> Any:
        """The leaf tensor whose `.grad` this node fills."""
        return self._variable()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


_accumulators: dict[int, AccumulateGrad] = {}  # by id: Tensors compare elementwise, so no WeakKeyDictionary


def _accumulate_grad(leaf: Any) -> AccumulateGrad:
    """One AccumulateGrad per leaf while the leaf lives, as PyTorch keeps one."""
    key = id(leaf)
    node = _accumulators.get(key)
    if node is None or node.variable is not leaf:
        node = _accumulators[key] = AccumulateGrad(leaf)
        weakref.finalize(leaf, _accumulators.pop, key, None)
    return node


def _is_node(target: Any) -> bool:
    return type(target) is TapeNode


def edge_of(tensor: Any) -> tuple[Any, int]:
    """Where a gradient for `tensor` goes: its producing node, or the leaf itself."""
    node = tensor._node
    return (tensor, 0) if node is None else (node, tensor._output_index)


def _sum(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if isinstance(a, jax.Array) and isinstance(b, jax.Array):
        return _add_arrays(a, b)
    return a + b  # Tensors under create_graph: recorded, so higher derivatives see the sum


def _topological_order(roots: list[TapeNode]) -> list[TapeNode]:
    """Nodes reachable from `roots`, each after every node that consumes its outputs."""
    order: list[TapeNode] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.edges))]
        while stack:  # iterative depth-first search: deep graphs must not hit the recursion limit
            node, pending = stack[-1]
            for target, _ in pending:
                if _is_node(target) and id(target) not in seen:
                    seen.add(id(target))
                    stack.append((target, iter(target.edges)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def run_backward(
    outputs: Sequence[Any],
    output_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Any] | None = None,
) -> list[Any] | None:
    """Propagates `output_grads` from `outputs` (Tensors) through the tape.

    With `inputs=None` gradients are summed into `.grad` of leaves (and of non-leaves
    that called `retain_grad()`); otherwise nothing is stored and the gradient of each
    of `inputs` (None where unreachable) is returned, as `autograd.grad` needs.
    """
    leaf_grads: dict[int, list] = {}  # id(leaf) -> [leaf, summed gradient]
    pending: dict[int, list] = {}  # id(node) -> per-output cotangents
    roots: list[TapeNode] = []
    for tensor, grad in zip(outputs, output_grads, strict=False):
        target, index = edge_of(tensor)
        if _is_node(target):
            slots = pending.setdefault(id(target), [None] * target.num_outputs)
            slots[index] = _sum(slots[index], grad)
            roots.append(target)
        else:
            entry = leaf_grads.setdefault(id(target), [target, None])
            entry[1] = _sum(entry[1], grad)

    captured: dict[tuple[int, int], Any] = {}
    wanted = set()
    if inputs is not None:
        wanted = {(id(t._node), t._output_index) for t in inputs if t._node is not None}

    previous_mode = grad_mode.is_grad_enabled()
    grad_mode._set(create_graph)  # the backward computation is itself recorded only for create_graph
    try:
        for node in _topological_order(roots):
            cotangents = pending.pop(id(node), None)
            if cotangents is None:
                continue  # reachable only through edges that carried no gradient
            if node._backward is None:
                raise RuntimeError(SECOND_BACKWARD_MESSAGE)
            if wanted:
                for index, value in enumerate(cotangents):
                    if (id(node), index) in wanted:
                        captured[(id(node), index)] = value
            if inputs is None and node._retained:
                for index, ref in node._retained:
                    tensor = ref()
                    if tensor is not None and cotangents[index] is not None:
                        _store_grad(tensor, cotangents[index], create_graph)
            grads = node._backward(cotangents, create_graph)
            if not retain_graph:
                node.release()
            if anomaly._enabled:
                anomaly.check_outputs([_raw(g) for g in grads], node.name(), "backward")
            for (target, index), grad in zip(node.edges, grads, strict=False):
                if grad is None:
                    continue
                if _is_node(target):
                    slots = pending.setdefault(id(target), [None] * target.num_outputs)
                    slots[index] = _sum(slots[index], grad)
                else:
                    entry = leaf_grads.setdefault(id(target), [target, None])
                    entry[1] = _sum(entry[1], grad)
    finally:
        grad_mode._set(previous_mode)

    if inputs is not None:
        results = []
        for tensor in inputs:
            if tensor._node is None:
                entry = leaf_grads.get(id(tensor))
                results.append(None if entry is None else entry[1])
            else:
                results.append(captured.get((id(tensor._node), tensor._output_index)))
        return results
    for leaf, grad in leaf_grads.values():
        _store_grad(leaf, grad, create_graph)
    return None


def _raw(value: Any) -> Any:
    return getattr(value, "_array", value)


def _store_grad(tensor: Any, grad: Any, create_graph: bool) -> None:
    """Sums `grad` into `tensor.grad` as PyTorch does: in place unless building a graph."""
    if not isinstance(grad, Tensor):
        grad = Tensor._wrap(grad)
    elif not create_graph:
        grad = Tensor._wrap(grad._array)
    old = tensor._grad
    if old is None:
        tensor._grad = grad
    elif create_graph or old.requires_grad:
        tensor._grad = old + grad
    else:
        old._array = _add_arrays(old._array, grad._array)
        old._version += 1
