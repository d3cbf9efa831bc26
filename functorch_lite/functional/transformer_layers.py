"""Pure Transformer stacks: TransformerEncoder, TransformerDecoder and the encoder-decoder Transformer.

Same `Layer(init, apply)` contract as `attention_layers.py`. As in PyTorch, a stack's
layers start as clones of one initialised layer, and `Transformer`'s `init` redraws
every parameter of rank > 1 from xavier_uniform (`Transformer._reset_parameters`).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _checks
from . import init as initializers
from .attention import generate_square_subsequent_mask
from .attention_layers import TransformerDecoderLayer, TransformerEncoderLayer, _split, jit_init
from .layers import Layer, _named
from .normalization_layers import LayerNorm
from .tree import flatten_dict, unflatten_dict


def _stack_init(layer: Layer, num_layers: int, norm: Layer | None):
    def init(key):
        layer_key, norm_key = jax.random.split(key)
        one = layer.init(layer_key)  # PyTorch deep-copies one initialised layer num_layers times
        flat = flatten_dict(one)  # copies: a compiled step may donate each parameter's buffer
        params = {
            "layers": {str(i): unflatten_dict({k: jnp.copy(v) for k, v in flat.items()}) for i in range(num_layers)}
        }
        norm_params = {} if norm is None else norm.init(norm_key)
        if norm_params:
            params["norm"] = norm_params
        return params

    return init


def _stack_args(layer, num_layers, norm, op, kind):
    if not isinstance(layer, Layer):
        raise TypeError(f"{op}: {kind} must be a functional Layer, got {type(layer).__name__}")
    num_layers = _checks.positive_int(num_layers, "num_layers", op)
    if norm is not None and not isinstance(norm, Layer):
        raise TypeError(f"{op}: norm must be a functional Layer or None, got {type(norm).__name__}")
    return num_layers


def TransformerEncoder(
    encoder_layer: Layer,
    num_layers: int,
    norm: Layer | None = None,
    enable_nested_tensor: bool = True,
    mask_check: bool = True,
) -> Layer:
    """`num_layers` copies of `encoder_layer`, then `norm`; `apply(params, src, *, mask, src_key_padding_mask)`.

    `enable_nested_tensor` and `mask_check` are accepted for PyTorch's signature; there is no
    nested-tensor fast path, so padded positions keep their computed values.
    """
    op = "TransformerEncoder"
    num_layers = _stack_args(encoder_layer, num_layers, norm, op, "encoder_layer")
    name = f"TransformerEncoder(num_layers={num_layers})"

    def apply(
        params, src, *, mask=None, src_key_padding_mask=None, is_causal=None, state=None, key=None, training=True
    ):
        keys = _split(key, num_layers + 1)
        x = src
        for i in range(num_layers):
            x = encoder_layer.apply(
                params["layers"][str(i)],
                x,
                src_mask=mask,
                src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
                key=keys[i],
                training=training,
            )
        return x if norm is None else norm.apply(params.get("norm", {}), x, key=keys[-1], training=training)

    return Layer(_stack_init(encoder_layer, num_layers, norm), _named(apply, name), name=name)


def TransformerDecoder(decoder_layer: Layer, num_layers: int, norm: Layer | None = None) -> Layer:
    """`num_layers` copies of `decoder_layer`, then `norm`; `apply(params, tgt, memory, *, masks...)`."""
    op = "TransformerDecoder"
    num_layers = _stack_args(decoder_layer, num_layers, norm, op, "decoder_layer")
    name = f"TransformerDecoder(num_layers={num_layers})"

    def apply(
        params,
        tgt,
        memory,
        *,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal=False,
        state=None,
        key=None,
        training=True,
    ):
        keys = _split(key, num_layers + 1)
        x = tgt
        for i in range(num_layers):
            x = decoder_layer.apply(
                params["layers"][str(i)],
                x,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
                key=keys[i],
                training=training,
            )
        return x if norm is None else norm.apply(params.get("norm", {}), x, key=keys[-1], training=training)

    return Layer(_stack_init(decoder_layer, num_layers, norm), _named(apply, name), name=name)


def _xavier_matrices(params: dict, key: jax.Array) -> dict:
    """PyTorch's `Transformer._reset_parameters`: every parameter of rank > 1 redrawn xavier_uniform."""
    flat = flatten_dict(params)
    keys = jax.random.split(key, len(flat))
    return unflatten_dict(
        {
            name: initializers.xavier_uniform(k, leaf.shape, dtype=leaf.dtype) if leaf.ndim > 1 else leaf
            for k, (name, leaf) in zip(keys, flat.items(), strict=True)
        }
    )


def check_transformer_inputs(src: Any, tgt: Any, d_model: int, batch_first: bool, op: str) -> None:
    """PyTorch's checks of `Transformer.forward`: equal batch sizes, and d_model features in src and tgt."""
    src_shape, tgt_shape = tuple(jnp.shape(src)), tuple(jnp.shape(tgt))
    batch_dim = 0 if batch_first else 1
    if len(src_shape) == 3 and (len(tgt_shape) != 3 or src_shape[batch_dim] != tgt_shape[batch_dim]):
        raise ValueError(f"{op}: the batch number of src and tgt must be equal, got shapes {src_shape} and {tgt_shape}")
    if not src_shape or not tgt_shape or src_shape[-1] != d_model or tgt_shape[-1] != d_model:
        raise ValueError(
            f"{op}: the feature number of src and tgt must be equal to d_model ({d_model}), "
            f"got shapes {src_shape} and {tgt_shape}"
        )


def Transformer(
    d_model: int = 512,
    nhead: int = 8,
    num_encoder_layers: int = 6,
    num_decoder_layers: int = 6,
    dim_feedforward: int = 2048,
    dropout: float = 0.1,
    activation: Any = "relu",
    custom_encoder: Layer | None = None,
    custom_decoder: Layer | None = None,
    layer_norm_eps: float = 1e-5,
    batch_first: bool = False,
    norm_first: bool = False,
    bias: bool = True,
    dtype=jnp.float32,
) -> Layer:
    """Encoder-decoder Transformer; `apply(params, src, tgt, *, src_mask, tgt_mask, memory_mask, ...)`.

    Keyword masks as `nn.Transformer.forward`. `Transformer.generate_square_subsequent_mask(sz)` gives
    the causal float mask.
    """

    layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias)
    encoder = (
        custom_encoder
        if custom_encoder is not None
        else TransformerEncoder(
            TransformerEncoderLayer(*layer_args, dtype=dtype),
            num_encoder_layers,
            LayerNorm(d_model, layer_norm_eps, True, bias, dtype),
        )
    )
    decoder = (
        custom_decoder
        if custom_decoder is not None
        else TransformerDecoder(
            TransformerDecoderLayer(*layer_args, dtype=dtype),
            num_decoder_layers,
            LayerNorm(d_model, layer_norm_eps, True, bias, dtype),
        )
    )
    name = f"Transformer(d_model={d_model}, nhead={nhead})"

    @jit_init
    def init(key):
        enc_key, dec_key, reset_key = jax.random.split(key, 3)
        return _xavier_matrices({"encoder": encoder.init(enc_key), "decoder": decoder.init(dec_key)}, reset_key)

    def apply(
        params,
        src,
        tgt,
        *,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal=False,
        state=None,
        key=None,
        training=True,
    ):
        check_transformer_inputs(src, tgt, d_model, batch_first, name)
        enc_key, dec_key = _split(key, 2)
        memory = encoder.apply(
            params["encoder"],
            src,
            mask=src_mask,
            src_key_padding_mask=src_key_padding_mask,
            is_causal=src_is_causal,
            key=enc_key,
            training=training,
        )
        return decoder.apply(
            params["decoder"],
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
            key=dec_key,
            training=training,
        )

    return Layer(init, _named(apply, name), name=name)


Transformer.generate_square_subsequent_mask = generate_square_subsequent_mask

__all__ = ["TransformerEncoder", "TransformerDecoder", "Transformer", "check_transformer_inputs"]
