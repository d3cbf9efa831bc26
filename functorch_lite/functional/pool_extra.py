"""Pools that return their argmax indices, LP pools, fractional max pools and max unpooling.

Max pools with `return_indices` gather each window through a static index table (flat
positions into the spatial dims, PyTorch's index convention) and take the first maximum;
fractional max pools build that table from their random samples, which come explicitly
(`_random_samples`, or drawn from `key`). `OPS` maps torch.nn.functional names to the functions.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .conv_pool_nd import OPS as ND_OPS
from .conv_pool_nd import _batched, _pool_pads, _tuple, _tuple_or_none
from .pooling import avg_pool2d


def _low(dtype):
    return -np.inf if jnp.issubdtype(dtype, jnp.floating) else int(jnp.iinfo(dtype).min)


def _table(positions, sizes):
    """Per-axis (out, k) positions -> flat (O, K) indices and validity over the spatial dims."""
    n = len(positions)
    flat, valid = np.zeros((), np.int64), np.ones((), bool)
    for axis, (pos, size) in enumerate(zip(positions, sizes)):
        shape = [1] * (2 * n)
        shape[axis], shape[n + axis] = pos.shape
        p = pos.reshape(shape)
        flat = flat * size + np.clip(p, 0, size - 1)
        valid = valid & (p >= 0) & (p < size)
    out = [p.shape[0] for p in positions]
    o, k = int(np.prod(out)), int(np.prod([p.shape[1] for p in positions]))
    flat, valid = np.broadcast_to(flat, (*out, *flat.shape[n:])), np.broadcast_to(valid, flat.shape)
    return flat.reshape(o, k), valid.reshape(o, k), tuple(out)


def _gather_max(x, index, valid, out_shape):
    """Max over each window's gathered values; returns (values, flat indices) shaped (N, C, *out)."""
    n, c = x.shape[:2]
    xf = x.reshape(n, c, -1)
    if index.ndim == 2:  # one static table for every plane
        gathered = jnp.take(xf, jnp.asarray(index.reshape(-1)), axis=2).reshape(n, c, *index.shape)
        index = jnp.broadcast_to(jnp.asarray(index), (n, c, *index.shape))
    else:  # per-plane tables (fractional pooling)
        gathered = jnp.take_along_axis(xf, index.reshape(n, c, -1), axis=2).reshape(index.shape)
    if valid is not None:
        gathered = jnp.where(jnp.asarray(valid), gathered, _low(x.dtype))
    arg = jnp.argmax(gathered, axis=-1)[..., None]
    values = jnp.take_along_axis(gathered, arg, axis=-1)[..., 0]
    indices = jnp.take_along_axis(index, arg, axis=-1)[..., 0]
    return values.reshape(n, c, *out_shape), indices.reshape(n, c, *out_shape)


def _max_pool_with_indices(n):
    def max_pool_with_indices(
        input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True
    ):
        x, unbatched = _batched(input, n)
        kernel = _tuple(kernel_size, n)
        stride = kernel if stride is None or stride == [] else _tuple(stride, n)
        padding, dilation = _tuple(padding, n), _tuple(dilation, n)
        sizes = x.shape[2:]
        pads = _pool_pads(sizes, kernel, stride, padding, dilation, ceil_mode)
        positions = []
        for size, k, s, d, (lo, hi) in zip(sizes, kernel, stride, dilation, pads):
            out = (size + lo + hi - d * (k - 1) - 1) // s + 1
            positions.append(np.arange(out)[:, None] * s - lo + np.arange(k)[None, :] * d)
        index, valid, out_shape = _table(positions, sizes)
        values, indices = _gather_max(x, index, valid, out_shape)
        return (values[0], indices[0]) if unbatched else (values, indices)

    max_pool_with_indices.__name__ = f"max_pool{n}d_with_indices"
    return max_pool_with_indices


def _adaptive_max_with_indices(n):
    def adaptive_max_pool_with_indices(input, output_size, return_indices=True):
        x, unbatched = _batched(input, n)
        sizes = x.shape[2:]
        targets = [s if o is None else int(o) for s, o in zip(sizes, _tuple_or_none(output_size, n))]
        positions = []
        for size, o in zip(sizes, targets):
            start = (np.arange(o) * size) // o
            end = -((-(np.arange(o) + 1) * size) // o)
            width = int((end - start).max()) if o else 1
            pos = start[:, None] + np.arange(width)[None, :]
            positions.append(np.where(pos < end[:, None], pos, -1))
        index, valid, out_shape = _table(positions, sizes)
        values, indices = _gather_max(x, index, valid, out_shape)
        return (values[0], indices[0]) if unbatched else (values, indices)

    adaptive_max_pool_with_indices.__name__ = f"adaptive_max_pool{n}d_with_indices"
    return adaptive_max_pool_with_indices


def _lp_pool(n):
    avg = {1: ND_OPS["avg_pool1d"], 2: avg_pool2d, 3: ND_OPS["avg_pool3d"]}[n]

    def lp_pool(input, norm_type, kernel_size, stride=None, ceil_mode=False):
        kernel = _tuple(kernel_size, n)
        stride = kernel if stride is None else _tuple(stride, n)
        out = avg(jnp.power(input, norm_type), kernel, stride, 0, ceil_mode)
        magnitude = jnp.abs(out)
        # PyTorch's relu lets a NaN gradient through (its mask is `x <= 0`); jax.nn.relu would stop it.
        magnitude = jnp.where(magnitude <= 0, 0.0, magnitude)
        return (jnp.sign(out) * magnitude * float(np.prod(kernel))) ** (1.0 / norm_type)

    lp_pool.__name__ = f"lp_pool{n}d"
    return lp_pool


def _sample_order(n):
    # PyTorch's kernels read sample 0 for W and 1 for H in 2-D, and (T, H, W) in order in 3-D.
    return (1, 0) if n == 2 else (0, 1, 2)


def _fractional_max_pool(n):
    def fractional_max_pool(
        input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None, *, key=None
    ):
        op = f"fractional_max_pool{n}d"
        x, unbatched = _batched(input, n)
        kernel, sizes = _tuple(kernel_size, n), x.shape[2:]
        if output_size is None:
            if output_ratio is None:
                raise ValueError(
                    f"{op}: fractional_max_pool requires specifying either an output_size or an output_ratio"
                )
            ratio = output_ratio if isinstance(output_ratio, (list, tuple)) else (output_ratio,) * n
            output_size = [int(s * float(r)) for s, r in zip(sizes, ratio)]
        outs = _tuple(output_size, n)
        for s, k, o in zip(sizes, kernel, outs):
            if o + k - 1 > s:
                raise ValueError(f"{op}: output_size {outs} with kernel_size {kernel} is too large for input {sizes}")
        if _random_samples is None:
            if key is None:
                raise ValueError(f"{op}: needs _random_samples or key= (a PRNG key)")
            samples = jax.random.uniform(key, (x.shape[0], x.shape[1], n), x.dtype)
        else:
            samples = jnp.asarray(_random_samples).astype(x.dtype).reshape(x.shape[0], x.shape[1], n)
        flat = jnp.zeros((), jnp.int32)
        for axis, (size, k, o, which) in enumerate(zip(sizes, kernel, outs, _sample_order(n))):
            u = samples[..., which][..., None]
            i = jnp.arange(o, dtype=x.dtype)
            alpha = np.asarray((size - k) / (o - 1) if o > 1 else 0.0, np.float32).astype(x.dtype)
            start = jnp.floor((i + u) * alpha).astype(jnp.int32) - jnp.floor(u * alpha).astype(jnp.int32)
            start = jnp.where(jnp.arange(o) == o - 1, size - k, start)
            pos = start[..., :, None] + jnp.arange(k)  # (N, C, o, k)
            shape = [x.shape[0], x.shape[1]] + [1] * (2 * n)
            shape[2 + axis], shape[2 + n + axis] = o, k
            flat = flat * size + pos.reshape(shape)
        index = jnp.broadcast_to(flat, (x.shape[0], x.shape[1], *outs, *kernel))
        index = index.reshape(x.shape[0], x.shape[1], int(np.prod(outs)), int(np.prod(kernel)))
        values, indices = _gather_max(x, index, None, outs)
        if unbatched:
            values, indices = values[0], indices[0]
        return (values, indices) if return_indices else values

    fractional_max_pool.__name__ = f"fractional_max_pool{n}d"
    return fractional_max_pool


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _unpool_rows(values, indices, size):
    """(R, L) values written at their flat (R, L) indices into (R, size) zeros."""
    out = jnp.zeros((values.shape[0], size), values.dtype)
    return out.at[jnp.arange(values.shape[0])[:, None], indices].set(values)


def _unpool_rows_fwd(values, indices, size):
    return _unpool_rows(values, indices, size), indices


def _unpool_rows_bwd(size, indices, grad):
    # PyTorch's gradient gathers at every index, so two values unpooled to one place both get it
    # (the derivative of a scatter-set would give it to the one written last only).
    return jnp.take_along_axis(grad, indices, axis=1), None


_unpool_rows.defvjp(_unpool_rows_fwd, _unpool_rows_bwd)


def _max_unpool(n):
    def max_unpool(input, indices, kernel_size, stride=None, padding=0, output_size=None):
        x, unbatched = _batched(input, n)
        idx = indices[None] if unbatched else indices
        kernel = _tuple(kernel_size, n)
        stride = kernel if stride is None else _tuple(stride, n)
        padding = _tuple(padding, n)
        if output_size is None:
            sizes = [(s - 1) * st - 2 * p + k for s, st, p, k in zip(x.shape[2:], stride, padding, kernel)]
        else:
            sizes = [int(s) for s in tuple(output_size)[-n:]]
        rows = x.shape[0] * x.shape[1]
        out = _unpool_rows(x.reshape(rows, -1), idx.reshape(rows, -1).astype(jnp.int32), int(np.prod(sizes)))
        out = out.reshape(*x.shape[:2], *sizes)
        return out[0] if unbatched else out

    max_unpool.__name__ = f"max_unpool{n}d"
    return max_unpool


OPS = {
    f.__name__: f
    for f in (
        *(_max_pool_with_indices(n) for n in (1, 2, 3)),
        *(_adaptive_max_with_indices(n) for n in (1, 2, 3)),
        *(_lp_pool(n) for n in (1, 2, 3)),
        *(_fractional_max_pool(n) for n in (2, 3)),
        *(_max_unpool(n) for n in (1, 2, 3)),
    )
}
