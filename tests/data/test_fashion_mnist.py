"""Tests of datasets.fashion_mnist on the real files of the Debian package dataset-fashion-mnist."""

import gzip
import os

import chex
import numpy as np
import pytest

from functorch_lite import datasets as fl_datasets
from functorch_lite.utils import data as fl_data

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"

pytestmark = pytest.mark.skipif(
    not os.path.isdir(DEBIAN_DIR), reason=f"{DEBIAN_DIR} is absent (apt-get install dataset-fashion-mnist)"
)


@pytest.fixture(scope="module")
def train():
    return fl_datasets.fashion_mnist(train=True)


@pytest.fixture(scope="module")
def test():
    return fl_datasets.fashion_mnist(train=False)


def _raw_labels(name, count):
    """The first `count` labels straight from the file: after the 8-byte header, one byte each."""
    with gzip.open(os.path.join(DEBIAN_DIR, name), "rb") as file:
        return list(file.read(8 + count)[8:])


def test_sizes_dtypes_and_ranges(train, test):
    train_images, train_labels = train
    test_images, test_labels = test
    chex.assert_shape(train_images, (60000, 1, 28, 28))
    chex.assert_shape(test_images, (10000, 1, 28, 28))
    chex.assert_type([train_images, test_images], np.float32)
    chex.assert_type([train_labels, test_labels], np.int32)
    assert train_images.min() == 0.0 and train_images.max() == 1.0
    assert set(np.unique(train_labels)) == set(range(10))
    assert np.bincount(test_labels).tolist() == [1000] * 10  # Fashion-MNIST is balanced


def test_first_labels_match_raw_bytes(train, test):
    assert train[1][:20].tolist() == _raw_labels("train-labels-idx1-ubyte.gz", 20)
    assert test[1][:20].tolist() == _raw_labels("t10k-labels-idx1-ubyte.gz", 20)


def test_padded_to_lenet_size(train):
    padded, labels = fl_datasets.fashion_mnist(train=True, image_size=32)
    chex.assert_shape(padded, (60000, 1, 32, 32))
    np.testing.assert_array_equal(padded[:100, :, 2:30, 2:30], train[0][:100])
    np.testing.assert_array_equal(labels, train[1])


def test_class_names():
    assert len(fl_datasets.fashion_mnist_classes) == 10
    assert fl_datasets.fashion_mnist_classes[9] == "Ankle boot"


def test_loader_over_fashion_mnist(test):
    loader = fl_data.DataLoader(
        fl_data.TensorDataset(*test), batch_size=256, shuffle=True, seed=0, collate_fn=fl_data.numpy_collate
    )
    assert len(loader) == 40
    images, labels = next(iter(loader))
    chex.assert_shape(images, (256, 1, 28, 28))
    assert labels.dtype == np.int32
