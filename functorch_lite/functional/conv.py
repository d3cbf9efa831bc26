"""`conv2d` with torch.nn.functional's signature, semantics and layouts (NCHW, OIHW)."""

from __future__ import annotations

from typing import Any

import jax

from .. import _checks
from . import _lowering


def conv_padding(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int], stride: tuple[int, int], op: str):
    """PyTorch's padding argument (int, pair, 'valid', 'same') as explicit (low, high) pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions, got stride={stride}")
            pads = []
            for k, d in zip(kernel, dilation, strict=True):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))  # PyTorch puts the odd pixel at the end
            return tuple(pads)
        raise ValueError(f"{op}: padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
    ph, pw = _checks.pair(padding, "padding", op)
    return ((ph, ph), (pw, pw))


def conv2d(
    input: jax.Array,
    weight: jax.Array,
    bias: jax.Array | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> jax.Array:
    """2-D cross-correlation of `input` (N, C_in, H, W) or (C_in, H, W) with `weight`
    (C_out, C_in / groups, kH, kW), plus `bias` (C_out,). Returns (N, C_out, H_out, W_out)."""
    op = "conv2d"
    x = _checks.as_array(input, "input", op)
    w = _checks.as_array(weight, "weight", op)
    _checks.rank(w, (4,), "weight", op, "(out_channels, in_channels / groups, kH, kW)")
    _checks.rank(x, (3, 4), "input", op, "(N, C, H, W) or (C, H, W)")
    _checks.floating(x, "input", op)
    _checks.same_dtype(x, w, "input and weight", op)
    groups = _checks.positive_int(groups, "groups", op)
    stride = _checks.pair(stride, "stride", op, minimum=1)
    dilation = _checks.pair(dilation, "dilation", op, minimum=1)
    kernel = (int(w.shape[2]), int(w.shape[3]))
    pads = conv_padding(padding, kernel, dilation, stride, op)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    out_channels, in_per_group = int(w.shape[0]), int(w.shape[1])
    if out_channels % groups:
        raise ValueError(f"{op}: out_channels ({out_channels}) must be divisible by groups ({groups})")
    if x.shape[1] != in_per_group * groups:
        raise ValueError(
            f"{op}: expected input with {in_per_group * groups} channels (weight {tuple(w.shape)}, "
            f"groups={groups}), got input of shape {tuple(input.shape)}"
        )
    for axis, (size, (lo, hi), k, d) in enumerate(zip(x.shape[2:], pads, kernel, dilation, strict=True)):
        if size + lo + hi < d * (k - 1) + 1:
            raise ValueError(
                f"{op}: padded input size {size + lo + hi} along spatial dim {axis} is smaller than the "
                f"(dilated) kernel size {d * (k - 1) + 1}; input shape {tuple(input.shape)}"
            )
    y = _lowering.conv2d_nchw(x, w, stride, pads, dilation, groups)
    if bias is not None:
        b = _checks.as_array(bias, "bias", op)
        if b.shape != (out_channels,):
            raise ValueError(f"{op}: expected bias of shape ({out_channels},), got {tuple(b.shape)}")
        y = y + b[:, None, None]
    return y[0] if unbatched else y
