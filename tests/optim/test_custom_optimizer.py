"""A user's optimizer written the way PyTorch's docs teach, subclassing `optim.Optimizer`, against torch."""

import numpy as np
import pytest

import functorch_lite as fl

torch = pytest.importorskip("torch")


def momentum_sgd_class(lib):
    """The same source, once for torch and once for functorch_lite (only the module differs)."""

    class MomentumSGD(lib.optim.Optimizer):
        def __init__(self, params, lr=0.01, momentum=0.9, weight_decay=0.0):
            if lr < 0.0:
                raise ValueError(f"Invalid learning rate: {lr}")
            super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

        @lib.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with lib.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    d_p = p.grad
                    if group["weight_decay"] != 0:
                        d_p = d_p.add(p, alpha=group["weight_decay"])
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        buf = state["momentum_buffer"] = lib.clone(d_p).detach()
                    else:
                        buf = state["momentum_buffer"]
                        buf.mul_(group["momentum"]).add_(d_p)
                    state["steps"] = state.get("steps", 0) + 1
                    p.add_(buf, alpha=-group["lr"])
            return loss

    return MomentumSGD


def adam_like_class(lib):
    class SimpleAdam(lib.optim.Optimizer):
        def __init__(self, params, lr=1e-2, betas=(0.9, 0.99), eps=1e-8):
            super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

        @lib.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with lib.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = 0
                        state["exp_avg"] = lib.zeros_like(p)
                        state["exp_avg_sq"] = lib.zeros_like(p)
                    state["step"] += 1
                    state["exp_avg"].mul_(beta1).add_(p.grad, alpha=1 - beta1)
                    state["exp_avg_sq"].mul_(beta2).add_(p.grad * p.grad, alpha=1 - beta2)
                    corrected = state["exp_avg"] / (1 - beta1 ** state["step"])
                    scale = (state["exp_avg_sq"] / (1 - beta2 ** state["step"])).sqrt().add_(group["eps"])
                    p.sub_(corrected / scale, alpha=group["lr"])
            return loss

    return SimpleAdam


def _train(lib, make_class, steps=20, use_closure=False, **options):
    rng = np.random.default_rng(0)
    inputs, targets = rng.standard_normal((16, 4)).astype(np.float32), rng.standard_normal((16, 2)).astype(np.float32)
    lib.manual_seed(0)
    model = lib.nn.Linear(4, 2)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(rng.standard_normal((2, 4)).astype(np.float32)))
        model.bias.copy_(lib.tensor(rng.standard_normal(2).astype(np.float32)))
    optimizer = make_class(lib)([{"params": [model.weight]}, {"params": [model.bias], "lr": 0.05}], **options)
    x, y = lib.tensor(inputs), lib.tensor(targets)

    def closure():
        optimizer.zero_grad()
        loss = lib.nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    losses = []
    for _ in range(steps):
        if use_closure:
            losses.append(optimizer.step(closure).item())
        else:
            losses.append(closure().item())
            optimizer.step()
    return losses, [model.weight.detach().numpy(), model.bias.detach().numpy()], optimizer


@pytest.mark.parametrize("use_closure", [False, True])
@pytest.mark.parametrize(
    "make_class, options",
    [
        pytest.param(momentum_sgd_class, dict(lr=0.1, weight_decay=0.01), id="momentum_sgd"),
        # ~20 s on a cold compilation cache: many distinct eager ops, each compiled once.
        pytest.param(adam_like_class, dict(lr=0.02), id="adam_like", marks=pytest.mark.slow),
    ],
)
def test_custom_optimizer_matches_the_same_code_in_torch(make_class, options, use_closure):
    losses, params, optimizer = _train(fl, make_class, use_closure=use_closure, **options)
    torch_losses, torch_params, torch_optimizer = _train(torch, make_class, use_closure=use_closure, **options)
    np.testing.assert_allclose(losses, torch_losses, rtol=1e-5, atol=1e-6)
    for actual, expected in zip(params, torch_params):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    assert isinstance(optimizer, fl.optim.Optimizer)
    assert optimizer.defaults == torch_optimizer.defaults
    saved, torch_saved = optimizer.state_dict(), torch_optimizer.state_dict()
    assert saved["param_groups"] == torch_saved["param_groups"]
    for index, slots in torch_saved["state"].items():
        assert list(saved["state"][index]) == list(slots)
        for key, value in slots.items():
            np.testing.assert_allclose(np.asarray(saved["state"][index][key]), np.asarray(value), rtol=1e-5, atol=1e-6)


def test_custom_optimizer_state_dict_round_trip_and_add_param_group():
    _, _, optimizer = _train(fl, momentum_sgd_class, steps=3, lr=0.1)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    other = momentum_sgd_class(fl)([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}], lr=0.1)
    other.load_state_dict(optimizer.state_dict())
    assert other.state[params[0]]["steps"] == 3
    buffer = other.state[params[0]]["momentum_buffer"]
    assert isinstance(buffer, fl.Tensor)
    np.testing.assert_array_equal(buffer.numpy(), optimizer.state[params[0]]["momentum_buffer"].numpy())
    extra = fl.nn.Parameter(fl.zeros(3))
    other.add_param_group({"params": [extra], "momentum": 0.5})
    assert other.param_groups[2] == {"params": [extra], "lr": 0.1, "momentum": 0.5, "weight_decay": 0.0}


def test_base_class_step_without_a_rule_says_what_to_do():
    optimizer = fl.optim.Optimizer([fl.nn.Parameter(fl.zeros(2))], {"lr": 0.1})
    with pytest.raises(NotImplementedError, match="Optimizer: a subclass of Optimizer must define step"):
        optimizer.step()


def _user_sgd_run(compiled: bool) -> list:
    """A user's momentum SGD (PyTorch's documented pattern) trained 5 steps, eagerly or compiled."""

    class UserSGD(fl.optim.Optimizer):
        def __init__(self, params, lr=0.1, momentum=0.9):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        @fl.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = fl.zeros_like(p)
                    buf = state["momentum_buffer"]
                    buf.mul_(group["momentum"]).add_(p.grad)
                    p.add_(buf, alpha=-group["lr"])

    fl.manual_seed(0)
    net = fl.nn.Linear(4, 2)
    optimizer = UserSGD(net.parameters())
    x, y = fl.randn(8, 4), fl.randn(8, 2)

    def step(x, y):
        optimizer.zero_grad()
        loss = fl.nn.functional.mse_loss(net(x), y)
        loss.backward()
        optimizer.step()
        return loss

    step = fl.compile(step) if compiled else step
    losses = [step(x, y).item() for _ in range(5)]
    return losses + np.asarray(net.weight.detach()).ravel().tolist()


def test_custom_optimizer_under_compile_equals_eager():
    np.testing.assert_allclose(_user_sgd_run(compiled=True), _user_sgd_run(compiled=False), rtol=1e-5, atol=1e-6)
