"""Resizing for the offline datasets, in numpy: bilinear resize and zero padding of NCHW images."""

from __future__ import annotations

import numpy as np


def _interpolation_matrix(in_size: int, out_size: int) -> np.ndarray:
    """The (out_size, in_size) matrix of 1-D linear interpolation weights.

    Uses half-pixel centres, as `torch.nn.functional.interpolate(mode="bilinear",
    align_corners=False)`: output pixel o samples input position
    (o + 0.5) * in/out - 0.5, clamped at 0 and at the last pixel.
    """
    source = (np.arange(out_size) + 0.5) * (in_size / out_size) - 0.5
    source = np.maximum(source, 0.0)
    lower = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    upper = np.minimum(lower + 1, in_size - 1)
    upper_weight = source - lower
    matrix = np.zeros((out_size, in_size), dtype=np.float64)
    rows = np.arange(out_size)
    np.add.at(matrix, (rows, lower), 1.0 - upper_weight)
    np.add.at(matrix, (rows, upper), upper_weight)
    return matrix


def resize_bilinear(images: np.ndarray, size: int) -> np.ndarray:
    """Resizes NCHW `images` to (size, size) with bilinear interpolation; keeps the dtype."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"resize_bilinear: images must be NCHW (4-D), got shape {images.shape}")
    height, width = images.shape[2:]
    if (height, width) == (size, size):
        return images
    # Bilinear interpolation is separable: one matrix product per spatial axis.
    rows = _interpolation_matrix(height, size)
    columns = _interpolation_matrix(width, size)
    resized = np.einsum("oh,nchw,pw->ncop", rows, images.astype(np.float64), columns, optimize=True)
    return resized.astype(images.dtype)


def pad_images(images: np.ndarray, size: int) -> np.ndarray:
    """Zero-pads NCHW `images` to (size, size), centred (an odd remainder goes bottom/right)."""
    height, width = images.shape[2:]
    if size < height or size < width:
        raise ValueError(
            f"pad_images: size {size} is smaller than the images ({height}x{width}); padding only enlarges"
        )
    top, left = (size - height) // 2, (size - width) // 2
    padded = np.zeros(images.shape[:2] + (size, size), dtype=images.dtype)
    padded[:, :, top : top + height, left : left + width] = images
    return padded
