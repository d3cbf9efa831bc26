"""The table-driven ops (`_tensor/op_table.py` and friends) against PyTorch, forward and gradient."""

import numpy as np
import pytest
import torch

import functorch_lite as fl

RNG = np.random.default_rng(0)
X = RNG.uniform(0.1, 0.9, (3, 4)).astype(np.float32)
Y = RNG.uniform(0.1, 0.9, (3, 4)).astype(np.float32)


def _grads(library, name, arrays, *args, **kwargs):
    namespace = library
    for part in name.split(".")[:-1]:
        namespace = getattr(namespace, part)
    leaves = [library.tensor(a, requires_grad=True) for a in arrays]
    out = getattr(namespace, name.split(".")[-1])(*leaves, *args, **kwargs)
    out = out[0] if isinstance(out, tuple) else out
    (out * library.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(tuple(out.shape)))).sum().backward()
    return np.asarray(out.detach()), [np.asarray(leaf.grad) for leaf in leaves]


@pytest.mark.parametrize(
    ("name", "arrays", "args"),
    [
        ("erf", [X], ()),
        ("log1p", [X], ()),
        ("asinh", [X], ()),
        ("atan2", [X, Y], ()),
        ("xlogy", [X, Y], ()),
        ("hypot", [X, Y], ()),
        ("cumsum", [X], (1,)),
        ("logsumexp", [X], (0,)),
        ("cummax", [X], (1,)),
        ("flip", [X], ((0, 1),)),
        ("tril", [X], ()),
        ("special.ndtr", [X], ()),
        ("linalg.vector_norm", [X], ()),
        ("linalg.det", [X[:3, :3]], ()),
        ("addcmul", [X, Y, X], ()),
        ("sort", [X], (1,)),
        ("topk", [X], (2,)),
    ],
)
def test_forward_and_gradient_match_torch(name, arrays, args):
    want, want_grads = _grads(torch, name, arrays, *args)
    have, have_grads = _grads(fl, name, arrays, *args)
    np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-6)
    for a, b in zip(have_grads, want_grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_function_and_method_are_one_implementation():
    assert fl.Tensor.erf is fl.erf and fl.Tensor.cumsum is fl.cumsum
    assert fl.erf(fl.tensor(X)).grad_fn is None
    assert "ErfBackward" in repr(fl.tensor(X, requires_grad=True).erf().grad_fn)


def test_integer_inputs_follow_torch_dtype_rules():
    ints = fl.tensor([1, 2, 3])
    assert fl.erf(ints).dtype == fl.float32  # int -> default float
    assert fl.floor(ints).dtype == ints.dtype  # rounding keeps integers
    assert fl.cumsum(fl.tensor([True, False]), 0).dtype == fl.int64


def test_aliases_call_the_same_op():
    a, b = fl.tensor(X), fl.tensor(Y)
    np.testing.assert_array_equal(fl.divide(a, b), fl.div(a, b))
    np.testing.assert_array_equal(a.greater(b), a > b)
    np.testing.assert_array_equal(a.swapaxes(0, 1), a.transpose(0, 1))


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "argmax", "prod", "softmax", "logsumexp", "cumsum"])
def test_zero_dim_inputs_accept_dim_zero(name):
    want = getattr(torch, name)(torch.tensor(2.5), 0)
    have = getattr(fl, name)(fl.tensor(2.5), 0)
    assert tuple(have.shape) == tuple(want.shape) == ()
    np.testing.assert_allclose(np.asarray(have), want.numpy())


def test_existing_op_fixes():
    assert fl.prod(fl.tensor([1, 2, 3]), dtype=fl.float32).dtype == fl.float32
    assert tuple(fl.cat([fl.ones(2, 3), fl.tensor([])]).shape) == (2, 3)
    x = fl.ones(1, 1, 4, 4)
    assert x.contiguous(memory_format=fl.contiguous_format) is x
    assert tuple(x.clone(memory_format=fl.preserve_format).shape) == (1, 1, 4, 4)
    assert tuple(fl.nn.functional.avg_pool2d(x, 2, padding=(1,)).shape) == (1, 1, 3, 3)


def test_functional_table_ops_match_torch():
    t, f = torch.tensor(X - 0.5), fl.tensor(X - 0.5)
    for name, kwargs in [("silu", {}), ("elu", {"alpha": 0.5}), ("softplus", {"beta": 2.0}), ("hardswish", {})]:
        np.testing.assert_allclose(
            getattr(fl.nn.functional, name)(f, **kwargs), getattr(torch.nn.functional, name)(t, **kwargs), rtol=1e-6
        )
    for mode in ("constant", "reflect", "replicate", "circular"):
        want = torch.nn.functional.pad(t[None], (1, 2), mode=mode)
        np.testing.assert_allclose(fl.nn.functional.pad(f[None], (1, 2), mode=mode), want)
    np.testing.assert_allclose(
        fl.nn.functional.smooth_l1_loss(f, fl.tensor(Y)), torch.nn.functional.smooth_l1_loss(t, torch.tensor(Y))
    )
