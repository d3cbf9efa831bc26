"""`repr(tensor)` in PyTorch's style: `tensor([1., 2.], requires_grad=True)`."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from . import dtypes as _dtypes


def _float_formatter(values: np.ndarray) -> Any:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: f"{v}"
    magnitude = np.abs(finite)
    nonzero = magnitude[magnitude > 0]
    if np.all(finite == np.round(finite)) and (magnitude.max() < 1e8):
        return lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"
    if magnitude.max() >= 1e8 or (nonzero.size and nonzero.min() < 1e-4):
        return lambda v: f"{v:.4e}"
    return lambda v: f"{v:.4f}"


def _body(values: np.ndarray) -> str:
    if values.dtype.kind == "f" or values.dtype == _dtypes.bfloat16:
        values = values.astype(np.float64)
        formatter = {"float_kind": _float_formatter(values)}
    else:
        formatter = None
    return np.array2string(
        values, separator=", ", prefix="tensor(", formatter=formatter, threshold=1000, edgeitems=3, max_line_width=80
    )


def format_tensor(tensor: Any) -> str:
    """PyTorch's `repr` of a Tensor: `tensor([...])` plus dtype, device and grad notes."""
    array = tensor._array
    extras = []
    if isinstance(array, jax.core.Tracer):
        body = f"<traced {array.aval.str_short()}>"
    else:
        body = _body(tensor._host())
        if array.size == 0:
            extras.append(f"size={tuple(array.shape)}")
        device = tensor.device
        if device.type != "cpu":
            extras.append(f"device='{device}'")
    dtype = np.dtype(array.dtype)
    if dtype not in (_dtypes.get_default_dtype(), _dtypes.int64, _dtypes.bool_):
        extras.append(f"dtype={_dtypes.torch_name(dtype)}")
    node = tensor.grad_fn
    if node is not None:
        extras.append(f"grad_fn=<{node.name()}>")
    elif tensor.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body, *extras]) + ")"
