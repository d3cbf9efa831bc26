"""Pooling with torch.nn.functional's signatures on NCHW inputs: max, average, adaptive average."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks
from . import _lowering


def pool_options(kernel_size: Any, stride: Any, padding: Any, dilation: Any, op: str):
    """Checks and normalises a pooling window: (kernel, stride, padding, dilation) as pairs of ints.

    A missing stride (None or empty) means the kernel size, as in PyTorch. The pooling
    layers call this at construction, the ops on every call.
    """
    kernel = _checks.pair(kernel_size, "kernel_size", op, minimum=1)
    no_stride = stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
    stride = kernel if no_stride else _checks.pair(stride, "stride", op, minimum=1)
    return kernel, stride, _checks.pair(padding, "padding", op), _checks.pair(dilation, "dilation", op, minimum=1)


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, op):
    """Checked arguments of one pooling call: (x4d, unbatched, kernel, stride, pads, dilation, out_hw)."""
    x = _checks.as_array(x, "input", op)
    _checks.rank(x, (3, 4), "input", op, "(N, C, H, W) or (C, H, W)")
    ceil_mode = _checks.flag(ceil_mode, "ceil_mode", op)
    kernel, stride, pad, dilation = pool_options(kernel_size, stride, padding, dilation, op)
    if any(p > k // 2 for p, k in zip(pad, kernel, strict=True)):  # PyTorch's bound, whatever the dilation
        raise ValueError(
            f"{op}: padding should be at most half of the kernel size, got padding={padding} "
            f"for kernel_size={kernel_size}"
        )
    out_hw, pads = [], []
    for size, k, s, p, d in zip(x.shape[-2:], kernel, stride, pad, dilation, strict=True):
        span = size + 2 * p - d * (k - 1) - 1
        if span < 0:
            raise ValueError(
                f"{op}: kernel size {d * (k - 1) + 1} is larger than the padded input size {size + 2 * p}; "
                f"input shape {tuple(x.shape)}"
            )
        out = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= size + p:  # the last window must start inside the input
            out -= 1
        out_hw.append(out)
        needed = (out - 1) * s + d * (k - 1) + 1  # extent the windows cover, including padding
        pads.append((p, max(needed - size - p, 0)))
    unbatched = x.ndim == 3
    return (x[None] if unbatched else x), unbatched, kernel, stride, tuple(pads), dilation, tuple(out_hw)


def max_pool2d(
    input: jax.Array, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False
) -> jax.Array:
    """Max pooling over (kH, kW) windows of an NCHW (or CHW) input; padding counts as -inf."""
    x, unbatched, kernel, stride, pads, dilation, _ = _pool_geometry(
        input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"
    )
    y = _lowering.max_pool2d_nchw(x, kernel, stride, pads, dilation)
    return y[0] if unbatched else y


def _avg_divisor(shape, kernel, stride, pads, out_hw, count_include_pad, divisor_override, dtype, op):
    """PyTorch's divisor per output pixel; it depends only on static shapes, so it is numpy."""
    _checks.flag(count_include_pad, "count_include_pad", op)
    if divisor_override is not None:
        return jnp.asarray(_checks.positive_int(divisor_override, "divisor_override", op), dtype)
    counts = []
    for size, k, s, (lo, _), out in zip(shape, kernel, stride, pads, out_hw, strict=True):
        starts = np.arange(out) * s - lo
        ends = np.minimum(starts + k, size + lo)  # windows may cover the symmetric padding only
        counts.append(ends - starts if count_include_pad else np.minimum(ends, size) - np.maximum(starts, 0))
    return jnp.asarray(np.outer(counts[0], counts[1]), dtype)


def avg_pool2d(
    input: jax.Array,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> jax.Array:
    """Average pooling with PyTorch's divisors (`count_include_pad`, `ceil_mode`, `divisor_override`)."""
    op = "avg_pool2d"
    x, unbatched, kernel, stride, pads, _, out_hw = _pool_geometry(
        input, kernel_size, stride, padding, 1, ceil_mode, op
    )
    _checks.floating(x, "input", op)
    divisor = _avg_divisor(x.shape[2:], kernel, stride, pads, out_hw, count_include_pad, divisor_override, x.dtype, op)
    y = _lowering.sum_pool2d_nchw(x, kernel, stride, pads) / divisor
    return y[0] if unbatched else y


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """Row i averages positions floor(i*size/out) .. ceil((i+1)*size/out) - 1 (PyTorch's bins)."""
    m = np.zeros((out, size), dtype=np.float64)
    for i in range(out):
        start, end = (i * size) // out, -(-((i + 1) * size) // out)
        m[i, start:end] = 1.0 / (end - start)
    return m.astype(dtype)


def _adaptive_args(input, output_size, op="adaptive_avg_pool2d"):
    """Checked input and (oH, oW) of one adaptive pooling call; None keeps that input size."""
    x = _checks.as_array(input, "input", op)
    _checks.rank(x, (3, 4), "input", op, "(N, C, H, W) or (C, H, W)")
    _checks.floating(x, "input", op)
    if isinstance(output_size, (list, tuple)) and len(output_size) == 2:
        output_size = tuple(x.shape[-2 + i] if s is None else s for i, s in enumerate(output_size))
    return x, _checks.pair(output_size, "output_size", op, minimum=1)


def adaptive_avg_pool2d(input: jax.Array, output_size: Any) -> jax.Array:
    """Average pooling to a fixed (oH, oW) with PyTorch's bins; None in `output_size` keeps that input size."""
    x, (out_h, out_w) = _adaptive_args(input, output_size)
    h, w = x.shape[-2:]
    if h % out_h == 0 and w % out_w == 0:  # equal bins: a reshape and a mean
        return x.reshape(*x.shape[:-2], out_h, h // out_h, out_w, w // out_w).mean(axis=(-3, -1))
    mh = jnp.asarray(_adaptive_matrix(h, out_h, x.dtype))
    mw = jnp.asarray(_adaptive_matrix(w, out_w, x.dtype))
    return jnp.einsum("...hw,ih,jw->...ij", x, mh, mw, precision=jax.lax.Precision.HIGHEST)
