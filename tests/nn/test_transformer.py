"""nn.MultiheadAttention and the Transformer modules against torch.nn with the same weights.

Outputs and gradients (inputs and every parameter) are compared in eval mode (dropout off);
torch's fast paths are not taken because its parameters require grad.
"""

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from functorch_lite import Tensor
from functorch_lite.func import functional_call, vmap

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


def randn(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def close(actual, expected, rtol=1e-5, atol=1e-5, what=""):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol, err_msg=what)


def load_from_torch(module, reference):
    assert list(module.state_dict()) == list(reference.state_dict())
    module.load_state_dict({k: v.detach().numpy().copy() for k, v in reference.state_dict().items()})


def as_torch(value):
    return torch.tensor(value) if isinstance(value, np.ndarray) else value


def as_ours(value):
    return Tensor(value) if isinstance(value, np.ndarray) else value


def check_parity(make, inputs, options, grad_inputs=(0,), rtol=1e-4, atol=1e-5):
    """Builds `make(torch.nn)` and `make(nn)`, loads torch's weights, compares outputs and all gradients."""
    torch.manual_seed(0)
    reference, module = make(torch.nn).eval(), make(nn).eval()
    load_from_torch(module, reference)
    t_inputs = [torch.tensor(x, requires_grad=i in grad_inputs) for i, x in enumerate(inputs)]
    m_inputs = [Tensor(x, requires_grad=i in grad_inputs) for i, x in enumerate(inputs)]
    t_out = reference(*t_inputs, **{k: as_torch(v) for k, v in options.items()})
    m_out = module(*m_inputs, **{k: as_ours(v) for k, v in options.items()})
    t_outs, m_outs = (t_out, m_out) if isinstance(t_out, tuple) else ((t_out,), (m_out,))
    t_loss, m_loss = 0, 0
    for i, (t, m) in enumerate(zip(t_outs, m_outs, strict=True)):
        assert (t is None) == (m is None), f"output {i}"
        if t is None:
            continue
        close(m.detach().numpy(), t.detach().numpy(), what=f"output {i}")
        weights = randn(tuple(t.shape), 100 + i)
        t_loss = t_loss + (t * torch.tensor(weights)).sum()
        m_loss = m_loss + (m * Tensor(weights)).sum()
    t_loss.backward()
    m_loss.backward()
    for i in grad_inputs:
        close(m_inputs[i].grad.numpy(), t_inputs[i].grad.numpy(), rtol, atol, what=f"grad of input {i}")
    for (name, p), (_, tp) in zip(module.named_parameters(), reference.named_parameters(), strict=True):
        close(p.grad.numpy(), tp.grad.numpy(), rtol, atol, what=f"grad of {name}")
    return module, reference


KPM = np.zeros((3, 6), bool)
KPM[0, 4:] = True
KPM[2, 1] = True
ATTN_MASK = np.random.default_rng(5).random((4, 6)) > 0.7
ATTN_MASK[:, 0] = False

MHA_CASES = {
    "self": (lambda lib: lib.MultiheadAttention(8, 2), [(4, 3, 8)] * 3, {}),
    "batch_first": (lambda lib: lib.MultiheadAttention(8, 2, batch_first=True), [(3, 4, 8), (3, 6, 8), (3, 6, 8)], {}),
    "kdim_vdim": (lambda lib: lib.MultiheadAttention(8, 2, kdim=3, vdim=5), [(4, 3, 8), (6, 3, 3), (6, 3, 5)], {}),
    "kpm_bool": (
        lambda lib: lib.MultiheadAttention(8, 4),
        [(4, 3, 8), (6, 3, 8), (6, 3, 8)],
        {"key_padding_mask": KPM},
    ),
    "kpm_float_no_weights": (
        lambda lib: lib.MultiheadAttention(8, 2),
        [(4, 3, 8), (6, 3, 8), (6, 3, 8)],
        {"key_padding_mask": np.where(KPM, -1e4, 0.0).astype(np.float32), "need_weights": False},
    ),
    "attn_mask_2d_per_head_weights": (
        lambda lib: lib.MultiheadAttention(8, 2, batch_first=True),
        [(3, 4, 8), (3, 6, 8), (3, 6, 8)],
        {"attn_mask": ATTN_MASK, "key_padding_mask": KPM, "average_attn_weights": False},
    ),
    "attn_mask_3d_float": (
        lambda lib: lib.MultiheadAttention(8, 2),
        [(4, 3, 8), (6, 3, 8), (6, 3, 8)],
        {"attn_mask": randn((6, 4, 6), 6)},
    ),
    "bias_kv_zero_attn": (
        lambda lib: lib.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True),
        [(4, 3, 8), (6, 3, 8), (6, 3, 8)],
        {"key_padding_mask": KPM, "attn_mask": ATTN_MASK},
    ),
    "no_bias_no_weights_causal": (
        lambda lib: lib.MultiheadAttention(8, 2, bias=False),
        [(4, 3, 8)] * 3,
        {"attn_mask": np.triu(np.ones((4, 4), bool), 1), "is_causal": True, "need_weights": False},
    ),
    "unbatched": (
        lambda lib: lib.MultiheadAttention(8, 2, batch_first=True),
        [(4, 8), (6, 8), (6, 8)],
        {"key_padding_mask": KPM[0]},
    ),
}


@pytest.mark.parametrize("name", list(MHA_CASES))
def test_multihead_attention_matches_torch(name):
    make, shapes, options = MHA_CASES[name]
    inputs = [randn(shape, i) for i, shape in enumerate(shapes)]
    check_parity(make, inputs, options, grad_inputs=(0, 1, 2))


@pytest.mark.parametrize("need_weights", [False, True])
def test_fully_padded_sequence_behaves_as_torch(need_weights):
    # torch: zeros through SDPA without weights; NaN from the plain softmax when the weights are returned.
    torch.manual_seed(0)
    reference, module = torch.nn.MultiheadAttention(8, 2).eval(), nn.MultiheadAttention(8, 2).eval()
    load_from_torch(module, reference)
    x, kpm = randn((4, 3, 8), 0), np.zeros((3, 4), bool)
    kpm[1] = True
    with torch.no_grad():
        t_out, _ = reference(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm), need_weights=need_weights)
    m_out, _ = module(*[Tensor(x)] * 3, key_padding_mask=Tensor(kpm), need_weights=need_weights)
    assert np.isnan(t_out.numpy()).any() == need_weights
    np.testing.assert_allclose(m_out.detach().numpy(), t_out.numpy(), rtol=1e-5, atol=1e-5, equal_nan=True)


def _gelu_tensor(x):
    return x * F.sigmoid(1.702 * x)


LAYER_CASES = {
    "encoder_post_norm_relu": (lambda lib: lib.TransformerEncoderLayer(8, 2, 16), {"src_key_padding_mask": KPM}),
    "encoder_pre_norm_gelu_batch_first": (
        lambda lib: lib.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True, batch_first=True),
        {"src_mask": np.triu(np.full((6, 6), -np.inf, np.float32), 1)},
    ),
    "encoder_no_bias_eps": (
        lambda lib: lib.TransformerEncoderLayer(8, 4, 16, layer_norm_eps=1e-3, bias=False),
        {"src_mask": np.triu(np.full((6, 6), -np.inf, np.float32), 1), "is_causal": True},
    ),
}


@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_encoder_layer_matches_torch(name):
    make, options = LAYER_CASES[name]
    batch_first = "batch_first" in name
    check_parity(make, [randn((3, 6, 8) if batch_first else (6, 3, 8), 0)], options)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(norm_first):
    tgt_mask = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    check_parity(
        lambda lib: lib.TransformerDecoderLayer(
            8, 2, 16, norm_first=norm_first, activation="gelu" if norm_first else "relu"
        ),
        [randn((4, 3, 8), 0), randn((6, 3, 8), 1)],
        {"tgt_mask": tgt_mask, "memory_key_padding_mask": KPM},
        grad_inputs=(0, 1),
    )


def test_encoder_layer_with_a_callable_activation_matches_torch():
    torch.manual_seed(0)
    reference = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=lambda x: x * torch.sigmoid(1.702 * x)).eval()
    module = nn.TransformerEncoderLayer(8, 2, 16, activation=_gelu_tensor).eval()
    load_from_torch(module, reference)
    x = randn((6, 3, 8), 0)
    close(module(Tensor(x)).detach().numpy(), reference(torch.tensor(x)).detach().numpy())


@pytest.mark.slow
def test_encoder_and_decoder_stacks_match_torch():
    def make_encoder(lib):
        layer = lib.TransformerEncoderLayer(8, 2, 16)
        kwargs = {"enable_nested_tensor": False}
        return lib.TransformerEncoder(layer, 2, lib.LayerNorm(8), **kwargs)

    check_parity(make_encoder, [randn((6, 3, 8), 0)], {"src_key_padding_mask": KPM})
    check_parity(
        lambda lib: lib.TransformerDecoder(lib.TransformerDecoderLayer(8, 2, 16, batch_first=True), 2),
        [randn((3, 4, 8), 0), randn((3, 6, 8), 1)],
        {"tgt_mask": np.triu(np.ones((4, 4), bool), 1), "memory_key_padding_mask": KPM},
        grad_inputs=(0, 1),
    )


@pytest.mark.slow
def test_transformer_with_masks_matches_torch():
    src_kpm = KPM
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4).numpy()
    module, _ = check_parity(
        lambda lib: lib.Transformer(8, 2, 2, 1, 16, batch_first=True),
        [randn((3, 6, 8), 0), randn((3, 4, 8), 1)],
        {"tgt_mask": tgt_mask, "src_key_padding_mask": src_kpm, "memory_key_padding_mask": src_kpm},
        grad_inputs=(0, 1),
    )
    assert repr(module).startswith("Transformer(\n  (encoder): TransformerEncoder(")


def test_default_init_follows_torch():
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    assert np.all(mha.in_proj_bias.detach().numpy() == 0) and np.all(mha.out_proj.bias.detach().numpy() == 0)
    bound = np.sqrt(6.0 / (16 + 48))
    assert 0.8 * bound < np.abs(mha.in_proj_weight.detach().numpy()).max() <= bound
    assert mha.q_proj_weight is None and mha.bias_k.shape == (1, 1, 16)
    assert type(mha.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    np.testing.assert_array_equal(
        encoder.layers[0].linear1.weight.detach().numpy(), encoder.layers[1].linear1.weight.detach().numpy()
    )
    assert encoder.layers[0].linear1.weight is not encoder.layers[1].linear1.weight  # deep copies, as in PyTorch
    model = nn.Transformer(8, 2, 2, 2, 16)
    a, b = (
        model.encoder.layers[0].linear1.weight.detach().numpy(),
        model.encoder.layers[1].linear1.weight.detach().numpy(),
    )
    assert not np.allclose(a, b) and np.abs(a).max() <= np.sqrt(6.0 / 24)  # xavier_uniform reset of every matrix
    assert np.all(model.encoder.layers[0].self_attn.in_proj_bias.detach().numpy() == 0)


@pytest.mark.slow
def test_dropout_in_train_mode_is_seeded_and_off_in_eval():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3)
    x = Tensor(randn((6, 3, 8), 0))
    fl.manual_seed(1)
    a = layer(x).detach().numpy()
    fl.manual_seed(1)
    b = layer(x).detach().numpy()
    c = layer(x).detach().numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(b, c)
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())
    mha = nn.MultiheadAttention(8, 2, dropout=0.5)
    _, weights = mha(x, x, x, average_attn_weights=False)
    dropped = (weights.detach().numpy() == 0).mean()
    assert 0.35 < dropped < 0.65  # attention weights are dropped at rate p


def test_functional_sdpa_and_mha_forward_match_torch():
    q, k, v = randn((2, 3, 4, 8), 0), randn((2, 3, 6, 8), 1), randn((2, 3, 6, 8), 2)
    expected = torch.nn.functional.scaled_dot_product_attention(*map(torch.tensor, (q, k, v)), is_causal=True)
    close(F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), is_causal=True).numpy(), expected.numpy())
    fl.manual_seed(0)
    dropped = F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), dropout_p=0.5)
    assert dropped.shape == (2, 3, 4, 8) and not np.allclose(dropped.numpy(), expected.numpy())
    torch.manual_seed(0)
    reference = torch.nn.MultiheadAttention(8, 2)
    params = {n: p.detach().numpy() for n, p in reference.named_parameters()}
    x = randn((4, 3, 8), 3)
    args = [8, 2, params["in_proj_weight"], params["in_proj_bias"], None, None, False, 0.0]
    args += [params["out_proj.weight"], params["out_proj.bias"]]
    t_out, t_w = torch.nn.functional.multi_head_attention_forward(
        *[torch.tensor(x)] * 3, *[as_torch(a) for a in args], key_padding_mask=torch.tensor(KPM[:, :4])
    )
    m_out, m_w = F.multi_head_attention_forward(*[Tensor(x)] * 3, *args, key_padding_mask=KPM[:, :4])
    close(m_out.numpy(), t_out.detach().numpy())
    close(m_w.numpy(), t_w.detach().numpy())


def test_functional_call_runs_the_module_on_given_parameters():
    torch.manual_seed(0)
    reference = torch.nn.TransformerEncoderLayer(8, 2, 16).eval()
    module = nn.TransformerEncoderLayer(8, 2, 16).eval()
    params = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
    x = randn((6, 3, 8), 0)
    out = functional_call(module, params, (Tensor(x),), {"src_key_padding_mask": Tensor(KPM)})
    close(out.detach().numpy(), reference(torch.tensor(x), src_key_padding_mask=torch.tensor(KPM)).detach().numpy())
    assert not np.allclose(module.linear1.weight.detach().numpy(), params["linear1.weight"])  # the module is unchanged


@pytest.mark.slow
def test_vmap_over_the_module_equals_the_batched_call():
    fl.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True).eval()
    x = Tensor(randn((3, 5, 8), 0))
    mapped = vmap(lambda sample: layer(sample))(x)  # each sample is unbatched (L, E)
    close(mapped.detach().numpy(), layer(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_torch_own_relu_and_gelu_are_recognised_as_activations():
    gelu = nn.TransformerEncoderLayer(8, 2, 16, activation=torch.nn.functional.gelu)
    assert gelu._layer is nn.TransformerEncoderLayer(8, 2, 16, activation="gelu")._layer  # one cached pure layer
    relu = nn.TransformerEncoderLayer(8, 2, 16, activation=torch.nn.functional.relu)
    assert relu._layer is nn.TransformerEncoderLayer(8, 2, 16)._layer


def _train_encoder(compiled, steps=3):
    fl.manual_seed(0)
    model = nn.Sequential(nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1), 1), nn.Linear(8, 1))
    optimizer = fl.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()

    def step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    run = fl.compile(step) if compiled else step
    losses = [run(Tensor(randn((5, 3, 8), i)), Tensor(randn((5, 3, 1), 10 + i))).item() for i in range(steps)]
    return np.array(losses), {k: v.numpy() for k, v in model.state_dict().items()}


@pytest.mark.slow
# compile looks through the step's globals, which here include the real torch (a deprecated alias warns)
@pytest.mark.filterwarnings("ignore:`torch.distributed.reduce_op` is deprecated")
def test_compiled_training_step_gives_the_eager_numbers():
    eager_losses, eager_state = _train_encoder(False)
    compiled_losses, compiled_state = _train_encoder(True)
    close(compiled_losses, eager_losses, rtol=1e-5, atol=1e-6)
    for key, value in eager_state.items():
        close(compiled_state[key], value, rtol=1e-5, atol=1e-6, what=key)
    assert eager_losses[-1] != eager_losses[0]


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: nn.MultiheadAttention(8, 3), ValueError, "divisible"),
        (lambda: nn.TransformerEncoderLayer(8, 2, activation="tanh"), ValueError, "activation"),
        (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 0), ValueError, "num_layers"),
    ],
)
def test_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_forward_errors_name_the_layer():
    mha = nn.MultiheadAttention(8, 2)
    x = Tensor(randn((4, 3, 8), 0))
    with pytest.raises(ValueError, match="multi_head_attention_forward.*2-D attn_mask"):
        mha(x, x, x, attn_mask=Tensor(np.zeros((4, 5), np.float32)))
    with pytest.raises(ValueError, match="is_causal"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="expecting embedding dimension of 8, but got 6"):
        mha(*[Tensor(randn((4, 3, 6), 1))] * 3)
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(ValueError, match="Transformer: the batch number"):
        model(x, Tensor(randn((4, 2, 8), 1)))
