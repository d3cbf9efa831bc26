"""One seed, one result: training twice in separate processes gives the same bits on CPU.

A small script trains a conv + BatchNorm + dropout model for a few steps three ways
(the eager facade, the facade step under `functorch_lite.compile`, and the pure
`jax.jit` path) and saves each run's parameters and buffers. Two processes run
it, with different `PYTHONHASHSEED`s so that nothing may depend on set or dict
hashing order; their files must be byte-identical.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import functorch_lite as fl

ROOT = Path(__file__).resolve().parents[1]
MODES = ("eager", "compiled", "pure")

SCRIPT = textwrap.dedent("""
    import sys

    import jax
    import numpy as np

    import functorch_lite as fl
    import functorch_lite.functional as fn
    import functorch_lite.nn as nn
    import functorch_lite.nn.functional as F

    STEPS, SEED = 6, 7
    out_dir, repo_root = sys.argv[1], sys.argv[2]
    sys.path.insert(0, repo_root)
    from tests.helpers.seed import bn_dropout_net  # noqa: E402 - the shared conv + BatchNorm + dropout model


    def batches():
        rng = np.random.default_rng(SEED)
        return [(rng.standard_normal((8, 1, 8, 8), dtype=np.float32), rng.integers(0, 10, 8))
                for _ in range(STEPS)]


    def facade(compiled):
        fl.manual_seed(SEED)
        net = bn_dropout_net(nn, F)
        criterion = nn.CrossEntropyLoss()
        optimizer = fl.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

        def train_step(inputs, labels):
            optimizer.zero_grad()
            loss = criterion(net(inputs), labels)
            loss.backward()
            optimizer.step()
            return loss

        step = fl.compile(train_step) if compiled else train_step
        for x, y in batches():
            step(fl.tensor(x), fl.tensor(y))
        return dict(net.state_dict())


    def pure():
        model = fn.Sequential(
            ("conv", fn.Conv2d(1, 4, 3)), ("bn", fn.BatchNorm2d(4)), ("relu", fn.ReLU()),
            ("drop", fn.Dropout(0.3)), ("flatten", fn.Flatten()), ("fc", fn.Linear(4 * 6 * 6, 10)))
        opt = fl.optim.sgd(0.05, momentum=0.9)
        key = jax.random.key(SEED)
        params, state = model.init(jax.random.fold_in(key, 0)), model.init_state()
        opt_state = opt.init(params)

        @jax.jit
        def train_step(params, state, opt_state, x, y, step_key):
            def loss_fn(params):
                logits, new_state = model.apply(params, x, state=state, key=step_key, training=True)
                return fn.cross_entropy(logits, y), new_state

            grads, state = jax.grad(loss_fn, has_aux=True)(params)
            params, opt_state = opt.update(grads, opt_state, params)
            return params, state, opt_state

        for index, (x, y) in enumerate(batches()):
            params, state, opt_state = train_step(params, state, opt_state, x, y, jax.random.fold_in(key, index + 1))
        return fn.state_dict(params, state)


    fl.save(facade(compiled=False), f"{out_dir}/eager.safetensors")
    fl.save(facade(compiled=True), f"{out_dir}/compiled.safetensors")
    fl.save(pure(), f"{out_dir}/pure.safetensors")
""")


@pytest.mark.slow
def test_same_seed_gives_bitwise_identical_parameters_in_separate_processes(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT, encoding="utf-8")
    runs = []
    for hash_seed in ("1", "2"):
        out_dir = tmp_path / f"run{hash_seed}"
        out_dir.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "JAX_PLATFORMS": "cpu"}
        process = subprocess.Popen(
            [sys.executable, str(script), str(out_dir), str(ROOT)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        runs.append((process, out_dir))
    for process, _ in runs:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-3000:]

    (_, first), (_, second) = runs
    for mode in MODES:
        a = fl.load(first / f"{mode}.safetensors", map_location="numpy")
        b = fl.load(second / f"{mode}.safetensors", map_location="numpy")
        assert list(a) == list(b) and "bn.running_var" in a, mode
        for key in a:
            assert a[key].dtype == b[key].dtype, f"{mode}: {key}"
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{mode}: {key}")
        # The whole files too: same tensors, same order, same header.
        assert (first / f"{mode}.safetensors").read_bytes() == (second / f"{mode}.safetensors").read_bytes(), mode
    # The runs really trained: six batches went through BatchNorm and moved its statistics.
    eager = fl.load(first / "eager.safetensors", map_location="numpy")
    assert int(eager["bn.num_batches_tracked"]) == 6
    assert np.abs(eager["bn.running_mean"]).max() > 0
