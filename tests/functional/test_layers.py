"""Pure layers against torch.nn modules: state_dict keys and shapes, torch weights, forward parity.

For each layer: the dot-flattened keys of `init(key)` plus `init_state()` equal the
torch module's `state_dict()` keys with the same shapes; after `fn.load_state_dict`
of the torch weights (as numpy), `apply` equals the torch module's forward.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.functional as fn
from tests.helpers.numerics import FLOAT32_OP, assert_close, randn, to_torch, torch, torch_state_dict_numpy

nn = torch.nn
KEY = jax.random.key(0)

LAYERS = {
    "Conv2d": (
        lambda: fn.Conv2d(3, 4, 3, stride=2, padding=1),
        lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1),
        (2, 3, 7, 7),
    ),
    "Conv2d_same_groups_nobias": (
        lambda: fn.Conv2d(4, 8, (3, 2), padding="same", groups=2, bias=False),
        lambda: nn.Conv2d(4, 8, (3, 2), padding="same", groups=2, bias=False),
        (2, 4, 6, 6),
    ),
    "Linear": (lambda: fn.Linear(5, 3), lambda: nn.Linear(5, 3), (2, 4, 5)),
    "Linear_nobias": (lambda: fn.Linear(5, 3, bias=False), lambda: nn.Linear(5, 3, bias=False), (4, 5)),
    "MaxPool2d": (
        lambda: fn.MaxPool2d(3, 2, 1, ceil_mode=True),
        lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True),
        (2, 3, 8, 8),
    ),
    "AvgPool2d": (
        lambda: fn.AvgPool2d(3, 2, 1, count_include_pad=False),
        lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        (2, 3, 8, 8),
    ),
    "AdaptiveAvgPool2d": (
        lambda: fn.AdaptiveAvgPool2d((3, None)),
        lambda: nn.AdaptiveAvgPool2d((3, None)),
        (2, 3, 7, 5),
    ),
    "ReLU": (fn.ReLU, nn.ReLU, (3, 4)),
    "LeakyReLU": (lambda: fn.LeakyReLU(0.2), lambda: nn.LeakyReLU(0.2), (3, 4)),
    "GELU": (lambda: fn.GELU("tanh"), lambda: nn.GELU("tanh"), (3, 4)),
    "Sigmoid": (fn.Sigmoid, nn.Sigmoid, (3, 4)),
    "Tanh": (fn.Tanh, nn.Tanh, (3, 4)),
    "Identity": (fn.Identity, nn.Identity, (3, 4)),
    "Flatten": (fn.Flatten, nn.Flatten, (2, 3, 4)),
    "LayerNorm": (lambda: fn.LayerNorm((3, 4)), lambda: nn.LayerNorm((3, 4)), (2, 3, 4)),
    "LayerNorm_noaffine": (
        lambda: fn.LayerNorm(4, elementwise_affine=False),
        lambda: nn.LayerNorm(4, elementwise_affine=False),
        (2, 4),
    ),
    "LayerNorm_nobias": (lambda: fn.LayerNorm(4, bias=False), lambda: nn.LayerNorm(4, bias=False), (2, 4)),
    "Sequential_unnamed": (
        lambda: fn.Sequential(fn.Linear(4, 6), fn.ReLU(), fn.Linear(6, 2)),
        lambda: nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)),
        (3, 4),
    ),
    "Sequential_named_nested": (
        lambda: fn.Sequential(
            ("features", fn.Sequential(fn.Conv2d(1, 2, 3), fn.Tanh(), fn.AvgPool2d(2))),
            ("flat", fn.Flatten()),
            ("head", fn.Linear(8, 3)),
        ),
        lambda: nn.Sequential(
            __import__("collections").OrderedDict(
                features=nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.AvgPool2d(2)),
                flat=nn.Flatten(),
                head=nn.Linear(8, 3),
            )
        ),
        (2, 1, 6, 6),
    ),
}


def keys_and_shapes(layer):
    sd = fn.state_dict(layer.init(KEY), layer.init_state())
    return {k: tuple(v.shape) for k, v in sd.items()}


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_matches_torch_module(name):
    ours, theirs, shape = LAYERS[name]
    layer, module = ours(), theirs()
    torch_sd = torch_state_dict_numpy(module)
    assert keys_and_shapes(layer) == {k: v.shape for k, v in torch_sd.items()}
    assert list(keys_and_shapes(layer)) == list(torch_sd)  # same order too
    params, state = fn.load_state_dict(layer, torch_sd)
    assert list(fn.state_dict(params, state)) == list(torch_sd)  # loading keeps PyTorch's order
    x = randn(shape, 1)
    assert_close(jax.jit(lambda p, x: layer.apply(p, x))(params, x), module(to_torch(x)), FLOAT32_OP)


def test_layer_reprs_match_torch():
    for name, (ours, theirs, _) in LAYERS.items():
        if not name.startswith("Sequential"):
            assert repr(ours()) == repr(theirs()), name
    assert repr(fn.BatchNorm2d(3)) == repr(nn.BatchNorm2d(3))
    assert repr(fn.BatchNorm1d(3, momentum=None, affine=False)) == repr(nn.BatchNorm1d(3, momentum=None, affine=False))
    assert repr(fn.Embedding(7, 3, padding_idx=-1)) == repr(nn.Embedding(7, 3, padding_idx=-1))
    assert repr(fn.Dropout(0.25)) == repr(nn.Dropout(0.25))
    assert repr(fn.Embedding(7, 3, padding_idx=0)) == repr(nn.Embedding(7, 3, padding_idx=0))


@pytest.mark.parametrize(
    "ours,theirs,shape",
    [
        (lambda: fn.BatchNorm2d(3), lambda: nn.BatchNorm2d(3), (4, 3, 5, 5)),
        (lambda: fn.BatchNorm1d(3, momentum=0.3, eps=1e-3), lambda: nn.BatchNorm1d(3, momentum=0.3, eps=1e-3), (6, 3)),
        (lambda: fn.BatchNorm1d(3, momentum=None), lambda: nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
        (lambda: fn.BatchNorm2d(3, affine=False), lambda: nn.BatchNorm2d(3, affine=False), (4, 3, 2, 2)),
        (lambda: fn.BatchNorm2d(3, bias=False), lambda: nn.BatchNorm2d(3, bias=False), (4, 3, 2, 2)),
        (
            lambda: fn.BatchNorm2d(3, track_running_stats=False),
            lambda: nn.BatchNorm2d(3, track_running_stats=False),
            (4, 3, 2, 2),
        ),
    ],
)
def test_batch_norm_layer_train_and_eval_with_explicit_state(ours, theirs, shape):
    layer, module = ours(), theirs()
    with torch.no_grad():  # non-trivial affine parameters and buffers to load
        for t in module.state_dict().values():
            if t.dtype.is_floating_point:
                t.copy_(torch.rand_like(t) + 0.5)
            else:
                t.fill_(3)
    torch_sd = torch_state_dict_numpy(module)
    assert keys_and_shapes(layer) == {k: v.shape for k, v in torch_sd.items()}
    params, state = fn.load_state_dict(layer, torch_sd)
    apply = jax.jit(lambda p, x, s, training: layer.apply(p, x, state=s, training=training), static_argnames="training")
    for step in range(3):  # several steps: momentum=None averages cumulatively
        x = randn(shape, 10 + step)
        module.train()
        y, state = apply(params, x, state, True)
        assert_close(y, module(to_torch(x)), FLOAT32_OP, what=f"train step {step}")
        for key, value in fn.state_dict({}, state).items():
            assert_close(value, module.state_dict()[key], FLOAT32_OP, what=f"{key} after step {step}")
    module.eval()
    x = randn(shape, 20)
    y, state_after = apply(params, x, state, False)
    assert_close(y, module(to_torch(x)), FLOAT32_OP, what="eval")
    chex.assert_trees_all_equal(state_after, state)


def test_dropout_layer_with_explicit_key():
    layer = fn.Dropout(0.5)
    assert layer.init(KEY) == {} and layer.init_state() == {}
    x = jnp.ones((10, 10))
    a = layer.apply({}, x, key=jax.random.key(1))
    b = fn.dropout(x, 0.5, key=jax.random.key(1))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(np.asarray(layer.apply({}, x, training=False)), np.asarray(x))


def test_sequential_threads_keys_and_training_to_dropout():
    net = fn.Sequential(fn.Dropout(0.5), fn.Dropout(0.5))
    x = jnp.ones((50, 50))
    y1 = net.apply({}, x, key=jax.random.key(0))
    y2 = net.apply({}, x, key=jax.random.key(0))
    np.testing.assert_array_equal(np.asarray(y1), np.asarray(y2))
    assert set(np.unique(np.asarray(y1)).tolist()) <= {0.0, 4.0}  # both children applied, scaled 2 * 2
    np.testing.assert_array_equal(np.asarray(net.apply({}, x, training=False)), np.asarray(x))


def test_embedding_layer_matches_torch_and_padding_row_gets_no_gradient():
    layer, module = fn.Embedding(7, 3, padding_idx=1), nn.Embedding(7, 3, padding_idx=1)
    params, _ = fn.load_state_dict(layer, torch_state_dict_numpy(module))
    idx = np.array([[1, 2, 6], [0, 1, 1]])
    assert_close(layer.apply(params, idx), module(to_torch(idx)), FLOAT32_OP)
    grad = jax.grad(lambda p: jnp.sum(layer.apply(p, idx) ** 2))(params)["weight"]
    module(to_torch(idx)).pow(2).sum().backward()
    assert_close(grad, module.weight.grad, FLOAT32_OP)
    assert not np.asarray(grad[1]).any()


def test_sequential_with_batch_norm_returns_nested_state():
    net = fn.Sequential(("conv", fn.Conv2d(1, 2, 3)), ("bn", fn.BatchNorm2d(2)), ("act", fn.ReLU()))
    module = nn.Sequential(
        __import__("collections").OrderedDict(conv=nn.Conv2d(1, 2, 3), bn=nn.BatchNorm2d(2), act=nn.ReLU())
    )
    assert net.stateful
    params, state = fn.load_state_dict(net, torch_state_dict_numpy(module))
    x = randn((3, 1, 5, 5), 30)
    y, new_state = net.apply(params, x, state=state)
    assert_close(y, module(to_torch(x)), FLOAT32_OP)
    assert set(new_state) == {"bn"}
    for key, value in fn.state_dict({}, new_state).items():
        assert_close(value, module.state_dict()[key], FLOAT32_OP, what=key)


# ---- load_state_dict errors ----


def test_load_state_dict_reports_missing_unexpected_and_mismatched_keys_like_torch():
    layer = fn.Sequential(fn.Linear(4, 3), fn.ReLU(), fn.Linear(3, 2))
    sd = torch_state_dict_numpy(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)))
    missing = {k: v for k, v in sd.items() if k != "2.bias"}
    with pytest.raises(
        ValueError,
        match=r"Error\(s\) in loading state_dict for Sequential:\n\tMissing key\(s\) "
        r'in state_dict: "2.bias"\.',
    ):
        fn.load_state_dict(layer, missing)
    with pytest.raises(ValueError, match=r'Unexpected key\(s\) in state_dict: "3.weight"\.'):
        fn.load_state_dict(layer, {**sd, "3.weight": np.zeros(2)})
    with pytest.raises(
        ValueError,
        match=r"size mismatch for 0.weight: copying a param with shape \(3, 5\) from "
        r"checkpoint, the shape in current model is \(3, 4\)",
    ):
        fn.load_state_dict(layer, {**sd, "0.weight": np.zeros((3, 5), np.float32)})
    params, _ = fn.load_state_dict(layer, missing, strict=False)  # non-strict keeps the init value
    assert params["2"]["bias"].shape == (2,)
    with pytest.raises(ValueError, match=r"Error\(s\) in loading state_dict for Linear:"):
        fn.load_state_dict(fn.Linear(4, 3), {"weight": np.zeros((3, 4))})


def test_load_state_dict_copies_so_later_writes_to_the_source_do_not_leak_in():
    # A torch module's numpy state_dict views its buffers, which torch updates in place; the
    # loaded params and state must be private copies.
    layer = fn.BatchNorm2d(3)
    source = {
        "weight": np.full(3, 2.0, np.float32),
        "bias": np.zeros(3, np.float32),
        "running_mean": np.ones(3, np.float32),
        "running_var": np.ones(3, np.float32),
        "num_batches_tracked": np.array(0, np.int64),
    }
    params, state = fn.load_state_dict(layer, source)
    for value in source.values():
        value[...] = 7
    np.testing.assert_array_equal(np.asarray(params["weight"]), 2.0)
    np.testing.assert_array_equal(np.asarray(state["running_mean"]), 1.0)
