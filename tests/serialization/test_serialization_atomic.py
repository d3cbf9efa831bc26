"""Atomic saves: any failure or a kill mid-save leaves the previous checkpoint intact."""

from __future__ import annotations

import errno
import os
import pathlib
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from functorch_lite.serialization import checkpoint as checkpoint_module
from functorch_lite.serialization import load, save

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def previous(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save({"w": np.full(8, 1.0, np.float32), "step": 1}, path)
    return path, path.read_bytes()


def fail_mid_write(file, tensors, metadata):
    file.write(b"half a checkpoint")
    raise OSError(errno.ENOSPC, "No space left on device")


def fail_replace(source, target):
    raise OSError(errno.EIO, "Input/output error")


def fail_fsync(descriptor):
    raise OSError(errno.ENOSPC, "No space left on device")


def interrupt_mid_write(file, tensors, metadata):
    file.write(b"half a checkpoint")
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    "target, replacement, error",
    [
        (checkpoint_module, ("write_safetensors", fail_mid_write), OSError),
        (os, ("replace", fail_replace), OSError),
        (os, ("fsync", fail_fsync), OSError),
        (checkpoint_module, ("write_safetensors", interrupt_mid_write), KeyboardInterrupt),
    ],
    ids=["ENOSPC-mid-write", "replace-fails", "fsync-fails", "KeyboardInterrupt"],
)
def test_failed_save_keeps_previous_file_and_leaves_no_temporary(
    tmp_path, monkeypatch, previous, target, replacement, error
):
    path, old_bytes = previous
    monkeypatch.setattr(target, *replacement)
    with pytest.raises(error):
        save({"w": np.zeros(1000, np.float32), "step": 2}, path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert sorted(tmp_path.iterdir()) == [path]
    assert load(path)["step"] == 1


def test_successful_save_replaces_and_cleans_up(tmp_path, previous):
    path, _ = previous
    save({"w": np.zeros(3, np.float32), "step": 2}, str(path))
    assert load(path)["step"] == 2
    assert sorted(tmp_path.iterdir()) == [path]


def test_new_file_gets_umask_permissions_and_existing_mode_is_kept(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    save({"w": np.ones(1)}, tmp_path / "new.safetensors")
    assert (tmp_path / "new.safetensors").stat().st_mode & 0o777 == 0o666 & ~umask
    os.chmod(tmp_path / "new.safetensors", 0o600)
    save({"w": np.ones(2)}, tmp_path / "new.safetensors")
    assert (tmp_path / "new.safetensors").stat().st_mode & 0o777 == 0o600


def test_save_into_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"save: directory .*nowhere.* does not exist"):
        save({"w": np.ones(1)}, tmp_path / "nowhere" / "c.safetensors")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_process_killed_mid_save_leaves_previous_file(tmp_path, previous):
    path, old_bytes = previous
    # The child writes the whole new checkpoint, then blocks in the fsync that
    # precedes the rename: exactly the window a crash must not corrupt.
    script = textwrap.dedent(
        f"""
        import os, sys, time
        import numpy as np
        from functorch_lite.serialization import save

        def blocked_fsync(descriptor):
            print("written", flush=True)
            time.sleep(60)

        os.fsync = blocked_fsync
        save({{"w": np.zeros(1_000_000, np.float32), "step": 2}}, {str(path)!r})
        """
    )
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "JAX_PLATFORMS": "cpu"}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=environment, text=True)
    try:
        assert child.stdout.readline().strip() == "written"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert path.read_bytes() == old_bytes
    assert load(path)["step"] == 1
    leftovers = [entry for entry in tmp_path.iterdir() if entry != path]
    # The kill landed mid-save: the child's complete-but-unrenamed temporary is there.
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".ckpt.safetensors.")
    assert leftovers[0].stat().st_size > 4_000_000
