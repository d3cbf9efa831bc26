"""The table-driven ops built over `Tensor`: torch functions and methods, installed once at import.

Rows come from `op_table.py`, `linalg_fft.py`, `shape_table.py` and `masked_table.py` (and
`scatter_table.py`, `linalg_extra.py`, `more_ops.py`, `special_table.py`, `masked_extra.py`);
factories from `factory_table.py`; value-dependent ops from `dynamic_ops.py`; random draws from
`random_ops.py`; the ops JAX cannot do from `unsupported.py`.
`TORCH`, `SPECIAL`, `LINALG`, `FFT` and `MASKED` map names to public functions.
"""

from __future__ import annotations

from . import (
    dynamic_ops,
    factory_table,
    linalg_extra,
    linalg_fft,
    masked_extra,
    masked_table,
    more_ops,
    op_table,
    random_ops,
    scatter_table,
    shape_table,
    special_table,
    torch_functions,
    unsupported,
)
from .tensor import Tensor

_ROWS = op_table.ROWS + linalg_fft.ROWS + shape_table.ROWS + masked_table.ROWS
_ROWS += scatter_table.ROWS + linalg_extra.ROWS + more_ops.ROWS + special_table.ROWS + masked_extra.ROWS
TORCH = op_table.build(_ROWS, Tensor)
TORCH |= op_table.alias_methods(Tensor, {**vars(torch_functions), **TORCH})
TORCH |= {name: f for name, f in factory_table.build(factory_table.TORCH).items() if name not in TORCH}
TORCH |= dynamic_ops.FUNCTIONS
for _name, _function in dynamic_ops.METHODS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _function)
_EXTRA = {**random_ops.FUNCTIONS, **scatter_table.FUNCTIONS, **more_ops.FUNCTIONS, **linalg_extra.FUNCTIONS}
TORCH |= {n: f for n, f in _EXTRA.items() if n not in TORCH}
for _name, _function in {**random_ops.METHODS, **scatter_table.FUNCTIONS, **more_ops.METHODS}.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _function)
for _name, _function in unsupported.FUNCTIONS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _function)
TORCH |= {name: unsupported.FUNCTIONS[name] for name in unsupported.TORCH_NAMES}
SPECIAL = op_table.build(_ROWS, Tensor, "special")
LINALG = op_table.build(_ROWS, Tensor, "linalg")
FFT = op_table.build(_ROWS, Tensor, "fft")
MASKED = op_table.build(_ROWS, Tensor, "masked")
