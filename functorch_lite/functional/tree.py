"""Between nested parameter dicts and PyTorch-style flat `state_dict`s ("conv1.weight": array)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .layers import Layer


def flatten_dict(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"conv1": {"weight": w}} -> {"conv1.weight": w}."""
    flat = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flatten_dict(value, key + "."))
        else:
            flat[key] = value
    return flat


def unflatten_dict(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"conv1.weight": w} -> {"conv1": {"weight": w}}."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"unflatten_dict: key {key!r} nests under a leaf")
        node[leaf] = value
    return tree


def state_dict(params: Mapping[str, Any], state: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The flat PyTorch `state_dict` of a layer's params and buffers."""
    flat = flatten_dict(params)
    if state:
        flat.update(flatten_dict(state))
    return flat


def _shapes_in_init_order(init, *args) -> dict[str, Any]:
    """Flat {key: ShapeDtypeStruct} of `init(*args)`, keys in the order init creates them.

    `jax.eval_shape` returns dicts with sorted keys ("2.bias" before "2.weight", "10" before
    "2"); the order seen inside the traced call is the one PyTorch's state_dict uses.
    """
    order: list[str] = []

    def traced(*args):
        tree = init(*args)
        order.extend(flatten_dict(tree))
        return tree

    shapes = flatten_dict(jax.eval_shape(traced, *args))
    return {k: shapes[k] for k in order}


def load_state_dict(
    layer: Layer, state_dict: Mapping[str, Any], strict: bool = True, *, key: jax.Array | None = None
) -> tuple[dict, dict]:
    """Splits a flat `state_dict` (PyTorch's, converted to numpy, or ours) into `(params, state)`.

    Keys and shapes are checked against `layer`; values are cast to the layer's dtypes.
    Errors list missing and unexpected keys and size mismatches the way PyTorch does.
    With `strict=False`, missing entries keep the values of `layer.init(key)`.
    """
    if not isinstance(layer, Layer):
        raise TypeError(
            f"load_state_dict: layer must be a functional Layer (e.g. fn.Linear(4, 2)), got {type(layer).__name__}"
        )
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"load_state_dict: state_dict must be a mapping of names to arrays, got {type(state_dict).__name__}"
        )
    key = jax.random.key(0) if key is None else key
    params_shapes = _shapes_in_init_order(layer.init, key)
    state_shapes = _shapes_in_init_order(layer.init_state)
    expected = {**params_shapes, **state_shapes}
    given = {str(k): v for k, v in state_dict.items()}
    missing = [k for k in expected if k not in given]
    unexpected = [k for k in given if k not in expected]
    errors = []
    if strict and missing:
        errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
    if strict and unexpected:
        errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
    for k, value in given.items():
        if k in expected and tuple(np.shape(value)) != tuple(expected[k].shape):
            errors.append(
                f"size mismatch for {k}: copying a param with shape {tuple(np.shape(value))} from "
                f"checkpoint, the shape in current model is {tuple(expected[k].shape)}."
            )
    if errors:
        raise ValueError(f"Error(s) in loading state_dict for {layer.name.split('(')[0]}:\n\t" + "\n\t".join(errors))
    defaults = {}
    if missing:
        defaults = {**flatten_dict(layer.init(key)), **flatten_dict(layer.init_state())}

    def pick(shapes):
        out = {}
        for k, spec in shapes.items():
            # A private copy: the caller's numpy arrays (often views of a torch module's
            # buffers, which torch updates in place) must not be read by a transfer that JAX
            # may complete after this returns.
            out[k] = jnp.array(np.asarray(given[k]), spec.dtype, copy=True) if k in given else defaults[k]
        return unflatten_dict(out)

    return pick(params_shapes), pick(state_shapes)
