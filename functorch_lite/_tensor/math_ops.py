"""The pure jax functions behind Tensor's math methods (see `arithmetic.py`).

They are module-level so they are stable keys of the dispatcher's cache, and their
names become `grad_fn` names (`mul` -> `MulBackward`). Activations call
`functorch_lite.functional`, the one source of their numerics.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from .. import functional as fn
from .._precision import matmul_precision
from ..autograd.dispatch import scalar_operands
from .shape_ops import ShapeError

# Python numbers passed to the elementwise ops marked `@numbers` are traced data (weakly typed
# jit inputs), not cache keys: `x * 0.1` and `x * 0.11` run one compiled program. `pow` traces
# float exponents only: an int exponent keeps its exact repeated-multiplication program.
numbers = scalar_operands(int, float)


def scalar_dims(f: Callable) -> Callable:
    """PyTorch accepts dim 0 / -1 on 0-d tensors: reduce a 1-element view, then drop its dim."""

    def wrapped(x, *args, **kwargs):
        x = jnp.asarray(x)
        if x.ndim:
            return f(x, *args, **kwargs)
        out = f(x.reshape(1), *args, **kwargs)
        return jax.tree_util.tree_map(lambda a: a.reshape(()) if a.size == 1 else a, out)

    wrapped.__name__ = getattr(f, "__name__", "op")
    return wrapped


# ---- pure functions (stable cache keys) -------------------------------------------------------
@numbers
def add(x, y, alpha=1):
    return x + y if _is_one(alpha) else x + alpha * y


@numbers
def sub(x, y, alpha=1):
    return x - y if _is_one(alpha) else x - alpha * y


def _is_one(alpha):
    """True for a static 1 (the default); a traced alpha always multiplies (exact for 1)."""
    return not isinstance(alpha, jax.core.Tracer) and alpha == 1


@numbers
def rsub(x, y):
    return y - x


@numbers
def mul(x, y):
    return x * y


@numbers
def div(x, y, rounding_mode=None):
    if rounding_mode is None:
        return jnp.true_divide(x, y)
    if rounding_mode == "floor":
        return jnp.floor_divide(x, y)
    if rounding_mode == "trunc":
        return jnp.trunc(jnp.true_divide(x, y)).astype(jnp.result_type(x, y))
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")


@numbers
def rdiv(x, y):
    return jnp.true_divide(y, x)


@numbers
def floor_divide(x, y):
    return jnp.floor_divide(x, y)


@numbers
def remainder(x, y):
    return jnp.remainder(x, y)


@scalar_operands(float)
def pow(x, exponent):  # noqa: A001 - torch's name
    return jnp.power(x, exponent)


@numbers
def rpow(x, base):
    return jnp.power(base, x)


def matmul(x, y):
    x, y = jnp.asarray(x), jnp.asarray(y)
    if x.ndim and y.ndim and x.shape[-1] != y.shape[-2 if y.ndim > 1 else 0]:
        # jax's "dot_general requires contracting dimensions" does not say which op or shapes.
        raise ShapeError(
            f"matmul: shapes {tuple(x.shape)} and {tuple(y.shape)} cannot be multiplied "
            f"({x.shape[-1]} != {y.shape[-2 if y.ndim > 1 else 0]})"
        )
    return jnp.matmul(x, y, precision=matmul_precision())


def neg(x):
    return -x


def _compare(name, op):
    @numbers
    def compare(x, y):
        return op(x, y)

    compare.__name__ = name
    return compare


eq, ne, lt, le, gt, ge = (
    _compare(n, o)
    for n, o in [
        ("eq", jnp.equal),
        ("ne", jnp.not_equal),
        ("lt", jnp.less),
        ("le", jnp.less_equal),
        ("gt", jnp.greater),
        ("ge", jnp.greater_equal),
    ]
)
logical_and, logical_or, logical_xor = (
    _compare(n, o)
    for n, o in [("bitwise_and", jnp.bitwise_and), ("bitwise_or", jnp.bitwise_or), ("bitwise_xor", jnp.bitwise_xor)]
)


def bitwise_not(x):
    return ~x


def exp(x):
    return jnp.exp(x)


def log(x):
    return jnp.log(x)


def sqrt(x):
    return jnp.sqrt(x)


def rsqrt(x):
    return jax.lax.rsqrt(x)


def abs(x):  # noqa: A001
    return jnp.abs(x)


def square(x):
    return jnp.square(x)


def sin(x):
    return jnp.sin(x)


def cos(x):
    return jnp.cos(x)


@numbers
def clamp(x, min=None, max=None):  # noqa: A002 - torch's argument names
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must not be None")
    return jnp.clip(x, min, max)


@numbers
def where(condition, x, y):
    return jnp.where(condition, x, y)


@numbers
def maximum(x, y):
    return jnp.maximum(x, y)


@numbers
def minimum(x, y):
    return jnp.minimum(x, y)


@scalar_dims
def sum(x, dim=None, keepdim=False, dtype=None):  # noqa: A001
    return jnp.sum(x, axis=dim, keepdims=keepdim, dtype=dtype)


@scalar_dims
def mean(x, dim=None, keepdim=False, dtype=None):
    return jnp.mean(x, axis=dim, keepdims=keepdim, dtype=dtype)


@scalar_dims
def prod(x, dim=None, keepdim=False, dtype=None):
    return jnp.prod(x, axis=dim, keepdims=keepdim, dtype=dtype)


@scalar_dims
def var(x, dim=None, correction=1, keepdim=False):
    return jnp.var(x, axis=dim, ddof=correction, keepdims=keepdim)


@scalar_dims
def std(x, dim=None, correction=1, keepdim=False):
    return jnp.std(x, axis=dim, ddof=correction, keepdims=keepdim)


@scalar_dims
def amax(x, dim=None, keepdim=False):
    return jnp.max(x, axis=dim, keepdims=keepdim)


@scalar_dims
def amin(x, dim=None, keepdim=False):
    return jnp.min(x, axis=dim, keepdims=keepdim)


@scalar_dims
def max_dim(x, dim, keepdim=False):
    indices = jnp.argmax(x, axis=dim, keepdims=True)
    values = jnp.take_along_axis(x, indices, axis=dim)  # gradient flows to the arg-max only
    if not keepdim:
        values, indices = jnp.squeeze(values, dim), jnp.squeeze(indices, dim)
    return values, indices


def min_dim(x, dim, keepdim=False):
    values, indices = max_dim(-x, dim, keepdim)
    return -values, indices


@scalar_dims
def argmax(x, dim=None, keepdim=False):
    if dim is None:
        return jnp.argmax(x.reshape(-1)).reshape((1,) * x.ndim if keepdim else ())
    return jnp.argmax(x, axis=dim, keepdims=keepdim)


def argmin(x, dim=None, keepdim=False):
    return argmax(-x, dim, keepdim)


@scalar_dims
def all(x, dim=None, keepdim=False):  # noqa: A001
    return jnp.all(x, axis=dim, keepdims=keepdim)


@scalar_dims
def any(x, dim=None, keepdim=False):  # noqa: A001
    return jnp.any(x, axis=dim, keepdims=keepdim)


def sigmoid(x):
    return fn.sigmoid(x)


def tanh(x):
    return fn.tanh(x)


def relu(x):
    return fn.relu(x)


@scalar_dims
def softmax(x, dim, dtype=None):
    return fn.softmax(x, dim, dtype)


@scalar_dims
def log_softmax(x, dim, dtype=None):
    return fn.log_softmax(x, dim, dtype)


def clone(x):
    return jnp.array(x, copy=True)


# In-place forms keep the tensor's dtype, as PyTorch does.
@numbers
def add_inplace(x, y, alpha=1):
    return add(x, y, alpha).astype(x.dtype)


@numbers
def sub_inplace(x, y, alpha=1):
    return sub(x, y, alpha).astype(x.dtype)


@numbers
def mul_inplace(x, y):
    return (x * y).astype(x.dtype)


@numbers
def div_inplace(x, y, rounding_mode=None):
    return div(x, y, rounding_mode).astype(x.dtype)


@numbers
def clamp_inplace(x, min=None, max=None):  # noqa: A002
    return clamp(x, min, max).astype(x.dtype)


def copy_from(x, source):
    return jnp.broadcast_to(jnp.asarray(source).astype(x.dtype), x.shape)


@numbers
def fill(x, value):
    return jnp.full(x.shape, value, x.dtype)


def zero(x):
    return jnp.zeros_like(x)
