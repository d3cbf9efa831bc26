"""`nn.utils`: gradient clipping on the `.grad` of Parameters, computed by `optim.clip`;
`parameters_to_vector` / `vector_to_parameters` to flatten parameters into one vector and back;
`nn.utils.rnn` pads and packs variable-length sequences.

One jitted call clips all gradients; the clipped values are written back into the
existing `.grad` Tensors, as PyTorch's in-place `clip_grad_norm_` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jax
import numpy as np

from ... import _checks
from ..._tensor.tensor import Tensor
from ...optim import clip
from ..parameter import set_array
from . import rnn

_clip_norm = jax.jit(clip.clip_by_global_norm, static_argnames=("norm_type",))
_clip_value = jax.jit(clip.clip_by_value)


def _with_grads(parameters: Any) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: Any = None,
) -> Tensor:
    """Scales all gradients together so their global norm is at most `max_norm`.

    Returns the total norm before clipping, as a Tensor (PyTorch's contract).
    """
    _checks.non_negative(max_norm, "max_norm", "clip_grad_norm_")
    norm_type = clip._norm_type("clip_grad_norm_", norm_type)
    params = _with_grads(parameters)
    if not params:
        return Tensor(np.zeros((), np.float32))
    clipped, total = _clip_norm([p.grad.array for p in params], float(max_norm), norm_type=norm_type)
    if error_if_nonfinite and not np.isfinite(np.asarray(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the "
            "gradients is non-finite, so it cannot be clipped; set error_if_nonfinite=False to clip anyway"
        )
    for parameter, grad in zip(params, clipped, strict=True):
        set_array(parameter.grad, grad)
    return Tensor._wrap(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: Any = None) -> None:
    """Clamps every gradient entry into [-clip_value, clip_value], in place."""
    _checks.non_negative(clip_value, "clip_value", "clip_grad_value_")
    params = _with_grads(parameters)
    if params:
        clipped = _clip_value([p.grad.array for p in params], float(clip_value))
        for parameter, grad in zip(params, clipped, strict=True):
            set_array(parameter.grad, grad)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one vector (recorded on the tape, as in PyTorch)."""
    from ..._tensor.shape_ops import cat  # the Tensor op, so gradients flow back to the parameters

    tensors = _tensor_list(parameters, "parameters_to_vector")
    if not tensors:
        raise ValueError("parameters_to_vector: expected at least one parameter, got none")
    return cat([p.reshape(-1) for p in tensors])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies consecutive slices of `vec` into the parameters' values (outside autograd, as `.data`)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, but got: {type(vec).__name__}")
    tensors = _tensor_list(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in tensors)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: expected a 1-D vec of {total} elements (the parameters' total), "
            f"got shape {tuple(vec.shape)}"
        )
    offset = 0
    for p in tensors:
        count = p.numel()
        p.data = Tensor._wrap(vec.array[offset : offset + count].reshape(p.shape).astype(p.array.dtype))
        offset += count


def _tensor_list(parameters: Any, op: str) -> list[Tensor]:
    tensors = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for index, p in enumerate(tensors):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected Tensors, got a {type(p).__name__} at position {index}")
    return tensors


__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn"]
