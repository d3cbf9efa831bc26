"""`DatasetFolder` and `ImageFolder`: one sub-directory per class, files found as torchvision finds them."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from functorch_lite.vision._image import require_pil
from functorch_lite.vision.datasets.vision import VisionDataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def find_classes(directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """The sorted names of the sub-directories of `directory`, and their indices."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: index for index, name in enumerate(classes)}


def has_file_allowed_extension(filename: str, extensions: str | tuple[str, ...]) -> bool:
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def make_dataset(
    directory: str | os.PathLike,
    class_to_idx: dict[str, int],
    extensions: str | tuple[str, ...] | None = None,
    is_valid_file: Callable[[str], bool] | None = None,
    allow_empty: bool = False,
) -> list[tuple[str, int]]:
    """The `(path, class_index)` samples under `directory`, classes in index order, files sorted."""
    directory = os.path.expanduser(os.fspath(directory))
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if is_valid_file is None:
        is_valid_file = lambda path: has_file_allowed_extension(path, extensions)  # noqa: E731
    samples, found = [], set()
    for class_name in sorted(class_to_idx, key=class_to_idx.__getitem__):
        class_dir = os.path.join(directory, class_name)
        if not os.path.isdir(class_dir):
            continue
        for folder, _, names in sorted(os.walk(class_dir, followlinks=True)):
            for name in sorted(names):
                path = os.path.join(folder, name)
                if is_valid_file(path):
                    samples.append((path, class_to_idx[class_name]))
                    found.add(class_name)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        message = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            message += (
                f"Supported extensions are: {extensions if isinstance(extensions, str) else ', '.join(extensions)}"
            )
        raise FileNotFoundError(message)
    return samples


def pil_loader(path: str) -> Any:
    """Opens `path` with Pillow and converts it to RGB, as torchvision's default loader."""
    image_module = require_pil("ImageFolder")
    with open(path, "rb") as file:
        return image_module.open(file).convert("RGB")


default_loader = pil_loader


class DatasetFolder(VisionDataset):
    """Samples `root/<class>/**/<file>` loaded by `loader`; `classes`, `class_to_idx`, `samples`, `targets`."""

    def __init__(
        self,
        root: str | os.PathLike,
        loader: Callable[[str], Any],
        extensions: tuple[str, ...] | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ):
        super().__init__(root, transform, target_transform)
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"{type(self).__name__}: root {self.root!r} is not a directory")
        classes, class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file, allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.targets = [target for _, target in self.samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None, allow_empty=False):
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory: str) -> tuple[list[str], dict[str, int]]:
        return find_classes(directory)

    def __getitem__(self, index: int) -> tuple:
        path, target = self.samples[index]
        return self._finish(self.loader(path), target)

    def __getitems__(self, indices):
        return [self[int(index)] for index in indices]

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """A `DatasetFolder` of image files (torchvision's extensions), loaded as RGB PIL images."""

    def __init__(
        self,
        root: str | os.PathLike,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        loader: Callable[[str], Any] = default_loader,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ):
        super().__init__(
            root,
            loader,
            IMG_EXTENSIONS if is_valid_file is None else None,
            transform=transform,
            target_transform=target_transform,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )
        self.imgs = self.samples
