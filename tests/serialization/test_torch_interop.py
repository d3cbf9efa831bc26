"""Checkpoints cross to and from real PyTorch: safetensors out, `torch.save` zips in.

Both directions are checked on forward outputs (the state_dict keys, layouts and
dtypes must all line up for the numbers to agree), for the seed's LeNet and for a
model with BatchNorm2d (running statistics and the int64 `num_batches_tracked`
buffer) and Dropout, compared in eval mode.
"""

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.functional as fn
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from tests.helpers.seed import bn_dropout_net, seed_net

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

TOLERANCE = 1e-5


def Net():  # noqa: N802 - stands for the seed's class
    """The seed's LeNet (the shared definition in tests/helpers/seed.py)."""
    return seed_net(nn, F)


def _torch_net():
    return seed_net(torch.nn, torch.nn.functional)


def BNDropNet():  # noqa: N802 - stands for a model class
    return bn_dropout_net(nn, F)


def _torch_bn_drop_net():
    return bn_dropout_net(torch.nn, torch.nn.functional)


# name -> (our model, torch model, input shape)
MODELS = {"lenet": (Net, _torch_net, (1, 32, 32)), "batchnorm-dropout": (BNDropNet, _torch_bn_drop_net, (1, 8, 8))}


def _inputs(shape, seed=0):
    return np.random.default_rng(seed).standard_normal((8, *shape), dtype=np.float32)


def _trained_fl_net(model_cls, shape):
    """A model whose BatchNorm statistics have moved off their initial values (3 train-mode batches)."""
    fl.manual_seed(1)
    net = model_cls()
    with fl.no_grad():
        for step in range(3):
            net(fl.tensor(_inputs(shape, seed=10 + step)))
    return net.eval()


def _trained_torch_net(make_torch, shape):
    torch.manual_seed(1)
    net = make_torch()
    with torch.no_grad():
        for step in range(3):
            net(torch.from_numpy(_inputs(shape, seed=10 + step)))
    return net.eval()


def _fl_forward(net, x):
    with fl.no_grad():
        return np.asarray(net(fl.tensor(x)).numpy())


def _torch_forward(net, x):
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize("name", list(MODELS))
def test_saved_state_dict_loads_into_torch_with_safetensors(name, tmp_path):
    model_cls, make_torch, shape = MODELS[name]
    net = _trained_fl_net(model_cls, shape)
    path = tmp_path / "m.safetensors"
    fl.save(net.state_dict(), path)

    loaded = safetensors_torch.load_file(str(path))
    assert list(loaded) == list(net.state_dict())  # PyTorch's keys, nothing else
    torch_net = make_torch().eval()
    result = torch_net.load_state_dict(loaded)  # strict: every key, every shape
    assert not result.missing_keys and not result.unexpected_keys

    x = _inputs(shape)
    np.testing.assert_allclose(_torch_forward(torch_net, x), _fl_forward(net, x), atol=TOLERANCE, rtol=0)
    for key, value in torch_net.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), np.asarray(net.state_dict()[key].numpy()), err_msg=key)


def test_num_batches_tracked_leaves_as_int32_and_torch_widens_it(tmp_path):
    # JAX without x64 has no int64, so the buffer is saved as int32; torch's copy_ casts it back.
    net = _trained_fl_net(BNDropNet, (1, 8, 8))
    path = tmp_path / "m.safetensors"
    fl.save(net.state_dict(), path)
    loaded = safetensors_torch.load_file(str(path))
    assert loaded["bn.num_batches_tracked"].dtype == torch.int32
    assert int(loaded["bn.num_batches_tracked"]) == 3
    assert loaded["bn.running_mean"].abs().max() > 0  # the statistics that travel are not the defaults
    torch_net = _torch_bn_drop_net()
    torch_net.load_state_dict(loaded)
    assert torch_net.bn.num_batches_tracked.dtype == torch.int64
    assert int(torch_net.bn.num_batches_tracked) == 3


@pytest.mark.parametrize("map_location", [None, "numpy"])
@pytest.mark.parametrize("name", list(MODELS))
def test_torch_saved_state_dict_loads_into_facade_model(name, map_location, tmp_path):
    model_cls, make_torch, shape = MODELS[name]
    torch_net = _trained_torch_net(make_torch, shape)
    path = tmp_path / "m.pt"
    torch.save(torch_net.state_dict(), path)

    loaded = fl.load(path, map_location=map_location)
    assert list(loaded) == list(torch_net.state_dict())
    net = model_cls()
    result = net.load_state_dict(loaded)
    assert not result.missing_keys and not result.unexpected_keys
    net.eval()

    x = _inputs(shape)
    np.testing.assert_allclose(_fl_forward(net, x), _torch_forward(torch_net, x), atol=TOLERANCE, rtol=0)


def test_torch_num_batches_tracked_int64_is_accepted(tmp_path):
    torch_net = _trained_torch_net(_torch_bn_drop_net, (1, 8, 8))
    assert torch_net.bn.num_batches_tracked.dtype == torch.int64
    path = tmp_path / "m.pt"
    torch.save(torch_net.state_dict(), path)

    exact = fl.load(path, map_location="numpy")["bn.num_batches_tracked"]
    assert exact.dtype == np.int64 and int(exact) == 3  # numpy keeps torch's dtype
    on_device = fl.load(path)["bn.num_batches_tracked"]
    assert on_device.dtype == np.int32 and int(on_device) == 3  # JAX without x64 narrows it

    net = BNDropNet()
    net.load_state_dict(fl.load(path))
    assert net.bn.num_batches_tracked.dtype == np.int32
    assert int(net.bn.num_batches_tracked.item()) == 3


def test_torch_saved_lenet_loads_into_pure_lenet5(tmp_path):
    torch_net = _trained_torch_net(_torch_net, (1, 32, 32))
    path = tmp_path / "m.pt"
    torch.save(torch_net.state_dict(), path)

    model = fl.models.lenet5()
    params, state = fn.load_state_dict(model, fl.load(path))
    assert state == {}
    assert fn.flatten_dict(params).keys() == torch_net.state_dict().keys()
    x = _inputs((1, 32, 32))
    np.testing.assert_allclose(np.asarray(model.apply(params, x)), _torch_forward(torch_net, x), atol=TOLERANCE, rtol=0)


def test_pure_lenet5_params_load_into_torch(tmp_path):
    import jax

    model = fl.models.lenet5()
    params = model.init(jax.random.key(0))
    path = tmp_path / "m.safetensors"
    fl.save(fn.state_dict(params), path)
    torch_net = _torch_net()
    torch_net.load_state_dict(safetensors_torch.load_file(str(path)))
    x = _inputs((1, 32, 32))
    np.testing.assert_allclose(_torch_forward(torch_net, x), np.asarray(model.apply(params, x)), atol=TOLERANCE, rtol=0)


def test_torch_checkpoint_with_wrong_model_fails_with_key_names(tmp_path):
    path = tmp_path / "m.pt"
    torch.save(_torch_bn_drop_net().state_dict(), path)
    with pytest.raises(ValueError, match=r'Missing key\(s\) in state_dict: "conv1.weight"'):
        Net().load_state_dict(fl.load(path))


def test_torch_training_checkpoint_continues_in_functorch_lite_as_in_torch(tmp_path):
    """Model, Adam and StepLR state from `torch.save`; the next steps agree with torch's."""
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((6, 4), dtype=np.float32), rng.integers(0, 3, 6)) for _ in range(4)]

    def torch_step(model, optimizer, x, y):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        optimizer.step()

    torch.manual_seed(0)
    torch_model = torch.nn.Linear(4, 3)
    torch_optimizer = torch.optim.Adam(torch_model.parameters(), lr=0.05)
    torch_scheduler = torch.optim.lr_scheduler.StepLR(torch_optimizer, step_size=1, gamma=0.5)
    for x, y in batches[:2]:
        torch_step(torch_model, torch_optimizer, x, y)
    torch_scheduler.step()
    path = tmp_path / "training.pt"
    torch.save(
        {
            "model": torch_model.state_dict(),
            "optimizer": torch_optimizer.state_dict(),
            "scheduler": torch_scheduler.state_dict(),
            "epoch": 1,
        },
        path,
    )

    checkpoint = fl.load(path)
    model = nn.Linear(4, 3)
    optimizer = fl.optim.Adam(model.parameters(), lr=0.05)
    scheduler = fl.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert checkpoint["epoch"] == 1 and optimizer.param_groups[0]["lr"] == torch_optimizer.param_groups[0]["lr"]
    assert int(optimizer.state[model.weight]["step"]) == 2  # torch's float step, as our int32 count

    for x, y in batches[2:]:
        torch_step(torch_model, torch_optimizer, x, y)
        optimizer.zero_grad()
        F.cross_entropy(model(fl.tensor(x)), fl.tensor(y)).backward()
        optimizer.step()
    for key, value in torch_model.state_dict().items():
        np.testing.assert_allclose(
            np.asarray(model.state_dict()[key].numpy()), value.numpy(), atol=1e-6, rtol=1e-6, err_msg=key
        )


def test_model_part_of_a_training_checkpoint_loads_into_torch(tmp_path):
    # A checkpoint dict names its tensors by dotted path, so torch users find "model.*" in it.
    net = _trained_fl_net(BNDropNet, (1, 8, 8))
    optimizer = fl.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    path = tmp_path / "checkpoint.safetensors"
    fl.save({"model": net.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, path)

    tensors = safetensors_torch.load_file(str(path))
    model_state = {key.removeprefix("model."): value for key, value in tensors.items() if key.startswith("model.")}
    torch_net = _torch_bn_drop_net().eval()
    torch_net.load_state_dict(model_state)
    x = _inputs((1, 8, 8))
    np.testing.assert_allclose(_torch_forward(torch_net, x), _fl_forward(net, x), atol=TOLERANCE, rtol=0)
