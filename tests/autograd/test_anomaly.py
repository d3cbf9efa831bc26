"""`detect_anomaly()` names the first op that produced a NaN, forward or backward, in eager mode.

The backward cases are compared with PyTorch's own anomaly mode on the same program:
both must blame the same function (ours `PowBackward`, torch's `PowBackward0`).
"""

import re

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # torch anomaly mode warns as it raises


class LogModel(nn.Module):
    """A facade model whose forward takes the log of a linear layer's (possibly negative) output."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return fl.log(F.relu(self.fc(x)) - 1.0).sum()


def _model():
    fl.manual_seed(0)
    return LogModel()


def test_forward_nan_from_log_of_a_negative_names_log():
    model = _model()
    x = fl.zeros(4, 3)  # relu(fc(0)) - 1 = relu(bias) - 1 < 0, since |bias| < 1
    with pytest.raises(RuntimeError, match=r"^detect_anomaly: forward of 'log' returned NaN values in its output 0$"):
        with fl.detect_anomaly():
            model(x)


def test_forward_nan_made_from_the_data_is_blamed_on_its_own_op():
    model = _model()
    data = fl.tensor([[-1.0, 2.0, 3.0]])  # no grad: the op is not recorded on the tape
    with pytest.raises(RuntimeError, match=r"forward of 'log' returned NaN"):
        with fl.detect_anomaly():
            model(fl.log(data))  # before the fix the error blamed the Linear layer ('apply')


def test_nan_under_no_grad_is_detected():
    with pytest.raises(RuntimeError, match=r"forward of 'sqrt' returned NaN"):
        with fl.detect_anomaly(), fl.no_grad():
            fl.sqrt(fl.tensor([-4.0, 4.0]))


def test_no_error_without_anomaly_mode_or_without_nan():
    model = _model()
    assert np.isnan(model(fl.zeros(4, 3)).item())  # NaN propagates silently, as in PyTorch
    with fl.detect_anomaly():
        loss = fl.log(model.fc(fl.ones(4, 3)).exp()).sum()
        loss.backward()
    assert model.fc.weight.grad is not None and np.isfinite(np.asarray(model.fc.weight.grad.array)).all()
    assert not fl.autograd.is_anomaly_enabled()


def _torch_blames(program) -> str:
    with pytest.raises(RuntimeError) as info, torch.autograd.detect_anomaly(), np.errstate(all="ignore"):
        program(torch).backward()
    return re.search(r"Function '(\w+?)\d*' returned nan", str(info.value)).group(1)


def _norm_of_difference(lib):
    a = lib.ones(3, requires_grad=True)
    return ((a - lib.ones(3)) ** 2).sum().sqrt()  # sqrt at 0: inf slope, times 0 below -> NaN


def _sqrt_at_zero_times_zero(lib):
    w = lib.zeros(2, requires_grad=True)
    return (w.sqrt() * lib.zeros(2)).sum()  # d/dw = 0 * 1 / (2 sqrt(0)) = 0 * inf


@pytest.mark.parametrize("program", [_norm_of_difference, _sqrt_at_zero_times_zero])
def test_backward_nan_names_the_same_function_as_pytorch(program):
    expected = _torch_blames(program)
    loss = program(fl)
    assert np.isfinite(loss.item())  # the forward is fine; only the gradient is NaN
    with pytest.raises(RuntimeError, match=rf"^detect_anomaly: backward of '{expected}' returned NaN"):
        with fl.detect_anomaly():
            loss.backward()


def test_backward_nan_in_a_facade_layer_names_the_layer():
    model = _model()
    with fl.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.zero_()
    # sqrt(0) is fine forward; backward its inf slope meets the input's 0 inside Linear's vjp.
    loss = model.fc(fl.tensor([[0.0, 1.0, 2.0]])).sqrt().sum()
    with pytest.raises(RuntimeError, match=r"^detect_anomaly: backward of 'LinearBackward' returned NaN"):
        with fl.detect_anomaly():
            loss.backward()
