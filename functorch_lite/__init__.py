"""functorch_lite: a JAX-backed deep-learning library with PyTorch's habits.

Two faces over one core: `functorch_lite.functional` (pure ops and layers over
explicit parameter pytrees, for `jax.grad`/`jax.jit`/`jax.vmap`) and a PyTorch-named
imperative facade (`Tensor`, `nn`, `optim`).
"""

from . import datasets, functional, models, optim, utils
from .device import cuda, device, to_device
from .serialization import load, save

__version__ = "0.1.0"
__all__ = ["functional", "models", "optim", "datasets", "utils", "device", "cuda", "to_device", "save", "load"]
