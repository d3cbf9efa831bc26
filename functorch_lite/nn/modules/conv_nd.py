"""`Conv1d`, `Conv3d` and `ConvTranspose1d/2d/3d`: thin Modules over `functional.layers_nd`."""

from __future__ import annotations

from typing import Any

from ..._tensor.tensor import Tensor
from ...functional import layers_nd
from ._pure import LayerModule, pure_layer
from .linear import _dtype


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class _ConvNd(LayerModule):
    _n = 0

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
        layer = pure_layer(
            layers_nd.ConvNd,
            self._n,
            in_channels,
            out_channels,
            _hashable(kernel_size),
            _hashable(stride),
            _hashable(padding),
            _hashable(dilation),
            groups,
            bias,
            padding_mode,
            _dtype(dtype),
        )
        super().__init__(layer, device)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.padding_mode, self.transposed = padding_mode, False

    def forward(self, input: Any) -> Tensor:
        return super().forward(input)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L); weight (out, in / groups, k); padding modes zeros/reflect/replicate/circular."""

    _n = 1


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W); weight (out, in / groups, kD, kH, kW)."""

    _n = 3


class _ConvTransposeNd(LayerModule):
    _n = 0

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ):
        layer = pure_layer(
            layers_nd.ConvTransposeNd,
            self._n,
            in_channels,
            out_channels,
            _hashable(kernel_size),
            _hashable(stride),
            _hashable(padding),
            _hashable(output_padding),
            groups,
            bias,
            _hashable(dilation),
            padding_mode,
            _dtype(dtype),
        )
        super().__init__(layer, device)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.output_padding, self.padding_mode, self.transposed = output_padding, padding_mode, True

    def forward(self, input: Any, output_size: Any = None) -> Tensor:
        size = None if output_size is None else tuple(int(s) for s in output_size)
        return super().forward(input, output_size=size)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution; weight (in, out / groups, k); `output_size=` in forward."""

    _n = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution; weight (in, out / groups, kH, kW); `output_size=` in forward."""

    _n = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution; weight (in, out / groups, kD, kH, kW); `output_size=` in forward."""

    _n = 3


__all__ = ["Conv1d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]
