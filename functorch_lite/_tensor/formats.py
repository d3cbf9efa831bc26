"""`torch.contiguous_format`, `preserve_format`, `channels_last` and `torch.strided`.

JAX arrays have no strides, so every tensor is contiguous and these only name PyTorch's
arguments: `x.contiguous(memory_format=...)` and `x.clone(memory_format=...)` give the same values.
"""

from __future__ import annotations


class memory_format:  # noqa: N801 - PyTorch's name
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


class layout:  # noqa: N801
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
strided = layout("strided")
