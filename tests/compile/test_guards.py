"""What a compiled step must notice between calls, or refuse: nothing it traced may change silently."""

import gc
import pickle
import weakref

import numpy as np
import pytest
import torch as real_torch

import functorch_lite as fl
from functorch_lite.compile import CompileError


def _quadratic(opt_cls, **options):
    w = fl.nn.Parameter(fl.ones(3))
    opt = opt_cls([w], **options)

    def step():
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()

    return w, opt, step


def _both(change, opt_cls=fl.optim.SGD, steps=5, **options):
    """Runs the quadratic eagerly and compiled, calling `change(opt)` after the second step."""
    results = []
    for compiled in (False, True):
        w, opt, step = _quadratic(opt_cls, **options)
        step = fl.compile(step) if compiled else step
        for k in range(steps):
            step()
            if k == 1:
                change(opt, w)
        results.append(w.detach().numpy().copy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)
    return results[0]


@pytest.mark.parametrize(
    "key, value", [("momentum", 0.5), ("weight_decay", 0.3), ("nesterov", True), ("dampening", 0.2)]
)
def test_a_group_option_changed_between_calls_is_used(key, value):
    def change(opt, w):
        opt.param_groups[0][key] = value

    _both(change, lr=0.1, momentum=0.9)


def test_one_cycle_momentum_schedule_matches_eager():
    def change(opt, w):
        pass

    results = []
    for compiled in (False, True):
        w, opt, step = _quadratic(fl.optim.SGD, lr=0.1, momentum=0.9)
        sched = fl.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=8)
        step = fl.compile(step) if compiled else step
        for _ in range(8):
            step()
            sched.step()
        results.append(w.detach().numpy().copy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_a_scheduler_stepped_inside_the_compiled_step_is_refused():
    w, opt, step = _quadratic(fl.optim.SGD, lr=1.0)
    sched = fl.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    def step_and_schedule():
        step()
        sched.step()

    with pytest.raises(CompileError, match="Call scheduler.step\\(\\) outside the step"):
        fl.compile(step_and_schedule)()
    assert opt.param_groups[0]["lr"] == 1.0 and np.all(w.detach().numpy() == 1.0)  # nothing half-applied


@pytest.mark.parametrize("how", ["clear", "del", "new dict"])
def test_optimizer_state_reset_between_calls_is_read_again(how):
    def change(opt, w):
        if how == "clear":
            opt.state.clear()
        elif how == "del":
            del opt.state[w]
        else:
            opt.state[w] = {}

    final = _both(change, lr=0.1, momentum=0.9)
    tw = real_torch.nn.Parameter(real_torch.ones(3))
    topt = real_torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    for k in range(5):
        topt.zero_grad()
        (tw * tw).sum().backward()
        topt.step()
        if k == 1:
            topt.state.clear()
    np.testing.assert_allclose(final, tw.detach().numpy(), rtol=1e-6)


def test_requires_grad_toggled_between_calls():
    w, b = fl.nn.Parameter(fl.ones(3)), fl.nn.Parameter(fl.ones(3))
    opt = fl.optim.SGD([w, b], lr=0.1)
    b.requires_grad_(False)

    @fl.compile
    def step(x):
        opt.zero_grad()
        ((w * x + b) ** 2).sum().backward()
        opt.step()

    step(fl.ones(3))
    step(fl.ones(3))
    assert b.grad is None and np.all(b.detach().numpy() == 1.0)
    b.requires_grad_(True)
    step(fl.ones(3))
    assert b.grad is not None and np.all(b.detach().numpy() < 1.0)


def test_a_float16_parameter_is_updated_in_its_own_precision_as_eagerly():
    rng = np.random.default_rng(0)
    p0, g0 = rng.standard_normal(64).astype(np.float16), rng.standard_normal(64).astype(np.float16)
    out = []
    for compiled in (False, True):
        p, q = fl.nn.Parameter(fl.tensor(p0)), fl.nn.Parameter(fl.zeros(2).half())
        opt = fl.optim.SGD([p, q], lr=0.1)
        g = fl.tensor(g0)

        def step(p=p, q=q, g=g, opt=opt):
            opt.zero_grad()
            ((p * g).sum() + q.sum()).backward()
            opt.step()

        (fl.compile(step) if compiled else step)()
        out.append(p.detach().numpy().copy())
    np.testing.assert_array_equal(out[1], out[0])


def test_a_compiled_steps_grads_pickle_as_tensors_and_die_with_zero_grad():
    a, b = fl.nn.Parameter(fl.ones(3)), fl.nn.Parameter(fl.ones(4))
    opt = fl.optim.SGD([a, b], lr=0.1)

    @fl.compile
    def step():
        opt.zero_grad()
        (a.sum() * 2 + b.sum() * 3).backward()
        opt.step()

    step()
    step()
    restored = pickle.loads(pickle.dumps([a.grad, b.grad]))
    assert [type(g) for g in restored] == [fl.Tensor, fl.Tensor]
    assert restored[0].tolist() == [2.0] * 3 and restored[1].tolist() == [3.0] * 4
    held = weakref.ref(a.grad)
    opt.zero_grad()
    gc.collect()
    assert held() is None  # as in torch: nothing keeps a dropped .grad alive
    step()
    assert a.grad.tolist() == [2.0] * 3
