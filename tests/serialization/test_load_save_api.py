"""`save`/`load` as PyTorch programs call them: file objects, `weights_only`, `add_safe_globals`."""

import io

import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite.serialization import (
    UnsafeCheckpointError,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)

torch = pytest.importorskip("torch")


class Config:  # a user class pickled into a checkpoint by torch.save
    def __init__(self, lr):
        self.lr = lr


class Payload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_save_and_load_through_file_objects(tmp_path):
    state = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "step": 3}
    with open(tmp_path / "a.st", "wb") as f:
        fl.save(state, f)
    with open(tmp_path / "a.st", "rb") as f:
        loaded = fl.load(f, map_location="cpu", weights_only=True)
    np.testing.assert_array_equal(np.asarray(loaded["w"]), state["w"])
    assert loaded["step"] == 3
    buffer = io.BytesIO()
    fl.save(fl.nn.Linear(2, 3).state_dict(), buffer)
    buffer.seek(0)
    assert sorted(fl.load(buffer)) == ["bias", "weight"]


def test_load_reads_torch_save_from_a_bytesio_and_an_open_file(tmp_path):
    buffer = io.BytesIO()
    torch.save({"w": torch.arange(4.0), "epoch": 2}, buffer)
    buffer.seek(0)
    loaded = fl.load(buffer, map_location="cpu", weights_only=True)
    np.testing.assert_array_equal(np.asarray(loaded["w"]), np.arange(4.0))
    torch.save(torch.nn.Linear(2, 2).state_dict(), open(tmp_path / "m.pt", "wb"))
    with open(tmp_path / "m.pt", "rb") as f:
        assert sorted(fl.load(f)) == ["bias", "weight"]


def test_weights_only_false_refuses_arbitrary_globals_without_running_them(tmp_path):
    sentinel = tmp_path / "pwned"
    torch.save({"w": torch.ones(2), "evil": Payload(sentinel)}, tmp_path / "evil.pt")
    with pytest.raises(UnsafeCheckpointError, match=r"weights_only=False cannot lift this.*never executes a pickle"):
        fl.load(tmp_path / "evil.pt", weights_only=False)
    assert not sentinel.exists()
    with pytest.raises(UnsafeCheckpointError, match=r"refers to the global io\.open"):
        fl.load(tmp_path / "evil.pt", weights_only=True)
    assert not sentinel.exists()


def test_safe_globals_allow_only_the_listed_classes(tmp_path):
    torch.save({"w": torch.ones(2), "config": Config(0.5)}, tmp_path / "c.pt")
    with pytest.raises(UnsafeCheckpointError, match="Config.*add_safe_globals"):
        fl.load(tmp_path / "c.pt")
    with safe_globals([Config]):
        assert Config in get_safe_globals()
        loaded = fl.load(tmp_path / "c.pt")
        assert isinstance(loaded["config"], Config) and loaded["config"].lr == 0.5
    assert Config not in get_safe_globals()
    with pytest.raises(UnsafeCheckpointError):  # the context manager's permission ended with it
        fl.load(tmp_path / "c.pt")
    add_safe_globals([Config])
    try:
        assert fl.load(tmp_path / "c.pt")["config"].lr == 0.5
        sentinel = tmp_path / "pwned"
        torch.save({"evil": Payload(sentinel)}, tmp_path / "evil.pt")
        with pytest.raises(UnsafeCheckpointError, match=r"io\.open"):  # only the listed class
            fl.load(tmp_path / "evil.pt")
        assert not sentinel.exists()
    finally:
        clear_safe_globals()
    with pytest.raises(TypeError, match="add_safe_globals: expected a list"):
        add_safe_globals("Config")
