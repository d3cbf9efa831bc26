"""Schedules equal torch.optim.lr_scheduler's learning rates, on Python ints and under jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.optim as fo

torch = pytest.importorskip("torch")

STEPS = 30
LR = 0.1
lr_scheduler = torch.optim.lr_scheduler

CASES = {
    "step_lr": (fo.step_lr(LR, step_size=7, gamma=0.5), lambda opt: lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)),
    # A repeated milestone decays twice, as torch's Counter of milestones does.
    "multistep_lr": (
        fo.multistep_lr(LR, milestones=[20, 5, 12, 12], gamma=0.3),
        lambda opt: lr_scheduler.MultiStepLR(opt, [5, 12, 12, 20], gamma=0.3),
    ),
    "exponential_lr": (fo.exponential_lr(LR, gamma=0.9), lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9)),
    # T_max < STEPS: the closed form keeps following torch past T_max.
    "cosine_annealing_lr": (
        fo.cosine_annealing_lr(LR, T_max=10, eta_min=0.001),
        lambda opt: lr_scheduler.CosineAnnealingLR(opt, 10, eta_min=0.001),
    ),
    "linear_lr_warmup": (
        fo.linear_lr(LR, start_factor=0.25, total_iters=8),
        lambda opt: lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=8),
    ),
    "linear_lr_decay": (
        fo.linear_lr(LR, start_factor=1.0, end_factor=0.2, total_iters=12),
        lambda opt: lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.2, total_iters=12),
    ),
    "linear_lr_default": (fo.linear_lr(LR), lambda opt: lr_scheduler.LinearLR(opt)),
    "sequential_lr": (
        fo.sequential_lr(
            [
                fo.linear_lr(LR, start_factor=0.1, total_iters=5),
                fo.cosine_annealing_lr(LR, T_max=15),
                fo.constant(0.01),
            ],
            milestones=[5, 20],
        ),
        lambda opt: lr_scheduler.SequentialLR(
            opt,
            [
                lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5),
                lr_scheduler.CosineAnnealingLR(opt, T_max=15),
                lr_scheduler.LambdaLR(opt, lambda _: 0.1),
            ],
            milestones=[5, 20],
        ),
    ),
}


def torch_learning_rates(make_scheduler):
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=LR)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(STEPS):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


@pytest.mark.parametrize("name", list(CASES))
def test_schedule_matches_torch_scheduler(name):
    schedule, make_scheduler = CASES[name]
    expected = torch_learning_rates(make_scheduler)
    python_values = [schedule(step) for step in range(STEPS)]
    assert all(isinstance(value, float) for value in python_values)
    np.testing.assert_allclose(python_values, expected, rtol=1e-9, atol=1e-12)
    traced_values = jax.jit(jax.vmap(schedule))(jnp.arange(STEPS, dtype=jnp.int32))
    assert traced_values.dtype == jnp.float32 and traced_values.shape == (STEPS,)
    np.testing.assert_allclose(traced_values, expected, rtol=2e-6, atol=1e-9)


def test_constant_schedule():
    assert fo.constant(0.5)(7) == 0.5
    assert jax.jit(fo.constant(0.5))(jnp.int32(7)).dtype == jnp.float32


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: fo.step_lr(0.1, step_size=0), r"step_lr: step_size must be a positive integer, got 0"),
        (lambda: fo.step_lr(-0.1, step_size=3), r"step_lr: lr must be a number >= 0.0, got -0.1"),
        (
            lambda: fo.multistep_lr(0.1, milestones=[3, -1]),
            r"multistep_lr: milestones must be a sequence of non-negative integers",
        ),
        (lambda: fo.exponential_lr(0.1, gamma=-0.5), r"exponential_lr: gamma must be a number"),
        (lambda: fo.cosine_annealing_lr(0.1, T_max=0), r"cosine_annealing_lr: T_max must be"),
        (lambda: fo.linear_lr(0.1, start_factor=0.0), r"linear_lr: start_factor must be in \(0, 1\]"),
        (lambda: fo.linear_lr(0.1, end_factor=1.5), r"linear_lr: end_factor must be in \[0, 1\]"),
        (
            lambda: fo.sequential_lr([fo.constant(0.1)], milestones=[3]),
            r"sequential_lr: expected 0 milestones for 1 schedules, got 1",
        ),
        (
            lambda: fo.sequential_lr([fo.constant(0.1), fo.constant(0.2)], milestones=[0]),
            r"sequential_lr: milestones must be increasing positive integers",
        ),
        (lambda: fo.sequential_lr([], milestones=[]), r"sequential_lr: schedules must be"),
    ],
)
def test_schedule_arguments_are_validated(make, message):
    with pytest.raises(ValueError, match=message):
        make()


NEW_SCHEDULES = [
    ("ConstantLR", dict(factor=0.25, total_iters=12), lambda lr: fo.constant_lr(lr, 0.25, 12)),
    ("PolynomialLR", dict(total_iters=60, power=2.0), lambda lr: fo.polynomial_lr(lr, 60, 2.0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=9), lambda lr: fo.cosine_annealing_warm_restarts(lr, 9)),
    (
        "CosineAnnealingWarmRestarts",
        dict(T_0=5, T_mult=2, eta_min=1e-3),
        lambda lr: fo.cosine_annealing_warm_restarts(lr, 5, 2, 1e-3),
    ),
    (
        "CyclicLR",
        dict(base_lr=0.01, max_lr=0.1, step_size_up=5, step_size_down=8, mode="triangular2", cycle_momentum=False),
        lambda lr: fo.cyclic_lr(0.01, 0.1, 5, 8, mode="triangular2"),
    ),
    (
        "CyclicLR",
        dict(base_lr=0.01, max_lr=0.1, step_size_up=6, mode="exp_range", gamma=0.97, cycle_momentum=False),
        lambda lr: fo.cyclic_lr(0.01, 0.1, 6, mode="exp_range", gamma=0.97),
    ),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=80), lambda lr: fo.one_cycle_lr(0.5, 80)),
    (
        "OneCycleLR",
        dict(max_lr=0.5, total_steps=80, anneal_strategy="linear", three_phase=True),
        lambda lr: fo.one_cycle_lr(0.5, 80, anneal_strategy="linear", three_phase=True),
    ),
]


@pytest.mark.parametrize(
    "name, options, make", NEW_SCHEDULES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(NEW_SCHEDULES)]
)
def test_new_pure_schedules_match_torch_and_jit(name, options, make):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = getattr(torch.optim.lr_scheduler, name)(optimizer, **options)
    expected = []
    for _ in range(79):
        expected.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    schedule = make(0.1)
    np.testing.assert_allclose([schedule(step) for step in range(79)], expected, rtol=1e-10, atol=1e-15)
    traced = jax.jit(jax.vmap(schedule))(jnp.arange(79))
    np.testing.assert_allclose(np.asarray(traced), expected, rtol=2e-5, atol=1e-7)
