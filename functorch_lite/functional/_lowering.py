"""How convolution and pooling are lowered to XLA, behind the public NCHW ops.

The public ops in `conv.py` and `pooling.py` validate and normalise their arguments
and call the functions here with plain tuples. Only this file decides how the math
becomes XLA operations, so a faster formulation for some shapes can be swapped in
without touching the API or the checks. All functions take NCHW activations and
OIHW weights and return NCHW results.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

Pair = tuple[int, int]
Padding = tuple[tuple[int, int], tuple[int, int]]


def conv2d_nchw(x: jax.Array, w: jax.Array, stride: Pair, padding: Padding, dilation: Pair, groups: int) -> jax.Array:
    """A 2-D cross-correlation (PyTorch's conv2d without bias)."""
    return lax.conv_general_dilated(
        x,
        w,
        window_strides=stride,
        padding=padding,
        rhs_dilation=dilation,
        dimension_numbers=("NCHW", "OIHW", "NCHW"),
        feature_group_count=groups,
        precision=lax.Precision.HIGHEST,
    )


def max_pool2d_nchw(x: jax.Array, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> jax.Array:
    """Max over windows; `padding` is explicit (low, high) per spatial dim and pads with -inf."""
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
        x, 0.0 if jnp.issubdtype(x.dtype, jnp.floating) else 0, lax.add, (1, 1, *kernel), (1, 1, *stride), ((0, 0), (0, 0), *padding)
    )
