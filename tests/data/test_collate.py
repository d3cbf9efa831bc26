"""Tests of numpy_collate and default_collate: structure, dtypes, parity with torch, errors."""

import collections

import numpy as np
import pytest

from functorch_lite.utils import data as fl_data

Point = collections.namedtuple("Point", ["x", "y"])


def test_numpy_collate_scalars_and_arrays():
    images = [np.full((1, 2, 2), i, dtype=np.float32) for i in range(3)]
    batch = fl_data.numpy_collate([(image, label) for image, label in zip(images, [1, 0, 2], strict=True)])
    assert isinstance(batch, tuple) and len(batch) == 2
    assert batch[0].shape == (3, 1, 2, 2) and batch[0].dtype == np.float32
    assert batch[1].dtype == np.int32 and batch[1].tolist() == [1, 0, 2]
    assert fl_data.numpy_collate([0.5, 1.5]).dtype == np.float32
    assert fl_data.numpy_collate([True, False]).dtype == np.bool_
    assert fl_data.numpy_collate([np.int64(4), np.int64(5)]).dtype == np.int64


def test_numpy_collate_nested_structures():
    samples = [{"image": np.zeros(2), "meta": Point(i, [float(i), "a"])} for i in range(2)]
    batch = fl_data.numpy_collate(samples)
    assert set(batch) == {"image", "meta"}
    assert batch["image"].shape == (2, 2)
    assert isinstance(batch["meta"], Point)
    assert batch["meta"].x.tolist() == [0, 1]
    assert isinstance(batch["meta"].y, list)
    assert batch["meta"].y[0].tolist() == [0.0, 1.0] and batch["meta"].y[1] == ["a", "a"]


def test_numpy_collate_values_match_torch_default_collate():
    torch = pytest.importorskip("torch")
    samples = [(np.arange(3, dtype=np.float32) + i, i, {"w": float(i) / 2}) for i in range(4)]
    ours = fl_data.numpy_collate(samples)
    theirs = torch.utils.data.default_collate(samples)
    np.testing.assert_array_equal(ours[0], theirs[0].numpy())
    np.testing.assert_array_equal(ours[1], theirs[1].numpy())
    np.testing.assert_allclose(ours[2]["w"], theirs[2]["w"].numpy())


def test_numpy_collate_stacked_samples_pass_through():
    arrays = (np.ones((3, 2), dtype=np.float32), np.arange(3))
    batch = fl_data.numpy_collate(fl_data.StackedSamples(arrays))
    assert batch[0] is arrays[0] and batch[1] is arrays[1]


def test_numpy_collate_errors():
    with pytest.raises(
        ValueError,
        match=r"numpy_collate: samples have different shapes \[\(2,\), \(3,\)\]",
    ):
        fl_data.numpy_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(
        ValueError,
        match="numpy_collate: samples are sequences of different "
        r"lengths \[1, 2\]",
    ):
        fl_data.numpy_collate([(1, 2), (3,)])
    with pytest.raises(ValueError, match="numpy_collate: got an empty batch"):
        fl_data.numpy_collate([])
    with pytest.raises(TypeError, match="numpy_collate: samples must contain .* found NoneType"):
        fl_data.numpy_collate([None, None])
    with pytest.raises(ValueError, match="numpy_collate: Python ints are collated to int32"):
        fl_data.numpy_collate([0, 2**40])


def test_default_collate_wraps_every_array_leaf_as_a_library_tensor():
    from functorch_lite import Tensor

    batch = fl_data.default_collate([(np.zeros(2, dtype=np.float32), {"label": 1, "name": "a"})] * 3)
    assert isinstance(batch[0], Tensor) and tuple(batch[0].shape) == (3, 2)
    assert isinstance(batch[1]["label"], Tensor)
    assert batch[1]["label"].dtype == np.int32
    np.testing.assert_array_equal(batch[1]["label"].numpy(), [1, 1, 1])
    assert batch[1]["name"] == ["a", "a", "a"]
    np.testing.assert_array_equal(batch[0].numpy(), np.zeros((3, 2)))
