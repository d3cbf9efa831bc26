"""The scoreboard's floors: a total of passing entries may only go up (raise floors.json as it does)."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import functorch_lite as ft

from . import common, ops, optims, report

FLOORS = json.loads((Path(__file__).parent / "floors.json").read_text())
# The report of the last floor run, one line per entry and the totals (`.ci/run` prints its totals, so the
# databases are run once per CI run, not twice).
LAST_REPORT = Path(__file__).parent / "last_report.txt"


@pytest.mark.slow
@pytest.mark.parametrize("kind", report.KINDS)
def test_total_not_below_floor(kind):
    results = report.run((kind,))[kind]
    row = report.totals({kind: results})[kind]
    with LAST_REPORT.open("w" if kind == report.KINDS[0] else "a", encoding="utf-8") as out:
        out.writelines(r.line() + "\n" for r in results)
        out.write(f"{kind}: {row['pass']}/{row['total']} pass ({row['fail']} fail, {row['missing']} missing)\n")
    assert row["pass"] >= FLOORS[kind], f"{kind}: {row['pass']} pass, floor {FLOORS[kind]}"


def _op(name, variant=""):
    return next(op for op in ops.entries() if op.name == name and op.variant_test_name == variant)


def test_an_existing_op_passes_forward_and_gradient():
    result = common.guarded("ops", "exp", lambda: ops.run_entry(_op("exp")))
    assert result.status == "pass", result.line()


def test_an_absent_op_is_missing_and_a_crash_is_a_failure():
    assert common.guarded("ops", "x", lambda: ops.run_entry(_op("native_dropout_backward"))).status == "missing"
    result = common.guarded("ops", "boom", lambda: 1 / 0)
    assert (result.status, result.message) == ("fail", "ZeroDivisionError: division by zero")


def test_a_wrong_gradient_fails():
    def wrong_exp(x):
        return (x * 0 + 1).detach().requires_grad_() * x.detach().exp()

    sample = next(iter(_op("exp").sample_inputs("cpu", torch.float32, requires_grad=True)))
    with pytest.raises(AssertionError):
        ops.check_sample(_op("exp"), wrong_exp, sample, 0)


def test_an_entry_over_the_time_limit_fails(monkeypatch):
    import time

    monkeypatch.setattr(common, "ENTRY_TIME_LIMIT_S", 1)
    result = common.guarded("ops", "slow", lambda: time.sleep(5))
    assert result.status == "fail" and "time limit" in result.message


def _optim_input(name, index):
    info = next(info for info in optims.entries() if info.optim_cls.__name__ == name)
    return info, info.optim_inputs_func(device="cpu", dtype=torch.float32)[index]


def test_a_wrong_learning_rate_fails_the_float32_comparison_and_the_float64_fallback():
    class WrongSGD(ft.optim.SGD):
        def __init__(self, params, lr=1e-3, **options):
            super().__init__(params, lr=lr * 1.01, **options)

    info, optim_input = _optim_input("SGD", 0)
    with pytest.raises(
        AssertionError, match=r"(?s)Not equal to tolerance.*float64 fallback: config 0 \(default\) step 1"
    ):
        optims.check_input(info, WrongSGD, optim_input, 0)


# LBFGS with a small fixed step (a Tensor lr of 1e-3, 20 iterations a step) amplifies rounding: torch itself,
# with its dot products summed in another order, leaves its own float32 trajectory by ~1e-3.
_ILL_CONDITIONED = {"lr": torch.tensor(0.001), "history_size": 10}


def _lbfgs_paths(kwargs):
    initial = optims._initial(two_d_only=False)
    initial64 = [value.astype(np.float64) for value in initial]
    return (
        optims._trajectory(torch, torch.optim.LBFGS, _ILL_CONDITIONED, initial),
        optims._trajectory(torch, torch.optim.LBFGS, kwargs, initial),
        optims._trajectory(torch, torch.optim.LBFGS, optims._as_float64(_ILL_CONDITIONED), initial64),
    )


def test_summation_order_noise_fails_float32_parity_but_passes_on_accuracy(monkeypatch):
    torch_dot = torch.Tensor.dot
    monkeypatch.setattr(torch.Tensor, "dot", lambda a, b: (a * b).sum())
    initial = optims._initial(two_d_only=False)
    have = optims._trajectory(torch, torch.optim.LBFGS, _ILL_CONDITIONED, initial)
    monkeypatch.setattr(torch.Tensor, "dot", torch_dot)
    want, _, reference = _lbfgs_paths(_ILL_CONDITIONED)

    def no_reference():
        raise RuntimeError("float64 is not supported")

    with pytest.raises(AssertionError, match="(?s)Not equal to tolerance.*no float64 reference"):
        optims.judge(want, have, no_reference, "noise")
    note = optims.judge(want, have, lambda: reference, "noise")
    line = common.guarded("optims", "LBFGS", lambda: note).line()
    assert line.startswith("pass    optims  LBFGS: noise passes on accuracy"), line


def test_a_perturbed_lbfgs_fails_the_fallback_even_where_rounding_is_amplified():
    want, have, reference = _lbfgs_paths({**_ILL_CONDITIONED, "lr": torch.tensor(0.00101)})
    with pytest.raises(AssertionError, match=r"float64 fallback: wrong step 1: error"):
        optims.judge(want, have, lambda: reference, "wrong")


def test_a_nan_or_an_unbounded_allowance_fails_on_accuracy():
    reference = [[np.array([0.5, 1.0])]]
    for want, have in (
        ([np.float32([0.5, 1.0])], [np.float32([np.nan, 1.0])]),
        ([np.float32([np.inf, 1.0])], [np.float32([0.6, 1.0])]),
    ):
        with pytest.raises(AssertionError, match="step 1: error"):
            optims.check_accuracy([want], [have], reference, "x")


def test_random_ops_are_compared_by_distribution_over_many_draws():
    import functorch_lite as fl

    op = _op("normal")
    sample = list(op.sample_inputs("cpu", torch.float32))[1]  # a tensor mean and a tensor std
    ops.check_sample(op, lambda mean, std: fl.normal(mean, std), sample, 1)
    with pytest.raises(AssertionError, match="not PyTorch's distribution over 64 draws"):
        ops.check_sample(op, lambda mean, std: fl.normal(mean + 2 * std, std), sample, 1)
    with pytest.raises(AssertionError, match="not PyTorch's distribution over 64 draws"):
        ops.check_sample(op, lambda mean, std: fl.rand(tuple(mean.shape)) * std + mean, sample, 1)
