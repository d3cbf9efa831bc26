"""PyTorch's dtype names (`float32`, `long`, ...) as `dtype` objects that JAX understands.

A `dtype` wraps a numpy dtype: it prints as PyTorch does (`torch.float32`), compares and
hashes equal to the numpy dtype (and to `jnp.float32`), has the numpy dtype's attributes
(`kind`, `itemsize`, `name`), and numpy and JAX accept it anywhere they take a dtype
(`jnp.zeros(3, t.dtype)`, `x.astype(torch.long)`) through its `dtype` attribute.
There is one object per dtype, so `t.dtype is torch.float32` holds too.

64-bit types follow JAX's `jax_enable_x64` flag as it is when this module is imported:
without x64 (JAX's default) `int64`/`long` name int32 and
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


class dtype:  # noqa: N801 - PyTorch's spelling
    """A PyTorch-style dtype over a numpy dtype (see the module docstring)."""

    __slots__ = ("dtype",)

    def __new__(cls, numpy_dtype: Any) -> dtype:
        known = _INTERNED.get(numpy_dtype) if isinstance(numpy_dtype, np.dtype) else None
        if known is not None:
            return known
        numpy_dtype = np.dtype(numpy_dtype)
        known = _INTERNED.get(numpy_dtype)
        if known is None:
            known = _INTERNED[numpy_dtype] = object.__new__(cls)
            object.__setattr__(known, "dtype", numpy_dtype)
        return known

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"dtype: {self} is immutable")

    def __getattr__(self, name: str) -> Any:  # kind, itemsize, name, char, type, ...
        return getattr(object.__getattribute__(self, "dtype"), name)

    def __eq__(self, other: object) -> builtins.bool:
        if isinstance(other, dtype):
            return self.dtype == other.dtype
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> builtins.int:
        return hash(self.dtype)

    def __repr__(self) -> str:
        return f"torch.{self.dtype.name}"

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        return (dtype, (self.dtype.name if self.dtype.name != "bfloat16" else jnp.bfloat16,))

    @property
    def is_floating_point(self) -> builtins.bool:
        return self.dtype.kind == "f" or self.dtype == jnp.bfloat16

    @property
    def is_complex(self) -> builtins.bool:
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> builtins.bool:
        return self.dtype.kind in "fic" or self.dtype == jnp.bfloat16


_INTERNED: dict[np.dtype, dtype] = {}
_DTYPE_CLASS = dtype


def _canonical(name: str) -> dtype:
    return dtype(jax.dtypes.canonicalize_dtype(np.dtype(name) if name != "bfloat16" else jnp.bfloat16))


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
bool_ = dtype(np.bool_)
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


def get_default_dtype() -> dtype:
    """The floating dtype factories use for Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Sets the default floating dtype; only floating dtypes are allowed, as in PyTorch."""
    global _default_dtype
    resolved = as_dtype(dtype, "set_default_dtype")
    if resolved.kind != "f" and resolved != bfloat16:
        raise TypeError(f"set_default_dtype: only floating-point dtypes can be the default, got {resolved}")
    _default_dtype = resolved


def as_dtype(dtype: Any, op: str = "dtype") -> dtype:
    """A dtype name, numpy/jax dtype or scalar type as a canonical `dtype` (numpy-compatible)."""
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
    if isinstance(getattr(dtype, "dtype", None), _DTYPE_CLASS):  # a legacy type such as FloatTensor
        return dtype.dtype
    try:
        return _wrap_dtype(jax.dtypes.canonicalize_dtype(dtype))
    except TypeError:
        raise TypeError(f"{op}: expected a dtype (e.g. functorch_lite.float32), got {dtype!r}") from None


def _wrap_dtype(numpy_dtype: Any) -> dtype:
    return dtype(numpy_dtype)


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
