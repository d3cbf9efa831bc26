"""The pure recurrent core against torch: cells, RNN/LSTM/GRU sequences, packing, transforms, float64 grads."""

import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.functional as fn
from tests.helpers.numerics import randn, to_numpy, to_torch, torch

ROOT = Path(__file__).resolve().parents[2]
TOL = dict(rtol=1e-5, atol=1e-5)
GRAD_TOL = dict(rtol=1e-4, atol=1e-5)


def _jax_params(module) -> dict:
    return {k: jnp.asarray(to_numpy(v)) for k, v in module.state_dict().items()}


# (pure factory, torch class, constructor kwargs, input shape, state shapes given as h0 or (h0, c0) or None)
SEQUENCE_CASES = {
    "rnn-tanh-2-layers": (fn.RNN, torch.nn.RNN, dict(num_layers=2), (5, 3, 4), None),
    "rnn-relu-bidirectional": (fn.RNN, torch.nn.RNN, dict(nonlinearity="relu", bidirectional=True), (5, 3, 4), None),
    "lstm-2-layers-bidirectional": (fn.LSTM, torch.nn.LSTM, dict(num_layers=2, bidirectional=True), (5, 3, 4), None),
    "lstm-batch-first-h0-c0": (fn.LSTM, torch.nn.LSTM, dict(batch_first=True), (3, 5, 4), ((1, 3, 6), (1, 3, 6))),
    "lstm-proj-bidirectional": (
        fn.LSTM,
        torch.nn.LSTM,
        dict(num_layers=2, proj_size=2, bidirectional=True),
        (5, 3, 4),
        ((4, 3, 2), (4, 3, 6)),
    ),
    "lstm-unbatched": (fn.LSTM, torch.nn.LSTM, dict(num_layers=2), (5, 4), ((2, 6), (2, 6))),
    "lstm-no-bias": (fn.LSTM, torch.nn.LSTM, dict(bias=False), (5, 3, 4), None),
    "gru-2-layers-bidirectional-h0": (
        fn.GRU,
        torch.nn.GRU,
        dict(num_layers=2, bidirectional=True),
        (5, 3, 4),
        (4, 3, 6),
    ),
    "gru-unbatched-batch-first": (fn.GRU, torch.nn.GRU, dict(batch_first=True), (5, 4), None),
}


def _state(shapes, seed):
    if shapes is None:
        return None
    if isinstance(shapes[0], tuple):
        return tuple(randn(s, seed + i) for i, s in enumerate(shapes))
    return randn(shapes, seed)


@pytest.mark.parametrize("case", list(SEQUENCE_CASES))
def test_sequence_outputs_states_and_gradients_equal_torch(case):
    factory, torch_cls, kwargs, x_shape, hx_shapes = SEQUENCE_CASES[case]
    torch.manual_seed(0)
    module = torch_cls(4, 6, **kwargs)
    layer = factory(4, 6, **kwargs)
    params = _jax_params(module)
    x, hx = randn(x_shape, 1), _state(hx_shapes, 2)

    def run(params, x, hx):
        return layer.apply(params, x, hx, training=False)

    # One random cotangent on every output; gradients of input, initial state and every parameter.
    shapes = jax.tree_util.tree_leaves(jax.eval_shape(run, params, x, hx))
    cotangents = [randn(leaf.shape, 10 + i) for i, leaf in enumerate(shapes)]

    def scalar(params, x, hx):
        leaves = jax.tree_util.tree_leaves(run(params, x, hx))
        return sum(jnp.sum(a * c) for a, c in zip(leaves, cotangents, strict=True))

    both = jax.jit(lambda params, x, hx: (run(params, x, hx), jax.grad(scalar, argnums=(0, 1, 2))(params, x, hx)))
    (out, h_n), grads = both(params, x, hx)
    torch_x = to_torch(x, True)
    torch_hx = None if hx is None else jax.tree_util.tree_map(lambda a: to_torch(a, True), hx)
    torch_out, torch_h = module(torch_x, torch_hx)
    np.testing.assert_allclose(out, to_numpy(torch_out), **TOL)
    for mine, theirs in zip(jax.tree_util.tree_leaves(h_n), jax.tree_util.tree_leaves(torch_h), strict=True):
        np.testing.assert_allclose(mine, to_numpy(theirs), **TOL)
    torch_leaves = [torch_out, *(torch_h if isinstance(torch_h, tuple) else (torch_h,))]
    sum((t * to_torch(c)).sum() for t, c in zip(torch_leaves, cotangents, strict=True)).backward()
    np.testing.assert_allclose(grads[1], to_numpy(torch_x.grad), **GRAD_TOL)
    if hx is not None:
        for mine, theirs in zip(jax.tree_util.tree_leaves(grads[2]), jax.tree_util.tree_leaves(torch_hx), strict=True):
            np.testing.assert_allclose(mine, to_numpy(theirs.grad), **GRAD_TOL)
    assert sorted(grads[0]) == sorted(name for name, _ in module.named_parameters())
    for name, p in module.named_parameters():
        np.testing.assert_allclose(grads[0][name], to_numpy(p.grad), err_msg=name, **GRAD_TOL)


@pytest.mark.parametrize(
    "factory, torch_cls, kwargs",
    [
        (fn.LSTM, torch.nn.LSTM, dict(num_layers=2, bidirectional=True, proj_size=3)),
        (fn.GRU, torch.nn.GRU, dict(bidirectional=True)),
        (fn.RNN, torch.nn.RNN, dict(num_layers=3, bias=False)),
    ],
)
def test_init_gives_torch_names_shapes_and_uniform_bound(factory, torch_cls, kwargs):
    layer, module = factory(5, 8, **kwargs), torch_cls(5, 8, **kwargs)
    params = layer.init(jax.random.key(0))
    assert list(params) == list(module.state_dict())
    for name, value in params.items():
        assert value.shape == tuple(module.state_dict()[name].shape), name
        assert value.dtype == jnp.float32
        assert float(jnp.max(jnp.abs(value))) <= 1 / np.sqrt(8)
    weights = np.concatenate([np.ravel(v) for v in params.values()])
    assert abs(weights.std() - 1 / np.sqrt(8) / np.sqrt(3)) < 0.02  # std of U(-b, b) is b / sqrt(3)
    assert repr(layer) == repr(module)


CELL_CASES = {
    "rnn-tanh": (fn.RNNCell, torch.nn.RNNCell, {}, False),
    "rnn-relu": (fn.RNNCell, torch.nn.RNNCell, dict(nonlinearity="relu"), False),
    "lstm": (fn.LSTMCell, torch.nn.LSTMCell, {}, True),
    "gru": (fn.GRUCell, torch.nn.GRUCell, {}, False),
    "gru-no-bias": (fn.GRUCell, torch.nn.GRUCell, dict(bias=False), False),
}


@pytest.mark.parametrize("case", list(CELL_CASES))
@pytest.mark.parametrize("batched", [True, False])
def test_cells_equal_torch_with_and_without_state(case, batched):
    factory, torch_cls, kwargs, is_lstm = CELL_CASES[case]
    torch.manual_seed(1)
    module, layer = torch_cls(3, 5, **kwargs), factory(3, 5, **kwargs)
    params = _jax_params(module)
    lead = (2,) if batched else ()
    x = randn((*lead, 3), 0)
    hx = (randn((*lead, 5), 1), randn((*lead, 5), 2)) if is_lstm else randn((*lead, 5), 1)
    for state in (None, hx):
        torch_state = None if state is None else jax.tree_util.tree_map(to_torch, state)
        expected = module(to_torch(x), torch_state)
        got = jax.jit(layer.apply)(params, x, state)
        for mine, theirs in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(expected), strict=True):
            np.testing.assert_allclose(mine, to_numpy(theirs), **TOL)


def test_cell_functions_equal_torch_cell_functions():
    x, h, c = randn((2, 3), 0), randn((2, 4), 1), randn((2, 4), 2)
    w_ih4, w_hh4, b4 = randn((16, 3), 3), randn((16, 4), 4), randn((16,), 5)
    h_new, c_new = fn.lstm_cell(x, (h, c), w_ih4, w_hh4, b4, b4)
    th, tc = torch.lstm_cell(*map(to_torch, (x,)), (to_torch(h), to_torch(c)), *map(to_torch, (w_ih4, w_hh4, b4, b4)))
    np.testing.assert_allclose(h_new, to_numpy(th), **TOL)
    np.testing.assert_allclose(c_new, to_numpy(tc), **TOL)
    w_ih3, w_hh3, b3 = randn((12, 3), 6), randn((12, 4), 7), randn((12,), 8)
    expected = torch.gru_cell(to_torch(x), to_torch(h), *map(to_torch, (w_ih3, w_hh3, b3, b3)))
    np.testing.assert_allclose(fn.gru_cell(x, h, w_ih3, w_hh3, b3, b3), to_numpy(expected), **TOL)
    w_ih1, w_hh1 = randn((4, 3), 9), randn((4, 4), 10)
    for mine, theirs in ((fn.rnn_tanh_cell, torch.rnn_tanh_cell), (fn.rnn_relu_cell, torch.rnn_relu_cell)):
        expected = theirs(to_torch(x), to_torch(h), to_torch(w_ih1), to_torch(w_hh1), None, None)
        np.testing.assert_allclose(mine(x, h, w_ih1, w_hh1), to_numpy(expected), **TOL)


def test_packed_sequence_through_lstm_equals_torch():
    torch.manual_seed(2)
    module = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    layer = fn.LSTM(3, 4, num_layers=2, bidirectional=True)
    params = _jax_params(module)
    lengths = [2, 5, 3]
    x = randn((5, 3, 3), 0)
    h0, c0 = randn((4, 3, 4), 1), randn((4, 3, 4), 2)
    packed = fn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    torch_packed = torch.nn.utils.rnn.pack_padded_sequence(to_torch(x), lengths, enforce_sorted=False)
    np.testing.assert_array_equal(packed.batch_sizes, to_numpy(torch_packed.batch_sizes))
    np.testing.assert_array_equal(packed.sorted_indices, to_numpy(torch_packed.sorted_indices))
    np.testing.assert_allclose(packed.data, to_numpy(torch_packed.data))
    out, (h_n, c_n) = layer.apply(params, packed, (h0, c0))
    torch_out, (th, tc) = module(torch_packed, (to_torch(h0), to_torch(c0)))
    assert isinstance(out, fn.PackedSequence)
    np.testing.assert_allclose(out.data, to_numpy(torch_out.data), **TOL)
    np.testing.assert_allclose(h_n, to_numpy(th), **TOL)
    np.testing.assert_allclose(c_n, to_numpy(tc), **TOL)
    padded, out_lengths = fn.pad_packed_sequence(out, batch_first=True, total_length=6)
    torch_padded, torch_lengths = torch.nn.utils.rnn.pad_packed_sequence(torch_out, batch_first=True, total_length=6)
    np.testing.assert_allclose(padded, to_numpy(torch_padded), **TOL)
    np.testing.assert_array_equal(out_lengths, to_numpy(torch_lengths))


def test_pad_pack_unpack_round_trip_and_padding_side():
    seqs = [randn((n, 2), n) for n in (3, 1, 4)]
    for side in ("right", "left"):
        for batch_first in (True, False):
            mine = fn.pad_sequence(seqs, batch_first, -1.0, side)
            theirs = torch.nn.utils.rnn.pad_sequence(
                [to_torch(s) for s in seqs], batch_first=batch_first, padding_value=-1.0, padding_side=side
            )
            np.testing.assert_array_equal(mine, to_numpy(theirs))
    packed = fn.pack_sequence(seqs, enforce_sorted=False)
    for original, back in zip(seqs, fn.unpack_sequence(packed), strict=True):
        np.testing.assert_array_equal(original, back)
    with pytest.raises(ValueError, match="pack_padded_sequence: `lengths` array must be sorted in decreasing order"):
        fn.pack_sequence(seqs)
    with pytest.raises(ValueError, match="greater than 0"):
        fn.pack_padded_sequence(randn((3, 2), 0), [2, 0])


def test_masked_lengths_equal_running_each_sequence_alone():
    layer = fn.GRU(2, 3, bidirectional=True, batch_first=True)
    params = layer.init(jax.random.key(1))
    x = randn((2, 5, 2), 0)
    packed = fn.pack_padded_sequence(x, [5, 2], batch_first=True)
    out, h = layer.apply(params, packed)
    padded, _ = fn.pad_packed_sequence(out, batch_first=True)
    alone_out, alone_h = jax.jit(layer.apply)(params, x[1:, :2])
    np.testing.assert_allclose(padded[1, :2], alone_out[0], **TOL)
    np.testing.assert_allclose(h[:, 1], alone_h[:, 0], **TOL)
    np.testing.assert_array_equal(padded[1, 2:], 0.0)


def test_dropout_between_layers_needs_a_key_in_training_and_is_off_in_eval():
    layer = fn.LSTM(3, 8, num_layers=2, dropout=0.5)
    params = layer.init(jax.random.key(0))
    x = randn((4, 2, 3), 0)
    with pytest.raises(ValueError, match=r"LSTM\(3, 8, num_layers=2, dropout=0.5\): training with dropout=0.5 needs"):
        layer.apply(params, x)
    evaluate = jax.jit(lambda p, x: layer.apply(p, x, training=False)[0])
    eval_out = evaluate(params, x)
    no_dropout = fn.LSTM(3, 8, num_layers=2)
    np.testing.assert_allclose(
        eval_out, jax.jit(lambda p, x: no_dropout.apply(p, x, training=False)[0])(params, x), **TOL
    )
    train = jax.jit(lambda p, x, k: layer.apply(p, x, key=k)[0])
    a, b = train(params, x, jax.random.key(1)), train(params, x, jax.random.key(2))
    assert a.shape == eval_out.shape and not np.allclose(a, b)


def test_jit_vmap_and_grad_of_the_pure_layer():
    layer = fn.LSTM(3, 4, batch_first=True)
    params = layer.init(jax.random.key(0))
    x = randn((5, 2, 6, 3), 0)  # 5 independent batches
    jitted = jax.jit(lambda p, x: layer.apply(p, x, training=False))
    out, (h, c) = jax.vmap(jitted, in_axes=(None, 0))(params, x)
    assert out.shape == (5, 2, 6, 4) and h.shape == (5, 1, 2, 4) and c.shape == (5, 1, 2, 4)
    for i in range(5):
        np.testing.assert_allclose(out[i], jitted(params, x[i])[0], **TOL)
    # Per-example gradients: vmap of grad over unbatched sequences.
    loss = lambda p, seq: jnp.sum(layer.apply(p, seq[:, None])[0] ** 2)  # noqa: E731
    per_example = jax.vmap(jax.grad(loss), in_axes=(None, 0))(params, x[0])
    assert per_example["weight_ih_l0"].shape == (2, 16, 3)
    one = jax.jit(jax.grad(loss))(params, x[0][1])
    np.testing.assert_allclose(per_example["weight_hh_l0"][1], one["weight_hh_l0"], **TOL)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: fn.LSTM(3, 4).apply(fn.LSTM(3, 4).init(jax.random.key(0)), jnp.ones((2, 3, 5))), ValueError,
         r"LSTM\(3, 4\): expected input with last dimension 3 \(input_size\)"),
        (lambda: fn.GRU(3, 4).apply(fn.GRU(3, 4).init(jax.random.key(0)), jnp.ones((2, 1, 2, 3))), ValueError,
         r"GRU\(3, 4\): expected input of rank 2 or 3"),
        (lambda: fn.RNN(3, 4, 2).apply(fn.RNN(3, 4, 2).init(jax.random.key(0)), jnp.ones((2, 5, 3)),
                                       jnp.ones((1, 5, 4))), ValueError,
         r"RNN\(3, 4, num_layers=2\): expected h_0 of shape \(2, 5, 4\), got \(1, 5, 4\)"),
        (lambda: fn.LSTM(3, 4).apply(fn.LSTM(3, 4).init(jax.random.key(0)), jnp.ones((2, 3)),
                                     (jnp.ones((1, 1, 4)), jnp.ones((1, 1, 4)))), ValueError,
         r"expected h_0 of shape \(1, 4\) \(unbatched 2-D input takes 2-D hidden states\)"),
        (lambda: fn.LSTM(3, 4).apply(fn.LSTM(3, 4).init(jax.random.key(0)), jnp.ones((2, 3), jnp.float16)), TypeError,
         r"LSTM\(3, 4\): input and weights must have the same dtype, got float16 and float32"),
        (lambda: fn.GRU(3, 4, 2).apply(fn.GRU(3, 4).init(jax.random.key(0)), jnp.ones((2, 3))), ValueError,
         r"GRU\(3, 4, num_layers=2\): params lack \['weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1'\]"),
        (lambda: fn.LSTM(3, 4, proj_size=-1), ValueError, "LSTM: proj_size must be a non-negative int, got -1"),
        (lambda: fn.LSTM(3, 4, proj_size=4), ValueError, r"LSTM: proj_size \(4\) has to be smaller than hidden_size"),
        (lambda: fn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "RNN: nonlinearity must be 'tanh' or 'relu'"),
        (lambda: fn.LSTM(3, 0), ValueError, "LSTM: hidden_size must be a positive int, got 0"),
        (lambda: fn.GRU(3, 4, dropout=1.5), ValueError, r"GRU: dropout must be a probability in \[0, 1\]"),
        (lambda: fn.LSTM(3, 4, batch_first="yes"), TypeError, "LSTM: batch_first must be a bool"),
        (lambda: fn.GRUCell(3, 4).apply(fn.GRUCell(3, 4).init(jax.random.key(0)), jnp.ones((2, 4))), ValueError,
         r"GRUCell\(3, 4\): expected input of shape \(N, 3\) or \(3,\)"),
        (lambda: fn.LSTMCell(3, 4).apply(fn.LSTMCell(3, 4).init(jax.random.key(0)), jnp.ones((2, 3)),
                                         (jnp.ones((2, 4)), jnp.ones((3, 4)))), ValueError,
         r"LSTMCell\(3, 4\): expected hx\[1\] of shape \(2, 4\), got \(3, 4\)"),
    ],
)  # fmt: skip
def test_bad_input_names_layer_and_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.slow
def test_float64_finite_differences_of_a_small_lstm():
    """`check_grads` in a subprocess with x64 on, so the rest of the suite keeps float32."""
    code = textwrap.dedent(
        """
        import jax, jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        from jax.test_util import check_grads
        import functorch_lite.functional as fn
        layer = fn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2, dtype=jnp.float64)
        params = layer.init(jax.random.key(0))
        x = jax.random.normal(jax.random.key(1), (4, 2, 2), jnp.float64)
        h0 = jax.random.normal(jax.random.key(2), (4, 2, 2), jnp.float64)
        c0 = jax.random.normal(jax.random.key(3), (4, 2, 3), jnp.float64)
        def f(params, x, h0, c0):
            out, (h, c) = layer.apply(params, x, (h0, c0))
            packed_out, (hp, _) = layer.apply(params, fn.pack_padded_sequence(x, [4, 2]))
            return jnp.sum(out ** 2) + jnp.sum(h ** 2) + jnp.sum(c) + jnp.sum(packed_out.data ** 3) + jnp.sum(hp)
        check_grads(f, (params, x, h0, c0), order=1, modes=["rev"], atol=1e-6, rtol=1e-6)
        cell = fn.GRUCell(2, 3, dtype=jnp.float64)
        cp = cell.init(jax.random.key(4))
        check_grads(lambda p, x, h: cell.apply(p, x, h), (cp, x[0], c0[0]), order=2, modes=["fwd", "rev"])
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]


def test_dropout_between_layers_zeroes_a_fraction_p_and_scales_the_rest():
    # Identity relu layers: layer 1 passes positive input through, so layer 2's output is exactly dropout(input).
    size, p = 32, 0.3
    layer = fn.RNN(size, size, num_layers=2, nonlinearity="relu", dropout=p)
    eye, zero = jnp.eye(size), jnp.zeros((size, size))
    params = {}
    for k in range(2):
        params |= {f"weight_ih_l{k}": eye, f"weight_hh_l{k}": zero}
        params |= {f"bias_ih_l{k}": jnp.zeros(size), f"bias_hh_l{k}": jnp.zeros(size)}
    x = jnp.abs(jnp.asarray(randn((40, 8, size), 0))) + 0.1
    out, _ = jax.jit(lambda p_, x_, k_: layer.apply(p_, x_, key=k_))(params, x, jax.random.key(3))
    dropped = np.asarray(out) == 0.0
    assert abs(dropped.mean() - p) < 0.02
    np.testing.assert_allclose(np.asarray(out)[~dropped], np.asarray(x / (1 - p))[~dropped], rtol=1e-6)
