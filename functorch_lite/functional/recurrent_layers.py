"""Pure recurrent layers: `RNN`, `LSTM`, `GRU` and their cells as `Layer(init, apply)` pairs.

`init(key)` gives PyTorch's parameter names and default init, U(-1/sqrt(hidden_size),
1/sqrt(hidden_size)) for every weight and bias. The sequence layers' hidden state is
explicit: `apply(params, x, hx=None, *, key=None, training=True) -> (output, h_n)`, or
`(output, (h_n, c_n))` for LSTM. A packed batch (`PackedSequence`, or its pieces as
`batch_sizes=`/`sorted_indices=`/`unsorted_indices=`) is computed on its padded form with
a length mask and comes back packed, with `h_n` in the caller's batch order.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks
from . import init as initializers
from . import packed as packing
from .layers import Layer, _jit_init, _named
from .recurrent import GATES, _cell, param_names, recurrent


def _check_sizes(op: str, input_size: Any, hidden_size: Any) -> tuple[int, int]:
    return _checks.positive_int(input_size, "input_size", op), _checks.positive_int(hidden_size, "hidden_size", op)


def _uniform_init(shapes: dict[str, tuple[int, ...]], hidden_size: int, dtype) -> Any:
    """Every parameter U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch's `reset_parameters`."""
    bound = 1.0 / math.sqrt(hidden_size)
    sizes = [math.prod(shape) for shape in shapes.values()]
    offsets = np.cumsum([0, *sizes])

    @_jit_init
    def init(key):
        # One draw cut into the parameters: one random kernel to compile, not one per parameter shape.
        flat = initializers.uniform(key, (int(offsets[-1]),), -bound, bound, dtype)
        return {
            name: flat[start:stop].reshape(shape)
            for (name, shape), start, stop in zip(shapes.items(), offsets[:-1], offsets[1:], strict=True)
        }

    return init


def _permute(hx: Any, indices: Any) -> Any:
    """Hidden states (D * num_layers, N, H) reordered along the batch axis; None passes."""
    if hx is None or indices is None:
        return hx
    indices = jnp.asarray(indices)
    return jax.tree_util.tree_map(lambda h: jnp.take(h, indices, axis=1), hx)


def _sequence_layer(
    mode: str,
    input_size: Any,
    hidden_size: Any,
    num_layers: Any,
    bias: bool,
    batch_first: bool,
    dropout: Any,
    bidirectional: bool,
    proj_size: Any,
    dtype,
) -> Layer:
    kind = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
    input_size, hidden_size = _check_sizes(kind, input_size, hidden_size)
    num_layers = _checks.positive_int(num_layers, "num_layers", kind)
    dropout = _checks.probability(dropout, "dropout", kind)
    for flag_name, value in (("bias", bias), ("batch_first", batch_first), ("bidirectional", bidirectional)):
        _checks.flag(value, flag_name, kind)
    if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
        raise ValueError(f"{kind}: proj_size must be a non-negative int, got {proj_size!r}")
    if proj_size and mode != "LSTM":
        raise ValueError(f"{kind}: proj_size argument is only supported for LSTM, not RNN or GRU")
    if proj_size >= hidden_size:
        raise ValueError(f"{kind}: proj_size ({proj_size}) has to be smaller than hidden_size ({hidden_size})")
    directions = 2 if bidirectional else 1
    out_size = proj_size or hidden_size
    gate_size = GATES[mode] * hidden_size
    shapes: dict[str, tuple[int, ...]] = {}
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else out_size * directions
        for d in range(directions):
            names = param_names(layer, d == 1, bias, proj_size > 0)
            roles = {"w_ih": (gate_size, layer_input), "w_hh": (gate_size, out_size), "b_ih": (gate_size,)}
            roles |= {"b_hh": (gate_size,), "w_hr": (proj_size, hidden_size)}
            shapes |= {name: roles[role] for role, name in names.items()}
    extras = f", proj_size={proj_size}" if proj_size else ""
    extras += f", num_layers={num_layers}" if num_layers != 1 else ""
    extras += "" if bias else ", bias=False"
    extras += ", batch_first=True" if batch_first else ""
    extras += f", dropout={dropout}" if dropout else ""
    extras += ", bidirectional=True" if bidirectional else ""
    name = f"{kind}({input_size}, {hidden_size}{extras})"
    config = dict(num_layers=num_layers, bidirectional=bidirectional, dropout_p=dropout, op=name)

    def apply(
        params,
        x,
        hx=None,
        *,
        batch_sizes=None,
        sorted_indices=None,
        unsorted_indices=None,
        state=None,
        key=None,
        training=True,
    ):
        packed_input = isinstance(x, packing.PackedSequence)
        if packed_input:
            x, batch_sizes, sorted_indices, unsorted_indices = x
        if batch_sizes is None:
            return recurrent(mode, params, x, hx, batch_first=batch_first, training=training, key=key, **config)
        sizes = packing.checked_batch_sizes(batch_sizes, name)
        data = _checks.as_array(x, "input", name)
        if data.ndim != 2 or data.shape[0] != sizes.sum():
            raise ValueError(
                f"{name}: expected packed data of shape ({sizes.sum()}, {input_size}), got {tuple(data.shape)}"
            )
        padded = packing.padded_from_packed(data, sizes)
        lengths = jnp.asarray(packing.lengths_from_batch_sizes(sizes))
        hx = _permute(hx, sorted_indices)
        out, h = recurrent(mode, params, padded, hx, training=training, key=key, lengths=lengths, **config)
        data, h = packing.packed_from_padded(out, sizes), _permute(h, unsorted_indices)
        return (
            packing.PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices) if packed_input else data
        ), h

    return Layer(_uniform_init(shapes, hidden_size, dtype), _named(apply, name), name=name)


def RNN(
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    nonlinearity: str = "tanh",
    bias: bool = True,
    batch_first: bool = False,
    dropout: float = 0.0,
    bidirectional: bool = False,
    dtype=jnp.float32,
) -> Layer:
    """Elman RNN, h_t = nonlinearity(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh); tanh or relu."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
    return _sequence_layer(
        mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0, dtype
    )


def LSTM(
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    batch_first: bool = False,
    dropout: float = 0.0,
    bidirectional: bool = False,
    proj_size: int = 0,
    dtype=jnp.float32,
) -> Layer:
    """Long short-term memory over a sequence; gates (i, f, g, o), optional output projection."""
    return _sequence_layer(
        "LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size, dtype
    )


def GRU(
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    batch_first: bool = False,
    dropout: float = 0.0,
    bidirectional: bool = False,
    dtype=jnp.float32,
) -> Layer:
    """Gated recurrent unit over a sequence; gates (r, z, n)."""
    return _sequence_layer(
        "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0, dtype
    )


def _cell_layer(mode: str, kind: str, input_size: Any, hidden_size: Any, bias: bool, dtype, extra: str = "") -> Layer:
    input_size, hidden_size = _check_sizes(kind, input_size, hidden_size)
    _checks.flag(bias, "bias", kind)
    gate_size = GATES[mode] * hidden_size
    shapes = {"weight_ih": (gate_size, input_size), "weight_hh": (gate_size, hidden_size)}
    if bias:
        shapes |= {"bias_ih": (gate_size,), "bias_hh": (gate_size,)}
    name = f"{kind}({input_size}, {hidden_size}" + ("" if bias else ", bias=False") + extra + ")"

    def apply(params, x, hx=None, *, state=None, key=None, training=True):
        x = _checks.as_array(x, "input", name)
        if x.ndim not in (1, 2) or x.shape[-1] != input_size:
            raise ValueError(
                f"{name}: expected input of shape (N, {input_size}) or ({input_size},), got {tuple(x.shape)}"
            )
        weights = (params["weight_ih"], params["weight_hh"], params.get("bias_ih"), params.get("bias_hh"))
        return _cell(mode, name, x, hx, *weights)

    return Layer(_uniform_init(shapes, hidden_size, dtype), _named(apply, name), name=name)


def RNNCell(input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", dtype=jnp.float32):
    """One Elman RNN step: apply(params, x, h=None) -> h'."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
    extra = "" if nonlinearity == "tanh" else ", nonlinearity=relu"
    return _cell_layer(mode, "RNNCell", input_size, hidden_size, bias, dtype, extra)


def LSTMCell(input_size: int, hidden_size: int, bias: bool = True, dtype=jnp.float32) -> Layer:
    """One LSTM step: apply(params, x, (h, c)=None) -> (h', c')."""
    return _cell_layer("LSTM", "LSTMCell", input_size, hidden_size, bias, dtype)


def GRUCell(input_size: int, hidden_size: int, bias: bool = True, dtype=jnp.float32) -> Layer:
    """One GRU step: apply(params, x, h=None) -> h'."""
    return _cell_layer("GRU", "GRUCell", input_size, hidden_size, bias, dtype)


__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
