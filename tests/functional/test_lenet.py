"""lenet5() against the seed document's torch `Net`, and a short jitted training run on digits."""

import jax
import jax.numpy as jnp
import numpy as np

import functorch_lite.functional as fn
from functorch_lite.models import lenet5
from tests.helpers.numerics import FLOAT32_OP, assert_close, randn, to_torch, torch, torch_state_dict_numpy
from tests.helpers.seed import seed_net

nn = torch.nn
F = torch.nn.functional

KEYS = [
    "conv1.weight",
    "conv1.bias",
    "conv2.weight",
    "conv2.bias",
    "fc1.weight",
    "fc1.bias",
    "fc2.weight",
    "fc2.bias",
    "fc3.weight",
    "fc3.bias",
]


def Net():  # noqa: N802 - stands for the seed's class
    """The seed's LeNet-5 (seed.md section 4) over torch's namespaces (tests/helpers/seed.py)."""
    return seed_net(nn, F)


def test_lenet5_keys_and_shapes_equal_the_seed_net():
    torch_sd = torch_state_dict_numpy(Net())
    shapes = fn.state_dict(jax.eval_shape(lenet5().init, jax.random.key(0)))
    assert {k: v.shape for k, v in shapes.items()} == {k: v.shape for k, v in torch_sd.items()}
    params, state = fn.load_state_dict(lenet5(), torch_sd)
    assert list(fn.state_dict(params)) == KEYS == list(torch_sd) and state == {}


def test_lenet5_forward_and_every_parameter_gradient_match_torch():
    torch.manual_seed(0)
    net = Net()
    model = lenet5()
    params, _ = fn.load_state_dict(model, torch_state_dict_numpy(net))
    x = randn((8, 1, 32, 32), 1)
    y = np.arange(8) % 10

    def loss_fn(p):
        logits = model.apply(p, x)
        return fn.cross_entropy(logits, y), logits

    (loss, logits), grads = jax.jit(jax.value_and_grad(loss_fn, has_aux=True))(params)
    t_logits = net(to_torch(x))
    t_loss = F.cross_entropy(t_logits, to_torch(y))
    t_loss.backward()
    assert_close(logits, t_logits, FLOAT32_OP)
    assert_close(loss, t_loss, FLOAT32_OP)
    t_grads = {k: p.grad for k, p in net.named_parameters()}
    ours = fn.state_dict(grads)
    assert set(ours) == set(t_grads)
    for k in KEYS:
        assert_close(ours[k], t_grads[k], FLOAT32_OP, what=k)


def test_lenet5_trains_on_digits_under_jit():
    """200 plain SGD steps lift training accuracy on 300 digits from chance to > 80%."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images[:300].astype(np.float32) / 16.0
    x = jnp.asarray(np.kron(images, np.ones((4, 4), np.float32))[:, None])  # 8x8 -> 32x32
    y = jnp.asarray(digits.target[:300])
    model = lenet5()
    params = model.init(jax.random.key(0))
    predict = jax.jit(model.apply)

    def accuracy(p):
        return float(jnp.mean(jnp.argmax(predict(p, x), axis=1) == y))

    @jax.jit
    def step(p, xb, yb):
        loss, g = jax.value_and_grad(lambda p: fn.cross_entropy(model.apply(p, xb), yb))(p)
        return jax.tree.map(lambda w, dw: w - 0.1 * dw, p, g), loss

    before = accuracy(params)
    order = np.random.default_rng(0).permutation(np.tile(np.arange(300), 22))
    for i in range(200):
        batch = order[i * 32 : (i + 1) * 32]
        params, loss = step(params, x[batch], y[batch])
    after = accuracy(params)
    assert before < 0.3
    assert after > 0.8, (before, after, float(loss))
