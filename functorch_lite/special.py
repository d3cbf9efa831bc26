"""`torch.special`: the table-driven ops of this namespace (see `_tensor/op_table.py`)."""

from ._tensor.table_functions import SPECIAL as _FUNCTIONS

globals().update(_FUNCTIONS)
__all__ = sorted(_FUNCTIONS)
