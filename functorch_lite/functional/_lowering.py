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
- stride-1, undilated, ungrouped convolutions (`_banded_conv`): one matmul of gathered
  input rows against a banded weight matrix, so the forward pass and both gradients are
  GEMMs plus cheap copies (unless the gathered rows would exceed
  `_banded_conv.MAX_ROWS_ELEMENTS`).

Everything else, and every backend other than CPU (where cuDNN's convolutions are the
better bet), uses the generic `lax` lowering below. The choice is made at trace time from
`jax.default_backend()`; the `uses_fast_*` predicates say which path a call takes.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .._precision import matmul_precision
from . import _banded_conv, _fast_pool

Pair = tuple[int, int]
Padding = tuple[tuple[int, int], tuple[int, int]]


def _on_cpu() -> bool:
    return jax.default_backend() == "cpu"


def uses_fast_conv(x: jax.Array, w: jax.Array, stride: Pair, padding: Padding, dilation: Pair, groups: int) -> bool:
    """Whether `conv2d_nchw` takes the banded-matmul path for these arguments."""
    return _on_cpu() and _banded_conv.accepts(x, w, stride, padding, dilation, groups)


def uses_fast_max_pool(x: jax.Array, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> bool:
    """Whether `max_pool2d_nchw` takes the reshape + max path for these arguments."""
    return _on_cpu() and _fast_pool.accepts(x, kernel, stride, padding, dilation)


def conv2d_nchw(x: jax.Array, w: jax.Array, stride: Pair, padding: Padding, dilation: Pair, groups: int) -> jax.Array:
    """A 2-D cross-correlation (PyTorch's conv2d without bias)."""
    if uses_fast_conv(x, w, stride, padding, dilation, groups):
        return _banded_conv.conv2d(x, w, tuple(map(tuple, padding)))
    return generic_conv2d_nchw(x, w, stride, padding, dilation, groups)


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
