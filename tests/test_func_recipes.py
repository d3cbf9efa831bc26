"""torch.func's own recipes (per-sample gradients, model ensembling), written here in our words and run on
both libraries with only the import line changed; and the caller's dict key order through every transform."""

import copy

import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite.func import (
    functional_call,
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    stack_module_state,
    vjp,
    vmap,
)

torch = pytest.importorskip("torch")


def _per_sample_grads(lib, seed_state):
    """The per-sample-gradient recipe; `lib` plays `torch` (the import line is the only difference)."""
    nn, F = lib.nn, lib.nn.functional
    func = lib.func

    class SimpleCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.fc1 = nn.Linear(4 * 3 * 3, 5)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.max_pool2d(x, 2)
            return self.fc1(lib.flatten(x, 1))

    model = SimpleCNN()
    model.load_state_dict({k: lib.tensor(v) for k, v in seed_state.items()})
    rng = np.random.default_rng(1)
    data = lib.tensor(rng.standard_normal((6, 1, 8, 8)).astype(np.float32))
    targets = lib.tensor(rng.integers(0, 5, 6))

    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        batch, targets = sample.unsqueeze(0), target.unsqueeze(0)
        predictions = func.functional_call(model, (params, buffers), (batch,))
        return F.cross_entropy(predictions, targets)

    ft_per_sample_grads = func.vmap(func.grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data, targets)
    # The docs' check: zip the model's parameters with the per-sample gradients' values.
    for per_sample_grad, param in zip(ft_per_sample_grads.values(), model.parameters()):
        assert per_sample_grad.shape == (6, *param.shape)
    return list(ft_per_sample_grads), [g.detach().numpy() for g in ft_per_sample_grads.values()]


@pytest.mark.slow
def test_per_sample_gradients_recipe_matches_torch():
    rng = np.random.default_rng(0)
    shapes = {"conv1.weight": (4, 1, 3, 3), "conv1.bias": (4,), "fc1.weight": (5, 36), "fc1.bias": (5,)}
    state = {k: (0.3 * rng.standard_normal(s)).astype(np.float32) for k, s in shapes.items()}
    our_keys, ours = _per_sample_grads(fl, state)
    their_keys, theirs = _per_sample_grads(torch, state)
    assert our_keys == their_keys == ["conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias"]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _ensemble(lib, states, minibatches):
    """The model-ensembling recipe: stack the models' state, vmap functional_call over it."""
    nn = lib.nn
    func = lib.func

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(6, 8)
            self.fc2 = nn.Linear(8, 3)

        def forward(self, x):
            return self.fc2(lib.relu(self.fc1(x)))

    models = []
    for state in states:
        model = MLP()
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        models.append(model)
    params, buffers = func.stack_module_state(models)
    base_model = copy.deepcopy(models[0]).to("meta")

    def fmodel(params, buffers, x):
        return func.functional_call(base_model, (params, buffers), (x,))

    same_batch = func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, lib.tensor(minibatches[0]))
    own_batch = func.vmap(fmodel)(params, buffers, lib.tensor(minibatches))
    looped = [model(lib.tensor(minibatches[0])) for model in models]
    np.testing.assert_allclose(
        same_batch.detach().numpy(), np.stack([y.detach().numpy() for y in looped]), rtol=1e-5, atol=1e-6
    )
    return list(params), params["fc1.weight"].shape, same_batch.detach().numpy(), own_batch.detach().numpy()


@pytest.mark.slow
def test_model_ensembling_recipe_matches_torch():
    rng = np.random.default_rng(2)
    shapes = {"fc1.weight": (8, 6), "fc1.bias": (8,), "fc2.weight": (3, 8), "fc2.bias": (3,)}
    states = [{k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()} for _ in range(4)]
    minibatches = rng.standard_normal((4, 5, 6)).astype(np.float32)
    ours, theirs = _ensemble(fl, states, minibatches), _ensemble(torch, states, minibatches)
    assert ours[0] == theirs[0] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert tuple(ours[1]) == tuple(theirs[1]) == (4, 8, 6)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-5, atol=1e-5)


def test_stack_module_state_leaves_and_errors():
    models = [fl.nn.BatchNorm1d(3) for _ in range(2)]
    params, buffers = stack_module_state(models)
    assert list(params) == ["weight", "bias"] and all(p.requires_grad and p.is_leaf for p in params.values())
    assert list(buffers) == ["running_mean", "running_var", "num_batches_tracked"]
    assert tuple(buffers["running_var"].shape) == (2, 3)
    with pytest.raises(ValueError, match="stack_module_state: expected at least one model"):
        stack_module_state([])
    with pytest.raises(ValueError, match=r"parameter 'weight' of model 1 has shape \(3, 4\), model 0's has \(3, 2\)"):
        stack_module_state([fl.nn.Linear(2, 3), fl.nn.Linear(4, 3)])
    with pytest.raises(ValueError, match="model 1 is a Linear"):
        stack_module_state([fl.nn.BatchNorm1d(3), fl.nn.Linear(3, 3)])


# -- the caller's key order ------------------------------------------------------------------------
KEYS = ["z", "b", "y", "a"]  # deliberately not sorted


def _params():
    rng = np.random.default_rng(3)
    return {k: fl.tensor(rng.standard_normal(2).astype(np.float32)) for k in KEYS}


def _loss(params):
    return sum((v * (i + 1)).sin().sum() for i, v in enumerate(params.values()))


def _as_dict(params):
    return {k: v * 2 for k, v in reversed(list(params.items()))}


def test_every_transform_keeps_the_callers_key_order():
    params = _params()
    assert list(grad(_loss)(params)) == KEYS
    gradient, value = grad_and_value(_loss)(params)
    assert list(gradient) == KEYS
    out, pullback = vjp(_as_dict, params)
    assert list(out) == KEYS[::-1]
    assert list(pullback({k: fl.ones(2) for k in KEYS})[0]) == KEYS  # cotangents in another order
    primal_out, tangent_out = jvp(_as_dict, (params,), ({k: fl.ones(2) for k in KEYS},))
    assert list(primal_out) == list(tangent_out) == KEYS[::-1]
    assert list(jacrev(_loss)(params)) == KEYS
    assert list(jacfwd(_loss)(params)) == KEYS
    hess = hessian(_loss)(params)
    assert list(hess) == KEYS and all(list(row) == KEYS for row in hess.values())
    batched = {k: fl.ones(5, 2) for k in KEYS}
    assert list(vmap(grad(_loss))(batched)) == KEYS
    dims = {k: 0 for k in sorted(KEYS)}  # in_dims given in another order
    assert list(vmap(_as_dict, in_dims=(dims,))(batched)) == KEYS[::-1]
    np.testing.assert_allclose(gradient["z"].numpy(), np.cos(params["z"].numpy()), rtol=1e-6)


def test_functional_call_accepts_any_key_order():
    net = fl.nn.Linear(3, 2)
    state = dict(reversed(list(net.state_dict().items())))
    x = fl.ones(1, 3)
    np.testing.assert_allclose(functional_call(net, state, (x,)).detach().numpy(), net(x).detach().numpy())
