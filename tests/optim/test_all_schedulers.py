"""Every torch.optim.lr_scheduler against torch over 100 steps: lr (and momentum) sequences, state_dicts."""

import math

import numpy as np
import pytest

import functorch_lite as fl

torch = pytest.importorskip("torch")

STEPS = 100


def _sched(lib):
    return lib.optim.lr_scheduler


SCHEDULERS = {
    "LambdaLR": lambda lib, opt: _sched(lib).LambdaLR(opt, [lambda e: 0.95**e, lambda e: 1 / (1 + e)]),
    "MultiplicativeLR": lambda lib, opt: _sched(lib).MultiplicativeLR(opt, lambda e: 0.97),
    "StepLR": lambda lib, opt: _sched(lib).StepLR(opt, step_size=7, gamma=0.5),
    "MultiStepLR": lambda lib, opt: _sched(lib).MultiStepLR(opt, milestones=[10, 30, 30, 80], gamma=0.3),
    "ConstantLR": lambda lib, opt: _sched(lib).ConstantLR(opt, factor=0.25, total_iters=12),
    "LinearLR": lambda lib, opt: _sched(lib).LinearLR(opt, start_factor=0.1, end_factor=0.9, total_iters=40),
    "ExponentialLR": lambda lib, opt: _sched(lib).ExponentialLR(opt, gamma=0.96),
    "PolynomialLR": lambda lib, opt: _sched(lib).PolynomialLR(opt, total_iters=60, power=2.0),
    "CosineAnnealingLR": lambda lib, opt: _sched(lib).CosineAnnealingLR(opt, T_max=30, eta_min=1e-3),
    "CosineAnnealingWarmRestarts": lambda lib, opt: _sched(lib).CosineAnnealingWarmRestarts(
        opt, T_0=5, T_mult=2, eta_min=1e-4
    ),
    "CosineAnnealingWarmRestarts-mult1": lambda lib, opt: _sched(lib).CosineAnnealingWarmRestarts(opt, T_0=9),
    "CyclicLR": lambda lib, opt: _sched(lib).CyclicLR(opt, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=8),
    "CyclicLR-triangular2": lambda lib, opt: _sched(lib).CyclicLR(
        opt, 0.01, 0.1, step_size_up=5, step_size_down=10, mode="triangular2"
    ),
    "CyclicLR-exp_range": lambda lib, opt: _sched(lib).CyclicLR(
        opt, 0.01, 0.1, step_size_up=6, mode="exp_range", gamma=0.98
    ),
    "OneCycleLR": lambda lib, opt: _sched(lib).OneCycleLR(opt, max_lr=[0.5, 1.0], total_steps=STEPS + 1),
    "OneCycleLR-three-phase-linear": lambda lib, opt: _sched(lib).OneCycleLR(
        opt, max_lr=0.3, epochs=11, steps_per_epoch=10, anneal_strategy="linear", three_phase=True, pct_start=0.25
    ),
    "SequentialLR": lambda lib, opt: _sched(lib).SequentialLR(
        opt,
        [_sched(lib).LinearLR(opt, start_factor=0.2, total_iters=10), _sched(lib).CosineAnnealingLR(opt, T_max=50)],
        milestones=[10],
    ),
    "ChainedScheduler": lambda lib, opt: _sched(lib).ChainedScheduler(
        [_sched(lib).ConstantLR(opt, factor=0.5, total_iters=20), _sched(lib).ExponentialLR(opt, gamma=0.97)]
    ),
}


def _optimizer(lib, adam=False):
    groups = [
        {"params": [lib.nn.Parameter(lib.zeros(2))]},
        {"params": [lib.nn.Parameter(lib.zeros(2))], "lr": 0.05},
    ]
    return lib.optim.Adam(groups, lr=0.1) if adam else lib.optim.SGD(groups, lr=0.1, momentum=0.9)


def _momentum(optimizer):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


def _sequence(lib, name, adam=False, steps=STEPS):
    optimizer = _optimizer(lib, adam)
    scheduler = SCHEDULERS[name](lib, optimizer)
    rates, momenta = [], []
    for _ in range(steps):
        rates.append(scheduler.get_last_lr())
        momenta.append(_momentum(optimizer))
        assert [g["lr"] for g in optimizer.param_groups] == scheduler.get_last_lr()
        optimizer.step()
        scheduler.step()
    return rates, momenta, scheduler, optimizer


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_lr_sequence_equals_torch_over_100_steps(name):
    rates, momenta, _, _ = _sequence(fl, name)
    expected_rates, expected_momenta, _, _ = _sequence(torch, name)
    np.testing.assert_allclose(rates, expected_rates, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(momenta, expected_momenta, rtol=1e-12)


@pytest.mark.parametrize("name", ["CyclicLR", "OneCycleLR"])
def test_momentum_cycling_writes_adams_beta1(name):
    _, momenta, _, optimizer = _sequence(fl, name, adam=True, steps=30)
    _, expected, _, torch_optimizer = _sequence(torch, name, adam=True, steps=30)
    np.testing.assert_allclose(momenta, expected, rtol=1e-12)
    assert optimizer.param_groups[0]["betas"] == pytest.approx(torch_optimizer.param_groups[0]["betas"])


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_state_dict_round_trip_resumes_the_sequence(name):
    full, _, _, _ = _sequence(fl, name, steps=60)
    _, _, scheduler, optimizer = _sequence(fl, name, steps=37)
    saved_scheduler, saved_optimizer = scheduler.state_dict(), optimizer.state_dict()
    assert "optimizer" not in saved_scheduler
    fresh_optimizer = _optimizer(fl)
    fresh = SCHEDULERS[name](fl, fresh_optimizer)
    fresh_optimizer.load_state_dict(saved_optimizer)
    fresh.load_state_dict(saved_scheduler)
    resumed = []
    for _ in range(23):
        resumed.append(fresh.get_last_lr())
        fresh_optimizer.step()
        fresh.step()
    np.testing.assert_allclose(resumed, full[37:], rtol=1e-12)
    _, _, torch_scheduler, _ = _sequence(torch, name, steps=37)
    torch_keys = set(torch_scheduler.state_dict()) - {"_get_lr_called_within_step"}
    assert set(saved_scheduler) == torch_keys


@pytest.mark.filterwarnings("ignore:The epoch parameter", "ignore:Detected call of")
def test_step_with_an_epoch_uses_the_closed_form():
    for lib in (fl, torch):
        optimizer = _optimizer(lib)
        scheduler = _sched(lib).CosineAnnealingLR(optimizer, T_max=10, eta_min=0.01)
        scheduler.step(7)  # torch warns that the epoch argument is deprecated; it still takes the closed form
        assert scheduler.get_last_lr()[0] == pytest.approx(0.01 + 0.09 * (1 + math.cos(math.pi * 0.7)) / 2, rel=1e-12)


def test_reduce_lr_on_plateau_equals_torch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.94, 0.96, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6] * 7

    def run(lib, **options):
        optimizer = _optimizer(lib)
        scheduler = _sched(lib).ReduceLROnPlateau(optimizer, **options)
        rates = []
        for metric in metrics:
            optimizer.step()
            scheduler.step(metric)
            rates.append(scheduler.get_last_lr())
        return rates, scheduler

    for options in [
        dict(patience=2, factor=0.5),
        dict(mode="max", patience=1, cooldown=2, threshold_mode="abs", threshold=0.01, min_lr=[0.01, 0.02]),
    ]:
        rates, scheduler = run(fl, **options)
        expected, torch_scheduler = run(torch, **options)
        np.testing.assert_allclose(rates, expected, rtol=1e-12)
        assert set(scheduler.state_dict()) == set(torch_scheduler.state_dict()) - {"_get_lr_called_within_step"}


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda opt: _sched(fl).ConstantLR(opt, factor=1.5), ValueError, r"constant_lr: factor must be in \[0, 1\]"),
        (lambda opt: _sched(fl).PolynomialLR(opt, total_iters=0), ValueError, r"polynomial_lr: total_iters must be"),
        (lambda opt: _sched(fl).CosineAnnealingWarmRestarts(opt, T_0=0), ValueError, r"T_0 must be a positive"),
        (lambda opt: _sched(fl).CyclicLR(opt, 0.1, 1.0, mode="zigzag"), ValueError, r"CyclicLR: mode must be"),
        (lambda opt: _sched(fl).OneCycleLR(opt, 1.0), ValueError, r"OneCycleLR: you must define either total_steps"),
        (lambda opt: _sched(fl).OneCycleLR(opt, 1.0, 10, pct_start=2.0), ValueError, r"pct_start must be in \[0, 1\]"),
        (lambda opt: _sched(fl).ReduceLROnPlateau(opt, factor=1.0), ValueError, r"factor must be a number < 1.0"),
        (lambda opt: _sched(fl).ChainedScheduler([]), ValueError, r"ChainedScheduler: expects at least one scheduler"),
        (
            lambda opt: _sched(fl).SequentialLR(opt, [_sched(fl).ExponentialLR(opt, 0.9)], milestones=[3]),
            ValueError,
            r"SequentialLR: expected 0 milestones for 1 schedulers, got 1",
        ),
    ],
)
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make(_optimizer(fl))


def test_one_cycle_refuses_to_step_past_total_steps():
    scheduler = _sched(fl).OneCycleLR(_optimizer(fl), max_lr=1.0, total_steps=3)
    scheduler.step()
    scheduler.step()
    scheduler.step()
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 4 times"):
        scheduler.step()
