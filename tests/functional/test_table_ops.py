"""The table-driven nn.functional ops (activation_table, loss_table, conv_pool_nd) against PyTorch."""

import numpy as np
import pytest
import torch

import functorch_lite as fl

F, G = torch.nn.functional, fl.nn.functional
_RNG = np.random.default_rng(0)


def _t(*shape):
    return torch.from_numpy(_RNG.standard_normal(shape).astype(np.float32))


X1, X2, X3 = _t(2, 4, 9), _t(2, 4, 7, 8), _t(2, 4, 5, 6, 7)
CASES = [
    ("conv1d", (X1, _t(6, 2, 3), _t(6)), {"stride": 2, "padding": 1, "groups": 2}),
    ("conv3d", (X3, _t(6, 4, 2, 3, 2)), {"padding": 1}),
    ("conv_transpose1d", (X1, _t(4, 3, 3), _t(3)), {"stride": 2, "padding": 1, "output_padding": 1}),
    ("conv_transpose2d", (X2, _t(4, 3, 3, 2)), {"stride": (2, 1), "padding": 1, "groups": 2, "dilation": 2}),
    ("max_pool1d", (X1, 3, 2, 1), {"ceil_mode": True}),
    ("avg_pool1d", (X1, 3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ("avg_pool3d", (X3, 2, 2, 1), {"ceil_mode": True}),
    ("adaptive_max_pool2d", (X2, (3, 5)), {}),
    ("adaptive_avg_pool3d", (X3, (2, 3, 4)), {}),
    ("group_norm", (X2, 2, _t(4), _t(4)), {}),
    ("rms_norm", (X2, (7, 8)), {}),
    ("local_response_norm", (X2, 3), {}),
    ("scaled_dot_product_attention", (_t(2, 3, 5, 4), _t(2, 3, 5, 4), _t(2, 3, 5, 4)), {"is_causal": True}),
    ("softplus", (X1,), {"beta": 2.0}),
    ("glu", (X1,), {"dim": 1}),
    ("kl_div", (X1, X1.exp()), {"reduction": "batchmean"}),
    ("huber_loss", (X1, X1.flip(0)), {"delta": 0.5}),
]


def _lite(value):
    return fl.tensor(value.numpy(), requires_grad=True) if isinstance(value, torch.Tensor) else value


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_matches_torch_forward_and_gradient(name, args, kwargs):
    torch_args = [a.clone().requires_grad_() if isinstance(a, torch.Tensor) else a for a in args]
    lite_args = [_lite(a) for a in args]
    want = getattr(F, name)(*torch_args, **kwargs)
    have = getattr(G, name)(*lite_args, **kwargs)
    np.testing.assert_allclose(np.asarray(have.detach()), want.detach().numpy(), rtol=1e-4, atol=1e-5)
    want.sum().backward()
    have.sum().backward()
    for a, b in zip(torch_args, lite_args):
        if isinstance(a, torch.Tensor):
            np.testing.assert_allclose(np.asarray(b.grad), a.grad.numpy(), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "area"])
@pytest.mark.parametrize("kwargs", [{"size": (7, 3)}, {"scale_factor": 1.7}])
def test_interpolate_matches_torch(mode, kwargs):
    corners = {"align_corners": False} if mode == "bilinear" else {}
    want = F.interpolate(X2, mode=mode, **kwargs, **corners)
    have = G.interpolate(fl.tensor(X2.numpy()), mode=mode, **kwargs, **corners)
    np.testing.assert_allclose(np.asarray(have), want.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"size": 4, "scale_factor": 2}, "only one of size or scale_factor should be defined"),
        ({"mode": "bicubic"}, "either size or scale_factor should be defined"),
        ({"size": 4, "mode": "nearest", "align_corners": True}, "align_corners option can only be set"),
        ({"size": 4, "mode": "area", "align_corners": False}, "align_corners option can only be set"),
    ],
)
def test_interpolate_rejects_what_torch_rejects(kwargs, words):
    with pytest.raises(ValueError, match=words):
        F.interpolate(X2, **kwargs)
    with pytest.raises(ValueError, match=f"interpolate: {words}"):
        G.interpolate(fl.tensor(X2.numpy()), **kwargs)
