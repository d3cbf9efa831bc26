"""Tensor factories with PyTorch's names and keywords (`dtype`, `device`, `requires_grad`).

Python floats become the default dtype (float32), Python ints `long` (int32 unless JAX
runs with x64, see `dtypes`), bools `bool`. Random factories draw their key from the
global generator in `functorch_lite.random` unless a `generator` is passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import random
from ..device import resolve_device
from . import dtypes as _dtypes
from .shape_ops import Size, _sizes
from .tensor import Tensor, _check_can_require_grad


def _finish(array: Any, dtype: Any, device: Any, requires_grad: bool, op: str) -> Tensor:
    """Casts, places and wraps a freshly made array."""
    if dtype is not None:
        array = array.astype(_dtypes.as_dtype(dtype, op))
    if device is not None:
        array = jax.device_put(array, resolve_device(device))
    elif not isinstance(array, jax.Array):
        array = jnp.asarray(array)
    tensor = Tensor._wrap(array)
    if requires_grad:
        _check_can_require_grad(np.dtype(array.dtype), op)
        tensor._requires_grad = True
    return tensor


def _infer_dtype(data: Any) -> np.dtype:
    """PyTorch's dtype for Python data: bool, long for ints, the default dtype for floats."""
    kind = np.asarray(data).dtype.kind
    if kind == "b":
        return _dtypes.bool_
    if kind in "iu":
        return _dtypes.int64
    if kind == "c":
        return _dtypes.complex64
    return _dtypes.get_default_dtype()


def _host_array(data: Any, op: str) -> Any:
    if isinstance(data, Tensor):
        return data._array
    if isinstance(data, (list, tuple)) and any(isinstance(item, Tensor) for item in data):
        data = [_host_array(item, op) for item in data]
        return jnp.stack([jnp.asarray(item) for item in data]) if data else np.asarray([])
    if isinstance(data, (jax.Array, np.ndarray, np.generic)):
        return data
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{op}: could not make a tensor from {type(data).__name__}: {error}") from None
    if array.dtype == object:
        raise TypeError(f"{op}: expected numbers or (nested) sequences of numbers, got {data!r:.80}")
    return array.astype(_infer_dtype(array))


def tensor(
    data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A new leaf tensor holding a copy of `data` (numbers, nested lists, arrays, Tensors)."""
    array = _host_array(data, "tensor")
    return _finish(jnp.array(array, copy=True), dtype, device, requires_grad, "tensor")


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like `tensor`, but returns `data` itself when it is a Tensor of that dtype and device."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device is not None or dtype is not None) else data
    # A copy, never a view: JAX may read a host buffer after this returns (asynchronous
    # transfer) and its arrays are immutable, so sharing memory with a numpy array the caller
    # can still write would be a race.
    return _finish(jnp.array(_host_array(data, "as_tensor"), copy=True), dtype, device, False, "as_tensor")


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor with the numpy array's values and dtype (64-bit types follow JAX's x64 flag).

    Unlike torch.from_numpy the tensor does not share memory with `array`: JAX arrays are
    immutable, so later writes to `array` do not show in the tensor.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return _finish(jnp.array(array, copy=True), None, None, False, "from_numpy")


def _shape(size: Sequence[Any], op: str) -> tuple[int, ...]:
    shape = _sizes(size, op)
    if any(s < 0 for s in shape):
        raise ValueError(f"{op}: sizes must be non-negative, got {list(shape)}")
    return shape


def _filled(op: str, size: Sequence[Any], value: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    shape = _shape(size, op)
    resolved = (
        _dtypes.as_dtype(dtype, op)
        if dtype is not None
        else (_infer_dtype(value) if isinstance(value, (bool, int)) and op == "full" else _dtypes.get_default_dtype())
    )
    return _finish(jnp.full(shape, value, resolved), None, device, requires_grad, op)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of zeros of shape `size` (`zeros(2, 3)` or `zeros((2, 3))`), as `torch.zeros`."""
    return _filled("zeros", size, 0, dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of ones of shape `size`, as `torch.ones`."""
    return _filled("ones", size, 1, dtype, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros: JAX has no uninitialised memory, and zeros are a valid 'anything'."""
    return _filled("empty", size, 0, dtype, device, requires_grad)


def full(
    size: Sequence[int], fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A Tensor of shape `size` filled with `fill_value`, as `torch.full`."""
    return _filled(
        "full",
        (size,) if not isinstance(size, (int, np.integer)) else (size,),
        fill_value,
        dtype,
        device,
        requires_grad,
    )


def arange(
    start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """[start, end) in steps; long when all bounds are ints, else the default float dtype."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (start, end, step))
        dtype = _dtypes.int64 if integral else _dtypes.get_default_dtype()
    array = np.arange(start, end, step, dtype=np.float64 if np.dtype(dtype).kind == "f" else None)
    return _finish(jnp.asarray(array.astype(_dtypes.as_dtype(dtype, "arange"))), None, device, requires_grad, "arange")


def linspace(
    start: float, end: float, steps: int, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """`steps` evenly spaced values from `start` to `end` inclusive, as `torch.linspace`."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    dtype = _dtypes.as_dtype(dtype, "linspace") if dtype is not None else _dtypes.get_default_dtype()
    array = np.linspace(float(start), float(end), int(steps)).astype(dtype)
    return _finish(jnp.asarray(array), None, device, requires_grad, "linspace")


# One compiled program per (shape, dtype), instead of jax's op-by-op random path.
_uniform = jax.jit(jax.random.uniform, static_argnums=(1, 2))
_normal = jax.jit(jax.random.normal, static_argnums=(1, 2))
_randint = jax.jit(jax.random.randint, static_argnums=(1, 4))


def _key(generator: random.Generator | None) -> jax.Array:
    return (generator or random.default_generator).next_key()


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    resolved = _dtypes.as_dtype(dtype, op) if dtype is not None else _dtypes.get_default_dtype()
    if not _dtypes.is_floating(resolved):
        raise TypeError(f"{op}: expected a floating dtype, got {resolved}")
    return resolved


def rand(
    *size: Any,
    generator: random.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform on [0, 1)."""
    shape, dtype = _shape(size, "rand"), _float_dtype(dtype, "rand")
    return _finish(_uniform(_key(generator), shape, dtype), None, device, requires_grad, "rand")


def randn(
    *size: Any,
    generator: random.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal."""
    shape, dtype = _shape(size, "randn"), _float_dtype(dtype, "randn")
    return _finish(_normal(_key(generator), shape, dtype), None, device, requires_grad, "randn")


def randint(
    *args: Any,
    size: Any = None,
    generator: random.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """`randint(high, size)` or `randint(low, high, size)`: integers in [low, high)."""
    if size is None and args and isinstance(args[-1], (tuple, list)):
        args, size = args[:-1], args[-1]
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError(f"randint: expected randint(high, size) or randint(low, high, size), got {args!r}")
    if size is None:
        raise TypeError("randint: missing the size argument, e.g. randint(0, 10, (3,))")
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    dtype = _dtypes.as_dtype(dtype, "randint") if dtype is not None else _dtypes.int64
    array = _randint(_key(generator), _shape((size,), "randint"), low, high, jnp.int32)
    return _finish(array, dtype, device, requires_grad, "randint")


def randperm(n: int, generator: random.Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """A random permutation of `0 .. n - 1` (int64 by default) drawn from `generator`, as `torch.randperm`."""
    array = jax.random.permutation(_key(generator), int(n))
    return _finish(array, dtype or _dtypes.int64, device, False, "randperm")


def _like(op: str, make: Any, like: Tensor, dtype: Any, device: Any, requires_grad: bool, **kw: Any) -> Tensor:
    source = like._array if isinstance(like, Tensor) else jnp.asarray(like)
    dtype = dtype if dtype is not None else source.dtype
    if device is None and not isinstance(source, jax.core.Tracer):
        device = next(iter(source.devices()))
    return make(tuple(source.shape), dtype=dtype, device=device, requires_grad=requires_grad, **kw)


def zeros_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, unless given, dtype and device) of `input`."""
    return _like("zeros_like", zeros, input, dtype, device, requires_grad)


def ones_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, unless given, dtype and device) of `input`."""
    return _like("ones_like", ones, input, dtype, device, requires_grad)


def empty_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised Tensor shaped like `input` (here: zeros, as JAX has no uninitialised memory)."""
    return _like("empty_like", empty, input, dtype, device, requires_grad)


def full_like(
    input: Tensor, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """`fill_value` with the shape (and, unless given, dtype and device) of `input`."""
    source = input._array if isinstance(input, Tensor) else jnp.asarray(input)
    return full(
        tuple(source.shape),
        fill_value,
        dtype=dtype if dtype is not None else source.dtype,
        device=device,
        requires_grad=requires_grad,
    )


def rand_like(
    input: Tensor,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    generator: random.Generator | None = None,
) -> Tensor:
    """Uniform [0, 1) samples shaped like `input`, from `generator` (default: the global one)."""
    return _like("rand_like", rand, input, dtype, device, requires_grad, generator=generator)


def randn_like(
    input: Tensor,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    generator: random.Generator | None = None,
) -> Tensor:
    """Standard normal samples shaped like `input`, from `generator` (default: the global one)."""
    return _like("randn_like", randn, input, dtype, device, requires_grad, generator=generator)


# -- legacy typed constructors (torch.FloatTensor(...)) ------------------------------------------
class _LegacyTensorType(type):
    """`FloatTensor(2, 3)` (sizes, zero-filled) or `FloatTensor([1, 2])` (data); `isinstance` checks the dtype."""

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        if len(args) == 1 and not isinstance(args[0], (builtins_int, np.integer, Size)):
            return tensor(args[0], dtype=cls.dtype, device=device)
        sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args
        return zeros(*(sizes or (0,)), dtype=cls.dtype, device=device)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy_type(name: str, dtype: Any) -> type:
    doc = f"Legacy `torch.{name}(*sizes)` / `torch.{name}(data)`: a {dtype} tensor."
    return _LegacyTensorType(name, (), {"dtype": dtype, "__doc__": doc, "__module__": __name__})


builtins_int = int
FloatTensor = _legacy_type("FloatTensor", _dtypes.float32)
DoubleTensor = _legacy_type("DoubleTensor", _dtypes.float64)
HalfTensor = _legacy_type("HalfTensor", _dtypes.float16)
LongTensor = _legacy_type("LongTensor", _dtypes.int64)
IntTensor = _legacy_type("IntTensor", _dtypes.int32)
ShortTensor = _legacy_type("ShortTensor", _dtypes.int16)
CharTensor = _legacy_type("CharTensor", _dtypes.int8)
ByteTensor = _legacy_type("ByteTensor", _dtypes.uint8)
BoolTensor = _legacy_type("BoolTensor", _dtypes.bool_)
