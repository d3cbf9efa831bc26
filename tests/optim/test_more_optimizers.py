"""The optimizers beyond SGD/Adam/RMSprop/Adagrad against torch.optim: 20-step trajectories and state_dicts."""

import jax
import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import Tensor, optim
from functorch_lite.nn import Parameter

torch = pytest.importorskip("torch")

STEPS = 20
SHAPES = ((3, 2), (4,), (2, 3, 2))
MATRICES = ((3, 2), (2, 5), (4, 4))

CASES = [
    ("Adadelta", {}),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
    ("Adamax", {}),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, maximize=True, foreach=False)),
    ("NAdam", {}),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True, capturable=False)),
    ("RAdam", {}),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),  # rho_t > 5 from step 7 on: both branches
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Rprop", {}),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True, foreach=False)),
    ("ASGD", {}),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1, maximize=True)),
    ("Adafactor", {}),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-4, 1e-2), d=1.5, weight_decay=0.1, maximize=True)),
    ("Muon", {}),
    ("Muon", dict(lr=0.02, weight_decay=0.0, momentum=0.9, nesterov=False, adjust_lr_fn="match_rms_adamw")),
]
# Muon orthogonalises in bfloat16, as torch does: the two frameworks' bf16 matmuls round differently
# (a few bf16 ulps of the update), so its trajectory is compared at bfloat16's precision.
TOLERANCE = {"Muon": dict(rtol=2e-2, atol=2e-3)}


def _pair(name, options, shapes):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    torch_params = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in values]
    params = [Parameter(v) for v in values]
    return (
        getattr(torch.optim, name)(torch_params, **options),
        torch_params,
        getattr(optim, name)(params, **options),
        params,
    )


def _set_grads(step, torch_params, params):
    rng = np.random.default_rng(100 + step)
    for tp, p in zip(torch_params, params):
        grad = rng.standard_normal(tuple(tp.shape)).astype(np.float32)
        tp.grad, p.grad = torch.from_numpy(grad.copy()), Tensor(grad)


def _assert_state_dicts_equal(actual, expected, tolerance):
    assert actual["param_groups"] == expected["param_groups"]
    assert sorted(actual["state"]) == sorted(expected["state"])
    for index, slots in expected["state"].items():
        assert list(actual["state"][index]) == list(slots)
        for key, value in slots.items():
            np.testing.assert_allclose(np.asarray(actual["state"][index][key]), value.numpy(), **tolerance)


@pytest.mark.parametrize(
    "name, options",
    # Muon's Newton-Schulz matmuls make its cases the slow ones (10-16 s each here).
    [
        pytest.param(n, o, marks=[pytest.mark.slow] if n == "Muon" else [], id=f"{n}-{i}")
        for i, (n, o) in enumerate(CASES)
    ],
)
def test_trajectory_and_state_dict_match_torch(name, options):
    tolerance = TOLERANCE.get(name, dict(rtol=1e-5, atol=1e-6))
    torch_optimizer, torch_params, optimizer, params = _pair(name, options, MATRICES if name == "Muon" else SHAPES)
    for step in range(STEPS):
        _set_grads(step, torch_params, params)
        torch_optimizer.step()
        optimizer.step()
        for tp, p in zip(torch_params, params):
            np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), **tolerance, err_msg=f"step {step}")
    _assert_state_dicts_equal(optimizer.state_dict(), torch_optimizer.state_dict(), tolerance)


GROUP_CASES = [
    ("Adadelta", dict(lr=1.0), dict(rho=0.5, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01), dict(lr=0.02, decoupled_weight_decay=True, weight_decay=0.1, betas=(0.8, 0.9))),
    ("RAdam", dict(lr=0.01), dict(betas=(0.9, 0.9), maximize=True)),
    ("Rprop", dict(lr=0.01), dict(lr=0.05, etas=(0.4, 1.1))),
    ("ASGD", dict(lr=0.01), dict(lr=0.05, t0=3)),
    ("Adafactor", dict(lr=0.01), dict(beta2_decay=-0.6, d=2.0)),
]


@pytest.mark.parametrize("name, defaults, second_group", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_param_groups_with_different_options_match_torch(name, defaults, second_group):
    rng = np.random.default_rng(1)
    values = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    torch_params = [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in values]
    params = [Parameter(v) for v in values]

    def groups(ps):
        return [{"params": ps[:2]}, {"params": ps[2:], **second_group}]

    torch_optimizer = getattr(torch.optim, name)(groups(torch_params), **defaults)
    optimizer = getattr(optim, name)(groups(params), **defaults)
    for step in range(STEPS):
        _set_grads(step, torch_params, params)
        torch_optimizer.step()
        optimizer.step()
    for tp, p in zip(torch_params, params):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert optimizer.state_dict()["param_groups"] == torch_optimizer.state_dict()["param_groups"]


PURE = [
    ("Adadelta", optim.adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    ("Adamax", optim.adamax, dict(lr=0.01, maximize=True)),
    ("NAdam", optim.nadam, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", optim.radam, dict(lr=0.01, betas=(0.9, 0.9))),
    ("Rprop", optim.rprop, dict(lr=0.02, etas=(0.4, 1.3))),
    ("ASGD", optim.asgd, dict(lr=0.05, t0=5, lambd=0.01)),
    ("Adafactor", optim.adafactor, dict(lr=0.05, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, factory, options", PURE, ids=[p[0] for p in PURE])
def test_pure_optimizer_over_a_pytree_matches_torch(name, factory, options):
    """The pure factory lifts the same rule over a dict of arrays, jitted."""
    rng = np.random.default_rng(2)
    values = {"w": rng.standard_normal((3, 2)).astype(np.float32), "b": rng.standard_normal(4).astype(np.float32)}
    torch_params = {k: torch.nn.Parameter(torch.from_numpy(v.copy())) for k, v in values.items()}
    torch_optimizer = getattr(torch.optim, name)(list(torch_params.values()), **options)
    pure = factory(**options)
    params = jax.tree.map(np.asarray, values)
    state = pure.init(params)
    update = jax.jit(pure.update)
    for step in range(STEPS):
        grads = {k: np.random.default_rng(step).standard_normal(v.shape).astype(np.float32) for k, v in values.items()}
        for key, tp in torch_params.items():
            tp.grad = torch.from_numpy(grads[key].copy())
        torch_optimizer.step()
        params, state = update(grads, state, params)
    for key, tp in torch_params.items():
        np.testing.assert_allclose(np.asarray(params[key]), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert int(state.step) == STEPS


@pytest.mark.slow
def test_muon_rejects_non_matrices_and_pure_muon_matches_the_class():
    with pytest.raises(ValueError, match=r"Muon: only supports 2D parameters .* size: \(4,\)"):
        optim.Muon([Parameter(np.zeros(4, np.float32))])
    with pytest.raises(ValueError, match=r"muon: only 2-D parameters are supported, got shape \(4,\)"):
        optim.muon().init({"b": np.zeros(4, np.float32)})
    _, torch_params, optimizer, params = _pair("Muon", {}, MATRICES[:1])
    pure = optim.muon()
    # Both jitted: XLA may skip bfloat16 roundings inside a fusion (excess precision), eager does not.
    update = jax.jit(pure.update)
    value = np.asarray(params[0].detach().numpy())
    state = pure.init(value)
    for step in range(3):
        _set_grads(step, torch_params, params)
        optimizer.step()
        value, state = update(params[0].grad.numpy(), state, value)
    np.testing.assert_allclose(np.asarray(value), params[0].detach().numpy(), rtol=1e-6, atol=1e-7)


def _train_compiled_or_eager(name, compiled, second_group):
    rng = np.random.default_rng(0)
    x = fl.tensor(rng.standard_normal((16, 4)).astype(np.float32))
    y = fl.tensor(rng.standard_normal((16, 2)).astype(np.float32))
    fl.manual_seed(0)
    model = fl.nn.Sequential(fl.nn.Linear(4, 3), fl.nn.ReLU(), fl.nn.Linear(3, 2))
    params = list(model.parameters())
    optimizer = getattr(optim, name)([{"params": params[:2]}, {"params": params[2:], **second_group}], lr=0.01)

    def step(x, y):
        optimizer.zero_grad()
        loss = fl.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    step = fl.compile(step) if compiled else step
    losses = [step(x, y).item() for _ in range(6)]
    return losses, [p.detach().numpy() for p in params]


@pytest.mark.filterwarnings("ignore:Some donated buffers were not usable")
@pytest.mark.parametrize(
    "name, second_group",
    [
        ("NAdam", dict(lr=0.02, decoupled_weight_decay=True, weight_decay=0.1)),
        ("ASGD", dict(t0=2)),
        ("Rprop", dict(etas=(0.4, 1.3))),
    ],
)
def test_compiled_step_with_param_groups_equals_eager(name, second_group):
    losses, params = _train_compiled_or_eager(name, False, second_group)
    compiled_losses, compiled_params = _train_compiled_or_eager(name, True, second_group)
    np.testing.assert_allclose(compiled_losses, losses, rtol=1e-5)
    for actual, expected in zip(compiled_params, params):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
