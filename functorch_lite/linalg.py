"""`torch.linalg`: the table-driven ops of this namespace (see `_tensor/op_table.py`)."""

from ._tensor.table_functions import LINALG as _FUNCTIONS
from ._value_checks import LinAlgError

globals().update(_FUNCTIONS)
__all__ = sorted(_FUNCTIONS) + ["LinAlgError"]
