"""What every row of `lenet_train.py` shares: the seed's hyper-parameters, data, model and timer."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

# The seed's Net is defined once, in tests/helpers/seed.py (import-free, so no row pulls in another
# framework); the tests build it over functorch_lite and torch, the rows here too.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
from tests.helpers.seed import seed_net  # noqa: E402, F401 - re-exported for the rows

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
