"""The seed's PyTorch LeNet program on functorch_lite, with only its imports changed.

    python examples/lenet_imperative.py [--epochs 2] [--dataset digits|fashion-mnist]

`class Net` and the training loop below are the seed's code verbatim (section 4 of
the seed article); the lines around them load a dataset into a `trainloader` and
report test accuracy. Digits is scikit-learn's bundled set (offline, seconds per
epoch); Fashion-MNIST is read from disk (see `functorch_lite.datasets.fashion_mnist`).
"""

from __future__ import annotations

import argparse
import time

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


def load(dataset: str, train: bool) -> tuple[np.ndarray, np.ndarray]:
    if dataset == "digits":
        return datasets.digits(train=train)
    return datasets.fashion_mnist(train=train, image_size=32)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--dataset", choices=("digits", "fashion-mnist"), default="digits")
    parser.add_argument("--batch-size", type=int, default=4)  # the PyTorch tutorial's
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    manual_seed(args.seed)

    images, labels = load(args.dataset, train=True)
    trainloader = DataLoader(TensorDataset(images, labels), batch_size=args.batch_size,
                             shuffle=True)

    # ---- the seed's program, verbatim (its epoch count is the --epochs option) ----
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
    for epoch in range(args.epochs):  # loop over the dataset multiple times
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
    elapsed = time.perf_counter() - start

    test_images, test_labels = load(args.dataset, train=False)
    net.eval()
    with no_grad():
        predictions = np.concatenate([
            np.asarray(net(test_images[i:i + 256]).argmax(1))
            for i in range(0, len(test_images), 256)])
    accuracy = float(np.mean(predictions == test_labels))
    print(f"test accuracy: {accuracy:.3f} ({len(test_labels)} images); "
          f"training took {elapsed:.1f} s")


if __name__ == "__main__":
    main()
