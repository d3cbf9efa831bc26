"""nn.RNN/LSTM/GRU, their cells and nn.utils.rnn against torch: state_dict, outputs, gradients, compile."""

import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import nn

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-5, atol=1e-5)
GRAD_TOL = dict(rtol=1e-4, atol=1e-5)


def _pair(cls_name, *args, **kwargs):
    """The same module in functorch_lite and torch, with torch's weights loaded into ours."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls_name)(*args, **kwargs)
    mine = getattr(nn, cls_name)(*args, **kwargs)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return mine, theirs


def _randn(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _leaves(out):
    if isinstance(out, (tuple, list)):
        return [leaf for item in out for leaf in _leaves(item)]
    return [out]


def _numpy(t):
    return t.detach().numpy()


CASES = {
    "rnn-tanh-2-layers-bidirectional": ("RNN", (3, 5, 2), dict(bidirectional=True), (4, 2, 3), False),
    "rnn-relu-batch-first": ("RNN", (3, 5), dict(nonlinearity="relu", batch_first=True), (2, 4, 3), False),
    "lstm-2-layers-h0-c0": ("LSTM", (3, 5, 2), {}, (4, 2, 3), True),
    "lstm-proj-bidirectional": ("LSTM", (3, 5), dict(proj_size=2, bidirectional=True), (4, 2, 3), True),
    "lstm-unbatched-h0-c0": ("LSTM", (3, 5), {}, (4, 3), True),
    "gru-2-layers-bidirectional-batch-first": (
        "GRU",
        (3, 5, 2),
        dict(bidirectional=True, batch_first=True),
        (2, 4, 3),
        True,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_outputs_final_states_and_all_gradients_equal_torch(case):
    cls_name, args, kwargs, x_shape, with_state = CASES[case]
    mine, theirs = _pair(cls_name, *args, **kwargs)
    x = _randn(x_shape, 1)
    hx_torch = hx_mine = None
    if with_state:
        d = 2 if theirs.bidirectional else 1
        lead = (d * theirs.num_layers,) + ((x_shape[0 if theirs.batch_first else 1],) if len(x_shape) == 3 else ())
        out_size = theirs.proj_size or theirs.hidden_size
        states = [_randn((*lead, out_size), 2)] + (
            [_randn((*lead, theirs.hidden_size), 3)] if cls_name == "LSTM" else []
        )
        hx_torch = [torch.tensor(s, requires_grad=True) for s in states]
        hx_mine = [fl.tensor(s, requires_grad=True) for s in states]
        hx_torch, hx_mine = (tuple(hx_torch), tuple(hx_mine)) if cls_name == "LSTM" else (hx_torch[0], hx_mine[0])
    xt, xm = torch.tensor(x, requires_grad=True), fl.tensor(x, requires_grad=True)
    out_t, out_m = theirs(xt, hx_torch), mine(xm, hx_mine)
    leaves_t, leaves_m = _leaves(out_t), _leaves(out_m)
    assert len(leaves_t) == len(leaves_m)
    cotangents = [_randn(tuple(leaf.shape), 10 + i) for i, leaf in enumerate(leaves_t)]
    for a, b in zip(leaves_m, leaves_t, strict=True):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(_numpy(a), _numpy(b), **TOL)
    sum((leaf * torch.tensor(c)).sum() for leaf, c in zip(leaves_t, cotangents, strict=True)).backward()
    sum((leaf * fl.tensor(c)).sum() for leaf, c in zip(leaves_m, cotangents, strict=True)).backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), **GRAD_TOL)
    for s_m, s_t in zip(_leaves(hx_mine), _leaves(hx_torch), strict=True):
        if s_t is not None:
            np.testing.assert_allclose(s_m.grad.numpy(), s_t.grad.numpy(), **GRAD_TOL)
    for (name, p_m), (_, p_t) in zip(mine.named_parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(p_m.grad.numpy(), p_t.grad.numpy(), err_msg=name, **GRAD_TOL)


@pytest.mark.parametrize(
    "cls_name, kwargs, lstm",
    [("RNNCell", dict(nonlinearity="relu"), False), ("LSTMCell", {}, True), ("GRUCell", dict(bias=False), False)],
)
def test_cells_equal_torch_with_gradients(cls_name, kwargs, lstm):
    mine, theirs = _pair(cls_name, 3, 4, **kwargs)
    assert repr(mine) == repr(theirs)
    x = _randn((2, 3), 0)
    h = [_randn((2, 4), 1), _randn((2, 4), 2)]
    xt, xm = torch.tensor(x, requires_grad=True), fl.tensor(x, requires_grad=True)
    ht = [torch.tensor(a, requires_grad=True) for a in h]
    hm = [fl.tensor(a, requires_grad=True) for a in h]
    out_t = theirs(xt, tuple(ht) if lstm else ht[0])
    out_m = mine(xm, tuple(hm) if lstm else hm[0])
    for a, b in zip(_leaves(out_m), _leaves(out_t), strict=True):
        np.testing.assert_allclose(_numpy(a), _numpy(b), **TOL)
    sum((leaf**2).sum() for leaf in _leaves(out_t)).backward()
    sum((leaf**2).sum() for leaf in _leaves(out_m)).backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), **GRAD_TOL)
    np.testing.assert_allclose(hm[0].grad.numpy(), ht[0].grad.numpy(), **GRAD_TOL)
    for (name, p_m), (_, p_t) in zip(mine.named_parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(p_m.grad.numpy(), p_t.grad.numpy(), err_msg=name, **GRAD_TOL)
    no_state_t, no_state_m = theirs(xt), mine(xm)  # zeros when no state is given
    for a, b in zip(_leaves(no_state_m), _leaves(no_state_t), strict=True):
        np.testing.assert_allclose(_numpy(a), _numpy(b), **TOL)


def test_packed_sequence_through_gru_and_back_equals_torch_with_gradients():
    mine, theirs = _pair("GRU", 3, 4, num_layers=2, bidirectional=True)
    seqs = [_randn((n, 3), n) for n in (2, 5, 3)]
    rnn_t, rnn_m = torch.nn.utils.rnn, nn.utils.rnn
    seq_t = [torch.tensor(s, requires_grad=True) for s in seqs]
    seq_m = [fl.tensor(s, requires_grad=True) for s in seqs]
    packed_t = rnn_t.pack_sequence(seq_t, enforce_sorted=False)
    packed_m = rnn_m.pack_sequence(seq_m, enforce_sorted=False)
    assert isinstance(packed_m, rnn_m.PackedSequence)
    np.testing.assert_array_equal(packed_m.batch_sizes.numpy(), packed_t.batch_sizes.numpy())
    np.testing.assert_array_equal(packed_m.unsorted_indices.numpy(), packed_t.unsorted_indices.numpy())
    h0 = _randn((4, 3, 4), 7)
    out_t, h_t = theirs(packed_t, torch.tensor(h0))
    out_m, h_m = mine(packed_m, fl.tensor(h0))
    assert isinstance(out_m, rnn_m.PackedSequence)
    np.testing.assert_allclose(_numpy(out_m.data), _numpy(out_t.data), **TOL)
    np.testing.assert_allclose(_numpy(h_m), _numpy(h_t), **TOL)
    padded_t, lengths_t = rnn_t.pad_packed_sequence(out_t, batch_first=True, padding_value=-1.0)
    padded_m, lengths_m = rnn_m.pad_packed_sequence(out_m, batch_first=True, padding_value=-1.0)
    np.testing.assert_allclose(_numpy(padded_m), _numpy(padded_t), **TOL)
    np.testing.assert_array_equal(lengths_m.numpy(), lengths_t.numpy())
    weights = _randn(tuple(padded_t.shape), 9)
    ((padded_t * torch.tensor(weights)).sum() + h_t.sum()).backward()
    ((padded_m * fl.tensor(weights)).sum() + h_m.sum()).backward()
    for a, b in zip(seq_m, seq_t, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **GRAD_TOL)
    for (name, p_m), (_, p_t) in zip(mine.named_parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(p_m.grad.numpy(), p_t.grad.numpy(), err_msg=name, **GRAD_TOL)


def test_pad_sequence_and_unpad_unpack_match_torch():
    seqs = [_randn((n, 2), n) for n in (3, 1, 4)]
    for side in ("left", "right"):
        mine = nn.utils.rnn.pad_sequence([fl.tensor(s) for s in seqs], batch_first=True, padding_side=side)
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=True, padding_side=side)
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    padded = nn.utils.rnn.pad_sequence([fl.tensor(s) for s in seqs])
    for original, back in zip(seqs, nn.utils.rnn.unpad_sequence(padded, fl.tensor([3, 1, 4])), strict=True):
        np.testing.assert_array_equal(back.numpy(), original)
    packed = nn.utils.rnn.pack_padded_sequence(padded, [3, 1, 4], enforce_sorted=False)
    for original, back in zip(seqs, nn.utils.rnn.unpack_sequence(packed), strict=True):
        np.testing.assert_array_equal(back.numpy(), original)


def test_dropout_is_identity_in_eval_and_random_with_the_right_scale_in_train():
    mine, theirs = _pair("LSTM", 4, 64, num_layers=2, dropout=0.5)
    x = _randn((3, 2, 4), 0)
    mine.eval(), theirs.eval()
    np.testing.assert_allclose(_numpy(mine(fl.tensor(x))[0]), _numpy(theirs(torch.tensor(x))[0]), **TOL)
    mine.train()
    fl.manual_seed(0)
    a = _numpy(mine(fl.tensor(x))[0])
    b = _numpy(mine(fl.tensor(x))[0])
    assert a.shape == (3, 2, 64) and not np.allclose(a, b)
    fl.manual_seed(0)
    np.testing.assert_array_equal(_numpy(mine(fl.tensor(x))[0]), a)  # reproducible from the seed
    # The second layer sees half its inputs zeroed and the rest doubled: the output moves, the mean magnitude stays.
    eval_out = _numpy(theirs(torch.tensor(x))[0])
    assert 0.5 < np.abs(a).mean() / np.abs(eval_out).mean() < 2.0


def test_dropout_with_one_layer_warns_as_torch_does():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(2, 3, dropout=0.2)


def test_constructor_defaults_repr_and_attributes_match_torch():
    for cls_name, args, kwargs in [
        ("LSTM", (10, 20, 2), dict(batch_first=True, bidirectional=True, proj_size=5, dropout=0.1)),
        ("RNN", (4, 8), dict(nonlinearity="relu", bias=False)),
        ("GRU", (4, 8), {}),
    ]:
        mine, theirs = _pair(cls_name, *args, **kwargs)
        assert repr(mine) == repr(theirs)
        for attr in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"):
            assert getattr(mine, attr) == getattr(theirs, attr), attr
        assert mine.proj_size == theirs.proj_size
        assert [[tuple(p.shape) for p in layer] for layer in mine.all_weights] == [
            [tuple(p.shape) for p in layer] for layer in theirs.all_weights
        ]
    bound = 1 / np.sqrt(20)
    for value in nn.LSTM(10, 20).state_dict().values():
        assert np.abs(value.numpy()).max() <= bound


def test_bad_input_raises_naming_the_layer():
    lstm = nn.LSTM(3, 4, 2)
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\): expected input with last dimension 3"):
        lstm(fl.zeros(5, 2, 4))
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\): expected h_0 of shape \(2, 2, 4\)"):
        lstm(fl.zeros(5, 2, 3), (fl.zeros(1, 2, 4), fl.zeros(1, 2, 4)))
    with pytest.raises(ValueError, match="RNN: nonlinearity must be 'tanh' or 'relu'"):
        nn.RNN(3, 4, nonlinearity="gelu")


def _lstm_model():
    class CharModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(7, 4)
            self.lstm = nn.LSTM(4, 8, num_layers=2, batch_first=True)
            self.head = nn.Linear(8, 7)

        def forward(self, tokens):
            out, _ = self.lstm(self.embed(tokens))
            return self.head(out)

    return CharModel()


def _train(compiled, steps=4):
    fl.manual_seed(0)
    model = _lstm_model()
    optimizer = fl.optim.SGD(model.parameters(), lr=0.5)
    criterion = nn.CrossEntropyLoss()

    def step(tokens, targets):
        optimizer.zero_grad()
        loss = criterion(model(tokens).reshape(-1, 7), targets.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss

    step = fl.compile(step) if compiled else step
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(steps):
        tokens = (rng.integers(0, 7, (3, 1)) + np.arange(7)) % 7  # a learnable pattern: next = current + 1
        losses.append(step(fl.tensor(tokens[:, :-1]), fl.tensor(tokens[:, 1:])).item())
    return np.array(losses), {k: v.numpy() for k, v in model.state_dict().items()}


def test_compiled_lstm_training_step_gives_the_eager_numbers():
    eager_losses, eager_state = _train(compiled=False)
    compiled_losses, compiled_state = _train(compiled=True)
    np.testing.assert_allclose(compiled_losses, eager_losses, rtol=1e-5)
    assert eager_losses[-1] < eager_losses[0]
    for key, value in eager_state.items():
        np.testing.assert_allclose(compiled_state[key], value, rtol=1e-4, atol=1e-6, err_msg=key)


def test_functional_call_runs_the_lstm_with_given_parameters():
    mine, theirs = _pair("LSTM", 3, 4)
    replaced = {k: v.detach().numpy() * 0.5 for k, v in theirs.state_dict().items()}
    x = _randn((5, 2, 3), 0)
    out, (h, c) = fl.func.functional_call(mine, replaced, (fl.tensor(x),))
    theirs.load_state_dict({k: torch.tensor(v) for k, v in replaced.items()})
    out_t, (h_t, c_t) = theirs(torch.tensor(x))
    np.testing.assert_allclose(_numpy(out), _numpy(out_t), **TOL)
    np.testing.assert_allclose(_numpy(c), _numpy(c_t), **TOL)
    # The module keeps its own parameters.
    assert not np.allclose(mine.weight_ih_l0.detach().numpy(), replaced["weight_ih_l0"])


def test_compiled_step_with_packed_sequences_gives_the_eager_numbers():
    from functorch_lite.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    def train(compiled):
        fl.manual_seed(0)
        lstm, head = nn.LSTM(3, 4, batch_first=True, bidirectional=True), nn.Linear(8, 1)
        optimizer = fl.optim.SGD([*lstm.parameters(), *head.parameters()], lr=0.1)

        def step(x):
            optimizer.zero_grad()
            out, (h, _) = lstm(pack_padded_sequence(x, [5, 3], batch_first=True))
            padded, _ = pad_packed_sequence(out, batch_first=True)
            loss = head(padded).pow(2).mean() + h.pow(2).mean()
            loss.backward()
            optimizer.step()
            return loss

        step = fl.compile(step) if compiled else step
        x = fl.tensor(_randn((2, 5, 3), 0))
        return [step(x).item() for _ in range(3)]

    eager = train(False)
    np.testing.assert_allclose(train(True), eager, rtol=1e-5)
    assert eager[-1] < eager[0]


def test_vmap_of_grad_over_the_module_gives_torchs_per_example_gradients():
    mine, theirs = _pair("GRU", 3, 4, batch_first=True)
    x = _randn((5, 1, 6, 3), 0)  # 5 examples, each a batch of one sequence
    params = {k: v.detach() for k, v in mine.named_parameters()}

    def loss(params, example):
        return fl.func.functional_call(mine, params, (example,))[0].pow(2).sum()

    per_example = fl.func.vmap(fl.func.grad(loss), in_dims=(None, 0))(params, fl.tensor(x))
    # torch.func.vmap has no batching rule for its fused GRU, so torch's side is a loop of backward passes.
    for i in range(5):
        theirs.zero_grad()
        theirs(torch.tensor(x[i]))[0].pow(2).sum().backward()
        for name, p in theirs.named_parameters():
            assert tuple(per_example[name].shape) == (5, *p.shape)
            np.testing.assert_allclose(_numpy(per_example[name][i]), _numpy(p.grad), err_msg=name, **GRAD_TOL)
