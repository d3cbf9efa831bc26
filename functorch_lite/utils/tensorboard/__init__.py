"""`SummaryWriter` with `torch.utils.tensorboard`'s API, writing real TensorBoard event files.

Needs the `tensorboard` package (`pip install tensorboard`, or the `tensorboard` extra),
as PyTorch does. Scalars, histograms and images are supported; `add_graph` is not.
"""

from functorch_lite.utils.tensorboard.writer import SummaryWriter

__all__ = ["SummaryWriter"]
