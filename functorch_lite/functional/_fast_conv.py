"""A convolution computed as im2col patches and one batched matmul, for XLA:CPU input layers.

Autodiff of `lax.conv_general_dilated` computes the weight gradient as another
convolution whose window is the whole output image (28x28 for LeNet's conv1) and whose
contraction runs over the batch; XLA:CPU executes that shape slowly, and its forward
convolution with one input channel is slow too. Here the forward pass is `w . patches(x)`
batched over N (the result is already NCHW), so the weight gradient is a batched matmul
of the cotangent with the same patches.

`conv2d` is a `custom_jvp` whose tangent is `conv(t_x, w) + w_t . patches(x)`, linear in
the tangents, so reverse mode transposes it: the first term into XLA's native
input-gradient convolution (autodiff of the patch construction would be a slow sum of
padded copies), the second into one matmul that contracts over batch and positions
together (`_weight_tangent`). jvp, jacfwd, vmap and higher derivatives keep working
because no reverse-mode rule is written by hand.

Patches are built without gathers or concatenations, which XLA:CPU executes slowly:
`shift_windows` tiles an axis, re-reads the tiled buffer with a row pitch one step longer
than the period and crops, so row j comes out shifted by j. XLA fuses the
broadcast/reshape/slice chain into one loop that writes the patch tensor once.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

Pair = tuple[int, int]
Padding = tuple[tuple[int, int], tuple[int, int]]


def accepts(x: jax.Array, w: jax.Array, stride: Pair, padding: Padding, dilation: Pair, groups: int) -> bool:
    """Whether `conv2d` handles this convolution: stride 1, no dilation, no groups, floating
    dtype, and few input channels (the weight-gradient matmul pays off where the native
    gradient is slowest: large images with few channels, like an input layer)."""
    return (
        jnp.issubdtype(x.dtype, jnp.floating)
        and tuple(stride) == (1, 1)
        and tuple(dilation) == (1, 1)
        and groups == 1
        and w.shape[1] <= MAX_IN_CHANNELS
    )


MAX_IN_CHANNELS = 3  # LeNet conv1 (1) measured faster; its conv2 (6) measured slower


def shift_windows(a: jax.Array, axis: int, k: int) -> jax.Array:
    """`b[..., j, t, ...] = a[..., t + j, ...]` for `j < k`, `t <= L - k`, where L = a.shape[axis].

    The axis and everything after it are one flat period P; `k + 1` copies of it are laid
    end to end and re-read as rows of length P + R (R the size of one step along the axis),
    so row j starts j steps further into the data."""
    shape = a.shape
    lead, size, rest = shape[:axis], shape[axis], shape[axis + 1:]
    step = 1
    for d in rest:
        step *= d
    period = size * step
    out = size - k + 1
    pitch = period + step
    tiled = jnp.broadcast_to(a.reshape(*lead, 1, period), (*lead, k + 1, period))
    rows = tiled.reshape(*lead, (k + 1) * period)[..., : k * pitch].reshape(*lead, k, pitch)
    return rows[..., : out * step].reshape(*lead, k, out, *rest)


def patches(x: jax.Array, kernel: Pair) -> jax.Array:
    """(N, C, H, W) -> (N, C * kH * kW, Ho * Wo) with `p[n, (c, i, j), (h, w)] = x[n, c, h + i, w + j]`.

    This layout makes the convolution a batched matmul whose output is already NCHW, and
    writes the patches with the output width innermost, which vectorises."""
    n, c, h, w = x.shape
    kh, kw = kernel
    p = shift_windows(shift_windows(x, 3, kw), 2, kh)  # (N, C, kH, Ho, kW, Wo)
    ho, wo = h - kh + 1, w - kw + 1
    return p.transpose(0, 1, 2, 4, 3, 5).reshape(n, c * kh * kw, ho * wo)


def _native(x: jax.Array, w: jax.Array, padding: Padding) -> jax.Array:
    return lax.conv_general_dilated(
        x, w, (1, 1), padding, dimension_numbers=("NCHW", "OIHW", "NCHW"), precision=lax.Precision.HIGHEST
    )


def _pad(x: jax.Array, padding: Padding) -> jax.Array:
    return jnp.pad(x, ((0, 0), (0, 0), *padding)) if any(lo or hi for lo, hi in padding) else x


def _apply_patches(p: jax.Array, w: jax.Array, out_hw: Pair) -> jax.Array:
    """The batched matmul `w . p[n]`; the weight is broadcast over the batch so the result
    comes out (N, O, Ho * Wo) with no transpose. The weight gradient comes from
    `_weight_tangent` instead, whose transpose measured faster."""
    n = p.shape[0]
    o = w.shape[0]
    wb = jnp.broadcast_to(w.reshape(1, o, -1), (n, o, p.shape[1]))
    y = lax.dot_general(wb, p, (((2,), (1,)), ((0,), (0,))), precision=lax.Precision.HIGHEST)
    return y.reshape(n, o, *out_hw)


def _weight_tangent(p: jax.Array, tw: jax.Array, out_hw: Pair) -> jax.Array:
    """`_apply_patches(p, tw, out_hw)` written as one unbatched dot, (O, K) x (N, K, P) -> (O, N, P).

    Only the form of its transpose differs: a single contraction over batch and positions
    giving (O, K) directly, instead of N small matmuls and a sum over the batch. Measured
    about 5% faster for the whole LeNet step at batch 256 (benchmarks/README.md); the
    forward pass keeps the batched form, which measured faster there."""
    n, o = p.shape[0], tw.shape[0]
    y = lax.dot_general(tw.reshape(o, -1), p, (((1,), (1,)), ((), ())), precision=lax.Precision.HIGHEST)
    return y.transpose(1, 0, 2).reshape(n, o, *out_hw)


def conv2d(x: jax.Array, w: jax.Array, padding: Padding) -> jax.Array:
    """Stride-1, ungrouped NCHW x OIHW cross-correlation with explicit (low, high) padding."""
    return _conv_for(tuple(map(tuple, padding)))(x, w)


_CACHE: dict[Padding, object] = {}


def _conv_for(padding: Padding):
    """One custom_jvp function per padding, so padding stays a static Python value."""
    fn = _CACHE.get(padding)
    if fn is not None:
        return fn

    def forward(x, w):
        xp = _pad(x, padding)
        kh, kw = w.shape[2], w.shape[3]
        out_hw = (xp.shape[2] - kh + 1, xp.shape[3] - kw + 1)
        p = patches(xp, (kh, kw))
        return p, out_hw

    @jax.custom_jvp
    def conv(x, w):
        p, out_hw = forward(x, w)
        return _apply_patches(p, w, out_hw)

    def conv_jvp(primals, tangents):
        x, w = primals
        tx, tw = tangents
        p, out_hw = forward(x, w)
        y = _apply_patches(p, w, out_hw)
        parts = []
        if not isinstance(tx, SymbolicZero):
            # The native convolution's transpose is XLA's input-gradient convolution;
            # the transpose of the patch construction would be a slow scatter of pads.
            parts.append(_native(tx, w, padding))
        if not isinstance(tw, SymbolicZero):
            parts.append(_weight_tangent(p, tw, out_hw))
        if not parts:
            return y, jnp.zeros_like(y)
        return y, parts[0] if len(parts) == 1 else parts[0] + parts[1]

    conv.defjvp(conv_jvp, symbolic_zeros=True)
    _CACHE[padding] = conv
    return conv
