"""Functional-core ops that PyTorch's OpInfo samples caught (0-d and 1-d inputs, missing modes), against torch."""

import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite.functional import batch_norm
from functorch_lite.functional.activation_table import cosine_similarity
from functorch_lite.functional.conv_pool_nd import OPS as ND_OPS
from functorch_lite.functional.interpolate import interpolate
from functorch_lite.functional.loss_extra import multi_margin_loss, multilabel_margin_loss
from functorch_lite.functional.pool_extra import OPS as POOL_EXTRA
from tests.helpers.numerics import (
    FLOAT32_GRAD,
    FLOAT32_OP,
    FLOAT32_REDUCTION,
    assert_close,
    check_vs_torch,
    randn,
    torch,
)

F = torch.nn.functional


@pytest.mark.parametrize(
    ("shapes", "kwargs"),
    [
        (((), ()), {"dim": 0}),
        (((), ()), {"dim": -1, "eps": 0.5}),
        (((5,), (5,)), {"dim": 0, "eps": 0.5}),
        (((4, 3), (1, 3)), {"dim": 1}),
        (((2, 3), (2, 3)), {"dim": 0, "eps": 3.0}),  # the norms are clamped one by one, as in torch
    ],
)
def test_cosine_similarity_matches_torch(shapes, kwargs):
    args = [randn(shape, seed) for seed, shape in enumerate(shapes)]
    check_vs_torch(
        lambda a, b: cosine_similarity(a, b, **kwargs),
        lambda a, b: F.cosine_similarity(a, b, **kwargs),
        args,
        (0, 1),
        grad_tol=FLOAT32_GRAD,
    )


def test_cosine_similarity_gradient_at_a_zero_vector_is_finite_like_torch():
    zero, other = np.zeros(3, np.float32), randn((3,))
    check_vs_torch(
        lambda a, b: cosine_similarity(a, b, dim=0),
        lambda a, b: F.cosine_similarity(a, b, dim=0),
        [zero, other],
        (0, 1),
    )


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(
    ("shape", "target", "p"), [((), 0, 1), ((5,), 2, 1), ((5,), [1], 2), ((1, 5), [3], 1), ((3, 5), [0, 4, 2], 2)]
)
def test_multi_margin_loss_shapes_and_values_match_torch(shape, target, p, reduction):
    target = np.array(target)
    check_vs_torch(
        lambda x: multi_margin_loss(x, target, p=p, reduction=reduction),
        lambda x: F.multi_margin_loss(x, torch.tensor(target), p=p, reduction=reduction),
        [randn(shape)],
        tol=FLOAT32_OP,
    )


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(
    ("shape", "target"), [((), 0), ((), -1), ((5,), [1, 4, -1, 0, 0]), ((2, 3), [[2, -1, 0], [0, 1, 2]])]
)
def test_multilabel_margin_loss_shapes_and_values_match_torch(shape, target, reduction):
    target = np.array(target)
    check_vs_torch(
        lambda x: multilabel_margin_loss(x, target, reduction=reduction),
        lambda x: F.multilabel_margin_loss(x, torch.tensor(target), reduction=reduction),
        [randn(shape)],
    )


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_returns_an_empty_1d_input_like_torch(training):
    for channels in (0, 3):
        mean, var = np.zeros(channels, np.float32), np.ones(channels, np.float32)
        want = F.batch_norm(torch.zeros(0), torch.tensor(mean), torch.tensor(var), training=training)
        out, new_mean, new_var = batch_norm(jnp.zeros(0), jnp.asarray(mean), jnp.asarray(var), training=training)
        assert out.shape == tuple(want.shape) == (0,)
        np.testing.assert_array_equal(new_mean, mean)
        np.testing.assert_array_equal(new_var, var)
    with pytest.raises(ValueError, match="batch_norm: expected input of rank 2"):
        batch_norm(jnp.ones(5), jnp.zeros(5), jnp.ones(5), training=training)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize(
    "resize",
    [
        {"size": (7, 9)},
        {"size": (2, 3)},  # downsampling: source positions before 0 clamp their taps to the border
        {"size": (1, 1)},
        {"scale_factor": 1.7},
        {"scale_factor": (0.6, 2.5), "recompute_scale_factor": True},
    ],
)
def test_bicubic_interpolate_matches_torch(resize, align_corners):
    check_vs_torch(
        lambda x: interpolate(x, mode="bicubic", align_corners=align_corners, **resize),
        lambda x: F.interpolate(x, mode="bicubic", align_corners=align_corners, **resize),
        [randn((2, 3, 4, 5))],
        tol=FLOAT32_REDUCTION,
        grad_tol=FLOAT32_GRAD,
    )


def test_bicubic_interpolate_through_the_tensor_face():
    x = randn((1, 2, 3, 4))
    want = F.interpolate(torch.tensor(x), scale_factor=2, mode="bicubic")
    assert_close(fl.nn.functional.interpolate(fl.tensor(x), scale_factor=2, mode="bicubic"), want, FLOAT32_REDUCTION)
    with pytest.raises(ValueError, match="bicubic"):
        fl.nn.functional.interpolate(fl.tensor(x[0]), scale_factor=2, mode="bicubic")


@pytest.mark.parametrize(
    ("n", "shape", "kwargs"),
    [
        (3, (1, 2, 3, 6, 5), {"kernel_size": 3, "stride": 2, "ceil_mode": True, "dilation": (1, 2, 1)}),
        (3, (2, 1, 5, 5, 6), {"kernel_size": 2, "stride": 1, "padding": 1, "dilation": 2}),
        (1, (2, 3, 9), {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 3, "ceil_mode": True}),
        (1, (3, 8), {"kernel_size": 2, "dilation": 2}),  # unbatched
    ],
)
def test_dilated_max_pool_matches_torch_with_gradient(n, shape, kwargs):
    pool = ND_OPS[f"max_pool{n}d"]
    check_vs_torch(
        lambda x: pool(x, **kwargs),
        lambda x: getattr(F, f"max_pool{n}d")(x, **kwargs),
        [randn(shape)],
    )


def test_dilated_max_pool_sends_a_tied_window_gradient_to_its_first_maximum_like_torch():
    x = np.ones((1, 1, 3, 3, 3), np.float32)
    check_vs_torch(
        lambda a: ND_OPS["max_pool3d"](a, 2, stride=1, dilation=2),
        lambda a: F.max_pool3d(a, 2, stride=1, dilation=2),
        [x],
    )


@pytest.mark.parametrize("n", [1, 2, 3])
def test_max_unpool_gradient_reaches_every_value_unpooled_to_one_place_like_torch(n):
    # Overlapping windows (kernel 3, stride 2) pick one maximum twice: both copies get its gradient.
    x = torch.tensor(randn((2, 3) + (5,) * n))
    values, indices = getattr(F, f"max_pool{n}d")(x, 3, stride=2, padding=1, return_indices=True)
    unpool = POOL_EXTRA[f"max_unpool{n}d"]
    index = indices.numpy()
    check_vs_torch(
        lambda v: unpool(v, jnp.asarray(index), 3, 2, 1, output_size=x.shape),
        lambda v: getattr(F, f"max_unpool{n}d")(v, torch.tensor(index), 3, 2, 1, output_size=x.shape),
        [values.numpy()],
    )
    assert any(len(np.unique(plane)) < plane.size for plane in index.reshape(6, -1))  # the case tested
