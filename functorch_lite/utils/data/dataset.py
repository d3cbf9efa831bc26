"""Map-style datasets with PyTorch's names: Dataset, TensorDataset, Subset, ConcatDataset, split.

Samples are numpy arrays (or whatever a user dataset returns); turning a batch
into the library's Tensors is the collate function's job, not the dataset's.

Batch fetching follows torch's `__getitems__(indices)` protocol (torch >= 2.1):
the DataLoader hands a whole list of indices to the dataset at once.
`TensorDataset` and `Subset` answer it with one numpy fancy-indexing gather per
array and return a `StackedSamples`, which still reads as a sequence of
samples (so any collate function works) but lets `numpy_collate` take the
already stacked arrays instead of stacking sample by sample.
"""

from __future__ import annotations

import bisect
import math
import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from functorch_lite.utils.data._random import epoch_rng, resolve_seed


class Dataset:
    """Base class of map-style datasets: subclasses define `__getitem__` and `__len__`."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class StackedSamples(Sequence):
    """A batch of samples held as stacked arrays; `batch[i]` is the tuple of row i of each array.

    Returned by `__getitems__` so that a collate function that iterates over
    samples still works, while `numpy_collate` reads `.arrays` directly.
    """

    def __init__(self, arrays: tuple[np.ndarray, ...]):
        self.arrays = tuple(arrays)

    def __len__(self) -> int:
        return len(self.arrays[0]) if self.arrays else 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            return StackedSamples(tuple(array[index] for array in self.arrays))
        return tuple(array[index] for array in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape) for array in self.arrays)
        return f"StackedSamples({shapes})"


def _as_index_array(indices: Sequence[int], owner: str) -> np.ndarray:
    index_array = np.asarray(indices)
    if index_array.ndim != 1 or not (index_array.size == 0 or np.issubdtype(index_array.dtype, np.integer)):
        raise TypeError(
            f"{owner}: indices must be a 1-D sequence of ints, got "
            f"{type(indices).__name__} with dtype {index_array.dtype} and shape {index_array.shape}"
        )
    return index_array.astype(np.intp, copy=False)


class TensorDataset(Dataset):
    """Rows of equally long arrays: sample i is `tuple(array[i] for array in arrays)`.

    Inputs are converted once to numpy arrays on the host (numpy, jax arrays,
    torch tensors and anything with `__array__`); batches move to the device
    in the training loop, as in PyTorch.
    """

    def __init__(self, *arrays: Any):
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array, got none")
        converted = []
        for position, array in enumerate(arrays):
            try:
                numpy_array = np.asarray(array)
            except ValueError as error:  # ragged nested lists
                raise TypeError(
                    f"TensorDataset: array {position} must be a numeric array, got "
                    f"{type(array).__name__} that is not one ({error})"
                ) from None
            if numpy_array.dtype == object or numpy_array.ndim == 0:
                raise TypeError(
                    f"TensorDataset: array {position} must be a numeric array with "
                    f"at least one dimension, got {type(array).__name__} with "
                    f"dtype {numpy_array.dtype} and shape {numpy_array.shape}"
                )
            converted.append(numpy_array)
        sizes = [len(array) for array in converted]
        if len(set(sizes)) != 1:
            raise ValueError(
                f"TensorDataset: size mismatch between arrays: first dimensions are {sizes}, they must all be equal"
            )
        self.tensors = tuple(converted)

    def __getitem__(self, index):
        return tuple(array[index] for array in self.tensors)

    def __getitems__(self, indices: Sequence[int]) -> StackedSamples:
        index_array = _as_index_array(indices, "TensorDataset.__getitems__")
        return StackedSamples(tuple(array[index_array] for array in self.tensors))

    def __len__(self) -> int:
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices
        self._index_array = _as_index_array(indices, "Subset")

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: Sequence[int]) -> Any:
        parent_indices = self._index_array[_as_index_array(indices, "Subset.__getitems__")]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(parent_indices.tolist())
        return [self.dataset[i] for i in parent_indices.tolist()]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other; index i goes to the dataset whose range holds it."""

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(dataset) for dataset in self.datasets]))
        self.cumulative_sizes = [int(size) for size in self.cumulative_sizes]

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if not -len(self) <= index < len(self):
            raise IndexError(f"ConcatDataset: index {index} out of range for length {len(self)}")
        if index < 0:
            index += len(self)
        dataset_index = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[dataset_index - 1] if dataset_index > 0 else 0
        return self.datasets[dataset_index][index - start]


def _split_lengths(total: int, lengths: Sequence[float]) -> list[int]:
    """Integer lengths, or torch's rule for fractions: floor each, then hand out the remainder."""
    for length in lengths:
        if isinstance(length, bool) or not isinstance(length, numbers.Real) or length < 0:
            raise ValueError(f"random_split: lengths must be non-negative ints or fractions, got {list(lengths)}")
    fractional = any(not isinstance(length, numbers.Integral) for length in lengths)
    if fractional and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths = [int(math.floor(total * fraction)) for fraction in lengths]
        # Round-robin the leftover samples, exactly as torch does.
        for i in range(total - sum(subset_lengths)):
            subset_lengths[i % len(subset_lengths)] += 1
        for i, length in enumerate(subset_lengths):
            if length == 0:
                warnings.warn(
                    f"random_split: length of split at index {i} is 0; this split will be empty", stacklevel=3
                )
        return subset_lengths
    if fractional:
        raise ValueError(f"random_split: fractional lengths must sum to 1, got {list(lengths)} (sum {sum(lengths)})")
    if sum(lengths) != total:
        raise ValueError(
            f"random_split: sum of input lengths {list(lengths)} = {sum(lengths)} "
            f"does not equal the length of the input dataset ({total})"
        )
    return [int(length) for length in lengths]


def random_split(
    dataset: Dataset,
    lengths: Sequence[float],
    generator: np.random.Generator | int | None = None,
    *,
    seed: int | None = None,
) -> list[Subset]:
    """Splits `dataset` into non-overlapping random `Subset`s of the given lengths.

    Args:
        lengths: ints summing to `len(dataset)`, or fractions summing to 1
            (floored, leftover samples given round-robin to the first splits, as torch).
        generator / seed: an int or numpy Generator; the same seed gives the
            same split. With neither the split is random each call, as in torch.
    """
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Sequence) or not lengths:
        raise TypeError(f"random_split: lengths must be a non-empty sequence, got {lengths!r}")
    subset_lengths = _split_lengths(len(dataset), lengths)
    permutation = epoch_rng(resolve_seed(seed, generator, "random_split"), 0).permutation(len(dataset))
    offsets = np.cumsum([0] + subset_lengths)
    return [
        Subset(dataset, permutation[start:stop].tolist()) for start, stop in zip(offsets[:-1], offsets[1:], strict=True)
    ]
