"""LeNet-5 as in the seed document: conv(1->6, 5), pool, conv(6->16, 5), pool, 120, 84, classes."""

from __future__ import annotations

from ..functional import Conv2d, Flatten, Layer, Linear, MaxPool2d, ReLU, Sequential


def lenet5(num_classes: int = 10, in_channels: int = 1) -> Layer:
    """The seed's `Net` as a pure Layer over (N, in_channels, 32, 32) input.

    Parameter keys equal the PyTorch model's `state_dict` keys: `conv1.weight`,
    `conv1.bias`, `conv2.*`, `fc1.*`, `fc2.*`, `fc3.*`.
    """
    return Sequential(
        ("conv1", Conv2d(in_channels, 6, 5)),
        ("relu1", ReLU()),
        ("pool1", MaxPool2d(2, 2)),
        ("conv2", Conv2d(6, 16, 5)),
        ("relu2", ReLU()),
        ("pool2", MaxPool2d(2, 2)),
        ("flatten", Flatten()),  # x.view(-1, 16 * 5 * 5): NCHW order, as PyTorch's fc1 expects
        ("fc1", Linear(16 * 5 * 5, 120)),
        ("relu3", ReLU()),
        ("fc2", Linear(120, 84)),
        ("relu4", ReLU()),
        ("fc3", Linear(84, num_classes)),
    )
