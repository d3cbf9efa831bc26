"""Factories, dtypes, devices and seeding against PyTorch's conventions."""

import jax
import numpy as np
import pytest

import functorch_lite as fl

torch = pytest.importorskip("torch")


def test_tensor_infers_torch_dtypes():
    assert fl.tensor([1.0, 2.0]).dtype == fl.float32
    assert fl.tensor([1, 2]).dtype == fl.long
    assert fl.tensor([True]).dtype == fl.bool
    assert fl.tensor(np.zeros(2, np.float32)).dtype == fl.float32
    assert fl.tensor([1, 2], dtype=fl.float).dtype == fl.float32
    assert fl.tensor(3.5).shape == () and fl.tensor(3.5).item() == 3.5


def test_64_bit_names_follow_jax_x64():
    if jax.config.jax_enable_x64:
        assert fl.long == np.dtype("int64")
    else:
        assert fl.long == fl.int64 == fl.int32 and fl.double == fl.float32
    assert fl.int == fl.int32 and fl.half == fl.float16 and fl.float == fl.float32


def test_default_dtype_round_trip():
    assert fl.get_default_dtype() == fl.float32
    fl.set_default_dtype(fl.float16)
    try:
        assert fl.zeros(2).dtype == fl.float16 and fl.tensor([1.5]).dtype == fl.float16
    finally:
        fl.set_default_dtype(fl.float32)
    with pytest.raises(TypeError, match="set_default_dtype: only floating-point"):
        fl.set_default_dtype(fl.int32)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_shape_factories_accept_varargs_and_tuples(name):
    factory = getattr(fl, name)
    assert factory(2, 3).shape == (2, 3) == factory((2, 3)).shape == factory([2, 3]).shape
    t = factory(2, dtype=fl.float16, requires_grad=True)
    assert t.dtype == fl.float16 and t.requires_grad and t.is_leaf


def test_value_factories_match_torch():
    np.testing.assert_array_equal(fl.full((2, 2), 7).numpy(), torch.full((2, 2), 7).numpy())
    assert fl.full((2,), 7).dtype == fl.long and fl.full((2,), 0.5).dtype == fl.float32
    np.testing.assert_allclose(fl.arange(0, 1, 0.25).numpy(), torch.arange(0, 1, 0.25).numpy())
    np.testing.assert_array_equal(fl.arange(5).numpy(), torch.arange(5).numpy())
    assert fl.arange(5).dtype == fl.long
    np.testing.assert_allclose(fl.linspace(-1, 1, 5).numpy(), torch.linspace(-1, 1, 5).numpy(), rtol=1e-6)
    base = fl.tensor([[1, 2]], dtype=fl.float16)
    for like, value in [(fl.zeros_like, 0), (fl.ones_like, 1), (fl.empty_like, 0)]:
        out = like(base)
        assert out.shape == (1, 2) and out.dtype == fl.float16 and (out.numpy() == value).all()
    assert fl.full_like(base, 3).numpy().tolist() == [[3, 3]]
    assert fl.rand_like(base).dtype == fl.float16 and fl.randn_like(base, dtype=fl.float32).dtype == fl.float32
    assert fl.from_numpy(np.arange(3, dtype=np.int8)).dtype == fl.int8


def test_randint_ranges_and_signatures():
    fl.manual_seed(0)
    a = fl.randint(10, (1000,))
    b = fl.randint(3, 5, size=(100,))
    assert a.dtype == fl.long and 0 <= int(a.min()) and int(a.max()) < 10
    assert set(np.unique(b.numpy())) <= {3, 4}
    with pytest.raises(ValueError, match="randint: expected low < high"):
        fl.randint(5, 5, (2,))


def test_manual_seed_reproduces_draws():
    fl.manual_seed(42)
    first = [fl.rand(3).numpy(), fl.randn(2, 2).numpy(), fl.randint(0, 100, (4,)).numpy()]
    fl.manual_seed(42)
    second = [fl.rand(3).numpy(), fl.randn(2, 2).numpy(), fl.randint(0, 100, (4,)).numpy()]
    for a, b in zip(first, second, strict=False):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fl.rand(3).numpy(), first[0])
    state = fl.random.default_generator.get_state()
    assert state.shape == (2,) and state.dtype == np.uint32


def test_randn_statistics():
    fl.manual_seed(1)
    x = fl.randn(20000).numpy()
    assert abs(x.mean()) < 0.03 and abs(x.std() - 1) < 0.03
    u = fl.rand(20000).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.02


def test_devices_and_missing_cuda():
    t = fl.tensor([1.0], device="cpu")
    assert t.device == fl.device("cpu") and t.device.type == "cpu"
    assert t.to("cpu") is t and t.cpu() is t
    if not fl.cuda.is_available():
        with pytest.raises(ValueError, match=r"'cuda' is not available.*available devices: cpu"):
            t.cuda()
        with pytest.raises(ValueError, match="not available"):
            fl.zeros(2, device="cuda")


def test_bad_factory_input_messages():
    with pytest.raises(TypeError, match="tensor: expected numbers"):
        fl.tensor([object()])
    with pytest.raises(TypeError, match="zeros: expected a shape of ints"):
        fl.zeros(2.5)
    with pytest.raises(ValueError, match="only Tensors of floating point"):
        fl.zeros(2, dtype=fl.long, requires_grad=True)
    with pytest.raises(TypeError, match="unknown dtype name"):
        fl.zeros(2, dtype="float99")


@pytest.mark.parametrize("make", [fl.tensor, fl.as_tensor, fl.from_numpy])
def test_tensors_made_from_numpy_do_not_see_later_writes_to_it(make):
    # JAX arrays are immutable and their host transfer may finish after the call returns,
    # so the tensor must own a copy: writing the source afterwards changes nothing.
    source = np.arange(4096, dtype=np.float32)
    t = make(source)
    source[:] = -1
    np.testing.assert_array_equal(t.numpy(), np.arange(4096, dtype=np.float32))
