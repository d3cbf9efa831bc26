"""Program-level edges: `accelerator`, `backends` flags, `onnx` and `utils.benchmark.Timer`, against torch (CPU)."""

import time
import warnings

import jax
import jax.numpy as jnp
import pytest

import functorch_lite as fl
import functorch_lite.backends.cudnn as cudnn
import functorch_lite.onnx
from functorch_lite.utils import benchmark

torch = pytest.importorskip("torch")
CPU_ONLY = not any(d.platform != "cpu" for d in jax.devices())


@pytest.mark.skipif(not CPU_ONLY, reason="compares with torch's CPU build")
def test_accelerator_answers_as_torchs_cpu_build():
    assert fl.accelerator.is_available() is torch.accelerator.is_available() is False
    assert fl.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert fl.accelerator.device_count() == torch.accelerator.device_count() == 0
    for name in ("current_device_index", "synchronize"):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
            getattr(fl.accelerator, name)()
    # The device-picking line of current PyTorch programs.
    acc = fl.accelerator
    device = acc.current_accelerator().type if acc.is_available() else "cpu"
    assert str(fl.ones(2, device=device).device) == "cpu"


@pytest.mark.skipif(CPU_ONLY, reason="needs a GPU or TPU")
def test_accelerator_on_a_device():
    assert fl.accelerator.is_available() and fl.accelerator.device_count() >= 1
    assert fl.accelerator.current_accelerator().type in ("cuda", "tpu") and fl.accelerator.current_device_index() == 0
    fl.accelerator.synchronize()


def test_backends_flags_are_read_and_set_like_torch(monkeypatch):
    for name in ("benchmark", "deterministic", "enabled", "allow_tf32"):
        assert getattr(cudnn, name) == getattr(torch.backends.cudnn, name)
    assert fl.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert fl.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    monkeypatch.setattr(cudnn._CudnnModule, "_flags", dict(cudnn._CudnnModule._flags))
    fl.backends.cudnn.benchmark = True
    assert cudnn.benchmark is True and fl.backends.cudnn.benchmark is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fl.backends.cudnn.deterministic = True  # no GPU here: nothing to warn about
    with pytest.warns(UserWarning, match="enabled=False has no effect on JAX"):
        fl.backends.cudnn.enabled = False


def test_allow_tf32_maps_onto_the_precision_policy():
    assert fl.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    try:
        fl.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cuda.matmul.allow_tf32 = True
        assert fl.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "high"
        fl.set_float32_matmul_precision("highest")
        torch.set_float32_matmul_precision("highest")
        assert fl.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32 is False
        fl.set_float32_matmul_precision("medium")
        torch.set_float32_matmul_precision("medium")
        assert fl.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32 is True
    finally:
        fl.set_float32_matmul_precision("highest")
        torch.set_float32_matmul_precision("highest")


def test_onnx_imports_and_export_names_the_alternative():
    assert functorch_lite.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match=r"onnx.export: .*jax\.export"):
        fl.onnx.export(fl.nn.Linear(2, 2), (fl.ones(1, 2),), "model.onnx")


def test_timer_measurement_api_and_repr():
    x = fl.ones(8)
    m = benchmark.Timer("x + x", globals={"x": x}).timeit(50)
    assert m.number_per_run == 50 and len(m.times) == 1 and m.mean == m.median == m.times[0] > 0
    text = repr(m).splitlines()
    assert text[0].startswith("<functorch_lite.utils.benchmark.Measurement object at") and text[1] == "x + x"
    assert text[-1] == "  1 measurement, 50 runs , 1 thread"
    labelled = benchmark.Timer("y = x * 2", setup="z = 1", globals={"x": x}, label="mul", sub_label="8").timeit(5)
    assert repr(labelled).splitlines()[1:3] == ["mul: 8", "setup: z = 1"]
    auto = benchmark.Timer("x + x", globals={"x": x}).blocked_autorange(min_run_time=0.05)
    assert sum(auto.raw_times) >= 0.05 and auto.number_per_run >= 1
    with pytest.raises(ValueError, match="num_threads=4 is not supported"):
        benchmark.Timer("pass", num_threads=4)


def test_timer_waits_for_asynchronous_jax_work():
    """A slow jitted op returns before it is computed: the Timer must not time only the dispatch."""
    a = jnp.ones((512, 512))
    slow = jax.jit(lambda a: jnp.linalg.matrix_power(a * 1e-3, 64))
    slow(a).block_until_ready()
    start = time.perf_counter()
    for _ in range(3):
        slow(a).block_until_ready()
    blocked = (time.perf_counter() - start) / 3
    start = time.perf_counter()
    slow(a)
    dispatch = time.perf_counter() - start
    assert dispatch < blocked / 4  # the op really is asynchronous
    for stmt in ("slow(a)", "out = slow(a)", "fl.tensor(slow(a))"):
        m = benchmark.Timer(stmt, globals={"slow": slow, "a": a, "fl": fl}).timeit(3)
        assert m.mean > 0.5 * blocked, (stmt, m.mean, blocked)
