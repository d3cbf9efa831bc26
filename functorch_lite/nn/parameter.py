"""`nn.Parameter`: a Tensor that a Module registers as a learnable parameter.

Assigning a Parameter to a Module attribute registers it (`parameters()`,
`state_dict()`); a plain Tensor is not. Parameters require grad by default.
"""

from __future__ import annotations

from typing import Any

import jax

from .._tensor.tensor import Tensor


class Parameter(Tensor):
    """A Tensor registered by Modules; `Parameter(data, requires_grad=True)`."""

    def __init__(self, data: Any = None, requires_grad: bool = True):
        if data is None:
            data = jax.numpy.zeros((0,), jax.numpy.float32)  # PyTorch: an empty parameter
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Pickling would otherwise lose the class (Tensor has __slots__ and no __getstate__).
        return (_rebuild_parameter, (jax.device_get(self.array), self.requires_grad))


def _rebuild_parameter(array: Any, requires_grad: bool) -> Parameter:
    return Parameter(array, requires_grad=requires_grad)


def set_array(tensor: Tensor, array: jax.Array) -> None:
    """Rebinds `tensor` to a new value in place, as PyTorch's in-place copies do.

    The facade's bookkeeping (optimizer steps, `load_state_dict`, `Module.to`, running
    statistics) replaces whole arrays; the object, its `.grad` and its identity stay,
    so optimizers and user references keep seeing the same Parameter.
    """
    tensor._array = array
    tensor._version += 1


# For `compile`: a counter bumped whenever the facade's state changes shape (a Parameter,
# buffer or child Module registered, a train/eval switch, an optimizer's groups or state
# replaced), so a compiled step knows when to look for its state again; and a hook that
# compile sets while it traces a step, called before anything is registered.
generation = [0]
registration_hook: list = [None]


def state_changed(owner: Any = None, name: str = "", value: Any = None) -> None:
    """Notes a change in the facade's state; `owner`/`name`/`value` say what is being registered."""
    generation[0] += 1
    hook = registration_hook[0]
    if hook is not None and owner is not None:
        hook(owner, name, value)


__all__ = ["Parameter", "set_array"]
