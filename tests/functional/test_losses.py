"""Losses against torch.nn.functional: every reduction, weights, ignore_index, label smoothing."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.functional as fn
from tests.helpers.numerics import FLOAT32_REDUCTION, check_vs_torch, randn, rng, to_torch, torch

F = torch.nn.functional
REDUCTIONS = ("mean", "sum", "none")


def all_reductions(loss, concatenate):
    """Every reduction in one function: [mean, sum, *none.ravel()], so one compilation."""

    def run(*args):
        return concatenate([loss(*args, reduction=how).reshape(-1) for how in REDUCTIONS])

    return run


def ours(loss):
    return all_reductions(loss, jnp.concatenate)


def theirs(loss):
    return all_reductions(loss, torch.cat)


def test_unbatched_reduction_none_is_a_scalar_like_torch():
    """Regression: (C,) input and scalar target gave shape (1,), not (), for reduction='none'."""
    x, t = randn((5,), 0), np.array(3)
    assert fn.cross_entropy(x, t, reduction="none").shape == ()
    assert fn.nll_loss(x, t, reduction="none").shape == ()
    assert fn.cross_entropy(x, np.full(5, 0.2, np.float32), reduction="none").shape == ()


def labels(shape, classes, seed=0, ignore=None):
    t = rng(seed).integers(0, classes, size=shape).astype(np.int64)
    if ignore is not None:
        t.reshape(-1)[::3] = ignore
    return t


CE_INDEX_CASES = [
    # (input shape, kwargs)
    ((6, 5), {}),
    ((6, 5), {"weight": True}),
    ((6, 5), {"ignore_index": 2}),  # an in-range class ignored
    ((6, 5), {"ignore_index": -100, "ignore": -100, "weight": True}),
    ((6, 5), {"label_smoothing": 0.1}),
    ((6, 5), {"label_smoothing": 0.2, "weight": True}),
    ((6, 5), {"label_smoothing": 0.2, "weight": True, "ignore": -100}),
    ((3, 4, 5), {}),  # K-dimensional (N, C, d1)
    ((2, 4, 3, 3), {"weight": True, "ignore": 7, "ignore_index": 7, "label_smoothing": 0.05}),
    ((5,), {}),  # unbatched (C,) with a scalar target
    ((5,), {"label_smoothing": 0.1, "weight": True}),
]


@pytest.mark.parametrize("shape,kwargs", CE_INDEX_CASES)
def test_cross_entropy_class_indices_matches_torch(shape, kwargs):
    kwargs = dict(kwargs)
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target = labels(tshape, c, 1, kwargs.pop("ignore", None))
    weight = np.abs(randn((c,), 2)) + 0.1 if kwargs.pop("weight", False) else None
    x = randn(shape, 3) * 2
    check_vs_torch(
        ours(lambda x, w, reduction: fn.cross_entropy(x, target, w, reduction=reduction, **kwargs)),
        theirs(lambda x, w, reduction: F.cross_entropy(x, to_torch(target), w, reduction=reduction, **kwargs)),
        [x, weight],
        (0,),
    )


@pytest.mark.parametrize(
    "shape,weight,smoothing", [((6, 5), False, 0.0), ((6, 5), True, 0.1), ((2, 4, 3), True, 0.0), ((4,), False, 0.3)]
)
def test_cross_entropy_class_probabilities_matches_torch(shape, weight, smoothing):
    c = shape[0] if len(shape) == 1 else shape[1]
    axis = 0 if len(shape) == 1 else 1
    probs = np.exp(randn(shape, 4))
    probs = (probs / probs.sum(axis=axis, keepdims=True)).astype(np.float32)
    w = np.abs(randn((c,), 5)) + 0.1 if weight else None
    check_vs_torch(
        ours(lambda x, p, w, reduction: fn.cross_entropy(x, p, w, reduction=reduction, label_smoothing=smoothing)),
        theirs(lambda x, p, w, reduction: F.cross_entropy(x, p, w, reduction=reduction, label_smoothing=smoothing)),
        [randn(shape, 6), probs, w],
        (0, 1),
    )


@pytest.mark.parametrize(
    "shape,weight,ignore", [((6, 5), False, None), ((6, 5), True, -100), ((3, 4, 2, 2), True, 1), ((4,), False, None)]
)
def test_nll_loss_matches_torch(shape, weight, ignore):
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target = labels(tshape, c, 7, ignore)
    w = np.abs(randn((c,), 8)) + 0.1 if weight else None
    ignore_index = -100 if ignore is None else ignore
    check_vs_torch(
        ours(lambda x, w, reduction: fn.nll_loss(x, target, w, ignore_index=ignore_index, reduction=reduction)),
        theirs(
            lambda x, w, reduction: F.nll_loss(x, to_torch(target), w, ignore_index=ignore_index, reduction=reduction)
        ),
        [randn(shape, 9), w],
        (0,),
    )


@pytest.mark.parametrize("op", ["mse_loss", "l1_loss"])
def test_pointwise_losses_match_torch(op):
    check_vs_torch(ours(getattr(fn, op)), theirs(getattr(F, op)), [randn((4, 3, 2), 10), randn((4, 3, 2), 11)], (0, 1))


@pytest.mark.parametrize("weight,pos_weight", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits_matches_torch(weight, pos_weight):
    x = randn((6, 4), 12) * 3
    x[0] = [100.0, -100.0, 100.0, -100.0]  # extreme logits: torch stays finite, so must we
    t = (rng(13).random((6, 4)) > 0.5).astype(np.float32)
    t[0] = [0.0, 1.0, 1.0, 0.0]
    t[1] = [0.25, 0.5, 0.75, 1.0]  # soft targets
    w = np.abs(randn((6, 4), 14)) if weight else None
    pw = np.abs(randn((4,), 15)) + 0.5 if pos_weight else None
    loss = ours(lambda x, t, w, pw, reduction: fn.binary_cross_entropy_with_logits(x, t, w, reduction, pw))
    check_vs_torch(
        loss,
        theirs(
            lambda x, t, w, pw, reduction: F.binary_cross_entropy_with_logits(
                x, t, w, reduction=reduction, pos_weight=pw
            )
        ),
        [x, t, w, pw],
        (0, 1),
        tol=FLOAT32_REDUCTION,
    )
    value, grad = jax.value_and_grad(lambda x: loss(x, t, w, pw).sum())(jnp.asarray(x))
    assert np.isfinite(np.asarray(value)).all() and np.isfinite(np.asarray(grad)).all()


def test_unchecked_out_of_range_class_indices_give_nan_not_a_finite_loss():
    """Under jit the values are not checked (torch raises): a class index outside [0, C) that is not
    ignore_index poisons its loss with NaN, at either end, and the valid rows keep their gradients."""
    logits, target = jnp.zeros((4, 10)), jnp.array([0, -1, -100, 10])
    per_row = jax.jit(lambda x, t: fn.cross_entropy(x, t, reduction="none"))(logits, target)
    assert np.isfinite(per_row[0]) and per_row[2] == 0 and np.isnan(per_row[1]) and np.isnan(per_row[3])
    grad = jax.jit(jax.grad(lambda x: fn.nll_loss(x, jnp.array([3, 12]), reduction="sum")))(jnp.zeros((2, 10)))
    np.testing.assert_array_equal(grad, jnp.zeros((2, 10)).at[0, 3].set(-1.0))
