"""Ops that PyTorch's OpInfo samples caught computing wrongly or rejecting valid input, against torch."""

import numpy as np
import pytest
import torch

import functorch_lite as fl
from tests.helpers.numerics import FLOAT32_GRAD, FLOAT32_OP, assert_close, randn


def _value_and_grads(library, fn, arrays):
    leaves = [library.tensor(a, requires_grad=True) for a in arrays]
    out = fn(library, *leaves)
    weights = np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(tuple(out.shape))
    (out * library.tensor(weights)).sum().backward()
    return out.detach(), [library.zeros_like(leaf) if leaf.grad is None else leaf.grad for leaf in leaves]


def _matches_torch(fn, *arrays):
    want, want_grads = _value_and_grads(torch, fn, arrays)
    have, have_grads = _value_and_grads(fl, fn, arrays)
    assert_close(have, want, FLOAT32_OP)
    assert_close(list(have_grads), list(want_grads), FLOAT32_GRAD)


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
@pytest.mark.parametrize("dim", [(0,), (0, 2, 1), (-2, -1)])
def test_fft2_takes_any_number_of_dims_as_fftn(name, dim):
    x = randn((4, 3, 6))
    want = getattr(torch.fft, name)(torch.tensor(x), dim=dim)
    have = getattr(fl.fft, name)(fl.tensor(x), dim=dim)
    assert_close(have, want, FLOAT32_OP)


@pytest.mark.parametrize(
    ("shapes", "dims"),
    [
        (((2, 3, 4), (3, 4, 5)), 2),
        (((2, 3, 4), (4, 2, 5)), ([0, 2], [1, 0])),
        (((2, 1, 4), (4, 3, 2)), [[0, 1], [2, 1]]),  # a size-1 dim contracted against size 3: broadcast
        (((1, 1, 1), (2, 1, 2)), ([0, 1], [2, 0])),
        (((3, 4), (4, 3)), 0),
    ],
)
def test_tensordot_dims_forms_and_broadcast_contraction(shapes, dims):
    arrays = [randn(shape, seed) for seed, shape in enumerate(shapes)]
    _matches_torch(lambda lib, a, b: lib.tensordot(a, b, dims=dims), *arrays)


def test_tensordot_rejects_mismatched_contraction_like_torch():
    with pytest.raises(RuntimeError, match="contracted dimensions need to match"):
        fl.tensordot(fl.ones(3, 2), fl.ones(2, 3), dims=([0], [0]))
    with pytest.raises(RuntimeError, match="dims >= 0"):
        fl.tensordot(fl.ones(3, 2), fl.ones(2, 3), dims=-1)


@pytest.mark.parametrize("name", ["sum", "prod", "amax", "amin", "mean", "logsumexp", "argmax", "argmin"])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("keepdim", [False, True])
def test_masked_reductions_of_zero_dim_inputs(name, masked, keepdim):
    x = np.float32(1.75)
    want = getattr(torch.masked, name)(torch.tensor(x), 0, keepdim=keepdim, mask=torch.tensor(True) if masked else None)
    have = getattr(fl.masked, name)(fl.tensor(x), 0, keepdim=keepdim, mask=fl.tensor(True) if masked else None)
    assert tuple(have.shape) == tuple(want.shape) == ()
    assert_close(have, want, FLOAT32_OP)


def test_masked_argmax_returns_the_index_in_the_input_dtype_like_torch():
    x, mask = randn((3, 4)), np.array([[True, False, True, True]] * 3)
    for name in ("argmax", "argmin"):
        want = getattr(torch.masked, name)(torch.tensor(x), 1, mask=torch.tensor(mask))
        have = getattr(fl.masked, name)(fl.tensor(x), 1, mask=fl.tensor(mask))
        assert want.dtype == torch.float32 and have.dtype == fl.float32
        assert_close(have, want, FLOAT32_OP)
        assert getattr(fl.masked, name)(fl.tensor(x), 1, dtype=fl.float64).dtype == fl.float64


# Below about -5 jax's polygamma is far off (psi_1(-8.48) came out 7.74 for 9.80).
NEGATIVE = np.array([-8.4784, -1.7658, -4.3228, -20.7, -0.5, -0.001, 0.3, 3.5, 11.25], np.float32)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_polygamma_is_accurate_for_negative_inputs(n):
    import scipy.special

    want = scipy.special.polygamma(n, NEGATIVE.astype(np.float64))
    assert_close(fl.polygamma(n, fl.tensor(NEGATIVE)), want.astype(np.float32), FLOAT32_GRAD)
    assert_close(fl.polygamma(n, fl.tensor(NEGATIVE)), torch.polygamma(n, torch.tensor(NEGATIVE)), FLOAT32_GRAD)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_polygamma_and_digamma_gradients_are_the_next_polygamma(n):
    import scipy.special

    x = fl.tensor(NEGATIVE, requires_grad=True)
    (fl.digamma(x) if n == 0 else fl.polygamma(n, x)).sum().backward()
    want = scipy.special.polygamma(n + 1, NEGATIVE.astype(np.float64)).astype(np.float32)
    assert_close(x.grad, want, FLOAT32_GRAD)


def test_polygamma_and_digamma_at_poles_match_torch():
    poles = np.array([0.0, -0.0, -2.0, -7.0], np.float32)
    for n in range(5):
        want = torch.polygamma(n, torch.tensor(poles))
        have = np.asarray(fl.polygamma(n, fl.tensor(poles)))
        # torch's trigamma is finite at negative integers only through float32 rounding of sin(pi x).
        finite = [0, 1] if n == 1 else slice(None)
        np.testing.assert_array_equal(have[finite], want.numpy()[finite])
    np.testing.assert_array_equal(np.asarray(fl.digamma(fl.tensor(poles))), torch.digamma(torch.tensor(poles)).numpy())


@pytest.mark.parametrize(("shape", "dims"), [((2, 3, 6), None), ((2, 3, 6), (0, 2)), ((3, 4, 4, 3), (0, 2))])
def test_tensorsolve_moves_dims_and_needs_only_matching_sizes_like_torch(shape, dims):
    a = randn(shape) + 3 * np.eye(6 if len(shape) == 3 else 12, dtype=np.float32).reshape(shape)  # well conditioned
    _matches_torch(lambda lib, x, y: lib.linalg.tensorsolve(x, y, dims=dims), a, randn(shape[:2], 1))


def test_tensorsolve_rejects_sizes_that_do_not_make_a_square_system():
    with pytest.raises(RuntimeError, match="prod\\(self.shape\\[other.ndim:\\]\\)"):
        fl.linalg.tensorsolve(fl.ones(2, 3, 5), fl.ones(2, 3))


ORDS = [2, 1, 0, 0.5, 3.5, 1.5, float("inf"), -float("inf"), -0.5, -1, -2]


@pytest.mark.parametrize("ord", ORDS)
def test_vector_norm_gradients_at_zero_are_torchs_subgradients(ord):
    for shape in [(5,), (2, 3)]:
        _matches_torch(lambda lib, x: lib.linalg.vector_norm(x, ord), np.zeros(shape, np.float32))
        _matches_torch(lambda lib, x: lib.linalg.vector_norm(x, ord, dim=1, keepdim=True), np.zeros((2, 3), np.float32))
    _matches_torch(lambda lib, x: lib.linalg.norm(x, "fro"), np.zeros((2, 3), np.float32))


@pytest.mark.parametrize("ord", ORDS)
def test_vector_norm_gradients_match_torch_away_from_zero_and_with_ties(ord):
    x = randn((3, 4))
    x[0, :2] = 0.0  # zero entries
    x[1, 1], x[1, 2] = 2.5, -2.5  # a tie for the max
    if ord != 0:
        _matches_torch(lambda lib, a: lib.linalg.vector_norm(a, ord, dim=(1,)), x)
    _matches_torch(lambda lib, a: lib.linalg.vector_norm(a, ord), x[2])


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_gradient_is_torchs_for_the_triangle_it_reads(uplo):
    # The input is not symmetric: eigh reads one triangle, and jax's rule used to differentiate at
    # (a + a^T) / 2 instead. |eigenvectors| keeps the loss independent of their signs.
    a, weights = randn((5, 5)), randn((5, 5), 1)

    def loss(lib, x):
        values, vectors = lib.linalg.eigh(x, UPLO=uplo)
        return values * lib.tensor(weights[0]) + (vectors.abs() * lib.tensor(weights)).sum(0)

    _matches_torch(loss, a)
    _matches_torch(lambda lib, x: lib.linalg.eigvalsh(x, UPLO=uplo), a)


def test_pinv_hermitian_reads_the_lower_triangle_with_torchs_gradient():
    a = randn((5, 5))
    _matches_torch(lambda lib, x: lib.linalg.pinv(x, hermitian=True), a)
    _matches_torch(lambda lib, x: lib.linalg.pinv(x, hermitian=True), a + a.T)


def test_nextafter_has_torchs_gradient():
    x, other = np.array([1.0, -2.0, 0.0], np.float32), np.float32(0.5)
    want = [torch.tensor(x, requires_grad=True), torch.tensor(other, requires_grad=True)]
    torch.nextafter(*want).sum().backward()
    have = [fl.tensor(x, requires_grad=True), fl.tensor(other, requires_grad=True)]
    out = fl.nextafter(*have)
    out.sum().backward()
    np.testing.assert_array_equal(np.asarray(out.detach()), torch.nextafter(torch.tensor(x), torch.tensor(other)))
    assert_close([have[0].grad, have[1].grad], [want[0].grad, want[1].grad], FLOAT32_OP)
