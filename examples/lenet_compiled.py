"""The seed's PyTorch LeNet loop with its step compiled by `functorch_lite.compile`, and the speedup it buys.

    python examples/lenet_compiled.py [--epochs 2] [--dataset digits|fashion-mnist] [--batch-size 4]
    python examples/lenet_compiled.py --device cuda          # where a GPU and jax[cuda] are installed

The model, loss, optimizer and hyper-parameters are the seed's, as in
examples/lenet_imperative.py (SGD, lr=0.001, momentum=0.9, batch size 4): the only
change is that the body of the loop is a function wrapped in `functorch_lite.compile`,
which traces it once into one XLA program (forward, backward and the optimizer
update) and then launches that program per batch. With the same --seed and settings
the per-epoch loss lines equal the eager example's. The test accuracy is computed
with `functorch_lite.compile(net)` in eval mode under `no_grad`. Last, --benchmark-steps
eager and compiled steps run on the same batches (compilation excluded, best of three
alternating rounds) and the throughput of each is printed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import functorch_lite as torch
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from functorch_lite import datasets
from functorch_lite.autograd import no_grad
from functorch_lite.random import manual_seed
from functorch_lite.utils.data import DataLoader, TensorDataset

EVAL_BATCH = 256


class Net(nn.Module):  # the seed's LeNet
    def __init__(self):
        super(Net, self).__init__()
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
        return self.fc3(x)


def make_train_step(net: nn.Module, criterion: nn.Module, optimizer: torch.optim.Optimizer) -> Callable:
    """The seed's loop body as a function: the same code runs eagerly or compiled."""

    def train_step(inputs, labels):
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        return loss

    return train_step


def load(dataset: str, train: bool) -> tuple[np.ndarray, np.ndarray]:
    if dataset == "digits":
        return datasets.digits(train=train)
    return datasets.fashion_mnist(train=train, image_size=32)


def evaluate(net: nn.Module, images: np.ndarray, labels: np.ndarray, device: torch.device) -> float:
    """Accuracy of the compiled forward; the last batch is padded so one program serves every batch."""
    forward = torch.compile(net)
    net.eval()
    predictions = []
    with no_grad():
        for start in range(0, len(images), EVAL_BATCH):
            batch = images[start : start + EVAL_BATCH]
            padded = np.zeros((EVAL_BATCH, *batch.shape[1:]), batch.dtype)
            padded[: len(batch)] = batch
            logits = forward(torch.from_numpy(padded).to(device))
            predictions.append(np.asarray(logits.argmax(1))[: len(batch)])
    net.train()
    return float(np.mean(np.concatenate(predictions) == labels))


def samples_per_second(step: Callable, batches: list) -> float:
    """Throughput of `step` over `batches`; .item() waits for each step, as the training loop does."""
    start = time.perf_counter()
    for inputs, labels in batches:
        step(inputs, labels).item()
    return sum(len(labels) for _, labels in batches) / (time.perf_counter() - start)


def benchmark(steps: dict[str, Callable], batches: list, rounds: int = 3) -> dict[str, float]:
    """Best throughput of each step over `rounds` alternating runs, after untimed warm-up calls.

    The warm-up compiles what each step needs (the eager ops' kernels; the compiled step
    is ready after training), and the best of alternating rounds keeps other processes'
    load from favouring whichever step happened to run while the machine was quiet.
    """
    for step in steps.values():
        for inputs, labels in batches[:3]:
            step(inputs, labels).item()
    best = dict.fromkeys(steps, 0.0)
    for _ in range(rounds):
        for name, step in steps.items():
            best[name] = max(best[name], samples_per_second(step, batches))
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--dataset", choices=("digits", "fashion-mnist"), default="digits")
    parser.add_argument("--batch-size", type=int, default=4)  # the PyTorch tutorial's
    parser.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N | gpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--subset", type=int, default=None, help="train on the first N images only (quick runs and tests)"
    )
    parser.add_argument(
        "--benchmark-steps", type=int, default=100, help="eager and compiled steps timed after training (0: skip)"
    )
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "subset"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {value}")
    if args.benchmark_steps < 0:
        parser.error(f"--benchmark-steps must be 0 or more, got {args.benchmark_steps}")
    try:
        device = torch.device(args.device)
    except ValueError as err:
        parser.error(f"--device: {err}")
    manual_seed(args.seed)

    images, labels = load(args.dataset, train=True)
    if args.subset is not None:
        images, labels = images[: args.subset], labels[: args.subset]
    # Seeded as in examples/lenet_imperative.py, so both see the same batches in the same order.
    trainloader = DataLoader(TensorDataset(images, labels), batch_size=args.batch_size, shuffle=True, seed=args.seed)

    net = Net().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    train_step = torch.compile(make_train_step(net, criterion, optimizer))

    start = time.perf_counter()
    first_step_seconds = None
    for epoch in range(args.epochs):
        running_loss = 0.0
        for inputs, labels in trainloader:
            step_start = time.perf_counter()
            loss = train_step(inputs.to(device), labels.to(device))
            running_loss += loss.item()
            if first_step_seconds is None:
                first_step_seconds = time.perf_counter() - step_start
        print("Epoch: %d loss: %.3f" % (epoch + 1, running_loss / len(trainloader)))  # noqa: UP031 - the seed's
    elapsed = time.perf_counter() - start
    print(f"time to first compiled step: {first_step_seconds:.2f} s (tracing and XLA compilation)")

    test_images, test_labels = load(args.dataset, train=False)
    accuracy = evaluate(net, test_images, test_labels, device)
    print(f"test accuracy: {accuracy:.3f} ({len(test_labels)} images); training took {elapsed:.1f} s")

    if args.benchmark_steps:
        # Full-size batches only, so neither step meets a new shape while it is timed.
        batches = [(x.to(device), y.to(device)) for x, y in trainloader if len(y) == args.batch_size]
        batches = (batches * (args.benchmark_steps // max(len(batches), 1) + 1))[: args.benchmark_steps]
        speed = benchmark({"eager": make_train_step(net, criterion, optimizer), "compiled": train_step}, batches)
        print(
            f"compiled step: {speed['compiled']:.0f} samples/s, eager step: {speed['eager']:.0f} samples/s, "
            f"speedup {speed['compiled'] / speed['eager']:.1f}x"
        )


if __name__ == "__main__":
    main()
