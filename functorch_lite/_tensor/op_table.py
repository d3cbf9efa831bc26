"""Table-driven torch ops: one row per op whose math is a direct `jnp`/`lax`/`jax.scipy` call.

A row names the op, its pure jax function, its kind and its dtype rule (as PyTorch's OpInfo
describes an op once). `build` turns every row into one pure function (the dispatcher's cache key,
whose name becomes the `grad_fn` name) and one public function `f(input, *args, **kwargs)` that
runs it through `autograd.dispatch.apply`; the same public function is installed as the Tensor
method, so `torch.<name>(x)` and `x.<name>()` cannot disagree. Ops of the `linalg`, `fft` and
`special` namespaces live in `linalg_fft.py` and use the same rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np

from ..autograd.dispatch import apply
from .math_ops import scalar_dims

FLOAT = "float"  # integer and bool inputs compute in the default float dtype (torch's int -> float rule)
SAME = "same"  # the result keeps the promoted input dtype


@dataclasses.dataclass(frozen=True)
class OpDef:
    """One op: `fn(input, *args, **kwargs)` over jax arrays, and how it is exposed."""

    name: str
    fn: Callable
    kind: str = "unary"  # "unary" | "binary" | "reduction" | "other"
    dtypes: str = SAME
    method: bool = True  # also a Tensor method
    namespace: str = ""  # "" (torch.*), "special", "linalg", "fft"
    aliases: tuple[str, ...] = ()
    static: tuple = ()  # positions (or keyword names) of size arguments: a Tensor there becomes Python ints


def _float(x: Any) -> Any:
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(jnp.float32)


def _promote_float(*arrays: Any) -> tuple:
    dtype = jnp.result_type(*arrays)
    if not jnp.issubdtype(dtype, jnp.inexact):
        return tuple(jnp.asarray(a, jnp.float32) for a in arrays)
    return arrays


def _keep_int(f: Callable) -> Callable:
    """Rounding ops leave integer tensors unchanged (jnp would make them float)."""

    def op(x, *args, **kwargs):
        return f(x, *args, **kwargs) if jnp.issubdtype(jnp.asarray(x).dtype, jnp.inexact) else x

    return op


def _dim(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, list) else dim


# ---- pure functions the table names (only where the jnp call needs torch's arguments) --------
def _round(x, decimals=0):
    return jnp.round(x, decimals)


def _nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return jnp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def _logit(x, eps=None):
    if eps is not None:
        x = jnp.clip(x, eps, 1 - eps)
    return jnp.log(x) - jnp.log1p(-x)


@jax.custom_jvp
def _i0(x):
    return jsp.i0(x)


# jax's own derivative of i0 is off at 0 (it goes through exp(|x|)); d/dx i0 = i1 everywhere.
_i0.defjvp(lambda primals, tangents: (jsp.i0(primals[0]), jsp.i1(primals[0]) * tangents[0]))


@jax.custom_jvp
def _polygamma(n, x):
    """psi^(n)(x); below 0 by reflection onto 1 - x, as PyTorch is accurate there and jax is not.

    jax's polygamma sums a fixed number of Hurwitz zeta terms, which is far off for x below about -5
    (psi_1(-8.48) comes out 7.74 for 9.80). Reflection: psi^(n)(x) = (-1)^n psi^(n)(1 - x)
    - pi d^n/dx^n cot(pi x), and for n >= 1, pi d^n/dx^n cot(pi x) = (-1)^n n! sum over all integers
    k of (x + k)^-(n+1) = (-1)^n n! (zeta(n + 1, r) + (-1)^(n+1) zeta(n + 1, 1 - r)), r = x - floor(x):
    every zeta there has a positive argument. `n` may be traced (the dispatcher treats it as data).
    """
    x = _float(x)
    n = jnp.asarray(n)
    negative = x < 0
    below, above = jnp.where(negative, x, -0.5), jnp.where(negative, 1.0, x)  # no NaN in the unused branch
    sign = jnp.where(n % 2 == 0, 1.0, -1.0).astype(x.dtype)
    order = jnp.maximum(n, 1)  # the n == 0 branch is digamma's
    s = (order + 1).astype(x.dtype)
    floor = jnp.floor(below)
    series = jsp.zeta(s, below - floor) - sign * jsp.zeta(s, floor + 1 - below)  # 1 - r, not rounded through r
    reflected = sign * (jsp.polygamma(order, 1 - below) - jnp.exp(jsp.gammaln(s)) * series)
    out = jnp.where(negative, reflected, jsp.polygamma(order, above))
    pole = (x <= 0) & (x == jnp.floor(x))  # psi^(n)(x) ~ (-1)^(n+1) n! / (x - pole)^(n+1): PyTorch's signed inf
    out = jnp.where(pole, -sign * jnp.inf, out)
    return jnp.where(n == 0, _digamma(x), out).astype(x.dtype)


# d/dx psi^(n)(x) = psi^(n+1)(x); jax's own rule would differentiate through the inaccurate sums.
_polygamma.defjvp(
    lambda primals, tangents: (_polygamma(*primals), _polygamma(primals[0] + 1, primals[1]) * tangents[1])
)


@jax.custom_jvp
def _digamma(x):
    # PyTorch: -inf at +0 (+inf at -0); jax gives NaN there. Negative integers are NaN in both.
    return jnp.where(x == 0, jnp.copysign(jnp.inf, -x), jsp.digamma(x))


# jax differentiates digamma through its own polygamma(1, x), which is off below about -5.
_digamma.defjvp(lambda primals, tangents: (_digamma(primals[0]), _polygamma(1, primals[0]) * tangents[0]))


@jax.custom_jvp
def _nextafter(x, other):
    return jnp.nextafter(x, other)


def _nextafter_jvp(primals, tangents):
    # PyTorch's derivative: 1 with respect to the input, 0 with respect to `other` (jax has none).
    out = _nextafter(*primals)
    return out, jnp.broadcast_to(tangents[0], out.shape).astype(out.dtype)


_nextafter.defjvp(_nextafter_jvp)


def _mvlgamma(x, p):
    return jsp.multigammaln(x, p)


def _float_power(x, exponent):
    return jnp.power(*_promote_float(x, exponent))


def _lerp(x, end, weight):
    return x + weight * (end - x)


def _addcmul(x, tensor1, tensor2, value=1):
    return x + value * tensor1 * tensor2


def _addcdiv(x, tensor1, tensor2, value=1):
    return x + value * tensor1 / tensor2


def _heaviside(x, values):
    return jnp.where(x == 0, values, (x > 0).astype(jnp.result_type(x, values)))


def _isclose(x, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return jnp.isclose(x, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _xlogy(x, y):
    return jsp.xlogy(*_promote_float(x, y))


def _xlog1py(x, y):
    return jsp.xlog1py(*_promote_float(x, y))


def _zeta(x, q):
    return jsp.zeta(*_promote_float(x, q))


def _fmod(x, other):
    return jnp.fmod(x, other)


def _remainder(x, other):
    return jnp.remainder(x, other)


def _copysign(x, other):
    return jnp.copysign(*_promote_float(x, other))


def _ldexp(x, other):
    return _float(x) * jnp.power(2.0, other)


def _rsub(x, other, alpha=1):
    return other - alpha * x


def _clamp_min(x, min):  # noqa: A002
    return jnp.maximum(x, min)


def _clamp_max(x, max):  # noqa: A002
    return jnp.minimum(x, max)


def _cumulative(f: Callable) -> Callable:
    def op(x, dim, dtype=None):
        x = x.astype(dtype) if dtype is not None else x
        if x.dtype == jnp.bool_ or (jnp.issubdtype(x.dtype, jnp.integer) and dtype is None):
            x = x.astype(jnp.int32)
        return f(x, axis=dim)

    return scalar_dims(op)


def _cummax_like(compare: Callable) -> Callable:
    def op(x, dim):
        n = x.shape[dim]
        index = jnp.broadcast_to(
            jnp.arange(n).reshape([-1 if d == dim % x.ndim else 1 for d in range(x.ndim)]), x.shape
        )

        def combine(a, b):
            take_b = compare(b[0], a[0]) | jnp.isnan(b[0])
            take_b = take_b & ~(jnp.isnan(a[0]) & ~jnp.isnan(b[0]))
            return jnp.where(take_b, b[0], a[0]), jnp.where(take_b, b[1], a[1])

        values, indices = jax.lax.associative_scan(combine, (x, index), axis=dim % x.ndim)
        return values, indices

    return scalar_dims(op)


def _logcumsumexp(x, dim):
    return jax.lax.cumlogsumexp(_float(x), axis=dim % max(x.ndim, 1))


def _logsumexp(x, dim, keepdim=False):
    x = _float(x)
    return (
        jsp.logsumexp(x, axis=_dim(dim), keepdims=keepdim)
        if x.size
        else jnp.full(jnp.sum(x, axis=_dim(dim), keepdims=keepdim).shape, -jnp.inf, x.dtype)
    )


def _nansum(x, dim=None, keepdim=False, dtype=None):
    return jnp.nansum(x, axis=_dim(dim), keepdims=keepdim, dtype=dtype)


def _nanmean(x, dim=None, keepdim=False, dtype=None):
    return jnp.nanmean(x, axis=_dim(dim), keepdims=keepdim, dtype=dtype)


def _count_nonzero(x, dim=None):
    return jnp.count_nonzero(x, axis=_dim(dim)).astype(jnp.int32)


def _var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    ddof = correction if correction is not None else (1 if unbiased is None or unbiased else 0)
    if isinstance(dim, bool):
        dim, ddof = None, int(dim)
    return jnp.var(x, axis=_dim(dim), ddof=ddof, keepdims=keepdim), jnp.mean(x, axis=_dim(dim), keepdims=keepdim)


def _std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    var, mean = _var_mean(x, dim, unbiased, keepdim, correction=correction)
    return jnp.sqrt(var), mean


def _aminmax(x, *, dim=None, keepdim=False):
    return jnp.min(x, axis=dim, keepdims=keepdim), jnp.max(x, axis=dim, keepdims=keepdim)


# ---- the table ---------------------------------------------------------------------------------
_UNARY_FLOAT = {
    "acos": jnp.arccos, "acosh": jnp.arccosh, "asin": jnp.arcsin, "asinh": jnp.arcsinh, "atan": jnp.arctan,
    "atanh": jnp.arctanh, "cosh": jnp.cosh, "sinh": jnp.sinh, "tan": jnp.tan, "exp2": jnp.exp2,
    "expm1": jnp.expm1, "log10": jnp.log10, "log1p": jnp.log1p, "log2": jnp.log2, "erf": jsp.erf,
    "erfc": jsp.erfc, "erfinv": jsp.erfinv, "lgamma": jsp.gammaln, "digamma": _digamma, "i0": _i0,
    "sinc": jnp.sinc, "deg2rad": jnp.deg2rad, "rad2deg": jnp.rad2deg, "reciprocal": jnp.reciprocal,
    "logit": _logit, "angle": jnp.angle,
}  # fmt: skip
_UNARY_ALIASES = {
    "acos": ("arccos",), "acosh": ("arccosh",), "asin": ("arcsin",), "asinh": ("arcsinh",), "atan": ("arctan",),
    "atanh": ("arctanh",), "digamma": (), "trunc": ("fix",), "neg": ("negative",), "abs": ("absolute",),
}  # fmt: skip
_UNARY_SAME = {
    "floor": _keep_int(jnp.floor), "ceil": _keep_int(jnp.ceil), "trunc": _keep_int(jnp.trunc),
    "round": _keep_int(_round), "frac": lambda x: x - jnp.trunc(x), "sign": jnp.sign, "sgn": jnp.sign,
    "positive": lambda x: x, "conj": jnp.conj, "conj_physical": jnp.conj, "resolve_conj": lambda x: x,
    "resolve_neg": lambda x: x, "nan_to_num": _keep_int(_nan_to_num), "real": jnp.real,
    "signbit": jnp.signbit, "isnan": jnp.isnan, "isinf": jnp.isinf, "isfinite": jnp.isfinite,
    "isposinf": jnp.isposinf, "isneginf": jnp.isneginf, "isreal": jnp.isreal, "logical_not": jnp.logical_not,
    "bitwise_not": jnp.bitwise_not,
}  # fmt: skip
_BINARY_FLOAT = {
    "atan2": lambda x, other: jnp.arctan2(*_promote_float(x, other)), "hypot": jnp.hypot,
    "logaddexp": lambda x, other: jnp.logaddexp(*_promote_float(x, other)),
    "logaddexp2": lambda x, other: jnp.logaddexp2(*_promote_float(x, other)), "xlogy": _xlogy,
    "copysign": _copysign, "ldexp": _ldexp, "float_power": _float_power, "nextafter": _nextafter,
    "igamma": lambda x, other: jsp.gammainc(*_promote_float(x, other)),
    "igammac": lambda x, other: jsp.gammaincc(*_promote_float(x, other)),
    "true_divide": lambda x, other: jnp.true_divide(x, other),
}  # fmt: skip
_BINARY_SAME = {
    "fmod": _fmod, "remainder": _remainder, "fmax": jnp.fmax, "fmin": jnp.fmin, "heaviside": _heaviside,
    "logical_and": jnp.logical_and, "logical_or": jnp.logical_or, "logical_xor": jnp.logical_xor,
    "bitwise_and": jnp.bitwise_and, "bitwise_or": jnp.bitwise_or, "bitwise_xor": jnp.bitwise_xor,
    "isclose": _isclose, "rsub": _rsub, "floor_divide": jnp.floor_divide, "clamp_min": _clamp_min,
    "clamp_max": _clamp_max, "lerp": _lerp, "addcmul": _addcmul, "addcdiv": _addcdiv,
    "mvlgamma": _mvlgamma,
}  # fmt: skip
_REDUCTIONS = {
    "cumsum": _cumulative(jnp.cumsum), "cumprod": _cumulative(jnp.cumprod),
    "cummax": _cummax_like(jnp.greater_equal), "cummin": _cummax_like(jnp.less_equal),
    "logcumsumexp": scalar_dims(_logcumsumexp), "logsumexp": scalar_dims(_logsumexp), "nansum": scalar_dims(_nansum),
    "nanmean": scalar_dims(_nanmean), "count_nonzero": scalar_dims(_count_nonzero), "var_mean": _var_mean,
    "std_mean": _std_mean,
    "aminmax": scalar_dims(_aminmax),
}  # fmt: skip
_SPECIAL = {
    "entr": jsp.entr, "i0e": jsp.i0e, "i1": jsp.i1, "i1e": jsp.i1e, "ndtr": jsp.ndtr, "ndtri": jsp.ndtri,
    "log_ndtr": jsp.log_ndtr, "expit": jax.nn.sigmoid, "exp2": jnp.exp2, "expm1": jnp.expm1, "log1p": jnp.log1p,
    "gammaln": jsp.gammaln, "psi": _digamma, "digamma": _digamma, "erf": jsp.erf, "erfc": jsp.erfc,
    "erfinv": jsp.erfinv, "i0": _i0, "sinc": jnp.sinc, "logit": _logit, "round": _keep_int(_round),
}  # fmt: skip
_SPECIAL_BINARY = {"xlogy": _xlogy, "xlog1py": _xlog1py, "zeta": _zeta}

ROWS: list[OpDef] = (
    [OpDef(n, f, "unary", FLOAT, aliases=_UNARY_ALIASES.get(n, ())) for n, f in _UNARY_FLOAT.items()]
    + [OpDef(n, f, "unary", SAME, aliases=_UNARY_ALIASES.get(n, ())) for n, f in _UNARY_SAME.items()]
    + [OpDef(n, f, "binary", FLOAT) for n, f in _BINARY_FLOAT.items()]
    + [OpDef(n, f, "binary", SAME) for n, f in _BINARY_SAME.items()]
    + [OpDef(n, f, "reduction", SAME) for n, f in _REDUCTIONS.items()]
    + [OpDef(n, f, "unary", FLOAT, False, "special") for n, f in _SPECIAL.items()]
    + [OpDef(n, f, "binary", FLOAT, False, "special") for n, f in _SPECIAL_BINARY.items()]
    + [OpDef("polygamma", _polygamma, "other", FLOAT, False)]
)
_EXTRA_ALIASES = {"arctan2": "atan2", "divide": "div", "multiply": "mul", "subtract": "sub", "greater": "gt"}
_EXTRA_ALIASES |= {"greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne"}


def _pure(row: OpDef) -> Callable:
    f = row.fn
    if row.dtypes == FLOAT and row.kind == "unary":

        def pure(input, *args, **kwargs):
            return f(_float(input), *args, **kwargs)

    else:

        def pure(input, *args, **kwargs):
            return f(input, *args, **kwargs)

    pure.__name__ = pure.__qualname__ = row.name
    return pure


def _as_tensor(value: Any, tensor_type: type) -> Any:
    """Numbers and arrays become Tensors; Tensors, sequences of Tensors and strings pass through."""
    if isinstance(value, (int, float, complex, np.ndarray, jax.Array)) and not isinstance(value, tensor_type):
        return tensor_type(jnp.asarray(value))
    return value


def _static(value: Any) -> Any:
    """A Tensor given where PyTorch takes sizes or indices, as Python ints (they fix output shapes)."""
    return value.tolist() if hasattr(value, "tolist") else value


def public(name: str, pure: Callable, tensor_type: type, static: tuple = ()) -> Callable:
    """`torch.<name>(input, ...)`, also bound as `Tensor.<name>`: one dispatcher call."""

    def function(input, *args, **kwargs):
        if static:
            args = tuple(_static(a) if i + 1 in static else a for i, a in enumerate(args))
            kwargs = {k: _static(v) if k in static else v for k, v in kwargs.items()}
        return apply(pure, _as_tensor(input, tensor_type), *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"`torch.{name}(input, ...)`, also `input.{name}(...)`; computed by `{name}` in op_table."
    return function


def build(rows: list[OpDef], tensor_type: type, namespace: str = "") -> dict[str, Callable]:
    """{name: public function} for the rows in `namespace`; installs their Tensor methods."""
    functions = {}
    for row in rows:
        if row.namespace != namespace:
            continue
        function = public(row.name, _pure(row), tensor_type, row.static)
        for name in (row.name, *row.aliases):
            functions[name] = function
            if row.method and not hasattr(tensor_type, name):
                setattr(tensor_type, name, function)
    return functions


# torch functions that are an existing method under another name (`*_copy`: arrays are never shared).
FUNCTION_ALIASES = {
    "split_with_sizes": "split", "unsafe_split": "split", "unsafe_chunk": "chunk", "permute_copy": "permute",
    "t_copy": "t", "transpose_copy": "transpose", "unsqueeze_copy": "unsqueeze", "squeeze_copy": "squeeze",
    "diagonal_copy": "diagonal", "unbind_copy": "unbind", "narrow_copy": "narrow", "expand_copy": "expand",
    "view_copy": "view", "alias_copy": "clone", "split_with_sizes_copy": "split", "unfold_copy": "unfold",
}  # fmt: skip


def _method_function(name: str, method: Callable, tensor_type: type) -> Callable:
    def function(input, *args, **kwargs):
        return method(_as_tensor(input, tensor_type), *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    return function


def alias_methods(tensor_type: type, functions: dict) -> dict[str, Callable]:
    """PyTorch's alias names for existing methods (`divide` -> `div`), as functions and methods."""
    out = {}
    for alias, target in _EXTRA_ALIASES.items():
        method = getattr(tensor_type, target)
        if not hasattr(tensor_type, alias):
            setattr(tensor_type, alias, method)
        out[alias] = functions.get(target) or _method_function(alias, method, tensor_type)
    for alias, target in FUNCTION_ALIASES.items():
        out[alias] = _method_function(alias, getattr(tensor_type, target), tensor_type)
    for name in ("split_with_sizes", "unsafe_split", "unsafe_chunk", "narrow_copy"):
        if not hasattr(tensor_type, name):
            setattr(tensor_type, name, getattr(tensor_type, FUNCTION_ALIASES[name]))
    return out


__all__ = ["OpDef", "ROWS", "build", "public", "alias_methods", "scalar_dims", "FLOAT", "SAME"]
