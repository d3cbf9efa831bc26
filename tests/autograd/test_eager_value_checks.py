"""Eager value checks: what PyTorch checks on CPU values is checked here, with its exception type.

The checks run in every eager path (the functional core on concrete arrays, the facade's cached
jitted kernels) without giving up the cache, are skipped under tracing (values unknown), and
become `checkify` checks inside `_value_checks.checkified()`. Also: cross-entropy with every
target ignored has a zero input gradient, and BatchNorm takes an empty batch, as in PyTorch.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from jax.experimental import checkify

import functorch_lite as fl
import functorch_lite.functional as fn
from functorch_lite import _value_checks
from functorch_lite.autograd import dispatch

_CE_MESSAGE = r"cross_entropy: target 10 is out of bounds; expected class indices in \[0, 10\) or ignore_index=-100"


def _both_raise(ours, theirs, error, match):
    """Our call raises `error` matching `match`, and PyTorch raises the same exception type."""
    with pytest.raises(error):
        theirs()
    with pytest.raises(error, match=match):
        ours()


def test_cross_entropy_out_of_range_target_raises_index_error_like_torch():
    logits = np.random.default_rng(0).normal(size=(4, 10)).astype(np.float32)
    target = [0, 1, 2, 10]
    _both_raise(
        lambda: fl.nn.CrossEntropyLoss()(fl.tensor(logits), fl.tensor(target)),
        lambda: torch.nn.CrossEntropyLoss()(torch.tensor(logits), torch.tensor(target)),
        IndexError,
        _CE_MESSAGE,
    )
    _both_raise(  # with grad (a recorded op), the facade function
        lambda: fl.nn.functional.cross_entropy(fl.tensor(logits, requires_grad=True), fl.tensor(target)),
        lambda: torch.nn.functional.cross_entropy(torch.tensor(logits, requires_grad=True), torch.tensor(target)),
        IndexError,
        _CE_MESSAGE,
    )
    _both_raise(
        lambda: fl.nn.NLLLoss()(fl.tensor(logits), fl.tensor([0, -1, 2, 3])),
        lambda: torch.nn.NLLLoss()(torch.tensor(logits), torch.tensor([0, -1, 2, 3])),
        IndexError,
        r"nll_loss: target -1 is out of bounds; expected class indices in \[0, 10\)",
    )


def test_large_inputs_with_grad_are_checked_too():
    # Past the dispatcher's residual-saving threshold the kernel is another one; it checks too.
    logits = fl.randn(300, 200, requires_grad=True)
    with pytest.raises(IndexError, match=r"cross_entropy: target 200 is out of bounds; .* \[0, 200\)"):
        fl.nn.functional.cross_entropy(logits, fl.tensor([3] * 299 + [200]))


def test_ignore_index_is_respected_even_outside_the_class_range():
    logits = np.random.default_rng(1).normal(size=(2, 3, 4)).astype(np.float32)
    target = np.array([[0, 10, 2, 10], [1, 1, 10, 0]])
    ours = fl.nn.CrossEntropyLoss(ignore_index=10)(fl.tensor(logits), fl.tensor(target))
    theirs = torch.nn.CrossEntropyLoss(ignore_index=10)(torch.tensor(logits), torch.tensor(target))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-5)


def test_embedding_out_of_range_index_raises_index_error_like_torch():
    torch_embedding = torch.nn.Embedding(5, 3)
    _both_raise(
        lambda: fl.nn.Embedding(5, 3)(fl.tensor([1, 7])),
        lambda: torch_embedding(torch.tensor([1, 7])),
        IndexError,
        r"embedding: index out of range: expected indices in \[0, 5\), got min 1, max 7",
    )
    _both_raise(
        lambda: fl.nn.functional.embedding(fl.tensor([1, -1]), fl.randn(5, 3, requires_grad=True)),
        lambda: torch.nn.functional.embedding(torch.tensor([1, -1]), torch.randn(5, 3, requires_grad=True)),
        IndexError,
        r"embedding: index out of range: expected indices in \[0, 5\), got min -1, max 1",
    )
    assert fl.nn.Embedding(5, 3)(fl.tensor([0, 4])).shape == (2, 3)


def test_functional_core_on_concrete_arrays_raises_the_same_error():
    with pytest.raises(IndexError, match=_CE_MESSAGE):
        fn.cross_entropy(jnp.ones((4, 10)), jnp.array([0, 1, 2, 10]))
    with pytest.raises(ValueError, match=_CE_MESSAGE):  # still a ValueError, as before
        fn.cross_entropy(np.ones((4, 10), np.float32), np.array([0, 1, 2, 10]))
    with pytest.raises(IndexError, match=r"embedding: index out of range"):
        fn.embedding(jnp.array([5]), jnp.ones((5, 2)))


def test_checked_ops_keep_their_cached_kernel():
    net = fl.nn.Embedding(5, 3)
    logits = fl.randn(4, 5, requires_grad=True)
    loss_fn = fl.nn.CrossEntropyLoss()
    for _ in range(2):  # the second backward compiles the .grad accumulation
        loss_fn(logits, fl.tensor([0, 1, 2, 3])).backward(), net(fl.tensor([0, 1]))
    plans = len(dispatch._plans)
    compiles = []

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    def valid_calls():
        jax.monitoring.register_event_duration_secs_listener(listen)
        try:
            for i in range(20):
                loss_fn(logits, fl.tensor([i % 5, 1, 2, 3])).backward()
                net(fl.tensor([i % 5, 4]))
        finally:
            jax.monitoring.unregister_event_duration_listener(listen)

    valid_calls()
    with pytest.raises(IndexError):  # the error path reruns the op outside jit (not counted)
        net(fl.tensor([0, 9]))
    valid_calls()
    assert compiles == [] and len(dispatch._plans) == plans


def test_traced_values_are_not_checked_but_checkify_can_check_them():
    def loss(logits, target):
        return fn.cross_entropy(logits, target)

    def checked_loss(logits, target):  # another function: jit caches a trace per function
        return fn.cross_entropy(logits, target)

    logits, bad = jnp.ones((4, 10)), jnp.array([0, 1, 2, 10])
    assert np.isnan(jax.jit(loss)(logits, bad))  # under jit the values are unknown at trace time
    with _value_checks.checkified():  # active while the step is traced
        error, _ = checkify.checkify(jax.jit(checked_loss))(logits, bad)
        good, _ = checkify.checkify(jax.jit(checked_loss))(logits, jnp.array([0, 1, 2, 9]))
    assert good.get() is None
    assert "IndexOutOfRangeError: cross_entropy: target 10 is out of bounds" in error.get()


@pytest.mark.parametrize(
    "checker, args, error, match",
    [
        (_value_checks.index_in_range, (jnp.array([0, -3, 3]), 3, "gather"), IndexError, r"gather: index 3 is out of"),
        (_value_checks.num_classes, (jnp.array([0, 4]), 4, "one_hot"), IndexError, r"one_hot: Class values must be"),
        (_value_checks.num_classes, (jnp.array([-1, 2]), -1, "one_hot"), IndexError, r"non-negative, got -1"),
        (_value_checks.probabilities, (jnp.array([0.5, 1.5]), "bernoulli"), RuntimeError, r"got 1.5"),
        (_value_checks.probabilities, (jnp.array([jnp.nan]), "bernoulli"), ValueError, r"got nan"),
        (_value_checks.distribution, (jnp.array([[0.5, -1.0]]), "multinomial"), RuntimeError, r"element < 0"),
        (_value_checks.distribution, (jnp.zeros((2, 3)), "multinomial"), RuntimeError, r"sum of probabilities"),
    ],
)
def test_checks_ready_for_later_ops_raise_on_bad_values(checker, args, error, match):
    with pytest.raises(error, match=match):
        _value_checks.check_values(checker, *args)


def test_checks_ready_for_later_ops_pass_good_values():
    _value_checks.check_values(_value_checks.index_in_range, jnp.array([0, -3, 2]), 3, "gather")
    _value_checks.check_values(_value_checks.num_classes, jnp.array([0, 3]), 4, "one_hot")
    _value_checks.check_values(_value_checks.probabilities, jnp.array([0.0, 1.0]), "bernoulli")
    _value_checks.check_values(_value_checks.distribution, jnp.array([[0.0, 2.0]]), "multinomial")
    _value_checks.check_values(_value_checks.index_in_range, jnp.zeros((0,), jnp.int32), 3, "gather")


# ---- cross-entropy with ignored targets: gradients as PyTorch's ---------------------------------------------
@pytest.mark.parametrize(
    "shape, target, options",
    [
        ((2, 3), [1, 1], {"ignore_index": 1}),  # PyTorch's sample 2d_ignore_index_mean, all ignored
        ((2, 3), [1, 1], {"ignore_index": 1, "label_smoothing": 0.15}),
        ((2, 3, 5), [[1] * 5, [1] * 5], {"ignore_index": 1}),
        ((2, 3, 5), [[1, 0, 2, 1, 1], [1, 1, 1, 2, 1]], {"ignore_index": 1}),
        ((2, 3), [0, 1], {"ignore_index": 1, "weight": [0.0, 1.0, 1.0]}),  # zero weight sum: nan rows, as torch
        ((2, 3), [1, 1], {"ignore_index": 1, "reduction": "sum", "label_smoothing": 0.2}),
    ],
)
def test_cross_entropy_loss_with_ignored_targets_matches_torch_value_and_gradient(shape, target, options):
    logits = np.random.default_rng(2).normal(size=shape).astype(np.float32)
    weight = options.pop("weight", None)
    ours_in, theirs_in = fl.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    ours = fl.nn.CrossEntropyLoss(None if weight is None else fl.tensor(weight), **options)
    theirs = torch.nn.CrossEntropyLoss(None if weight is None else torch.tensor(weight), **options)
    ours_loss, theirs_loss = ours(ours_in, fl.tensor(target)), theirs(theirs_in, torch.tensor(target))
    ours_loss.backward(), theirs_loss.backward()
    np.testing.assert_allclose(ours_loss.item(), theirs_loss.item(), rtol=1e-5)  # nan where torch is nan
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-5, atol=1e-7)


# ---- BatchNorm on an empty batch ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kind, shape", [("BatchNorm2d", (0, 3, 4, 4)), ("BatchNorm1d", (0, 3)), ("BatchNorm2d", (2, 3, 0, 4))]
)
def test_batch_norm_accepts_an_empty_batch_like_torch(kind, shape):
    ours, theirs = getattr(fl.nn, kind)(3), getattr(torch.nn, kind)(3)
    x, tx = fl.zeros(*shape, requires_grad=True), torch.zeros(*shape, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    assert tuple(y.shape) == tuple(ty.shape) == shape
    y.sum().backward(), ty.sum().backward()
    assert tuple(x.grad.shape) == shape
    np.testing.assert_array_equal(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    np.testing.assert_array_equal(ours.running_mean.numpy(), theirs.running_mean.numpy())
    np.testing.assert_array_equal(ours.running_var.numpy(), theirs.running_var.numpy())
    assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked.item()) == 1
    ours.eval(), theirs.eval()
    assert tuple(ours(x).shape) == shape


def test_batch_norm_still_rejects_one_value_per_channel():
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training"):
        fl.nn.BatchNorm1d(3)(fl.zeros(1, 3))
