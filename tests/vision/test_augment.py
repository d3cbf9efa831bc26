"""vision.functional: batched, jit-able crop-with-padding and flip are exact pixel moves."""

from __future__ import annotations

import chex
import jax
import numpy as np
import pytest

from functorch_lite.vision import functional as VF


@pytest.fixture
def batch():
    return np.random.default_rng(0).random((6, 2, 5, 7), dtype=np.float32)


def test_random_crop_takes_a_window_of_the_padded_image(batch):
    out = np.asarray(jax.jit(VF.random_crop, static_argnames="padding")(jax.random.key(1), batch, padding=2))
    chex.assert_shape(out, batch.shape)
    padded = np.pad(batch, ((0, 0), (0, 0), (2, 2), (2, 2)))
    offsets = set()
    for n in range(len(batch)):
        matches = [
            (i, j) for i in range(5) for j in range(5) if np.array_equal(out[n], padded[n, :, i : i + 5, j : j + 7])
        ]
        assert matches, f"sample {n} is not a window of its padded image"
        offsets.add(matches[0])
    assert len(offsets) > 1  # each sample draws its own offset


def test_random_horizontal_flip_mirrors_whole_samples(batch):
    out = np.asarray(jax.jit(VF.random_horizontal_flip)(jax.random.key(2), batch))
    flipped = [np.array_equal(out[n], batch[n, :, :, ::-1]) for n in range(len(batch))]
    kept = [np.array_equal(out[n], batch[n]) for n in range(len(batch))]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    np.testing.assert_array_equal(VF.random_horizontal_flip(jax.random.key(0), batch, p=1.0), batch[..., ::-1])


def test_augment_is_deterministic_in_the_key_and_jits(batch):
    augment = jax.jit(VF.augment)
    a, b = augment(jax.random.key(5), batch), augment(jax.random.key(5), batch)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(augment(jax.random.key(6), batch), a)
    assert np.asarray(a).dtype == np.float32


def test_bad_batches_are_refused():
    with pytest.raises(ValueError, match="random_crop: images must be an NCHW batch"):
        VF.random_crop(jax.random.key(0), np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="random_horizontal_flip: p must be a probability"):
        VF.random_horizontal_flip(jax.random.key(0), np.zeros((1, 1, 4, 4)), p=2)
