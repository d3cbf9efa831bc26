"""`nn.utils`: gradient clipping on the `.grad` of Parameters, computed by `optim.clip`; `nn.utils.rnn`.

One jitted call clips all gradients; the clipped values are written back into the
existing `.grad` Tensors, as PyTorch's in-place `clip_grad_norm_` does.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import jax
import numpy as np

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


def _check_non_negative(op: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"{op}: {name} must be a non-negative number, got {value!r}")


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
    _check_non_negative("clip_grad_norm_", "max_norm", max_norm)
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
    _check_non_negative("clip_grad_value_", "clip_value", clip_value)
    params = _with_grads(parameters)
    if params:
        clipped = _clip_value([p.grad.array for p in params], float(clip_value))
        for parameter, grad in zip(params, clipped, strict=True):
            set_array(parameter.grad, grad)


__all__ = ["clip_grad_norm_", "clip_grad_value_", "rnn"]
