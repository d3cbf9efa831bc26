"""compile finds the state a step touches by tracing it, however the step reaches it (issue 9, item 2)."""

import numpy as np
import pytest

import functorch_lite as torch
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from functorch_lite.compile import CompileError


def _data(n, in_features=4, out_features=2, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (
            torch.tensor(rng.standard_normal((8, in_features), dtype=np.float32)),
            torch.tensor(rng.standard_normal((8, out_features), dtype=np.float32)),
        )
        for _ in range(n)
    ]


def _both(make_step, steps=5):
    """Runs `make_step()` eagerly and compiled from the same seed; returns (eager, compiled) losses and states."""
    results = []
    for compiled in (False, True):
        torch.manual_seed(0)
        step, modules = make_step()
        step = torch.compile(step) if compiled else step
        losses = [float(step(x, y)) for x, y in _data(steps)]
        state = [p.detach().numpy().copy() for m in modules for p in m.parameters()]
        results.append((np.array(losses), state))
    (eager_losses, eager_state), (compiled_losses, compiled_state) = results
    np.testing.assert_allclose(compiled_losses, eager_losses, rtol=1e-5, atol=1e-6)
    assert len(set(np.round(compiled_losses, 6))) > 1, "the loss never changed: nothing was trained"
    for a, b in zip(compiled_state, eager_state):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    return compiled_losses


def test_state_reached_through_a_helper_returning_a_dict():
    def make():
        state = {"net": nn.Linear(4, 2)}
        state["opt"] = torch.optim.SGD(state["net"].parameters(), lr=0.1)

        def helper():
            return state

        def step(x, y):
            s = helper()
            s["opt"].zero_grad()
            loss = F.mse_loss(s["net"](x), y)
            loss.backward()
            s["opt"].step()
            return loss

        return step, [state["net"]]

    _both(make)
    # and the module is usable eagerly afterwards (no leaked tracer)
    net = nn.Linear(4, 2)
    state = {"net": net, "opt": torch.optim.SGD(net.parameters(), lr=0.1)}

    @torch.compile
    def step(x, y):
        state["opt"].zero_grad()
        loss = F.mse_loss(state["net"](x), y)
        loss.backward()
        state["opt"].step()
        return loss

    x, y = _data(1)[0]
    step(x, y)
    assert np.isfinite(net(x).sum().item())


class Trainer:
    def __init__(self):
        self.models = nn.ModuleList([nn.Linear(4, 8), nn.Linear(8, 2)])
        self.opt = torch.optim.Adam(self.models.parameters(), lr=1e-2)

    def train_step(self, x, y):
        self.opt.zero_grad()
        loss = F.mse_loss(self.models[1](F.relu(self.models[0](x))), y)
        loss.backward()
        self.opt.step()
        return loss


def test_trainer_method_compiled_with_modulelist_by_index_and_adam():
    def make():
        t = Trainer()
        return t.train_step, [t.models]

    _both(make)
    t = Trainer()
    t.train_step = torch.compile(t.train_step)
    x, y = _data(1)[0]
    losses = [float(t.train_step(x, y)) for _ in range(5)]
    assert losses[-1] < losses[0]  # one batch, five steps: it learns


def _accumulate(compiled, k=3, rounds=4):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

    def fwd_bwd(x, y):
        loss = F.mse_loss(net(x), y)
        loss.backward()
        return loss

    def step():
        opt.step()
        opt.zero_grad()

    if compiled:
        fwd_bwd, step = torch.compile(fwd_bwd), torch.compile(step)
    data = _data(k * rounds)
    losses = []
    for r in range(rounds):
        for x, y in data[r * k : (r + 1) * k]:
            losses.append(float(fwd_bwd(x, y)))
        step()
    return np.array(losses), [p.detach().numpy() for p in net.parameters()]


def test_gradient_accumulation_over_two_compiled_functions_equals_eager():
    eager_losses, eager_state = _accumulate(False)
    compiled_losses, compiled_state = _accumulate(True)
    np.testing.assert_allclose(compiled_losses, eager_losses, rtol=1e-5, atol=1e-6)
    for a, b in zip(compiled_state, eager_state):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_donation_never_leaves_a_live_tensor_with_a_deleted_buffer():
    net = nn.Linear(4, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    @torch.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        return loss

    x, y = _data(1)[0]
    step(x, y)
    old = net.weight.detach()  # shares the buffer the next step overwrites
    before = old.numpy().copy()
    step(x, y)
    np.testing.assert_array_equal(old.numpy(), before)  # still readable: it was copied, not donated
    assert not np.array_equal(net.weight.detach().numpy(), before)


def test_two_optimizers_in_one_step_gan_style():
    def make():
        gan = {"g": nn.Linear(4, 4), "d": nn.Linear(4, 2)}
        gan["opt_g"] = torch.optim.Adam(gan["g"].parameters(), lr=1e-2)
        gan["opt_d"] = torch.optim.SGD(gan["d"].parameters(), lr=0.1, momentum=0.5)

        def parts():  # the state is reached through a helper, not named by the step
            return gan["g"], gan["d"], gan["opt_g"], gan["opt_d"]

        g, d = gan["g"], gan["d"]

        def step(x, y):
            g, d, opt_g, opt_d = parts()
            opt_d.zero_grad()
            d_loss = F.mse_loss(d(g(x).detach()), y)
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss = F.mse_loss(d(g(x)), -y)
            g_loss.backward()
            opt_g.step()
            return d_loss + g_loss

        return step, [g, d]

    _both(make)


def test_a_module_created_between_two_calls_is_found():
    models = {"head": nn.Linear(4, 2)}

    @torch.compile
    def step(x, y):
        net = models["head"]
        net.zero_grad()
        loss = F.mse_loss(net(x), y)
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p.sub_(0.1 * p.grad)
        return loss

    (x, y), *_ = _data(1)
    step(x, y)
    models["head"] = nn.Linear(4, 2)  # a new module: the next call must train this one
    new = models["head"]
    weight, bias = new.weight.detach().numpy().copy(), new.bias.detach().numpy().copy()
    loss = float(step(x, y))
    expected = np.mean((x.numpy() @ weight.T + bias - y.numpy()) ** 2)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)  # computed with the new module
    assert not np.allclose(new.weight.detach().numpy(), weight)  # and the new module was trained


def test_lr_scheduler_stepped_between_calls():
    def run(compiled):
        torch.manual_seed(0)
        t = Trainer()
        sched = torch.optim.lr_scheduler.StepLR(t.opt, step_size=1, gamma=0.5)
        step = torch.compile(t.train_step) if compiled else t.train_step
        losses = []
        for x, y in _data(4):
            losses.append(float(step(x, y)))
            sched.step()
        return losses, step

    eager, _ = run(False)
    compiled, step = run(True)
    np.testing.assert_allclose(compiled, eager, rtol=1e-5)
    assert step.cache_size == 2  # the first call (no grads yet) and the rest: the lr is an input


def test_dropout_key_is_state():
    torch.manual_seed(0)
    drop = nn.Dropout(0.5)

    @torch.compile
    def f(x):
        return drop(x)

    x = torch.ones(64)
    a, b = f(x).numpy(), f(x).numpy()
    assert not np.array_equal(a, b)  # the generator advances between calls


# -- what cannot be functionalised raises, naming the object and the line ------------------------------
def test_tensor_appended_to_a_list_raises():
    net = nn.Linear(4, 2)
    history = []

    @torch.compile
    def step(x):
        out = net(x).sum()
        history.append(out)
        return out

    with pytest.raises(CompileError, match=r"a Python list.*test_state_by_tracing.py:\d+"):
        step(torch.ones(1, 4))
    assert np.isfinite(net(torch.ones(1, 4)).sum().item())  # no leaked tracer


def test_tensor_stored_on_an_object_raises():
    class Holder:
        pass

    holder = Holder()
    net = nn.Linear(4, 2)

    @torch.compile
    def step(x):
        holder.last = net(x)
        return holder.last.sum()

    with pytest.raises(CompileError, match=r"attribute 'last' of a Holder.*test_state_by_tracing.py:\d+"):
        step(torch.ones(1, 4))


def test_new_parameter_registered_mid_step_raises():
    net = nn.Linear(4, 2)

    @torch.compile
    def step(x):
        net.extra = nn.Parameter(torch.ones(2))
        return (net(x) + net.extra).sum()

    with pytest.raises(CompileError, match=r"registers Parameter 'extra' on a Linear at test_state_by_tracing.py:\d+"):
        step(torch.ones(1, 4))
    assert "extra" not in dict(net.named_parameters())


def test_switching_back_and_forth_reuses_the_compiled_programs():
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    forward = torch.compile(lambda x: net(x).sum())
    x = torch.ones(2, 4)
    for mode in (True, False, True, False):
        net.train(mode)
        forward(x)
    nn.Linear(3, 3)  # an unrelated new module: the step is traced again, nothing recompiles
    forward(x)
    assert forward.cache_size == 2
