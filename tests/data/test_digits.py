"""Tests of datasets.digits (scikit-learn's 8x8 digits) and the numpy bilinear resize."""

import chex
import numpy as np
import pytest

pytest.importorskip("sklearn")

from functorch_lite import datasets as fl_datasets  # noqa: E402
from functorch_lite.datasets.images import pad_images, resize_bilinear  # noqa: E402


@pytest.fixture(scope="module")
def split():
    return fl_datasets.digits(train=True), fl_datasets.digits(train=False)


def test_shapes_dtypes_and_ranges(split):
    (train_images, train_labels), (test_images, test_labels) = split
    chex.assert_shape(train_images, (len(train_labels), 1, 32, 32))
    chex.assert_shape(test_images, (len(test_labels), 1, 32, 32))
    chex.assert_type([train_images, test_images], np.float32)
    chex.assert_type([train_labels, test_labels], np.int32)
    assert len(train_labels) + len(test_labels) == 1797
    assert train_images.min() >= 0.0 and train_images.max() <= 1.0
    assert train_images.max() > 0.9  # scaled by 16, not by 255
    assert set(np.unique(train_labels)) == set(range(10))


def test_split_is_stratified_disjoint_and_covering(split):
    from sklearn.datasets import load_digits

    (_, train_labels), (_, test_labels) = split
    all_labels = load_digits().target
    for label in range(10):
        count = np.sum(all_labels == label)
        assert np.sum(test_labels == label) == round(0.2 * count)
        assert np.sum(train_labels == label) + np.sum(test_labels == label) == count
    # Disjoint and covering: the 8x8 originals of both parts are exactly all the images.
    train_small, _ = fl_datasets.digits(train=True, image_size=8)
    test_small, _ = fl_datasets.digits(train=False, image_size=8)
    originals = load_digits().images.reshape(1797, -1) / 16.0
    together = np.concatenate([train_small, test_small]).reshape(1797, -1)
    rows = lambda array: sorted(map(tuple, np.round(array, 5).tolist()))
    assert rows(together) == rows(originals)


def test_same_split_every_call_and_seed_changes_it(split):
    (train_images, train_labels), _ = split
    again_images, again_labels = fl_datasets.digits(train=True)
    np.testing.assert_array_equal(again_images, train_images)
    np.testing.assert_array_equal(again_labels, train_labels)
    other_images, _ = fl_datasets.digits(train=True, seed=1)
    assert other_images.shape == train_images.shape
    assert not np.array_equal(other_images, train_images)


def test_image_size_and_test_fraction():
    images, labels = fl_datasets.digits(train=False, image_size=28, test_fraction=0.5)
    chex.assert_shape(images, (len(labels), 1, 28, 28))
    assert abs(len(labels) - 1797 / 2) <= 10


@pytest.mark.parametrize("size", [32, 28, 5, 8])
def test_resize_bilinear_matches_torch_interpolate(size):
    torch = pytest.importorskip("torch")
    images = np.random.default_rng(0).random((3, 2, 8, 8)).astype(np.float32)
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(images), size=(size, size), mode="bilinear", align_corners=False
    ).numpy()
    np.testing.assert_allclose(resize_bilinear(images, size), expected, atol=1e-6)


def test_pad_images_centres():
    padded = pad_images(np.ones((1, 1, 2, 2), dtype=np.float32), 5)
    assert padded.dtype == np.float32
    np.testing.assert_array_equal(padded[0, 0, 1:3, 1:3], np.ones((2, 2)))
    assert padded.sum() == 4
    with pytest.raises(ValueError, match="pad_images: size 1 is smaller than the images"):
        pad_images(np.ones((1, 1, 2, 2)), 1)


def test_argument_errors():
    with pytest.raises(ValueError, match="digits: image_size must be a positive int, got 0"):
        fl_datasets.digits(image_size=0)
    with pytest.raises(ValueError, match="digits: test_fraction must be a number in"):
        fl_datasets.digits(test_fraction=1.0)
    with pytest.raises(TypeError, match="digits: train must be a bool"):
        fl_datasets.digits(train="train")
    with pytest.raises(ValueError, match="digits: seed must be a non-negative int"):
        fl_datasets.digits(seed=-3)


def test_missing_scikit_learn_gives_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def refuse_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse_sklearn)
    with pytest.raises(ImportError, match=r"pip install scikit-learn.*functorch-lite\[examples\]"):
        fl_datasets.digits()
