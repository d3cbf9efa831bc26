"""The functional core's attention against torch: SDPA, the multi-head forward, and the pure attention layers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import functorch_lite.functional as fn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
F = torch.nn.functional


def randn(shape, seed, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def close(actual, expected, rtol=1e-5, atol=1e-5, what=""):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol, err_msg=what)


def torch_vjp(torch_fn, arrays, cotangent):
    """torch's output and gradients w.r.t. every array, pulled back from `cotangent`."""
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = torch_fn(*leaves)
    grads = torch.autograd.grad(out, leaves, torch.tensor(cotangent))
    return out.detach().numpy(), [g.numpy() for g in grads]


def jax_vjp(jax_fn, arrays, cotangent):
    out, pullback = jax.vjp(jax_fn, *map(jnp.asarray, arrays))
    return out, pullback(jnp.asarray(cotangent))


BOOL_MASK = np.random.default_rng(7).random((4, 6)) > 0.4
BOOL_MASK[:, 0] = True  # every row keeps a key (fully masked rows are tested on their own)

SDPA_CASES = {
    "plain": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5), {}),
    "bool_mask": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5), {"attn_mask": BOOL_MASK}),
    "float_mask": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5), {"attn_mask": randn((3, 4, 6), 8)}),
    "causal_L<S": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8), {"is_causal": True}),
    "causal_L>S": ((1, 2, 6, 8), (1, 2, 4, 8), (1, 2, 4, 8), {"is_causal": True}),
    "scale": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5), {"scale": 0.3}),
    "gqa": ((2, 6, 4, 8), (2, 2, 6, 8), (2, 2, 6, 8), {"enable_gqa": True}),
    "broadcast_batch": ((2, 4, 8), (1, 6, 8), (1, 6, 3), {}),
    "unbatched": ((4, 8), (6, 8), (6, 3), {}),
}


@pytest.mark.parametrize("name", list(SDPA_CASES))
def test_sdpa_output_and_gradients_match_torch(name):
    q_shape, k_shape, v_shape, options = SDPA_CASES[name]
    arrays = [randn(q_shape, 0), randn(k_shape, 1), randn(v_shape, 2)]
    t_options = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    shape = F.scaled_dot_product_attention(*map(torch.tensor, arrays), **t_options).shape
    cotangent = randn(tuple(shape), 3)
    expected, t_grads = torch_vjp(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **t_options), arrays, cotangent
    )
    actual, j_grads = jax.jit(
        lambda *a: jax_vjp(lambda q, k, v: fn.scaled_dot_product_attention(q, k, v, **options), a, cotangent)
    )(*arrays)
    close(actual, expected, what="output")
    for which, jg, tg in zip("qkv", j_grads, t_grads, strict=True):
        close(jg, tg, rtol=1e-4, atol=1e-5, what=f"grad of {which}")


def test_sdpa_fully_masked_row_gives_zeros_and_zero_gradients_as_torch():
    q, k, v = randn((1, 2, 3, 4), 0), randn((1, 2, 5, 4), 1), randn((1, 2, 5, 4), 2)
    for mask in (np.ones((3, 5), bool), np.zeros((3, 5), np.float32)):
        if mask.dtype == bool:
            mask[1] = False
        else:
            mask[1] = -np.inf
        cotangent = randn((1, 2, 3, 4), 3)
        expected, t_grads = torch_vjp(
            lambda q, k, v, m=mask: F.scaled_dot_product_attention(q, k, v, torch.tensor(m)), [q, k, v], cotangent
        )
        actual, j_grads = jax_vjp(
            lambda q, k, v, m=mask: fn.scaled_dot_product_attention(q, k, v, m), [q, k, v], cotangent
        )
        assert np.all(np.asarray(actual)[:, :, 1] == 0.0)
        close(actual, expected)
        for jg, tg in zip(j_grads, t_grads, strict=True):
            assert np.all(np.isfinite(np.asarray(jg)))
            close(jg, tg, rtol=1e-4)


def test_sdpa_dropout_statistics():
    # value = identity, so each output row is that query's attention weights after dropout.
    p, s = 0.3, 16
    q, k = jnp.asarray(randn((1, 32, 4), 0)), jnp.asarray(randn((1, s, 4), 1))
    v = jnp.eye(s)[None]
    weights = fn.scaled_dot_product_attention(q, k, v)
    draws = jax.vmap(lambda key: fn.scaled_dot_product_attention(q, k, v, dropout_p=p, dropout_key=key))(
        jax.random.split(jax.random.key(0), 400)
    )
    dropped = np.asarray(draws == 0.0).mean()
    assert abs(dropped - p) < 0.01, dropped
    kept = np.asarray(draws)[np.asarray(draws) != 0]
    np.testing.assert_allclose(kept, np.broadcast_to(weights / (1 - p), draws.shape)[np.asarray(draws) != 0], rtol=1e-5)
    # Unbiased: E[dropout(w)] = w, within 5 standard errors (each draw is w / (1 - p) or 0).
    sigma = np.asarray(weights) * np.sqrt(p / (1 - p) / draws.shape[0])
    assert np.all(np.abs(np.asarray(draws.mean(axis=0)) - np.asarray(weights)) <= 5 * sigma + 1e-6)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda q, k, v: fn.scaled_dot_product_attention(q[0, 0, 0], k[0, 0, 0], v[0, 0, 0]), ValueError, "rank >= 2"),
        (lambda q, k, v: fn.scaled_dot_product_attention(q, k, v.astype(jnp.float16)), TypeError, "same dtype"),
        (lambda q, k, v: fn.scaled_dot_product_attention(q, k[..., :3], v), ValueError, "embedding size"),
        (lambda q, k, v: fn.scaled_dot_product_attention(q, k, v[..., :2, :]), ValueError, "sequence length"),
        (lambda q, k, v: fn.scaled_dot_product_attention(q, k, v, jnp.ones((4, 5), jnp.int32)), TypeError, "boolean"),
        (lambda q, k, v: fn.scaled_dot_product_attention(q, k, v, jnp.ones((4, 4), bool)), ValueError, "broadcast"),
        (
            lambda q, k, v: fn.scaled_dot_product_attention(q, k, v, jnp.ones((4, 5), bool), is_causal=True),
            ValueError,
            "is_causal",
        ),
        (lambda q, k, v: fn.scaled_dot_product_attention(q, k, v, dropout_p=0.5), ValueError, "PRNG key"),
        (lambda q, k, v: fn.scaled_dot_product_attention(q, k, v, dropout_p=1.5), ValueError, "dropout_p"),
        (lambda q, k, v: fn.scaled_dot_product_attention(q, k[:, :2], v[:, :2]), ValueError, "enable_gqa"),
        (
            lambda q, k, v: fn.scaled_dot_product_attention(q, k[:, :2], v[:, :2], enable_gqa=True),
            ValueError,
            "divide",
        ),
    ],
)
def test_sdpa_errors_name_the_op_and_argument(call, error, match):
    q, k, v = (jnp.asarray(randn(s, i)) for i, s in enumerate([(1, 3, 4, 8), (1, 3, 5, 8), (1, 3, 5, 8)]))
    with pytest.raises(error, match=match) as info:
        call(q, k, v)
    assert "scaled_dot_product_attention" in str(info.value)


def test_sdpa_float64_gradients_by_finite_differences():
    with jax.enable_x64(True):
        q, k, v = (jnp.asarray(randn(s, i, np.float64)) for i, s in enumerate([(2, 3, 4), (2, 5, 4), (2, 5, 3)]))
        mask = jnp.asarray(randn((3, 5), 3, np.float64))
        check_grads(
            jax.jit(lambda q, k, v: fn.scaled_dot_product_attention(q, k, v, mask, scale=0.7)),
            (q, k, v),
            order=1,
            modes=("fwd", "rev"),
            atol=1e-6,
            rtol=1e-6,
        )
        check_grads(
            jax.jit(lambda q, k, v: fn.scaled_dot_product_attention(q, k, v, is_causal=True)),
            (q, k, v),
            order=1,
            modes=("rev",),
        )


def test_multi_head_attention_forward_with_separate_weights_and_static_kv_matches_torch():
    e, h, n, l_, s = 8, 2, 3, 4, 5
    q, k, v = randn((l_, n, e), 0), randn((s, n, 3), 1), randn((s, n, 6), 2)
    qw, kw, vw = randn((e, e), 3), randn((e, 3), 4), randn((e, 6), 5)
    in_bias, out_w, out_b = randn((3 * e,), 6), randn((e, e), 7), randn((e,), 8)
    static_v = randn((n * h, s, e // h), 9)
    kpm = np.random.default_rng(10).random((n, s)) > 0.7
    kpm[:, 0] = False
    arrays = [q, qw, kw, vw, in_bias, out_w, out_b, static_v]

    def call(F_, q, qw, kw, vw, in_bias, out_w, out_b, static_v, k, v, kpm):
        return F_.multi_head_attention_forward(
            q, k, v, e, h, None, in_bias, None, None, False, 0.0, out_w, out_b, training=False, key_padding_mask=kpm,
            need_weights=True, use_separate_proj_weight=True, q_proj_weight=qw, k_proj_weight=kw, v_proj_weight=vw,
            static_v=static_v, average_attn_weights=False,
        )  # fmt: skip

    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_out, t_weights = call(F, *leaves, torch.tensor(k), torch.tensor(v), torch.tensor(kpm))
    cotangent = randn(tuple(t_out.shape), 11)
    t_grads = torch.autograd.grad(t_out, leaves, torch.tensor(cotangent), allow_unused=True)  # static_v: no vw grad

    def forward_and_vjp(arrays, cotangent):
        (out, weights), pullback = jax.vjp(lambda *a: call(fn, *a, k, v, kpm), *arrays)
        return out, weights, pullback((cotangent, jnp.zeros_like(weights)))

    j_out, j_weights, j_grads = jax.jit(forward_and_vjp)(list(map(jnp.asarray, arrays)), jnp.asarray(cotangent))
    close(j_out, t_out.detach().numpy())
    close(j_weights, t_weights.detach().numpy())
    for jg, tg in zip(j_grads, t_grads, strict=True):
        close(jg, np.zeros_like(jg) if tg is None else tg.numpy(), rtol=1e-4, atol=1e-5)


def _torch_params(module):
    return fn.unflatten_dict({k: jnp.asarray(v.detach().numpy()) for k, v in module.state_dict().items()})


LAYER_FACTORIES = {
    "MultiheadAttention": lambda lib: lib.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True),
    "TransformerEncoderLayer": lambda lib: lib.TransformerEncoderLayer(8, 2, 16, norm_first=True),
    "TransformerDecoderLayer": lambda lib: lib.TransformerDecoderLayer(8, 2, 16, activation="gelu"),
    "Transformer": lambda lib: lib.Transformer(8, 2, 1, 1, 16),
}


@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_pure_layer_init_keys_equal_torch_state_dict_keys(name):
    make = LAYER_FACTORIES[name]
    params = make(fn).init(jax.random.key(0))
    assert list(fn.flatten_dict(params)) == list(make(torch.nn).state_dict())


def test_pure_init_follows_torch_defaults():
    mha = fn.MultiheadAttention(8, 2).init(jax.random.key(0))
    assert np.all(np.asarray(mha["in_proj_bias"]) == 0) and np.all(np.asarray(mha["out_proj"]["bias"]) == 0)
    bound = np.sqrt(6.0 / (8 + 24))  # xavier_uniform of (3 * 8, 8)
    assert np.abs(np.asarray(mha["in_proj_weight"])).max() <= bound
    assert np.abs(np.asarray(mha["in_proj_weight"])).max() > 0.8 * bound
    layer = fn.TransformerEncoderLayer(8, 2, 16)
    stack = fn.TransformerEncoder(layer, 3).init(jax.random.key(1))
    for i in (1, 2):  # PyTorch deep-copies one initialised layer
        for key, value in fn.flatten_dict(stack["layers"]["0"]).items():
            np.testing.assert_array_equal(value, fn.flatten_dict(stack["layers"][str(i)])[key])
    model = fn.Transformer(8, 2, 1, 1, 16).init(jax.random.key(2))
    first, second = (
        model["encoder"]["layers"]["0"]["linear1"]["weight"],
        model["decoder"]["layers"]["0"]["linear1"]["weight"],
    )
    assert not np.allclose(first, second)  # Transformer redraws every matrix (xavier_uniform)
    assert np.abs(np.asarray(first)).max() <= np.sqrt(6.0 / (8 + 16))


@pytest.mark.slow
def test_pure_transformer_matches_torch_outputs_and_parameter_gradients():
    torch.manual_seed(0)
    reference = torch.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)
    layer = fn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)
    src, tgt = randn((3, 5, 8), 0), randn((3, 4, 8), 1)
    tgt_mask = fn.generate_square_subsequent_mask(4)
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    t_out = reference(
        torch.tensor(src), torch.tensor(tgt), tgt_mask=torch.tensor(np.asarray(tgt_mask)),
        src_key_padding_mask=torch.tensor(kpm), memory_key_padding_mask=torch.tensor(kpm),
    )  # fmt: skip
    t_out.square().sum().backward()

    def loss(params):
        out = layer.apply(
            params, src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=kpm, memory_key_padding_mask=kpm, training=False
        )
        return jnp.sum(out**2), out

    grads, out = jax.jit(jax.grad(loss, has_aux=True))(_torch_params(reference))
    close(out, t_out.detach().numpy())
    flat = fn.flatten_dict(grads)
    for name, parameter in reference.named_parameters():
        close(flat[name], parameter.grad.numpy(), rtol=1e-4, atol=1e-5, what=name)


def test_pure_mha_vmaps_over_unbatched_inputs_under_jit():
    layer = fn.MultiheadAttention(8, 2, batch_first=True)
    params = layer.init(jax.random.key(0))
    x = jnp.asarray(randn((3, 5, 8), 0))
    batched, weights = jax.jit(lambda p, x: layer.apply(p, x, training=False))(params, x)
    mapped, mapped_weights = jax.jit(jax.vmap(lambda xi: layer.apply(params, xi, training=False)))(x)
    close(mapped, batched, rtol=1e-5, atol=1e-6)
    close(mapped_weights, weights, rtol=1e-5, atol=1e-6)


def test_pure_encoder_dropout_needs_a_key_and_uses_it():
    layer = fn.TransformerEncoder(fn.TransformerEncoderLayer(8, 2, 16, dropout=0.2), 2)
    params = layer.init(jax.random.key(0))
    x = jnp.asarray(randn((5, 3, 8), 0))
    with pytest.raises(ValueError, match="TransformerEncoderLayer.*key"):
        layer.apply(params, x)
    train = jax.jit(lambda p, x, k: layer.apply(p, x, key=k))
    a, b, c = (train(params, x, jax.random.key(seed)) for seed in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(b, c)
    assert not np.allclose(b, jax.jit(lambda p, x: layer.apply(p, x, training=False))(params, x))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: fn.MultiheadAttention(8, 3), "divisible"),
        (lambda: fn.MultiheadAttention(0, 2), "greater than 0"),
        (lambda: fn.TransformerEncoderLayer(8, 2, activation="tanh"), "activation"),
        (lambda: fn.TransformerEncoderLayer(8, 2, dropout=2.0), "dropout"),
        (lambda: fn.TransformerEncoder(fn.TransformerEncoderLayer(8, 2), 0), "num_layers"),
    ],
)
def test_layer_configuration_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_transformer_checks_batch_and_feature_sizes():
    layer = fn.Transformer(8, 2, 1, 1, 16, dropout=0.0)
    params = layer.init(jax.random.key(0))
    with pytest.raises(ValueError, match="batch number of src and tgt"):
        layer.apply(params, jnp.zeros((5, 2, 8)), jnp.zeros((4, 3, 8)), training=False)
    with pytest.raises(ValueError, match="d_model"):
        layer.apply(params, jnp.zeros((5, 2, 8)), jnp.zeros((4, 2, 6)), training=False)
    np.testing.assert_array_equal(
        fn.Transformer.generate_square_subsequent_mask(5), torch.nn.Transformer.generate_square_subsequent_mask(5)
    )
