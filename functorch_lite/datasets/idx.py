"""Reader for the IDX file format of MNIST and Fashion-MNIST, gzipped or not.

An IDX file is a 4-byte magic number (two zero bytes, a dtype code, the
number of dimensions), one big-endian uint32 per dimension, then the
big-endian data. Every way a file can be malformed gets a ValueError naming
the file. Parsed arrays are cached in memory per (path, mtime, size) and
returned read-only, so loading a dataset twice costs nothing.
"""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

# IDX dtype codes (from the format's definition by LeCun et al.), big-endian on disk.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_CACHE_SIZE = 8

_cache: dict[tuple[str, int, int], np.ndarray] = {}


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as file:
        raw = file.read()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise ValueError(f"read_idx: {path} is a corrupt or truncated gzip file ({error})") from error


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parses the bytes of an (uncompressed) IDX file; `name` is used in error messages."""
    if len(data) < 4:
        raise ValueError(f"read_idx: {name} is too short for an IDX header ({len(data)} bytes, need at least 4)")
    zero_bytes, dtype_code, ndim = data[:2], data[2], data[3]
    if zero_bytes != b"\x00\x00" or dtype_code not in _IDX_DTYPES:
        raise ValueError(
            f"read_idx: {name} has a wrong magic number 0x{data[:4].hex()}; an IDX "
            f"file starts with two zero bytes, a dtype code in "
            f"{sorted(hex(code) for code in _IDX_DTYPES)} and the number of dimensions"
        )
    if ndim == 0:
        raise ValueError(f"read_idx: {name} declares 0 dimensions; expected at least 1")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"read_idx: {name} is truncated inside its header ({len(data)} bytes, "
            f"the {ndim} dimension sizes need {header_size})"
        )
    shape = tuple(int(size) for size in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[dtype_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(data) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "longer than its header says"
        raise ValueError(
            f"read_idx: {name} is {problem}: shape {shape} of {dtype.name} needs {expected} data bytes, found {found}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    if dtype.byteorder == ">":
        array = array.astype(dtype.newbyteorder("="))
    array.flags.writeable = False
    return array


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads an IDX file (gzip detected from its content, not its name) into a read-only array.

    Raises FileNotFoundError if `path` does not exist and ValueError (naming
    the file) for a wrong magic number, a truncated or oversized file, or a
    corrupt gzip stream. Copy the result before modifying it.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_idx: path must be a str or os.PathLike, got {type(path).__name__}")
    path = os.fspath(path)
    if not os.path.isfile(path):
        if os.path.isdir(path):
            raise IsADirectoryError(f"read_idx: {path!r} is a directory, not an IDX file")
        raise FileNotFoundError(f"read_idx: no such file {path!r}")
    status = os.stat(path)
    key = (os.path.abspath(path), status.st_mtime_ns, status.st_size)
    if key not in _cache:
        array = parse_idx(_read_bytes(path), path)
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = array
    return _cache[key]
