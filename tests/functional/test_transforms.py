"""Every op is safe under jax.jit, jax.vmap (an extra leading axis), jax.jacrev and jax.eval_shape.

Every core op also runs as a `chex.variants` pair, jitted and not, against real PyTorch.

Each case is a function of float arrays only (integer targets and keys are closed
over); jit and vmap must reproduce the eager result, eval_shape its shape and dtype,
and jacrev must agree with the gradient of the summed output. vmap, jacrev and grad
run inside jit (one compilation each rather than one per eager op, to keep this fast).
"""

from pathlib import Path

import chex
import jax
import jax.numpy as jnp
import pytest
from absl.testing import parameterized

import functorch_lite.functional as fn
from tests.helpers.numerics import FLOAT32_MODEL, FLOAT32_OP, assert_close, randn, to_torch, torch


def a(shape, seed):
    return jnp.asarray(randn(shape, seed))


LABELS = jnp.array([0, 2, 1])
KEY = jax.random.key(7)
CASES = {
    "conv2d": (
        lambda x, w, b: fn.conv2d(x, w, b, padding="same", groups=2),
        (a((1, 2, 4, 4), 0), a((2, 1, 3, 3), 1), a((2,), 2)),
    ),
    "conv2d_unbatched": (lambda x, w: fn.conv2d(x, w, stride=2), (a((2, 5, 5), 3), a((3, 2, 3, 3), 4))),
    "max_pool2d": (lambda x: fn.max_pool2d(x, 2, ceil_mode=True), (a((1, 2, 5, 5), 5),)),
    "avg_pool2d": (lambda x: fn.avg_pool2d(x, 3, 2, 1, count_include_pad=False), (a((1, 2, 5, 5), 6),)),
    "adaptive_avg_pool2d": (lambda x: fn.adaptive_avg_pool2d(x, (2, 3)), (a((1, 2, 5, 4), 7),)),
    "linear": (fn.linear, (a((2, 4), 8), a((3, 4), 9), a((3,), 10))),
    "relu": (fn.relu, (a((2, 3), 11),)),
    "leaky_relu": (fn.leaky_relu, (a((2, 3), 12),)),
    "gelu": (lambda x: fn.gelu(x, "tanh"), (a((2, 3), 13),)),
    "sigmoid": (fn.sigmoid, (a((2, 3), 14),)),
    "tanh": (fn.tanh, (a((2, 3), 15),)),
    "softmax": (lambda x: fn.softmax(x, dim=-1), (a((2, 3), 16),)),
    "log_softmax": (lambda x: fn.log_softmax(x, dim=0), (a((2, 3), 17),)),
    "dropout": (lambda x: fn.dropout(x, 0.5, key=KEY), (a((2, 3), 18),)),
    "batch_norm": (
        lambda x, w, m: fn.batch_norm(x, m, jnp.ones(3), w, None, True),
        (a((4, 3), 19), a((3,), 20), a((3,), 21)),
    ),
    "layer_norm": (lambda x, w: fn.layer_norm(x, 3, w), (a((2, 3), 22), a((3,), 23))),
    "flatten": (lambda x: fn.flatten(x, 1), (a((2, 3, 2), 24),)),
    "embedding": (lambda w: fn.embedding(LABELS, w, padding_idx=0), (a((4, 2), 25),)),
    "cross_entropy": (lambda x: fn.cross_entropy(x, LABELS, label_smoothing=0.1), (a((3, 4), 26),)),
    "nll_loss": (lambda x: fn.nll_loss(x, LABELS, reduction="sum"), (a((3, 4), 27),)),
    "mse_loss": (fn.mse_loss, (a((2, 3), 28), a((2, 3), 29))),
    "l1_loss": (lambda x, t: fn.l1_loss(x, t, reduction="none"), (a((2, 3), 30), a((2, 3), 31))),
    "bce_with_logits": (fn.binary_cross_entropy_with_logits, (a((2, 3), 32), jax.nn.sigmoid(a((2, 3), 33)))),
    "relu6": (fn.relu6, (a((2, 3), 34) * 4,)),
}
# Core ops with a test module of their own, against torch (sequences, masks and packed batches need more
# set-up than one row here; the packing helpers need concrete lengths, as in torch).
TESTED_ELSEWHERE = {
    **dict.fromkeys(
        ["generate_square_subsequent_mask", "multi_head_attention_forward", "scaled_dot_product_attention"],
        "tests/functional/test_attention.py",
    ),
    **dict.fromkeys(
        ["gru_cell", "lstm_cell", "rnn_relu_cell", "rnn_tanh_cell", "recurrent", "pack_padded_sequence"]
        + ["pack_sequence", "pad_packed_sequence", "pad_sequence", "unpack_sequence"],
        "tests/functional/test_recurrent.py",
    ),
    "unpad_sequence": "tests/nn/test_recurrent.py",
}


T = torch.nn.functional
T_LABELS = torch.tensor([0, 2, 1])
# The same computation in torch, for the first output of each case; dropout's mask comes from
# a different generator, so it is compared with its own un-jitted result instead.
TORCH_TWINS = {
    "conv2d": lambda x, w, b: T.conv2d(x, w, b, padding="same", groups=2),
    "conv2d_unbatched": lambda x, w: T.conv2d(x, w, stride=2),
    "max_pool2d": lambda x: T.max_pool2d(x, 2, ceil_mode=True),
    "avg_pool2d": lambda x: T.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
    "adaptive_avg_pool2d": lambda x: T.adaptive_avg_pool2d(x, (2, 3)),
    "linear": T.linear,
    "relu": T.relu,
    "leaky_relu": T.leaky_relu,
    "gelu": lambda x: T.gelu(x, approximate="tanh"),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda x: T.softmax(x, dim=-1),
    "log_softmax": lambda x: T.log_softmax(x, dim=0),
    "dropout": None,
    "batch_norm": lambda x, w, m: T.batch_norm(x, m.clone(), torch.ones(3), w, None, True),
    "layer_norm": lambda x, w: T.layer_norm(x, (3,), w),
    "flatten": lambda x: torch.flatten(x, 1),
    "embedding": lambda w: T.embedding(T_LABELS, w, padding_idx=0),
    "cross_entropy": lambda x: T.cross_entropy(x, T_LABELS, label_smoothing=0.1),
    "nll_loss": lambda x: T.nll_loss(x, T_LABELS, reduction="sum"),
    "mse_loss": T.mse_loss,
    "l1_loss": lambda x, t: T.l1_loss(x, t, reduction="none"),
    "bce_with_logits": T.binary_cross_entropy_with_logits,
    "relu6": T.relu6,
}
CORE_OPS = {name for name in fn.__all__ if callable(getattr(fn, name)) and name[0].islower()} - {
    "flatten_dict",
    "unflatten_dict",
    "state_dict",
    "load_state_dict",
}


def close(x, y):
    chex.assert_trees_all_close(x, y, rtol=FLOAT32_MODEL.rtol, atol=FLOAT32_MODEL.atol)


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def test_every_core_op_has_a_case_and_a_torch_twin():
    assert {
        name.removesuffix("_unbatched").replace("bce_with_logits", "binary_cross_entropy_with_logits") for name in CASES
    } | TESTED_ELSEWHERE.keys() == CORE_OPS
    assert TORCH_TWINS.keys() == CASES.keys()
    root = Path(__file__).resolve().parents[2]
    for name, module in TESTED_ELSEWHERE.items():
        text = (root / module).read_text(encoding="utf-8")
        assert name in text, f"{name}: not exercised in {module}"


class JitAndEagerMatchTorch(chex.TestCase):
    """Each core op, jitted and not (`chex.variants`), against torch (dropout: against its eager self)."""

    @chex.variants(with_jit=True, without_jit=True)
    @parameterized.named_parameters(*[(name, name) for name in CASES])
    def test_op(self, name):
        f, args = CASES[name]
        out = _first(self.variant(f)(*args))
        twin = TORCH_TWINS[name]
        expected = _first(f(*args)) if twin is None else twin(*[to_torch(x) for x in args])
        chex.assert_shape(out, tuple(expected.shape))
        assert_close(out, expected, FLOAT32_OP, name)


@pytest.mark.parametrize("name", list(CASES))
def test_op_under_jit_vmap_jacrev_eval_shape(name):
    f, args = CASES[name]
    argnums = tuple(range(len(args)))
    eager = f(*args)
    jitted = jax.jit(f)
    close(jitted(*args), eager)

    shape = jax.eval_shape(f, *args)
    assert jax.tree.map(lambda s: (s.shape, s.dtype), shape) == jax.tree.map(lambda y: (y.shape, y.dtype), eager)

    stacked = [jnp.stack([x, 2 * x]) for x in args]
    doubled = jitted(*[2 * x for x in args])  # same shapes: reuses the compiled program

    def first_output(*xs):
        out = f(*xs)
        return out[0] if isinstance(out, tuple) else out

    @jax.jit  # vmap, jacrev and grad in one program: one compilation
    def transformed(args, stacked):
        return (
            jax.vmap(f)(*stacked),
            jax.jacrev(first_output, argnums)(*args),
            jax.grad(lambda *xs: jnp.sum(first_output(*xs)), argnums)(*args),
        )

    batched, jac, grads = transformed(args, stacked)
    close(batched, jax.tree.map(lambda y, z: jnp.stack([y, z]), eager, doubled))
    out = eager[0] if isinstance(eager, tuple) else eager
    for j, g, x in zip(jac, grads, args, strict=True):
        chex.assert_shape(j, out.shape + x.shape)
        close(j.sum(axis=tuple(range(out.ndim))), g)
