"""vision.utils.make_grid / save_image against torchvision's."""

from __future__ import annotations

import numpy as np
import pytest

import functorch_lite
from functorch_lite.vision import utils
from tests.vision._torchvision import torchvision

torch = pytest.importorskip("torch")
PIL = pytest.importorskip("PIL.Image")


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((5, 3, 4, 6), {}),
        ((5, 1, 4, 6), {"nrow": 2, "padding": 1, "pad_value": 0.5}),
        ((3, 3, 4, 4), {"normalize": True}),
        ((3, 3, 4, 4), {"normalize": True, "value_range": (0.2, 0.8), "scale_each": True}),
        ((4, 3, 4, 4), {"normalize": True, "scale_each": True}),
        ((1, 3, 4, 4), {}),
        ((2, 5, 5), {}),
    ],
)
def test_make_grid_equals_torchvision(shape, kwargs):
    tv = torchvision()
    images = np.random.default_rng(0).random(shape, dtype=np.float32) * 2 - 0.5
    ours = utils.make_grid(functorch_lite.tensor(images), **kwargs)
    theirs = tv.utils.make_grid(torch.from_numpy(images), **kwargs).numpy()
    assert isinstance(ours, functorch_lite.Tensor)
    np.testing.assert_allclose(np.asarray(ours), theirs, rtol=1e-6, atol=1e-7)
    as_list = utils.make_grid([functorch_lite.tensor(image) for image in images.reshape(-1, *shape[-3:])], **kwargs)
    assert np.asarray(as_list).shape == theirs.shape or len(shape) == 3


def test_save_image_writes_the_png_torchvision_writes(tmp_path):
    tv = torchvision()
    images = np.random.default_rng(1).random((4, 3, 5, 5), dtype=np.float32)
    utils.save_image(functorch_lite.tensor(images), tmp_path / "ours.png", nrow=2)
    tv.utils.save_image(torch.from_numpy(images), tmp_path / "theirs.png", nrow=2)
    ours, theirs = PIL.open(tmp_path / "ours.png"), PIL.open(tmp_path / "theirs.png")
    assert ours.format == "PNG" and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
