"""`torch.signal.windows`: the window functions of `_tensor/factory_table.py`."""

from .._tensor.factory_table import WINDOWS as _WINDOWS
from .._tensor.factory_table import build as _build

globals().update(_build(_WINDOWS))
__all__ = sorted(_WINDOWS)
