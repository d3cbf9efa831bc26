"""`torch.*` names whose math is a torch.nn.functional op of the functional core.

`torch.constant_pad_nd`, `torch.pdist` and the integer-coded `torch.grid_sampler_2d/3d`
(ATen's spelling of `grid_sample`) run the core op through the dispatcher, as `nn.functional` does.
"""

from __future__ import annotations

from typing import Any

from ..autograd.dispatch import apply
from ..functional.activation_table import pad as _pad
from ..functional.distance import pdist as _pdist
from ..functional.grids import grid_sample
from .tensor import Tensor

_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def constant_pad_nd(input: Any, pad: Any, value: float = 0) -> Tensor:
    """Pads (or, with negative amounts, crops) the last dims with `value`; `pad` lists (left, right) pairs."""
    return apply(_pad, input, tuple(pad), "constant", value)


def pdist(input: Any, p: float = 2) -> Tensor:
    """The p-norm distances between all pairs of rows of (N, M) `input`."""
    return apply(_pdist, input, p)


def _coded(code: Any, names: tuple, what: str, op: str) -> str:
    if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code < len(names):
        raise ValueError(f"{op}: {what} must be an int in [0, {len(names)}) ({', '.join(names)}), got {code!r}")
    return names[code]


def grid_sampler(input: Any, grid: Any, interpolation_mode: int, padding_mode: int, align_corners: bool) -> Tensor:
    """`nn.functional.grid_sample` with ATen's integer codes (0 bilinear / 1 nearest / 2 bicubic; 0 zeros /
    1 border / 2 reflection)."""
    mode = _coded(interpolation_mode, _INTERPOLATION, "interpolation_mode", "grid_sampler")
    padding = _coded(padding_mode, _PADDING, "padding_mode", "grid_sampler")
    return apply(grid_sample, input, grid, mode, padding, bool(align_corners))


grid_sampler_2d = grid_sampler
grid_sampler_3d = grid_sampler

__all__ = ["constant_pad_nd", "pdist", "grid_sampler", "grid_sampler_2d", "grid_sampler_3d"]
