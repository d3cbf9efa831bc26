"""Losses with torch.nn.functional's signatures, reductions and weighting rules."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _checks, _value_checks
from .activations import log_softmax


def _class_targets(logp: jax.Array, target: jax.Array, ignore_index: int, op: str) -> jax.Array:
    """Checks integer class targets against (N, C, ...) log-probabilities; returns them as int32."""
    _checks.integer(ignore_index, "ignore_index", op)
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


def _class_weight(weight, c: int, op: str) -> jax.Array | None:
    """A per-class rescaling weight of shape (C,), or None."""
    w = None if weight is None else _checks.as_array(weight, "weight", op)
    if w is not None and w.shape != (c,):
        raise ValueError(f"{op}: expected weight of shape ({c},), got {tuple(w.shape)}")
    return w


def _per_class(w: jax.Array, ndim: int) -> jax.Array:
    """A (C,) weight shaped to broadcast over dim 1 of an (N, C, ...) array."""
    return w.reshape((1, w.shape[0]) + (1,) * (ndim - 2))


def _nll_args(input, target, weight, ignore_index, reduction, op="nll_loss"):
    how = _checks.reduction(reduction, op)
    logp, t, unbatched = _as_batched(input, target, op)
    if not jnp.issubdtype(t.dtype, jnp.integer):
        raise TypeError(f"{op}: expected integer class indices as target, got dtype {t.dtype}")
    t = _class_targets(logp, t, ignore_index, op)
    return logp, t, _class_weight(weight, logp.shape[1], op), how, unbatched


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean") -> jax.Array:
    """Negative log-likelihood of class indices `target` (N, ...) under log-probabilities `input` (N, C, ...)."""
    logp, t, w, how, unbatched = _nll_args(input, target, weight, ignore_index, reduction)
    return _unbatch(_nll(logp, t, w, ignore_index, how), unbatched)


def _nll(logp, t, w, ignore_index, how):
    valid = t != ignore_index
    safe = jnp.where(valid, t, 0)
    # The target's log-probability as a masked sum over classes rather than a gather: its
    # gradient is then elementwise and fuses into log_softmax's, where a gather's is a scatter
    # into a zeroed (N, C) array (benchmarks/README.md, "Cross-entropy").
    # A class index outside [0, C) that no check caught (under jit) gives NaN, never a finite loss.
    classes = lax.broadcasted_iota(safe.dtype, logp.shape, 1)
    picked = jnp.sum(jnp.where(classes == safe[:, None], logp, jnp.zeros((), logp.dtype)), axis=1)
    picked = jnp.where((safe >= 0) & (safe < logp.shape[1]), picked, jnp.asarray(jnp.nan, logp.dtype))
    w = jnp.ones((logp.shape[1],), logp.dtype) if w is None else w
    wt = jnp.where(valid, w[safe], 0.0).astype(logp.dtype)
    # Ignored positions get exactly zero gradient even when the mean divides by a zero weight sum
    # (all targets ignored): PyTorch returns nan there with a zero input gradient.
    loss = jnp.where(valid, -picked * wt, 0.0)
    return jnp.sum(loss) / jnp.sum(wt) if how == "mean" else _checks.reduce(loss, how)


def _cross_entropy_args(input, target, weight, ignore_index, reduction, label_smoothing, op="cross_entropy"):
    """Checked arguments of one cross_entropy call; integer targets come back as int32 class indices."""
    how = _checks.reduction(reduction, op)
    eps = _checks.probability(label_smoothing, "label_smoothing", op)
    x, t, unbatched = _as_batched(input, target, op)
    w = _class_weight(weight, x.shape[1], op)
    if jnp.issubdtype(t.dtype, jnp.floating):  # class probabilities
        if t.shape != x.shape:
            raise ValueError(
                f"{op}: a floating-point target holds class probabilities and must have the input's shape "
                f"{tuple(x.shape)}, got {tuple(t.shape)}; for class indices pass an integer target"
            )
    elif jnp.issubdtype(t.dtype, jnp.integer):
        t = _class_targets(x, t, ignore_index, op)
    else:
        raise TypeError(f"{op}: expected integer class indices or float probabilities as target, got {t.dtype}")
    return x, t, w, how, eps, unbatched


def cross_entropy(
    input, target, weight=None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
) -> jax.Array:
    """`log_softmax` over dim 1, then the negative log-likelihood, as `torch.nn.functional.cross_entropy`.

    `target` holds class indices (N, ...) (an integer dtype) or class probabilities
    (N, C, ...) (a floating dtype); `label_smoothing` mixes in the uniform distribution.
    """
    x, t, w, how, eps, unbatched = _cross_entropy_args(input, target, weight, ignore_index, reduction, label_smoothing)
    logp, c = log_softmax(x, dim=1), x.shape[1]
    if jnp.issubdtype(t.dtype, jnp.floating):
        t = t * (1 - eps) + eps / c if eps else t
        per = -(logp * t if w is None else logp * t * _per_class(w, x.ndim)).sum(axis=1)
        return jnp.sum(per) / per.size if how == "mean" else _unbatch(_checks.reduce(per, how), unbatched)
    loss = _nll(logp, t, w, ignore_index, how)
    if eps:
        loss = (1 - eps) * loss + _smoothing(logp, t, w, ignore_index, how) * (eps / c)
    return _unbatch(loss, unbatched)


def _smoothing(logp, t, w, ignore_index, how):
    """The uniform-distribution term of label smoothing, reduced like the NLL term."""
    valid = t != ignore_index
    smooth = jnp.where(valid, -(logp if w is None else logp * _per_class(w, logp.ndim)).sum(axis=1), 0.0)
    if how != "mean":
        return _checks.reduce(smooth, how)
    total = jnp.sum(valid) if w is None else jnp.sum(jnp.where(valid, w[jnp.where(valid, t, 0)], 0.0))
    return jnp.sum(smooth) / total


def _pointwise(input, target, op, reduction):
    """Checked input, target (same shape, cast to the input's dtype) and reduction of a pointwise loss."""
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
    """Sigmoid + binary cross-entropy in one stable formula; `pos_weight` weights the positives."""
    op = "binary_cross_entropy_with_logits"
    x, t, how = _pointwise(input, target, op, reduction)
    pw = None if pos_weight is None else _broadcastable(pos_weight, "pos_weight", x.shape, op)
    w = None if weight is None else _broadcastable(weight, "weight", x.shape, op)
    softplus_neg = jnp.logaddexp(0.0, -x)  # log(1 + exp(-x)), stable for both signs
    loss = (1 - t) * x + (softplus_neg if pw is None else ((pw - 1) * t + 1) * softplus_neg)
    return _checks.reduce(loss if w is None else loss * w, how)


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
