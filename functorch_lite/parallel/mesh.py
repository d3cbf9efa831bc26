"""Meshes and placements for data parallelism: which devices, which arrays go where.

A data-parallel run keeps one copy of the state (parameters, optimizer state, PRNG
keys) on every device and splits each batch along its leading axis, one slice per
device. Both placements are `jax.sharding.NamedSharding`s over a `jax.sharding.Mesh`,
so XLA partitions the jitted step itself and inserts the gradient all-reduce.

With several processes (`jax.process_count() > 1`), a mesh spans every process's
devices; each process holds the rows of the batch that its own devices get, and
`shard_batch` assembles the global batch from those process-local rows with
`jax.make_array_from_process_local_data`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ..device import device as device_name
from ..device import resolve_device

PyTree = Any
AxisName = str | tuple[str, ...] | None


def data_parallel_mesh(devices: Sequence[Any] | None = None, axis_name: str = "batch") -> Mesh:
    """A 1-D mesh over `devices`, whose single axis `axis_name` splits the batch.

    Args:
        devices: a list of `jax.Device`s, device strings (`"cpu:1"`, `"cuda:0"`) or
            `functorch_lite.device`s, all on one platform; default: `jax.devices()`, i.e.
            every device of the default backend in every process (the local devices when
            there is one process).
        axis_name: the name of the mesh axis (used in `PartitionSpec`s).
    """
    if not isinstance(axis_name, str) or not axis_name:
        raise TypeError(f"data_parallel_mesh: axis_name must be a non-empty str, got {axis_name!r}")
    if devices is None:
        resolved = list(jax.devices())
    else:
        if isinstance(devices, (str, jax.Device, device_name)) or not isinstance(devices, Sequence):
            raise TypeError(
                f"data_parallel_mesh: devices must be a list of devices or device strings "
                f"(e.g. ['cpu:0', 'cpu:1']) or None, got {devices!r}"
            )
        resolved = [resolve_device(spec) for spec in devices]
    if not resolved:
        raise ValueError("data_parallel_mesh: devices is empty; expected at least one device")
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"data_parallel_mesh: devices lists a device twice: {resolved}")
    platforms = sorted({d.platform for d in resolved})
    if len(platforms) > 1:
        raise ValueError(f"data_parallel_mesh: devices must share one platform, got {platforms}")
    return Mesh(np.array(resolved, dtype=object), (axis_name,))


def _check_mesh(mesh: Any, function: str) -> Mesh:
    if not isinstance(mesh, Mesh):
        raise TypeError(
            f"{function}: mesh must be a jax.sharding.Mesh (see data_parallel_mesh), got {type(mesh).__name__}"
        )
    return mesh


def _data_axes(mesh: Mesh, axis_name: AxisName, function: str) -> tuple[str, ...]:
    """The mesh axes the batch is split over: `axis_name`, or every axis of the mesh."""
    if axis_name is None:
        return tuple(mesh.axis_names)
    names = (axis_name,) if isinstance(axis_name, str) else tuple(axis_name)
    unknown = [name for name in names if name not in mesh.axis_names]
    if unknown or not names:
        raise ValueError(
            f"{function}: axis_name {axis_name!r} is not an axis of the mesh, whose axes are {tuple(mesh.axis_names)}"
        )
    return names


def replicated_sharding(mesh: Mesh) -> NamedSharding:
    """The placement of state: a full copy on every device of `mesh`."""
    return NamedSharding(_check_mesh(mesh, "replicated_sharding"), PartitionSpec())


def batch_sharding(mesh: Mesh, axis: int = 0, ndim: int | None = None, axis_name: AxisName = None) -> NamedSharding:
    """The placement of a batch: array axis `axis` split over the mesh's data axes.

    `axis_name` picks the mesh axes that split the batch (default: all of them, so
    every device gets a distinct slice). A negative `axis` needs `ndim`.
    """
    mesh = _check_mesh(mesh, "batch_sharding")
    names = _data_axes(mesh, axis_name, "batch_sharding")
    if axis < 0:
        if ndim is None:
            raise ValueError(f"batch_sharding: a negative axis ({axis}) needs ndim")
        axis += ndim
    entry = names[0] if len(names) == 1 else names
    return NamedSharding(mesh, PartitionSpec(*([None] * axis), entry))


def _leaf_name(path: tuple, prefix: str) -> str:
    # Dot-joined keys, like state_dict keys: 'x', 'inputs.image', '0'.
    keys = jax.tree_util.keystr(path, simple=True, separator=".")
    if prefix and keys:
        return f"{prefix}.{keys}"
    return prefix or keys or "input"


def _is_placed(leaf: Any, sharding: NamedSharding) -> bool:
    return isinstance(leaf, jax.Array) and leaf.sharding == sharding


def _host_value(leaf: Any) -> Any:
    """A value `make_array_from_process_local_data` slices: a local jax.Array or numpy."""
    return leaf if isinstance(leaf, jax.Array) else np.asarray(leaf)


def _is_key_array(leaf: Any) -> bool:
    return isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def replicate(tree: PyTree, mesh: Mesh) -> PyTree:
    """Puts a full copy of every leaf of `tree` on every device of `mesh`.

    Leaves already replicated on `mesh` are returned as they are (no copy). With
    several processes every process must pass the same values (as when all of them
    initialise from the same seed); a process-local copy becomes one global array.
    """
    sharding = replicated_sharding(mesh)
    multi_process = jax.process_count() > 1

    def place(leaf):
        if _is_placed(leaf, sharding):
            return leaf
        if multi_process and not (isinstance(leaf, jax.Array) and not leaf.is_fully_addressable):
            if _is_key_array(leaf):  # numpy has no key dtype: move the raw key bits instead
                data = place(jax.random.key_data(leaf))
                return jax.random.wrap_key_data(data, impl=jax.random.key_impl(leaf))
            # Every process holds the whole value: its "local data" is the global array.
            return jax.make_array_from_process_local_data(sharding, np.asarray(leaf))
        return jax.device_put(leaf, sharding)

    return jax.tree.map(place, tree)


def _check_divisible(
    name: str, shape: tuple, axis: int, mesh: Mesh, names: tuple[str, ...], function: str, multi_process: bool
) -> None:
    if len(shape) <= axis:
        raise ValueError(
            f"{function}: {name!r} has shape {tuple(shape)}, with no axis {axis} to split "
            f"across the mesh; batch inputs need a batch axis"
        )
    slices = int(np.prod([mesh.shape[a] for a in names]))
    size = shape[axis]
    if not multi_process:
        if size % slices:
            raise ValueError(
                f"{function}: global batch {size} of {name!r} is not divisible by the "
                f"{slices} devices of the mesh; use a batch size that is a multiple of {slices} or drop_last=True"
            )
        return
    # The process-local rows are split among this process's share of the slices.
    local_slices = max(1, slices * len(mesh.local_devices) // mesh.size)
    if size % local_slices:
        raise ValueError(
            f"{function}: process-local batch {size} of {name!r} (process "
            f"{jax.process_index()} of {jax.process_count()}) is not divisible by the "
            f"{local_slices} mesh devices of this process; use a per-process batch "
            f"size that is a multiple of {local_slices} or drop_last=True"
        )


def shard_batch(tree: PyTree, mesh: Mesh, axis: int = 0, *, axis_name: AxisName = None) -> PyTree:
    """Splits axis `axis` of every leaf of `tree` across the data axes of `mesh`.

    With one process each leaf is the global batch (numpy or jax), cut into equal
    slices, one per device. With several processes each leaf holds this process's
    rows only (see `process_local_batch`), and the global batch is assembled with
    `jax.make_array_from_process_local_data`. Leaves already placed this way are
    returned as they are.

    Raises:
        ValueError: naming the leaf, its batch size and the device count when
            the batch does not divide evenly.
    """
    return _shard_batch(tree, mesh, axis, axis_name, "", "parallel.shard_batch")


def _shard_batch(tree: PyTree, mesh: Mesh, axis: int, axis_name: AxisName, name: str, function: str) -> PyTree:
    """`shard_batch`, with the leaf-name prefix and function name its errors use."""
    mesh = _check_mesh(mesh, function)
    names = _data_axes(mesh, axis_name, function)
    if isinstance(axis, bool) or not isinstance(axis, int) or axis < 0:
        raise TypeError(f"{function}: axis must be a non-negative int, got {axis!r}")
    multi_process = jax.process_count() > 1

    def place(path, leaf):
        shape = np.shape(leaf)
        sharding = batch_sharding(mesh, axis, len(shape), names)
        if _is_placed(leaf, sharding):
            return leaf
        if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable:
            return jax.device_put(leaf, sharding)  # already global: reshard only
        _check_divisible(_leaf_name(path, name), shape, axis, mesh, names, function, multi_process)
        if multi_process:
            return jax.make_array_from_process_local_data(sharding, _host_value(leaf))
        return jax.device_put(leaf, sharding)

    return jax.tree_util.tree_map_with_path(place, tree)


def process_local_batch(tree: PyTree, mesh: Mesh, axis: int = 0, *, axis_name: AxisName = None) -> PyTree:
    """The rows of a global host batch that this process feeds to `shard_batch`.

    For runs where every process reads the same global batch (same data, same shuffle
    seed) and keeps its own part. With one process it returns `tree` unchanged.
    """
    mesh = _check_mesh(mesh, "parallel.process_local_batch")
    names = _data_axes(mesh, axis_name, "parallel.process_local_batch")
    if jax.process_count() == 1:
        return tree

    def rows(path, leaf):
        shape = np.shape(leaf)
        _check_divisible(
            _leaf_name(path, ""), shape, axis, mesh, names, "parallel.process_local_batch", multi_process=False
        )
        sharding = batch_sharding(mesh, axis, len(shape), names)
        # Ask the sharding which global rows this process's devices hold.
        index_map = sharding.addressable_devices_indices_map(tuple(shape))
        starts = [index[axis].start or 0 for index in index_map.values()]
        stops = [shape[axis] if index[axis].stop is None else index[axis].stop for index in index_map.values()]
        taken = [slice(None)] * len(shape)
        taken[axis] = slice(min(starts), max(stops))
        return leaf[tuple(taken)]

    return jax.tree_util.tree_map_with_path(rows, tree)
