"""``save`` and ``load``: the two public entry points of checkpointing.

``save`` always writes safetensors, atomically. ``load`` recognises the
format from the file's first bytes: a zip archive is a PyTorch checkpoint,
anything else must be safetensors (ours or any other writer's).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any, BinaryIO

import jax
import numpy as np

from functorch_lite.serialization.atomic import atomic_write
from functorch_lite.serialization.safetensors_format import file_size_of, read_safetensors, write_safetensors
from functorch_lite.serialization.torch_zip import UnsafeCheckpointError, read_torch_zip
from functorch_lite.serialization.tree_codec import decode, encode

_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive
_PICKLE_PROTOCOL_OPCODE = b"\x80"  # how pickles, so torch's pre-1.6 checkpoints, begin
MapLocation = None | str | jax.Device | jax.sharding.Sharding


def _check_path(function: str, path: object) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{function}: path must be a str or os.PathLike, got {type(path).__name__}")
    return os.fspath(path)


def _is_file(f: object, method: str) -> bool:
    return not isinstance(f, (str, os.PathLike)) and callable(getattr(f, method, None))


def save(obj: Any, path: str | os.PathLike | BinaryIO, **kwargs: Any) -> None:
    """Write ``obj`` to ``path`` as a safetensors file, atomically (or to an open binary file).

    Args:
        obj: a flat ``{str: array}`` state_dict (written with exactly those
            tensor names, loadable by ``safetensors.torch.load_file``), or any
            nesting of dict/list/tuple/NamedTuple over arrays (jax, numpy, or
            anything with ``__array__``/``__jax_array__``), int, float, bool, str
            and None.
        path: the file to create or replace. Until the new file is complete
            and on disk, the previous one stays untouched. A file object opened for
            binary writing (``open(p, "wb")``, ``io.BytesIO``) is written from its
            current position, not atomically (its owner decides where it lives).
        kwargs: torch.save's ``pickle_module``, ``pickle_protocol`` and
            ``_use_new_zipfile_serialization``, accepted and ignored (no pickle is written).

    Raises:
        TypeError: naming the path inside ``obj`` of anything else.
    """
    unknown = set(kwargs) - {"pickle_module", "pickle_protocol", "_use_new_zipfile_serialization"}
    if unknown:
        raise TypeError(f"save: unexpected keyword arguments {sorted(unknown)}")
    if _is_file(path, "write"):
        tensors, metadata = encode(obj)
        write_safetensors(path, tensors, metadata)
        return
    target = _check_path("save", path)
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: {target!r} is a directory; pass the path of a file")
    # Encode before touching the disk, so an unsupported object leaves no trace.
    tensors, metadata = encode(obj)
    atomic_write(target, lambda file: write_safetensors(file, tensors, metadata))


def _resolve_placement(map_location: object) -> object:
    if map_location is None or (isinstance(map_location, str) and map_location == "numpy"):
        return map_location
    if isinstance(map_location, (jax.Device, jax.sharding.Sharding)):
        return map_location
    # Imported here: the device edge is a sibling that need not load with this one.
    from functorch_lite.device import device, resolve_device

    if isinstance(map_location, (str, device)):
        return resolve_device(map_location)
    raise TypeError(
        "load: map_location must be None, 'numpy', a device string such as 'cpu' or 'cuda:0', "
        f"a functorch_lite.device or a jax.Device, got {type(map_location).__name__}"
    )


def _map_arrays(function: Callable[[np.ndarray], Any], value: Any) -> Any:
    """Apply ``function`` to every numpy array in a loaded structure, in a fixed order."""
    if isinstance(value, np.ndarray):
        return function(value)
    if isinstance(value, dict):
        return {key: _map_arrays(function, item) for key, item in value.items()}
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return type(value)(*(_map_arrays(function, item) for item in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_map_arrays(function, item) for item in value)
    return value


def _looks_like_safetensors(head: bytes, file: Any) -> bool:
    header_size = int.from_bytes(head[:8], "little")
    return len(head) > 8 and head[8:9] == b"{" and header_size <= file_size_of(file)


def _read(file: Any, where: str) -> Any:
    start = file.tell()
    head = file.read(9)
    file.seek(start)
    if start:  # the readers expect the checkpoint at offset 0: read the rest into memory
        file = io.BytesIO(file.read())
    if not head:
        raise ValueError(f"{where} is empty")
    if head[:4] in _ZIP_SIGNATURES:
        return read_torch_zip(file, where)
    # A safetensors header length may begin with byte 0x80 too, so test it first.
    if not _looks_like_safetensors(head, file) and head[:1] == _PICKLE_PROTOCOL_OPCODE:
        raise ValueError(
            f"{where} is a pickle file (such as a legacy non-zip PyTorch checkpoint), which "
            "only torch itself can read, and reading it can run code; re-save it with a current "
            "torch.save, or convert it to safetensors"
        )
    tensors, metadata = read_safetensors(file, where)
    return decode(tensors, metadata, where)


def _read_refusing(file: Any, where: str, weights_only: bool | None) -> Any:
    try:
        return _read(file, where)
    except UnsafeCheckpointError as error:
        if weights_only is False:
            raise UnsafeCheckpointError(
                f"{error}. weights_only=False cannot lift this: functorch_lite never executes a pickle, "
                "because a pickle that needs arbitrary globals can run any code while loading"
            ) from None
        raise


def load(
    path: str | os.PathLike | BinaryIO,
    map_location: MapLocation = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Read a checkpoint written by ``save``, by any safetensors writer, or by ``torch.save``.

    Args:
        path: the file, or a binary file object open for reading (``open(p, "rb")``,
            ``io.BytesIO``). Nothing in it is ever executed: safetensors holds only
            data, and PyTorch's pickle is read with a whitelist of tensor rebuilders
            plus the globals listed with ``serialization.add_safe_globals`` (anything
            else raises ``UnsafeCheckpointError``).
        map_location: where arrays go: None for JAX's default device, a
            ``jax.Device``/``Sharding``, a device string ("cpu", "cuda:0", "gpu")
            or ``functorch_lite.device``, or "numpy" for host numpy arrays.
        weights_only: True or None (torch's default) is the reader above. False is
            accepted, but the pickle is still never executed: a file that needs
            globals beyond the whitelist raises ``UnsafeCheckpointError`` saying why.
            ``pickle_module``, ``mmap`` and pickle arguments are ignored.

    Returns:
        The saved structure with arrays as ``jax.Array`` (or numpy).
        A foreign safetensors file or a ``torch.save(state_dict)`` file loads as a
        flat ``{str: array}`` dict. As everywhere in JAX, 64-bit arrays become
        32-bit unless ``jax_enable_x64`` is on; "numpy" keeps them exact.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: naming the file and the defect for an empty, truncated, corrupt
            or foreign one.
    """
    placement = _resolve_placement(map_location)
    if _is_file(path, "read"):
        obj = _read_refusing(path, f"load: {getattr(path, 'name', type(path).__name__)!r}", weights_only)
    else:
        source = _check_path("load", path)
        where = f"load: {source!r}"
        try:
            file = open(source, "rb")
        except FileNotFoundError:
            raise FileNotFoundError(f"load: no such file {source!r}") from None
        except IsADirectoryError:
            raise IsADirectoryError(f"load: {source!r} is a directory, not a checkpoint file") from None
        with file:
            obj = _read_refusing(file, where, weights_only)
    if isinstance(placement, str):  # "numpy": the only string left after resolution
        return obj
    arrays: list[np.ndarray] = []
    _map_arrays(arrays.append, obj)
    placed = iter(jax.device_put(arrays, placement))
    return _map_arrays(lambda _: next(placed), obj)
