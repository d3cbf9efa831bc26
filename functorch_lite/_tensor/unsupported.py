"""PyTorch ops that cannot be done on JAX: each raises a clear error instead of computing something else.

JAX arrays have no strides and never share storage, so sparse layouts, `as_strided` and ops whose
meaning is aliasing or resizing memory in place have no faithful counterpart.
"""

from __future__ import annotations

from typing import Any

_REASONS = {
    "to_sparse": "sparse layouts do not exist on JAX arrays (use dense tensors)",
    "to_sparse_csr": "sparse layouts do not exist on JAX arrays (use dense tensors)",
    "to_sparse_coo": "sparse layouts do not exist on JAX arrays (use dense tensors)",
    "as_strided": "JAX arrays have no strides; use reshape, expand, unfold or indexing",
    "as_strided_": "JAX arrays have no strides; use reshape, expand, unfold or indexing",
    "as_strided_copy": "JAX arrays have no strides; use reshape, expand, unfold or indexing",
    "as_strided_scatter": "JAX arrays have no strides; use index assignment",
    "resize_": "JAX arrays cannot be resized in place; use reshape or a new tensor",
    "resize_as_": "JAX arrays cannot be resized in place; use reshape or a new tensor",
    "set_": "JAX arrays never share storage, so a tensor cannot be made to alias another",
    "untyped_storage": "JAX arrays have no storage object",
}
# `torch.sparse.*`: every op there takes or returns a sparse layout.
_SPARSE = ("mm", "addmm", "sampled_addmm", "sum", "softmax", "log_softmax", "spsolve")
_REASONS |= {f"sparse.{name}": "sparse layouts do not exist on JAX arrays (use dense tensors)" for name in _SPARSE}


def _unsupported(name: str) -> Any:
    def op(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{name}: cannot be done on JAX: {_REASONS[name]}")

    op.__name__ = op.__qualname__ = name
    return op


FUNCTIONS = {name: _unsupported(name) for name in _REASONS if not name.startswith("sparse.")}
TORCH_NAMES = ("as_strided", "as_strided_copy", "as_strided_scatter")
TORCH_NAMES += ("resize_as_",)
SPARSE = {name: _unsupported(f"sparse.{name}") for name in _SPARSE}
