"""`torch.backends.cuda`: `matmul.allow_tf32` and `is_built()` (see `functorch_lite.backends`)."""

from __future__ import annotations

from .._precision import get_float32_matmul_precision, set_float32_matmul_precision
from ..device import _platform_devices

__all__ = ["matmul", "is_built"]


def is_built() -> bool:
    """True when JAX has a GPU backend."""
    return bool(_platform_devices("gpu"))


class _Matmul:
    """`backends.cuda.matmul.allow_tf32`: a view of `set_float32_matmul_precision`, as in PyTorch.

    True means float32 matmuls may use TF32 ("high" precision), False full precision ("highest");
    `set_float32_matmul_precision("high")` makes it read True.
    """

    def __init__(self) -> None:
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self) -> bool:
        return get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        set_float32_matmul_precision("high" if value else "highest")


matmul = _Matmul()
