"""The 1-D and 3-D pools, adaptive max pools, LP pools, fractional max pools and max unpooling.

Thin Modules over `functional.layers_nd`; `return_indices=True` returns (values, indices) with
PyTorch's flat spatial indices. FractionalMaxPool draws its samples from the global generator
(`functorch_lite.manual_seed`) unless `_random_samples` was given.
"""

from __future__ import annotations

from typing import Any

from ... import random
from ..._tensor.tensor import Tensor
from ...functional import layers_nd
from ._pure import LayerModule, as_tensor, pure_layer
from .conv_nd import _hashable


class _MaxPoolNd(LayerModule):
    _n = 0

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        super().__init__(
            pure_layer(
                layers_nd.MaxPoolNd,
                self._n,
                _hashable(kernel_size),
                _hashable(stride),
                _hashable(padding),
                _hashable(dilation),
                return_indices,
                ceil_mode,
            )
        )
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation, self.return_indices, self.ceil_mode = padding, dilation, return_indices, ceil_mode


class MaxPool1d(_MaxPoolNd):
    _n = 1


class MaxPool3d(_MaxPoolNd):
    _n = 3


class _AvgPoolNd(LayerModule):
    _n = 0

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ):
        super().__init__(
            pure_layer(
                layers_nd.AvgPoolNd,
                self._n,
                _hashable(kernel_size),
                _hashable(stride),
                _hashable(padding),
                ceil_mode,
                count_include_pad,
                divisor_override,
            )
        )
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad


class AvgPool1d(_AvgPoolNd):
    _n = 1

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool3d(_AvgPoolNd):
    _n = 3


class _AdaptivePool(LayerModule):
    _n, _kind = 0, "avg"

    def __init__(self, output_size: Any, return_indices: bool = False):
        super().__init__(
            pure_layer(layers_nd.AdaptivePoolNd, self._n, self._kind, _hashable(output_size), return_indices)
        )
        self.output_size, self.return_indices = output_size, return_indices


class AdaptiveAvgPool1d(_AdaptivePool):
    _n = 1

    def __init__(self, output_size: Any):
        super().__init__(output_size)


class AdaptiveAvgPool3d(AdaptiveAvgPool1d):
    _n = 3


class AdaptiveMaxPool1d(_AdaptivePool):
    _n, _kind = 1, "max"


class AdaptiveMaxPool2d(_AdaptivePool):
    _n, _kind = 2, "max"


class AdaptiveMaxPool3d(_AdaptivePool):
    _n, _kind = 3, "max"


class _LPPool(LayerModule):
    _n = 0

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False):
        super().__init__(
            pure_layer(layers_nd.LPPoolNd, self._n, norm_type, _hashable(kernel_size), _hashable(stride), ceil_mode)
        )
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode


class LPPool1d(_LPPool):
    _n = 1


class LPPool2d(_LPPool):
    _n = 2


class LPPool3d(_LPPool):
    _n = 3


class _FractionalMaxPool(LayerModule):
    _n = 0

    def __init__(
        self,
        kernel_size: Any,
        output_size: Any = None,
        output_ratio: Any = None,
        return_indices: bool = False,
        _random_samples: Any = None,
    ):
        super().__init__(
            pure_layer(
                layers_nd.FractionalMaxPoolNd,
                self._n,
                _hashable(kernel_size),
                _hashable(output_size),
                _hashable(output_ratio),
                return_indices,
            )
        )
        self.kernel_size, self.output_size, self.output_ratio = kernel_size, output_size, output_ratio
        self.return_indices = return_indices
        # A buffer, as in PyTorch (so it is in state_dict); without it samples come from the global generator.
        self.register_buffer("_random_samples", None if _random_samples is None else as_tensor(_random_samples))

    def forward(self, input: Any) -> Any:
        samples = self._buffers.get("_random_samples")
        if samples is not None:
            return super().forward(input, samples=samples)
        return super().forward(input, key=random.default_generator.next_key())


class FractionalMaxPool2d(_FractionalMaxPool):
    _n = 2


class FractionalMaxPool3d(_FractionalMaxPool):
    _n = 3


class _MaxUnpool(LayerModule):
    _n = 0

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0):
        super().__init__(
            pure_layer(layers_nd.MaxUnpoolNd, self._n, _hashable(kernel_size), _hashable(stride), _hashable(padding))
        )
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding

    def forward(self, input: Any, indices: Any, output_size: Any = None) -> Tensor:
        size = None if output_size is None else tuple(int(s) for s in output_size)
        return super().forward(input, indices, size)


class MaxUnpool1d(_MaxUnpool):
    _n = 1


class MaxUnpool2d(_MaxUnpool):
    _n = 2


class MaxUnpool3d(_MaxUnpool):
    _n = 3


__all__ = [
    "MaxPool1d",
    "MaxPool3d",
    "AvgPool1d",
    "AvgPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
]
