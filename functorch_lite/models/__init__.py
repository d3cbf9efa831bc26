"""Reference models built from the pure layers."""

from .lenet import lenet5

__all__ = ["lenet5"]
