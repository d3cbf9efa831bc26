"""Layers against torch.nn with the same weights: outputs, gradients, modes and error messages."""

import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.nn as nn
from functorch_lite import Tensor, random
from tests.helpers.numerics import FLOAT32_GRAD, FLOAT32_MODEL, assert_close, torch_state_dict_numpy

torch = pytest.importorskip("torch")

LAYERS = {
    "Linear": (lambda lib: lib.Linear(6, 3), (2, 6)),
    "Conv2d": (lambda lib: lib.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 7, 7)),
    "MaxPool2d": (lambda lib: lib.MaxPool2d(3, 2, padding=1), (1, 2, 7, 7)),
    "AvgPool2d": (lambda lib: lib.AvgPool2d(2), (1, 2, 6, 6)),
    "AdaptiveAvgPool2d": (lambda lib: lib.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 7)),
    "LeakyReLU": (lambda lib: lib.LeakyReLU(0.1), (3, 4)),
    "GELU": (lambda lib: lib.GELU(), (3, 4)),
    "Sigmoid": (lambda lib: lib.Sigmoid(), (3, 4)),
    "Tanh": (lambda lib: lib.Tanh(), (3, 4)),
    "Softmax": (lambda lib: lib.Softmax(dim=1), (3, 4)),
    "LogSoftmax": (lambda lib: lib.LogSoftmax(dim=-1), (3, 4)),
    "LayerNorm": (lambda lib: lib.LayerNorm(4), (3, 4)),
    "BatchNorm1d": (lambda lib: lib.BatchNorm1d(4), (5, 4)),
    "Flatten": (lambda lib: lib.Flatten(), (2, 3, 2)),
    "Identity": (lambda lib: lib.Identity(), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_forward_and_input_grad_match_torch(name):
    make, shape = LAYERS[name]
    torch.manual_seed(0)
    reference, layer = make(torch.nn), make(nn)
    layer.load_state_dict(torch_state_dict_numpy(reference))
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tx = torch.from_numpy(x).requires_grad_()
    x_tensor = Tensor(x, requires_grad=True)
    expected, actual = reference(tx), layer(x_tensor)
    assert_close(actual.detach().numpy(), expected.detach().numpy(), FLOAT32_MODEL)
    weights = np.random.default_rng(1).standard_normal(tuple(expected.shape)).astype(np.float32)
    (expected * torch.from_numpy(weights)).sum().backward()
    (actual * Tensor(weights)).sum().backward()
    assert_close(x_tensor.grad.numpy(), tx.grad.numpy(), FLOAT32_MODEL)
    for (_, param), (_, torch_param) in zip(layer.named_parameters(), reference.named_parameters()):
        assert_close(param.grad.numpy(), torch_param.grad.numpy(), FLOAT32_GRAD)


def test_batchnorm2d_updates_running_stats_like_torch_and_uses_them_in_eval():
    torch.manual_seed(0)
    reference, layer = torch.nn.BatchNorm2d(3), nn.BatchNorm2d(3)
    x = np.random.default_rng(0).standard_normal((4, 3, 5, 5)).astype(np.float32) * 2 + 1
    for _ in range(2):
        assert_close(layer(x).detach().numpy(), reference(torch.from_numpy(x)).detach().numpy(), FLOAT32_MODEL)
    for key, value in reference.state_dict().items():
        assert_close(np.asarray(layer.state_dict()[key]), value.numpy(), FLOAT32_MODEL)
    assert int(layer.num_batches_tracked.item()) == 2
    layer.eval()
    reference.eval()
    running_mean = np.asarray(layer.running_mean)
    assert_close(layer(x).detach().numpy(), reference(torch.from_numpy(x)).detach().numpy(), FLOAT32_MODEL)
    np.testing.assert_array_equal(np.asarray(layer.running_mean), running_mean)


def test_embedding_matches_torch():
    torch.manual_seed(0)
    reference, layer = torch.nn.Embedding(6, 3, padding_idx=0), nn.Embedding(6, 3, padding_idx=0)
    layer.load_state_dict(torch_state_dict_numpy(reference))
    indices = np.array([[0, 2, 5], [1, 1, 0]])
    assert_close(layer(indices).detach().numpy(), reference(torch.from_numpy(indices)).detach(), FLOAT32_MODEL)


def test_dropout_is_seeded_and_inactive_in_eval():
    layer = nn.Dropout(0.5)
    x = np.ones((64,), np.float32)
    random.manual_seed(3)
    first = np.asarray(layer(x).detach())
    random.manual_seed(3)
    np.testing.assert_array_equal(np.asarray(layer(x).detach()), first)
    assert set(np.unique(first)) <= {0.0, 2.0} and 0 < (first == 0).sum() < 64
    layer.eval()
    np.testing.assert_array_equal(np.asarray(layer(x).detach()), x)


def test_default_init_has_torch_bounds():
    random.manual_seed(0)
    layer = nn.Conv2d(4, 2, 3)
    bound = 1 / np.sqrt(4 * 9)
    weight = np.asarray(layer.weight.detach())
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.8 * bound


def test_wrong_channel_count_or_rank_names_the_layer():
    conv = nn.Conv2d(1, 6, 5)
    with pytest.raises(
        ValueError,
        match=r"Conv2d\(1, 6, kernel_size=\(5, 5\), stride=\(1, 1\)\): "
        r"expected input of shape \(N, 1, H, W\).*got \(2, 3, 32, 32\)",
    ):
        conv(np.zeros((2, 3, 32, 32), np.float32))
    with pytest.raises(ValueError, match=r"Conv2d\(1, 6.*got \(32, 32\)"):
        conv(np.zeros((32, 32), np.float32))
    with pytest.raises(
        ValueError,
        match=r"Linear\(in_features=400, out_features=120, bias=True\): "
        r"expected input with last dimension 400, got shape \(2, 256\)",
    ):
        nn.Linear(400, 120)(jnp.zeros((2, 256)))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*expected input of rank 4 with 3 channels"):
        nn.BatchNorm2d(3)(np.zeros((2, 4, 5, 5), np.float32))


def test_view_to_an_incompatible_shape_raises():
    out = nn.Linear(3, 4)(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"view: shape \[-1, 3\] is invalid for input of size 8"):
        out.view(-1, 3)


def test_losses_match_torch():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 5)
    targets = rng.standard_normal((5, 4)).astype(np.float32)
    weight = np.array([1.0, 2.0, 0.5, 1.0], np.float32)
    cases = [
        (lambda lib, w: lib.CrossEntropyLoss(weight=w, label_smoothing=0.1), logits, labels),
        (lambda lib, w: lib.NLLLoss(reduction="sum"), logits, labels),
        (lambda lib, w: lib.MSELoss(), logits, targets),
        (lambda lib, w: lib.L1Loss(reduction="none"), logits, targets),
        (lambda lib, w: lib.BCEWithLogitsLoss(pos_weight=w), logits, (targets > 0) * 1.0),
    ]
    for make, x, t in cases:
        expected = make(torch.nn, torch.from_numpy(weight))(torch.from_numpy(x), torch.from_numpy(np.asarray(t)))
        actual = make(nn, weight)(x, np.asarray(t, dtype=np.asarray(t).dtype))
        assert_close(actual.detach().numpy(), expected.numpy(), FLOAT32_MODEL)
    assert list(nn.CrossEntropyLoss(weight=weight).state_dict()) == ["weight"]
