"""Pointwise losses of `torch.nn.functional` as table rows: the elementwise term, then the reduction.

Each function has torch.nn.functional's name, arguments and defaults, works on jax arrays and is
safe under `jit`/`grad`/`vmap`; `nn.functional` wraps each through the autograd dispatcher.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _checks


def _reduce(loss, reduction, op):
    return _checks.reduce(loss, _checks.reduction(reduction, op))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    diff = jnp.abs(input - target)
    loss = jnp.where(diff < beta, 0.5 * diff**2 / beta, diff - 0.5 * beta) if beta > 0 else diff
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    diff = jnp.abs(input - target)
    loss = jnp.where(diff < delta, 0.5 * diff**2, delta * (diff - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "huber_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _reduce(jnp.logaddexp(0.0, -target * input), reduction, "soft_margin_loss")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if log_target:
        loss = jnp.exp(target) * (target - input)
    else:
        loss = jax.scipy.special.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return jnp.sum(loss) / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    log_p = jnp.maximum(jnp.log(input), -100.0)
    log_q = jnp.maximum(jnp.log1p(-input), -100.0)
    loss = -(target * log_p + (1 - target) * log_q)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    return _reduce(jnp.maximum(0.0, -target * (input1 - input2) + margin), reduction, "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    loss = jnp.where(target == 1, input, 0.0) + jnp.where(target == -1, jnp.maximum(0.0, margin - input), 0.0)
    return _reduce(loss, reduction, "hinge_embedding_loss")


def poisson_nll_loss(
    input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"
):
    loss = jnp.exp(input) - target * input if log_input else input - target * jnp.log(input + eps)
    if full:
        stirling = target * jnp.log(target) - target + 0.5 * jnp.log(2 * jnp.pi * target)
        loss = loss + jnp.where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if var.ndim == input.ndim - 1 or (var.ndim == input.ndim and var.shape[-1] == 1 and input.shape[-1] != 1):
        var = var if var.ndim == input.ndim else var[..., None]
    var = jnp.maximum(var, eps)
    loss = 0.5 * (jnp.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * jnp.log(2 * jnp.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    loss = -(target * jax.nn.log_sigmoid(input) + (1 - target) * jax.nn.log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(jnp.mean(loss, axis=-1), reduction, "multilabel_soft_margin_loss")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    eps = 1e-12
    dot = jnp.sum(input1 * input2, axis=-1)
    norms = jnp.sqrt((jnp.sum(input1 * input1, axis=-1) + eps) * (jnp.sum(input2 * input2, axis=-1) + eps))
    cos = dot / norms
    loss = jnp.where(target == 1, 1 - cos, jnp.where(target == -1, jnp.maximum(0.0, cos - margin), 0.0))
    return _reduce(loss, reduction, "cosine_embedding_loss")


def triplet_margin_loss(
    anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
    reduction="mean",
):  # fmt: skip
    def dist(a, b):
        return jnp.linalg.vector_norm(a - b + eps, ord=p, axis=-1)

    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = jnp.minimum(d_neg, dist(positive, negative))
    return _reduce(jnp.maximum(d_pos - d_neg + margin, 0.0), reduction, "triplet_margin_loss")


LOSSES = {
    f.__name__: f
    for f in (
        smooth_l1_loss, huber_loss, soft_margin_loss, kl_div, binary_cross_entropy, margin_ranking_loss,
        hinge_embedding_loss, poisson_nll_loss, gaussian_nll_loss, multilabel_soft_margin_loss,
        cosine_embedding_loss, triplet_margin_loss,
    )
}  # fmt: skip
