"""ModuleInfo entries of PyTorch's `module_db` run against `functorch_lite.nn` (CPU, float32).

For each of the first module inputs, both modules are built from the same constructor arguments,
the functorch_lite one loads the PyTorch module's `state_dict`, and the two are compared on the
forward output, on the gradients of the inputs and parameters, and on the buffers after the call
(running statistics). Random modules (dropout in training mode) are compared by moments.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import torch

import functorch_lite as ft

from . import common


def entries() -> list:
    from torch.testing._internal.common_modules import module_db

    return [info for info in module_db if "Lazy" not in info.module_cls.__name__]


def _is_random(module: torch.nn.Module, args: tuple, kwargs: dict) -> bool:
    outputs = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        with torch.no_grad():
            outputs.append(copy.deepcopy(module)(*args, **kwargs))
    left, right = common.flatten(outputs[0]), common.flatten(outputs[1])
    return any(
        isinstance(a, torch.Tensor) and not torch.equal(a.nan_to_num(), b.nan_to_num()) for a, b in zip(left, right)
    )


def check_input(info: Any, lite_cls: Any, module_input: Any, index: int) -> None:
    what = f"input {index}"
    constructor, forward = module_input.constructor_input, module_input.forward_input
    torch.manual_seed(0)
    module = info.module_cls(*constructor.args, **constructor.kwargs).to(torch.float32)
    lite = lite_cls(*common.to_lite(constructor.args), **common.to_lite(constructor.kwargs))
    lite.load_state_dict({key: common.to_lite(value) for key, value in module.state_dict().items()})
    random = _is_random(module, forward.args, forward.kwargs)
    expected = module(*forward.args, **forward.kwargs)
    leaves: list = []
    got = lite(*common.to_lite(forward.args, leaves), **common.to_lite(forward.kwargs, leaves))
    if random:
        common.compare_moments(expected, got, what)
        return
    common.compare(expected, got, what, common.FORWARD_TOLERANCE)
    state, lite_state = module.state_dict(), lite.state_dict()
    common.compare([state[k] for k in state], [lite_state[k] for k in state], f"{what} state", common.FORWARD_TOLERANCE)
    pairs = common.floating_pairs(expected, got)
    names = [name for name, p in module.named_parameters() if p.requires_grad]
    torch_leaves = common.torch_leaves([forward.args, forward.kwargs], []) + [module.get_parameter(n) for n in names]
    if not pairs or not torch_leaves:
        return
    lite_parameters = dict(lite.named_parameters())
    leaves += [lite_parameters[n] for n in names]
    cotangents = [common.cotangent(tuple(a.shape), seed) for seed, (a, _) in enumerate(pairs)]
    want = torch.autograd.grad(
        [a for a, _ in pairs], torch_leaves, [torch.from_numpy(c) for c in cotangents], allow_unused=True
    )
    have = ft.autograd.grad(
        [b for _, b in pairs], leaves, [ft.tensor(c) for c in cotangents], allow_unused=True, materialize_grads=True
    )
    want = [torch.zeros_like(t) if g is None else g for t, g in zip(torch_leaves, want)]
    common.compare(want, list(have), f"{what} gradient", common.GRAD_TOLERANCE, check_dtype=False)


def run_entry(info: Any) -> None:
    lite_cls = common.resolve(ft, info.name)
    if lite_cls is None:
        raise common.Missing(f"no functorch_lite.{info.name}")
    inputs = info.module_inputs_func(info, device="cpu", dtype=torch.float32, requires_grad=True, training=True)
    for index, module_input in enumerate(inputs[: common.SAMPLES_PER_ENTRY]):
        check_input(info, lite_cls, module_input, index)


def results(verbose: bool = False) -> Iterator[common.Result]:
    for info in entries():
        yield common.guarded("modules", info.name, lambda info=info: run_entry(info), verbose)
