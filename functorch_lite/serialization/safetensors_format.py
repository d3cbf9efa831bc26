"""The safetensors file format, written and read with numpy alone.

Layout: an 8-byte little-endian header length N, N bytes of a JSON object
mapping each tensor name to ``{"dtype", "shape", "data_offsets"}`` (offsets
are ``[begin, end)`` into the data area) plus an optional ``__metadata__``
str->str map, then the data area of raw little-endian tensor bytes.

The `safetensors` package is not needed; files written here load with
``safetensors.torch.load_file`` and files it writes load here.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
from collections.abc import Mapping
from typing import BinaryIO

import ml_dtypes
import numpy as np

# safetensors dtype tag -> numpy dtype. Only dtypes numpy (with ml_dtypes)
# represents exactly are listed, so every tensor round-trips bitwise.
DTYPE_BY_TAG: dict[str, np.dtype] = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "U16": np.dtype(np.uint16),
    "I16": np.dtype(np.int16),
    "U32": np.dtype(np.uint32),
    "I32": np.dtype(np.int32),
    "U64": np.dtype(np.uint64),
    "I64": np.dtype(np.int64),
    "F16": np.dtype(np.float16),
    "BF16": np.dtype(ml_dtypes.bfloat16),
    "F32": np.dtype(np.float32),
    "F64": np.dtype(np.float64),
    "F8_E4M3": np.dtype(ml_dtypes.float8_e4m3fn),
    "F8_E5M2": np.dtype(ml_dtypes.float8_e5m2),
    "C64": np.dtype(np.complex64),
}
TAG_BY_DTYPE: dict[np.dtype, str] = {dtype: tag for tag, dtype in DTYPE_BY_TAG.items()}

METADATA_KEY = "__metadata__"
# The reference implementation refuses headers above 100 MB; so do we, so a
# corrupt length cannot make us allocate gigabytes.
MAX_HEADER_BYTES = 100_000_000
_ALIGNMENT = 8  # data area starts 8-byte aligned, as the reference writer does


class SafetensorsError(ValueError):
    """A file is not a well-formed safetensors file."""


def _stored_bytes(array: np.ndarray) -> np.ndarray:
    """The array's bytes in little-endian C order, as a flat uint8 array."""
    array = np.ascontiguousarray(array)
    big_endian = array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and sys.byteorder == "big")
    if big_endian:
        array = array.byteswap()
    return array.reshape(-1).view(np.uint8)


def write_safetensors(file: BinaryIO, tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> None:
    """Write ``tensors`` (name -> numpy array, in order) and ``metadata`` to ``file``."""
    header: dict[str, object] = {}
    if metadata:
        header[METADATA_KEY] = dict(metadata)
    offset = 0
    for name, array in tensors.items():
        tag = TAG_BY_DTYPE.get(array.dtype.newbyteorder("="))
        if tag is None:
            raise TypeError(f"save: tensor {name!r} has dtype {array.dtype}, which safetensors cannot store")
        header[name] = {"dtype": tag, "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Pad with spaces (allowed by the format) so the data area is aligned.
    header_bytes += b" " * (-(8 + len(header_bytes)) % _ALIGNMENT)
    file.write(len(header_bytes).to_bytes(8, "little"))
    file.write(header_bytes)
    for array in tensors.values():
        if array.size:
            file.write(_stored_bytes(array))


def _parse_entry(name: str, entry: object, data_size: int, where: str) -> tuple[np.dtype, tuple, int, int]:
    """Validate one header entry; return (dtype, shape, begin, end)."""
    if not isinstance(entry, dict):
        raise SafetensorsError(f"{where}: header entry {name!r} is not an object")
    tag = entry.get("dtype")
    if tag not in DTYPE_BY_TAG:
        raise SafetensorsError(f"{where}: tensor {name!r} has unknown dtype {tag!r}")
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(type(size) is int and size >= 0 for size in shape):
        raise SafetensorsError(f"{where}: tensor {name!r} has invalid shape {shape!r}")
    offsets = entry.get("data_offsets")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(type(value) is int for value in offsets):
        raise SafetensorsError(f"{where}: tensor {name!r} has invalid data_offsets {offsets!r}")
    begin, end = offsets
    if not 0 <= begin <= end <= data_size:
        raise SafetensorsError(
            f"{where}: tensor {name!r} has data_offsets {offsets} outside the data area "
            f"of {data_size} bytes (file truncated?)"
        )
    dtype = DTYPE_BY_TAG[tag]
    expected = math.prod(shape) * dtype.itemsize
    if end - begin != expected:
        raise SafetensorsError(
            f"{where}: tensor {name!r} of dtype {tag} and shape {shape} needs {expected} bytes, "
            f"but data_offsets {offsets} span {end - begin}"
        )
    return dtype, tuple(shape), begin, end


def file_size_of(file: BinaryIO) -> int:
    """The size of an open binary file, a real one or in memory (`io.BytesIO`)."""
    try:
        return os.fstat(file.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        position = file.tell()
        size = file.seek(0, io.SEEK_END)
        file.seek(position)
        return size


def read_safetensors(file: BinaryIO, where: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a whole safetensors file into (name -> numpy array, metadata).

    ``where`` names the file in error messages. Each tensor is read straight
    into a fresh writable array, so memory holds one copy of the data.
    """
    file_size = file_size_of(file)
    if file_size < 8:
        raise SafetensorsError(f"{where}: file of {file_size} bytes is too short for a header")
    header_size = int.from_bytes(file.read(8), "little")
    if header_size > file_size - 8 or header_size > MAX_HEADER_BYTES:
        raise SafetensorsError(
            f"{where}: bad header length {header_size} for a file of {file_size} bytes "
            "(truncated, or not a safetensors file)"
        )
    try:
        header = json.loads(file.read(header_size).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsError(f"{where}: header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{where}: header is JSON but not an object")
    metadata = header.pop(METADATA_KEY, None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise SafetensorsError(f"{where}: {METADATA_KEY} must map strings to strings")
    data_start = 8 + header_size
    data_size = file_size - data_start
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        dtype, shape, begin, end = _parse_entry(name, entry, data_size, where)
        array = np.empty(shape, dtype)
        if end > begin:
            file.seek(data_start + begin)
            if file.readinto(array.reshape(-1).view(np.uint8)) != end - begin:
                raise SafetensorsError(f"{where}: file ended inside tensor {name!r}")
            if sys.byteorder == "big":
                array.byteswap(inplace=True)
        tensors[name] = array
    return tensors, metadata
