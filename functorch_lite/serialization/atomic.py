"""Atomic file replacement: a checkpoint on disk is always the old one or the new one.

The new bytes go to a temporary file in the target's directory (same file
system, so the final rename is atomic), are flushed and fsynced, and only
then renamed over the target. Any exception (a full disk, a bug in the
writer, KeyboardInterrupt) removes the temporary file and leaves the
previous checkpoint untouched. A process killed with SIGKILL cannot clean
up after itself: it may leave a ``.<name>.*.tmp`` file beside the target,
but the target itself is still intact.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from typing import BinaryIO


def _new_file_mode(path: str) -> int:
    """The permission bits the checkpoint would get from a plain ``open(path, "wb")``."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        # NamedTemporaryFile creates files 0600; honour the umask like open() does.
        # Reading the umask needs setting it; the two calls are back to back.
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable; not every platform can open a directory."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(file)`` on a temporary file, then atomically move it onto ``path``."""
    target = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: directory {directory!r} for {os.fspath(path)!r} does not exist")
    mode = _new_file_mode(target)
    temporary = tempfile.NamedTemporaryFile(dir=directory, prefix=f".{name}.", suffix=".tmp", delete=False)
    try:
        with temporary:
            write(temporary)
            temporary.flush()
            os.fsync(temporary.fileno())
        os.chmod(temporary.name, mode)
        os.replace(temporary.name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary.name)
        raise
    _fsync_directory(directory)
