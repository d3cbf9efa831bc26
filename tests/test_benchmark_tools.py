"""The benchmarks' model and HLO tools: no timing, only what the tables are built from."""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import hlo_count  # noqa: E402
import models  # noqa: E402

from tests.helpers.numerics import FLOAT32_MODEL, assert_close  # noqa: E402


def _parsed(fn, *args):
    return hlo_count.parse_hlo(jax.jit(fn).lower(*args).compile().as_text())


def test_matmul_flops_counts_every_loop_trip():
    def scan_of_dots(h, w):
        return jax.lax.scan(lambda c, _: (jnp.tanh(c @ w), None), h, None, length=7)[0]

    h, w = jnp.ones((8, 16)), jnp.ones((16, 16))
    flops = hlo_count.matmul_flops(*_parsed(scan_of_dots, h, w))
    assert flops["dot"] == 7 * 2 * 8 * 16 * 16
    assert flops["in_loops_beyond_one_trip"] == 6 * 2 * 8 * 16 * 16


def test_matmul_flops_of_a_convolution():
    x, k = jnp.ones((2, 3, 10, 10)), jnp.ones((4, 3, 3, 3))
    flops = hlo_count.matmul_flops(*_parsed(lambda x, k: jax.lax.conv(x, k, (1, 1), "VALID"), x, k))
    assert flops["convolution"] == 2 * (2 * 4 * 8 * 8) * (3 * 3 * 3)


def test_kinds_of_executed_ops():
    instructions, computations = _parsed(
        lambda a, b: (jnp.tanh(a @ b).T + 1.0, a.sum(0)), jnp.ones((32, 32)), jnp.ones((32, 32))
    )
    kinds = {
        hlo_count.kind_of(name, instructions, computations)
        for name, info in instructions.items()
        if info["computation"].startswith("ENTRY ") and info["opcode"] != "parameter"
    }
    assert "dot" in kinds and "reduce" in kinds
    assert kinds <= set(hlo_count.KINDS) | {None}


@pytest.mark.parametrize("model", ["transformer", "lstm"])
def test_functional_core_model_has_the_facade_models_parameters(model):
    torch = pytest.importorskip("torch")
    init, _ = models._pure_model(model)
    params = jax.eval_shape(lambda: init()[0])  # shapes only: nothing is compiled
    from functorch_lite.functional.tree import flatten_dict

    ours = {name: tuple(leaf.shape) for name, leaf in flatten_dict(params).items()}
    build = models.MODELS[model][0]
    reference = {name: tuple(t.shape) for name, t in build(torch.nn, torch.nn.functional).state_dict().items()}
    if model == "lstm":  # the core's LSTM layer holds its weights under its own names; compare the sizes
        assert sorted(ours.values()) == sorted(reference.values())
    else:
        assert ours == reference


def test_functional_core_transformer_computes_the_facade_models_logits():
    torch = pytest.importorskip("torch")
    import numpy as np

    from functorch_lite.functional.tree import unflatten_dict

    torch.manual_seed(0)
    net = models.transformer_net(torch.nn, torch.nn.functional).eval()  # dropout off on both sides
    _, apply = models._pure_model("transformer")
    state = {"dropout_key": jax.random.PRNGKey(0)}  # unused with training=False
    params = unflatten_dict({name: jnp.asarray(t.detach().numpy()) for name, t in net.state_dict().items()})
    tokens = np.random.default_rng(0).integers(0, models.VOCAB, (2, models.SEQ_TRANSFORMER))
    ours = jax.jit(lambda p, x: apply(p, state, x, training=False)[0])(params, jnp.asarray(tokens, jnp.int32))
    with torch.no_grad():
        expected = net(torch.from_numpy(tokens)).numpy()
    assert_close(np.asarray(ours), expected, FLOAT32_MODEL, what="transformer logits")
