"""MNIST and Fashion-MNIST from IDX files already on disk (nothing is downloaded).

Files are looked up under their standard names, gzipped or not, in `root`
and in torchvision's layout below it (`root/MNIST/raw`, `root/FashionMNIST/raw`).
Fashion-MNIST defaults to the Debian package `dataset-fashion-mnist`.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from functorch_lite.datasets.idx import read_idx
from functorch_lite.datasets.images import pad_images

# Where `apt-get install dataset-fashion-mnist` puts the four IDX files.
FASHION_MNIST_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"

fashion_mnist_classes = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

_IMAGE_SIDE = 28
_NUM_CLASSES = 10


def _find_file(directories: list[str], stem: str, looked_at: list[str]) -> str | None:
    for directory in directories:
        for name in (f"{stem}.gz", stem):
            path = os.path.join(directory, name)
            looked_at.append(path)
            if os.path.isfile(path):
                return path
    return None


def _load_idx_pair(
    function: str, directories: list[str], train: bool, how_to_get: str
) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if train else "t10k"
    looked_at: list[str] = []
    images_path = _find_file(directories, f"{prefix}-images-idx3-ubyte", looked_at)
    labels_path = _find_file(directories, f"{prefix}-labels-idx1-ubyte", looked_at)
    if images_path is None or labels_path is None:
        missing = [kind for kind, path in (("images", images_path), ("labels", labels_path)) if path is None]
        raise FileNotFoundError(
            f"{function}: no {' or '.join(missing)} IDX file found; looked at: {', '.join(looked_at)}. {how_to_get}"
        )
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (_IMAGE_SIDE, _IMAGE_SIDE) or images.dtype != np.uint8:
        raise ValueError(
            f"{function}: {images_path} should hold uint8 images of shape "
            f"(N, 28, 28), got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(
            f"{function}: {labels_path} should hold uint8 labels of shape (N,), got {labels.dtype} {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{function}: count mismatch: {images_path} holds {len(images)} images "
            f"but {labels_path} holds {len(labels)} labels"
        )
    if labels.size and labels.max() >= _NUM_CLASSES:
        raise ValueError(f"{function}: {labels_path} holds label {int(labels.max())}, expected 0..{_NUM_CLASSES - 1}")
    return images, labels


def _to_arrays(images: np.ndarray, labels: np.ndarray, image_size: int) -> tuple[np.ndarray, np.ndarray]:
    scaled = (images[:, None, :, :] / np.float32(255.0)).astype(np.float32, copy=False)
    if image_size != _IMAGE_SIDE:
        scaled = pad_images(scaled, image_size)
    return scaled, labels.astype(np.int32)


def _check_arguments(function: str, root, train, image_size) -> None:
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"{function}: root must be a directory path (str or os.PathLike), got {type(root).__name__}")
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"{function}: train must be a bool, got {train!r}")
    if isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral) or image_size < _IMAGE_SIDE:
        raise ValueError(
            f"{function}: image_size must be an int >= 28 (28 as stored, larger "
            f"sizes are zero-padded, 32 for LeNet-5), got {image_size!r}"
        )


def _search_directories(root: str | os.PathLike, torchvision_folder: str) -> list[str]:
    root = os.fspath(root)
    return [root, os.path.join(root, torchvision_folder, "raw")]


def mnist(root: str | os.PathLike, train: bool = True, *, image_size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's training (60,000) or test (10,000) set from the IDX files under `root`.

    Returns:
        `(images, labels)`: float32 `(N, 1, image_size, image_size)`
        in [0, 1] (zero-padded, centred, when image_size > 28) and int32 `(N,)`.
    """
    _check_arguments("mnist", root, train, image_size)
    images, labels = _load_idx_pair(
        "mnist",
        _search_directories(root, "MNIST"),
        bool(train),
        "MNIST is not downloaded for you: get the four IDX files (train-images-idx3-ubyte.gz, "
        "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) "
        "yourself, put them in one directory and pass it as root=.",
    )
    return _to_arrays(images, labels, int(image_size))


def fashion_mnist(
    root: str | os.PathLike | None = None, train: bool = True, *, image_size: int = 28
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's training (60,000) or test (10,000) set; names in `fashion_mnist_classes`.

    `root=None` reads the Debian package's directory
    /usr/share/datasets/fashion-mnist (`apt-get install dataset-fashion-mnist`).

    Returns:
        `(images, labels)` as `mnist`.
    """
    directory = FASHION_MNIST_DEBIAN_DIR if root is None else root
    _check_arguments("fashion_mnist", directory, train, image_size)
    images, labels = _load_idx_pair(
        "fashion_mnist",
        _search_directories(directory, "FashionMNIST"),
        bool(train),
        "Install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or put the "
        "four IDX files in a directory and pass it as root=.",
    )
    return _to_arrays(images, labels, int(image_size))
