"""Between the image kinds the transforms accept: PIL images, the library's Tensors, numpy arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.vision._image import is_pil_image


def is_tensor(value: Any) -> bool:
    from functorch_lite._tensor.tensor import Tensor

    return isinstance(value, Tensor)


def as_chw(image: Any, op: str) -> tuple[np.ndarray, bool]:
    """A Tensor or numpy array as a (..., C, H, W) numpy array, and whether it came as a Tensor."""
    if is_tensor(image):
        array, tensor = np.asarray(image), True
    elif isinstance(image, np.ndarray):
        array, tensor = image, False
    else:
        raise TypeError(f"{op}: expected a PIL image, a Tensor or a numpy array, got {type(image).__name__}")
    if array.ndim < 2:
        raise ValueError(f"{op}: expected an image of shape (..., C, H, W) or (H, W), got shape {array.shape}")
    return array, tensor


def back(array: np.ndarray, tensor: bool) -> Any:
    """The result in the kind the input came in."""
    if not tensor:
        return array
    from functorch_lite._tensor.creation import as_tensor

    return as_tensor(np.ascontiguousarray(array))


def image_size(image: Any, op: str) -> tuple[int, int]:
    """(height, width) of any accepted image."""
    if is_pil_image(image):
        return image.size[1], image.size[0]
    array, _ = as_chw(image, op)
    return array.shape[-2], array.shape[-1]


def max_value(dtype: np.dtype) -> float:
    return 1.0 if np.issubdtype(dtype, np.floating) else float(np.iinfo(dtype).max)


def cast_like(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float results back to the image dtype: clipped to its range, truncated for ints as torch's `.to`."""
    bound = max_value(dtype)
    clipped = np.clip(values, 0.0, bound)
    return clipped.astype(dtype)
