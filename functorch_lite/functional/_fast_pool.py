"""Max pooling over non-overlapping windows as reshape + max, with PyTorch's gradient routing.

`lax.reduce_window` max pooling differentiates through `select_and_scatter_add`, which
XLA:CPU runs as a slow scalar loop; `reshape(..., Ho, kH, Wo, kW).max(...)` is one fast
reduction, but JAX's own derivative of `max` splits the gradient evenly among tied
entries, unlike PyTorch, which sends it all to one entry. A `custom_jvp` fixes the
routing: the tangent is `sum(t * mask)` over each window, with `mask` the one-hot of the
entry PyTorch picks (the first maximum in row-major window order, or the last NaN, since
PyTorch's kernel keeps replacing its index while it sees NaNs). The tangent is linear in
`t`, so reverse mode transposes it into one elementwise `g * mask`, and jvp/jacfwd,
vmap and higher derivatives keep working.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

Pair = tuple[int, int]
Padding = tuple[tuple[int, int], tuple[int, int]]


def accepts(x: jax.Array, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> bool:
    """Whether `max_pool2d_windows` computes this pooling: floating input, stride == kernel,
    no padding, no dilation (the spatial sizes need not be divisible: floor mode drops the rest)."""
    return (
        jnp.issubdtype(x.dtype, jnp.floating)
        and tuple(stride) == tuple(kernel)
        and tuple(dilation) == (1, 1)
        and all(lo == 0 and hi == 0 for lo, hi in padding)
        and x.shape[2] >= kernel[0]
        and x.shape[3] >= kernel[1]
    )


def _windows(x: jax.Array, kernel: Pair) -> jax.Array:
    """(N, C, H, W) -> (N, C, Ho, kH, Wo, kW), dropping rows/columns no window covers."""
    n, c, h, w = x.shape
    kh, kw = kernel
    ho, wo = h // kh, w // kw
    if (ho * kh, wo * kw) != (h, w):
        x = x[:, :, : ho * kh, : wo * kw]
    return x.reshape(n, c, ho, kh, wo, kw)


def _routing_mask(windows: jax.Array, kernel: Pair) -> jax.Array:
    """One-hot (in the input's dtype) of the entry of each window that receives the gradient."""
    kh, kw = kernel
    biggest = windows.max(axis=(3, 5), keepdims=True)
    order = jnp.asarray(np.arange(kh * kw, dtype=np.int32).reshape(1, 1, 1, kh, 1, kw))
    is_nan = jnp.isnan(windows)
    # Smallest key wins: NaNs first (the last NaN lowest), then the first maximum; others never.
    key = jnp.where(is_nan, -1 - order, jnp.where(windows == biggest, order, kh * kw))
    chosen = key.min(axis=(3, 5), keepdims=True)
    return (key == chosen).astype(windows.dtype)


@partial(jax.custom_jvp, nondiff_argnums=(1,))
def max_pool2d_windows(x: jax.Array, kernel: Pair) -> jax.Array:
    """Max over non-overlapping (kH, kW) windows of an NCHW array (stride == kernel)."""
    return _windows(x, kernel).max(axis=(3, 5))


@max_pool2d_windows.defjvp
def _max_pool2d_windows_jvp(kernel, primals, tangents):
    (x,), (t,) = primals, tangents
    windows = _windows(x, kernel)
    y = windows.max(axis=(3, 5))
    mask = jax.lax.stop_gradient(_routing_mask(windows, kernel))
    return y, (_windows(t, kernel) * mask).sum(axis=(3, 5))


def _taps(x: jax.Array, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair, fill) -> jax.Array:
    """(kH * kW, N, C, Ho, Wo): one strided slice of the padded input per window entry."""
    x = jnp.pad(x, ((0, 0), (0, 0), *padding), constant_values=fill)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    ho, wo = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    return jnp.stack(
        [
            jax.lax.slice(
                x,
                (0, 0, a * dh, b * dw),
                (n, c, a * dh + (ho - 1) * sh + 1, b * dw + (wo - 1) * sw + 1),
                (1, 1, sh, sw),
            )
            for a in range(kh)
            for b in range(kw)
        ]
    )


@partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3, 4))
def max_pool2d_taps(x: jax.Array, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> jax.Array:
    """Any max pooling (overlapping, padded, dilated) as a max over strided slices.

    Slower than `max_pool2d_windows`; it exists because JAX has no reverse-mode rule for a
    `reduce_window` max with window dilation. Padding counts as -inf, as in PyTorch."""
    return _taps(x, kernel, stride, padding, dilation, -jnp.inf).max(axis=0)


@max_pool2d_taps.defjvp
def _max_pool2d_taps_jvp(kernel, stride, padding, dilation, primals, tangents):
    (x,), (t,) = primals, tangents
    taps = _taps(x, kernel, stride, padding, dilation, -jnp.inf)
    y = taps.max(axis=0)
    order = jnp.asarray(np.arange(taps.shape[0], dtype=np.int32).reshape(-1, 1, 1, 1, 1))
    key = jnp.where(jnp.isnan(taps), -1 - order, jnp.where(taps == y, order, taps.shape[0]))
    mask = jax.lax.stop_gradient((key == key.min(axis=0)).astype(x.dtype))
    return y, (_taps(t, kernel, stride, padding, dilation, 0) * mask).sum(axis=0)
