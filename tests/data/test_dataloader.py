"""Tests of DataLoader: batching, shuffling, resuming, the batch-fetch fast path, errors."""

import numpy as np
import pytest

from functorch_lite.utils import data as fl_data


def _dataset(size=23):
    features = np.arange(size * 2, dtype=np.float32).reshape(size, 2)
    return fl_data.TensorDataset(features, np.arange(size))


def _loader(size=23, **options):
    options.setdefault("collate_fn", fl_data.numpy_collate)
    return fl_data.DataLoader(_dataset(size), **options)


def _epoch_labels(loader):
    return [batch[1].tolist() for batch in loader]


class _PerSampleOnly(fl_data.Dataset):
    """The same data as `_dataset` but without `__getitems__`: the slow per-sample path."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __getitem__(self, index):
        return self.dataset[index]

    def __len__(self):
        return len(self.dataset)


@pytest.mark.parametrize(
    "size,batch_size,drop_last", [(23, 5, False), (23, 5, True), (20, 5, True), (3, 7, False), (1, 1, True)]
)
def test_len_and_sequential_batches_match_torch(size, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    loader = _loader(size, batch_size=batch_size, drop_last=drop_last)
    reference = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(size * 2.0).reshape(size, 2), torch.arange(size)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    assert len(loader) == len(reference)
    ours, theirs = list(loader), list(reference)
    assert len(ours) == len(theirs)
    for (features, labels), (torch_features, torch_labels) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(features, torch_features.numpy())
        np.testing.assert_array_equal(labels, torch_labels.numpy())


def test_batches_have_expected_shapes_and_dtypes():
    features, labels = next(iter(_loader(batch_size=4)))
    assert features.shape == (4, 2) and features.dtype == np.float32
    assert labels.shape == (4,) and labels.dtype == np.arange(1).dtype


def test_shuffle_visits_every_index_once_per_epoch_and_epochs_differ():
    loader = _loader(batch_size=4, shuffle=True, seed=11)
    epochs = [sum(_epoch_labels(loader), []) for _ in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(23))
    assert epochs[0] != epochs[1] and epochs[1] != epochs[2]


def test_same_seed_same_order_and_order_is_function_of_seed_and_epoch():
    one, other = _loader(batch_size=4, shuffle=True, seed=5), _loader(batch_size=4, shuffle=True, seed=5)
    for _ in range(2):
        assert _epoch_labels(one) == _epoch_labels(other)
    epoch_2 = sum(_epoch_labels(one), [])
    assert epoch_2 == np.random.Generator(np.random.PCG64([5, 2])).permutation(23).tolist()
    assert _epoch_labels(_loader(batch_size=4, shuffle=True, seed=6)) != _epoch_labels(
        _loader(batch_size=4, shuffle=True, seed=5)
    )


def test_generator_argument_int_and_numpy():
    assert _epoch_labels(_loader(batch_size=4, shuffle=True, generator=5)) == _epoch_labels(
        _loader(batch_size=4, shuffle=True, seed=5)
    )
    assert _epoch_labels(_loader(batch_size=4, shuffle=True, generator=np.random.default_rng(3))) == _epoch_labels(
        _loader(batch_size=4, shuffle=True, generator=np.random.default_rng(3))
    )


def test_getitems_fast_path_gives_the_same_batches_as_per_sample_path():
    dataset = _dataset()
    calls = []
    fast_fetch = dataset.__getitems__
    dataset.__getitems__ = lambda indices: calls.append(indices) or fast_fetch(indices)
    fast = fl_data.DataLoader(dataset, batch_size=4, shuffle=True, seed=1, collate_fn=fl_data.numpy_collate)
    slow = fl_data.DataLoader(
        _PerSampleOnly(_dataset()), batch_size=4, shuffle=True, seed=1, collate_fn=fl_data.numpy_collate
    )
    for fast_batch, slow_batch in zip(fast, slow, strict=True):
        for fast_array, slow_array in zip(fast_batch, slow_batch, strict=True):
            np.testing.assert_array_equal(fast_array, slow_array)
            assert fast_array.dtype == slow_array.dtype
    assert len(calls) == len(fast)  # one batch fetch per batch, no per-sample indexing


def test_fast_path_through_subset():
    parts = fl_data.random_split(_dataset(), [13, 10], seed=0)
    fast = fl_data.DataLoader(parts[0], batch_size=5, collate_fn=fl_data.numpy_collate)
    slow = fl_data.DataLoader(_PerSampleOnly(parts[0]), batch_size=5, collate_fn=fl_data.numpy_collate)
    assert _epoch_labels(fast) == _epoch_labels(slow)
    assert sum(_epoch_labels(fast), []) == parts[0].indices


def test_state_dict_resume_mid_epoch_reproduces_remaining_order():
    reference = _loader(batch_size=4, shuffle=True, seed=9)
    _epoch_labels(reference)
    expected_epoch_1 = _epoch_labels(reference)
    expected_epoch_2 = _epoch_labels(reference)

    interrupted = _loader(batch_size=4, shuffle=True, seed=9)
    _epoch_labels(interrupted)
    iterator = iter(interrupted)
    seen = [next(iterator)[1].tolist() for _ in range(2)]
    state = interrupted.state_dict()
    assert state == {"seed": 9, "epoch": 1, "batches_yielded": 2}

    resumed = _loader(batch_size=4, shuffle=True, seed=12345)  # the state's seed wins
    resumed.load_state_dict(state)
    assert resumed.state_dict() == state
    assert seen + _epoch_labels(resumed) == expected_epoch_1
    assert _epoch_labels(resumed) == expected_epoch_2


def test_state_dict_between_epochs_and_unseeded_loader():
    loader = _loader(batch_size=4, shuffle=True)
    first = _epoch_labels(loader)
    assert loader.state_dict()["epoch"] == 1 and loader.state_dict()["batches_yielded"] == 0
    replay = _loader(batch_size=4, shuffle=True)
    replay.load_state_dict({**loader.state_dict(), "epoch": 0})
    assert _epoch_labels(replay) == first
    # Breaking out after the last batch still counts as a finished epoch.
    for _ in loader:
        pass
    assert loader.state_dict()["epoch"] == 2


def test_load_state_dict_errors():
    loader = _loader(batch_size=4)
    with pytest.raises(ValueError, match=r"load_state_dict: state lacks keys \['batches_yielded'"):
        loader.load_state_dict({"seed": 0, "epoch": 0})
    with pytest.raises(ValueError, match="load_state_dict: epoch must be a non-negative int"):
        loader.load_state_dict({"seed": 0, "epoch": -1, "batches_yielded": 0})
    with pytest.raises(ValueError, match="batches_yielded=9 exceeds this loader's 6 batches"):
        loader.load_state_dict({"seed": 0, "epoch": 0, "batches_yielded": 9})


def test_custom_sampler_and_batch_sampler():
    loader = _loader(batch_size=2, sampler=[4, 0, 2])
    assert _epoch_labels(loader) == [[4, 0], [2]]
    loader = _loader(batch_sampler=[[1, 2], [5]])
    assert len(loader) == 2 and _epoch_labels(loader) == [[1, 2], [5]]
    assert loader.batch_size is None


def test_shuffle_none_means_no_shuffle_as_in_torch():
    assert sum(_epoch_labels(_loader(batch_size=4, shuffle=None)), []) == list(range(23))


def test_default_collate_is_the_default():
    loader = fl_data.DataLoader(_dataset(), batch_size=4)
    assert loader.collate_fn is fl_data.default_collate
    features, _ = next(iter(loader))
    assert tuple(features.shape) == (4, 2)


def test_option_errors():
    dataset = _dataset()
    with pytest.raises(
        ValueError, match="DataLoader: batch_size should be a positive integer value, but got batch_size=0"
    ):
        fl_data.DataLoader(dataset, batch_size=0)
    with pytest.raises(
        TypeError, match="DataLoader: batch_size should be a positive integer value, but got batch_size='4'"
    ):
        fl_data.DataLoader(dataset, batch_size="4")
    with pytest.raises(ValueError, match="DataLoader: batch_size=None"):
        fl_data.DataLoader(dataset, batch_size=None)
    with pytest.raises(ValueError, match="DataLoader: sampler option is mutually exclusive with shuffle"):
        fl_data.DataLoader(dataset, shuffle=True, sampler=[0, 1])
    for options in ({"batch_size": 2}, {"shuffle": True}, {"sampler": [0]}, {"drop_last": True}):
        with pytest.raises(
            ValueError, match="DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler"
        ):
            fl_data.DataLoader(dataset, batch_sampler=[[0]], **options)
    with pytest.raises(TypeError, match="DataLoader: shuffle should be a boolean value"):
        fl_data.DataLoader(dataset, shuffle="yes")
    with pytest.raises(TypeError, match="DataLoader: collate_fn must be callable"):
        fl_data.DataLoader(dataset, collate_fn=3)
    with pytest.raises(ValueError, match="DataLoader: num_workers must be a non-negative int"):
        fl_data.DataLoader(dataset, num_workers=-1)
    with pytest.raises(ValueError, match="DataLoader: pass seed= or generator=, not both"):
        fl_data.DataLoader(dataset, shuffle=False, seed=1, generator=2)


def test_loaders_that_would_yield_nothing_are_refused():
    with pytest.raises(
        ValueError,
        match=r"DataLoader: this loader would yield no batches \(len\(dataset\)=5, batch_size=8, drop_last=True\)",
    ):
        _loader(5, batch_size=8, drop_last=True)
    with pytest.raises(ValueError, match=r"would yield no batches \(len\(dataset\)=0"):
        fl_data.DataLoader(fl_data.TensorDataset(np.zeros((0, 2))), batch_size=2)
    with pytest.raises(ValueError, match="RandomSampler: num_samples should be a positive"):
        fl_data.DataLoader(fl_data.TensorDataset(np.zeros((0, 2))), shuffle=True)
