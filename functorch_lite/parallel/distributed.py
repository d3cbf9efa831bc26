"""Multi-process (multi-host) start-up: a checked wrapper over `jax.distributed.initialize`.

Nothing here runs on import: a single-process program never contacts a coordinator.
A multi-process program calls `initialize_distributed(...)` once, first thing, in
every process, before any other JAX call; afterwards `jax.devices()` lists the
devices of all processes and `data_parallel_mesh()` spans them. See
docs/distributed.md for launching.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import jax


class ProcessInfo(NamedTuple):
    """Where this process stands in the run (what a log line or a checkpoint guard needs)."""

    process_index: int
    process_count: int
    local_device_count: int
    device_count: int


def process_info() -> ProcessInfo:
    """This process's index, the process count and the local and global device counts."""
    return ProcessInfo(jax.process_index(), jax.process_count(), jax.local_device_count(), jax.device_count())


def is_main_process() -> bool:
    """True in process 0: the one that prints summaries and writes checkpoints."""
    return jax.process_index() == 0


def _check_count(name: str, value: Any, minimum: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"initialize_distributed: {name} must be an int >= {minimum}, got {value!r}")


def initialize_distributed(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    *,
    local_device_ids: int | list[int] | None = None,
    **jax_options: Any,
) -> ProcessInfo:
    """Joins this process to a multi-process JAX run; call it once, before any JAX work.

    Args:
        coordinator_address: `"host:port"` of process 0, which runs the coordinator
            service; every process passes the same address.
        num_processes: how many processes take part.
        process_id: this process's index, `0 <= process_id < num_processes`.
        local_device_ids: the local accelerators this process drives (default: all).
        jax_options: passed to `jax.distributed.initialize` as they are
            (`cluster_detection_method`, `initialization_timeout`, ...).

    Left as `None`, the first three come from the environment
    (`JAX_COORDINATOR_ADDRESS`, ...) or from cluster auto-detection (Slurm, Open MPI,
    Cloud TPU), exactly as in `jax.distributed.initialize`.

    Returns:
        The `ProcessInfo` of this process once every process has joined.
    """
    if coordinator_address is not None:
        host, _, port = str(coordinator_address).rpartition(":")
        if not isinstance(coordinator_address, str) or not host or not port.isdigit():
            raise ValueError(
                f"initialize_distributed: coordinator_address must be 'host:port' "
                f"(e.g. '10.0.0.1:1234'), got {coordinator_address!r}"
            )
    _check_count("num_processes", num_processes, 1)
    _check_count("process_id", process_id, 0)
    if num_processes is not None and process_id is not None and process_id >= num_processes:
        raise ValueError(
            f"initialize_distributed: process_id must be < num_processes ({num_processes}), got {process_id}"
        )
    jax.distributed.initialize(
        coordinator_address=coordinator_address,
        num_processes=num_processes,
        process_id=process_id,
        local_device_ids=local_device_ids,
        **jax_options,
    )
    return process_info()
