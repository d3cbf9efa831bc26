"""Hand-built pickle streams and torch-style zip archives for hostile-input tests.

A real attacker writes opcodes directly, so these tests do too: they can
express streams that no honest pickler would produce.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

PROTOCOL_2 = b"\x80\x02"
MARK, TUPLE, REDUCE, BINPERSID, STOP = b"(", b"t", b"R", b"Q", b"."
NEWFALSE, EMPTY_DICT = b"\x89", b"}"


def global_opcode(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def value(obj: object) -> bytes:
    """Opcodes that push ``obj`` (plain data only), without the PROTO header and STOP."""
    return pickle.dumps(obj, protocol=2)[2:-1]


def storage_id(storage_class: str, key: str, count: int) -> bytes:
    """Push the storage that torch's persistent id ``('storage', cls, key, 'cpu', count)`` names."""
    return (
        MARK + value("storage") + global_opcode("torch", storage_class) + value(key)
        + value("cpu") + value(count) + TUPLE + BINPERSID
    )  # fmt: skip


def rebuild_tensor(storage: bytes, offset: int, size: tuple, stride: tuple) -> bytes:
    """Push ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, {})``."""
    arguments = storage + value(offset) + value(size) + value(stride) + NEWFALSE + EMPTY_DICT
    return global_opcode("torch._utils", "_rebuild_tensor_v2") + MARK + arguments + TUPLE + REDUCE


def write_torch_zip(
    path: Path, data_pkl: bytes, storages: dict[str, bytes] | None = None, byteorder: bytes | None = b"little"
) -> Path:
    """A zip laid out like ``torch.save``'s: ``archive/data.pkl``, ``archive/data/<key>``."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        if byteorder is not None:
            archive.writestr("archive/byteorder", byteorder)
        archive.writestr("archive/version", b"3\n")
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)
    return path


def rewrite_zip(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    """Copy a zip, replacing the members whose names end with a key of ``replace``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            suffix = name.split("/", 1)[1]
            new.writestr(name, replace.get(suffix, old.read(name)))
    return target
