"""The padding Modules: Reflection, Replication, Zero, Circular and Constant pads in 1d, 2d and 3d."""

from __future__ import annotations

from typing import Any

from ...functional import layers_nd
from ._pure import LayerModule, pure_layer
from .conv_nd import _hashable


class _Pad(LayerModule):
    _n, _mode = 0, "constant"

    def __init__(self, padding: Any, value: float = 0.0):
        layer = pure_layer(layers_nd.Pad, self._n, self._mode, _hashable(padding), value)
        super().__init__(layer)
        self.padding = (padding,) * (2 * self._n) if isinstance(padding, int) else tuple(padding)
        self.value = value


def _pad_class(title: str, mode: str, n: int, with_value: bool) -> type:
    if with_value:

        def __init__(self, padding: Any, value: float):
            _Pad.__init__(self, padding, value)
    else:

        def __init__(self, padding: Any):
            _Pad.__init__(self, padding)

    doc = f"Pads the last {n} dim(s) with mode {mode!r}; `padding` is an int or {2 * n} amounts, last dim first."
    return type(f"{title}Pad{n}d", (_Pad,), {"_n": n, "_mode": mode, "__init__": __init__, "__doc__": doc})


ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = (_pad_class("Reflection", "reflect", n, False) for n in (1, 2, 3))
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = (
    _pad_class("Replication", "replicate", n, False) for n in (1, 2, 3)
)
CircularPad1d, CircularPad2d, CircularPad3d = (_pad_class("Circular", "circular", n, False) for n in (1, 2, 3))
ZeroPad1d, ZeroPad2d, ZeroPad3d = (_pad_class("Zero", "constant", n, False) for n in (1, 2, 3))
ConstantPad1d, ConstantPad2d, ConstantPad3d = (_pad_class("Constant", "constant", n, True) for n in (1, 2, 3))

__all__ = [
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
]
