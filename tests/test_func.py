"""functorch_lite.func against real torch.func: functional_call, grad, vjp/jvp, jacobians, hessian, vmap."""

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from functorch_lite.func import functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp, vmap
from tests.helpers.numerics import FLOAT32_SCALED, assert_close
from tests.helpers.seed import seed_net

torch = pytest.importorskip("torch")
tf = torch.func


def _close(ours, theirs):
    """Same pytree structure, functorch_lite Tensors as leaves, values within FLOAT32_SCALED."""
    assert_close(ours, theirs, FLOAT32_SCALED, actual_type=fl.Tensor)


def _pair(*shape, seed=0):
    """The same random float32 values as a functorch_lite and a torch tensor."""
    array = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return fl.tensor(array), torch.tensor(array)


def _to_torch(module, torch_module):
    """Copies a functorch_lite module's state_dict into a torch module of the same architecture."""
    state = {k: torch.tensor(np.asarray(v.numpy())) for k, v in module.state_dict().items()}
    torch_module.load_state_dict(state)
    return torch_module


# -- small functions: the same code runs on both libraries' tensors ------------------------------
def f_scalar(x):
    return (x.sin() * x).sum()


def f_two(x, y):
    return (x * y.exp()).sum() + (x**2).sum()


def f_vector(x):
    return (x.tanh() * x.sum()) ** 2


def test_grad_matches_torch_func():
    (x, tx), (y, ty) = _pair(5), _pair(5, seed=1)
    _close(grad(f_scalar)(x), tf.grad(f_scalar)(tx))
    _close(grad(f_two, argnums=(0, 1))(x, y), tf.grad(f_two, argnums=(0, 1))(tx, ty))
    _close(grad(f_two, argnums=1)(x, y), tf.grad(f_two, argnums=1)(tx, ty))
    aux_fn = lambda x: (f_scalar(x), x.cos())  # noqa: E731
    _close(grad(aux_fn, has_aux=True)(x), tf.grad(aux_fn, has_aux=True)(tx))
    # Second order: grad of grad.
    _close(grad(lambda x: grad(f_scalar)(x).sum())(x), tf.grad(lambda x: tf.grad(f_scalar)(x).sum())(tx))


def test_grad_and_value_matches_torch_func():
    (x, tx), (y, ty) = _pair(4), _pair(4, seed=1)
    _close(grad_and_value(f_two, argnums=(0, 1))(x, y), tf.grad_and_value(f_two, argnums=(0, 1))(tx, ty))
    aux_fn = lambda x: (f_scalar(x), {"cos": x.cos()})  # noqa: E731
    ours, theirs = grad_and_value(aux_fn, has_aux=True)(x), tf.grad_and_value(aux_fn, has_aux=True)(tx)
    _close(ours[0], theirs[0])
    _close(ours[1][0], theirs[1][0])
    _close(ours[1][1], theirs[1][1])


def test_vjp_and_jvp_match_torch_func():
    (x, tx), (y, ty), (v, tv) = _pair(3, 4), _pair(3, 4, seed=1), _pair(3, 4, seed=2)
    multi = lambda x, y: (x * y.sin(), (x @ y.T).sum())  # noqa: E731
    out, vjp_fn = vjp(multi, x, y)
    t_out, t_vjp_fn = tf.vjp(multi, tx, ty)
    _close(out, t_out)
    _close(vjp_fn((v, fl.tensor(2.0))), t_vjp_fn((tv, torch.tensor(2.0))))
    _close(jvp(f_vector, (x,), (v,)), tf.jvp(f_vector, (tx,), (tv,)))
    _close(jvp(multi, (x, y), (v, v)), tf.jvp(multi, (tx, ty), (tv, tv)))
    aux = lambda x: (f_vector(x), x.sum())  # noqa: E731
    _close(jvp(aux, (x,), (v,), has_aux=True), tf.jvp(aux, (tx,), (tv,), has_aux=True))
    _close(vjp(aux, x, has_aux=True)[2], tf.vjp(aux, tx, has_aux=True)[2])


def test_jacobians_and_hessian_match_torch_func():
    (x, tx), (y, ty) = _pair(4), _pair(3, seed=1)
    outer = lambda x, y: (x[:, None] * y.exp()[None, :]).tanh()  # noqa: E731
    for ours, theirs in ((jacrev, tf.jacrev), (jacfwd, tf.jacfwd)):
        _close(ours(f_vector)(x), theirs(f_vector)(tx))
        _close(ours(outer, argnums=(0, 1))(x, y), theirs(outer, argnums=(0, 1))(tx, ty))
    _close(hessian(f_scalar)(x), tf.hessian(f_scalar)(tx))
    _close(hessian(f_two, argnums=1)(x, x), tf.hessian(f_two, argnums=1)(tx, tx))


def test_hessian_of_an_mlp_loss_wrt_its_input_matches_torch_func():
    fl.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    torch_mlp = _to_torch(mlp, torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)))
    (x, tx), (target, t_target) = _pair(2, 5), _pair(2, 3, seed=1)
    params = {k: v.detach() for k, v in mlp.named_parameters()}
    t_params = {k: v.detach() for k, v in torch_mlp.named_parameters()}

    def loss(x):
        return ((functional_call(mlp, params, (x,)) - target) ** 2).mean()

    def t_loss(x):
        return ((tf.functional_call(torch_mlp, t_params, (x,)) - t_target) ** 2).mean()

    _close(hessian(loss)(x), tf.hessian(t_loss)(tx))
    _close(jacrev(lambda x: functional_call(mlp, params, x))(x), tf.jacrev(lambda x: torch_mlp(x))(tx))
    # Gradient w.r.t. the parameters dict, and the module's own Parameters are untouched.
    param_loss = lambda p, x: functional_call(mlp, p, (x,)).pow(2).sum()  # noqa: E731
    t_param_loss = lambda p, x: tf.functional_call(torch_mlp, p, (x,)).pow(2).sum()  # noqa: E731
    _close(grad(param_loss)(params, x), tf.grad(t_param_loss)(t_params, tx))
    assert all(p.grad is None for p in mlp.parameters())


def test_vmap_matches_torch_func():
    (w, tw), (x, tx), (y, ty) = _pair(3, 4), _pair(6, 4, seed=1), _pair(4, 6, seed=2)
    fn = lambda w, x, y: (w @ x).tanh() * y.sum()  # noqa: E731
    _close(vmap(fn, in_dims=(None, 0, 1))(w, x, y), tf.vmap(fn, in_dims=(None, 0, 1))(tw, tx, ty))
    _close(
        vmap(fn, in_dims=(None, 0, 1), out_dims=1)(w, x, y), tf.vmap(fn, in_dims=(None, 0, 1), out_dims=1)(tw, tx, ty)
    )
    # Nested vmap (a batched outer product) and a dict input with per-key dims.
    outer = lambda a, b: a * b  # noqa: E731
    _close(
        vmap(vmap(outer, (None, 0)), (0, None))(x[:, 0], y[0]),
        tf.vmap(tf.vmap(outer, (None, 0)), (0, None))(tx[:, 0], ty[0]),
    )
    by_key = lambda d: d["a"].sum() + d["b"].sum()  # noqa: E731
    _close(
        vmap(by_key, in_dims=({"a": 0, "b": None},))({"a": x, "b": w}),
        tf.vmap(by_key, in_dims=({"a": 0, "b": None},))({"a": tx, "b": tw}),
    )
    _close(vmap(grad(f_scalar))(x), tf.vmap(tf.grad(f_scalar))(tx))


def test_vmap_keyword_arguments_are_not_mapped():
    x = fl.ones(3, 2)
    out = vmap(lambda x, scale: x * scale)(x, scale=fl.tensor([1.0, 2.0]))
    np.testing.assert_allclose(out.numpy(), np.tile([1.0, 2.0], (3, 1)))


# -- functional_call ------------------------------------------------------------------------------
class BNNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn(self.conv(x))


class TorchBNNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 3)
        self.bn = torch.nn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn(self.conv(x))


def _bn_nets():
    fl.manual_seed(0)
    net = BNNet()
    return net, _to_torch(net, TorchBNNet())


def test_functional_call_uses_the_given_values_and_leaves_the_module_unchanged():
    net, torch_net = _bn_nets()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    (x, tx), (w, tw) = _pair(4, 2, 5, 5), _pair(3, 2, 3, 3, seed=1)
    # A tuple of dicts: parameters and buffers apart, as torch.func allows.
    params = {"conv.weight": w}
    buffers = {"bn.running_mean": fl.full((3,), 0.5), "bn.running_var": fl.full((3,), 2.0)}
    t_buffers = {k: torch.tensor(v.numpy()) for k, v in buffers.items()}
    net.eval(), torch_net.eval()
    _close(
        functional_call(net, (params, buffers), (x,)),
        tf.functional_call(torch_net, ({"conv.weight": tw}, t_buffers), (tx,)),
    )
    _close(functional_call(net, params, x), tf.functional_call(torch_net, {"conv.weight": tw}, tx))
    # kwargs, and a raw jax array as a value.
    _close(
        functional_call(net, {"conv.weight": w.array}, (), {"x": x}),
        tf.functional_call(torch_net, {"conv.weight": tw}, (), {"x": tx}),
    )
    after = {k: v.numpy() for k, v in net.state_dict().items()}
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])
    assert type(net.conv.weight) is nn.Parameter
    # Train mode: buffers passed as Tensors receive the running-statistics update, as in torch.
    net.train(), torch_net.train()
    _close(functional_call(net, buffers, (x,)), tf.functional_call(torch_net, t_buffers, (tx,)))
    _close(buffers["bn.running_mean"], t_buffers["bn.running_mean"])
    _close(buffers["bn.running_var"], t_buffers["bn.running_var"])
    np.testing.assert_array_equal(net.bn.running_mean.numpy(), before["bn.running_mean"])


def test_functional_call_rejects_unknown_and_misshaped_keys_clearly():
    net, _ = _bn_nets()
    x = fl.ones(1, 2, 5, 5)
    with pytest.raises(ValueError, match=r"functional_call: unexpected key\(s\) \['conv.weigth'\]"):
        functional_call(net, {"conv.weigth": fl.ones(3, 2, 3, 3)}, (x,))
    with pytest.raises(ValueError, match=r"functional_call: 'bn.running_mean' has shape \(4,\), .* shape \(3,\)"):
        functional_call(net, {"bn.running_mean": fl.zeros(4)}, (x,))
    with pytest.raises(ValueError, match=r"strict=True but key\(s\) \['conv.bias'"):
        functional_call(net, {"conv.weight": fl.ones(3, 2, 3, 3)}, (x,), strict=True)
    with pytest.raises(ValueError, match=r"keys \['conv.bias'\] appear in more than one dict"):
        functional_call(net, ({"conv.bias": fl.zeros(3)}, {"conv.bias": fl.ones(3)}), (x,))
    with pytest.raises(TypeError, match="expected a dict or a tuple of dicts .* got a list holding a Tensor"):
        functional_call(net, [fl.zeros(3)], (x,))
    with pytest.raises(TypeError, match="'conv.bias' must be a Tensor or an array, got list"):
        functional_call(net, {"conv.bias": [0.0, 0.0, 0.0]}, (x,))
    # Nothing was swapped in by the failed calls.
    assert all(type(p) is nn.Parameter for p in net.parameters())


def test_functional_call_ties_shared_weights():
    shared = nn.Linear(2, 2, bias=False)
    net = nn.Sequential(shared, shared)  # one module under two names: 0.weight and 1.weight
    x = fl.ones(1, 2)
    eye = fl.tensor(np.eye(2, dtype=np.float32))
    np.testing.assert_allclose(functional_call(net, {"0.weight": eye * 2}, (x,)).numpy(), [[4.0, 4.0]])
    with pytest.raises(ValueError, match="'0.weight' and '1.weight' are tied"):
        functional_call(net, {"0.weight": eye, "1.weight": eye * 2}, (x,))


def test_batchnorm_update_inside_vmap_is_a_clear_error_not_a_leaked_tracer():
    net, _ = _bn_nets()
    params = {k: v.detach() for k, v in net.named_parameters()}
    loss = lambda p, x: functional_call(net, p, (x,)).pow(2).mean()  # noqa: E731
    x = fl.ones(4, 1, 2, 5, 5)
    # torch.func refuses this too ("Batch norm got a batched tensor as input while the running_mean ...").
    with pytest.raises(ValueError, match=r"traced values into \['bn.running_mean', 'bn.running_var'\]"):
        vmap(loss, in_dims=(None, 0))(params, x)
    assert np.all(net.bn.running_mean.numpy() == 0.0)  # the concrete value is back, usable eagerly
    net.eval()
    assert vmap(loss, in_dims=(None, 0))(params, x).shape == (4,)


# -- the headline: per-sample gradients of the seed's LeNet ------------------------------------------
def Net():  # noqa: N802 - stands for the seed's class
    return seed_net(nn, F)


def TorchNet():  # noqa: N802
    return seed_net(torch.nn, torch.nn.functional)


def test_per_sample_gradients_of_lenet_equal_a_loop_and_torch_func():
    fl.manual_seed(0)
    net = Net()
    (x, tx) = _pair(6, 1, 32, 32)
    y = fl.tensor(np.arange(6) % 10)

    # The five lines:
    params = {k: v.detach() for k, v in net.named_parameters()}

    def loss_fn(params, x, y):
        return F.cross_entropy(functional_call(net, params, (x[None],)), y[None])

    per_sample = vmap(grad(loss_fn), in_dims=(None, 0, 0))(params, x, y)

    assert per_sample.keys() == params.keys()
    for key, value in params.items():
        assert tuple(per_sample[key].shape) == (6, *value.shape)
    # A Python loop over samples, on the tape (loss.backward()), not on jax.grad.
    criterion = nn.CrossEntropyLoss()
    for i in range(6):
        net.zero_grad()
        criterion(net(x[i : i + 1]), y[i : i + 1]).backward()
        for key, parameter in net.named_parameters():
            np.testing.assert_allclose(per_sample[key].numpy()[i], parameter.grad.numpy(), rtol=1e-5, atol=1e-6)
    # torch.func's per-sample gradients of the same weights.
    torch_net = _to_torch(net, TorchNet())
    t_params = {k: v.detach() for k, v in torch_net.named_parameters()}

    def t_loss_fn(params, x, y):
        return torch.nn.functional.cross_entropy(tf.functional_call(torch_net, params, (x[None],)), y[None])

    t_per_sample = tf.vmap(tf.grad(t_loss_fn), in_dims=(None, 0, 0))(t_params, tx, torch.tensor(y.numpy()))
    _close(per_sample, t_per_sample)
    # The same transform compiled into one program (the fast route) gives the same gradients.
    compiled = fl.compile(vmap(grad(loss_fn), in_dims=(None, 0, 0)))(params, x, y)
    for key in params:
        np.testing.assert_allclose(compiled[key].numpy(), per_sample[key].numpy(), rtol=1e-5, atol=1e-6)


# -- randomness -----------------------------------------------------------------------------------
def test_vmap_randomness_error_same_different():
    drop = nn.Dropout(0.5)
    x = fl.ones(4, 64)
    with pytest.raises(ValueError, match="vmap: the function draws random numbers .* but randomness='error'"):
        vmap(drop)(x)
    fl.manual_seed(0)
    same = vmap(drop, randomness="same")(x).numpy()
    different = vmap(drop, randomness="different")(x).numpy()
    assert set(np.unique(same)) == {0.0, 2.0} and set(np.unique(different)) == {0.0, 2.0}
    assert all(np.array_equal(same[0], row) for row in same[1:])
    assert all(not np.array_equal(different[0], row) for row in different[1:])
    # randn inside, and the global generator moves on between calls as eager draws do.
    noise = lambda x: x + fl.randn(3)  # noqa: E731
    noisy = vmap(noise, randomness="different")
    first, second = noisy(fl.zeros(2, 3)), noisy(fl.zeros(2, 3))
    assert not np.array_equal(first.numpy(), second.numpy())
    fl.manual_seed(1)
    again = vmap(noise, randomness="different")(fl.zeros(2, 3))
    fl.manual_seed(1)
    np.testing.assert_array_equal(vmap(noise, randomness="different")(fl.zeros(2, 3)).numpy(), again.numpy())
    # Eval-mode dropout draws nothing, so "error" is fine; jacfwd checks too.
    drop.eval()
    np.testing.assert_array_equal(vmap(drop)(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="jacfwd: the function draws random numbers"):
        jacfwd(lambda x: x + fl.randn(3))(fl.zeros(3))
    assert jacfwd(lambda x: x + fl.randn(3), randomness="same")(fl.zeros(3)).shape == (3, 3)


# -- bad input ------------------------------------------------------------------------------------
def test_bad_arguments_raise_clear_errors():
    x = fl.ones(3, 2)
    with pytest.raises(ValueError, match=r"grad\(f\)\(\*args\): expected f\(\*args\) to return a scalar .* \(3, 2\)"):
        grad(lambda x: x * 2)(x)
    with pytest.raises(ValueError, match=r"has_aux=True\): expected f to return a tuple \(output, aux\), got Tensor"):
        grad(lambda x: x.sum(), has_aux=True)(x)
    with pytest.raises(ValueError, match="vmap: expected all mapped dimensions to have the same size, got sizes"):
        vmap(lambda a, b: a + b)(x, fl.ones(4, 2))
    with pytest.raises(ValueError, match=r"vmap: in_dims=2 for argument 0 of shape \(3, 2\) is out of range"):
        vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match="vmap: in_dims has 1 entries for 2 positional arguments"):
        vmap(lambda a, b: a, in_dims=(0,))(x, x)
    with pytest.raises(ValueError, match="vmap: in_dims=0 for argument 1, a float; only Tensors can be mapped"):
        vmap(lambda a, b: a * b)(x, 2.0)
    with pytest.raises(ValueError, match="at least one input must be mapped"):
        vmap(lambda a: a, in_dims=(None,))(x)
    with pytest.raises(ValueError, match="vmap: randomness must be one of .* got 'random'"):
        vmap(lambda a: a, randomness="random")
    with pytest.raises(ValueError, match="vmap: in_dims must be an int, None or a tuple, got list"):
        vmap(lambda a: a, in_dims=[0])
    with pytest.raises(ValueError, match="jacrev: chunk_size is not supported"):
        jacrev(lambda a: a, chunk_size=2)
    with pytest.raises(TypeError, match="jvp.* expected primals to be a tuple, got Tensor"):
        jvp(lambda a: a, x, (x,))
