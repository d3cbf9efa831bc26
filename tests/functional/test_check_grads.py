"""Second-order forward- and reverse-mode derivatives checked numerically in float64.

x64 is switched on only inside each test (`jax.enable_x64(True)` as a context), so
every other test keeps JAX's float32 default.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import functorch_lite.functional as fn
from tests.helpers.numerics import randn, rng


def f64(shape, seed):
    return jnp.asarray(randn(shape, seed, np.float64))


CASES = {
    "conv2d": (
        lambda x, w, b: fn.conv2d(x, w, b, stride=2, padding=1, groups=2),
        lambda: (f64((1, 4, 5, 5), 0), f64((2, 2, 3, 3), 1), f64((2,), 2)),
    ),
    "max_pool2d": (lambda x: fn.max_pool2d(x, 3, 2, padding=1, ceil_mode=True), lambda: (f64((1, 2, 6, 6), 3),)),
    "avg_pool2d": (
        lambda x: fn.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False),
        lambda: (f64((1, 2, 6, 6), 4),),
    ),
    "adaptive_avg_pool2d": (lambda x: fn.adaptive_avg_pool2d(x, (3, 2)), lambda: (f64((1, 2, 7, 5), 5),)),
    "linear": (fn.linear, lambda: (f64((3, 4), 6), f64((2, 4), 7), f64((2,), 8))),
    "softmax": (lambda x: fn.softmax(x, dim=1), lambda: (f64((3, 4), 9),)),
    "log_softmax": (lambda x: fn.log_softmax(x, dim=-1), lambda: (f64((2, 3, 4), 10),)),
    "batch_norm_train": (
        lambda x, w, b: fn.batch_norm(x, jnp.zeros(3), jnp.ones(3), w, b, True)[0],
        lambda: (f64((4, 3, 2), 11), f64((3,), 12), f64((3,), 13)),
    ),
    "batch_norm_eval": (
        lambda x, w, b: fn.batch_norm(x, f64((3,), 14), jnp.ones(3) * 2.0, w, b, False)[0],
        lambda: (f64((4, 3), 15), f64((3,), 16), f64((3,), 17)),
    ),
    "layer_norm": (
        lambda x, w, b: fn.layer_norm(x, (3, 2), w, b),
        lambda: (f64((2, 3, 2), 18), f64((3, 2), 19), f64((3, 2), 20)),
    ),
    "cross_entropy": (
        lambda x, w: fn.cross_entropy(x, jnp.array([0, 2, 1, 2]), w, label_smoothing=0.1),
        lambda: (f64((4, 3), 21), jnp.abs(f64((3,), 22)) + 0.5),
    ),
    "cross_entropy_probabilities": (
        lambda x, p: fn.cross_entropy(x, p),
        lambda: (f64((4, 3), 23), jax.nn.softmax(f64((4, 3), 24))),
    ),
    "bce_with_logits": (
        lambda x, t: fn.binary_cross_entropy_with_logits(x, t, pos_weight=jnp.array([2.0, 0.5])),
        lambda: (f64((3, 2), 25), jnp.asarray(rng(26).random((3, 2)))),
    ),
}


# check_grads compiles dozens of small float64 programs per op (seconds each), so only a
# representative few run by default; the rest run with --runslow (as .ci/run does).
DEFAULT = ("conv2d", "max_pool2d", "batch_norm_train", "cross_entropy")


@pytest.mark.parametrize("name", [n if n in DEFAULT else pytest.param(n, marks=pytest.mark.slow) for n in CASES])
def test_second_order_gradients(name):
    f, make_args = CASES[name]
    with jax.enable_x64(True):
        args = make_args()
        assert all(a.dtype == jnp.float64 for a in args)
        check_grads(jax.jit(f), args, order=2, modes=("fwd", "rev"), atol=1e-5, rtol=1e-5)


def test_x64_is_off_outside():
    assert jnp.ones(1).dtype == jnp.float32
