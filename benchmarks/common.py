"""What every benchmark row shares: the seed's hyper-parameters, data, models, timer and process harness.

`lenet_train.py` and `models.py` both time one training step per fresh subprocess
(`measure_in_subprocess`), in interleaved rounds, and report medians with min-max.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

# The seed's Net is defined once, in tests/helpers/seed.py (import-free, so no row pulls in another
# framework); the tests build it over functorch_lite and torch, the rows here too.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
from tests.helpers.seed import seed_net  # noqa: E402, F401 - re-exported for the rows

LR, MOMENTUM = 0.001, 0.9  # the seed's SGD
WARMUP_STEPS = 5


def random_batches(batch: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Random 1x32x32 images and int32 labels, one slice per step (the same for every row)."""
    rng = np.random.default_rng(0)
    images = rng.standard_normal((steps, batch, 1, 32, 32), dtype=np.float32)
    labels = rng.integers(0, 10, (steps, batch)).astype(np.int32)
    return images, labels


def throughput(step: Callable[[int], None], batch: int, steps: int) -> float:
    """Samples per second over `steps` calls of `step(i)`, after a few warm-up calls.

    `step` must block until its result is ready (e.g. by reading the loss as a float)."""
    for i in range(WARMUP_STEPS):
        step(i % steps)
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    return steps * batch / (time.perf_counter() - start)


def device_batches(*arrays: np.ndarray) -> tuple[list, ...]:
    """One device array per step for each stacked numpy array, made before timing: indexing a
    stacked jax array inside the loop would add a dispatched slice per step that PyTorch's view
    indexing does not pay."""
    import jax.numpy as jnp

    return tuple([jnp.asarray(x) for x in a] for a in arrays)


def timed_throughput(
    step: Callable[[int], None], batch: int, steps: int, seconds: float, warmup: int = WARMUP_STEPS
) -> float:
    """Samples per second of `step(i)` after `warmup` calls: `steps` calls, or fewer (at least 3)
    once `seconds` have passed. `step` must block until its result is ready."""
    for i in range(warmup):
        step(i % steps)
    start = time.perf_counter()
    done = 0
    while done < steps and (done < 3 or time.perf_counter() - start < seconds):
        step(done)
        done += 1
    return done * batch / (time.perf_counter() - start)


def rss_bytes() -> int:
    """The process's resident set size now (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def reset_peak_rss() -> None:
    """Resets the kernel's peak-RSS mark (VmHWM), so `peak_rss_bytes` covers what follows."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_bytes() -> int:
    """The process's peak resident set size (VmHWM) since start or the last `reset_peak_rss`."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# Variables a benchmark row may set for itself; a worker never inherits them from the caller.
ROW_ONLY_VARIABLES = ("XLA_FLAGS", "MALLOC_ARENA_MAX", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")


def measure_in_subprocess(script: str | Path, worker_args: list[str], env: dict[str, str] | None = None) -> dict:
    """Runs `python script --worker *worker_args` in a fresh process and returns the JSON object
    it prints last. The caller's XLA flags and allocator variables are dropped; `env` adds the row's own."""
    environment = {k: v for k, v in os.environ.items() if k not in ROW_ONLY_VARIABLES}
    environment.update(env or {})
    command = [sys.executable, str(Path(script).resolve()), "--worker", *worker_args]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(script).name}: worker {' '.join(worker_args)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_range(values: list[float]) -> tuple[float, float, float]:
    """(median, min, max) of the values."""
    return float(np.median(values)), float(min(values)), float(max(values))
