"""Tests of the samplers in functorch_lite.utils.data: orders, seeding by (seed, epoch), errors."""

import numpy as np
import pytest

from functorch_lite.utils import data as fl_data


def test_sequential_sampler():
    sampler = fl_data.SequentialSampler(range(5))
    assert list(sampler) == [0, 1, 2, 3, 4] and len(sampler) == 5


def test_random_sampler_is_a_permutation_that_changes_each_epoch():
    sampler = fl_data.RandomSampler(range(20), seed=7)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == list(range(20)) and sorted(second) == list(range(20))
    assert first != second
    assert sampler.epoch == 2


def test_random_sampler_order_is_a_function_of_seed_and_epoch():
    one, other = fl_data.RandomSampler(range(20), seed=7), fl_data.RandomSampler(range(20), seed=7)
    assert list(one) == list(other)
    expected_epoch_3 = np.random.Generator(np.random.PCG64([7, 3])).permutation(20).tolist()
    one.set_epoch(3)
    assert list(one) == expected_epoch_3
    assert list(fl_data.RandomSampler(range(20), generator=7)) == list(fl_data.RandomSampler(range(20), seed=7))


def test_random_sampler_without_seed_records_one():
    sampler = fl_data.RandomSampler(range(8))
    replay = fl_data.RandomSampler(range(8), seed=sampler.seed)
    assert list(sampler) == list(replay)


def test_random_sampler_num_samples_and_replacement():
    chained = list(fl_data.RandomSampler(range(4), num_samples=10, seed=0))
    assert len(chained) == 10
    assert sorted(chained[:4]) == [0, 1, 2, 3] and sorted(chained[4:8]) == [0, 1, 2, 3]
    drawn = list(fl_data.RandomSampler(range(4), replacement=True, num_samples=50, seed=0))
    assert len(drawn) == 50 and set(drawn) <= {0, 1, 2, 3} and len(set(drawn)) == 4


def test_random_sampler_errors():
    with pytest.raises(
        ValueError, match="RandomSampler: num_samples should be a positive integer value, but got num_samples=0"
    ):
        fl_data.RandomSampler([])
    with pytest.raises(TypeError, match="RandomSampler: replacement should be a boolean"):
        fl_data.RandomSampler(range(3), replacement=1)
    with pytest.raises(TypeError, match="RandomSampler: seed/generator must be a non-negative"):
        fl_data.RandomSampler(range(3), seed=-1)
    with pytest.raises(ValueError, match="RandomSampler.set_epoch: epoch must be a non-negative"):
        fl_data.RandomSampler(range(3), seed=0).set_epoch(-2)


def test_subset_random_sampler():
    sampler = fl_data.SubsetRandomSampler([10, 20, 30, 40], seed=1)
    first = list(sampler)
    assert sorted(first) == [10, 20, 30, 40] and len(sampler) == 4
    assert first == list(fl_data.SubsetRandomSampler([10, 20, 30, 40], seed=1))


@pytest.mark.parametrize("size,batch_size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)])
def test_batch_sampler_matches_torch(size, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    ours = fl_data.BatchSampler(fl_data.SequentialSampler(range(size)), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(size)), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)
    # A plain iterable sampler takes the generic path and agrees too.
    assert list(fl_data.BatchSampler(list(range(size)), batch_size, drop_last)) == list(theirs)


def test_batch_sampler_forwards_epochs():
    sampler = fl_data.RandomSampler(range(6), seed=2)
    batches = fl_data.BatchSampler(sampler, 4, False)
    batches.set_epoch(5)
    assert sum(list(batches), []) == np.random.Generator(np.random.PCG64([2, 5])).permutation(6).tolist()


def test_batch_sampler_errors():
    with pytest.raises(
        ValueError, match="BatchSampler: batch_size should be a positive integer value, but got batch_size=0"
    ):
        fl_data.BatchSampler(range(3), 0, False)
    with pytest.raises(
        TypeError,
        match="BatchSampler: batch_size should be a positive integer "
        r"value, but got batch_size=2.0 \(float\)",
    ):
        fl_data.BatchSampler(range(3), 2.0, False)
    with pytest.raises(TypeError, match="BatchSampler: drop_last should be a boolean value"):
        fl_data.BatchSampler(range(3), 2, "yes")
    with pytest.raises(TypeError, match="BatchSampler: the sampler generator has no len"):
        len(fl_data.BatchSampler((i for i in range(3)), 2, False))
