"""`torch.backends.cudnn` flags (see `functorch_lite.backends` for what each does on JAX)."""

from __future__ import annotations

import os
import sys
import types
import warnings

from ..device import _platform_devices

__all__ = ["is_available", "version"]  # plus the flags benchmark, deterministic, enabled, allow_tf32


def is_available() -> bool:
    """True when JAX has a GPU backend (XLA calls cuDNN through it)."""
    return bool(_platform_devices("gpu"))


def version() -> int | None:
    """None: XLA does not expose the cuDNN version it links."""
    return None


class _CudnnModule(types.ModuleType):
    _flags = {"benchmark": False, "deterministic": False, "enabled": True, "allow_tf32": True}

    def __getattr__(self, name: str) -> bool:
        if name in _CudnnModule._flags:
            return _CudnnModule._flags[name]
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        if name not in _CudnnModule._flags:
            super().__setattr__(name, value)
            return
        value = bool(value)
        _CudnnModule._flags[name] = value
        if name == "deterministic" and value and is_available():
            if "xla_gpu_deterministic_ops=true" not in os.environ.get("XLA_FLAGS", ""):
                warnings.warn(
                    "backends.cudnn.deterministic=True: on JAX, GPU determinism needs "
                    "XLA_FLAGS=--xla_gpu_deterministic_ops=true set before JAX starts",
                    stacklevel=2,
                )
        if name in ("enabled", "allow_tf32") and not value:
            warnings.warn(
                f"backends.cudnn.{name}=False has no effect on JAX: XLA chooses its own kernels", stacklevel=2
            )


sys.modules[__name__].__class__ = _CudnnModule
