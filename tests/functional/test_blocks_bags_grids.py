"""unfold/fold, embedding_bag/one_hot, grid_sample/affine_grid, pdist, the channel and alpha dropouts and
triplet_margin_with_distance_loss against PyTorch (forward and gradient, through the Tensor face), their
float64 gradients by finite differences, their safety under jit/vmap, and the Modules over them.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from jax.test_util import check_grads

import functorch_lite as fl
from functorch_lite.functional import bags, blocks, distance, dropout_nd, grids
from tests.helpers.numerics import FLOAT32_GRAD, FLOAT32_REDUCTION, assert_close, randn

F, G = torch.nn.functional, fl.nn.functional


def _pair(*shape, seed=0, scale=1.0):
    value = randn(shape, seed) * scale
    return torch.tensor(value, requires_grad=True), fl.tensor(value, requires_grad=True)


def _compare(torch_fn, lite_fn, inputs, tol=FLOAT32_REDUCTION, grad_tol=FLOAT32_GRAD):
    """Forward and the vjp of a random cotangent, with each (torch, lite) pair in `inputs` as the arguments."""
    want = torch_fn(*[t for t, _ in inputs])
    have = lite_fn(*[lite for _, lite in inputs])
    assert_close(have, want.detach(), tol, "forward")
    cotangent = randn(tuple(want.shape), 99)
    grads = torch.autograd.grad(want, [t for t, _ in inputs if t.requires_grad], torch.tensor(cotangent))
    ours = fl.autograd.grad(have, [lite for t, lite in inputs if t.requires_grad], fl.tensor(cotangent))
    for index, (g, h) in enumerate(zip(grads, ours, strict=True)):
        assert_close(h, g, grad_tol, f"gradient {index}")


# ---- unfold / fold ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape, options",
    [
        ((2, 3, 6, 7), dict(kernel_size=(2, 3))),
        ((2, 3, 6, 7), dict(kernel_size=3, dilation=(1, 2), padding=1, stride=(2, 1))),
        ((3, 5, 5), dict(kernel_size=2, stride=2, padding=(0, 1))),
        ((0, 1, 5, 5), dict(kernel_size=2, padding=1)),
    ],
)
def test_unfold_and_fold_match_torch(shape, options):
    _compare(lambda x: F.unfold(x, **options), lambda x: G.unfold(x, **options), [_pair(*shape)])
    columns = F.unfold(torch.zeros(shape), **options)
    size = shape[-2:]
    _compare(
        lambda c: F.fold(c, size, **options), lambda c: G.fold(c, size, **options), [_pair(*columns.shape, seed=1)]
    )


def test_fold_checks_its_shapes_like_torch():
    with pytest.raises(ValueError, match=r"fold: expected size of input's dimension 1 to be divisible"):
        G.fold(fl.randn(1, 5, 4), (3, 3), 2)
    with pytest.raises(ValueError, match=r"fold: .* expected input.size\(-1\) to be 4 but got 5"):
        G.fold(fl.randn(1, 4, 5), (3, 3), 2)
    with pytest.raises(ValueError, match=r"unfold: the kernel \(4, 4\) .* does not fit"):
        G.unfold(fl.randn(1, 1, 3, 3), 4)


# ---- embedding_bag / one_hot --------------------------------------------------------------------------------
BAG_CASES = [
    dict(input=[[1, 2, 4], [4, 3, 2]], mode="sum"),
    dict(input=[[1, 2, 4], [4, 3, 2]], mode="mean", padding_idx=2),
    dict(input=[[1, 2, 4], [4, 3, 9]], mode="max"),
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 4, 4], mode="mean"),  # an empty bag: zeros
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 3, 6], mode="max", padding_idx=4),
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 3, 5, 8], mode="sum", include_last_offset=True),
    dict(input=[1, 2, 4, 5, 4, 3, 2, 9], offsets=[0, 2, 5], mode="sum", weights=True),
]


@pytest.mark.parametrize("case", BAG_CASES)
def test_embedding_bag_matches_torch(case):
    case = dict(case)
    index, offsets = case.pop("input"), case.pop("offsets", None)
    weights = _pair(*np.shape(index), seed=3) if case.pop("weights", False) else None
    inputs = [_pair(10, 4, seed=2)] + ([weights] if weights else [])

    def call(face, tensor, weight, per_sample_weights=None):
        offset = None if offsets is None else tensor(offsets)
        return face.embedding_bag(tensor(index), weight, offset, per_sample_weights=per_sample_weights, **case)

    _compare(lambda *a: call(F, torch.tensor, *a), lambda *a: call(G, fl.tensor, *a), inputs)


def test_embedding_bag_scale_grad_by_freq_divides_by_each_index_frequency():
    # As F.embedding(scale_grad_by_freq=True) summed over the bag; torch's embedding_bag CPU kernel
    # divides every row by one count (row 3, seen once, gets 1/3 here), which is not what it documents.
    index = [[1, 1, 4], [4, 3, 1]]
    _compare(
        lambda w: F.embedding(torch.tensor(index), w, scale_grad_by_freq=True).sum(1),
        lambda w: G.embedding_bag(fl.tensor(index), w, mode="sum", scale_grad_by_freq=True),
        [_pair(10, 4, seed=2)],
    )


def test_embedding_bag_refuses_what_torch_refuses_or_cannot_be_done():
    weight = fl.randn(10, 3)
    with pytest.raises(ValueError, match="per_sample_weights is only supported for mode='sum'"):
        G.embedding_bag(fl.tensor([[1, 2]]), weight, mode="mean", per_sample_weights=fl.ones(1, 2))
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        G.embedding_bag(fl.tensor([[1, 2]]), weight, fl.tensor([0]))
    with pytest.raises(ValueError, match="max_norm is not supported"):
        G.embedding_bag(fl.tensor([[1, 2]]), weight, max_norm=1.0)
    with pytest.raises(IndexError, match=r"embedding_bag: index 12 is out of bounds for dimension 0 with size 10"):
        G.embedding_bag(fl.tensor([[1, 12]]), weight)


def test_one_hot_matches_torch_and_checks_its_classes():
    labels = [[0, 3], [2, 1]]
    for classes in (-1, 6):
        want = F.one_hot(torch.tensor(labels), classes)
        have = G.one_hot(fl.tensor(labels), classes)
        np.testing.assert_array_equal(have.numpy(), want.numpy())
    with pytest.raises(IndexError, match=r"one_hot: Class values must be smaller than num_classes=3"):
        G.one_hot(fl.tensor([0, 3]), 3)
    with pytest.raises(IndexError, match="non-negative"):
        G.one_hot(fl.tensor([0, -1]))
    with pytest.raises(ValueError, match="unknown under jit"):
        jax.jit(lambda y: bags.one_hot(y))(jnp.array([1, 2]))


# ---- grid_sample / affine_grid ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_2d_matches_torch(mode, padding_mode, align_corners):
    options = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    inputs = [_pair(2, 3, 5, 6, seed=4), _pair(2, 4, 7, 2, seed=5, scale=0.8)]  # some points fall outside
    _compare(lambda *a: F.grid_sample(*a, **options), lambda *a: G.grid_sample(*a, **options), inputs)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_3d_matches_torch(mode, padding_mode):
    options = dict(mode=mode, padding_mode=padding_mode, align_corners=False)
    inputs = [_pair(2, 2, 3, 4, 5, seed=6), _pair(2, 3, 2, 4, 3, seed=7, scale=0.8)]
    _compare(lambda *a: F.grid_sample(*a, **options), lambda *a: G.grid_sample(*a, **options), inputs)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 3, 1, 5), (2, 1, 3, 4, 2)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(size, align_corners):
    k = len(size) - 2
    theta = _pair(size[0], k, k + 1, seed=8)
    _compare(
        lambda t: F.affine_grid(t, size, align_corners=align_corners),
        lambda t: G.affine_grid(t, size, align_corners=align_corners),
        [theta],
    )


def test_grid_sampler_2d_takes_atens_integer_codes():
    x, grid = randn((1, 2, 4, 4), 9), randn((1, 3, 3, 2), 10)
    want = torch.grid_sampler_2d(torch.tensor(x), torch.tensor(grid), 2, 2, True)
    assert_close(fl.grid_sampler_2d(fl.tensor(x), fl.tensor(grid), 2, 2, True), want, FLOAT32_REDUCTION)
    with pytest.raises(ValueError, match=r"grid_sampler: interpolation_mode must be an int in \[0, 3\)"):
        fl.grid_sampler_2d(fl.tensor(x), fl.tensor(grid), 3, 0, True)


# ---- pdist --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 3.0, 0.0, float("inf")])
def test_pdist_matches_torch(p):
    value = randn((5, 3), 11)
    value[3] = value[1]  # a zero distance: gradient 0, never NaN
    pair = (torch.tensor(value, requires_grad=True), fl.tensor(value, requires_grad=True))
    _compare(lambda x: F.pdist(x, p), lambda x: G.pdist(x, p), [pair])
    assert_close(fl.pdist(pair[1], p), F.pdist(pair[0], p).detach(), FLOAT32_REDUCTION)


# ---- dropouts -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, shape, lead",
    [("dropout1d", (4, 50, 3), 2), ("dropout2d", (4, 50, 3, 3), 2), ("dropout3d", (50, 2, 2, 2), 1)],
)
def test_channel_dropout_zeroes_whole_channels(name, shape, lead):
    fl.manual_seed(0)
    x = fl.ones(*shape, requires_grad=True)
    y = getattr(G, name)(x, 0.4)
    per_channel = y.detach().numpy().reshape(int(np.prod(shape[:lead])), -1)
    assert np.all((per_channel == 0).all(1) | np.isclose(per_channel, 1 / 0.6).all(1))
    assert 0.2 < np.mean(per_channel[:, 0] == 0) < 0.6
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    np.testing.assert_array_equal(getattr(G, name)(x, 0.4, training=False).detach().numpy(), 1.0)


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_keeps_mean_and_variance_like_torch(name):
    values = randn((64, 64, 8), 12)
    fl.manual_seed(0)
    have = getattr(G, name)(fl.tensor(values), 0.3, True).numpy()
    want = getattr(F, name)(torch.tensor(values), 0.3, True).numpy()
    assert abs(have.mean() - want.mean()) < 0.05 and abs(have.std() - want.std()) < 0.05
    assert abs(have.mean()) < 0.05 and abs(have.std() - 1) < 0.05
    np.testing.assert_array_equal(getattr(G, name)(fl.tensor(values), 1.0, True).numpy(), 0)
    np.testing.assert_array_equal(getattr(G, name)(fl.tensor(values), 0.3).numpy(), values)  # training=False


def test_dropout_checks_p_and_rank():
    with pytest.raises(ValueError, match=r"dropout2d: p must be a probability in \[0, 1\], got 1.5"):
        G.dropout2d(fl.ones(2, 3, 4), 1.5)
    with pytest.raises(ValueError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        G.dropout1d(fl.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="Feature dropout requires at least 2 dimensions"):
        G.feature_alpha_dropout(fl.ones(5), 0.5, True)


# ---- triplet_margin_with_distance_loss ----------------------------------------------------------------------
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss_takes_a_distance_module(swap):
    inputs = [_pair(5, 4, seed=s) for s in (13, 14, 15)]
    _compare(
        lambda *a: F.triplet_margin_with_distance_loss(*a, distance_function=torch.nn.PairwiseDistance(1), swap=swap),
        lambda *a: G.triplet_margin_with_distance_loss(*a, distance_function=fl.nn.PairwiseDistance(1), swap=swap),
        inputs,
    )
    with pytest.raises(ValueError, match="expected margin to be greater than 0, got 0"):
        G.triplet_margin_with_distance_loss(*[lite for _, lite in inputs], margin=0)


# ---- float64 finite differences and jit / vmap --------------------------------------------------------------
def _f64(shape, seed):
    return jnp.asarray(randn(shape, seed, np.float64))


INDEX = jnp.array([1, 2, 4, 4])
FD_CASES = {
    "unfold": (lambda x: blocks.unfold(x, 2, 1, 1, (2, 1)), lambda: (_f64((1, 2, 4, 5), 0),)),
    "fold": (lambda c: blocks.fold(c, (4, 5), 2, 1, 1, 2), lambda: (_f64((1, 8, 9), 1),)),
    "embedding_bag": (
        lambda w, s: bags.embedding_bag(
            jnp.array([1, 2, 4, 4]), w, jnp.array([0, 1]), mode="sum", per_sample_weights=s
        ),
        lambda: (_f64((6, 3), 2), _f64((4,), 3)),
    ),
    "embedding_bag_mean": (lambda w: bags.embedding_bag(jnp.array([[1, 2], [3, 3]]), w), lambda: (_f64((6, 3), 4),)),
    "grid_sample": (
        lambda x, g: grids.grid_sample(x, g, padding_mode="reflection", align_corners=False),
        lambda: (_f64((1, 2, 4, 5), 5), _f64((1, 3, 3, 2), 6) * 0.7),
    ),
    "grid_sample_bicubic": (
        lambda x, g: grids.grid_sample(x, g, mode="bicubic", align_corners=True),
        lambda: (_f64((1, 1, 5, 5), 7), _f64((1, 2, 3, 2), 8) * 0.7),
    ),
    "affine_grid": (lambda t: grids.affine_grid(t, (2, 1, 3, 4)), lambda: (_f64((2, 2, 3), 9),)),
    "pdist": (lambda x: distance.pdist(x, 3.0), lambda: (_f64((4, 3), 10),)),
}


@pytest.mark.parametrize("name", FD_CASES)
def test_float64_gradients_match_finite_differences(name):
    function, make = FD_CASES[name]
    with jax.enable_x64(True):
        check_grads(jax.jit(function), make(), order=1, modes=("rev",), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("name", [n for n in FD_CASES if n != "affine_grid"])
def test_core_ops_under_jit_and_vmap(name):
    function, make = FD_CASES[name]
    args = [jnp.asarray(a, jnp.float32) for a in make()]
    jitted = jax.jit(function)(*args)  # eager (op by op) runs are the Tensor-face tests above
    batched = jax.jit(jax.vmap(function))(*[jnp.stack([a, 2 * a]) for a in args])
    assert_close(batched[0], jitted, FLOAT32_REDUCTION, "vmap")
    assert_close(batched[1], jax.jit(function)(*[2 * a for a in args]), FLOAT32_REDUCTION, "vmap")


def test_dropout_under_jit_uses_the_key():
    x = jnp.ones((3, 40, 2))
    out = jax.jit(lambda x, k: dropout_nd.dropout1d(x, 0.5, True, key=k))(x, jax.random.key(1))
    assert set(np.unique(np.asarray(out))) <= {0.0, 2.0}
    with pytest.raises(ValueError, match="needs a PRNG key"):
        dropout_nd.dropout1d(x, 0.5, True)


# ---- the Modules --------------------------------------------------------------------------------------------
def test_modules_match_torch():
    x = randn((2, 3, 5, 6), 16)
    assert_close(fl.nn.Unfold(2, padding=1)(fl.tensor(x)), torch.nn.Unfold(2, padding=1)(torch.tensor(x)))
    columns = randn((2, 12, 12), 17)
    assert_close(fl.nn.Fold((4, 5), 2)(fl.tensor(columns)), torch.nn.Fold((4, 5), 2)(torch.tensor(columns)))
    a, b = randn((4, 6), 18), randn((4, 6), 19)
    assert_close(
        fl.nn.PairwiseDistance(3.0)(fl.tensor(a), fl.tensor(b)),
        torch.nn.PairwiseDistance(3.0)(torch.tensor(a), torch.tensor(b)),
    )
    assert_close(
        fl.nn.CosineSimilarity(0)(fl.tensor(a), fl.tensor(b)),
        torch.nn.CosineSimilarity(0)(torch.tensor(a), torch.tensor(b)),
    )
    theirs = torch.nn.EmbeddingBag(10, 3, mode="max", padding_idx=0)
    ours = fl.nn.EmbeddingBag(10, 3, mode="max", padding_idx=0)
    assert np.all(ours.weight.detach().numpy()[0] == 0) and set(ours.state_dict()) == set(theirs.state_dict())
    ours.load_state_dict({"weight": fl.tensor(theirs.weight.detach().numpy())})
    index, offsets = [0, 3, 4, 5, 0], [0, 2]
    assert_close(
        ours(fl.tensor(index), fl.tensor(offsets)), theirs(torch.tensor(index), torch.tensor(offsets)).detach()
    )
    for cls in ("Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"):
        module = getattr(fl.nn, cls)(0.3)
        assert repr(module) == repr(getattr(torch.nn, cls)(0.3))
        y = fl.ones(*{"Dropout1d": (2, 3, 4), "Dropout3d": (2, 3, 4, 4, 4)}.get(cls, (2, 3, 4, 4)))
        assert module.eval()(y) is not None and np.array_equal(module(y).numpy(), y.numpy())
    with pytest.raises(ValueError, match="Dropout2d: dropout probability has to be between 0 and 1, but got 2"):
        fl.nn.Dropout2d(2)
