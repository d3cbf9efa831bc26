"""functorch_lite.compile(step, mesh=...): the imperative step trained data-parallel on 4 CPU devices."""

import numpy as np
import pytest

from tests.helpers.devices import run_script

SCRIPT = r"""
import json
import numpy as np
import jax
import functorch_lite as torch
import functorch_lite.nn as nn
import functorch_lite.nn.functional as F
from functorch_lite import parallel
from tests.helpers.seed import seed_net  # the child's PYTHONPATH holds this checkout

def train(mesh):
    torch.manual_seed(0)
    net = seed_net(nn, F); criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    def train_step(inputs, labels):
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss
    step = torch.compile(train_step, mesh=mesh)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(10):
        x = rng.standard_normal((16, 1, 32, 32), dtype=np.float32); y = rng.integers(0, 10, 16).astype(np.int32)
        losses.append(float(step(x, y)))
    params = {k: v.numpy().tolist() for k, v in net.state_dict().items()}
    devices = len(net.fc1.weight.array.devices())
    error = None
    try:
        step(np.zeros((30, 1, 32, 32), np.float32), np.zeros(30, np.int32))
    except ValueError as e:
        error = str(e)
    return losses, params, devices, error

one = train(None)
four = train(parallel.data_parallel_mesh())
print(json.dumps({"one": one, "four": four, "device_count": jax.device_count()}))
"""


@pytest.mark.slow
def test_compiled_imperative_step_on_4_devices_equals_1_device():
    result = run_script(SCRIPT, 4, timeout=300)
    assert result["device_count"] == 4
    losses1, params1, devices1, error1 = result["one"]
    losses4, params4, devices4, error4 = result["four"]
    np.testing.assert_allclose(losses4, losses1, rtol=1e-5)
    for key in params1:
        np.testing.assert_allclose(np.array(params4[key]), np.array(params1[key]), rtol=1e-5, atol=1e-6, err_msg=key)
    assert devices1 == 1 and devices4 == 4  # parameters replicated on every device of the mesh
    assert error1 is None
    assert "global batch 30" in error4 and "not divisible by the 4 devices" in error4
