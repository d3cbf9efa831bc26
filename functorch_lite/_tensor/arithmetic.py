"""Tensor math methods: operators, elementwise functions, reductions, in-place updates.

Each method hands a pure function from `math_ops` to the dispatcher
(`autograd.dispatch.apply`), which jits it once per signature and records its vjp.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from ..autograd.dispatch import apply
from . import math_ops as tensor_math

values_indices = namedtuple("values_indices", ["values", "indices"])  # torch.return_types.max etc.


def _dim(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, list) else dim


def _correction(op: str, unbiased: Any, correction: Any) -> Any:
    if correction is not None and unbiased is not None:
        raise ValueError(f"{op}: pass either unbiased or correction, not both")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


class ArithmeticMixin:
    """Operators, elementwise math and reductions of `Tensor`."""

    __slots__ = ()

    def __add__(self, other):
        return apply(tensor_math.add, self, other)

    def __radd__(self, other):
        return apply(tensor_math.add, other, self)

    def __sub__(self, other):
        return apply(tensor_math.sub, self, other)

    def __rsub__(self, other):
        return apply(tensor_math.rsub, self, other)

    def __mul__(self, other):
        return apply(tensor_math.mul, self, other)

    def __rmul__(self, other):
        return apply(tensor_math.mul, other, self)

    def __truediv__(self, other):
        return apply(tensor_math.div, self, other)

    def __rtruediv__(self, other):
        return apply(tensor_math.rdiv, self, other)

    def __floordiv__(self, other):
        return apply(tensor_math.floor_divide, self, other)

    def __rfloordiv__(self, other):
        return apply(tensor_math.floor_divide, other, self)

    def __mod__(self, other):
        return apply(tensor_math.remainder, self, other)

    def __rmod__(self, other):
        return apply(tensor_math.remainder, other, self)

    __rdiv__ = __rtruediv__

    def __pow__(self, exponent):
        return apply(tensor_math.pow, self, exponent)

    def __rpow__(self, base):
        return apply(tensor_math.rpow, self, base)

    def __matmul__(self, other):
        return apply(tensor_math.matmul, self, other)

    def __rmatmul__(self, other):
        return apply(tensor_math.matmul, other, self)

    def __neg__(self):
        return apply(tensor_math.neg, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return apply(tensor_math.abs, self)

    def __eq__(self, other):
        return apply(tensor_math.eq, self, other)  # type: ignore[override]

    def __ne__(self, other):
        return apply(tensor_math.ne, self, other)  # type: ignore[override]

    def __lt__(self, other):
        return apply(tensor_math.lt, self, other)

    def __le__(self, other):
        return apply(tensor_math.le, self, other)

    def __gt__(self, other):
        return apply(tensor_math.gt, self, other)

    def __ge__(self, other):
        return apply(tensor_math.ge, self, other)

    def __and__(self, other):
        return apply(tensor_math.logical_and, self, other)

    def __or__(self, other):
        return apply(tensor_math.logical_or, self, other)

    def __xor__(self, other):
        return apply(tensor_math.logical_xor, self, other)

    def __invert__(self):
        return apply(tensor_math.bitwise_not, self)

    def add(self, other, alpha=1):
        return apply(tensor_math.add, self, other, alpha)

    def sub(self, other, alpha=1):
        return apply(tensor_math.sub, self, other, alpha)

    def mul(self, other):
        return apply(tensor_math.mul, self, other)

    def div(self, other, rounding_mode=None):
        return apply(tensor_math.div, self, other, rounding_mode)

    def pow(self, exponent):
        return apply(tensor_math.pow, self, exponent)

    def matmul(self, other):
        return apply(tensor_math.matmul, self, other)

    mm = bmm = matmul

    def eq(self, other):
        return apply(tensor_math.eq, self, other)

    def ne(self, other):
        return apply(tensor_math.ne, self, other)

    def lt(self, other):
        return apply(tensor_math.lt, self, other)

    def le(self, other):
        return apply(tensor_math.le, self, other)

    def gt(self, other):
        return apply(tensor_math.gt, self, other)

    def ge(self, other):
        return apply(tensor_math.ge, self, other)

    def neg(self):
        return apply(tensor_math.neg, self)

    def exp(self):
        return apply(tensor_math.exp, self)

    def log(self):
        return apply(tensor_math.log, self)

    def sqrt(self):
        return apply(tensor_math.sqrt, self)

    def rsqrt(self):
        return apply(tensor_math.rsqrt, self)

    def abs(self):
        return apply(tensor_math.abs, self)

    def square(self):
        return apply(tensor_math.square, self)

    def sin(self):
        return apply(tensor_math.sin, self)

    def cos(self):
        return apply(tensor_math.cos, self)

    def sigmoid(self):
        return apply(tensor_math.sigmoid, self)

    def tanh(self):
        return apply(tensor_math.tanh, self)

    def relu(self):
        return apply(tensor_math.relu, self)

    def softmax(self, dim, dtype=None):
        return apply(tensor_math.softmax, self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return apply(tensor_math.log_softmax, self, dim, dtype)

    def clone(self, memory_format=None):
        return apply(tensor_math.clone, self)

    def maximum(self, other):
        return apply(tensor_math.maximum, self, other)

    def minimum(self, other):
        return apply(tensor_math.minimum, self, other)

    def clamp(self, min=None, max=None):  # noqa: A002
        return apply(tensor_math.clamp, self, min, max)

    clip = clamp

    def sum(self, dim=None, keepdim=False, dtype=None):
        return apply(tensor_math.sum, self, _dim(dim), keepdim, dtype)

    def mean(self, dim=None, keepdim=False, dtype=None):
        return apply(tensor_math.mean, self, _dim(dim), keepdim, dtype)

    def prod(self, dim=None, keepdim=False, dtype=None):
        return apply(tensor_math.prod, self, dim, keepdim, dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):  # legacy var(unbiased)
            dim, unbiased = None, dim
        return apply(tensor_math.var, self, _dim(dim), _correction("var", unbiased, correction), keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        return apply(tensor_math.std, self, _dim(dim), _correction("std", unbiased, correction), keepdim)

    def max(self, dim=None, keepdim=False):
        """max() -> value; max(dim) -> (values, indices); max(other) -> elementwise maximum."""
        if dim is None:
            return apply(tensor_math.amax, self)
        if not isinstance(dim, int):
            return apply(tensor_math.maximum, self, dim)
        return values_indices(*apply(tensor_math.max_dim, self, dim, keepdim))

    def min(self, dim=None, keepdim=False):
        if dim is None:
            return apply(tensor_math.amin, self)
        if not isinstance(dim, int):
            return apply(tensor_math.minimum, self, dim)
        return values_indices(*apply(tensor_math.min_dim, self, dim, keepdim))

    def amax(self, dim=None, keepdim=False):
        return apply(tensor_math.amax, self, _dim(dim), keepdim)

    def amin(self, dim=None, keepdim=False):
        return apply(tensor_math.amin, self, _dim(dim), keepdim)

    def argmax(self, dim=None, keepdim=False):
        return apply(tensor_math.argmax, self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return apply(tensor_math.argmin, self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return apply(tensor_math.all, self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return apply(tensor_math.any, self, dim, keepdim)

    # ---- in-place (see Tensor._inplace) ----
    # `a += b` updates `a` in place, as in PyTorch; without these Python would rebind the name to a
    # new tensor, and `for p in params: p -= lr * p.grad` would silently update nothing.
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def add_(self, other, alpha=1):
        return self._inplace(tensor_math.add_inplace, other, alpha)

    def sub_(self, other, alpha=1):
        return self._inplace(tensor_math.sub_inplace, other, alpha)

    def mul_(self, other):
        return self._inplace(tensor_math.mul_inplace, other)

    def div_(self, other, rounding_mode=None):
        return self._inplace(tensor_math.div_inplace, other, rounding_mode)

    def clamp_(self, min=None, max=None):
        return self._inplace(tensor_math.clamp_inplace, min, max)  # noqa: A002

    def copy_(self, source, non_blocking=False):
        return self._inplace(tensor_math.copy_from, source)

    def fill_(self, value):
        return self._inplace(tensor_math.fill, value)

    def zero_(self):
        return self._inplace(tensor_math.zero)
