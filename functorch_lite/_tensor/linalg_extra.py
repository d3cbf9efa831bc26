"""Table rows for the legacy linear algebra of `torch.*`, the rest of `torch.linalg`, and `fft.(i)hfft2/n`.

The legacy names (`torch.cholesky`, `torch.qr`, `torch.svd`, `torch.lu`, ...) keep their old
conventions (`some=`, `V` rather than `Vh`, 1-based pivots, `(solution, A)` pairs) over the same jnp
calls as `torch.linalg`. LU pivots are LAPACK's: 1-based row swaps, applied in order.
"""

from __future__ import annotations

from collections import namedtuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from ..autograd.dispatch import apply
from .creation import _key
from .linalg_fft import _checked_cholesky, _dims, _f, _lu_and_info, _seq, _vector_norm
from .op_table import FLOAT, SAME, OpDef

_Svd = namedtuple("svd", ["U", "S", "V"])
_Qr = namedtuple("qr", ["Q", "R"])
_Solution = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])
_LuUnpack = namedtuple("lu_unpack", ["P", "L", "U"])
_LuFactorEx = namedtuple("lu_factor_ex", ["LU", "pivots", "info"])
_Geqrf = namedtuple("geqrf", ["a", "tau"])
_Lstsq = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])


def _mT(a):  # noqa: N802 - PyTorch's name
    return jnp.swapaxes(a, -1, -2)


# ---- legacy torch.* ----------------------------------------------------------------------------
def _legacy_cholesky(a, upper=False):
    return _checked_cholesky(a, upper, "cholesky")


def _cholesky_solve(b, factor, upper=False):
    # A = L L^T from the whole `factor`, as PyTorch's gradient treats it (its other triangle gets a
    # gradient too); for a triangular factor this is the usual Cholesky solve.
    lower = _mT(factor) if upper else factor
    shape = jnp.broadcast_shapes(lower.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(lower @ _mT(lower), shape + lower.shape[-2:])
    return jnp.linalg.solve(a, jnp.broadcast_to(b, shape + b.shape[-2:]))


def _qr(a, some=True):
    return _Qr(*jnp.linalg.qr(a, mode="reduced" if some else "complete"))


def _svd(a, some=True, compute_uv=True):
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    if a.size == 0:
        u_cols, v_cols = (k, k) if some else (m, n)
        return _Svd(jnp.zeros((*batch, m, u_cols), a.dtype), jnp.zeros((*batch, k), a.dtype),
                    jnp.zeros((*batch, n, v_cols), a.dtype))  # fmt: skip
    if not compute_uv:  # U and V are zero-filled (m, m) and (n, n), as PyTorch
        s = jnp.linalg.svd(a, compute_uv=False)
        return _Svd(jnp.zeros((*batch, m, m), a.dtype), s, jnp.zeros((*batch, n, n), a.dtype))
    u, s, vh = jnp.linalg.svd(a, full_matrices=not some)
    return _Svd(u, s, _mT(vh))


def _triangular_solve(b, a, upper=True, transpose=False, unitriangular=False):
    shape = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a, b = jnp.broadcast_to(a, shape + a.shape[-2:]), jnp.broadcast_to(b, shape + b.shape[-2:])
    solution = jsl.solve_triangular(a, b, trans=1 if transpose else 0, lower=not upper, unit_diagonal=unitriangular)
    return _Solution(solution, a)


def _permutation(pivots, m):
    """The row permutation `perm` with A[perm] = L U, from LAPACK's 1-based pivots."""
    return jax.lax.linalg.lu_pivots_to_permutation(pivots.astype(jnp.int32) - 1, m)


def _lu_unpack(lu, pivots, unpack_data=True, unpack_pivots=True):
    m, n = lu.shape[-2:]
    k = min(m, n)
    lower = jnp.tril(lu[..., :, :k], -1) + jnp.eye(m, k, dtype=lu.dtype)
    upper = jnp.triu(lu[..., :k, :])
    p = _mT(jax.nn.one_hot(_permutation(pivots, m), m, dtype=lu.dtype))
    empty = jnp.zeros((0,), lu.dtype)
    return _LuUnpack(p if unpack_pivots else empty, lower if unpack_data else empty, upper if unpack_data else empty)


def _lu_solve_left(lu, pivots, b, adjoint):
    """Solves A X = B (or A^H X = B) for the LU factorisation of A."""
    shape = jnp.broadcast_shapes(lu.shape[:-2], b.shape[:-2])
    lu, b = jnp.broadcast_to(lu, shape + lu.shape[-2:]), jnp.broadcast_to(b, shape + b.shape[-2:])
    perm = jnp.broadcast_to(_permutation(pivots, lu.shape[-1]), shape + lu.shape[-1:])
    if adjoint:  # A^H = U^H L^H P^T
        y = jsl.solve_triangular(lu, b, trans="C", lower=False)
        z = jsl.solve_triangular(lu, y, trans="C", lower=True, unit_diagonal=True)
        inverse = jnp.argsort(perm, axis=-1)
        return jnp.take_along_axis(z, inverse[..., None], axis=-2)
    y = jsl.solve_triangular(lu, jnp.take_along_axis(b, perm[..., None], axis=-2), lower=True, unit_diagonal=True)
    return jsl.solve_triangular(lu, y, lower=False)


def _lu_solve_legacy(b, lu, pivots):
    return _lu_solve_left(lu, pivots, b, False)


def _linalg_lu_solve(lu, pivots, b, *, left=True, adjoint=False):
    if left:
        return _lu_solve_left(lu, pivots, b, adjoint)
    # X A = B  <=>  A^H X^H = B^H (real: transposes)
    return _mT(_lu_solve_left(lu, pivots, _mT(b), not adjoint))


def _lu_factor_ex(a, *, pivot=True, check_errors=False):
    return _LuFactorEx(*_lu_and_info(a, "torch.linalg.lu_factor_ex", check_errors))


def _legacy_lu(a, pivot=True, get_infos=False):
    lu, pivots, info = _lu_factor_ex(a, pivot=pivot)
    return (lu, pivots, info) if get_infos else (lu, pivots)


def _norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """`torch.norm`: vector norms over `dim` (all elements by default); 'nuc' is a matrix norm."""
    x = _f(x if dtype is None else x.astype(dtype))
    dim = (dim,) if isinstance(dim, int) else _dims(dim)
    if p == "nuc":
        axes = (-2, -1) if dim is None else dim
        return jnp.linalg.norm(x, "nuc", axis=axes, keepdims=keepdim)
    if p == "fro":
        p = 2
    if dim is None:
        out = _vector_norm(x.reshape(-1), p)
        return out.reshape((1,) * x.ndim) if keepdim else out
    return _vector_norm(x, p, dim, keepdim)


# ---- torch.linalg ------------------------------------------------------------------------------
def _vander(x, *, N=None):  # noqa: N803 - PyTorch's name
    x = x.reshape(1) if x.ndim == 0 else x
    n = x.shape[-1] if N is None else N
    if n <= 1:
        return jnp.ones((*x.shape, n), x.dtype)
    # Cumulative products, not powers: the gradient of x**0 at x = 0 would be nan.
    powers = jnp.cumprod(jnp.broadcast_to(x[..., None], (*x.shape, n - 1)), axis=-1)
    return jnp.concatenate([jnp.ones((*x.shape, 1), x.dtype), powers], axis=-1)


def _householder_product(a, tau):
    m, n = a.shape[-2:]
    q = jnp.broadcast_to(jnp.eye(m, n, dtype=a.dtype), a.shape)
    for i in reversed(range(tau.shape[-1])):  # Q = H_0 H_1 ... H_(k-1), applied right to left
        v = jnp.concatenate(
            [jnp.zeros((*a.shape[:-2], i), a.dtype), jnp.ones((*a.shape[:-2], 1), a.dtype), a[..., i + 1 :, i]], -1
        )
        q = q - tau[..., i, None, None] * v[..., :, None] * jnp.einsum("...m,...mn->...n", jnp.conj(v), q)[..., None, :]
    return q


def _geqrf(a):
    h, tau = jnp.linalg.qr(a, mode="raw")  # LAPACK's geqrf, its reflectors transposed
    return _Geqrf(_mT(h), tau)


def _ormqr(a, tau, other, left=True, transpose=False):
    """`other` times Q (from `geqrf`'s reflectors and `tau`): Q @ other, Q^T @ other, other @ Q, ..."""
    m = a.shape[-2]
    square = jnp.concatenate([a, jnp.zeros((*a.shape[:-1], m - a.shape[-1]), a.dtype)], -1)[..., :m, :m]
    q = _householder_product(square, tau)
    q = _mT(q) if transpose else q
    return q @ other if left else other @ q


def _lstsq(a, b, rcond=None, *, driver=None):
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"linalg.lstsq: driver must be 'gels', 'gelsy', 'gelsd' or 'gelss', got {driver!r}")
    vector = b.ndim == a.ndim - 1
    b2 = b[..., None] if vector else b
    m, n = a.shape[-2:]
    solution = jnp.linalg.pinv(a) @ b2
    batch = a.shape[:-2]
    if m > n and driver != "gelsy":
        residuals = jnp.sum((a @ solution - b2) ** 2, axis=-2)
        residuals = residuals[..., 0] if vector else residuals
    else:
        residuals = jnp.zeros((0,), a.dtype)
    solution = solution[..., 0] if vector else solution
    if driver == "gels":
        return _Lstsq(solution, residuals, jnp.zeros((0,), jnp.int32), jnp.zeros((0,), a.dtype))
    s = jnp.linalg.svd(jax.lax.stop_gradient(a), compute_uv=False)  # PyTorch does not differentiate these
    cutoff = (jnp.finfo(a.dtype).eps * max(m, n) if rcond is None else rcond) * jnp.max(s, axis=-1, keepdims=True)
    rank = jnp.sum(s > cutoff, axis=-1).astype(jnp.int32).reshape(batch)
    values = jnp.zeros((0,), a.dtype) if driver == "gelsy" else s
    return _Lstsq(solution, residuals, rank, values)


# ---- randomized low-rank SVD and PCA (Halko, Martinsson and Tropp, 2011) ---------------------------
def _orthonormal(a):
    return jnp.linalg.qr(a)[0]


def _svd_lowrank(a, key, q, niter, m=None):
    a = a if m is None else a - m
    if a.shape[-2] < a.shape[-1]:  # work on the tall side, then swap the factors back
        u, s, v = _svd_lowrank(_mT(a), key, q, niter)
        return _Svd(v, s, u)
    sketch = jax.random.normal(key, (*a.shape[:-2], a.shape[-1], q), a.dtype)
    basis = _orthonormal(a @ sketch)
    for _ in range(niter):  # power iterations sharpen the range when the spectrum decays slowly
        basis = _orthonormal(a @ _orthonormal(_mT(a) @ basis))
    u, s, vh = jnp.linalg.svd(_mT(basis) @ a, full_matrices=False)
    return _Svd(basis @ u, s, _mT(vh))


def svd_lowrank(A, q=6, niter=2, M=None, *, generator=None):  # noqa: N803 - PyTorch's names
    """A rank-`q` SVD `(U, S, V)` of `A - M` by a randomized range finder with `niter` power iterations."""
    q = min(6, *A.shape[-2:]) if q is None else q
    return apply(_svd_lowrank, A, _key(generator), int(q), int(niter), M)


def _pca_lowrank(a, key, q, niter, center):
    a = a - jnp.mean(a, axis=-2, keepdims=True) if center else a
    return _svd_lowrank(a, key, q, niter)


def pca_lowrank(A, q=None, center=True, niter=2, *, generator=None):  # noqa: N803 - PyTorch's names
    """PCA of the rows of `A` (centred unless `center=False`): `svd_lowrank` of rank `q` (default min(6, m, n))."""
    q = min(6, *A.shape[-2:]) if q is None else q
    return apply(_pca_lowrank, A, _key(generator), int(q), int(niter), bool(center))


FUNCTIONS = {"svd_lowrank": svd_lowrank, "pca_lowrank": pca_lowrank}


# ---- fft: the Hermitian n-dimensional transforms ------------------------------------------------
_SWAPPED_NORM = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def _axes(x, s, dim, default):
    dim, s = _seq(dim), _seq(s)
    if dim is None:
        dim = tuple(range(-len(s), 0)) if s is not None else default(x)
    return s, dim


def _hfftn_like(default):
    def op(x, s=None, dim=None, norm=None):
        s, dim = _axes(x, s, dim, default)
        return jnp.fft.irfftn(jnp.conj(_complex(x)), s=s, axes=dim, norm=_SWAPPED_NORM[norm])

    return op


def _ihfftn_like(default):
    def op(x, s=None, dim=None, norm=None):
        s, dim = _axes(x, s, dim, default)
        return jnp.conj(jnp.fft.rfftn(_f(x), s=s, axes=dim, norm=_SWAPPED_NORM[norm]))

    return op


def _complex(x):
    return x if jnp.issubdtype(x.dtype, jnp.complexfloating) else _f(x).astype(jnp.complex64)


def _two(x):
    return (-2, -1)


def _all(x):
    return tuple(range(x.ndim))


_FFT = {
    "hfft2": _hfftn_like(_two), "hfftn": _hfftn_like(_all), "ihfft2": _ihfftn_like(_two),
    "ihfftn": _ihfftn_like(_all),
}  # fmt: skip
_LINALG = {
    "vander": _vander, "householder_product": _householder_product, "lstsq": _lstsq,
    "lu_factor_ex": _lu_factor_ex, "lu_solve": _linalg_lu_solve,
}  # fmt: skip
_TORCH = {
    "cholesky": _legacy_cholesky, "cholesky_solve": _cholesky_solve, "qr": _qr, "svd": _svd,
    "triangular_solve": _triangular_solve, "lu_unpack": _lu_unpack, "lu_solve": _lu_solve_legacy, "lu": _legacy_lu,
    "norm": _norm, "geqrf": _geqrf, "ormqr": _ormqr,
}  # fmt: skip
_METHODLESS = {"lu_unpack", "lu"}

ROWS = (
    [OpDef(n, f, "other", FLOAT, False, "fft") for n, f in _FFT.items()]
    + [OpDef(n, f, "other", SAME, False, "linalg") for n, f in _LINALG.items()]
    + [OpDef(n, f, "other", SAME, n not in _METHODLESS) for n, f in _TORCH.items()]
)
