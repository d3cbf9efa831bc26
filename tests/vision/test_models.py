"""vision.models: torchvision's state_dict keys, checkpoints loaded without torch, outputs equal to torchvision's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import functorch_lite
import functorch_lite.functional as fn
from functorch_lite.functional.tree import _shapes_in_init_order
from functorch_lite.vision import models
from tests.vision._torchvision import torchvision

torch = pytest.importorskip("torch")
ZOO = ["resnet18", "resnet34", "resnet50", "vgg11_bn", "mobilenet_v2"]


def _reference(name: str):
    """A torchvision model with random weights and random BatchNorm statistics, in eval mode."""
    tv = torchvision()
    torch.manual_seed(0)
    model = getattr(tv.models, name)()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return model.eval()


def _pure_apply(layer):
    return jax.jit(lambda params, state, x: layer.apply(params, x, state=state, training=False)[0])


@pytest.mark.parametrize("name", ZOO)
def test_pure_face_has_torchvision_keys_and_shapes(name):
    tv = torchvision()
    with torch.device("meta"):  # shapes only: no weights are initialised
        reference = getattr(tv.models, name)()
    expected = {key: tuple(value.shape) for key, value in reference.state_dict().items()}
    layer = getattr(models, name)(pure=True)
    ours = {**_shapes_in_init_order(layer.init, jax.random.key(0)), **_shapes_in_init_order(layer.init_state)}
    # Params come first, then buffers (explicit state); within each, torchvision's order.
    assert list(ours) == [k for k in expected if "running" not in k and "tracked" not in k] + [
        k for k in expected if "running" in k or "tracked" in k
    ]
    assert {key: tuple(spec.shape) for key, spec in ours.items()} == expected


@pytest.mark.slow
def test_cifar_resnet20_faces_agree_and_train_mode_updates_statistics():
    module = models.resnet20()
    assert sum(p.numel() for p in module.parameters()) == 269_722  # He et al.'s 0.27M
    layer = models.resnet20(pure=True)
    state_dict = {key: np.asarray(value) for key, value in module.state_dict().items()}
    params, state = fn.load_state_dict(layer, state_dict)
    x = np.random.default_rng(0).random((2, 3, 32, 32), dtype=np.float32)
    module.eval()
    with functorch_lite.no_grad():
        expected = np.asarray(module(functorch_lite.tensor(x)))
    np.testing.assert_allclose(np.asarray(_pure_apply(layer)(params, state, x)), expected, rtol=1e-5, atol=1e-5)
    _, new_state = layer.apply(params, x, state=state, training=True)
    assert int(new_state["bn1"]["num_batches_tracked"]) == 1
    assert not np.allclose(new_state["layer3"]["0"]["bn2"]["running_mean"], 0.0)
    assert repr(module).startswith("CifarResNet(") and "(0): BasicBlock(" in repr(module)
    module.fc = functorch_lite.nn.Linear(64, 3)  # fine-tuning habit: replace the head by attribute
    with functorch_lite.no_grad():
        assert tuple(module(functorch_lite.tensor(x)).shape) == (2, 3)


def test_weights_are_not_downloaded():
    with pytest.raises(ValueError, match=r"resnet18: weights='IMAGENET1K_V1' cannot be downloaded.*load_state_dict"):
        models.resnet18(weights="IMAGENET1K_V1")


@pytest.mark.slow
@pytest.mark.parametrize("name", ZOO)
def test_both_faces_match_torchvision_on_its_checkpoint(name, tmp_path):
    reference = _reference(name)
    x = np.random.default_rng(1).random((1, 3, 64, 64), dtype=np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    if name == "vgg11_bn":  # 0.5 GB of weights: handed over in memory, not through a file
        state_dict = {key: value.numpy() for key, value in reference.state_dict().items()}
    else:
        torch.save(reference.state_dict(), tmp_path / "weights.pth")
        state_dict = functorch_lite.load(tmp_path / "weights.pth")
    del reference
    module = getattr(models, name)()
    module.load_state_dict(state_dict)
    module.eval()
    with functorch_lite.no_grad():
        np.testing.assert_allclose(np.asarray(module(functorch_lite.tensor(x))), expected, rtol=1e-4, atol=1e-4)
    layer = getattr(models, name)(pure=True)
    params, state = fn.load_state_dict(layer, state_dict)
    np.testing.assert_allclose(np.asarray(_pure_apply(layer)(params, state, x)), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_a_torchvision_checkpoint_loads_where_torch_cannot_be_imported(tmp_path):
    reference = _reference("resnet18")
    x = np.random.default_rng(2).random((1, 3, 32, 32), dtype=np.float32)
    with torch.no_grad():
        np.save(tmp_path / "expected.npy", reference(torch.from_numpy(x)).numpy())
    np.save(tmp_path / "x.npy", x)
    torch.save(reference.state_dict(), tmp_path / "resnet18.pth")
    script = textwrap.dedent(
        """
        import sys
        sys.modules["torch"] = None  # any `import torch` now fails
        import jax, numpy as np, functorch_lite, functorch_lite.functional as fn
        from functorch_lite.vision import models
        state_dict = functorch_lite.load(sys.argv[1] + "/resnet18.pth")
        layer = models.resnet18(pure=True)
        params, state = fn.load_state_dict(layer, state_dict)
        x = np.load(sys.argv[1] + "/x.npy")
        out = jax.jit(lambda p, s, x: layer.apply(p, x, state=s, training=False)[0])(params, state, x)
        np.testing.assert_allclose(np.asarray(out), np.load(sys.argv[1] + "/expected.npy"), rtol=1e-4, atol=1e-4)
        assert "torch" not in {m.split(".")[0] for m, v in sys.modules.items() if v is not None}
        print("ok")
        """
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=root, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_relu6_layer_added_for_mobilenet_matches_torch():
    x = np.linspace(-3, 9, 25, dtype=np.float32)
    expected = torch.nn.ReLU6()(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(np.asarray(functorch_lite.nn.ReLU6(inplace=True)(functorch_lite.tensor(x))), expected)
    np.testing.assert_array_equal(np.asarray(fn.ReLU6().apply({}, x)), expected)
    np.testing.assert_array_equal(np.asarray(fn.relu6(x)), expected)
