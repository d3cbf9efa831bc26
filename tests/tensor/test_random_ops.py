"""Random draws shaped by tensors (`_tensor/random_ops.py`): distributions, seeding, in-place rebinding, errors."""

import numpy as np
import pytest

import functorch_lite as fl

N = 20000


def _draw(method, *args):
    fl.manual_seed(0)
    return np.asarray(getattr(fl.zeros(N), method)(*args))


@pytest.mark.parametrize(
    ("method", "args", "mean", "std"),
    [
        ("uniform_", (-2.0, 4.0), 1.0, 6 / np.sqrt(12)),
        ("normal_", (3.0, 0.5), 3.0, 0.5),
        ("exponential_", (2.0,), 0.5, 0.5),
        ("log_normal_", (0.0, 0.25), np.exp(0.25**2 / 2), np.sqrt((np.exp(0.25**2) - 1) * np.exp(0.25**2))),
        ("geometric_", (0.3,), 1 / 0.3, np.sqrt(0.7) / 0.3),
        ("bernoulli_", (0.3,), 0.3, np.sqrt(0.21)),
    ],
)
def test_in_place_fills_have_the_distribution_torch_documents(method, args, mean, std):
    values = _draw(method, *args)
    assert abs(values.mean() - mean) < 5 * std / np.sqrt(N)
    assert abs(values.std() - std) < 0.05 * std


def test_cauchy_quantiles_and_geometric_support():
    values = _draw("cauchy_", 1.0, 2.0)
    assert abs(np.median(values) - 1.0) < 0.1 and abs(np.percentile(values, 75) - 3.0) < 0.15
    geometric = _draw("geometric_", 0.5)
    assert geometric.min() == 1 and np.all(geometric == np.round(geometric))


def test_fills_rebind_the_tensor_follow_the_seed_and_keep_dtype():
    x = fl.zeros(4, 3)
    fl.manual_seed(3)
    assert x.uniform_() is x and x._version == 1
    first = np.asarray(x).copy()
    fl.manual_seed(3)
    np.testing.assert_array_equal(np.asarray(fl.zeros(4, 3).uniform_()), first)
    assert x.normal_().dtype == fl.float32 and fl.zeros(3, dtype=fl.float64).exponential_().dtype == fl.float64


def test_normal_with_tensors_broadcasts_and_gives_mean_a_zero_gradient():
    mean = fl.tensor([0.0, 10.0], requires_grad=True)
    std = fl.tensor([[1.0], [2.0]])
    fl.manual_seed(0)
    out = fl.normal(mean, std)
    assert tuple(out.shape) == (2, 2)
    out.sum().backward()
    np.testing.assert_allclose(np.asarray(mean.grad), [0.0, 0.0])  # torch.normal's gradient is zero
    draws = np.asarray(fl.normal(fl.full((N,), 5.0), 2.0))
    assert abs(draws.mean() - 5.0) < 0.1 and abs(draws.std() - 2.0) < 0.1
    assert tuple(fl.normal(0.0, 1.0, (2, 3)).shape) == (2, 3)


def test_bernoulli_multinomial_and_randint_like():
    p = fl.tensor([0.0, 1.0, 0.25]).expand(N, 3)
    draws = np.asarray(fl.bernoulli(p))
    np.testing.assert_allclose(draws.mean(0), [0.0, 1.0, 0.25], atol=0.02)
    weights = fl.tensor([[1.0, 0.0, 3.0]]).expand(N, 3)
    picks = np.asarray(fl.multinomial(weights, 1, True)).ravel()
    np.testing.assert_allclose(np.bincount(picks, minlength=3) / N, [0.25, 0.0, 0.75], atol=0.02)
    without = np.asarray(fl.tensor([1.0, 2.0, 3.0, 4.0]).multinomial(4))
    assert sorted(without.tolist()) == [0, 1, 2, 3]
    ints = fl.randint_like(fl.zeros(1000), 2, 5)
    values = np.asarray(ints)
    assert ints.dtype == fl.float32 and set(np.unique(values)) == {2.0, 3.0, 4.0}


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="uniform_: expects from <= to"):
        fl.zeros(2).uniform_(1.0, 0.0)
    with pytest.raises(ValueError, match="geometric_: p must be a probability in"):
        fl.zeros(2).geometric_(1.5)
    with pytest.raises(ValueError, match="bernoulli: expected probabilities in"):
        fl.bernoulli(fl.tensor([1.5]))
    with pytest.raises(ValueError, match="multinomial: cannot sample"):
        fl.multinomial(fl.tensor([1.0, 1.0]), 3)
    with pytest.raises(ValueError, match="multinomial: probability tensor contains either inf, nan or element < 0"):
        fl.multinomial(fl.tensor([1.0, -1.0]), 1)
    with pytest.raises(TypeError, match="normal: with a number mean and std, pass size="):
        fl.normal(0.0, 1.0)
    with pytest.raises(TypeError, match="normal_: expected a floating tensor"):
        fl.zeros(2, dtype=fl.int32).normal_()


def test_probabilities_are_checked_after_a_compiled_step_with_check():
    def draw(p, w):
        return fl.bernoulli(p), fl.multinomial(w, 1)

    step = fl.compile(draw, check=True)
    good_p, good_w = fl.tensor([0.2, 0.8]), fl.tensor([1.0, 3.0])
    sample, index = step(good_p, good_w)
    assert sample.shape == (2,) and index.shape == (1,)
    with pytest.raises(RuntimeError, match=r"bernoulli: expected probabilities in \[0, 1\], got 1.5"):
        step(fl.tensor([0.2, 1.5]), good_w)
    with pytest.raises(RuntimeError, match="multinomial: probability tensor contains either inf, nan or element < 0"):
        step(good_p, fl.tensor([1.0, -3.0]))


def test_normal_with_tensor_mean_and_std_has_zero_gradient_like_torch():
    torch = pytest.importorskip("torch")
    m, s = torch.tensor([0.0, 1.0], requires_grad=True), torch.ones(2, requires_grad=True)
    torch.normal(m, s).sum().backward()
    mean, std = fl.tensor([0.0, 1.0], requires_grad=True), fl.ones(2, requires_grad=True)
    out = fl.normal(mean, std)
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_array_equal(np.asarray(mean.grad), m.grad.numpy())
    np.testing.assert_array_equal(np.asarray(std.grad), s.grad.numpy())


def test_multinomial_without_replacement_past_the_positive_categories_matches_torch():
    # torch 2.13 does not raise here (its Gumbel/top-k path): positive-weight categories come first, then zero ones.
    torch = pytest.importorskip("torch")
    weights = [0.0, 1.0, 0.0, 0.0]
    want = torch.multinomial(torch.tensor(weights), 2)
    have = np.asarray(fl.multinomial(fl.tensor(weights), 2))
    assert have[0] == want[0] == 1 and len(set(have.tolist())) == 2 and weights[have[1]] == 0.0
