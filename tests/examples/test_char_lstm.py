"""examples/char_lstm.py on a tiny setting: the validation loss falls, checkpoints resume, sampling runs."""

import os
import re
import subprocess
import sys

import functorch_lite as fl
from tests.helpers.examples import ROOT

SCRIPT = ROOT / "examples" / "char_lstm.py"
TINY = ["--files", "4", "--max-chars", "3000", "--batch-size", "8", "--seq-len", "16", "--embed-dim", "8"]
TINY += ["--hidden-size", "32", "--lr", "0.01", "--log-every", "1000", "--sample-length", "40"]


def _run(*args: str) -> str:
    # PYTHONPATH: the checkout under test, not whatever copy of the package is installed.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *TINY, *args], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _history(out: str) -> list[float]:
    return [float(v) for v in re.search(r"val loss by epoch: ([\d. ]+)", out).group(1).split()]


def test_validation_loss_falls_resume_continues_and_other_settings_are_refused(tmp_path):
    checkpoint = tmp_path / "char.safetensors"
    out = _run("--epochs", "2", "--checkpoint", str(checkpoint))
    history = _history(out)
    assert len(history) == 3 and history[2] < history[1] < history[0] - 0.5, out
    assert "val ppl" in out and "--- sample (temperature 0.8) ---" in out
    saved = fl.load(checkpoint)
    assert int(saved["epoch"]) == 2 and set(saved["params"]) == {"embed", "lstm", "head"}
    assert set(saved["params"]["lstm"]) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}

    resumed = _run("--epochs", "3", "--checkpoint", str(checkpoint), "--resume", str(checkpoint))
    assert "resumed from" in resumed and "epoch   3" in resumed and "epoch   1 " not in resumed
    assert _history(resumed)[:3] == history and len(_history(resumed)) == 4
    assert int(fl.load(checkpoint)["epoch"]) == 3
    # Resuming continues the same trajectory as a run that was never stopped.
    assert _history(_run("--epochs", "3", "--sample-length", "0")) == _history(resumed)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [*TINY, "--hidden-size", "16", "--resume", str(checkpoint)]
    refused = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, env=env)
    assert refused.returncode != 0 and "--hidden-size 32 -> 16" in refused.stderr
