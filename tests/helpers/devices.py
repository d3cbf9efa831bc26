"""Runs a Python script in a fresh interpreter with N fake CPU devices and returns its JSON.

JAX reads the device count (`XLA_FLAGS=--xla_force_host_platform_device_count=N`) once,
when its backend starts, so a test that needs several devices cannot get them in the
pytest process: it writes its checks as a script that prints one JSON object on its
last line of output, and asserts on that object here.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap
from typing import Any

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def device_environment(device_count: int) -> dict[str, str]:
    """The environment of a child process with `device_count` CPU devices and this checkout."""
    env = dict(os.environ)
    flags = [
        flag
        for flag in env.get("XLA_FLAGS", "").split()
        if not flag.startswith("--xla_force_host_platform_device_count")
    ]
    env["XLA_FLAGS"] = " ".join([*flags, f"--xla_force_host_platform_device_count={device_count}"])
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def start_script(script: str, device_count: int, *args: str) -> subprocess.Popen:
    """Starts `script` (dedented) with `device_count` CPU devices; argv[1:] are `args`."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=REPO_ROOT,
        env=device_environment(device_count),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def script_result(process: subprocess.Popen, timeout: float = 120) -> Any:
    """Waits for a process from `start_script` and parses the JSON on its last stdout line."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        raise AssertionError(f"script timed out after {timeout} s\n{stderr[-3000:]}") from None
    if process.returncode != 0:
        raise AssertionError(f"script failed with exit code {process.returncode}\n{stderr[-3000:]}")
    lines = stdout.strip().splitlines()
    if not lines:
        raise AssertionError(f"script printed nothing\n{stderr[-3000:]}")
    return json.loads(lines[-1])


def run_script(script: str, device_count: int = 4, *args: str, timeout: float = 120) -> Any:
    """Runs `script` with `device_count` CPU devices and returns the JSON it printed last."""
    return script_result(start_script(script, device_count, *args), timeout)
