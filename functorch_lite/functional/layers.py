"""Pure layers: `Layer(init, apply)` pairs over plain parameter dicts (`Sequential` composes them).

A layer is configuration closed over by two pure functions:

- `init(key) -> params`: a nested dict of arrays whose dot-flattened keys are the
  names PyTorch's `state_dict` uses (`weight`, `bias`, `0.weight`, `conv1.bias`, ...);
- `apply(params, x, *, state=None, key=None, training=True) -> y`, or `(y, new_state)`
  for a stateful layer (`layer.stateful`), whose buffers (BatchNorm's running
  statistics) come from `init_state()` and travel explicitly in and out.

Every layer accepts the same keyword arguments, so `Sequential` threads them without
knowing which child uses which. `key` is only needed by Dropout while training.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from .. import _checks
from . import init as initializers
from .activation_table import relu6
from .activations import gelu, gelu_approximation, leaky_relu, relu, sigmoid, tanh
from .conv import conv2d, conv_options
from .dense import dropout, embedding, flatten, linear, padding_index
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d, pool_options

Params = dict[str, Any]


def _no_params(key: jax.Array | None = None) -> Params:
    return {}


def _no_state() -> Params:
    return {}


class Layer(NamedTuple):
    """A pure layer: `init(key) -> params` and `apply(params, x, *, state, key, training)`."""

    init: Callable[[jax.Array], Params]
    apply: Callable[..., Any]
    init_state: Callable[[], Params] = _no_state
    stateful: bool = False
    name: str = "Layer()"

    def __repr__(self) -> str:
        return self.name


def _jit_init(init: Callable[[jax.Array], Params]) -> Callable[[jax.Array], Params]:
    """`init` as one jitted program, keeping the parameter order of the dict it builds.

    Eager random draws compile each primitive per shape; jit hands dicts back with sorted keys.
    """
    order: list[str] = []

    def traced(key: jax.Array) -> Params:
        params = init(key)
        order[:] = list(params)  # runs while tracing, on the dict `init` really built
        return params

    jitted = jax.jit(traced)

    def wrapper(key: jax.Array) -> Params:
        params = jitted(key)
        return {name: params[name] for name in order}

    return wrapper


def _stateless(
    fn: Callable[[Params, jax.Array], jax.Array], name: str, init: Callable[[jax.Array], Params] = _no_params
) -> Layer:
    def apply(params, x, *, state=None, key=None, training=True):
        return fn(params, x)

    return Layer(init, _named(apply, name), name=name)


def _named(apply: Callable, name: str) -> Callable:
    """Names `apply` after its layer, so the facade's tape and anomaly errors say `Linear`."""
    apply.__name__ = apply.__qualname__ = name.partition("(")[0]
    return apply


def Linear(in_features: int, out_features: int, bias: bool = True, dtype=jnp.float32) -> Layer:
    """y = x @ weight.T + bias; weight (out_features, in_features), PyTorch's default init."""
    in_features = _checks.positive_int(in_features, "in_features", "Linear")
    out_features = _checks.positive_int(out_features, "out_features", "Linear")
    name = f"Linear(in_features={in_features}, out_features={out_features}, bias={bias})"

    @_jit_init
    def init(key):
        wkey, bkey = jax.random.split(key)
        params = {"weight": initializers.default_weight(wkey, (out_features, in_features), dtype)}
        if bias:
            params["bias"] = initializers.default_bias(bkey, (out_features,), in_features, dtype)
        return params

    def fn(params, x):
        x = _checks.as_array(x, "input", name)
        if x.ndim == 0 or x.shape[-1] != in_features:
            raise ValueError(f"{name}: expected input with last dimension {in_features}, got shape {tuple(x.shape)}")
        return linear(x, params["weight"], params.get("bias"))

    return _stateless(fn, name, init)


def Conv2d(
    in_channels: int,
    out_channels: int,
    kernel_size: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    bias: bool = True,
    dtype=jnp.float32,
) -> Layer:
    """2-D convolution over NCHW input; weight (out, in / groups, kH, kW); PyTorch's init."""
    op = "Conv2d"
    in_channels = _checks.positive_int(in_channels, "in_channels", op)
    out_channels = _checks.positive_int(out_channels, "out_channels", op)
    kernel = _checks.pair(kernel_size, "kernel_size", op, minimum=1)
    # The op's own normaliser, worded as PyTorch's constructor words it.
    opts = conv_options(
        kernel, stride, padding, dilation, groups, op, accepted="an int, a pair, 'valid' or 'same'", shown_stride=stride
    )
    groups = opts.groups
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{op}: in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible "
            f"by groups ({groups})"
        )
    pad_repr = padding if isinstance(padding, str) else str((opts.padding[0][0], opts.padding[1][0]))
    extras = "" if pad_repr == "(0, 0)" else f", padding={pad_repr}"  # PyTorch prints padding=same unquoted
    extras += "" if opts.dilation == (1, 1) else f", dilation={opts.dilation}"
    extras += "" if groups == 1 else f", groups={groups}"
    extras += "" if bias else ", bias=False"
    name = f"Conv2d({in_channels}, {out_channels}, kernel_size={kernel}, stride={opts.stride}{extras})"
    wshape = (out_channels, in_channels // groups, *kernel)

    @_jit_init
    def init(key):
        wkey, bkey = jax.random.split(key)
        params = {"weight": initializers.default_weight(wkey, wshape, dtype)}
        if bias:
            fan_in = initializers.fans(wshape)[0]
            params["bias"] = initializers.default_bias(bkey, (out_channels,), fan_in, dtype)
        return params

    def fn(params, x):
        x = _checks.as_array(x, "input", name)
        if x.ndim not in (3, 4) or x.shape[-3] != in_channels:
            raise ValueError(
                f"{name}: expected input of shape (N, {in_channels}, H, W) or ({in_channels}, H, W), "
                f"got {tuple(x.shape)}"
            )
        return conv2d(x, params["weight"], params.get("bias"), opts.stride, padding, opts.dilation, groups)

    return _stateless(fn, name, init)


def MaxPool2d(
    kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False
) -> Layer:
    """Max pooling; stride defaults to kernel_size."""
    pool_options(kernel_size, stride, padding, dilation, "MaxPool2d")  # fail where the layer is built
    name = (
        f"MaxPool2d(kernel_size={kernel_size}, stride={kernel_size if stride is None else stride}, "
        f"padding={padding}, dilation={dilation}, ceil_mode={ceil_mode})"
    )
    return _stateless(lambda p, x: max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode), name)


def AvgPool2d(
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Layer:
    """Average pooling; stride defaults to kernel_size."""
    pool_options(kernel_size, stride, padding, 1, "AvgPool2d")  # fail where the layer is built
    if divisor_override is not None:
        _checks.positive_int(divisor_override, "divisor_override", "AvgPool2d")
    name = (
        f"AvgPool2d(kernel_size={kernel_size}, stride={kernel_size if stride is None else stride}, padding={padding})"
    )
    return _stateless(
        lambda p, x: avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override), name
    )


def AdaptiveAvgPool2d(output_size: Any) -> Layer:
    """Average pooling to a fixed output size."""
    sizes = output_size if isinstance(output_size, (list, tuple)) else (output_size, output_size)
    if len(sizes) != 2 or not all(
        s is None or (isinstance(s, int) and not isinstance(s, bool) and s > 0) for s in sizes
    ):
        raise ValueError(
            f"AdaptiveAvgPool2d: output_size must be a positive int or a pair of positive ints "
            f"(or None), got {output_size!r}"
        )
    return _stateless(lambda p, x: adaptive_avg_pool2d(x, output_size), f"AdaptiveAvgPool2d(output_size={output_size})")


def ReLU() -> Layer:
    """max(x, 0)."""
    return _stateless(lambda p, x: relu(x), "ReLU()")


def ReLU6() -> Layer:
    """min(max(x, 0), 6)."""
    return _stateless(lambda p, x: relu6(x), "ReLU6()")


def LeakyReLU(negative_slope: float = 0.01) -> Layer:
    """x if x > 0 else negative_slope * x."""
    _checks.number(negative_slope, "negative_slope", "LeakyReLU")
    return _stateless(lambda p, x: leaky_relu(x, negative_slope), f"LeakyReLU(negative_slope={negative_slope})")


def GELU(approximate: str = "none") -> Layer:
    """Gaussian error linear unit; `approximate='tanh'` for the tanh formula."""
    approximate = gelu_approximation(approximate, "GELU")
    return _stateless(lambda p, x: gelu(x, approximate), f"GELU(approximate='{approximate}')")


def Sigmoid() -> Layer:
    """1 / (1 + exp(-x))."""
    return _stateless(lambda p, x: sigmoid(x), "Sigmoid()")


def Tanh() -> Layer:
    """Hyperbolic tangent."""
    return _stateless(lambda p, x: tanh(x), "Tanh()")


def Identity() -> Layer:
    """Returns its input."""
    return _stateless(lambda p, x: x, "Identity()")


def Flatten(start_dim: int = 1, end_dim: int = -1) -> Layer:
    """Flattens dims start_dim..end_dim (PyTorch's nn.Flatten defaults keep the batch dim)."""
    start_dim, end_dim = (
        _checks.integer(start_dim, "start_dim", "Flatten"),
        _checks.integer(end_dim, "end_dim", "Flatten"),
    )
    return _stateless(lambda p, x: flatten(x, start_dim, end_dim), f"Flatten(start_dim={start_dim}, end_dim={end_dim})")


def Dropout(p: float = 0.5) -> Layer:
    """Zeroes elements with probability `p` while training (needs `key=`); identity otherwise."""
    p = _checks.probability(p, "p", "Dropout")
    name = f"Dropout(p={p}, inplace=False)"

    def apply(params, x, *, state=None, key=None, training=True):
        if training and p > 0 and key is None:
            raise ValueError(f"{name}: training=True needs key= (a PRNG key); pass training=False to evaluate")
        return dropout(x, p, training, key=key)

    return Layer(_no_params, _named(apply, name), name=name)


def Embedding(num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, dtype=jnp.float32) -> Layer:
    """A lookup table initialised N(0, 1) (the padding row zero), as in PyTorch."""
    n = _checks.positive_int(num_embeddings, "num_embeddings", "Embedding")
    d = _checks.positive_int(embedding_dim, "embedding_dim", "Embedding")
    padding_idx = padding_index(padding_idx, n, "Embedding")  # a negative index prints as its positive twin
    name = f"Embedding({n}, {d}" + ("" if padding_idx is None else f", padding_idx={padding_idx}") + ")"

    @_jit_init
    def init(key):
        w = initializers.normal(key, (n, d), dtype=dtype)
        if padding_idx is not None:
            w = w.at[padding_idx].set(0.0)
        return {"weight": w}

    return _stateless(lambda p, x: embedding(x, p["weight"], padding_idx), name, init)
