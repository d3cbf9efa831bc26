"""functorch_lite.compile: an imperative step as one jitted program, with the eager run's numbers."""

import numpy as np
import pytest

import functorch_lite as torch
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from functorch_lite.compile import CompileError
from tests.helpers.seed import bn_dropout_net, seed_net


def Net():  # noqa: N802 - stands for the seed's class
    """The seed's LeNet (the shared definition in tests/helpers/seed.py)."""
    return seed_net(nn, F)


def BNDropNet():  # noqa: N802 - stands for a model class
    return bn_dropout_net(nn, F)


def _batches(n, shape, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((8, *shape), dtype=np.float32), rng.integers(0, 10, 8)) for _ in range(n)]


def _train(model_cls, make_optimizer, compiled, shape, steps=20):
    torch.manual_seed(0)
    net = model_cls()
    criterion = nn.CrossEntropyLoss()
    optimizer = make_optimizer(net.parameters())

    def train_step(inputs, labels):
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss

    step = torch.compile(train_step) if compiled else train_step
    losses = [step(torch.tensor(x), torch.tensor(y)).item() for x, y in _batches(steps, shape)]
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    return np.array(losses), state, step


CASES = {
    "lenet-sgd-momentum": (Net, lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9), (1, 32, 32)),
    "lenet-adam": (Net, lambda p: torch.optim.Adam(p, lr=1e-3), (1, 32, 32)),
    "batchnorm-dropout-sgd": (BNDropNet, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), (1, 8, 8)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_compiled_step_equals_eager_step_over_20_steps(case):
    model_cls, make_optimizer, shape = CASES[case]
    eager_losses, eager_state, _ = _train(model_cls, make_optimizer, False, shape)
    compiled_losses, compiled_state, step = _train(model_cls, make_optimizer, True, shape)
    np.testing.assert_allclose(compiled_losses, eager_losses, rtol=1e-5)
    assert eager_state.keys() == compiled_state.keys()
    for key in eager_state:
        # Relative error of each tensor as a whole (||compiled - eager|| / ||eager||): XLA fuses the whole
        # step differently from op-by-op dispatch, and Adam's near-sign updates turn last-bit gradient
        # differences into ~1e-4 relative changes of single near-zero weights.
        diff = np.linalg.norm((compiled_state[key] - eager_state[key]).astype(np.float64).ravel())
        norm = max(np.linalg.norm(eager_state[key].astype(np.float64).ravel()), 1e-12)
        assert diff / norm < 1e-5, (key, diff / norm)
    # The first call sees no gradients or optimizer state yet, the second does; then nothing recompiles.
    assert step.cache_size == 2


def test_state_is_written_back_so_eager_code_sees_it():
    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    @torch.compile
    def step(x):
        optimizer.zero_grad()
        loss = net(x).pow(2).sum()
        loss.backward()
        optimizer.step()
        return loss

    before = net.weight.detach().clone().numpy()
    step(torch.ones(4, 3))
    assert not np.allclose(net.weight.detach().numpy(), before)
    assert net.weight.grad is not None and net.weight.grad.shape == net.weight.shape
    assert "momentum_buffer" in optimizer.state_dict()["state"][0]
    # Eager code continues from the compiled state.
    optimizer.zero_grad()
    net(torch.ones(4, 3)).pow(2).sum().backward()
    optimizer.step()
    assert np.all(np.isfinite(net.weight.detach().numpy()))


def test_train_eval_switch_and_new_shapes_recompile_nothing_else_does():
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))

    @torch.compile
    def forward(x):
        return net(x).sum()

    forward(torch.ones(2, 4))
    forward(torch.ones(2, 4))
    assert forward.cache_size == 1
    net.eval()
    forward(torch.ones(2, 4))
    assert forward.cache_size == 2
    forward(torch.ones(3, 4))
    assert forward.cache_size == 3


def test_compiled_module_forward_matches_eager():
    torch.manual_seed(0)
    net = Net().eval()
    x = torch.randn(5, 1, 32, 32)
    compiled = torch.compile(net)
    with torch.no_grad():
        np.testing.assert_allclose(compiled(x).numpy(), net(x).numpy(), rtol=1e-5, atol=1e-6)


def test_item_inside_a_compiled_step_names_the_line():
    net = nn.Linear(3, 1)

    @torch.compile
    def step(x):
        loss = net(x).sum()
        if loss.item() > 0:  # reading a value inside the step
            return loss
        return -loss

    with pytest.raises(CompileError, match=r"test_compile.py:\d+ \(`if loss.item\(\) > 0:"):
        step(torch.ones(2, 3))
    # The module is left intact (no tracer leaked into it).
    assert np.all(np.isfinite(net.weight.detach().numpy()))


def test_function_touching_no_state_is_plain_jit():
    @torch.compile
    def f(a, b, scale=2.0):
        return (a @ b) * scale

    out = f(torch.ones(2, 3), np.ones((3, 2), np.float32), scale=3.0)
    np.testing.assert_allclose(out.numpy(), np.full((2, 2), 9.0))


def test_argument_that_is_neither_array_nor_static_is_refused_by_name():
    @torch.compile
    def f(x, options):
        return x * 2

    with pytest.raises(CompileError, match=r"argument 'options' has type object"):
        f(torch.ones(2), object())


def test_a_view_of_a_donated_buffer_stays_readable():
    net = nn.Linear(3, 2)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    stale = net.weight.detach()  # shares the parameter's buffer, which the step overwrites
    before = stale.numpy().copy()

    @torch.compile
    def step(x):
        optimizer.zero_grad()
        net(x).sum().backward()
        optimizer.step()

    step(torch.ones(1, 3))
    np.testing.assert_array_equal(stale.numpy(), before)  # copied before donation, never deleted
    np.testing.assert_array_equal((stale + 1).numpy(), before + 1)
    assert np.all(np.isfinite(net.weight.detach().numpy()))  # the parameter itself is fine
