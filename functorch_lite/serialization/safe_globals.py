"""`add_safe_globals` / `safe_globals`: the classes and functions a user vouches for in PyTorch pickles.

As in `torch.serialization`: a checkpoint whose pickle names a global outside the tensor
whitelist is refused, unless the user listed that global here. A listed class is then
rebuilt by the pickle (its constructor, `__setstate__`), which is trusting that class;
nothing else is ever looked up or imported.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

_SAFE: dict[str, Any] = {}


def _name_of(entry: Any) -> tuple[str, Any]:
    if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str):
        return entry[1], entry[0]
    module, name = getattr(entry, "__module__", None), getattr(entry, "__qualname__", None)
    if not (isinstance(module, str) and isinstance(name, str)):
        raise TypeError(
            f"add_safe_globals: expected classes or functions (or (object, 'module.name') pairs), got {entry!r:.80}"
        )
    return f"{module}.{name}", entry


def add_safe_globals(safe_globals: Iterable[Any]) -> None:
    """Allows the listed classes/functions in `load`'s restricted PyTorch-pickle reader."""
    if isinstance(safe_globals, (str, bytes)) or not isinstance(safe_globals, Iterable):
        raise TypeError(f"add_safe_globals: expected a list of classes or functions, got {safe_globals!r:.80}")
    _SAFE.update(_name_of(entry) for entry in safe_globals)


def get_safe_globals() -> list[Any]:
    """The globals allowed by `add_safe_globals`."""
    return list(_SAFE.values())


def clear_safe_globals() -> None:
    """Forgets every global added by `add_safe_globals`."""
    _SAFE.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: Iterable[Any]) -> Iterator[None]:
    """Allows the listed globals inside a `with` block only."""
    saved = dict(_SAFE)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _SAFE.clear()
        _SAFE.update(saved)


def lookup(qualified_name: str) -> Any:
    """The user-listed global of that name, or None."""
    return _SAFE.get(qualified_name)


def is_listed_instance(value: Any) -> bool:
    """True for an object of a class the user listed (it passes through `load` as built)."""
    return any(isinstance(entry, type) and type(value) is entry for entry in _SAFE.values())
