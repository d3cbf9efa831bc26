"""OpInfo entries of PyTorch's `op_db` run against functorch_lite (CPU, float32).

An entry's counterpart is `functorch_lite.<name>` (dotted names resolved as attribute chains),
else the Tensor method `<name>`; entries whose PyTorch callable is a lambda of the test database
run that lambda with `torch` rebound to functorch_lite. Each of the first samples is compared
forward and, where the entry supports autograd, backward; random ops by shape, dtype and distribution.
"""

from __future__ import annotations

import itertools
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

import functorch_lite as ft

from . import common


def entries() -> list:
    from torch.testing._internal.common_methods_invocations import op_db

    return [op for op in op_db if op.supports_dtype(torch.float32, "cpu")]


def entry_name(op: Any) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


# Ops whose values are random (PyTorch's test lambdas often reseed, so two runs can agree) and
# ops that return uninitialised memory (compared by shape and dtype only).
_RANDOM_WORDS = ("rand", "normal", "bernoulli", "multinomial", "dropout", "rrelu", "uniform", "cauchy", "exponential")
_RANDOM_WORDS += ("geometric", "log_normal", "fractional_max_pool")
_UNINITIALISED = ("empty", "empty_like", "new_empty", "empty_strided", "new_empty_strided", "empty_permuted")


def _method(name: str) -> Callable:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, name)(*args, **kwargs)

    return call


def counterpart(op: Any) -> tuple[Callable, bool]:
    """(the functorch_lite callable, whether it is a rebound test-database lambda); Missing if none."""
    function = op.op
    short = op.name.rsplit(".", 1)[-1]
    if function is common.resolve(torch, op.name) or function is getattr(torch.Tensor, op.name, None):
        lite = common.resolve(ft, op.name) if function is not getattr(torch.Tensor, op.name, None) else None
        if lite is not None:
            return lite, False
        if "." not in op.name and hasattr(ft.Tensor, short):
            return _method(short), False
        raise common.Missing(f"no functorch_lite.{op.name} nor Tensor.{short}")
    if isinstance(function, types.FunctionType) and function.__module__.startswith("torch.testing._internal"):
        return common.with_lite_globals(function), True
    raise common.Missing(f"no counterpart for {getattr(function, '__name__', function)!r}")


def _samples(op: Any) -> list:
    samples = op.sample_inputs("cpu", torch.float32, requires_grad=op.supports_autograd)
    return list(itertools.islice(samples, common.SAMPLES_PER_ENTRY))


def _run_torch(op: Any, sample: Any, seed: int) -> Any:
    torch.manual_seed(seed)
    return op.op(sample.input, *sample.args, **sample.kwargs)


def _unseeded(function: Callable, *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


def _copied_leaves(output: Any) -> list:
    """The output's leaves as numpy copies (an in-place op returns the same tensor every time)."""
    return [np.array(common.as_numpy(x)) for x in common.flatten(output)]


def _draws(op: Any, lite_fn: Callable, sample: Any, lite_args: tuple, count: int) -> tuple[list, list]:
    """`count` outputs of torch's op and of ours, each library seeded 0..count-1. The database's
    `wrapper_set_seed` seeds 42 inside every call; while drawing, it leaves `_run_torch`'s seed alone."""
    from torch.testing._internal import common_methods_invocations as database

    original, database.wrapper_set_seed = database.wrapper_set_seed, _unseeded
    theirs, ours = [], []
    try:
        for seed in range(count):
            with torch.no_grad():
                theirs.append(_copied_leaves(_run_torch(op, sample, seed)))
            ft.manual_seed(seed)
            ours.append(_copied_leaves(lite_fn(*lite_args[0], **lite_args[1])))
    finally:
        database.wrapper_set_seed = original
    return theirs, ours


def _equal(a: Any, b: Any) -> bool:
    left, right = common.flatten(a), common.flatten(b)
    if len(left) != len(right):
        return False
    for x, y in zip(left, right):
        x, y = common.as_numpy(x), common.as_numpy(y)
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"):
            return False
    return True


def _process(sample: Any, output: Any, lite: bool) -> Any:
    process = sample.output_process_fn_grad
    if process is None:
        return output
    return common.with_lite_globals(process)(output) if lite else process(output)


def check_sample(op: Any, lite_fn: Callable, sample: Any, index: int) -> None:
    expected = _run_torch(op, sample, 0)
    with torch.no_grad():
        random = any(word in op.name for word in _RANDOM_WORDS) or not _equal(expected, _run_torch(op, sample, 1))
    leaves: list = []
    lite_input = common.to_lite(sample.input, leaves)
    lite_args = common.to_lite(sample.args, leaves)
    lite_kwargs = common.to_lite(sample.kwargs, leaves)
    ft.manual_seed(0)
    got = lite_fn(lite_input, *lite_args, **lite_kwargs)
    what = f"sample {index}"
    if op.name in _UNINITIALISED:
        common.compare_moments(expected, got, what, values=False)
        return
    if random:
        common.compare_moments(expected, got, what, values=False)  # structure, shapes, dtypes
        size = sum(common.as_numpy(leaf).size for leaf in common.flatten(expected))
        count = min(common.MAX_DRAWS, max(1, common.DRAW_ELEMENTS // max(size, 1)))
        if count == 1:
            common.compare_moments(expected, got, what)
            return
        theirs, ours = _draws(op, lite_fn, sample, ((lite_input, *lite_args), lite_kwargs), count)
        common.compare_distributions(theirs, ours, what)
        return
    expected, got = _process(sample, expected, False), _process(sample, got, True)
    common.compare(expected, got, what, common.FORWARD_TOLERANCE)
    torch_leaves = common.torch_leaves([sample.input, sample.args, sample.kwargs], [])
    pairs = common.floating_pairs(expected, got)
    if not (op.supports_autograd and torch_leaves and pairs):
        return
    cotangents = [common.cotangent(tuple(a.shape), seed) for seed, (a, _) in enumerate(pairs)]
    want = torch.autograd.grad(
        [a for a, _ in pairs], torch_leaves, [torch.from_numpy(c) for c in cotangents], allow_unused=True
    )
    for position, (_, b) in enumerate(pairs):
        if not (isinstance(b, ft.Tensor) and b.requires_grad):
            raise AssertionError(f"{what}: output {position} does not require grad")
    have = ft.autograd.grad(
        [b for _, b in pairs], leaves, [ft.tensor(c) for c in cotangents], allow_unused=True, materialize_grads=True
    )
    want = [torch.zeros_like(t) if g is None else g for t, g in zip(torch_leaves, want)]
    common.compare(want, list(have), f"{what} gradient", common.GRAD_TOLERANCE, check_dtype=False)


def run_entry(op: Any) -> None:
    lite_fn, rebound = counterpart(op)
    for index, sample in enumerate(_samples(op)):
        try:
            check_sample(op, lite_fn, sample, index)
        except AttributeError as error:
            if index == 0 and common.is_missing_attribute(error):
                raise common.Missing(str(error)) from None
            raise


def results(verbose: bool = False) -> Iterator[common.Result]:
    for op in entries():
        yield common.guarded("ops", entry_name(op), lambda op=op: run_entry(op), verbose)
