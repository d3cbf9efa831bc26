"""Index samplers with PyTorch's names: sequential, random, subset-random and batch samplers.

A sampler yields dataset indices for one epoch per `iter()`. The random ones
hold an integer `seed` and an `epoch` counter instead of a random stream: the
order of epoch e is a pure function of (seed, e) (see `_random.py`), each
`iter()` uses the current epoch and then advances it, and `set_epoch(e)`
jumps to any epoch, which is how a DataLoader resumes a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized

import numpy as np

from functorch_lite import _checks
from functorch_lite.utils.data._random import epoch_rng, resolve_seed


class Sampler:
    """Base class: subclasses define `__iter__` (indices of one epoch) and usually `__len__`."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__()")


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1, every epoch."""

    def __init__(self, data_source: Sized):
        self.data_source = data_source

    def epoch_indices(self) -> np.ndarray:
        """All indices of the next epoch as one array (lets BatchSampler slice instead of loop)."""
        return np.arange(len(self.data_source))

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class _EpochSeededSampler(Sampler):
    """Shared seed/epoch bookkeeping of the random samplers."""

    seed: int
    epoch: int

    def set_epoch(self, epoch: int) -> None:
        """Makes the next `iter()` produce the order of `epoch`."""
        self.epoch = _checks.non_negative_int(epoch, "epoch", f"{type(self).__name__}.set_epoch")

    def _next_rng(self) -> np.random.Generator:
        rng = epoch_rng(self.seed, self.epoch)
        self.epoch += 1
        return rng

    def __iter__(self) -> Iterator[int]:
        return iter(self.epoch_indices().tolist())


class RandomSampler(_EpochSeededSampler):
    """A fresh random order each epoch; the order of epoch e depends only on (seed, e).

    Args:
        replacement: draw `num_samples` indices with replacement.
        num_samples: indices per epoch (default `len(data_source)`); without
            replacement and above the length, whole permutations are chained, as torch.
        generator / seed: an int or numpy Generator fixing the seed; with
            neither, a fresh random seed (kept in `.seed` so the run can be replayed).
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: np.random.Generator | int | None = None,
        *,
        seed: int | None = None,
    ):
        self.data_source = data_source
        self.replacement = _checks.flag(replacement, "replacement", "RandomSampler", wording="should")
        self._num_samples = num_samples
        count = len(data_source) if num_samples is None else num_samples
        _checks.positive_int(count, "num_samples", "RandomSampler", wording="should")
        self.seed = resolve_seed(seed, generator, "RandomSampler")
        self.epoch = 0

    @property
    def num_samples(self) -> int:
        # Read lazily: the data source may grow or shrink after construction, as in torch.
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def epoch_indices(self) -> np.ndarray:
        """All indices of the next epoch as one array, and advance the epoch."""
        size, count = len(self.data_source), self.num_samples
        if size == 0:
            raise ValueError("RandomSampler: the data source is empty, there is nothing to sample")
        rng = self._next_rng()
        if self.replacement:
            return rng.integers(0, size, size=count)
        permutations = [rng.permutation(size) for _ in range(-(-count // size))]
        return np.concatenate(permutations)[:count]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(_EpochSeededSampler):
    """The given indices in a fresh random order each epoch, seeded like RandomSampler."""

    def __init__(
        self, indices: Sequence[int], generator: np.random.Generator | int | None = None, *, seed: int | None = None
    ):
        self.indices = indices
        self.seed = resolve_seed(seed, generator, "SubsetRandomSampler")
        self.epoch = 0

    def epoch_indices(self) -> np.ndarray:
        """The indices of the next epoch, shuffled, and advance the epoch."""
        return np.asarray(self.indices)[self._next_rng().permutation(len(self.indices))]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups `sampler`'s indices into lists of `batch_size`; short last one unless `drop_last`."""

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool):
        self.sampler = sampler
        self.batch_size = _checks.positive_int(batch_size, "batch_size", "BatchSampler", wording="should")
        self.drop_last = _checks.flag(drop_last, "drop_last", "BatchSampler", wording="should")

    def set_epoch(self, epoch: int) -> None:
        """Forwards to the wrapped sampler, when it has epochs."""
        if callable(getattr(self.sampler, "set_epoch", None)):
            self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[list[int]]:
        if callable(getattr(self.sampler, "epoch_indices", None)):
            # Our own samplers give the epoch as one array: slice it rather than
            # appending index by index in Python.
            indices = self.sampler.epoch_indices()
            stop = len(indices) - len(indices) % self.batch_size if self.drop_last else len(indices)
            for start in range(0, stop, self.batch_size):
                yield indices[start : start + self.batch_size].tolist()
            return
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if not isinstance(self.sampler, Sized):
            raise TypeError(
                f"BatchSampler: the sampler {type(self.sampler).__name__} has no "
                f"len(), so the number of batches is unknown"
            )
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
