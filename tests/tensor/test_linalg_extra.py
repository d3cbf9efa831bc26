"""Legacy linear algebra of `torch.*`, the added `torch.linalg`/`torch.fft` ops and `mode`/`histogram`/...

Each is compared with PyTorch forward and, where PyTorch differentiates it, backward
(`_tensor/linalg_extra.py`, `_tensor/more_ops.py`).
"""

import numpy as np
import pytest
import torch

import functorch_lite as fl
from tests.helpers.numerics import FLOAT32_ACCUMULATED, FLOAT32_REDUCTION, assert_close, randn

A = randn((4, 4), 0)
SPD = (A @ A.T + 4 * np.eye(4)).astype(np.float32)
B = randn((4, 2), 1)


def _resolve(library, name):
    for part in name.split("."):
        library = getattr(library, part)
    return library


def _run(library, name, arrays, *args, grad=True, **kwargs):
    leaves = [
        library.tensor(a, requires_grad=grad and a.dtype.kind == "f") if isinstance(a, np.ndarray) else a
        for a in arrays
    ]
    out = _resolve(library, name)(*leaves, *args, **kwargs)
    outputs = [o for o in (out if isinstance(out, tuple) else (out,)) if isinstance(o, library.Tensor)]
    outputs = [o.resolve_conj() if library is torch else o for o in outputs]
    total = sum(
        (o * library.tensor(np.linspace(-1, 1, o.numel(), dtype=np.float32).reshape(tuple(o.shape)))).sum()
        for o in outputs
        if o.requires_grad
    )
    grads = []
    if isinstance(total, library.Tensor):
        total.backward()
        grads = [leaf.grad for leaf in leaves if isinstance(leaf, library.Tensor) and leaf.requires_grad]
    return outputs, grads


def _check(name, arrays, *args, grad=True, **kwargs):
    want, want_grads = _run(torch, name, arrays, *args, grad=grad, **kwargs)
    have, have_grads = _run(fl, name, arrays, *args, grad=grad, **kwargs)
    assert_close(have, want, FLOAT32_REDUCTION, name)
    if grad:
        assert_close(have_grads, want_grads, FLOAT32_ACCUMULATED, f"{name} gradient")


def _lu_inputs(shape, seed):
    lu, pivots = torch.linalg.lu_factor(torch.tensor(randn(shape, seed)))
    return lu.numpy(), pivots.numpy()


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_and_cholesky_solve(upper):
    _check("cholesky", [SPD], upper=upper)
    factor = torch.linalg.cholesky(torch.tensor(SPD), upper=upper).numpy()
    _check("cholesky_solve", [B, factor], upper)


def test_qr_svd_and_triangular_solve():
    _check("qr", [randn((5, 3), 2)])
    _check("qr", [randn((3, 5), 3)], False, grad=False)
    tall = randn((5, 3), 4)
    u, s, v = fl.svd(fl.tensor(tall))
    assert_close(u @ fl.diag(s) @ v.T, tall, FLOAT32_REDUCTION)
    _check("svd", [tall], compute_uv=False, grad=False)
    _check("svd", [np.zeros((0, 0), np.float32)], grad=False)
    _check("triangular_solve", [B, np.triu(SPD)], True)
    _check("triangular_solve", [B, np.tril(SPD)], False, True, True)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_lu_and_lu_unpack(shape):
    _check("lu", [randn(shape, 5)], True, True)
    _check("lu_unpack", list(_lu_inputs(shape, 6)))


@pytest.mark.parametrize(("left", "adjoint"), [(True, False), (True, True), (False, False), (False, True)])
def test_lu_solve(left, adjoint):
    lu, pivots = _lu_inputs((4, 4), 7)
    _check("linalg.lu_solve", [lu, pivots, B if left else B.T.copy()], left=left, adjoint=adjoint)
    if left and not adjoint:
        _check("lu_solve", [B, lu, pivots])
        _check("linalg.lu_factor_ex", [randn((4, 4), 8)])


@pytest.mark.parametrize(
    ("p", "dim"), [("fro", None), (2, None), (1, 1), (float("inf"), 0), (0.5, None), ("nuc", None), ("fro", (0, 1))]
)
def test_norm(p, dim):
    _check("norm", [randn((3, 4), 9)], p, dim)


def test_vander_and_householder_product():
    _check("linalg.vander", [np.array([0.0, 1.5, -2.0], np.float32)], N=4)
    reflectors, tau = (t.numpy() for t in torch.geqrf(torch.tensor(randn((5, 3), 10))))
    _check("linalg.householder_product", [reflectors, tau])


@pytest.mark.parametrize(
    ("driver", "shape"), [("gels", (5, 3)), ("gelsy", (3, 3)), ("gelsd", (2, 3)), ("gelss", (5, 3))]
)
def test_lstsq(driver, shape):
    _check("linalg.lstsq", [randn(shape, 11), randn((shape[0], 2), 12)], driver=driver)


@pytest.mark.parametrize("name", ["hfft2", "hfftn", "ihfft2", "ihfftn"])
@pytest.mark.parametrize("kwargs", [{}, {"s": (3, 6), "norm": "ortho"}, {"dim": 0}, {"norm": "forward"}])
def test_hermitian_fft(name, kwargs):
    x = randn((4, 5, 6), 13)
    if name.startswith("h"):
        x = (x + 1j * randn((4, 5, 6), 14)).astype(np.complex64)
    _check(f"fft.{name}", [x], grad=False, **kwargs)


def test_combinations_fill_and_broadcast_shapes():
    x = randn((4,), 15)
    _check("combinations", [x], 2)
    _check("combinations", [x], 3, True)
    _check("fill", [randn((2, 3), 18), np.array(1.5, np.float32)])
    assert fl.broadcast_shapes((5, 1), 5, (2, 1, 1)) == torch.broadcast_shapes((5, 1), 5, (2, 1, 1))
    with pytest.raises(ValueError, match="broadcast_shapes: shapes"):
        fl.broadcast_shapes((2,), (3,))
    t = fl.ones(3)
    assert fl.zero_(t) is t and float(t.sum()) == 0.0


def test_mode_and_histogram():
    ties = np.array([[3.0, 1.0, 3.0, 1.0, 2.0], [5.0, 5.0, 4.0, 0.0, 0.0]], np.float32)
    _check("mode", [ties], 1)
    _check("mode", [randn((3, 4), 16)], 0, True)
    _check("histogram", [randn((50,), 17)], 7, grad=False)
    _check("histogram", [randn((50,), 17), np.array([-1.0, 0.0, 0.5, 2.0], np.float32)], density=True, grad=False)
    _check("histogram", [np.array(2.0, np.float32)], 1, grad=False)


def test_geqrf_and_ormqr():
    a = randn((5, 3), 19)
    _check("geqrf", [a], grad=False)
    reflectors, tau = (t.numpy() for t in torch.geqrf(torch.tensor(a)))
    for left, transpose in ((True, False), (False, True)):
        other = randn((5, 2) if left else (2, 5), 20)
        _check("ormqr", [reflectors, tau, other], left, transpose)


def test_gradient_stft_and_small_tensor_ops():
    x = randn((5, 4), 21)
    _check("gradient", [x], spacing=2.0, edge_order=2)
    _check("gradient", [x], spacing=[1.0, 0.5], dim=[0, 1])
    coordinates = np.array([0.0, 0.5, 2.0, 2.5, 4.0], np.float32)
    want = torch.gradient(torch.tensor(x), spacing=(torch.tensor(coordinates),), dim=0)
    assert_close(fl.gradient(fl.tensor(x), spacing=(fl.tensor(coordinates),), dim=0), want, FLOAT32_REDUCTION)
    signal = randn((2, 64), 22)
    _check("stft", [signal], 16, 4, return_complex=True, grad=False)
    window = np.hanning(12).astype(np.float32)
    options = dict(hop_length=5, win_length=12, center=False, normalized=True, return_complex=False)
    want = torch.stft(torch.tensor(signal), 16, window=torch.tensor(window), **options)
    assert_close(fl.stft(fl.tensor(signal), 16, window=fl.tensor(window), **options), want, FLOAT32_REDUCTION)
    _check("view_as_complex", [randn((3, 2), 23)], grad=False)
    _check("nonzero_static", [np.array([0.0, 1.0, 0.0, 2.0], np.float32)], size=3, grad=False)
    _check("histogramdd", [randn((20, 2), 24), [3, 4]], grad=False)
    assert fl.tensor([1.0]).cfloat().dtype == fl.complex64 and tuple(fl.empty_strided((2, 3), (3, 1)).shape) == (2, 3)
    assert tuple(fl.ones(2).new_empty_strided((4, 1), (1, 1)).shape) == (4, 1)
    assert tuple(fl.empty_permuted((2, 3, 4), (0, 2, 1)).shape) == (2, 3, 4)


def test_svd_lowrank_and_pca_lowrank_recover_a_low_rank_matrix():
    a = randn((8, 2), 25) @ randn((2, 6), 26)
    u, s, v = fl.svd_lowrank(fl.tensor(a), q=2)
    assert_close(u @ fl.diag(s) @ v.T, a, FLOAT32_REDUCTION)
    assert_close(s, torch.linalg.svdvals(torch.tensor(a))[:2], FLOAT32_REDUCTION)
    _, s, _ = fl.pca_lowrank(fl.tensor(a), q=2)
    assert_close(s, torch.pca_lowrank(torch.tensor(a), q=2)[1], FLOAT32_REDUCTION)


def test_constant_pad_nd_and_native_norms():
    _check("constant_pad_nd", [randn((2, 3), 27)], (1, -1, 2, 0), 0.5)
    x, w, b = randn((2, 3, 4), 28), randn((3, 4), 29), randn((3, 4), 30)
    cases = [("native_layer_norm", [x, (3, 4), w, b, 1e-5])]
    cases.append(("native_group_norm", [randn((2, 6, 5), 31), randn((6,), 32), randn((6,), 33), 2, 6, 5, 3, 1e-5]))
    for name, arrays in cases:  # (out, mean, rstd): PyTorch differentiates `out` only
        _check(name, arrays, grad=False)
        grads = []
        for library in (torch, fl):
            leaves = [library.tensor(a, requires_grad=True) if isinstance(a, np.ndarray) else a for a in arrays]
            getattr(library, name)(*leaves)[0].pow(2).sum().backward()
            grads.append([leaf.grad for leaf in leaves if isinstance(leaf, library.Tensor)])
        assert_close(grads[1], grads[0], FLOAT32_ACCUMULATED, f"{name} gradient")


@pytest.mark.parametrize("bins", [3, 10, [2, 3]])
def test_histogramdd_integer_bins_match_torch(bins):
    x = np.array([[0.0, 1.0], [2.0, 3.0], [1.0, 1.0], [0.5, 2.5]], np.float32)
    hist, edges = fl.histogramdd(fl.tensor(x), bins=bins)
    expected = torch.histogramdd(torch.tensor(x), bins=bins)
    assert isinstance(edges, tuple) and len(edges) == 2
    assert_close(hist, expected.hist)
    for mine, theirs in zip(edges, expected.bin_edges):
        assert_close(mine, theirs)
    assert_close(fl.histogramdd(fl.tensor(x))[0], torch.histogramdd(torch.tensor(x), bins=10).hist)
    same = np.ones((2, 2), np.float32)
    assert_close(fl.histogramdd(fl.tensor(same), bins=2)[1][0], torch.histogramdd(torch.tensor(same), bins=2)[1][0])


SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]], np.float32)
NOT_PD = np.array([[1.0, 2.0], [2.0, 1.0]], np.float32)


def _raised(fn, *args, **kwargs):
    with pytest.raises(RuntimeError) as caught:
        fn(*args, **kwargs)
    return str(caught.value)


def test_lu_info_and_lu_factor_errors_match_torch():
    batch = np.stack([SINGULAR, np.eye(3, dtype=np.float32)])
    assert fl.lu(fl.tensor(SINGULAR), get_infos=True)[2].item() == torch.lu(torch.tensor(SINGULAR), get_infos=True)[2]
    have, want = fl.linalg.lu_factor_ex(fl.tensor(batch)).info, torch.linalg.lu_factor_ex(torch.tensor(batch)).info
    assert have.dtype == fl.int32 and np.asarray(have).tolist() == want.tolist() == [3, 0]
    assert fl.linalg.lu_factor_ex(fl.tensor(np.eye(3, dtype=np.float32))).info.item() == 0
    for name, kwargs in (("lu_factor", {}), ("lu_factor_ex", {"check_errors": True})):
        for a in (SINGULAR, batch[::-1].copy()):
            message = _raised(getattr(torch.linalg, name), torch.tensor(a), **kwargs)
            assert _raised(getattr(fl.linalg, name), fl.tensor(a), **kwargs) == message
    fl.lu(fl.tensor(SINGULAR))  # torch.lu and linalg.lu do not raise
    fl.linalg.lu(fl.tensor(SINGULAR))


def test_cholesky_failure_raises_and_reports_info_as_torch():
    batch = np.stack([np.eye(2, dtype=np.float32), NOT_PD])
    for a in (NOT_PD, batch):
        message = _raised(torch.linalg.cholesky, torch.tensor(a))
        assert _raised(fl.linalg.cholesky, fl.tensor(a)) == message
        assert _raised(fl.linalg.cholesky, fl.tensor(a, requires_grad=True)) == message
        have, want = fl.linalg.cholesky_ex(fl.tensor(a)).info, torch.linalg.cholesky_ex(torch.tensor(a)).info
        assert np.asarray(have).tolist() == want.tolist()
    with pytest.raises(fl.linalg.LinAlgError, match=r"linalg.cholesky_ex: .*leading minor of order 2"):
        fl.linalg.cholesky_ex(fl.tensor(NOT_PD), check_errors=True)
    with pytest.raises(RuntimeError, match=r"^cholesky: .*leading minor of order 2"):
        fl.cholesky(fl.tensor(NOT_PD))
    lower_only = np.array([[1.0, 0.0], [5.0, -1.0]], np.float32)  # only the lower triangle is read
    assert (
        fl.linalg.cholesky_ex(fl.tensor(lower_only)).info.item()
        == torch.linalg.cholesky_ex(torch.tensor(lower_only)).info
    )
    assert fl.linalg.cholesky_ex(fl.tensor(SPD)).info.item() == 0
