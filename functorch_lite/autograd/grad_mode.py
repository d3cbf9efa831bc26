"""Whether the tape records: `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`.

Each is a context manager and a decorator, as in PyTorch. The mode is thread-local, as
PyTorch's is: a `with no_grad():` in one thread leaves other threads recording. The
dispatcher reads it once per op (one `threading.local` attribute read); under `jax.jit`
tracing it is read at trace time, so a traced step behaves as its Python code says.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any


class _ThreadState(threading.local):
    """Per-thread flags; class attributes are the defaults every new thread starts with."""

    enabled = True
    inference = False


state = _ThreadState()


def is_grad_enabled() -> bool:
    """True when ops on tensors that require grad are recorded on the tape (in this thread)."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    """True inside `inference_mode()` (in this thread)."""
    return state.inference


def _set(mode: bool) -> None:
    state.enabled = mode


class _GradModeContext(contextlib.ContextDecorator):
    """Sets the grad mode on entry and restores the previous one on exit."""

    _mode: bool

    def __enter__(self) -> None:
        self._previous = state.enabled
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
        self._previous = state.enabled
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


class inference_mode(_GradModeContext):  # noqa: N801
    """`inference_mode(mode=True)`: no recording, as `no_grad` (`with`, `@inference_mode()`, `@inference_mode`).

    PyTorch also marks the tensors made inside as inference tensors; here they are
    ordinary tensors that do not require grad, which is what `no_grad` gives.
    """

    def __new__(cls, mode: Any = True):
        self = super().__new__(cls)
        if callable(mode):  # bare decorator: @inference_mode
            self.__init__(True)
            return self(mode)
        return self

    def __init__(self, mode: Any = True):
        if callable(mode):
            mode = True
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode: mode must be a bool, got {type(mode).__name__}")
        self._inference = mode
        self._mode = not mode

    def __enter__(self) -> None:
        self._previous, self._previous_inference = state.enabled, state.inference
        if self._inference:
            state.enabled, state.inference = False, True

    def __exit__(self, *exc_info: Any) -> None:
        state.enabled, state.inference = self._previous, self._previous_inference

    def _recreate_cm(self):
        return inference_mode(self._inference)
