"""`Tensor`: a `jax.Array` plus the autograd bookkeeping PyTorch users expect.

A Tensor never mutates its array: in-place methods (`add_`, `zero_`, `t[i] = v`, ...)
compute a new array and rebind it, bumping `_version`. Saved values on the tape are
therefore never overwritten and gradients stay right after in-place updates.

Tensor is a registered pytree (child: the array; aux: `requires_grad`), so Tensors
pass through `jax.jit`/`jax.vmap`, and the same Tensor code runs on tracers. The math
methods live in `arithmetic.py` (arithmetic, reductions) and `shape_ops.py`
(views, indexing); this file holds identity, conversion and autograd state.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..autograd import backward as _backward
from ..autograd import dispatch, grad_mode, tape
from ..autograd.dispatch import raise_if_donated
from ..device import device as _device_name
from ..device import device_of, resolve_device
from . import dtypes as _dtypes
from .arithmetic import ArithmeticMixin
from .formatting import format_tensor
from .shape_ops import ShapeMixin, Size

LEAF_INPLACE_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


class AutogradError(ValueError, RuntimeError):
    """Bad use of autograd: a ValueError here, a RuntimeError for code written for PyTorch."""


def _check_can_require_grad(dtype: np.dtype, op: str) -> None:
    if not (_dtypes.is_floating(dtype) or dtype.kind == "c"):
        raise AutogradError(
            f"{op}: only Tensors of floating point and complex dtype can require gradients, got {dtype}"
        )


class Tensor(ArithmeticMixin, ShapeMixin):
    """An n-dimensional array with PyTorch's methods and tape autograd, backed by `jax.Array`."""

    __slots__ = (
        "_array",
        "_requires_grad",
        "_node",
        "_output_index",
        "_grad",
        "_version",
        "_retains_grad",
        "__weakref__",
    )

    def __init__(self, data: Any, requires_grad: bool = False):
        if isinstance(data, Tensor):
            array = data._array
        elif isinstance(data, jax.Array):
            array = data
        else:
            array = jnp.array(data, copy=True)  # owns its memory (see from_numpy)
            if array.dtype.kind == "f" or (array.dtype.kind in "iub" and not isinstance(data, np.ndarray)):
                array = array.astype(_dtypes.get_default_dtype())  # torch.Tensor(data) is a float tensor
        self._array = array
        self._requires_grad = False
        self._node = None
        self._output_index = 0
        self._grad = None
        self._version = 0
        self._retains_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array: Any, requires_grad: bool = False, node: Any = None, index: int = 0) -> Tensor:
        """Fast constructor for the dispatcher: no validation, no conversion."""
        tensor = object.__new__(cls)
        tensor._array = array
        tensor._requires_grad = requires_grad
        tensor._node = node
        tensor._output_index = index
        tensor._grad = None
        tensor._version = 0
        tensor._retains_grad = False
        return tensor

    def __init_subclass__(cls, **kwargs: Any):
        # Subclasses (nn.Parameter) are pytrees too, and come back as their own class.
        super().__init_subclass__(**kwargs)
        jax.tree_util.register_pytree_node(cls, _flatten_tensor, lambda aux, children: _unflatten(cls, aux, children))

    # ---- the array -------------------------------------------------------------------
    @property
    def array(self) -> jax.Array:
        """The wrapped `jax.Array` (read-only; in-place methods rebind it)."""
        return self._array

    def __jax_array__(self) -> jax.Array:
        return self._array

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self._host(), dtype=dtype)

    def _host(self) -> np.ndarray:
        """The values on the host; a clear error where a compiled step donated the buffer."""
        try:
            return np.asarray(self._array)
        except RuntimeError as error:
            raise_if_donated(error)
            raise

    @property
    def dtype(self) -> _dtypes.dtype:
        """The element type, printed as PyTorch does (`torch.float32`); numpy and JAX accept it as a dtype."""
        return _dtypes.dtype(self._array.dtype)

    @property
    def device(self) -> _device_name:
        if isinstance(self._array, jax.core.Tracer):  # tracers have no placement
            return _device_name(jax.devices()[0])
        return device_of(self._array)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def is_floating_point(self) -> bool:
        return _dtypes.is_floating(self.dtype)

    def element_size(self) -> int:
        return self.dtype.itemsize

    # ---- autograd state -----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Marks a leaf as needing a gradient (or not)."""
        if self._node is not None and not requires_grad:
            raise AutogradError(
                "requires_grad_: you can only change requires_grad flags of leaf variables. If you want to "
                "use a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad:
            _check_can_require_grad(self.dtype, "requires_grad_")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self) -> tape.TapeNode | None:
        return self._node if type(self._node) is tape.TapeNode else None

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            value = value if isinstance(value, Tensor) else Tensor._wrap(jnp.asarray(value))
            if tuple(value.shape) != tuple(self.shape):
                raise ValueError(f"grad: assigned grad has shape {tuple(value.shape)}, expected {tuple(self.shape)}")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keeps `.grad` on this non-leaf after backward (leaves keep it anyway)."""
        if not self._requires_grad:
            raise AutogradError("retain_grad: can't retain_grad on Tensor that has requires_grad=False")
        if self._node is not None and not self._retains_grad:
            self._retains_grad = True
            self._node.retain(self._output_index, self)

    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False, inputs: Any = None
    ) -> None:
        """Sums d(self)/d(leaf) into `.grad` of every leaf that requires grad."""
        _backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    @property
    def data(self) -> Tensor:
        """The same values outside autograd, sharing them with this tensor as PyTorch's `.data` does.

        In-place changes through it (`p.data.mul_(0.5)`, `w.data.normal_()`) rebind this tensor's
        array and are not recorded on the tape; later changes to this tensor show through it too.
        """
        return _DataAlias._alias(self)

    @data.setter
    def data(self, value: Any) -> None:
        value = value if isinstance(value, Tensor) else Tensor(value)
        self._array = value._array  # outside autograd: no tape node, like torch's `.data =`
        self._version += 1

    def detach(self) -> Tensor:
        """The same values, cut from the graph."""
        return Tensor._wrap(self._array)

    def detach_(self) -> Tensor:
        self._node, self._requires_grad = None, False
        return self

    def register_hook(self, hook: Any) -> None:
        raise NotImplementedError("register_hook: tensor hooks are not supported by functorch_lite's tape")

    # ---- in-place updates -------------------------------------------------------------
    def _inplace(self, fn: Any, *args: Any) -> Tensor:
        """Runs `fn(self, *args)` through the dispatcher and rebinds self to the result."""
        if self._node is None and self._requires_grad and grad_mode.state.enabled:
            raise AutogradError(LEAF_INPLACE_MESSAGE)
        out = dispatch.apply(fn, self, *args)
        if tuple(out.shape) != tuple(self._array.shape):
            name = dispatch._op_name(fn).removesuffix("_inplace")
            raise ValueError(
                f"{name}_: output with shape {list(self._array.shape)} doesn't match the broadcast shape "
                f"{list(out.shape)}"
            )
        self._array = out._array
        if out._node is not None:
            self._node, self._output_index, self._requires_grad = out._node, out._output_index, True
            if self._retains_grad:
                out._node.retain(out._output_index, self)
        self._version += 1
        return self

    # ---- conversion -------------------------------------------------------------------------
    def item(self) -> Any:
        """The single value as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item: a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return self._host().reshape(()).item()

    def tolist(self) -> Any:
        return self._host().tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise AutogradError(
                "numpy: Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._host()

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise ValueError(
                f"Boolean value of Tensor with more than one value is ambiguous (shape {tuple(self.shape)})"
            )
        return bool(self._array.reshape(()))

    def __float__(self) -> float:
        return float(self.item()) if self.numel() == 1 else float(self._array)

    def __int__(self) -> int:
        return int(self.item()) if self.numel() == 1 else int(self._array)

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """`to(device)`, `to(dtype)`, `to(other)`, `to(device, dtype)`; self if nothing changes."""
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        target_device, target_dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                target_device, target_dtype = arg.device, arg.dtype
            elif isinstance(arg, (str, _device_name, jax.Device)):
                target_device = arg
            elif isinstance(arg, bool) or arg is None:
                continue  # PyTorch's positional non_blocking
            else:
                target_dtype = arg
        result = self
        if target_dtype is not None:
            dtype = _dtypes.as_dtype(target_dtype, "to")
            if dtype != self.dtype:
                result = dispatch.apply(_astype, result, dtype)
        if target_device is not None:
            jax_device = resolve_device(target_device)
            on = result._array
            if isinstance(on, jax.core.Tracer) or jax_device not in on.devices():
                result = dispatch.apply(_device_put, result, jax_device)
        if copy and result is self:
            result = self.clone()
        return result

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """Moves to a CUDA device; raises naming the available devices when there is none."""
        return self.to("cuda" if device is None else device if not isinstance(device, int) else f"cuda:{device}")

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return _TYPE_NAMES.get(self.dtype.name, f"torch.{self.dtype.name}")
        if isinstance(dtype, str) and dtype in _TYPE_NAMES.values():  # t.type("torch.FloatTensor")
            dtype = _dtypes.as_dtype(next(name for name, legacy in _TYPE_NAMES.items() if legacy == dtype), "type")
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self, memory_format: Any = None) -> Tensor:
        return self.to(_dtypes.float32)

    def double(self, memory_format: Any = None) -> Tensor:
        return self.to(_dtypes.float64)

    def half(self, memory_format: Any = None) -> Tensor:
        return self.to(_dtypes.float16)

    def bfloat16(self, memory_format: Any = None) -> Tensor:
        return self.to(_dtypes.bfloat16)

    def long(self, memory_format: Any = None) -> Tensor:
        return self.to(_dtypes.int64)

    def int(self, memory_format: Any = None) -> Tensor:
        return self.to(_dtypes.int32)

    def bool(self, memory_format: Any = None) -> Tensor:
        return self.to(_dtypes.bool_)

    # ---- factories from this tensor (its dtype and device unless given) ---------------------------
    def _new(self, op: str, make: Any, size: Any, dtype: Any, device: Any, requires_grad: bool, *extra: Any) -> Tensor:
        from . import creation  # creation imports this module

        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list, Size)) else tuple(size)
        dtype = self.dtype if dtype is None else dtype
        device = self.device if device is None else device
        return getattr(creation, make)(
            *((shape,) if make == "full" else shape), *extra, dtype=dtype, device=device, requires_grad=requires_grad
        )

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of `size`, with this tensor's dtype and device unless given."""
        return self._new("new_zeros", "zeros", size, dtype, device, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Ones of `size`, with this tensor's dtype and device unless given."""
        return self._new("new_ones", "ones", size, dtype, device, requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of `size` (JAX has no uninitialised memory), with this tensor's dtype and device."""
        return self._new("new_empty", "empty", size, dtype, device, requires_grad)

    def new_full(
        self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """`fill_value` in `size`, with this tensor's dtype and device unless given."""
        return self._new("new_full", "full", (size,), dtype, device, requires_grad, fill_value)

    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """A copy of `data` as a new leaf, with this tensor's dtype and device unless given."""
        from . import creation

        dtype = self.dtype if dtype is None else dtype
        device = self.device if device is None else device
        return creation.tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)

    def byte(self, memory_format: Any = None) -> Tensor:
        return self.to(_dtypes.uint8)

    def char(self, memory_format: Any = None) -> Tensor:
        return self.to(_dtypes.int8)

    def short(self, memory_format: Any = None) -> Tensor:
        return self.to(_dtypes.int16)

    # ---- identity and display ------------------------------------------------------------------
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return format_tensor(self)

    def __format__(self, format_spec: str) -> str:
        # As PyTorch: a 0-d tensor formats as its value (f"{loss:.3f}", f"{t}" -> "3"), others as repr.
        if self.ndim == 0 and not isinstance(self._array, jax.core.Tracer):
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self._node is not None:
            raise AutogradError(
                "deepcopy: Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol"
            )
        new = type(self)._wrap(self._array, self._requires_grad)
        if type(self) is not Tensor and hasattr(self, "__dict__"):
            new.__dict__.update(self.__dict__)
        if self._grad is not None:
            new._grad = Tensor._wrap(self._grad._array)
        memo[id(self)] = new
        return new


_TYPE_NAMES = {
    "float32": "torch.FloatTensor",
    "float64": "torch.DoubleTensor",
    "float16": "torch.HalfTensor",
    "int32": "torch.IntTensor",
    "int64": "torch.LongTensor",
    "bool": "torch.BoolTensor",
    "uint8": "torch.ByteTensor",
    "int8": "torch.CharTensor",
}


def _astype(x: jax.Array, dtype: np.dtype) -> jax.Array:
    return x.astype(dtype)


def _device_put(x: jax.Array, device: jax.Device) -> jax.Array:
    return jax.device_put(x, device)


def _flatten_tensor(tensor: Tensor) -> tuple[tuple[Any], tuple[bool]]:
    return (tensor._array,), (tensor._requires_grad,)


def _unflatten(cls: type, aux: tuple[bool], children: Any) -> Tensor:
    # jax may unflatten with placeholder leaves (object(), None): no validation here.
    return cls._wrap(children[0], aux[0])


class ComputedArrayTensor(Tensor):
    """Base of the Tensors whose `_array` is a property (read through, or computed on first read)."""

    __slots__ = ()

    @classmethod
    def _bare(cls) -> Tensor:
        """A grad-free instance with the Tensor's bookkeeping at its defaults; the subclass sets the rest."""
        tensor = object.__new__(cls)
        tensor._requires_grad, tensor._node, tensor._output_index = False, None, 0
        tensor._grad, tensor._version, tensor._retains_grad = None, 0, False
        return tensor

    @classmethod
    def _wrap(cls, array: Any, requires_grad: bool = False, node: Any = None, index: int = 0) -> Tensor:
        return Tensor._wrap(array, requires_grad, node, index)  # copies and pytree rebuilds are plain Tensors


class _DataAlias(ComputedArrayTensor):
    """What `.data` returns: a grad-free Tensor whose array is its owner's, read and written through."""

    __slots__ = ("_owner",)

    @classmethod
    def _alias(cls, owner: Tensor) -> Tensor:
        alias = cls._bare()
        alias._owner = owner
        return alias

    @property
    def _array(self) -> Any:
        return self._owner._array

    @_array.setter
    def _array(self, value: Any) -> None:
        self._owner._array = value
        self._owner._version += 1


jax.tree_util.register_pytree_node(Tensor, _flatten_tensor, lambda aux, children: _unflatten(Tensor, aux, children))
tape.register_tensor_type(Tensor)
__all__ = ["Tensor", "Size", "AutogradError"]
