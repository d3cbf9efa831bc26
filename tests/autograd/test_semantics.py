"""Autograd semantics that PyTorch code relies on, checked against torch where it runs."""

import numpy as np
import pytest

import functorch_lite as fl

torch = pytest.importorskip("torch")

V = np.array([1.0, -2.0, 3.0], np.float32)


def _pair():
    return fl.tensor(V, requires_grad=True), torch.tensor(V, requires_grad=True)


def test_grad_is_none_before_backward_and_accumulates_across_calls():
    a, ta = _pair()
    assert a.grad is None and ta.grad is None
    for _ in range(2):
        (a * a).sum().backward()
        (ta * ta).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    held = a.grad
    (a * 3).sum().backward()
    assert a.grad is held  # accumulated in place, as optimizers holding .grad expect
    np.testing.assert_allclose(held.numpy(), 4 * V + 3)


def test_retain_graph_allows_second_backward_and_freed_graph_raises():
    a = fl.tensor(V, requires_grad=True)
    y = (a * a).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(a.grad.numpy(), 4 * V)
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    a = fl.tensor(V, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (a * 2).backward()
    with pytest.raises(RuntimeError, match=r"Mismatch in shape"):
        (a * 2).backward(fl.ones(2))


def test_non_leaf_grad_is_none_unless_retained():
    a, ta = _pair()
    h, th = a * 2, ta * 2
    k, tk = a * 3, ta * 3
    k.retain_grad()
    tk.retain_grad()
    (h * k).sum().backward()
    (th * tk).sum().backward()
    assert h.grad is None and not h.is_leaf and a.is_leaf
    assert h.grad_fn is not None and a.grad_fn is None
    np.testing.assert_allclose(k.grad.numpy(), tk.grad.numpy())
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        fl.tensor(V).sum().backward()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(ValueError, match="only Tensors of floating point and complex dtype"):
        fl.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        fl.arange(3).requires_grad_()


def test_grad_modes_as_context_managers_and_decorators():
    a = fl.tensor(V, requires_grad=True)
    with fl.no_grad():
        assert not (a * 2).requires_grad and not fl.is_grad_enabled()
        with fl.enable_grad():
            assert (a * 2).requires_grad
    assert fl.is_grad_enabled()

    @fl.no_grad()
    def frozen(x):
        return x * 2

    @fl.no_grad
    def bare(x):
        return x * 2

    @fl.set_grad_enabled(False)
    def switched(x):
        return x * 2

    assert fl.is_grad_enabled()  # decorating must not leave the mode switched
    assert not frozen(a).requires_grad and not bare(a).requires_grad and not switched(a).requires_grad
    with fl.set_grad_enabled(False):
        assert not (a * 2).requires_grad
    fl.set_grad_enabled(False)  # a bare call sets the mode, as in PyTorch
    try:
        assert not fl.is_grad_enabled()
    finally:
        fl.set_grad_enabled(True)
    assert (a * 2).requires_grad


def test_detach_and_requires_grad_flags():
    a = fl.tensor(V, requires_grad=True)
    d = (a * 2).detach()
    assert not d.requires_grad and d.is_leaf
    b = fl.ones(3).requires_grad_()
    assert b.requires_grad and b.is_leaf
    with pytest.raises(RuntimeError, match="leaf variables"):
        (a * 2).requires_grad_(False)


def test_inplace_on_leaf_that_requires_grad_raises_but_is_allowed_under_no_grad():
    a = fl.tensor(V, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        a.add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        a[0] = 5.0
    with fl.no_grad():
        a.mul_(2).sub_(1)
        a[0] = 7.0
    assert a.requires_grad and a._version == 3
    np.testing.assert_allclose(a.numpy(force=True), [7.0, -5.0, 5.0])


def test_inplace_after_use_does_not_corrupt_gradients():
    a, ta = _pair()
    h, th = a * 1.5, ta * 1.5
    y, ty = h * h, th * th  # saves h
    h.add_(10)
    th2 = th.clone()  # torch forbids this pattern; compare with the value-preserving equivalent
    th2.add_(10)
    (y.sum() + (h * a).sum()).backward()
    (ty.sum() + (th2 * ta).sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)


def test_inplace_on_non_leaf_records_and_retargets_grad_fn():
    a, ta = _pair()
    h, th = a * 2, ta * 2
    h.mul_(a)
    th.mul_(ta)
    h.sum().backward()
    th.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())


def test_autograd_grad_does_not_touch_dot_grad_and_allow_unused():
    a, b = fl.tensor(V, requires_grad=True), fl.tensor(V, requires_grad=True)
    (g,) = fl.autograd.grad((a * a).sum(), a)
    np.testing.assert_allclose(g.numpy(), 2 * V)
    assert a.grad is None
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        fl.autograd.grad((a * a).sum(), [a, b])
    ga, gb = fl.autograd.grad((a * a).sum(), [a, b], allow_unused=True)
    assert gb is None and ga is not None
    h = a * 3
    (gh,) = fl.autograd.grad((h * h).sum(), h)  # gradient w.r.t. a non-leaf
    np.testing.assert_allclose(gh.numpy(), 6 * V, rtol=1e-6)


def test_multiple_outputs_and_backward_of_list():
    a, ta = _pair()
    values, indices = fl.tensor(np.stack([V, -V]), requires_grad=True).max(0)
    assert not indices.requires_grad and values.requires_grad
    fl.autograd.backward([(a * 2).sum(), (a * a).sum()])
    torch.autograd.backward([(ta * 2).sum(), (ta * ta).sum()])
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
