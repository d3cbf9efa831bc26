"""Tape autograd for `Tensor`: `backward`, `grad`, grad modes and anomaly detection.

The Tensor class registers itself with `tape.register_tensor_type`; nothing here
imports it. `dispatch.apply` records one `tape.TapeNode` per op whose inputs require grad; the
functions here start the backward walk (`tape.run_backward`) from output tensors.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from . import anomaly, dispatch, grad_mode, tape
from .anomaly import detect_anomaly, is_anomaly_enabled
from .dispatch import apply
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .tape import TapeNode


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _output_grads(outputs: list, grads: Any, create_graph: bool, op: str) -> list:
    """The cotangents to start from: ones for scalar outputs, the given ones checked otherwise."""
    grads = _as_list(grads) or [None] * len(outputs)
    if len(grads) != len(outputs):
        raise ValueError(f"{op}: got {len(grads)} gradients for {len(outputs)} outputs")
    result = []
    for index, (out, grad) in enumerate(zip(outputs, grads, strict=False)):
        if not out.requires_grad:
            raise RuntimeError(f"{op}: element {index} of tensors does not require grad and does not have a grad_fn")
        if grad is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs "
                    f"(got output of shape {tuple(out.shape)}); pass gradient= of that shape"
                )
            value = jnp.ones(out._array.shape, out._array.dtype)
            result.append(tape.Tensor._wrap(value) if create_graph else value)
            continue
        if not isinstance(grad, tape.Tensor):
            grad = tape.Tensor._wrap(jnp.asarray(grad))
        if tuple(grad.shape) != tuple(out.shape):
            raise RuntimeError(
                f"{op}: Mismatch in shape: grad_output[{index}] has a shape of {tuple(grad.shape)} and "
                f"output[{index}] has a shape of {tuple(out.shape)}"
            )
        result.append(grad if create_graph else grad._array)
    return result


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Sums the gradients of `tensors` into `.grad` of the leaves they depend on."""
    outputs = _as_list(tensors)
    grads = _output_grads(outputs, grad_tensors, create_graph, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is not None:
        wanted = _as_list(inputs)
        results = tape.run_backward(outputs, grads, retain, create_graph, wanted)
        for tensor, grad in zip(wanted, results, strict=False):
            if grad is not None:
                tape._store_grad(tensor, grad, create_graph)
        return
    tape.run_backward(outputs, grads, retain, create_graph)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple:
    """d(outputs)/d(inputs) as a tuple of Tensors, without touching any `.grad`."""
    output_list = _as_list(outputs)
    input_list = _as_list(inputs)
    for index, tensor in enumerate(input_list):
        if not isinstance(tensor, tape.Tensor) or not tensor.requires_grad:
            raise RuntimeError(f"grad: input {index} does not require grad (or is not a Tensor)")
    grads = _output_grads(output_list, grad_outputs, create_graph, "grad")
    retain = create_graph if retain_graph is None else retain_graph
    results = tape.run_backward(output_list, grads, retain, create_graph, input_list)
    wrapped = []
    for index, (tensor, value) in enumerate(zip(input_list, results, strict=False)):
        if value is None:
            if materialize_grads:
                value = jnp.zeros(tensor._array.shape, tensor._array.dtype)
            elif not allow_unused:
                raise RuntimeError(
                    f"grad: One of the differentiated Tensors (input {index}) appears to not "
                    "have been used in the graph. Set allow_unused=True if this is the desired behavior."
                )
            else:
                wrapped.append(None)
                continue
        wrapped.append(value if isinstance(value, tape.Tensor) else tape.Tensor._wrap(value))
    return tuple(wrapped)


__all__ = [
    "apply",
    "backward",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
    "detect_anomaly",
    "is_anomaly_enabled",
    "TapeNode",
    "anomaly",
    "dispatch",
    "grad_mode",
    "tape",
]
