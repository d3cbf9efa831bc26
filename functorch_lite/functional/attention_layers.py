"""Pure attention layers: MultiheadAttention and the Transformer encoder/decoder layers, with PyTorch's names.

Same `Layer(init, apply)` contract as `layers.py`, but these layers take several inputs
and masks: `apply(params, query, keys, values, *, key_padding_mask=..., key=..., training=...)`
and so on, with PyTorch's keyword names for the masks (the attention's key tensor is
`keys`, since `key` is the PRNG key every layer takes). Their math is
`multi_head_attention_forward`, `linear`, `layer_norm` and `dropout` of the core.
Parameters are nested dicts whose flattened keys equal PyTorch's `state_dict` keys
(`self_attn.in_proj_weight`, `layers.0.linear1.weight`, `encoder.norm.bias`, ...), and
`init` draws PyTorch's defaults: xavier_uniform in-projections, zero in-projection and
out-projection biases, Linear and LayerNorm defaults elsewhere. The stacks and the full
Transformer are in `transformer_layers.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .. import _checks
from . import init as initializers
from .activations import gelu, relu
from .attention import multi_head_attention_forward
from .dense import dropout, linear
from .layers import Layer, Linear, _named
from .normalization import layer_norm
from .tree import flatten_dict, unflatten_dict


def jit_init(init: Callable[[jax.Array], dict]) -> Callable[[jax.Array], dict]:
    """`init` as one jitted program, keeping the nested key order it builds (jit sorts dict keys)."""
    order: list[str] = []

    def traced(key):
        params = init(key)
        order[:] = list(flatten_dict(params))
        return params

    jitted = jax.jit(traced)

    def wrapper(key):
        flat = flatten_dict(jitted(key))
        return unflatten_dict({name: flat[name] for name in order})

    return wrapper


def _split(key: jax.Array | None, n: int) -> list:
    """`n` independent keys for the dropout sites of one layer (None without a key)."""
    return [None] * n if key is None else [jax.random.fold_in(key, i) for i in range(n)]


def _needs_key(training: bool, p: float, key: jax.Array | None, name: str) -> None:
    if training and p > 0 and key is None:
        raise ValueError(f"{name}: training with dropout={p} needs key= (a PRNG key); pass training=False to evaluate")


def _drop(x: jax.Array, p: float, training: bool, key: jax.Array | None, name: str) -> jax.Array:
    _needs_key(training, p, key, name)
    return dropout(x, p, training, key=key)


def MultiheadAttention(
    embed_dim: int,
    num_heads: int,
    dropout: float = 0.0,
    bias: bool = True,
    add_bias_kv: bool = False,
    add_zero_attn: bool = False,
    kdim: int | None = None,
    vdim: int | None = None,
    batch_first: bool = False,
    dtype=jnp.float32,
) -> Layer:
    """Multi-head attention; `apply(params, query, keys=None, values=None, *, masks...)` -> (output, weights).

    `keys`/`values` default to `query` (self-attention). Inputs are (L, N, E), (N, L, E) with
    `batch_first`, or unbatched (L, E). Keyword options are those of `nn.MultiheadAttention.forward`:
    key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal.
    """
    op = "MultiheadAttention"
    if not (_checks.is_int(embed_dim) and embed_dim > 0 and _checks.is_int(num_heads) and num_heads > 0):
        raise ValueError(
            f"{op}: embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim!r} and "
            f"num_heads={num_heads!r} instead"
        )
    if embed_dim % num_heads:
        raise ValueError(f"{op}: embed_dim must be divisible by num_heads, got {embed_dim} and {num_heads}")
    kdim = embed_dim if kdim is None else _checks.positive_int(kdim, "kdim", op)
    vdim = embed_dim if vdim is None else _checks.positive_int(vdim, "vdim", op)
    p = _checks.probability(dropout, "dropout", op)
    for flag_name, value in (("bias", bias), ("add_bias_kv", add_bias_kv), ("add_zero_attn", add_zero_attn)):
        _checks.flag(value, flag_name, op)
    _checks.flag(batch_first, "batch_first", op)
    same_dim = kdim == embed_dim and vdim == embed_dim
    name = f"MultiheadAttention(embed_dim={embed_dim}, num_heads={num_heads})"
    out_proj = Linear(embed_dim, embed_dim, bias, dtype)

    @jit_init
    def init(key):
        keys = jax.random.split(key, 6)
        params = {}
        if same_dim:
            params["in_proj_weight"] = initializers.xavier_uniform(keys[0], (3 * embed_dim, embed_dim), dtype=dtype)
        else:
            for i, (proj, dim) in enumerate((("q", embed_dim), ("k", kdim), ("v", vdim))):
                params[f"{proj}_proj_weight"] = initializers.xavier_uniform(keys[i], (embed_dim, dim), dtype=dtype)
        if bias:
            params["in_proj_bias"] = jnp.zeros((3 * embed_dim,), dtype)
        if add_bias_kv:
            params["bias_k"] = initializers.xavier_normal(keys[3], (1, 1, embed_dim), dtype=dtype)
            params["bias_v"] = initializers.xavier_normal(keys[4], (1, 1, embed_dim), dtype=dtype)
        params["out_proj"] = out_proj.init(keys[5])
        if bias:
            params["out_proj"]["bias"] = jnp.zeros((embed_dim,), dtype)
        return params

    def apply(
        params,
        query,
        keys=None,
        values=None,
        *,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=True,
        is_causal=False,
        state=None,
        key=None,
        training=True,
    ):
        keys = query if keys is None else keys
        values = keys if values is None else values
        query, keys, values = (
            _checks.as_array(t, n, name) for t, n in ((query, "query"), (keys, "key"), (values, "value"))
        )
        batched = query.ndim == 3
        if batch_first and batched:
            query, keys, values = (jnp.swapaxes(t, 0, 1) for t in (query, keys, values))
        _needs_key(training, p, key, name)
        out, weights = multi_head_attention_forward(
            query,
            keys,
            values,
            embed_dim,
            num_heads,
            params.get("in_proj_weight"),
            params.get("in_proj_bias"),
            params.get("bias_k"),
            params.get("bias_v"),
            add_zero_attn,
            p,
            params["out_proj"]["weight"],
            params["out_proj"].get("bias"),
            training=training,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            use_separate_proj_weight=not same_dim,
            q_proj_weight=params.get("q_proj_weight"),
            k_proj_weight=params.get("k_proj_weight"),
            v_proj_weight=params.get("v_proj_weight"),
            average_attn_weights=average_attn_weights,
            is_causal=is_causal,
            dropout_key=key,
        )
        return (jnp.swapaxes(out, 0, 1) if batch_first and batched else out), weights

    return Layer(init, _named(apply, name), name=name)


def activation_function(activation: Any, op: str) -> Callable[[jax.Array], jax.Array]:
    """'relu', 'gelu' or a callable on arrays, as the Transformer layers accept it."""
    if isinstance(activation, str):
        _checks.one_of(activation, ("relu", "gelu"), "activation", op)
        return relu if activation == "relu" else gelu
    if not callable(activation):
        raise TypeError(f"{op}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
    return activation


def _feedforward(params, x, act, p, training, keys, name):
    """linear2(dropout(activation(linear1(x)))) then dropout: the Transformer layers' feed-forward block."""
    h = _drop(act(linear(x, params["linear1"]["weight"], params["linear1"].get("bias"))), p, training, keys[0], name)
    y = linear(h, params["linear2"]["weight"], params["linear2"].get("bias"))
    return _drop(y, p, training, keys[1], name)


def _norm(params, x, d_model, eps):
    return layer_norm(x, (d_model,), params.get("weight"), params.get("bias"), eps)


def _layer_parts(d_model, nhead, dim_feedforward, dropout, layer_norm_eps, batch_first, bias, dtype, op):
    d_model = _checks.positive_int(d_model, "d_model", op)
    dim_feedforward = _checks.positive_int(dim_feedforward, "dim_feedforward", op)
    _checks.number(layer_norm_eps, "layer_norm_eps", op, minimum=0.0)
    attn = MultiheadAttention(d_model, nhead, dropout, bias, batch_first=batch_first, dtype=dtype)
    return attn, Linear(d_model, dim_feedforward, bias, dtype), Linear(dim_feedforward, d_model, bias, dtype)


def _norm_params(d_model, bias, dtype):
    params = {"weight": jnp.ones((d_model,), dtype)}
    if bias:
        params["bias"] = jnp.zeros((d_model,), dtype)
    return params


def TransformerEncoderLayer(
    d_model: int,
    nhead: int,
    dim_feedforward: int = 2048,
    dropout: float = 0.1,
    activation: Any = "relu",
    layer_norm_eps: float = 1e-5,
    batch_first: bool = False,
    norm_first: bool = False,
    bias: bool = True,
    dtype=jnp.float32,
) -> Layer:
    """Self-attention and feed-forward blocks with residuals and LayerNorm (after each, or before with norm_first).

    `apply(params, src, *, src_mask=None, src_key_padding_mask=None, is_causal=False, key, training)`.
    """
    op = "TransformerEncoderLayer"
    attn, linear1, linear2 = _layer_parts(
        d_model, nhead, dim_feedforward, dropout, layer_norm_eps, batch_first, bias, dtype, op
    )
    act, p = activation_function(activation, op), float(dropout)
    _checks.flag(norm_first, "norm_first", op)
    name = f"TransformerEncoderLayer(d_model={d_model}, nhead={nhead}, dim_feedforward={dim_feedforward})"

    @jit_init
    def init(key):
        k = jax.random.split(key, 3)
        return {
            "self_attn": attn.init(k[0]),
            "linear1": linear1.init(k[1]),
            "linear2": linear2.init(k[2]),
            "norm1": _norm_params(d_model, bias, dtype),
            "norm2": _norm_params(d_model, bias, dtype),
        }

    def apply(
        params, src, *, src_mask=None, src_key_padding_mask=None, is_causal=False, state=None, key=None, training=True
    ):
        _needs_key(training, p, key, name)
        keys = _split(key, 4)

        def sa_block(x):
            y = attn.apply(
                params["self_attn"],
                x,
                x,
                x,
                attn_mask=src_mask,
                key_padding_mask=src_key_padding_mask,
                need_weights=False,
                is_causal=is_causal,
                key=keys[0],
                training=training,
            )[0]
            return _drop(y, p, training, keys[1], name)

        def ff_block(x):
            return _feedforward(params, x, act, p, training, keys[2:], name)

        x = _checks.as_array(src, "src", name)
        n1, n2 = (functools.partial(_norm, params[n], d_model=d_model, eps=layer_norm_eps) for n in ("norm1", "norm2"))
        if norm_first:
            x = x + sa_block(n1(x))
            return x + ff_block(n2(x))
        x = n1(x + sa_block(x))
        return n2(x + ff_block(x))

    return Layer(init, _named(apply, name), name=name)


def TransformerDecoderLayer(
    d_model: int,
    nhead: int,
    dim_feedforward: int = 2048,
    dropout: float = 0.1,
    activation: Any = "relu",
    layer_norm_eps: float = 1e-5,
    batch_first: bool = False,
    norm_first: bool = False,
    bias: bool = True,
    dtype=jnp.float32,
) -> Layer:
    """Self-attention, attention over `memory`, and feed-forward blocks, each with a residual and LayerNorm.

    `apply(params, tgt, memory, *, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
    tgt_is_causal=False, memory_is_causal=False, key, training)`.
    """
    op = "TransformerDecoderLayer"
    attn, linear1, linear2 = _layer_parts(
        d_model, nhead, dim_feedforward, dropout, layer_norm_eps, batch_first, bias, dtype, op
    )
    act, p = activation_function(activation, op), float(dropout)
    _checks.flag(norm_first, "norm_first", op)
    name = f"TransformerDecoderLayer(d_model={d_model}, nhead={nhead}, dim_feedforward={dim_feedforward})"

    @jit_init
    def init(key):
        k = jax.random.split(key, 4)
        return {
            "self_attn": attn.init(k[0]),
            "multihead_attn": attn.init(k[1]),
            "linear1": linear1.init(k[2]),
            "linear2": linear2.init(k[3]),
            "norm1": _norm_params(d_model, bias, dtype),
            "norm2": _norm_params(d_model, bias, dtype),
            "norm3": _norm_params(d_model, bias, dtype),
        }

    def apply(
        params,
        tgt,
        memory,
        *,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=False,
        memory_is_causal=False,
        state=None,
        key=None,
        training=True,
    ):
        _needs_key(training, p, key, name)
        keys = _split(key, 6)

        def attend(which, x, mem, mask, kpm, causal, i):
            y = attn.apply(
                params[which],
                x,
                mem,
                mem,
                attn_mask=mask,
                key_padding_mask=kpm,
                need_weights=False,
                is_causal=causal,
                key=keys[i],
                training=training,
            )[0]
            return _drop(y, p, training, keys[i + 1], name)

        def sa_block(x):
            return attend("self_attn", x, x, tgt_mask, tgt_key_padding_mask, tgt_is_causal, 0)

        def mha_block(x):
            return attend("multihead_attn", x, mem, memory_mask, memory_key_padding_mask, memory_is_causal, 2)

        x = _checks.as_array(tgt, "tgt", name)
        mem = _checks.as_array(memory, "memory", name)
        n1, n2, n3 = (
            functools.partial(_norm, params[n], d_model=d_model, eps=layer_norm_eps)
            for n in ("norm1", "norm2", "norm3")
        )
        if norm_first:
            x = x + sa_block(n1(x))
            x = x + mha_block(n2(x))
            return x + _feedforward(params, n3(x), act, p, training, keys[4:], name)
        x = n1(x + sa_block(x))
        x = n2(x + mha_block(x))
        return n3(x + _feedforward(params, x, act, p, training, keys[4:], name))

    return Layer(init, _named(apply, name), name=name)


__all__ = [
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "activation_function",
]
