"""`nn.utils.parameters_to_vector` / `vector_to_parameters` against torch."""

import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite.nn.utils import parameters_to_vector, vector_to_parameters

torch = pytest.importorskip("torch")


def _pair():
    ours, theirs = fl.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    theirs.load_state_dict({k: torch.tensor(np.asarray(v.detach().numpy())) for k, v in ours.state_dict().items()})
    return ours, theirs


def test_parameters_to_vector_matches_torch_and_carries_gradients():
    ours, theirs = _pair()
    a, b = parameters_to_vector(ours.parameters()), torch.nn.utils.parameters_to_vector(theirs.parameters())
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    (a * fl.arange(8.0)).sum().backward()
    (b * torch.arange(8.0)).sum().backward()
    np.testing.assert_array_equal(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    np.testing.assert_array_equal(ours.bias.grad.numpy(), theirs.bias.grad.numpy())


def test_vector_to_parameters_matches_torch():
    ours, theirs = _pair()
    vector_to_parameters(fl.arange(8.0), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.arange(8.0), theirs.parameters())
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name].numpy(), value.numpy())
    assert ours.weight.requires_grad and ours.weight.is_leaf
    with pytest.raises(ValueError, match="expected a 1-D vec of 8 elements"):
        vector_to_parameters(fl.arange(7.0), ours.parameters())
    with pytest.raises(TypeError, match="expected vec to be a Tensor"):
        vector_to_parameters([1.0] * 8, ours.parameters())
