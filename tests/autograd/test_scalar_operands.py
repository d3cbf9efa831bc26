"""Python scalars are data, not cache keys: eager arithmetic with changing numbers compiles once.

Also: PyTorch's type promotion for Python scalars is kept, gradients flow as before, and the
dispatcher's plan cache is a bounded LRU.
"""

from collections import OrderedDict

import jax
import numpy as np
import pytest
import torch

import functorch_lite as fl
from functorch_lite._tensor import math_ops
from functorch_lite.autograd import dispatch

_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


class _CompileCounter:
    """Counts XLA compilations (jax's backend-compile event) while active."""

    def __enter__(self):
        self.count = 0
        jax.monitoring.register_event_duration_secs_listener(self._listen)
        return self

    def _listen(self, event, duration, **kwargs):
        if event == _COMPILE_EVENT:
            self.count += 1

    def __exit__(self, *exc_info):
        jax.monitoring.unregister_event_duration_listener(self._listen)


def test_a_thousand_scalars_through_mul_add_clamp_pow_compile_a_bounded_number_of_programs():
    x = fl.tensor(np.linspace(0.5, 2.0, 8, dtype=np.float32))
    y = fl.ones(8)
    x * 1.0, x.add(y, alpha=0.5), x.clamp(min=0.1), x**1.5  # the first call of each op compiles
    plans = len(dispatch._plans)
    with _CompileCounter() as counter:
        for i in range(1000):
            s = 0.001 * (i + 1)
            x * s, x.add(y, alpha=s), x.clamp(min=s), x ** (1.0 + s)
    assert counter.count <= 4  # today: none; before the fix: one per call (4,000)
    assert len(dispatch._plans) == plans
    s = 0.123
    np.testing.assert_allclose((x * s).numpy(), np.asarray(x) * np.float32(s), rtol=1e-6)
    np.testing.assert_allclose(x.add(y, alpha=s).numpy(), np.asarray(x) + np.float32(s), rtol=1e-6)
    np.testing.assert_allclose(x.clamp(min=1.3).numpy(), np.maximum(np.asarray(x), 1.3), rtol=1e-6)
    np.testing.assert_allclose((x**1.5).numpy(), np.asarray(x) ** 1.5, rtol=1e-5)


def test_in_place_updates_with_changing_scalars_share_one_program():
    w = fl.ones(4)
    w.add_(fl.ones(4), alpha=-0.1), w.mul_(0.9), w.clamp_(max=5.0), w.fill_(0.5)
    with _CompileCounter() as counter:
        for i in range(50):
            lr = 0.1 / (i + 1)
            w.add_(fl.ones(4), alpha=-lr)
            w.mul_(1 - lr)
            w.clamp_(max=1.0 + lr)
            if i == 49:
                w.fill_(lr)
    assert counter.count == 0
    np.testing.assert_allclose(w.numpy(), np.full(4, 0.1 / 50, np.float32), rtol=1e-6)


@pytest.mark.parametrize(
    "make, scalar, op",
    [
        (lambda m: m.tensor([1, 2, 3], dtype=m.int32), 2, lambda a, s: a * s),
        (lambda m: m.tensor([1, 2, 3], dtype=m.int32), 2.5, lambda a, s: a * s),
        (lambda m: m.tensor([1, 2, 3], dtype=m.int32), 2, lambda a, s: a / s),
        (lambda m: m.tensor([7, 8, 9], dtype=m.int32), 2, lambda a, s: a // s),
        (lambda m: m.tensor([7, 8, 9], dtype=m.int32), 2, lambda a, s: a % s),
        (lambda m: m.tensor([1.0, 2.0], dtype=m.float32), 0.1, lambda a, s: a * s),
        (lambda m: m.tensor([1.0, 2.0], dtype=m.float16), 0.1, lambda a, s: a + s),
        (lambda m: m.tensor([1.0, 2.0], dtype=m.float32), 3, lambda a, s: s - a),
        (lambda m: m.tensor([1.0, 2.0], dtype=m.float32), 3, lambda a, s: s / a),
        (lambda m: m.tensor([1, 2, 3], dtype=m.int32), 2, lambda a, s: a > s),
        (lambda m: m.tensor([1, 2, 3], dtype=m.int32), 2.5, lambda a, s: a.clamp(min=s)),
        (lambda m: m.tensor([1.0, 4.0], dtype=m.float32), 0.5, lambda a, s: a**s),
        (lambda m: m.tensor([1, 2, 3], dtype=m.int32), 2, lambda a, s: a**s),
        (lambda m: m.tensor([1.0, 2.0], dtype=m.float32), 2, lambda a, s: s**a),
    ],
)
def test_python_scalar_type_promotion_matches_torch(make, scalar, op):
    ours, theirs = op(make(fl), scalar), op(make(torch), scalar)
    expected = theirs.numpy()
    if expected.dtype == np.int64:  # without jax's x64 mode, int64 is int32 here
        expected = expected.astype(np.int32)
    assert ours.dtype == expected.dtype, (ours.dtype, expected.dtype)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-3 if expected.dtype == np.float16 else 1e-6)


def test_gradients_with_traced_scalars_match_torch():
    values = np.array([-1.5, 0.5, 2.0], np.float32)
    for alpha, exponent in [(0.3, 2), (-2.0, 3), (1, 2.5)]:
        a, b = fl.tensor(np.abs(values), requires_grad=True), fl.tensor(values, requires_grad=True)
        ta, tb = torch.tensor(np.abs(values), requires_grad=True), torch.tensor(values, requires_grad=True)
        (a.add(b * 0.7, alpha=alpha) ** exponent).clamp(min=0.1).sum().backward()
        (ta.add(tb * 0.7, alpha=alpha) ** exponent).clamp(min=0.1).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-5)
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-5)


def test_int_exponents_and_structural_arguments_stay_static(monkeypatch):
    monkeypatch.setattr(dispatch, "_plans", OrderedDict())  # earlier tests may have made these plans already
    x = fl.tensor([-2.0, 3.0])
    assert (x**2).tolist() == [4.0, 9.0]  # exact repeated multiplication, negative base fine
    flat = [key[1] for key in dispatch._plans if key[0] is math_ops.pow]
    assert any(("<static>", int, 2) in signature[0] for signature in flat)
    before = len(dispatch._plans)
    fl.ones(2, 3).sum(0), fl.ones(2, 3).sum(1)  # a dim changes the program: two plans
    assert len(dispatch._plans) >= before + 2


def test_plan_cache_is_a_bounded_lru(monkeypatch):
    monkeypatch.setattr(dispatch, "_plans", OrderedDict())
    monkeypatch.setattr(dispatch, "MAX_PLANS", 3)

    def first(x):
        return x + 1

    def second(x):
        return x + 2

    def third(x):
        return x + 3

    def fourth(x):
        return x + 4

    x = fl.ones(2)
    for op in (first, second, third):
        dispatch.apply(op, x)
    dispatch.apply(first, x)  # used again: now the most recent
    dispatch.apply(fourth, x)  # evicts the least recently used: second
    assert [key[0] for key in dispatch._plans] == [third, first, fourth]
    dispatch.apply(second, x)
    assert [key[0] for key in dispatch._plans] == [first, fourth, second]
    assert len(dispatch._plans) == 3
