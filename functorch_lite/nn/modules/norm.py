"""`GroupNorm`, `InstanceNorm1d/2d/3d`, `RMSNorm`, `LocalResponseNorm` and `BatchNorm3d`.

Thin Modules over `functional.layers_nd`; InstanceNorm's running statistics (with
`track_running_stats=True`) are buffers written back after a training-mode call, as BatchNorm's.
"""

from __future__ import annotations

from typing import Any

from ...functional import layers_nd
from ._pure import LayerModule, StatefulLayerModule, pure_layer
from .conv_nd import _hashable
from .linear import _dtype
from .normalization import _BatchNorm


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W)."""

    _factory = staticmethod(layers_nd.BatchNorm3d)


class GroupNorm(LayerModule):
    """Normalises over groups of channels; weight ones and bias zeros when `affine`."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ):
        layer = pure_layer(layers_nd.GroupNorm, num_groups, num_channels, eps, affine, _dtype(dtype), bias)
        super().__init__(layer, device)
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine


class _InstanceNorm(StatefulLayerModule):
    _n = 0

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        layer = pure_layer(
            layers_nd.InstanceNormNd, self._n, num_features, eps, momentum, affine, track_running_stats, _dtype(dtype)
        )
        super().__init__(layer, device)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation over (N, C, L) or (C, L)."""

    _n = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation over (N, C, H, W) or (C, H, W)."""

    _n = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation over (N, C, D, H, W) or (C, D, H, W)."""

    _n = 3


class RMSNorm(LayerModule):
    """x / sqrt(mean(x^2) + eps) over the trailing `normalized_shape` dims, times weight (ones)."""

    def __init__(
        self,
        normalized_shape: Any,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        layer = pure_layer(layers_nd.RMSNorm, _hashable(normalized_shape), eps, elementwise_affine, _dtype(dtype))
        super().__init__(layer, device)
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine


class LocalResponseNorm(LayerModule):
    """Normalises each channel by the summed squares of `size` neighbouring channels."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        options = (("size", size), ("alpha", alpha), ("beta", beta), ("k", k))
        super().__init__(pure_layer(layers_nd.Elementwise, "local_response_norm", "LocalResponseNorm", options))
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k


__all__ = [
    "BatchNorm3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "RMSNorm",
    "LocalResponseNorm",
]
