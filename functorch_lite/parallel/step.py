"""`data_parallel`: one jitted step, partitioned by XLA over every device of a mesh.

The rule is the plain data-parallel one. Arguments listed in `batch_argnums` are
split along their leading axis across the mesh; every other argument (parameters,
optimizer state, PRNG keys, scalars) is replicated. Outputs are replicated, except
those listed in `batch_outnums`, which stay split like the batch. Because the step is
written for the global batch (a loss that is a mean over all rows), `jax.jit`'s
partitioner turns the gradient's reduction over the batch into a cross-device
all-reduce by itself: no `psum` and no `pmap` in user code, and the numbers equal the
single-device step's up to float summation order.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import jax

from .mesh import (
    AxisName,
    _check_mesh,
    _data_axes,
    _is_placed,
    _shard_batch,
    batch_sharding,
    data_parallel_mesh,
    replicate,
    replicated_sharding,
)


def _argnums(value: Any, argument: str, *, allow_empty: bool = True) -> tuple[int, ...]:
    numbers_ = (value,) if isinstance(value, numbers.Integral) else value
    if (
        isinstance(value, bool)
        or not isinstance(numbers_, Sequence)
        or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 0 for n in numbers_)
    ):
        raise TypeError(f"data_parallel: {argument} must be a non-negative int or a tuple of them, got {value!r}")
    if not numbers_ and not allow_empty:
        raise ValueError(f"data_parallel: {argument} must name at least one argument, got {value!r}")
    return tuple(sorted({int(n) for n in numbers_}))


def _argument_names(step_fn: Callable) -> list[str]:
    """Positional parameter names of `step_fn`, for error messages ('x' beats 'argument 2')."""
    try:
        parameters = inspect.signature(step_fn).parameters.values()
    except (TypeError, ValueError):
        return []
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in parameters if p.kind in positional]


def _all_placed(tree: Any, sharding: jax.sharding.NamedSharding) -> bool:
    # The hot path: after the first step every state leaf is the previous step's
    # replicated output, so this check is all that runs.
    return all(_is_placed(leaf, sharding) for leaf in jax.tree.leaves(tree))


def data_parallel(
    step_fn: Callable,
    mesh: jax.sharding.Mesh | None = None,
    *,
    batch_argnums: int | Sequence[int],
    donate_argnums: int | Sequence[int] = (),
    batch_outnums: int | Sequence[int] = (),
    axis_name: AxisName = None,
) -> Callable:
    """Compiles `step_fn` once for data-parallel execution over `mesh`.

    Args:
        step_fn: a pure function written for the *global* batch, e.g.
            `train_step(params, opt_state, x, y, key) -> (params, opt_state, loss, correct)`.
        mesh: default `data_parallel_mesh()` (every device).
        batch_argnums: positions of the batch arguments; each leaf of those is split
            along axis 0 across the mesh (see `shard_batch`). Host numpy arrays are welcome.
            With several processes these arguments are the *process-local* rows.
        donate_argnums: positions whose buffers the step may reuse (as in `jax.jit`),
            typically the parameters and optimizer state.
        batch_outnums: positions, in the returned tuple, of per-example outputs that
            should stay split along axis 0; every other output is replicated, so a loss or
            the new parameters can be read on any device (and any process).
        axis_name: the mesh axes that split the batch (default: all of them).

    Returns:
        A function with `step_fn`'s signature. Each call places its inputs (replicating
        state, sharding batches, after checking that the batch divides by the device count)
        unless they are already placed, then runs one XLA program. Keyword arguments are
        replicated. The function has `.mesh` and `.jitted` (the `jax.jit` object, for
        `.lower(...)`) attributes.
    """
    if not callable(step_fn):
        raise TypeError(f"data_parallel: step_fn must be callable, got {type(step_fn).__name__}")
    mesh = data_parallel_mesh() if mesh is None else _check_mesh(mesh, "data_parallel")
    batch_positions = _argnums(batch_argnums, "batch_argnums", allow_empty=False)
    donate_positions = _argnums(donate_argnums, "donate_argnums")
    batch_outputs = _argnums(batch_outnums, "batch_outnums")
    axes = _data_axes(mesh, axis_name, "data_parallel")
    names = _argument_names(step_fn)
    replicated = replicated_sharding(mesh)  # built once: placing arguments is the per-call hot path

    def constrained_step(*args, **kwargs):
        return _constrain_outputs(step_fn(*args, **kwargs), batch_outputs, replicated, mesh, axes)

    jitted = jax.jit(constrained_step, donate_argnums=donate_positions)

    @functools.wraps(step_fn)
    def parallel_step(*args, **kwargs):
        if len(args) <= batch_positions[-1]:
            raise TypeError(
                f"data_parallel: batch_argnums={batch_positions} but "
                f"{getattr(step_fn, '__name__', 'step_fn')} was called with {len(args)} positional arguments"
            )
        placed = _place_arguments(args, batch_positions, names, replicated, mesh, axes)
        if kwargs and not _all_placed(kwargs, replicated):
            kwargs = replicate(kwargs, mesh)
        return jitted(*placed, **kwargs)

    parallel_step.mesh = mesh
    parallel_step.jitted = jitted
    return parallel_step


def _place_arguments(
    args: tuple,
    batch_positions: tuple[int, ...],
    names: list[str],
    replicated: jax.sharding.NamedSharding,
    mesh: jax.sharding.Mesh,
    axes: Any,
) -> list:
    """Shards the batch arguments and replicates the rest (unless already placed)."""
    placed = []
    for position, arg in enumerate(args):
        if position in batch_positions:
            name = names[position] if position < len(names) else f"argument {position}"
            arg = _shard_batch(arg, mesh, 0, axes, name, "data_parallel")
        elif not _all_placed(arg, replicated):
            arg = replicate(arg, mesh)
        placed.append(arg)
    return placed


def _constrain_outputs(
    outputs: Any,
    batch_outputs: tuple[int, ...],
    replicated: jax.sharding.NamedSharding,
    mesh: jax.sharding.Mesh,
    axes: Any,
) -> Any:
    """Inside the jit: outputs in `batch_outputs` stay split along axis 0, the rest are replicated."""
    if not batch_outputs:
        return jax.lax.with_sharding_constraint(outputs, replicated)
    if not isinstance(outputs, (tuple, list)) or max(batch_outputs) >= len(outputs):
        got = f"a tuple of {len(outputs)}" if isinstance(outputs, (tuple, list)) else type(outputs).__name__
        raise ValueError(
            f"data_parallel: batch_outnums={batch_outputs} needs step_fn to return a "
            f"tuple with those positions, got {got}"
        )
    placed = []
    for position, output in enumerate(outputs):
        if position in batch_outputs:
            output = jax.tree.map(functools.partial(_split_rows, position=position, mesh=mesh, axes=axes), output)
        else:
            output = jax.lax.with_sharding_constraint(output, replicated)
        placed.append(output)
    return type(outputs)(*placed) if hasattr(outputs, "_fields") else type(outputs)(placed)


def _split_rows(leaf: jax.Array, position: int, mesh: jax.sharding.Mesh, axes: Any) -> jax.Array:
    if leaf.ndim == 0:
        raise ValueError(
            f"data_parallel: output {position} is listed in batch_outnums but is a "
            f"scalar; only outputs with a batch axis can stay split"
        )
    return jax.lax.with_sharding_constraint(leaf, batch_sharding(mesh, 0, leaf.ndim, axes))
