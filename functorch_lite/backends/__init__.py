"""`torch.backends`: the flags PyTorch programs read or set, with what each does on JAX.

- `cudnn.benchmark`: accepted; XLA autotunes GPU kernels on its own, so it changes nothing.
- `cudnn.deterministic`: accepted; XLA on CPU is deterministic. On a GPU, determinism needs
  `XLA_FLAGS=--xla_gpu_deterministic_ops=true` before JAX starts: setting True warns when it is absent.
- `cudnn.enabled`, `cudnn.allow_tf32`: accepted; setting False warns, as XLA picks its own kernels.
- `cuda.matmul.allow_tf32`: a view of `functorch_lite.set_float32_matmul_precision`: setting True
  means "high", False "highest"; it reads True when the precision is not "highest".
- `mps.is_available()` / `is_built()`: False (JAX has no Metal backend here).
"""

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
