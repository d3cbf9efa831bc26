"""torchvision's names, offline: `datasets`, `transforms`, `models`, `utils`.

Use it as `import functorch_lite.vision as torchvision`.
An edge of the library (it uses the Tensor facade and `nn`; nothing below imports it).
Pillow (the `vision` extra) is needed for PIL images; `functional` holds the batched,
jit-able augmentation for the pure path.
"""

from functorch_lite.vision import datasets, functional, models, transforms, utils

__all__ = ["datasets", "functional", "models", "transforms", "utils"]
