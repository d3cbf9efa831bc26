"""Loss Modules: `CrossEntropyLoss`, `NLLLoss`, `MSELoss`, `L1Loss`, `BCEWithLogitsLoss`.

Each keeps its options and calls `nn.functional`; class weights are buffers, as in
PyTorch (so they move with `.to()` and appear in `state_dict()`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import _checks
from ..._checks import is_concrete
from ..._tensor.tensor import Tensor
from ...autograd.dispatch import apply
from ...functional.loss_extra import ctc_padded_targets, triplet_hinge
from .. import functional as F
from ..module import Module
from ._pure import as_tensor


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = _checks.reduction(reduction, type(self).__name__)


class _WeightedLoss(_Loss):
    def __init__(self, weight: Any = None, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None else as_tensor(weight))


class CrossEntropyLoss(_WeightedLoss):
    """log_softmax over dim 1 then negative log-likelihood; targets are indices or probabilities."""

    def __init__(
        self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
    ):
        super().__init__(weight, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices under log-probabilities."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid then binary cross-entropy, in one numerically stable step."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None):
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None else as_tensor(weight))
        self.register_buffer("pos_weight", None if pos_weight is None else as_tensor(pos_weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCEWithLogitsLoss"]


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """PyTorch's deprecated size_average/reduce flags, turned into the reduction they mean."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


def _table_loss(
    title: str,
    op: str,
    names: tuple = (),
    defaults: tuple = (),
    legacy: bool = True,
    weighted: bool = False,
    inputs: int = 2,
    doc: str = "",
) -> type:
    """A loss Module class: constructor options `names` (PyTorch's order) passed to `F.<op>` by keyword."""
    order = (("weight",) if weighted else ()) + names[:1] + (("size_average", "reduce") if legacy else ()) + names[1:]
    order = order + ("reduction",) if "reduction" not in names else order

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(order):
            raise TypeError(f"{title}() takes at most {len(order)} positional arguments, got {len(args)}")
        values = {"reduction": "mean", "size_average": None, "reduce": None, "weight": None}
        values.update(zip(names, defaults))
        values.update(zip(order, args))
        unknown = set(kwargs) - set(order)
        if unknown:
            raise TypeError(f"{title}() got unexpected keyword arguments {sorted(unknown)}")
        values.update(kwargs)
        _Loss.__init__(self, _legacy_reduction(values["size_average"], values["reduce"], values["reduction"]))
        if weighted:
            self.register_buffer("weight", None if values["weight"] is None else as_tensor(values["weight"]))
        for n in names:
            if n != "reduction":
                setattr(self, n, values[n])

    def forward(self, *tensors: Any) -> Tensor:
        if len(tensors) != inputs:
            raise TypeError(f"{title}.forward() takes {inputs} inputs, got {len(tensors)}")
        options = {n: getattr(self, n) for n in names if n != "reduction"}
        if weighted:
            options["weight"] = self.weight
        return getattr(F, op)(*tensors, reduction=self.reduction, **options)

    attrs = {"__init__": __init__, "forward": forward, "__doc__": doc or f"`nn.functional.{op}` as a Module."}
    return type(title, (_Loss,), attrs)


SmoothL1Loss = _table_loss("SmoothL1Loss", "smooth_l1_loss", ("beta",), (1.0,))
HuberLoss = _table_loss("HuberLoss", "huber_loss", ("reduction", "delta"), ("mean", 1.0), legacy=False)
SoftMarginLoss = _table_loss("SoftMarginLoss", "soft_margin_loss")
KLDivLoss = _table_loss("KLDivLoss", "kl_div", ("log_target",), (False,))
BCELoss = _table_loss("BCELoss", "binary_cross_entropy", weighted=True)
MarginRankingLoss = _table_loss("MarginRankingLoss", "margin_ranking_loss", ("margin",), (0.0,), inputs=3)
HingeEmbeddingLoss = _table_loss("HingeEmbeddingLoss", "hinge_embedding_loss", ("margin",), (1.0,))
CosineEmbeddingLoss = _table_loss("CosineEmbeddingLoss", "cosine_embedding_loss", ("margin",), (0.0,), inputs=3)
MultiLabelSoftMarginLoss = _table_loss("MultiLabelSoftMarginLoss", "multilabel_soft_margin_loss", weighted=True)
MultiLabelMarginLoss = _table_loss("MultiLabelMarginLoss", "multilabel_margin_loss")
PoissonNLLLoss = _table_loss(
    "PoissonNLLLoss", "poisson_nll_loss", ("log_input", "full", "eps"), (True, False, 1e-8), legacy=False
)
GaussianNLLLoss = _table_loss(
    "GaussianNLLLoss", "gaussian_nll_loss", ("full", "eps"), (False, 1e-6), legacy=False, inputs=3
)
TripletMarginLoss = _table_loss(
    "TripletMarginLoss", "triplet_margin_loss", ("margin", "p", "eps", "swap"), (1.0, 2.0, 1e-6, False), inputs=3
)


class MultiMarginLoss(_Loss):
    """Multi-class hinge loss: sum over wrong classes of max(0, margin - x[y] + x[i])^p / C."""

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Any = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ):
        super().__init__(_legacy_reduction(size_average, reduce, reduction))
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p!r}")
        self.p, self.margin = p, margin
        self.register_buffer("weight", None if weight is None else as_tensor(weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)


class CTCLoss(_Loss):
    """Connectionist temporal classification over (T, N, C) log-probabilities."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any) -> Tensor:
        # Lengths as arrays and concatenated targets as rows of the longest target, so that every
        # call with the same sizes shares one compiled program (the scan compiles slowly).
        in_len, tg_len = (
            as_tensor(np.asarray(v)) if isinstance(v, (list, tuple)) else as_tensor(v)
            for v in (input_lengths, target_lengths)
        )
        targets = as_tensor(targets)
        if targets.ndim == 1 and as_tensor(log_probs).ndim == 3 and is_concrete(tg_len.array):
            width = int(np.max(np.asarray(tg_len.array), initial=0))
            targets = apply(ctc_padded_targets, targets, tg_len, width)
        return F.ctc_loss(log_probs, targets, in_len, tg_len, self.blank, self.reduction, self.zero_infinity)


class TripletMarginWithDistanceLoss(_Loss):
    """max(d(a, p) - d(a, n) + margin, 0) with any `distance_function` of Tensors (pairwise_distance by default)."""

    def __init__(
        self, *, distance_function: Any = None, margin: float = 1.0, swap: bool = False, reduction: str = "mean"
    ):
        super().__init__(reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be greater than 0, got {margin}")
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Tensor:
        distance = self.distance_function or F.pairwise_distance
        swap = distance(positive, negative) if self.swap else None
        return apply(
            triplet_hinge, distance(anchor, positive), distance(anchor, negative), swap, self.margin, self.reduction
        )


class LinearCrossEntropyLoss(_WeightedLoss):
    """A bias-free (by default) Linear to `num_classes * prod(out_features)` logits, then cross-entropy."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        out_features: tuple = (),
        bias: bool = False,
        device: Any = None,
        dtype: Any = None,
        reduction: str = "mean",
        weight: Any = None,
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
        options: Any = None,
    ):
        from .linear import Linear

        if options is not None:
            raise ValueError("LinearCrossEntropyLoss: chunking options are not supported; pass options=None")
        super().__init__(weight, reduction)
        self.num_classes, self.out_features = num_classes, tuple(out_features)
        self.ignore_index, self.label_smoothing, self.options = ignore_index, label_smoothing, options
        self.linear = Linear(in_features, math.prod(self.out_features, start=num_classes), bias, device, dtype)

    def forward(self, input: Any, target: Any) -> Tensor:
        shape = (self.num_classes, *self.out_features)
        weight = self.linear.weight.reshape(*shape, self.linear.in_features)
        bias = self.linear._parameters.get("bias")
        bias = None if bias is None else bias.reshape(*shape)
        return F.linear_cross_entropy(
            input, weight, target, bias, self.weight, self.reduction, self.ignore_index, self.label_smoothing
        )


__all__ += [
    "SmoothL1Loss",
    "HuberLoss",
    "SoftMarginLoss",
    "KLDivLoss",
    "BCELoss",
    "MarginRankingLoss",
    "HingeEmbeddingLoss",
    "CosineEmbeddingLoss",
    "MultiLabelSoftMarginLoss",
    "MultiLabelMarginLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
    "TripletMarginLoss",
    "MultiMarginLoss",
    "CTCLoss",
    "TripletMarginWithDistanceLoss",
    "LinearCrossEntropyLoss",
]
