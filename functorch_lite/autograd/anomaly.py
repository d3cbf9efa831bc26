"""`detect_anomaly()`: opt-in NaN checks after every recorded op and every backward step.

In eager mode the dispatcher calls `check_outputs` after each op it records, and the
backward engine calls it on each node's input gradients, so the error names the op
that first produced a NaN. The check reads values back to the host, so it is slow and
is skipped under `jax.jit` tracing (tracers have no values).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import jax
import numpy as np

_enabled = False


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return _enabled


class detect_anomaly(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's spelling
    """Context manager (and decorator) that raises at the first op whose output holds NaN."""

    def __init__(self, check_nan: bool = True):
        self._mode = bool(check_nan)

    def __enter__(self) -> None:
        global _enabled
        self._previous = _enabled
        _enabled = self._mode

    def __exit__(self, *exc_info: Any) -> None:
        global _enabled
        _enabled = self._previous


def check_outputs(arrays: Iterable[Any], op_name: str, phase: str) -> None:
    """Raises RuntimeError naming `op_name` if any concrete floating array holds a NaN."""
    for index, array in enumerate(arrays):
        if array is None or isinstance(array, jax.core.Tracer):
            continue
        if np.dtype(array.dtype).kind in "fc" and bool(np.isnan(np.asarray(array)).any()):
            raise RuntimeError(f"detect_anomaly: {phase} of '{op_name}' returned NaN values in its output {index}")
