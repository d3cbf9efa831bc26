"""More losses of `torch.nn.functional`: margin losses, CTC, linear cross-entropy; and `rrelu`.

`ctc_loss` runs the CTC forward recursion as a `lax.scan` over time in log space, with
PyTorch's reductions, `zero_infinity` and PyTorch's gradient with respect to `log_probs`
(which assumes they are log-softmax outputs). `OPS` maps the names to the functions.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .. import _checks
from .activation_table import pairwise_distance
from .losses import cross_entropy


def _reduce(loss, reduction, op):
    return _checks.reduce(loss, _checks.reduction(reduction, op))


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p!r}")
    x = jnp.reshape(input, (1, -1)) if input.ndim <= 1 else input  # a 0-d input is one class
    y = jnp.reshape(target, (-1,)).astype(jnp.int32)
    picked = jnp.take_along_axis(x, y[:, None], axis=1)
    terms = jnp.maximum(0.0, margin - picked + x) ** p
    if weight is not None:
        terms = terms * weight[y][:, None]
    terms = jnp.where(jnp.arange(x.shape[1]) == y[:, None], 0.0, terms)
    loss = jnp.sum(terms, axis=1) / x.shape[1]
    # PyTorch's unreduced shape follows the target: one loss per frame, or a 0-d loss for a 0-d target.
    return _reduce(loss.reshape(()) if jnp.ndim(target) == 0 else loss, reduction, "multi_margin_loss")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    x = jnp.reshape(input, (1, -1)) if input.ndim <= 1 else input  # a 0-d input is one class
    y = (jnp.reshape(target, (1, -1)) if target.ndim <= 1 else target).astype(jnp.int32)
    listed = jnp.cumprod(y != -1, axis=1).astype(bool)  # labels up to the first -1
    safe = jnp.where(listed, y, 0)
    is_target = jnp.any(listed[:, :, None] & (safe[:, :, None] == jnp.arange(x.shape[1])), axis=1)
    picked = jnp.take_along_axis(x, safe, axis=1)
    terms = jnp.maximum(0.0, 1.0 - picked[:, :, None] + x[:, None, :])
    terms = jnp.where(listed[:, :, None] & ~is_target[:, None, :], terms, 0.0)
    loss = jnp.sum(terms, axis=(1, 2)) / x.shape[1]
    return _reduce(loss[0] if input.ndim <= 1 else loss, reduction, "multilabel_margin_loss")


def triplet_hinge(d_pos, d_neg, d_swap=None, margin=1.0, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) from given distances; `d_swap` is d(p, n) when swapping."""
    if d_swap is not None:
        d_neg = jnp.minimum(d_neg, d_swap)
    return _reduce(jnp.maximum(d_pos - d_neg + margin, 0.0), reduction, "triplet_margin_with_distance_loss")


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"
):
    distance = pairwise_distance if distance_function is None else distance_function
    d_swap = distance(positive, negative) if swap else None
    return triplet_hinge(distance(anchor, positive), distance(anchor, negative), d_swap, margin, reduction)


def _logsumexp(*terms):
    """log(sum(exp(terms))) whose gradient stays zero (never NaN) where every term is -inf."""
    top = functools.reduce(jnp.maximum, terms)
    top = jax.lax.stop_gradient(jnp.where(jnp.isfinite(top), top, 0.0))
    total = sum(jnp.exp(t - top) for t in terms)
    positive = total > 0
    return jnp.where(positive, top + jnp.log(jnp.where(positive, total, 1.0)), -jnp.inf)


def _ctc_nll_plain(log_probs, targets, input_lengths, target_lengths, blank):
    """Per-sample -log p(target | input): log_probs (T, N, C), padded targets (N, S)."""
    t_max, n, _ = log_probs.shape
    s = targets.shape[1]
    ext = jnp.full((n, 2 * s + 1), blank, jnp.int32).at[:, 1::2].set(targets)
    # A skip from s-2 is allowed onto a label that differs from the label two back.
    skip = jnp.concatenate([jnp.zeros((n, 2), bool), (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])], axis=1)
    neg = jnp.asarray(-jnp.inf, log_probs.dtype)
    emit0 = jnp.take_along_axis(log_probs[0], ext, axis=1)
    alpha0 = jnp.where(jnp.arange(2 * s + 1) < jnp.minimum(2, 2 * target_lengths[:, None] + 1), emit0, neg)

    def step(alpha, inputs):
        lp, t = inputs
        shift1 = jnp.concatenate([jnp.full((n, 1), neg), alpha[:, :-1]], axis=1)
        shift2 = jnp.concatenate([jnp.full((n, 2), neg), alpha[:, :-2]], axis=1)
        new = _logsumexp(alpha, shift1, jnp.where(skip, shift2, neg)) + jnp.take_along_axis(lp, ext, axis=1)
        return jnp.where((t < input_lengths)[:, None], new, alpha), None

    alpha, _ = jax.lax.scan(step, alpha0, (log_probs[1:], jnp.arange(1, t_max)))
    last = jnp.take_along_axis(alpha, 2 * target_lengths[:, None], axis=1)[:, 0]
    before = jnp.take_along_axis(alpha, jnp.maximum(2 * target_lengths[:, None] - 1, 0), axis=1)[:, 0]
    return -_logsumexp(last, jnp.where(target_lengths > 0, before, neg))


def _ctc_nll(log_probs, targets, input_lengths, target_lengths, blank):
    """The CTC loss per sample, with PyTorch's gradient: the true one plus exp(log_probs) on each valid step
    (equal to the true one once log_probs come from log_softmax), added by a term whose value is zero."""
    nll = _ctc_nll_plain(log_probs, targets, input_lengths, target_lengths, blank)
    valid = (jnp.arange(log_probs.shape[0])[:, None] < input_lengths[None, :])[:, :, None]
    mass = jnp.sum(jnp.where(valid, jnp.exp(log_probs), 0.0), axis=(0, 2))
    return nll + (mass - jax.lax.stop_gradient(mass))


def ctc_padded_targets(targets, target_lengths, width: int):
    """Concatenated CTC targets (sum of lengths,) as padded rows (N, width); padding holds 0."""
    lengths = jnp.reshape(jnp.asarray(target_lengths), (-1,)).astype(jnp.int32)
    offsets = jnp.cumsum(lengths) - lengths
    pos = jnp.clip(offsets[:, None] + jnp.arange(width), 0, max(targets.shape[0] - 1, 0))
    return jnp.where(jnp.arange(width) < lengths[:, None], targets[pos], 0).astype(jnp.int32)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist temporal classification loss; log_probs (T, N, C) or (T, C)."""
    op = "ctc_loss"
    how = _checks.reduction(reduction, op)
    unbatched = log_probs.ndim == 2
    lp = log_probs[:, None] if unbatched else log_probs
    in_len = jnp.reshape(jnp.asarray(input_lengths), (-1,)).astype(jnp.int32)
    tg_len = jnp.reshape(jnp.asarray(target_lengths), (-1,)).astype(jnp.int32)
    targets = jnp.asarray(targets).astype(jnp.int32)
    if unbatched:
        targets = targets.reshape(1, -1)
    if targets.ndim == 1:  # concatenated targets: pad each sample's run to the total length
        targets = ctc_padded_targets(targets, tg_len, targets.shape[0])
    nll = _ctc_nll(lp, targets, in_len, tg_len, int(blank))
    if zero_infinity:
        nll = jnp.where(jnp.isinf(nll), 0.0, nll)
    if how == "mean":
        return jnp.mean(nll / jnp.maximum(tg_len, 1).astype(nll.dtype))
    out = _checks.reduce(nll, how)
    return out[0] if unbatched and how == "none" else out


def linear_cross_entropy(
    input,
    linear_weight,
    target,
    linear_bias=None,
    weight=None,
    reduction="mean",
    ignore_index=None,
    label_smoothing=0.0,
    options=None,
):
    """cross_entropy of the logits input @ linear_weight (C, *out, in) (+ linear_bias), classes in dim 1."""
    logits = jnp.tensordot(input, linear_weight, axes=([-1], [-1]))
    if linear_bias is not None:
        logits = logits + linear_bias
    index = -100 if ignore_index is None else ignore_index
    return cross_entropy(logits, target, weight, index, reduction, label_smoothing)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False, *, key=None):
    """x for x >= 0, else a * x: a ~ U(lower, upper) per element while training (needs `key`), else the mean."""
    if not training:
        return jnp.where(input >= 0, input, input * ((lower + upper) / 2))
    if key is None:
        raise ValueError("rrelu: training=True needs key= (a PRNG key)")
    slopes = jax.random.uniform(key, input.shape, input.dtype, lower, upper)
    return jnp.where(input >= 0, input, input * slopes)


OPS = {
    f.__name__: f
    for f in (
        multi_margin_loss,
        multilabel_margin_loss,
        triplet_margin_with_distance_loss,
        ctc_loss,
        linear_cross_entropy,
        rrelu,
    )
}
