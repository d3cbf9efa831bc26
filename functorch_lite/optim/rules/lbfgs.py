"""L-BFGS as a pure minimisation step over a flat vector (torch.optim.LBFGS's class is `optim/lbfgs.py`).

L-BFGS differs from the other optimizers: one `step` re-evaluates the loss several times (a
closure), keeps a history of curvature pairs whose length varies, and takes data-dependent
decisions (stopping tests, the strong-Wolfe line search). So its pure form is
``lbfgs_step(evaluate, x, state, **options) -> (x, state, loss)`` over one flat float vector,
where ``evaluate(x) -> (loss, flat_grad)``; it runs eagerly (its control flow reads values),
not inside ``jax.jit``.

The arithmetic follows torch's `LBFGS` operation by operation, in the same precision: torch keeps
``ys``, ``ro``, ``H_diag``, the two-loop coefficients, ``gtd`` and the first step length as 0-d
tensors of the parameters' dtype, while losses (and ``lr`` unless it is a Tensor) are Python
floats. Those values are `TensorScalar`s here, and ``x + alpha * v`` is one fused multiply-add
as in torch's ``add_(v, alpha=)``; given torch's dot products, the trajectory is torch's bit for
bit. The dot products themselves are XLA's, summed in another order than torch's BLAS (an ulp
apart); where L-BFGS amplifies rounding (small fixed steps, many iterations, near an optimum),
that alone moves the trajectory, as it moves torch's own under another BLAS.

References: Nocedal & Wright, Numerical Optimization, 2006 (algorithms 7.4 and 3.5-3.6).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

Evaluate = Callable[[jax.Array], tuple[float, jax.Array]]


class TensorScalar:
    """A 0-d tensor's value with torch's arithmetic: results keep the tensor's dtype.

    A Python number is first rounded to that dtype (torch's wrapped-number rule), so
    comparisons happen in it too; ``number / x`` is ``x.reciprocal() * number`` (torch's
    ``Tensor.__rtruediv__``). Plain numpy scalars differ on both counts.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value[()] if isinstance(value, np.ndarray) else value  # a numpy scalar

    def _other(self, other: Any) -> Any:
        if isinstance(other, TensorScalar):
            return other.value
        if isinstance(other, (int, float)):
            return self.value.dtype.type(other)
        return NotImplemented

    def _apply(self, other: Any, op: Callable[[Any, Any], Any]) -> Any:
        value = self._other(other)
        if value is NotImplemented:
            return NotImplemented
        with np.errstate(all="ignore"):  # inf and nan as torch gives them, without numpy's warnings
            return TensorScalar(op(self.value, value))

    def __add__(self, other):
        return self._apply(other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._apply(other, lambda a, b: b + a)

    def __sub__(self, other):
        return self._apply(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._apply(other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._apply(other, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._apply(other, lambda a, b: b * a)

    def __truediv__(self, other):
        return self._apply(other, lambda a, b: a / b)

    def __rtruediv__(self, other):
        return self._apply(other, lambda a, b: (a.dtype.type(1) / a) * b)

    def __pow__(self, exponent):  # torch: x ** 2 is x * x, x ** 0.5 a square root
        return self._apply(exponent, lambda a, b: a * a if b == 2 else np.sqrt(a) if b == 0.5 else a**b)

    def __neg__(self):
        return TensorScalar(-self.value)

    def __abs__(self):
        return TensorScalar(abs(self.value))

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def _compare(self, other: Any, op: Callable[[Any, Any], Any]) -> Any:
        value = self._other(other)
        return NotImplemented if value is NotImplemented else bool(op(self.value, value))

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        return f"TensorScalar({self.value!r})"


class LBFGSState(NamedTuple):
    """torch's `state[first_param]` keys; history lists hold the last `history_size` pairs.

    The values torch keeps as 0-d tensors (``t`` when it came from a Tensor, ``ro``, ``al``,
    ``H_diag`` after the first pair) are 0-d arrays here; the others are Python numbers.
    """

    func_evals: int = 0
    n_iter: int = 0
    al: list | None = None  # the two-loop recursion's coefficients (torch keeps them, padded with None)
    d: jax.Array | None = None  # the last search direction
    t: Any = None  # the last step length
    old_dirs: list | None = None  # y_k = grad_{k+1} - grad_k
    old_stps: list | None = None  # s_k = t_k d_k
    ro: list | None = None  # 1 / (y_k . s_k)
    H_diag: Any = 1  # noqa: N815 - torch's key; the initial inverse-Hessian scale
    prev_flat_grad: jax.Array | None = None
    prev_loss: float | None = None


def _scalar(value: Any) -> Any:
    """A state or option value as the step computes with it: arrays become `TensorScalar`s."""
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        return TensorScalar(np.asarray(value).reshape(()))
    return value


def _array(value: Any) -> Any:
    """The inverse of `_scalar`, for the state the step returns."""
    return jnp.asarray(value.value) if isinstance(value, TensorScalar) else value


def _dot(a: jax.Array, b: jax.Array) -> TensorScalar:
    return TensorScalar(np.asarray(jnp.dot(a, b, precision=jax.lax.Precision.HIGHEST)))


def _max_abs(x: jax.Array) -> TensorScalar:
    return TensorScalar(np.asarray(jnp.max(jnp.abs(x))))


def _sum_abs(x: jax.Array) -> TensorScalar:
    return TensorScalar(np.asarray(jnp.sum(jnp.abs(x))))


@jax.jit
def _fused_add(x: jax.Array, alpha: jax.Array, v: jax.Array) -> jax.Array:
    return x + alpha * v  # one rounding per element (XLA fuses it), as torch's x.add_(v, alpha=alpha)


def _add_scaled(x: jax.Array, alpha: Any, v: jax.Array) -> jax.Array:
    """``x + alpha * v`` as torch's ``add_(v, alpha=alpha)``: ``alpha`` rounded to ``x``'s dtype first."""
    return _fused_add(x, np.asarray(float(alpha), x.dtype), v)


def _scaled(v: jax.Array, alpha: Any) -> jax.Array:
    """``v * alpha`` as torch's ``v.mul(alpha)``."""
    return v * np.asarray(float(alpha), v.dtype)


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None) -> Any:
    """The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to ``bounds``."""
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if not d2_square >= 0:
        return (low + high) / 2.0
    d2 = d2_square**0.5
    if x1 <= x2:
        minimum = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimum = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, low), high)


def strong_wolfe(
    evaluate_at: Callable[[Any], tuple[float, jax.Array]],
    d: jax.Array,
    t: Any,
    f: float,
    g: jax.Array,
    gtd: Any,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, jax.Array, Any, int]:
    """Line search for a step satisfying the strong Wolfe conditions: ``(f, g, t, evaluations)``.

    A bracketing phase (grow the step by cubic extrapolation until the interval holds a point
    satisfying the conditions), then a zoom phase (shrink it by cubic interpolation). ``t`` and
    ``gtd`` may be Python numbers or `TensorScalar`s; each is computed with as torch does.
    """
    d_norm = _max_abs(d)
    f_new, g_new = evaluate_at(t)
    evaluations = 1
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done, ls_iter = False, 0
    bracket = None
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = [(t_prev, f_prev, g_prev, gtd_prev), (t, f_new, g_new, gtd_new)]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [(t, f_new, g_new, gtd_new)], True
            break
        if gtd_new >= 0:
            bracket = [(t_prev, f_prev, g_prev, gtd_prev), (t, f_new, g_new, gtd_new)]
            break
        bounds = (t + 0.01 * (t - t_prev), t * 10)
        t_next = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=bounds)
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate_at(t)
        evaluations += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [(0, f, g, None), (t, f_new, g_new, None)]  # torch keeps no slopes here: no zoom follows
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
        top, bottom = max(t0, t1), min(t0, t1)  # Python's max/min: ties keep the first, as torch's max(bracket)
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
        if f_new > (f + c1 * t * gtd) or f_new >= bracket[low][1]:
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


def _two_loop_direction(flat_grad: jax.Array, old_dirs: list, old_stps: list, ro: list, H_diag: Any, al: list):
    """The L-BFGS direction ``-H grad`` from the stored pairs (the two-loop recursion); fills ``al``."""
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = _dot(old_stps[i], q) * ro[i]
        q = _add_scaled(q, -al[i], old_dirs[i])
    r = _scaled(q, H_diag)
    for i in range(len(old_dirs)):
        beta = _dot(old_dirs[i], r) * ro[i]
        r = _add_scaled(r, al[i] - beta, old_stps[i])
    return r


def lbfgs_step(
    evaluate: Evaluate,
    x: jax.Array,
    state: LBFGSState,
    *,
    lr: Any = 1.0,
    max_iter: int = 20,
    max_eval: int | None = None,
    tolerance_grad: float = 1e-7,
    tolerance_change: float = 1e-9,
    history_size: int = 100,
    line_search_fn: str | None = None,
) -> tuple[jax.Array, LBFGSState, float]:
    """Up to ``max_iter`` L-BFGS iterations from ``x``; returns ``(x, state, loss at the start)``.

    ``lr`` is a Python number, or a 0-d array where torch's is a Tensor (its step lengths are
    then 0-d tensors, computed in the parameters' dtype).
    """
    max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
    lr = _scalar(lr)

    def evaluate_float(at: jax.Array) -> tuple[float, jax.Array]:
        loss, grad = evaluate(at)
        return float(loss), grad

    orig_loss, flat_grad = evaluate(x)
    loss, evaluations = float(orig_loss), 1
    func_evals, n_iter_total = state.func_evals + 1, state.n_iter
    if _max_abs(flat_grad) <= tolerance_grad:
        return x, state._replace(func_evals=func_evals), orig_loss
    d, t, prev_flat_grad, prev_loss = state.d, _scalar(state.t), state.prev_flat_grad, state.prev_loss
    H_diag = _scalar(state.H_diag)  # noqa: N806 - torch's name
    old_dirs, old_stps = state.old_dirs, state.old_stps
    ro = None if state.ro is None else [_scalar(value) for value in state.ro]
    al = None if state.al is None else [_scalar(value) for value in state.al]
    for n_iter in range(1, max_iter + 1):
        n_iter_total += 1
        if n_iter_total == 1:
            d = -flat_grad
            old_dirs, old_stps, ro, H_diag = [], [], [], 1  # noqa: N806
        else:
            y, s = flat_grad - prev_flat_grad, _scaled(d, t)
            ys = _dot(y, s)
            if ys > 1e-10:  # keep the pair only when the curvature condition holds
                if len(old_dirs) == history_size:
                    old_dirs, old_stps, ro = old_dirs[1:], old_stps[1:], ro[1:]
                old_dirs, old_stps, ro = [*old_dirs, y], [*old_stps, s], [*ro, 1.0 / ys]
                H_diag = ys / _dot(y, y)  # noqa: N806
            al = [None] * history_size if al is None else al
            d = _two_loop_direction(flat_grad, old_dirs, old_stps, ro, H_diag, al)
        prev_flat_grad, prev_loss = flat_grad, loss
        t = min(1.0, 1.0 / _sum_abs(flat_grad)) * lr if n_iter_total == 1 else lr
        gtd = _dot(flat_grad, d)
        if gtd > -tolerance_change:  # not a descent direction
            break
        ls_evals = 0
        if line_search_fn is not None:
            loss, flat_grad, t, ls_evals = strong_wolfe(
                lambda step, x=x, d=d: evaluate_float(_add_scaled(x, step, d)),
                d,
                t,
                loss,
                flat_grad,
                gtd,
                max_ls=max_eval - evaluations,
            )
            x = _add_scaled(x, t, d)
        else:
            x = _add_scaled(x, t, d)
            if n_iter != max_iter:
                loss, flat_grad = evaluate_float(x)
                ls_evals = 1
        evaluations += ls_evals
        func_evals += ls_evals
        if n_iter == max_iter or evaluations >= max_eval or _max_abs(flat_grad) <= tolerance_grad:
            break
        if _max_abs(_scaled(d, t)) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
            break
    state = LBFGSState(
        func_evals=func_evals,
        n_iter=n_iter_total,
        al=None if al is None else [_array(value) for value in al],
        d=d,
        t=_array(t),
        old_dirs=old_dirs,
        old_stps=old_stps,
        ro=None if ro is None else [_array(value) for value in ro],
        H_diag=_array(H_diag),
        prev_flat_grad=prev_flat_grad,
        prev_loss=prev_loss,
    )
    return x, state, orig_loss


__all__ = ["LBFGSState", "TensorScalar", "cubic_interpolate", "lbfgs_step", "strong_wolfe"]
