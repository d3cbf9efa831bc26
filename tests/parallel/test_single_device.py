"""The parallel API on a one-device mesh, in the pytest process: it works on any machine.

Also every bad-input error of `functorch_lite.parallel` that needs no second device.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding, PartitionSpec

import functorch_lite.functional as fn
from functorch_lite import optim, parallel

RNG = np.random.default_rng(0)
IMAGES = RNG.standard_normal((8, 1, 32, 32)).astype(np.float32)
LABELS = RNG.integers(0, 10, size=8).astype(np.int32)


@pytest.fixture(scope="module")
def mesh():
    return parallel.data_parallel_mesh(jax.devices()[:1])


def linear_step(w, x, y):
    grad = jax.grad(lambda w: fn.mse_loss(x @ w, y))(w)
    return w - 0.1 * grad, jnp.sum(x)


def test_train_step_equals_plain_jit(mesh):
    # A small conv net: the same code path as LeNet-5 (test_multi_device), compiled faster.
    model = fn.Sequential(
        ("conv1", fn.Conv2d(1, 4, 5, stride=4)),
        ("relu1", fn.ReLU()),
        ("flatten", fn.Flatten()),
        ("fc1", fn.Linear(4 * 7 * 7, 10)),
    )
    opt = optim.sgd(0.05, momentum=0.9)

    def train_step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(lambda p: fn.cross_entropy(model.apply(p, x), y))(params)
        params, opt_state = opt.update(grads, opt_state, params)
        return params, opt_state, loss

    runs = {}
    steps = {
        "jit": jax.jit(train_step),
        "parallel": parallel.data_parallel(train_step, mesh, batch_argnums=(2, 3), donate_argnums=(0, 1)),
    }
    for name, step in steps.items():
        params = model.init(jax.random.key(0))
        opt_state = opt.init(params)
        losses = []
        for _ in range(3):
            params, opt_state, loss = step(params, opt_state, IMAGES, LABELS)
            losses.append(float(loss))
        runs[name] = losses, params
    assert runs["parallel"][0] == pytest.approx(runs["jit"][0], rel=1e-6)
    for got, want in zip(jax.tree.leaves(runs["parallel"][1]), jax.tree.leaves(runs["jit"][1])):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-7)
        assert got.sharding == NamedSharding(mesh, PartitionSpec())


def test_default_mesh_spans_every_device():
    mesh = parallel.data_parallel_mesh()
    assert list(mesh.devices.flat) == jax.devices()
    assert mesh.axis_names == ("batch",)
    assert parallel.data_parallel_mesh(["cpu:0"], axis_name="data").axis_names == ("data",)


def test_placements(mesh):
    batch = parallel.shard_batch({"x": IMAGES, "y": LABELS}, mesh)
    assert batch["x"].sharding == NamedSharding(mesh, PartitionSpec("batch"))
    np.testing.assert_array_equal(np.asarray(batch["y"]), LABELS)
    assert parallel.shard_batch(batch, mesh)["x"] is batch["x"]  # placed already: no copy
    columns = parallel.shard_batch(IMAGES, mesh, axis=2)
    assert columns.sharding.spec == PartitionSpec(None, None, "batch")
    state = parallel.replicate({"w": np.ones(3, np.float32), "step": 0}, mesh)
    assert all(leaf.sharding.is_fully_replicated for leaf in jax.tree.leaves(state))
    assert parallel.replicate(state, mesh)["w"] is state["w"]
    assert parallel.process_local_batch(IMAGES, mesh) is IMAGES  # one process: everything
    assert parallel.batch_sharding(mesh, -1, ndim=2).spec == PartitionSpec(None, "batch")


def test_outputs_replicated_unless_listed(mesh):
    w = np.ones((3, 1), np.float32)
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 1), np.float32)
    new_w, total = parallel.data_parallel(linear_step, mesh, batch_argnums=(1, 2))(w, x, y)
    assert new_w.sharding.is_fully_replicated and total.sharding.is_fully_replicated
    np.testing.assert_allclose(np.asarray(new_w), np.asarray(jax.jit(linear_step)(w, x, y)[0]))
    rows = parallel.data_parallel(lambda w, x: (w, x * 2), mesh, batch_argnums=1, batch_outnums=1)
    np.testing.assert_array_equal(np.asarray(rows(w, x)[1]), x * 2)  # splits: test_multi_device


def test_process_info_in_one_process():
    info = parallel.process_info()
    assert (info.process_index, info.process_count) == (0, 1)
    assert info.device_count == len(jax.devices())
    assert parallel.is_main_process()


@pytest.mark.parametrize(
    "devices, error, message",
    [
        ("cpu", TypeError, r"data_parallel_mesh: devices must be a list of devices or device strings"),
        ([], ValueError, r"data_parallel_mesh: devices is empty"),
        (["cpu:0", "cpu:0"], ValueError, r"data_parallel_mesh: devices lists a device twice"),
        (["cpu:99"], ValueError, r"device: 'cpu:99' is not available"),
    ],
)
def test_bad_mesh_devices(devices, error, message):
    with pytest.raises(error, match=message):
        parallel.data_parallel_mesh(devices)


def test_bad_mesh_axis_name():
    with pytest.raises(TypeError, match=r"data_parallel_mesh: axis_name must be a non-empty str, got ''"):
        parallel.data_parallel_mesh(axis_name="")


def test_bad_shard_batch_inputs(mesh):
    with pytest.raises(ValueError, match=r"parallel.shard_batch: 'y' has shape \(\), with no axis 0"):
        parallel.shard_batch({"y": np.float32(1.0)}, mesh)
    with pytest.raises(TypeError, match=r"parallel.shard_batch: axis must be a non-negative int, got -1"):
        parallel.shard_batch(IMAGES, mesh, axis=-1)
    with pytest.raises(
        ValueError,
        match=r"axis_name 'model' is not an axis of the mesh, whose axes are \('batch',\)",
    ):
        parallel.shard_batch(IMAGES, mesh, axis_name="model")
    with pytest.raises(TypeError, match=r"parallel.shard_batch: mesh must be a jax.sharding.Mesh"):
        parallel.shard_batch(IMAGES, jax.devices())


def test_bad_data_parallel_arguments(mesh):
    with pytest.raises(TypeError, match=r"data_parallel: step_fn must be callable, got int"):
        parallel.data_parallel(3, mesh, batch_argnums=0)
    with pytest.raises(
        TypeError,
        match=r"data_parallel: batch_argnums must be a non-negative int or a tuple of them, got \(-1,\)",
    ):
        parallel.data_parallel(linear_step, mesh, batch_argnums=(-1,))
    with pytest.raises(ValueError, match=r"data_parallel: batch_argnums must name at least one"):
        parallel.data_parallel(linear_step, mesh, batch_argnums=())
    with pytest.raises(TypeError, match=r"donate_argnums must be a non-negative int .* got 'params'"):
        parallel.data_parallel(linear_step, mesh, batch_argnums=1, donate_argnums="params")
    step = parallel.data_parallel(linear_step, mesh, batch_argnums=(1, 2))
    with pytest.raises(
        TypeError,
        match=r"data_parallel: batch_argnums=\(1, 2\) but linear_step was called with 2 positional arguments",
    ):
        step(np.ones((3, 1)), np.ones((4, 3)))
    wrong_outputs = parallel.data_parallel(linear_step, mesh, batch_argnums=(1, 2), batch_outnums=5)
    with pytest.raises(
        ValueError,
        match=r"data_parallel: batch_outnums=\(5,\) needs step_fn to "
        r"return a tuple with those positions, got a tuple of 2",
    ):
        wrong_outputs(np.ones((3, 1)), np.ones((4, 3)), np.ones((4, 1)))
    scalar_rows = parallel.data_parallel(linear_step, mesh, batch_argnums=(1, 2), batch_outnums=1)
    with pytest.raises(
        ValueError,
        match=r"data_parallel: output 1 is listed in batch_outnums but is a scalar",
    ):
        scalar_rows(np.ones((3, 1)), np.ones((4, 3)), np.ones((4, 1)))


def test_named_tuple_outputs_keep_their_type(mesh):
    class Out(NamedTuple):
        w: jax.Array
        rows: jax.Array

    step = parallel.data_parallel(lambda w, x: Out(w, 2 * x), mesh, batch_argnums=1, batch_outnums=1)
    out = step(np.ones(3, np.float32), np.ones((4, 3), np.float32))
    assert isinstance(out, Out)
    np.testing.assert_array_equal(np.asarray(out.rows), np.full((4, 3), 2.0))


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"coordinator_address": "10.0.0.1"}, r"coordinator_address must be 'host:port'"),
        ({"num_processes": 0}, r"num_processes must be an int >= 1, got 0"),
        ({"process_id": -1}, r"process_id must be an int >= 0, got -1"),
        ({"num_processes": 2, "process_id": 2}, r"process_id must be < num_processes \(2\), got 2"),
    ],
)
def test_bad_initialize_distributed_arguments(arguments, message):
    # The checks run before jax.distributed.initialize is called, so this starts nothing.
    with pytest.raises(ValueError, match=r"initialize_distributed: " + message):
        parallel.initialize_distributed(**arguments)
