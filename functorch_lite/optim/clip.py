"""Gradient clipping over pytrees, numerically equal to torch.nn.utils.clip_grad_norm_.

Clipping is a plain function on the gradient tree; call it before the optimizer:

    grads, total_norm = clip_by_global_norm(grads, max_norm=1.0)
    params, state = optimizer.update(grads, state, params)

Everything here is jit-able; ``max_norm`` may be a traced scalar.
"""

from __future__ import annotations

import numbers
from typing import Any

import jax
import jax.numpy as jnp

from .. import _checks

PyTree = Any


def _norm_type(name: str, norm_type: Any) -> float:
    try:
        # torch also accepts the string 'inf'.
        return float(norm_type)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: norm_type must be a number or 'inf', got {norm_type!r}") from None


def global_norm(tree: PyTree, norm_type: float = 2.0) -> jax.Array:
    """The p-norm of all leaves of ``tree`` viewed as one vector (0.0 for an empty tree).

    Computed as torch does: the norm of the vector of per-leaf norms.
    """
    order = _norm_type("global_norm", norm_type)
    leaves = jax.tree.leaves(tree)
    if not leaves:
        return jnp.zeros((), jnp.float32)
    norms = [jnp.linalg.vector_norm(jnp.ravel(leaf), ord=order) for leaf in leaves]
    return jnp.linalg.vector_norm(jnp.stack(norms), ord=order)


def _non_negative(value: Any, name: str, op: str) -> None:
    """A Python/numpy number must be real and >= 0 (NaN refused); arrays and tracers pass, as before."""
    if isinstance(value, numbers.Number):
        _checks.non_negative(value, name, op)


def clip_by_global_norm(grads: PyTree, max_norm: Any, norm_type: float = 2.0) -> tuple[PyTree, jax.Array]:
    """Scale ``grads`` so that their global norm is at most ``max_norm``.

    **Arguments:** ``grads`` any pytree of arrays; ``max_norm`` a non-negative scalar;
    ``norm_type`` the p of the p-norm, ``float('inf')`` for the max-abs norm.

    **Returns:** ``(clipped_grads, total_norm)``, where every leaf is multiplied by
    ``min(max_norm / (total_norm + 1e-6), 1)`` and ``total_norm`` is the norm before
    clipping, exactly like torch's ``clip_grad_norm_`` (which returns the same norm).
    """
    _non_negative(max_norm, "max_norm", "clip_by_global_norm")
    total_norm = global_norm(grads, _norm_type("clip_by_global_norm", norm_type))
    # Multiplying even when the coefficient is 1 keeps the program branch-free, as in torch.
    coefficient = jnp.minimum(max_norm / (total_norm + 1e-6), 1.0)
    clipped = jax.tree.map(lambda grad: (grad * coefficient).astype(grad.dtype), grads)
    return clipped, total_norm


def clip_by_value(grads: PyTree, clip_value: Any) -> PyTree:
    """Clamp every gradient entry to ``[-clip_value, clip_value]`` (torch clip_grad_value_)."""
    _non_negative(clip_value, "clip_value", "clip_by_value")
    return jax.tree.map(lambda grad: jnp.clip(grad, -clip_value, clip_value), grads)
