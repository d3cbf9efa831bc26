"""The one set of argument normalisers and validators, for every layer of the library.

Ops, layers, optimizers, schedules and the facade classes check their arguments with
these helpers, so a mistake raises a `ValueError`/`TypeError` naming the op, what was
expected and what came, instead of an XLA error deep inside a compiled program. Checks
run at trace time from static shapes and dtypes; value checks only where values are
concrete. Imports only jax and numpy, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

_REDUCTIONS = ("mean", "sum", "none")


def is_int(value: Any) -> bool:
    """An int or numpy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def pair(value: Any, name: str, op: str, *, minimum: int = 0) -> tuple[int, int]:
    """Normalises an int or a pair of ints (PyTorch's `_pair`), checking the bound."""
    if isinstance(value, Sequence) and len(value) == 1:  # PyTorch expands a 1-element list, as (1,) -> (1, 1)
        value = value[0]
    if is_int(value):
        out = (int(value), int(value))
    elif isinstance(value, Sequence) and len(value) == 2 and all(is_int(v) for v in value):
        out = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(out) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return out


def as_array(x: Any, name: str, op: str) -> jax.Array:
    """Accepts jax arrays, numpy arrays, Python scalars and anything with `__jax_array__`."""
    if isinstance(x, jax.Array):
        return x
    if hasattr(x, "__jax_array__") or isinstance(x, (np.ndarray, np.generic, int, float, bool)):
        return jnp.asarray(x)
    if isinstance(x, (list, tuple)):
        try:
            return jnp.asarray(x)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{op}: {name} must be an array, got {type(x).__name__} ({err})") from None
    raise TypeError(f"{op}: {name} must be an array, got {type(x).__name__}")


def floating(x: jax.Array, name: str, op: str) -> None:
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(f"{op}: expected a floating-point {name}, got dtype {x.dtype}")


def rank(x: jax.Array, allowed: Sequence[int], name: str, op: str, layout: str = "") -> None:
    if x.ndim not in allowed:
        want = " or ".join(str(r) for r in allowed)
        hint = f" {layout}" if layout else ""
        raise ValueError(f"{op}: expected {name} of rank {want}{hint}, got shape {tuple(x.shape)}")


def same_dtype(a: jax.Array, b: jax.Array, names: str, op: str) -> None:
    if a.dtype != b.dtype:
        raise TypeError(f"{op}: {names} must have the same dtype, got {a.dtype} and {b.dtype}")


def reduction(value: str, op: str) -> str:
    if value not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {value!r}")
    return value


def reduce(loss: jax.Array, how: str) -> jax.Array:
    if how == "mean":
        return jnp.mean(loss)
    if how == "sum":
        return jnp.sum(loss)
    return loss


def probability(p: Any, name: str, op: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: {name} must be a probability in [0, 1], got {p!r}")
    return float(p)


def positive_int(
    value: Any, name: str, op: str, *, wording: Literal["must", "should"] = "must", noun: str = "int"
) -> int:
    """An int >= 1. `wording="should"` gives torch.utils.data's message (a TypeError for a non-int);
    `noun` names it in the "must" message (the schedules say "a positive integer")."""
    if wording == "should":
        expected = f"{op}: {name} should be a positive integer value, but got {name}="
        if not is_int(value):
            raise TypeError(f"{expected}{value!r} ({type(value).__name__})")
        if value <= 0:
            raise ValueError(f"{expected}{value}")
    elif not is_int(value) or value <= 0:
        raise ValueError(f"{op}: {name} must be a positive {noun}, got {value!r}")
    return int(value)


def non_negative_int(value: Any, name: str, op: str) -> int:
    """An int >= 0 (an epoch, a count)."""
    if not is_int(value) or value < 0:
        raise ValueError(f"{op}: {name} must be a non-negative int, got {value!r}")
    return int(value)


def integer(value: Any, name: str, op: str) -> int:
    """An int option (a dim, an index); bools and floats are refused."""
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)


def one_of(value: Any, choices: Sequence[str], name: str, op: str) -> str:
    """A string option out of a few (`approximate`, `mode`), named in the message as 'a' or 'b'."""
    if value not in choices:
        want = " or ".join(repr(c) for c in choices)
        raise ValueError(f"{op}: {name} must be {want}, got {value!r}")
    return value


def non_negative(value: Any, name: str, op: str) -> Any:
    """A real scalar >= 0 (NaN refused); traced values pass unchecked."""
    if isinstance(value, jax.core.Tracer):
        return value
    scalar = isinstance(value, (int, float, np.integer, np.floating)) or (
        isinstance(value, (jax.Array, np.ndarray)) and value.ndim == 0 and not jnp.iscomplexobj(value)
    )
    if isinstance(value, bool) or not scalar or not float(value) >= 0:
        raise ValueError(f"{op}: {name} must be a non-negative number, got {value!r}")
    return value


def is_concrete(x: Any) -> bool:
    """True when `x` holds values now (not a tracer inside jit/grad/vmap)."""
    return not isinstance(x, jax.core.Tracer)


def flag(value: Any, name: str, op: str, *, wording: Literal["must", "should"] = "must") -> bool:
    """A bool option; a string such as 'yes' would otherwise count as True.

    `wording="should"` gives torch.utils.data's message ("should be a boolean value").
    """
    if not isinstance(value, (bool, np.bool_)):
        if wording == "should":
            raise TypeError(f"{op}: {name} should be a boolean value, but got {name}={value!r}")
        raise TypeError(f"{op}: {name} must be a bool, got {value!r}")
    return bool(value)


def number(value: Any, name: str, op: str, *, minimum: float | None = None) -> Any:
    """A finite real scalar (traced values pass unchecked), at least `minimum` if given."""
    if isinstance(value, jax.core.Tracer):
        return value
    is_scalar = isinstance(value, (int, float, np.integer, np.floating)) or (
        isinstance(value, (jax.Array, np.ndarray)) and value.ndim == 0
    )
    if isinstance(value, bool) or not is_scalar:
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    bound = "" if minimum is None else f" >= {minimum}"
    if not np.isfinite(float(value)) or (minimum is not None and float(value) < minimum):
        raise ValueError(f"{op}: {name} must be a finite number{bound}, got {value!r}")
    return value


def real(
    value: Any,
    name: str,
    op: str,
    *,
    ok: Any = None,
    expected: str = "a number",
    range_prefix: str = "",
    type_error: type[Exception] = TypeError,
) -> Any:
    """A finite real scalar with `ok(value)` true (traced values pass unchecked).

    Messages: `'{op}: {name} must be {expected}, got v'` (as `type_error` for a non-number,
    ValueError out of range) and `'{op}: {name} must be finite ({expected}), got v'` for nan/inf;
    `range_prefix` goes before `name` in the two ValueErrors (torch's "Invalid learning rate: ").
    """
    if isinstance(value, jax.core.Tracer):
        return value
    is_scalar = isinstance(value, (int, float, np.integer, np.floating)) or (
        isinstance(value, (jax.Array, np.ndarray, np.generic))
        and np.ndim(value) == 0
        and np.issubdtype(np.asarray(value).dtype, np.number)
    )
    if isinstance(value, bool) or not is_scalar:
        raise type_error(f"{op}: {name} must be {expected}, got {value!r}")
    # nan fails every comparison, but inf passes `x >= 0` and would make every update nan.
    if not np.isfinite(float(value)):
        raise ValueError(f"{op}: {range_prefix}{name} must be finite ({expected}), got {value!r}")
    if ok is not None and not ok(float(value)):
        raise ValueError(f"{op}: {range_prefix}{name} must be {expected}, got {value!r}")
    return value


def finite_non_negative(value: Any, name: str, op: str, **messages: Any) -> Any:
    """`real` with `value >= 0` ("a non-negative number")."""
    return real(value, name, op, ok=lambda x: x >= 0, **{"expected": "a non-negative number", **messages})


def number_pair(
    value: Any, name: str, op: str, *, ok: Any, expected: str, members: str = "", whole: str | None = None
) -> tuple:
    """A pair of `real` numbers (betas, etas); `whole` replaces every message by one for the pair."""
    try:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            members = members or f"({name}[0], {name}[1])"
            raise ValueError(f"{op}: {name} must be a pair {members}, got {value!r}")
        for index, item in enumerate(value):
            real(item, f"{name}[{index}]", op, ok=ok, expected=expected)
    except (TypeError, ValueError):
        if whole is None:
            raise
        raise ValueError(f"{op}: {whole}, got {value!r}") from None
    return tuple(value)


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    integer(dim, "dim", op)
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor of rank {ndim}")
    return dim % max(ndim, 1)
