"""`torch.backends.cuda`: `matmul.allow_tf32` and `is_built()` (see `functorch_lite.backends`)."""

from __future__ import annotations

from ..device import _platform_devices

__all__ = ["matmul", "is_built"]


def is_built() -> bool:
    """True when JAX has a GPU backend."""
    return bool(_platform_devices("gpu"))


class _Matmul:
    """`backends.cuda.matmul.allow_tf32`: True lets float32 matmuls use TF32 ("high" precision)."""

    def __init__(self) -> None:
        self._allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self) -> bool:
        return self._allow_tf32

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        self._allow_tf32 = bool(value)
        import functorch_lite  # the package top, imported late: it imports this module

        setter = getattr(functorch_lite, "set_float32_matmul_precision", None)
        if setter is not None:
            setter("high" if value else "highest")


matmul = _Matmul()
