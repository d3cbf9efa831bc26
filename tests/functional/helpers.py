"""Shared helpers for the functional-core tests: random arrays, torch conversion, parity checks.

Every parity check runs the same computation in functorch_lite (jax) and in real
PyTorch from identical numpy inputs, then compares outputs and, with one random
cotangent, the vector-Jacobian products of every differentiable argument.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import numpy as np
import pytest

torch = pytest.importorskip("torch")

RTOL = 1e-5
ATOL = 1e-5


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def randn(shape: Sequence[int], seed: int = 0, dtype=np.float32) -> np.ndarray:
    return rng(seed).standard_normal(tuple(shape)).astype(dtype)


def to_torch(x, requires_grad: bool = False):
    """numpy/jax array -> torch tensor (a copy), optionally a leaf that tracks gradients."""
    t = torch.from_numpy(np.array(x))
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_numpy(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy().copy()  # never a view of memory torch updates in place
    return np.asarray(t)


def torch_state_dict_numpy(module) -> dict[str, np.ndarray]:
    """A torch module's state_dict as numpy copies (what `fn.load_state_dict` accepts).

    Copies, not views: torch updates buffers such as running_mean in place.
    """
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def assert_close(actual, expected, rtol: float = RTOL, atol: float = ATOL, what: str = "") -> None:
    actual, expected = to_numpy(actual), to_numpy(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def check_vs_torch(
    jax_fn: Callable,
    torch_fn: Callable,
    args: Sequence[np.ndarray],
    grad_argnums: Sequence[int] = (0,),
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    grad_atol: float | None = None,
    seed: int = 123,
    jit: bool = True,
) -> None:
    """Checks forward values and the vjps w.r.t. `grad_argnums` against torch.

    `args` are numpy arrays (or None / non-array values passed through unchanged);
    both functions get them positionally, converted to their own array type.
    With `jit=True` forward and vjp run as one jitted program (one compilation
    instead of one per eager op); test_transforms checks eager and jit agree.
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
    assert_close(j_out, t_out, rtol, atol, "forward")
    if not grad_argnums:
        return
    t_grads = torch.autograd.grad(t_out, [targs[i] for i in grad_argnums], to_torch(cotangent), allow_unused=True)
    for i, jg, tg in zip(grad_argnums, j_grads, t_grads, strict=True):
        expected = np.zeros_like(to_numpy(jg)) if tg is None else tg
        assert_close(jg, expected, rtol, atol if grad_atol is None else grad_atol, f"grad of argument {i}")
