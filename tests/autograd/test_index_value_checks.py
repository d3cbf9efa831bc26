"""Eager index checks of the table-driven Tensor ops (gather, index_select, take) and of one_hot and
embedding_bag: PyTorch's exception type and a message naming the op, the bad index and the size, in
eager code (functions, methods, with grad) and after a `compile(check=True)` step; valid calls keep
their cached kernels.
"""

import jax
import numpy as np
import pytest
import torch

import functorch_lite as fl
from functorch_lite.autograd import dispatch

X = np.arange(6, dtype=np.float32).reshape(2, 3)

# (our call, torch's call, the exception both raise, our message)
CASES = {
    "gather": (
        lambda m: m.gather(m.tensor(X), 1, m.tensor([[0, 3]])),
        RuntimeError,
        r"gather: index 3 is out of bounds for dimension 1 with size 3",
    ),
    "gather_negative": (
        lambda m: m.gather(m.tensor(X), 1, m.tensor([[0, -1]])),
        RuntimeError,
        r"gather: index -1 is out of bounds for dimension 1 with size 3",
    ),
    "gather_method_with_grad": (
        lambda m: m.tensor(X, requires_grad=True).gather(0, m.tensor([[0, 2, 1]])),
        RuntimeError,
        r"gather: index 2 is out of bounds for dimension 0 with size 2",
    ),
    "index_select": (
        lambda m: m.index_select(m.tensor(X), -1, m.tensor([2, 3])),
        RuntimeError,
        r"index_select: index 3 is out of bounds for dimension 1 with size 3",
    ),
    "index_select_method_with_grad": (
        lambda m: m.tensor(X, requires_grad=True).index_select(0, m.tensor([-1])),
        IndexError,  # torch: a RuntimeError without grad, an IndexError with it; ours is both
        r"index_select: index -1 is out of bounds for dimension 0 with size 2",
    ),
    "take": (
        lambda m: m.take(m.tensor(X), m.tensor([0, 6])),
        IndexError,
        r"take: index 6 is out of bounds for size 6; expected values in \[-6, 6\)",
    ),
    "take_method_with_grad": (
        lambda m: m.tensor(X, requires_grad=True).take(m.tensor([[-7]])),
        IndexError,
        r"take: index -7 is out of bounds for size 6",
    ),
    "one_hot": (
        lambda m: m.nn.functional.one_hot(m.tensor([0, 4]), 4),
        RuntimeError,
        r"one_hot: Class values must be smaller than num_classes=4; got values in \[0, 4\]",
    ),
    "embedding_bag": (
        lambda m: m.nn.functional.embedding_bag(m.tensor([1, 5]), m.tensor(X), m.tensor([0])),
        RuntimeError,
        r"embedding_bag: index 5 is out of bounds for dimension 0 with size 2",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_out_of_range_index_raises_like_torch(name):
    call, error, message = CASES[name]
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=message):
        call(fl)


def test_valid_indices_still_work_negative_ones_where_torch_takes_them():
    np.testing.assert_array_equal(fl.take(fl.tensor(X), fl.tensor([-1, -6])).numpy(), [5.0, 0.0])
    np.testing.assert_array_equal(fl.gather(fl.tensor(X), 1, fl.tensor([[2], [0]])).numpy(), [[2.0], [3.0]])
    np.testing.assert_array_equal(fl.tensor(X).index_select(0, fl.tensor([1])).numpy(), X[1:])
    np.testing.assert_array_equal(fl.gather(fl.tensor(5.0), 0, fl.tensor(0)).numpy(), 5.0)
    with pytest.raises(RuntimeError, match="gather: index 1 is out of bounds for dimension 0 with size 1"):
        fl.gather(fl.tensor(5.0), 0, fl.tensor(1))


def test_index_checks_keep_the_cached_kernel():
    x, index = fl.tensor(X, requires_grad=True), fl.tensor([[0, 1, 2]])
    for _ in range(2):
        x.gather(1, index).sum().backward(), x.index_select(1, fl.tensor([0, 1, 2])), x.take(index)
    plans = len(dispatch._plans)
    compiles = []

    def listen(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(event)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        for i in range(10):
            x.gather(1, fl.tensor([[i % 3, 1, 0]])).sum().backward()
            x.index_select(1, fl.tensor([i % 3, 0, 1])), x.take(fl.tensor([[i % 6, 0, 1]]))
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    assert compiles == [] and len(dispatch._plans) == plans


@pytest.mark.parametrize(
    "name, step, good, bad",
    [
        ("gather", lambda x, i: x.gather(1, i).sum(), [[0, 2]], [[0, 3]]),
        ("index_select", lambda x, i: fl.index_select(x, 0, i).sum(), [1, 0], [1, 2]),
        ("take", lambda x, i: x.take(i).sum(), [-6, 5], [6, 0]),
        ("one_hot", lambda x, i: (fl.nn.functional.one_hot(i, 3) * x[0]).sum(), [0, 2], [0, 3]),
        ("embedding_bag", lambda x, i: fl.nn.functional.embedding_bag(i, x, mode="max").sum(), [[0, 1]], [[0, 2]]),
    ],
)
def test_compile_check_raises_the_eager_error_after_the_step(name, step, good, bad):
    x = fl.tensor(X, requires_grad=True)
    compiled = fl.compile(step, check=True)
    np.testing.assert_allclose(compiled(x, fl.tensor(good)).item(), step(x, fl.tensor(good)).item(), rtol=1e-6)
    with pytest.raises(IndexError) as compiled_error:
        compiled(x, fl.tensor(bad))
    with pytest.raises(IndexError) as eager_error:
        step(x, fl.tensor(bad))
    assert type(compiled_error.value) is type(eager_error.value)
    assert str(compiled_error.value) == str(eager_error.value)
    assert name in str(compiled_error.value)
