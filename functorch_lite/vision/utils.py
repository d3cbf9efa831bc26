"""`make_grid` and `save_image` with torchvision's arguments and results."""

from __future__ import annotations

import math
import os
from typing import Any, BinaryIO

import numpy as np

from functorch_lite.vision._image import require_pil
from functorch_lite.vision.transforms._convert import back, is_tensor


def _as_batch(tensor: Any) -> tuple[np.ndarray, bool]:
    if isinstance(tensor, (list, tuple)):
        was_tensor = bool(tensor) and is_tensor(tensor[0])
        array = np.stack([np.asarray(item) for item in tensor])
    elif is_tensor(tensor) or isinstance(tensor, np.ndarray):
        was_tensor, array = is_tensor(tensor), np.asarray(tensor)
    else:
        raise TypeError(f"make_grid: tensor or list of tensors expected, got {type(tensor).__name__}")
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        array = np.concatenate([array] * 3) if array.shape[0] == 1 else array
        array = array[None]
    if array.ndim != 4:
        raise ValueError(f"make_grid: expected images of shape (B, C, H, W), (C, H, W) or (H, W), got {array.shape}")
    if array.shape[1] == 1:
        array = np.concatenate([array] * 3, axis=1)
    return array, was_tensor


def _normalize(images: np.ndarray, value_range: tuple[float, float] | None) -> np.ndarray:
    low, high = (float(images.min()), float(images.max())) if value_range is None else value_range
    return (np.clip(images, low, high) - low) / max(high - low, 1e-5)


def make_grid(
    tensor: Any,
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Any:
    """Tiles a (B, C, H, W) batch (or a list of images) into one (C, H', W') image, `nrow` per row."""
    images, was_tensor = _as_batch(tensor)
    if normalize:
        images = images.astype(np.float32) if not np.issubdtype(images.dtype, np.floating) else images.copy()
        if scale_each:
            images = np.stack([_normalize(image, value_range) for image in images]).astype(images.dtype)
        else:
            images = _normalize(images, value_range).astype(images.dtype)
    if images.shape[0] == 1:
        return back(images[0], was_tensor)
    count = images.shape[0]
    columns = min(nrow, count)
    rows = int(math.ceil(count / columns))
    height, width = images.shape[2] + padding, images.shape[3] + padding
    grid = np.full((images.shape[1], height * rows + padding, width * columns + padding), pad_value, images.dtype)
    for k in range(count):
        y, x = divmod(k, columns)
        top, left = y * height + padding, x * width + padding
        grid[:, top : top + height - padding, left : left + width - padding] = images[k]
    return back(grid, was_tensor)


def save_image(tensor: Any, fp: str | os.PathLike | BinaryIO, format: str | None = None, **kwargs: Any) -> None:
    """Saves `make_grid(tensor, **kwargs)` (values in [0, 1]) as an image file through Pillow."""
    image_module = require_pil("save_image")
    grid = np.asarray(make_grid(tensor, **kwargs), dtype=np.float32)
    pixels = np.clip(grid * 255 + 0.5, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    image_module.fromarray(pixels).save(fp, format=format)
