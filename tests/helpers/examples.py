"""Running an example script as a user would, and killing it mid-run, for the example tests."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_script(script: Path, *args: str, timeout: float = 300) -> str:
    """Runs `python script args...` from the repository root; returns stdout, fails on a non-zero exit."""
    result = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def kill_once_checkpoint_exists(script: Path, *args: str, checkpoint: Path, timeout: float = 300) -> None:
    """Starts the script and SIGKILLs it as soon as `checkpoint` (written atomically) is on disk."""
    proc = subprocess.Popen(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    deadline = time.time() + timeout
    while not checkpoint.exists():
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        assert time.time() < deadline
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
