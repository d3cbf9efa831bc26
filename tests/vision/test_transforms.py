"""vision.transforms against torchvision.transforms on the same PIL images and tensors."""

from __future__ import annotations

import numpy as np
import pytest

import functorch_lite
from functorch_lite.vision import transforms as T
from functorch_lite.vision.transforms import functional as F
from tests.vision._torchvision import torchvision

PIL = pytest.importorskip("PIL.Image")
torch = pytest.importorskip("torch")


@pytest.fixture
def rgb():
    return PIL.fromarray(np.random.default_rng(0).integers(0, 256, (13, 17, 3), dtype=np.uint8))


@pytest.fixture
def float_chw():
    return np.random.default_rng(1).random((3, 13, 17), dtype=np.float32)


def _same_image(ours, theirs):
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


@pytest.mark.parametrize(
    "name, args",
    [
        ("Resize", (8,)),
        ("Resize", ((20, 9),)),
        ("Resize", (30,)),
        ("CenterCrop", (9,)),
        ("CenterCrop", ((20, 6),)),
        ("Pad", (3,)),
        ("Pad", ((1, 2), 7)),
        ("Pad", ((1, 2, 3, 4), 0, "reflect")),
        ("Pad", (2, 0, "edge")),
        ("Pad", (2, 0, "symmetric")),
        ("Grayscale", ()),
        ("Grayscale", (3,)),
    ],
)
def test_deterministic_transforms_on_pil_equal_torchvision(rgb, name, args):
    tv = torchvision()
    _same_image(getattr(T, name)(*args)(rgb), getattr(tv.transforms, name)(*args)(rgb))


def test_resize_bicubic_and_max_size_on_pil(rgb):
    tv = torchvision()
    ours = T.Resize(6, interpolation=T.InterpolationMode.BICUBIC, max_size=7)(rgb)
    theirs = tv.transforms.Resize(6, interpolation=tv.transforms.InterpolationMode.BICUBIC, max_size=7)(rgb)
    _same_image(ours, theirs)


@pytest.mark.parametrize("factor", [0.3, 1.7])
@pytest.mark.parametrize("kind", ["brightness", "contrast", "saturation"])
def test_color_adjustments_on_pil_and_tensors(rgb, kind, factor):
    tv = torchvision()
    adjust = getattr(F, f"adjust_{kind}")
    their_adjust = getattr(tv.transforms.functional, f"adjust_{kind}")
    _same_image(adjust(rgb, factor), their_adjust(rgb, factor))
    image = np.asarray(rgb).transpose(2, 0, 1).copy()
    for array in (image, image.astype(np.float32) / 255):
        np.testing.assert_allclose(
            np.asarray(adjust(functorch_lite.tensor(array), factor)),
            their_adjust(torch.from_numpy(array), factor).numpy(),
            atol=1.0 if array.dtype == np.uint8 else 1e-5,
        )


def test_hue_on_pil_and_tensors(rgb):
    tv = torchvision()
    _same_image(F.adjust_hue(rgb, 0.2), tv.transforms.functional.adjust_hue(rgb, 0.2))
    array = np.asarray(rgb).transpose(2, 0, 1).astype(np.float32) / 255
    np.testing.assert_allclose(
        F.adjust_hue(array, -0.3), tv.transforms.functional.adjust_hue(torch.from_numpy(array), -0.3).numpy(), atol=1e-5
    )


def test_to_tensor_pil_to_tensor_normalize_convert(rgb):
    tv = torchvision()
    ours = T.ToTensor()(rgb)
    np.testing.assert_array_equal(np.asarray(ours), tv.transforms.ToTensor()(rgb).numpy())
    assert isinstance(ours, functorch_lite.Tensor) and ours.dtype == functorch_lite.float32
    np.testing.assert_array_equal(np.asarray(T.PILToTensor()(rgb)), tv.transforms.PILToTensor()(rgb).numpy())
    hwc = np.asarray(rgb)
    np.testing.assert_array_equal(np.asarray(T.ToTensor()(hwc)), tv.transforms.ToTensor()(hwc).numpy())
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
    np.testing.assert_allclose(
        np.asarray(T.Normalize(mean, std)(ours)),
        tv.transforms.Normalize(mean, std)(tv.transforms.ToTensor()(rgb)).numpy(),
        rtol=1e-6,
        atol=1e-6,
    )
    uint8 = T.PILToTensor()(rgb)
    as_float = T.ConvertImageDtype(functorch_lite.float32)(uint8)
    their_float = tv.transforms.ConvertImageDtype(torch.float32)(tv.transforms.PILToTensor()(rgb))
    np.testing.assert_allclose(np.asarray(as_float), their_float.numpy(), rtol=1e-6)
    back = T.ConvertImageDtype(functorch_lite.uint8)(as_float)
    np.testing.assert_array_equal(np.asarray(back), tv.transforms.ConvertImageDtype(torch.uint8)(their_float).numpy())
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize((0.0,), (0.0,))(ours)


@pytest.mark.parametrize("size", [(7, 9), (26, 40), (13, 30)])
def test_resize_on_tensors_is_close_to_torchvision(float_chw, size):
    tv = torchvision()
    ours = T.Resize(size)(functorch_lite.tensor(float_chw))
    theirs = tv.transforms.Resize(size)(torch.from_numpy(float_chw)).numpy()
    np.testing.assert_allclose(np.asarray(ours), theirs, atol=2e-5)


@pytest.mark.parametrize("name, args", [("CenterCrop", (8,)), ("CenterCrop", ((16, 20),)), ("Pad", ((1, 2, 3, 4), 5))])
def test_deterministic_transforms_on_tensors_and_numpy(float_chw, name, args):
    tv = torchvision()
    theirs = getattr(tv.transforms, name)(*args)(torch.from_numpy(float_chw)).numpy()
    np.testing.assert_array_equal(getattr(T, name)(*args)(float_chw), theirs)
    np.testing.assert_array_equal(np.asarray(getattr(T, name)(*args)(functorch_lite.tensor(float_chw))), theirs)


def test_random_transforms_are_reproducible_from_manual_seed(rgb):
    pipeline = T.Compose(
        [
            T.RandomResizedCrop(9),
            T.RandomCrop(9, padding=2, padding_mode="reflect"),
            T.RandomHorizontalFlip(),
            T.ColorJitter(0.4, 0.4, 0.4, 0.1),
            T.ToTensor(),
        ]
    )
    functorch_lite.manual_seed(3)
    first = [np.asarray(pipeline(rgb)) for _ in range(4)]
    functorch_lite.manual_seed(3)
    second = [np.asarray(pipeline(rgb)) for _ in range(4)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert first[0].shape == (3, 9, 9)
    assert any(not np.array_equal(first[0], other) for other in first[1:])


def test_random_crop_is_a_window_of_the_padded_image(float_chw):
    padded = F.pad(float_chw, 3, fill=0.5)
    for seed in range(6):
        functorch_lite.manual_seed(seed)
        crop = np.asarray(T.RandomCrop((13, 17), padding=3, fill=0.5)(functorch_lite.tensor(float_chw)))
        windows = [padded[:, i : i + 13, j : j + 17] for i in range(7) for j in range(7)]
        assert any(np.array_equal(crop, window) for window in windows)
    grown = T.RandomCrop(20, pad_if_needed=True)(float_chw)
    assert grown.shape == (3, 20, 20)


def test_random_flip_and_resized_crop_follow_their_parameters(rgb):
    assert np.array_equal(np.asarray(T.RandomHorizontalFlip(p=1.0)(rgb)), np.asarray(rgb)[:, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(rgb) is rgb
    tv = torchvision()
    top, left, h, w = T.RandomResizedCrop.get_params(rgb, (0.3, 0.9), (0.75, 1.33))
    assert 0 <= top <= 13 - h and 0 <= left <= 17 - w
    _same_image(
        F.resized_crop(rgb, top, left, h, w, (6, 6)),
        tv.transforms.functional.resized_crop(rgb, top, left, h, w, [6, 6]),
    )


def test_lambda_and_bad_arguments(rgb):
    assert T.Lambda(lambda image: image.size)(rgb) == (17, 13)
    with pytest.raises(TypeError, match="Lambda: argument should be callable"):
        T.Lambda(3)
    with pytest.raises(ValueError, match="padding_mode"):
        T.Pad(2, padding_mode="wrap")
    with pytest.raises(ValueError, match="RandomCrop: required crop size"):
        T.RandomCrop(30)(rgb)
    with pytest.raises(ValueError, match="ColorJitter: if brightness is a single number"):
        T.ColorJitter(brightness=-1)
