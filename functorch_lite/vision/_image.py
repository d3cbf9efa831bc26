"""Conversions between PIL images and numpy arrays; Pillow is optional (the `vision` extra)."""

from __future__ import annotations

from typing import Any

import numpy as np


def pil_module() -> Any:
    """The `PIL.Image` module, or None when Pillow is not installed."""
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def require_pil(where: str) -> Any:
    image_module = pil_module()
    if image_module is None:
        raise ImportError(f"{where}: needs Pillow; pip install pillow (or pip install functorch-lite[vision])")
    return image_module


def is_pil_image(value: Any) -> bool:
    image_module = pil_module()
    return image_module is not None and isinstance(value, image_module.Image)


def to_image(array: np.ndarray, mode: str | None = None) -> Any:
    """A uint8 HW or HWC array as a PIL image when Pillow is installed, else the array itself.

    This is what torchvision's datasets hand to transforms; without Pillow the
    transforms here accept the numpy array in its place.
    """
    image_module = pil_module()
    if image_module is None:
        return array
    return (
        image_module.fromarray(np.ascontiguousarray(array), mode=mode)
        if mode
        else image_module.fromarray(np.ascontiguousarray(array))
    )
