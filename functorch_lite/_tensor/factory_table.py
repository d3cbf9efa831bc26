"""Table-driven factories: `eye`, `logspace`, `scalar_tensor` and `torch.signal.windows.*`.

Each row is a jnp function of Python numbers that returns an array; `factory` adds PyTorch's
`dtype`, `device` and `requires_grad` keywords (default dtype: the default float dtype).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from . import dtypes as _dtypes
from .creation import _finish


def _eye(n, m=None):
    return jnp.eye(n, n if m is None else m, dtype=jnp.float32)


def _logspace(start, end, steps, base=10.0):
    return jnp.power(base, jnp.linspace(start, end, steps, dtype=jnp.float32))


def _scalar_tensor(s):
    return jnp.asarray(s, jnp.float32)


def _window(make: Callable) -> Callable:
    """PyTorch's symmetric (sym=True) or periodic window of length M from `make(n, M)`."""

    def window(M, *, sym=True, **kwargs):  # noqa: N803 - torch's name
        if M < 0:
            raise ValueError(f"signal.windows: M must be non-negative, got {M}")
        if M == 0:
            return jnp.zeros((0,), jnp.float32)
        if M == 1:
            return jnp.ones((1,), jnp.float32)
        length = M if sym else M + 1
        return make(jnp.arange(M, dtype=jnp.float32), length, **kwargs)

    return window


def _general_cosine(n, length, *, a):
    k = 2 * math.pi * n / (length - 1)
    return sum(((-1) ** i) * c * jnp.cos(i * k) for i, c in enumerate(a)).astype(jnp.float32)


def _general_hamming(n, length, *, alpha=0.54):
    return _general_cosine(n, length, a=[alpha, 1.0 - alpha])


def _exponential(n, length, *, center=None, tau=1.0):
    center = (length - 1) / 2 if center is None else center
    return jnp.exp(-jnp.abs(n - center) / tau)


def _gaussian(n, length, *, std=1.0):
    return jnp.exp(-(((n - (length - 1) / 2) / std) ** 2) / 2)


def _kaiser(n, length, *, beta=12.0):
    ratio = (n - (length - 1) / 2) / ((length - 1) / 2)
    return jnp.i0(beta * jnp.sqrt(jnp.clip(1 - ratio**2, 0.0))) / jnp.i0(jnp.float32(beta))


def _bartlett(n, length):
    return 1 - jnp.abs(2 * n / (length - 1) - 1)


def _cosine(n, length):
    return jnp.sin(math.pi * (n + 0.5) / length)


WINDOWS = {
    "hann": _window(lambda n, length: _general_cosine(n, length, a=[0.5, 0.5])),
    "hamming": _window(lambda n, length: _general_cosine(n, length, a=[0.54, 0.46])),
    "blackman": _window(lambda n, length: _general_cosine(n, length, a=[0.42, 0.5, 0.08])),
    "nuttall": _window(lambda n, length: _general_cosine(n, length, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411])),
    "general_cosine": _window(_general_cosine), "general_hamming": _window(_general_hamming),
    "exponential": _window(_exponential), "gaussian": _window(_gaussian), "kaiser": _window(_kaiser),
    "bartlett": _window(_bartlett), "cosine": _window(_cosine),
}  # fmt: skip
TORCH = {"eye": _eye, "logspace": _logspace, "scalar_tensor": _scalar_tensor}


def factory(name: str, make: Callable) -> Callable:
    """`torch.<name>(*numbers, dtype=None, device=None, requires_grad=False, ...)` over `make`."""

    def function(*args: Any, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False, **kwargs):
        array = make(*args, **kwargs)
        if dtype is None and array.dtype != _dtypes.get_default_dtype():
            dtype = _dtypes.get_default_dtype()
        return _finish(array, dtype, device, requires_grad, name)

    function.__name__ = function.__qualname__ = name
    return function


def build(rows: dict[str, Callable]) -> dict[str, Callable]:
    return {name: factory(name, make) for name, make in rows.items()}
