"""Turn a checkpoint object into named arrays plus a JSON structure, and back.

A flat ``{str: array}`` dict (a ``state_dict``) maps to exactly those tensor
names and needs no structure, so PyTorch and Hugging Face tools read it as
is. Anything else (nested dicts, lists, tuples, NamedTuples, Python scalars,
strings, None) keeps its arrays as tensors named by their dotted path and its
shape as JSON under ``__metadata__["functorch_lite.tree"]``.

JSON nodes: ``null``/booleans/numbers/strings stand for themselves;
``{"array": name}``, ``{"list": [...]}``, ``{"tuple": [...]}``,
``{"dict": [[key, value], ...]}`` (keys keep their type: int keys stay ints)
and ``{"namedtuple": "module:qualname", "fields": [...], "values": [...]}``.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import numpy as np

from functorch_lite.serialization.safetensors_format import METADATA_KEY, TAG_BY_DTYPE

TREE_KEY = "functorch_lite.tree"
FORMAT_VERSION = 1
_PACKAGE = "functorch_lite"
_SCALARS = (bool, int, float, str, type(None))


def _is_array_like(value: object) -> bool:
    if isinstance(value, (np.ndarray, np.generic)):
        return True
    if isinstance(value, (*_SCALARS, bytes, dict, list, tuple)):
        return False
    return hasattr(value, "__jax_array__") or hasattr(value, "__array__")


def _to_numpy(value: object, path: str) -> np.ndarray:
    """The numpy form of an array-like leaf; TypeError naming ``path`` if impossible."""
    try:
        if hasattr(value, "__jax_array__") and not isinstance(value, np.ndarray):
            value = value.__jax_array__()
        array = np.asarray(value)
    except Exception as error:  # tracers, lazy objects: say where it happened
        raise TypeError(
            f"save: cannot convert object at {path or '<root>'!r} of type {type(value).__name__} to an array ({error})"
        ) from error
    if array.dtype.newbyteorder("=") not in TAG_BY_DTYPE:
        raise TypeError(
            f"save: array at {path or '<root>'!r} has dtype {array.dtype}, which cannot be "
            f"stored; supported: {', '.join(sorted(str(d) for d in TAG_BY_DTYPE))}"
        )
    return array


def is_flat_state_dict(obj: object) -> bool:
    """True for a non-empty ``{str: array}`` dict, stored with no structure metadata."""
    return (
        isinstance(obj, dict)
        and len(obj) > 0
        and all(isinstance(key, str) and key != METADATA_KEY for key in obj)
        and all(_is_array_like(value) for value in obj.values())
    )


def _is_namedtuple(value: object) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


class _Encoder:
    def __init__(self) -> None:
        self.tensors: dict[str, np.ndarray] = {}

    def _tensor_name(self, name_parts: list[str]) -> str:
        base = ".".join(name_parts) or "tensor"
        name, suffix = base, 0
        # Dotted paths can collide ({"a.b": x, "a": {"b": y}}); disambiguate.
        while name in self.tensors or name == METADATA_KEY:
            suffix += 1
            name = f"{base}~{suffix}"
        return name

    def key(self, key: object, path: str) -> Any:
        if isinstance(key, _SCALARS):
            return key
        if isinstance(key, tuple) and not _is_namedtuple(key):
            return {"tuple": [self.key(part, path) for part in key]}
        raise TypeError(
            f"save: cannot serialise dict key {key!r} of type {type(key).__name__} at "
            f"{path or '<root>'!r}; keys must be str, int, float, bool, None or tuples of them"
        )

    def node(self, value: object, path: str, name_parts: list[str]) -> Any:
        if _is_array_like(value):
            name = self._tensor_name(name_parts)
            self.tensors[name] = _to_numpy(value, path)
            return {"array": name}
        if isinstance(value, _SCALARS):
            return value
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                item_path = (f"{path}.{key}" if path else key) if isinstance(key, str) else f"{path}[{key!r}]"
                items.append([self.key(key, path), self.node(item, item_path, [*name_parts, str(key)])])
            return {"dict": items}
        if _is_namedtuple(value):
            cls = type(value)
            values = [
                self.node(item, f"{path}.{field}" if path else field, [*name_parts, field])
                for field, item in zip(cls._fields, value, strict=True)
            ]
            return {"namedtuple": f"{cls.__module__}:{cls.__qualname__}", "fields": list(cls._fields), "values": values}
        if isinstance(value, (list, tuple)):
            items = [self.node(item, f"{path}[{index}]", [*name_parts, str(index)]) for index, item in enumerate(value)]
            return {"tuple" if isinstance(value, tuple) else "list": items}
        raise TypeError(
            f"save: cannot serialise object at {path or '<root>'!r} of type {type(value).__name__}; "
            "supported are arrays, dict/list/tuple/NamedTuple containers, int, float, bool, str and None"
        )


def encode(obj: object) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Split ``obj`` into (tensor name -> numpy array, safetensors metadata)."""
    if is_flat_state_dict(obj):
        # "format": "pt" is what Hugging Face loaders check for a state_dict.
        return {key: _to_numpy(value, key) for key, value in obj.items()}, {"format": "pt"}
    encoder = _Encoder()
    root = encoder.node(obj, "", [])
    tree = json.dumps({"version": FORMAT_VERSION, "root": root}, separators=(",", ":"))
    return encoder.tensors, {TREE_KEY: tree}


def _resolve_namedtuple(type_name: str, fields: list[str]) -> type | None:
    """The NamedTuple class ``module:qualname`` if it lives in functorch_lite, else None.

    Only modules of this package are ever imported: a file must not be able
    to make ``load`` import (and so run) arbitrary code.
    """
    module_name, _, qualname = type_name.partition(":")
    in_package = module_name == _PACKAGE or module_name.startswith(_PACKAGE + ".")
    if not in_package or not all(part.isidentifier() for part in module_name.split(".")):
        return None
    try:
        target: object = importlib.import_module(module_name)
    except ImportError:
        return None
    for part in qualname.split("."):
        if not part.isidentifier():
            return None
        target = getattr(target, part, None)
    is_namedtuple_class = isinstance(target, type) and issubclass(target, tuple)
    if is_namedtuple_class and list(getattr(target, "_fields", ())) == list(fields):
        return target
    return None


class _Decoder:
    def __init__(self, tensors: dict[str, Any], where: str) -> None:
        self.tensors = tensors
        self.where = where

    def fail(self, what: str) -> ValueError:
        return ValueError(f"{self.where}: malformed {TREE_KEY} metadata: {what}")

    def node(self, node: Any) -> Any:
        if isinstance(node, _SCALARS):
            return node
        if not isinstance(node, dict) or not node:
            raise self.fail(f"unexpected node {str(node)[:80]}")
        if "array" in node:
            name = node["array"]
            if not isinstance(name, str) or name not in self.tensors:
                raise self.fail(f"reference to missing tensor {name!r}")
            return self.tensors[name]
        if "list" in node or "tuple" in node:
            items = node.get("list", node.get("tuple"))
            if not isinstance(items, list):
                raise self.fail(f"container node {str(node)[:80]}")
            values = [self.node(item) for item in items]
            return values if "list" in node else tuple(values)
        if "dict" in node:
            items = node["dict"]
            if not isinstance(items, list) or not all(isinstance(item, list) and len(item) == 2 for item in items):
                raise self.fail(f"dict node {str(node)[:80]}")
            return {self.key(key): self.node(value) for key, value in items}
        if "namedtuple" in node:
            fields, values = node.get("fields"), node.get("values")
            if not (isinstance(fields, list) and isinstance(values, list)) or len(fields) != len(values):
                raise self.fail(f"namedtuple node {str(node)[:80]}")
            decoded = [self.node(value) for value in values]
            cls = _resolve_namedtuple(str(node["namedtuple"]), fields)
            return cls(*decoded) if cls is not None else dict(zip(fields, decoded, strict=True))
        raise self.fail(f"unknown node kind {sorted(node)}")

    def key(self, node: Any) -> Any:
        if isinstance(node, _SCALARS):
            return node
        if isinstance(node, dict) and isinstance(node.get("tuple"), list):
            return tuple(self.key(part) for part in node["tuple"])
        raise self.fail(f"dict key {str(node)[:80]}")


def decode(tensors: dict[str, Any], metadata: dict[str, str], where: str) -> Any:
    """Rebuild the saved object; a file without structure metadata is a flat dict."""
    if TREE_KEY not in metadata:
        return dict(tensors)
    try:
        tree = json.loads(metadata[TREE_KEY])
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: {TREE_KEY} metadata is not JSON ({error})") from None
    if not isinstance(tree, dict) or "root" not in tree:
        raise ValueError(f"{where}: {TREE_KEY} metadata lacks a root")
    version = tree.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{where}: structure format version {version!r} is not supported "
            f"(this functorch_lite reads versions up to {FORMAT_VERSION})"
        )
    return _Decoder(tensors, where).node(tree["root"])
