"""Initialisers and the default Linear/Conv2d initialisation follow torch.nn.init's formulas.

Large draws are compared with the distribution PyTorch would use: uniform ones stay
within the bound, reach close to it and have variance bound^2 / 3; normal ones have
the right standard deviation. The bounds are read off real torch layers where one exists.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.functional as fn
from tests.helpers.numerics import torch

init = fn.init
KEY = jax.random.key(0)


def check_uniform(x, bound):
    """U(-bound, bound): inside the bound, reaching it, mean 0, variance bound^2/3 (5 sigma)."""
    x = np.asarray(x, np.float64).ravel()
    n = x.size
    assert x.min() >= -bound and x.max() <= bound
    assert x.min() < -0.99 * bound and x.max() > 0.99 * bound
    assert abs(x.mean()) < 5 * bound / math.sqrt(3 * n)
    assert abs(x.var() / (bound**2 / 3) - 1) < 5 * math.sqrt(0.8 / n)  # Var(x^2)/E[x^2]^2 = 4/5


def check_normal(x, std):
    """N(0, std^2): mean and standard deviation within 5 sigma."""
    x = np.asarray(x, np.float64).ravel()
    n = x.size
    assert abs(x.mean()) < 5 * std / math.sqrt(n)
    assert abs(x.std() / std - 1) < 5 * math.sqrt(0.5 / n)


@pytest.mark.parametrize("shape", [(256, 128), (64, 32, 3, 3)])
def test_fans_match_torch(shape):
    from torch.nn.init import _calculate_fan_in_and_fan_out

    assert init.fans(shape) == _calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize(
    "nonlinearity,param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0.0), ("leaky_relu", 0.1)])
def test_kaiming_matches_torch_formula(mode, nonlinearity, a):
    shape = (128, 64, 3, 3)
    fan_in, fan_out = 64 * 9, 128 * 9
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    check_uniform(init.kaiming_uniform(KEY, shape, a, mode, nonlinearity), math.sqrt(3) * std)
    check_normal(init.kaiming_normal(KEY, shape, a, mode, nonlinearity), std)
    # torch's own draws obey the same bound
    t = torch.nn.init.kaiming_uniform_(torch.empty(shape), a, mode, nonlinearity)
    check_uniform(t.numpy(), math.sqrt(3) * std)


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier_matches_torch_formula(gain):
    shape = (300, 200)
    bound = gain * math.sqrt(6 / 500)
    check_uniform(init.xavier_uniform(KEY, shape, gain), bound)
    check_normal(init.xavier_normal(KEY, shape, gain), gain * math.sqrt(2 / 500))
    check_uniform(torch.nn.init.xavier_uniform_(torch.empty(shape), gain).numpy(), bound)


def test_simple_initialisers():
    np.testing.assert_array_equal(np.asarray(init.zeros(None, (2, 3))), 0)
    np.testing.assert_array_equal(np.asarray(init.ones(None, (2, 3))), 1)
    np.testing.assert_array_equal(np.asarray(init.constant(None, (2,), 0.5)), 0.5)
    x = np.asarray(init.uniform(KEY, (100_000,), -2.0, 3.0))
    assert x.min() >= -2 and x.max() <= 3 and abs(x.mean() - 0.5) < 0.03
    check_normal(init.normal(KEY, (100_000,), 0.0, 3.0), 3.0)
    assert init.default_weight(KEY, (4, 3), jnp.bfloat16).dtype == jnp.bfloat16


def torch_default_bound(module):
    """PyTorch's reset_parameters: kaiming_uniform(a=sqrt(5)) -> bound 1/sqrt(fan_in), bias too."""
    fan_in = torch.nn.init._calculate_fan_in_and_fan_out(module.weight)[0]
    return 1 / math.sqrt(fan_in)


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (lambda: fn.Linear(400, 300), lambda: torch.nn.Linear(400, 300)),
        (lambda: fn.Conv2d(16, 96, 5), lambda: torch.nn.Conv2d(16, 96, 5)),
        (lambda: fn.Conv2d(32, 64, 3, groups=4), lambda: torch.nn.Conv2d(32, 64, 3, groups=4)),
    ],
)
def test_layer_default_init_distribution_matches_torch(ours, theirs):
    module = theirs()
    bound = torch_default_bound(module)
    params = ours().init(jax.random.key(1))
    assert params["weight"].shape == tuple(module.weight.shape)
    check_uniform(params["weight"], bound)
    check_uniform(module.weight.detach().numpy(), bound)  # the reference obeys the same bound
    bias = np.asarray(params["bias"])
    assert np.abs(bias).max() <= bound and bias.std() > bound / 4  # few values: bounds and spread only


def test_init_is_deterministic_per_key_and_differs_between_keys():
    layer = fn.Linear(20, 10)
    a, b, c = (layer.init(jax.random.key(3)), layer.init(jax.random.key(3)), layer.init(jax.random.key(4)))
    np.testing.assert_array_equal(np.asarray(a["weight"]), np.asarray(b["weight"]))
    assert (np.asarray(a["weight"]) != np.asarray(c["weight"])).any()
    assert (np.asarray(a["weight"])[:10, 0] != np.asarray(a["bias"])).all()  # weight and bias use split keys


def test_embedding_init_is_standard_normal_with_zero_padding_row():
    w = np.asarray(fn.Embedding(1000, 64, padding_idx=3).init(KEY)["weight"])
    assert not w[3].any()
    check_normal(np.delete(w, 3, axis=0), 1.0)
