"""`BatchNorm1d`, `BatchNorm2d`, `LayerNorm` and `Dropout`: Modules with mode-dependent behaviour.

BatchNorm's running statistics are buffers (`running_mean`, `running_var`,
`num_batches_tracked`, as in PyTorch's `state_dict`), updated in train mode by the
pure layer and written back here. Dropout draws its mask key from the global
generator (`functorch_lite.random`), so `manual_seed` makes it reproducible.
"""

from __future__ import annotations

from typing import Any

from ... import functional as fn
from ... import random
from ..._tensor.tensor import Tensor
from ...autograd.dispatch import apply
from ._pure import PureLayerModule, StatefulLayerModule, as_tensor, pure_layer
from .linear import _dtype


def _with_bias(factory: Any, *args: Any) -> fn.Layer:
    return factory(*args[:-1], bias=args[-1])


class _BatchNorm(StatefulLayerModule):
    _factory: Any

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ):
        factory = type(self)._factory
        layer = pure_layer(
            _with_bias, factory, num_features, eps, momentum, affine, track_running_stats, _dtype(dtype), bias
        )
        super().__init__(layer, device)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L)."""

    _factory = staticmethod(fn.BatchNorm1d)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W)."""

    _factory = staticmethod(fn.BatchNorm2d)


class LayerNorm(PureLayerModule):
    """Normalises over the trailing `normalized_shape` dims; weight ones and bias zeros."""

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        layer = pure_layer(fn.LayerNorm, shape, eps, elementwise_affine, bias, _dtype(dtype))
        super().__init__(layer, device)
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine


class Dropout(PureLayerModule):
    """Zeroes elements with probability `p` in train mode (scaling the rest by 1/(1-p))."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__(pure_layer(fn.Dropout, p))
        self.p, self.inplace = float(p), inplace

    def forward(self, input: Any) -> Tensor:
        if not self.training or self.p == 0.0:
            return as_tensor(input)
        key = random.default_generator.next_key()
        return apply(self._layer.apply, {}, input, key=key, training=True)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout"]
