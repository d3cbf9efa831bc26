"""`torch.utils.benchmark`'s `Timer` and `Measurement`, timing JAX's asynchronous dispatch correctly.

JAX returns from an op before the device has computed it, so timing only the Python call
measures dispatch, not work. Each timed block here ends by waiting for the statement's
result (every array or Tensor in what an expression statement returns) and for every
live JAX array (what statements such as `y = f(x)` or `loss.backward()` produced), as
PyTorch's timer synchronises CUDA around each block. A block is `number` runs of `stmt`
after one run of `setup`; `blocked_autorange` grows `number` until a block is long
enough to measure, then repeats blocks for at least `min_run_time` seconds.
"""

from __future__ import annotations

import statistics
import textwrap
import timeit as _timeit
from collections.abc import Callable
from typing import Any

import jax

__all__ = ["Timer", "Measurement"]


def _synchronize(result: Any) -> None:
    """Waits for `result`'s arrays and every live JAX array: the work the timed block queued."""
    arrays = [leaf for leaf in jax.tree.leaves(result) if isinstance(leaf, jax.Array)]
    jax.block_until_ready(arrays + jax.live_arrays())


class Measurement:
    """Times of one `Timer` call: `raw_times` per block of `number_per_run` runs; `times` per run."""

    def __init__(
        self, number_per_run: int, raw_times: list[float], stmt: str, setup: str = "pass", **labels: Any
    ) -> None:
        self.number_per_run, self.raw_times = number_per_run, list(raw_times)
        self.stmt, self.setup = stmt, setup
        self.label, self.sub_label = labels.get("label"), labels.get("sub_label")
        self.description, self.env, self.num_threads = labels.get("description"), labels.get("env"), 1

    @property
    def times(self) -> list[float]:
        """Seconds per run, one entry per block."""
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def iqr(self) -> float:
        if len(self.times) < 2:
            return 0.0
        low, _, high = statistics.quantiles(self.times, n=4, method="inclusive")
        return high - low

    @property
    def title(self) -> str:
        if self.label is not None:
            return self.label + (f": {self.sub_label}" if self.sub_label else "")
        return self.stmt

    def __repr__(self) -> str:
        unit, scale = _unit(self.median)
        lines = [f"<{type(self).__module__}.{type(self).__name__} object at {id(self):#x}>", self.title]
        if self.description:
            lines.append(self.description)
        if self.setup != "pass":
            lines.append(f"setup: {self.setup}")
        count = len(self.times)
        if count == 1:
            lines.append(f"  {self.median / scale:.2f} {unit}")
            lines.append(f"  1 measurement, {self.number_per_run} runs , {self.num_threads} thread")
        else:
            low, _, high = statistics.quantiles(self.times, n=4, method="inclusive")
            lines.append(f"  Median: {self.median / scale:.2f} {unit}")
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} ({low / scale:.2f} to {high / scale:.2f})")
            lines.append(f"  {count} measurements, {self.number_per_run} runs per measurement, 1 thread")
        return "\n".join(lines)

    __str__ = __repr__


def _unit(seconds: float) -> tuple[str, float]:
    for unit, scale in (("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3)):
        if seconds < scale * 1000:
            return unit, scale
    return "s", 1.0


class Timer:
    """Times `stmt` (a string of Python, run in `globals`) like `torch.utils.benchmark.Timer`.

    `timer` is the clock (`timeit.default_timer`); `label`, `sub_label`, `description`
    and `env` only label the Measurement. `num_threads` other than 1 is refused: XLA
    sizes its own thread pool.
    """

    def __init__(
        self,
        stmt: str = "pass",
        setup: str = "pass",
        global_setup: str = "",
        timer: Callable[[], float] = _timeit.default_timer,
        globals: dict[str, Any] | None = None,  # noqa: A002 - PyTorch's keyword
        label: str | None = None,
        sub_label: str | None = None,
        description: str | None = None,
        env: str | None = None,
        num_threads: int = 1,
        language: Any = None,
    ) -> None:
        for name, value in (("stmt", stmt), ("setup", setup), ("global_setup", global_setup)):
            if not isinstance(value, str):
                raise TypeError(f"Timer: {name} must be a string of Python code, got {type(value).__name__}")
        if num_threads != 1:
            raise ValueError(f"Timer: num_threads={num_threads} is not supported; XLA sizes its own thread pool")
        if language not in (None, "py", "python") and getattr(language, "name", None) != "PYTHON":
            raise ValueError(f"Timer: only Python statements can be timed, got language={language!r}")
        self._stmt, self._setup, self._timer = textwrap.dedent(stmt).strip() or "pass", textwrap.dedent(setup), timer
        self._labels = {"label": label, "sub_label": sub_label, "description": description, "env": env}
        self._globals = dict(globals or {})
        if global_setup:
            exec(compile(textwrap.dedent(global_setup), "<global_setup>", "exec"), self._globals)
        self._inner = self._compile()

    def _compile(self) -> Callable[..., float]:
        try:
            compile(self._stmt, "<stmt>", "eval")
            body = f"_out = {self._stmt}"
        except SyntaxError:
            body = f"{self._stmt}\n_out = None"
        source = (
            "def _inner(_number, _timer, _synchronize):\n"
            f"{textwrap.indent(self._setup, '    ')}\n"
            "    _out = None\n"
            "    _synchronize(None)\n"
            "    _start = _timer()\n"
            "    for _ in range(_number):\n"
            f"{textwrap.indent(body, '        ')}\n"
            "    _synchronize(_out)\n"
            "    return _timer() - _start\n"
        )
        namespace = self._globals
        exec(compile(source, "<timer>", "exec"), namespace)
        return namespace.pop("_inner")

    def _time_block(self, number: int) -> float:
        return self._inner(number, self._timer, _synchronize)

    def _measurement(self, number: int, times: list[float]) -> Measurement:
        return Measurement(number, times, self._stmt, self._setup.strip() or "pass", **self._labels)

    def timeit(self, number: int = 1000000) -> Measurement:
        """One block of `number` runs (after one warm-up run, which compiles what JAX will compile)."""
        self._time_block(1)
        return self._measurement(number, [self._time_block(number)])

    def repeat(self, repeat: int = -1, number: int = -1) -> None:
        raise NotImplementedError("Timer.repeat: not implemented in PyTorch either; use blocked_autorange")

    def blocked_autorange(
        self, callback: Callable[[int, float], None] | None = None, min_run_time: float = 0.2
    ) -> Measurement:
        """Blocks of a size found by growing `number` tenfold, repeated for at least `min_run_time` seconds."""
        self._time_block(1)  # warm-up: JAX compiles on the first call
        number = self._block_size(min_run_time)
        times, total = [], 0.0
        while total < min_run_time or not times:
            elapsed = self._time_block(number)
            total += elapsed
            times.append(elapsed)
            if callback is not None:
                callback(number, elapsed)
        return self._measurement(number, times)

    def _block_size(self, min_run_time: float) -> int:
        overhead = statistics.median(self._time_block(0) for _ in range(5))
        number = 1
        while True:
            elapsed = self._time_block(number)
            if (overhead <= 1e-4 * elapsed and elapsed >= min_run_time / 1000) or elapsed > min_run_time:
                return number
            if number * 10 > 500_000_000:
                return number
            number *= 10

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01, **kwargs: Any) -> Measurement:
        """Here the same as `blocked_autorange(min_run_time=...)`."""
        return self.blocked_autorange(min_run_time=min_run_time)
