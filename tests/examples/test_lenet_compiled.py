"""examples/lenet_compiled.py: the seed's loop with a compiled step learns, and its losses equal the eager example's."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None, reason="scikit-learn provides the digits data"
)
# 750 steps of the seed's settings (batch 4, lr 0.001): enough for the loss to fall and accuracy to leave chance
# (0.44-0.68 for seeds 0-2).
SHORT_RUN = ["--subset", "1000", "--epochs", "3", "--seed", "0"]


def _example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _epoch_losses(out: str) -> list[float]:
    return [float(loss) for loss in re.findall(r"^Epoch: \d+ loss: (\d+\.\d{3})$", out, re.MULTILINE)]


@pytest.mark.slow
def test_short_run_learns_reports_speedup_and_matches_the_eager_example(capsys):
    _example("lenet_compiled").main([*SHORT_RUN, "--benchmark-steps", "20"])
    out = capsys.readouterr().out
    losses = _epoch_losses(out)
    assert len(losses) == 3 and losses[-1] < losses[0], out
    accuracy = float(re.search(r"^test accuracy: (\d\.\d{3}) \(359 images\)", out, re.MULTILINE).group(1))
    assert accuracy > 0.2, out  # chance is 0.1
    first_step = re.search(r"^time to first compiled step: (\d+\.\d+) s", out, re.MULTILINE)
    assert first_step and float(first_step.group(1)) > 0, out
    speed = re.search(
        r"^compiled step: (\d+) samples/s, eager step: (\d+) samples/s, speedup (\d+\.\d)x$", out, re.MULTILINE
    )
    assert speed and int(speed.group(1)) > 0 and int(speed.group(2)) > 0, out

    # The eager example with the same seed and settings prints the same epoch losses.
    _example("lenet_imperative").main(SHORT_RUN)
    eager_losses = _epoch_losses(capsys.readouterr().out)
    assert len(eager_losses) == 3
    # One unit of the printed third decimal: XLA fuses the compiled step differently from op-by-op dispatch.
    assert abs(losses[-1] - eager_losses[-1]) <= 0.0011, (losses, eager_losses)


def test_bad_options_are_refused_by_name(capsys):
    example = _example("lenet_compiled")
    with pytest.raises(SystemExit):
        example.main(["--device", "nope"])
    assert "--device: device: expected a device string" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        example.main(["--batch-size", "0"])
    assert "--batch-size must be positive, got 0" in capsys.readouterr().err
