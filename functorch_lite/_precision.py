"""The float32 matmul precision: one setting, read by every matmul and convolution.

`set_float32_matmul_precision` has PyTorch's meaning. Ops in the functional core and
the facade ask `matmul_precision()` for their `precision=` argument while they are
traced, so the setting is part of every program jax compiles.
"""

from __future__ import annotations

import jax
from jax import lax

# PyTorch's names -> XLA's precision config. On CPU XLA computes float32 in full precision
# under all three; on GPU HIGH and DEFAULT allow TensorFloat-32, on TPU 3-pass and 1-pass bfloat16.
_PRECISIONS = {"highest": lax.Precision.HIGHEST, "high": lax.Precision.HIGH, "medium": lax.Precision.DEFAULT}

_setting = "highest"


def set_float32_matmul_precision(precision: str) -> None:
    """Sets the internal precision of float32 matmuls and convolutions, as `torch.set_float32_matmul_precision`.

    "highest" (the default) computes in full float32, so results match PyTorch's CPU
    numbers; "high" allows TensorFloat-32 or 3-pass bfloat16 where the backend has them;
    "medium" allows the backend's fastest reduced precision (bfloat16 on TPU,
    TensorFloat-32 on NVIDIA GPUs). Inputs of other dtypes are unaffected.

    Changing the setting clears jax's compilation caches (`jax.clear_caches()`), so every
    jitted function, this library's and the caller's, is traced again on its next call
    and sees the new setting.

    Raises:
        ValueError: `precision` is not one of "highest", "high", "medium".
    """
    global _setting
    if not isinstance(precision, str) or precision not in _PRECISIONS:
        raise ValueError(
            f"set_float32_matmul_precision: precision must be 'highest', 'high' or 'medium', got {precision!r}"
        )
    if precision != _setting:
        _setting = precision
        jax.clear_caches()  # programs traced under the old setting must not be reused


def get_float32_matmul_precision() -> str:
    """The current float32 matmul precision: "highest", "high" or "medium"."""
    return _setting


def matmul_precision() -> lax.Precision:
    """The `precision=` argument for a matmul or convolution under the current setting."""
    return _PRECISIONS[_setting]
