"""`a += b` and friends update the tensor in place, as in PyTorch (issue: a silent no-op before)."""

import numpy as np
import pytest
import torch

import functorch_lite as fl


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
def test_augmented_assignment_is_in_place_like_torch(op):
    ours, theirs = fl.tensor([1.0, 2.0, 4.0]), torch.tensor([1.0, 2.0, 4.0])
    alias_ours, alias_theirs = ours, theirs
    exec(f"ours {op} 2.0", {}, scope := {"ours": ours})
    exec(f"theirs {op} 2.0", {}, scope_t := {"theirs": theirs})
    assert scope["ours"] is alias_ours and scope_t["theirs"] is alias_theirs
    np.testing.assert_array_equal(np.asarray(alias_ours), alias_theirs.numpy())


def test_manual_sgd_loop_with_minus_equals_updates_the_parameters():
    net = fl.nn.Linear(3, 1)
    before = net.weight.detach().clone()
    loss = net(fl.ones(4, 3)).sum()
    loss.backward()
    with fl.no_grad():
        for p in net.parameters():
            p -= 0.1 * p.grad
    np.testing.assert_allclose(np.asarray(net.weight.detach()), np.asarray(before - 0.1 * net.weight.grad), rtol=1e-6)


def test_augmented_assignment_on_a_leaf_that_requires_grad_raises_like_torch():
    leaf = fl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf += 1.0
