"""`SummaryWriter`: scalars, histograms and images as TensorBoard events, through the `tensorboard` package.

Values may be the library's Tensors, jax or numpy arrays, or Python numbers: all
are read through `numpy.asarray`, so this edge never imports the Tensor layer.
"""

from __future__ import annotations

import io
import os
import socket
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np


def _tensorboard() -> tuple[Any, Any, Any]:
    try:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as error:
        raise ImportError(
            "SummaryWriter: needs the tensorboard package; pip install tensorboard "
            "(or pip install functorch-lite[tensorboard])"
        ) from error
    return EventFileWriter, Event, (Summary, HistogramProto)


def _default_bins() -> np.ndarray:
    """TensorFlow's histogram edges (PyTorch's bins='tensorflow'): +-1e-12 * 1.1**k up to 1e20, and 0."""
    positive = 1e-12 * 1.1 ** np.arange(int(np.ceil(np.log(1e32) / np.log(1.1))))
    positive = positive[positive < 1e20]
    return np.concatenate([-positive[::-1], [0.0], positive])


def _as_numpy(value: Any, what: str) -> np.ndarray:
    try:
        return np.asarray(value)
    except Exception as error:  # a Tensor that requires grad raises; say what to do
        raise TypeError(f"SummaryWriter.{what}: cannot read the value as an array ({error}); pass .detach()") from error


def _to_hwc(image: np.ndarray, dataformats: str) -> np.ndarray:
    dataformats = dataformats.upper()
    if sorted(dataformats) not in (sorted("CHW"), sorted("HW"), sorted("HWC")) or image.ndim != len(dataformats):
        raise ValueError(
            f"SummaryWriter.add_image: dataformats {dataformats!r} does not fit an image of shape {image.shape} "
            "(use CHW, HWC or HW)"
        )
    if len(dataformats) == 2:
        image = image.transpose([dataformats.index(axis) for axis in "HW"])
        return np.stack([image] * 3, axis=2)
    image = image.transpose([dataformats.index(axis) for axis in "HWC"])
    return np.concatenate([image] * 3, axis=2) if image.shape[2] == 1 else image


def _tile(images: np.ndarray, columns: int = 8) -> np.ndarray:
    """N CHW images side by side, `columns` per row, no padding (PyTorch's TensorBoard grid)."""
    if images.shape[1] == 1:
        images = np.concatenate([images] * 3, axis=1)
    count, channels, height, width = images.shape
    columns = min(count, columns)
    rows = int(np.ceil(count / columns))
    canvas = np.zeros((channels, height * rows, width * columns), dtype=images.dtype)
    for index in range(count):
        y, x = divmod(index, columns)
        canvas[:, y * height : (y + 1) * height, x * width : (x + 1) * width] = images[index]
    return canvas


class SummaryWriter:
    """Writes TensorBoard event files under `log_dir` (default `runs/<date>_<host><comment>`)."""

    def __init__(
        self,
        log_dir: str | os.PathLike | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
    ):
        self._EventFileWriter, self._Event, (self._Summary, self._HistogramProto) = _tensorboard()
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self.purge_step, self.max_queue, self.flush_secs = purge_step, max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self._writer = self._EventFileWriter(self.log_dir, max_queue, flush_secs, filename_suffix)
        self._scalar_writers: dict[str, Any] = {}
        self._closed = False
        if purge_step is not None:  # TensorBoard drops later events of an earlier run from this step on
            self._writer.add_event(self._Event(step=purge_step, file_version="brain.Event:2"))

    def get_logdir(self) -> str:
        return self.log_dir

    def _add(self, summary: Any, global_step: int | None, walltime: float | None, writer: Any = None) -> None:
        if self._closed:
            raise RuntimeError("SummaryWriter: the writer is closed")
        event = self._Event(summary=summary, wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            event.step = int(global_step)
        (writer or self._writer).add_event(event)

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Logs one number under `tag` at `global_step`."""
        value = _as_numpy(scalar_value, "add_scalar")
        if value.size != 1:
            raise ValueError(f"SummaryWriter.add_scalar: scalar_value must hold one number, got shape {value.shape}")
        self._add(self._scalar_summary(tag, float(value.reshape(()))), global_step, walltime)

    def _scalar_summary(self, tag: str, value: float) -> Any:
        return self._Summary(value=[self._Summary.Value(tag=tag, simple_value=value)])

    def add_scalars(
        self, main_tag: str, tag_scalar_dict: Mapping[str, Any], global_step: int | None = None, walltime=None
    ) -> None:
        """Logs several curves on one chart: one sub-run `log_dir/<main_tag>_<tag>` per key, as PyTorch."""
        if not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(
                f"SummaryWriter.add_scalars: tag_scalar_dict must be a dict, got {type(tag_scalar_dict).__name__}"
            )
        walltime = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            run = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{tag}")
            if run not in self._scalar_writers:
                self._scalar_writers[run] = self._EventFileWriter(
                    run, self.max_queue, self.flush_secs, self.filename_suffix
                )
            number = float(_as_numpy(value, "add_scalars").reshape(()))
            self._add(self._scalar_summary(main_tag, number), global_step, walltime, self._scalar_writers[run])

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: int | None = None,
        bins: Any = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Logs the distribution of `values`; `bins` as numpy.histogram's, or "tensorflow" (PyTorch's default)."""
        array = _as_numpy(values, "add_histogram").astype(np.float64).reshape(-1)
        if array.size == 0:
            raise ValueError("SummaryWriter.add_histogram: the input has no element")
        if not np.all(np.isfinite(array)):
            raise ValueError("SummaryWriter.add_histogram: values hold NaN or infinity")
        counts, limits = np.histogram(array, bins=_default_bins() if bins == "tensorflow" else bins)
        if max_bins is not None and len(counts) > max_bins:
            group = int(np.ceil(len(counts) / max_bins))
            pad = (-len(counts)) % group
            counts = np.pad(counts, (0, pad)).reshape(-1, group).sum(axis=1)
            limits = np.concatenate([limits[:-1:group], limits[-1:]])
        used = np.flatnonzero(counts)
        start, end = used[0], used[-1] + 1
        # One empty bucket ending at the first used edge gives TensorBoard the left boundary.
        histogram = self._HistogramProto(
            min=float(array.min()),
            max=float(array.max()),
            num=int(array.size),
            sum=float(array.sum()),
            sum_squares=float(np.dot(array, array)),
            bucket_limit=[float(limit) for limit in limits[start : end + 1]],
            bucket=[0.0] + [float(count) for count in counts[start:end]],
        )
        self._add(self._Summary(value=[self._Summary.Value(tag=tag, histo=histogram)]), global_step, walltime)

    def add_image(
        self, tag: str, img_tensor: Any, global_step: int | None = None, walltime=None, dataformats: str = "CHW"
    ) -> None:
        """Logs one image (floats in [0, 1] or uint8), encoded as PNG."""
        image = _to_hwc(_as_numpy(img_tensor, "add_image"), dataformats)
        if image.dtype != np.uint8:
            image = (np.clip(image.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        try:
            from PIL import Image
        except ImportError as error:
            raise ImportError("SummaryWriter.add_image: needs Pillow to encode PNG; pip install pillow") from error
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        encoded = self._Summary.Image(
            height=image.shape[0],
            width=image.shape[1],
            colorspace=image.shape[2],
            encoded_image_string=buffer.getvalue(),
        )
        self._add(self._Summary(value=[self._Summary.Value(tag=tag, image=encoded)]), global_step, walltime)

    def add_images(
        self, tag: str, img_tensor: Any, global_step: int | None = None, walltime=None, dataformats: str = "NCHW"
    ) -> None:
        """Logs a batch of images as one grid, 8 per row."""
        images = _as_numpy(img_tensor, "add_images")
        dataformats = dataformats.upper()
        if sorted(dataformats) != sorted("NCHW") or images.ndim != 4:
            raise ValueError(
                f"SummaryWriter.add_images: dataformats {dataformats!r} does not fit images of shape {images.shape} "
                "(use NCHW or NHWC)"
            )
        images = images.transpose([dataformats.index(axis) for axis in "NCHW"])
        self.add_image(tag, _tile(images), global_step, walltime, dataformats="CHW")

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False, use_strict_trace=True) -> None:
        raise NotImplementedError(
            "SummaryWriter.add_graph is not supported: it draws a TorchScript trace, which functorch_lite "
            "does not have; print(model) shows the structure, jax.jit(...).lower(...).as_text() the compiled program"
        )

    def flush(self) -> None:
        """Writes pending events to disk."""
        for writer in (self._writer, *self._scalar_writers.values()):
            writer.flush()

    def close(self) -> None:
        """Flushes and closes every event file; further `add_*` calls raise."""
        if self._closed:
            return
        for writer in (self._writer, *self._scalar_writers.values()):
            writer.flush()
            writer.close()
        self._closed = True

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
