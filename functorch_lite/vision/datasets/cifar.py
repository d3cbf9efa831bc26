"""CIFAR10 and CIFAR100 with torchvision's signature, from the python or the binary version on disk.

The python version (`cifar-10-batches-py`, `cifar-100-python`) is read with a
restricted unpickler; the binary version (`cifar-10-batches-bin`,
`cifar-100-binary`) is plain bytes. `data` is uint8 (N, 32, 32, 3) and
`targets` a list of ints, as torchvision's.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from functorch_lite.utils.data.dataset import StackedSamples
from functorch_lite.vision._image import to_image
from functorch_lite.vision.datasets._safe_pickle import load_pickle
from functorch_lite.vision.datasets.vision import VisionDataset, check_download, missing_files_error

_PIXELS = 3 * 32 * 32


class CIFAR10(VisionDataset):
    """CIFAR-10 from `root/cifar-10-batches-py/` or, failing that, `root/cifar-10-batches-bin/`."""

    base_folder = "cifar-10-batches-py"
    binary_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{i}" for i in range(1, 6)]
    test_list = ["test_batch"]
    meta_file, label_key, names_key = "batches.meta", "labels", "label_names"
    binary_train, binary_test, binary_meta, label_bytes = (
        [f"data_batch_{i}.bin" for i in range(1, 6)],
        ["test_batch.bin"],
        "batches.meta.txt",
        1,
    )

    def __init__(
        self,
        root: str | os.PathLike,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ):
        super().__init__(root, transform, target_transform)
        name = type(self).__name__
        if not isinstance(train, (bool, np.bool_)):
            raise TypeError(f"{name}: train must be a bool, got {train!r}")
        check_download(name, download)
        self.train = bool(train)
        python_dir = os.path.join(self.root, self.base_folder)
        binary_dir = os.path.join(self.root, self.binary_folder)
        python_files = [*(self.train_list if self.train else self.test_list), self.meta_file]
        binary_files = [*(self.binary_train if self.train else self.binary_test), self.binary_meta]
        if all(os.path.isfile(os.path.join(python_dir, file)) for file in python_files):
            self._load_python(python_dir)
        elif all(os.path.isfile(os.path.join(binary_dir, file)) for file in binary_files[:-1]):
            self._load_binary(binary_dir)
        else:
            raise missing_files_error(
                name, bool(download), os.path.join(self.root, ""), [f"{self.base_folder}/{f}" for f in python_files]
            ) from None
        self.class_to_idx = {label: index for index, label in enumerate(self.classes)}

    def _load_python(self, directory: str) -> None:
        images, targets = [], []
        for file in self.train_list if self.train else self.test_list:
            path = os.path.join(directory, file)
            entry = load_pickle(path)
            if not isinstance(entry, dict) or "data" not in entry or self.label_key not in entry:
                raise ValueError(f"{type(self).__name__}: {path} lacks the 'data' and '{self.label_key}' entries")
            data = np.asarray(entry["data"], dtype=np.uint8)
            if data.ndim != 2 or data.shape[1] != _PIXELS or len(data) != len(entry[self.label_key]):
                raise ValueError(
                    f"{type(self).__name__}: {path} should hold (N, 3072) uint8 data and N labels, got "
                    f"{data.shape} and {len(entry[self.label_key])} labels"
                )
            images.append(data)
            targets.extend(int(label) for label in entry[self.label_key])
        meta = load_pickle(os.path.join(directory, self.meta_file))
        self.classes = [str(label) for label in meta[self.names_key]]
        self._store(np.concatenate(images), targets)

    def _load_binary(self, directory: str) -> None:
        images, targets = [], []
        for file in self.binary_train if self.train else self.binary_test:
            path = os.path.join(directory, file)
            raw = np.fromfile(path, dtype=np.uint8)
            record = self.label_bytes + _PIXELS
            if raw.size % record:
                raise ValueError(f"{type(self).__name__}: {path} has {raw.size} bytes, not a multiple of {record}")
            rows = raw.reshape(-1, record)
            images.append(rows[:, self.label_bytes :])
            targets.extend(rows[:, self.label_bytes - 1].astype(int).tolist())  # the fine label comes last
        meta_path = os.path.join(directory, self.binary_meta)
        if os.path.isfile(meta_path):
            with open(meta_path) as file:
                self.classes = [line.strip() for line in file if line.strip()]
        else:
            self.classes = [str(index) for index in range(max(targets) + 1)]
        self._store(np.concatenate(images), targets)

    def _store(self, flat: np.ndarray, targets: list[int]) -> None:
        self.data = np.ascontiguousarray(flat.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        self.targets = targets
        self._target_array = np.asarray(targets, dtype=np.int64)

    def __getitem__(self, index: int) -> tuple:
        return self._finish(to_image(self.data[index]), self.targets[index])

    def _raw_batch(self, indices: np.ndarray) -> StackedSamples:
        return StackedSamples((self.data[indices], self._target_array[indices]))

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100 (fine labels) from `root/cifar-100-python/` or `root/cifar-100-binary/`."""

    base_folder = "cifar-100-python"
    binary_folder = "cifar-100-binary"
    train_list, test_list = ["train"], ["test"]
    meta_file, label_key, names_key = "meta", "fine_labels", "fine_label_names"
    binary_train, binary_test, binary_meta, label_bytes = ["train.bin"], ["test.bin"], "fine_label_names.txt", 2
