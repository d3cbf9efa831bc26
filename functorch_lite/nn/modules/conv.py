"""`Conv2d` and the 2-D pooling layers: thin Modules over the pure layers."""

from __future__ import annotations

from typing import Any

from ... import functional as fn
from ._pure import PureLayerModule, pure_layer
from .linear import _dtype


def _as_hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class Conv2d(PureLayerModule):
    """2-D convolution over NCHW input; weight (out, in / groups, kH, kW), PyTorch's default init."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ):
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: padding_mode={padding_mode!r} is not supported; only 'zeros' is")
        layer = pure_layer(
            fn.Conv2d,
            in_channels,
            out_channels,
            _as_hashable(kernel_size),
            _as_hashable(stride),
            _as_hashable(padding),
            _as_hashable(dilation),
            groups,
            bias,
            _dtype(dtype),
        )
        super().__init__(layer, device)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups


class MaxPool2d(PureLayerModule):
    """Max pooling over NCHW input; stride defaults to kernel_size."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        if return_indices:  # (values, indices): the N-d pool with an index table (functional.pool_extra)
            from ...functional import layers_nd

            layer = pure_layer(
                layers_nd.MaxPoolNd, 2, *map(_as_hashable, (kernel_size, stride, padding, dilation)), True, ceil_mode
            )
            super().__init__(layer)
            self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
            return
        super().__init__(
            pure_layer(
                fn.MaxPool2d,
                _as_hashable(kernel_size),
                _as_hashable(stride),
                _as_hashable(padding),
                _as_hashable(dilation),
                ceil_mode,
            )
        )
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride


class AvgPool2d(PureLayerModule):
    """Average pooling over NCHW input; stride defaults to kernel_size."""

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
                fn.AvgPool2d,
                _as_hashable(kernel_size),
                _as_hashable(stride),
                _as_hashable(padding),
                ceil_mode,
                count_include_pad,
                divisor_override,
            )
        )
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride


class AdaptiveAvgPool2d(PureLayerModule):
    """Average pooling to a fixed output size."""

    def __init__(self, output_size: Any):
        super().__init__(pure_layer(fn.AdaptiveAvgPool2d, _as_hashable(output_size)))
        self.output_size = output_size


__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]
