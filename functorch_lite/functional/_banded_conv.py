"""A stride-1 convolution as one matmul against a banded weight matrix, for XLA:CPU.

XLA:CPU runs `conv_general_dilated`, and above all its two gradients, slowly for small
images. Here `rows[(n, y, g), (a, c, u)] = x[n, c, y + a, g * B + u]` gathers each output
row's inputs block by block (B output columns per block) and
`band[(a, c, u), (o, x)] = w[o, c, a, u - x]` is the same for every block, so
`rows @ band` is the whole convolution and autodiff turns both gradients into GEMMs plus
cheap copies. The algorithm, the choice of B and the measurements: benchmarks/README.md.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._precision import matmul_precision

Pair = tuple[int, int]
Padding = tuple[tuple[int, int], tuple[int, int]]


# The gathered rows hold about `kH * (B + kW - 1) / B` copies of the input (6 for a 3x3
# kernel) and are materialised; above this many elements XLA's native convolution, which
# tiles its own im2col, is used instead so memory stays bounded.
MAX_ROWS_ELEMENTS = 1 << 26


def accepts(x: jax.Array, w: jax.Array, stride: Pair, padding: Padding, dilation: Pair, groups: int) -> bool:
    """Whether `conv2d` handles this convolution: stride 1, no dilation, no groups, real
    floating dtype, and gathered rows of at most `MAX_ROWS_ELEMENTS` elements."""
    if not (
        jnp.issubdtype(x.dtype, jnp.floating) and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1) and groups == 1
    ):
        return False
    return rows_elements(x.shape, w.shape, padding) <= MAX_ROWS_ELEMENTS


def rows_elements(x_shape: tuple[int, ...], w_shape: tuple[int, ...], padding: Padding) -> int:
    """How many elements `conv2d` gathers for these shapes (0 for an empty output)."""
    n, c = x_shape[:2]
    kh, kw = w_shape[2:]
    ho, wo = _output_size(x_shape, w_shape, padding)
    if ho <= 0 or wo <= 0:
        return 0
    return _gathered(n, c, ho, wo, kh, kw, block_width(n, c, ho, wo, kh, kw))


def _output_size(x_shape: tuple[int, ...], w_shape: tuple[int, ...], padding: Padding) -> Pair:
    (top, bottom), (left, right) = padding
    return x_shape[2] + top + bottom - w_shape[2] + 1, x_shape[3] + left + right - w_shape[3] + 1


def _gathered(n: int, c: int, ho: int, wo: int, kh: int, kw: int, block: int) -> int:
    return n * ho * -(-wo // block) * kh * c * (block + kw - 1)


# Above this many gathered elements a short output row is computed as one block.
WHOLE_ROW_ABOVE = 1 << 20


def block_width(n: int, c: int, ho: int, wo: int, kh: int, kw: int) -> int:
    """Output columns per block: kW - 1 (at least 1, at most the output width).

    A whole output row becomes one block instead when its band wastes at most 3x the
    multiplies (`Wo + kW - 1 <= 3 kW`) and the narrow blocks would gather more than
    `WHOLE_ROW_ABOVE` elements: the whole-row gather is smaller (no overlap between
    blocks), which is faster once it no longer fits the caches and keeps the step's
    scratch memory lower (figures in benchmarks/README.md).
    """
    narrow = max(1, min(kw - 1, wo))
    if wo + kw - 1 <= 3 * kw and _gathered(n, c, ho, wo, kh, kw, narrow) > WHOLE_ROW_ABOVE:
        return wo
    return narrow


def band_matrix(w: jax.Array, block: int) -> jax.Array:
    """(O, C, kH, kW) -> (kH * C * win, O * block) with `band[(a, c, u), (o, x)] = w[o, c, a, u - x]`."""
    o, c, kh, kw = w.shape
    win = block + kw - 1
    u = np.arange(win)[:, None, None]
    x = np.arange(block)[None, :, None]
    b = np.arange(kw)[None, None, :]
    selector = jnp.asarray(u - x == b, w.dtype)  # (win, block, kW): which tap lands where
    band = jnp.einsum("ocab,uxb->acuox", w, selector, precision=matmul_precision())
    return band.reshape(kh * c * win, o * block)


def conv2d(x: jax.Array, w: jax.Array, padding: Padding) -> jax.Array:
    """Stride-1, ungrouped NCHW x OIHW cross-correlation with explicit (low, high) padding."""
    (top, bottom), (left, right) = padding
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    ho, wo = _output_size(x.shape, w.shape, padding)
    block = block_width(n, c, ho, wo, kh, kw)
    groups = -(-wo // block)
    extra = groups * block - wo  # the last block computes junk columns, cropped below
    if top or bottom or left or right or extra:
        x = jnp.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right + extra)))
    win = block + kw - 1
    xt = x.transpose(0, 2, 1, 3)  # (N, H, C, W): an input row of all channels is contiguous
    if groups == 1:
        cols = xt[:, :, None, :, :win]
    else:
        cols = jnp.stack([xt[..., g * block : g * block + win] for g in range(groups)], axis=2)
    # (N, Ho, G, kH, C, win): output row y takes input rows y .. y + kH - 1.
    rows = jnp.stack([cols[:, a : a + ho] for a in range(kh)], axis=3)
    rows = rows.reshape(n * ho * groups, kh * c * win)
    y = jnp.dot(rows, band_matrix(w, block), precision=matmul_precision())
    y = y.reshape(n, ho, groups, o, block).transpose(0, 3, 1, 2, 4).reshape(n, o, ho, groups * block)
    return y[..., :wo] if extra else y
