"""More `torch.masked` rows: `median`, `norm`, `var`, `std`, `normalize`, `logaddexp`.

As in `masked_table.py`, masked-out elements take the value that makes them vanish from the
reduction (NaN for `median`, 0 for norms and sums, -inf for `logaddexp`); `var`/`std` divide by the
count of kept elements less the correction. A 0-d input reduces over its one element.
"""

from __future__ import annotations

import jax.numpy as jnp

from .linalg_fft import _p_norm
from .op_table import SAME, OpDef


def _axes(x, dim):
    if dim is None:
        return tuple(range(x.ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(d % max(x.ndim, 1) for d in dims)


def _prepared(x, mask, dtype):
    x = x if dtype is None else x.astype(dtype)
    keep = jnp.ones(x.shape, bool) if mask is None else jnp.broadcast_to(mask, x.shape)
    return x, keep


def _zero_dim(op):
    """A 0-d input reduces as a 1-element vector (PyTorch accepts dim=0 there), then drops that dim."""

    def wrapped(x, *args, **kwargs):
        if x.ndim:
            return op(x, *args, **kwargs)
        mask = kwargs.get("mask")
        if mask is not None:
            kwargs["mask"] = jnp.reshape(mask, (1,))
        return op(x.reshape(1), *args, **kwargs).reshape(())

    return wrapped


@_zero_dim
def _median(x, dim=-1, *, keepdim=False, dtype=None, mask=None):
    x, keep = _prepared(x, mask, dtype)
    axis = dim % x.ndim
    ordered = jnp.sort(jnp.where(keep, x, jnp.nan), axis=axis)  # NaNs (masked out) sort last
    count = jnp.sum(keep, axis=axis, keepdims=True)
    middle = jnp.take_along_axis(ordered, jnp.maximum((count - 1) // 2, 0), axis=axis)
    middle = jnp.where(count > 0, middle, jnp.nan)
    return middle if keepdim else jnp.squeeze(middle, axis)


@_zero_dim
def _norm(x, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):  # noqa: A002 - PyTorch's name
    x, keep = _prepared(x, mask, dtype)
    x = jnp.where(keep, x, jnp.inf if ord == -jnp.inf else 0)
    return _p_norm(x, float(ord), _axes(x, dim), keepdim)  # torch's subgradient: 0 at an all-zero kept row


def _var_of(x, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    x, keep = _prepared(x, mask, dtype)
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = _axes(x, dim)
    count = jnp.sum(keep, axis=axes, keepdims=True).astype(x.dtype)
    mean = jnp.sum(jnp.where(keep, x, 0), axis=axes, keepdims=True) / count
    squares = jnp.sum(jnp.where(keep, (x - mean) ** 2, 0), axis=axes, keepdims=keepdim)
    count = count if keepdim else jnp.squeeze(count, axes)
    return squares / jnp.maximum(count - correction, 0)


_var = _zero_dim(_var_of)
_std = _zero_dim(lambda x, *args, **kwargs: jnp.sqrt(_var_of(x, *args, **kwargs)))


@_zero_dim
def _normalize(x, ord, dim, *, eps=1e-12, dtype=None, mask=None):  # noqa: A002 - PyTorch's name
    norm = _norm(x, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    x, keep = _prepared(x, mask, dtype)
    return jnp.where(keep, x, 0) / jnp.maximum(norm, eps)


def _logaddexp(x, other, *, dtype=None, input_mask=None, other_mask=None):
    x, keep = _prepared(x, input_mask, dtype)
    other, keep_other = _prepared(other, other_mask, dtype)
    return jnp.logaddexp(jnp.where(keep, x, -jnp.inf), jnp.where(keep_other, other, -jnp.inf))


_MASKED = {
    "median": _median, "norm": _norm, "var": _var, "std": _std, "normalize": _normalize, "logaddexp": _logaddexp,
}  # fmt: skip
ROWS = [OpDef(n, f, "reduction", SAME, False, "masked") for n, f in _MASKED.items()]
