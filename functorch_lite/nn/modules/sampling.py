"""Modules over the sliding-block, bag, distance and channel-dropout ops of `nn.functional`.

`Unfold`/`Fold`, `EmbeddingBag`, `PairwiseDistance`/`CosineSimilarity` and the dropouts
`Dropout1d/2d/3d`, `AlphaDropout`, `FeatureAlphaDropout`: each stores its configuration
and calls the functional op of the same name; `EmbeddingBag` owns an `Embedding`'s weight.
"""

from __future__ import annotations

from typing import Any

from ... import functional as fn
from ..._tensor.tensor import Tensor
from ...functional.dense import padding_index
from .. import functional as F
from ..module import Module
from ._pure import PureLayerModule, pure_layer
from .linear import _dtype


class Unfold(Module):
    """Sliding local blocks of (N, C, H, W) as columns (N, C * kH * kW, L)."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input: Any) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


class Fold(Unfold):
    """Columns (N, C * kH * kW, L) summed back into (N, C, *output_size) images."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1):
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def forward(self, input: Any) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, " + super().extra_repr()


class EmbeddingBag(PureLayerModule):
    """Sums, means or maxima of bags of embeddings; the weight is an `Embedding`'s (N(0, 1), padding row 0)."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Any = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__(pure_layer(fn.Embedding, num_embeddings, embedding_dim, padding_idx, _dtype(dtype)), device)
        if _weight is not None:
            self.weight.data = _weight
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset
        self.padding_idx = padding_index(padding_idx, num_embeddings, "EmbeddingBag")

    def forward(self, input: Any, offsets: Any = None, per_sample_weights: Any = None) -> Tensor:
        return F.embedding_bag(
            input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq, self.mode,
            self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx,
        )  # fmt: skip

    def extra_repr(self) -> str:
        extra = f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
        return extra + ("" if self.padding_idx is None else f", padding_idx={self.padding_idx}")


class PairwiseDistance(Module):
    """The p-norm of x1 - x2 (+ eps) over the last dim."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """Cosine similarity of x1 and x2 along `dim`."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class _DropoutNd(Module):
    _op = "dropout2d"

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = float(p), inplace

    def forward(self, input: Any) -> Tensor:
        return getattr(F, self._op)(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


def _dropout_class(title: str, op: str, doc: str) -> type:
    return type(title, (_DropoutNd,), {"_op": op, "__doc__": doc})


Dropout1d = _dropout_class("Dropout1d", "dropout1d", "Zeroes whole channels of (N, C, L) with probability p.")
Dropout2d = _dropout_class("Dropout2d", "dropout2d", "Zeroes whole channels of (N, C, H, W) with probability p.")
Dropout3d = _dropout_class("Dropout3d", "dropout3d", "Zeroes whole channels of (N, C, D, H, W) with probability p.")
AlphaDropout = _dropout_class("AlphaDropout", "alpha_dropout", "Dropout that keeps SELU's zero mean, unit variance.")
FeatureAlphaDropout = _dropout_class("FeatureAlphaDropout", "feature_alpha_dropout", "Alpha dropout of whole channels.")

__all__ = [
    "Unfold",
    "Fold",
    "EmbeddingBag",
    "PairwiseDistance",
    "CosineSimilarity",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
]
