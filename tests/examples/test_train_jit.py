"""The main job, examples/train_jit.py: accuracy on digits, checkpoints, bit-exact resume after a kill."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import functorch_lite as fl
from tests.helpers.examples import ROOT, kill_once_checkpoint_exists, run_script

SCRIPT = ROOT / "examples" / "train_jit.py"
pytestmark = pytest.mark.skipif(
    __import__("importlib").util.find_spec("sklearn") is None, reason="scikit-learn provides the digits data"
)


def _params(path: Path) -> dict:
    return fl.functional.flatten_dict(fl.load(path, map_location="numpy")["params"])


@pytest.mark.slow
def test_default_settings_reach_97_percent_on_digits():
    out = run_script(SCRIPT, "--progress", "lines")
    accuracy = float(out.strip().splitlines()[-1].split("final test accuracy:")[1].split()[0])
    assert accuracy >= 0.97, out


@pytest.mark.slow
def test_killed_run_resumed_from_checkpoint_equals_uninterrupted_run_bitwise(tmp_path):
    common = ["--epochs", "3", "--progress", "lines", "--seed", "3"]
    full = tmp_path / "full.safetensors"
    run_script(SCRIPT, *common, "--checkpoint", str(full))

    # Kill the second run with SIGKILL once epoch 1's checkpoint is on disk (written atomically).
    part = tmp_path / "part.safetensors"
    kill_once_checkpoint_exists(SCRIPT, *common, "--checkpoint", str(part), checkpoint=part)
    assert int(fl.load(part)["epoch"]) == 1

    out = run_script(SCRIPT, *common, "--checkpoint", str(part), "--resume", str(part))
    assert "resumed from" in out and "epoch   2/3" in out and "epoch   1/3" not in out
    a, b = _params(full), _params(part)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert fl.load(full)["opt_state"].momentum_buffer is not None


def test_resume_with_other_settings_is_refused(tmp_path):
    ckpt = tmp_path / "c.safetensors"
    fl.save(
        {
            "params": {},
            "opt_state": {},
            "epoch": 1,
            "loader": {"seed": 0, "epoch": 1, "batches_yielded": 0},
            "args": {
                "dataset": "digits",
                "epochs": 3,
                "batch_size": 64,
                "lr": 0.02,
                "optimizer": "sgd",
                "momentum": 0.9,
                "weight_decay": 0.0,
                "shift": 2,
                "seed": 0,
            },
        },
        ckpt,
    )
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--epochs", "3", "--lr", "0.1", "--resume", str(ckpt)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "--lr 0.02 -> 0.1" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "--epochs must be positive"),
        (["--batch-size", "-4"], "--batch-size must be positive"),
        (["--dataset", "cifar"], "invalid choice"),
        (["--device", "cuda:3"], "not available"),
        (["--dataset", "mnist"], "needs --data-dir"),
    ],
)
def test_bad_command_lines_fail_with_a_clear_message(args, message):
    result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode != 0
    assert message in result.stderr
