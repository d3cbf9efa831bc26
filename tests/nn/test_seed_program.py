"""The seed article's program, verbatim except for its imports, runs on functorch_lite."""

import numpy as np

import functorch_lite.nn as nn
from functorch_lite import datasets
from functorch_lite.autograd import no_grad
from functorch_lite.random import manual_seed
from functorch_lite.utils.data import DataLoader, TensorDataset
from tests.helpers.seed import SEED_PROGRAM


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
