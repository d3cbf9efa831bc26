"""OptimizerInfo entries of PyTorch's `optim_db` run against `functorch_lite.optim` (CPU, float32).

For each of the first optimizer configurations, both optimizers take 20 steps on the same two
parameters with the same gradients (a fixed function of the current values, computed in numpy,
so the comparison isolates the update rule), and the parameter trajectories must agree.

Where they do not agree within `TOLERANCE`, a configuration may still pass on accuracy (`judge`):
torch's optimizer runs the same problem in float64, and our float32 trajectory must be as close to
that reference as torch's own float32 trajectory is (within `ACCURACY_FACTOR`). This accepts what
summation order alone moves (float32 dot products summed by another BLAS, amplified by an
ill-conditioned configuration) and still fails a wrong rule, whose error is far above rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

import functorch_lite as ft

from . import common

STEPS = 20
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
# Two float32 implementations that round differently (summation order, fused multiply-adds) are equally
# accurate, but their errors against the exact trajectory are two draws of one size, not one value: measured
# on this harness they differ by up to 1.7x step by step (LBFGS "Tensor lr") and 1.2x where nothing is
# amplified. A factor of 2 (one bit) admits that; a wrong rule (a learning rate off by 1%, a perturbed update)
# errs by orders of magnitude more than rounding, from its first steps on.
ACCURACY_FACTOR = 2.0


def entries() -> list:
    from torch.testing._internal.common_optimizers import optim_db

    return list(optim_db)


def _initial(two_d_only: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    values = [rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3,)).astype(np.float32)]
    return values[:1] if two_d_only else values


def _gradient(value: np.ndarray) -> np.ndarray:
    """The gradient of sum(0.5 * (p - 0.3)**2 + 0.1 * sin(3 p)): smooth, with varying curvature."""
    return ((value - 0.3) + 0.3 * np.cos(3 * value)).astype(value.dtype)


def _loss(values: list[np.ndarray]) -> np.floating:
    total = sum(float(np.sum(0.5 * (v - 0.3) ** 2 + 0.1 * np.sin(3 * v))) for v in values)
    return values[0].dtype.type(total)


def _trajectory(library: Any, optimizer_cls: Any, kwargs: dict, initial: list[np.ndarray]) -> list[list[np.ndarray]]:
    """The parameters after each of `STEPS` steps, in the dtype of `initial` (gradients and loss too)."""
    is_torch = library is torch
    params = [
        torch.nn.Parameter(torch.from_numpy(v.copy())) if is_torch else ft.nn.Parameter(ft.tensor(v)) for v in initial
    ]
    optimizer = optimizer_cls(params, **kwargs)
    takes_closure = any(cls.__name__ == "LBFGS" for cls in optimizer_cls.__mro__)

    def closure():
        values = [np.array(p.detach().numpy(), copy=True) for p in params]
        for p, value in zip(params, values):
            p.grad = library.from_numpy(_gradient(value)) if is_torch else ft.tensor(_gradient(value))
        return library.tensor(_loss(values))

    path = []
    for _ in range(STEPS):
        if takes_closure:
            optimizer.step(closure)
        else:
            closure()
            optimizer.step()
        path.append([np.array(p.detach().numpy(), copy=True) for p in params])
    return path


def _as_float64(value: Any) -> Any:
    """Option values with floating tensors (a Tensor lr) cast to float64, for the reference run."""
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.to(torch.float64)
    if isinstance(value, (list, tuple)):
        return type(value)(_as_float64(item) for item in value)
    if isinstance(value, dict):
        return {key: _as_float64(item) for key, item in value.items()}
    return value


def _running_error(path: list[list[np.ndarray]], reference: list[list[np.ndarray]]) -> np.ndarray:
    """The largest absolute error against `reference` over all parameters and all steps so far, per step."""
    per_step = [
        max(float(np.max(np.abs(value.astype(np.float64) - exact))) for value, exact in zip(step, exact_step))
        for step, exact_step in zip(path, reference)
    ]
    return np.maximum.accumulate(per_step)


def check_accuracy(want: list, have: list, reference: list, what: str) -> str:
    """Asserts `have` is as accurate as `want` (torch's float32 trajectory) against a float64 `reference`.

    Checked at every step on the largest error so far: two trajectories' errors cross and fluctuate
    step by step (noise in the ratio), while the running maximum is steady and still catches a rule that
    goes wrong early, before torch's own error has grown. The allowance never falls below the error of
    the reference rounded to float32, which no float32 trajectory can beat. Returns a note for the report.
    """
    rounded = [[exact.astype(np.float32) for exact in step] for step in reference]
    theirs = np.maximum(_running_error(want, reference), _running_error(rounded, reference))
    ours = _running_error(have, reference)
    for step, (error, allowed) in enumerate(zip(ours, ACCURACY_FACTOR * theirs)):
        if not error <= allowed < np.inf:  # a NaN or an unbounded allowance fails too
            raise AssertionError(
                f"{what} step {step + 1}: error {error:.2e} against torch's float64 trajectory, "
                f"over {ACCURACY_FACTOR:g}x torch's float32 error {allowed / ACCURACY_FACTOR:.2e}"
            )
    return (
        f"{what} passes on accuracy: error {ours[-1]:.2e} against torch's float64 trajectory, "
        f"torch's float32 {theirs[-1]:.2e} ({ACCURACY_FACTOR:g}x allowed)"
    )


def judge(want: list, have: list, reference: Callable[[], list], what: str) -> str | None:
    """Compares `have` with torch's `want` step by step; if they differ, falls back to `check_accuracy`.

    `reference()` runs torch in float64; where it cannot (an option that forbids float64), the float32
    failure stands. Returns None on a plain pass, else the fallback's note.
    """
    try:
        for step, (a, b) in enumerate(zip(want, have)):
            common.compare(a, b, f"{what} step {step + 1}", TOLERANCE)
        return None
    except AssertionError as mismatch:
        try:
            exact = reference()
        except (ValueError, RuntimeError, TypeError) as error:
            raise AssertionError(f"{mismatch} (no float64 reference: {error})") from None
        try:
            return check_accuracy(want, have, exact, what)
        except AssertionError as inaccurate:
            raise AssertionError(f"{mismatch}; float64 fallback: {inaccurate}") from None


def check_input(info: Any, lite_cls: Any, optim_input: Any, index: int) -> str | None:
    if optim_input.params is not None:
        return None  # configurations with their own parameter groups are not run
    initial = _initial(two_d_only=False)
    try:
        want = _trajectory(torch, info.optim_cls, optim_input.kwargs, initial)
    except (ValueError, RuntimeError):  # e.g. Muon takes 2-D parameters only
        initial = _initial(two_d_only=True)
        want = _trajectory(torch, info.optim_cls, optim_input.kwargs, initial)
    have = _trajectory(ft, lite_cls, common.to_lite(optim_input.kwargs), initial)

    def reference() -> list:
        initial64 = [value.astype(np.float64) for value in initial]
        return _trajectory(torch, info.optim_cls, _as_float64(optim_input.kwargs), initial64)

    return judge(want, have, reference, f"config {index} ({optim_input.desc})")


def run_entry(info: Any) -> str | None:
    """Checks the entry's first configurations; returns the notes of those that passed on accuracy."""
    lite_cls = getattr(ft.optim, info.optim_cls.__name__, None)
    if lite_cls is None:
        raise common.Missing(f"no functorch_lite.optim.{info.optim_cls.__name__}")
    configurations = info.optim_inputs_func(device="cpu", dtype=torch.float32)
    notes = [
        check_input(info, lite_cls, optim_input, index)
        for index, optim_input in enumerate(configurations[: common.SAMPLES_PER_ENTRY + 1])
    ]
    return "; ".join(note for note in notes if note) or None


def results(verbose: bool = False) -> Iterator[common.Result]:
    for info in entries():
        yield common.guarded("optims", info.optim_cls.__name__, lambda info=info: run_entry(info), verbose)
