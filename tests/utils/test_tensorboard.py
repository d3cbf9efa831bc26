"""SummaryWriter's event files, read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

import functorch_lite
from functorch_lite.utils.tensorboard import SummaryWriter

pytest.importorskip("tensorboard")
PIL = pytest.importorskip("PIL.Image")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def _read(path) -> EventAccumulator:
    accumulator = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "images": 0})
    accumulator.Reload()
    return accumulator


def test_scalars_and_scalar_groups_read_back(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(5):
            writer.add_scalar("loss/train", functorch_lite.tensor(1.0 / (step + 1)), step)
            writer.add_scalars("accuracy", {"train": 0.5 + 0.1 * step, "test": np.float32(0.4)}, step)
    scalars = _read(tmp_path).Scalars("loss/train")
    assert [event.step for event in scalars] == list(range(5))
    np.testing.assert_allclose([event.value for event in scalars], [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5], rtol=1e-6)
    train = _read(tmp_path / "accuracy_train").Scalars("accuracy")
    np.testing.assert_allclose([event.value for event in train], [0.5, 0.6, 0.7, 0.8, 0.9], rtol=1e-6)
    assert [event.value for event in _read(tmp_path / "accuracy_test").Scalars("accuracy")] == pytest.approx([0.4] * 5)


def test_histogram_reads_back_with_its_statistics(tmp_path):
    values = np.random.default_rng(0).normal(size=1000)
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("weights", values, 3)
        uniform_values = functorch_lite.tensor(np.linspace(0, 1, 101))
        writer.add_histogram("uniform", uniform_values, 4, bins=10)
    histograms = _read(tmp_path)
    event = histograms.Histograms("weights")[0]
    assert event.step == 3
    value = event.histogram_value
    assert value.num == 1000 and sum(value.bucket) == 1000
    assert value.min == pytest.approx(values.min()) and value.sum == pytest.approx(values.sum())
    assert value.sum_squares == pytest.approx(np.dot(values, values))
    uniform = histograms.Histograms("uniform")[0].histogram_value
    counts, edges = np.histogram(np.asarray(uniform_values, np.float64), bins=10)
    assert list(uniform.bucket) == [0, *counts] and list(uniform.bucket_limit) == pytest.approx(edges)


def test_images_read_back_as_png(tmp_path):
    image = np.random.default_rng(1).random((3, 4, 5), dtype=np.float32)
    batch = np.random.default_rng(2).integers(0, 256, (10, 6, 7, 1), dtype=np.uint8)
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("one", functorch_lite.tensor(image), 0)
        writer.add_images("many", batch, 1, dataformats="NHWC")
    accumulator = _read(tmp_path)
    one = accumulator.Images("one")[0]
    decoded = np.asarray(PIL.open(io.BytesIO(one.encoded_image_string)))
    np.testing.assert_array_equal(decoded, (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8).transpose(1, 2, 0))
    many = accumulator.Images("many")[0]
    assert (many.step, many.height, many.width) == (1, 12, 56)  # 8 per row, 2 rows
    grid = np.asarray(PIL.open(io.BytesIO(many.encoded_image_string)))
    np.testing.assert_array_equal(grid[6:12, 7:14, 0], batch[9, :, :, 0])


def test_add_graph_flush_close_and_bad_input(tmp_path):
    writer = SummaryWriter(tmp_path / "run")
    with pytest.raises(NotImplementedError, match="add_graph is not supported"):
        writer.add_graph(object())
    with pytest.raises(ValueError, match="add_scalar: scalar_value must hold one number"):
        writer.add_scalar("x", np.zeros(3))
    with pytest.raises(ValueError, match="dataformats"):
        writer.add_image("x", np.zeros((2, 2)), dataformats="CHW")
    writer.add_scalar("x", 2.0, 0)
    writer.flush()
    assert [event.value for event in _read(tmp_path / "run").Scalars("x")] == [2.0]
    writer.close()
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(tmp_path / "run"))
    with pytest.raises(RuntimeError, match="closed"):
        writer.add_scalar("x", 1.0)
