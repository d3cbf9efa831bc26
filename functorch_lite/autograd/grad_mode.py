"""Whether the tape records: `no_grad`, `enable_grad`, `set_grad_enabled`, `is_grad_enabled`.

Each is a context manager and a decorator, as in PyTorch. The flag is a plain module
global read once per op by the dispatcher; under `jax.jit` tracing it is read at trace
time, so a traced step behaves as its Python code says.
"""

from __future__ import annotations

import contextlib
from typing import Any

_enabled = True


def is_grad_enabled() -> bool:
    """True when ops on tensors that require grad are recorded on the tape."""
    return _enabled


def _set(mode: bool) -> None:
    global _enabled
    _enabled = mode


class _GradModeContext(contextlib.ContextDecorator):
    """Sets the grad mode on entry and restores the previous one on exit."""

    _mode: bool

    def __enter__(self) -> None:
        self._previous = _enabled
        _set(self._mode)

    def __exit__(self, *exc_info: Any) -> None:
        _set(self._previous)

    def _recreate_cm(self):  # a fresh context per decorated call keeps recursion and threads apart
        return type(self)()


class _NoArgumentMode(_GradModeContext):
    """Also usable as a bare decorator (`@no_grad`), as PyTorch allows."""

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self if func is None else self(func)

    def __init__(self, func=None):
        pass


class no_grad(_NoArgumentMode):  # noqa: N801 - PyTorch's spelling
    """Disables recording: results do not require grad (`with no_grad():`, `@no_grad()`)."""

    _mode = False


class enable_grad(_NoArgumentMode):  # noqa: N801
    """Enables recording, e.g. inside a `no_grad` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """`set_grad_enabled(mode)`: sets the mode now, or for a block or a decorated call."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {type(mode).__name__}")
        self._mode = mode
        # PyTorch applies the mode at construction, so a bare call works as a setter.
        self._previous = _enabled
        _set(mode)

    def __enter__(self) -> None:
        _set(self._mode)

    def __call__(self, func):  # as a decorator the construction-time switch must not stay in effect
        _set(self._previous)
        return super().__call__(func)

    def _recreate_cm(self):
        return _Scoped(self._mode)


class _Scoped(_GradModeContext):
    def __init__(self, mode: bool):
        self._mode = mode

    def _recreate_cm(self):
        return _Scoped(self._mode)
