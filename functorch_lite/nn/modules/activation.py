"""Activation Modules: `ReLU`, `ReLU6`, `LeakyReLU`, `GELU`, `Sigmoid`, `Tanh`, `Softmax`, `LogSoftmax`.

`inplace=True` is accepted for PyTorch code's sake; Tensors here are never aliased
views, so the result is a new Tensor either way.
"""

from __future__ import annotations

from typing import Any

from ... import functional as fn
from ..._tensor.tensor import Tensor
from .. import functional as F
from ..module import Module
from ._pure import PureLayerModule, pure_layer


class _Activation(PureLayerModule):
    def __init__(self, layer: fn.Layer, inplace: bool = False):
        super().__init__(layer)
        self.inplace = inplace

    def extra_repr(self) -> str:
        extra = super().extra_repr()
        if self.inplace:
            extra = ", ".join(part for part in (extra, "inplace=True") if part)
        return extra


class ReLU(_Activation):
    """max(x, 0)."""

    def __init__(self, inplace: bool = False):
        super().__init__(pure_layer(fn.ReLU), inplace)


class ReLU6(_Activation):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False):
        super().__init__(pure_layer(fn.ReLU6), inplace)


class LeakyReLU(_Activation):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__(pure_layer(fn.LeakyReLU, negative_slope), inplace)
        self.negative_slope = negative_slope


class GELU(PureLayerModule):
    """Gaussian error linear unit; `approximate='tanh'` for the tanh approximation."""

    def __init__(self, approximate: str = "none"):
        super().__init__(pure_layer(fn.GELU, approximate))  # fn.GELU checks `approximate`
        self.approximate = approximate


class Sigmoid(PureLayerModule):
    """1 / (1 + exp(-x))."""

    def __init__(self):
        super().__init__(pure_layer(fn.Sigmoid))


class Tanh(PureLayerModule):
    """Hyperbolic tangent."""

    def __init__(self):
        super().__init__(pure_layer(fn.Tanh))


class Softmax(Module):
    """softmax over `dim`."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Any) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log of softmax over `dim`, computed stably."""

    def forward(self, input: Any) -> Tensor:
        return F.log_softmax(input, self.dim)


__all__ = ["ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]
