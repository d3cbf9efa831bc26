"""The scoreboard's floors: a total of passing entries may only go up (raise floors.json as it does)."""

import json
from pathlib import Path

import pytest
import torch

from . import common, ops, report

FLOORS = json.loads((Path(__file__).parent / "floors.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("kind", report.KINDS)
def test_total_not_below_floor(kind):
    results = report.run((kind,))[kind]
    passed = [r.name for r in results if r.status == "pass"]
    assert len(passed) >= FLOORS[kind], f"{kind}: {len(passed)} pass, floor {FLOORS[kind]}"


def _op(name, variant=""):
    return next(op for op in ops.entries() if op.name == name and op.variant_test_name == variant)


def test_an_existing_op_passes_forward_and_gradient():
    result = common.guarded("ops", "exp", lambda: ops.run_entry(_op("exp")))
    assert result.status == "pass", result.line()


def test_an_absent_op_is_missing_and_a_crash_is_a_failure():
    assert common.guarded("ops", "x", lambda: ops.run_entry(_op("nn.functional.ctc_loss"))).status == "missing"
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
