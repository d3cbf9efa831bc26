"""N-d convolutions, transposed convolutions, pooling and normalisations of `torch.nn.functional`.

Written once for any number of spatial dims over `lax.conv_general_dilated` and `lax.reduce_window`
(NC... layouts, PyTorch's weight layouts), so `conv1d`/`conv3d`/`conv_transpose{1,2,3}d`,
`{avg,max}_pool{1,3}d`, `adaptive_*_pool{1,3}d` and `{group,instance,rms}_norm` are one row each.
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np


def _tuple(value, n):
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value) * (n if len(value) == 1 else 1)
    return (int(value),) * n


def _batched(x, n):
    """Adds the batch dim to unbatched (C, *spatial) input; returns (x, unbatched)."""
    unbatched = x.ndim == n + 1
    return (x[None] if unbatched else x), unbatched


def _conv(n):
    def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        x, unbatched = _batched(input, n)
        stride, dilation = _tuple(stride, n), _tuple(dilation, n)
        if isinstance(padding, str):
            pads = padding.upper()
            if pads == "SAME":
                total = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
                pads = [(t // 2, t - t // 2) for t in total]
        else:
            pads = [(p, p) for p in _tuple(padding, n)]
        spec = jax.lax.conv_dimension_numbers(x.shape, weight.shape, _layout(n))
        out = jax.lax.conv_general_dilated(
            x, weight, stride, pads, rhs_dilation=dilation, dimension_numbers=spec, feature_group_count=groups
        )
        if bias is not None:
            out = out + bias.reshape((1, -1) + (1,) * n)
        return out[0] if unbatched else out

    conv.__name__ = f"conv{n}d"
    return conv


def _layout(n):
    spatial = "DHW"[-n:] if n <= 3 else None
    return ("NC" + spatial, "OI" + spatial, "NC" + spatial)


def _conv_transpose(n):
    def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        x, unbatched = _batched(input, n)
        stride, padding = _tuple(stride, n), _tuple(padding, n)
        output_padding, dilation = _tuple(output_padding, n), _tuple(dilation, n)
        c_in, c_out_g = weight.shape[0], weight.shape[1]
        kernel = weight.shape[2:]
        # (C_in, C_out/g, k...) -> (C_out, C_in/g, k...) flipped: the gradient of a forward conv.
        w = weight.reshape(groups, c_in // groups, c_out_g, *kernel)
        w = jnp.swapaxes(w, 1, 2).reshape(groups * c_out_g, c_in // groups, *kernel)
        w = jnp.flip(w, axis=tuple(range(2, 2 + n)))
        pads = [
            (d * (k - 1) - p, d * (k - 1) - p + op) for k, p, op, d in zip(kernel, padding, output_padding, dilation)
        ]
        spec = jax.lax.conv_dimension_numbers(x.shape, w.shape, _layout(n))
        out = jax.lax.conv_general_dilated(
            x, w, (1,) * n, pads, lhs_dilation=stride, rhs_dilation=dilation, dimension_numbers=spec,
            feature_group_count=groups,
        )  # fmt: skip
        if bias is not None:
            out = out + bias.reshape((1, -1) + (1,) * n)
        return out[0] if unbatched else out

    conv_transpose.__name__ = f"conv_transpose{n}d"
    return conv_transpose


def _pool_pads(size, kernel, stride, padding, dilation, ceil_mode):
    pads = []
    for s, k, st, p, d in zip(size, kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        out = (s + 2 * p - span) / st + 1
        out = math.ceil(out) if ceil_mode else math.floor(out)
        if ceil_mode and (out - 1) * st >= s + p:
            out -= 1
        pads.append((p, max((out - 1) * st + span - s - p, p)))
    return pads


def _dilated_max_pool(x, kernel, stride, pads, dilation):
    """Max over strided slices of the -inf padded input, one slice per window tap.

    JAX has no reverse-mode rule for a `reduce_window` max with window dilation; this form
    differentiates, and sends each window's gradient to its first maximum, as PyTorch does."""
    padded = jnp.pad(x, [(0, 0), (0, 0), *pads], constant_values=-jnp.inf)
    sizes = [
        (size + lo + hi - d * (k - 1) - 1) // s + 1
        for size, (lo, hi), k, s, d in zip(x.shape[2:], pads, kernel, stride, dilation)
    ]
    taps = []
    for offsets in itertools.product(*(range(k) for k in kernel)):
        start = [o * d for o, d in zip(offsets, dilation)]
        limit = [b + max((out - 1) * s + 1, 0) for b, out, s in zip(start, sizes, stride)]
        taps.append(jax.lax.slice(padded, (0, 0, *start), (*x.shape[:2], *limit), (1, 1, *stride)))
    taps = jnp.stack(taps)
    return jnp.take_along_axis(taps, jnp.argmax(taps, axis=0)[None], axis=0)[0]


def _max_pool(n):
    def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
        if return_indices:
            raise ValueError(f"max_pool{n}d: return_indices=True is not supported")
        x, unbatched = _batched(input, n)
        kernel = _tuple(kernel_size, n)
        stride = kernel if stride is None or stride == [] else _tuple(stride, n)
        padding, dilation = _tuple(padding, n), _tuple(dilation, n)
        pads = _pool_pads(x.shape[2:], kernel, stride, padding, dilation, ceil_mode)
        if any(d != 1 for d in dilation) and jnp.issubdtype(x.dtype, jnp.floating):
            out = _dilated_max_pool(x, kernel, stride, pads, dilation)
            return out[0] if unbatched else out
        # A Python scalar init lets jax recognise the differentiable max-pool primitive.
        init = -np.inf if jnp.issubdtype(x.dtype, jnp.floating) else int(jnp.iinfo(x.dtype).min)
        out = jax.lax.reduce_window(
            x, init, jax.lax.max, (1, 1) + kernel, (1, 1) + stride, [(0, 0), (0, 0)] + pads,
            window_dilation=(1, 1) + dilation,
        )  # fmt: skip
        return out[0] if unbatched else out

    max_pool.__name__ = f"max_pool{n}d"
    return max_pool


def _avg_pool(n):
    def avg_pool(
        input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
    ):
        x, unbatched = _batched(input, n)
        kernel = _tuple(kernel_size, n)
        stride = kernel if stride is None or stride == [] else _tuple(stride, n)
        padding = _tuple(padding, n)
        pads = _pool_pads(x.shape[2:], kernel, stride, padding, (1,) * n, ceil_mode)
        window = ((1, 1) + kernel, (1, 1) + stride, [(0, 0), (0, 0)] + pads)
        total = jax.lax.reduce_window(x, 0.0, jax.lax.add, *window)
        if divisor_override is not None:
            out = total / divisor_override
        else:
            # Count the elements each window covers: inside the input, plus explicit padding if included;
            # never the extra right padding that ceil_mode adds.
            ones = np.ones(x.shape[2:], np.float32)
            if count_include_pad:
                ones = np.pad(ones, [(p, p) for p in padding], constant_values=1.0)
                inner = [(0, hi - p) for (lo, hi), p in zip(pads, padding)]
            else:
                inner = pads
            counts = jax.lax.reduce_window(
                jnp.asarray(ones), 0.0, jax.lax.add, kernel, stride, [(lo, hi) for lo, hi in inner]
            )
            out = total / counts.astype(x.dtype)
        return out[0] if unbatched else out

    avg_pool.__name__ = f"avg_pool{n}d"
    return avg_pool


def _adaptive(n, reduce, name):
    def adaptive(input, output_size, return_indices=False):
        if return_indices:
            raise ValueError(f"{name}: return_indices=True is not supported")
        x, unbatched = _batched(input, n)
        sizes = x.shape[2:]
        target = [s if o is None else o for s, o in zip(sizes, _tuple_or_none(output_size, n))]
        out = x
        for axis, (size, o) in enumerate(zip(sizes, target)):
            d = axis + 2
            parts = [
                reduce(jax.lax.slice_in_dim(out, (i * size) // o, -(-((i + 1) * size) // o), axis=d), d)
                for i in range(o)
            ]
            out = jnp.stack(parts, axis=d) if parts else jnp.zeros(out.shape[:d] + (0,) + out.shape[d + 1 :], x.dtype)
        return out[0] if unbatched else out

    adaptive.__name__ = name
    return adaptive


def _tuple_or_none(value, n):
    if isinstance(value, (list, tuple)):
        return tuple(value) * (n if len(value) == 1 else 1)
    return (value,) * n


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    n, c = input.shape[:2]
    x = input.reshape(n, num_groups, -1)
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.var(x, axis=-1, keepdims=True)
    out = ((x - mean) * jax.lax.rsqrt(var + eps)).reshape(input.shape)
    shape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def instance_norm(
    input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-05
):
    axes = tuple(range(2, input.ndim))
    if use_input_stats or running_mean is None:
        mean = jnp.mean(input, axis=axes, keepdims=True)
        var = jnp.var(input, axis=axes, keepdims=True)
    else:
        shape = (1, -1) + (1,) * (input.ndim - 2)
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (input - mean) * jax.lax.rsqrt(var + eps)
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    axes = tuple(range(input.ndim - len(tuple(normalized_shape)), input.ndim))
    eps = jnp.finfo(input.dtype).eps if eps is None else eps
    out = input * jax.lax.rsqrt(jnp.mean(input * input, axis=axes, keepdims=True) + eps)
    return out * weight if weight is not None else out


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    squared = input * input
    pads = [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (input.ndim - 2)
    window = (1, size) + (1,) * (input.ndim - 2)
    summed = jax.lax.reduce_window(jnp.pad(squared, pads), 0.0, jax.lax.add, window, (1,) * input.ndim, "VALID")
    return input / (k + alpha * summed / size) ** beta


OPS = {
    f.__name__: f
    for f in (
        _conv(1), _conv(3), _conv_transpose(1), _conv_transpose(2), _conv_transpose(3), _max_pool(1), _max_pool(3),
        _avg_pool(1), _avg_pool(3), _adaptive(1, jnp.mean, "adaptive_avg_pool1d"),
        _adaptive(3, jnp.mean, "adaptive_avg_pool3d"), _adaptive(1, jnp.max, "adaptive_max_pool1d"),
        _adaptive(2, jnp.max, "adaptive_max_pool2d"), _adaptive(3, jnp.max, "adaptive_max_pool3d"), group_norm,
        instance_norm, rms_norm, local_response_norm,
    )
}  # fmt: skip
