"""Checkpoints: ``save(obj, path)`` and ``load(path, map_location=None)``, without pickle.

Files are safetensors (readable by other tools, never executed), written atomically;
``load`` also reads ``torch.save`` zip files through a whitelisting unpickler. The file
format, what is stored and the safety rules: docs/design_notes.md.
"""

from functorch_lite.serialization.checkpoint import load, save
from functorch_lite.serialization.torch_zip import UnsafeCheckpointError

__all__ = ["save", "load", "UnsafeCheckpointError"]
