"""Shared machinery of the conformance scoreboard: conversion, comparison, results, time limits.

PyTorch's sample inputs are converted to functorch_lite values (`to_lite`), both libraries run,
and their outputs are flattened to numpy leaves and compared (`compare`). Every entry runs under
`guarded`, which turns any exception or an over-long run into a result line instead of a crash.
"""

from __future__ import annotations

import dataclasses
import signal
import traceback
import types
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import torch

import functorch_lite as ft

FORWARD_TOLERANCE = {"rtol": 1e-4, "atol": 1e-4}
GRAD_TOLERANCE = {"rtol": 1e-3, "atol": 1e-3}
SAMPLES_PER_ENTRY = 4
ENTRY_TIME_LIMIT_S = 120  # a guard against hangs; generous because the CPU may be shared


class Missing(Exception):
    """functorch_lite has no counterpart for the entry (or for a name a sample needs)."""


@dataclasses.dataclass
class Result:
    kind: str  # "ops" | "modules" | "optims"
    name: str
    status: str  # "pass" | "fail" | "missing"
    message: str = ""

    def line(self) -> str:
        text = f"{self.status:7s} {self.kind:7s} {self.name}"
        return f"{text}: {self.message}" if self.message else text


class _Timeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


def guarded(kind: str, name: str, run: Callable[[], str | None], verbose: bool = False) -> Result:
    """Runs one entry; never raises.

    `run` raises Missing, or any error for a failure; a string it returns is a note on how the entry
    passed, shown on its report line.
    """
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(ENTRY_TIME_LIMIT_S)
    try:
        note = run()
        return Result(kind, name, "pass", note if isinstance(note, str) else "")
    except Missing as missing:
        return Result(kind, name, "missing", str(missing))
    except NotImplementedError as error:
        if "cannot be done on JAX" in str(error):  # the library's own out-of-scope error
            return Result(kind, name, "missing", f"out of scope: {error}")
        return Result(kind, name, "fail", f"NotImplementedError: {error}"[:300])
    except _Timeout:
        return Result(kind, name, "fail", f"over the {ENTRY_TIME_LIMIT_S} s time limit")
    except (Exception, RecursionError) as error:  # one bad entry must not stop the report
        message = f"{type(error).__name__}: {error}".strip().replace("\n", " ")
        if verbose:
            message += "\n" + traceback.format_exc()
        return Result(kind, name, "fail", message[:300] if not verbose else message)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def resolve(root: Any, dotted: str) -> Any:
    """`root.a.b.c` for `"a.b.c"`, or None when any part is missing."""
    for part in dotted.split("."):
        root = getattr(root, part, None)
        if root is None:
            return None
    return root


def is_missing_attribute(error: BaseException) -> bool:
    """An AttributeError raised because functorch_lite lacks a name (not a bug inside an op)."""
    if not isinstance(error, AttributeError):
        return False
    text = str(error)
    markers = ("functorch_lite", "'Tensor' object has no attribute", "type object 'Tensor'", "'Parameter' object")
    return any(marker in text for marker in markers)


def lite_dtype(dtype: torch.dtype) -> Any:
    name = str(dtype).removeprefix("torch.")
    value = getattr(ft, name, None)
    if value is None:
        raise Missing(f"dtype torch.{name}")
    return value


def to_lite(obj: Any, leaves: list | None = None, _seen: dict | None = None) -> Any:
    """A PyTorch sample value as a functorch_lite one; grad-requiring tensors are appended to `leaves`.

    A tensor passed twice (e.g. the same object as input and target) becomes one functorch_lite tensor,
    appended to `leaves` at each place, as `torch_leaves` lists it; a torch module passed as an argument
    (a Transformer stack's layer) becomes the equivalent functorch_lite module with the same weights.
    """
    seen = {} if _seen is None else _seen
    if isinstance(obj, torch.Tensor):
        if id(obj) in seen:
            tensor = seen[id(obj)]
        else:
            if obj.layout != torch.strided:
                raise Missing(f"layout {obj.layout}")
            array = torch_numpy(obj)
            tensor = seen[id(obj)] = ft.Tensor._wrap(jax.numpy.asarray(array))
            if obj.requires_grad:
                tensor.requires_grad_(True)
        if obj.requires_grad and leaves is not None:
            leaves.append(tensor)
        return tensor
    if isinstance(obj, torch.nn.Module):
        return _lite_module(obj)
    if isinstance(obj, torch.dtype):
        return lite_dtype(obj)
    if isinstance(obj, torch.Size):
        return tuple(obj)
    if isinstance(obj, torch.device):
        return str(obj)
    if isinstance(obj, torch.memory_format):
        name = str(obj).removeprefix("torch.")
        if not hasattr(ft, name):
            raise Missing(f"torch.{name}")
        return getattr(ft, name)
    if isinstance(obj, torch.layout):
        name = str(obj).removeprefix("torch.")
        if not hasattr(ft, name):
            raise Missing(f"torch.{name}")
        return getattr(ft, name)
    if isinstance(obj, torch.Generator):
        raise Missing("torch.Generator arguments")
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(to_lite(item, leaves, seen) for item in obj)
    if isinstance(obj, dict):
        return {key: to_lite(value, leaves, seen) for key, value in obj.items()}
    return obj


def _transformer_layer_options(layer: torch.nn.Module) -> dict:
    return dict(
        d_model=layer.self_attn.embed_dim,
        nhead=layer.self_attn.num_heads,
        dim_feedforward=layer.linear1.out_features,
        dropout=layer.dropout.p,
        activation=layer.activation,
        layer_norm_eps=layer.norm1.eps,
        batch_first=layer.self_attn.batch_first,
        norm_first=layer.norm_first,
        bias=layer.linear1.bias is not None,
    )


# Constructor options of torch modules that samples pass as arguments, read back from the module.
_MODULE_OPTIONS = {
    "TransformerEncoderLayer": _transformer_layer_options,
    "TransformerDecoderLayer": _transformer_layer_options,
    "LayerNorm": lambda m: dict(
        normalized_shape=tuple(m.normalized_shape), eps=m.eps, elementwise_affine=m.elementwise_affine,
        bias=m.bias is not None,
    ),
    "PairwiseDistance": lambda m: dict(p=m.norm, eps=m.eps, keepdim=m.keepdim),
}  # fmt: skip


def _lite_module(module: torch.nn.Module) -> Any:
    """The functorch_lite module equivalent to a torch module passed as an argument, with its weights."""
    name = type(module).__name__
    lite_cls, options = getattr(ft.nn, name, None), _MODULE_OPTIONS.get(name)
    if lite_cls is None or options is None:
        raise Missing(f"a torch.nn.{name} argument")
    lite = lite_cls(**options(module))
    lite.load_state_dict({key: to_lite(value) for key, value in module.state_dict().items()})
    return lite.train(module.training)


def torch_leaves(obj: Any, out: list) -> list:
    """Tensors in `obj` that require grad, in the order `to_lite` visits them."""
    if isinstance(obj, torch.Tensor):
        if obj.requires_grad:
            out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            torch_leaves(item, out)
    elif isinstance(obj, dict):
        for value in obj.values():
            torch_leaves(value, out)
    return out


def flatten(obj: Any) -> list:
    """Output leaves (tensors, numbers, bools) in order; containers and namedtuples flattened."""
    if isinstance(obj, (list, tuple)):
        return [leaf for item in obj for leaf in flatten(item)]
    return [obj]


def torch_numpy(value: torch.Tensor) -> np.ndarray:
    """A strided torch tensor as numpy; bfloat16 (which torch's `.numpy()` refuses) as ml_dtypes' bfloat16."""
    value = value.detach().cpu().resolve_conj().resolve_neg()
    if value.dtype == torch.bfloat16:
        return value.float().numpy().astype(jax.numpy.bfloat16)  # exact: every bfloat16 is a float32
    return value.numpy()


def as_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        if value.layout != torch.strided:
            raise Missing(f"{value.layout} outputs: sparse layouts are out of scope on JAX")
        if value._is_zerotensor():
            value = torch.zeros(value.shape, dtype=value.dtype)
        return torch_numpy(value)
    if isinstance(value, ft.Tensor):
        return np.asarray(value.detach())
    return np.asarray(value)


def _same_dtype(expected: np.dtype, got: np.dtype) -> bool:
    return np.dtype(jax.dtypes.canonicalize_dtype(expected)) == np.dtype(got)


def compare(expected: Any, got: Any, what: str, tolerance: dict, check_dtype: bool = True) -> None:
    """Asserts that two outputs have the same structure, shapes, dtypes and values."""
    want, have = flatten(expected), flatten(got)
    if len(want) != len(have):
        raise AssertionError(f"{what}: {len(want)} outputs expected, got {len(have)}")
    for index, (a, b) in enumerate(zip(want, have)):
        if a is None or b is None:
            if (a is None) != (b is None):
                raise AssertionError(f"{what}[{index}]: expected {type(a).__name__}, got {type(b).__name__}")
            continue
        left, right = as_numpy(a), as_numpy(b)
        if left.shape != right.shape:
            raise AssertionError(f"{what}[{index}]: shape {left.shape} expected, got {right.shape}")
        if check_dtype and isinstance(a, torch.Tensor) and not _same_dtype(left.dtype, right.dtype):
            raise AssertionError(f"{what}[{index}]: dtype {left.dtype} expected, got {right.dtype}")
        if left.dtype.kind in "fc" or right.dtype.kind in "fc":
            np.testing.assert_allclose(right, left, equal_nan=True, err_msg=f"{what}[{index}]", **tolerance)
        else:
            np.testing.assert_array_equal(right, left, err_msg=f"{what}[{index}]")


def compare_moments(expected: Any, got: Any, what: str, values: bool = True) -> None:
    """Random outputs: same structure, shapes and dtypes; means and spreads roughly alike."""
    want, have = flatten(expected), flatten(got)
    if len(want) != len(have):
        raise AssertionError(f"{what}: {len(want)} outputs expected, got {len(have)}")
    for index, (a, b) in enumerate(zip(want, have)):
        left, right = as_numpy(a), as_numpy(b)
        if left.shape != right.shape:
            raise AssertionError(f"{what}[{index}]: shape {left.shape} expected, got {right.shape}")
        if isinstance(a, torch.Tensor) and not _same_dtype(left.dtype, right.dtype):
            raise AssertionError(f"{what}[{index}]: dtype {left.dtype} expected, got {right.dtype}")
        if not values or left.size < 2 or left.dtype.kind not in "fiub":
            continue
        l64, r64 = left.astype(np.float64), right.astype(np.float64)
        scale = max(float(np.std(l64)), float(np.std(r64)), 1e-6)
        # Sample sizes are small: allow 5 standard errors of the mean, and a factor of 2 in spread.
        if abs(np.mean(l64) - np.mean(r64)) > 5 * scale / np.sqrt(left.size) + 1e-6:
            raise AssertionError(f"{what}[{index}]: mean {np.mean(r64):.4g}, PyTorch's {np.mean(l64):.4g}")
        sl, sr = float(np.std(l64)), float(np.std(r64))
        if not (sl == sr == 0 or 0.5 <= (sr + 1e-6) / (sl + 1e-6) <= 2.0):
            raise AssertionError(f"{what}[{index}]: std {sr:.4g}, PyTorch's {sl:.4g}")


# Random ops: each library draws until it has about DRAW_ELEMENTS values per output (at most MAX_DRAWS calls,
# each seeded apart), and every output element's draws are compared by a two-sample Kolmogorov-Smirnov test at
# DRAW_ALPHA (small: an entry makes a few hundred tests). Draws are independent; the elements of one draw need
# not be (channel dropout drops a channel's elements together), so elements are never pooled. With 64 draws
# this sees a shifted location or another support, not a spread off by less than ~10x
# (tests/conformance/test_floors.py). An output drawn once (it is large) is compared by `compare_moments`.
DRAW_ELEMENTS = 4096
MAX_DRAWS = 64
DRAW_ALPHA = 1e-6


def _ks(x: np.ndarray, y: np.ndarray, what: str) -> None:
    from scipy.stats import ks_2samp

    x, y = np.sort(x[~np.isnan(x)]), np.sort(y[~np.isnan(y)])
    if x.shape == y.shape and np.allclose(x, y, **FORWARD_TOLERANCE):  # the same values (a deterministic output)
        return
    result = ks_2samp(x, y, method="asymp")
    if result.pvalue < DRAW_ALPHA:
        raise AssertionError(
            f"{what}: not PyTorch's distribution over {x.size} draws (Kolmogorov-Smirnov p={result.pvalue:.2g}; "
            f"mean {np.mean(y):.4g}, PyTorch's {np.mean(x):.4g}; std {np.std(y):.4g}, PyTorch's {np.std(x):.4g})"
        )


def compare_distributions(theirs: list, ours: list, what: str) -> None:
    """Random outputs, as numpy leaves per draw (two or more): per element, the same distribution over the draws."""
    for index, (left, right) in enumerate(zip(zip(*theirs), zip(*ours))):
        if left[0].dtype.kind not in "fiub":
            continue
        a, b = np.stack(left).astype(np.float64), np.stack(right).astype(np.float64)
        if a.size == 0:
            continue
        if np.isnan(a).mean() != np.isnan(b).mean():
            raise AssertionError(
                f"{what}[{index}]: NaN in {np.isnan(b).mean():.0%} of draws, PyTorch's {np.isnan(a).mean():.0%}"
            )
        a, b = a.reshape(len(left), -1).T, b.reshape(len(right), -1).T
        for element, (x, y) in enumerate(zip(a, b)):
            _ks(x, y, f"{what}[{index}] element {element}")


def floating_pairs(expected: Any, got: Any) -> list[tuple[torch.Tensor, Any]]:
    """Pairs (torch output, lite output) of floating outputs that carry a gradient."""
    pairs = []
    for a, b in zip(flatten(expected), flatten(got)):
        if isinstance(a, torch.Tensor) and a.requires_grad and a.dtype.is_floating_point:
            pairs.append((a, b))
    return pairs


def cotangent(shape: tuple, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def with_lite_globals(function: Callable) -> Callable:
    """A copy of a test-database lambda whose `torch` (and `F`) mean functorch_lite."""
    if not isinstance(function, types.FunctionType):
        return function
    names = dict(function.__globals__)
    names["torch"] = ft
    names["F"] = ft.nn.functional
    copy = types.FunctionType(function.__code__, names, function.__name__, function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    return copy
