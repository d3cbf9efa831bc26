"""Read PyTorch zip checkpoints (``torch.save`` since torch 1.6) without torch.

Such a file is a zip archive ``<name>/data.pkl`` (a pickle stream describing
the object), ``<name>/data/<key>`` (raw tensor storages), ``<name>/byteorder``
and ``<name>/version``. Pickle can call any importable function, so
``data.pkl`` is read by an unpickler whose ``find_class`` only hands out the
small set of names a tensor checkpoint needs, each mapped to a function of
this file that builds numpy data and does nothing else. Any other global
(``os.system``, ``builtins.eval``, a user class) is refused before it can be
called, with an error naming the file and the global.

Tensors are rebuilt from (storage, offset, size, stride) with numpy's
``as_strided`` after checking the view stays inside its storage, then copied,
so views and non-contiguous tensors load as independent contiguous arrays.
"""

from __future__ import annotations

import _compat_pickle
import io
import math
import pickle
import sys
import zipfile
from collections import OrderedDict
from typing import Any

import ml_dtypes
import numpy as np

from functorch_lite.serialization import safe_globals as _safe_globals


class UnsafeCheckpointError(pickle.UnpicklingError, ValueError):
    """A checkpoint asked to call a function that is not on the whitelist."""


class _Inert:
    """Base of the placeholder objects handed to the pickle stream.

    Pickle's BUILD opcode would set attributes on them; refusing it keeps a
    crafted stream from altering the shared placeholders.
    """

    __slots__ = ()

    def __setstate__(self, state: object) -> None:
        raise pickle.UnpicklingError(f"refusing to set state on {type(self).__name__}")


class _Named(_Inert):
    """A torch dtype, storage class or tensor class, known only by name and numpy dtype."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: np.dtype | None = None) -> None:
        self.name, self.dtype = name, dtype


class _Storage(_Inert):
    """Storage data; ``swap`` marks untyped bytes still in the file's foreign byte order."""

    __slots__ = ("array", "swap")

    def __init__(self, array: np.ndarray, swap: bool = False) -> None:
        self.array, self.swap = array, swap


class _Tensor(_Inert):
    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


class _StateDict(OrderedDict):
    """``collections.OrderedDict``; drops the ``_metadata`` attribute state_dicts carry."""

    def __setstate__(self, state: object) -> None:
        pass


_NUMPY_DTYPES = {
    "float64": np.float64, "float32": np.float32, "float16": np.float16,
    "bfloat16": ml_dtypes.bfloat16, "int64": np.int64, "int32": np.int32,
    "int16": np.int16, "int8": np.int8, "uint8": np.uint8, "uint16": np.uint16,
    "uint32": np.uint32, "uint64": np.uint64, "bool": np.bool_,
    "complex64": np.complex64, "complex128": np.complex128,
    "float8_e4m3fn": ml_dtypes.float8_e4m3fn, "float8_e5m2": ml_dtypes.float8_e5m2,
}  # fmt: skip
_STORAGE_NAMES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
}  # fmt: skip


def _check_ints(name: str, values: object) -> tuple[int, ...]:
    if not isinstance(values, (tuple, list)) or not all(type(value) is int and value >= 0 for value in values):
        raise ValueError(f"tensor {name} must be a tuple of non-negative ints, got {values!r:.80}")
    return tuple(values)


def _rebuild_tensor(storage: object, offset: object, size: object, stride: object, dtype: object = None) -> _Tensor:
    if not isinstance(storage, _Storage):
        raise ValueError(f"tensor storage must come from a storage record, got {type(storage).__name__}")
    flat = storage.array
    if isinstance(dtype, _Named) and dtype.dtype is not None:  # v3: untyped bytes + dtype
        if flat.nbytes % dtype.dtype.itemsize:
            raise ValueError(f"storage of {flat.nbytes} bytes is not a whole number of {dtype.name}")
        flat = flat.view(dtype.dtype)
    elif dtype is not None:
        raise ValueError(f"tensor dtype must be a torch dtype, got {dtype!r:.80}")
    (offset,) = _check_ints("offset", (offset,))
    size, stride = _check_ints("size", size), _check_ints("stride", stride)
    if len(size) != len(stride):
        raise ValueError(f"tensor size {size} and stride {stride} differ in length")
    if math.prod(size) == 0:
        return _Tensor(np.empty(size, flat.dtype))
    last = offset + sum((count - 1) * step for count, step in zip(size, stride, strict=True))
    if last >= flat.size:
        # as_strided does no bounds checking: without this a crafted file reads stray memory.
        raise ValueError(f"tensor view reaches element {last} of a storage of {flat.size} elements")
    view = np.lib.stride_tricks.as_strided(
        flat[offset:], shape=size, strides=[step * flat.itemsize for step in stride], writeable=False
    )
    array = np.array(view, copy=True, order="C")
    if storage.swap:  # untyped storage: bytes can only be swapped once the dtype is known
        array.byteswap(inplace=True)
    return _Tensor(array)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    return _rebuild_tensor(storage, offset, size, stride)


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype, metadata=None):
    return _rebuild_tensor(storage, offset, size, stride, dtype)


def _rebuild_parameter(data, requires_grad=True, hooks=None, state=None):
    if not isinstance(data, _Tensor):
        raise ValueError(f"parameter data must be a tensor, got {type(data).__name__}")
    return data


_REBUILDERS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter)


def _rebuild_from_type_v2(function, new_type, args, state):
    """Tensors that carry Python attributes; the attributes are dropped."""
    if function not in _REBUILDERS or not isinstance(new_type, _Named) or not isinstance(args, tuple):
        raise ValueError("_rebuild_from_type_v2 may only rebuild plain tensors or parameters")
    return function(*args)


def _torch_size(values=()):
    return tuple(_check_ints("size", values))


def _torch_device(kind, index=None):
    if not isinstance(kind, str) or not (index is None or type(index) is int):
        raise ValueError(f"torch.device arguments must be (str, int), got {kind!r:.40}, {index!r:.40}")
    return kind if index is None else f"{kind}:{index}"


def _allowed_globals() -> dict[str, object]:
    allowed: dict[str, object] = {
        "collections.OrderedDict": _StateDict,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.Size": _torch_size,
        "torch.device": _torch_device,
        "torch.Tensor": _Named("torch.Tensor"),
        "torch.nn.parameter.Parameter": _Named("torch.nn.parameter.Parameter"),
        "torch.storage.UntypedStorage": _Named("UntypedStorage", np.dtype(np.uint8)),
        "torch.UntypedStorage": _Named("UntypedStorage", np.dtype(np.uint8)),
    }
    for name, dtype in _NUMPY_DTYPES.items():
        allowed[f"torch.{name}"] = _Named(f"torch.{name}", np.dtype(dtype))
    for storage, dtype in _STORAGE_NAMES.items():
        allowed[f"torch.{storage}"] = _Named(storage, np.dtype(_NUMPY_DTYPES[dtype]))
    return allowed


_ALLOWED = _allowed_globals()


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str, swap: bool, where: str):
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix, self.swap, self.where = archive, prefix, swap, where
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> object:
        written = f"{module}.{name}"
        # Protocol 2 (torch's default) writes Python 2 names such as __builtin__.eval;
        # translate them as the standard unpickler would, so the refusal names the real target.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        found = _ALLOWED.get(f"{module}.{name}")
        if found is None:
            found = _safe_globals.lookup(f"{module}.{name}")
        if found is None:
            alias = "" if written == f"{module}.{name}" else f" (written as {written})"
            raise UnsafeCheckpointError(
                f"{self.where} refers to the global {module}.{name}{alias}, which is not allowed; "
                "only tensors, storages and plain containers load without torch (a checkpoint "
                "that needs other globals can run arbitrary code, so it is refused; if you trust that global, "
                "list it with functorch_lite.serialization.add_safe_globals)"
            )
        return found

    def persistent_load(self, saved_id: Any) -> _Storage:
        if not (isinstance(saved_id, tuple) and len(saved_id) == 5):
            raise ValueError(f"unexpected persistent id {saved_id!r:.80}")
        kind, storage_type, key, _location, count = saved_id
        if kind not in ("storage", b"storage") or not isinstance(storage_type, _Named):
            raise ValueError(f"unexpected persistent id {saved_id!r:.80}")
        if not isinstance(key, str) or type(count) is not int or storage_type.dtype is None:
            raise ValueError(f"unexpected persistent id {saved_id!r:.80}")
        if key not in self.storages:
            member = f"{self.prefix}data/{key}"
            try:
                info = self.archive.getinfo(member)
            except KeyError:
                raise ValueError(f"storage {member!r} is missing from the archive") from None
            expected = count * storage_type.dtype.itemsize
            if info.file_size != expected:
                raise ValueError(f"storage {member!r} has {info.file_size} bytes, expected {expected}")
            array = np.frombuffer(self.archive.read(member), storage_type.dtype)
            if storage_type.name == "UntypedStorage":
                self.storages[key] = _Storage(array, swap=self.swap)
            else:
                self.storages[key] = _Storage(array.byteswap() if self.swap else array)
        storage = self.storages[key]
        if storage.array.dtype != storage_type.dtype:
            raise ValueError(f"storage {key!r} is used with two dtypes")
        return storage


def _finish(value: Any) -> Any:
    """Replace placeholders by numpy arrays and strings; OrderedDicts become dicts."""
    if isinstance(value, (_Tensor, _Storage)):
        return value.array
    if isinstance(value, _Named):
        return value.name
    if isinstance(value, dict):
        return {_finish(key): _finish(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_finish(item) for item in value)
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, bytearray)):
        return value
    if _safe_globals.is_listed_instance(value):
        return value
    raise ValueError(f"unexpected object of type {type(value).__name__}")


def read_torch_zip(file: io.BufferedReader, where: str) -> Any:
    """Load a ``torch.save`` zip checkpoint as nested containers of numpy arrays."""
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile as error:
        raise ValueError(f"{where} starts like a zip archive but is not one ({error})") from None
    with archive:
        pickles = [name for name in archive.namelist() if name.count("/") == 1 and name.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise ValueError(
                f"{where} is a zip archive with {len(pickles)} '<name>/data.pkl' records; "
                "a PyTorch checkpoint has exactly one"
            )
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = b"little"  # what torch assumes for files from before the record existed
        if f"{prefix}byteorder" in archive.namelist():
            byteorder = archive.read(f"{prefix}byteorder").strip()
        if byteorder not in (b"little", b"big"):
            raise ValueError(f"{where} has unknown byteorder record {byteorder!r:.40}")
        swap = byteorder.decode() != sys.byteorder
        unpickler = _RestrictedUnpickler(archive.read(pickles[0]), archive, prefix, swap, where)
        try:
            return _finish(unpickler.load())
        except UnsafeCheckpointError:
            raise
        except Exception as error:  # any malformed stream: report it as a bad file
            raise ValueError(f"{where} has a malformed PyTorch data.pkl ({type(error).__name__}: {error})") from error
