"""Tensor attributes, views, conversions, in-place methods, repr and error messages."""

import numpy as np
import pytest

import functorch_lite as fl

torch = pytest.importorskip("torch")

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def test_shape_attributes_match_torch():
    a, ta = fl.tensor(X), torch.tensor(X)
    assert tuple(a.shape) == tuple(ta.shape) and a.size() == (2, 3, 4) and a.size(1) == 3 and a.size(-1) == 4
    assert a.dim() == a.ndim == 3 and a.numel() == 24 and len(a) == 2
    assert repr(a.shape) == "torch.Size([2, 3, 4])" and a.shape.numel() == 24
    assert [row.shape for row in a] == [(3, 4), (3, 4)]


@pytest.mark.parametrize(
    "program",
    [
        lambda t: t.view(-1, 4),
        lambda t: t.view(6, -1),
        lambda t: t.reshape(4, 6),
        lambda t: t.flatten(1),
        lambda t: t.permute(2, 0, 1),
        lambda t: t.transpose(0, 2),
        lambda t: t[0].T,
        lambda t: t[:, None].squeeze(1),
        lambda t: t.unsqueeze(-1),
        lambda t: t[:, :1].expand(2, 5, 4),
        lambda t: t.repeat(1, 2, 1),
        lambda t: t.contiguous().view(24),
        lambda t: t[1, ::2, [0, 3]],
        lambda t: t.sum((0, 2)),
        lambda t: t.max(dim=2, keepdim=True).indices,
        lambda t: t.argmax(),
        lambda t: t.argmin(1),
        lambda t: t.var(1, keepdim=True),
        lambda t: t.std(),
        lambda t: t.std(0, unbiased=False),
        lambda t: t.clamp(min=3),
        lambda t: t.float() / 7,
        lambda t: t.long() // 5,
        lambda t: t % 5,
        lambda t: (t > 5) & (t < 10),
        lambda t: (t == 3) | ~(t != 4),
        lambda t: t.int().sum(),
    ],
    ids=lambda p: "",
)
def test_results_match_torch(program):
    ours, theirs = program(fl.tensor(X)), program(torch.tensor(X))
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.").replace("int64", ours.dtype.name)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_view_incompatible_names_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"view: shape \[-1, 400\] is invalid for input of size 24 \(input shape \[2, 3, 4\]\)",
    ):
        fl.tensor(X).view(-1, 400)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        fl.tensor(X).view(-1, -1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        fl.tensor(X).size(3)


def test_conversions_and_python_protocols():
    one = fl.tensor([2.5])
    assert one.item() == 2.5 and float(one) == 2.5 and int(one) == 2 and bool(one)
    assert fl.tensor(X).tolist() == X.tolist()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(fl.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="item: a Tensor with 2 elements"):
        fl.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\)"):
        fl.ones(2, requires_grad=True).numpy()
    assert np.asarray(fl.tensor(X)).shape == X.shape
    a = fl.tensor([1.0])
    assert hash(a) != hash(fl.tensor([1.0])) and {a: 1}[a] == 1
    assert fl.tensor([1, 2]).to(fl.float32).dtype == fl.float32
    assert fl.tensor([1, 2]).type_as(fl.tensor([1.0])).dtype == fl.float32
    assert fl.tensor([1.0]).half().dtype == fl.float16 and fl.tensor([1.0]).bool().dtype == fl.bool
    assert fl.tensor([1.0]).double().to(fl.tensor([1])).dtype == fl.long
    assert fl.tensor([1.0]).to("cpu", non_blocking=True).device.type == "cpu"


def test_repr_like_torch():
    assert repr(fl.tensor([1.0, 2.0, 3.0], requires_grad=True)) == "tensor([1., 2., 3.], requires_grad=True)"
    assert repr(fl.tensor([0.5, 1.25])) == repr(torch.tensor([0.5, 1.25]))
    assert repr(fl.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(fl.tensor(3.0)) == "tensor(3.)"
    assert repr(fl.tensor([1.0], requires_grad=True) * 2) == "tensor([2.], grad_fn=<MulBackward>)"


def test_inplace_methods_match_torch_and_keep_dtype():
    a, ta = fl.tensor(X), torch.tensor(X)
    for ours, theirs in [(a, ta)]:
        ours.add_(1, alpha=2).sub_(fl.ones(4)).mul_(3).div_(2).clamp_(0, 30)
        theirs.add_(1, alpha=2).sub_(torch.ones(4)).mul_(3).div_(2).clamp_(0, 30)
    np.testing.assert_allclose(a.numpy(), ta.numpy())
    assert a._version == 5
    b = fl.tensor([1, 2, 3])
    b.mul_(2.7)
    assert b.dtype == fl.long and b.tolist() == [2, 5, 8]
    c = fl.zeros(2, 3)
    c[0] = fl.tensor([1.0, 2.0, 3.0])
    c[1, 1:] = 9
    assert c.tolist() == [[1, 2, 3], [0, 9, 9]]
    c.fill_(4)
    assert c.tolist() == [[4] * 3] * 2
    c.copy_(fl.tensor([1.0, 2.0, 3.0]))
    assert c.tolist() == [[1, 2, 3]] * 2
    assert c.zero_().sum().item() == 0
    with pytest.raises(ValueError, match=r"add_: output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        fl.zeros(3).add_(fl.zeros(2, 3))


def test_cat_stack_and_module_functions():
    a, b = fl.tensor([[1.0, 2.0]]), fl.tensor([[3.0, 4.0]])
    assert fl.cat([a, b]).tolist() == [[1, 2], [3, 4]] and fl.cat((a, b), dim=1).shape == (1, 4)
    assert fl.stack([a, b], 1).shape == (1, 2, 2)
    values, indices = fl.max(fl.tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
    assert values.tolist() == [5, 7] and indices.tolist() == [1, 0]
    with pytest.raises(TypeError, match="cat: expected a non-empty list"):
        fl.cat(a)
