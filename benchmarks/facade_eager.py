"""Eager (uncompiled) throughput of the seed's LeNet training loop on the imperative facade.

`run_facade_eager(batch, steps)` times the seed program's loop (zero_grad, forward,
CrossEntropyLoss, backward, SGD(lr=0.001, momentum=0.9).step, loss.item()) on
functorch_lite exactly as `/work/shared/bench/anchors_lenet.py`-style anchors time torch
eager: random data, 5 warm-up steps, then `steps` timed steps. It follows the registry
convention of `benchmarks/lenet_train.py` (`run_<name>(batch, steps) -> samples/s`).

    python benchmarks/facade_eager.py                  # batch 64, 5 interleaved rounds
    python benchmarks/facade_eager.py --batch 64 --steps 100 --runs 3

Each measurement runs in a fresh subprocess; the table shows medians and the ratio
facade / torch eager from the same run (this machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
LR, MOMENTUM = 0.001, 0.9
WARMUP_STEPS = 5


def _data(batch: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.standard_normal((steps, batch, 1, 32, 32), dtype=np.float32)
    labels = rng.integers(0, 10, (steps, batch)).astype(np.int32)
    return images, labels


def _throughput(step: Callable[[int], None], batch: int, steps: int) -> float:
    for i in range(WARMUP_STEPS):
        step(i % steps)
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    return steps * batch / (time.perf_counter() - start)


def _seed_net(nn, F):
    """The seed's Net, verbatim, over the given `nn` / `F` namespaces."""

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


def _run_seed_loop(torch, nn, F, images, labels, batch: int, steps: int) -> float:
    net = _seed_net(nn, F)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)

    def step(i):
        optimizer.zero_grad()
        outputs = net(images[i])
        loss = criterion(outputs, labels[i])
        loss.backward()
        optimizer.step()
        loss.item()

    return _throughput(step, batch, steps)


def run_facade_eager(batch: int, steps: int) -> float:
    """The seed's loop on functorch_lite's facade, no compile; returns samples/s."""
    sys.path.insert(0, str(REPO_ROOT))
    import functorch_lite.nn as nn
    import functorch_lite.nn.functional as F
    from functorch_lite import optim, random
    from functorch_lite._tensor import Tensor

    random.manual_seed(0)
    images, labels = _data(batch, steps)
    # Batches as Tensors, as the DataLoader yields them.
    images = [Tensor(x) for x in images]
    labels = [Tensor(y) for y in labels]
    torch_like = type("torch", (), {"optim": optim})
    return _run_seed_loop(torch_like, nn, F, images, labels, batch, steps)


def run_torch_eager(batch: int, steps: int) -> float:
    """The same loop on PyTorch eager (the bar)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(0)
    images, labels = _data(batch, steps)
    images = list(torch.from_numpy(images))
    labels = list(torch.from_numpy(labels).long())
    return _run_seed_loop(torch, nn, F, images, labels, batch, steps)


IMPLEMENTATIONS = {"torch_eager": run_torch_eager, "facade_eager": run_facade_eager}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--impl", choices=sorted(IMPLEMENTATIONS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.impl:  # child process: one measurement
        print(IMPLEMENTATIONS[args.impl](args.batch, args.steps))
        return
    results: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
    for _ in range(args.runs):
        for name in IMPLEMENTATIONS:
            output = subprocess.run(
                [sys.executable, __file__, "--impl", name, "--batch", str(args.batch),
                 "--steps", str(args.steps)], capture_output=True, text=True, check=True)
            results[name].append(float(output.stdout.strip().splitlines()[-1]))
    medians = {name: statistics.median(values) for name, values in results.items()}
    for name, values in results.items():
        print(f"{name:14s} batch {args.batch}: median {medians[name]:8.0f} samples/s  "
              f"(runs: {', '.join(f'{v:.0f}' for v in values)})")
    print(f"ratio facade_eager / torch_eager: {medians['facade_eager'] / medians['torch_eager']:.2f}")


if __name__ == "__main__":
    main()
