"""OptimizerInfo entries of PyTorch's `optim_db` run against `functorch_lite.optim` (CPU, float32).

For each of the first optimizer configurations, both optimizers take 20 steps on the same two
parameters with the same gradients (a fixed function of the current values, computed in numpy,
so the comparison isolates the update rule), and the parameter trajectories must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

import functorch_lite as ft

from . import common

STEPS = 20
TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def entries() -> list:
    from torch.testing._internal.common_optimizers import optim_db

    return list(optim_db)


def _initial(two_d_only: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    values = [rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3,)).astype(np.float32)]
    return values[:1] if two_d_only else values


def _gradient(value: np.ndarray) -> np.ndarray:
    """The gradient of sum(0.5 * (p - 0.3)**2 + 0.1 * sin(3 p)): smooth, with varying curvature."""
    return ((value - 0.3) + 0.3 * np.cos(3 * value)).astype(np.float32)


def _loss(values: list[np.ndarray]) -> np.float32:
    return np.float32(sum(float(np.sum(0.5 * (v - 0.3) ** 2 + 0.1 * np.sin(3 * v))) for v in values))


def _trajectory(library: Any, optimizer_cls: Any, kwargs: dict, initial: list[np.ndarray]) -> list[list[np.ndarray]]:
    is_torch = library is torch
    params = [
        torch.nn.Parameter(torch.from_numpy(v.copy())) if is_torch else ft.nn.Parameter(ft.tensor(v)) for v in initial
    ]
    optimizer = optimizer_cls(params, **kwargs)

    def closure():
        values = [np.array(p.detach().numpy(), copy=True) for p in params]
        for p, value in zip(params, values):
            p.grad = library.from_numpy(_gradient(value)) if is_torch else ft.tensor(_gradient(value))
        return library.tensor(_loss(values))

    path = []
    for _ in range(STEPS):
        if optimizer_cls.__name__ == "LBFGS":
            optimizer.step(closure)
        else:
            closure()
            optimizer.step()
        path.append([np.array(p.detach().numpy(), copy=True) for p in params])
    return path


def check_input(info: Any, lite_cls: Any, optim_input: Any, index: int) -> None:
    if optim_input.params is not None:
        return  # configurations with their own parameter groups are not run
    initial = _initial(two_d_only=False)
    try:
        want = _trajectory(torch, info.optim_cls, optim_input.kwargs, initial)
    except (ValueError, RuntimeError):  # e.g. Muon takes 2-D parameters only
        initial = _initial(two_d_only=True)
        want = _trajectory(torch, info.optim_cls, optim_input.kwargs, initial)
    have = _trajectory(ft, lite_cls, common.to_lite(optim_input.kwargs), initial)
    for step, (a, b) in enumerate(zip(want, have)):
        common.compare(a, b, f"config {index} ({optim_input.desc}) step {step + 1}", TOLERANCE)


def run_entry(info: Any) -> None:
    lite_cls = getattr(ft.optim, info.optim_cls.__name__, None)
    if lite_cls is None:
        raise common.Missing(f"no functorch_lite.optim.{info.optim_cls.__name__}")
    configurations = info.optim_inputs_func(device="cpu", dtype=torch.float32)
    for index, optim_input in enumerate(configurations[: common.SAMPLES_PER_ENTRY + 1]):
        check_input(info, lite_cls, optim_input, index)


def results(verbose: bool = False) -> Iterator[common.Result]:
    for info in entries():
        yield common.guarded("optims", info.optim_cls.__name__, lambda info=info: run_entry(info), verbose)
