"""torch.func's names on JAX's transforms: a Module as a pure function, and grad/vmap/jacobians over it.

`functional_call(module, params_and_buffers, args)` runs a Module with the given
arrays in place of its parameters and buffers, without touching them, so the Module
becomes a pure function of a dict keyed like its `state_dict`. The transforms take
and return Tensors (or arrays) like torch.func and run on `jax.grad`, `jax.vmap`,
`jax.jacrev`, `jax.jacfwd`, `jax.jvp` and `jax.vjp`: inside them Tensors hold JAX
tracers and the facade's ops run straight through to JAX (no tape is recorded).

Per-sample gradients of a model:

    params = {k: v.detach() for k, v in net.named_parameters()}
    def loss_fn(params, x, y):
        out = functional_call(net, params, (x[None],))
        return F.cross_entropy(out, y[None])
    grads = vmap(grad(loss_fn), in_dims=(None, 0, 0))(params, x, y)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import random as _random
from ._tensor import Tensor

__all__ = ["functional_call", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap"]


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _unwrap(tree: Any) -> Any:
    """Tensors -> their jax arrays, anywhere in a pytree."""
    return jax.tree.map(lambda x: x.array if isinstance(x, Tensor) else x, tree, is_leaf=_is_tensor)


def _wrap(tree: Any) -> Any:
    """Array leaves -> Tensors (without grad), anywhere in a pytree."""
    def wrap(x):
        if isinstance(x, Tensor):
            return x
        if isinstance(x, (jax.Array, np.ndarray)):
            return Tensor(x)
        return x

    return jax.tree.map(wrap, tree, is_leaf=_is_tensor)


# -- functional_call -------------------------------------------------------------------------------
def _slots(module: Any) -> dict[str, tuple[dict, str]]:
    """Every parameter and buffer name (state_dict spelling) -> (owning registry dict, attribute)."""
    slots = {}
    for prefix, owner in module.named_modules(remove_duplicate=False):
        dot = f"{prefix}." if prefix else ""
        for registry in (owner._parameters, owner._buffers):
            for name, value in registry.items():
                if value is not None:
                    slots[dot + name] = (registry, name)
    return slots


@contextlib.contextmanager
def _swapped(module: Any, values: Mapping[str, Any], strict: bool) -> Iterator[None]:
    slots = _slots(module)
    unknown = [k for k in values if k not in slots]
    if unknown:
        raise ValueError(f"functional_call: unexpected key(s) {unknown}; the module's keys are {list(slots)}")
    if strict:
        missing = [k for k in slots if k not in values]
        if missing:
            raise ValueError(f"functional_call: strict=True but key(s) {missing} were not given")
    saved = []
    try:
        for key, value in values.items():
            registry, name = slots[key]
            old = registry[name]
            array = value.array if isinstance(value, Tensor) else value
            if tuple(np.shape(array)) != tuple(old.shape):
                raise ValueError(f"functional_call: {key!r} has shape {tuple(np.shape(array))}, the module's "
                                 f"{key!r} has shape {tuple(old.shape)}")
            saved.append((registry, name, old))
            # A fresh object of the same class: the original Parameter is never modified.
            registry[name] = value if isinstance(value, Tensor) else type(old)._wrap(jnp.asarray(array))
        yield
    finally:
        for registry, name, old in reversed(saved):
            registry[name] = old


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = (), kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """Calls `module(*args, **kwargs)` with the given arrays in place of its parameters and buffers.

    **Arguments:** `parameter_and_buffer_dicts` is a dict (or a tuple of dicts) mapping
    `state_dict` keys to Tensors or jax arrays; keys not given keep the module's own
    values (unless `strict`). The module itself is left unchanged.

    **Returns:** whatever `module.forward` returns.
    """
    if isinstance(parameter_and_buffer_dicts, (tuple, list)):
        merged: dict[str, Any] = {}
        for d in parameter_and_buffer_dicts:
            overlap = set(merged) & set(d)
            if overlap:
                raise ValueError(f"functional_call: keys {sorted(overlap)} appear in more than one dict")
            merged.update(d)
    elif isinstance(parameter_and_buffer_dicts, Mapping):
        merged = dict(parameter_and_buffer_dicts)
    else:
        raise TypeError("functional_call: expected a dict or a tuple of dicts of parameters and buffers, got "
                        f"{type(parameter_and_buffer_dicts).__name__}")
    args = args if isinstance(args, tuple) else (args,)
    with _swapped(module, merged, strict):
        return module(*args, **(kwargs or {}))


# -- transforms ------------------------------------------------------------------------------------
def _lift(transform: Callable[..., Callable], func: Callable, *, has_aux: bool = False) -> Callable:
    """Runs `func` (Tensors in, Tensors out) under a JAX transform of arrays."""

    def pure(*arrays: Any, **kwargs: Any) -> Any:
        out = func(*_wrap(arrays), **kwargs)
        return _unwrap(out)

    transformed = transform(pure)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _wrap(transformed(*_unwrap(args), **kwargs))

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """The gradient of scalar `func` w.r.t. the arguments `argnums` (torch.func.grad)."""
    return _lift(lambda f: jax.grad(f, argnums=argnums, has_aux=has_aux), func)


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """`(gradient, value)` of scalar `func`; with has_aux, `(gradient, (value, aux))` as torch.func."""

    def transform(f):
        value_and_grad = jax.value_and_grad(f, argnums=argnums, has_aux=has_aux)

        def swapped(*a, **k):
            value, g = value_and_grad(*a, **k)
            return g, value

        return swapped

    return _lift(transform, func)


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """Jacobian by reverse mode."""
    return _lift(lambda f: jax.jacrev(f, argnums=argnums, has_aux=has_aux), func)


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """Jacobian by forward mode."""
    return _lift(lambda f: jax.jacfwd(f, argnums=argnums, has_aux=has_aux), func)


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """Hessian as jacfwd(jacrev(func)), as torch.func does."""
    return _lift(lambda f: jax.hessian(f, argnums=argnums), func)


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """`(output, vjp_fn)` (plus aux); `vjp_fn(cotangent)` returns a tuple, one entry per primal."""
    pure = lambda *a: _unwrap(func(*_wrap(a)))  # noqa: E731
    result = jax.vjp(pure, *_unwrap(primals), has_aux=has_aux)
    out, pullback = result[0], result[1]

    def vjp_fn(cotangent: Any) -> tuple:
        return _wrap(pullback(_unwrap(cotangent)))

    return (_wrap(out), vjp_fn, _wrap(result[2])) if has_aux else (_wrap(out), vjp_fn)


def jvp(func: Callable, primals: tuple, tangents: tuple, has_aux: bool = False) -> tuple:
    """`(output, jvp_out)` (plus aux) of `func` at `primals` along `tangents`."""
    pure = lambda *a: _unwrap(func(*_wrap(a)))  # noqa: E731
    if has_aux:
        out, tangent_out, aux = jax.jvp(pure, tuple(_unwrap(primals)), tuple(_unwrap(tangents)), has_aux=True)
        return _wrap(out), _wrap(tangent_out), _wrap(aux)
    out, tangent_out = jax.jvp(pure, tuple(_unwrap(primals)), tuple(_unwrap(tangents)))
    return _wrap(out), _wrap(tangent_out)


_RANDOMNESS = ("error", "different", "same")


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """Vectorises `func` over `in_dims` (torch.func.vmap on jax.vmap).

    `randomness` says what random draws (dropout, `randn`) from the global generator
    do inside: "error" raises, "same" gives every batch element the same draws,
    "different" gives each its own (keys folded with the batch index).
    """
    if randomness not in _RANDOMNESS:
        raise ValueError(f"vmap: randomness must be one of {_RANDOMNESS}, got {randomness!r}")
    if chunk_size is not None:
        raise ValueError("vmap: chunk_size is not supported; jax.vmap vectorises the whole batch at once")
    generator = _random.default_generator

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        arrays = _unwrap(args)
        base = generator.next_key() if randomness != "error" else None
        before = generator.get_state()
        axis_sizes = {int(np.shape(leaf)[d]) for leaf, d in _leaves_with_dims(arrays, in_dims)}
        if len(axis_sizes) != 1:
            raise ValueError(f"vmap: the mapped dimensions of the inputs have different sizes {sorted(axis_sizes)}")
        size = axis_sizes.pop()

        def pure(index, *a):
            saved = generator.get_state()
            if randomness == "different":
                generator.set_state(jax.random.fold_in(base, index))
            elif randomness == "same":
                generator.set_state(base)
            try:
                out = _unwrap(func(*_wrap(a), **kwargs))
                if randomness == "error" and generator.get_state() is not saved:
                    raise ValueError("vmap: the function draws random numbers but randomness='error'; pass "
                                     "randomness='different' (independent draws per element) or 'same'")
                return out
            finally:
                generator.set_state(saved)

        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        out = jax.vmap(pure, in_axes=(0, *dims), out_axes=out_dims)(np.arange(size), *arrays)
        generator.set_state(before)
        return _wrap(out)

    return wrapper


def _leaves_with_dims(arrays: tuple, in_dims: Any) -> list[tuple[Any, int]]:
    dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(arrays)
    if len(dims) != len(arrays):
        raise ValueError(f"vmap: in_dims has {len(dims)} entries for {len(arrays)} positional arguments")
    pairs = []
    for arg, dim in zip(arrays, dims):
        if dim is None:
            continue
        leaves = jax.tree.leaves(arg)
        subdims = jax.tree.leaves(dim) if not isinstance(dim, int) else [dim] * len(leaves)
        for leaf, d in zip(leaves, subdims):
            if d is not None:
                pairs.append((leaf, d))
    if not pairs:
        raise ValueError("vmap: at least one input must be mapped (in_dims are all None)")
    return pairs
