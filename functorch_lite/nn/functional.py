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

from .. import functional as fn
from .. import random
from .._tensor.tensor import Tensor
from ..autograd.dispatch import apply
from ..functional.activation_table import ACTIVATIONS as ACTIVATION_TABLE
from ..functional.conv_pool_nd import OPS as ND_TABLE
from ..functional.interpolate import OPS as INTERPOLATE_TABLE
from ..functional.loss_table import LOSSES as LOSS_TABLE
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
    if return_indices:
        raise ValueError("max_pool2d: return_indices=True is not supported")
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
