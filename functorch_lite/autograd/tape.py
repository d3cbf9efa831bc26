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


class _Cotangents:
    """Gradients gathered so far: per output slot of each pending node, and per leaf."""

    def __init__(self) -> None:
        self.nodes: dict[int, list] = {}  # id(node) -> one summed cotangent per output
        self.leaves: dict[int, list] = {}  # id(leaf) -> [leaf, summed gradient]

    def add(self, target: Any, index: int, grad: Any) -> None:
        if _is_node(target):
            slots = self.nodes.setdefault(id(target), [None] * target.num_outputs)
            slots[index] = _sum(slots[index], grad)
        else:
            entry = self.leaves.setdefault(id(target), [target, None])
            entry[1] = _sum(entry[1], grad)

    def pop(self, node: TapeNode) -> list | None:
        return self.nodes.pop(id(node), None)

    def of_leaf(self, leaf: Any) -> Any:
        entry = self.leaves.get(id(leaf))
        return None if entry is None else entry[1]


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
    grads = _Cotangents()
    for tensor, grad in zip(outputs, output_grads, strict=False):
        grads.add(*edge_of(tensor), grad)
    roots = [edge_of(tensor)[0] for tensor in outputs if tensor._node is not None]
    captured = _Captured(inputs)

    with grad_mode._Scoped(create_graph):  # backward is itself recorded only for create_graph
        for node in _topological_order(roots):
            cotangents = grads.pop(node)
            if cotangents is None:
                continue  # reachable only through edges that carried no gradient
            captured.take(node, cotangents)
            if inputs is None:
                _store_retained(node, cotangents, create_graph)
            for (target, index), grad in zip(node.edges, _call_vjp(node, cotangents, retain_graph, create_graph)):
                if grad is not None:
                    grads.add(target, index, grad)

    if inputs is not None:
        return captured.results(grads)
    for leaf, grad in grads.leaves.values():
        _store_grad(leaf, grad, create_graph)
    return None


class _Captured:
    """For `autograd.grad`: the cotangents that reach non-leaf `inputs` on the way."""

    def __init__(self, inputs: Sequence[Any] | None) -> None:
        self.inputs = inputs
        self.wanted = (
            set() if inputs is None else {(id(t._node), t._output_index) for t in inputs if t._node is not None}
        )
        self.values: dict[tuple[int, int], Any] = {}

    def take(self, node: TapeNode, cotangents: list) -> None:
        for index, value in enumerate(cotangents):
            if (id(node), index) in self.wanted:
                self.values[(id(node), index)] = value

    def results(self, grads: _Cotangents) -> list[Any]:
        return [
            grads.of_leaf(t) if t._node is None else self.values.get((id(t._node), t._output_index))
            for t in self.inputs
        ]


def _call_vjp(node: TapeNode, cotangents: list, retain_graph: bool, create_graph: bool) -> Sequence[Any]:
    """One gradient per edge of `node`; frees its saved values unless the graph is retained."""
    if node._backward is None:
        raise RuntimeError(SECOND_BACKWARD_MESSAGE)
    grads = node._backward(cotangents, create_graph)
    if not retain_graph:
        node.release()
    if anomaly._enabled:
        anomaly.check_outputs([_raw(g) for g in grads], node.name(), "backward")
    return grads


def _store_retained(node: TapeNode, cotangents: list, create_graph: bool) -> None:
    """Writes `.grad` of the non-leaf outputs of `node` that called `retain_grad()`."""
    for index, ref in node._retained or ():
        tensor = ref()
        if tensor is not None and cotangents[index] is not None:
            _store_grad(tensor, cotangents[index], create_graph)


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
