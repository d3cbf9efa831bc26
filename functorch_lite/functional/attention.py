"""Attention with torch.nn.functional's semantics: `scaled_dot_product_attention` and `multi_head_attention_forward`.

One softmax-attention kernel (`_attend`) serves both: SDPA calls it directly, and the
multi-head forward projects, reshapes and masks, then calls SDPA (or `_attend` itself
when the attention weights are wanted). Masks follow PyTorch: for SDPA a boolean
mask is True where a position takes part; for the multi-head forward (and the
Transformer layers) a boolean mask is True where a position is masked out. Float masks
are added to the scores in both. Dropout on the attention weights needs an explicit
PRNG key (`dropout_key=`, since `key` is the attention's key tensor).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks
from .._precision import matmul_precision
from .dense import dropout, linear

_SDPA = "scaled_dot_product_attention"
_MHA = "multi_head_attention_forward"


def _matmul(a: jax.Array, b: jax.Array) -> jax.Array:
    return jnp.matmul(a, b, precision=matmul_precision())


def _attend(q, k, v, bias, allowed, scale, dropout_p, dropout_key, safe):
    """softmax(q @ k^T * scale + bias, masked where `allowed` is False) @ v, and the weights.

    `safe` gives a fully masked row zero weights (PyTorch's SDPA); otherwise such a row is
    NaN, as PyTorch's multi-head forward returns it when the weights are wanted.
    """
    scores = _matmul(q * jnp.asarray(scale, q.dtype), jnp.swapaxes(k, -1, -2))
    if bias is not None:
        scores = scores + bias
    if allowed is not None:
        scores = jnp.where(allowed, scores, -jnp.inf)
    if safe:
        empty = jnp.all(scores == -jnp.inf, axis=-1, keepdims=True)
        # Softmax of a row of -inf is NaN, and its vjp too: feed it zeros, then zero its output.
        weights = jnp.where(empty, 0.0, jax.nn.softmax(jnp.where(empty, 0.0, scores), axis=-1))
    else:
        weights = jax.nn.softmax(scores, axis=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True, key=dropout_key)
    return _matmul(weights, v), weights


def _mask_dtype_ok(mask: jax.Array, query: jax.Array) -> bool:
    return mask.dtype == jnp.bool_ or jnp.issubdtype(mask.dtype, jnp.floating)


def _sdpa_args(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, dropout_key):
    op = _SDPA
    q, k, v = (_checks.as_array(t, n, op) for t, n in ((query, "query"), (key, "key"), (value, "value")))
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ValueError(
            f"{op}: expected query, key and value of rank >= 2 (..., L or S, E), got shapes "
            f"{tuple(q.shape)}, {tuple(k.shape)} and {tuple(v.shape)}"
        )
    _checks.floating(q, "query", op)
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"{op}: query, key and value must have the same dtype, got {q.dtype}, {k.dtype} and {v.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"{op}: query and key must have the same embedding size (last dim), got shapes "
            f"{tuple(q.shape)} and {tuple(k.shape)}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{op}: key and value must have the same sequence length (dim -2), got shapes "
            f"{tuple(k.shape)} and {tuple(v.shape)}"
        )
    dropout_p = _checks.probability(dropout_p, "dropout_p", op)
    if _checks.flag(is_causal, "is_causal", op) and attn_mask is not None:
        raise ValueError(f"{op}: attn_mask must be None when is_causal=True (PyTorch's rule); fold the causal mask in")
    if scale is not None:
        _checks.number(scale, "scale", op)
    if _checks.flag(enable_gqa, "enable_gqa", op) and min(q.ndim, k.ndim, v.ndim) >= 3:
        hq, hk, hv = q.shape[-3], k.shape[-3], v.shape[-3]
        if hk != hv or hq % hk:
            raise ValueError(
                f"{op}: with enable_gqa the key and value heads (dim -3) must be equal and divide the query heads, "
                f"got {hq} query, {hk} key and {hv} value heads"
            )
        k, v = jnp.repeat(k, hq // hk, axis=-3), jnp.repeat(v, hq // hk, axis=-3)
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"{op}: the batch dims of query, key and value must broadcast, got shapes {tuple(q.shape)}, "
            f"{tuple(k.shape)} and {tuple(v.shape)} (pass enable_gqa=True for grouped-query attention)"
        ) from None
    mask = None
    if attn_mask is not None:
        mask = _checks.as_array(attn_mask, "attn_mask", op)
        if not _mask_dtype_ok(mask, q):
            raise TypeError(f"{op}: attn_mask must be boolean or floating, got dtype {mask.dtype}")
        try:
            np.broadcast_shapes(mask.shape, (*batch, q.shape[-2], k.shape[-2]))
        except ValueError:
            raise ValueError(
                f"{op}: attn_mask of shape {tuple(mask.shape)} does not broadcast to the scores' shape "
                f"{(*batch, q.shape[-2], k.shape[-2])}"
            ) from None
    if dropout_p > 0.0 and dropout_key is None:
        raise ValueError(f"{op}: dropout_p={dropout_p} needs a PRNG key (dropout_key=jax.random.key(...))")
    return q, k, v, mask, dropout_p


def scaled_dot_product_attention(
    query: jax.Array,
    key: jax.Array,
    value: jax.Array,
    attn_mask: jax.Array | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    dropout_key: jax.Array | None = None,
) -> jax.Array:
    """softmax(query @ key^T * scale + mask) @ value over (..., L, E), (..., S, E), (..., S, Ev).

    Args:
        attn_mask: boolean (True: the position takes part) or float (added to the scores),
            broadcastable to (..., L, S).
        is_causal: query i attends to keys 0..i (top-left aligned); attn_mask must then be None.
        scale: defaults to 1 / sqrt(E).
        enable_gqa: key/value heads (dim -3) are repeated to the query's head count.
        dropout_key: a PRNG key; required when `dropout_p > 0`.

    Returns:
        (..., L, Ev). A query row that may attend to no key at all gives zeros, as in PyTorch.
    """
    q, k, v, mask, dropout_p = _sdpa_args(
        query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, dropout_key
    )
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    bias, allowed = None, None
    if mask is not None:
        if mask.dtype == jnp.bool_:
            allowed = mask
        else:
            bias = mask.astype(q.dtype)
    if is_causal:
        allowed = jnp.tril(jnp.ones((q.shape[-2], k.shape[-2]), bool))
    return _attend(q, k, v, bias, allowed, scale, dropout_p, dropout_key, safe=True)[0]


def canonical_mask(mask: Any, name: str, dtype: Any, op: str) -> jax.Array | None:
    """A boolean mask (True: masked out) as a float mask of `dtype` (-inf where True); float masks pass."""
    if mask is None:
        return None
    m = _checks.as_array(mask, name, op)
    if m.dtype == jnp.bool_:
        return jnp.where(m, jnp.asarray(-jnp.inf, dtype), jnp.asarray(0.0, dtype))
    if not jnp.issubdtype(m.dtype, jnp.floating):
        raise TypeError(f"{op}: only bool and floating types of {name} are supported, got dtype {m.dtype}")
    return m


def _mha_inputs(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Checked (L, N, E) query, key, value (unbatched inputs get N=1) and whether they were batched."""
    op = _MHA
    q, k, v = (_checks.as_array(t, n, op) for t, n in ((query, "query"), (key, "key"), (value, "value")))
    _checks.rank(q, (2, 3), "query", op, "(L, E) or (L, N, E)")
    batched = q.ndim == 3
    if k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(
            f"{op}: for a {q.ndim}-D query, expected {q.ndim}-D key and value, got {k.ndim}-D and {v.ndim}-D"
        )
    _checks.floating(q, "query", op)
    if key_padding_mask is not None and np.ndim(key_padding_mask) != q.ndim - 1:
        raise ValueError(
            f"{op}: for a {q.ndim}-D query, expected a {q.ndim - 1}-D key_padding_mask, "
            f"got shape {tuple(np.shape(key_padding_mask))}"
        )
    if attn_mask is not None and np.ndim(attn_mask) not in (2, 3):
        raise ValueError(f"{op}: expected a 2-D or 3-D attn_mask, got shape {tuple(np.shape(attn_mask))}")
    if not batched:
        q, k, v = q[:, None], k[:, None], v[:, None]
    if k.shape[:2] != v.shape[:2] or k.shape[1] != q.shape[1]:
        raise ValueError(
            f"{op}: key and value must share sequence and batch dims with each other and the batch dim with "
            f"query, got query {tuple(q.shape)}, key {tuple(k.shape)}, value {tuple(v.shape)}"
        )
    return q, k, v, batched


def _in_projection(q, k, v, embed_dim, in_proj_weight, in_proj_bias, separate, q_w, k_w, v_w):
    op = _MHA
    if separate:
        if q_w is None or k_w is None or v_w is None:
            raise ValueError(
                f"{op}: use_separate_proj_weight=True needs q_proj_weight, k_proj_weight and v_proj_weight"
            )
        weights = (q_w, k_w, v_w)
    else:
        if in_proj_weight is None:
            raise ValueError(f"{op}: use_separate_proj_weight=False needs in_proj_weight")
        w = _checks.as_array(in_proj_weight, "in_proj_weight", op)
        if w.shape != (3 * embed_dim, embed_dim):
            raise ValueError(
                f"{op}: expected in_proj_weight of shape {(3 * embed_dim, embed_dim)}, got {tuple(w.shape)}"
            )
        weights = (w[:embed_dim], w[embed_dim : 2 * embed_dim], w[2 * embed_dim :])
    biases = (None, None, None)
    if in_proj_bias is not None:
        b = _checks.as_array(in_proj_bias, "in_proj_bias", op)
        biases = (b[:embed_dim], b[embed_dim : 2 * embed_dim], b[2 * embed_dim :])
    return tuple(linear(x, w, b) for x, w, b in zip((q, k, v), weights, biases, strict=True))


def _pad_last(mask: jax.Array | None) -> jax.Array | None:
    return None if mask is None else jnp.pad(mask, [(0, 0)] * (mask.ndim - 1) + [(0, 1)])


def multi_head_attention_forward(
    query: jax.Array,
    key: jax.Array,
    value: jax.Array,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: jax.Array | None,
    in_proj_bias: jax.Array | None,
    bias_k: jax.Array | None,
    bias_v: jax.Array | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: jax.Array,
    out_proj_bias: jax.Array | None,
    training: bool = True,
    key_padding_mask: jax.Array | None = None,
    need_weights: bool = True,
    attn_mask: jax.Array | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: jax.Array | None = None,
    k_proj_weight: jax.Array | None = None,
    v_proj_weight: jax.Array | None = None,
    static_k: jax.Array | None = None,
    static_v: jax.Array | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
    *,
    dropout_key: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array | None]:
    """The math of `nn.MultiheadAttention` over sequence-first (L, N, E) or unbatched (L, E) inputs.

    Masks: boolean True (or -inf) masks a position out. `key_padding_mask` is (N, S) or (S,);
    `attn_mask` is (L, S) or (N * num_heads, L, S). `dropout_key` is needed when training
    with `dropout_p > 0`.

    Returns:
        (output (L, N, E) or (L, E), weights or None). The weights are (N, L, S) averaged over
        heads or (N, num_heads, L, S) per head (without N for unbatched input).
    """
    op = _MHA
    q, k, v, batched = _mha_inputs(query, key, value, key_padding_mask, attn_mask, num_heads)
    tgt_len, bsz, embed_dim = q.shape
    num_heads = _checks.positive_int(num_heads, "num_heads", op)
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"{op}: was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    if embed_dim % num_heads:
        raise ValueError(f"{op}: embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    head_dim = embed_dim // num_heads
    dropout_p = _checks.probability(dropout_p, "dropout_p", op) if training else 0.0
    if dropout_p > 0.0 and dropout_key is None:
        raise ValueError(f"{op}: training with dropout_p={dropout_p} needs a PRNG key (dropout_key=...)")
    kpm = canonical_mask(key_padding_mask, "key_padding_mask", q.dtype, op)
    if kpm is not None and not batched:
        kpm = kpm[None]
    if is_causal and attn_mask is None:
        raise ValueError(
            f"{op}: need attn_mask if specifying the is_causal hint; you may use "
            "Transformer.generate_square_subsequent_mask to create this mask"
        )
    if is_causal and kpm is None and not need_weights:
        mask = None  # the hint stands for the mask, as in PyTorch: SDPA applies the causal mask itself
    else:
        mask = canonical_mask(attn_mask, "attn_mask", q.dtype, op)
        is_causal = is_causal and kpm is None and not need_weights
    q, k, v = _in_projection(
        q,
        k,
        v,
        embed_dim,
        in_proj_weight,
        in_proj_bias,
        use_separate_proj_weight,
        q_proj_weight,
        k_proj_weight,
        v_proj_weight,
    )
    src_len = k.shape[0]
    if mask is not None:
        expected = (tgt_len, src_len) if mask.ndim == 2 else (bsz * num_heads, tgt_len, src_len)
        if mask.shape != expected:
            raise ValueError(
                f"{op}: the shape of the {mask.ndim}-D attn_mask is {mask.shape}, but should be {expected}"
            )
        mask = mask[None] if mask.ndim == 2 else mask
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{op}: bias_k and bias_v must both be given or both be None")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise ValueError(f"{op}: bias_k/bias_v cannot be added to static_k/static_v")
        k = jnp.concatenate([k, jnp.broadcast_to(jnp.reshape(bias_k, (1, 1, embed_dim)), (1, bsz, embed_dim))])
        v = jnp.concatenate([v, jnp.broadcast_to(jnp.reshape(bias_v, (1, 1, embed_dim)), (1, bsz, embed_dim))])
        mask, kpm = _pad_last(mask), _pad_last(kpm)
    q = jnp.swapaxes(q.reshape(tgt_len, bsz * num_heads, head_dim), 0, 1)
    k = _heads(k, static_k, "static_k", bsz * num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz * num_heads, head_dim)
    if add_zero_attn:
        zeros = jnp.zeros((bsz * num_heads, 1, head_dim), k.dtype)
        k, v = jnp.concatenate([k, zeros], axis=1), jnp.concatenate([v, zeros], axis=1)
        mask, kpm = _pad_last(mask), _pad_last(kpm)
    src_len = k.shape[1]
    if kpm is not None:
        if kpm.shape != (bsz, src_len):
            raise ValueError(f"{op}: expected key_padding_mask of shape {(bsz, src_len)}, got {tuple(kpm.shape)}")
        kpm = jnp.repeat(kpm[:, None, None, :], num_heads, axis=1).reshape(bsz * num_heads, 1, src_len)
        mask = kpm if mask is None else mask + kpm
    if need_weights:
        out, weights = _attend(q, k, v, mask, None, 1.0 / math.sqrt(head_dim), dropout_p, dropout_key, safe=False)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        weights = weights.mean(axis=1) if average_attn_weights else weights
        out = jnp.swapaxes(out, 0, 1)
    else:
        if mask is not None:
            mask = mask[None] if mask.shape[0] == 1 else mask.reshape(bsz, num_heads, -1, src_len)
        out = scaled_dot_product_attention(
            q.reshape(bsz, num_heads, tgt_len, head_dim),
            k.reshape(bsz, num_heads, src_len, head_dim),
            v.reshape(bsz, num_heads, src_len, head_dim),
            mask,
            dropout_p,
            is_causal,
            dropout_key=dropout_key,
        )
        out, weights = jnp.transpose(out, (2, 0, 1, 3)), None
    out = linear(out.reshape(tgt_len, bsz, embed_dim), out_proj_weight, out_proj_bias)
    if not batched:
        out = out[:, 0]
        weights = None if weights is None else weights[0]
    return out, weights


def _heads(x, static, name, batch_heads, head_dim):
    """(S, N, E) -> (N * heads, S, head_dim), or the given static_k/static_v checked."""
    if static is None:
        return jnp.swapaxes(x.reshape(x.shape[0], batch_heads, head_dim), 0, 1)
    s = _checks.as_array(static, name, _MHA)
    if s.ndim != 3 or s.shape[0] != batch_heads or s.shape[2] != head_dim:
        raise ValueError(f"{_MHA}: expected {name} of shape ({batch_heads}, S, {head_dim}), got {tuple(s.shape)}")
    return s


def generate_square_subsequent_mask(sz: int, dtype: Any = jnp.float32) -> jax.Array:
    """The (sz, sz) causal mask: 0 on and below the diagonal, -inf above (PyTorch's Transformer helper)."""
    sz = _checks.non_negative_int(sz, "sz", "generate_square_subsequent_mask")
    return jnp.triu(jnp.full((sz, sz), -jnp.inf, dtype), k=1)


__all__ = [
    "scaled_dot_product_attention",
    "multi_head_attention_forward",
    "canonical_mask",
    "generate_square_subsequent_mask",
]
