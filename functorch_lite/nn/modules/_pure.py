"""`PureLayerModule`: a Module whose math is one pure `Layer` of the functional core.

The pure layer gives PyTorch's default initialisation (`init`), the forward math and
the layer-level error messages (`apply`, naming the layer by its repr). This class
adds only the bookkeeping: Parameters and buffers registered under the pure layer's
keys (so `state_dict()` keys are PyTorch's), the call through the autograd dispatcher,
and write-back of updated buffers (BatchNorm's running statistics).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

from ... import functional as fn
from ... import random
from ..._tensor.tensor import Tensor
from ...autograd.dispatch import apply
from ...device import resolve_device
from ..module import Module
from ..parameter import Parameter, set_array


@functools.lru_cache(maxsize=1024)
def _shared_layer(factory: Callable[..., fn.Layer], *args: Any) -> fn.Layer:
    """One pure layer per configuration: equal layers share their apply, hence their jitted plans."""
    return factory(*args)


def pure_layer(factory: Callable[..., fn.Layer], *args: Any) -> fn.Layer:
    try:
        return _shared_layer(factory, *args)
    except TypeError:  # an unhashable argument (a list): build one just for this module
        return factory(*args)


def as_tensor(value: Any) -> Tensor:
    """Tensors pass through; jax and numpy arrays are wrapped (no copy)."""
    return value if isinstance(value, Tensor) else Tensor._wrap(jax.numpy.asarray(value))


def _init_key(raw_key: Any) -> jax.Array:
    """The generator's threefry key as an "rbg" key for parameter initialisation.

    Threefry's random kernels compile slowly on XLA:CPU for every new parameter shape;
    XLA's RngBitGenerator compiles several times faster (figures in benchmarks/README.md).
    Draws stay a deterministic function of the generator's state.
    """
    data = jax.numpy.asarray(raw_key, jax.numpy.uint32)
    return jax.random.wrap_key_data(jax.numpy.concatenate([data, data ^ jax.numpy.uint32(0x9E3779B9)]), impl="rbg")


class PureLayerModule(Module):
    """Registers the pure layer's params and buffers and runs its `apply` on the tape."""

    def __init__(self, layer: fn.Layer, device: Any = None):
        super().__init__()
        object.__setattr__(self, "_layer", layer)
        target = None if device is None else resolve_device(device)
        params = layer.init(_init_key(random.default_generator.next_key()))
        for name, value in params.items():
            value = value if target is None else jax.device_put(value, target)
            self.register_parameter(name, Parameter(value))
        for name, value in layer.init_state().items():
            value = value if target is None else jax.device_put(value, target)
            self.register_buffer(name, Tensor(value))

    def _params(self) -> dict[str, Parameter]:
        return {name: p for name, p in self._parameters.items() if p is not None}

    def forward(self, input: Any) -> Tensor:
        return apply(self._layer.apply, self._params(), input, training=self.training)

    def extra_repr(self) -> str:
        name = self._layer.name  # PyTorch's repr, e.g. "Linear(in_features=4, ...)"
        return name[name.index("(") + 1 : -1]


class StatefulLayerModule(PureLayerModule):
    """A pure layer with buffers (BatchNorm): state goes in, updated buffers are written back."""

    def forward(self, input: Any) -> Tensor:
        state = {name: b for name, b in self._buffers.items() if b is not None}
        output, new_state = apply(self._layer.apply, self._params(), input, state=state, training=self.training)
        if self.training:
            for name, value in new_state.items():
                set_array(self._buffers[name], value.array)
        return output


class LayerModule(PureLayerModule):
    """A pure layer with several inputs or options in forward (Bilinear, ConvTranspose's output_size),
    or a random one (`_random = True`: a key from the global generator while training)."""

    _random = False

    def forward(self, *inputs: Any, **options: Any) -> Any:
        if self._random and self.training:
            options["key"] = random.default_generator.next_key()
        return apply(self._layer.apply, self._params(), *inputs, training=self.training, **options)


__all__ = ["PureLayerModule", "StatefulLayerModule", "LayerModule", "pure_layer", "as_tensor"]
