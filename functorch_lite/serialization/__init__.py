"""Checkpoints: ``save(obj, path)`` and ``load(path, map_location=None)``, without pickle.

**File format: safetensors.** An 8-byte little-endian header length, a JSON
header giving each tensor's ``dtype``, ``shape`` and ``data_offsets`` plus a
``__metadata__`` str->str map, then the raw little-endian tensor bytes.
It is written and read here with numpy alone (the `safetensors` package is
not needed). Why this format:

- it is not pickle: a file is only data, so loading one cannot run code;
- it is read by ``safetensors.torch.load_file``, Hugging Face tools, JAX and
  Flax tools and others, so checkpoints leave this library freely;
- its tensors sit at known offsets, so it can be memory-mapped.

**What is stored.** A flat ``{str: array}`` dict (a ``state_dict``) is
written as plain safetensors with exactly those keys, so a PyTorch user can
``model.load_state_dict(safetensors.torch.load_file(path))``. Any other
object (nested dicts, lists, tuples and NamedTuples over arrays, ints,
floats, bools, strings and None: say a model + optimizer + scheduler + RNG
checkpoint) stores its arrays as tensors named by their dotted path and its
structure as versioned JSON in ``__metadata__["functorch_lite.tree"]``.
Tuples stay tuples, lists stay lists, int dict keys stay ints, and arrays
round-trip bitwise with their dtype (bool, int8-64, uint8-64, float16,
bfloat16, float32, float64, 0-d included). A NamedTuple comes back as the
same class only if that class lives inside ``functorch_lite`` (such as the
optimizer states of ``functorch_lite.optim``); one from any other module
comes back as a plain ``{field: value}`` dict, because importing a module
named by a file would let the file run code.

**Atomic writes.** ``save`` writes a temporary file beside the target,
fsyncs it and renames it over the target, so a crash, a kill or a full disk
leaves the previous checkpoint intact.

**Reading PyTorch checkpoints.** ``load`` also reads ``torch.save`` zip
files (torch >= 1.6) without torch: the pickle inside is read by an
unpickler that only allows tensor-rebuilding names, each mapped to a numpy
function of this package; any other global (a ``__reduce__`` payload calling
``os.system``, a user class) raises ``UnsafeCheckpointError`` naming it.
Legacy non-zip PyTorch files are refused, since only torch can read them.
``add_safe_globals`` / ``safe_globals`` let a user vouch for more globals (a
class of their own), as in ``torch.serialization``. ``load(weights_only=False)``
is accepted but never executes a pickle: what needs other globals is refused.

**Paths or files.** Both ``save`` and ``load`` take a path or an open binary
file object (``open(p, "wb")``/``"rb"``, ``io.BytesIO``).
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
