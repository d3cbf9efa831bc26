"""`Module.load_state_dict`'s checks and copies, kept apart from the Module class.

Keys, order and error texts follow PyTorch: missing and unexpected keys are listed
(strict mode), shape mismatches are always errors, and nothing is copied unless
every check passed, so a failed load leaves the model untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._tensor.shape_ops import Size
from .._tensor.tensor import Tensor
from .parameter import Parameter, set_array

if TYPE_CHECKING:
    from .module import Module


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class StateDictError(ValueError, RuntimeError):
    """A state_dict that does not fit the model: a ValueError, and a RuntimeError as in PyTorch."""


def state_entries(module: Module) -> dict[str, tuple[Module, str, str]]:
    """Every persistent slot of `module`'s tree: key -> (owner, name, registry)."""
    entries = {}
    for prefix, owner in module.named_modules(remove_duplicate=False):
        dot = prefix + "." if prefix else ""
        for name, value in owner._parameters.items():
            if value is not None:
                entries[dot + name] = (owner, name, "_parameters")
        for name, value in owner._buffers.items():
            if value is not None and name not in owner._non_persistent_buffers:
                entries[dot + name] = (owner, name, "_buffers")
    return entries


def _as_array(value: Any, key: str) -> jax.Array:
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, jax.Array):
        return value
    try:
        return jnp.array(np.asarray(value), copy=True)
    except (TypeError, ValueError):
        raise TypeError(
            f"load_state_dict: value for {key!r} must be a Tensor, jax array or numpy array, got {type(value).__name__}"
        ) from None


def load_state_dict(module: Module, state_dict: Mapping[str, Any], strict: bool, assign: bool) -> IncompatibleKeys:
    """Checks `state_dict` against `module` and copies the values in (see Module.load_state_dict)."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"load_state_dict: expected state_dict to be dict-like, got {type(state_dict).__name__}")
    entries = state_entries(module)
    missing = [key for key in entries if key not in state_dict]
    unexpected = [key for key in state_dict if key not in entries]
    errors, values = [], {}
    for key, (owner, name, registry) in entries.items():
        if key not in state_dict:
            continue
        target = getattr(owner, registry)[name]
        array = _as_array(state_dict[key], key)
        if tuple(array.shape) != tuple(target.shape):
            errors.append(
                f"size mismatch for {key}: copying a param with shape {Size(array.shape)} "
                f"from checkpoint, the shape in current model is {Size(target.shape)}."
            )
            continue
        values[key] = array
    if strict:
        if unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{key}"' for key in unexpected) + ". ")
        if missing:
            errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{key}"' for key in missing) + ". ")
    if errors:
        raise StateDictError(f"Error(s) in loading state_dict for {type(module).__name__}:\n\t" + "\n\t".join(errors))
    for key, array in values.items():
        owner, name, registry = entries[key]
        target = getattr(owner, registry)[name]
        # A copy on the target's device and dtype, as PyTorch's copy_ does; the slot keeps
        # its object so optimizers still hold it.
        device = None if isinstance(target.array, jax.core.Tracer) else next(iter(target.array.devices()))
        new = jnp.array(array, dtype=target.dtype, copy=True)
        new = new if device is None else jax.device_put(new, device)
        if assign:
            replacement = (
                Parameter(new, requires_grad=target.requires_grad) if registry == "_parameters" else Tensor(new)
            )
            getattr(owner, registry)[name] = replacement
        else:
            set_array(target, new)
    return IncompatibleKeys(missing, unexpected)
