"""Module-level functions of PyTorch's namespace (`torch.exp(x)`, `torch.max(x, 1)`, ...).

Each converts a non-Tensor first argument and calls the Tensor method of the same
name, so the function and the method cannot disagree.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from ..autograd.dispatch import apply
from . import math_ops as _tensor_math
from .shape_ops import cat, concat, concatenate, stack
from .tensor import Tensor


def _method_function(name: str) -> Any:
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        tensor = input if isinstance(input, Tensor) else Tensor(jnp.asarray(input))
        return getattr(tensor, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"`torch.{name}(input, ...)`: same as `input.{name}(...)`."
    return function


_NAMES = (
    "abs",
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "neg",
    "exp",
    "log",
    "sqrt",
    "rsqrt",
    "square",
    "sin",
    "cos",
    "sigmoid",
    "tanh",
    "relu",
    "softmax",
    "log_softmax",
    "clamp",
    "clip",
    "sum",
    "mean",
    "prod",
    "std",
    "var",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "all",
    "any",
    "matmul",
    "mm",
    "bmm",
    "maximum",
    "minimum",
    "flatten",
    "reshape",
    "transpose",
    "permute",
    "squeeze",
    "unsqueeze",
    "clone",
    "detach",
    "numel",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "t",
)
globals().update({name: _method_function(name) for name in _NAMES})


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elements of `input` where `condition` holds, else of `other`."""
    return apply(_tensor_math.where, condition, input, other)


def is_tensor(obj: Any) -> bool:
    """Whether `obj` is a functorch_lite Tensor."""
    return isinstance(obj, Tensor)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    """Whether `|input - other| <= atol + rtol * |other|` holds everywhere, as `torch.allclose`."""
    return bool(jnp.allclose(jnp.asarray(input), jnp.asarray(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether the two have the same shape and the same values, as `torch.equal`."""
    a, b = jnp.asarray(input), jnp.asarray(other)
    return a.shape == b.shape and bool(jnp.all(a == b))


__all__ = [*_NAMES, "where", "is_tensor", "allclose", "equal", "cat", "concat", "concatenate", "stack"]
