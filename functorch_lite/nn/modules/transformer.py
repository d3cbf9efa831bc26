"""`MultiheadAttention` and the Transformer family: Modules over the pure attention layers.

Each Module has PyTorch's children (`self_attn`, `linear1`, `norm1`, `dropout1`, ...,
`out_proj`), so `state_dict()` keys, `named_modules()` and the repr match PyTorch's.
A layer's forward is one call of its pure layer's `apply` through the autograd
dispatcher, with the children's parameters gathered into the pure layer's nested dict
and a dropout key drawn from the global generator in train mode. The encoder and
decoder stacks and `Transformer` call their child modules in turn, as `Sequential` does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jax

from ... import functional as fn
from ... import random
from ..._tensor.tensor import Tensor
from ...autograd.dispatch import apply
from ...device import resolve_device
from ...functional.transformer_layers import check_transformer_inputs
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter, set_array
from ._pure import _init_key, as_tensor, pure_layer
from .activation import GELU, ReLU
from .container import ModuleList
from .linear import Linear, _dtype
from .normalization import Dropout, LayerNorm


def _nested_params(module: Module) -> dict:
    """The module's parameters as the pure layer's nested dict ("self_attn.out_proj.weight" nests)."""
    return fn.unflatten_dict(dict(module.named_parameters(remove_duplicate=False)))


def _dropout_key(module: Module, p: float) -> Any:
    return random.default_generator.next_key() if module.training and p > 0 else None


class _TensorActivation:
    """A user's activation on Tensors, as a function on arrays for the pure layer (equal when the callable is)."""

    def __init__(self, activation: Callable):
        self.activation = activation

    def __call__(self, x: jax.Array) -> jax.Array:
        return as_tensor(self.activation(Tensor._wrap(x))).array

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _TensorActivation) and other.activation is self.activation

    def __hash__(self) -> int:
        return hash(id(self.activation))


def _torch_function(activation: Any, name: str) -> bool:
    """PyTorch's own `F.relu` / `F.gelu` (a program or test may pass them), recognised without importing torch."""
    module = getattr(activation, "__module__", None)
    return getattr(activation, "__name__", None) == name and module in ("torch.nn.functional", "torch._C._nn")


def _pure_activation(activation: Any) -> Any:
    """The Transformer layers' `activation` for the pure layer: 'relu', 'gelu' or an array function."""
    if isinstance(activation, str):
        return activation
    if activation is F.relu or isinstance(activation, ReLU) or _torch_function(activation, "relu"):
        return "relu"
    if activation is F.gelu or _torch_function(activation, "gelu"):
        return "gelu"
    if isinstance(activation, GELU) and activation.approximate == "none":
        return "gelu"
    if not callable(activation):
        raise TypeError(f"activation must be 'relu', 'gelu' or a callable, got {activation!r}")
    return _TensorActivation(activation)


class NonDynamicallyQuantizableLinear(Linear):
    """`MultiheadAttention.out_proj`: a Linear under the class name PyTorch gives it."""


class MultiheadAttention(Module):
    """Multi-head attention (`forward(query, key, value, ...) -> (output, weights)`), as torch.nn's."""

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        layer = pure_layer(
            fn.MultiheadAttention, embed_dim, num_heads, dropout, bias, add_bias_kv, add_zero_attn, kdim, vdim,
            batch_first, _dtype(dtype),
        )  # fmt: skip
        object.__setattr__(self, "_layer", layer)
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        params = layer.init(_init_key(random.default_generator.next_key()))
        target = None if device is None else resolve_device(device)

        def parameter(name: str) -> Parameter | None:
            value = params.get(name)
            if value is None:
                return None
            return Parameter(value if target is None else jax.device_put(value, target))

        for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias"):
            self.register_parameter(name, parameter(name))
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias, device, dtype)
        for name, value in params["out_proj"].items():
            set_array(self.out_proj._parameters[name], value if target is None else jax.device_put(value, target))
        if add_bias_kv:
            self.bias_k, self.bias_v = parameter("bias_k"), parameter("bias_v")
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        return apply(
            self._layer.apply, _nested_params(self), query, key, value, key_padding_mask=key_padding_mask,
            need_weights=need_weights, attn_mask=attn_mask, average_attn_weights=average_attn_weights,
            is_causal=is_causal, key=_dropout_key(self, self.dropout), training=self.training,
        )  # fmt: skip


class _TransformerLayer(Module):
    """The parts shared by the encoder and decoder layers: attention, feed-forward, norms, dropouts."""

    _factory: Any
    _norms: int

    def __init__(
        self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias,
        device, dtype, cross_attention,
    ):  # fmt: skip
        super().__init__()
        pure_act = _pure_activation(activation)
        layer = pure_layer(
            type(self)._factory, d_model, nhead, dim_feedforward, dropout, pure_act, layer_norm_eps, batch_first,
            norm_first, bias, _dtype(dtype),
        )  # fmt: skip
        object.__setattr__(self, "_layer", layer)
        object.__setattr__(self, "_dropout_p", float(dropout))
        attn = dict(dropout=dropout, bias=bias, batch_first=batch_first, device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, **attn)
        if cross_attention:
            self.multihead_attn = MultiheadAttention(d_model, nhead, **attn)
        self.linear1 = Linear(d_model, dim_feedforward, bias, device, dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias, device, dtype)
        self.norm_first = norm_first
        for i in range(1, 3 + cross_attention):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype))
        for i in range(1, 3 + cross_attention):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = {"relu": F.relu, "gelu": F.gelu}.get(activation, activation)


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and feed-forward blocks with residuals and LayerNorm, as torch.nn's."""

    _factory = staticmethod(fn.TransformerEncoderLayer)

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Any = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__(
            d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias,
            device, dtype, False,
        )  # fmt: skip

    def forward(
        self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None, is_causal: bool = False
    ) -> Tensor:
        return apply(
            self._layer.apply, _nested_params(self), src, src_mask=src_mask,
            src_key_padding_mask=src_key_padding_mask, is_causal=is_causal,
            key=_dropout_key(self, self._dropout_p), training=self.training,
        )  # fmt: skip


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, attention over the memory, and feed-forward blocks, as torch.nn's."""

    _factory = staticmethod(fn.TransformerDecoderLayer)

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Any = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__(
            d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias,
            device, dtype, True,
        )  # fmt: skip

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        return apply(
            self._layer.apply, _nested_params(self), tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal,
            key=_dropout_key(self, self._dropout_p), training=self.training,
        )  # fmt: skip


def _clones(layer: Module, num_layers: int, op: str) -> ModuleList:
    if not isinstance(layer, Module):
        raise TypeError(f"{op}: expected a layer Module, got {type(layer).__name__}")
    if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers < 1:
        raise ValueError(f"{op}: num_layers must be a positive int, got {num_layers!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])  # PyTorch's _get_clones


class TransformerEncoder(Module):
    """`num_layers` deep copies of `encoder_layer`, then `norm` (no nested-tensor fast path)."""

    def __init__(
        self,
        encoder_layer: Module,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src: Any, mask: Any = None, src_key_padding_mask: Any = None, is_causal: bool | None = None):
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(Module):
    """`num_layers` deep copies of `decoder_layer`, then `norm`."""

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers, self.norm = num_layers, norm

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        output = tgt
        for layer in self.layers:
            output = layer(
                output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )  # fmt: skip
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder Transformer of "Attention Is All You Need", as torch.nn's."""

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Any = F.relu,
        custom_encoder: Any = None,
        custom_decoder: Any = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias)
        norm = dict(eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(*args, device=device, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, LayerNorm(d_model, **norm))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(*args, device=device, dtype=dtype)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, LayerNorm(d_model, **norm))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self) -> None:
        """Every parameter of rank > 1 redrawn xavier_uniform, as PyTorch does."""
        for parameter in self.parameters():
            if parameter.ndim > 1:
                init.xavier_uniform_(parameter)

    def forward(
        self,
        src: Any,
        tgt: Any,
        src_mask: Any = None,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        src_key_padding_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        check_transformer_inputs(src, tgt, self.d_model, self.batch_first, "Transformer")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(
            tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )  # fmt: skip

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        """The (sz, sz) causal float mask: 0 on and below the diagonal, -inf above."""
        mask = fn.generate_square_subsequent_mask(sz, _dtype(dtype))
        return Tensor(mask if device is None else jax.device_put(mask, resolve_device(device)))


__all__ = [
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
]
