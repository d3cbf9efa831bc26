"""The seed's model and program, shared by the tests and the benchmarks.

Plain Python with no imports (not numpy, not pytest, not jax, not torch), so a benchmark row
can import it without pulling another framework into its process.
"""


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


# Section 4 of the seed, character for character from `class Net` on, except the imports
# (replaced as the seed FAQ's users would) and `range(10)` -> `range(1)` (one epoch).
SEED_PROGRAM = """
import functorch_lite as torch
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F

# 定义卷积神经网络
class Net(nn.Module):
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
        x = self.fc3(x)
        return x

# 创建网络实例
net = Net()

# 定义损失函数和优化器
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

# 训练网络
for epoch in range(1):  # loop over the dataset multiple times
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
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
    print('Epoch: %d loss: %.3f' % (epoch + 1, running_loss / len(trainloader)))
"""
