"""`torch.masked`: reductions that ignore masked-out elements (see `_tensor/masked_table.py`)."""

from ._tensor.table_functions import MASKED as _FUNCTIONS

globals().update(_FUNCTIONS)
__all__ = sorted(_FUNCTIONS)
