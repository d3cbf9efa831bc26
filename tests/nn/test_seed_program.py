"""The seed article's program, verbatim except for its imports, runs on functorch_lite."""

import numpy as np

import functorch_lite.nn as nn
from functorch_lite import datasets
from functorch_lite.autograd import no_grad
from functorch_lite.random import manual_seed
from functorch_lite.utils.data import DataLoader, TensorDataset

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


def _full_loss(net, images, labels):
    with no_grad():
        return nn.CrossEntropyLoss()(net(images), labels).item()


def test_seed_program_trains_one_epoch(capsys):
    images, labels = datasets.digits(train=True)
    images, labels = images[:240], labels[:240]
    trainloader = DataLoader(TensorDataset(images, labels), batch_size=4, shuffle=True)
    namespace = {"trainloader": trainloader}
    manual_seed(0)
    exec(SEED_PROGRAM, namespace)  # noqa: S102 - the program under test
    after = _full_loss(namespace["net"], images, labels)
    manual_seed(0)  # the same initial weights: Net() is the program's first random draw
    before = _full_loss(namespace["Net"](), images, labels)
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and printed[0].startswith("Epoch: 1 loss: ")
    assert np.isfinite(float(printed[0].rsplit(" ", 1)[1]))
    assert after < before, (before, after)
