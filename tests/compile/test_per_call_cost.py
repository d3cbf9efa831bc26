"""The compiled step's per-call cost stays flat in the parameter count (issue 9, item 5).

Each buffer a jitted call takes or gives costs dispatch time, so the compiled step passes what a
hand-written `jax.jit` step would: the parameters in and out, and the new small gradients packed
into one buffer (cut into `.grad` arrays only when one is read). SGD keeps no per-parameter step
count, as in PyTorch. The numbers stay the eager ones.
"""

import jax
import numpy as np
import pytest

import functorch_lite as torch
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from tests.helpers.numerics import FLOAT32_MODEL, assert_close


def _mlp(depth, width=4):
    torch.manual_seed(0)
    return nn.Sequential(*[m for _ in range(depth) for m in (nn.Linear(width, width), nn.Tanh())])


def _step(net, opt, zero_grad=True):
    def step(x, y):
        if zero_grad:
            opt.zero_grad()
        loss = F.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def _data(seed=0, width=4):
    rng = np.random.default_rng(seed)
    return [torch.tensor(rng.standard_normal((3, width), dtype=np.float32)) for _ in range(2)]


def _program(compiled):
    return [p for programs in compiled._programs.values() for p in programs][-1]


def _output_count(compiled, *args):
    program = _program(compiled)
    state = program.read()
    donated, kept = [state[i] for i in program.donated], [state[i] for i in program.kept]
    shapes = jax.eval_shape(program.jitted, donated, kept, program.learning_rates(), [a.array for a in args])
    return len(jax.tree.leaves(shapes))


@pytest.mark.parametrize("depth", [3, 12])
def test_outputs_are_the_parameters_plus_one_packed_gradient_buffer(depth):
    net = _mlp(depth)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    step = torch.compile(_step(net, opt))
    x, y = _data()
    for _ in range(3):
        step(x, y)
    n_params = len(list(net.parameters()))
    # the loss, the new parameters, one buffer holding every new .grad; no per-parameter step count
    assert _output_count(step, x, y) == 1 + n_params + 1
    assert all(not s for s in opt.state.values())


def test_sgd_keeps_no_step_count_like_torch():
    import torch as real_torch

    net = _mlp(2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    ref_net = real_torch.nn.Sequential(*[real_torch.nn.Linear(4, 4) for _ in range(2)])
    ref = real_torch.optim.SGD(ref_net.parameters(), lr=0.1, momentum=0.9)
    x, y = _data()
    for optimizer, model, inputs in ((opt, net, (x, y)), (ref, ref_net, None)):
        if inputs is None:
            xs, ys = (real_torch.tensor(np.asarray(t.numpy())) for t in (x, y))
        else:
            xs, ys = inputs
        optimizer.zero_grad()
        ((model(xs) - ys) ** 2).mean().backward()
        optimizer.step()
    assert [sorted(opt.state[p]) for p in net.parameters()] == [["momentum_buffer"]] * 4
    assert [sorted(ref.state[p]) for p in ref_net.parameters()] == [["momentum_buffer"]] * 4


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_packed_gradients_equal_eager_gradients_every_step(momentum):
    x, y = _data()
    results = []
    for compiled in (False, True):
        net = _mlp(4)
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=momentum)
        step = _step(net, opt)
        step = torch.compile(step) if compiled else step
        trail = []
        for _ in range(4):
            step(x, y)
            trail.append(
                [p.grad.numpy().copy() for p in net.parameters()] + [p.detach().numpy() for p in net.parameters()]
            )
        results.append(trail)
    for eager, compiled in zip(*results):
        for a, b in zip(compiled, eager):
            assert_close(a, b, FLOAT32_MODEL)


def test_a_held_gradient_keeps_its_values_and_a_new_step_gives_a_new_one():
    net = _mlp(3)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    step = torch.compile(_step(net, opt))
    x, y = _data()
    for _ in range(3):
        step(x, y)
    weight = net[0].weight
    held = weight.grad
    before = held.numpy().copy()
    step(x, y)
    assert weight.grad is not held  # zero_grad(set_to_none=True) + backward: a new .grad, as in torch
    np.testing.assert_array_equal(held.numpy(), before)
    assert not np.array_equal(weight.grad.numpy(), before)


def test_gradients_accumulated_across_compiled_calls_without_zero_grad():
    x, y = _data()
    results = []
    for compiled in (False, True):
        net = _mlp(3)
        opt = torch.optim.SGD(net.parameters(), lr=0.0)  # lr 0: the gradient is the same every call
        step = _step(net, opt, zero_grad=False)
        step = torch.compile(step) if compiled else step
        for _ in range(3):
            step(x, y)
        results.append([p.grad.numpy() for p in net.parameters()])
    for a, b in zip(*results):
        assert_close(a, b, FLOAT32_MODEL)


def test_a_large_parameter_gradient_is_its_own_output():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(128, 128), nn.Linear(128, 2), nn.Linear(2, 2))  # 16384 > the packing limit
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    step = torch.compile(_step(net, opt))
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((4, 128), dtype=np.float32))
    y = torch.tensor(rng.standard_normal((4, 2), dtype=np.float32))
    for _ in range(2):
        step(x, y)
    assert type(net[0].weight.grad) is torch.Tensor
    assert type(net[2].weight.grad) is not torch.Tensor and isinstance(net[2].weight.grad, torch.Tensor)
    assert _output_count(step, x, y) == 1 + 6 + 1 + 1  # loss, params, the big grad, one pack


def test_optimizer_slots_update_in_their_own_buffers_when_new_grads_are_returned():
    """jax gives a donated buffer to the first output of its shape: the new (unpacked) grads come after the
    optimizer's slots, so each momentum buffer is updated in place instead of lending its buffer to the new
    grad of the same shape (which made XLA copy both every step)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(128, 96), nn.ReLU(), nn.Linear(96, 128))  # weights above the pack limit
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    step = torch.compile(_step(net, opt))
    x, y = (torch.tensor(np.random.default_rng(1).standard_normal((8, 128), dtype=np.float32)) for _ in range(2))
    step(x, y)
    step(x, y)  # the momentum buffers exist: from now on the same program runs
    weights = [net[0].weight, net[2].weight]

    def momentum_buffers():
        return [
            getattr(b, "array", b).unsafe_buffer_pointer() for b in (opt.state[w]["momentum_buffer"] for w in weights)
        ]

    before = momentum_buffers()
    step(x, y)
    after = momentum_buffers()
    assert after == before
    assert not {w.grad.array.unsafe_buffer_pointer() for w in weights} & set(before)
