"""The seed's Net on the facade against the same Net on PyTorch: forward, grads, optimizers."""

import numpy as np
import pytest

import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from functorch_lite import optim
from tests.helpers.numerics import FLOAT32_GRAD, FLOAT32_MODEL, assert_close, torch_state_dict_numpy
from tests.helpers.seed import seed_net

torch = pytest.importorskip("torch")


def _pair():
    torch.manual_seed(0)
    reference = seed_net(torch.nn, torch.nn.functional)
    net = seed_net(nn, F)
    net.load_state_dict(torch_state_dict_numpy(reference))
    return reference, net


def _batches(count, batch=16):
    rng = np.random.default_rng(0)
    return [
        (rng.standard_normal((batch, 1, 32, 32), dtype=np.float32), rng.integers(0, 10, batch).astype(np.int64))
        for _ in range(count)
    ]


def test_state_dict_keys_equal_torch():
    reference, net = _pair()
    assert list(net.state_dict()) == list(reference.state_dict())
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in reference.named_parameters()]


def test_forward_and_grads_match_torch():
    reference, net = _pair()
    ((x, y),) = _batches(1)
    expected = reference(torch.from_numpy(x))
    outputs = net(x)
    assert_close(outputs.detach().numpy(), expected.detach().numpy(), FLOAT32_MODEL)
    torch.nn.CrossEntropyLoss()(expected, torch.from_numpy(y)).backward()
    loss = nn.CrossEntropyLoss()(outputs, y)
    loss.backward()
    torch_grads = {n: p.grad.numpy() for n, p in reference.named_parameters()}
    for name, param in net.named_parameters():
        assert param.grad is not None, name
        assert_close(param.grad.numpy(), torch_grads[name], FLOAT32_MODEL)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, params: lib.SGD(params, lr=0.001, momentum=0.9),
        lambda lib, params: lib.Adam(params, lr=0.001),
        lambda lib, params: lib.AdamW(params, lr=0.001),
    ],
    ids=["SGD", "Adam", "AdamW"],
)
def test_twenty_steps_match_torch(make):
    reference, net = _pair()
    torch_optimizer, optimizer = make(torch.optim, reference.parameters()), make(optim, net.parameters())
    torch_losses, losses = [], []
    for x, y in _batches(20):
        torch_optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(reference(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        torch_optimizer.step()
        torch_losses.append(loss.item())
        optimizer.zero_grad()
        loss = nn.CrossEntropyLoss()(net(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    np.testing.assert_allclose(losses, torch_losses, rtol=1e-5)
    final = torch_state_dict_numpy(reference)
    for key, value in net.state_dict().items():
        assert_close(value.numpy(), final[key], FLOAT32_GRAD)
