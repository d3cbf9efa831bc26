"""`Linear`, `Identity`, `Flatten` and `Embedding`: thin Modules over the pure layers."""

from __future__ import annotations

from typing import Any

from ... import functional as fn
from ..._tensor import dtypes as _dtypes
from ..._tensor.tensor import Tensor
from ...functional import layers_nd
from ...functional.dense import padding_index
from ._pure import LayerModule, PureLayerModule, as_tensor, pure_layer


def _dtype(dtype: Any) -> Any:
    return _dtypes.float32 if dtype is None else _dtypes.as_dtype(dtype, "dtype")


class Linear(PureLayerModule):
    """y = x @ weight.T + bias; weight (out_features, in_features), PyTorch's default init."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None):
        super().__init__(pure_layer(fn.Linear, in_features, out_features, bias, _dtype(dtype)), device)
        self.in_features, self.out_features = in_features, out_features


class Embedding(PureLayerModule):
    """A lookup table of `num_embeddings` vectors, initialised N(0, 1) (padding row zero)."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ):
        layer = pure_layer(fn.Embedding, num_embeddings, embedding_dim, padding_idx, _dtype(dtype))
        super().__init__(layer, device)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_index(padding_idx, num_embeddings, "Embedding")


class Flatten(PureLayerModule):
    """Flattens dims start_dim..end_dim (the batch dim is kept by default)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__(pure_layer(fn.Flatten, start_dim, end_dim))
        self.start_dim, self.end_dim = start_dim, end_dim


class Identity(PureLayerModule):
    """Returns its input; accepts and ignores any constructor arguments, as PyTorch does."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(pure_layer(fn.Identity))

    def forward(self, input: Any) -> Tensor:
        return as_tensor(input)

    def extra_repr(self) -> str:
        return ""


__all__ = ["Linear", "Embedding", "Flatten", "Identity"]


class Bilinear(LayerModule):
    """y = x1^T A x2 + b; weight (out, in1, in2), PyTorch's U(+-1/sqrt(in1)) init."""

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        layer = pure_layer(layers_nd.Bilinear, in1_features, in2_features, out_features, bias, _dtype(dtype))
        super().__init__(layer, device)
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features

    def forward(self, input1: Any, input2: Any) -> Tensor:
        return super().forward(input1, input2)


__all__ += ["Bilinear"]
