"""Real datasets available offline, returned as numpy arrays (float32 NCHW images, int32 labels).

- `digits`: scikit-learn's bundled 8x8 digits, resized (needs scikit-learn).
- `mnist`, `fashion_mnist`: the IDX files of MNIST / Fashion-MNIST from disk.
- `read_idx`: the IDX parser underneath.

Wrap the arrays in `functorch_lite.utils.data.TensorDataset` to train on them.
"""

from functorch_lite.datasets.digits import digits
from functorch_lite.datasets.idx import read_idx
from functorch_lite.datasets.mnist import fashion_mnist, fashion_mnist_classes, mnist

__all__ = ["digits", "fashion_mnist", "fashion_mnist_classes", "mnist", "read_idx"]
