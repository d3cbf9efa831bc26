"""`nn.functional` on Tensors, `nn.init` in-place initialisers and `nn.utils` clipping."""

import numpy as np
import pytest

import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from functorch_lite import Tensor, random
from tests.helpers.numerics import FLOAT32_ACCUMULATED, FLOAT32_MODEL, assert_close

torch = pytest.importorskip("torch")


def test_functional_ops_match_torch_and_record_grads():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w).requires_grad_()
    weight = Tensor(w, requires_grad=True)
    expected = torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(tx, tw, padding=1), 2)
    actual = F.max_pool2d(F.conv2d(x, weight, padding=1), 2)
    assert_close(actual.detach().numpy(), expected.detach().numpy(), FLOAT32_MODEL)
    expected.sum().backward()
    actual.sum().backward()
    assert_close(weight.grad.numpy(), tw.grad.numpy(), FLOAT32_ACCUMULATED)
    flat = x.reshape(2, -1)
    assert_close(
        F.log_softmax(flat, dim=1).numpy(),
        torch.nn.functional.log_softmax(torch.from_numpy(flat), dim=1).numpy(),
        FLOAT32_MODEL,
    )
    assert_close(
        F.gelu(flat, approximate="tanh").numpy(),
        torch.nn.functional.gelu(torch.from_numpy(flat), approximate="tanh").numpy(),
        FLOAT32_MODEL,
    )


def test_functional_batch_norm_updates_running_stats_in_place():
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    mean, var = Tensor(np.zeros(3, np.float32)), Tensor(np.ones(3, np.float32))
    t_mean, t_var = torch.zeros(3), torch.ones(3)
    out = F.batch_norm(x, mean, var, training=True, momentum=0.2)
    expected = torch.nn.functional.batch_norm(torch.from_numpy(x), t_mean, t_var, training=True, momentum=0.2)
    assert_close(out.numpy(), expected.numpy(), FLOAT32_MODEL)
    assert_close(mean.numpy(), t_mean.numpy(), FLOAT32_MODEL)
    assert_close(var.numpy(), t_var.numpy(), FLOAT32_MODEL)


def test_functional_dropout_uses_the_global_generator():
    x = np.ones(32, np.float32)
    random.manual_seed(5)
    first = F.dropout(x, 0.5).numpy()
    random.manual_seed(5)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), first)
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).numpy(), x)


def test_cross_entropy_rejects_legacy_arguments():
    with pytest.raises(ValueError, match="cross_entropy: size_average is deprecated"):
        F.cross_entropy(np.zeros((2, 3), np.float32), np.zeros(2, np.int32), size_average=True)


def test_init_functions_fill_in_place_with_torch_distributions():
    layer = nn.Linear(200, 100)
    weight = layer.weight
    random.manual_seed(0)
    assert nn.init.kaiming_uniform_(layer.weight, a=0.0, nonlinearity="relu") is weight
    bound = np.sqrt(6.0 / 200)
    values = np.asarray(weight.detach())
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    nn.init.xavier_normal_(weight)
    assert abs(np.asarray(weight.detach()).std() - np.sqrt(2.0 / 300)) < 0.005
    nn.init.kaiming_normal_(weight, mode="fan_out")
    assert abs(np.asarray(weight.detach()).std() - np.sqrt(2.0 / 100)) < 0.01
    nn.init.xavier_uniform_(weight, gain=nn.init.calculate_gain("tanh"))
    nn.init.normal_(weight, mean=1.0, std=0.1)
    assert abs(np.asarray(weight.detach()).mean() - 1.0) < 0.01
    nn.init.uniform_(layer.bias, -0.5, 0.5)
    nn.init.constant_(layer.bias, 0.3)
    np.testing.assert_allclose(np.asarray(layer.bias.detach()), 0.3)
    nn.init.zeros_(layer.bias)
    nn.init.ones_(weight)
    assert np.asarray(weight.detach()).sum() == 200 * 100 and weight.requires_grad
    assert nn.init.calculate_gain("relu") == pytest.approx(np.sqrt(2))
    with pytest.raises(TypeError, match="uniform_: expected a Tensor"):
        nn.init.uniform_(np.zeros(3))


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (5,))]
    torch_params = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    params = [nn.Parameter(np.zeros(g.shape, np.float32)) for g in grads]
    for tp, p, g in zip(torch_params, params, grads):
        tp.grad, p.grad = torch.from_numpy(g.copy()), Tensor(g)
    expected = torch.nn.utils.clip_grad_norm_(torch_params, 1.0)
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert_close(total.numpy(), expected.numpy(), FLOAT32_MODEL)
    for tp, p in zip(torch_params, params):
        assert_close(p.grad.numpy(), tp.grad.numpy(), FLOAT32_MODEL)
    nn.utils.clip_grad_value_(params, 0.01)
    assert np.abs(params[0].grad.numpy()).max() <= 0.01
    with pytest.raises(ValueError, match="clip_grad_norm_: max_norm must be a non-negative"):
        nn.utils.clip_grad_norm_(params, -1.0)
