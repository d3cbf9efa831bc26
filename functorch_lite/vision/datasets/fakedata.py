"""`FakeData`: random images and labels, the same for an index on every call (for smoke tests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from functorch_lite import _checks
from functorch_lite.utils.data.dataset import StackedSamples
from functorch_lite.vision._image import to_image
from functorch_lite.vision.datasets.vision import VisionDataset


class FakeData(VisionDataset):
    """`size` random (C, H, W) images as PIL images (uint8) and labels below `num_classes`.

    Sample i is drawn from a numpy generator seeded with `i + random_offset`,
    so it is reproducible, though not torchvision's numbers (which come from torch's generator).
    """

    def __init__(
        self,
        size: int = 1000,
        image_size: Sequence[int] = (3, 224, 224),
        num_classes: int = 10,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        random_offset: int = 0,
    ):
        super().__init__(None, transform, target_transform)
        self.size = _checks.non_negative_int(size, "size", "FakeData")
        self.num_classes = _checks.positive_int(num_classes, "num_classes", "FakeData")
        self.image_size = tuple(image_size)
        if len(self.image_size) != 3 or self.image_size[0] not in (1, 3):
            raise ValueError(f"FakeData: image_size must be (C, H, W) with C 1 or 3, got {image_size!r}")
        self.random_offset = _checks.non_negative_int(random_offset, "random_offset", "FakeData")

    def _sample(self, index: int) -> tuple[np.ndarray, int]:
        rng = np.random.Generator(np.random.PCG64(index + self.random_offset))
        image = rng.integers(0, 256, size=self.image_size, dtype=np.uint8)
        return image, int(rng.integers(0, self.num_classes))

    def __getitem__(self, index: int) -> tuple:
        if not -self.size <= index < self.size:
            raise IndexError(f"FakeData: index {index} out of range for size {self.size}")
        image, target = self._sample(index % self.size)
        hwc = image.transpose(1, 2, 0)
        return self._finish(to_image(hwc[:, :, 0] if hwc.shape[2] == 1 else hwc), target)

    def _raw_batch(self, indices: np.ndarray) -> StackedSamples:
        pairs = [self._sample(int(index) % self.size) for index in indices]
        images = np.stack([image.transpose(1, 2, 0) for image, _ in pairs]) if pairs else np.zeros((0,), np.uint8)
        return StackedSamples((images, np.array([target for _, target in pairs], dtype=np.int64)))

    def __len__(self) -> int:
        return self.size
