"""Tests of the map-style datasets and random_split in functorch_lite.utils.data."""

import numpy as np
import pytest

from functorch_lite.utils import data as fl_data


def _dataset(size=10):
    features = np.arange(size * 3, dtype=np.float32).reshape(size, 3)
    labels = np.arange(size, dtype=np.int64) % 4
    return fl_data.TensorDataset(features, labels), features, labels


def test_tensor_dataset_indexing_and_len():
    dataset, features, labels = _dataset()
    assert len(dataset) == 10
    sample = dataset[3]
    assert isinstance(sample, tuple) and len(sample) == 2
    np.testing.assert_array_equal(sample[0], features[3])
    assert sample[1] == labels[3]


def test_tensor_dataset_getitems_gathers_rows():
    dataset, features, labels = _dataset()
    batch = dataset.__getitems__([7, 1, 1, 4])
    assert isinstance(batch, fl_data.StackedSamples)
    assert len(batch) == 4
    np.testing.assert_array_equal(batch.arrays[0], features[[7, 1, 1, 4]])
    np.testing.assert_array_equal(batch.arrays[1], labels[[7, 1, 1, 4]])
    # It still reads as a sequence of samples, for collate functions written for torch.
    np.testing.assert_array_equal(batch[0][0], features[7])
    assert [int(sample[1]) for sample in batch] == [3, 1, 1, 0]


def test_tensor_dataset_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    dataset = fl_data.TensorDataset(torch.arange(6.0).reshape(3, 2), torch.tensor([0, 1, 2]))
    assert isinstance(dataset.tensors[0], np.ndarray)
    np.testing.assert_array_equal(dataset[2][0], [4.0, 5.0])


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"TensorDataset: size mismatch.*\[5, 4\]"):
        fl_data.TensorDataset(np.zeros((5, 2)), np.zeros(4))


def test_tensor_dataset_rejects_scalars_and_nothing():
    with pytest.raises(ValueError, match="TensorDataset: needs at least one array"):
        fl_data.TensorDataset()
    with pytest.raises(TypeError, match="TensorDataset: array 1 must be .* at least one dimension"):
        fl_data.TensorDataset(np.zeros(3), np.float32(2.0))


def test_subset_maps_indices_and_batches():
    dataset, features, _ = _dataset()
    subset = fl_data.Subset(dataset, [9, 2, 5])
    assert len(subset) == 3
    np.testing.assert_array_equal(subset[0][0], features[9])
    batch = subset.__getitems__([2, 0])
    np.testing.assert_array_equal(batch.arrays[0], features[[5, 9]])


def test_subset_getitems_without_parent_fast_path():
    class Squares(fl_data.Dataset):
        def __getitem__(self, index):
            return index * index

        def __len__(self):
            return 6

    assert fl_data.Subset(Squares(), [5, 1, 3]).__getitems__([0, 2]) == [25, 9]


def test_concat_and_add():
    first, features, _ = _dataset(4)
    second, _, _ = _dataset(3)
    joined = first + second
    assert isinstance(joined, fl_data.ConcatDataset)
    assert len(joined) == 7 and joined.cumulative_sizes == [4, 7]
    np.testing.assert_array_equal(joined[5][0], features[1])
    np.testing.assert_array_equal(joined[-1][0], features[2])
    with pytest.raises(IndexError, match="ConcatDataset: index 7 out of range for length 7"):
        joined[7]
    with pytest.raises(ValueError, match="ConcatDataset: datasets should not be an empty"):
        fl_data.ConcatDataset([])


def test_dataset_base_class_is_abstract():
    with pytest.raises(NotImplementedError, match="Dataset must define __getitem__"):
        fl_data.Dataset()[0]


def test_random_split_partitions_and_is_seeded():
    dataset, _, _ = _dataset(10)
    parts = fl_data.random_split(dataset, [6, 4], seed=3)
    assert [len(part) for part in parts] == [6, 4]
    all_indices = sorted(parts[0].indices + parts[1].indices)
    assert all_indices == list(range(10))
    again = fl_data.random_split(dataset, [6, 4], generator=3)
    assert again[0].indices == parts[0].indices
    other = fl_data.random_split(dataset, [6, 4], seed=4)
    assert other[0].indices != parts[0].indices


def test_random_split_numpy_generator_is_reproducible():
    dataset, _, _ = _dataset(10)
    first = fl_data.random_split(dataset, [5, 5], np.random.default_rng(1))
    second = fl_data.random_split(dataset, [5, 5], np.random.default_rng(1))
    assert first[1].indices == second[1].indices


@pytest.mark.parametrize(
    "size,fractions", [(10, [0.3, 0.7]), (11, [0.5, 0.25, 0.25]), (7, [0.1, 0.1, 0.8]), (100, [0.33, 0.33, 0.34])]
)
def test_random_split_fraction_lengths_match_torch(size, fractions):
    torch = pytest.importorskip("torch")
    dataset, _, _ = _dataset(size)
    ours = [len(part) for part in fl_data.random_split(dataset, fractions, seed=0)]
    theirs = [len(part) for part in torch.utils.data.random_split(range(size), fractions)]
    assert ours == theirs


def test_random_split_warns_on_empty_split():
    dataset, _, _ = _dataset(3)
    with pytest.warns(UserWarning, match="random_split: length of split at index 2 is 0"):
        parts = fl_data.random_split(dataset, [0.5, 0.5, 0.0], seed=0)
    assert [len(part) for part in parts] == [2, 1, 0]


def test_random_split_bad_lengths():
    dataset, _, _ = _dataset(10)
    with pytest.raises(
        ValueError,
        match=r"random_split: sum of input lengths \[6, 5\] = 11 does not equal the length of the input dataset \(10\)",
    ):
        fl_data.random_split(dataset, [6, 5], seed=0)
    with pytest.raises(ValueError, match="random_split: fractional lengths must sum to 1"):
        fl_data.random_split(dataset, [0.5, 0.4], seed=0)
    with pytest.raises(ValueError, match="random_split: lengths must be non-negative"):
        fl_data.random_split(dataset, [-1, 11], seed=0)
    with pytest.raises(TypeError, match="random_split: lengths must be a non-empty sequence"):
        fl_data.random_split(dataset, 10, seed=0)
    with pytest.raises(ValueError, match="random_split: pass seed= or generator=, not both"):
        fl_data.random_split(dataset, [5, 5], 1, seed=1)
