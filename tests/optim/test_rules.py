"""Parity of functorch_lite.optim's pure optimizers with torch.optim, plus their pytree contract."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.optim as fo
from tests.helpers.numerics import FLOAT32_GRAD, FLOAT32_MODEL, FLOAT32_OP, assert_close

torch = pytest.importorskip("torch")

STEPS = 50
RNG = np.random.default_rng(0)
INPUTS = RNG.standard_normal((8, 4)).astype(np.float32)
# Targets far from the start keep gradients large for all 50 steps: near an optimum Adam and
# RMSprop act like sign descent and would amplify last-bit differences between torch's and
# XLA's gradient arithmetic, testing the problem's conditioning instead of the update rule.
TARGETS = 5 * RNG.standard_normal((8, 3)).astype(np.float32)
KERNEL_TARGET = 5 * RNG.standard_normal((2, 2)).astype(np.float32)
INITIAL = {
    "weight": RNG.standard_normal((3, 4)).astype(np.float32),
    "bias": RNG.standard_normal(3).astype(np.float32),
    "kernel": RNG.standard_normal((2, 2)).astype(np.float32),
}


def loss_terms(weight, bias, kernel, inputs, targets, kernel_target):
    """Least squares plus a quartic term; written once, evaluated by each framework."""
    residual = inputs @ weight.T + bias - targets
    return (residual**2).mean() + ((kernel @ kernel - kernel_target) ** 2).mean()


def jax_loss(params, sign):
    weight, bias = params["linear"]["weight"], params["linear"]["bias"]
    kernel = params["extra"][0]
    return sign * loss_terms(weight, bias, kernel, INPUTS, TARGETS, KERNEL_TARGET)


def jax_params():
    # A None leaf and nested list/dict exercise the pytree lifting.
    return {
        "linear": {"weight": jnp.asarray(INITIAL["weight"]), "bias": jnp.asarray(INITIAL["bias"])},
        "extra": [jnp.asarray(INITIAL["kernel"]), None],
    }


def flat(params):
    return [params["linear"]["weight"], params["linear"]["bias"], params["extra"][0]]


OPTIMIZERS = {
    "sgd": (fo.sgd, "SGD", 0.05),
    "adam": (fo.adam, "Adam", 0.01),
    "adamw": (fo.adamw, "AdamW", 0.01),
    "rmsprop": (fo.rmsprop, "RMSprop", 0.01),
    "adagrad": (fo.adagrad, "Adagrad", 0.1),
}

CASES = [
    ("sgd", {}),
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "dampening": 0.5}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("sgd", {"weight_decay": 0.1}),
    ("sgd", {"maximize": True}),
    ("sgd", {"momentum": 0.8, "weight_decay": 0.05, "nesterov": True, "maximize": True}),
    ("adam", {}),
    ("adam", {"amsgrad": True}),
    ("adam", {"weight_decay": 0.1}),
    ("adam", {"maximize": True}),
    ("adam", {"betas": (0.8, 0.99), "eps": 1e-6, "amsgrad": True, "weight_decay": 0.05}),
    ("adamw", {}),
    ("adamw", {"amsgrad": True}),
    ("adamw", {"weight_decay": 0.3}),
    ("adamw", {"maximize": True, "amsgrad": True}),
    ("rmsprop", {}),
    ("rmsprop", {"centered": True}),
    ("rmsprop", {"momentum": 0.9}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "alpha": 0.9}),
    ("rmsprop", {"weight_decay": 0.1}),
    ("rmsprop", {"maximize": True}),
    ("adagrad", {}),
    ("adagrad", {"lr_decay": 0.1}),
    ("adagrad", {"initial_accumulator_value": 0.5}),
    ("adagrad", {"weight_decay": 0.1}),
    ("adagrad", {"maximize": True, "lr_decay": 0.05}),
]


def run_torch(class_name, kwargs, steps=STEPS, scheduler=None):
    tensors = [torch.tensor(INITIAL[name], requires_grad=True) for name in ("weight", "bias", "kernel")]
    optimizer = getattr(torch.optim, class_name)(tensors, foreach=False, **kwargs)
    lr_scheduler = scheduler(optimizer) if scheduler else None
    sign = -1.0 if kwargs.get("maximize") else 1.0
    inputs, targets, kernel_target = map(torch.tensor, (INPUTS, TARGETS, KERNEL_TARGET))
    for _ in range(steps):
        optimizer.zero_grad()
        (sign * loss_terms(*tensors, inputs, targets, kernel_target)).backward()
        optimizer.step()
        if lr_scheduler:
            lr_scheduler.step()
    return tensors, optimizer


def run_jax(optimizer, maximize, steps=STEPS):
    sign = -1.0 if maximize else 1.0

    @jax.jit
    def train_step(params, state):
        return optimizer.update(jax.grad(jax_loss)(params, sign), state, params)

    params = jax_params()
    state = optimizer.init(params)
    for _ in range(steps):
        params, state = train_step(params, state)
    return params, state


@pytest.mark.parametrize("name,options", CASES, ids=[f"{n}-{'-'.join(o) or 'default'}" for n, o in CASES])
def test_matches_torch_for_50_steps(name, options):
    factory, class_name, lr = OPTIMIZERS[name]
    kwargs = {"lr": lr, **options}
    params, state = run_jax(factory(**kwargs), options.get("maximize", False))
    tensors, torch_optimizer = run_torch(class_name, kwargs)
    for actual, expected in zip(flat(params), tensors, strict=True):
        assert_close(actual, expected, FLOAT32_MODEL)
    # Slot names equal torch's per-parameter state keys (SGD keeps a step torch does not).
    assert int(state.step) == STEPS and state.step.dtype == jnp.int32
    for index, tensor in enumerate(tensors):
        torch_state = torch_optimizer.state[tensor]
        slots = {slot: value for slot, value in state._asdict().items() if slot != "step" and value is not None}
        expected_keys = set(slots) | ({"step"} if name != "sgd" else set())
        assert {key for key, value in torch_state.items() if value is not None} == expected_keys
        # Slots shrink as the problem converges, so they get an absolute tolerance on the
        # scale of the (O(10)) gradients that were rounded to build them.
        for slot, tree in slots.items():
            assert_close(flat(tree)[index], torch_state[slot], FLOAT32_GRAD)


SCHEDULE_CASES = [
    (
        "adam",
        {},
        fo.cosine_annealing_lr(0.01, T_max=20),
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20),
    ),
    (
        "sgd",
        {"momentum": 0.9},
        fo.step_lr(0.05, step_size=10, gamma=0.5),
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5),
    ),
    (
        "adagrad",
        {"lr_decay": 0.01},
        fo.exponential_lr(0.1, gamma=0.95),
        lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95),
    ),
    (
        "adamw",
        {"weight_decay": 0.1},
        fo.sequential_lr(
            [fo.linear_lr(0.01, start_factor=0.1, total_iters=5), fo.cosine_annealing_lr(0.01, T_max=45)],
            milestones=[5],
        ),
        lambda opt: torch.optim.lr_scheduler.SequentialLR(
            opt,
            [
                torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5),
                torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=45),
            ],
            milestones=[5],
        ),
    ),
]


@pytest.mark.parametrize("name,options,schedule,scheduler", SCHEDULE_CASES, ids=[case[0] for case in SCHEDULE_CASES])
def test_schedule_as_lr_matches_torch_scheduler(name, options, schedule, scheduler):
    factory, class_name, lr = OPTIMIZERS[name]
    params, _ = run_jax(factory(lr=schedule, **options), False)
    tensors, _ = run_torch(class_name, {"lr": lr, **options}, scheduler=scheduler)
    for actual, expected in zip(flat(params), tensors, strict=True):
        assert_close(actual, expected, FLOAT32_MODEL)


@pytest.mark.parametrize(
    "optimizer",
    [
        fo.adam(amsgrad=True, weight_decay=0.1),
        fo.sgd(0.1, momentum=0.9, nesterov=True),
        fo.rmsprop(centered=True, momentum=0.5),
        fo.adagrad(lr_decay=0.1),
    ],
)
def test_jit_update_equals_eager_update(optimizer):
    params = jax_params()
    eager, compiled = (params, optimizer.init(params)), (params, optimizer.init(params))
    update = jax.jit(optimizer.update)
    for _ in range(3):
        eager = optimizer.update(jax.grad(jax_loss)(eager[0], 1.0), eager[1], eager[0])
        compiled = update(jax.grad(jax_loss)(compiled[0], 1.0), compiled[1], compiled[0])
    # Under jit XLA contracts a*b + c into fused multiply-adds (eager rounds the product
    # first), so the two agree to a few ulp of the O(10) update terms, not bit for bit.
    chex.assert_trees_all_close(compiled, eager, rtol=FLOAT32_OP.rtol, atol=FLOAT32_OP.atol)


RULES = [
    (
        fo.sgd_init,
        {"momentum": 0.9},
        fo.sgd_rule,
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
        {"nesterov": False},
    ),
    (
        fo.adam_init,
        {"amsgrad": True},
        fo.adam_rule,
        {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01},
        {},
    ),
    (fo.adam_init, {}, fo.adamw_rule, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}, {}),
    (
        fo.rmsprop_init,
        {"momentum": 0.5, "centered": True},
        fo.rmsprop_rule,
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-8, "weight_decay": 0.01, "momentum": 0.5},
        {},
    ),
    (
        fo.adagrad_init,
        {"initial_accumulator_value": 0.1},
        fo.adagrad_rule,
        {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.01, "eps": 1e-10},
        {"maximize": True},
    ),
]


@pytest.mark.parametrize(
    "init, init_flags, rule, hyper, flags",
    RULES,
    ids=[case[2].func.__name__ if isinstance(case[2], functools.partial) else case[2].__name__ for case in RULES],
)
def test_rule_accepts_traced_hyperparameters(init, init_flags, rule, hyper, flags):
    param = jnp.asarray(INITIAL["weight"])
    grads = [jnp.asarray(RNG.standard_normal((3, 4)), jnp.float32) for _ in range(4)]

    @jax.jit
    def traced_rule(param, grad, state, hyper):
        return rule(param, grad, state, **hyper, **flags)

    traced_hyper = jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), hyper)
    python = traced = (param, init(param, **init_flags))
    for grad in grads:
        python = rule(python[0], grad, python[1], **hyper, **flags)
        traced = traced_rule(traced[0], grad, traced[1], traced_hyper)
    assert traced[0].dtype == param.dtype and int(traced[1].step) == len(grads)
    chex.assert_trees_all_close(traced, python, rtol=1e-5, atol=1e-7)


def test_state_types_and_optional_slots():
    params = jax_params()
    assert fo.SGDState._fields == ("step", "momentum_buffer")
    assert fo.AdamState._fields == ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    assert fo.RMSpropState._fields == ("step", "square_avg", "momentum_buffer", "grad_avg")
    assert fo.AdagradState._fields == ("step", "sum")
    assert fo.sgd(0.1).init(params).momentum_buffer is None
    assert fo.adam().init(params).max_exp_avg_sq is None
    state = fo.rmsprop(centered=True).init(params)
    assert state.momentum_buffer is None
    assert jax.tree.structure(state.grad_avg) == jax.tree.structure(params)
    adagrad_state = fo.adagrad(initial_accumulator_value=0.25).init(params)
    assert adagrad_state.step.shape == () and adagrad_state.step.dtype == jnp.int32
    np.testing.assert_array_equal(adagrad_state.sum["linear"]["bias"], np.full(3, 0.25))


def test_tuples_none_leaves_and_empty_trees():
    optimizer = fo.sgd(0.5, momentum=0.9)
    params = ((jnp.ones(2), None), [jnp.zeros((1, 2))])
    grads = ((jnp.ones(2), None), [jnp.ones((1, 2))])
    new_params, state = optimizer.update(grads, optimizer.init(params), params)
    np.testing.assert_allclose(new_params[0][0], [0.5, 0.5])
    assert new_params[0][1] is None and state.momentum_buffer[0][1] is None
    empty_params, empty_state = fo.adam().update({}, fo.adam().init({}), {})
    assert empty_params == {} and int(empty_state.step) == 1


def test_update_rejects_mismatched_grads():
    optimizer = fo.adam()
    params = {"bias": jnp.zeros(2), "weight": jnp.zeros((2, 3))}
    state = optimizer.init(params)
    with pytest.raises(
        ValueError,
        match=r"adam.update: grads\['weight'\] has shape \(3, 2\), expected the parameter's \(2, 3\)",
    ):
        optimizer.update({"bias": jnp.zeros(2), "weight": jnp.zeros((3, 2))}, state, params)
    with pytest.raises(
        ValueError,
        match=r"adam.update: grads do not match params: params has \['weight'\] but grads do not",
    ):
        optimizer.update({"bias": jnp.zeros(2)}, state, params)
    with pytest.raises(ValueError, match=r"grads have \['z'\] but params do not"):
        optimizer.update({**params, "z": jnp.zeros(1)}, state, params)
    with pytest.raises(ValueError, match=r"params has \['bias'\] where grads has \['b'\]"):
        optimizer.update({"b": jnp.zeros(2), "weight": jnp.zeros((2, 3))}, state, params)
    with pytest.raises(ValueError, match=r"grads are PyTreeDef\(\(\*, \*\)\)"):
        optimizer.update((jnp.zeros(2), jnp.zeros(3)), fo.adam().init([jnp.zeros(2)] * 2), [jnp.zeros(2), jnp.zeros(3)])
    with pytest.raises(
        TypeError,
        match=r"adam.update: state must be the AdamState that adam\(...\).init returns, got SGDState",
    ):
        optimizer.update(params, fo.sgd().init(params), params)
    with pytest.raises(ValueError, match=r"adam.update: state.exp_avg does not match"):
        optimizer.update(params, optimizer.init({"bias": jnp.zeros(2)}), params)


@pytest.mark.parametrize(
    "factory, kwargs, error, message",
    [
        (fo.sgd, {"lr": -0.1}, ValueError, r"sgd: lr must be a non-negative number or a schedule, got -0.1"),
        (fo.sgd, {"lr": "fast"}, TypeError, r"sgd: lr must be a non-negative number"),
        (fo.sgd, {"momentum": -0.5}, ValueError, r"sgd: momentum must be a non-negative number"),
        (fo.sgd, {"weight_decay": -1.0}, ValueError, r"sgd: weight_decay must be"),
        (fo.sgd, {"nesterov": True}, ValueError, r"sgd: nesterov=True requires momentum > 0 and dampening == 0"),
        (fo.sgd, {"momentum": 0.9, "dampening": 0.1, "nesterov": True}, ValueError, r"dampening=0.1"),
        (fo.sgd, {"maximize": 1}, TypeError, r"sgd: maximize must be a bool, got 1"),
        (fo.adam, {"eps": -1e-8}, ValueError, r"adam: eps must be a non-negative number"),
        (fo.adam, {"betas": (1.0, 0.999)}, ValueError, r"adam: betas\[0\] must be in \[0, 1\)"),
        (fo.adamw, {"betas": (0.9, -0.1)}, ValueError, r"adamw: betas\[1\] must be in \[0, 1\)"),
        (fo.adam, {"betas": 0.9}, ValueError, r"adam: betas must be a pair"),
        (fo.adam, {"amsgrad": "yes"}, TypeError, r"adam: amsgrad must be a bool"),
        (fo.adamw, {"weight_decay": -0.01}, ValueError, r"adamw: weight_decay must be"),
        (fo.rmsprop, {"alpha": -0.1}, ValueError, r"rmsprop: alpha must be a non-negative"),
        (fo.rmsprop, {"momentum": -0.1}, ValueError, r"rmsprop: momentum must be"),
        (fo.adagrad, {"lr_decay": -1.0}, ValueError, r"adagrad: lr_decay must be"),
        (fo.adagrad, {"initial_accumulator_value": -1.0}, ValueError, r"adagrad: initial_accumulator_value must be"),
        (fo.adam, {"momentum": 0.9}, TypeError, r"unexpected keyword argument 'momentum'"),
    ],
)
def test_construction_validates_arguments(factory, kwargs, error, message):
    with pytest.raises(error, match=message):
        factory(**kwargs)


@pytest.mark.parametrize(
    "make",
    [
        lambda: fo.sgd(0.1, momentum=0.9),
        lambda: fo.adam(1e-3, amsgrad=True),
        lambda: fo.adamw(1e-3),
        lambda: fo.rmsprop(1e-2, momentum=0.9, centered=True),
        lambda: fo.adagrad(1e-2),
    ],
)
def test_state_leaves_are_distinct_buffers_so_a_jitted_step_can_donate_them(make):
    # Regression: adam_init/rmsprop_init once returned one zeros array for several slots,
    # and jax.jit(..., donate_argnums=...) refused to donate the same buffer twice.
    opt = make()
    params = {"w": jnp.ones((3, 2)), "b": jnp.zeros((2,))}
    state = opt.init(params)
    leaves = jax.tree.leaves(state)
    assert len({id(leaf) for leaf in leaves}) == len(leaves)
    step = jax.jit(lambda g, s, p: opt.update(g, s, p), donate_argnums=(1, 2))
    grads = jax.tree.map(jnp.ones_like, params)
    new_params, state = step(grads, state, params)
    new_params, state = step(grads, state, new_params)
    assert jax.tree.all(jax.tree.map(lambda x: bool(jnp.all(jnp.isfinite(x))), new_params))
