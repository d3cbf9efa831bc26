"""`autograd.dispatch.apply`: pytrees in and out, caching, errors, tracing, anomaly detection."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.functional as fn
from functorch_lite.autograd import dispatch

torch = pytest.importorskip("torch")


def _linear_layer(params, x, scale):
    return {"out": fn.linear(x, params["weight"], params["bias"]) * scale, "norm": jnp.sum(params["weight"] ** 2)}


def test_nested_params_dict_and_dict_output_match_torch():
    rng = np.random.default_rng(0)
    w, b, x = (rng.normal(size=s).astype(np.float32) for s in [(2, 3), (2,), (4, 3)])
    params = {"weight": fl.tensor(w, requires_grad=True), "bias": fl.tensor(b, requires_grad=True)}
    out = dispatch.apply(_linear_layer, params, fl.tensor(x), 2.0)
    assert set(out) == {"out", "norm"} and out["out"].requires_grad
    (out["out"].sum() + out["norm"]).backward()
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    ((torch.tensor(x) @ tw.T + tb).sum() * 2 + (tw**2).sum()).backward()
    np.testing.assert_allclose(params["weight"].grad.numpy(), tw.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(params["bias"].grad.numpy(), tb.grad.numpy(), rtol=1e-5)
    assert out["out"].grad_fn is out["norm"].grad_fn  # one node per call


def test_tuple_output_keeps_structure_and_one_plan_per_signature():
    def split(x, k):
        return x[:k], x[k:]

    a = fl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    first, rest = dispatch.apply(split, a, 1)
    assert first.shape == (1,) and rest.shape == (2,)
    before = len(dispatch._plans)
    dispatch.apply(split, a, 1)
    assert len(dispatch._plans) == before
    (first.sum() * 2 + rest.sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 1.0, 1.0])


def test_validation_errors_propagate_unchanged():
    x, w = fl.ones(4, 5), fl.ones(2, 3, requires_grad=True)
    with pytest.raises(ValueError, match=r"^linear: expected input with last dimension 3") as info:
        dispatch.apply(fn.linear, x, w)
    assert not getattr(info.value, "__notes__", None)
    with pytest.raises(ValueError, match=r"^conv2d: expected weight of rank 4"):
        dispatch.apply(fn.conv2d, fl.ones(1, 1, 4, 4), w)


def test_unhashable_static_argument_raises_clear_type_error():
    with pytest.raises(TypeError, match=r"sum_with: static argument \{1\} of type set is not hashable"):

        def sum_with(x, extra):
            return x

        dispatch.apply(sum_with, fl.ones(2), {1})


def test_integer_labels_made_with_long_work_with_losses():
    logits = fl.randn(4, 3, requires_grad=True)
    labels = fl.tensor([0, 2, 1, 2], dtype=fl.long)
    loss = dispatch.apply(fn.cross_entropy, logits, labels)
    loss.backward()
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits.numpy(force=True)), torch.tensor([0, 2, 1, 2]))
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-5)
    assert logits.grad.shape == (4, 3)


def _train_step(w_array, x_array, y_array):
    """Imperative Tensor code: builds leaves, runs backward, returns the loss and grads."""
    w = fl.Tensor(w_array, requires_grad=True)
    hidden = (fl.Tensor(x_array) @ w).tanh()
    loss = dispatch.apply(fn.cross_entropy, hidden.view(-1, 3), fl.Tensor(y_array))
    loss.backward()
    return loss.array, w.grad.array


def test_same_tape_code_under_jax_jit_equals_eager():
    rng = np.random.default_rng(1)
    w = jnp.asarray(rng.normal(size=(5, 3)).astype(np.float32))
    x = jnp.asarray(rng.normal(size=(8, 5)).astype(np.float32))
    y = jnp.asarray(rng.integers(0, 3, size=8).astype(np.int32))
    eager = _train_step(w, x, y)
    traced = jax.jit(_train_step)(w, x, y)
    for a, b in zip(eager, traced, strict=False):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_tensors_pass_through_jit_and_vmap_as_pytrees():
    t = fl.tensor([1.0, 2.0], requires_grad=True)
    out = jax.jit(lambda s: s * 2)(t)
    assert isinstance(out, fl.Tensor)
    np.testing.assert_allclose(np.asarray(out), [2.0, 4.0])
    leaves, treedef = jax.tree_util.tree_flatten(t)
    assert len(leaves) == 1 and jax.tree_util.tree_unflatten(treedef, leaves).requires_grad
    np.testing.assert_allclose(jax.vmap(lambda s: (s * s).sum())(fl.ones(3, 2)).array, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(jnp.sin(t), np.sin([1.0, 2.0]), rtol=1e-6)


def test_generator_state_round_trips_and_works_with_a_traced_key():
    gen = fl.Generator().manual_seed(3)
    state = gen.get_state()
    first = fl.randn(3, generator=gen)
    gen.set_state(state)
    np.testing.assert_array_equal(fl.randn(3, generator=gen).numpy(), first.numpy())

    def draw(key):
        gen.set_state(key)
        sample = fl.rand(2, generator=gen).array
        return sample, gen.get_state()

    sample, new_state = jax.jit(draw)(state)
    gen.set_state(state)
    np.testing.assert_array_equal(np.asarray(sample), fl.rand(2, generator=gen).numpy())
    np.testing.assert_array_equal(np.asarray(new_state), np.asarray(gen.get_state()))
    with pytest.raises(ValueError, match="uint32 array of shape"):
        gen.set_state(np.zeros(3))


def test_detect_anomaly_names_the_op_that_made_nan():
    a = fl.tensor([1.0, -1.0], requires_grad=True)
    with fl.detect_anomaly():
        b = a * 2
        with pytest.raises(RuntimeError, match="forward of 'sqrt' returned NaN"):
            b.sqrt()
    (a - 1).sqrt()  # outside the block NaN passes silently, as in PyTorch
