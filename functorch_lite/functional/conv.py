"""`conv2d` with torch.nn.functional's signature, semantics and layouts (NCHW, OIHW).

`conv_options` normalises the configuration (stride, padding, dilation, groups) once;
the `Conv2d` layer calls it at construction and the op on every call, so each check
is written once. `_conv2d_args` adds what depends on the arrays.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax

from .. import _checks
from . import _lowering

Pairs = tuple[tuple[int, int], tuple[int, int]]


class ConvOptions(NamedTuple):
    """A convolution's configuration in canonical form: pairs of ints, padding as (low, high) pairs."""

    stride: tuple[int, int]
    padding: Pairs
    dilation: tuple[int, int]
    groups: int


def conv_padding(
    padding: Any,
    kernel: tuple[int, int],
    dilation: tuple[int, int],
    stride: tuple[int, int],
    op: str,
    *,
    accepted: str = "an int, a pair of ints, 'valid' or 'same'",
    shown_stride: Any = None,
) -> Pairs:
    """PyTorch's padding argument (int, pair, 'valid', 'same') as explicit (low, high) pairs.

    `accepted` and `shown_stride` only shape the error messages (the layer words them
    as PyTorch's constructor does and shows the stride as given).
    """
    if not isinstance(padding, str):
        ph, pw = _checks.pair(padding, "padding", op)
        return ((ph, ph), (pw, pw))
    if padding not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be {accepted}, got {padding!r}")
    if padding == "same" and stride != (1, 1):
        shown = stride if shown_stride is None else shown_stride
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions, got stride={shown}")
    totals = [d * (k - 1) if padding == "same" else 0 for k, d in zip(kernel, dilation, strict=True)]
    return tuple((t // 2, t - t // 2) for t in totals)  # PyTorch puts the odd pixel at the end


def conv_options(
    kernel: tuple[int, int], stride: Any, padding: Any, dilation: Any, groups: Any, op: str, **padding_message: Any
) -> ConvOptions:
    """Checks and normalises stride, padding, dilation and groups for a (kH, kW) kernel."""
    groups = _checks.positive_int(groups, "groups", op)
    stride = _checks.pair(stride, "stride", op, minimum=1)
    dilation = _checks.pair(dilation, "dilation", op, minimum=1)
    return ConvOptions(stride, conv_padding(padding, kernel, dilation, stride, op, **padding_message), dilation, groups)


def _conv2d_args(input, weight, bias, stride, padding, dilation, groups, op="conv2d"):
    """Checked arrays and options of one conv2d call; the input as a batch (N, C, H, W)."""
    x = _checks.as_array(input, "input", op)
    w = _checks.as_array(weight, "weight", op)
    _checks.rank(w, (4,), "weight", op, "(out_channels, in_channels / groups, kH, kW)")
    _checks.rank(x, (3, 4), "input", op, "(N, C, H, W) or (C, H, W)")
    _checks.floating(x, "input", op)
    _checks.same_dtype(x, w, "input and weight", op)
    out_channels, in_per_group, *kernel = (int(s) for s in w.shape)
    options = conv_options(tuple(kernel), stride, padding, dilation, groups, op)
    if out_channels % options.groups:
        raise ValueError(f"{op}: out_channels ({out_channels}) must be divisible by groups ({options.groups})")
    if x.shape[-3] != in_per_group * options.groups:
        raise ValueError(
            f"{op}: expected input with {in_per_group * options.groups} channels (weight {tuple(w.shape)}, "
            f"groups={options.groups}), got input of shape {tuple(x.shape)}"
        )
    for axis, (size, (lo, hi), k, d) in enumerate(
        zip(x.shape[-2:], options.padding, kernel, options.dilation, strict=True)
    ):
        if size + lo + hi < d * (k - 1) + 1:
            raise ValueError(
                f"{op}: padded input size {size + lo + hi} along spatial dim {axis} is smaller than the "
                f"(dilated) kernel size {d * (k - 1) + 1}; input shape {tuple(x.shape)}"
            )
    b = None if bias is None else _checks.as_array(bias, "bias", op)
    if b is not None and b.shape != (out_channels,):
        raise ValueError(f"{op}: expected bias of shape ({out_channels},), got {tuple(b.shape)}")
    unbatched = x.ndim == 3
    return (x[None] if unbatched else x), w, b, options, unbatched


def conv2d(
    input: jax.Array,
    weight: jax.Array,
    bias: jax.Array | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> jax.Array:
    """2-D cross-correlation, as `torch.nn.functional.conv2d`.

    Args:
        input: (N, C_in, H, W) or unbatched (C_in, H, W), floating point.
        weight: (C_out, C_in / groups, kH, kW), of the input's dtype.
        bias: (C_out,) or None.
        stride, padding, dilation: an int or a pair; padding may also be 'valid' or 'same'.

    Returns:
        (N, C_out, H_out, W_out), or (C_out, H_out, W_out) for an unbatched input.
    """
    x, w, b, opts, unbatched = _conv2d_args(input, weight, bias, stride, padding, dilation, groups)
    y = _lowering.conv2d_nchw(x, w, opts.stride, opts.padding, opts.dilation, opts.groups)
    y = y if b is None else y + b[:, None, None]
    return y[0] if unbatched else y
