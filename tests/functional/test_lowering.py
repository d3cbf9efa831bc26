"""The CPU fast paths of `_lowering` (banded-matmul convolution, reshape max pooling).

They must equal the generic `lax` lowering and PyTorch (forward and gradients), be
chosen exactly for the shapes they claim, and survive jit, vmap, jacfwd, jacrev,
hessian and eval_shape in every floating dtype.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.functional as fn
from functorch_lite.functional import _lowering
from functorch_lite.models import lenet5
from tests.helpers.numerics import (
    BFLOAT16_SCALED,
    FLOAT16_SCALED,
    FLOAT32_SCALED,
    FLOAT32_SCALED_LOOSE,
    FLOAT64_SCALED,
    assert_close,
    randn,
    torch,
)

NO_PAD = ((0, 0), (0, 0))
needs_cpu = pytest.mark.skipif(jax.default_backend() != "cpu", reason="the fast paths are CPU-only")


def vjp_all(f, args, cotangent):
    out, pullback = jax.vjp(jax.jit(f), *args)
    return out, pullback(cotangent)


# Each case: input shape, weight shape, explicit padding; torch_padding is the same padding
# in torch's symmetric form, or None where only the generic lowering can be compared.
CONV_CASES = [
    ((4, 1, 32, 32), (6, 1, 5, 5), NO_PAD, 0),  # LeNet conv1: 7 blocks of 4 columns
    ((3, 6, 14, 14), (16, 6, 5, 5), NO_PAD, 0),  # LeNet conv2: 10 columns, the last block cropped
    ((2, 3, 9, 11), (4, 3, 3, 2), ((1, 1), (2, 2)), (1, 2)),  # RGB input, padding, oblong kernel
    ((2, 2, 6, 7), (5, 2, 1, 1), NO_PAD, 0),  # 1x1 kernel: blocks of one column
    ((3, 1, 8, 8), (2, 1, 3, 3), ((0, 2), (1, 0)), None),  # asymmetric padding ('same'-like)
    ((2, 4, 9, 9), (3, 4, 7, 7), ((1, 1), (1, 1)), (1, 1)),  # 7x7: blocks of 6, one cropped
    ((2, 3, 6, 5), (2, 3, 2, 5), NO_PAD, 0),  # kernel as wide as the input: one output column
]


@needs_cpu
@pytest.mark.parametrize("xshape, wshape, padding, torch_padding", CONV_CASES)
def test_fast_conv_matches_generic_and_torch(xshape, wshape, padding, torch_padding):
    x, w = randn(xshape, 1), randn(wshape, 2)
    assert _lowering.uses_fast_conv(jnp.asarray(x), jnp.asarray(w), (1, 1), padding, (1, 1), 1)

    def fast(x, w):
        return _lowering.conv2d_nchw(x, w, (1, 1), padding, (1, 1), 1)

    def generic(x, w):
        return _lowering.generic_conv2d_nchw(x, w, (1, 1), padding, (1, 1), 1)

    cotangent = randn(generic(x, w).shape, 3)
    y_fast, grads_fast = vjp_all(fast, (x, w), cotangent)
    y_generic, grads_generic = vjp_all(generic, (x, w), cotangent)
    assert_close(y_fast, y_generic, FLOAT32_SCALED)
    for g_fast, g_generic in zip(grads_fast, grads_generic):
        assert_close(g_fast, g_generic, FLOAT32_SCALED)
    if torch_padding is not None:
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        yt = torch.nn.functional.conv2d(xt, wt, padding=torch_padding)
        yt.backward(torch.tensor(cotangent))
        assert_close(y_fast, yt.detach().numpy(), FLOAT32_SCALED)
        assert_close(grads_fast[0], xt.grad.numpy(), FLOAT32_SCALED)
        assert_close(grads_fast[1], wt.grad.numpy(), FLOAT32_SCALED)


@needs_cpu
@pytest.mark.parametrize(
    "xshape, wshape, stride, dilation, groups",
    [
        ((2, 1, 12, 12), (4, 1, 3, 3), (2, 2), (1, 1), 1),  # strided
        ((2, 1, 12, 12), (4, 1, 3, 3), (1, 1), (2, 2), 1),  # dilated
        ((2, 2, 8, 8), (4, 1, 3, 3), (1, 1), (1, 1), 2),  # grouped
    ],
)
def test_conv_shapes_outside_the_fast_path_use_the_generic_lowering(xshape, wshape, stride, dilation, groups):
    x, w = jnp.asarray(randn(xshape)), jnp.asarray(randn(wshape, 1))
    assert not _lowering.uses_fast_conv(x, w, stride, NO_PAD, dilation, groups)
    torch_y = torch.nn.functional.conv2d(
        torch.tensor(np.asarray(x)), torch.tensor(np.asarray(w)), stride=stride, dilation=dilation, groups=groups
    )
    assert_close(fn.conv2d(x, w, stride=stride, dilation=dilation, groups=groups), torch_y.numpy(), FLOAT32_SCALED)


def test_block_width_is_kernel_width_minus_one_or_a_whole_short_row_when_the_gather_is_large():
    from functorch_lite.functional._banded_conv import block_width

    assert block_width(1, 1, 28, 28, 5, 5) == 4  # kW - 1 columns
    assert block_width(8, 3, 30, 30, 3, 3) == 2
    assert block_width(8, 3, 9, 9, 1, 1) == 1  # at least one
    assert block_width(8, 3, 2, 2, 7, 7) == 2  # never wider than the output
    # A short row (LeNet's conv2) becomes one block once the batch makes the gather large,
    # and stays one block for every larger batch; a long row (LeNet's conv1) never does.
    batches = [2**i for i in range(15)]
    short = [block_width(n, 6, 10, 10, 5, 5) for n in batches]
    assert short[0] == 4 and short[-1] == 10 and set(short) == {4, 10} and short == sorted(short)
    assert {block_width(n, 1, 28, 28, 5, 5) for n in batches} == {4}


@needs_cpu
def test_fast_conv_whole_row_blocks_match_generic_and_torch(monkeypatch):
    from functorch_lite.functional import _banded_conv

    monkeypatch.setattr(_banded_conv, "WHOLE_ROW_ABOVE", 0)  # every short row as one block
    assert _banded_conv.block_width(3, 6, 10, 10, 5, 5) == 10
    x, w = randn((3, 6, 14, 14), 20), randn((16, 6, 5, 5), 21)
    cotangent = randn((3, 16, 12, 10), 22)
    pad = ((1, 1), (0, 0))

    def fast(x, w):
        return _lowering.conv2d_nchw(x, w, (1, 1), pad, (1, 1), 1)

    y, grads = vjp_all(fast, (x, w), cotangent)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, padding=(1, 0))
    yt.backward(torch.tensor(cotangent))
    assert_close(y, yt.detach().numpy(), FLOAT32_SCALED)
    assert_close(grads[0], xt.grad.numpy(), FLOAT32_SCALED)
    assert_close(grads[1], wt.grad.numpy(), FLOAT32_SCALED)


@needs_cpu
def test_fast_conv_leaves_inputs_too_large_to_gather_to_the_native_convolution():
    from functorch_lite.functional import _banded_conv

    w = jax.ShapeDtypeStruct((64, 64, 3, 3), jnp.float32)
    small = jax.ShapeDtypeStruct((8, 64, 32, 32), jnp.float32)
    large = jax.ShapeDtypeStruct((64, 64, 224, 224), jnp.float32)  # the rows would hold ~1.2e9 floats
    same = ((1, 1), (1, 1))
    assert _banded_conv.rows_elements(small.shape, w.shape, same) == 8 * 32 * 16 * 3 * 64 * 4
    assert _banded_conv.accepts(small, w, (1, 1), same, (1, 1), 1)
    assert not _banded_conv.accepts(large, w, (1, 1), same, (1, 1), 1)
    narrow_w = jax.ShapeDtypeStruct((8, 4, 3, 3), jnp.float32)
    assert _lowering.uses_fast_conv(
        jax.ShapeDtypeStruct((8, 4, 32, 32), jnp.float32), narrow_w, (1, 1), same, (1, 1), 1
    )
    huge = jax.ShapeDtypeStruct((4096, 4, 224, 224), jnp.float32)
    assert not _lowering.uses_fast_conv(huge, narrow_w, (1, 1), same, (1, 1), 1)
    assert _lowering.conv_path(huge, narrow_w, (1, 1), same, (1, 1), 1) == "nhwc"


@needs_cpu
@pytest.mark.parametrize(
    "shape, kernel",
    [((4, 6, 28, 28), 2), ((2, 3, 7, 9), 3), ((2, 2, 6, 8), (2, 4))],  # LeNet pool1; sizes not divisible; oblong
)
def test_fast_max_pool_matches_generic_and_torch(shape, kernel):
    x = randn(shape, 4)
    x[0, 0, :2, :2] = 1.5  # a tie: the gradient must go to the first entry only
    x[0, 1, 2:4, 2:4] = 0.0
    pair = (kernel, kernel) if isinstance(kernel, int) else kernel
    assert _lowering.uses_fast_max_pool(jnp.asarray(x), pair, pair, NO_PAD, (1, 1))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.max_pool2d(xt, kernel)
    cotangent = randn(tuple(yt.shape), 5)
    yt.backward(torch.tensor(cotangent))
    y_fast, (g_fast,) = vjp_all(lambda x: fn.max_pool2d(x, kernel), (x,), cotangent)
    y_generic, (g_generic,) = vjp_all(
        lambda x: _lowering.generic_max_pool2d_nchw(x, pair, pair, NO_PAD, (1, 1)), (x,), cotangent
    )
    assert_close(y_fast, yt.detach().numpy(), FLOAT32_SCALED)
    assert_close(g_fast, xt.grad.numpy(), FLOAT32_SCALED)
    assert_close(y_generic, y_fast, FLOAT32_SCALED)
    assert_close(g_generic, g_fast, FLOAT32_SCALED)


@needs_cpu
def test_fast_max_pool_routes_nan_gradients_like_torch():
    x = randn((1, 1, 4, 4))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan  # torch keeps the last NaN of the window
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    y, pullback = jax.vjp(lambda x: fn.max_pool2d(x, 2), jnp.asarray(x))
    assert np.isnan(np.asarray(y)[0, 0, 0, 0])
    assert_close(pullback(jnp.ones_like(y))[0], xt.grad.numpy(), FLOAT32_SCALED)


@needs_cpu
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=2, stride=1),
        dict(kernel_size=2, padding=1),
        dict(kernel_size=2, dilation=2),
        dict(kernel_size=2, ceil_mode=True),
    ],
)
def test_max_pool_shapes_outside_the_fast_path_use_the_generic_lowering(kwargs):
    x = randn((2, 3, 7, 7), 6)
    geometry = fn.pooling._pool_geometry(
        jnp.asarray(x),
        kwargs["kernel_size"],
        kwargs.get("stride"),
        kwargs.get("padding", 0),
        kwargs.get("dilation", 1),
        kwargs.get("ceil_mode", False),
        "max_pool2d",
    )
    _, _, kernel, stride, pads, dilation, _ = geometry
    assert not _lowering.uses_fast_max_pool(jnp.asarray(x), kernel, stride, pads, dilation)
    assert_close(
        fn.max_pool2d(x, **kwargs), torch.nn.functional.max_pool2d(torch.tensor(x), **kwargs).numpy(), FLOAT32_SCALED
    )


@needs_cpu
def test_integer_max_pool_uses_the_generic_lowering():
    x = jnp.arange(2 * 4 * 4, dtype=jnp.int32).reshape(1, 2, 4, 4)
    assert not _lowering.uses_fast_max_pool(x, (2, 2), (2, 2), NO_PAD, (1, 1))
    assert fn.max_pool2d(x, 2).dtype == jnp.int32


@pytest.mark.slow  # two whole-model compilations: about 10 s on a busy 2-core machine
@needs_cpu
def test_lenet_gradients_equal_with_and_without_fast_paths(monkeypatch):
    net = lenet5()
    params = net.init(jax.random.PRNGKey(0))
    x, y = jnp.asarray(randn((2, 1, 32, 32), 7)), jnp.arange(2)

    def loss_and_grads():
        return jax.jit(jax.value_and_grad(lambda p: fn.cross_entropy(net.apply(p, x), y)))(params)

    fast_loss, fast_grads = loss_and_grads()
    monkeypatch.setattr(_lowering, "_on_cpu", lambda: False)
    generic_loss, generic_grads = loss_and_grads()
    assert_close(fast_loss, generic_loss, FLOAT32_SCALED)
    assert_close(fast_grads, generic_grads, FLOAT32_SCALED)


@needs_cpu
def test_fast_paths_under_transforms():
    x, w = jnp.asarray(randn((1, 1, 6, 6))), jnp.asarray(randn((2, 1, 3, 3), 1))

    def layer(x, w):
        return fn.max_pool2d(fn.conv2d(x, w), 2)

    def generic_layer(x, w):
        y = _lowering.generic_conv2d_nchw(x, w, (1, 1), NO_PAD, (1, 1), 1)
        return _lowering.generic_max_pool2d_nchw(y, (2, 2), (2, 2), NO_PAD, (1, 1))

    # jitted, so each transform compiles once instead of dispatching op by op
    for argnums in (0, 1):
        forward = jax.jit(jax.jacfwd(layer, argnums))(x, w)
        assert_close(forward, jax.jit(jax.jacrev(layer, argnums))(x, w), FLOAT32_SCALED)
        assert_close(forward, jax.jit(jax.jacrev(generic_layer, argnums))(x, w), FLOAT32_SCALED)
    batched = jax.jit(jax.vmap(layer, in_axes=(0, None)))(jnp.stack([x, 2 * x]), w)
    assert_close(batched[1], layer(2 * x, w), FLOAT32_SCALED)
    assert_close(jax.jit(jax.vmap(layer, in_axes=(None, 0)))(x, jnp.stack([w, -w]))[1], layer(x, -w), FLOAT32_SCALED)
    assert jax.eval_shape(layer, x, w).shape == (1, 2, 2, 2)

    def scalar(w):
        return jnp.sum(layer(x, w) ** 2)

    def generic_scalar(w):
        return jnp.sum(generic_layer(x, w) ** 2)

    assert_close(jax.jit(jax.hessian(scalar))(w), jax.jit(jax.hessian(generic_scalar))(w), FLOAT32_SCALED_LOOSE)


@needs_cpu
@pytest.mark.parametrize(
    "dtype, tolerance", [(jnp.float16, FLOAT16_SCALED), (jnp.bfloat16, BFLOAT16_SCALED), (jnp.float64, FLOAT64_SCALED)]
)
def test_fast_paths_in_other_dtypes(dtype, tolerance):
    with jax.enable_x64(dtype == jnp.float64):
        x = jnp.asarray(randn((2, 1, 10, 10)), dtype)
        w = jnp.asarray(randn((3, 1, 3, 3), 1), dtype)

        def fast(x, w):
            return jnp.sum(fn.max_pool2d(fn.conv2d(x, w), 2).astype(jnp.float32) ** 2)

        def generic(x, w):
            y = _lowering.generic_conv2d_nchw(x, w, (1, 1), NO_PAD, (1, 1), 1)
            y = _lowering.generic_max_pool2d_nchw(y, (2, 2), (2, 2), NO_PAD, (1, 1))
            return jnp.sum(y.astype(jnp.float32) ** 2)

        fast_grads = jax.jit(jax.grad(fast, (0, 1)))(x, w)
        generic_grads = jax.jit(jax.grad(generic, (0, 1)))(x, w)
        for g_fast, g_generic in zip(fast_grads, generic_grads):
            assert g_fast.dtype == dtype
            scale = float(jnp.max(jnp.abs(g_generic.astype(jnp.float32))))
            assert_close(g_fast, g_generic, dataclasses.replace(tolerance, atol=tolerance.atol * scale))


@pytest.mark.parametrize(
    "kwargs", [dict(kernel_size=2, dilation=2), dict(kernel_size=3, stride=2, padding=1, dilation=(2, 1))]
)
def test_dilated_max_pool_gradient_matches_torch(kwargs):
    x = randn((2, 3, 9, 8), 8)
    x[0, 0, 0, 0] = x[0, 0, 0, 2] = 2.5  # a tie inside one dilated window
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.max_pool2d(xt, **kwargs)
    cotangent = randn(tuple(yt.shape), 9)
    yt.backward(torch.tensor(cotangent))
    y, (grad,) = vjp_all(lambda x: fn.max_pool2d(x, **kwargs), (x,), cotangent)
    assert_close(y, yt.detach().numpy(), FLOAT32_SCALED)
    assert_close(grad, xt.grad.numpy(), FLOAT32_SCALED)
    assert_close(
        jax.jit(jax.jacfwd(lambda x: fn.max_pool2d(x, **kwargs)))(x[:1, :1]).sum(axis=(4, 5, 6, 7)),
        np.ones(tuple(yt[:1, :1].shape)),
        FLOAT32_SCALED,
    )


@needs_cpu
def test_fast_conv_under_jvp_and_vmapped_reverse_mode():
    """Forward mode, and reverse mode vmapped over several weights, match the generic lowering."""
    x, w = jnp.asarray(randn((3, 1, 9, 8), 10)), jnp.asarray(randn((4, 1, 3, 3), 11))
    tw = jnp.asarray(randn((4, 1, 3, 3), 12))
    pad = ((1, 0), (0, 1))
    assert _lowering.uses_fast_conv(x, w, (1, 1), pad, (1, 1), 1)

    def fast(w):
        return _lowering.conv2d_nchw(x, w, (1, 1), pad, (1, 1), 1)

    def generic(w):
        return _lowering.generic_conv2d_nchw(x, w, (1, 1), pad, (1, 1), 1)

    assert_close(jax.jit(lambda t: jax.jvp(fast, (w,), (t,))[1])(tw), jax.jvp(generic, (w,), (tw,))[1], FLOAT32_SCALED)
    tx = jnp.asarray(randn(x.shape, 14))
    assert_close(
        jax.jvp(lambda x: _lowering.conv2d_nchw(x, w, (1, 1), pad, (1, 1), 1), (x,), (tx,))[1],
        jax.jvp(lambda x: _lowering.generic_conv2d_nchw(x, w, (1, 1), pad, (1, 1), 1), (x,), (tx,))[1],
        FLOAT32_SCALED,
    )
    weights = jnp.stack([w, -2 * w])
    cotangent = jnp.asarray(randn(generic(w).shape, 13))

    def weight_grads(f):
        return jax.jit(jax.vmap(lambda w: jax.vjp(f, w)[1](cotangent)[0]))(weights)

    assert_close(weight_grads(fast), weight_grads(generic), FLOAT32_SCALED)


# Each case: input shape, weight shape, stride, padding (torch's symmetric form), dilation, groups,
# and the path `conv_path` must choose for it on CPU.
CONV_PATH_CASES = [
    ((3, 16, 7, 6), (5, 16, 1, 1), (1, 1), (0, 0), (1, 1), 1, "matmul_1x1"),  # 1x1, stride 1
    ((2, 16, 9, 9), (32, 16, 1, 1), (2, 2), (0, 0), (1, 1), 1, "matmul_1x1"),  # ResNet shortcut, odd size
    ((2, 6, 8, 7), (3, 6, 1, 1), (2, 1), (0, 0), (2, 2), 1, "matmul_1x1"),  # uneven stride; dilation is moot
    ((2, 16, 8, 8), (16, 16, 3, 3), (1, 1), (1, 1), (1, 1), 1, "nhwc"),  # 16 channels: not banded
    ((2, 16, 8, 8), (32, 16, 3, 3), (2, 2), (1, 1), (1, 1), 1, "nhwc"),  # ResNet downsampling
    ((2, 32, 7, 7), (8, 32, 3, 3), (2, 2), (1, 1), (1, 1), 1, "nhwc"),  # odd size, stride 2
    ((2, 3, 9, 9), (4, 3, 3, 3), (2, 2), (1, 1), (1, 1), 1, "nhwc"),  # few channels, stride 2
    ((2, 4, 10, 10), (4, 4, 3, 3), (1, 1), (2, 2), (2, 2), 1, "nhwc"),  # dilated
    ((2, 16, 6, 6), (3, 16, 1, 1), (1, 1), (1, 1), (1, 1), 1, "nhwc"),  # padded 1x1
    ((2, 4, 6, 6), (3, 4, 1, 1), (1, 1), (0, 0), (1, 1), 1, "banded"),  # few channels, stride 1: banded first
    ((2, 3, 9, 9), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1, "banded"),  # few channels, stride 1
    ((2, 16, 8, 8), (16, 4, 3, 3), (1, 1), (1, 1), (1, 1), 4, "generic"),  # grouped
]


@needs_cpu
@pytest.mark.parametrize("xshape, wshape, stride, padding, dilation, groups, path", CONV_PATH_CASES)
def test_conv_paths_are_chosen_and_match_torch_forward_and_both_gradients(
    xshape, wshape, stride, padding, dilation, groups, path
):
    x, w = randn(xshape, 30), randn(wshape, 31)
    pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    assert _lowering.conv_path(jnp.asarray(x), jnp.asarray(w), stride, pads, dilation, groups) == path

    def lowered(x, w):
        return _lowering.conv2d_nchw(x, w, stride, pads, dilation, groups)

    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, stride=stride, padding=padding, dilation=dilation, groups=groups)
    cotangent = randn(tuple(yt.shape), 32)
    yt.backward(torch.tensor(cotangent))
    y, (gx, gw) = vjp_all(lowered, (x, w), cotangent)
    assert_close(y, yt.detach().numpy(), FLOAT32_SCALED)
    assert_close(gx, xt.grad.numpy(), FLOAT32_SCALED)
    assert_close(gw, wt.grad.numpy(), FLOAT32_SCALED)
    generic_y = _lowering.generic_conv2d_nchw(x, w, stride, pads, dilation, groups)
    assert_close(y, generic_y, FLOAT32_SCALED)


@needs_cpu
def test_matmul_1x1_path_under_jvp_vmap_and_float64():
    x, w, tw = randn((2, 5, 6, 6), 40, np.float64), randn((3, 5, 1, 1), 41, np.float64), randn((3, 5, 1, 1), 42)
    with jax.enable_x64(True):
        x, w, tw = jnp.asarray(x, jnp.float64), jnp.asarray(w, jnp.float64), jnp.asarray(tw, jnp.float64)
        assert _lowering.conv_path(x, w, (2, 2), NO_PAD, (1, 1), 1) == "matmul_1x1"

        def fast(w):
            return _lowering.conv2d_nchw(x, w, (2, 2), NO_PAD, (1, 1), 1)

        def generic(w):
            return _lowering.generic_conv2d_nchw(x, w, (2, 2), NO_PAD, (1, 1), 1)

        assert fast(w).dtype == jnp.float64
        np.testing.assert_allclose(jax.jvp(fast, (w,), (tw,))[1], jax.jvp(generic, (w,), (tw,))[1], rtol=1e-12)
        batched = jax.vmap(fast)(jnp.stack([w, tw]))
        np.testing.assert_allclose(batched[1], generic(tw), rtol=1e-12)


def test_conv_path_off_cpu_is_generic(monkeypatch):
    monkeypatch.setattr(_lowering, "_on_cpu", lambda: False)
    x, w = jnp.zeros((2, 16, 8, 8)), jnp.zeros((32, 16, 1, 1))
    assert _lowering.conv_path(x, w, (2, 2), NO_PAD, (1, 1), 1) == "generic"
    assert _lowering.conv_path(x, jnp.zeros((16, 16, 3, 3)), (1, 1), ((1, 1), (1, 1)), (1, 1), 1) == "generic"


@pytest.mark.parametrize("offset", [0.0, 100.0])
@pytest.mark.parametrize("shape", [(8, 3, 5, 5), (4, 6, 7), (16, 5)])
def test_one_pass_batch_norm_statistics_match_torch_forward_gradients_and_running_stats(shape, offset):
    """Training-mode BatchNorm (one-pass shifted statistics, `x * a + b`) equals PyTorch, also for a
    large channel mean, where an unshifted E[x^2] - E[x]^2 would cancel catastrophically."""
    c = shape[1]
    x, w, b = randn(shape, 50) * 3 + offset, randn((c,), 51), randn((c,), 52)
    cotangent = randn(shape, 53)

    def train(x, w, b):
        y, mean, var = fn.batch_norm(x, jnp.zeros(c), jnp.ones(c), w, b, training=True, momentum=0.1)
        return y, mean, var

    (y, mean, var), pullback = jax.vjp(jax.jit(train), x, w, b)
    gx, gw, gb = pullback((jnp.asarray(cotangent), jnp.zeros(c), jnp.zeros(c)))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    rm, rv = torch.zeros(c), torch.ones(c)
    yt = torch.nn.functional.batch_norm(xt, rm, rv, wt, bt, training=True, momentum=0.1)
    yt.backward(torch.tensor(cotangent))
    assert_close(y, yt.detach().numpy(), FLOAT32_SCALED)
    assert_close(mean, rm.numpy(), FLOAT32_SCALED)
    assert_close(var, rv.numpy(), FLOAT32_SCALED)
    assert_close(gx, xt.grad.numpy(), FLOAT32_SCALED_LOOSE)  # the input gradient cancels terms of size |dy|
    assert_close(gw, wt.grad.numpy(), FLOAT32_SCALED)
    assert_close(gb, bt.grad.numpy(), FLOAT32_SCALED)
    m, v = _lowering.batch_norm_statistics(jnp.asarray(x), (0, *range(2, len(shape))))
    axes = (0, *range(2, len(shape)))
    assert_close(m, np.asarray(x, np.float64).mean(axis=axes), FLOAT32_SCALED)
    assert_close(v, np.asarray(x, np.float64).var(axis=axes), FLOAT32_SCALED)
