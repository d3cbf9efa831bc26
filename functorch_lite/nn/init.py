"""`nn.init`: PyTorch's in-place initialisers, drawing from the global generator.

Each fills a Tensor (usually a Parameter) with the distribution of the core
initialiser of the same name (`functorch_lite.functional.init`) and returns it.
Keys come from `functorch_lite.random` (or the `generator=` given), so
`manual_seed` makes initialisation reproducible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from .. import random
from .._tensor.tensor import Tensor
from ..functional import init as core
from ..functional.init import calculate_gain
from .parameter import set_array


def _fill(
    op: str, tensor: Any, draw: Callable[[jax.Array, tuple, Any], jax.Array], generator: random.Generator | None = None
) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor (e.g. a Parameter), got {type(tensor).__name__}")
    key = (generator or random.default_generator).next_key()
    set_array(tensor, draw(key, tuple(tensor.shape), tensor.dtype).astype(tensor.dtype))
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: random.Generator | None = None) -> Tensor:
    return _fill("uniform_", tensor, lambda k, s, d: core.uniform(k, s, a, b, d), generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: random.Generator | None = None) -> Tensor:
    return _fill("normal_", tensor, lambda k, s, d: core.normal(k, s, mean, std, d), generator)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill("zeros_", tensor, lambda k, s, d: core.zeros(k, s, d))


def ones_(tensor: Tensor) -> Tensor:
    return _fill("ones_", tensor, lambda k, s, d: core.ones(k, s, d))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill("constant_", tensor, lambda k, s, d: core.constant(k, s, val, d))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: random.Generator | None = None) -> Tensor:
    return _fill("xavier_uniform_", tensor, lambda k, s, d: core.xavier_uniform(k, s, gain, d), generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: random.Generator | None = None) -> Tensor:
    return _fill("xavier_normal_", tensor, lambda k, s, d: core.xavier_normal(k, s, gain, d), generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: random.Generator | None = None,
) -> Tensor:
    return _fill(
        "kaiming_uniform_", tensor, lambda k, s, d: core.kaiming_uniform(k, s, a, mode, nonlinearity, d), generator
    )


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: random.Generator | None = None,
) -> Tensor:
    return _fill(
        "kaiming_normal_", tensor, lambda k, s, d: core.kaiming_normal(k, s, a, mode, nonlinearity, d), generator
    )


__all__ = [
    "uniform_",
    "normal_",
    "zeros_",
    "ones_",
    "constant_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "calculate_gain",
]
