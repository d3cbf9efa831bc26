"""torchvision.datasets' names, offline: MNIST, FashionMNIST, CIFAR10/100, ImageFolder, DatasetFolder, FakeData.

Nothing is downloaded: the files must be on disk, and a missing file raises an
error naming the files and where to put them. Samples are `(PIL image, int)`
before transforms (a numpy array in place of the PIL image without Pillow).
"""

from functorch_lite.vision.datasets._safe_pickle import UnsafePickleError
from functorch_lite.vision.datasets.cifar import CIFAR10, CIFAR100
from functorch_lite.vision.datasets.fakedata import FakeData
from functorch_lite.vision.datasets.folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader
from functorch_lite.vision.datasets.mnist import MNIST, FashionMNIST
from functorch_lite.vision.datasets.vision import VisionDataset

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "DatasetFolder",
    "FakeData",
    "FashionMNIST",
    "IMG_EXTENSIONS",
    "ImageFolder",
    "MNIST",
    "UnsafePickleError",
    "VisionDataset",
    "default_loader",
]
