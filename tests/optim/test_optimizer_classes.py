"""The optimizer classes against torch.optim: updates, param groups, state_dict, errors, tracing."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from functorch_lite import Tensor, optim
from functorch_lite.nn import Parameter
from functorch_lite.nn.parameter import set_array

torch = pytest.importorskip("torch")

CASES = {
    "SGD": dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
    "SGD-plain": dict(lr=0.1),
    "Adam": dict(lr=0.01, weight_decay=0.1, amsgrad=True),
    "AdamW": dict(lr=0.01),
    "RMSprop": dict(lr=0.01, momentum=0.5, centered=True),
    "Adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
}


def _pair(name, shapes=((3, 2), (4,))):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    cls = name.split("-")[0]
    torch_params = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in values]
    params = [Parameter(v) for v in values]
    return (
        getattr(torch.optim, cls)(torch_params, **CASES[name]),
        torch_params,
        getattr(optim, cls)(params, **CASES[name]),
        params,
    )


def _set_grads(step, torch_params, params):
    rng = np.random.default_rng(step)
    for tp, p in zip(torch_params, params):
        grad = rng.standard_normal(tuple(tp.shape)).astype(np.float32)
        tp.grad, p.grad = torch.from_numpy(grad.copy()), Tensor(grad)


@pytest.mark.parametrize("name", sorted(CASES))
def test_updates_and_state_dict_match_torch(name):
    torch_optimizer, torch_params, optimizer, params = _pair(name)
    for step in range(5):
        _set_grads(step, torch_params, params)
        torch_optimizer.step()
        optimizer.step()
    for tp, p in zip(torch_params, params):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    expected, actual = torch_optimizer.state_dict(), optimizer.state_dict()
    assert actual["param_groups"] == expected["param_groups"]
    assert sorted(actual["state"]) == sorted(expected["state"])
    for index, slots in expected["state"].items():
        assert list(actual["state"][index]) == list(slots)
        for key, value in slots.items():
            np.testing.assert_allclose(np.asarray(actual["state"][index][key]), value.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_load_state_dict_from_torch_continues_identically(name):
    torch_optimizer, torch_params, optimizer, params = _pair(name)
    for step in range(2):
        _set_grads(step, torch_params, params)
        torch_optimizer.step()
    for tp, p in zip(torch_params, params):
        set_array(p, jnp.array(tp.detach().numpy(), copy=True))
    optimizer.load_state_dict(torch_optimizer.state_dict())
    _set_grads(9, torch_params, params)
    torch_optimizer.step()
    optimizer.step()
    for tp, p in zip(torch_params, params):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_param_groups_options_add_param_group_and_skipped_params():
    a, b, c = (Parameter(np.ones(2, np.float32)) for _ in range(3))
    optimizer = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": c, "momentum": 0.0})
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.5, 0.1]
    assert optimizer.param_groups[2]["momentum"] == 0.0
    a.grad = Tensor(np.ones(2, np.float32))
    optimizer.step()  # b and c have no grad: untouched, no state
    np.testing.assert_allclose(a.detach().numpy(), 0.9)
    np.testing.assert_allclose(b.detach().numpy(), 1.0)
    assert list(optimizer.state_dict()["state"]) == [0]
    assert optimizer.state_dict()["param_groups"][1]["params"] == [1]
    optimizer.zero_grad()
    assert a.grad is None


def test_closure_lr_change_without_recompiling_and_zero_grad_in_place():
    param = Parameter(np.ones(3, np.float32))
    optimizer = optim.SGD([param], lr=0.1)

    def closure():
        optimizer.zero_grad(set_to_none=False) if param.grad is not None else None
        loss = (param * param).sum()
        loss.backward()
        return loss

    assert float(optimizer.step(closure).item()) == 3.0
    optimizer.param_groups[0]["lr"] = 0.01
    optimizer.step(closure)
    np.testing.assert_allclose(param.detach().numpy(), 0.8 * (1 - 0.02), rtol=1e-6)


def test_step_runs_on_tracers_inside_jit():
    param = Parameter(np.ones(3, np.float32))
    optimizer = optim.Adam([param], lr=0.1)

    def pure_step(value, grad, lr):
        param._array, param._grad = value, Tensor._wrap(grad)
        optimizer.param_groups[0]["lr"] = lr
        optimizer.step()
        return param._array, optimizer.state[param]["exp_avg"]

    new_value, exp_avg = jax.jit(pure_step)(jnp.ones(3), jnp.full(3, 2.0), 0.1)
    np.testing.assert_allclose(np.asarray(new_value), 0.9, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(exp_avg), 0.2, rtol=1e-6)


def test_bad_input_raises_clear_errors():
    param = Parameter(np.ones(2, np.float32))
    with pytest.raises(ValueError, match="SGD: optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Adam: Invalid learning rate: lr must be a non-negative number, got -0.1"):
        optim.Adam([param], lr=-0.1)
    with pytest.raises(TypeError, match="momentom"):
        optim.SGD([param], lr=0.1, momentom=0.9)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [param]}, {"params": [param]}], lr=0.1)
    with pytest.raises(ValueError, match="the same parameter twice"):
        optim.SGD([param, param], lr=0.1)
    with pytest.raises(ValueError, match="Invalid betas"):
        optim.Adam([param], betas=(0.9, 1.5))
    with pytest.raises(ValueError, match="Nesterov momentum requires"):
        optim.SGD([param], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(param, lr=0.1)
    with pytest.raises(TypeError, match=r"params\[0\] is a ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="Invalid weight_decay value"):
        optim.RMSprop([param], weight_decay=-1)
    optimizer = optim.SGD([param], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optimizer.load_state_dict({"state": {}, "param_groups": []})
