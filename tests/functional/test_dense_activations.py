"""linear, activations, (log-)softmax, flatten, embedding and dropout against torch."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.functional as fn
from tests.helpers.numerics import FLOAT32_RELATIVE, assert_close, check_vs_torch, randn, to_torch, torch

F = torch.nn.functional


@pytest.mark.parametrize("xshape", [(5,), (4, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(xshape, bias):
    x, w = randn(xshape, 1), randn((3, 5), 2)
    b = randn((3,), 3) if bias else None
    argnums = (0, 1, 2) if bias else (0, 1)
    check_vs_torch(fn.linear, F.linear, [x, w, b], argnums)


ACTIVATIONS = [
    ("relu", fn.relu, F.relu),
    ("leaky_relu", fn.leaky_relu, F.leaky_relu),
    ("leaky_relu_0.2", lambda x: fn.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2)),
    ("gelu", fn.gelu, F.gelu),
    ("gelu_tanh", lambda x: fn.gelu(x, approximate="tanh"), lambda x: F.gelu(x, approximate="tanh")),
    ("sigmoid", fn.sigmoid, torch.sigmoid),
    ("tanh", fn.tanh, torch.tanh),
]


@pytest.mark.parametrize("name,ours,theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_matches_torch(name, ours, theirs):
    x = randn((3, 4, 5), 4) * 3
    x[0, 0, :3] = [0.0, 30.0, -30.0]  # kinks and saturation
    check_vs_torch(ours, theirs, [x])


@pytest.mark.parametrize("ours,theirs", [(fn.relu, F.relu), (fn.leaky_relu, F.leaky_relu)])
def test_gradient_at_zero_matches_torch(ours, theirs):
    """PyTorch's derivative at exactly 0 is the left one (0 for relu, slope for leaky_relu)."""
    check_vs_torch(ours, theirs, [np.zeros((4,), np.float32)], grad_tol=FLOAT32_RELATIVE)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((7,), 0), ((4, 6), 1), ((4, 6), 0), ((2, 3, 4), -1), ((2, 3, 4), 1)])
def test_softmax_matches_torch(op, shape, dim):
    x = randn(shape, 5) * 4
    check_vs_torch(lambda x: getattr(fn, op)(x, dim=dim), lambda x: getattr(F, op)(x, dim=dim), [x])


def test_softmax_large_logits_stay_finite():
    x = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    assert np.isfinite(np.asarray(fn.log_softmax(x, dim=1))).all()
    assert_close(fn.softmax(x, dim=1), [[1.0, 0.0, 0.0]], FLOAT32_RELATIVE)


def test_softmax_dtype_argument():
    x = randn((2, 3), 6)
    assert fn.softmax(x, dim=1, dtype=jnp.bfloat16).dtype == jnp.bfloat16


@pytest.mark.parametrize("start,end", [(0, -1), (1, -1), (1, 2), (-2, -1), (2, 2)])
def test_flatten_matches_torch(start, end):
    check_vs_torch(
        lambda x: fn.flatten(x, start, end), lambda x: torch.flatten(x, start, end), [randn((2, 3, 4, 5), 7)]
    )


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch_including_padding_gradient(padding_idx):
    idx = np.array([[0, 2, 4], [2, 1, 4]], np.int64)
    w = randn((5, 3), 8)
    ours = lambda w: fn.embedding(idx, w, padding_idx)  # noqa: E731
    theirs = lambda w: F.embedding(to_torch(idx), w, padding_idx)  # noqa: E731
    check_vs_torch(ours, theirs, [w])
    if padding_idx is not None:
        grad = jax.grad(lambda w: jnp.sum(ours(w) ** 2))(jnp.asarray(w))
        assert not np.asarray(grad[padding_idx]).any()


# ---- dropout: statistics, scaling, determinism, edge cases ----


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_fraction_p_and_scales_survivors(p):
    x = jnp.asarray(np.abs(randn((200, 250), 9)) + 0.5)  # no zeros in the input
    y = np.asarray(fn.dropout(x, p, training=True, key=jax.random.key(1)))
    zeroed = y == 0
    # 50,000 Bernoulli draws: the fraction's standard deviation is below 0.0023.
    assert abs(zeroed.mean() - p) < 0.01
    np.testing.assert_allclose(y[~zeroed], np.asarray(x)[~zeroed] / (1 - p), rtol=1e-6)


def test_dropout_is_deterministic_given_key_and_differs_across_keys():
    x = jnp.ones((64, 64))
    a = fn.dropout(x, 0.5, key=jax.random.key(3))
    b = fn.dropout(x, 0.5, key=jax.random.key(3))
    c = fn.dropout(x, 0.5, key=jax.random.key(4))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert (np.asarray(a) != np.asarray(c)).any()


def test_dropout_eval_and_edge_probabilities():
    x = jnp.asarray(randn((8, 9), 10))
    np.testing.assert_array_equal(np.asarray(fn.dropout(x, 0.5, training=False)), np.asarray(x))
    np.testing.assert_array_equal(np.asarray(fn.dropout(x, 0.0, training=True, key=jax.random.key(0))), np.asarray(x))
    np.testing.assert_array_equal(np.asarray(fn.dropout(x, 1.0, training=True, key=jax.random.key(0))), 0.0)
    # torch agrees on the deterministic cases
    assert_close(fn.dropout(x, 0.5, training=False), F.dropout(to_torch(x), 0.5, training=False), FLOAT32_RELATIVE)
    assert_close(fn.dropout(x, 1.0, key=jax.random.key(0)), F.dropout(to_torch(x), 1.0), FLOAT32_RELATIVE)


def test_dropout_gradient_is_the_mask_scaled():
    x = jnp.asarray(randn((30, 30), 11))
    key = jax.random.key(5)
    y = fn.dropout(x, 0.3, key=key)
    g = jax.grad(lambda x: jnp.sum(fn.dropout(x, 0.3, key=key)))(x)
    expected = np.where(np.asarray(y) != 0, 1 / 0.7, 0.0)
    np.testing.assert_allclose(np.asarray(g), expected, rtol=1e-6)
