"""Data parallelism over 4 fake CPU devices equals the single-device step, and really splits.

All checks run in one child interpreter started with 4 CPU devices (see helpers.py);
the tests below assert on the JSON it prints.
"""

from __future__ import annotations

import pytest

from tests.helpers.devices import run_script

SCRIPT = r"""
import json

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

import functorch_lite as fl
import functorch_lite.functional as fn
from functorch_lite import optim, parallel

model = fl.models.lenet5()
rng = np.random.default_rng(0)
images = rng.standard_normal((64, 1, 32, 32)).astype(np.float32)
labels = rng.integers(0, 10, size=64).astype(np.int32)
BATCH = 32  # 8 rows per device


def make_train_step(opt):
    def train_step(params, opt_state, x, y):
        def loss_fn(p):
            logits = model.apply(p, x)
            return fn.cross_entropy(logits, y), logits

        (loss, logits), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        params, opt_state = opt.update(grads, opt_state, params)
        return params, opt_state, loss, logits
    return train_step


def train(step, opt, steps):
    params = model.init(jax.random.key(0))
    opt_state = opt.init(params)
    losses, donated = [], []
    for i in range(steps):
        start = (i * BATCH // 2) % (len(images) - BATCH)  # a different batch every step
        previous = params
        params, opt_state, loss, logits = step(params, opt_state, images[start:start + BATCH],
                                               labels[start:start + BATCH])
        losses.append(float(loss))
        if i > 0:
            donated.append(all(leaf.is_deleted() for leaf in jax.tree.leaves(previous)))
    return losses, params, logits, donated


result = {"device_count": jax.device_count()}
mesh = parallel.data_parallel_mesh()
for name, opt, steps in [("sgd", optim.sgd(0.05, momentum=0.9), 10), ("adam", optim.adam(1e-3), 3)]:
    train_step = make_train_step(opt)
    single = jax.jit(train_step)
    parallel_step = parallel.data_parallel(train_step, mesh, batch_argnums=(2, 3),
                                           donate_argnums=(0, 1), batch_outnums=3)
    single_losses, single_params, _, _ = train(single, opt, steps)
    losses, params, logits, donated = train(parallel_step, opt, steps)
    close = {key: bool(np.allclose(np.asarray(params_leaf), np.asarray(single_leaf),
                                   rtol=1e-5, atol=1e-6))
             for (key, params_leaf), single_leaf in zip(
                 fn.flatten_dict(params).items(), fn.flatten_dict(single_params).values())}
    result[name] = {
        "losses": losses, "single_losses": single_losses, "params_close": close,
        "params_replicated": all(
            leaf.sharding == NamedSharding(mesh, PartitionSpec()) and len(leaf.devices()) == 4
            for leaf in jax.tree.leaves(params)),
        "logits_spec": list(logits.sharding.spec), "logits_shape": list(logits.shape),
        "donated": donated,
    }


def linear_step(w, x, y):  # small enough to compile in a blink, so its HLO can be read
    grad = jax.grad(lambda w: fn.mse_loss(x @ w, y))(w)
    return w - 0.1 * grad


hlo = parallel.data_parallel(linear_step, mesh, batch_argnums=(1, 2)).jitted.lower(
    parallel.replicate(np.ones((3, 1), np.float32), mesh),
    parallel.shard_batch(np.ones((8, 3), np.float32), mesh),
    parallel.shard_batch(np.ones((8, 1), np.float32), mesh)).compile().as_text()
result["all_reduce_in_hlo"] = "all-reduce" in hlo

x = parallel.shard_batch({"x": images[:BATCH]}, mesh)["x"]
shards = sorted(x.addressable_shards, key=lambda shard: shard.index[0].start)
result["x"] = {
    "is_named_sharding": isinstance(x.sharding, NamedSharding),
    "spec": list(x.sharding.spec),
    "shard_devices": [shard.device.id for shard in shards],
    "shard_rows": [shard.data.shape[0] for shard in shards],
    "rows_in_order": bool(np.array_equal(np.concatenate([np.asarray(s.data) for s in shards]),
                                         images[:BATCH])),
    "same_object_when_placed": parallel.shard_batch(x, mesh) is x,
}
state = parallel.replicate({"w": np.ones((3, 2), np.float32), "key": jax.random.key(1)}, mesh)
result["replicate"] = {
    "devices": sorted(len(leaf.devices()) for leaf in jax.tree.leaves(state)),
    "fully_replicated": all(leaf.sharding.is_fully_replicated for leaf in jax.tree.leaves(state)),
}

errors = {}
try:
    parallel_step(params, opt.init(params), images[:30], labels[:30])
except ValueError as error:
    errors["step"] = str(error)
try:
    parallel.shard_batch({"inputs": {"image": images[:30]}}, mesh)
except ValueError as error:
    errors["shard_batch"] = str(error)
result["errors"] = errors

pair = parallel.data_parallel_mesh(["cpu:1", jax.devices()[3]])
pair_x = parallel.shard_batch(images[:6], pair)
result["pair"] = {
    "mesh_devices": [d.id for d in pair.devices.flat],
    "shard_devices": sorted(shard.device.id for shard in pair_x.addressable_shards),
    "shard_rows": [shard.data.shape[0] for shard in pair_x.addressable_shards],
}
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def result():
    return run_script(SCRIPT, 4)


def test_four_devices_are_used(result):
    assert result["device_count"] == 4


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_same_losses_and_parameters_as_one_device(result, optimizer):
    run = result[optimizer]
    assert len(run["losses"]) == (10 if optimizer == "sgd" else 3)
    assert run["losses"] == pytest.approx(run["single_losses"], rel=1e-5)
    assert run["losses"][-1] < run["losses"][0]  # it trains
    assert run["params_close"] and all(run["params_close"].values()), run["params_close"]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_state_replicated_and_batch_outputs_split(result, optimizer):
    run = result[optimizer]
    assert run["params_replicated"]
    assert run["logits_spec"] == ["batch"]
    assert run["logits_shape"] == [32, 10]
    assert run["donated"] and all(run["donated"])


def test_xla_inserts_the_gradient_all_reduce(result):
    assert result["all_reduce_in_hlo"]


def test_batch_is_split_one_slice_per_device(result):
    x = result["x"]
    assert x["is_named_sharding"]
    assert x["spec"] == ["batch"]
    assert sorted(x["shard_devices"]) == [0, 1, 2, 3]
    assert x["shard_rows"] == [8, 8, 8, 8]
    assert x["rows_in_order"]
    assert x["same_object_when_placed"]


def test_replicate_puts_a_copy_on_every_device(result):
    assert result["replicate"]["devices"] == [4, 4]
    assert result["replicate"]["fully_replicated"]


def test_indivisible_batch_raises_a_clear_error(result):
    assert result["errors"]["step"] == (
        "data_parallel: global batch 30 of 'x' is not divisible by the 4 devices of the mesh; "
        "use a batch size that is a multiple of 4 or drop_last=True"
    )
    assert result["errors"]["shard_batch"].startswith(
        "parallel.shard_batch: global batch 30 of 'inputs.image' is not divisible by the 4 devices"
    )


def test_mesh_from_device_strings(result):
    assert result["pair"]["mesh_devices"] == [1, 3]
    assert result["pair"]["shard_devices"] == [1, 3]
    assert result["pair"]["shard_rows"] == [3, 3]
