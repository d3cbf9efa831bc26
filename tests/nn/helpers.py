"""Shared helpers for the facade tests: the seed's Net over any nn/F pair, weight copying."""

import numpy as np


def seed_net(nn, F):
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


def bn_dropout_net(nn, F):
    """A small model with every kind of state: parameters, BatchNorm buffers, dropout's RNG.

    Over (N, 1, 8, 8) input; `nn` / `F` are functorch_lite's or torch's namespaces.
    """

    class BNDropNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.bn = nn.BatchNorm2d(4)
            self.drop = nn.Dropout(0.3)
            self.fc = nn.Linear(4 * 6 * 6, 10)

        def forward(self, x):
            x = self.drop(F.relu(self.bn(self.conv(x))))
            return self.fc(x.flatten(1))

    return BNDropNet()


def torch_state_as_numpy(module):
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def assert_close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)
