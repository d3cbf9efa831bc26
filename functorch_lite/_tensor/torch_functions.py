"""Module-level functions of PyTorch's namespace (`torch.exp(x)`, `torch.max(x, 1)`, ...).

Each converts a non-Tensor first argument and calls the Tensor method of the same
name, so the function and the method cannot disagree. Each takes PyTorch's `out=`:
the result is written into that Tensor (or tuple of Tensors) in place; its shape must
be the result's (an empty `out` is resized, as in PyTorch, where PyTorch only warns
on another shape), and the result must cast to its dtype.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from ..autograd import grad_mode
from ..autograd.dispatch import apply
from . import math_ops as _tensor_math
from . import shape_ops as _shape_ops
from .tensor import AutogradError, Tensor


def _write_out(name: str, result: Any, out: Any) -> Any:
    """Writes `result` into `out` in place (PyTorch's `out=`), checking shape, dtype and autograd."""
    if isinstance(out, (tuple, list)):
        if not isinstance(result, tuple) or len(result) != len(out):
            count = len(result) if isinstance(result, tuple) else 1
            raise TypeError(f"{name}: out= must be {count} Tensor(s) for this call, got a tuple of {len(out)}")
        written = [_write_out(name, r, o) for r, o in zip(result, out)]
        return type(result)(*written) if hasattr(type(result), "_fields") else tuple(written)
    if not isinstance(out, Tensor) or not isinstance(result, Tensor):
        raise TypeError(f"{name}: out= must be a Tensor, got {type(out).__name__}")
    if grad_mode.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise AutogradError(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    if tuple(out.shape) != tuple(result.shape) and out.numel() != 0:
        raise ValueError(
            f"{name}: out= has shape {list(out.shape)} but the result has shape {list(result.shape)}; "
            "pass an out of the result's shape (or an empty one)"
        )
    if not jnp.can_cast(result.dtype, out.dtype, casting="same_kind"):
        raise TypeError(f"{name}: result type {result.dtype} can't be cast to the desired output type {out.dtype}")
    out._array = result.array.astype(out.dtype)
    out._version += 1
    return out


def _with_out(function: Any, name: str) -> Any:
    def with_out(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        return result if out is None else _write_out(name, result, out)

    with_out.__name__ = with_out.__qualname__ = name
    with_out.__doc__ = function.__doc__
    return with_out


cat = _with_out(_shape_ops.cat, "cat")
concat = _with_out(_shape_ops.concat, "concat")
concatenate = _with_out(_shape_ops.concatenate, "concatenate")
stack = _with_out(_shape_ops.stack, "stack")


def _method_function(name: str) -> Any:
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        tensor = input if isinstance(input, Tensor) else Tensor(jnp.asarray(input))
        return getattr(tensor, name)(*args, **kwargs)

    function.__doc__ = f"`torch.{name}(input, ...)`: same as `input.{name}(...)`."
    return _with_out(function, name)


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


def where(condition: Any, input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Elements of `input` where `condition` holds, else of `other`."""
    result = apply(_tensor_math.where, condition, input, other)
    return result if out is None else _write_out("where", result, out)


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
