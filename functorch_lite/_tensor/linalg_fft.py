"""Table rows for `torch.linalg`, `torch.fft` and the matrix products of `torch.*`: thin jnp wrappers.

Each function only maps PyTorch's argument names and conventions (`dim`, `upper`, 1-based pivots,
named-tuple results) onto the `jnp.linalg` / `jnp.fft` / `jax.scipy.linalg` call.
"""

from __future__ import annotations

import functools
import math
from collections import namedtuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from .. import _value_checks
from .op_table import FLOAT, SAME, OpDef

_Slogdet = namedtuple("slogdet", ["sign", "logabsdet"])
_Eigh = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
_Svd = namedtuple("svd", ["U", "S", "Vh"])
_Qr = namedtuple("qr", ["Q", "R"])
_WithInfo = namedtuple("result_info", ["result", "info"])
_LuFactor = namedtuple("lu_factor", ["LU", "pivots"])
_Lu = namedtuple("lu", ["P", "L", "U"])


def _dims(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def _f(x):
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(jnp.float32)


# ---- fft -------------------------------------------------------------------------------------
def _fft1(f):
    return lambda x, n=None, dim=-1, norm=None: f(_f(x), n=n, axis=dim, norm=norm)


def _seq(value):
    return (value,) if isinstance(value, int) else _dims(value)


def _fftn(f, default_dim=None):
    def op(x, s=None, dim=default_dim, norm=None):
        dim, s = _seq(dim), _seq(s)
        if dim is None and s is not None:
            dim = tuple(range(-len(s), 0))
        return f(_f(x), s=s, axes=dim, norm=norm)

    return op


def _fft2(f):
    # torch's fft2 is fftn over `dim` (default the last two), which may name any number of axes;
    # jnp's fft2 accepts exactly two.
    return _fftn(f, default_dim=(-2, -1))


_FFT = {
    "fft": _fft1(jnp.fft.fft), "ifft": _fft1(jnp.fft.ifft), "rfft": _fft1(jnp.fft.rfft),
    "irfft": _fft1(jnp.fft.irfft), "hfft": _fft1(jnp.fft.hfft), "ihfft": _fft1(jnp.fft.ihfft),
    "fft2": _fft2(jnp.fft.fftn), "ifft2": _fft2(jnp.fft.ifftn), "rfft2": _fft2(jnp.fft.rfftn),
    "irfft2": _fft2(jnp.fft.irfftn), "fftn": _fftn(jnp.fft.fftn), "ifftn": _fftn(jnp.fft.ifftn),
    "rfftn": _fftn(jnp.fft.rfftn), "irfftn": _fftn(jnp.fft.irfftn),
    "fftshift": lambda x, dim=None: jnp.fft.fftshift(x, axes=_dims(dim)),
    "ifftshift": lambda x, dim=None: jnp.fft.ifftshift(x, axes=_dims(dim)),
}  # fmt: skip


# ---- linalg ----------------------------------------------------------------------------------
def _svd(a, full_matrices=True, *, driver=None):
    return _Svd(*jnp.linalg.svd(a, full_matrices=full_matrices))


def _qr(a, mode="reduced"):
    return _Qr(*jnp.linalg.qr(a, mode=mode))


def _eigh(a, UPLO="L"):  # noqa: N803 - torch's name
    return _Eigh(*_eigh_hermitian_gradient(a, UPLO))


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _eigh_hermitian_gradient(a, uplo):
    return tuple(jnp.linalg.eigh(a, UPLO=uplo, symmetrize_input=False))


@_eigh_hermitian_gradient.defjvp
def _eigh_hermitian_gradient_jvp(uplo, primals, tangents):
    # PyTorch reads one triangle and differentiates as if the input were that Hermitian matrix, giving a
    # Hermitian gradient. jax's rule recomputes the eigenvectors of (a + a^H) / 2, which for an input that
    # is not Hermitian are not those of the triangle: differentiate at the Hermitian matrix it describes.
    (a,), (t,) = primals, tangents

    direction = (t + jnp.conj(jnp.swapaxes(t, -1, -2))) / 2
    point = _hermitian_from(a, uplo)
    return jax.jvp(lambda x: tuple(jnp.linalg.eigh(x, UPLO=uplo, symmetrize_input=False)), (point,), (direction,))


def _leading_pivots(h):
    """The pivots of Gaussian elimination without row exchanges: pivot k is minor(k + 1) / minor(k)."""
    rows = jnp.arange(h.shape[-1])

    def step(k, m):
        below = jnp.where(rows > k, m[..., :, k] / m[..., k, k][..., None], 0)
        return m - below[..., :, None] * m[..., k, None, :]

    return jnp.diagonal(jax.lax.fori_loop(0, h.shape[-1], step, h), axis1=-2, axis2=-1)


def _cholesky_info(a, factor):
    """torch's info: 0, or the order of the first leading minor (of the lower triangle) not positive-definite."""
    if a.shape[-1] == 0:  # an empty matrix factors trivially
        return jnp.zeros(a.shape[:-2], jnp.int32)
    a = jax.lax.stop_gradient(a)
    failed = ~jnp.all(jnp.isfinite(jax.lax.stop_gradient(factor)), axis=(-2, -1))
    lower = jnp.tril(a)
    pivots = jnp.real(_leading_pivots(lower + jnp.conj(jnp.swapaxes(jnp.tril(a, -1), -1, -2))))
    bad = ~(pivots > 0)
    order = jnp.where(jnp.any(bad, axis=-1), jnp.argmax(bad, axis=-1) + 1, a.shape[-1])
    return jnp.where(failed, order, 0).astype(jnp.int32)


def _cholesky_and_info(a, upper, op, check):
    """The factor and torch's info; with `check`, a failed factorization raises as torch: eagerly (and in
    the dispatcher's kernels), while inside a user's jit/compile only under checkify (the value-check
    mechanism), else it is unchecked."""
    out = jnp.linalg.cholesky(a, upper=upper)
    info = _cholesky_info(a, out)
    if check:
        _value_checks.check_values(_value_checks.factorization, info, op, "cholesky", a.ndim > 2)
    return out, info


def _checked_cholesky(a, upper, op):
    return _cholesky_and_info(a, upper, op, True)[0]


def _cholesky(a, *, upper=False):
    return _checked_cholesky(a, upper, "linalg.cholesky")


def _cholesky_ex(a, *, upper=False, check_errors=False):
    return _WithInfo(*_cholesky_and_info(a, upper, "linalg.cholesky_ex", check_errors))


def _inv_ex(a, *, check_errors=False):
    return _WithInfo(jnp.linalg.inv(a), jnp.zeros(a.shape[:-2], jnp.int32))


def _solve(a, b, *, left=True):
    if not left:
        return jnp.swapaxes(_solve(jnp.swapaxes(a, -1, -2), jnp.swapaxes(b, -1, -2)), -1, -2)
    if b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]):
        return jnp.linalg.solve(a, b[..., None])[..., 0]
    return jnp.linalg.solve(a, b)


def _solve_ex(a, b, *, left=True, check_errors=False):
    return _WithInfo(_solve(a, b, left=left), jnp.zeros(a.shape[:-2], jnp.int32))


def _vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    x = _f(x if dtype is None else x.astype(dtype))
    dim = _dims(dim)
    if isinstance(dim, int):
        dim = (dim,)
    if x.ndim == 0:
        return _p_norm(x.reshape(1), float(ord), None, False)
    return _p_norm(x, float(ord), dim, keepdim)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def _p_norm(x, ord, axis, keepdims):  # noqa: A002
    return jnp.linalg.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims)


@_p_norm.defjvp
def _p_norm_jvp(ord, axis, keepdims, primals, tangents):  # noqa: A002
    """PyTorch's derivative of a p-norm, with its subgradients where jax's is NaN (0 at a zero vector)."""
    (x,), (t,) = primals, tangents
    if jnp.iscomplexobj(x):  # PyTorch's complex rule is not this one: keep jax's
        return jax.jvp(lambda a: jnp.linalg.vector_norm(a, ord=ord, axis=axis, keepdims=keepdims), (x,), (t,))
    norm = jnp.linalg.vector_norm(x, ord=ord, axis=axis, keepdims=True)
    size, sign, zero_norm = jnp.abs(x), jnp.sign(x), norm == 0
    safe_norm, safe_size = jnp.where(zero_norm, 1.0, norm), jnp.where(x == 0, 1.0, size)
    if ord == 0:
        weight = jnp.zeros_like(x)
    elif ord == 1:
        weight = sign
    elif ord == 2:
        weight = jnp.where(zero_norm, 0.0, x / safe_norm)
    elif math.isinf(ord):  # the gradient is shared by the entries at the max (min), NaNs included
        at = ((size == norm) | (jnp.isnan(x) & jnp.isnan(norm))).astype(x.dtype)
        weight = sign * at / jnp.sum(at, axis=axis, keepdims=True)
    elif ord < 1:
        weight = jnp.where(x == 0, 0.0, sign * safe_size ** (ord - 1)) * norm ** (1 - ord)
    else:
        weight = jnp.where(zero_norm, 0.0, sign * size ** (ord - 1) / safe_norm ** (ord - 1))
    out = norm if keepdims else jnp.squeeze(norm, axis) if axis is not None else norm.reshape(())
    tangent = jnp.sum(weight * t, axis=axis, keepdims=keepdims)
    return out, tangent


def _matrix_norm(a, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    a = a if dtype is None else a.astype(dtype)
    if ord == "fro" and jnp.issubdtype(a.dtype, jnp.floating):  # the 2-norm of the entries: same subgradients
        return _p_norm(a, 2.0, tuple(_dims(dim)), keepdim)
    return jnp.linalg.norm(a, ord=ord, axis=_dims(dim), keepdims=keepdim)


def _norm(a, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    dim = _dims(dim)
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None or (dim is not None and len(dim) == 1) or (dim is None and a.ndim == 1):
        return _vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return _matrix_norm(a, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)


def _lu_info(lu):
    """LAPACK's getrf info: 0, or the 1-based index of the first zero on U's diagonal."""
    zero = jnp.diagonal(jax.lax.stop_gradient(lu), axis1=-2, axis2=-1) == 0
    if zero.shape[-1] == 0:  # an empty matrix factors trivially
        return jnp.zeros(zero.shape[:-1], jnp.int32)
    return jnp.where(jnp.any(zero, axis=-1), jnp.argmax(zero, axis=-1) + 1, 0).astype(jnp.int32)


def _lu_and_info(a, op, check):
    """LU with 1-based pivots and LAPACK's info; with `check` a zero pivot raises as torch (eagerly; see
    _cholesky_and_info for jit)."""
    lu, pivots = jax.lax.linalg.lu(a)[:2]
    info = _lu_info(lu)
    if check:
        _value_checks.check_values(_value_checks.factorization, info, op, "lu", a.ndim > 2)
    return lu, (pivots + 1).astype(jnp.int32), info


def _lu_factor(a, *, pivot=True):
    return _LuFactor(*_lu_and_info(a, "torch.linalg.lu_factor", True)[:2])


def _lu(a, *, pivot=True):
    lu, _, permutation = jax.lax.linalg.lu(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    lower = jnp.tril(lu[..., :, :k], -1) + jnp.eye(m, k, dtype=a.dtype)
    upper = jnp.triu(lu[..., :k, :])
    p = jnp.swapaxes(jax.nn.one_hot(permutation, m, dtype=a.dtype), -1, -2)
    return _Lu(p, lower, upper)


def _solve_triangular(a, b, *, upper, left=True, unitriangular=False):
    return (
        jsl.solve_triangular(a, b, lower=not upper, unit_diagonal=unitriangular)
        if left
        else jnp.swapaxes(
            jsl.solve_triangular(
                jnp.swapaxes(a, -1, -2), jnp.swapaxes(b, -1, -2), lower=upper, unit_diagonal=unitriangular
            ),
            -1,
            -2,
        )
    )


def _pinv(a, *, atol=None, rtol=None, hermitian=False):
    if hermitian:
        return _pinv_of_lower_triangle(a, rtol)
    return jnp.linalg.pinv(a, rtol=rtol)


def _hermitian_from(a, uplo):
    """The Hermitian matrix whose `uplo` triangle (and diagonal) is that of `a`."""
    strict = jnp.tril(a, -1) if uplo == "L" else jnp.triu(a, 1)
    return strict + jnp.conj(jnp.swapaxes(strict, -1, -2)) + (a - jnp.tril(a, -1) - jnp.triu(a, 1))


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _pinv_of_lower_triangle(a, rtol):
    # PyTorch's hermitian=True reads the lower triangle only (through eigh).
    return jnp.linalg.pinv(_hermitian_from(a, "L"), rtol=rtol, hermitian=True)


@_pinv_of_lower_triangle.defjvp
def _pinv_of_lower_triangle_jvp(rtol, primals, tangents):
    # PyTorch's derivative of pinv (Golub and Pereyra's), which it applies with the input as given.
    (a,), (da,) = primals, tangents
    p = _pinv_of_lower_triangle(a, rtol)

    def h(x):
        return jnp.conj(jnp.swapaxes(x, -1, -2))

    eye_m, eye_n = jnp.eye(a.shape[-2], dtype=a.dtype), jnp.eye(a.shape[-1], dtype=a.dtype)
    dp = -p @ da @ p + p @ h(p) @ h(da) @ (eye_m - a @ p) + (eye_n - p @ a) @ h(da) @ h(p) @ p
    return p, dp


def _tensorsolve(a, b, dims=None):
    # PyTorch moves `dims` to the end, then only needs prod(a.shape[b.ndim:]) == b.numel(): the leading
    # dims of `a` need not equal b's shape (jnp.linalg.tensorsolve requires that they do).
    if dims is not None:
        a = jnp.moveaxis(a, tuple(dims), tuple(range(a.ndim - len(dims), a.ndim)))
    result_shape = a.shape[b.ndim :]
    size = math.prod(result_shape)
    if size != b.size or a.size != size * size:
        raise RuntimeError(
            "linalg.tensorsolve: Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {size} != {a.size // max(size, 1)}"
        )
    return jnp.linalg.solve(a.reshape(size, size), b.reshape(size)).reshape(result_shape)


def _matrix_rank(a, *, atol=None, rtol=None, hermitian=False):
    if a.size == 0:
        return jnp.zeros(a.shape[:-2], jnp.int32)
    return jnp.linalg.matrix_rank(a, rtol=rtol).astype(jnp.int32)


def _vecdot(x, y, *, dim=-1):
    return jnp.sum(jnp.conj(x) * y, axis=dim)


def _cross(x, other, dim=-1):
    return jnp.cross(x, other, axis=dim)


def _diagonal(a, *, offset=0, dim1=-2, dim2=-1):
    return jnp.diagonal(a, offset, dim1, dim2)


def _multi_dot(tensors):
    return jnp.linalg.multi_dot(tensors)


def _det(a):
    if a.shape[-1] == 0:  # the determinant of a 0x0 matrix is 1 (jnp fails on it)
        return jnp.ones(a.shape[:-2], a.dtype)
    return jnp.linalg.det(a)


_LINALG = {
    "det": _det, "inv": jnp.linalg.inv, "slogdet": lambda a: _Slogdet(*jnp.linalg.slogdet(a)),
    "svd": _svd, "svdvals": lambda a, *, driver=None: jnp.linalg.svd(a, compute_uv=False), "qr": _qr,
    "eigh": _eigh, "eigvalsh": lambda a, UPLO="L": _eigh_hermitian_gradient(a, UPLO)[0], "cholesky": _cholesky,  # noqa: N803
    "cholesky_ex": _cholesky_ex, "inv_ex": _inv_ex, "solve": _solve, "solve_ex": _solve_ex,
    "vector_norm": _vector_norm, "matrix_norm": _matrix_norm, "norm": _norm,
    "matrix_power": lambda a, n: jnp.linalg.matrix_power(a, n), "lu_factor": _lu_factor, "lu": _lu,
    "solve_triangular": _solve_triangular, "pinv": _pinv, "matrix_rank": _matrix_rank, "vecdot": _vecdot,
    "cross": _cross, "diagonal": _diagonal, "multi_dot": _multi_dot, "tensorinv": jnp.linalg.tensorinv,
    "tensorsolve": _tensorsolve, "eig": jnp.linalg.eig, "eigvals": jnp.linalg.eigvals,
    "cond": lambda a, p=None: jnp.linalg.cond(a, p), "matmul": jnp.matmul,
}  # fmt: skip


# ---- matrix products of torch.* --------------------------------------------------------------
def _addmm(x, mat1, mat2, *, beta=1, alpha=1):
    return beta * x + alpha * (mat1 @ mat2) if beta != 0 else alpha * (mat1 @ mat2)


def _baddbmm(x, batch1, batch2, *, beta=1, alpha=1):
    return _addmm(x, batch1, batch2, beta=beta, alpha=alpha)


def _addbmm(x, batch1, batch2, *, beta=1, alpha=1):
    product = jnp.sum(batch1 @ batch2, axis=0)
    return beta * x + alpha * product if beta != 0 else alpha * product


def _addr(x, vec1, vec2, *, beta=1, alpha=1):
    product = jnp.outer(vec1, vec2)
    return beta * x + alpha * product if beta != 0 else alpha * product


def _tensordot(a, b, dims=2, out=None):
    if getattr(dims, "ndim", 0) > 0:  # a (2, d) tensor of dimension lists
        dims = jax.device_get(dims).tolist()
    if isinstance(dims, (list, tuple)):
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    else:
        count = int(dims)
        if count < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if count > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-count, 0)), list(range(count))
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    # torch broadcasts a contracted dimension of size 1 against the other side's: the sum over the
    # other side's dimension then factors out (sum_k a_0 * b_k = a_0 * sum_k b_k).
    for da, db in zip(dims_a, dims_b):
        size_a, size_b = a.shape[da], b.shape[db]
        if size_a == size_b:
            continue
        if size_a == 1:
            b = jnp.sum(b, axis=db, keepdims=True)
        elif size_b == 1:
            a = jnp.sum(a, axis=da, keepdims=True)
        else:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {size_a} in dim {da}"
                f" and second has size {size_b} in dim {db}"
            )
    return jnp.tensordot(a, b, axes=(tuple(dims_a), tuple(dims_b)))


_PRODUCTS = {
    "addmm": _addmm, "addmv": _addmm, "baddbmm": _baddbmm, "addbmm": _addbmm, "addr": _addr,
    "dot": jnp.dot, "vdot": jnp.vdot, "mv": jnp.matmul, "outer": jnp.outer, "ger": jnp.outer, "inner": jnp.inner,
    "kron": jnp.kron, "tensordot": _tensordot, "cross": lambda x, other, dim=None: jnp.cross(
        x, other, axis=dim if dim is not None else next(i for i, s in enumerate(x.shape) if s == 3)
    ), "det": _det, "logdet": lambda a: jnp.log(_det(a)), "inverse": jnp.linalg.inv,
    "pinverse": lambda a, rcond=1e-15: jnp.linalg.pinv(a, rtol=rcond), "matrix_exp": jsl.expm,
    "cholesky_inverse": lambda a, upper=False: jnp.linalg.inv(a.mT @ a if upper else a @ a.mT),
    "slogdet": lambda a: _Slogdet(*jnp.linalg.slogdet(a)), "trace": jnp.trace,
}  # fmt: skip
_METHODLESS = {"tensordot"}

ROWS = (
    [OpDef(n, f, "other", FLOAT, False, "fft") for n, f in _FFT.items()]
    + [OpDef(n, f, "other", SAME, False, "linalg") for n, f in _LINALG.items()]
    + [OpDef(n, f, "other", SAME, n not in _METHODLESS) for n, f in _PRODUCTS.items()]
)
