"""torchvision.transforms' v1 classes; the random ones draw from `functorch_lite.manual_seed`'s generator."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functorch_lite import random as _random
from functorch_lite.vision.transforms import functional as F
from functorch_lite.vision.transforms._convert import image_size


def _rng() -> np.random.Generator:
    """A numpy generator keyed by the library's global generator: `manual_seed` makes every draw repeat."""
    return np.random.Generator(np.random.PCG64(np.asarray(_random.default_generator.next_key()).tolist()))


def _interpolation(value: Any) -> str:
    name = getattr(value, "value", value)
    if name not in ("nearest", "bilinear", "bicubic", "box", "hamming", "lanczos"):
        raise ValueError(f"interpolation must be an InterpolationMode or its name, got {value!r}")
    return name


class InterpolationMode:
    """torchvision's interpolation names (plain strings here)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


class Compose:
    """Applies `transforms` in order."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, image: Any) -> Any:
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self) -> str:
        return "Compose(\n" + "".join(f"    {t}\n" for t in self.transforms) + ")"


class _Transform:
    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class ToTensor(_Transform):
    """PIL image or HWC numpy array -> float32 (C, H, W) Tensor in [0, 1]."""

    def __call__(self, picture: Any) -> Any:
        return F.to_tensor(picture)


class PILToTensor(_Transform):
    """PIL image -> (C, H, W) Tensor of the image's dtype, unscaled."""

    def __call__(self, picture: Any) -> Any:
        return F.pil_to_tensor(picture)


class ConvertImageDtype(_Transform):
    """Converts a Tensor image to `dtype`, rescaling values."""

    def __init__(self, dtype: Any):
        self.dtype = dtype

    def __call__(self, image: Any) -> Any:
        return F.convert_image_dtype(image, self.dtype)


class Normalize(_Transform):
    """(image - mean) / std per channel."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor: Any) -> Any:
        return F.normalize(tensor, self.mean, self.std, self.inplace)


class Resize(_Transform):
    """Resizes to `size`: an int sets the shorter side, a pair is (h, w)."""

    def __init__(self, size: Any, interpolation: Any = "bilinear", max_size: int | None = None, antialias=True):
        if not (isinstance(size, numbers.Integral) or (isinstance(size, Sequence) and len(size) in (1, 2))):
            raise TypeError(f"Resize: size should be an int or a sequence of one or two ints, got {size!r}")
        self.size, self.interpolation = size, _interpolation(interpolation)
        self.max_size, self.antialias = max_size, antialias

    def __call__(self, image: Any) -> Any:
        return F.resize(image, self.size, self.interpolation, self.max_size, self.antialias)


class CenterCrop(_Transform):
    """Crops the centre to `size`."""

    def __init__(self, size: Any):
        self.size = size

    def __call__(self, image: Any) -> Any:
        return F.center_crop(image, self.size)


class Pad(_Transform):
    """Pads the borders (see `functional.pad`)."""

    def __init__(self, padding: Any, fill: Any = 0, padding_mode: str = "constant"):
        F.padding_ltrb(padding)
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"Pad: padding_mode must be constant, edge, reflect or symmetric, got {padding_mode!r}")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, image: Any) -> Any:
        return F.pad(image, self.padding, self.fill, self.padding_mode)


class Lambda(_Transform):
    """Applies a user function."""

    def __init__(self, lambd: Callable):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, image: Any) -> Any:
        return self.lambd(image)


class Grayscale(_Transform):
    """Converts to grayscale with 1 or 3 output channels."""

    def __init__(self, num_output_channels: int = 1):
        self.num_output_channels = num_output_channels

    def __call__(self, image: Any) -> Any:
        return F.rgb_to_grayscale(image, self.num_output_channels)


class RandomHorizontalFlip(_Transform):
    """Mirrors with probability `p`."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, image: Any) -> Any:
        return F.hflip(image) if _rng().random() < self.p else image


class RandomCrop(_Transform):
    """A random `size` window, after optional `padding` (and padding up to `size` with `pad_if_needed`)."""

    def __init__(
        self, size: Any, padding: Any = None, pad_if_needed: bool = False, fill: Any = 0, padding_mode="constant"
    ):
        self.size = F._pair(size, "RandomCrop", "size")
        if padding is not None:
            F.padding_ltrb(padding, "RandomCrop")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(image: Any, output_size: tuple[int, int], rng: np.random.Generator | None = None) -> tuple:
        height, width = image_size(image, "RandomCrop")
        crop_height, crop_width = output_size
        if height < crop_height or width < crop_width:
            raise ValueError(
                f"RandomCrop: required crop size {(crop_height, crop_width)} is larger than the input image "
                f"size {(height, width)}"
            )
        if (height, width) == (crop_height, crop_width):
            return 0, 0, height, width
        rng = _rng() if rng is None else rng
        top = int(rng.integers(0, height - crop_height + 1))
        left = int(rng.integers(0, width - crop_width + 1))
        return top, left, crop_height, crop_width

    def __call__(self, image: Any) -> Any:
        if self.padding is not None:
            image = F.pad(image, self.padding, self.fill, self.padding_mode)
        height, width = image_size(image, "RandomCrop")
        crop_height, crop_width = self.size
        if self.pad_if_needed and width < crop_width:
            image = F.pad(image, [crop_width - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < crop_height:
            image = F.pad(image, [0, crop_height - height], self.fill, self.padding_mode)
        return F.crop(image, *self.get_params(image, self.size))


class RandomResizedCrop(_Transform):
    """A random crop of random area (`scale`) and aspect ratio (`ratio`), resized to `size`."""

    def __init__(
        self, size: Any, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation="bilinear", antialias=True
    ):
        self.size = F._pair(size, "RandomResizedCrop", "size")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"RandomResizedCrop: scale and ratio should be of kind (min, max), got {scale}, {ratio}")
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.interpolation, self.antialias = _interpolation(interpolation), antialias

    @staticmethod
    def get_params(image: Any, scale: Sequence[float], ratio: Sequence[float], rng=None) -> tuple[int, int, int, int]:
        """torchvision's search: 10 tries at a random area and ratio, else the central crop of a clamped ratio."""
        rng = _rng() if rng is None else rng
        height, width = image_size(image, "RandomResizedCrop")
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * rng.uniform(scale[0], scale[1])
            aspect = math.exp(rng.uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, image: Any) -> Any:
        top, left, h, w = self.get_params(image, self.scale, self.ratio)
        return F.resized_crop(image, top, left, h, w, self.size, self.interpolation)


def _jitter_range(value: Any, name: str, center: float = 1.0, bound=(0.0, float("inf")), clip_first=True) -> Any:
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"ColorJitter: if {name} is a single number, it must be non negative, got {value}")
        value = [center - float(value), center + float(value)]
        if clip_first:
            value[0] = max(value[0], 0.0)
    elif not (isinstance(value, Sequence) and len(value) == 2):
        raise TypeError(f"ColorJitter: {name} should be a single number or a list/tuple with length 2, got {value!r}")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"ColorJitter: {name} values should be between {bound}, got {value}")
    return None if value[0] == value[1] == center else (float(value[0]), float(value[1]))


class ColorJitter(_Transform):
    """Random brightness, contrast, saturation and hue changes, applied in a random order."""

    def __init__(self, brightness: Any = 0, contrast: Any = 0, saturation: Any = 0, hue: Any = 0):
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip_first=False)

    def __call__(self, image: Any) -> Any:
        rng = _rng()
        adjustments = [
            (self.brightness, F.adjust_brightness),
            (self.contrast, F.adjust_contrast),
            (self.saturation, F.adjust_saturation),
            (self.hue, F.adjust_hue),
        ]
        for index in rng.permutation(4):
            bounds, adjust = adjustments[index]
            if bounds is not None:
                image = adjust(image, float(rng.uniform(*bounds)))
        return image
