"""Data-parallel training over every device, and over several processes, on `jax.sharding`.

    mesh = parallel.data_parallel_mesh()                 # every device, one "batch" axis
    step = parallel.data_parallel(train_step, mesh, batch_argnums=(2, 3), donate_argnums=(0, 1))
    params, opt_state, loss = step(params, opt_state, x_numpy, y_numpy)

State is replicated, batches are split along axis 0, and XLA inserts the gradient
all-reduce. The helpers (`replicate`, `shard_batch`, the shardings) are separate so
that the imperative `compile` can place its flattened state the same way. Importing
this module starts nothing; multi-process runs call `initialize_distributed` first.
"""

from .distributed import ProcessInfo, initialize_distributed, is_main_process, process_info
from .mesh import batch_sharding, data_parallel_mesh, process_local_batch, replicate, replicated_sharding, shard_batch
from .step import data_parallel

__all__ = [
    "data_parallel_mesh",
    "replicated_sharding",
    "batch_sharding",
    "replicate",
    "shard_batch",
    "process_local_batch",
    "data_parallel",
    "initialize_distributed",
    "process_info",
    "is_main_process",
    "ProcessInfo",
]
