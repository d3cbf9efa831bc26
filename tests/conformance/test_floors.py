"""The scoreboard's floors: a total of passing entries may only go up (raise floors.json as it does)."""

import json
from pathlib import Path

import pytest
import torch

from . import common, ops, report

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
