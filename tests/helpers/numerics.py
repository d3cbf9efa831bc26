"""Tolerance policies and the comparisons every test uses: one `assert_close`, one `assert_bitwise`.

A policy names a pair (rtol, atol) and says why it is that loose; a test picks the policy whose
reason matches what it compares instead of writing numbers. `check_vs_torch` runs a functional op
in jax and in real PyTorch from the same numpy inputs and compares outputs and vector-Jacobian
products.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import jax
import numpy as np
import pytest

torch = pytest.importorskip("torch")


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """Passes where `|actual - expected| <= atol' + rtol * |expected|`.

    atol' is `atol`, or `atol * max(1, max|expected|)` where `scaled`.
    """

    rtol: float
    atol: float
    scaled: bool = False
    reason: str = ""


FLOAT32_OP = Tolerance(1e-5, 1e-5, reason="one float32 op against torch: the two round the last bits differently")
FLOAT32_RELATIVE = Tolerance(1e-5, 0.0, reason="exact zeros and copies in float32: no absolute floor to hide behind")
FLOAT32_MODEL = Tolerance(
    1e-5, 1e-6, reason="a float32 model's forward or an optimizer's trajectory: same ops in the same order as torch"
)
FLOAT32_REDUCTION = Tolerance(
    1e-5, 1e-4, reason="float32 ops that reduce over a batch or a window (norms, convs, loss means): long sums"
)
FLOAT32_GRAD = Tolerance(1e-4, 1e-5, reason="float32 gradients and trained weights: backward reorders its sums")
FLOAT32_ACCUMULATED = Tolerance(1e-4, 1e-4, reason="float32 gradients summed over many terms in another order")
FLOAT32_SCALED = Tolerance(
    1e-5, 1e-5, scaled=True, reason="float32 sums of many terms: small entries carry the big ones' rounding"
)
FLOAT32_SCALED_LOOSE = Tolerance(1e-4, 1e-4, scaled=True, reason="float32 second derivatives of a large sum")
FLOAT16_SCALED = Tolerance(2e-2, 2e-2, scaled=True, reason="float16 gradients: an 11-bit mantissa")
BFLOAT16_SCALED = Tolerance(1e-1, 1e-1, scaled=True, reason="bfloat16 gradients: an 8-bit mantissa")
FLOAT64_SCALED = Tolerance(1e-12, 1e-12, scaled=True, reason="float64 gradients: two lowerings, different order")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def randn(shape: Sequence[int], seed: int = 0, dtype=np.float32) -> np.ndarray:
    """Standard normal numpy values, reproducible from `seed`."""
    return rng(seed).standard_normal(tuple(shape)).astype(dtype)


def to_torch(x, requires_grad: bool = False):
    """numpy/jax array -> torch tensor (a copy), optionally a leaf that tracks gradients."""
    t = torch.from_numpy(np.array(x))
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_numpy(x) -> np.ndarray:
    """A torch or functorch_lite Tensor (detached, a copy), a jax array or anything numpy takes, as numpy."""
    if hasattr(x, "detach"):
        x = x.detach()
        if hasattr(x, "cpu"):
            x = x.cpu()
        return np.array(x.numpy())  # never a view of memory torch updates in place
    return np.asarray(x)


def torch_state_dict_numpy(module) -> dict[str, np.ndarray]:
    """A torch module's state_dict as numpy copies (torch updates buffers such as running_mean in place)."""
    return {k: to_numpy(v) for k, v in module.state_dict().items()}


def assert_close(actual, expected, tol: Tolerance = FLOAT32_OP, what: str = "", actual_type: type | None = None):
    """`actual` equals `expected` within `tol`: arrays, Tensors, or dicts / tuples / lists of them.

    Containers must match in kind, keys and length; arrays in shape (a Python number as `expected`
    broadcasts). `actual_type`, if given, is the type every leaf of `actual` must have.
    """
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), (what, actual, expected)
        for key in expected:
            assert_close(actual[key], expected[key], tol, f"{what}[{key!r}]", actual_type)
        return
    if isinstance(expected, tuple | list) and not _is_numeric_list(expected):
        assert isinstance(actual, tuple | list) and len(actual) == len(expected), (what, actual, expected)
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, tol, f"{what}[{i}]", actual_type)
        return
    if actual_type is not None:
        assert isinstance(actual, actual_type), (what, type(actual))
    actual, expected_array = to_numpy(actual), to_numpy(expected)
    if not isinstance(expected, int | float):
        assert actual.shape == expected_array.shape, f"{what}: shape {actual.shape} != {expected_array.shape}"
    atol = tol.atol
    if tol.scaled:
        atol *= max(float(np.max(np.abs(expected_array.astype(np.float64)), initial=0.0)), 1.0)
        actual, expected_array = actual.astype(np.float64), expected_array.astype(np.float64)
    np.testing.assert_allclose(actual, expected_array, rtol=tol.rtol, atol=atol, err_msg=what)


def _is_numeric_list(value) -> bool:
    """A literal such as [[1.0, 0.0]]: an array to compare, not a container of results."""
    return isinstance(value, list) and all(isinstance(v, int | float) or _is_numeric_list(v) for v in value)


def assert_bitwise(loaded, expected) -> None:
    """Same dtype, shape and bytes (NaN payloads and -0.0 included); `expected` is numpy or a torch tensor."""
    if isinstance(expected, torch.Tensor):
        expected = torch_tensor_to_numpy(expected)
    loaded = np.asarray(loaded)
    assert loaded.dtype == expected.dtype and loaded.shape == expected.shape, (loaded.dtype, expected.dtype)
    assert loaded.tobytes() == np.ascontiguousarray(expected).tobytes()


def torch_tensor_to_numpy(tensor) -> np.ndarray:
    """A torch tensor as numpy, bits unchanged, for the dtypes numpy lacks too (bfloat16, uint16/32/64)."""
    import ml_dtypes

    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    if tensor.dtype == torch.uint16:
        return tensor.view(torch.int16).numpy().view(np.uint16)
    return tensor.numpy()


def check_vs_torch(
    jax_fn: Callable,
    torch_fn: Callable,
    args: Sequence[np.ndarray],
    grad_argnums: Sequence[int] = (0,),
    *,
    tol: Tolerance = FLOAT32_OP,
    grad_tol: Tolerance | None = None,
    seed: int = 123,
    jit: bool = True,
) -> None:
    """Checks forward values and the vjps w.r.t. `grad_argnums` against torch.

    `args` are numpy arrays (or None / non-array values passed through unchanged); both
    functions get them positionally, converted to their own array type. With `jit=True`
    forward and vjp run as one jitted program (one compilation instead of one per eager op);
    tests/functional/test_transforms.py runs every core op both jitted and not.
    """
    jargs = [jax.numpy.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    targs = [
        to_torch(a, requires_grad=i in grad_argnums) if isinstance(a, np.ndarray) else a for i, a in enumerate(args)
    ]
    t_out = torch_fn(*targs)

    cotangent = rng(seed).standard_normal(tuple(t_out.shape)).astype(to_numpy(t_out).dtype)

    def forward_and_vjp(jargs, cotangent):
        def partial(*diff):
            full = list(jargs)
            for i, d in zip(grad_argnums, diff, strict=True):
                full[i] = d
            return jax_fn(*full)

        out, vjp = jax.vjp(partial, *[jargs[i] for i in grad_argnums])
        return out, vjp(cotangent)

    if jit:
        forward_and_vjp = jax.jit(forward_and_vjp)
    j_out, j_grads = forward_and_vjp(jargs, jax.numpy.asarray(cotangent))
    assert_close(j_out, t_out, tol, "forward")
    if not grad_argnums:
        return
    t_grads = torch.autograd.grad(t_out, [targs[i] for i in grad_argnums], to_torch(cotangent), allow_unused=True)
    for i, jg, tg in zip(grad_argnums, j_grads, t_grads, strict=True):
        expected = np.zeros_like(to_numpy(jg)) if tg is None else tg
        assert_close(jg, expected, tol if grad_tol is None else grad_tol, f"grad of argument {i}")
