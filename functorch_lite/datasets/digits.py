"""scikit-learn's bundled 8x8 handwritten digits (1,797 images, offline) as a small MNIST stand-in.

The train/test split is stratified and depends only on `seed` and
`test_fraction`, so every call (and every machine) gets the same split.
"""

from __future__ import annotations

import numbers

import numpy as np

from functorch_lite.datasets.images import resize_bilinear

# The digits' pixel values are counts 0..16 (4x4 blocks of a 32x32 bitmap).
_MAX_PIXEL = 16.0


def _load_sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError(
            "digits: needs scikit-learn for its bundled digits data; "
            "pip install scikit-learn (or pip install functorch-lite[examples])"
        ) from error
    bunch = load_digits()
    return bunch.images, bunch.target


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """A boolean mask of test samples: `round(test_fraction * count)` of each class, at random."""
    rng = np.random.Generator(np.random.PCG64(seed))
    is_test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        test_count = int(round(test_fraction * len(members)))
        is_test[rng.permutation(members)[:test_count]] = True
    return is_test


def digits(
    train: bool = True, *, image_size: int = 32, test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The train or test part of scikit-learn's digits, ready for a LeNet-style network.

    Args:
        train: the training part (True) or the held-out test part (False);
            the two are disjoint and together hold all 1,797 images.
        image_size: side of the returned images; the 8x8 originals are
            resized bilinearly (32 suits LeNet-5).
        test_fraction, seed: the stratified split (fraction of each class held out).

    Returns:
        `(images, labels)`: float32 `(N, 1, image_size, image_size)`
        in [0, 1] and int32 `(N,)` in 0..9, in the original order.
    """
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"digits: train must be a bool, got {train!r}")
    if isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral) or image_size <= 0:
        raise ValueError(f"digits: image_size must be a positive int, got {image_size!r}")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real) or not 0.0 < test_fraction < 1.0:
        raise ValueError(f"digits: test_fraction must be a number in (0, 1), got {test_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"digits: seed must be a non-negative int, got {seed!r}")
    images, labels = _load_sklearn_digits()
    keep = ~stratified_split(labels, float(test_fraction), int(seed))
    if not train:
        keep = ~keep
    selected = (images[keep] / _MAX_PIXEL).astype(np.float32)[:, None, :, :]
    resized = np.clip(resize_bilinear(selected, int(image_size)), 0.0, 1.0)
    return np.ascontiguousarray(resized), labels[keep].astype(np.int32)
