"""The Tensor API old and new PyTorch programs touch: `.data`, `new_*`, legacy typed constructors, `out=`,
`torch.vmap`, and printing (dtypes, devices, 0-d tensors in f-strings, `next_functions`), against real torch."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite as fl

torch = pytest.importorskip("torch")


# -- printing ---------------------------------------------------------------------------------------
def test_dtypes_print_as_torch_and_stay_jax_dtypes():
    pairs = [(fl.float32, torch.float32), (fl.float16, torch.float16), (fl.bfloat16, torch.bfloat16)]
    pairs += [(fl.int32, torch.int32), (fl.uint8, torch.uint8), (fl.bool, torch.bool), (fl.int8, torch.int8)]
    for ours, theirs in pairs:
        assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
        assert ours.is_floating_point == theirs.is_floating_point and ours.itemsize == theirs.itemsize
    t = fl.ones(2, 3)
    assert str(t.dtype) == "torch.float32" and f"{t.dtype}" == "torch.float32"
    assert t.dtype is fl.float32 and isinstance(t.dtype, fl.dtype)
    # JAX interop: equal and hash-equal to numpy/JAX dtypes, accepted wherever jax takes a dtype.
    assert fl.float32 == jnp.float32 and fl.float32 == np.dtype("float32") and np.dtype("float32") == fl.float32
    assert hash(fl.float32) == hash(np.dtype("float32")) and {np.dtype("float32"): 1}[t.dtype] == 1
    assert jnp.zeros(3, t.dtype).dtype == jnp.float32
    assert jnp.ones(2).astype(fl.bfloat16).dtype == jnp.bfloat16
    assert jax.jit(lambda x: x.astype(fl.float16))(jnp.ones(2)).dtype == jnp.float16
    assert fl.tensor([1, 2]).dtype == fl.long and fl.ones(2).to(fl.float16).dtype == fl.float16


def test_devices_print_as_torch():
    assert str(fl.device("cpu")) == str(torch.device("cpu")) == "cpu"
    assert str(fl.ones(2).device) == str(torch.ones(2).device) == "cpu"
    assert repr(fl.ones(2).device) == repr(torch.ones(2).device)
    assert str(fl.device("cpu:0")) == str(torch.device("cpu:0")) == "cpu:0"
    assert fl.ones(2).device == fl.device("cpu:0")


@pytest.mark.parametrize("spec", ["", ".3f", "8.2f", "e", ">6"])
def test_zero_dim_tensors_format_as_their_value(spec):
    for value in (3, 2.5):
        assert format(fl.tensor(value), spec) == format(torch.tensor(value), spec)
    assert f"{fl.tensor(3)}" == "3"
    assert f"{fl.tensor([1, 2])}" == str(fl.tensor([1, 2])) == str(torch.tensor([1, 2]))
    with pytest.raises(TypeError):
        format(fl.tensor([1.0, 2.0]), ".3f")


def test_next_functions_show_accumulate_grad_for_leaves():
    def structure(lib):
        a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        out = (a * b).sum()
        ((mul, _),) = out.grad_fn.next_functions
        names = [type(node).__name__ for node, _ in mul.next_functions]
        return names, a, mul

    names, a, mul = structure(fl)
    their_names, _, _ = structure(torch)
    assert names == their_names == ["AccumulateGrad", "AccumulateGrad"]
    node = mul.next_functions[0][0]
    assert node.variable is a and node.next_functions == () and repr(node).startswith("<AccumulateGrad object")
    assert (a * 3).grad_fn.next_functions[0][0] is node  # one node per leaf, as PyTorch


# -- .data, new_*, legacy constructors ------------------------------------------------------------------
def test_data_reads_and_writes_the_values_outside_autograd():
    p = fl.nn.Parameter(fl.ones(3))
    data = p.data
    assert not data.requires_grad and data.grad_fn is None and not isinstance(data, fl.nn.Parameter)
    data.mul_(2)  # in place through .data changes the parameter, as in PyTorch
    np.testing.assert_array_equal(p.detach().numpy(), [2, 2, 2])
    assert p.requires_grad and p.is_leaf
    loss = (p * p).sum()
    loss.backward()
    p.data.add_(p.grad, alpha=-0.25)  # the old-style SGD step
    np.testing.assert_array_equal(p.detach().numpy(), [1, 1, 1])
    np.testing.assert_array_equal(data.numpy(), [1, 1, 1])  # later changes show through
    p.data = fl.zeros(3)
    np.testing.assert_array_equal(p.detach().numpy(), [0, 0, 0])
    assert p.requires_grad and p.grad_fn is None


def test_new_factories_match_torch():
    ours, theirs = fl.ones(2, dtype=fl.float16), torch.ones(2, dtype=torch.float16)
    for name, args in [("new_zeros", (2, 3)), ("new_ones", ((3,),)), ("new_empty", (1, 2))]:
        a, b = getattr(ours, name)(*args), getattr(theirs, name)(*args)
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype)
        if name != "new_empty":
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    a, b = ours.new_full((2, 2), 3.5), theirs.new_full((2, 2), 3.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert str(a.dtype) == str(b.dtype)
    a, b = ours.new_tensor([1, 2]), theirs.new_tensor([1, 2])
    assert str(a.dtype) == str(b.dtype) and a.tolist() == b.tolist()
    assert ours.new_zeros(2, dtype=fl.int32).dtype == fl.int32
    assert ours.new_ones(2, requires_grad=True).requires_grad


def test_legacy_typed_constructors_match_torch():
    for name in ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor"]:
        ours, theirs = getattr(fl, name), getattr(torch, name)
        from_data = ours([1, 0, 1])
        np.testing.assert_array_equal(from_data.numpy(), theirs([1, 0, 1]).numpy())
        assert tuple(ours(2, 3).shape) == (2, 3) and tuple(ours(fl.Size([4])).shape) == (4,)
        assert isinstance(from_data, ours) and isinstance(from_data, fl.Tensor)
    assert str(fl.FloatTensor([1]).dtype) == "torch.float32" and str(fl.ByteTensor([1]).dtype) == "torch.uint8"
    assert isinstance(fl.ones(2), fl.FloatTensor) and not isinstance(fl.ones(2), fl.LongTensor)
    assert fl.ones(2).type(fl.LongTensor).dtype == fl.long and fl.ones(2).type("torch.IntTensor").dtype == fl.int32
    assert fl.ones(2).type() == torch.ones(2).type() == "torch.FloatTensor"


# -- out= ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, args",
    [("add", ([1.0, 2.0], [3.0, 4.0])), ("exp", ([0.5, 1.0],)), ("matmul", ([[1.0, 2.0]], [[3.0], [4.0]])),
     ("clamp", ([-1.0, 3.0], 0.0, 1.0)), ("sum", ([[1.0, 2.0], [3.0, 4.0]], 1))],
)  # fmt: skip
def test_out_receives_the_result_in_place_like_torch(name, args):
    ours_args = [fl.tensor(a) if isinstance(a, list) else a for a in args]
    theirs_args = [torch.tensor(a) if isinstance(a, list) else a for a in args]
    expected = getattr(torch, name)(*theirs_args)
    ours_out, theirs_out = fl.zeros(*expected.shape), torch.zeros(*expected.shape)
    returned = getattr(fl, name)(*ours_args, out=ours_out)
    getattr(torch, name)(*theirs_args, out=theirs_out)
    assert returned is ours_out and ours_out._version == 1
    np.testing.assert_allclose(ours_out.numpy(), theirs_out.numpy(), rtol=1e-6)


def test_out_tuples_empty_outs_and_errors():
    x = [[1.0, 5.0], [7.0, 2.0]]
    values, indices = fl.zeros(2), fl.zeros(2, dtype=fl.long)
    fl.max(fl.tensor(x), 1, out=(values, indices))
    expected = torch.max(torch.tensor(x), 1)
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    empty = fl.empty(0)
    fl.cat([fl.ones(2), fl.zeros(1)], out=empty)  # an empty out is resized, as in PyTorch
    assert empty.tolist() == [1.0, 1.0, 0.0]
    out = fl.zeros(2)
    fl.where(fl.tensor([True, False]), fl.ones(2), fl.zeros(2), out=out)
    assert out.tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match=r"add: out= has shape \[2\] but the result has shape \[3\]"):
        fl.add(fl.ones(3), 1, out=fl.zeros(2))
    with pytest.raises(TypeError, match="add: result type torch.float32 can't be cast to the desired output type"):
        fl.add(fl.ones(3), 0.5, out=fl.zeros(3, dtype=fl.long))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        fl.mul(fl.ones(3, requires_grad=True), 2, out=fl.zeros(3))
    out3 = fl.zeros(3)
    with fl.no_grad():
        fl.mul(fl.ones(3, requires_grad=True), 2, out=out3)
    assert out3.tolist() == [2.0, 2.0, 2.0]


def test_torch_vmap_is_func_vmap():
    assert fl.vmap is fl.func.vmap
    out = fl.vmap(lambda row: row.sum())(fl.ones(4, 3))
    np.testing.assert_array_equal(out.numpy(), torch.vmap(lambda row: row.sum())(torch.ones(4, 3)).numpy())
