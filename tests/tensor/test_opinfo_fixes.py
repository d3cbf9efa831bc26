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
    return out.detach(), [leaf.grad for leaf in leaves]


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
