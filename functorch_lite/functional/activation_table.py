"""Elementwise activations and small vector ops of `torch.nn.functional`, one table row each.

Each row is a pure function on jax arrays with torch.nn.functional's name, arguments and
defaults (safe under `jit`/`grad`/`vmap`); `nn.functional` wraps every row through the autograd
dispatcher. `ACTIVATIONS` maps the name to the function.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _f(x):
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(jnp.float32)


def silu(input, inplace=False):
    return jax.nn.silu(input)


def elu(input, alpha=1.0, inplace=False):
    return jnp.where(input > 0, input, alpha * jnp.expm1(jnp.minimum(input, 0)))


def celu(input, alpha=1.0, inplace=False):
    return jnp.where(input > 0, input, alpha * jnp.expm1(jnp.minimum(input, 0) / alpha))


def selu(input, inplace=False):
    return 1.0507009873554804934193349852946 * elu(input, 1.6732632423543772848170429916717)


def softplus(input, beta=1.0, threshold=20.0):
    scaled = input * beta
    return jnp.where(scaled > threshold, input, jnp.logaddexp(scaled, 0.0) / beta)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return jnp.clip(input, min_val, max_val)


def relu6(input, inplace=False):
    return jnp.clip(input, 0.0, 6.0)


def hardsigmoid(input, inplace=False):
    return jnp.clip(input / 6.0 + 0.5, 0.0, 1.0)


def hardswish(input, inplace=False):
    return input * jnp.clip(input / 6.0 + 0.5, 0.0, 1.0)


def logsigmoid(input):
    return jax.nn.log_sigmoid(input)


def mish(input, inplace=False):
    return input * jnp.tanh(jnp.logaddexp(input, 0.0))


def softsign(input):
    return input / (1 + jnp.abs(input))


def tanhshrink(input):
    return input - jnp.tanh(input)


def threshold(input, threshold, value, inplace=False):
    return jnp.where(input > threshold, input, jnp.asarray(value, input.dtype))


def softshrink(input, lambd=0.5):
    return jnp.where(input > lambd, input - lambd, jnp.where(input < -lambd, input + lambd, 0.0)).astype(input.dtype)


def hardshrink(input, lambd=0.5):
    return jnp.where(jnp.abs(input) > lambd, input, 0.0).astype(input.dtype)


def glu(input, dim=-1):
    a, b = jnp.split(input, 2, axis=dim)
    return a * jax.nn.sigmoid(b)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    x = input if dtype is None else input.astype(dtype)
    axis = dim if dim is not None else (0 if x.ndim in (0, 1, 3) else 1)
    return jax.nn.softmax(-x, axis=axis) if x.ndim else jax.nn.softmax(-x[None], axis=0)[0]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    norm = jnp.linalg.vector_norm(input, ord=p, axis=dim, keepdims=True) if input.ndim else jnp.abs(input)
    return input / jnp.maximum(norm, eps)


def _norm_at_least(x, dim, eps):
    """|x| along `dim` (kept), at least `eps`; the clamp is invisible to the gradient, as in PyTorch."""
    squares = jnp.sum(x * x, axis=dim, keepdims=True)
    norm = jnp.where(squares > 0, jnp.sqrt(jnp.where(squares > 0, squares, 1.0)), 0.0)  # gradient 0 at 0
    return norm + jax.lax.stop_gradient(jnp.maximum(norm, eps) - norm)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    x1, x2 = jnp.broadcast_arrays(_f(x1), _f(x2))
    if x1.ndim == 0:  # PyTorch takes dim 0 / -1 of a 0-d pair as a length-1 vector
        return cosine_similarity(x1.reshape(1), x2.reshape(1), dim, eps).reshape(())
    # Each vector is divided by its clamped norm first (PyTorch's order): the result stays in [-1, 1].
    return jnp.sum((x1 / _norm_at_least(x1, dim, eps)) * (x2 / _norm_at_least(x2, dim, eps)), axis=dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    diff = x1 - x2 + eps
    ndim = max(jnp.ndim(x1), jnp.ndim(x2))
    if ndim == 0:
        return jnp.abs(diff)
    return jnp.linalg.vector_norm(diff, ord=p, axis=-1, keepdims=keepdim)


def pixel_shuffle(input, upscale_factor):
    r = upscale_factor
    *batch, c, h, w = input.shape
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    n = len(batch)
    x = jnp.transpose(x, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    r = downscale_factor
    *batch, c, h, w = input.shape
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    n = len(batch)
    x = jnp.transpose(x, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    n, c, *rest = input.shape
    return input.reshape(n, groups, c // groups, *rest).swapaxes(1, 2).reshape(input.shape)


def prelu(input, weight):
    shape = (1, -1) + (1,) * (input.ndim - 2) if input.ndim >= 2 and weight.size > 1 else ()
    return jnp.where(input > 0, input, weight.reshape(shape) * input if shape else weight * input)


def bilinear(input1, input2, weight, bias=None):
    out = jnp.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out + bias if bias is not None else out


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input, pad, mode="constant", value=None):
    """PyTorch's pad: (left, right) pairs from the last dim backwards; negative amounts crop."""
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: pad must have an even length of at most 2 * {input.ndim}, got {tuple(pad)}")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {sorted(_PAD_MODES)}, got {mode!r}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    positive = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    kwargs = {"constant_values": 0 if value is None else value} if mode == "constant" else {}
    out = jnp.pad(input, positive, mode=_PAD_MODES[mode], **kwargs)
    crop = tuple(slice(max(-lo, 0), out.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(widths))
    return out[crop]


ACTIVATIONS = {
    f.__name__: f
    for f in (
        silu, elu, celu, selu, softplus, hardtanh, relu6, hardsigmoid, hardswish, logsigmoid, mish, softsign,
        tanhshrink, threshold, softshrink, hardshrink, glu, softmin, normalize, cosine_similarity,
        pairwise_distance, pixel_shuffle, pixel_unshuffle, channel_shuffle, pad, prelu,
        bilinear,
    )
}  # fmt: skip
