"""Reading ``torch.save`` checkpoints without torch, and refusing ones that would run code."""

from __future__ import annotations

import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from functorch_lite.serialization import UnsafeCheckpointError, load
from tests.helpers.numerics import assert_bitwise, torch, torch_tensor_to_numpy

from . import _pickle_craft as craft


def small_model():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(4 * 6 * 6, 3),
    )  # fmt: skip
    model(torch.randn(2, 1, 8, 8))  # one training step moves the BatchNorm statistics
    return model


def test_conv_bn_state_dict_loads_bitwise(tmp_path):
    state_dict = small_model().state_dict()
    torch.save(state_dict, tmp_path / "model.pt")
    loaded = load(tmp_path / "model.pt", map_location="numpy")
    assert type(loaded) is dict and list(loaded) == list(state_dict)
    for key, tensor in state_dict.items():
        assert_bitwise(loaded[key], tensor)
    assert loaded["1.num_batches_tracked"].dtype == np.int64


def test_default_placement_gives_jax_arrays(tmp_path):
    state_dict = small_model().state_dict()
    torch.save(state_dict, tmp_path / "model.pt")
    loaded = load(tmp_path / "model.pt")
    assert all(isinstance(value, jax.Array) for value in loaded.values())
    np.testing.assert_array_equal(loaded["0.weight"], state_dict["0.weight"].numpy())


def test_strided_views_and_shared_storage(tmp_path):
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    tensors = {
        "transposed": base.t(),  # non-contiguous strides
        "view": base[1:, ::2],  # offset and step into the same storage
        "expanded": torch.tensor([1.0, 2.0]).expand(3, 2),  # stride 0
        "base": base,
        "empty": base[:0],
        "scalar": torch.tensor(2.5, dtype=torch.float64),
    }
    torch.save(tensors, tmp_path / "views.pt")
    loaded = load(tmp_path / "views.pt", "numpy")
    for key, tensor in tensors.items():
        assert_bitwise(loaded[key], tensor)
    loaded["view"][0, 0] = -1.0  # views load as independent arrays
    assert loaded["base"][1, 0] == 6.0


@pytest.mark.parametrize(
    "dtype",
    [torch.float16, torch.bfloat16, torch.float64, torch.int8, torch.int16, torch.int32,
     torch.int64, torch.uint8, torch.bool, torch.uint16],
    ids=str,
)  # fmt: skip
def test_every_dtype_loads_bitwise(tmp_path, dtype):
    torch.manual_seed(0)
    tensor = torch.randint(0, 2 if dtype == torch.bool else 100, (3, 4)).to(dtype)
    torch.save({"t": tensor, "column": tensor[:, 1]}, tmp_path / "d.pt")
    loaded = load(tmp_path / "d.pt", "numpy")
    assert_bitwise(loaded["t"], tensor)
    assert_bitwise(loaded["column"], tensor[:, 1])


def test_full_training_checkpoint_with_optimizer_state(tmp_path):
    model = small_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(2, 1, 8, 8)).sum().backward()
    optimizer.step()
    checkpoint = {
        "epoch": 3,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "parameters": list(model.parameters()),  # nn.Parameter objects, not plain tensors
    }
    torch.save(checkpoint, tmp_path / "ckpt.pt")
    loaded = load(tmp_path / "ckpt.pt", "numpy")
    assert loaded["epoch"] == 3
    state = loaded["optimizer"]["state"]
    assert sorted(state) == sorted(checkpoint["optimizer"]["state"])  # int keys stay ints
    for index, entry in checkpoint["optimizer"]["state"].items():
        for name, tensor in entry.items():
            assert_bitwise(state[index][name], tensor)
    group = loaded["optimizer"]["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and group["lr"] == 1e-3
    for array, parameter in zip(loaded["parameters"], model.parameters(), strict=True):
        assert_bitwise(array, parameter)


def test_big_endian_checkpoint_is_byteswapped(tmp_path):
    tensors = {"a": torch.randn(3, 2), "b": torch.arange(5, dtype=torch.float32)}
    torch.save(tensors, tmp_path / "little.pt")
    # Every storage here is float32: rewrite each as big-endian and flip the record.
    import zipfile

    with zipfile.ZipFile(tmp_path / "little.pt") as archive:
        storages = {
            name.split("/", 1)[1]: np.frombuffer(archive.read(name), "<f4").astype(">f4").tobytes()
            for name in archive.namelist()
            if "/data/" in name
        }
    big = craft.rewrite_zip(tmp_path / "little.pt", tmp_path / "big.pt",
                            {"byteorder": b"big", **storages})  # fmt: skip
    loaded = load(big, "numpy")
    for key, tensor in tensors.items():
        assert_bitwise(loaded[key], tensor)


def test_legacy_pickle_checkpoint_is_refused(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match=r"old\.pt' is a pickle file .*only torch itself can read"):
        load(tmp_path / "old.pt")


class ShellPayload:
    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f"touch {self.sentinel}",))


class EvalPayload(ShellPayload):
    def __reduce__(self):
        return (eval, (f"open({str(self.sentinel)!r}, 'w')",))


class SubprocessPayload(ShellPayload):
    def __reduce__(self):
        return (subprocess.call, (["touch", str(self.sentinel)],))


@pytest.mark.parametrize(
    "payload, refused",
    [
        (ShellPayload, f"{os.system.__module__}.system"),
        (EvalPayload, "builtins.eval"),
        (SubprocessPayload, "subprocess.call"),
    ],
)
def test_malicious_checkpoint_cannot_run_code(tmp_path, payload, refused):
    sentinel = tmp_path / "pwned"
    # The payload rides inside an otherwise ordinary state_dict written by torch.save.
    torch.save({"w": torch.ones(2), "evil": payload(sentinel)}, tmp_path / "evil.pt")
    with pytest.raises(UnsafeCheckpointError, match=rf"evil\.pt' refers to the global {refused}\b"):
        load(tmp_path / "evil.pt")
    assert not sentinel.exists()
    with pytest.raises(ValueError, match=refused):  # also catchable as ValueError
        load(tmp_path / "evil.pt", "numpy")
    assert not sentinel.exists()
    if payload is ShellPayload:  # the payload is live: unrestricted torch.load runs it
        torch.load(tmp_path / "evil.pt", weights_only=False)
        assert sentinel.exists()


def test_hand_written_payload_in_a_torch_like_zip_is_refused(tmp_path):
    sentinel = tmp_path / "pwned"
    stream = (
        craft.PROTOCOL_2 + craft.global_opcode("builtins", "exec") + craft.MARK
        + craft.value(f"open({str(sentinel)!r}, 'w')") + craft.TUPLE + craft.REDUCE + craft.STOP
    )  # fmt: skip
    path = craft.write_torch_zip(tmp_path / "evil.pt", stream)
    with pytest.raises(UnsafeCheckpointError, match="refers to the global builtins.exec"):
        load(path)
    assert not sentinel.exists()


def test_tensor_view_outside_its_storage_is_refused(tmp_path):
    # as_strided does no bounds checking; a crafted size must not read stray memory.
    storage = craft.storage_id("FloatStorage", "0", 4)
    stream = craft.PROTOCOL_2 + craft.rebuild_tensor(storage, 2, (1000,), (1,)) + craft.STOP
    path = craft.write_torch_zip(tmp_path / "oob.pt", stream, {"0": bytes(16)})
    with pytest.raises(ValueError, match=r"oob\.pt' has a malformed .*reaches element 1001"):
        load(path)


def test_hand_written_tensor_loads(tmp_path):
    storage = craft.storage_id("FloatStorage", "0", 4)
    stream = craft.PROTOCOL_2 + craft.rebuild_tensor(storage, 1, (2,), (2,)) + craft.STOP
    data = np.arange(4, dtype="<f4").tobytes()
    loaded = load(craft.write_torch_zip(tmp_path / "t.pt", stream, {"0": data}), "numpy")
    np.testing.assert_array_equal(loaded, np.array([1.0, 3.0], np.float32))


@pytest.mark.parametrize(
    "storages, message",
    [({}, r"storage 'archive/data/0' is missing"), ({"0": bytes(12)}, r"has 12 bytes, expected 16")],
)
def test_missing_or_short_storage_is_reported(tmp_path, storages, message):
    storage = craft.storage_id("FloatStorage", "0", 4)
    stream = craft.PROTOCOL_2 + craft.rebuild_tensor(storage, 0, (4,), (1,)) + craft.STOP
    path = craft.write_torch_zip(tmp_path / "s.pt", stream, storages)
    with pytest.raises(ValueError, match=r"s\.pt' has a malformed PyTorch data.pkl .*" + message):
        load(path)


def test_build_on_a_whitelisted_placeholder_is_refused(tmp_path):
    # BUILD would otherwise overwrite the shared FloatStorage placeholder for later loads.
    stream = (
        craft.PROTOCOL_2 + craft.global_opcode("torch", "FloatStorage")
        + craft.value({"dtype": None, "name": "x"}) + b"b" + craft.STOP
    )  # fmt: skip
    path = craft.write_torch_zip(tmp_path / "build.pt", stream)
    with pytest.raises(ValueError, match=r"build\.pt' has a malformed .*refusing to set state"):
        load(path)
    torch.save({"w": torch.arange(3.0)}, tmp_path / "ok.pt")
    np.testing.assert_array_equal(load(tmp_path / "ok.pt", "numpy")["w"], np.arange(3.0))


def test_torch_checkpoint_loads_in_a_process_where_torch_cannot_be_imported(tmp_path):
    # The reader must not need PyTorch: block `import torch` in a fresh process and load there.
    state_dict = small_model().state_dict()
    torch.save(state_dict, tmp_path / "model.pt")
    np.savez(tmp_path / "expected.npz", **{k: torch_tensor_to_numpy(v) for k, v in state_dict.items()})
    script = (
        "import sys\nsys.modules['torch'] = None  # any `import torch` now raises ImportError\nimport numpy as np\n"
        "import functorch_lite\n"
        f"loaded = functorch_lite.load({str(tmp_path / 'model.pt')!r}, map_location='numpy')\n"
        f"expected = np.load({str(tmp_path / 'expected.npz')!r})\n"
        "assert list(loaded) == list(expected.files), (list(loaded), expected.files)\nfor k in expected.files:\n"
        "    assert loaded[k].tobytes() == expected[k].tobytes(), k\n"
        "assert 'torch' not in sys.modules or sys.modules['torch'] is None\nprint('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
