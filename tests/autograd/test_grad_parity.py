"""Gradients from the tape against real PyTorch on a table of small programs."""

import jax
import numpy as np
import pytest

import functorch_lite as fl

torch = pytest.importorskip("torch")

# Each case: (name, shapes of the inputs, program written once for both libraries).
# Programs take (lib, *tensors) and return a scalar; lib is torch or functorch_lite.
CASES = [
    ("add_mul_broadcast", [(3, 4), (4,)], lambda lib, a, b: (a * b + b - a / (b * b + 1)).sum()),
    ("reflected_scalars", [(3,)], lambda lib, a: (2 - a + 3 * a**2 + 1 / (a * a + 1) + 2**a).sum()),
    (
        "elementwise",
        [(5,)],
        lambda lib, a: (
            a.exp()
            + (a * a + 1).log()
            + (a * a + 1).sqrt()
            + a.abs()
            + a.sigmoid()
            + a.tanh()
            + a.relu()
            + a.clamp(-0.5, 0.5)
        ).sum(),
    ),
    ("pow_neg", [(4,)], lambda lib, a: (-a).pow(3).sum() + (a * a).pow(0.5).mean()),
    (
        "sum_dim_keepdim",
        [(2, 3, 4)],
        lambda lib, a: (a.sum(1, keepdim=True) * a).sum() + a.sum(dim=(0, 2)).pow(2).sum(),
    ),
    ("mean_dim", [(3, 4)], lambda lib, a: (a.mean(0) ** 2).sum() + a.mean(dim=1, keepdim=True).sum()),
    (
        "var_std",
        [(4, 5)],
        lambda lib, a: (
            a.var() + a.std(1).sum() + a.var(0, unbiased=False).sum() + a.std(dim=1, correction=0, keepdim=True).sum()
        ),
    ),
    ("max_min_dim", [(3, 5)], lambda lib, a: a.max(1)[0].sum() + a.min(dim=0).values.sum() * 2),
    ("max_all", [(6,)], lambda lib, a: a.max() - a.min()),
    ("maximum_other", [(4,), (4,)], lambda lib, a, b: a.max(b).sum() + lib.maximum(a, b * 2).sum()),
    ("matmul", [(3, 4), (4, 2)], lambda lib, a, b: (a @ b).tanh().sum() + a.matmul(b).sum()),
    ("batched_matmul", [(2, 3, 4), (4, 5)], lambda lib, a, b: (a @ b).pow(2).sum()),
    ("softmax", [(3, 5)], lambda lib, a: (a.softmax(1) * lib.arange(5.0)).sum() + a.log_softmax(dim=0)[0].sum()),
    (
        "views",
        [(2, 3, 4)],
        lambda lib, a: (
            (a.view(6, 4) * lib.arange(4.0)).sum()
            + a.reshape(-1, 2)[:, 1].sum()
            + a.permute(2, 0, 1)[1].pow(2).sum()
            + a.transpose(0, 2).flatten()[::3].sum()
        ),
    ),
    (
        "squeeze_expand",
        [(3, 1)],
        lambda lib, a: (
            (a.squeeze(1) * lib.arange(3.0)).sum()
            + a.unsqueeze(0).expand(2, 3, 4).sum()
            + a.repeat(2, 3).pow(2).sum()
            + a.T.sum()
        ),
    ),
    (
        "indexing",
        [(4, 5)],
        lambda lib, a: (
            a[1].sum() + a[:, 2:4].pow(2).sum() + a[..., -1].sum() + a[lib.tensor([0, 2, 2])].sum() + a[[1, 3]].sum()
        ),
    ),
    (
        "cat_stack",
        [(2, 3), (2, 3)],
        lambda lib, a, b: (lib.cat([a, b * 2], 1) ** 2).sum() + lib.stack([a, b], dim=2).pow(3).sum(),
    ),
    ("reuse", [(3,)], lambda lib, a: ((a * a) * a + a).sum()),
    (
        "mlp",
        [(8, 4), (5, 4), (5,), (3, 5)],
        lambda lib, x, w1, b1, w2: ((x @ w1.T + b1).relu() @ w2.T).log_softmax(1)[:, 0].mean(),
    ),
]


def _inputs(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(np.float32) for s in shapes]


def _ours(program, values):
    """Runs `program` on fresh leaves built from `values`; returns (output, grads) as arrays."""
    tensors = [fl.Tensor(v, requires_grad=True) for v in values]
    out = program(fl, *tensors)
    out.backward()
    return out.array, [t.grad.array for t in tensors]


def _torch(program, values):
    tensors = [torch.tensor(np.asarray(v), requires_grad=True) for v in values]
    out = program(torch, *tensors)
    out.backward()
    return out.item(), [t.grad.numpy() for t in tensors]


# Every case runs traced (the tape on tracers inside one jax.jit: one compile per case);
# EAGER ones also run op by op through the dispatcher's jit cache.
EAGER = {"add_mul_broadcast", "elementwise", "max_min_dim", "views", "indexing", "mlp"}


@pytest.mark.parametrize("name, shapes, program", CASES, ids=[c[0] for c in CASES])
def test_gradients_match_torch(name, shapes, program):
    values = _inputs(shapes, seed=len(name))
    expected, expected_grads = _torch(program, values)
    runs = [jax.jit(lambda *arrays: _ours(program, arrays))]
    if name in EAGER:
        runs.append(lambda *arrays: _ours(program, arrays))
    for run in runs:
        out, grads = run(*[jax.numpy.asarray(v) for v in values])
        np.testing.assert_allclose(float(out), expected, rtol=1e-5, atol=1e-5)
        for mine, ref in zip(grads, expected_grads, strict=False):
            np.testing.assert_allclose(np.asarray(mine), ref, rtol=1e-4, atol=1e-5)


def test_boolean_mask_index_gradient_matches_torch():
    v = np.array([[1.0, -2.0], [-3.0, 4.0]], np.float32)
    a, ta = fl.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    (a[a > 0] * 3).sum().backward()
    (ta[ta > 0] * 3).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())


def test_non_scalar_backward_with_gradient_matches_torch():
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    g = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    a, ta = fl.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    (a * a).backward(fl.tensor(g))
    (ta * ta).backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())


def test_second_derivative_with_create_graph_matches_torch():
    v = np.array([0.3, -1.2, 2.0], np.float32)
    a, ta = fl.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    (g,) = fl.autograd.grad((a**3).sum() + a.sin().sum(), a, create_graph=True)
    (tg,) = torch.autograd.grad((ta**3).sum() + ta.sin().sum(), ta, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-5)
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-4)
