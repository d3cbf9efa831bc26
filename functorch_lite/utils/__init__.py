"""Utilities under `torch.utils` names; `functorch_lite.utils.data` is the data pipeline.

`functorch_lite.utils.benchmark` holds `Timer` (import it as a submodule).
"""

from . import benchmark  # noqa: E402,F401 - `torch.utils.benchmark.Timer` after `import torch`
