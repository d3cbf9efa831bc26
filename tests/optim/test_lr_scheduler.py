"""optim.lr_scheduler against torch.optim.lr_scheduler: the lr sequences, state, errors."""

import numpy as np
import pytest

from functorch_lite import optim
from functorch_lite.nn import Parameter
from functorch_lite.optim import lr_scheduler

torch = pytest.importorskip("torch")

SCHEDULERS = {
    "StepLR": dict(step_size=3, gamma=0.5),
    "MultiStepLR": dict(milestones=[2, 5, 6], gamma=0.3),
    "ExponentialLR": dict(gamma=0.9),
    "CosineAnnealingLR": dict(T_max=7, eta_min=0.001),
    "LinearLR": dict(start_factor=0.25, end_factor=1.0, total_iters=4),
    "LambdaLR": dict(lr_lambda=lambda epoch: 1.0 / (1 + epoch)),
}


def _optimizers():
    torch_groups = [
        {"params": [torch.nn.Parameter(torch.zeros(2))]},
        {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.05},
    ]
    groups = [
        {"params": [Parameter(np.zeros(2, np.float32))]},
        {"params": [Parameter(np.zeros(2, np.float32))], "lr": 0.05},
    ]
    return torch.optim.SGD(torch_groups, lr=0.1), optim.SGD(groups, lr=0.1)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_lr_sequence_equals_torch(name):
    torch_optimizer, optimizer = _optimizers()
    reference = getattr(torch.optim.lr_scheduler, name)(torch_optimizer, **SCHEDULERS[name])
    scheduler = getattr(lr_scheduler, name)(optimizer, **SCHEDULERS[name])
    expected, actual = [], []
    for _ in range(12):
        expected.append(reference.get_last_lr())
        actual.append(scheduler.get_last_lr())
        torch_optimizer.step()
        reference.step()
        scheduler.step()
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)
    assert [g["lr"] for g in optimizer.param_groups] == scheduler.get_last_lr()
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.05]


def test_state_dict_roundtrip_resumes_the_sequence():
    _, optimizer = _optimizers()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
    for _ in range(3):
        scheduler.step()
    state = scheduler.state_dict()
    assert state["last_epoch"] == 3 and "optimizer" not in state
    _, other_optimizer = _optimizers()
    resumed = lr_scheduler.StepLR(other_optimizer, step_size=2, gamma=0.1)
    # As in torch, the schedulers step the groups' current lr: resume the optimizer too.
    other_optimizer.load_state_dict(optimizer.state_dict())
    resumed.load_state_dict(state)
    scheduler.step()
    resumed.step()
    assert resumed.get_last_lr() == pytest.approx(scheduler.get_last_lr())


def test_bad_arguments():
    _, optimizer = _optimizers()
    with pytest.raises(TypeError, match="expected a functorch_lite optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        lr_scheduler.StepLR(optimizer, step_size=0)
    with pytest.raises(ValueError, match="LambdaLR: expected 2 lr_lambdas, got 1"):
        lr_scheduler.LambdaLR(optimizer, [lambda e: 1.0])
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.ExponentialLR(optimizer, gamma=0.9, last_epoch=3)
