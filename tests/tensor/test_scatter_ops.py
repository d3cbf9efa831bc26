"""Out-of-place scatters (`_tensor/scatter_table.py`) against PyTorch, forward and gradient."""

import numpy as np
import pytest
import torch

import functorch_lite as fl
from tests.helpers.numerics import FLOAT32_GRAD, FLOAT32_OP, assert_close, randn

INDEX = np.array([[0, 1, 0], [2, 0, 2]])


def _run(library, name, arrays, *args, method=False, **kwargs):
    """Output and input gradients of `name` (function or method); float arrays are leaves, the rest data."""
    leaves = [library.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a for a in arrays]
    if method:
        out = getattr(leaves[0], name)(*leaves[1:], *args, **kwargs)
    else:
        out = getattr(library, name)(*leaves, *args, **kwargs)
    leaves = [leaf for leaf in leaves if isinstance(leaf, library.Tensor)]
    weights = library.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(tuple(out.shape)))
    (out * weights).sum().backward()
    grads = [leaf.grad for leaf in leaves if leaf.requires_grad]
    return out, [g if g is not None else library.zeros(1) for g in grads]


def _check(name, arrays, *args, method=False, **kwargs):
    want, want_grads = _run(torch, name, arrays, *args, method=method, **kwargs)
    have, have_grads = _run(fl, name, arrays, *args, method=method, **kwargs)
    assert_close(have, want, FLOAT32_OP, name)
    assert_close(have_grads, want_grads, FLOAT32_GRAD, f"{name} gradient")


def test_select_slice_and_diagonal_scatter():
    x = randn((4, 5, 3), 0)
    _check("select_scatter", [x, randn((4, 3), 1)], 1, -2)
    _check("slice_scatter", [x, randn((4, 2, 3), 2)], 1, 1, 5, 2)
    _check("diagonal_scatter", [x, randn((3, 4), 3)], 1, 0, 1)  # offset 1 of dims (0, 1): 4 long
    _check("diagonal_scatter", [randn((5, 4), 4), randn((3,), 5)], -2)


def test_put_index_put_and_masked_scatter():
    x = randn((3, 4), 6)
    _check("put", [x, np.array([0, -1, 5]), randn((3,), 7)], True)
    _check("put", [x, np.array([0, -1, 5]), randn((3,), 7)], method=True)
    mask = np.array([True, False, True])
    cases = [([2, 0, 2], (3, 4), True), ([2, 0], (2, 4), False), (mask, (4,), True), (mask, (4,), False)]
    for index, shape, accumulate in cases:  # duplicate indices only where they accumulate
        index, values = np.asarray(index), randn(shape, 8)
        have = fl.index_put(fl.tensor(x), (fl.tensor(index),), fl.tensor(values), accumulate)
        want = torch.index_put(torch.tensor(x), (torch.tensor(index),), torch.tensor(values), accumulate)
        assert_close(have, want, FLOAT32_OP, f"index_put {index} {accumulate}")
    _check("masked_scatter", [x, randn((3, 1), 10) > 0, randn((12,), 11)])


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    _check("scatter_reduce", [randn((3, 3), 12), 1, INDEX, randn((2, 3), 13), reduce], include_self=include_self)


def test_scatter_prod_gradient_with_zeros_matches_torch():
    src = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0]], np.float32)
    x = np.array([[1.5, 0.0, 2.0], [1.0, 2.0, 0.5], [3.0, 1.0, 2.0]], np.float32)
    _check("scatter_reduce", [x, 0, np.array([[0, 0, 1], [1, 0, 1]]), src, "prod"])


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    _check("index_reduce", [randn((4, 3), 14), 0, np.array([1, 3, 1]), randn((3, 3), 15), reduce],
           include_self=include_self, method=True)  # fmt: skip


def test_bad_reduce_names_the_op():
    with pytest.raises(ValueError, match="scatter_reduce: reduce must be one of"):
        fl.scatter_reduce(fl.zeros(3), 0, fl.tensor([0]), fl.ones(1), "max")
    with pytest.raises(ValueError, match="index_reduce: reduce must be"):
        fl.zeros(3).index_reduce(0, fl.tensor([0]), fl.ones(1), "sum")
