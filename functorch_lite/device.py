"""Device names the way PyTorch spells them, resolved to JAX devices.

`device("cuda:0")`, `device("cpu")`, `device("gpu")` name a device; `resolve_device`
turns any of those (or a `jax.Device`) into the `jax.Device` that `jax.device_put`
needs. "cuda" is PyTorch's name for JAX's GPU backend. Asking for a device that does
not exist raises `DeviceError` (both a `ValueError` and, as in PyTorch, a
`RuntimeError`) listing the devices that do.
"""

from __future__ import annotations

from typing import Any

import jax


class DeviceError(ValueError, RuntimeError):
    """A device that is misspelt or absent: a ValueError here, a RuntimeError as in PyTorch."""


_ALIASES = {"cuda": "gpu", "gpu": "gpu", "cpu": "cpu", "tpu": "tpu", "meta": "meta"}


def _platform_devices(platform: str) -> list[jax.Device]:
    try:
        return list(jax.devices(platform))
    except RuntimeError:  # JAX raises when the backend is absent
        return []


def _available() -> str:
    names = []
    for platform in ("cpu", "gpu", "tpu"):
        devices = _platform_devices(platform)
        if devices:
            torch_name = "cuda" if platform == "gpu" else platform
            names.append(f"{torch_name}:0..{len(devices) - 1}" if len(devices) > 1 else f"{torch_name}:0")
    return ", ".join(names)


class device:  # noqa: N801 - PyTorch's spelling
    """A device name: `device("cuda:0")`, `device("cpu")`, `device("cuda", 1)`.

    Mirrors `torch.device`: it has `.type` ("cpu" | "cuda" | "tpu") and `.index` (None
    when not given). Constructing one checks that the device exists, so a typo or a
    missing GPU fails at the line that asked for it.
    """

    __slots__ = ("type", "index")

    def __init__(self, spec: Any, index: int | None = None):
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index if index is None else index
        elif isinstance(spec, jax.Device):
            self.type = "cuda" if spec.platform == "gpu" else spec.platform
            platform_devices = _platform_devices(spec.platform)
            self.index = platform_devices.index(spec) if spec in platform_devices else spec.id
            if self.type == "cpu":
                self.index = None  # PyTorch's CPU tensors report `cpu`, not `cpu:0`
        elif isinstance(spec, str):
            name, _, idx = spec.strip().lower().partition(":")
            if name not in _ALIASES:
                raise DeviceError(
                    f"device: expected a device string like 'cpu', 'cuda', 'cuda:0' or 'gpu', "
                    f"got {spec!r}; available: {_available()}"
                )
            if idx:
                if not idx.isdigit():
                    raise DeviceError(f"device: invalid device index in {spec!r}; expected e.g. 'cuda:0'")
                if index is not None:
                    raise DeviceError(f"device: index given twice ({spec!r} and index={index})")
                index = int(idx)
            self.type = "cuda" if _ALIASES[name] == "gpu" else name
            self.index = index
        else:
            raise TypeError(f"device: expected a str, functorch_lite.device or jax.Device, got {type(spec).__name__}")
        if self.index is not None and (not isinstance(self.index, int) or self.index < 0):
            raise DeviceError(f"device: index must be a non-negative int, got {self.index!r}")
        self.jax_device  # noqa: B018 - validate now, at the line that named the device

    @property
    def platform(self) -> str:
        """The JAX platform name ("cpu", "gpu", "tpu")."""
        return _ALIASES[self.type]

    @property
    def jax_device(self) -> jax.Device:
        """The `jax.Device` this name refers to (index None means the first one).

        "meta" names JAX's default device: JAX has no storage-less arrays, so `to("meta")` keeps
        the values where they are (PyTorch's ensembling recipe uses a meta copy only as a skeleton).
        """
        if self.type == "meta":
            return jax.devices()[0]
        devices = _platform_devices(self.platform)
        index = 0 if self.index is None else self.index
        if index >= len(devices):
            what = f"{self.type}:{index}" if self.index is not None else self.type
            hint = ' (install a CUDA build of jax, e.g. `pip install "jax[cuda12]"`)' if self.type == "cuda" else ""
            raise DeviceError(f"device: {what!r} is not available{hint}; available devices: {_available()}")
        return devices[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self) -> int:
        return hash((self.type, self.index or 0))

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


def resolve_device(spec: Any) -> jax.Device:
    """Turns a device string, `device` or `jax.Device` into a `jax.Device`."""
    if isinstance(spec, jax.Device):
        return spec
    return device(spec).jax_device


def device_of(array: Any) -> device:
    """The `device` holding a jax array (the first one, for a sharded array)."""
    return device(next(iter(array.devices())))


def to_device(tree: Any, spec: Any) -> Any:
    """Places every array leaf of a pytree on the device named by `spec`."""
    return jax.device_put(tree, resolve_device(spec))


class _Cuda:
    """`functorch_lite.cuda`: what PyTorch's `torch.cuda` answers, from JAX's GPU backend."""

    @staticmethod
    def is_available() -> bool:
        return bool(_platform_devices("gpu"))

    @staticmethod
    def device_count() -> int:
        return len(_platform_devices("gpu"))

    @staticmethod
    def current_device() -> int:
        if not _platform_devices("gpu"):
            raise DeviceError(f"cuda.current_device: no CUDA device; available devices: {_available()}")
        return 0

    @staticmethod
    def manual_seed(seed: int) -> None:  # one generator drives every device here
        return None

    @staticmethod
    def synchronize() -> None:
        (jax.device_put(0.0) + 0).block_until_ready()


cuda = _Cuda()
