"""Property-based parity with PyTorch: core ops over random shapes, strides, paddings, dilations, groups.

Hypothesis draws the geometry; `check_vs_torch` compares the forward value and the
vector-Jacobian product of every differentiable argument (one jitted forward+vjp per
drawn shape). `derandomize=True` makes every run draw the same examples, so CI is
reproducible; the `slow` variants draw more and larger examples.
"""

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import functorch_lite.functional as fn
from tests.helpers.numerics import FLOAT32_ACCUMULATED, assert_close, check_vs_torch, randn, to_torch

torch = pytest.importorskip("torch")
T = torch.nn.functional

FAST = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FAST, max_examples=10)  # each example compiles several programs
small = st.integers


@st.composite
def conv_cases(draw, size=7):
    groups = draw(small(1, 3))
    in_channels, out_channels = groups * draw(small(1, 2)), groups * draw(small(1, 2))
    kernel = (draw(small(1, 3)), draw(small(1, 3)))
    dilation = (draw(small(1, 2)), draw(small(1, 2)))
    stride = (draw(small(1, 3)), draw(small(1, 3)))
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]), st.tuples(small(0, 2), small(0, 2))))
    if padding == "same":
        stride = (1, 1)  # PyTorch allows 'same' only unstrided
    spatial = (draw(small(1, size)), draw(small(1, size)))
    pads = (0, 0) if isinstance(padding, str) else padding
    for length, pad, k, d in zip(spatial, pads, kernel, dilation):
        assume(padding == "same" or length + 2 * pad >= d * (k - 1) + 1)
    batch = draw(small(1, 2))
    return dict(
        shape=(batch, in_channels, *spatial),
        weight=(out_channels, in_channels // groups, *kernel),
        bias=draw(st.booleans()),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        seed=draw(small(0, 2**16)),
    )


def _conv(case):
    x, w = randn(case["shape"], case["seed"]), randn(case["weight"], case["seed"] + 1)
    b = randn(case["weight"][:1], case["seed"] + 2) if case["bias"] else None
    options = {key: case[key] for key in ("stride", "padding", "dilation", "groups")}
    check_vs_torch(
        lambda x, w, b: fn.conv2d(x, w, b, **options),
        lambda x, w, b: T.conv2d(x, w, b, **options),
        [x, w, b],
        (0, 1, 2) if case["bias"] else (0, 1),
        tol=FLOAT32_ACCUMULATED,
    )


@FAST
@given(conv_cases())
def test_conv2d_forward_and_input_weight_gradients(case):
    _conv(case)


@pytest.mark.slow
@SLOW
@given(conv_cases(size=12))
def test_conv2d_many_geometries(case):
    _conv(case)


@st.composite
def pool_cases(draw, size=7, dilated=True):
    kernel = (draw(small(1, 3)), draw(small(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(small(1, 3), small(1, 3))))
    padding = (draw(small(0, kernel[0] // 2)), draw(small(0, kernel[1] // 2)))
    dilation = (draw(small(1, 2)), draw(small(1, 2))) if dilated else (1, 1)
    spatial = (draw(small(1, size)), draw(small(1, size)))
    for length, pad, k, d in zip(spatial, padding, kernel, dilation):
        assume(length + 2 * pad >= d * (k - 1) + 1)
    return dict(
        shape=(draw(small(1, 2)), draw(small(1, 3)), *spatial),
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=draw(st.booleans()),
        count_include_pad=draw(st.booleans()),
        seed=draw(small(0, 2**16)),
    )


def _max_pool(case):
    x = randn(case["shape"], case["seed"])
    args = (case["kernel"], case["stride"], case["padding"], case["dilation"], case["ceil_mode"])
    # A dilated window can fall wholly on padding: both give -inf there, and torch's gradient
    # for it is arbitrary (it differs between channels), so such geometries are not compared.
    assume(np.isfinite(T.max_pool2d(to_torch(x), *args).numpy()).all())
    check_vs_torch(lambda x: fn.max_pool2d(x, *args), lambda x: T.max_pool2d(x, *args), [x], tol=FLOAT32_ACCUMULATED)


def _avg_pool(case):
    x = randn(case["shape"], case["seed"])
    args = (case["kernel"], case["stride"], case["padding"], case["ceil_mode"], case["count_include_pad"])
    check_vs_torch(lambda x: fn.avg_pool2d(x, *args), lambda x: T.avg_pool2d(x, *args), [x], tol=FLOAT32_ACCUMULATED)


@FAST
@given(pool_cases())
def test_max_pool2d(case):
    _max_pool(case)


@FAST
@given(pool_cases(dilated=False))
def test_avg_pool2d_with_ceil_mode_and_count_include_pad(case):
    _avg_pool(case)


@pytest.mark.slow
@SLOW
@given(pool_cases(size=12))
def test_pools_many_geometries(case):
    _max_pool(case)
    case["dilation"] = (1, 1)
    _avg_pool(case)


@FAST
@given(
    st.tuples(small(1, 2), small(1, 3), small(1, 9), small(1, 9)),
    st.tuples(st.one_of(st.none(), small(1, 5)), small(1, 5)),
    small(0, 2**16),
)
def test_adaptive_avg_pool2d(shape, output_size, seed):
    x = randn(shape, seed)
    check_vs_torch(
        lambda x: fn.adaptive_avg_pool2d(x, output_size),
        lambda x: T.adaptive_avg_pool2d(x, output_size),
        [x],
        tol=FLOAT32_ACCUMULATED,
    )


@FAST
@given(st.lists(small(1, 4), min_size=0, max_size=2), small(1, 6), small(1, 6), st.booleans(), small(0, 2**16))
def test_linear(batch, in_features, out_features, bias, seed):
    x, w = randn((*batch, in_features), seed), randn((out_features, in_features), seed + 1)
    b = randn((out_features,), seed + 2) if bias else None
    check_vs_torch(fn.linear, T.linear, [x, w, b], (0, 1, 2) if bias else (0, 1), tol=FLOAT32_ACCUMULATED)


@st.composite
def cross_entropy_cases(draw):
    classes = draw(small(2, 5))
    shape = (draw(small(1, 5)), classes, *draw(st.lists(small(1, 3), max_size=1)))
    seed = draw(small(0, 2**16))
    labels = np.random.default_rng(seed).integers(0, classes, (shape[0], *shape[2:]))
    ignore_index = draw(st.sampled_from([-100, 0, classes - 1]))
    if draw(st.booleans()):  # some labels ignored
        labels.flat[: draw(small(1, labels.size))] = ignore_index
    return dict(
        logits=randn(shape, seed),
        labels=labels,
        ignore_index=ignore_index,
        weight=np.random.default_rng(seed).uniform(0.5, 2, classes).astype(np.float32) if draw(st.booleans()) else None,
        reduction=draw(st.sampled_from(["mean", "sum", "none"])),
        label_smoothing=draw(st.sampled_from([0.0, 0.1, 0.35])),
    )


@FEW
@given(cross_entropy_cases())
def test_cross_entropy_with_ignore_index_and_label_smoothing(case):
    options = {key: case[key] for key in ("ignore_index", "reduction", "label_smoothing")}
    labels, weight = case["labels"], case["weight"]
    check_vs_torch(
        lambda x: fn.cross_entropy(x, labels, weight, **options),
        lambda x: T.cross_entropy(
            x, torch.from_numpy(labels), None if weight is None else torch.from_numpy(weight), **options
        ),
        [case["logits"]],
        (0,),
        tol=FLOAT32_ACCUMULATED,
    )


@FEW
@given(
    st.tuples(small(2, 4), small(1, 3)),
    st.lists(small(1, 3), max_size=2),
    st.booleans(),
    st.booleans(),
    st.sampled_from([0.1, 0.5]),
    small(0, 2**16),
)
def test_batch_norm_output_gradients_and_running_statistics(batch_channels, spatial, training, affine, momentum, seed):
    shape = (*batch_channels, *spatial)
    channels = shape[1]
    x = randn(shape, seed)
    mean, var = randn((channels,), seed + 1), 0.5 + np.abs(randn((channels,), seed + 2))
    weight, bias = (randn((channels,), seed + 3), randn((channels,), seed + 4)) if affine else (None, None)
    grads = (0, 1, 2) if affine else (0,)
    check_vs_torch(
        lambda x, w, b: fn.batch_norm(x, mean, var, w, b, training, momentum)[0],
        lambda x, w, b: T.batch_norm(x, to_torch(mean), to_torch(var), w, b, training, momentum),
        [x, weight, bias],
        grads,
        tol=FLOAT32_ACCUMULATED,
    )
    new_mean, new_var = jax.jit(lambda x: fn.batch_norm(x, mean, var, weight, bias, training, momentum)[1:])(x)
    torch_mean, torch_var = to_torch(mean), to_torch(var)  # torch updates these in place
    T.batch_norm(to_torch(x), torch_mean, torch_var, None, None, training, momentum)
    assert_close(new_mean, torch_mean, FLOAT32_ACCUMULATED)
    assert_close(new_var, torch_var, FLOAT32_ACCUMULATED)
