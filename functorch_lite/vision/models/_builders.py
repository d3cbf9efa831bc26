"""Two builders with one vocabulary, so each architecture is written once for both faces.

An architecture is a function of a builder: `conv`, `bn`, `relu`, `linear`, ...
make leaves, `seq` names children, `residual` adds a shortcut. `ModuleBuilder`
returns `nn.Module`s (torchvision's attribute names: `model.fc`, `model.layer1[0].conv1`);
`LayerBuilder` returns pure `functional.Layer`s whose parameter keys are the same
`state_dict` keys. Both run the library's one set of ops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax

from functorch_lite import functional as fn
from functorch_lite import nn
from functorch_lite.autograd.dispatch import apply as run_on_tensors

Named = Sequence[tuple[str, Any]]


class _Chain(nn.Module):
    """Named children run in order; a repeated name reuses its module (torchvision's shared `relu`)."""

    def __init__(self, named: Named, shortcut: Any = None, add: bool = False, after: Any = None, kind: str = "Chain"):
        super().__init__()
        self._kind = kind
        self._order = [name for name, _ in named]
        for name, module in named:
            if name not in self._modules:
                self.add_module(name, module)
        if shortcut is not None:
            self.add_module(shortcut[0], shortcut[1])
        self._shortcut = None if shortcut is None else shortcut[0]
        self._add, self._after = add, after

    def forward(self, x: Any) -> Any:
        out = x
        for name in self._order:
            out = self._modules[name](out)
        if self._add:
            out = out + (x if self._shortcut is None else self._modules[self._shortcut](x))
            if self._after is not None:
                out = self._modules[self._after](out)
        return out

    def _get_name(self) -> str:
        return self._kind  # torchvision's class name: BasicBlock, Bottleneck, ResNet, ...

    def __getitem__(self, index: int) -> Any:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)


class _Function(nn.Module):
    """A parameter-free pure function of the activations (the CIFAR ResNet's option-A shortcut)."""

    def __init__(self, function: Callable[[jax.Array], jax.Array], name: str):
        super().__init__()
        self._function, self._name = function, name

    def forward(self, x: Any) -> Any:
        return run_on_tensors(self._function, x)

    def extra_repr(self) -> str:
        return self._name


class ModuleBuilder:
    """Leaves and containers as `functorch_lite.nn` Modules."""

    conv = staticmethod(
        lambda cin, cout, k, stride=1, padding=0, groups=1, bias=False: nn.Conv2d(
            cin, cout, k, stride, padding, groups=groups, bias=bias
        )
    )
    bn = staticmethod(lambda c: nn.BatchNorm2d(c))
    relu = staticmethod(lambda: nn.ReLU(inplace=True))
    relu6 = staticmethod(lambda: nn.ReLU6(inplace=True))
    maxpool = staticmethod(lambda k, stride, padding=0: nn.MaxPool2d(k, stride, padding))
    avgpool = staticmethod(lambda size: nn.AdaptiveAvgPool2d(size))
    dropout = staticmethod(lambda p: nn.Dropout(p))
    linear = staticmethod(lambda i, o: nn.Linear(i, o))
    flatten = staticmethod(lambda: nn.Flatten(1))
    function = staticmethod(lambda f, name: _Function(f, name))

    @staticmethod
    def seq(named: Named, kind: str | None = None) -> nn.Module:
        if kind is None:
            return nn.Sequential(dict(named))
        return _Chain(named, kind=kind)

    @staticmethod
    def residual(named: Named, shortcut=None, after: str | None = None, kind: str = "Residual") -> nn.Module:
        return _Chain(named, shortcut, add=True, after=after, kind=kind)


def _chain_layer(named: Named, shortcut, add: bool, after: str | None, kind: str) -> fn.Layer:
    """A pure Layer running named children in order (first of a repeated name owns its params)."""
    children: dict[str, fn.Layer] = {}
    for name, layer in [*named, *([shortcut] if shortcut else [])]:
        children.setdefault(name, layer)
    stateful = any(layer.stateful for layer in children.values())

    def init(key):
        keys = jax.random.split(key, len(children))
        params = {}
        for (name, layer), k in zip(children.items(), keys):
            value = layer.init(k)
            if value:
                params[name] = value
        return params

    def init_state():
        return {name: s for name, layer in children.items() if (s := layer.init_state())}

    def run(name, params, x, state, new_state, key, index, training):
        layer = children[name]
        child_key = None if key is None else jax.random.fold_in(key, index)
        if not layer.stateful:
            return layer.apply(params.get(name, {}), x, key=child_key, training=training)
        y, s = layer.apply(params.get(name, {}), x, state=state.get(name), key=child_key, training=training)
        if s:
            new_state[name] = s
        return y

    def apply(params, x, *, state=None, key=None, training=True):
        state = init_state() if state is None else state
        new_state: dict = {}
        out = x
        for index, (name, _) in enumerate(named):
            out = run(name, params, out, state, new_state, key, index, training)
        if add:
            identity = x if shortcut is None else run(shortcut[0], params, x, state, new_state, key, -1, training)
            out = out + identity
            if after is not None:
                out = run(after, params, out, state, new_state, key, -2, training)
        return (out, new_state) if stateful else out

    body = "".join(f"  ({name}): {layer.name}\n" for name, layer in children.items())
    return fn.Layer(init, apply, init_state, stateful, f"{kind}(\n{body})")


class LayerBuilder:
    """Leaves and containers as pure `functorch_lite.functional` Layers."""

    conv = staticmethod(
        lambda cin, cout, k, stride=1, padding=0, groups=1, bias=False: fn.Conv2d(
            cin, cout, k, stride, padding, groups=groups, bias=bias
        )
    )
    bn = staticmethod(lambda c: fn.BatchNorm2d(c))
    relu = staticmethod(fn.ReLU)
    relu6 = staticmethod(fn.ReLU6)
    maxpool = staticmethod(lambda k, stride, padding=0: fn.MaxPool2d(k, stride, padding))
    avgpool = staticmethod(fn.AdaptiveAvgPool2d)
    dropout = staticmethod(fn.Dropout)
    linear = staticmethod(fn.Linear)
    flatten = staticmethod(lambda: fn.Flatten(1))

    @staticmethod
    def function(f: Callable[[jax.Array], jax.Array], name: str) -> fn.Layer:
        return fn.Layer(fn.layers._no_params, lambda params, x, **_: f(x), name=name)

    @staticmethod
    def seq(named: Named, kind: str | None = None) -> fn.Layer:
        return _chain_layer(named, None, add=False, after=None, kind=kind or "Sequential")

    @staticmethod
    def residual(named: Named, shortcut=None, after: str | None = None, kind: str = "Residual") -> fn.Layer:
        return _chain_layer(named, shortcut, add=True, after=after, kind=kind)


def builder(pure: bool) -> Any:
    if not isinstance(pure, bool):
        raise TypeError(f"pure must be a bool, got {pure!r}")
    return LayerBuilder if pure else ModuleBuilder
