"""What every row of `lenet_train.py` shares: the seed's hyper-parameters, data, model and timer."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

LR, MOMENTUM = 0.001, 0.9  # the seed's SGD
WARMUP_STEPS = 5


def random_batches(batch: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Random 1x32x32 images and int32 labels, one slice per step (the same for every row)."""
    rng = np.random.default_rng(0)
    images = rng.standard_normal((steps, batch, 1, 32, 32), dtype=np.float32)
    labels = rng.integers(0, 10, (steps, batch)).astype(np.int32)
    return images, labels


def throughput(step: Callable[[int], None], batch: int, steps: int) -> float:
    """Samples per second over `steps` calls of `step(i)`, after a few warm-up calls.

    `step` must block until its result is ready (e.g. by reading the loss as a float)."""
    for i in range(WARMUP_STEPS):
        step(i % steps)
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    return steps * batch / (time.perf_counter() - start)


def seed_net(nn, F):
    """The seed's Net, verbatim, over the given `nn` / `F` namespaces (torch's or functorch_lite's)."""

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()  # noqa: UP008 - the seed's spelling
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(-1, 16 * 5 * 5)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    return Net()
