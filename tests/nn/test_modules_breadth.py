"""The module_db breadth against real torch where module_db samples little: padding modes,
transposed convolutions with output_size, return_indices and unpooling, CTC, fractional pools,
InstanceNorm's running statistics, the pads, and the pure layers under jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import functorch_lite as ft
from functorch_lite.functional import layers_nd


def _pair(torch_module, lite_module):
    torch_module = torch_module.float()
    lite_module.load_state_dict({k: ft.tensor(v.detach().numpy()) for k, v in torch_module.state_dict().items()})
    return torch_module, lite_module


def _run(torch_module, lite_module, *inputs, **options):
    """Forward and input gradients (of a fixed random cotangent) of both modules; returns numpy pairs."""
    t_in = [torch.tensor(x, requires_grad=np.issubdtype(x.dtype, np.floating)) for x in inputs]
    l_in = [ft.tensor(x, requires_grad=np.issubdtype(x.dtype, np.floating)) for x in inputs]
    t_out, l_out = torch_module(*t_in, **options), lite_module(*l_in, **options)
    t_first = t_out[0] if isinstance(t_out, tuple) else t_out
    l_first = l_out[0] if isinstance(l_out, tuple) else l_out
    cot = np.random.default_rng(0).standard_normal(tuple(t_first.shape)).astype(np.float32)
    (t_first * torch.tensor(cot)).sum().backward()
    (l_first * ft.tensor(cot)).sum().backward()
    pairs = [(np.asarray(l_first.detach()), t_first.detach().numpy())]
    if isinstance(t_out, tuple):
        pairs.append((np.asarray(l_out[1]), t_out[1].numpy()))
    pairs += [(np.asarray(lt.grad), t.grad.numpy()) for lt, t in zip(l_in, t_in) if t.requires_grad]
    return pairs


def _assert_pairs(pairs, rtol=1e-4, atol=1e-5):
    for got, want in pairs:
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("n", [1, 3])
def test_conv_padding_modes(n, mode):
    torch.manual_seed(0)
    options = dict(padding="same", dilation=2) if n == 1 else dict(padding=(1, 2, 1), groups=2)
    t = getattr(torch.nn, f"Conv{n}d")(4, 6, 3, padding_mode=mode, **options)
    lite = getattr(ft.nn, f"Conv{n}d")(4, 6, 3, padding_mode=mode, **options)
    x = np.random.default_rng(1).standard_normal((2, 4) + (7, 6, 5)[:n]).astype(np.float32)
    _assert_pairs(_run(*_pair(t, lite), x))


def test_conv_transpose_output_size_groups_dilation():
    torch.manual_seed(0)
    args = dict(stride=2, padding=1, groups=2, dilation=2)
    t, lite = _pair(torch.nn.ConvTranspose2d(4, 6, 3, **args), ft.nn.ConvTranspose2d(4, 6, 3, **args))
    x = np.random.default_rng(1).standard_normal((2, 4, 5, 4)).astype(np.float32)
    _assert_pairs(_run(t, lite, x, output_size=(12, 10)))
    assert tuple(lite.weight.shape) == (4, 3, 3, 3)
    with pytest.raises(ValueError, match="valid sizes range"):
        lite(ft.tensor(x), output_size=(20, 10))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_max_pool_return_indices_and_unpool(n):
    x = np.random.default_rng(n).standard_normal((2, 3) + (9, 8, 7)[:n]).astype(np.float32)
    args = dict(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True, return_indices=True)
    t_pool, l_pool = getattr(torch.nn, f"MaxPool{n}d")(**args), getattr(ft.nn, f"MaxPool{n}d")(**args)
    pairs = _run(t_pool, l_pool, x)
    _assert_pairs(pairs)
    assert pairs[1][0].dtype.kind == "i"
    values, indices = t_pool(torch.tensor(x))
    t_un = getattr(torch.nn, f"MaxUnpool{n}d")(3, 2, 1)
    l_un = getattr(ft.nn, f"MaxUnpool{n}d")(3, 2, 1)
    want = t_un(values, indices, output_size=x.shape[2:])
    got = l_un(ft.tensor(values.numpy()), ft.tensor(indices.numpy()), output_size=x.shape[2:])
    np.testing.assert_array_equal(np.asarray(got), want.numpy())


@pytest.mark.parametrize("size", [3, (2, None), 1])
def test_adaptive_max_pool2d_return_indices(size):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 5)).astype(np.float32)
    t, lite = torch.nn.AdaptiveMaxPool2d(size, True), ft.nn.AdaptiveMaxPool2d(size, True)
    _assert_pairs(_run(t, lite, x))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc_loss_matches_torch(reduction, concatenated):
    rng = np.random.default_rng(0)
    log_probs = torch.randn(12, 3, 5, generator=torch.Generator().manual_seed(0)).log_softmax(2).numpy()
    lengths_in, lengths_target = [12, 10, 7], [4, 3, 0]
    padded = rng.integers(1, 5, (3, 4)).astype(np.int32)
    targets = np.concatenate([padded[i, :k] for i, k in enumerate(lengths_target)]) if concatenated else padded
    t = torch.tensor(log_probs, requires_grad=True)
    want = torch.nn.CTCLoss(reduction=reduction)(t, torch.tensor(targets), lengths_in, lengths_target)
    lite = ft.tensor(log_probs, requires_grad=True)
    got = ft.nn.CTCLoss(reduction=reduction)(lite, ft.tensor(targets), lengths_in, lengths_target)
    np.testing.assert_allclose(np.asarray(got.detach()), want.detach().numpy(), rtol=1e-5, atol=1e-5)
    want.sum().backward()
    got.sum().backward()
    np.testing.assert_allclose(np.asarray(lite.grad), t.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_ctc_loss_zero_infinity():
    log_probs = torch.randn(4, 2, 5, generator=torch.Generator().manual_seed(1)).log_softmax(2).numpy()
    targets = np.array([[1, 2, 3, 4, 1], [1, 2, 0, 0, 0]], np.int32)  # the first cannot fit in 4 steps
    t = torch.tensor(log_probs, requires_grad=True)
    want = torch.nn.CTCLoss(reduction="sum", zero_infinity=True)(t, torch.tensor(targets), [4, 4], [5, 2])
    lite = ft.tensor(log_probs, requires_grad=True)
    got = ft.nn.CTCLoss(reduction="sum", zero_infinity=True)(lite, ft.tensor(targets), [4, 4], [5, 2])
    np.testing.assert_allclose(float(got), float(want.detach()), rtol=1e-5)
    want.backward()
    got.backward()
    np.testing.assert_allclose(np.asarray(lite.grad), t.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert np.all(np.asarray(lite.grad)[:, 0] == 0)


@pytest.mark.parametrize("n", [2, 3])
def test_fractional_max_pool_samples_and_seed(n):
    x = np.random.default_rng(0).standard_normal((2, 3) + (9, 8, 7)[:n]).astype(np.float32)
    samples = torch.rand(2, 3, n)
    t = getattr(torch.nn, f"FractionalMaxPool{n}d")(
        2, output_size=(4,) * n, return_indices=True, _random_samples=samples
    )
    lite = getattr(ft.nn, f"FractionalMaxPool{n}d")(
        2, output_size=(4,) * n, return_indices=True, _random_samples=ft.tensor(samples.numpy())
    )
    _assert_pairs(_run(t, lite, x))
    drawn = getattr(ft.nn, f"FractionalMaxPool{n}d")(2, output_ratio=0.5)
    ft.manual_seed(3)
    first = np.asarray(drawn(ft.tensor(x)))
    ft.manual_seed(3)
    np.testing.assert_array_equal(np.asarray(drawn(ft.tensor(x))), first)


def test_instance_norm_running_stats():
    torch.manual_seed(0)
    t, lite = _pair(
        torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
        ft.nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
    )
    x = np.random.default_rng(0).standard_normal((4, 3, 6)).astype(np.float32) * 2 + 1
    _assert_pairs(_run(t, lite, x))
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(np.asarray(getattr(lite, name)), getattr(t, name).numpy(), rtol=1e-5, atol=1e-6)
    t.eval(), lite.eval()
    np.testing.assert_allclose(np.asarray(lite(ft.tensor(x))), t(torch.tensor(x)).detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("kind", ["Reflection", "Replication", "Zero", "Circular", "Constant"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_pads(kind, n):
    padding = (1, 2, 0, 1, 2, 1)[: 2 * n]
    args = (padding, 1.5) if kind == "Constant" else (padding,)
    t, lite = getattr(torch.nn, f"{kind}Pad{n}d")(*args), getattr(ft.nn, f"{kind}Pad{n}d")(*args)
    x = np.random.default_rng(0).standard_normal((2, 3) + (4, 5, 3)[:n]).astype(np.float32)
    _assert_pairs(_run(t, lite, x))


def test_pure_conv_layer_under_jit_and_grad():
    layer = layers_nd.ConvNd(1, 2, 4, 3, padding="same", padding_mode="reflect")
    params = layer.init(jax.random.key(0))
    x = jnp.asarray(np.random.default_rng(0).standard_normal((2, 2, 9)), jnp.float32)
    eager = layer.apply(params, x)
    np.testing.assert_allclose(jax.jit(layer.apply)(params, x), eager, rtol=1e-6, atol=1e-6)
    t = torch.nn.Conv1d(2, 4, 3, padding="same", padding_mode="reflect")
    t.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in params.items()})
    np.testing.assert_allclose(eager, t(torch.tensor(np.asarray(x))).detach().numpy(), rtol=1e-5, atol=1e-5)
    grads = jax.grad(lambda p: jnp.sum(layer.apply(p, x) ** 2))(params)
    assert set(grads) == {"weight", "bias"}


def test_modules_outside_module_db():
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    z = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    for name, args in (("Hardsigmoid", ()), ("TripletMarginLoss", (0.5,)), ("MultiMarginLoss", (2, 0.7))):
        t, lite = getattr(torch.nn, name)(*args), getattr(ft.nn, name)(*args)
        inputs = (x, y, z) if name.startswith("Triplet") else (x, np.array([1, 0, 4, 2])) if "Multi" in name else (x,)
        _assert_pairs(_run(t, lite, *inputs))
    t = torch.nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: (a - b).abs().sum(-1), swap=True)
    lite = ft.nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: (a - b).abs().sum(-1), swap=True)
    _assert_pairs(_run(t, lite, x, y, z))
    # The deprecated size_average/reduce flags mean a reduction, as in PyTorch.
    t, lite = torch.nn.SmoothL1Loss(reduce=False), ft.nn.SmoothL1Loss(reduce=False)
    _assert_pairs(_run(t, lite, x, y))


def test_rrelu_eval_mean_slope_and_train_range():
    x = ft.tensor(np.linspace(-3, 3, 200, dtype=np.float32))
    module = ft.nn.RReLU(0.1, 0.3)
    module.eval()
    np.testing.assert_allclose(np.asarray(module(x)), torch.nn.RReLU(0.1, 0.3).eval()(torch.tensor(np.asarray(x))))
    module.train()
    out, base = np.asarray(module(x)), np.asarray(x)
    slopes = out[base < 0] / base[base < 0]
    assert np.all((slopes >= 0.1) & (slopes <= 0.3)) and slopes.std() > 0
    np.testing.assert_array_equal(out[base >= 0], base[base >= 0])


def test_functional_return_indices_and_keyed_draws():
    F = ft.nn.functional
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 7)).astype(np.float32)
    for got, want in (
        (
            F.max_pool2d(ft.tensor(x), 2, return_indices=True),
            torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True),
        ),
        (
            F.max_pool1d(ft.tensor(x[:, :, 0]), 3, 2, 1, 1, True, True),
            torch.nn.functional.max_pool1d(torch.tensor(x[:, :, 0]), 3, 2, 1, 1, True, True),
        ),
        (
            F.adaptive_max_pool3d(ft.tensor(x), 2, True),
            torch.nn.functional.adaptive_max_pool3d(torch.tensor(x), 2, True),
        ),
    ):
        np.testing.assert_allclose(np.asarray(got[0]), want[0].numpy())
        np.testing.assert_array_equal(np.asarray(got[1]), want[1].numpy())
    ft.manual_seed(5)
    first = np.asarray(F.fractional_max_pool2d(ft.tensor(x), 2, output_ratio=0.5))
    ft.manual_seed(5)
    np.testing.assert_array_equal(np.asarray(F.fractional_max_pool2d(ft.tensor(x), 2, output_ratio=0.5)), first)
    assert first.shape == (2, 3, 4, 3)
