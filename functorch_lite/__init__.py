"""functorch_lite: a JAX-backed deep-learning library with PyTorch's habits.

Two faces over one core: `functorch_lite.functional` (pure ops and layers over
explicit parameter pytrees, for `jax.grad`/`jax.jit`/`jax.vmap`) and a PyTorch-named
imperative facade (`Tensor`, `nn`, `optim`).
"""

from . import functional, models
from .device import cuda, device, to_device

__version__ = "0.1.0"
__all__ = ["functional", "models", "device", "cuda", "to_device"]
