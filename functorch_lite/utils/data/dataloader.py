"""DataLoader: PyTorch's batching loop over a map-style dataset, reproducible and resumable.

Differences from torch worth knowing:
- Shuffling is a pure function of (seed, epoch): two loaders with one seed
  give one order, each new `iter()` is the next epoch, and `state_dict()` /
  `load_state_dict()` (seed, epoch, batches already yielded) resume a run
  with the very same data order.
- Batches are fetched in-process (`num_workers` and `pin_memory` are accepted
  for source compatibility and change nothing). A dataset with
  `__getitems__(indices)` is asked for a whole batch at once, which for
  `TensorDataset` is one numpy gather per array instead of per-sample indexing
  and stacking.
- A loader that would yield no batch at all (empty dataset, or `drop_last`
  with fewer samples than `batch_size`) is refused at construction rather
  than silently skipping training.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any

import numpy as np

from functorch_lite import _checks
from functorch_lite.utils.data._random import resolve_seed
from functorch_lite.utils.data.collate import default_collate
from functorch_lite.utils.data.dataset import Dataset
from functorch_lite.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)


def _check_options(batch_size, shuffle, sampler, batch_sampler, drop_last) -> None:
    """torch's rules on which options exclude which, with torch's wording plus what came."""
    if shuffle is not None:  # torch's signature allows None for "no shuffle"
        _checks.flag(shuffle, "shuffle", "DataLoader", wording="should")
    _checks.flag(drop_last, "drop_last", "DataLoader", wording="should")
    if sampler is not None and shuffle:
        raise ValueError(
            "DataLoader: sampler option is mutually exclusive with shuffle "
            "(got shuffle=True and a sampler; shuffle inside the sampler instead)"
        )
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError(
                f"DataLoader: batch_sampler option is mutually exclusive with "
                f"batch_size, shuffle, sampler, and drop_last (got batch_size="
                f"{batch_size}, shuffle={shuffle}, sampler={sampler!r}, drop_last={drop_last})"
            )
        return
    if batch_size is None:
        raise ValueError(
            "DataLoader: batch_size=None (no automatic batching) is not supported; use batch_size=1 or a batch_sampler"
        )
    _checks.positive_int(batch_size, "batch_size", "DataLoader", wording="should")


class DataLoader:
    """Iterates over `dataset` in collated batches, as `torch.utils.data.DataLoader`.

    Args:
        `batch_size`, `shuffle`, `sampler`, `batch_sampler`, `drop_last`,
            `collate_fn`: as in torch (`collate_fn` defaults to `default_collate`,
            which gives the library's Tensors; `numpy_collate` gives numpy arrays).
        seed / generator: an int or numpy Generator seeding the shuffle;
            with neither, a fresh random seed, readable from `state_dict()`.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = False,
        sampler: Sampler | Iterable[int] | None = None,
        batch_sampler: Sampler | Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        *,
        seed: int | None = None,
        generator: np.random.Generator | int | None = None,
    ):
        if not (hasattr(dataset, "__getitem__") or hasattr(dataset, "__getitems__")):
            raise TypeError(
                f"DataLoader: dataset must be a map-style dataset (with __getitem__ "
                f"and __len__, e.g. a TensorDataset), got {type(dataset).__name__}"
            )
        _check_options(batch_size, shuffle, sampler, batch_sampler, drop_last)
        shuffle = bool(shuffle)
        _checks.non_negative_int(num_workers, "num_workers", "DataLoader")
        _checks.flag(pin_memory, "pin_memory", "DataLoader", wording="should")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.pin_memory = bool(pin_memory)
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        if batch_sampler is not None:
            self.batch_size, self.drop_last = None, False
            self.sampler = getattr(batch_sampler, "sampler", None)
            self.batch_sampler = batch_sampler
        else:
            self.batch_size, self.drop_last = int(batch_size), bool(drop_last)
            if sampler is None and shuffle:
                sampler = RandomSampler(dataset, seed=resolve_seed(seed, generator, "DataLoader"))
            elif sampler is None:
                sampler = SequentialSampler(dataset)
            self.sampler = sampler
            self.batch_sampler = BatchSampler(sampler, self.batch_size, self.drop_last)
        # The seed that decides the order lives in the sampler when it is one of ours;
        # otherwise the loader only records what it was given.
        self.seed = getattr(self.sampler, "seed", None)
        if self.seed is None and (seed is not None or generator is not None):
            self.seed = resolve_seed(seed, generator, "DataLoader")
        self._next_epoch = 0
        self._resume: tuple[int, int] | None = None
        self._progress: tuple[int, int] | None = None
        self._check_not_empty()

    def _check_not_empty(self) -> None:
        if not isinstance(self.dataset, Sized) or not isinstance(self.batch_sampler, Sized):
            return
        try:
            batches = len(self.batch_sampler)
        except TypeError:  # a sampler without len(): nothing to check up front
            return
        if batches == 0:
            raise ValueError(
                f"DataLoader: this loader would yield no batches (len(dataset)="
                f"{len(self.dataset)}, batch_size={self.batch_size}, drop_last="
                f"{self.drop_last}); use a non-empty dataset, a smaller batch_size or drop_last=False"
            )

    def __len__(self) -> int:
        if not isinstance(self.batch_sampler, Sized):
            raise TypeError(
                f"DataLoader: len() needs a sampler with len(); {type(self.batch_sampler).__name__} has none"
            )
        return len(self.batch_sampler)

    def _fetch(self, indices: list[int]) -> Any:
        get_batch = getattr(self.dataset, "__getitems__", None)
        samples = get_batch(indices) if callable(get_batch) else [self.dataset[index] for index in indices]
        return self.collate_fn(samples)

    def _set_epoch(self, epoch: int) -> None:
        for sampler in (self.batch_sampler, self.sampler):
            if callable(getattr(sampler, "set_epoch", None)):
                sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[Any]:
        if self._resume is not None:
            epoch, skip = self._resume
            self._resume = None
        else:
            epoch, skip = self._next_epoch, 0
        self._next_epoch = epoch + 1
        self._progress = (epoch, skip)
        self._set_epoch(epoch)
        return self._epoch_batches(epoch, skip)

    def _epoch_batches(self, epoch: int, skip: int) -> Iterator[Any]:
        batch_indices = iter(self.batch_sampler)
        # Skipping costs only index arithmetic: resumed batches are never fetched.
        for _ in range(skip):
            next(batch_indices, None)
        position = skip
        for indices in batch_indices:
            batch = self._fetch(indices)
            position += 1
            self._progress = (epoch, position)
            yield batch
        self._progress = None

    def _epoch_finished(self, batches_yielded: int) -> bool:
        try:
            return batches_yielded >= len(self)
        except TypeError:
            return False

    def state_dict(self) -> dict[str, Any]:
        """Where the data order stands: `seed`, `epoch` (in progress or next), `batches_yielded`."""
        if self._resume is not None:
            epoch, batches_yielded = self._resume
        elif self._progress is not None and not self._epoch_finished(self._progress[1]):
            epoch, batches_yielded = self._progress
        else:
            epoch, batches_yielded = self._next_epoch, 0
        return {"seed": self.seed, "epoch": epoch, "batches_yielded": batches_yielded}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Makes the next `iter()` continue the saved epoch after its `batches_yielded` batches."""
        missing = {"seed", "epoch", "batches_yielded"} - set(state)
        if missing:
            raise ValueError(
                f"DataLoader.load_state_dict: state lacks keys {sorted(missing)}, got keys {sorted(state)}"
            )
        for key in ("epoch", "batches_yielded"):
            _checks.non_negative_int(state[key], key, "DataLoader.load_state_dict")
        if isinstance(self.batch_sampler, Sized) and state["batches_yielded"] > len(self):
            raise ValueError(
                f"DataLoader.load_state_dict: batches_yielded="
                f"{state['batches_yielded']} exceeds this loader's {len(self)} batches per epoch"
            )
        if state["seed"] is not None:
            self.seed = resolve_seed(state["seed"], None, "DataLoader.load_state_dict")
            if hasattr(self.sampler, "seed"):
                self.sampler.seed = self.seed
        self._resume = (int(state["epoch"]), int(state["batches_yielded"]))
        self._progress = None
