"""`set_float32_matmul_precision`: one setting that every matmul and convolution reads.

The setting must reach the lowered program (core ops, facade matmuls, convolutions on
both lowerings), a change must reach functions already jitted, and the default must
keep float32 results at full precision.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.functional as fn
from functorch_lite import _precision
from functorch_lite.functional import _lowering

# The precision attribute each setting writes into StableHLO (`precision = [X, X]` on a dot,
# `#stablehlo<precision X>` on a convolution).
HLO_NAME = {"highest": "HIGHEST", "high": "HIGH", "medium": "DEFAULT"}


@pytest.fixture(autouse=True)
def _restore_default():
    yield
    fl.set_float32_matmul_precision("highest")


def _key(i=0):
    return jax.random.key(i)


def _hlo_precisions(f, *args) -> set[str]:
    """The precision names on every dot and convolution of `f`'s lowered program."""
    found = set()
    for line in jax.jit(f).lower(*args).as_text().splitlines():
        if "dot_general" in line or "convolution" in line:
            for name in ("HIGHEST", "HIGH", "DEFAULT"):
                if f"precision = [{name}, {name}]" in line or f"precision {name}>" in line:
                    found.add(name)
    return found


def _linear(x, w):
    return fn.linear(x, w)


def _tensor_matmuls(a, b):
    ta, tb = fl.as_tensor(a), fl.as_tensor(b)
    return (ta @ tb)._array + fl.matmul(ta, tb)._array + fl.mm(ta, tb)._array + ta.matmul(tb)._array


def _tensor_bmm(a, b):
    return fl.bmm(fl.as_tensor(a), fl.as_tensor(b))._array


def _conv_banded(x, w):
    return fn.conv2d(x, w, padding=1)


def _conv_generic(x, w):
    return fn.conv2d(x, w, stride=2)


def _cases():
    x2, w2 = jax.random.normal(_key(0), (4, 3)), jax.random.normal(_key(1), (5, 3))
    a, b = jax.random.normal(_key(2), (4, 3)), jax.random.normal(_key(3), (3, 6))
    a3, b3 = jax.random.normal(_key(4), (2, 4, 3)), jax.random.normal(_key(5), (2, 3, 6))
    x4, w4 = jax.random.normal(_key(6), (2, 3, 8, 8)), jax.random.normal(_key(7), (4, 3, 3, 3))
    return {
        "fn.linear": (_linear, (x2, w2)),
        "Tensor @, torch.matmul, mm, Tensor.matmul": (_tensor_matmuls, (a, b)),
        "torch.bmm": (_tensor_bmm, (a3, b3)),
        "fn.conv2d (banded on CPU)": (_conv_banded, (x4, w4)),
        "fn.conv2d (generic lowering)": (_conv_generic, (x4, w4)),
    }


@pytest.mark.parametrize("setting", ["highest", "high", "medium"])
@pytest.mark.parametrize("case", list(_cases()))
def test_the_setting_reaches_the_lowered_program(case, setting):
    f, args = _cases()[case]
    fl.set_float32_matmul_precision(setting)
    assert fl.get_float32_matmul_precision() == setting
    assert _hlo_precisions(f, *args) == {HLO_NAME[setting]}


def test_both_convolution_lowerings_are_covered():
    x = jnp.zeros((2, 3, 8, 8))
    w = jnp.zeros((4, 3, 3, 3))
    generic = _lowering.uses_fast_conv(x, w, (2, 2), ((0, 0), (0, 0)), (1, 1), 1)
    assert not generic
    if jax.default_backend() == "cpu":
        assert _lowering.uses_fast_conv(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)


def test_default_is_highest_and_full_float32():
    assert fl.get_float32_matmul_precision() == "highest"
    f, (a, b) = _cases()["Tensor @, torch.matmul, mm, Tensor.matmul"]
    expected = 4 * (np.asarray(a, np.float64) @ np.asarray(b, np.float64))
    np.testing.assert_allclose(np.asarray(f(a, b)), expected, rtol=1e-6, atol=1e-6)
    f, (x, w) = _cases()["fn.linear"]
    np.testing.assert_allclose(
        np.asarray(f(x, w)), np.asarray(x, np.float64) @ np.asarray(w, np.float64).T, rtol=1e-6, atol=1e-6
    )


def test_a_change_reaches_functions_already_jitted():
    x, w = _cases()["fn.linear"][1]
    traced_under = []

    @jax.jit
    def f(x, w):
        traced_under.append(fl.get_float32_matmul_precision())
        return fn.linear(x, w)

    f(x, w)
    f(x, w)  # cached: no new trace
    fl.set_float32_matmul_precision("medium")
    f(x, w)
    assert traced_under == ["highest", "medium"]
    assert _hlo_precisions(f, x, w) == {"DEFAULT"}


def test_a_change_reaches_the_eager_facade_and_compile(monkeypatch):
    asked = []
    real = _precision.matmul_precision

    def recording():
        asked.append(real())
        return asked[-1]

    monkeypatch.setattr("functorch_lite._tensor.math_ops.matmul_precision", recording)
    a, b = (fl.as_tensor(v) for v in _cases()["Tensor @, torch.matmul, mm, Tensor.matmul"][1])
    step = fl.compile(lambda a, b: a @ b)
    for setting in ("highest", "high"):
        fl.set_float32_matmul_precision(setting)
        asked.clear()
        for _ in range(2):  # the second call of each reuses the first one's program
            np.testing.assert_allclose(np.asarray((a @ b)._array), np.asarray(a._array) @ np.asarray(b._array), 1e-5)
            step(a, b)
        assert set(asked) == {_precision._PRECISIONS[setting]}, setting


@pytest.mark.parametrize("bad", ["HIGHEST", "low", "", None, 1])
def test_invalid_settings_raise_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"set_float32_matmul_precision: precision must be 'highest', 'high' or"):
        fl.set_float32_matmul_precision(bad)
    assert fl.get_float32_matmul_precision() == "highest"
