"""Every user-facing entry point fed its typical mistakes, as one table.

Each row is (entry point, mistake, call, expected exception, regex). The regex must
name the function or argument and say what was expected, so a user mistake never
surfaces as a raw XLA error, a hang or a silently wrong result. A second, smaller
table holds inputs PyTorch accepts (NaN propagating through ops and losses, empty
batches, NaN in a dataset): there the result must equal PyTorch's.
"""

import importlib.util
import math
import re
from pathlib import Path
from unittest import mock

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.functional as fn
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from functorch_lite import datasets, func, optim
from functorch_lite.optim import lr_scheduler
from functorch_lite.utils.data import DataLoader, TensorDataset, random_split

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")
X4, W4 = jnp.ones((2, 3, 8, 8)), jnp.ones((4, 3, 3, 3))
LOGITS, LABELS = jnp.ones((4, 3)), jnp.zeros(4, jnp.int32)
CLOSED_OVER_LABELS = jnp.array([0, 1, 3, 2])  # concrete inside jit, so still checked
ROOT = Path(__file__).resolve().parents[1]


def _example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train_jit = _example("train_jit")
lenet_imperative = _example("lenet_imperative")


def params():
    return [nn.Parameter(jnp.ones(3))]


def sgd_class(**options):
    return optim.SGD(params(), **{"lr": 0.1, **options})


def linear_params(layer):
    return layer.init(jax.random.key(0))


def row(entry, mistake, call, error, pattern, xfail=None):
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(call, error, pattern, id=f"{entry}: {mistake}", marks=marks)


MISTAKES = [
    # ---- core ops (functorch_lite.functional)
    row(
        "fn.conv2d",
        "rank 2 input",
        lambda: fn.conv2d(jnp.ones((8, 8)), W4),
        ValueError,
        r"conv2d: expected input of rank 3 or 4 \(N, C, H, W\) or \(C, H, W\), got shape \(8, 8\)",
    ),
    row(
        "fn.conv2d",
        "wrong channel count",
        lambda: fn.conv2d(jnp.ones((2, 5, 8, 8)), W4),
        ValueError,
        r"conv2d: expected input with 3 channels .*got input of shape \(2, 5, 8, 8\)",
    ),
    row(
        "fn.conv2d",
        "int images",
        lambda: fn.conv2d(X4.astype(jnp.int32), W4),
        TypeError,
        r"conv2d: expected a floating-point input, got dtype int32",
    ),
    row(
        "fn.conv2d",
        "unknown padding mode",
        lambda: fn.conv2d(X4, W4, padding="full"),
        ValueError,
        r"conv2d: padding must be an int, a pair of ints, 'valid' or 'same', got 'full'",
    ),
    row(
        "fn.conv2d", "stride 0", lambda: fn.conv2d(X4, W4, stride=0), ValueError, r"conv2d: stride must be >= 1, got 0"
    ),
    row(
        "fn.conv2d",
        "negative padding",
        lambda: fn.conv2d(X4, W4, padding=-1),
        ValueError,
        r"conv2d: padding must be >= 0, got -1",
    ),
    row(
        "fn.conv2d",
        "groups 0",
        lambda: fn.conv2d(X4, W4, groups=0),
        ValueError,
        r"conv2d: groups must be a positive int, got 0",
    ),
    row(
        "fn.conv2d",
        "float stride",
        lambda: fn.conv2d(X4, W4, stride=1.5),
        TypeError,
        r"conv2d: stride must be an int or a pair of ints, got 1.5",
    ),
    row(
        "fn.conv2d",
        "weight of a string",
        lambda: fn.conv2d(X4, "w"),
        TypeError,
        r"conv2d: weight must be an array, got str",
    ),
    row(
        "fn.max_pool2d",
        "kernel 0",
        lambda: fn.max_pool2d(X4, 0),
        ValueError,
        r"max_pool2d: kernel_size must be >= 1, got 0",
    ),
    row(
        "fn.max_pool2d",
        "ceil_mode a string",
        lambda: fn.max_pool2d(X4, 2, ceil_mode="yes"),
        TypeError,
        r"max_pool2d: ceil_mode must be a bool, got 'yes'",
    ),
    row(
        "fn.avg_pool2d",
        "rank 1 input",
        lambda: fn.avg_pool2d(jnp.ones(8), 2),
        ValueError,
        r"avg_pool2d: expected input of rank 3 or 4 .* got shape \(8,\)",
    ),
    row(
        "fn.avg_pool2d",
        "count_include_pad a string",
        lambda: fn.avg_pool2d(X4, 2, count_include_pad="no"),
        TypeError,
        r"avg_pool2d: count_include_pad must be a bool, got 'no'",
    ),
    row(
        "fn.adaptive_avg_pool2d",
        "output size 0",
        lambda: fn.adaptive_avg_pool2d(X4, 0),
        ValueError,
        r"adaptive_avg_pool2d: output_size must be >= 1, got 0",
    ),
    row(
        "fn.linear",
        "wrong feature count",
        lambda: fn.linear(jnp.ones((2, 5)), jnp.ones((3, 4))),
        ValueError,
        r"linear: expected input with last dimension 4 \(weight \(3, 4\)\), got input of shape \(2, 5\)",
    ),
    row(
        "fn.linear",
        "int input",
        lambda: fn.linear(jnp.ones((2, 3), jnp.int32), jnp.ones((4, 3))),
        TypeError,
        r"linear: expected a floating-point input, got dtype int32",
    ),
    row(
        "fn.softmax",
        "dim a string",
        lambda: fn.softmax(LOGITS, dim="x"),
        TypeError,
        r"softmax: dim must be an int, got 'x'",
    ),
    row(
        "fn.leaky_relu",
        "slope a string",
        lambda: fn.leaky_relu(LOGITS, "x"),
        TypeError,
        r"leaky_relu: negative_slope must be a number, got 'x'",
    ),
    row(
        "fn.gelu",
        "unknown approximation",
        lambda: fn.gelu(LOGITS, "fast"),
        ValueError,
        r"gelu: approximate must be 'none' or 'tanh', got 'fast'",
    ),
    row(
        "fn.dropout",
        "p > 1",
        lambda: fn.dropout(LOGITS, 1.5),
        ValueError,
        r"dropout: p must be a probability in \[0, 1\], got 1.5",
    ),
    row(
        "fn.embedding",
        "float indices",
        lambda: fn.embedding(jnp.ones(3), jnp.ones((4, 2))),
        TypeError,
        r"embedding: expected integer indices, got dtype float32",
    ),
    row(
        "fn.batch_norm",
        "running stats of another size",
        lambda: fn.batch_norm(X4, jnp.ones(2), jnp.ones(2)),
        ValueError,
        r"batch_norm: expected running_mean of shape \(3,\) for input \(2, 3, 8, 8\), got \(2,\)",
    ),
    row(
        "fn.batch_norm",
        "momentum a string",
        lambda: fn.batch_norm(X4, jnp.ones(3), jnp.ones(3), training=True, momentum="x"),
        TypeError,
        r"batch_norm: momentum must be a number, got 'x'",
    ),
    row(
        "fn.batch_norm",
        "negative eps",
        lambda: fn.batch_norm(X4, None, None, training=True, eps=-1.0),
        ValueError,
        r"batch_norm: eps must be a finite number >= 0.0, got -1.0",
    ),
    row(
        "fn.batch_norm",
        "one value per channel in training",  # an empty batch is accepted, as in PyTorch
        lambda: fn.batch_norm(jnp.ones((1, 3)), None, None, training=True),
        ValueError,
        r"batch_norm: expected more than 1 value per channel when training",
    ),
    row(
        "fn.layer_norm",
        "wrong trailing shape",
        lambda: fn.layer_norm(LOGITS, 4),
        ValueError,
        r"layer_norm: expected input with trailing shape \(4,\), got \(4, 3\)",
    ),
    row(
        "fn.conv2d",
        "wrong input rank",
        lambda: fn.conv2d(X4, jnp.ones((4, 3, 3))),
        ValueError,
        r"conv2d: expected weight of rank 4",
    ),
    row(
        "fn.max_pool2d",
        "wrong input rank",
        lambda: fn.max_pool2d(jnp.ones((2, 2, 3, 8, 8)), 2),
        ValueError,
        r"max_pool2d: expected input of rank 3 or 4 .* got shape \(2, 2, 3, 8, 8\)",
    ),
    row(
        "fn.adaptive_avg_pool2d",
        "wrong input rank",
        lambda: fn.adaptive_avg_pool2d(jnp.ones((8, 8)), 2),
        ValueError,
        r"adaptive_avg_pool2d: expected input of rank 3 or 4",
    ),
    row(
        "fn.batch_norm",
        "wrong input rank",
        lambda: fn.batch_norm(jnp.ones(3), None, None, training=True),
        ValueError,
        r"batch_norm: expected input of rank 2 or 3 or 4 or 5 \(N, C, \.\.\.\)",
    ),
    row(
        "fn.linear",
        "wrong input rank",
        lambda: fn.linear(jnp.ones((2, 3)), jnp.ones(3)),
        ValueError,
        r"linear: expected weight of rank 2",
    ),
    row(
        "fn.conv2d",
        "channels not matching the weight",
        lambda: fn.conv2d(X4, W4, groups=2),
        ValueError,
        r"conv2d: expected input with 6 channels \(weight \(4, 3, 3, 3\), "
        r"groups=2\), got input of shape \(2, 3, 8, 8\)",
    ),
    row(
        "fn.conv2d",
        "channels not matching the weight (2)",
        lambda: fn.conv2d(jnp.ones((5, 8, 8)), W4),
        ValueError,
        r"conv2d: expected input with 3 channels .* got input of shape \(5, 8, 8\)",
    ),
    row(
        "fn.conv2d",
        "channels not matching the weight (3)",
        lambda: fn.conv2d(X4, W4, jnp.ones(3)),
        ValueError,
        r"conv2d: expected bias of shape \(4,\), got \(3,\)",
    ),
    row(
        "fn.conv2d",
        "kernel larger than padded input",
        lambda: fn.conv2d(jnp.ones((1, 3, 4, 9)), jnp.ones((2, 3, 5, 5))),
        ValueError,
        r"conv2d: padded input size 4 along spatial dim 0 is smaller than the \(dilated\) kernel size 5",
    ),
    row(
        "fn.conv2d",
        "kernel larger than padded input (2)",
        lambda: fn.conv2d(jnp.ones((1, 3, 6, 3)), jnp.ones((2, 3, 3, 3)), dilation=2),
        ValueError,
        r"conv2d: .* kernel size 5; input shape \(1, 3, 6, 3\)",
    ),
    row(
        "fn.max_pool2d",
        "kernel larger than padded input",
        lambda: fn.max_pool2d(jnp.ones((1, 2, 2)), 3),
        ValueError,
        r"max_pool2d: kernel size 3 is larger than the padded input size 2; input shape \(1, 2, 2\)",
    ),
    row(
        "fn.avg_pool2d",
        "kernel larger than padded input",
        lambda: fn.avg_pool2d(jnp.ones((1, 1, 2, 2)), 5, padding=1),
        ValueError,
        r"avg_pool2d: kernel size 5 is larger than the padded input size 4",
    ),
    row(
        "fn.max_pool2d",
        "pool padding larger than half the kernel",
        lambda: fn.max_pool2d(jnp.ones((1, 1, 9, 9)), 3, padding=2, dilation=2),
        ValueError,
        r"max_pool2d: padding should be at most half of the kernel size, got padding=2 for kernel_size=3",
    ),
    row(
        "fn.embedding",
        "non integer labels",
        lambda: fn.embedding(jnp.zeros(3), jnp.ones((4, 2))),
        TypeError,
        r"embedding: expected integer indices, got dtype float32",
    ),
    row(
        "fn.embedding",
        "labels out of range outside jit",
        lambda: fn.embedding(jnp.array([0, 4]), jnp.ones((4, 2))),
        ValueError,
        r"embedding: index out of range: expected indices in \[0, 4\), got min 0, max 4",
    ),
    row(
        "fn.conv2d",
        "padding mode errors",
        lambda: fn.conv2d(X4, W4, stride=2, padding="same"),
        ValueError,
        r"conv2d: padding='same' is not supported for strided convolutions, got stride=\(2, 2\)",
    ),
    row(
        "fn.conv2d",
        "padding mode errors (2)",
        lambda: fn.conv2d(X4, W4, padding=(1, 2, 3)),
        TypeError,
        r"conv2d: padding must be an int or a pair of ints, got \(1, 2, 3\)",
    ),
    row(
        "fn.dropout",
        "dropout errors",
        lambda: fn.dropout(jnp.ones(3), -0.1, key=jax.random.key(0)),
        ValueError,
        r"dropout: p must be a probability in \[0, 1\], got -0.1",
    ),
    row(
        "fn.dropout",
        "dropout errors (2)",
        lambda: fn.dropout(jnp.ones(3), 1.5, training=False),
        ValueError,
        r"dropout: p must be a probability in \[0, 1\], got 1.5",
    ),
    row(
        "fn.dropout",
        "dropout errors (3)",
        lambda: fn.dropout(jnp.ones(3), 0.5),
        ValueError,
        r"dropout: training=True with p=0.5 needs a PRNG key",
    ),
    row(
        "fn.conv2d",
        "int input to float ops",
        lambda: fn.conv2d(jnp.ones((2, 3, 8, 8), jnp.int32), W4),
        TypeError,
        r"conv2d: expected a floating-point input, got dtype int32",
    ),
    row(
        "fn.conv2d",
        "int input to float ops (2)",
        lambda: fn.conv2d(X4, W4.astype(jnp.bfloat16)),
        TypeError,
        r"conv2d: input and weight must have the same dtype, got float32 and bfloat16",
    ),
    row(
        "fn.linear",
        "int input to float ops",
        lambda: fn.linear(jnp.ones((2, 3), jnp.int32), jnp.ones((2, 3))),
        TypeError,
        r"linear: expected a floating-point input, got dtype int32",
    ),
    row(
        "fn.avg_pool2d",
        "int input to float ops",
        lambda: fn.avg_pool2d(jnp.ones((1, 1, 4, 4), jnp.int32), 2),
        TypeError,
        r"avg_pool2d: expected a floating-point input, got dtype int32",
    ),
    row(
        "fn.conv2d",
        "int input to float ops (3)",
        lambda: fn.conv2d("image", W4),
        TypeError,
        r"conv2d: input must be an array, got str",
    ),
    row(
        "fn.softmax",
        "other argument errors",
        lambda: fn.softmax(jnp.ones((2, 3)), dim=2),
        ValueError,
        r"softmax: dim 2 is out of range for a tensor of rank 2",
    ),
    row(
        "fn.gelu",
        "other argument errors",
        lambda: fn.gelu(jnp.ones(3), approximate="fast"),
        ValueError,
        r"gelu: approximate must be 'none' or 'tanh', got 'fast'",
    ),
    row(
        "fn.batch_norm",
        "other argument errors",
        lambda: fn.batch_norm(jnp.ones((1, 3)), jnp.zeros(3), jnp.ones(3), training=True),
        ValueError,
        r"batch_norm: expected more than 1 value per channel when training, got input \(1, 3\)",
    ),
    row(
        "fn.batch_norm",
        "other argument errors (2)",
        lambda: fn.batch_norm(jnp.ones((2, 3)), jnp.zeros(4), jnp.ones(3)),
        ValueError,
        r"batch_norm: expected running_mean of shape \(3,\) for input \(2, 3\), got \(4,\)",
    ),
    row(
        "fn.layer_norm",
        "other argument errors",
        lambda: fn.layer_norm(jnp.ones((2, 3)), 4),
        ValueError,
        r"layer_norm: expected input with trailing shape \(4,\), got \(2, 3\)",
    ),
    row(
        "fn.flatten",
        "other argument errors",
        lambda: fn.flatten(jnp.ones((2, 3, 4)), 2, 1),
        ValueError,
        r"flatten: start_dim \(2\) must not come after end_dim \(1\)",
    ),
    # ---- losses
    row(
        "fn.cross_entropy",
        "float labels",
        lambda: fn.cross_entropy(LOGITS, jnp.ones(4)),
        ValueError,
        r"cross_entropy: a floating-point target holds class probabilities .* pass an integer target",
    ),
    row(
        "fn.cross_entropy",
        "batch sizes differ",
        lambda: fn.cross_entropy(LOGITS, jnp.zeros(5, jnp.int32)),
        ValueError,
        r"cross_entropy: expected target of shape \(4,\) for input of shape \(4, 3\), got \(5,\)",
    ),
    row(
        "fn.cross_entropy",
        "unknown reduction",
        lambda: fn.cross_entropy(LOGITS, LABELS, reduction="avg"),
        ValueError,
        r"cross_entropy: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'",
    ),
    row(
        "fn.cross_entropy",
        "label out of range",
        lambda: fn.cross_entropy(LOGITS, jnp.array([0, 1, 2, 3])),
        ValueError,
        r"cross_entropy: target 3 is out of bounds; expected class indices in \[0, 3\)",
    ),
    row(
        "fn.cross_entropy",
        "ignore_index a string",
        lambda: fn.cross_entropy(LOGITS, LABELS, ignore_index="x"),
        TypeError,
        r"cross_entropy: ignore_index must be an int, got 'x'",
    ),
    row(
        "fn.cross_entropy",
        "label_smoothing nan",
        lambda: fn.cross_entropy(LOGITS, LABELS, label_smoothing=NAN),
        ValueError,
        r"cross_entropy: label_smoothing must be a probability in \[0, 1\], got nan",
    ),
    row(
        "fn.nll_loss",
        "float labels",
        lambda: fn.nll_loss(LOGITS, jnp.ones(4)),
        TypeError,
        r"nll_loss: expected integer class indices as target, got dtype float32",
    ),
    row(
        "fn.mse_loss",
        "shapes differ",
        lambda: fn.mse_loss(jnp.ones(4), jnp.ones(5)),
        ValueError,
        r"mse_loss: input and target must have the same shape, got \(4,\) and \(5,\)",
    ),
    row(
        "fn.binary_cross_entropy_with_logits",
        "weight of another shape",
        lambda: fn.binary_cross_entropy_with_logits(LOGITS, LOGITS, weight=jnp.ones(5)),
        ValueError,
        r"binary_cross_entropy_with_logits: weight of shape \(5,\) does not broadcast to the input's shape \(4, 3\)",
    ),
    row(
        "fn.binary_cross_entropy_with_logits",
        "pos_weight of another shape",
        lambda: fn.binary_cross_entropy_with_logits(LOGITS, LOGITS, pos_weight=jnp.ones(5)),
        ValueError,
        r"binary_cross_entropy_with_logits: pos_weight of shape \(5,\) does not broadcast",
    ),
    row(
        "fn.nll_loss",
        "non integer labels",
        lambda: fn.nll_loss(LOGITS, jnp.zeros(4)),
        TypeError,
        r"nll_loss: expected integer class indices as target, got dtype float32",
    ),
    row(
        "fn.cross_entropy",
        "non integer labels",
        lambda: fn.cross_entropy(LOGITS, jnp.zeros(4)),
        ValueError,
        r"cross_entropy: a floating-point target holds class probabilities and must "
        r"have the input's shape \(4, 3\), got \(4,\); for class indices pass an integer target",
    ),
    row(
        "fn.cross_entropy",
        "non integer labels (2)",
        lambda: fn.cross_entropy(LOGITS, jnp.zeros(4, bool)),
        TypeError,
        r"cross_entropy: expected integer class indices or float probabilities as target, got bool",
    ),
    row(
        "fn.cross_entropy",
        "labels out of range outside jit",
        lambda: fn.cross_entropy(LOGITS, np.array([0, 1, 3, 2])),
        ValueError,
        r"cross_entropy: target 3 is out of bounds; expected class indices in \[0, 3\) or ignore_index=-100",
    ),
    row(
        "fn.nll_loss",
        "labels out of range outside jit",
        lambda: fn.nll_loss(LOGITS, jnp.array([0, -1, 1, 2])),
        ValueError,
        r"nll_loss: target -1 is out of bounds",
    ),
    row(
        "fn.cross_entropy",
        "labels out of range outside jit (2)",
        lambda: jax.jit(lambda x: fn.cross_entropy(x, CLOSED_OVER_LABELS))(LOGITS),
        ValueError,
        r"cross_entropy: target 3 is out of bounds",
    ),
    row(
        "fn.mse_loss",
        "mse loss shape mismatch",
        lambda: fn.mse_loss(jnp.ones((4, 1)), jnp.ones(4)),
        ValueError,
        r"mse_loss: input and target must have the same shape, got \(4, 1\) and \(4,\)",
    ),
    row(
        "fn.cross_entropy",
        "other argument errors",
        lambda: fn.cross_entropy(jnp.ones((2, 3)), jnp.zeros(2, jnp.int32), label_smoothing=2),
        ValueError,
        r"cross_entropy: label_smoothing must be a probability in \[0, 1\], got 2",
    ),
    row(
        "fn.cross_entropy",
        "other argument errors (2)",
        lambda: fn.cross_entropy(jnp.ones((2, 3)), jnp.zeros(2, jnp.int32), weight=jnp.ones(2)),
        ValueError,
        r"cross_entropy: expected weight of shape \(3,\), got \(2,\)",
    ),
    row(
        "fn.nll_loss",
        "other argument errors",
        lambda: fn.nll_loss(jnp.ones((2, 3)), jnp.zeros(3, jnp.int32)),
        ValueError,
        r"nll_loss: expected target of shape \(2,\) for input of shape \(2, 3\), got \(3,\)",
    ),
    row(
        "fn.cross_entropy",
        "unknown reduction",
        lambda: fn.cross_entropy(jnp.ones((4, 3)), LABELS, reduction="avg"),
        ValueError,
        r"cross_entropy: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'",
    ),
    row(
        "fn.nll_loss",
        "unknown reduction",
        lambda: fn.nll_loss(jnp.ones((4, 3)), LABELS, reduction="avg"),
        ValueError,
        r"nll_loss: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'",
    ),
    row(
        "fn.mse_loss",
        "unknown reduction",
        lambda: fn.mse_loss(jnp.ones((4, 3)), jnp.zeros((4, 3)), reduction="avg"),
        ValueError,
        r"mse_loss: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'",
    ),
    row(
        "fn.l1_loss",
        "unknown reduction",
        lambda: fn.l1_loss(jnp.ones((4, 3)), jnp.zeros((4, 3)), reduction="avg"),
        ValueError,
        r"l1_loss: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'",
    ),
    row(
        "fn.binary_cross_entropy_with_logits",
        "unknown reduction",
        lambda: fn.binary_cross_entropy_with_logits(jnp.ones((4, 3)), jnp.zeros((4, 3)), reduction="avg"),
        ValueError,
        r"binary_cross_entropy_with_logits: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'",
    ),
    # ---- pure layers and initialisers
    row(
        "fn.Linear",
        "zero features",
        lambda: fn.Linear(0, 3),
        ValueError,
        r"Linear: in_features must be a positive int, got 0",
    ),
    row(
        "fn.Linear.apply",
        "wrong feature count",
        lambda: fn.Linear(3, 4).apply(linear_params(fn.Linear(3, 4)), jnp.ones((2, 5))),
        ValueError,
        r"Linear\(in_features=3, out_features=4, bias=True\): expected input with last dimension 3, got shape \(2, 5",
    ),
    row(
        "fn.Conv2d",
        "unknown padding mode",
        lambda: fn.Conv2d(1, 3, 3, padding="full"),
        ValueError,
        r"Conv2d: padding must be an int, a pair, 'valid' or 'same', got 'full'",
    ),
    row(
        "fn.BatchNorm2d",
        "negative eps",
        lambda: fn.BatchNorm2d(3, eps=-1.0),
        ValueError,
        r"BatchNorm2d: eps must be a finite number >= 0.0, got -1.0",
    ),
    row(
        "fn.LeakyReLU",
        "slope a string",
        lambda: fn.LeakyReLU("x"),
        TypeError,
        r"LeakyReLU: negative_slope must be a number",
    ),
    row(
        "fn.GELU",
        "unknown approximation",
        lambda: fn.GELU("fast"),
        ValueError,
        r"GELU: approximate must be 'none' or 'tanh'",
    ),
    row(
        "fn.Flatten", "dim a string", lambda: fn.Flatten("a"), TypeError, r"Flatten: start_dim must be an int, got 'a'"
    ),
    row(
        "fn.Sequential",
        "child not a layer",
        lambda: fn.Sequential(1),
        TypeError,
        r"Sequential: child '0' must be a functional Layer, got int",
    ),
    row(
        "fn.load_state_dict",
        "a dict for the layer",
        lambda: fn.load_state_dict({}, {}),
        TypeError,
        r"load_state_dict: layer must be a functional Layer .*got dict",
    ),
    row(
        "fn.init.kaiming_uniform",
        "unknown nonlinearity",
        lambda: fn.init.kaiming_uniform(jax.random.key(0), (3, 3), nonlinearity="relux"),
        ValueError,
        r"calculate_gain: unsupported nonlinearity 'relux'",
    ),
    row(
        "fn.init.uniform",
        "negative size",
        lambda: fn.init.uniform(jax.random.key(0), (-3, 3)),
        ValueError,
        r"init.uniform: sizes must be non-negative, got \(-3, 3\)",
    ),
    row(
        "fn.BatchNorm2d",
        "wrong input rank",
        lambda: fn.BatchNorm2d(3).apply({}, jnp.ones((2, 3))),
        ValueError,
        r"BatchNorm2d\(3, .*\): expected input of rank 4 with 3 channels in dim 1, got shape \(2, 3\)",
    ),
    row(
        "fn.Conv2d",
        "layer errors name the layer as its repr shows it",
        lambda: fn.Conv2d(1, 6, 5).apply(fn.Conv2d(1, 6, 5).init(jax.random.key(0)), jnp.ones((4, 3, 32, 32))),
        ValueError,
        r"^Conv2d\(1, 6, kernel_size=\(5, 5\), stride=\(1, 1\)\): expected input "
        r"of shape \(N, 1, H, W\) or \(1, H, W\), got \(4, 3, 32, 32\)$",
    ),
    row(
        "fn.Linear",
        "layer errors name the layer as its repr shows it",
        lambda: fn.Linear(400, 120).apply(
            jax.eval_shape(fn.Linear(400, 120).init, jax.random.key(0)), jnp.ones((4, 256))
        ),
        ValueError,
        r"^Linear\(in_features=400, out_features=120, bias=True\): expected input "
        r"with last dimension 400, got shape \(4, 256\)$",
    ),
    row(
        "fn.Conv2d",
        "padding mode errors",
        lambda: fn.Conv2d(3, 4, 3, padding="full"),
        ValueError,
        r"Conv2d: padding must be an int, a pair, 'valid' or 'same', got 'full'",
    ),
    row(
        "fn.Conv2d",
        "padding mode errors (2)",
        lambda: fn.Conv2d(3, 4, 3, stride=2, padding="same"),
        ValueError,
        r"Conv2d: padding='same' is not supported for strided convolutions, got stride=2",
    ),
    row(
        "fn.Dropout",
        "dropout errors",
        lambda: fn.Dropout().apply({}, jnp.ones(3)),
        ValueError,
        r"Dropout\(p=0.5, inplace=False\): training=True needs key=",
    ),
    row(
        "fn.Sequential",
        "other argument errors",
        lambda: fn.Sequential(("a", fn.ReLU()), ("a", fn.Tanh())),
        ValueError,
        r"Sequential: child names must be unique, got \['a', 'a'\]",
    ),
    row(
        "fn.Sequential",
        "other argument errors (2)",
        lambda: fn.Sequential(lambda x: x),
        TypeError,
        r"Sequential: child '0' must be a functional Layer, got function",
    ),
    row(
        "fn.Linear",
        "bad constructor argument",
        lambda: fn.Linear(0, 3),
        (ValueError, TypeError),
        r"Linear: in_features must be a positive int, got 0",
    ),
    row(
        "fn.Linear",
        "bad constructor argument (2)",
        lambda: fn.Linear(3, -2),
        (ValueError, TypeError),
        r"Linear: out_features must be a positive int, got -2",
    ),
    row(
        "fn.Conv2d",
        "bad constructor argument",
        lambda: fn.Conv2d(0, 3, 3),
        (ValueError, TypeError),
        r"Conv2d: in_channels must be a positive int, got 0",
    ),
    row(
        "fn.Conv2d",
        "bad constructor argument (2)",
        lambda: fn.Conv2d(3, 3, 0),
        (ValueError, TypeError),
        r"Conv2d: kernel_size must be >= 1, got 0",
    ),
    row(
        "fn.Conv2d",
        "bad constructor argument (3)",
        lambda: fn.Conv2d(3, 3, 3, stride=0),
        (ValueError, TypeError),
        r"Conv2d: stride must be >= 1, got 0",
    ),
    row(
        "fn.Conv2d",
        "bad constructor argument (4)",
        lambda: fn.Conv2d(3, 4, 3, groups=2),
        (ValueError, TypeError),
        r"Conv2d: in_channels \(3\) and out_channels \(4\) must be divisible by groups \(2\)",
    ),
    row(
        "fn.MaxPool2d",
        "bad constructor argument",
        lambda: fn.MaxPool2d(0),
        (ValueError, TypeError),
        r"MaxPool2d: kernel_size must be >= 1, got 0",
    ),
    row(
        "fn.MaxPool2d",
        "bad constructor argument (2)",
        lambda: fn.MaxPool2d(2, stride=-1),
        (ValueError, TypeError),
        r"MaxPool2d: stride must be >= 1, got -1",
    ),
    row(
        "fn.AvgPool2d",
        "bad constructor argument",
        lambda: fn.AvgPool2d((2, -1)),
        (ValueError, TypeError),
        r"AvgPool2d: kernel_size must be >= 1, got \(2, -1\)",
    ),
    row(
        "fn.AvgPool2d",
        "bad constructor argument (2)",
        lambda: fn.AvgPool2d(2, divisor_override=0),
        (ValueError, TypeError),
        r"AvgPool2d: divisor_override must be a positive int, got 0",
    ),
    row(
        "fn.AdaptiveAvgPool2d",
        "bad constructor argument",
        lambda: fn.AdaptiveAvgPool2d(0),
        (ValueError, TypeError),
        r"AdaptiveAvgPool2d: output_size must be a positive int .* got 0",
    ),
    row(
        "fn.BatchNorm2d",
        "bad constructor argument",
        lambda: fn.BatchNorm2d(0),
        (ValueError, TypeError),
        r"BatchNorm2d: num_features must be a positive int, got 0",
    ),
    row(
        "fn.BatchNorm1d",
        "bad constructor argument",
        lambda: fn.BatchNorm1d(-3),
        (ValueError, TypeError),
        r"BatchNorm1d: num_features must be a positive int, got -3",
    ),
    row(
        "fn.LayerNorm",
        "bad constructor argument",
        lambda: fn.LayerNorm(0),
        (ValueError, TypeError),
        r"LayerNorm: normalized_shape must be a positive int .* got 0",
    ),
    row(
        "fn.Embedding",
        "bad constructor argument",
        lambda: fn.Embedding(0, 3),
        (ValueError, TypeError),
        r"Embedding: num_embeddings must be a positive int, got 0",
    ),
    row(
        "fn.Embedding",
        "bad constructor argument (2)",
        lambda: fn.Embedding(5, 3, padding_idx=5),
        (ValueError, TypeError),
        r"Embedding: padding_idx must be an int within \[-5, 5\), got 5",
    ),
    row(
        "fn.Dropout",
        "bad constructor argument",
        lambda: fn.Dropout(1.5),
        (ValueError, TypeError),
        r"Dropout: p must be a probability in \[0, 1\], got 1.5",
    ),
    # ---- facade: modules, nn.functional, nn.init, Tensor
    row(
        "nn.Conv2d",
        "wrong channel count",
        lambda: nn.Conv2d(1, 2, 3)(fl.ones(1, 3, 8, 8)),
        ValueError,
        r"Conv2d\(1, 2, .*\): expected input of shape \(N, 1, H, W\) or \(1, H, W\), got \(1, 3, 8, 8\)",
    ),
    row(
        "nn.Conv2d",
        "uint8 images",
        lambda: nn.Conv2d(1, 2, 3)(np.ones((1, 1, 8, 8), np.uint8)),
        TypeError,
        r"conv2d: expected a floating-point input, got dtype uint8",
    ),
    row(
        "nn.Conv2d",
        "unknown padding_mode",
        lambda: nn.Conv2d(1, 2, 3, padding_mode="reflect"),
        ValueError,
        r"Conv2d: padding_mode='reflect' is not supported; only 'zeros' is",
    ),
    row(
        "nn.Conv2d",
        "nonexistent device",
        lambda: nn.Conv2d(1, 2, 3, device="cuda:3"),
        ValueError,
        r"device: 'cuda:3' is not available.*available devices: cpu",
    ),
    row(
        "nn.Linear",
        "negative size",
        lambda: nn.Linear(-1, 4),
        ValueError,
        r"Linear: in_features must be a positive int, got -1",
    ),
    row(
        "nn.BatchNorm2d",
        "wrong channel count",
        lambda: nn.BatchNorm2d(3)(fl.ones(2, 4, 5, 5)),
        ValueError,
        r"BatchNorm2d\(3, .*\): expected input of rank 4 with 3 channels in dim 1, got shape \(2, 4, 5, 5\)",
    ),
    row("nn.MaxPool2d", "kernel 0", lambda: nn.MaxPool2d(0), ValueError, r"MaxPool2d: kernel_size must be >= 1, got 0"),
    row(
        "nn.Dropout",
        "p a string",
        lambda: nn.Dropout("0.5"),
        ValueError,
        r"Dropout: p must be a probability in \[0, 1\]",
    ),
    row("nn.Sequential", "child not a module", lambda: nn.Sequential(3), TypeError, r"add_module: int is not a Module"),
    row(
        "nn.CrossEntropyLoss",
        "unknown reduction",
        lambda: nn.CrossEntropyLoss(reduction="avg"),
        ValueError,
        r"CrossEntropyLoss: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'",
    ),
    row(
        "nn.CrossEntropyLoss",
        "batch sizes differ",
        lambda: nn.CrossEntropyLoss()(fl.ones(4, 3), fl.zeros(5, dtype=fl.int64)),
        ValueError,
        r"cross_entropy: expected target of shape \(4,\) for input of shape \(4, 3\), got \(5,\)",
    ),
    row(
        "nn.MSELoss",
        "reduction None",
        lambda: nn.MSELoss(reduction=None),
        ValueError,
        r"MSELoss: reduction must be one of .*got None",
    ),
    row(
        "nn.L1Loss",
        "(N, 1) against (N,)",
        lambda: nn.L1Loss()(fl.ones(4, 1), fl.ones(4)),
        ValueError,
        r"l1_loss: input and target must have the same shape, got \(4, 1\) and \(4,\)",
    ),
    row(
        "nn.init.kaiming_uniform_",
        "a jax array",
        lambda: nn.init.kaiming_uniform_(jnp.ones((3, 3))),
        TypeError,
        r"kaiming_uniform_: expected a Tensor \(e.g. a Parameter\), got ArrayImpl",
    ),
    row(
        "F.cross_entropy",
        "legacy size_average",
        lambda: F.cross_entropy(fl.ones(4, 3), fl.zeros(4, dtype=fl.int64), size_average=True),
        ValueError,
        r"cross_entropy: size_average is deprecated and not supported",
    ),
    row(
        "Tensor.view",
        "size that does not fit",
        lambda: fl.ones(2, 3).view(-1, 4),
        ValueError,
        r"view: shape \[-1, 4\] is invalid for input of size 6",
    ),
    row(
        "Tensor.__getitem__",
        "index past the end",
        lambda: fl.ones(2, 3)[5],
        IndexError,
        r"indexing: index 5 is out of bounds for dimension 0 with size 2",
    ),
    row(
        "Tensor.__getitem__",
        "index past the end after ...",
        lambda: fl.ones(2, 3)[..., 3],
        IndexError,
        r"indexing: index 3 is out of bounds for dimension 1 with size 3",
    ),
    row(
        "Tensor.__matmul__",
        "inner sizes differ",
        lambda: fl.ones(2, 3) @ fl.ones(2, 3),
        RuntimeError,
        r"matmul: shapes \(2, 3\) and \(2, 3\) cannot be multiplied",
    ),
    row(
        "Tensor.backward",
        "non-scalar output",
        lambda: (fl.ones(2, requires_grad=True) * 2).backward(),
        RuntimeError,
        r"backward: grad can be implicitly created only for scalar outputs",
    ),
    row(
        "fl.randn",
        "negative size",
        lambda: fl.randn(2, -3),
        ValueError,
        r"randn: sizes must be non-negative, got \[2, -3\]",
    ),
    row("fl.ones", "size a string", lambda: fl.ones("a"), TypeError, r"ones: expected a shape of ints, got \('a',\)"),
    row("fl.ones", "unknown dtype", lambda: fl.ones(2, dtype="floot"), TypeError, r"ones: unknown dtype name 'floot'"),
    # ---- pure optimizers, clipping, schedules
    row(
        "optim.sgd",
        "lr nan",
        lambda: optim.sgd(NAN),
        ValueError,
        r"sgd: lr must be finite \(a non-negative number or a schedule\), got nan",
    ),
    row(
        "optim.sgd",
        "lr inf",
        lambda: optim.sgd(INF),
        ValueError,
        r"sgd: lr must be finite \(a non-negative number or a schedule\), got inf",
    ),
    row("optim.sgd", "lr a string", lambda: optim.sgd("0.1"), TypeError, r"sgd: lr must be .*got '0.1'"),
    row(
        "optim.sgd",
        "dampening nan",
        lambda: optim.sgd(0.1, dampening=NAN),
        ValueError,
        r"sgd: dampening must be finite \(a non-negative number\), got nan",
    ),
    row(
        "optim.sgd",
        "nesterov a string",
        lambda: optim.sgd(0.1, nesterov="yes"),
        TypeError,
        r"sgd: nesterov must be a bool",
    ),
    row(
        "optim.sgd", "unknown option", lambda: optim.sgd(0.1, mom=0.9), TypeError, r"unexpected keyword argument 'mom'"
    ),
    row(
        "optim.adam",
        "eps inf",
        lambda: optim.adam(eps=INF),
        ValueError,
        r"adam: eps must be finite \(a non-negative number\), got inf",
    ),
    row(
        "optim.adam",
        "beta of 1",
        lambda: optim.adam(betas=(0.9, 1.0)),
        ValueError,
        r"adam: betas\[1\] must be in \[0, 1\)",
    ),
    row(
        "optim.adagrad",
        "lr_decay inf",
        lambda: optim.adagrad(lr_decay=INF),
        ValueError,
        r"adagrad: lr_decay must be finite \(a non-negative number\), got inf",
    ),
    row(
        "optim.sgd.update",
        "grads of another shape",
        lambda: optim.sgd(0.1).update({"w": jnp.ones(3)}, optim.sgd(0.1).init({"w": jnp.ones(2)}), {"w": jnp.ones(2)}),
        ValueError,
        r"sgd.update: grads\['w'\] has shape \(3,\), expected the parameter's \(2,\)",
    ),
    row(
        "optim.clip_by_global_norm",
        "max_norm nan",
        lambda: optim.clip_by_global_norm({"a": jnp.ones(2)}, NAN),
        ValueError,
        r"clip_by_global_norm: max_norm must be a non-negative number, got nan",
    ),
    row(
        "optim.step_lr",
        "lr inf",
        lambda: optim.step_lr(INF, 3),
        ValueError,
        r"step_lr: lr must be finite \(a number >= 0.0\), got inf",
    ),
    row(
        "optim.cosine_annealing_lr",
        "T_max 0",
        lambda: optim.cosine_annealing_lr(0.1, 0),
        ValueError,
        r"cosine_annealing_lr: T_max must be a positive integer, got 0",
    ),
    row(
        "optim.exponential_lr",
        "gamma nan",
        lambda: optim.exponential_lr(0.1, NAN),
        ValueError,
        r"exponential_lr: gamma must be finite \(a number >= 0.0\), got nan",
    ),
    # ---- optimizer classes and lr schedulers
    row(
        "optim.SGD",
        "lr nan",
        lambda: sgd_class(lr=NAN),
        ValueError,
        r"SGD: Invalid learning rate: lr must be finite \(a non-negative number\), got nan",
    ),
    row(
        "optim.SGD",
        "lr inf",
        lambda: sgd_class(lr=INF),
        ValueError,
        r"SGD: Invalid learning rate: lr must be finite \(a non-negative number\), got inf",
    ),
    row(
        "optim.SGD",
        "lr a string",
        lambda: sgd_class(lr="0.1"),
        TypeError,
        r"SGD: lr must be a non-negative number, got '0.1'",
    ),
    row(
        "optim.SGD",
        "momentum nan",
        lambda: sgd_class(momentum=NAN),
        ValueError,
        r"SGD: Invalid momentum value: must be finite \(a non-negative number\), got nan",
    ),
    row(
        "optim.SGD",
        "nesterov a string",
        lambda: sgd_class(nesterov="yes", momentum=0.9),
        TypeError,
        r"SGD: nesterov must be a bool, got 'yes'",
    ),
    row(
        "optim.SGD",
        "unknown option",
        lambda: sgd_class(mommentum=0.9),
        TypeError,
        r"unexpected keyword argument 'mommentum'",
    ),
    row(
        "optim.SGD",
        "a module instead of its parameters",
        lambda: optim.SGD(nn.Linear(2, 2), lr=0.1),
        TypeError,
        r"SGD: params must be an iterable of Tensors or dicts \(such as model.parameters\(\)\), got Linear",
    ),
    row(
        "optim.SGD",
        "no parameters",
        lambda: optim.SGD([], lr=0.1),
        ValueError,
        r"SGD: optimizer got an empty parameter list",
    ),
    row(
        "optim.SGD",
        "numpy arrays as params",
        lambda: optim.SGD([np.ones(3)], lr=0.1),
        TypeError,
        r"SGD: optimizer can only optimize Tensors, but params\[0\] is a ndarray",
    ),
    row(
        "optim.Adam",
        "eps inf",
        lambda: optim.Adam(params(), eps=INF),
        ValueError,
        r"Adam: Invalid eps value: must be finite \(a non-negative number\), got inf",
    ),
    row(
        "optim.AdamW",
        "weight_decay nan",
        lambda: optim.AdamW(params(), weight_decay=NAN),
        ValueError,
        r"AdamW: Invalid weight_decay value",
    ),
    row(
        "optim.RMSprop",
        "centered a string",
        lambda: optim.RMSprop(params(), centered="yes"),
        TypeError,
        r"RMSprop: centered must be a bool",
    ),
    row(
        "lr_scheduler.StepLR",
        "step_size 0",
        lambda: lr_scheduler.StepLR(sgd_class(), step_size=0),
        ValueError,
        r"step_lr: step_size must be a positive integer, got 0",
    ),
    row(
        "lr_scheduler.StepLR",
        "a pure optimizer",
        lambda: lr_scheduler.StepLR(optim.sgd(0.1), step_size=2),
        TypeError,
        r"StepLR: expected a functorch_lite optimizer, got PureOptimizer",
    ),
    row(
        "lr_scheduler.LambdaLR",
        "lambda returning nan",
        lambda: lr_scheduler.LambdaLR(sgd_class(), lambda e: NAN),
        ValueError,
        r"LambdaLR: the learning rate for param_groups\[0\] at epoch 0 must be a finite non-negative",
    ),
    # ---- data
    row(
        "TensorDataset",
        "batch sizes differ",
        lambda: TensorDataset(np.ones((4, 2)), np.ones(5)),
        ValueError,
        r"TensorDataset: size mismatch between arrays: first dimensions are \[4, 5\]",
    ),
    row(
        "TensorDataset",
        "ragged list",
        lambda: TensorDataset([[1, 2], [3]]),
        TypeError,
        r"TensorDataset: array 0 must be a numeric array",
    ),
    row(
        "DataLoader",
        "batch_size 0",
        lambda: DataLoader(TensorDataset(np.ones((4, 2))), batch_size=0),
        ValueError,
        r"DataLoader: batch_size should be a positive integer value, but got batch_size=0",
    ),
    row(
        "DataLoader",
        "empty dataset",
        lambda: DataLoader(TensorDataset(np.ones((0, 2))), batch_size=2),
        ValueError,
        r"DataLoader: this loader would yield no batches \(len\(dataset\)=0",
    ),
    row(
        "DataLoader",
        "None as dataset",
        lambda: DataLoader(None, batch_size=2),
        TypeError,
        r"DataLoader: dataset must be a map-style dataset .*got NoneType",
    ),
    row(
        "DataLoader",
        "shuffle a string",
        lambda: DataLoader(TensorDataset(np.ones((4, 2))), shuffle="yes"),
        TypeError,
        r"DataLoader: shuffle should be a boolean value",
    ),
    row(
        "random_split",
        "lengths not summing up",
        lambda: random_split(TensorDataset(np.ones((4, 2))), [3, 3]),
        ValueError,
        r"random_split: sum of input lengths \[3, 3\] = 6 does not equal the length of the input dataset \(4\)",
    ),
    # ---- datasets
    row(
        "datasets.mnist",
        "nonexistent directory",
        lambda: datasets.mnist("no/such/dir"),
        FileNotFoundError,
        r"mnist: no images or labels IDX file found; looked at: no/such/dir",
    ),
    row(
        "datasets.fashion_mnist",
        "image_size below 28",
        lambda: datasets.fashion_mnist("no/such/dir", image_size=20),
        ValueError,
        r"fashion_mnist: image_size must be an int >= 28",
    ),
    row(
        "datasets.digits",
        "image_size 0",
        lambda: datasets.digits(image_size=0),
        ValueError,
        r"digits: image_size must be a positive int, got 0",
    ),
    row(
        "datasets.read_idx",
        "nonexistent file",
        lambda: datasets.read_idx("no/such/file"),
        FileNotFoundError,
        r"read_idx: no such file 'no/such/file'",
    ),
    # ---- devices
    row(
        "fl.device",
        "unknown name",
        lambda: fl.device("foo"),
        RuntimeError,
        r"device: expected a device string like 'cpu', 'cuda', 'cuda:0' or 'gpu', got 'foo'",
    ),
    row("fl.device", "nonexistent index", lambda: fl.device("cpu:5"), ValueError, r"device: 'cpu:5' is not available"),
    row(
        "fl.device",
        "an int",
        lambda: fl.device(0),
        TypeError,
        r"device: expected a str, functorch_lite.device or jax.Device",
    ),
    row(
        "Tensor.to",
        "nonexistent device",
        lambda: fl.ones(2).to("cuda:1"),
        RuntimeError,
        r"device: 'cuda:1' is not available",
    ),
    row(
        "Module.to",
        "an int",
        lambda: nn.Linear(2, 2).to(5),
        TypeError,
        r"Module.to: expected a device, dtype or Tensor",
    ),
    # ---- save / load
    row(
        "fl.load",
        "nonexistent path",
        lambda: fl.load("no/such/file.safetensors"),
        FileNotFoundError,
        r"load: no such file 'no/such/file.safetensors'",
    ),
    row(
        "fl.load",
        "a directory",
        lambda: fl.load(str(ROOT)),
        IsADirectoryError,
        r"load: .* is a directory, not a checkpoint",
    ),
    row(
        "fl.load",
        "unknown map_location",
        lambda: fl.load("x", map_location="xpu"),
        ValueError,
        r"device: expected a device string .*got 'xpu'",
    ),
    row(
        "fl.save",
        "nonexistent directory",
        lambda: fl.save({"a": jnp.ones(2)}, "no/such/dir/x.safetensors"),
        FileNotFoundError,
        r"save: directory '.*no/such/dir' for 'no/such/dir/x.safetensors' does not exist",
    ),
    row(
        "fl.save",
        "unsupported object",
        lambda: fl.save({"a": object()}, "unused.safetensors"),
        TypeError,
        r"save: cannot serialise object at 'a' of type object",
    ),
    row(
        "fl.save", "path an int", lambda: fl.save({}, 3), TypeError, r"save: path must be a str or os.PathLike, got int"
    ),
    row(
        "Module.load_state_dict",
        "weight of another shape",
        lambda: nn.Linear(2, 3).load_state_dict({"weight": jnp.ones((3, 3)), "bias": jnp.ones(3)}),
        RuntimeError,
        r"size mismatch for weight: copying a param with shape torch.Size\(\[3, 3\]\)",
    ),
    # ---- compile / func
    row(
        "fl.compile",
        "not callable",
        lambda: fl.compile(3),
        TypeError,
        r"functorch_lite.compile: expected a function or an nn.Module, got int",
    ),
    row(
        "fl.compile",
        "donate a string",
        lambda: fl.compile(lambda x: x, donate="no"),
        TypeError,
        r"compile: donate must be a bool, got 'no'",
    ),
    row(
        "func.functional_call",
        "a list of non-dicts",
        lambda: func.functional_call(nn.Linear(3, 2), [1], (fl.ones(1, 3),)),
        TypeError,
        r"functional_call: expected a dict or a tuple of dicts",
    ),
    # ---- example CLIs (argparse errors: exit status 2, message on stderr)
    row(
        "train_jit.py",
        "--lr nan",
        lambda: train_jit.parse_args(["--lr", "nan"]),
        SystemExit,
        r"--lr must be a positive finite number, got nan",
    ),
    row(
        "train_jit.py",
        "--epochs 0",
        lambda: train_jit.parse_args(["--epochs", "0"]),
        SystemExit,
        r"--epochs must be positive, got 0",
    ),
    row(
        "train_jit.py",
        "--momentum inf",
        lambda: train_jit.parse_args(["--momentum", "inf"]),
        SystemExit,
        r"--momentum must be a non-negative finite number, got inf",
    ),
    row(
        "train_jit.py",
        "--shift -1",
        lambda: train_jit.parse_args(["--shift", "-1"]),
        SystemExit,
        r"--shift must be >= 0",
    ),
    row(
        "train_jit.py",
        "--device cuda:7",
        lambda: train_jit.parse_args(["--device", "cuda:7"]),
        SystemExit,
        r"--device cuda:7: device: 'cuda:7' is not available",
    ),
    row(
        "train_jit.py",
        "--resume of a missing file",
        lambda: train_jit.parse_args(["--resume", "no/such.safetensors"]),
        SystemExit,
        r"--resume no/such.safetensors: no such checkpoint file",
    ),
    row(
        "train_jit.py",
        "--optimizer lbfgs",
        lambda: train_jit.parse_args(["--optimizer", "lbfgs"]),
        SystemExit,
        r"argument --optimizer: invalid choice: 'lbfgs'",
    ),
    row(
        "lenet_imperative.py",
        "--epochs -1",
        lambda: _lenet_until_data(["--epochs", "-1"]),
        SystemExit,
        r"--epochs must be positive, got -1",
    ),
    row(
        "lenet_imperative.py",
        "--batch-size 0",
        lambda: _lenet_until_data(["--batch-size", "0"]),
        SystemExit,
        r"--batch-size must be positive, got 0",
    ),
]


class _ReachedDataLoading(Exception):
    """Raised in place of loading data: the arguments were accepted."""


def _lenet_until_data(argv):
    with mock.patch.object(lenet_imperative, "load", side_effect=_ReachedDataLoading(argv)):
        lenet_imperative.main(argv)


@pytest.mark.parametrize(("call", "error", "pattern"), MISTAKES)
def test_mistake_gets_a_clear_error(call, error, pattern, capsys):
    if error is SystemExit:
        with pytest.raises(SystemExit) as info:
            call()
        assert info.value.code == 2
        assert re.search(pattern, capsys.readouterr().err)
        return
    with pytest.raises(error, match=pattern):
        call()


def test_an_ignored_label_may_lie_outside_the_classes():
    loss = fn.nll_loss(LOGITS, jnp.array([0, -1, 1, 2]), ignore_index=-1)
    assert np.isfinite(float(loss))


def _same(ours, theirs):
    ours = np.asarray(getattr(ours, "array", ours))
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)  # equal_nan: NaN where torch has NaN


NAN_IMAGE = np.ones((1, 1, 5, 5), np.float32)
NAN_IMAGE[0, 0, 2, 2] = np.nan
NAN_LOGITS = np.array([[0.0, np.nan, 1.0], [1.0, 2.0, 3.0]], np.float32)
EMPTY_LOGITS, EMPTY_LABELS = np.ones((0, 3), np.float32), np.zeros(0, np.int64)
T = torch.nn.functional

ACCEPTED = [  # (id, ours, torch's): PyTorch computes these without error, and so do we
    (
        "conv2d propagates NaN to the windows it touches",
        lambda: fn.conv2d(NAN_IMAGE, np.ones((1, 1, 3, 3), np.float32)),
        lambda: T.conv2d(torch.tensor(NAN_IMAGE), torch.ones(1, 1, 3, 3)),
    ),
    (
        "max_pool2d propagates NaN",
        lambda: fn.max_pool2d(NAN_IMAGE, 2),
        lambda: T.max_pool2d(torch.tensor(NAN_IMAGE), 2),
    ),
    (
        "cross_entropy of NaN logits is NaN",
        lambda: fn.cross_entropy(NAN_LOGITS, np.array([0, 1])),
        lambda: T.cross_entropy(torch.tensor(NAN_LOGITS), torch.tensor([0, 1])),
    ),
    (
        "cross_entropy of an empty batch is NaN (mean of nothing)",
        lambda: fn.cross_entropy(EMPTY_LOGITS, EMPTY_LABELS),
        lambda: T.cross_entropy(torch.tensor(EMPTY_LOGITS), torch.tensor(EMPTY_LABELS)),
    ),
    (
        "cross_entropy sum over an empty batch is 0",
        lambda: fn.cross_entropy(EMPTY_LOGITS, EMPTY_LABELS, reduction="sum"),
        lambda: T.cross_entropy(torch.tensor(EMPTY_LOGITS), torch.tensor(EMPTY_LABELS), reduction="sum"),
    ),
    (
        "linear of an empty batch",
        lambda: fn.linear(EMPTY_LOGITS, np.ones((4, 3), np.float32)),
        lambda: T.linear(torch.tensor(EMPTY_LOGITS), torch.ones(4, 3)),
    ),
    ("log of a negative is NaN", lambda: fl.log(fl.tensor([-1.0, 1.0])), lambda: torch.log(torch.tensor([-1.0, 1.0]))),
    (
        "lr=0 is allowed",
        lambda: fl.tensor(optim.SGD(params(), lr=0.0).param_groups[0]["lr"]),
        lambda: torch.tensor(torch.optim.SGD([torch.ones(3, requires_grad=True)], lr=0.0).param_groups[0]["lr"]),
    ),
]


@pytest.mark.parametrize(("ours", "theirs"), [pytest.param(o, t, id=i) for i, o, t in ACCEPTED])
def test_accepted_like_pytorch(ours, theirs):
    with np.errstate(invalid="ignore"):
        _same(ours(), theirs())


def test_dataloader_passes_nan_data_through():
    data = np.full((4, 2), np.nan, np.float32)
    batches = list(DataLoader(TensorDataset(data), batch_size=2))
    assert len(batches) == 2 and all(math.isnan(float(b[0][0, 0])) for b in batches)
