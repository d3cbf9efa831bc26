"""MNIST and FashionMNIST with torchvision's signature, read from the IDX files on disk."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from functorch_lite.datasets.mnist import FASHION_MNIST_DEBIAN_DIR, _load_idx_pair, fashion_mnist_classes
from functorch_lite.utils.data.dataset import StackedSamples
from functorch_lite.vision._image import to_image
from functorch_lite.vision.datasets.vision import VisionDataset, check_download, missing_files_error

_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


class MNIST(VisionDataset):
    """MNIST from `root/MNIST/raw/` (torchvision's layout) or `root/`, gzipped or not.

    `data` is the uint8 (N, 28, 28) array and `targets` the int64 (N,) array
    (numpy, where torchvision has torch tensors); `dataset[i]` is a
    `(PIL image of mode "L", int)` pair before transforms, as in torchvision.
    """

    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

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
        directories = [self.raw_folder, self.root, *self._extra_directories()]
        try:
            images, labels = _load_idx_pair(name, directories, self.train, "")
        except FileNotFoundError:
            raise missing_files_error(
                name, bool(download), self.raw_folder, [f"{file}(.gz)" for file in _FILES]
            ) from None
        self.data = np.array(images)  # writable, as torchvision's
        self.targets = labels.astype(np.int64)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _extra_directories(self) -> list[str]:
        return []

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple:
        return self._finish(to_image(self.data[index], "L"), int(self.targets[index]))

    def _raw_batch(self, indices: np.ndarray) -> StackedSamples:
        return StackedSamples((self.data[indices], self.targets[indices]))

    def __len__(self) -> int:
        return len(self.data)


class FashionMNIST(MNIST):
    """Fashion-MNIST; also found in the Debian package's directory when `root` holds no files."""

    classes = list(fashion_mnist_classes)

    def _extra_directories(self) -> list[str]:
        return [FASHION_MNIST_DEBIAN_DIR]
