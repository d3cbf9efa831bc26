"""Data loading with `torch.utils.data`'s names: datasets, samplers, collation and DataLoader.

Imports only numpy and the standard library; batches become the library's
Tensors in `default_collate`, which imports the Tensor class lazily.
"""

from functorch_lite.utils.data.collate import default_collate, numpy_collate
from functorch_lite.utils.data.dataloader import DataLoader
from functorch_lite.utils.data.dataset import (
    ConcatDataset,
    Dataset,
    StackedSamples,
    Subset,
    TensorDataset,
    random_split,
)
from functorch_lite.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackedSamples",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "default_collate",
    "numpy_collate",
    "random_split",
]
