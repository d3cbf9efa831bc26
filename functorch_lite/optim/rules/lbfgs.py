"""L-BFGS as a pure minimisation step over a flat vector (torch.optim.LBFGS's class is `optim/lbfgs.py`).

L-BFGS differs from the other optimizers: one `step` re-evaluates the loss several times (a
closure), keeps a history of curvature pairs whose length varies, and takes data-dependent
decisions (stopping tests, the strong-Wolfe line search). So its pure form is
``lbfgs_step(evaluate, x, state, **options) -> (x, state, loss)`` over one flat float vector,
where ``evaluate(x) -> (loss, flat_grad)``; it runs eagerly (its control flow reads values),
not inside ``jax.jit``. The arithmetic and the order of the tests follow torch's `LBFGS`.

References: Nocedal & Wright, Numerical Optimization, 2006 (algorithms 7.4 and 3.5-3.6).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

Evaluate = Callable[[jax.Array], tuple[float, jax.Array]]


class LBFGSState(NamedTuple):
    """torch's `state[first_param]` keys; history lists hold the last `history_size` pairs."""

    func_evals: int = 0
    n_iter: int = 0
    al: list | None = None  # the two-loop recursion's coefficients (torch keeps them, padded with None)
    d: jax.Array | None = None  # the last search direction
    t: float | None = None  # the last step length
    old_dirs: list | None = None  # y_k = grad_{k+1} - grad_k
    old_stps: list | None = None  # s_k = t_k d_k
    ro: list | None = None  # 1 / (y_k . s_k)
    H_diag: float = 1.0  # noqa: N815 - torch's key; the initial inverse-Hessian scale
    prev_flat_grad: jax.Array | None = None
    prev_loss: float | None = None


def _dot(a: jax.Array, b: jax.Array) -> float:
    return float(jnp.dot(a, b, precision=jax.lax.Precision.HIGHEST))


def _max_abs(x: jax.Array) -> float:
    return float(jnp.max(jnp.abs(x)))


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to ``bounds``."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = d2_square**0.5
    if x1 <= x2:
        minimum = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimum = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, low), high)


def strong_wolfe(
    evaluate_at: Callable[[float], tuple[float, jax.Array]],
    d: jax.Array,
    t: float,
    f: float,
    g: jax.Array,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, jax.Array, float, int]:
    """Line search for a step satisfying the strong Wolfe conditions: ``(f, g, t, evaluations)``.

    A bracketing phase (grow the step by cubic extrapolation until the interval holds a point
    satisfying the conditions), then a zoom phase (shrink it by cubic interpolation).
    """
    d_norm = _max_abs(d)
    f_new, g_new = evaluate_at(t)
    evaluations = 1
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done, ls_iter = False, 0
    bracket = None
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [(t_prev, f_prev, g_prev, gtd_prev), (t, f_new, g_new, gtd_new)]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [(t, f_new, g_new, gtd_new)], True
            break
        if gtd_new >= 0:
            bracket = [(t_prev, f_prev, g_prev, gtd_prev), (t, f_new, g_new, gtd_new)]
            break
        t_next = cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10)
        )
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate_at(t)
        evaluations += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [(0.0, f, g, gtd), (t, f_new, g_new, gtd_new)]
    if done:
        t, f_new, g_new, _ = bracket[0]
        return f_new, g_new, t, evaluations

    insufficient_progress = False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while ls_iter < max_ls:
        if abs(bracket[1][0] - bracket[0][0]) * d_norm < tolerance_change:
            break
        (t0, f0, _, gtd0), (t1, f1, _, gtd1) = bracket
        t = cubic_interpolate(t0, f0, gtd0, t1, f1, gtd1)
        top, bottom = max(t0, t1), min(t0, t1)
        eps = 0.1 * (top - bottom)
        # Too close to an end of the bracket: move away from it, unless the last move helped.
        if min(top - t, t - bottom) < eps:
            if insufficient_progress or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate_at(t)
        evaluations += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
        point = (t, f_new, g_new, gtd_new)
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = point
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = point
        if done:
            break
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evaluations


def _two_loop_direction(flat_grad: jax.Array, state: LBFGSState, history_size: int) -> tuple[jax.Array, list]:
    """The L-BFGS direction ``-H grad`` from the stored pairs (the two-loop recursion), and its alphas."""
    q = -flat_grad
    alphas = list(state.al) if state.al is not None else [None] * history_size
    for i in range(len(state.old_dirs) - 1, -1, -1):
        alphas[i] = _dot(state.old_stps[i], q) * state.ro[i]
        q = q - alphas[i] * state.old_dirs[i]
    r = q * state.H_diag
    for i in range(len(state.old_dirs)):
        beta = _dot(state.old_dirs[i], r) * state.ro[i]
        r = r + (alphas[i] - beta) * state.old_stps[i]
    return r, alphas


def lbfgs_step(
    evaluate: Evaluate,
    x: jax.Array,
    state: LBFGSState,
    *,
    lr: float = 1.0,
    max_iter: int = 20,
    max_eval: int | None = None,
    tolerance_grad: float = 1e-7,
    tolerance_change: float = 1e-9,
    history_size: int = 100,
    line_search_fn: str | None = None,
) -> tuple[jax.Array, LBFGSState, float]:
    """Up to ``max_iter`` L-BFGS iterations from ``x``; returns ``(x, state, loss at the start)``."""
    max_eval = max_iter * 5 // 4 if max_eval is None else max_eval

    def evaluate_float(at: jax.Array) -> tuple[float, jax.Array]:
        loss, grad = evaluate(at)
        return float(loss), grad

    orig_loss, flat_grad = evaluate(x)
    loss, evaluations = float(orig_loss), 1
    state = state._replace(func_evals=state.func_evals + 1)
    if _max_abs(flat_grad) <= tolerance_grad:
        return x, state, orig_loss
    d, t = state.d, state.t
    for n_iter in range(1, max_iter + 1):
        state = state._replace(n_iter=state.n_iter + 1)
        if state.n_iter == 1:
            d = -flat_grad
            state = state._replace(old_dirs=[], old_stps=[], ro=[], H_diag=1.0)
        else:
            y, s = flat_grad - state.prev_flat_grad, d * t
            ys = _dot(y, s)
            if ys > 1e-10:  # keep the pair only when the curvature condition holds
                keep = slice(1, None) if len(state.old_dirs) == history_size else slice(None)
                state = state._replace(
                    old_dirs=[*state.old_dirs[keep], y],
                    old_stps=[*state.old_stps[keep], s],
                    ro=[*state.ro[keep], 1.0 / ys],
                    H_diag=ys / _dot(y, y),
                )
            d, alphas = _two_loop_direction(flat_grad, state, history_size)
            state = state._replace(al=alphas)
        state = state._replace(prev_flat_grad=flat_grad, prev_loss=loss)
        prev_loss = loss
        t = min(1.0, 1.0 / float(jnp.sum(jnp.abs(flat_grad)))) * lr if state.n_iter == 1 else lr
        gtd = _dot(flat_grad, d)
        if gtd > -tolerance_change:  # not a descent direction
            break
        if line_search_fn is not None:
            loss, flat_grad, t, ls_evals = strong_wolfe(
                lambda step, x=x, d=d: evaluate_float(x + step * d),
                d,
                t,
                loss,
                flat_grad,
                gtd,
                max_ls=max_eval - evaluations,
            )
            x = x + t * d
        else:
            x, ls_evals = x + t * d, 0
            if n_iter != max_iter:
                loss, flat_grad = evaluate_float(x)
                ls_evals = 1
        evaluations += ls_evals
        state = state._replace(func_evals=state.func_evals + ls_evals)
        converged = _max_abs(flat_grad) <= tolerance_grad
        if n_iter == max_iter or evaluations >= max_eval or converged:
            break
        if _max_abs(d * t) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
            break
    return x, state._replace(d=d, t=t), orig_loss


__all__ = ["LBFGSState", "cubic_interpolate", "lbfgs_step", "strong_wolfe"]
