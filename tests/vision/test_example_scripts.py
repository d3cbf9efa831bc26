"""The curves hooks of examples/train_jit.py (--logdir, --plot) and a short examples/train_vision.py run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIL = pytest.importorskip("PIL.Image")
pytest.importorskip("matplotlib")
pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def _run(script: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's library, not an installed one
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _scalars(path: Path, tag: str) -> list[float]:
    accumulator = EventAccumulator(str(path))
    accumulator.Reload()
    return [event.value for event in accumulator.Scalars(tag)]


@pytest.mark.slow
def test_train_jit_writes_tensorboard_curves_and_a_plot(tmp_path):
    pytest.importorskip("sklearn")
    out = _run(
        "train_jit.py",
        "--epochs",
        "2",
        "--progress",
        "lines",
        "--logdir",
        str(tmp_path / "tb"),
        "--plot",
        str(tmp_path / "curves.png"),
    )
    epochs = [line for line in out.splitlines() if line.startswith("epoch")]
    test_acc = [float(line.split("test acc")[1].split()[0]) for line in epochs]
    assert len(test_acc) == 2
    assert _scalars(tmp_path / "tb" / "accuracy_test", "accuracy") == pytest.approx(test_acc, abs=1e-4)
    assert len(_scalars(tmp_path / "tb" / "loss_train", "loss")) == 2
    image = PIL.open(tmp_path / "curves.png")
    assert image.format == "PNG" and image.size == (1000, 400)


@pytest.mark.slow
def test_train_vision_short_run_logs_and_checkpoints(tmp_path):
    if not os.path.isdir("/usr/share/datasets/fashion-mnist"):
        pytest.skip("the dataset-fashion-mnist package is not installed")
    out = _run(
        "train_vision.py",
        "--epochs",
        "1",
        "--train-subset",
        "512",
        "--batch-size",
        "64",
        "--logdir",
        str(tmp_path / "tb"),
        "--checkpoint",
        str(tmp_path / "ckpt.safetensors"),
    )
    assert "final test accuracy" in out
    assert len(_scalars(tmp_path / "tb" / "accuracy_test", "accuracy")) == 1
    assert (tmp_path / "ckpt.safetensors").is_file()
    resumed = _run(
        "train_vision.py",
        "--epochs",
        "1",
        "--train-subset",
        "512",
        "--batch-size",
        "64",
        "--resume",
        str(tmp_path / "ckpt.safetensors"),
    )
    assert "resumed from" in resumed and resumed.splitlines()[-1].split()[3] == out.splitlines()[-1].split()[3]
