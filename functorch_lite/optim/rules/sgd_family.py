"""Pure SGD variants: ASGD (averaged SGD) and Muon (orthogonalised momentum for matrices).

The same two layers and contract as `classic.py`, with torch's single-tensor arithmetic.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ... import _checks as checks
from .lift import (
    LearningRate,
    PureOptimizer,
    PyTree,
    Scalar,
    _check_flags,
    _check_lr,
    _check_non_negative,
    _is_zero,
    _lerp,
    _lift_to_pytrees,
    _same_dtype,
    _zero_step,
)


class ASGDState(NamedTuple):
    step: jax.Array
    eta: PyTree  # a scalar per parameter: the decayed learning rate of the next step
    mu: PyTree  # a scalar per parameter: the averaging weight of the next step
    ax: PyTree  # the running average of the parameter


class MuonState(NamedTuple):
    step: jax.Array  # kept for the pytree lifting; torch's Muon saves only the buffer
    momentum_buffer: PyTree


# ---------------------------------------------------------------- ASGD


def asgd_init(param: jax.Array, *, lr: Scalar = 1e-2) -> ASGDState:
    """The first step uses ``eta = lr`` and ``mu = 1``."""
    return ASGDState(_zero_step(), jnp.asarray(lr, jnp.float32), jnp.ones((), jnp.float32), jnp.zeros_like(param))


def asgd_rule(
    param, grad, state: ASGDState, *, lr, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False
) -> tuple[jax.Array, ASGDState]:
    """One torch.optim.ASGD step for one array."""
    grad = -grad if maximize else grad
    step = state.step + 1
    if not _is_zero(weight_decay):
        grad = grad + weight_decay * param
    eta = state.eta
    new_param = param * (1 - lambd * eta)
    new_param = new_param + (-eta) * grad
    ax = jnp.where(state.mu == 1, new_param, state.ax + (new_param - state.ax) * state.mu)
    float_step = jnp.asarray(step, jnp.float32)
    new_eta = jnp.asarray(lr / ((1 + lambd * lr * float_step) ** alpha), jnp.float32)
    new_mu = jnp.asarray(1 / jnp.maximum(1.0, float_step - t0), jnp.float32)
    new_param, cast = _same_dtype(param, new_param, ASGDState(step, eta, state.mu, ax))
    return new_param, cast._replace(eta=new_eta, mu=new_mu)


def asgd(lr: LearningRate = 1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False) -> PureOptimizer:
    """torch.optim.ASGD: SGD with a decaying step and a running average of the iterates (``ax``).

    References: Polyak & Juditsky, 1992 (https://doi.org/10.1137/0330046).
    """
    _check_lr("asgd", lr)
    if callable(lr):
        raise TypeError("asgd: lr must be a number (its first step size is stored in the state), got a schedule")
    _check_non_negative("asgd", lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay)
    _check_flags("asgd", maximize=maximize)
    rule = partial(asgd_rule, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
    return _lift_to_pytrees("asgd", ASGDState, partial(asgd_init, lr=lr), rule, lr)


# ---------------------------------------------------------------- Muon

MUON_NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def _addmm(bias: jax.Array, left: jax.Array, right: jax.Array, beta: float, alpha: float) -> jax.Array:
    """``beta * bias + alpha * left @ right`` on bfloat16 inputs, accumulated in float32, rounded once."""
    product = jnp.matmul(left, right, precision=jax.lax.Precision.HIGHEST)
    return _bfloat16(beta * bias + alpha * product)


def _bfloat16(value: jax.Array) -> jax.Array:
    """`value` rounded to bfloat16, kept in float32: unlike a cast pair, XLA's fusion cannot drop the rounding."""
    return jax.lax.reduce_precision(value.astype(jnp.float32), exponent_bits=8, mantissa_bits=7)


def newton_schulz(matrix: jax.Array, coefficients=MUON_NS_COEFFICIENTS, steps: int = 5, eps: float = 1e-7):
    """The quintic Newton-Schulz iteration towards the orthogonal factor of ``matrix``, in bfloat16 as torch."""
    a, b, c = coefficients
    x = _bfloat16(matrix)
    tall = matrix.shape[0] > matrix.shape[1]
    if tall:
        x = x.T
    norm = _bfloat16(jnp.linalg.vector_norm(x))
    x = _bfloat16(x / jnp.maximum(norm, _bfloat16(jnp.asarray(eps))))
    for _ in range(steps):
        gram = _addmm(jnp.zeros((), jnp.float32), x, x.T, 0.0, 1.0)
        gram_update = _addmm(gram, gram, gram, b, c)
        x = _addmm(x, gram_update, x, a, 1.0)
    return x.T if tall else x


def muon_adjusted_lr(lr: Scalar, adjust_lr_fn: str | None, shape: tuple[int, ...]) -> Scalar:
    """torch's rescaling of the lr by the matrix's shape (``"original"`` or ``"match_rms_adamw"``)."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr


def muon_init(param: jax.Array) -> MuonState:
    return MuonState(_zero_step(), jnp.zeros_like(param))


def muon_rule(
    param,
    grad,
    state: MuonState,
    *,
    lr,
    weight_decay=0.1,
    momentum=0.95,
    nesterov=True,
    ns_coefficients=MUON_NS_COEFFICIENTS,
    eps=1e-7,
    ns_steps=5,
    adjust_lr_fn=None,
) -> tuple[jax.Array, MuonState]:
    """One torch.optim.Muon step for one matrix.

    As torch 2.13's code (not its docstring's formula): the buffer is ``lerp(buffer, grad, 1 - momentum)``
    and the Nesterov update is ``lerp(grad, buffer, momentum)``; weight decay uses the unadjusted lr.
    """
    buffer = _lerp(state.momentum_buffer, grad, 1 - momentum)
    update = _lerp(grad, buffer, momentum) if nesterov else buffer
    update = newton_schulz(update, ns_coefficients, ns_steps, eps).astype(param.dtype)
    new_param = param * (1 - lr * weight_decay)
    new_param = new_param + (-muon_adjusted_lr(lr, adjust_lr_fn, param.shape)) * update
    return _same_dtype(param, new_param, MuonState(state.step + 1, buffer))


def check_muon_options(name: str, ns_coefficients: Any, ns_steps: Any, adjust_lr_fn: Any) -> None:
    """Muon's own options (the pure factory and the class)."""
    if not isinstance(ns_coefficients, (tuple, list)) or len(ns_coefficients) != 3:
        raise ValueError(f"{name}: ns_coefficients must be 3 numbers (a, b, c), got {ns_coefficients!r}")
    for index, value in enumerate(ns_coefficients):
        checks.real(value, f"ns_coefficients[{index}]", name)
    checks.positive_int(ns_steps, "ns_steps", name)
    if ns_steps >= 100:
        raise ValueError(f"{name}: ns_steps must be less than 100, got {ns_steps!r}")
    if adjust_lr_fn not in (None, "original", "match_rms_adamw"):
        raise ValueError(f"{name}: adjust_lr_fn must be None, 'original' or 'match_rms_adamw', got {adjust_lr_fn!r}")


def muon(
    lr: LearningRate = 1e-3,
    weight_decay=0.1,
    momentum=0.95,
    nesterov=True,
    ns_coefficients=MUON_NS_COEFFICIENTS,
    eps=1e-7,
    ns_steps=5,
    adjust_lr_fn=None,
) -> PureOptimizer:
    """torch.optim.Muon, for 2-D parameters only.

    References: Jordan et al., 2024 (https://kellerjordan.github.io/posts/muon/).
    """
    _check_lr("muon", lr)
    _check_non_negative("muon", weight_decay=weight_decay, momentum=momentum, eps=eps)
    _check_flags("muon", nesterov=nesterov)
    check_muon_options("muon", ns_coefficients, ns_steps, adjust_lr_fn)
    rule = partial(
        muon_rule,
        weight_decay=weight_decay,
        momentum=momentum,
        nesterov=nesterov,
        ns_coefficients=tuple(ns_coefficients),
        eps=eps,
        ns_steps=ns_steps,
        adjust_lr_fn=adjust_lr_fn,
    )

    def init(param):
        if jnp.ndim(param) != 2:
            raise ValueError(f"muon: only 2-D parameters are supported, got shape {jnp.shape(param)}")
        return muon_init(param)

    return _lift_to_pytrees("muon", MuonState, init, rule, lr)
