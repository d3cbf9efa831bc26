"""compile(step, check=True): the eager value checks (class labels, embedding indices) raise after the step."""

import numpy as np
import pytest

import functorch_lite as torch
import functorch_lite.nn as nn


def test_out_of_range_class_label_raises_after_the_compiled_step():
    torch.manual_seed(0)
    net, criterion = nn.Linear(4, 10), nn.CrossEntropyLoss()

    @torch.compile(check=True)
    def loss_of(x, y):
        return criterion(net(x), y)

    x = torch.randn(4, 4)
    ok = loss_of(x, torch.tensor([0, 1, 2, 9]))
    np.testing.assert_allclose(ok.item(), criterion(net(x), torch.tensor([0, 1, 2, 9])).item(), rtol=1e-5)
    with pytest.raises(IndexError) as compiled_error:
        loss_of(x, torch.tensor([0, 1, 2, 10]))
    with pytest.raises(IndexError) as eager_error:
        criterion(net(x), torch.tensor([0, 1, 2, 10]))
    assert type(compiled_error.value) is type(eager_error.value)
    assert str(compiled_error.value) == str(eager_error.value)
    assert "target 10 is out of bounds" in str(compiled_error.value)
    # ignore_index is not out of range
    ignoring = nn.CrossEntropyLoss(ignore_index=-1)

    @torch.compile(check=True)
    def loss_ignoring(x, y):
        return ignoring(net(x), y)

    assert np.isfinite(loss_ignoring(x, torch.tensor([0, -1, 2, 3])).item())


def test_out_of_range_embedding_index_raises_after_the_compiled_step():
    emb = nn.Embedding(5, 3)

    @torch.compile(check=True)
    def lookup(i):
        return emb(i).sum()

    assert np.isfinite(lookup(torch.tensor([1, 4])).item())
    with pytest.raises(IndexError) as compiled_error:
        lookup(torch.tensor([1, 7]))
    with pytest.raises(IndexError) as eager_error:
        emb(torch.tensor([1, 7]))
    assert str(compiled_error.value) == str(eager_error.value)
    assert "index out of range" in str(compiled_error.value)
