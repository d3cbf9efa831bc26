"""How convolution and pooling are lowered to XLA, behind the public NCHW ops.

The public ops in `conv.py` and `pooling.py` validate and normalise their arguments
and call the functions here with plain tuples. Only this file decides how the math
becomes XLA operations, so a faster formulation for some shapes can be swapped in
without touching the API or the checks. All functions take NCHW activations and
OIHW weights and return NCHW results.

On the CPU backend two shapes take a faster formulation (measured on XLA:CPU for
LeNet-5's training step, see benchmarks/README.md):

- max pooling with stride == kernel, no padding and no dilation (`_fast_pool`): reshape +
  max, with a gradient routed like PyTorch's instead of `select_and_scatter_add`;
- stride-1, undilated, ungrouped convolutions with fewer than `BANDED_BELOW_CHANNELS`
  input channels (`_banded_conv`): one matmul of gathered input rows against a banded
  weight matrix, so the forward pass and both gradients are GEMMs plus cheap copies
  (unless the gathered rows would exceed `_banded_conv.MAX_ROWS_ELEMENTS`);
- other 1x1 convolutions without padding, any stride (`matmul_1x1_conv2d_nchw`): a
  strided slice, then one contraction over channels;
- every other ungrouped convolution (ResNet's 3x3 convolutions with 16 or more channels,
  strided or not) as XLA's native convolution in NHWC / HWIO layout
  (`nhwc_conv2d_nchw`), whose forward pass and gradients XLA:CPU runs faster than the
  NCHW ones, with transposes at the edges that XLA folds into the neighbouring ops.

Dropout's keep masks (`bernoulli_mask`, every backend) compute jax's own threefry bits as
one elementwise expression that XLA fuses into the dropout (`_threefry`), instead of
`jax.random.bernoulli`'s rolled loop on CPU, which stores the bits; the masks are the same.

BatchNorm's training statistics (`batch_norm_statistics`, every backend) are one pass over
the input: the mean and mean square of the input minus a per-channel shift (one of its
own values, so the difference stays small and the variance exact to float32), which XLA
fuses into one reduction; `batch_norm_transform` applies them with one per-channel scale.

Everything else, and every backend other than CPU (where cuDNN's convolutions are the
better bet), uses the generic `lax` lowering below. The choice is made at trace time from
`jax.default_backend()`; `conv_path` and the `uses_fast_*` predicates say which path a
call takes.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .._precision import matmul_precision
from . import _banded_conv, _fast_pool, _threefry

Pair = tuple[int, int]
Padding = tuple[tuple[int, int], tuple[int, int]]


def _on_cpu() -> bool:
    return jax.default_backend() == "cpu"


# From this many input channels on, XLA's native NHWC convolution beat the banded matmul
# (forward + both gradients of ResNet's 3x3 convolutions at batch 32 and 128, 16 to 64
# channels: benchmarks/README.md); LeNet's 1 and 6 channels stay banded.
BANDED_BELOW_CHANNELS = 16


def uses_fast_conv(x: jax.Array, w: jax.Array, stride: Pair, padding: Padding, dilation: Pair, groups: int) -> bool:
    """Whether `conv2d_nchw` takes the banded-matmul path for these arguments."""
    return (
        _on_cpu()
        and x.shape[1] < BANDED_BELOW_CHANNELS
        and _banded_conv.accepts(x, w, stride, padding, dilation, groups)
    )


def _is_1x1(x: jax.Array, w: jax.Array, padding: Padding, dilation: Pair, groups: int) -> bool:
    return (
        jnp.issubdtype(x.dtype, jnp.floating)
        and tuple(w.shape[2:]) == (1, 1)
        and groups == 1
        and all(lo == 0 and hi == 0 for lo, hi in padding)
    )


def conv_path(x: jax.Array, w: jax.Array, stride: Pair, padding: Padding, dilation: Pair, groups: int) -> str:
    """Which lowering `conv2d_nchw` uses: "banded", "matmul_1x1", "nhwc" or "generic"."""
    if not _on_cpu():
        return "generic"
    if uses_fast_conv(x, w, stride, padding, dilation, groups):
        return "banded"
    if _is_1x1(x, w, padding, dilation, groups):
        return "matmul_1x1"
    if groups == 1 and jnp.issubdtype(x.dtype, jnp.floating):
        return "nhwc"
    return "generic"


def uses_fast_max_pool(x: jax.Array, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> bool:
    """Whether `max_pool2d_nchw` takes the reshape + max path for these arguments."""
    return _on_cpu() and _fast_pool.accepts(x, kernel, stride, padding, dilation)


def conv2d_nchw(x: jax.Array, w: jax.Array, stride: Pair, padding: Padding, dilation: Pair, groups: int) -> jax.Array:
    """A 2-D cross-correlation (PyTorch's conv2d without bias)."""
    path = conv_path(x, w, stride, padding, dilation, groups)
    if path == "banded":
        return _banded_conv.conv2d(x, w, tuple(map(tuple, padding)))
    if path == "matmul_1x1":
        return matmul_1x1_conv2d_nchw(x, w, stride)
    if path == "nhwc":
        return nhwc_conv2d_nchw(x, w, stride, padding, dilation)
    return generic_conv2d_nchw(x, w, stride, padding, dilation, groups)


def matmul_1x1_conv2d_nchw(x: jax.Array, w: jax.Array, stride: Pair) -> jax.Array:
    """An unpadded 1x1 convolution: a strided slice, then one contraction over channels."""
    if tuple(stride) != (1, 1):
        x = x[:, :, :: stride[0], :: stride[1]]
    return jnp.einsum("nchw,oc->nohw", x, w[:, :, 0, 0], precision=matmul_precision())


def nhwc_conv2d_nchw(x: jax.Array, w: jax.Array, stride: Pair, padding: Padding, dilation: Pair) -> jax.Array:
    """An ungrouped convolution as XLA's native convolution in NHWC / HWIO layout."""
    y = lax.conv_general_dilated(
        x.transpose(0, 2, 3, 1),
        w.transpose(2, 3, 1, 0),
        window_strides=stride,
        padding=padding,
        rhs_dilation=dilation,
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
        precision=matmul_precision(),
    )
    return y.transpose(0, 3, 1, 2)


def generic_conv2d_nchw(
    x: jax.Array, w: jax.Array, stride: Pair, padding: Padding, dilation: Pair, groups: int
) -> jax.Array:
    """`conv2d_nchw` as one `lax.conv_general_dilated`, for any arguments and backend."""
    return lax.conv_general_dilated(
        x,
        w,
        window_strides=stride,
        padding=padding,
        rhs_dilation=dilation,
        dimension_numbers=("NCHW", "OIHW", "NCHW"),
        feature_group_count=groups,
        precision=matmul_precision(),
    )


def max_pool2d_nchw(x: jax.Array, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> jax.Array:
    """Max over windows; `padding` is explicit (low, high) per spatial dim and pads with -inf."""
    if uses_fast_max_pool(x, kernel, stride, padding, dilation):
        return _fast_pool.max_pool2d_windows(x, (int(kernel[0]), int(kernel[1])))
    if tuple(dilation) != (1, 1) and jnp.issubdtype(x.dtype, jnp.floating):
        # reduce_window with window dilation has no reverse-mode rule in JAX, on any backend.
        return _fast_pool.max_pool2d_taps(x, tuple(kernel), tuple(stride), tuple(map(tuple, padding)), tuple(dilation))
    return generic_max_pool2d_nchw(x, kernel, stride, padding, dilation)


def generic_max_pool2d_nchw(x: jax.Array, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> jax.Array:
    """`max_pool2d_nchw` as one `lax.reduce_window`, for any arguments and backend."""
    init = -jnp.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
    return lax.reduce_window(
        x,
        init,  # a Python scalar: JAX only differentiates reduce_window for known monoid inits
        lax.max,
        (1, 1, *kernel),
        (1, 1, *stride),
        ((0, 0), (0, 0), *padding),
        window_dilation=(1, 1, *dilation),
    )


def sum_pool2d_nchw(x: jax.Array, kernel: Pair, stride: Pair, padding: Padding) -> jax.Array:
    """Sum over windows, zero padding (the numerator of average pooling)."""
    return lax.reduce_window(
        x,
        0.0 if jnp.issubdtype(x.dtype, jnp.floating) else 0,
        lax.add,
        (1, 1, *kernel),
        (1, 1, *stride),
        ((0, 0), (0, 0), *padding),
    )


def bernoulli_mask(key: jax.Array, p: float, shape: tuple[int, ...]) -> jax.Array:
    """A boolean mask, True with probability `p`, equal to `jax.random.bernoulli(key, p, shape)`."""
    return _threefry.bernoulli(key, p, shape)


def batch_norm_statistics(x: jax.Array, axes: tuple[int, ...]) -> tuple[jax.Array, jax.Array]:
    """Per-channel mean and biased variance of `x` over `axes`, in one pass.

    With a shift `s` (the first value of each channel, held constant), `mean = s + E[x - s]` and
    `var = E[(x - s)^2] - E[x - s]^2`: the same function of `x` as the two-pass form, so autodiff
    gives the same gradients, while the squares stay small when the channel's mean is large."""
    if not x.size:  # an empty batch: NaN statistics, as the two-pass form gives
        mean = jnp.mean(x, axis=axes)
        return mean, jnp.mean(jnp.square(x), axis=axes) - jnp.square(mean)
    first = tuple(slice(0, 1) if i in axes else slice(None) for i in range(x.ndim))
    shift = lax.stop_gradient(x[first])
    d = x - shift
    m1 = jnp.mean(d, axis=axes)
    m2 = jnp.mean(jnp.square(d), axis=axes)
    return shift.reshape(m1.shape) + m1, jnp.maximum(m2 - jnp.square(m1), 0)


def batch_norm_transform(
    x: jax.Array, mean: jax.Array, var: jax.Array, weight: jax.Array | None, bias: jax.Array | None, eps: float
) -> jax.Array:
    """`(x - mean) / sqrt(var + eps) * weight + bias` as `(x - mean) * a + bias` with one per-channel scale `a`.

    Subtracting the mean first (not `x * a + b`) keeps the weight gradient `sum(dy * (x - mean) * r)`
    free of cancellation when a channel's mean is large."""
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if not x.size:  # an empty batch: the weight's gradient is an empty sum (0, as torch), not 0 * NaN
        y = (x - mean.reshape(shape)) * lax.rsqrt(var.reshape(shape) + eps)
        y = y if weight is None else y * weight.reshape(shape)
        return y if bias is None else y + bias.reshape(shape)
    scale = lax.rsqrt(var + eps)
    scale = scale if weight is None else scale * weight
    y = (x - mean.reshape(shape)) * scale.reshape(shape)
    return y if bias is None else y + bias.reshape(shape)
