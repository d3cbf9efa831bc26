"""A restricted unpickler for CIFAR's python batches: dicts, lists, bytes, str and numpy arrays only.

CIFAR's `cifar-10-batches-py` files are pickles, and a pickle can name any
global and so run any code. This unpickler resolves only the few globals that
numpy arrays of plain dtypes need and refuses every other one by name, like the
`.pt` reader in `functorch_lite.serialization`.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np


class UnsafePickleError(pickle.UnpicklingError, ValueError):
    """A pickle refers to a global outside the allowed set."""


def _reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if subtype is not np.ndarray:
        raise UnsafePickleError(f"numpy _reconstruct of {subtype!r:.60} refused; only numpy.ndarray is allowed")
    return np.ndarray.__new__(np.ndarray, shape, _dtype(dtype))


def _dtype(spec: Any, align: bool = False, copy: bool = False) -> np.dtype:
    dtype = np.dtype(spec, align, copy)
    if dtype.hasobject:
        raise UnsafePickleError(f"numpy dtype {dtype} holds Python objects, which are refused")
    return dtype


def _frombuffer(buffer: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
    array = np.frombuffer(bytes(buffer), dtype=_dtype(dtype)).reshape(shape, order=order)
    return array.copy()


def _latin1_encode(text: Any, encoding: str = "utf-8") -> bytes:
    # Python 3 writes bytes as _codecs.encode(str, "latin1") in protocols 0-2.
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError("_codecs.encode is allowed only on a str with the latin1 encoding")
    return text.encode("latin1")


_ALLOWED = {
    "numpy.core.multiarray._reconstruct": _reconstruct,
    "numpy._core.multiarray._reconstruct": _reconstruct,
    "numpy.core.numeric._frombuffer": _frombuffer,
    "numpy._core.numeric._frombuffer": _frombuffer,
    "numpy.ndarray": np.ndarray,
    "numpy.dtype": _dtype,
    "_codecs.encode": _latin1_encode,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: Any, where: str):
        super().__init__(file, encoding="latin1")
        self.where = where

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get(f"{module}.{name}")
        if found is None:
            raise UnsafePickleError(
                f"{self.where} refers to the global {module}.{name}, which is not allowed; a CIFAR batch "
                "holds only dicts, lists, bytes, strings and numpy arrays (anything else could run code)"
            )
        return found


def load_pickle(path: str) -> Any:
    """Unpickles `path` (bytes keys decoded as latin1, as torchvision does) with the restricted unpickler."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        loaded = _RestrictedUnpickler(io.BytesIO(data), path).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
        raise ValueError(f"{path} is not a readable CIFAR pickle ({type(error).__name__}: {error})") from error
    if isinstance(loaded, dict):  # a batch pickled by Python 3 has bytes keys; Python 2's read as str
        loaded = {key.decode("latin1") if isinstance(key, bytes) else key: value for key, value in loaded.items()}
    return loaded
