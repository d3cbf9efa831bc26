"""The table-driven ops (`op_table.py`, `linalg_fft.py`) built over `Tensor`: torch functions and methods.

`TORCH`, `SPECIAL`, `LINALG` and `FFT` map names to the public functions of each namespace;
building them also installs the Tensor methods, once, at import.
"""

from __future__ import annotations

from . import dynamic_ops, factory_table, linalg_fft, masked_table, op_table, shape_table, torch_functions
from .tensor import Tensor

_ROWS = op_table.ROWS + linalg_fft.ROWS + shape_table.ROWS + masked_table.ROWS
TORCH = op_table.build(_ROWS, Tensor)
TORCH |= op_table.alias_methods(Tensor, {**vars(torch_functions), **TORCH})
TORCH |= {name: f for name, f in factory_table.build(factory_table.TORCH).items() if name not in TORCH}
TORCH |= dynamic_ops.FUNCTIONS
for _name, _function in dynamic_ops.METHODS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _function)
SPECIAL = op_table.build(_ROWS, Tensor, "special")
LINALG = op_table.build(_ROWS, Tensor, "linalg")
FFT = op_table.build(_ROWS, Tensor, "fft")
MASKED = op_table.build(_ROWS, Tensor, "masked")
