"""The added `torch.special` functions (`_tensor/special_table.py`) against PyTorch over wide ranges."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from jax.test_util import check_grads

import functorch_lite as fl
from functorch_lite._tensor import special_table
from tests.helpers.numerics import assert_close

# Harness tolerance (rtol 1e-4, atol 1e-4) over [-40, 40] and over 1e-8 .. 1e4 in both signs.
WIDE = np.concatenate([np.linspace(-40, 40, 801), np.geomspace(1e-8, 1e4, 97), -np.geomspace(1e-8, 1e4, 97), [0.0]])
WIDE = WIDE.astype(np.float32)
CLOSE = dict(rtol=1e-4, atol=1e-4, equal_nan=True)

UNARY = [
    "erfcx", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
    "spherical_bessel_j0",
]  # fmt: skip
POLYNOMIALS = [
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p",
]  # fmt: skip


@pytest.mark.parametrize("name", UNARY)
def test_unary_functions_match_torch_over_wide_ranges(name):
    want = getattr(torch.special, name)(torch.tensor(WIDE)).numpy()
    np.testing.assert_allclose(np.asarray(getattr(fl.special, name)(fl.tensor(WIDE))), want, **CLOSE)


def test_airy_ai_matches_torch_where_float32_resolves_its_phase():
    # Below about -400 the phase (2/3)|x|^1.5 moves by more than 1e-3 per float32 step of x.
    x = WIDE[WIDE > -300]
    want = torch.special.airy_ai(torch.tensor(x)).numpy()
    np.testing.assert_allclose(np.asarray(fl.special.airy_ai(fl.tensor(x))), want, **CLOSE)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_match_torch_for_tensor_and_integer_degrees(name):
    x, n = np.meshgrid(np.linspace(-2, 2, 41, dtype=np.float32), np.float32([-2, -0.5, 0, 0.7, 1, 2, 5.9, 7, 12]))
    want = getattr(torch.special, name)(torch.tensor(x), torch.tensor(n)).numpy()
    np.testing.assert_allclose(np.asarray(getattr(fl.special, name)(fl.tensor(x), fl.tensor(n))), want, **CLOSE)
    want = getattr(torch.special, name)(torch.tensor(x[0]), 3).numpy()
    np.testing.assert_allclose(np.asarray(getattr(fl.special, name)(fl.tensor(x[0]), 3)), want, **CLOSE)


def test_erfcx_gradient_matches_torch_and_finite_differences():
    x = np.linspace(-3, 12, 31).astype(np.float32)
    t = torch.tensor(x, requires_grad=True)
    torch.special.erfcx(t).sum().backward()
    f = fl.tensor(x, requires_grad=True)
    fl.special.erfcx(f).sum().backward()
    assert_close(f.grad, t.grad)
    with jax.enable_x64(True):
        check_grads(special_table._erfcx, (jnp.linspace(-2.0, 6.0, 9, dtype=jnp.float64),), order=1, modes=["rev"])


def test_special_polygamma_is_torch_polygamma():
    x = fl.tensor([0.5, 1.5, 3.0])
    np.testing.assert_array_equal(np.asarray(fl.special.polygamma(1, x)), np.asarray(fl.polygamma(1, x)))
