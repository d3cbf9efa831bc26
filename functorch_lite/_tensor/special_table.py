"""Table rows for the rest of `torch.special`: orthogonal polynomials, Bessel functions, `erfcx`, `polygamma`.

Polynomials run their three-term recurrences up to the largest degree in `n` (an int or a tensor,
truncated to an integer as PyTorch does; a negative degree gives 0). Bessel functions are written
from their integral representations, which a fixed quadrature evaluates to float32 accuracy:

- J_m(x) = mean over equispaced theta of cos(m theta - x sin theta) (the trapezoid rule is exact to
  rounding for a periodic analytic integrand once there are more nodes than |x| + m + 30); Y0 and
  Y1 add Neumann series in J_2k, whose theta-weights are summed once at import; for |x| > 25,
  Hankel's asymptotic expansions;
- K_nu(x) = integral over t >= 0 of exp(-x cosh t) cosh(nu t) (trapezoid rule, exponentially
  accurate for this analytic integrand); series for tiny x, asymptotic expansions for x > 30.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
import numpy as np

from .op_table import FLOAT, OpDef, _float, _i0, _polygamma, _promote_float

_EULER = 0.5772156649015329


# ---- orthogonal polynomials ----------------------------------------------------------------------
def _polynomial(first, step, shift=False):
    """P_n(x) from P_0 = 1, P_1 = first(x) and P_(k+1) = step(k, x, P_k, P_(k-1))."""

    def op(x, n):
        x, n = _promote_float(x, n)
        x, n = jnp.broadcast_arrays(x, n)
        x = 2 * x - 1 if shift else x
        degree = jnp.where(jnp.isfinite(n), jnp.trunc(n), -1)
        top = jnp.max(degree, initial=1)

        def body(state):
            k, previous, current, out = state
            following = step(k, x, current, previous)
            return k + 1, current, following, jnp.where(degree == k + 1, following, out)

        p0, p1 = jnp.ones_like(x), first(x)
        out = jnp.where(degree == 0, p0, jnp.where(degree == 1, p1, 0))
        state = (jnp.asarray(1, x.dtype), p0, p1, out)
        out = jax.lax.while_loop(lambda s: s[0] < top, body, state)[3]
        return jnp.where(degree < 0, 0, out).astype(x.dtype)

    return op


def _chebyshev(k, x, p, q):
    return 2 * x * p - q


_POLYNOMIALS = {
    "chebyshev_polynomial_t": (lambda x: x, _chebyshev),
    "chebyshev_polynomial_u": (lambda x: 2 * x, _chebyshev),
    "chebyshev_polynomial_v": (lambda x: 2 * x - 1, _chebyshev),
    "chebyshev_polynomial_w": (lambda x: 2 * x + 1, _chebyshev),
    "hermite_polynomial_h": (lambda x: 2 * x, lambda k, x, p, q: 2 * x * p - 2 * k * q),
    "hermite_polynomial_he": (lambda x: x, lambda k, x, p, q: x * p - k * q),
    "laguerre_polynomial_l": (lambda x: 1 - x, lambda k, x, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1)),
    "legendre_polynomial_p": (lambda x: x, lambda k, x, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1)),
}
_POLYNOMIAL_OPS = {name: _polynomial(*rule) for name, rule in _POLYNOMIALS.items()}
for _kind in "tuvw":
    _POLYNOMIAL_OPS[f"shifted_chebyshev_polynomial_{_kind}"] = _polynomial(
        *_POLYNOMIALS[f"chebyshev_polynomial_{_kind}"], shift=True
    )


# ---- erfcx ---------------------------------------------------------------------------------------
def _erfcx_value(x):
    # exp(x^2) erfc(x) directly where it neither overflows nor underflows; Laplace's continued
    # fraction erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) beyond.
    safe = jnp.where(x >= 2, 0.0, x)
    direct = jnp.exp(safe * safe) * jsp.erfc(safe)
    far = jnp.where(x >= 2, x, 2.0)
    fraction = far
    for k in range(40, 0, -1):
        fraction = far + (k / 2) / fraction
    return jnp.where(x >= 2, 1 / (math.sqrt(math.pi) * fraction), direct)


@jax.custom_jvp
def _erfcx(x):
    return _erfcx_value(_float(x))


_erfcx.defjvp(
    lambda primals, tangents: (
        _erfcx(primals[0]),
        (2 * primals[0] * _erfcx(primals[0]) - 2 / math.sqrt(math.pi)) * tangents[0],
    )
)


# ---- Bessel functions of the first and second kind -----------------------------------------------
_NODES = 128
_THETA = 2 * np.pi * np.arange(_NODES) / _NODES


def _weights(coefficients: dict) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) with sum_m c_m J_m(x) = mean(cos(x sin theta) A + sin(x sin theta) B)."""
    a = sum(c * np.cos(m * _THETA) for m, c in coefficients.items())
    b = sum(c * np.sin(m * _THETA) for m, c in coefficients.items())
    return np.float32(a), np.float32(b)


_TERMS = 40
_J0_W = _weights({0: 1.0})
_J1_W = _weights({1: 1.0})
# Y0 = (2/pi)(log(x/2) + gamma) J0 - (4/pi) sum_k (-1)^k J_2k / k
_Y0_SERIES = _weights({2 * k: -(4 / np.pi) * (-1) ** k / k for k in range(1, _TERMS)})
# Y1 = -Y0' = (2/pi)(log(x/2) + gamma) J1 - (2/pi) J0 / x + (2/pi) sum_k (-1)^k (J_(2k-1) - J_(2k+1)) / k
_Y1_SERIES = _weights(
    {
        m: sum((2 / np.pi) * (-1) ** k / k * s for k, s in ((m // 2 + 1, 1.0), ((m - 1) // 2, -1.0)) if k >= 1)
        for m in range(1, 2 * _TERMS, 2)
    }
)
_NEAR = 25.0


def _combination(x, weights):
    phase = x[..., None] * jnp.asarray(np.sin(_THETA), x.dtype)
    a, b = weights
    return jnp.mean(jnp.cos(phase) * a + jnp.sin(phase) * b, axis=-1)


def _hankel(x, order):
    """(J_order, Y_order) for large x > 0 from Hankel's asymptotic expansions."""
    mu = 4.0 * order * order
    z = 8.0 * x
    p = 1 - (mu - 1) * (mu - 9) / (2 * z**2) + (mu - 1) * (mu - 9) * (mu - 25) * (mu - 49) / (24 * z**4)
    q = (mu - 1) / z - (mu - 1) * (mu - 9) * (mu - 25) / (6 * z**3)
    chi = x - (order / 2 + 0.25) * math.pi
    scale = jnp.sqrt(2 / (math.pi * x))
    return scale * (p * jnp.cos(chi) - q * jnp.sin(chi)), scale * (p * jnp.sin(chi) + q * jnp.cos(chi))


def _bessel_j(order):
    def op(x):
        r = jnp.abs(x)
        near = jnp.minimum(r, _NEAR)
        far = jnp.maximum(r, _NEAR)
        value = jnp.where(r <= _NEAR, _combination(near, _J0_W if order == 0 else _J1_W), _hankel(far, order)[0])
        return value if order == 0 else jnp.sign(x) * value

    return op


def _bessel_y(order):
    def op(x):
        near = jnp.clip(x, jnp.finfo(x.dtype).tiny, _NEAR)
        log_term = (2 / math.pi) * (jnp.log(near / 2) + _EULER)
        if order == 0:
            value = log_term * _combination(near, _J0_W) + _combination(near, _Y0_SERIES)
        else:
            j0, j1 = _combination(near, _J0_W), _combination(near, _J1_W)
            value = log_term * j1 - (2 / math.pi) * j0 / near + _combination(near, _Y1_SERIES)
        value = jnp.where(x <= _NEAR, value, _hankel(jnp.maximum(x, _NEAR), order)[1])
        return jnp.where(x < 0, jnp.nan, jnp.where(x == 0, -jnp.inf, value))

    return op


# ---- modified Bessel functions of the second kind --------------------------------------------------
_STEP = 0.1
_T = np.arange(0.0, 14.0 + _STEP / 2, _STEP)
_TRAPEZOID = np.where(_T == 0, 0.5, 1.0) * _STEP
_SMALL, _LARGE = 1e-3, 30.0


def _scaled_k(order):
    """exp(x) K_order(x) for x > 0."""

    def op(x):
        mid = jnp.clip(x, _SMALL, _LARGE)
        t = jnp.asarray(_T, x.dtype)
        integrand = jnp.exp(-mid[..., None] * (jnp.cosh(t) - 1)) * jnp.cosh(order * t)
        value = jnp.sum(integrand * jnp.asarray(_TRAPEZOID, x.dtype), axis=-1)
        big = jnp.maximum(x, _LARGE)
        mu, z = 4.0 * order * order, 8.0 * big
        series, term = 1.0, 1.0
        for k in range(1, 6):
            term = term * (mu - (2 * k - 1) ** 2) / (k * z)
            series = series + term
        asymptotic = jnp.sqrt(math.pi / (2 * big)) * series
        tiny = jnp.clip(x, jnp.finfo(x.dtype).tiny, _SMALL)
        log_half = jnp.log(tiny / 2) + _EULER
        if order == 0:
            small = -log_half * (1 + tiny * tiny / 4) + tiny * tiny / 4
        else:
            small = 1 / tiny + tiny / 2 * log_half - tiny / 4
        value = jnp.where(x > _LARGE, asymptotic, jnp.where(x < _SMALL, small * jnp.exp(tiny), value))
        return jnp.where(x < 0, jnp.nan, jnp.where(x == 0, jnp.inf, value))

    return op


def _k(order):
    scaled = _scaled_k(order)
    return lambda x: scaled(x) * jnp.exp(-x)


# ---- Airy Ai: Maclaurin series near 0, K_(1/3) for x > 1, the oscillating asymptotic for x < -5 ----
_AI0, _AI1 = 0.355028053887817239, 0.258819403792806798  # Ai(0), -Ai'(0)
_MACLAURIN = 40
_AIRY_U = [math.gamma(3 * k + 0.5) / (54**k * math.factorial(k) * math.gamma(k + 0.5)) for k in range(8)]
_K_THIRD = None  # set below, once _scaled_k exists


def _airy_ai(x):
    near = jnp.clip(x, -5.0, 1.0)
    cube = near**3
    f, g, a, b = jnp.ones_like(x), near, jnp.ones_like(x), near
    for k in range(1, _MACLAURIN):
        a = a * cube / ((3 * k - 1) * (3 * k))
        b = b * cube / ((3 * k) * (3 * k + 1))
        f, g = f + a, g + b
    series = _AI0 * f - _AI1 * g
    right = jnp.maximum(x, 1.0)
    zeta = 2 / 3 * right**1.5
    decaying = jnp.sqrt(right / 3) / math.pi * _K_THIRD(zeta) * jnp.exp(-zeta)
    left = jnp.maximum(-x, 5.0)
    zeta = 2 / 3 * left**1.5
    even = sum((-1) ** k * _AIRY_U[2 * k] / zeta ** (2 * k) for k in range(4))
    odd = sum((-1) ** k * _AIRY_U[2 * k + 1] / zeta ** (2 * k + 1) for k in range(4))
    phase = zeta + math.pi / 4
    oscillating = (jnp.sin(phase) * even - jnp.cos(phase) * odd) / (math.sqrt(math.pi) * left**0.25)
    return jnp.where(x > 1, decaying, jnp.where(x < -5, oscillating, series))


def _spherical_j0(x):
    return jnp.where(x == 0, 1.0, jnp.sin(x) / jnp.where(x == 0, 1.0, x)).astype(x.dtype)


_K_THIRD = _scaled_k(1 / 3)
_UNARY = {
    "erfcx": _erfcx, "modified_bessel_i0": _i0, "modified_bessel_i1": jsp.i1, "bessel_j0": _bessel_j(0),
    "bessel_j1": _bessel_j(1), "bessel_y0": _bessel_y(0), "bessel_y1": _bessel_y(1),
    "modified_bessel_k0": _k(0), "modified_bessel_k1": _k(1), "scaled_modified_bessel_k0": _scaled_k(0),
    "scaled_modified_bessel_k1": _scaled_k(1), "spherical_bessel_j0": _spherical_j0,
    "airy_ai": _airy_ai,
}  # fmt: skip

ROWS = (
    [OpDef(n, f, "unary", FLOAT, False, "special") for n, f in _UNARY.items()]
    + [OpDef(n, f, "binary", FLOAT, False, "special") for n, f in _POLYNOMIAL_OPS.items()]
    + [OpDef("polygamma", _polygamma, "other", FLOAT, False, "special")]
)
