"""Table rows for `torch.masked`: reductions and normalisations that ignore masked-out elements.

As in PyTorch, masked-out elements are replaced by the reduction's identity (0 for sum, 1 for
prod, -inf for amax and softmax, ...) and the plain reduction runs; `mean` divides by the count
of kept elements. Gradients of masked-out elements are zero.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .math_ops import scalar_dims
from .op_table import SAME, OpDef


def _dims(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def _combine(x, mask, identity):
    if mask is None:
        return x
    if jnp.issubdtype(x.dtype, jnp.floating):
        fill = identity
    else:
        info = jnp.iinfo(x.dtype) if x.dtype != jnp.bool_ else None
        fill = {-jnp.inf: info.min, jnp.inf: info.max}.get(identity, identity) if info else identity
    return jnp.where(jnp.broadcast_to(mask, x.shape), x, jnp.asarray(fill, x.dtype))


def _reduction(f, identity):
    @scalar_dims
    def op(input, dim=None, *, keepdim=False, dtype=None, mask=None):
        x = _combine(input if dtype is None else input.astype(dtype), mask, identity)
        return f(x, axis=_dims(dim), keepdims=keepdim)

    return op


def _arg(f, identity):
    # torch.masked.argmax/argmin return the index in the input's dtype (or `dtype`), not int64.
    @scalar_dims
    def op(input, dim=None, *, keepdim=False, dtype=None, mask=None):
        x = _combine(input, mask, identity)
        out = f(x.reshape(-1)) if dim is None else f(x, axis=dim, keepdims=keepdim)
        return out.astype(input.dtype if dtype is None else dtype)

    return op


@scalar_dims
def _mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    x = input if dtype is None else input.astype(dtype)
    if mask is None:
        return jnp.mean(x, axis=_dims(dim), keepdims=keepdim)
    mask = jnp.broadcast_to(mask, x.shape)
    total = jnp.sum(jnp.where(mask, x, 0), axis=_dims(dim), keepdims=keepdim)
    return total / jnp.sum(mask, axis=_dims(dim), keepdims=keepdim).astype(total.dtype)


def _scan(f, identity):
    def op(input, dim, *, dtype=None, mask=None):
        return f(_combine(input if dtype is None else input.astype(dtype), mask, identity), axis=dim)

    return op


def _normalizer(f, identity):
    def op(input, dim, *, dtype=None, mask=None):
        return f(_combine(input if dtype is None else input.astype(dtype), mask, identity), axis=dim)

    return op


_MASKED = {
    "sum": _reduction(jnp.sum, 0), "prod": _reduction(jnp.prod, 1), "amax": _reduction(jnp.max, -jnp.inf),
    "amin": _reduction(jnp.min, jnp.inf), "argmax": _arg(jnp.argmax, -jnp.inf), "argmin": _arg(jnp.argmin, jnp.inf),
    "mean": _mean, "logsumexp": _reduction(jax.scipy.special.logsumexp, -jnp.inf),
    "cumsum": _scan(jnp.cumsum, 0), "cumprod": _scan(jnp.cumprod, 1),
    "softmax": _normalizer(jax.nn.softmax, -jnp.inf), "log_softmax": _normalizer(jax.nn.log_softmax, -jnp.inf),
    "softmin": _normalizer(lambda x, axis: jax.nn.softmax(-x, axis=axis), jnp.inf),
}  # fmt: skip

ROWS = [OpDef(n, f, "reduction", SAME, False, "masked") for n, f in _MASKED.items()]
