"""Losses with torch.nn.functional's signatures, reductions and weighting rules."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks, _value_checks
from .activations import log_softmax


def _class_targets(logp: jax.Array, target: jax.Array, ignore_index: int, op: str) -> jax.Array:
    """Checks integer class targets against (N, C, ...) log-probabilities; returns them as int32."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{op}: ignore_index must be an int, got {ignore_index!r}")
    expected = logp.shape[:1] + logp.shape[2:]
    if tuple(target.shape) != tuple(expected):
        raise ValueError(
            f"{op}: expected target of shape {tuple(expected)} for input of shape {tuple(logp.shape)}, "
            f"got {tuple(target.shape)}"
        )
    _value_checks.check_values(_value_checks.class_indices, target, logp.shape[1], ignore_index, op)
    return target.astype(jnp.int32)


def _as_batched(input, target, op):
    """PyTorch accepts unbatched (C,) inputs with a scalar target; add the batch dim.

    Returns `(input, target, unbatched)`; `_unbatch` removes the dim again from a
    reduction='none' result, which PyTorch returns as a scalar for unbatched input.
    """
    x = _checks.as_array(input, "input", op)
    t = _checks.as_array(target, "target", op)
    _checks.floating(x, "input", op)
    if x.ndim == 0:
        raise ValueError(f"{op}: expected input of shape (N, C), (N, C, d1, ...) or (C,), got a scalar")
    unbatched = x.ndim == 1
    if unbatched:
        x = x[None]
        t = t[None]
    return x, t, unbatched


def _unbatch(loss: jax.Array, unbatched: bool) -> jax.Array:
    return loss[0] if unbatched and loss.ndim else loss


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean") -> jax.Array:
    """Negative log-likelihood of class indices under log-probabilities `input` (N, C, ...)."""
    op = "nll_loss"
    how = _checks.reduction(reduction, op)
    logp, t, unbatched = _as_batched(input, target, op)
    if not jnp.issubdtype(t.dtype, jnp.integer):
        raise TypeError(f"{op}: expected integer class indices as target, got dtype {t.dtype}")
    loss = _nll(logp, _class_targets(logp, t, ignore_index, op), weight, ignore_index, how, op)
    return _unbatch(loss, unbatched)


def _nll(logp, t, weight, ignore_index, how, op):
    c = logp.shape[1]
    w = jnp.ones((c,), logp.dtype) if weight is None else _checks.as_array(weight, "weight", op)
    if w.shape != (c,):
        raise ValueError(f"{op}: expected weight of shape ({c},), got {tuple(w.shape)}")
    valid = t != ignore_index
    safe = jnp.where(valid, t, 0)
    picked = jnp.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
    wt = jnp.where(valid, w[safe], 0.0).astype(logp.dtype)
    # Ignored positions get exactly zero gradient even when the mean divides by a zero weight sum
    # (all targets ignored): PyTorch returns nan there with a zero input gradient.
    loss = jnp.where(valid, -picked * wt, 0.0)
    if how == "mean":
        return jnp.sum(loss) / jnp.sum(wt)
    return _checks.reduce(loss, how)


def cross_entropy(
    input, target, weight=None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
) -> jax.Array:
    """log_softmax(dim=1) + NLL; target: class indices (N, ...) or probs (N, C, ...)."""
    op = "cross_entropy"
    how = _checks.reduction(reduction, op)
    eps = _checks.probability(label_smoothing, "label_smoothing", op)
    x, t, unbatched = _as_batched(input, target, op)
    logp = log_softmax(x, dim=1)
    c = x.shape[1]
    w = None if weight is None else _checks.as_array(weight, "weight", op)
    if w is not None and w.shape != (c,):
        raise ValueError(f"{op}: expected weight of shape ({c},), got {tuple(w.shape)}")
    wb = None if w is None else w.reshape((1, c) + (1,) * (x.ndim - 2))
    if jnp.issubdtype(t.dtype, jnp.floating):  # class probabilities
        if t.shape != x.shape:
            raise ValueError(
                f"{op}: a floating-point target holds class probabilities and must have the input's shape "
                f"{tuple(x.shape)}, got {tuple(t.shape)}; for class indices pass an integer target"
            )
        if eps:
            t = t * (1 - eps) + eps / c
        per = -(logp * t if wb is None else logp * t * wb).sum(axis=1)
        return jnp.sum(per) / per.size if how == "mean" else _unbatch(_checks.reduce(per, how), unbatched)
    if not jnp.issubdtype(t.dtype, jnp.integer):
        raise TypeError(f"{op}: expected integer class indices or float probabilities as target, got {t.dtype}")
    t = _class_targets(logp, t, ignore_index, op)
    nll = _nll(logp, t, w, ignore_index, how, op)
    if not eps:
        return _unbatch(nll, unbatched)
    valid = t != ignore_index
    smooth = -(logp if wb is None else logp * wb).sum(axis=1)
    smooth = jnp.where(valid, smooth, 0.0)
    if how == "mean":
        if w is None:
            smooth = jnp.sum(smooth) / jnp.sum(valid)
        else:
            smooth = jnp.sum(smooth) / jnp.sum(jnp.where(valid, w[jnp.where(valid, t, 0)], 0.0))
    else:
        smooth = _checks.reduce(smooth, how)
    return _unbatch((1 - eps) * nll + smooth * (eps / c), unbatched)


def _pointwise(input, target, op, reduction):
    how = _checks.reduction(reduction, op)
    x = _checks.as_array(input, "input", op)
    t = _checks.as_array(target, "target", op)
    if x.shape != t.shape:
        # PyTorch only warns and broadcasts here; that silently computes the wrong loss.
        raise ValueError(f"{op}: input and target must have the same shape, got {tuple(x.shape)} and {tuple(t.shape)}")
    _checks.floating(x, "input", op)
    return x, t.astype(x.dtype), how


def mse_loss(input, target, reduction: str = "mean") -> jax.Array:
    """(input - target)^2, reduced."""
    x, t, how = _pointwise(input, target, "mse_loss", reduction)
    return _checks.reduce(jnp.square(x - t), how)


def l1_loss(input, target, reduction: str = "mean") -> jax.Array:
    """|input - target|, reduced."""
    x, t, how = _pointwise(input, target, "l1_loss", reduction)
    return _checks.reduce(jnp.abs(x - t), how)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable formula; pos_weight weights the positives."""
    op = "binary_cross_entropy_with_logits"
    x, t, how = _pointwise(input, target, op, reduction)
    softplus_neg = jnp.logaddexp(0.0, -x)  # log(1 + exp(-x)), stable for both signs
    if pos_weight is None:
        loss = (1 - t) * x + softplus_neg
    else:
        pw = _broadcastable(pos_weight, "pos_weight", x.shape, op)
        loss = (1 - t) * x + ((pw - 1) * t + 1) * softplus_neg
    if weight is not None:
        loss = loss * _broadcastable(weight, "weight", x.shape, op)
    return _checks.reduce(loss, how)


def _broadcastable(value, name: str, shape: tuple, op: str) -> jax.Array:
    """A weight must broadcast to the input's shape without enlarging it (PyTorch's rule)."""
    w = _checks.as_array(value, name, op)
    try:
        fits = np.broadcast_shapes(tuple(w.shape), tuple(shape)) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: {name} of shape {tuple(w.shape)} does not broadcast to the input's shape {tuple(shape)}"
        )
    return w
