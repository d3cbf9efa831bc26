"""compile(step, check=True): PyTorch's index checks for class labels and embedding indices, after the step."""

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
    with pytest.raises(IndexError, match=r"^Target 10 is out of bounds\.$"):
        loss_of(x, torch.tensor([0, 1, 2, 10]))
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
    with pytest.raises(IndexError, match=r"^index out of range in self$"):
        lookup(torch.tensor([1, 7]))
