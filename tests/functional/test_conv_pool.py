"""conv2d and the pooling ops against torch.nn.functional: forward values and vjps."""

import numpy as np
import pytest

import functorch_lite.functional as fn
from tests.helpers.numerics import FLOAT32_REDUCTION, check_vs_torch, randn, torch

F = torch.nn.functional

CONV_CASES = [
    # (input shape, weight shape, kwargs)
    ((2, 3, 9, 9), (4, 3, 3, 3), {}),
    ((2, 3, 9, 8), (4, 3, 3, 2), {"stride": 2, "padding": 1}),
    ((1, 2, 10, 11), (3, 2, 3, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
    ((2, 4, 7, 7), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((2, 4, 7, 7), (4, 1, 3, 3), {"groups": 4, "padding": 1, "bias": False}),  # depthwise
    ((2, 4, 7, 7), (8, 1, 5, 5), {"groups": 4, "padding": "same"}),  # depthwise multiplier 2
    ((1, 2, 8, 9), (3, 2, 4, 2), {"padding": "same"}),  # even kernel: extra pixel at the end
    ((1, 2, 9, 9), (3, 2, 4, 3), {"padding": "same", "dilation": (1, 2)}),
    ((1, 2, 9, 9), (3, 2, 2, 2), {"padding": "same", "dilation": 2, "bias": False}),
    ((2, 3, 6, 6), (2, 3, 3, 3), {"padding": "valid", "bias": False}),
    ((3, 6, 6), (2, 3, 3, 3), {"padding": 1, "bias": False}),  # unbatched CHW
    ((2, 1, 32, 32), (6, 1, 5, 5), {}),  # LeNet's first layer
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("xshape,wshape,kwargs", CONV_CASES)
def test_conv2d_matches_torch(xshape, wshape, kwargs):
    kwargs = dict(kwargs)
    bias = kwargs.pop("bias", True)
    x, w = randn(xshape, 1), randn(wshape, 2)
    b = randn(wshape[:1], 3) if bias else None
    argnums = (0, 1, 2) if bias else (0, 1)
    check_vs_torch(
        lambda x, w, b: fn.conv2d(x, w, b, **kwargs),
        lambda x, w, b: F.conv2d(x, w, b, **kwargs),
        [x, w, b],
        argnums,
        tol=FLOAT32_REDUCTION,
    )


MAX_POOL_CASES = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 9, 7), dict(kernel_size=3, stride=2)),
    ((1, 2, 9, 9), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 10, 10), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0))),
    ((1, 2, 8, 8), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ((1, 2, 10, 9), dict(kernel_size=3, stride=3, padding=1, ceil_mode=True)),  # last window dropped
    ((1, 2, 5, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
    ((3, 7, 7), dict(kernel_size=2, stride=2, ceil_mode=True)),  # unbatched
]


@pytest.mark.parametrize("shape,kwargs", MAX_POOL_CASES)
def test_max_pool2d_matches_torch(shape, kwargs):
    check_vs_torch(lambda x: fn.max_pool2d(x, **kwargs), lambda x: F.max_pool2d(x, **kwargs), [randn(shape, 4)])


DILATED_MAX_POOL_CASES = [
    ((1, 2, 11, 11), dict(kernel_size=3, stride=1, dilation=2)),
    ((1, 2, 11, 12), dict(kernel_size=3, stride=2, padding=1, dilation=(2, 1), ceil_mode=True)),
]


@pytest.mark.parametrize("shape,kwargs", DILATED_MAX_POOL_CASES)
def test_dilated_max_pool2d_forward_matches_torch(shape, kwargs):
    check_vs_torch(
        lambda x: fn.max_pool2d(x, **kwargs), lambda x: F.max_pool2d(x, **kwargs), [randn(shape, 4)], grad_argnums=()
    )


@pytest.mark.parametrize("shape,kwargs", DILATED_MAX_POOL_CASES)
def test_dilated_max_pool2d_gradient_matches_torch(shape, kwargs):
    check_vs_torch(lambda x: fn.max_pool2d(x, **kwargs), lambda x: F.max_pool2d(x, **kwargs), [randn(shape, 4)])


AVG_POOL_CASES = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((1, 2, 9, 7), dict(kernel_size=3, stride=2)),
    ((1, 2, 9, 9), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 10, 9), dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1))),
    ((1, 2, 8, 8), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ((1, 2, 10, 9), dict(kernel_size=3, stride=3, padding=1, ceil_mode=True)),
    ((1, 2, 5, 6), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
    ((3, 7, 7), dict(kernel_size=3, stride=2, padding=1)),  # unbatched
]


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape,kwargs", AVG_POOL_CASES)
def test_avg_pool2d_matches_torch(shape, kwargs, count_include_pad):
    kwargs = dict(kwargs, count_include_pad=count_include_pad)
    check_vs_torch(lambda x: fn.avg_pool2d(x, **kwargs), lambda x: F.avg_pool2d(x, **kwargs), [randn(shape, 5)])


@pytest.mark.parametrize("shape,kwargs", [AVG_POOL_CASES[2], AVG_POOL_CASES[5], AVG_POOL_CASES[7]])
def test_avg_pool2d_divisor_override_matches_torch(shape, kwargs):
    kwargs = dict(kwargs, divisor_override=5)  # overrides both count_include_pad settings
    check_vs_torch(lambda x: fn.avg_pool2d(x, **kwargs), lambda x: F.avg_pool2d(x, **kwargs), [randn(shape, 5)])


@pytest.mark.parametrize(
    "shape,output_size",
    [
        ((2, 3, 8, 8), 4),  # divisible: equal bins
        ((2, 3, 8, 6), (2, 3)),
        ((2, 3, 7, 9), (3, 4)),  # overlapping, uneven bins
        ((1, 2, 5, 5), 1),
        ((1, 2, 3, 4), (5, 7)),  # upsampling
        ((1, 2, 7, 6), (None, 4)),
        ((1, 2, 7, 6), (3, None)),
        ((3, 10, 9), (4, 4)),  # unbatched
    ],
)
def test_adaptive_avg_pool2d_matches_torch(shape, output_size):
    check_vs_torch(
        lambda x: fn.adaptive_avg_pool2d(x, output_size),
        lambda x: F.adaptive_avg_pool2d(x, output_size),
        [randn(shape, 6)],
    )


def test_max_pool2d_padding_never_wins():
    """Padding counts as -inf: an all-negative input must not produce zeros at the border."""
    x = -np.abs(randn((1, 1, 4, 4), 7)) - 1.0
    y = np.asarray(fn.max_pool2d(x, 3, stride=1, padding=1))
    assert (y < 0).all()


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_max_pool2d_gradient_with_ties_goes_to_one_entry_like_torch(kwargs):
    """Ties are common after relu (all-zero windows); PyTorch routes the gradient to one entry."""
    x = np.maximum(np.round(randn((2, 3, 8, 8), 8)), 0).astype(np.float32)
    check_vs_torch(lambda x: fn.max_pool2d(x, **kwargs), lambda x: F.max_pool2d(x, **kwargs), [x])
