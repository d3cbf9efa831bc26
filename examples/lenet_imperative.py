"""The seed's PyTorch LeNet program on functorch_lite, with only its imports changed.

    python examples/lenet_imperative.py [--epochs 2] [--dataset digits|fashion-mnist]
    python examples/lenet_imperative.py --checkpoint runs/seed.safetensors   # save every epoch
    python examples/lenet_imperative.py --resume runs/seed.safetensors --checkpoint runs/seed.safetensors

`class Net` and the training loop below are the seed's code verbatim (section 4 of
the seed article); the lines around them load a dataset into a `trainloader` and
report test accuracy. Digits is scikit-learn's bundled set (offline, seconds per
epoch); Fashion-MNIST is read from disk (see `functorch_lite.datasets.fashion_mnist`).

Checkpoints, as a PyTorch user writes them: `torch.save({"model": net.state_dict(),
"optimizer": optimizer.state_dict(), ...}, path)` after every epoch (a safetensors
file, replaced atomically, so a killed run leaves the last complete epoch), holding
the model, optimizer, RNG and data-order state, so `--resume` continues bit for bit.
The only change to the seed's loop for this is its header: `range(args.epochs)`
became `epochs(...)`, which restores before the first epoch and saves after each.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

import functorch_lite as torch
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from functorch_lite import datasets
from functorch_lite.autograd import no_grad
from functorch_lite.random import manual_seed
from functorch_lite.utils.data import DataLoader, TensorDataset

# The seed's program uses `torch.optim.SGD` and, in its FAQ, `torch.device` / `torch.cuda`;
# both come from `import functorch_lite as torch`.

# Settings that decide the trajectory: a resumed run must keep them (--epochs may grow).
RESUME_MUST_MATCH = ("dataset", "batch_size", "seed", "subset")


def load(dataset: str, train: bool) -> tuple[np.ndarray, np.ndarray]:
    if dataset == "digits":
        return datasets.digits(train=train)
    return datasets.fashion_mnist(train=train, image_size=32)


def read_checkpoint(args: argparse.Namespace) -> dict[str, Any] | None:
    """The --resume checkpoint, checked against this run's settings before any work starts."""
    if args.resume is None:
        return None
    try:
        checkpoint = torch.load(args.resume)
    except (FileNotFoundError, IsADirectoryError, ValueError) as err:
        sys.exit(f"error: --resume: {err}")
    if not (isinstance(checkpoint, dict) and {"model", "optimizer", "rng", "loader", "epoch"} <= set(checkpoint)):
        sys.exit(
            f"error: --resume {args.resume}: not a checkpoint written by --checkpoint "
            "(it lacks the model/optimizer/rng/loader/epoch entries)"
        )
    saved = checkpoint.get("args", {})
    changed = {k: (saved.get(k), getattr(args, k)) for k in RESUME_MUST_MATCH if saved.get(k) != getattr(args, k)}
    if changed:
        details = ", ".join(f"--{k.replace('_', '-')} {old!r} -> {new!r}" for k, (old, new) in changed.items())
        sys.exit(
            f"error: --resume {args.resume}: the run was started with other settings ({details}); "
            "pass the same ones to continue it exactly"
        )
    return checkpoint


def epochs(
    args: argparse.Namespace,
    checkpoint: dict[str, Any] | None,
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    trainloader: DataLoader,
) -> Iterator[int]:
    """The seed loop's epoch numbers; restores `checkpoint` before the first, saves --checkpoint after each.

    A generator, so the seed's loop body stays verbatim: the code after `yield` runs
    when the loop asks for the next epoch, that is once the previous epoch is done.
    """
    start = 0
    if checkpoint is not None:
        net.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        trainloader.load_state_dict(checkpoint["loader"])
        torch.set_rng_state(checkpoint["rng"])  # the seed's Net draws none, a model with dropout would
        start = int(checkpoint["epoch"])
        print(f"resumed from {args.resume} after epoch {start}")
    for epoch in range(start, args.epochs):
        yield epoch
        if args.checkpoint:
            os.makedirs(os.path.dirname(os.path.abspath(args.checkpoint)), exist_ok=True)
            torch.save(
                {
                    "model": net.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "rng": torch.get_rng_state(),
                    "loader": trainloader.state_dict(),
                    "epoch": epoch + 1,
                    "args": {k: getattr(args, k) for k in RESUME_MUST_MATCH},
                },
                args.checkpoint,
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--dataset", choices=("digits", "fashion-mnist"), default="digits")
    parser.add_argument("--batch-size", type=int, default=4)  # the PyTorch tutorial's
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--subset", type=int, default=None, help="train on the first N images only (quick runs and tests)"
    )
    parser.add_argument("--checkpoint", default=None, help="save model/optimizer/RNG/data state here every epoch")
    parser.add_argument("--resume", default=None, help="continue from a checkpoint written by --checkpoint")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "subset"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {value}")
    checkpoint = read_checkpoint(args)
    manual_seed(args.seed)

    images, labels = load(args.dataset, train=True)
    if args.subset is not None:
        images, labels = images[: args.subset], labels[: args.subset]
    # A seeded shuffle: the data order is a function of (seed, epoch), so a resumed run replays it.
    trainloader = DataLoader(TensorDataset(images, labels), batch_size=args.batch_size, shuffle=True, seed=args.seed)

    # ---- the seed's program, verbatim (its epoch range is `epochs(...)`: --epochs, --resume, --checkpoint) ----
    # 定义卷积神经网络
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

    # 创建网络实例
    net = Net()

    # 定义损失函数和优化器
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

    start = time.perf_counter()
    # 训练网络
    # fmt: off
    for epoch in epochs(args, checkpoint, net, optimizer, trainloader):  # loop over the dataset multiple times
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):  # noqa: B007 - the seed's line
            # 获取输入数据和标签
            inputs, labels = data

            # 梯度清零
            optimizer.zero_grad()

            # 前向传播
            outputs = net(inputs)
            loss = criterion(outputs, labels)

            # 后向传播和优化
            loss.backward()
            optimizer.step()

            # 打印训练损失
            running_loss += loss.item()
        print('Epoch: %d loss: %.3f' % (epoch + 1, running_loss / len(trainloader)))  # noqa: UP031
    # ---- end of the seed's program ----
    # fmt: on
    elapsed = time.perf_counter() - start

    test_images, test_labels = load(args.dataset, train=False)
    net.eval()
    with no_grad():
        predictions = np.concatenate(
            [np.asarray(net(test_images[i : i + 256]).argmax(1)) for i in range(0, len(test_images), 256)]
        )
    accuracy = float(np.mean(predictions == test_labels))
    print(f"test accuracy: {accuracy:.3f} ({len(test_labels)} images); training took {elapsed:.1f} s")


if __name__ == "__main__":
    main()
