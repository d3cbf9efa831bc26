"""A whole imperative training state survives `save`/`load` and training continues bit for bit.

The checkpoint is the one a PyTorch user writes: model, optimizer and scheduler
`state_dict()`s, the global RNG state (dropout draws from it) and the epoch.
Loading it into freshly built objects and training on must give the same bits as
never stopping, for SGD with momentum and for Adam, eager and compiled.
"""

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from tests.helpers.seed import bn_dropout_net

EPOCHS, STOP_AFTER, BATCHES_PER_EPOCH = 4, 2, 3


def BNDropNet():  # noqa: N802 - stands for a model class
    return bn_dropout_net(nn, F)


OPTIMIZERS = {
    "sgd-momentum": lambda params: fl.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "adam": lambda params: fl.optim.Adam(params, lr=1e-2),
}


def _batches(epoch):
    rng = np.random.default_rng(epoch)
    return [
        (fl.tensor(rng.standard_normal((8, 1, 8, 8), dtype=np.float32)), fl.tensor(rng.integers(0, 10, 8)))
        for _ in range(BATCHES_PER_EPOCH)
    ]


def _build(optimizer_name, seed):
    fl.manual_seed(seed)
    net = BNDropNet()
    optimizer = OPTIMIZERS[optimizer_name](net.parameters())
    scheduler = fl.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    criterion = nn.CrossEntropyLoss()

    def train_step(inputs, labels):
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss

    return net, optimizer, scheduler, train_step


def _train(net, scheduler, step, epochs):
    for epoch in epochs:
        for inputs, labels in _batches(epoch):
            step(inputs, labels)
        scheduler.step()


def _checkpoint(net, optimizer, scheduler, epoch):
    return {
        "model": net.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": fl.get_rng_state(),
        "epoch": epoch,
    }


def _numpy_tree(tree):
    """Nested containers with every array as numpy (the leaves a bitwise comparison needs)."""
    if isinstance(tree, dict):
        return {key: _numpy_tree(value) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_numpy_tree(value) for value in tree)
    if hasattr(tree, "shape"):
        return np.asarray(tree)
    return tree


def _assert_trees_bitwise_equal(actual, expected, where=""):
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), where
        for key in expected:
            _assert_trees_bitwise_equal(actual[key], expected[key], f"{where}/{key}")
    elif isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected) and len(actual) == len(expected), where
        for index, (a, e) in enumerate(zip(actual, expected)):
            _assert_trees_bitwise_equal(a, e, f"{where}[{index}]")
    elif isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray) and actual.dtype == expected.dtype, where
        np.testing.assert_array_equal(actual, expected, err_msg=where)
    else:
        assert type(actual) is type(expected) and actual == expected, where


# Compiled runs trace three fresh steps (~10 s each on a loaded CPU), so they are slow.
@pytest.mark.parametrize(
    "compiled, map_location",
    [
        pytest.param(False, None, id="eager"),
        pytest.param(False, "numpy", id="eager-loaded-as-numpy"),
        pytest.param(True, None, id="compiled", marks=pytest.mark.slow),
    ],
)
@pytest.mark.parametrize("optimizer_name", list(OPTIMIZERS))
def test_resumed_training_equals_uninterrupted_training_bitwise(optimizer_name, compiled, map_location, tmp_path):
    wrap = fl.compile if compiled else (lambda step: step)
    net, optimizer, scheduler, step = _build(optimizer_name, seed=0)
    _train(net, scheduler, wrap(step), range(EPOCHS))
    uninterrupted = _numpy_tree(_checkpoint(net, optimizer, scheduler, EPOCHS))

    net, optimizer, scheduler, step = _build(optimizer_name, seed=0)
    _train(net, scheduler, wrap(step), range(STOP_AFTER))
    path = tmp_path / "checkpoint.safetensors"
    fl.save(_checkpoint(net, optimizer, scheduler, STOP_AFTER), path)
    del net, optimizer, scheduler, step

    # Fresh objects from another seed, so nothing but the checkpoint can make them agree.
    net, optimizer, scheduler, step = _build(optimizer_name, seed=123)
    checkpoint = fl.load(path, map_location=map_location)
    net.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    fl.set_rng_state(checkpoint["rng"])
    assert checkpoint["epoch"] == STOP_AFTER
    _train(net, scheduler, wrap(step), range(checkpoint["epoch"], EPOCHS))
    resumed = _numpy_tree(_checkpoint(net, optimizer, scheduler, EPOCHS))

    _assert_trees_bitwise_equal(resumed, uninterrupted)
    assert scheduler.get_last_lr() == [group["lr"] for group in optimizer.param_groups]


def test_checkpoint_keeps_types_of_optimizer_and_scheduler_state(tmp_path):
    net, optimizer, scheduler, step = _build("adam", seed=0)
    _train(net, scheduler, step, range(1))
    path = tmp_path / "checkpoint.safetensors"
    saved = _checkpoint(net, optimizer, scheduler, 1)
    fl.save(saved, path)
    loaded = fl.load(path)

    assert sorted(loaded["optimizer"]["state"]) == list(range(len(list(net.parameters()))))  # int keys stay int
    assert loaded["optimizer"]["state"][0]["step"].dtype == np.int32
    assert int(loaded["optimizer"]["state"][0]["step"]) == BATCHES_PER_EPOCH
    group = loaded["optimizer"]["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and group["params"] == list(range(len(group["params"])))
    assert loaded["scheduler"] == scheduler.state_dict()
    assert loaded["rng"].dtype == np.uint32 and loaded["rng"].shape == (2,)
    assert isinstance(loaded["epoch"], int)
    assert list(loaded["model"]) == list(net.state_dict())
