"""`torch.sparse`: out of scope on JAX (no sparse layouts); each op raises a clear NotImplementedError."""

from ._tensor.unsupported import SPARSE as _FUNCTIONS

globals().update(_FUNCTIONS)
__all__ = sorted(_FUNCTIONS)
