"""batch_norm (train/eval, running statistics, momentum) and layer_norm against torch."""

import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.functional as fn
from tests.helpers.numerics import FLOAT32_OP, FLOAT32_REDUCTION, assert_close, check_vs_torch, randn, to_torch, torch

F = torch.nn.functional


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 5)])
@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_batch_norm_training_matches_torch_outputs_gradients_and_buffers(shape, momentum):
    c = shape[1]
    x, w, b = randn(shape, 1) * 2 + 1, randn((c,), 2), randn((c,), 3)
    mean0, var0 = randn((c,), 4), np.abs(randn((c,), 5)) + 0.5
    t_mean, t_var = to_torch(mean0), to_torch(var0)

    def theirs(x, w, b):
        return F.batch_norm(x, t_mean, t_var, w, b, training=True, momentum=momentum, eps=1e-5)

    check_vs_torch(
        lambda x, w, b: fn.batch_norm(x, mean0, var0, w, b, True, momentum)[0],
        theirs,
        [x, w, b],
        (0, 1, 2),
        tol=FLOAT32_REDUCTION,
    )
    # torch updated its buffers in place (once: check_vs_torch ran it once)
    _, new_mean, new_var = fn.batch_norm(x, mean0, var0, w, b, True, momentum)
    assert_close(new_mean, t_mean, FLOAT32_OP)
    assert_close(new_var, t_var, FLOAT32_OP)


@pytest.mark.parametrize("shape", [(6, 3), (3, 3, 4, 5)])
def test_batch_norm_eval_uses_running_statistics(shape):
    c = shape[1]
    x, w, b = randn(shape, 1), randn((c,), 2), randn((c,), 3)
    mean0, var0 = randn((c,), 4), np.abs(randn((c,), 5)) + 0.5
    check_vs_torch(
        lambda x, w, b: fn.batch_norm(x, mean0, var0, w, b, False)[0],
        lambda x, w, b: F.batch_norm(x, to_torch(mean0), to_torch(var0), w, b, training=False),
        [x, w, b],
        (0, 1, 2),
    )
    _, m, v = fn.batch_norm(x, mean0, var0, w, b, False)
    np.testing.assert_array_equal(np.asarray(m), mean0)  # eval leaves statistics alone
    np.testing.assert_array_equal(np.asarray(v), var0)


def test_batch_norm_without_running_statistics_uses_batch_statistics():
    x = randn((5, 4, 3, 3), 6)
    check_vs_torch(
        lambda x: fn.batch_norm(x, None, None, training=True)[0],
        lambda x: F.batch_norm(x, None, None, training=True),
        [x],
        tol=FLOAT32_REDUCTION,
    )
    y, m, v = fn.batch_norm(x, None, None, training=True)
    assert m is None and v is None


@pytest.mark.parametrize("shape,normalized", [((4, 6), 6), ((2, 3, 4, 5), (4, 5)), ((3, 5), [5])])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(shape, normalized, affine):
    x = randn(shape, 7) * 3 + 2
    nshape = (normalized,) if isinstance(normalized, int) else tuple(normalized)
    w, b = (randn(nshape, 8), randn(nshape, 9)) if affine else (None, None)
    argnums = (0, 1, 2) if affine else (0,)
    check_vs_torch(
        lambda x, w, b: fn.layer_norm(x, normalized, w, b),
        lambda x, w, b: F.layer_norm(x, nshape, w, b),
        [x, w, b],
        argnums,
        tol=FLOAT32_REDUCTION,
    )


def test_layer_norm_rejects_parameters_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"layer_norm: expected weight of shape \(5,\), got \(4,\)"):
        fn.layer_norm(jnp.ones((2, 5)), 5, jnp.ones(4))
