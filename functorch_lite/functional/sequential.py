"""`Sequential`: composes pure layers; children named like PyTorch's ("0", "1", ... or given)."""

from __future__ import annotations

from collections.abc import Mapping

import jax

from .layers import Layer


def Sequential(*layers) -> Layer:
    """Chains layers: `Sequential(a, b)`, `Sequential(("c", a), ("r", b))`, `Sequential({"a": a})`.

    Args:
        *layers: layers in order, or (name, layer) pairs, or one mapping of names to
            layers. Unnamed children are keyed "0", "1", ... as in `torch.nn.Sequential`,
            so parameter keys match PyTorch's `state_dict`.

    Returns:
        A `Layer` whose params (and state) are dicts keyed by child name, with
        parameter-free children left out. It is stateful when any child is; then
        `apply` returns `(y, new_state)`. A `key` is split per child with `fold_in`.
    """
    if len(layers) == 1 and isinstance(layers[0], Mapping):
        named = list(layers[0].items())
    elif layers and all(isinstance(item, tuple) and not isinstance(item, Layer) for item in layers):
        named = list(layers)
    else:
        named = [(str(i), layer) for i, layer in enumerate(layers)]
    names = [name for name, _ in named]
    if len(set(names)) != len(names):
        raise ValueError(f"Sequential: child names must be unique, got {names}")
    for name, layer in named:
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential: child {name!r} must be a functional Layer, got {type(layer).__name__}")
    stateful = any(layer.stateful for _, layer in named)

    def init(key):
        keys = jax.random.split(key, len(named)) if named else []
        params = {}
        for (name, layer), k in zip(named, keys, strict=True):
            p = layer.init(k)
            if p:
                params[name] = p
        return params

    def init_state():
        state = {}
        for name, layer in named:
            s = layer.init_state()
            if s:
                state[name] = s
        return state

    def apply(params, x, *, state=None, key=None, training=True):
        if stateful:
            state = init_state() if state is None else state
            new_state = {}
        for i, (name, layer) in enumerate(named):
            child_key = None if key is None else jax.random.fold_in(key, i)
            kwargs = {"key": child_key, "training": training}
            if layer.stateful:
                x, s = layer.apply(params.get(name, {}), x, state=state.get(name), **kwargs)
                if s:
                    new_state[name] = s
            else:
                x = layer.apply(params.get(name, {}), x, **kwargs)
        return (x, new_state) if stateful else x

    body = "\n".join(f"  ({name}): {layer.name}" for name, layer in named)
    return Layer(init, apply, init_state, stateful, f"Sequential(\n{body}\n)" if named else "Sequential()")
