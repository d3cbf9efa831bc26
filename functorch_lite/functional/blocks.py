"""`unfold` (im2col) and `fold` (col2im) of torch.nn.functional, on (N, C, H, W) images.

Both walk the kernel's `kH * kW` offsets as static strided slices of the padded image:
`unfold` stacks the slices into columns, `fold` adds the columns back into place (overlaps
summed), so each is the other's adjoint and both run under `jit`, `grad` and `vmap`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _checks


def _options(kernel_size, dilation, padding, stride, op):
    kernel = _checks.pair(kernel_size, "kernel_size", op, minimum=1)
    dilation = _checks.pair(dilation, "dilation", op, minimum=1)
    padding = _checks.pair(padding, "padding", op)
    stride = _checks.pair(stride, "stride", op, minimum=1)
    return kernel, dilation, padding, stride


def _blocks(size, kernel, dilation, padding, stride, op):
    """Number of sliding blocks along each of the two spatial dims."""
    blocks = tuple((size[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in (0, 1))
    if min(blocks) < 1:
        raise ValueError(
            f"{op}: the kernel {kernel} (dilation {dilation}) does not fit the padded input of spatial size "
            f"{tuple(s + 2 * p for s, p in zip(size, padding))}; calculated blocks {blocks} must be positive"
        )
    return blocks


def _window(offset, dilation, stride, blocks):
    """The strided slice of the padded image that kernel offset `offset` sees, along one dim."""
    start = offset * dilation
    return slice(start, start + stride * (blocks - 1) + 1, stride)


def unfold(input: jax.Array, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> jax.Array:
    """Sliding blocks of (N, C, H, W) (or unbatched (C, H, W)) as columns (N, C * kH * kW, L), as PyTorch."""
    op = "unfold"
    x = _checks.as_array(input, "input", op)
    _checks.rank(x, (3, 4), "input", op, "(N, C, H, W) or (C, H, W)")
    kernel, dilation, padding, stride = _options(kernel_size, dilation, padding, stride, op)
    batched = x if x.ndim == 4 else x[None]
    n, c, h, w = batched.shape
    blocks = _blocks((h, w), kernel, dilation, padding, stride, op)
    padded = jnp.pad(batched, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    columns = [
        padded[:, :, _window(i, dilation[0], stride[0], blocks[0]), _window(j, dilation[1], stride[1], blocks[1])]
        for i in range(kernel[0])
        for j in range(kernel[1])
    ]
    out = jnp.stack(columns, axis=2).reshape(n, c * kernel[0] * kernel[1], blocks[0] * blocks[1])
    return out if x.ndim == 4 else out[0]


def fold(
    input: jax.Array, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> jax.Array:
    """Columns (N, C * kH * kW, L) (or unbatched) summed back into (N, C, H, W) images, as PyTorch."""
    op = "fold"
    x = _checks.as_array(input, "input", op)
    _checks.rank(x, (2, 3), "input", op, "(N, C * kH * kW, L) or (C * kH * kW, L)")
    size = _checks.pair(output_size, "output_size", op, minimum=1)
    kernel, dilation, padding, stride = _options(kernel_size, dilation, padding, stride, op)
    batched = x if x.ndim == 3 else x[None]
    n, rows, length = batched.shape
    taps = kernel[0] * kernel[1]
    if rows % taps:
        raise ValueError(
            f"{op}: expected size of input's dimension 1 to be divisible by the product of kernel_size {kernel}, "
            f"but got input.size(1)={rows}"
        )
    blocks = _blocks(size, kernel, dilation, padding, stride, op)
    if blocks[0] * blocks[1] != length:
        raise ValueError(
            f"{op}: given output_size={size}, kernel_size={kernel}, dilation={dilation}, padding={padding}, "
            f"stride={stride}, expected input.size(-1) to be {blocks[0] * blocks[1]} but got {length}"
        )
    c = rows // taps
    columns = batched.reshape(n, c, taps, blocks[0], blocks[1])
    out = jnp.zeros((n, c, size[0] + 2 * padding[0], size[1] + 2 * padding[1]), x.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            rows_, cols_ = _window(i, dilation[0], stride[0], blocks[0]), _window(j, dilation[1], stride[1], blocks[1])
            out = out.at[:, :, rows_, cols_].add(columns[:, :, i * kernel[1] + j])
    out = jax.lax.slice(out, (0, 0, padding[0], padding[1]), (n, c, padding[0] + size[0], padding[1] + size[1]))
    return out if x.ndim == 3 else out[0]


OPS = {f.__name__: f for f in (unfold, fold)}
