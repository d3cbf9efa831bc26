"""`VisionDataset`: the base of the torchvision-style datasets (root, transforms, batched fetch)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functorch_lite.utils.data.dataset import Dataset, StackedSamples


class VisionDataset(Dataset):
    """Holds `root`, `transform` and `target_transform` as torchvision's base class does.

    Subclasses that keep every image in one array (`data`, `targets`) get
    `__getitems__`: with no transform set, a batch is one numpy gather of the
    raw uint8 images and the int64 targets (what `DataLoader` asks for); with a
    transform, it is the list of transformed samples, as torch.
    """

    def __init__(
        self,
        root: str | os.PathLike | None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ):
        name = type(self).__name__
        if root is not None and not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"{name}: root must be a directory path (str or os.PathLike), got {type(root).__name__}")
        for argument, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None and not callable(value):
                raise TypeError(f"{name}: {argument} must be callable or None, got {type(value).__name__}")
        self.root = None if root is None else os.path.expanduser(os.fspath(root))
        self.transform = transform
        self.target_transform = target_transform

    def _finish(self, image: Any, target: Any) -> tuple[Any, Any]:
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _raw_batch(self, indices: np.ndarray) -> StackedSamples:
        raise NotImplementedError

    def __getitems__(self, indices: Sequence[int]) -> Any:
        if self.transform is not None or self.target_transform is not None:
            return [self[int(index)] for index in indices]
        index_array = np.asarray(indices, dtype=np.intp)
        if index_array.size and (index_array.min() < -len(self) or index_array.max() >= len(self)):
            raise IndexError(f"{type(self).__name__}: indices out of range for length {len(self)}")
        return self._raw_batch(index_array)

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"    Root location: {self.root}")
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)


def check_download(name: str, download: Any) -> None:
    if not isinstance(download, (bool, np.bool_)):
        raise TypeError(f"{name}: download must be a bool, got {download!r}")


def missing_files_error(name: str, download: bool, where: str, files: Sequence[str]) -> FileNotFoundError:
    """The error for files that are not on disk: nothing is downloaded, so say what to put where."""
    prefix = "download=True cannot fetch anything (functorch_lite downloads nothing); " if download else ""
    return FileNotFoundError(f"{name}: {prefix}dataset not found; place {', '.join(files)} in {where}")
