"""LBFGS against torch.optim.LBFGS: step(closure), strong-Wolfe line search, history, state_dict."""

import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite.optim import rules

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
INPUTS = RNG.standard_normal((12, 3)).astype(np.float32)
TARGETS = RNG.standard_normal((12, 2)).astype(np.float32)
WEIGHT = RNG.standard_normal((2, 3)).astype(np.float32)
BIAS = RNG.standard_normal(2).astype(np.float32)


def _run(lib, outer_steps=4, **options):
    # Four outer steps stay clear of the optimum, where float32 noise in the loss decides the stopping tests.
    weight = lib.nn.Parameter(lib.tensor(WEIGHT.copy()))
    bias = lib.nn.Parameter(lib.tensor(BIAS.copy()))
    x, y = lib.tensor(INPUTS), lib.tensor(TARGETS)
    optimizer = lib.optim.LBFGS([weight, bias], **options)

    def closure():
        optimizer.zero_grad()
        prediction = lib.tanh(x @ weight.t() + bias)  # not a quadratic: the line search has work to do
        loss = ((prediction - y) ** 2).mean() + 0.1 * (weight**4).sum()
        loss.backward()
        return loss

    history = []
    for _ in range(outer_steps):
        loss = optimizer.step(closure)
        history.append((loss.item(), weight.detach().numpy().copy(), bias.detach().numpy().copy()))
    return history, optimizer


@pytest.mark.parametrize(
    "options",
    [
        dict(lr=0.5, max_iter=3),
        dict(lr=1, max_iter=3, line_search_fn="strong_wolfe"),
        dict(lr=1, max_iter=4, history_size=2, line_search_fn="strong_wolfe"),
        dict(lr=0.8, max_iter=3, max_eval=4, history_size=3),
    ],
    ids=["fixed-step", "strong-wolfe", "short-history", "max-eval"],
)
def test_trajectory_matches_torch(options):
    history, optimizer = _run(fl, **options)
    torch_history, torch_optimizer = _run(torch, **options)
    for (loss, weight, bias), (torch_loss, torch_weight, torch_bias) in zip(history, torch_history):
        np.testing.assert_allclose(loss, torch_loss, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(weight, torch_weight, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(bias, torch_bias, rtol=1e-4, atol=1e-5)
    saved, torch_saved = optimizer.state_dict(), torch_optimizer.state_dict()
    assert saved["param_groups"] == torch_saved["param_groups"]
    assert list(saved["state"][0]) == list(torch_saved["state"][0])
    for key in ("func_evals", "n_iter"):
        assert saved["state"][0][key] == torch_saved["state"][0][key]
    np.testing.assert_allclose(saved["state"][0]["d"], torch_saved["state"][0]["d"].numpy(), rtol=1e-3, atol=1e-5)


def test_load_state_dict_from_torch_continues_the_run():
    options = dict(lr=1, max_iter=3, line_search_fn="strong_wolfe")
    torch_history, torch_optimizer = _run(torch, outer_steps=2, **options)
    weight = fl.nn.Parameter(fl.tensor(torch_history[-1][1]))
    bias = fl.nn.Parameter(fl.tensor(torch_history[-1][2]))
    optimizer = fl.optim.LBFGS([weight, bias], **options)
    optimizer.load_state_dict(torch_optimizer.state_dict())
    assert optimizer.state[weight]["n_iter"] == torch_optimizer.state_dict()["state"][0]["n_iter"]
    more, _ = _run(torch, outer_steps=3, **options)
    x, y = fl.tensor(INPUTS), fl.tensor(TARGETS)

    def closure():
        optimizer.zero_grad()
        loss = ((fl.tanh(x @ weight.t() + bias) - y) ** 2).mean() + 0.1 * (weight**4).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    np.testing.assert_allclose(weight.detach().numpy(), more[-1][1], rtol=1e-4, atol=1e-5)


def test_pure_step_minimises_a_quadratic():
    matrix = jnp.asarray([[3.0, 0.5], [0.5, 1.0]])

    def evaluate(x):
        return float(0.5 * x @ matrix @ x - x.sum()), matrix @ x - 1.0

    x, state, _ = rules.lbfgs_step(evaluate, jnp.zeros(2), rules.LBFGSState(), line_search_fn="strong_wolfe")
    np.testing.assert_allclose(x, np.linalg.solve(np.asarray(matrix), np.ones(2)), rtol=1e-3)
    assert state.n_iter >= 2


def test_errors():
    param = fl.nn.Parameter(fl.zeros(2))
    with pytest.raises(ValueError, match="LBFGS: line_search_fn must be None or 'strong_wolfe', got 'armijo'"):
        fl.optim.LBFGS([param], line_search_fn="armijo")
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        fl.optim.LBFGS([{"params": [param]}, {"params": [fl.nn.Parameter(fl.zeros(1))]}])
    with pytest.raises(TypeError, match="LBFGS.step: a closure"):
        fl.optim.LBFGS([param]).step()
