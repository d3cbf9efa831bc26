"""`nn.Module`: PyTorch's bookkeeping contract (registration, traversal, state_dict, modes, devices).

A Module owns Parameters, buffers and child Modules, registered by attribute
assignment exactly as in PyTorch. It holds no math: layers call the functional core
through the autograd dispatcher. The traversal order (parameters first, then
buffers, then children, depth first, in insertion order) is PyTorch's, so
`state_dict()` keys and `parameters()` order match a PyTorch model's.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jax
import numpy as np

from .._tensor import dtypes as _dtypes
from .._tensor.tensor import Tensor
from ..device import device as device_name
from ..device import resolve_device
from ._state_dict import IncompatibleKeys, StateDictError, load_state_dict
from .parameter import Parameter, set_array, state_changed

_hook_ids = itertools.count()


class RemovableHandle:
    """Returned by `register_forward_hook` and friends; `remove()` unregisters the hook."""

    def __init__(self, hooks: dict):
        self._hooks, self.id = hooks, next(_hook_ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()


class Module:
    """Base class of every layer and model; subclass it and define `forward`."""

    training: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments "
                f"{args or ''}{kwargs or ''}; Module.__init__ takes none"
            )
        setter = object.__setattr__
        setter(self, "training", True)
        setter(self, "_parameters", OrderedDict())
        setter(self, "_buffers", OrderedDict())
        setter(self, "_non_persistent_buffers", set())
        setter(self, "_modules", OrderedDict())
        setter(self, "_forward_pre_hooks", OrderedDict())
        setter(self, "_forward_hooks", OrderedDict())

    # -- registration --------------------------------------------------------------------------
    def _check_init(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() call; call super().__init__() first")

    def __setattr__(self, name: str, value: Any) -> None:
        registries = self.__dict__
        if isinstance(value, (Parameter, Module)):
            state_changed(self, name, value)
        if isinstance(value, Parameter):
            self._check_init(name)
            _discard(name, self._buffers, self._modules, registries)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._check_init(name)
            _discard(name, self._parameters, self._buffers, registries)
            self._modules[name] = value
        elif "_parameters" in registries and name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as parameter '{name}' (nn.Parameter or None expected)"
                )
            self._parameters[name] = None
        elif "_buffers" in registries and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_type_name(value)}' as buffer '{name}' (Tensor or None expected)")
            self._buffers[name] = value
        elif "_modules" in registries and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_type_name(value)}' as child module '{name}' (nn.Module or None expected)"
                )
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, name: Any, kind: str) -> None:
        self._check_init(name)
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name or not name:
            raise KeyError(f"{kind} name can't contain '.' or be empty, got {name!r}")
        if hasattr(type(self), name):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a parameter (or a None slot) under `name`."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_type_name(param)}' object to parameter '{name}' (nn.Parameter or None required)"
            )
        _discard(name, self._buffers, self._modules, self.__dict__)
        state_changed(self, name, param)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Adds a buffer (state that is not learned, e.g. running statistics) under `name`."""
        self._check_name(name, "buffer")
        if isinstance(tensor, (jax.Array, np.ndarray)):
            tensor = Tensor(tensor)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_type_name(tensor)}' object to buffer '{name}' (Tensor, array or None required)"
            )
        _discard(name, self._parameters, self._modules, self.__dict__)
        state_changed(self, name, tensor)
        self._buffers[name] = tensor
        (self._non_persistent_buffers.discard if persistent else self._non_persistent_buffers.add)(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Adds a child module under `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {_type_name(module)} is not a Module subclass")
        self._check_name(name, "module")
        _discard(name, self._parameters, self._buffers, self.__dict__)
        state_changed(self, name, module)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module = self
        for part in target.split(".") if target else []:
            if module._modules.get(part) is None:
                raise AttributeError(
                    f"{type(module).__name__} has no attribute `{part}` (looking up submodule {target!r})"
                )
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        owner, _, name = target.rpartition(".")
        module = self.get_submodule(owner)
        if module._parameters.get(name) is None:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        return module._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        owner, _, name = target.rpartition(".")
        module = self.get_submodule(owner)
        if module._buffers.get(name) is None:
            raise AttributeError(f"{type(module).__name__} has no buffer `{name}`")
        return module._buffers[name]

    # -- calling -------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks):  # the hot path
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(module, args) -> None or new args`, called before `forward`."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(module, args, output) -> None or new output`, called after `forward`."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # -- traversal -----------------------------------------------------------------------------
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # -- state_dict ----------------------------------------------------------------------------
    def state_dict(self, destination: dict | None = None, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Flat name -> Tensor (detached unless keep_vars), PyTorch's keys and order."""
        out = OrderedDict() if destination is None else destination
        for name, value in self._parameters.items():
            if value is not None:
                out[prefix + name] = value if keep_vars else value.detach()
        for name, value in self._buffers.items():
            if value is not None and name not in self._non_persistent_buffers:
                out[prefix + name] = value if keep_vars else value.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(out, prefix + name + ".", keep_vars)
        return out

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copies Tensors, jax or numpy arrays into the parameters and buffers of the same keys.

        Missing or unexpected keys (with `strict`) and shape mismatches raise a
        `StateDictError` (a ValueError and a RuntimeError) listing them, before anything
        is copied. Returns `(missing_keys, unexpected_keys)`.
        """
        return load_state_dict(self, state_dict, strict, assign)

    # -- modes, gradients ------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError(f"train: training mode is expected to be boolean, got {mode!r}")
        if self.training != mode:
            state_changed()  # a compiled step traced in the other mode must not be reused
        object.__setattr__(self, "training", mode)
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for parameter in self.parameters():
            if parameter.grad is None:
                continue
            if set_to_none:
                parameter.grad = None
            else:
                parameter.grad = Tensor(jax.numpy.zeros_like(parameter.grad.array))

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Calls `fn` on every submodule (children first) and on self, as PyTorch does."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- devices and dtypes ------------------------------------------------------------------------
    def _apply_to_arrays(self, fn: Callable[[jax.Array], jax.Array]) -> Module:
        """Rebinds every parameter, gradient and buffer value in place (objects are kept)."""
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for tensor in registry.values():
                    if tensor is None:
                        continue
                    set_array(tensor, fn(tensor.array))
                    if tensor.grad is not None:
                        set_array(tensor.grad, fn(tensor.grad.array))
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """`to(device)`, `to(dtype)`, `to(device, dtype)` or `to(tensor)`, in place; returns self.

        Arrays move with `jax.device_put`; a dtype changes floating tensors only. A device
        that does not exist raises a ValueError naming the available ones.
        """
        device, dtype = _parse_to(args, kwargs)
        target = None if device is None else resolve_device(device)
        if dtype is not None and not _dtypes.is_floating(dtype):
            raise TypeError(f"Module.to: only floating dtypes are accepted, got {dtype}")

        def move(array: jax.Array) -> jax.Array:
            if dtype is not None and _dtypes.is_floating(array.dtype):
                array = array.astype(dtype)
            return array if target is None else jax.device_put(array, target)

        return self._apply_to_arrays(move)

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Module:
        return self.to("cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device))

    def float(self) -> Module:
        return self.to(_dtypes.float32)

    def double(self) -> Module:
        return self.to(_dtypes.float64)

    def half(self) -> Module:
        return self.to(_dtypes.float16)

    def bfloat16(self) -> Module:
        return self.to(_dtypes.bfloat16)

    # -- repr ----------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        children = [f"({name}): " + _indent(repr(module), 2) for name, module in self._modules.items()]
        if len(extra_lines) == 1 and not children:
            return f"{self._get_name()}({extra_lines[0]})"
        if not extra_lines and not children:
            return f"{self._get_name()}()"
        return f"{self._get_name()}(\n  " + "\n  ".join(extra_lines + children) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))


def _discard(name: str, *registries: dict) -> None:
    for registry in registries:
        registry.pop(name, None)


def _type_name(value: Any) -> str:
    return type(value).__name__


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return lines[0] + "".join("\n" + " " * spaces + line for line in lines[1:])


def _parse_to(args: tuple, kwargs: dict) -> tuple[Any, Any]:
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"Module.to: unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, (str, device_name, jax.Device)):
            device = arg
        elif isinstance(arg, bool) or arg is None:
            continue  # PyTorch's positional non_blocking
        else:
            try:
                dtype = _dtypes.as_dtype(arg, "Module.to")
            except TypeError:
                raise TypeError(f"Module.to: expected a device, dtype or Tensor, got {arg!r}") from None
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype, "Module.to")
    return device, dtype


__all__ = ["Module", "IncompatibleKeys", "StateDictError", "RemovableHandle"]
