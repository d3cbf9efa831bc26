"""`RNN`, `LSTM`, `GRU` and their cells: thin Modules over the pure recurrent layers.

The math, the checks and PyTorch's parameter names come from
`functorch_lite.functional.recurrent_layers`; these classes keep PyTorch's constructor
signatures, draw the dropout key from the global generator in train mode, and pass a
`PackedSequence` to the pure layer as its pieces (the tape sees arrays, not the tuple).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import functional as fn
from ... import random
from ..._tensor.tensor import Tensor
from ...autograd.dispatch import apply
from ...functional.packed import PackedSequence
from ._pure import PureLayerModule, pure_layer
from .linear import _dtype


class _RNNBase(PureLayerModule):
    mode: str

    def _setup(self, layer, device, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional):
        super().__init__(layer, device)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, 0
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=3,
            )

    def flatten_parameters(self) -> None:
        """PyTorch packs weights for cuDNN here; XLA needs no contiguous weight buffer, so nothing is to do."""

    def forward(self, input: Any, hx: Any = None) -> Any:
        need_key = self.training and self.dropout > 0 and self.num_layers > 1
        key = random.default_generator.next_key() if need_key else None
        options = dict(key=key, training=self.training)
        if not isinstance(input, PackedSequence):
            return apply(self._layer.apply, self._params(), input, hx, **options)
        sizes = tuple(int(s) for s in np.asarray(input.batch_sizes))
        data, h = apply(
            self._layer.apply,
            self._params(),
            input.data,
            hx,
            batch_sizes=sizes,
            sorted_indices=input.sorted_indices,
            unsorted_indices=input.unsorted_indices,
            **options,
        )
        return PackedSequence(data, input.batch_sizes, input.sorted_indices, input.unsorted_indices), h

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """Each layer-direction's parameters, in PyTorch's order."""
        per = 4 + (self.proj_size > 0) if self.bias else 2 + (self.proj_size > 0)
        params = list(self._params().values())
        return [params[i : i + per] for i in range(0, len(params), per)]


class RNN(_RNNBase):
    """Multi-layer Elman RNN with tanh or relu; forward(input, h_0=None) -> (output, h_n)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        args = (input_size, hidden_size, num_layers, nonlinearity, bias, batch_first, dropout, bidirectional)
        layer = pure_layer(fn.RNN, *args, _dtype(dtype))
        self._setup(layer, device, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        self.nonlinearity = nonlinearity
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


class LSTM(_RNNBase):
    """Multi-layer LSTM; forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n))."""

    mode = "LSTM"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ):
        args = (input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size)
        layer = pure_layer(fn.LSTM, *args, _dtype(dtype))
        self._setup(layer, device, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        self.proj_size = proj_size


class GRU(_RNNBase):
    """Multi-layer GRU; forward(input, h_0=None) -> (output, h_n)."""

    mode = "GRU"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        args = (input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        layer = pure_layer(fn.GRU, *args, _dtype(dtype))
        self._setup(layer, device, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)


class _CellBase(PureLayerModule):
    def _setup(self, layer, device, input_size, hidden_size, bias):
        super().__init__(layer, device)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias

    def forward(self, input: Any, hx: Any = None) -> Any:
        return apply(self._layer.apply, self._params(), input, hx, training=self.training)


class RNNCell(_CellBase):
    """One Elman RNN step; forward(input, h=None) -> h'."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ):
        layer = pure_layer(fn.RNNCell, input_size, hidden_size, bias, nonlinearity, _dtype(dtype))
        self._setup(layer, device, input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity


class LSTMCell(_CellBase):
    """One LSTM step; forward(input, (h, c)=None) -> (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None):
        self._setup(
            pure_layer(fn.LSTMCell, input_size, hidden_size, bias, _dtype(dtype)), device, input_size, hidden_size, bias
        )


class GRUCell(_CellBase):
    """One GRU step; forward(input, h=None) -> h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None):
        self._setup(
            pure_layer(fn.GRUCell, input_size, hidden_size, bias, _dtype(dtype)), device, input_size, hidden_size, bias
        )


__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
