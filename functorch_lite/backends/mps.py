"""`torch.backends.mps`: JAX has no Metal backend here, so MPS is never available."""

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """False: no Metal (MPS) backend."""
    return False


def is_built() -> bool:
    """False: no Metal (MPS) backend."""
    return False
