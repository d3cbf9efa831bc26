"""Module bookkeeping: registration, traversal, state_dict, load_state_dict errors, modes, devices."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.nn as nn
from functorch_lite import Tensor
from functorch_lite.autograd import no_grad

torch = pytest.importorskip("torch")


def _models(lib):
    """A small model with BatchNorm2d and Dropout, the same on both libraries."""
    return lib.Sequential(
        lib.Conv2d(3, 4, 3, padding=1),
        lib.BatchNorm2d(4),
        lib.ReLU(),
        lib.Dropout(0.25),
        lib.Flatten(),
        lib.Linear(4 * 8 * 8, 5),
    )


def test_state_dict_keys_with_batchnorm_and_dropout_equal_torch():
    assert list(_models(nn).state_dict()) == list(_models(torch.nn).state_dict())
    dims = {k: tuple(v.shape) for k, v in _models(torch.nn).state_dict().items()}
    assert {k: tuple(v.shape) for k, v in _models(nn).state_dict().items()} == dims


def test_container_keys_equal_torch():
    def build(lib):
        holder = lib.Module()
        holder.blocks = lib.ModuleList([lib.Linear(2, 2), lib.BatchNorm1d(2)])
        holder.heads = lib.ModuleDict({"a": lib.Linear(2, 1), "b": lib.LayerNorm(2)})
        holder.blocks.append(lib.Embedding(4, 2))
        return holder

    assert list(build(nn).state_dict()) == list(build(torch.nn).state_dict())
    assert repr(build(nn)) == repr(build(torch.nn))


def test_registration_and_traversal():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(jnp.ones(3))
            self.register_buffer("count", jnp.zeros(()))
            self.register_buffer("scratch", jnp.zeros(2), persistent=False)
            self.inner = nn.Linear(3, 2)
            self.plain = Tensor(np.ones(2, np.float32))  # not registered

    block = Block()
    assert [n for n, _ in block.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    assert [n for n, _ in block.named_buffers()] == ["count", "scratch"]
    assert list(block.state_dict()) == ["scale", "count", "inner.weight", "inner.bias"]
    assert [n for n, _ in block.named_modules()] == ["", "inner"]
    assert list(block.children()) == [block.inner]
    assert len(list(block.modules())) == 2 and len(list(block.buffers())) == 2
    assert block.get_parameter("inner.bias") is block.inner.bias
    del block.inner
    assert [n for n, _ in block.named_parameters()] == ["scale"]


def test_assigning_a_non_parameter_to_a_parameter_slot_raises():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        layer.weight = Tensor(np.zeros((2, 2), np.float32))
    layer.bias = None  # None is allowed, as in PyTorch
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="parameter 'w'"):
        layer.register_parameter("w", Tensor(np.zeros(2, np.float32)))


def test_load_state_dict_roundtrip_keeps_parameter_objects():
    source, target = _models(nn), _models(nn)
    weight = target[0].weight
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target[0].weight is weight
    for (key, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=key)


def test_load_state_dict_reports_missing_unexpected_and_mis_shaped_keys():
    model = nn.Linear(3, 2)
    good = {k: np.asarray(v) for k, v in model.state_dict().items()}
    before = np.asarray(model.weight.detach())
    with pytest.raises(ValueError, match='Missing key\\(s\\) in state_dict: "bias"'):
        model.load_state_dict({"weight": good["weight"]})
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "extra"'):
        model.load_state_dict({**good, "extra": np.zeros(1)})
    with pytest.raises(
        ValueError,
        match=r"size mismatch for weight: copying a param with shape "
        r"torch.Size\(\[3, 3\]\) from checkpoint, the shape in current model is torch.Size\(\[2, 3\]\)",
    ):
        model.load_state_dict({**good, "weight": np.zeros((3, 3), np.float32)})
    np.testing.assert_array_equal(np.asarray(model.weight.detach()), before)  # nothing copied
    result = model.load_state_dict({"weight": good["weight"], "extra": 1.0}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]


def test_train_eval_apply_zero_grad_requires_grad():
    model = _models(nn)
    assert all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited[-1] == "Sequential" and "Conv2d" in visited
    out = model(np.ones((2, 3, 8, 8), np.float32)).sum()
    out.backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(float(jnp.abs(p.grad.array).sum()) == 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_device_and_dtype_and_unknown_device():
    model = nn.Linear(3, 2)
    weight = model.weight
    assert model.to("cpu") is model and model.weight is weight
    assert model.weight.device.type == "cpu"
    model.to(jax.devices("cpu")[0])
    model.to(jnp.float16)
    assert model.weight.dtype == jnp.float16
    with pytest.raises(ValueError, match="device: 'cuda:7' is not available"):
        model.to("cuda:7")
    with pytest.raises(ValueError, match="expected a device string"):
        model.to("nonsense")


def test_repr_matches_torch():
    assert repr(_models(nn)) == repr(_models(torch.nn))
    for make in (
        lambda lib: lib.Linear(3, 2, bias=False),
        lambda lib: lib.LeakyReLU(0.2),
        lambda lib: lib.AvgPool2d(2),
        lambda lib: lib.Embedding(10, 3, padding_idx=1),
        lambda lib: lib.LayerNorm(4),
        lambda lib: lib.Softmax(dim=1),
        lambda lib: lib.CrossEntropyLoss(),
        lambda lib: lib.GELU(),
        lambda lib: lib.AdaptiveAvgPool2d((2, 3)),
    ):
        assert repr(make(nn)) == repr(make(torch.nn))


def test_forward_hooks_and_inputs_of_every_kind():
    layer = nn.Linear(3, 2)
    calls = []
    handle = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    x = np.ones((4, 3), np.float32)
    for value in (x, jnp.asarray(x), Tensor(x)):
        assert isinstance(layer(value), Tensor)
    handle.remove()
    layer(x)
    assert calls == [(4, 2)] * 3


def test_missing_forward_and_missing_super_init():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)

    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_no_grad_forward_records_nothing():
    layer = nn.Linear(3, 2)
    with no_grad():
        out = layer(np.ones((1, 3), np.float32))
    assert not out.requires_grad


def test_seed_faq_device_snippet():
    import functorch_lite as fl

    net = nn.Linear(3, 2)
    inputs = Tensor(np.ones((1, 3), np.float32))
    device = fl.device("cuda:0" if fl.cuda.is_available() else "cpu")
    net.to(device)
    inputs = inputs.to(device)
    outputs = net(inputs)
    assert outputs.device == device
