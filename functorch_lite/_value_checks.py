"""Checks on tensor values (class labels, embedding rows, probabilities), written once for every mode.

A check is a function of arrays returning `ValueCheck`s: a scalar bool `ok`, the exception
type PyTorch raises, a message with `{}` fields and the scalar arrays that fill them. An op
calls `check_values(checker, ...)` once, and the same check serves every way the op runs:

- values concrete (the op called outside `jit`): the check runs now and raises;
- inside the dispatcher's cached jitted forward (`autograd.dispatch`, eager facade): its `ok`
  becomes an extra output of the kernel, which the dispatcher reads after the launch (one
  scalar device->host read per checked op) and, when false, reruns the op on the concrete
  arrays to raise the op's own error;
- under `jax.experimental.checkify` inside `checkified()`: each check becomes `checkify.check`
  with the same message; otherwise traced values go unchecked (they are not known at trace time).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


class ValueCheck(NamedTuple):
    """One condition on values: `ok` (scalar bool array) or raise `error(message.format(*values))`."""

    ok: Any
    error: type[Exception]
    message: str
    values: tuple = ()

    def raise_if_failed(self) -> None:
        if not bool(self.ok):
            raise self.error(self.message.format(*[_python(v) for v in self.values]))


class IndexOutOfRangeError(IndexError, ValueError):
    """An index or class label outside its range: PyTorch's IndexError (and ValueError, raised here before)."""


class IndexOutOfBoundsError(IndexOutOfRangeError, RuntimeError):
    """An index or class outside its range where PyTorch raises RuntimeError (gather, index_select, one_hot)."""


class LinAlgError(RuntimeError):
    """A factorization that could not be completed, as PyTorch's `torch.linalg.LinAlgError` (a RuntimeError)."""


class ProbabilityError(ValueError, RuntimeError):
    """Probabilities outside [0, 1] or not finite: a ValueError here, PyTorch's RuntimeError."""


def _python(value: Any) -> Any:
    value = jax.device_get(value)
    return value.item() if hasattr(value, "item") else value


class _Mode(threading.local):
    collectors: list  # one list of `ok` flags per dispatcher kernel being traced (innermost last)
    checkify: bool = False

    def __init__(self) -> None:
        self.collectors = []


_mode = _Mode()


def check_values(checker: Callable[..., Sequence[ValueCheck]], *args: Any, **kwargs: Any) -> None:
    """Runs `checker(*args, **kwargs)` as the mode allows: raise now, hand to the kernel, or checkify."""
    leaves = jax.tree_util.tree_leaves((args, kwargs))
    if not any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
        with jax.ensure_compile_time_eval():  # concrete values stay concrete even inside a jit trace
            for check in checker(*args, **kwargs):
                check.raise_if_failed()
        return
    if _mode.collectors:
        _mode.collectors[-1].extend(check.ok for check in checker(*args, **kwargs))
    elif _mode.checkify:
        from jax.experimental import checkify

        for check in checker(*args, **kwargs):
            checkify.check(check.ok, f"{check.error.__name__}: {check.message}", *check.values)


@contextlib.contextmanager
def collecting() -> Iterator[list]:
    """While tracing a kernel: the `ok` flags of the checks traced inside (see `all_ok`)."""
    flags: list = []
    _mode.collectors.append(flags)
    try:
        yield flags
    finally:
        _mode.collectors.pop()


def all_ok(flags: list) -> Any:
    """One scalar bool for the flags collected, or None when the kernel checks nothing."""
    if not flags:
        return None
    ok = jnp.asarray(flags[0])
    for flag in flags[1:]:
        ok = ok & flag
    return ok


@contextlib.contextmanager
def checkified() -> Iterator[None]:
    """Traced value checks become `checkify.check`s (for a step wrapped in `checkify.checkify`)."""
    previous, _mode.checkify = _mode.checkify, True
    collectors, _mode.collectors = _mode.collectors, []
    try:
        yield
    finally:
        _mode.checkify, _mode.collectors = previous, collectors


# ---- the checks ---------------------------------------------------------------------------------------------
def index_in_range(index: Any, size: int, op: str, what: str = "index", *, dim: int | None = None) -> list[ValueCheck]:
    """Integer `index` within [-size, size) (take's rule); with `dim`, within [0, size) of that dimension
    (gather's and index_select's rule, PyTorch's RuntimeError)."""
    index = jnp.asarray(index)
    low = -size if dim is None else 0
    bad = (index < low) | (index >= size)
    first = index.reshape(-1)[jnp.argmax(bad.reshape(-1))] if index.size else jnp.zeros((), index.dtype)
    if dim is None:
        message = f"{op}: {what} {{}} is out of bounds for size {size}; expected values in [-{size}, {size})"
        return [ValueCheck(~jnp.any(bad), IndexOutOfRangeError, message, (first,))]
    message = f"{op}: {what} {{}} is out of bounds for dimension {dim} with size {size}"
    return [ValueCheck(~jnp.any(bad), IndexOutOfBoundsError, message, (first,))]


def class_indices(target: Any, classes: int, ignore_index: int, op: str) -> list[ValueCheck]:
    """Class labels in [0, classes) or equal to `ignore_index` (cross_entropy, nll_loss)."""
    target = jnp.asarray(target)
    bad = (target != ignore_index) & ((target < 0) | (target >= classes))
    first = target.reshape(-1)[jnp.argmax(bad.reshape(-1))] if target.size else jnp.zeros((), target.dtype)
    message = (
        f"{op}: target {{}} is out of bounds; expected class indices in [0, {classes}) or ignore_index={ignore_index}"
    )
    return [ValueCheck(~jnp.any(bad), IndexOutOfRangeError, message, (first,))]


def rows_in_range(index: Any, rows: int, op: str) -> list[ValueCheck]:
    """Row indices in [0, rows), reported by their min and max (embedding)."""
    index = jnp.asarray(index)
    low = jnp.min(index) if index.size else jnp.zeros((), index.dtype)
    high = jnp.max(index) if index.size else jnp.zeros((), index.dtype)
    message = f"{op}: index out of range: expected indices in [0, {rows}), got min {{}}, max {{}}"
    return [ValueCheck((low >= 0) & (high < rows), IndexOutOfRangeError, message, (low, high))]


def num_classes(labels: Any, classes: int, op: str) -> list[ValueCheck]:
    """Labels in [0, classes) (one_hot); classes < 0 means 'inferred', which only needs labels >= 0."""
    labels = jnp.asarray(labels)
    low = jnp.min(labels) if labels.size else jnp.zeros((), labels.dtype)
    high = jnp.max(labels) if labels.size else jnp.zeros((), labels.dtype)
    if classes < 0:
        return [
            ValueCheck(low >= 0, IndexOutOfBoundsError, f"{op}: Class values must be non-negative, got {{}}", (low,))
        ]
    message = f"{op}: Class values must be smaller than num_classes={classes}; got values in [{{}}, {{}}]"
    return [ValueCheck((low >= 0) & (high < classes), IndexOutOfBoundsError, message, (low, high))]


def probabilities(p: Any, op: str) -> list[ValueCheck]:
    """Probabilities finite and within [0, 1] (bernoulli)."""
    p = jnp.asarray(p)
    bad = ~((p >= 0) & (p <= 1))  # NaN fails both comparisons
    first = p.reshape(-1)[jnp.argmax(bad.reshape(-1))] if p.size else jnp.zeros((), p.dtype)
    return [ValueCheck(~jnp.any(bad), ProbabilityError, f"{op}: expected probabilities in [0, 1], got {{}}", (first,))]


def distribution(weights: Any, op: str) -> list[ValueCheck]:
    """Non-negative finite weights with a positive sum per row (multinomial)."""
    w = jnp.asarray(weights)
    bad = ~((w >= 0) & jnp.isfinite(w))
    first = w.reshape(-1)[jnp.argmax(bad.reshape(-1))] if w.size else jnp.zeros((), w.dtype)
    sums = jnp.sum(jnp.where(bad, 0, w), axis=-1)
    return [
        ValueCheck(
            ~jnp.any(bad),
            ProbabilityError,
            f"{op}: probability tensor contains either inf, nan or element < 0 (got {{}})",
            (first,),
        ),
        ValueCheck(
            jnp.all(sums > 0), ProbabilityError, f"{op}: invalid multinomial distribution (sum of probabilities <= 0)"
        ),
    ]


_FACTORIZATION_MESSAGES = {
    "cholesky": "The factorization could not be completed because the input is not positive-definite "
    "(the leading minor of order {} is not positive-definite).",
    "lu": "U[{0},{0}] is zero and using it on lu_solve would result in a division by zero. If you still want to "
    "perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)",
}


def factorization(info: Any, op: str, kind: str, batched: bool = False) -> list[ValueCheck]:
    """A LAPACK-style `info` (0: success) of a Cholesky or LU factorization, per matrix of a batch."""
    info = jnp.asarray(info).reshape(-1)
    failed = info != 0
    first = jnp.argmax(failed) if info.size else jnp.zeros((), jnp.int32)
    order = info[first] if info.size else jnp.zeros((), jnp.int32)
    message = _FACTORIZATION_MESSAGES[kind]
    if batched:
        message = "(Batch element {0}): " + message.replace("{0}", "{1}").replace("{}", "{1}")
        return [ValueCheck(~jnp.any(failed), LinAlgError, f"{op}: {message}", (first, order))]
    return [ValueCheck(~jnp.any(failed), LinAlgError, f"{op}: {message}", (order,))]


__all__ = [
    "ValueCheck",
    "LinAlgError",
    "factorization",
    "IndexOutOfRangeError",
    "IndexOutOfBoundsError",
    "ProbabilityError",
    "check_values",
    "collecting",
    "all_ok",
    "checkified",
    "index_in_range",
    "class_indices",
    "rows_in_range",
    "num_classes",
    "probabilities",
    "distribution",
]
