"""Collation: turning a list of samples into one batch.

`numpy_collate` stacks samples into numpy arrays, keeping the structure of a
sample (tuples, lists, namedtuples, dicts), with the dtypes a model expects:
Python ints become int32 (class labels), Python floats float32.
`default_collate` does the same and wraps every array in the library's
Tensor, which is what PyTorch's default_collate gives and what a training
loop written for torch (`inputs.to(device)`) needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from functorch_lite.utils.data.dataset import StackedSamples

_INT32_MIN, _INT32_MAX = np.iinfo(np.int32).min, np.iinfo(np.int32).max


def _stack_arrays(batch: Sequence[Any]) -> np.ndarray:
    arrays = [np.asarray(sample) for sample in batch]
    shapes = {array.shape for array in arrays}
    if len(shapes) != 1:
        raise ValueError(
            f"numpy_collate: samples have different shapes {sorted(shapes)}; "
            f"every sample of a batch must have the same shape (pad them, or pass a collate_fn)"
        )
    return np.stack(arrays)


def _stack_ints(batch: Sequence[int]) -> np.ndarray:
    if min(batch) < _INT32_MIN or max(batch) > _INT32_MAX:
        raise ValueError(
            f"numpy_collate: Python ints are collated to int32, but the batch holds "
            f"values in [{min(batch)}, {max(batch)}]; return numpy int64 scalars from the dataset to keep 64 bits"
        )
    return np.array(batch, dtype=np.int32)


def numpy_collate(batch: Sequence[Any]) -> Any:
    """Stacks a list of samples into numpy arrays, recursing into tuples, lists and dicts.

    Args:
        batch: a sequence of samples of one structure, or a `StackedSamples`
            from a dataset's `__getitems__` (its arrays are used as they are).

    Returns:
        The sample structure with every leaf stacked along a new
        first axis: arrays keep their dtype, Python ints give int32, floats
        float32, bools bool; strings stay a list of strings.
    """
    if isinstance(batch, StackedSamples):
        return batch.arrays
    if len(batch) == 0:
        raise ValueError("numpy_collate: got an empty batch, there is nothing to stack")
    first = batch[0]
    if isinstance(first, (np.ndarray, np.generic)) or hasattr(first, "__array__"):
        return _stack_arrays(batch)
    if isinstance(first, bool):
        return np.array(batch, dtype=np.bool_)
    if isinstance(first, int):
        return _stack_ints(batch)
    if isinstance(first, float):
        return np.array(batch, dtype=np.float32)
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: numpy_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, Sequence):
        sizes = {len(sample) for sample in batch}
        if len(sizes) != 1:
            raise ValueError(
                f"numpy_collate: samples are sequences of different lengths "
                f"{sorted(sizes)}; each sample must have the same number of fields"
            )
        fields = [numpy_collate(list(samples)) for samples in zip(*batch, strict=True)]
        if hasattr(first, "_fields"):  # namedtuple: rebuild with its field names
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(
        f"numpy_collate: samples must contain arrays, numbers, strings, dicts, "
        f"lists or tuples; found {type(first).__name__}"
    )


def _map_arrays(function: Callable[[np.ndarray], Any], tree: Any) -> Any:
    if isinstance(tree, np.ndarray):
        return function(tree)
    if isinstance(tree, Mapping):
        return {key: _map_arrays(function, value) for key, value in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return type(tree)(*(_map_arrays(function, value) for value in tree))
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map_arrays(function, value) for value in tree)
    return tree


def default_collate(batch: Sequence[Any]) -> Any:
    """`numpy_collate`, then every array leaf wrapped as the library's Tensor (PyTorch's behaviour)."""
    # Imported here: the data edge sits below the facade and must not import it at module level.
    from functorch_lite._tensor.creation import as_tensor

    return _map_arrays(as_tensor, numpy_collate(batch))
