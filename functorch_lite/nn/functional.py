"""`nn.functional`: the core ops of `functorch_lite.functional` on Tensors, recorded on the tape.

Every function has the name and signature of torch.nn.functional and runs the core
op of the same name through the autograd dispatcher (one tape node, one cached
jitted call). Arguments may be Tensors, jax arrays or numpy arrays; results are
Tensors. The only additions are the bookkeeping PyTorch does implicitly: dropout
draws its key from the global generator, and batch_norm writes the new running
statistics into the Tensors it was given.
"""

from __future__ import annotations

from typing import Any

from .. import _checks, random
from .. import functional as fn
from .._tensor.tensor import Tensor
from ..autograd.dispatch import apply
from ..functional.activation_table import ACTIVATIONS as ACTIVATION_TABLE
from ..functional.bags import OPS as BAG_TABLE
from ..functional.bags import inferred_classes
from ..functional.blocks import OPS as FOLD_TABLE
from ..functional.conv_pool_nd import OPS as ND_TABLE
from ..functional.distance import OPS as DISTANCE_TABLE
from ..functional.dropout_nd import OPS as DROPOUT_TABLE
from ..functional.grids import OPS as GRID_TABLE
from ..functional.interpolate import OPS as INTERPOLATE_TABLE
from ..functional.loss_extra import OPS as LOSS_EXTRA_TABLE
from ..functional.loss_extra import triplet_hinge
from ..functional.loss_table import LOSSES as LOSS_TABLE
from ..functional.pool_extra import OPS as POOL_EXTRA_TABLE
from .parameter import set_array


def _no_legacy(op: str, **legacy: Any) -> None:
    given = [name for name, value in legacy.items() if value is not None]
    if given:
        raise ValueError(
            f"{op}: {', '.join(given)} is deprecated and not supported; use reduction='mean' | 'sum' | 'none'"
        )


def _shape(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def conv2d(
    input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1
) -> Tensor:
    return apply(fn.conv2d, input, weight, bias, _shape(stride), _shape(padding), _shape(dilation), groups)


def max_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    return apply(
        fn.max_pool2d, input, _shape(kernel_size), _shape(stride), _shape(padding), _shape(dilation), ceil_mode
    )


def avg_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    return apply(
        fn.avg_pool2d,
        input,
        _shape(kernel_size),
        _shape(stride),
        _shape(padding),
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    return apply(fn.adaptive_avg_pool2d, input, _shape(output_size))


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    return apply(fn.linear, input, weight, bias)


def relu(input: Any, inplace: bool = False) -> Tensor:
    return apply(fn.relu, input)


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return apply(fn.leaky_relu, input, negative_slope)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    return apply(fn.gelu, input, approximate)


def sigmoid(input: Any) -> Tensor:
    return apply(fn.sigmoid, input)


def tanh(input: Any) -> Tensor:
    return apply(fn.tanh, input)


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    return apply(fn.softmax, input, dim, dtype)


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    return apply(fn.log_softmax, input, dim, dtype)


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes elements with probability p while training; the mask key comes from the global
    generator, so `functorch_lite.manual_seed` makes it reproducible."""
    if not training or p == 0:
        return apply(fn.dropout, input, p, False)
    return apply(fn.dropout, input, p, True, key=random.default_generator.next_key())


def batch_norm(
    input: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation; in training, Tensor running statistics are updated in place."""
    output, mean, var = apply(fn.batch_norm, input, running_mean, running_var, weight, bias, training, momentum, eps)
    if training:
        for target, value in ((running_mean, mean), (running_var, var)):
            if isinstance(target, Tensor):
                set_array(target, value.array)
    return output


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Tensor:
    return apply(fn.layer_norm, input, _shape(normalized_shape), weight, bias, eps)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return apply(fn.flatten, input, start_dim, end_dim)


def embedding(input: Any, weight: Any, padding_idx: int | None = None) -> Tensor:
    return apply(fn.embedding, input, weight, padding_idx)


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    _no_legacy("cross_entropy", size_average=size_average, reduce=reduce)
    return apply(fn.cross_entropy, input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    _no_legacy("nll_loss", size_average=size_average, reduce=reduce)
    return apply(fn.nll_loss, input, target, weight, ignore_index, reduction)


def mse_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    _no_legacy("mse_loss", size_average=size_average, reduce=reduce)
    return apply(fn.mse_loss, input, target, reduction)


def l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    _no_legacy("l1_loss", size_average=size_average, reduce=reduce)
    return apply(fn.l1_loss, input, target, reduction)


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    _no_legacy("binary_cross_entropy_with_logits", size_average=size_average, reduce=reduce)
    return apply(fn.binary_cross_entropy_with_logits, input, target, weight, reduction, pos_weight)


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value; dropout's key comes from the global generator."""
    dropout_key = random.default_generator.next_key() if dropout_p > 0 else None
    return apply(
        fn.scaled_dot_product_attention, query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa,
        dropout_key=dropout_key,
    )  # fmt: skip


def multi_head_attention_forward(
    query: Any,
    key: Any,
    value: Any,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Any,
    in_proj_bias: Any,
    bias_k: Any,
    bias_v: Any,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Any,
    out_proj_bias: Any,
    training: bool = True,
    key_padding_mask: Any = None,
    need_weights: bool = True,
    attn_mask: Any = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Any = None,
    k_proj_weight: Any = None,
    v_proj_weight: Any = None,
    static_k: Any = None,
    static_v: Any = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """The math of `nn.MultiheadAttention` over (L, N, E) inputs; returns (output, weights or None)."""
    dropout_key = random.default_generator.next_key() if training and dropout_p > 0 else None
    return apply(
        fn.multi_head_attention_forward, query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
        in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
        key_padding_mask, need_weights, attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight,
        v_proj_weight, static_k, static_v, average_attn_weights, is_causal, dropout_key=dropout_key,
    )  # fmt: skip


__all__ = [
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "linear",
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "dropout",
    "batch_norm",
    "layer_norm",
    "flatten",
    "embedding",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy_with_logits",
    "scaled_dot_product_attention",
    "multi_head_attention_forward",
]


def _wrap_table(function: Any) -> Any:
    def wrapped(input: Any, *args: Any, **kwargs: Any) -> Tensor:
        kwargs.pop("inplace", None)  # arrays are immutable: the in-place form returns the same values
        return apply(function, input, *args, **kwargs)

    wrapped.__name__ = wrapped.__qualname__ = function.__name__
    wrapped.__doc__ = f"`torch.nn.functional.{function.__name__}` over `functional.activation_table`."
    return wrapped


# The table-driven activations and vector ops (functional/activation_table.py), recorded on the tape.
globals().update({name: _wrap_table(f) for name, f in ACTIVATION_TABLE.items() if name not in globals()})
globals().update({name: _wrap_table(f) for name, f in LOSS_TABLE.items() if name not in globals()})
globals().update({name: _wrap_table(f) for name, f in ND_TABLE.items() if name not in globals()})
globals().update({name: _wrap_table(f) for name, f in INTERPOLATE_TABLE.items() if name not in globals()})
globals().update({name: _wrap_table(f) for name, f in POOL_EXTRA_TABLE.items() if name not in globals()})
globals().update({name: _wrap_table(f) for name, f in LOSS_EXTRA_TABLE.items() if name not in globals()})


def _indexed(name: str, flag_position: int) -> Any:
    """`name` whose `return_indices=True` (by keyword or at `flag_position`) runs the `_with_indices` op."""
    plain, indexed = globals()[name], POOL_EXTRA_TABLE[f"{name}_with_indices"]

    def wrapped(input: Any, *args: Any, **kwargs: Any) -> Any:
        flag = kwargs.pop("return_indices", args[flag_position] if len(args) > flag_position else False)
        args = args[:flag_position]
        if not flag:
            return plain(input, *args, **kwargs)
        return apply(indexed, input, *(_shape(a) for a in args), **{k: _shape(v) for k, v in kwargs.items()})

    wrapped.__name__ = wrapped.__qualname__ = name
    wrapped.__doc__ = f"`torch.nn.functional.{name}`; with return_indices=True, (values, flat spatial indices)."
    return wrapped


def _keyed(name: str) -> Any:
    """`name` with its random draws keyed from the global generator (`functorch_lite.manual_seed`)."""
    function = POOL_EXTRA_TABLE.get(name) or LOSS_EXTRA_TABLE[name]

    def wrapped(input: Any, *args: Any, **kwargs: Any) -> Tensor:
        kwargs.pop("inplace", None)
        return apply(function, input, *args, key=random.default_generator.next_key(), **kwargs)

    wrapped.__name__ = wrapped.__qualname__ = name
    wrapped.__doc__ = f"`torch.nn.functional.{name}`; samples come from the global generator."
    return wrapped


globals().update({f"max_pool{n}d": _indexed(f"max_pool{n}d", 5) for n in (1, 2, 3)})
globals().update({f"adaptive_max_pool{n}d": _indexed(f"adaptive_max_pool{n}d", 1) for n in (1, 2, 3)})
globals().update({name: _keyed(name) for name in ("fractional_max_pool2d", "fractional_max_pool3d", "rrelu")})


# Sliding blocks, grid sampling, bags of embeddings and pair distances, recorded on the tape.
globals().update(
    {name: _wrap_table(f) for table in (FOLD_TABLE, GRID_TABLE, DISTANCE_TABLE) for name, f in table.items()}
)
embedding_bag = _wrap_table(BAG_TABLE["embedding_bag"])


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class labels as one-hot int vectors; num_classes=-1 reads the largest label (eagerly)."""
    if _checks.is_int(num_classes) and num_classes < 0:
        num_classes = inferred_classes(tensor.array if isinstance(tensor, Tensor) else tensor)
    return apply(BAG_TABLE["one_hot"], tensor, num_classes)


def _channel_dropout(name: str, training_default: bool) -> Any:
    """`name` of functional/dropout_nd.py; the mask key comes from the global generator when it is needed."""
    function = DROPOUT_TABLE[name]

    def wrapped(input: Any, p: float = 0.5, training: bool = training_default, inplace: bool = False) -> Tensor:
        if not training or p == 0:
            return apply(function, input, p, False)
        return apply(function, input, p, True, key=random.default_generator.next_key())

    wrapped.__name__ = wrapped.__qualname__ = name
    wrapped.__doc__ = function.__doc__
    return wrapped


globals().update({name: _channel_dropout(name, "alpha" not in name) for name in DROPOUT_TABLE})


def triplet_margin_with_distance_loss(
    anchor: Any,
    positive: Any,
    negative: Any,
    *,
    distance_function: Any = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0); `distance_function` is any function of Tensors (a Module too)."""
    if not margin > 0:
        raise ValueError(
            f"triplet_margin_with_distance_loss: expected margin to be greater than 0, got {margin} instead"
        )
    distance = globals()["pairwise_distance"] if distance_function is None else distance_function
    d_swap = distance(positive, negative) if swap else None
    return apply(triplet_hinge, distance(anchor, positive), distance(anchor, negative), d_swap, margin, reduction)
