"""`torch.accelerator` over JAX's devices: which accelerator (GPU or TPU) this process has, if any.

The accelerator is JAX's first non-CPU backend: "cuda" for JAX's GPU backend, "tpu" for
TPUs. On a CPU-only machine `is_available()` is False and `current_accelerator()` None,
as with PyTorch's CPU build, so the usual
`device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"`
picks "cpu".
"""

from __future__ import annotations

from typing import Any

import jax

from .device import DeviceError, _platform_devices, device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def _accelerator_platform() -> str | None:
    for platform in ("gpu", "tpu"):
        if _platform_devices(platform):
            return platform
    return None


def is_available() -> bool:
    """True when JAX sees a GPU or TPU."""
    return _accelerator_platform() is not None


def current_accelerator(check_available: bool = False) -> device | None:
    """`device(type='cuda')` (or 'tpu') when there is an accelerator, else None."""
    platform = _accelerator_platform()
    return None if platform is None else device("cuda" if platform == "gpu" else platform)


def device_count() -> int:
    """How many accelerator devices this process sees (0 without one)."""
    platform = _accelerator_platform()
    return 0 if platform is None else len(_platform_devices(platform))


def current_device_index() -> int:
    """Always 0: arrays go to JAX's first device unless placed otherwise. Raises without an accelerator."""
    if _accelerator_platform() is None:
        raise DeviceError(f"accelerator.current_device_index: {_NONE}")
    return 0


def synchronize(device: Any = None) -> None:
    """Waits until every computation JAX has dispatched so far is finished (all live arrays are ready)."""
    if _accelerator_platform() is None:
        raise DeviceError(f"accelerator.synchronize: {_NONE}")
    jax.block_until_ready(jax.live_arrays())
