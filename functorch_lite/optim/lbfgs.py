"""torch.optim.LBFGS: `step(closure)` around the pure `rules.lbfgs.lbfgs_step` over the flattened parameters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks as checks
from .._tensor.tensor import Tensor
from ..autograd import enable_grad, no_grad
from ..nn.parameter import set_array
from .optimizer import Optimizer
from .rules.lbfgs import LBFGSState, lbfgs_step


class LBFGS(Optimizer):
    """torch.optim.LBFGS: `step(closure)` re-evaluates the loss; one parameter group only.

    Runs eagerly (its line search and stopping tests read values); `foreach`-style options do not exist.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ):
        checks.positive_int(max_iter, "max_iter", "LBFGS")
        max_eval = max_iter * 5 // 4 if max_eval is None else checks.positive_int(max_eval, "max_eval", "LBFGS")
        checks.positive_int(history_size, "history_size", "LBFGS")
        checks.finite_non_negative(tolerance_grad, "tolerance_grad", "LBFGS")
        checks.finite_non_negative(tolerance_change, "tolerance_change", "LBFGS")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad)
        defaults.update(tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS: doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self) -> jax.Array:
        return jnp.concatenate(
            [jnp.ravel(p._grad._array if p._grad is not None else jnp.zeros_like(p._array)) for p in self._params]
        )

    def _set_flat(self, x: jax.Array) -> None:
        offset = 0
        for p in self._params:
            set_array(p, x[offset : offset + p._array.size].reshape(p._array.shape).astype(p.dtype))
            offset += p._array.size

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Runs up to `max_iter` iterations, calling `closure()` (which must zero the grads,
        compute the loss, call `backward()` and return the loss); returns the first loss."""
        if closure is None:
            raise TypeError("LBFGS.step: a closure that re-evaluates the model and returns the loss is required")
        group = self.param_groups[0]

        def evaluate(x: jax.Array) -> tuple[Any, jax.Array]:
            self._set_flat(x)
            with enable_grad():
                loss = closure()
            return loss, self._flat_grad()

        with no_grad():
            x = jnp.concatenate([jnp.ravel(p._array) for p in self._params])
            first = self._params[0]
            state = LBFGSState(**self.state[first]) if self.state.get(first) else LBFGSState()
            options = {key: group[key] for key in ("max_iter", "max_eval", "tolerance_grad", "tolerance_change")}
            options.update(history_size=group["history_size"], line_search_fn=group["line_search_fn"])
            # A Tensor lr makes torch's step lengths 0-d tensors of the parameters' dtype; a number keeps them floats.
            lr = group["lr"]._array.reshape(()) if isinstance(group["lr"], Tensor) else float(group["lr"])
            x, state, loss = lbfgs_step(evaluate, x, state, lr=lr, **options)
            self._set_flat(x)
            self.state[first] = {key: value for key, value in state._asdict().items() if value is not None}
        return loss

    def _restore(self, param: Tensor, slots: dict[str, Any]) -> dict[str, Any]:
        return {key: _plain(value) for key, value in slots.items()}


def _plain(value: Any) -> Any:
    """A saved L-BFGS state value (ours or torch's) as the pure step keeps it: arrays (0-d where torch has
    a 0-d tensor), Python numbers, lists."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Tensor):
        value = value._array
    if isinstance(value, (int, float)) or value is None:
        return value
    return jnp.array(np.asarray(value), copy=True)


__all__ = ["LBFGS"]
