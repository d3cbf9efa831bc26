"""The per-image functions behind the transforms (torchvision.transforms.functional's names).

Each takes a PIL image (and then makes the PIL call torchvision makes, so results
are identical), or a Tensor / numpy array of shape (..., C, H, W) (computed in
numpy; resizing through `jax.image.resize`) and returns the same kind it got.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from functorch_lite.vision._image import is_pil_image, require_pil
from functorch_lite.vision.transforms._convert import as_chw, back, cast_like, image_size, is_tensor, max_value

_GRAY_WEIGHTS = np.array([0.2989, 0.587, 0.114])


def _pil_interpolation(interpolation: str) -> Any:
    image_module = require_pil("resize")
    return {
        "nearest": image_module.NEAREST,
        "bilinear": image_module.BILINEAR,
        "bicubic": image_module.BICUBIC,
        "lanczos": image_module.LANCZOS,
        "box": image_module.BOX,
        "hamming": image_module.HAMMING,
    }[interpolation]


def to_tensor(picture: Any) -> Any:
    """A PIL image or HWC numpy array as a float32 (C, H, W) Tensor; uint8 scaled to [0, 1]."""
    from functorch_lite._tensor.creation import as_tensor

    if is_pil_image(picture):
        array = np.array(picture, copy=True)
        if picture.mode == "1":
            array = array.astype(np.uint8) * 255
    elif isinstance(picture, np.ndarray):
        array = picture
    else:
        raise TypeError(f"ToTensor: expected a PIL image or a numpy array, got {type(picture).__name__}")
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"ToTensor: expected an image of shape (H, W) or (H, W, C), got shape {array.shape}")
    chw = array.transpose(2, 0, 1)
    if chw.dtype == np.uint8:
        return as_tensor(np.ascontiguousarray(chw, dtype=np.float32) / np.float32(255.0))
    return as_tensor(np.ascontiguousarray(chw))


def pil_to_tensor(picture: Any) -> Any:
    """A PIL image as a (C, H, W) Tensor of its own dtype (uint8 for "L"/"RGB"), unscaled."""
    from functorch_lite._tensor.creation import as_tensor

    if not is_pil_image(picture):
        raise TypeError(f"PILToTensor: expected a PIL image, got {type(picture).__name__}")
    array = np.array(picture, copy=True)
    array = array[:, :, None] if array.ndim == 2 else array
    return as_tensor(np.ascontiguousarray(array.transpose(2, 0, 1)))


def normalize(tensor: Any, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> Any:
    """(tensor - mean) / std per channel of a float (..., C, H, W) image."""
    array, was_tensor = as_chw(tensor, "Normalize")
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"Normalize: input tensor should be a float tensor, got {array.dtype}")
    mean = np.asarray(mean, dtype=array.dtype).reshape(-1, 1, 1)
    std = np.asarray(std, dtype=array.dtype).reshape(-1, 1, 1)
    if np.any(std == 0):
        raise ValueError(
            f"Normalize: std evaluated to zero after conversion to {array.dtype}, leading to division by zero"
        )
    return back((array - mean) / std, was_tensor)


def output_size(height: int, width: int, size: Any, max_size: int | None = None) -> tuple[int, int]:
    """torchvision's resize rule: an int sets the shorter side (keeping the aspect ratio); a pair is (h, w)."""
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    requested = int(size[0] if isinstance(size, Sequence) else size)
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = requested, int(requested * long / short)
    if max_size is not None:
        if max_size <= requested:
            raise ValueError(f"Resize: max_size = {max_size} must be strictly greater than the requested size {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


def resize(image: Any, size: Any, interpolation: str = "bilinear", max_size: int | None = None, antialias=True) -> Any:
    """Resizes to `size` (see `output_size`); PIL through `Image.resize`, arrays through `jax.image.resize`."""
    height, width = image_size(image, "Resize")
    new_height, new_width = output_size(height, width, size, max_size)
    if is_pil_image(image):
        if (new_height, new_width) == (height, width):
            return image
        return image.resize((new_width, new_height), _pil_interpolation(interpolation))
    array, was_tensor = as_chw(image, "Resize")
    if interpolation not in ("nearest", "bilinear", "bicubic"):
        raise ValueError(f"Resize: interpolation {interpolation!r} is supported on PIL images only")
    method = {"nearest": "nearest", "bilinear": "linear", "bicubic": "cubic"}[interpolation]
    shape = array.shape[:-2] + (new_height, new_width)
    resized = np.asarray(
        jax.image.resize(array.astype(np.float32), shape, method, antialias=bool(antialias) and method != "nearest")
    )
    if not np.issubdtype(array.dtype, np.floating):
        resized = cast_like(np.round(resized), array.dtype)
    return back(resized.astype(array.dtype, copy=False), was_tensor)


def crop(image: Any, top: int, left: int, height: int, width: int) -> Any:
    """The (height, width) window at (top, left); parts outside the image are zero, as torchvision."""
    if is_pil_image(image):
        return image.crop((left, top, left + width, top + height))
    array, was_tensor = as_chw(image, "crop")
    h, w = array.shape[-2:]
    pads = [max(-top, 0), max(top + height - h, 0), max(-left, 0), max(left + width - w, 0)]
    if any(pads):
        array = _pad_array(array, (pads[2], pads[0], pads[3], pads[1]), 0, "constant")
        top, left = top + pads[0], left + pads[2]
    return back(array[..., top : top + height, left : left + width], was_tensor)


def center_crop(image: Any, output_size: Any) -> Any:
    """The central crop of `output_size` (an int or (h, w)); zero-padded first when the image is smaller."""
    crop_height, crop_width = _pair(output_size, "CenterCrop", "size")
    height, width = image_size(image, "CenterCrop")
    if crop_width > width or crop_height > height:
        padding = [
            (crop_width - width) // 2 if crop_width > width else 0,
            (crop_height - height) // 2 if crop_height > height else 0,
            (crop_width - width + 1) // 2 if crop_width > width else 0,
            (crop_height - height + 1) // 2 if crop_height > height else 0,
        ]
        image = pad(image, padding, fill=0)
        height, width = image_size(image, "CenterCrop")
        if (crop_height, crop_width) == (height, width):
            return image
    top = int(round((height - crop_height) / 2.0))
    left = int(round((width - crop_width) / 2.0))
    return crop(image, top, left, crop_height, crop_width)


def _pair(value: Any, op: str, name: str) -> tuple[int, int]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, Sequence) and len(value) == 1:
        return int(value[0]), int(value[0])
    if isinstance(value, Sequence) and len(value) == 2:
        return int(value[0]), int(value[1])
    raise ValueError(f"{op}: {name} must be an int or a sequence of one or two ints, got {value!r}")


def padding_ltrb(padding: Any, op: str = "Pad") -> tuple[int, int, int, int]:
    """An int, (left/right, top/bottom) or (left, top, right, bottom) as (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return (int(padding),) * 4
    if isinstance(padding, Sequence) and len(padding) in (1, 2, 4):
        values = [int(p) for p in padding]
        if len(values) == 1:
            return (values[0],) * 4
        if len(values) == 2:
            return values[0], values[1], values[0], values[1]
        return tuple(values)
    raise ValueError(f"{op}: padding must be an int or a 1, 2 or 4 element sequence, got {padding!r}")


_ARRAY_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def _pad_array(array: np.ndarray, ltrb: Sequence[int], fill: Any, mode: str) -> np.ndarray:
    left, top, right, bottom = ltrb
    widths = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "constant":
        fill = np.asarray(fill, dtype=array.dtype)
        if fill.ndim == 0:
            return np.pad(array, widths, mode="constant", constant_values=fill)
        padded = np.pad(array, widths, mode="constant")
        mask = np.ones(padded.shape[-2:], dtype=bool)
        mask[top : top + array.shape[-2], left : left + array.shape[-1]] = False
        padded[..., mask] = fill.reshape(-1, 1)
        return padded
    return np.pad(array, widths, mode=_ARRAY_PAD_MODES[mode])


def _pil_fill(fill: Any, image: Any) -> Any:
    """torchvision's fill for PIL: a number is repeated over the bands; ints unless the mode is "F"."""
    bands = len(image.getbands())
    fill = 0 if fill is None else fill
    if isinstance(fill, numbers.Number) and bands > 1:
        fill = (fill,) * bands
    if isinstance(fill, Sequence):
        fill = tuple(fill) * bands if len(fill) == 1 else tuple(fill)
        return fill if image.mode == "F" else tuple(int(value) for value in fill)
    return fill if image.mode == "F" else int(fill)


def pad(image: Any, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> Any:
    """Pads the borders; `padding_mode` is constant (with `fill`), edge, reflect or symmetric."""
    if padding_mode not in _ARRAY_PAD_MODES:
        raise ValueError(f"Pad: padding_mode must be constant, edge, reflect or symmetric, got {padding_mode!r}")
    ltrb = padding_ltrb(padding)
    if is_pil_image(image):
        image_module = require_pil("Pad")
        if padding_mode == "constant":
            from PIL import ImageOps

            return ImageOps.expand(image, border=ltrb, fill=_pil_fill(fill, image))
        array = np.asarray(image)
        hwc = array if array.ndim == 3 else array[:, :, None]
        padded = _pad_array(hwc.transpose(2, 0, 1), ltrb, 0, padding_mode).transpose(1, 2, 0)
        return image_module.fromarray(padded if array.ndim == 3 else padded[:, :, 0], mode=image.mode)
    array, was_tensor = as_chw(image, "Pad")
    return back(_pad_array(array, ltrb, fill, padding_mode), was_tensor)


def hflip(image: Any) -> Any:
    """Mirrors left to right."""
    if is_pil_image(image):
        return image.transpose(require_pil("hflip").FLIP_LEFT_RIGHT)
    array, was_tensor = as_chw(image, "hflip")
    return back(array[..., ::-1].copy(), was_tensor)


def resized_crop(image: Any, top: int, left: int, height: int, width: int, size: Any, interpolation="bilinear") -> Any:
    """`crop` then `resize`."""
    return resize(crop(image, top, left, height, width), size, interpolation)


def rgb_to_grayscale(image: Any, num_output_channels: int = 1) -> Any:
    """ITU-R 601-2 luma (PIL's "L" conversion on PIL images), repeated to `num_output_channels`."""
    if num_output_channels not in (1, 3):
        raise ValueError(f"Grayscale: num_output_channels should be either 1 or 3, got {num_output_channels}")
    if is_pil_image(image):
        gray = image.convert("L")
        if num_output_channels == 1:
            return gray
        plane = np.array(gray, dtype=np.uint8)
        return require_pil("Grayscale").fromarray(np.dstack([plane] * 3), "RGB")
    array, was_tensor = as_chw(image, "Grayscale")
    gray = _gray(array)
    return back(np.repeat(gray, num_output_channels, axis=-3), was_tensor)


def _gray(array: np.ndarray) -> np.ndarray:
    if array.shape[-3] == 1:
        return array
    if array.shape[-3] != 3:
        raise ValueError(f"Grayscale: expected 1 or 3 channels, got shape {array.shape}")
    channels = array.astype(np.float64)
    luma = sum(weight * channels[..., c, :, :] for c, weight in enumerate(_GRAY_WEIGHTS))
    return cast_like(luma, array.dtype)[..., None, :, :]


def _blend(array: np.ndarray, other: Any, factor: float) -> np.ndarray:
    return cast_like(factor * array.astype(np.float64) + (1.0 - factor) * other, array.dtype)


def _enhance(image: Any, kind: str, factor: float) -> Any:
    from PIL import ImageEnhance

    return getattr(ImageEnhance, kind)(image).enhance(factor)


def adjust_brightness(image: Any, factor: float) -> Any:
    """Blends with black: factor 0 gives black, 1 the image."""
    if is_pil_image(image):
        return _enhance(image, "Brightness", factor)
    array, was_tensor = as_chw(image, "adjust_brightness")
    return back(_blend(array, 0.0, factor), was_tensor)


def adjust_contrast(image: Any, factor: float) -> Any:
    """Blends with the mean grey level."""
    if is_pil_image(image):
        return _enhance(image, "Contrast", factor)
    array, was_tensor = as_chw(image, "adjust_contrast")
    mean = _gray(array).astype(np.float64).mean(axis=(-3, -2, -1), keepdims=True)
    return back(_blend(array, mean, factor), was_tensor)


def adjust_saturation(image: Any, factor: float) -> Any:
    """Blends with the grayscale image."""
    if is_pil_image(image):
        return _enhance(image, "Color", factor)
    array, was_tensor = as_chw(image, "adjust_saturation")
    return back(_blend(array, _gray(array), factor), was_tensor)


def adjust_hue(image: Any, hue_factor: float) -> Any:
    """Shifts the hue by `hue_factor` in [-0.5, 0.5] (a fraction of the colour circle)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"ColorJitter: hue_factor ({hue_factor}) is not in [-0.5, 0.5]")
    if is_pil_image(image):
        if image.mode in {"L", "1", "I", "F"}:
            return image
        image_module = require_pil("adjust_hue")
        hue, saturation, value = image.convert("HSV").split()
        shifted = np.array(hue, dtype=np.uint8)
        with np.errstate(over="ignore"):
            shifted += np.int8(hue_factor * 255).astype(np.uint8)
        return image_module.merge("HSV", (image_module.fromarray(shifted, "L"), saturation, value)).convert(image.mode)
    array, was_tensor = as_chw(image, "adjust_hue")
    if array.shape[-3] == 1:
        return back(array, was_tensor)
    scale = max_value(array.dtype)
    rgb = np.moveaxis(array.astype(np.float64) / scale, -3, -1)
    hsv = _rgb_to_hsv(rgb)
    hsv[..., 0] = (hsv[..., 0] + hue_factor) % 1.0
    out = np.moveaxis(_hsv_to_rgb(hsv), -1, -3) * scale
    return back(cast_like(np.round(out) if scale != 1.0 else out, array.dtype), was_tensor)


def _rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    maxc, minc = rgb.max(-1), rgb.min(-1)
    delta = maxc - minc
    safe = np.where(delta == 0, 1.0, delta)
    saturation = np.where(maxc == 0, 0.0, delta / np.where(maxc == 0, 1.0, maxc))
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    hue = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    hue = np.where(delta == 0, 0.0, (hue / 6.0) % 1.0)
    return np.stack([hue, saturation, maxc], axis=-1)


def _hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    i = i.astype(np.int64) % 6
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    channels = [np.choose(i, [choice[c] for choice in choices]) for c in range(3)]
    return np.stack(channels, axis=-1)


def convert_image_dtype(image: Any, dtype: Any) -> Any:
    """Converts between dtypes, rescaling values: floats live in [0, 1], ints in [0, max]."""
    if not is_tensor(image) and not isinstance(image, np.ndarray):
        raise TypeError(f"ConvertImageDtype: expected a Tensor or a numpy array, got {type(image).__name__}")
    array, was_tensor = as_chw(image, "ConvertImageDtype")
    target = np.dtype(dtype)
    if array.dtype == target:
        return image
    source_float, target_float = np.issubdtype(array.dtype, np.floating), np.issubdtype(target, np.floating)
    if source_float and target_float:
        out = array.astype(target)
    elif source_float:
        eps = 1e-3
        out = (array.astype(np.float64) * (max_value(target) + 1.0 - eps)).astype(target)
    elif target_float:
        out = (array.astype(np.float64) / max_value(array.dtype)).astype(target)
    else:
        source_max, target_max = int(max_value(array.dtype)), int(max_value(target))
        if source_max > target_max:
            out = (array.astype(np.int64) // ((source_max + 1) // (target_max + 1))).astype(target)
        else:
            out = (array.astype(np.int64) * ((target_max + 1) // (source_max + 1))).astype(target)
    return back(out, was_tensor)
