"""The optimizers beyond SGD/Adam/RMSprop/Adagrad against torch.optim: 20-step trajectories and state_dicts."""

import numpy as np
import pytest

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


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
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
