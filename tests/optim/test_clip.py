"""Gradient clipping equals torch.nn.utils.clip_grad_norm_ / clip_grad_value_ over pytrees."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.optim as fo

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
SHAPES = [(3, 4), (5,), (2, 1, 3)]
GRADS = [RNG.standard_normal(shape).astype(np.float32) for shape in SHAPES]


def grad_tree():
    return {
        "layer": {"weight": jnp.asarray(GRADS[0]), "bias": jnp.asarray(GRADS[1])},
        "kernels": [jnp.asarray(GRADS[2]), None],
    }


def flat(tree):
    return [tree["layer"]["weight"], tree["layer"]["bias"], tree["kernels"][0]]


def torch_clip(max_norm, norm_type):
    parameters = []
    for grad in GRADS:
        parameter = torch.zeros(grad.shape, requires_grad=True)
        parameter.grad = torch.tensor(grad)
        parameters.append(parameter)
    total = torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=norm_type)
    return [p.grad.numpy() for p in parameters], total.item()


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_by_global_norm_matches_torch(max_norm, norm_type):
    expected_grads, expected_total = torch_clip(max_norm, norm_type)
    for clip in (fo.clip_by_global_norm, jax.jit(fo.clip_by_global_norm, static_argnums=2)):
        clipped, total = clip(grad_tree(), max_norm, norm_type)
        np.testing.assert_allclose(total, expected_total, rtol=1e-6)
        assert clipped["kernels"][1] is None
        for actual, expected in zip(flat(clipped), expected_grads, strict=True):
            assert actual.dtype == jnp.float32 and actual.shape == expected.shape
            np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)


def test_global_norm_and_traced_max_norm():
    expected = np.sqrt(sum(float((grad.astype(np.float64) ** 2).sum()) for grad in GRADS))
    np.testing.assert_allclose(fo.global_norm(grad_tree()), expected, rtol=1e-6)
    assert float(fo.global_norm({})) == 0.0
    clipped, _ = jax.jit(fo.clip_by_global_norm)(grad_tree(), jnp.float32(1.0))
    np.testing.assert_allclose(fo.global_norm(clipped), 1.0, rtol=1e-5)


def test_clip_by_value_matches_torch():
    parameters = [torch.zeros(grad.shape, requires_grad=True) for grad in GRADS]
    for parameter, grad in zip(parameters, GRADS, strict=True):
        parameter.grad = torch.tensor(grad)
    torch.nn.utils.clip_grad_value_(parameters, 0.3)
    clipped = fo.clip_by_value(grad_tree(), 0.3)
    for actual, parameter in zip(flat(clipped), parameters, strict=True):
        np.testing.assert_array_equal(actual, parameter.grad.numpy())


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: fo.clip_by_global_norm(grad_tree(), -1.0),
            ValueError,
            r"clip_by_global_norm: max_norm must be a non-negative number, got -1.0",
        ),
        (
            lambda: fo.clip_by_global_norm(grad_tree(), 1.0, norm_type="two"),
            TypeError,
            r"clip_by_global_norm: norm_type must be a number or 'inf', got 'two'",
        ),
        (
            lambda: fo.global_norm(grad_tree(), norm_type=None),
            TypeError,
            r"global_norm: norm_type must be a number or 'inf'",
        ),
        (
            lambda: fo.clip_by_value(grad_tree(), -0.1),
            ValueError,
            r"clip_by_value: clip_value must be a non-negative number, got -0.1",
        ),
    ],
)
def test_clip_arguments_are_validated(call, error, message):
    with pytest.raises(error, match=message):
        call()
