"""The added `torch.masked` reductions (`_tensor/masked_extra.py`) against PyTorch, forward and gradient."""

import numpy as np
import pytest
import torch

import functorch_lite as fl
from tests.helpers.numerics import FLOAT32_ACCUMULATED, FLOAT32_REDUCTION, assert_close, randn

X = randn((4, 5), 0)
MASK = randn((4, 5), 1) > -0.5
MASK[0] = False  # one row with nothing kept


def _run(library, name, *args, **kwargs):
    x = library.tensor(X, requires_grad=True)
    kwargs = {k: library.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    out = getattr(library.masked, name)(x, *args, **kwargs)
    weights = library.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(tuple(out.shape)))
    total = library.where(library.isnan(out), library.zeros_like(out), out * weights)
    total.sum().backward()
    return out, x.grad


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("median", (1,), {"mask": MASK}),
        ("norm", (2.0, 1), {"mask": MASK}),
        ("norm", (1.0,), {"mask": MASK, "keepdim": True}),
        ("var", (1,), {"mask": MASK, "keepdim": True}),
        ("std", (), {"mask": MASK[:1, :] | True, "correction": 0}),
        ("normalize", (2.0, 1), {"mask": MASK}),
    ],
)
def test_masked_reductions_match_torch(name, args, kwargs):
    want, want_grad = _run(torch, name, *args, **kwargs)
    have, have_grad = _run(fl, name, *args, **kwargs)
    assert_close(have, want, FLOAT32_REDUCTION, name)
    assert_close(have_grad, want_grad, FLOAT32_ACCUMULATED, f"{name} gradient")


def test_masked_logaddexp_and_zero_dim_inputs():
    other = randn((4, 5), 2)
    want = torch.masked.logaddexp(
        torch.tensor(X), torch.tensor(other), input_mask=torch.tensor(MASK), other_mask=torch.tensor(~MASK)
    )
    have = fl.masked.logaddexp(fl.tensor(X), fl.tensor(other), input_mask=fl.tensor(MASK), other_mask=fl.tensor(~MASK))
    assert_close(have, want, FLOAT32_REDUCTION)
    scalar = np.float32(1.5)
    want = torch.masked.norm(torch.tensor(scalar), 2.0, dim=0, keepdim=True)
    assert_close(fl.masked.norm(fl.tensor(scalar), 2.0, dim=0, keepdim=True), want, FLOAT32_REDUCTION)


@pytest.mark.parametrize("name", ["norm", "normalize"])
def test_masked_norm_gradient_at_an_all_zero_kept_row_matches_torch(name):
    values = [[0.0, 0.0, 1.0], [3.0, 4.0, 0.0]]
    keep = [[True, True, False], [True, True, True]]
    weights = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] if name == "normalize" else [1.0, 2.0]
    grads = []
    for lib in (fl, torch):
        x = lib.tensor(values, requires_grad=True)
        (getattr(lib.masked, name)(x, 2.0, 1, mask=lib.tensor(keep)) * lib.tensor(weights)).sum().backward()
        grads.append(np.asarray(x.grad))
    assert np.all(np.isfinite(grads[0]))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)
