"""examples/lenet_imperative.py: the seed's program, resumable bit for bit after a kill."""

import importlib.util
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

import functorch_lite as fl
from tests.helpers.examples import ROOT, kill_once_checkpoint_exists, run_script
from tests.helpers.seed import SEED_PROGRAM

SCRIPT = ROOT / "examples" / "lenet_imperative.py"
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None, reason="scikit-learn provides the digits data"
)

# The seed's training loop body (section 4 of the seed article), which the example must keep:
# the epoch loop's body in the seed's text that tests/nn/test_seed_program.py runs.
SEED_LOOP_BODY = textwrap.dedent(SEED_PROGRAM.split("# loop over the dataset multiple times\n", 1)[1])


def _example_module():
    spec = importlib.util.spec_from_file_location("lenet_imperative_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _state(path: Path) -> dict:
    """Model and optimizer arrays of a checkpoint, as exact host numpy."""
    checkpoint = fl.load(path, map_location="numpy")
    arrays = {f"model.{k}": v for k, v in checkpoint["model"].items()}
    for index, slots in checkpoint["optimizer"]["state"].items():
        arrays.update({f"optimizer.{index}.{k}": v for k, v in slots.items()})
    return arrays


def test_seed_loop_body_is_kept_verbatim():
    source = SCRIPT.read_text(encoding="utf-8")
    loop = re.search(
        r"\n( *)for epoch in [^\n]*# loop over the dataset multiple times\n(.*?)\n *# ---- end", source, re.S
    )
    assert loop is not None, "the seed's epoch loop is missing"
    body = re.sub(r"  # noqa[^\n]*", "", textwrap.dedent(loop.group(2)))
    assert body + "\n" == SEED_LOOP_BODY


@pytest.mark.slow
def test_killed_run_resumed_from_checkpoint_equals_uninterrupted_run_bitwise(tmp_path):
    # 400 images in batches of 16: 25 steps, a few seconds, per epoch.
    common = ["--epochs", "3", "--subset", "400", "--batch-size", "16", "--seed", "5"]
    full = tmp_path / "full.safetensors"
    run_script(SCRIPT, *common, "--checkpoint", str(full))

    # Kill the second run with SIGKILL once epoch 1's checkpoint is on disk (written atomically).
    part = tmp_path / "part.safetensors"
    kill_once_checkpoint_exists(SCRIPT, *common, "--checkpoint", str(part), checkpoint=part)
    assert fl.load(part)["epoch"] == 1

    out = run_script(SCRIPT, *common, "--checkpoint", str(part), "--resume", str(part))
    assert "resumed from" in out and "Epoch: 2 loss" in out and "Epoch: 3 loss" in out
    assert "Epoch: 1 loss" not in out
    a, b = _state(full), _state(part)
    assert a.keys() == b.keys() and any(k.endswith("momentum_buffer") for k in a)
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert fl.load(full)["loader"] == fl.load(part)["loader"] == {"seed": 5, "epoch": 3, "batches_yielded": 0}


def test_resume_with_other_settings_is_refused(tmp_path, capsys):
    checkpoint = tmp_path / "c.safetensors"
    fl.save(
        {
            "model": {},
            "optimizer": {},
            "rng": np.zeros(2, np.uint32),
            "epoch": 1,
            "loader": {"seed": 0, "epoch": 1, "batches_yielded": 0},
            "args": {"dataset": "digits", "batch_size": 4, "seed": 0, "subset": None},
        },
        checkpoint,
    )
    with pytest.raises(SystemExit) as exit_info:
        _example_module().main(["--batch-size", "8", "--resume", str(checkpoint)])
    assert "--batch-size 4 -> 8" in str(exit_info.value)


@pytest.mark.parametrize(
    "content, message",
    [(None, "no such file"), ({"model": {}, "epoch": 1}, "not a checkpoint written by --checkpoint")],
)
def test_resume_from_a_missing_or_foreign_file_fails_clearly(tmp_path, content, message):
    path = tmp_path / "c.safetensors"
    if content is not None:
        fl.save(content, path)
    with pytest.raises(SystemExit) as exit_info:
        _example_module().main(["--resume", str(path)])
    assert message in str(exit_info.value)


@pytest.mark.parametrize("option", ["--subset", "--epochs", "--batch-size"])
def test_non_positive_sizes_are_refused(option, capsys):
    with pytest.raises(SystemExit):
        _example_module().main([option, "0"])
    assert f"{option} must be positive, got 0" in capsys.readouterr().err
