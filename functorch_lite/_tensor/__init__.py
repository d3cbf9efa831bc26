"""The Tensor layer: `Tensor` over a `jax.Array`, its methods, factories, dtypes and `torch.*` functions.

- `tensor.py`: the class (identity, conversion, autograd state); registers itself with the tape.
- `arithmetic.py`, `shape_ops.py`: its math and shape methods; `math_ops.py`: the pure jax functions behind them.
- `creation.py`: factories (`tensor`, `zeros`, `randn`, ...); `torch_functions.py`: `torch.exp(x)` and friends.
- `dtypes.py`: PyTorch's dtype names; `formatting.py`: `repr` in PyTorch's style.

Not named `tensor`: `functorch_lite.tensor` is PyTorch's factory function.
"""
