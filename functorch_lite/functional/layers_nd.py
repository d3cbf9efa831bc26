"""Pure layers over the N-d, padding, activation and extra ops: the conv family, pools, norms, pads.

Same `Layer(init, apply)` contract as `layers.py`; each factory normalises its configuration
once and closes over one core op (`conv_pool_nd`, `pool_extra`, `activation_table`,
`loss_extra`), so the facade Modules in `nn/modules/` only register Parameters. Layers with
two inputs (Bilinear, MaxUnpool) take them positionally after `params`.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .. import _checks
from . import init as initializers
from .activation_table import ACTIVATIONS
from .activations import log_softmax, softmax
from .conv import conv2d
from .conv_pool_nd import OPS as ND_OPS
from .conv_pool_nd import _tuple
from .layers import Layer, _jit_init, _named, _stateless
from .loss_extra import OPS as EXTRA_OPS
from .normalization import batch_norm
from .normalization_layers import _batch_norm_layer
from .pool_extra import OPS as POOL_OPS
from .pooling import max_pool2d

OPS = {**ACTIVATIONS, **ND_OPS, **POOL_OPS, **EXTRA_OPS, "softmax": softmax, "log_softmax": log_softmax}


def _args_repr(kwargs: tuple) -> str:
    return ", ".join(f"{k}={v}" for k, v in kwargs)


def Elementwise(op: str, title: str, kwargs: tuple = ()) -> Layer:
    """The core op `op` applied to the input with fixed keyword options (`kwargs`: (name, value) pairs)."""
    function, options = OPS[op], dict(kwargs)
    return _stateless(lambda p, x: function(x, **options), f"{title}({_args_repr(kwargs)})")


def RReLU(lower: float = 1.0 / 8, upper: float = 1.0 / 3) -> Layer:
    """Randomised leaky ReLU: a slope ~ U(lower, upper) per element while training (needs `key=`)."""
    name = f"RReLU(lower={lower}, upper={upper})"

    def apply(params, x, *, state=None, key=None, training=True):
        return EXTRA_OPS["rrelu"](x, lower, upper, training, key=key)

    return Layer(lambda key=None: {}, _named(apply, name), name=name)


def PReLU(num_parameters: int = 1, init: float = 0.25, dtype=jnp.float32) -> Layer:
    n = _checks.positive_int(num_parameters, "num_parameters", "PReLU")
    return _stateless(
        lambda p, x: ACTIVATIONS["prelu"](x, p["weight"].reshape(()) if n == 1 else p["weight"]),
        f"PReLU(num_parameters={n})",
        lambda key=None: {"weight": jnp.full((n,), init, dtype)},
    )


def Bilinear(in1_features: int, in2_features: int, out_features: int, bias: bool = True, dtype=jnp.float32) -> Layer:
    """y = x1^T A x2 + b; weight (out, in1, in2) and bias ~ U(+-1/sqrt(in1)), as in PyTorch."""
    sizes = [
        _checks.positive_int(v, n, "Bilinear")
        for v, n in ((in1_features, "in1_features"), (in2_features, "in2_features"), (out_features, "out_features"))
    ]
    name = f"Bilinear(in1_features={sizes[0]}, in2_features={sizes[1]}, out_features={sizes[2]}, bias={bias})"
    bound = 1.0 / math.sqrt(sizes[0])

    @_jit_init
    def init(key):
        wkey, bkey = jax.random.split(key)
        params = {"weight": initializers.uniform(wkey, (sizes[2], sizes[0], sizes[1]), -bound, bound, dtype)}
        if bias:
            params["bias"] = initializers.uniform(bkey, (sizes[2],), -bound, bound, dtype)
        return params

    def apply(params, x1, x2, *, state=None, key=None, training=True):
        return ACTIVATIONS["bilinear"](x1, x2, params["weight"], params.get("bias"))

    return Layer(init, _named(apply, name), name=name)


def _conv_config(op, n, in_channels, out_channels, kernel_size, stride, padding, dilation, groups):
    in_channels = _checks.positive_int(in_channels, "in_channels", op)
    out_channels = _checks.positive_int(out_channels, "out_channels", op)
    groups = _checks.positive_int(groups, "groups", op)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{op}: in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible "
            f"by groups ({groups})"
        )
    kernel, stride, dilation = _tuple(kernel_size, n), _tuple(stride, n), _tuple(dilation, n)
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{op}: kernel_size, stride and dilation must be >= 1, got {kernel}, {stride}, {dilation}")
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions, got stride={stride}")
    else:
        padding = _tuple(padding, n)
    return in_channels, out_channels, groups, kernel, stride, padding, dilation


def _conv_params(wshape, fan_in, out_channels, bias, dtype):
    @_jit_init
    def init(key):
        wkey, bkey = jax.random.split(key)
        params = {"weight": initializers.default_weight(wkey, wshape, dtype)}
        if bias:
            params["bias"] = initializers.default_bias(bkey, (out_channels,), fan_in, dtype)
        return params

    return init


_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def ConvNd(
    n: int,
    in_channels,
    out_channels,
    kernel_size,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    bias=True,
    padding_mode="zeros",
    dtype=jnp.float32,
) -> Layer:
    """N-d convolution over (N, C, *spatial); weight (out, in / groups, *kernel); PyTorch's init and padding modes."""
    op = f"Conv{n}d"
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"{op}: padding_mode must be one of {sorted(_PAD_MODES)}, got {padding_mode!r}")
    c_in, c_out, groups, kernel, stride, padding, dilation = _conv_config(
        op, n, in_channels, out_channels, kernel_size, stride, padding, dilation, groups
    )
    wshape = (c_out, c_in // groups, *kernel)
    conv, pad = conv2d if n == 2 else ND_OPS[f"conv{n}d"], ACTIVATIONS["pad"]
    if padding_mode != "zeros":  # pad explicitly (PyTorch's _reversed_padding_repeated_twice), then convolve
        if padding == "same":
            totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
            widths = [(t // 2, t - t // 2) for t in totals]
        else:
            widths = [(0, 0)] * n if padding == "valid" else [(p, p) for p in padding]
        flat = tuple(v for lo_hi in reversed(widths) for v in lo_hi)
        conv_padding: Any = 0
    else:
        flat, conv_padding = (), padding
    extras = "" if padding in ((0,) * n, "valid") else f", padding={padding!r}".replace("'", "")
    extras += "" if dilation == (1,) * n else f", dilation={dilation}"
    extras += "" if groups == 1 else f", groups={groups}"
    extras += "" if bias else ", bias=False"
    extras += "" if padding_mode == "zeros" else f", padding_mode={padding_mode}"
    name = f"{op}({c_in}, {c_out}, kernel_size={kernel}, stride={stride}{extras})"

    def fn(params, x):
        x = _checks.as_array(x, "input", name)
        if x.ndim not in (n + 1, n + 2) or x.shape[-n - 1] != c_in:
            raise ValueError(
                f"{name}: expected input of shape (N, {c_in}, *{n} dims) or ({c_in}, *{n} dims), got {tuple(x.shape)}"
            )
        if flat:
            x = pad(x, flat, _PAD_MODES[padding_mode])
        return conv(x, params["weight"], params.get("bias"), stride, conv_padding, dilation, groups)

    return _stateless(fn, name, _conv_params(wshape, initializers.fans(wshape)[0], c_out, bias, dtype))


def ConvTransposeNd(
    n: int,
    in_channels,
    out_channels,
    kernel_size,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    bias=True,
    dilation=1,
    padding_mode="zeros",
    dtype=jnp.float32,
) -> Layer:
    """N-d transposed convolution; weight (in, out / groups, *kernel); `output_size=` in apply picks output_padding."""
    op = f"ConvTranspose{n}d"
    if padding_mode != "zeros":
        raise ValueError(f"{op}: only padding_mode='zeros' is supported for transposed convolutions (as in PyTorch)")
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a tuple, got {padding!r}")
    c_in, c_out, groups, kernel, stride, padding, dilation = _conv_config(
        op, n, in_channels, out_channels, kernel_size, stride, padding, dilation, groups
    )
    out_pad = _tuple(output_padding, n)
    wshape = (c_in, c_out // groups, *kernel)
    conv_t = ND_OPS[f"conv_transpose{n}d"]
    name = (
        f"{op}({c_in}, {c_out}, kernel_size={kernel}, stride={stride}"
        + ("" if padding == (0,) * n else f", padding={padding}")
        + ("" if out_pad == (0,) * n else f", output_padding={out_pad}")
        + ("" if groups == 1 else f", groups={groups}")
        + ("" if bias else ", bias=False")
        + ")"
    )

    def apply(params, x, *, output_size=None, state=None, key=None, training=True):
        x = _checks.as_array(x, "input", name)
        if x.ndim not in (n + 1, n + 2) or x.shape[-n - 1] != c_in:
            raise ValueError(f"{name}: expected input with {c_in} channels and {n} spatial dims, got {tuple(x.shape)}")
        chosen = out_pad
        if output_size is not None:
            wanted = tuple(int(s) for s in output_size)[-n:]
            chosen = []
            for size, s, st, p, k, d in zip(wanted, x.shape[-n:], stride, padding, kernel, dilation):
                smallest = (s - 1) * st - 2 * p + d * (k - 1) + 1
                if not smallest <= size < smallest + st:
                    raise ValueError(
                        f"{name}: requested an output size of {wanted}, but valid sizes range from "
                        f"{smallest} to {smallest + st - 1} (for an input of {tuple(x.shape[-n:])})"
                    )
                chosen.append(size - smallest)
            chosen = tuple(chosen)
        return conv_t(x, params["weight"], params.get("bias"), stride, padding, chosen, groups, dilation)

    init = _conv_params(wshape, initializers.fans(wshape)[0], c_out, bias, dtype)
    return Layer(init, _named(apply, name), name=name)


def MaxPoolNd(n: int, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False) -> Layer:
    """Max pooling; with `return_indices` it returns (values, flat indices into the spatial dims)."""
    stride = kernel_size if stride is None else stride
    name = (
        f"MaxPool{n}d(kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}, "
        f"ceil_mode={ceil_mode})"
    )
    if return_indices:
        op = POOL_OPS[f"max_pool{n}d_with_indices"]
    else:
        op = max_pool2d if n == 2 else ND_OPS[f"max_pool{n}d"]
    return _stateless(lambda p, x: op(x, kernel_size, stride, padding, dilation, ceil_mode), name)


def AvgPoolNd(
    n: int, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
) -> Layer:
    stride = kernel_size if stride is None else stride
    name = f"AvgPool{n}d(kernel_size={kernel_size}, stride={stride}, padding={padding})"
    op = ND_OPS[f"avg_pool{n}d"]
    return _stateless(
        lambda p, x: op(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override), name
    )


def AdaptivePoolNd(n: int, kind: str, output_size, return_indices=False) -> Layer:
    """Adaptive average or max pooling (`kind`) to `output_size`; max may return indices."""
    op = POOL_OPS[f"adaptive_max_pool{n}d_with_indices"] if return_indices else ND_OPS[f"adaptive_{kind}_pool{n}d"]
    name = f"Adaptive{kind.capitalize()}Pool{n}d(output_size={output_size})"
    return _stateless(lambda p, x: op(x, output_size), name)


def LPPoolNd(n: int, norm_type, kernel_size, stride=None, ceil_mode=False) -> Layer:
    op = POOL_OPS[f"lp_pool{n}d"]
    name = f"LPPool{n}d(norm_type={norm_type}, kernel_size={kernel_size}, stride={stride}, ceil_mode={ceil_mode})"
    return _stateless(lambda p, x: op(x, float(norm_type), kernel_size, stride, ceil_mode), name)


def FractionalMaxPoolNd(
    n: int, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
) -> Layer:
    """Fractional max pooling; the window offsets come from `_random_samples`, else from `key=` in apply."""
    if (output_size is None) == (output_ratio is None):
        raise ValueError(f"FractionalMaxPool{n}d requires specifying exactly one of output_size and output_ratio")
    if output_ratio is not None:
        for r in output_ratio if isinstance(output_ratio, (list, tuple)) else (output_ratio,):
            if not 0 < r < 1:
                raise ValueError(f"FractionalMaxPool{n}d: output_ratio must be between 0 and 1 (got {output_ratio})")
    op = POOL_OPS[f"fractional_max_pool{n}d"]
    name = f"FractionalMaxPool{n}d(kernel_size={kernel_size}, output_size={output_size}, output_ratio={output_ratio})"

    def apply(params, x, *, samples=None, state=None, key=None, training=True):
        samples = _random_samples if samples is None else samples
        return op(x, kernel_size, output_size, output_ratio, return_indices, samples, key=key)

    return Layer(lambda key=None: {}, _named(apply, name), name=name)


def MaxUnpoolNd(n: int, kernel_size, stride=None, padding=0) -> Layer:
    op = POOL_OPS[f"max_unpool{n}d"]
    stride = kernel_size if stride is None else stride
    name = f"MaxUnpool{n}d(kernel_size={kernel_size}, stride={stride}, padding={padding})"

    def apply(params, x, indices, output_size=None, *, state=None, key=None, training=True):
        return op(x, indices, kernel_size, stride, padding, output_size)

    return Layer(lambda key=None: {}, _named(apply, name), name=name)


def Pad(n: int, mode: str, padding, value: float = 0.0) -> Layer:
    """Pads the last `n` dims by `padding` (an int, or 2n amounts from the last dim backwards)."""
    amounts = (int(padding),) * (2 * n) if isinstance(padding, int) else tuple(int(p) for p in padding)
    if len(amounts) != 2 * n:
        raise ValueError(f"Pad{n}d: padding must be an int or a tuple of {2 * n} ints, got {padding!r}")
    title = {"reflect": "Reflection", "replicate": "Replication", "circular": "Circular", "constant": "Constant"}[mode]
    name = f"{title}Pad{n}d({amounts}" + (f", value={value})" if mode == "constant" else ")")
    pad = ACTIVATIONS["pad"]
    return _stateless(lambda p, x: pad(x, amounts, mode, value if mode == "constant" else None), name)


def GroupNorm(
    num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, dtype=jnp.float32, bias: bool = True
) -> Layer:
    g = _checks.positive_int(num_groups, "num_groups", "GroupNorm")
    c = _checks.positive_int(num_channels, "num_channels", "GroupNorm")
    if c % g:
        raise ValueError(f"GroupNorm: num_channels ({c}) must be divisible by num_groups ({g})")
    name = f"GroupNorm({g}, {c}, eps={eps}, affine={affine})"

    def init(key=None):
        if not affine:
            return {}
        return (
            {"weight": jnp.ones((c,), dtype), "bias": jnp.zeros((c,), dtype)}
            if bias
            else {"weight": jnp.ones((c,), dtype)}
        )

    return _stateless(lambda p, x: ND_OPS["group_norm"](x, g, p.get("weight"), p.get("bias"), eps), name, init)


def InstanceNormNd(
    n: int, num_features: int, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, dtype=jnp.float32
) -> Layer:
    """Instance normalisation; running statistics (if tracked) are explicit state, as BatchNorm's."""
    c = _checks.positive_int(num_features, "num_features", f"InstanceNorm{n}d")
    name = (
        f"InstanceNorm{n}d({c}, eps={eps}, momentum={momentum}, affine={affine}, "
        f"track_running_stats={track_running_stats})"
    )

    def init(key=None):
        return {"weight": jnp.ones((c,), dtype), "bias": jnp.zeros((c,), dtype)} if affine else {}

    def init_state():
        if not track_running_stats:
            return {}
        return {
            "running_mean": jnp.zeros((c,), dtype),
            "running_var": jnp.ones((c,), dtype),
            "num_batches_tracked": jnp.zeros((), jnp.int32),
        }

    def apply(params, x, *, state=None, key=None, training=True):
        x = _checks.as_array(x, "input", name)
        if x.ndim not in (n + 1, n + 2):
            raise ValueError(f"{name}: expected input of rank {n + 1} or {n + 2}, got shape {tuple(x.shape)}")
        unbatched = x.ndim == n + 1
        x = x[None] if unbatched else x
        if affine and x.shape[1] != c:
            raise ValueError(f"{name}: expected input with {c} channels in dim 1, got shape {tuple(x.shape)}")
        state = init_state() if state is None else state
        weight, bias = params.get("weight"), params.get("bias")
        if track_running_stats and training:
            # PyTorch's route: batch norm over (1, N*C, ...) with the running statistics repeated N times.
            batch = x.shape[0]
            y, mean, var = batch_norm(
                x.reshape(1, -1, *x.shape[2:]),
                jnp.tile(state["running_mean"], batch),
                jnp.tile(state["running_var"], batch),
                None,
                None,
                True,
                momentum,
                eps,
            )
            shape = (1, -1) + (1,) * n
            y = y.reshape(x.shape)
            y = y if weight is None else y * weight.reshape(shape)
            y = y if bias is None else y + bias.reshape(shape)
            state = {
                **state,
                "running_mean": mean.reshape(batch, -1).mean(0),
                "running_var": var.reshape(batch, -1).mean(0),
            }
        else:
            use_input = training or not track_running_stats
            y = ND_OPS["instance_norm"](
                x, state.get("running_mean"), state.get("running_var"), weight, bias, use_input, momentum, eps
            )
        return (y[0] if unbatched else y), state

    return Layer(init, _named(apply, name), init_state, stateful=True, name=name)


def RMSNorm(normalized_shape, eps=None, elementwise_affine=True, dtype=jnp.float32) -> Layer:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    name = f"RMSNorm({shape}, eps={eps}, elementwise_affine={elementwise_affine})"

    def init(key=None):
        return {"weight": jnp.ones(shape, dtype)} if elementwise_affine else {}

    return _stateless(lambda p, x: ND_OPS["rms_norm"](x, shape, p.get("weight"), eps), name, init)


def BatchNorm3d(
    num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=jnp.float32, *, bias=True
) -> Layer:
    """Batch normalisation over (N, C, D, H, W); running statistics are explicit state."""
    return _batch_norm_layer("BatchNorm3d", (5,), num_features, eps, momentum, affine, track_running_stats, dtype, bias)
