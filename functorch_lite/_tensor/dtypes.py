"""PyTorch's dtype names (`float32`, `long`, ...) as numpy dtypes that JAX understands.

`functorch_lite.float32 == jnp.float32` holds, so the names can be passed straight to
jax. 64-bit types follow JAX's `jax_enable_x64` flag as it is when this module is
imported: without x64 (JAX's default) `int64`/`long` name int32 and
`float64`/`double` name float32, silently, because JAX would compute in 32 bits anyway.
So `torch.long` label tensors are int32 here, which the functional losses accept.
Enable x64 (`jax.config.update("jax_enable_x64", True)`) before importing
functorch_lite to get true 64-bit types.
"""

from __future__ import annotations

import builtins
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def _canonical(name: str) -> np.dtype:
    return np.dtype(jax.dtypes.canonicalize_dtype(np.dtype(name) if name != "bfloat16" else jnp.bfloat16))


float32 = _canonical("float32")
float16 = _canonical("float16")
bfloat16 = _canonical("bfloat16")
float64 = _canonical("float64")
complex64 = _canonical("complex64")
int8 = _canonical("int8")
uint8 = _canonical("uint8")
int16 = _canonical("int16")
int32 = _canonical("int32")
int64 = _canonical("int64")
bool_ = np.dtype(np.bool_)
# PyTorch's aliases
half = float16
double = float64
long = int64
short = int16

_default_dtype = float32
_NAMES = {
    "float32": float32,
    "float": float32,
    "float16": float16,
    "half": float16,
    "bfloat16": bfloat16,
    "float64": float64,
    "double": float64,
    "complex64": complex64,
    "int8": int8,
    "uint8": uint8,
    "int16": int16,
    "short": int16,
    "int32": int32,
    "int": int32,
    "int64": int64,
    "long": int64,
    "bool": bool_,
}


def get_default_dtype() -> np.dtype:
    """The floating dtype factories use for Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Sets the default floating dtype; only floating dtypes are allowed, as in PyTorch."""
    global _default_dtype
    resolved = as_dtype(dtype, "set_default_dtype")
    if resolved.kind != "f" and resolved != bfloat16:
        raise TypeError(f"set_default_dtype: only floating-point dtypes can be the default, got {resolved}")
    _default_dtype = resolved


def as_dtype(dtype: Any, op: str = "dtype") -> np.dtype:
    """A dtype name, numpy/jax dtype or scalar type as a canonical numpy dtype."""
    if isinstance(dtype, str):
        name = dtype.removeprefix("torch.")
        if name not in _NAMES:
            raise TypeError(f"{op}: unknown dtype name {dtype!r}; expected one of {sorted(_NAMES)}")
        return _NAMES[name]
    if dtype is builtins.float:
        return _default_dtype
    if dtype is builtins.int:
        return int64
    if dtype is builtins.bool:
        return bool_
    try:
        return np.dtype(jax.dtypes.canonicalize_dtype(dtype))
    except TypeError:
        raise TypeError(f"{op}: expected a dtype (e.g. functorch_lite.float32), got {dtype!r}") from None


def is_floating(dtype: np.dtype) -> builtins.bool:
    """True for floating dtypes, bfloat16 included (numpy files it under kind 'V')."""
    return dtype.kind == "f" or dtype == bfloat16


def torch_name(dtype: np.dtype) -> str:
    """`torch.float32`-style name for reprs."""
    return f"torch.{dtype.name}"


# PyTorch's builtin-shadowing aliases go last, after every use of the builtins above.
float = float32  # noqa: A001
int = int32  # noqa: A001 - torch.int is int32
bool = bool_  # noqa: A001
