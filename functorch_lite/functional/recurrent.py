"""Recurrent cells and sequences (RNN, LSTM, GRU) with PyTorch's equations, layouts and names.

A cell is one time step. A sequence is `lax.scan` of the cell over time, layer after
layer, each direction of a bidirectional layer its own scan. The input projection
`x @ W_ih.T + b_ih` of a whole sequence is one matmul before the scan; the scan carries
only the recurrent part. Gate order is PyTorch's: LSTM (i, f, g, o), GRU (r, z, n) with
`b_hn` inside the reset product. Parameters are a dict under PyTorch's names
(`weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0`). Sequences of different lengths
(`lengths=`) are computed on the padded form with a mask: a finished sequence keeps its
state and outputs zeros, so the reverse direction of each sequence starts at its own end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _checks
from .._precision import matmul_precision
from .dense import dropout, linear

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _hidden(h: jax.Array, w_hh: jax.Array, b_hh: jax.Array | None) -> jax.Array:
    gh = jnp.matmul(h, w_hh.T, precision=matmul_precision())
    return gh if b_hh is None else gh + b_hh


# Steps: the recurrent half of a cell, given the input half `gi = x @ W_ih.T + b_ih`.
def _rnn_step(activation: Callable) -> Callable:
    def step(gi, state, w):
        return (activation(gi + _hidden(state[0], w["w_hh"], w.get("b_hh"))),)

    return step


def _lstm_step(gi, state, w):
    h, c = state
    gates = gi + _hidden(h, w["w_hh"], w.get("b_hh"))
    i, f, g, o = jnp.split(gates, 4, axis=-1)
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    h = jax.nn.sigmoid(o) * jnp.tanh(c)
    if "w_hr" in w:
        h = jnp.matmul(h, w["w_hr"].T, precision=matmul_precision())
    return h, c


def _gru_step(gi, state, w):
    h = state[0]
    gh = _hidden(h, w["w_hh"], w.get("b_hh"))
    i_r, i_z, i_n = jnp.split(gi, 3, axis=-1)
    h_r, h_z, h_n = jnp.split(gh, 3, axis=-1)
    r = jax.nn.sigmoid(i_r + h_r)
    z = jax.nn.sigmoid(i_z + h_z)
    n = jnp.tanh(i_n + r * h_n)
    return ((1.0 - z) * n + z * h,)


_STEPS = {
    "RNN_TANH": _rnn_step(jnp.tanh),
    "RNN_RELU": _rnn_step(jax.nn.relu),
    "LSTM": _lstm_step,
    "GRU": _gru_step,
}


def _cell(mode: str, op: str, input, hx, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """One checked time step of `mode` over (N, H_in) or (H_in,) input."""
    x = _checks.as_array(input, "input", op)
    w_ih = _checks.as_array(w_ih, "w_ih", op)
    w_hh = _checks.as_array(w_hh, "w_hh", op)
    _checks.rank(x, (1, 2), "input", op, "(N, input_size) or (input_size,)")
    _checks.floating(x, "input", op)
    gate_size, out_size = w_hh.shape
    hidden = gate_size // GATES[mode]
    lead = x.shape[:-1]
    names = ("hx",) if mode != "LSTM" else ("hx[0]", "hx[1]")
    if hx is None:
        state = tuple(jnp.zeros((*lead, size), x.dtype) for size in (out_size, hidden)[: len(names)])
    else:
        state = tuple(hx) if mode == "LSTM" else (hx,)
        if len(state) != len(names):
            raise ValueError(f"{op}: hx must be a pair (h, c), got {len(state)} arrays")
        state = tuple(_checks.as_array(s, n, op) for s, n in zip(state, names, strict=True))
        for s, n, size in zip(state, names, (out_size, hidden), strict=False):
            if s.shape != (*lead, size):
                raise ValueError(f"{op}: expected {n} of shape {(*lead, size)}, got {tuple(s.shape)}")
    w = {"w_hh": w_hh}
    if b_hh is not None:
        w["b_hh"] = _checks.as_array(b_hh, "b_hh", op)
    if w_hr is not None:
        w["w_hr"] = _checks.as_array(w_hr, "w_hr", op)
    gi = linear(x, w_ih, b_ih)
    out = _STEPS[mode](gi, state, w)
    return out if mode == "LSTM" else out[0]


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> jax.Array:
    """h' = tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh); hx None means zeros."""
    return _cell("RNN_TANH", "rnn_tanh_cell", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> jax.Array:
    """h' = relu(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh); hx None means zeros."""
    return _cell("RNN_RELU", "rnn_relu_cell", input, hx, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None) -> tuple[jax.Array, jax.Array]:
    """One LSTM step: hx = (h, c) or None; gates (i, f, g, o); h projected by w_hr if given."""
    return _cell("LSTM", "lstm_cell", input, hx, w_ih, w_hh, b_ih, b_hh, w_hr)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> jax.Array:
    """One GRU step: gates (r, z, n), n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""
    return _cell("GRU", "gru_cell", input, hx, w_ih, w_hh, b_ih, b_hh)


def param_names(layer: int, reverse: bool, bias: bool, proj: bool) -> dict[str, str]:
    """PyTorch's names of one layer-direction's parameters, keyed by their role."""
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    names = {"w_ih": "weight_ih" + suffix, "w_hh": "weight_hh" + suffix}
    if bias:
        names |= {"b_ih": "bias_ih" + suffix, "b_hh": "bias_hh" + suffix}
    if proj:
        names["w_hr"] = "weight_hr" + suffix
    return names


def _direction(step, gi, state, w, mask, reverse: bool):
    """Scans `step` over time-major input gates `gi` (T, N, G); returns (outputs (T, N, H), final state)."""

    def body(carry, inputs):
        gi_t, keep = inputs
        new = step(gi_t, carry, w)
        if keep is None:
            return new, new[0]
        new = tuple(jnp.where(keep[:, None], n, c) for n, c in zip(new, carry, strict=True))
        return new, jnp.where(keep[:, None], new[0], jnp.zeros((), new[0].dtype))

    final, outputs = lax.scan(body, state, (gi, mask), reverse=reverse)
    return outputs, final


def _lengths_mask(lengths: Any, steps: int, batch: int, op: str) -> jax.Array | None:
    if lengths is None:
        return None
    values = _checks.as_array(lengths, "lengths", op)
    if values.shape != (batch,) or not jnp.issubdtype(values.dtype, jnp.integer):
        raise ValueError(f"{op}: expected lengths of {batch} ints, got shape {tuple(values.shape)} ({values.dtype})")
    if _checks.is_concrete(values) and batch:
        low, high = int(np.min(np.asarray(values))), int(np.max(np.asarray(values)))
        if low < 1 or high > steps:
            raise ValueError(f"{op}: lengths must lie in [1, {steps}] (the sequence length), got min {low}, max {high}")
    return jnp.arange(steps)[:, None] < values[None, :]


def _initial_state(mode, hx, count, batch, out_size, hidden, dtype, batched, op):
    """hx as a tuple of (D * num_layers, N, size) arrays; zeros when None."""
    sizes = (out_size, hidden) if mode == "LSTM" else (out_size,)
    if hx is None:
        return tuple(jnp.zeros((count, batch, s), dtype) for s in sizes)
    names = ("h_0", "c_0") if mode == "LSTM" else ("h_0",)
    parts = tuple(hx) if mode == "LSTM" else (hx,)
    if mode == "LSTM" and len(parts) != 2:
        raise ValueError(f"{op}: hx must be a pair (h_0, c_0), got {len(parts)} arrays")
    state = []
    for part, name, size in zip(parts, names, sizes, strict=True):
        part = _checks.as_array(part, name, op)
        expected = (count, batch, size) if batched else (count, size)
        if part.shape != expected:
            kind = "" if batched else " (unbatched 2-D input takes 2-D hidden states)"
            raise ValueError(f"{op}: expected {name} of shape {expected}{kind}, got {tuple(part.shape)}")
        _checks.same_dtype(part, jnp.zeros((), dtype), f"{name} and input", op)
        state.append(part if batched else part[:, None])
    return tuple(state)


def recurrent(
    mode: str,
    params: dict[str, jax.Array],
    input: jax.Array,
    hx: Any = None,
    *,
    num_layers: int = 1,
    bidirectional: bool = False,
    batch_first: bool = False,
    dropout_p: float = 0.0,
    training: bool = False,
    key: jax.Array | None = None,
    lengths: Any = None,
    op: str | None = None,
) -> tuple[jax.Array, Any]:
    """A multi-layer (bi)directional recurrent net over a sequence, as torch's RNN/LSTM/GRU forward.

    Args:
        mode: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU".
        params: PyTorch-named parameters (`weight_ih_l0`, ..., `_reverse`, `weight_hr_l0`).
        input: (L, N, H_in), (N, L, H_in) with batch_first, or unbatched (L, H_in).
        hx: h_0 (D * num_layers, N, H_out), or (h_0, c_0) for LSTM; None means zeros.
        dropout_p: dropout on the outputs of every layer but the last, while `training` (needs `key`).
        lengths: optional (N,) valid lengths; steps past a sequence's length are masked.

    Returns:
        (output, h_n), or (output, (h_n, c_n)) for LSTM, with PyTorch's shapes.
    """
    op = op or mode.lower()
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {MODES}, got {mode!r}")
    x = _checks.as_array(input, "input", op)
    _checks.rank(x, (2, 3), "input", op, "(L, N, H_in), (N, L, H_in) with batch_first, or unbatched (L, H_in)")
    _checks.floating(x, "input", op)
    directions = 2 if bidirectional else 1
    has_bias, has_proj = "bias_ih_l0" in params, "weight_hr_l0" in params
    layout = [param_names(layer, d == 1, has_bias, has_proj) for layer in range(num_layers) for d in range(directions)]
    missing = [name for names in layout for name in names.values() if name not in params]
    if missing:
        raise ValueError(f"{op}: params lack {missing} (num_layers={num_layers}, bidirectional={bidirectional})")
    _checks.same_dtype(x, _checks.as_array(params["weight_ih_l0"], "weight_ih_l0", op), "input and weights", op)
    w_hh0 = params["weight_hh_l0"]
    hidden, out_size = w_hh0.shape[0] // GATES[mode], w_hh0.shape[1]
    input_size = params["weight_ih_l0"].shape[1]
    if x.shape[-1] != input_size:
        raise ValueError(f"{op}: expected input with last dimension {input_size} (input_size), got shape {x.shape}")
    batched = x.ndim == 3
    if not batched:
        x = x[:, None]
    elif batch_first:
        x = jnp.swapaxes(x, 0, 1)
    steps, batch = x.shape[:2]
    state = _initial_state(mode, hx, directions * num_layers, batch, out_size, hidden, x.dtype, batched, op)
    mask = _lengths_mask(lengths, steps, batch, op)
    use_dropout = training and dropout_p > 0 and num_layers > 1
    if use_dropout and key is None:
        raise ValueError(f"{op}: training with dropout={dropout_p} needs key= (a PRNG key); pass training=False")
    step = _STEPS[mode]
    finals = []
    for layer in range(num_layers):
        outputs = []
        for d in range(directions):
            w = {role: params[name] for role, name in layout[layer * directions + d].items()}
            gi = linear(x, w.pop("w_ih"), w.pop("b_ih", None))
            index = layer * directions + d
            out, final = _direction(step, gi, tuple(s[index] for s in state), w, mask, reverse=d == 1)
            outputs.append(out)
            finals.append(final)
        x = outputs[0] if directions == 1 else jnp.concatenate(outputs, axis=-1)
        if use_dropout and layer < num_layers - 1:
            key, sub = jax.random.split(key)
            x = dropout(x, dropout_p, True, key=sub)
    stacked = tuple(jnp.stack([f[i] for f in finals]) for i in range(len(state)))
    if not batched:
        x, stacked = x[:, 0], tuple(s[:, 0] for s in stacked)
    elif batch_first:
        x = jnp.swapaxes(x, 0, 1)
    return x, (stacked if mode == "LSTM" else stacked[0])


__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "recurrent", "param_names", "MODES"]
