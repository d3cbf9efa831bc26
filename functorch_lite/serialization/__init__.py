"""Checkpoints: ``save(obj, path)`` and ``load(path, map_location=None)``, without pickle.

Files are safetensors (readable by other tools, never executed), written atomically;
``load`` also reads ``torch.save`` zip files through a whitelisting unpickler. The file
format, what is stored and the safety rules: docs/design_notes.md.

``save``/``load`` take paths or open binary file objects (``io.BytesIO`` too).
``add_safe_globals``/``safe_globals`` let a user vouch for more globals, as in
``torch.serialization``; ``load(weights_only=False)`` is accepted but never executes a
pickle, so what needs other globals is refused.
"""

from functorch_lite.serialization.checkpoint import load, save
from functorch_lite.serialization.safe_globals import (
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)
from functorch_lite.serialization.torch_zip import UnsafeCheckpointError

__all__ = [
    "save",
    "load",
    "UnsafeCheckpointError",
    "add_safe_globals",
    "safe_globals",
    "get_safe_globals",
    "clear_safe_globals",
]
