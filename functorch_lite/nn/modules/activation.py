"""Activation Modules: `ReLU`, `ReLU6`, `LeakyReLU`, `GELU`, `Sigmoid`, `Tanh`, `Softmax`, `LogSoftmax`.

`inplace=True` is accepted for PyTorch code's sake; Tensors here are never aliased
views, so the result is a new Tensor either way.
"""

from __future__ import annotations

from typing import Any

from ... import functional as fn
from ..._tensor.tensor import Tensor
from ...functional import layers_nd
from .. import functional as F
from ..module import Module
from ._pure import LayerModule, PureLayerModule, as_tensor, pure_layer


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


def _elementwise(title: str, op: str, names: tuple = (), defaults: tuple = (), inplace: bool = True, doc: str = ""):
    """A Module class over the core op `op` whose constructor takes `names` (with `defaults`) and `inplace`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        values = dict(zip(names, defaults))
        if len(args) > len(names) + inplace:
            raise TypeError(f"{title}() takes at most {len(names) + inplace} arguments, got {len(args)}")
        values.update(zip(names, args))
        flag = args[len(names)] if len(args) > len(names) else kwargs.pop("inplace", False)
        unknown = set(kwargs) - set(names)
        if unknown or (flag and not inplace):
            raise TypeError(f"{title}() got unexpected arguments {sorted(unknown) or ['inplace']}")
        values.update(kwargs)
        missing = [n for n in names if n not in values]
        if missing:
            raise TypeError(f"{title}() missing required arguments {missing}")
        options = tuple((n, values[n]) for n in names)
        _Activation.__init__(self, pure_layer(layers_nd.Elementwise, op, title, options), bool(flag))
        for n in names:
            setattr(self, n, values[n])

    return type(title, (_Activation,), {"__init__": __init__, "__doc__": doc or f"`{op}` as a Module."})


ELU = _elementwise("ELU", "elu", ("alpha",), (1.0,))
CELU = _elementwise("CELU", "celu", ("alpha",), (1.0,))
SELU = _elementwise("SELU", "selu")
SiLU = _elementwise("SiLU", "silu")
Mish = _elementwise("Mish", "mish")
Hardswish = _elementwise("Hardswish", "hardswish")
Hardsigmoid = _elementwise("Hardsigmoid", "hardsigmoid")
Hardtanh = _elementwise("Hardtanh", "hardtanh", ("min_val", "max_val"), (-1.0, 1.0))
Threshold = _elementwise("Threshold", "threshold", ("threshold", "value"))
LogSigmoid = _elementwise("LogSigmoid", "logsigmoid", inplace=False)
Softplus = _elementwise("Softplus", "softplus", ("beta", "threshold"), (1.0, 20.0), inplace=False)
Softshrink = _elementwise("Softshrink", "softshrink", ("lambd",), (0.5,), inplace=False)
Hardshrink = _elementwise("Hardshrink", "hardshrink", ("lambd",), (0.5,), inplace=False)
Tanhshrink = _elementwise("Tanhshrink", "tanhshrink", inplace=False)
Softsign = _elementwise("Softsign", "softsign", inplace=False)
GLU = _elementwise("GLU", "glu", ("dim",), (-1,), inplace=False, doc="a * sigmoid(b), the halves of `dim`.")
Softmin = _elementwise("Softmin", "softmin", ("dim",), (None,), inplace=False)


class Softmax2d(PureLayerModule):
    """softmax over the channel dim of (N, C, H, W) or (C, H, W)."""

    def __init__(self) -> None:
        super().__init__(pure_layer(layers_nd.Elementwise, "softmax", "Softmax2d", (("dim", -3),)))

    def forward(self, input: Any) -> Tensor:
        if as_tensor(input).ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input of rank 3 or 4, got shape {tuple(as_tensor(input).shape)}")
        return super().forward(input)


class PReLU(PureLayerModule):
    """x if x >= 0 else weight * x, with a learned slope (one, or one per channel), initialised to `init`."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None) -> None:
        from .linear import _dtype

        super().__init__(pure_layer(layers_nd.PReLU, num_parameters, init, _dtype(dtype)), device)
        self.num_parameters, self.init = num_parameters, init


class RReLU(_Activation, LayerModule):
    """Randomised leaky ReLU: random slopes in [lower, upper] while training, their mean in eval mode."""

    _random = True

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:
        super().__init__(pure_layer(layers_nd.RReLU, lower, upper), inplace)
        self.lower, self.upper = lower, upper

    forward = LayerModule.forward


__all__ += [
    "ELU",
    "CELU",
    "SELU",
    "SiLU",
    "Mish",
    "Hardswish",
    "Hardsigmoid",
    "ReLU6",
    "Hardtanh",
    "Threshold",
    "LogSigmoid",
    "Softplus",
    "Softshrink",
    "Hardshrink",
    "Tanhshrink",
    "Softsign",
    "GLU",
    "Softmin",
    "Softmax2d",
    "PReLU",
    "RReLU",
]
