"""Two processes with two CPU devices each train like one process on the global batch.

Each child joins a `jax.distributed` run on localhost, feeds only its own rows of the
global batch (`process_local_batch`), and `data_parallel` assembles the global batch
with `jax.make_array_from_process_local_data`. The test compares both children's
losses and parameters with a plain `jax.jit` step run here on the whole batch.
"""

from __future__ import annotations

import socket

import jax
import numpy as np
import pytest

import functorch_lite.functional as fn
from functorch_lite import optim
from tests.helpers.devices import run_script, script_result, start_script

CHILD = r"""
import json
import sys

import jax
import numpy as np

import functorch_lite.functional as fn
from functorch_lite import optim, parallel

# Importing functorch_lite starts no JAX backend (test_import_starts_no_backend), so joining works here.
parallel.initialize_distributed(f"localhost:{sys.argv[2]}", num_processes=2, process_id=int(sys.argv[1]))

model = fn.Sequential(("fc1", fn.Linear(8, 16)), ("relu", fn.ReLU()), ("fc2", fn.Linear(16, 3)))
opt = optim.sgd(0.1, momentum=0.9)


def train_step(params, opt_state, x, y, key):
    x = x + 0.01 * jax.random.normal(key, x.shape)  # a replicated key, used on the global batch
    loss, grads = jax.value_and_grad(lambda p: fn.cross_entropy(model.apply(p, x), y))(params)
    params, opt_state = opt.update(grads, opt_state, params)
    return params, opt_state, loss, x


rng = np.random.default_rng(0)
images = rng.standard_normal((16, 8)).astype(np.float32)
labels = rng.integers(0, 3, size=16).astype(np.int32)
mesh = parallel.data_parallel_mesh()
step = parallel.data_parallel(train_step, mesh, batch_argnums=(2, 3), donate_argnums=(0, 1),
                              batch_outnums=3)
params = model.init(jax.random.key(0))
opt_state = opt.init(params)
losses = []
for i in range(3):
    local_x, local_y = parallel.process_local_batch((images, labels), mesh)
    params, opt_state, loss, x = step(params, opt_state, local_x, local_y, jax.random.key(i))
    losses.append(float(loss))
error = ""
try:
    step(params, opt_state, images[:3], labels[:3], jax.random.key(0))
except ValueError as caught:
    error = str(caught)
print(json.dumps({
    "info": list(parallel.process_info()), "main": parallel.is_main_process(),
    "local_rows": len(local_x), "x_shape": list(x.shape),
    "x_shard_rows": sorted(shard.data.shape[0] for shard in x.addressable_shards),
    "losses": losses, "params": {k: np.asarray(v).tolist() for k, v in fn.flatten_dict(params).items()},
    "error": error,
}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def reference_run():
    """The same three steps in this process, with plain jax.jit on the whole batch."""
    model = fn.Sequential(("fc1", fn.Linear(8, 16)), ("relu", fn.ReLU()), ("fc2", fn.Linear(16, 3)))
    opt = optim.sgd(0.1, momentum=0.9)

    @jax.jit
    def train_step(params, opt_state, x, y, key):
        x = x + 0.01 * jax.random.normal(key, x.shape)
        loss, grads = jax.value_and_grad(lambda p: fn.cross_entropy(model.apply(p, x), y))(params)
        params, opt_state = opt.update(grads, opt_state, params)
        return params, opt_state, loss

    rng = np.random.default_rng(0)
    images = rng.standard_normal((16, 8)).astype(np.float32)
    labels = rng.integers(0, 3, size=16).astype(np.int32)
    params = model.init(jax.random.key(0))
    opt_state = opt.init(params)
    losses = []
    for i in range(3):
        params, opt_state, loss = train_step(params, opt_state, images, labels, jax.random.key(i))
        losses.append(float(loss))
    return losses, fn.flatten_dict(params)


@pytest.mark.slow
def test_two_processes_train_like_one():
    port = str(free_port())
    children = [start_script(CHILD, 2, str(process_id), port) for process_id in (0, 1)]
    results = [script_result(child, timeout=180) for child in children]
    losses, params = reference_run()
    for process_id, result in enumerate(results):
        assert result["info"] == [process_id, 2, 2, 4]
        assert result["main"] == (process_id == 0)
        assert result["local_rows"] == 8 and result["x_shape"] == [16, 8]
        assert result["x_shard_rows"] == [4, 4]  # 2 of the 4 global slices live here
        assert result["losses"] == pytest.approx(losses, rel=1e-5)
        for key, value in params.items():
            np.testing.assert_allclose(
                np.asarray(result["params"][key]), np.asarray(value), rtol=1e-5, atol=1e-6, err_msg=key
            )
        assert result["error"].startswith(
            "data_parallel: process-local batch 3 of 'x' (process "
            f"{process_id} of 2) is not divisible by the 2 mesh devices of this process"
        )


def test_import_starts_no_backend():
    # initialize_distributed must run before any JAX work, so importing the library
    # (which a program does before calling it) must not start JAX's backend.
    result = run_script(
        """
        import json
        import functorch_lite
        import functorch_lite.parallel
        from jax._src import xla_bridge
        print(json.dumps(xla_bridge.backends_are_initialized()))
    """,
        1,
    )
    assert result is False
