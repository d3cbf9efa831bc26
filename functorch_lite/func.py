"""torch.func's names on JAX transforms: a Module as a pure function, and grad/vmap/jacobians over it.

`functional_call` makes a Module a pure function of a dict keyed like its `state_dict`;
`grad`, `vmap`, `jacrev`, `jacfwd`, `jvp` and `vjp` run the facade on `jax` transforms
(Tensors hold tracers; no tape is recorded). Usage and where these part from torch.func:
docs/design_notes.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import random as _random
from ._tensor.tensor import Tensor
from .autograd import grad_mode

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "jacrev",
    "jacfwd",
    "hessian",
    "vmap",
    "stack_module_state",
]

_Tracer = jax.core.Tracer
_DRAWS = "the function draws random numbers (dropout, rand, randn) but randomness='error'"


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _unwrap(tree: Any) -> Any:
    """Tensors -> their jax arrays, anywhere in a pytree."""
    return jax.tree.map(lambda x: x.array if isinstance(x, Tensor) else x, tree, is_leaf=_is_tensor)


def _wrap(tree: Any) -> Any:
    """Array leaves -> Tensors (without grad), anywhere in a pytree; dtypes are kept."""

    def wrap(x):
        if isinstance(x, Tensor):
            return x
        if isinstance(x, (jax.Array, np.ndarray)):
            return Tensor._wrap(jnp.asarray(x))
        return x

    return jax.tree.map(wrap, tree, is_leaf=_is_tensor)


# -- dict order --------------------------------------------------------------------------------------
class _Ordered(dict):
    """A dict that JAX flattens in insertion order (JAX sorts plain dict keys; torch.func keeps them)."""


jax.tree_util.register_pytree_node(
    _Ordered, lambda d: (list(d.values()), tuple(d.keys())), lambda keys, values: _Ordered(zip(keys, values))
)


def _ordered(tree: Any) -> Any:
    """Plain dicts -> `_Ordered` (the caller's key order survives the transform), through lists and tuples."""
    if isinstance(tree, Tensor):
        return tree
    if type(tree) is dict:
        return _Ordered((key, _ordered(value)) for key, value in tree.items())
    if isinstance(tree, tuple) and hasattr(type(tree), "_fields"):
        return type(tree)(*(_ordered(item) for item in tree))
    if type(tree) in (list, tuple):
        return type(tree)(_ordered(item) for item in tree)
    return tree


def _plain(tree: Any) -> Any:
    """`_Ordered` -> dict again, in the same key order."""
    if isinstance(tree, Tensor):
        return tree
    if type(tree) is _Ordered:
        return {key: _plain(value) for key, value in tree.items()}
    if isinstance(tree, tuple) and hasattr(type(tree), "_fields"):
        return type(tree)(*(_plain(item) for item in tree))
    if type(tree) in (list, tuple):
        return type(tree)(_plain(item) for item in tree)
    return tree


def _ordered_like(dims: Any, arg: Any) -> Any:
    """`in_dims` with its dicts in the key order of the argument they describe (the treedefs must match)."""
    if isinstance(dims, dict) and isinstance(arg, dict):
        keys = [key for key in arg if key in dims] + [key for key in dims if key not in arg]
        return _Ordered((key, _ordered_like(dims[key], arg.get(key))) for key in keys)
    if type(dims) in (list, tuple) and isinstance(arg, (list, tuple)) and len(dims) == len(arg):
        return type(dims)(_ordered_like(d, a) for d, a in zip(dims, arg))
    return _ordered(dims)


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


def _expand_tied(slots: dict, values: dict, tie_weights: bool) -> dict:
    """With tie_weights, a value given for one of several names of one tensor applies to all of them."""
    if not tie_weights:
        return values
    names_of: dict[int, list[str]] = {}
    for key, (registry, name) in slots.items():
        names_of.setdefault(id(registry[name]), []).append(key)
    out = dict(values)
    for key, value in values.items():
        registry, name = slots[key]
        for tied in names_of[id(registry[name])]:
            if tied in values and values[tied] is not value:
                raise ValueError(
                    f"functional_call: {key!r} and {tied!r} are tied (one tensor) but were given "
                    "different values; give one of them, or pass tie_weights=False"
                )
            out[tied] = value
    return out


@contextlib.contextmanager
def _swapped(module: Any, values: Mapping[str, Any], strict: bool, tie_weights: bool) -> Iterator[None]:
    slots = _slots(module)
    unknown = [k for k in values if k not in slots]
    if unknown:
        raise ValueError(f"functional_call: unexpected key(s) {unknown}; the module's keys are {list(slots)}")
    if strict:
        missing = [k for k in slots if k not in values]
        if missing:
            raise ValueError(f"functional_call: strict=True but key(s) {missing} were not given")
    values = _expand_tied(slots, dict(values), tie_weights)
    for key, value in values.items():
        registry, name = slots[key]
        if not isinstance(value, (Tensor, jax.Array, np.ndarray)):
            raise TypeError(f"functional_call: {key!r} must be a Tensor or an array, got {type(value).__name__}")
        if tuple(value.shape) != tuple(registry[name].shape):
            raise ValueError(
                f"functional_call: {key!r} has shape {tuple(value.shape)}, the module's "
                f"{key!r} has shape {tuple(registry[name].shape)}"
            )
    saved = []
    try:
        for key, value in values.items():
            registry, name = slots[key]
            old = registry[name]
            saved.append((registry, name, old))
            # A fresh object of the same class: the original Parameter is never modified.
            registry[name] = value if isinstance(value, Tensor) else type(old)._wrap(jnp.asarray(value))
        in_use = {key: registry[name] for key, (registry, name) in slots.items()}
        concrete = {key: t._array for key, t in in_use.items() if not isinstance(t._array, _Tracer)}
        try:
            yield
        finally:
            leaked = _restore_leaked(in_use, concrete)
        if leaked:
            raise ValueError(
                f"functional_call: the module wrote batched or traced values into {leaked} (BatchNorm running "
                "statistics updated in train mode inside vmap or a nested transform); they cannot leave it. Call "
                "module.eval() first, or build the BatchNorm with track_running_stats=False"
            )
    finally:
        for registry, name, old in reversed(saved):
            registry[name] = old


def _restore_leaked(in_use: dict[str, Tensor], concrete: dict[str, Any]) -> list[str]:
    """Puts back concrete values that a transform's tracers replaced; returns the names."""
    leaked = []
    for key, value in concrete.items():
        tensor = in_use[key]
        if isinstance(tensor._array, _Tracer):
            tensor._array = value
            leaked.append(key)
    return leaked


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: Any,
    args: Any = None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """Calls `module(*args, **kwargs)` with the given arrays in place of its parameters and buffers.

    The module itself is left unchanged; buffers passed in as Tensors receive the
    module's in-place updates (BatchNorm's running statistics in train mode), as in PyTorch.

    Args:
        module: the Module to run.
        parameter_and_buffer_dicts: a dict (or a tuple of dicts) mapping `state_dict` keys
            to Tensors or jax arrays of the registered shapes; keys not given keep the
            module's own values (with `strict`, every key must be given).
        args: a tuple of positional arguments or a single one.

    Returns:
        Whatever `module.forward` returns.

    Raises:
        ValueError: a key the module does not have, or a value of another shape.
    """
    if isinstance(parameter_and_buffer_dicts, (tuple, list)):
        merged: dict[str, Any] = {}
        for d in parameter_and_buffer_dicts:
            if not isinstance(d, Mapping):
                raise TypeError(
                    "functional_call: expected a dict or a tuple of dicts of parameters and buffers, "
                    f"got a {type(parameter_and_buffer_dicts).__name__} holding a {type(d).__name__}"
                )
            overlap = set(merged) & set(d)
            if overlap:
                raise ValueError(f"functional_call: keys {sorted(overlap)} appear in more than one dict")
            merged.update(d)
    elif isinstance(parameter_and_buffer_dicts, Mapping):
        merged = dict(parameter_and_buffer_dicts)
    else:
        raise TypeError(
            "functional_call: expected a dict or a tuple of dicts of parameters and buffers, got "
            f"{type(parameter_and_buffer_dicts).__name__}"
        )
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _swapped(module, merged, strict, tie_weights):
        return module(*args, **(kwargs or {}))


# -- transforms ------------------------------------------------------------------------------------
@contextlib.contextmanager
def _no_draws(where: str, advice: str) -> Iterator[None]:
    """Raises when the body draws from the global generator (dropout, randn) and puts the generator back."""
    generator = _random.default_generator
    before = generator.get_state()
    try:
        yield
    finally:
        drew = generator.get_state() is not before
        if drew:
            generator.set_state(before)
    if drew:
        raise ValueError(f"{where}: {_DRAWS}; {advice}")


def _pure(func: Callable, name: str, scalar: bool = False, has_aux: bool = False) -> Callable:
    """`func` (Tensors in, Tensors out) as a function of arrays, run without recording a tape."""

    def pure(*arrays: Any, **kwargs: Any) -> Any:
        # The transform differentiates the arrays itself; a tape of the module's own Parameters
        # would only add work, and Tensors wrapping tracers must not outlive the call.
        with grad_mode.no_grad():
            out = func(*_wrap(arrays), **kwargs)
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise ValueError(
                    f"{name}(f, has_aux=True): expected f to return a tuple (output, aux), got {type(out).__name__}"
                )
            out, aux = out
            return _check_scalar(_unwrap(_ordered(out)), name, scalar), _unwrap(_ordered(aux))
        return _check_scalar(_unwrap(_ordered(out)), name, scalar)

    return pure


def _check_scalar(out: Any, name: str, scalar: bool) -> Any:
    if scalar and not (isinstance(out, (jax.Array, np.ndarray, float)) and np.size(out) == 1):
        shape = getattr(out, "shape", type(out).__name__)
        raise ValueError(
            f"{name}(f)(*args): expected f(*args) to return a scalar Tensor (one element), got "
            f"{shape}; use vjp or jacrev for non-scalar outputs"
        )
    return jnp.reshape(out, ()) if scalar else out


def _lift(transform: Callable[[Callable], Callable], pure: Callable) -> Callable:
    """`transform(pure)` as a function of Tensors (or arrays) returning Tensors."""
    transformed = transform(pure)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _plain(_wrap(transformed(*_unwrap(_ordered(args)), **kwargs)))

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """The gradient of scalar `func` w.r.t. the arguments `argnums` (torch.func.grad); with has_aux, `(grad, aux)`."""
    pure = _pure(func, "grad", scalar=True, has_aux=has_aux)
    return _lift(lambda f: jax.grad(f, argnums=argnums, has_aux=has_aux), pure)


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """`(gradient, value)` of scalar `func`; with has_aux, `(gradient, (value, aux))` as torch.func."""

    def transform(f: Callable) -> Callable:
        value_and_grad = jax.value_and_grad(f, argnums=argnums, has_aux=has_aux)

        def swapped(*args: Any, **kwargs: Any) -> tuple:
            value, gradient = value_and_grad(*args, **kwargs)
            return gradient, value

        return swapped

    return _lift(transform, _pure(func, "grad_and_value", scalar=True, has_aux=has_aux))


def jacrev(
    func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False, chunk_size: int | None = None
) -> Callable:
    """Jacobian by reverse mode: shape `output.shape + input.shape` per argument (torch.func.jacrev)."""
    _check_chunk_size("jacrev", chunk_size)
    pure = _pure(func, "jacrev", has_aux=has_aux)
    return _lift(lambda f: jax.jacrev(f, argnums=argnums, has_aux=has_aux), pure)


def jacfwd(
    func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *, randomness: str = "error"
) -> Callable:
    """Jacobian by forward mode (torch.func.jacfwd); `randomness` as in `vmap`."""
    _check_randomness("jacfwd", randomness)
    pure = _pure(func, "jacfwd", has_aux=has_aux)
    transformed = _lift(lambda f: jax.jacfwd(f, argnums=argnums, has_aux=has_aux), pure)
    if randomness != "error":
        return transformed  # one draw shared by every tangent, as "same" gives

    def checked(*args: Any, **kwargs: Any) -> Any:
        with _no_draws("jacfwd", "pass randomness='same' or 'different'"):
            return transformed(*args, **kwargs)

    return checked


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """Hessian as jacfwd(jacrev(func)), as torch.func does."""
    return _lift(lambda f: jax.hessian(f, argnums=argnums), _pure(func, "hessian"))


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """`(output, vjp_fn)` (plus aux); `vjp_fn(cotangents)` returns a tuple, one entry per primal."""
    result = jax.vjp(_pure(func, "vjp", has_aux=has_aux), *_unwrap(_ordered(primals)), has_aux=has_aux)
    out, pullback = result[0], result[1]

    def vjp_fn(cotangents: Any) -> tuple:
        return _plain(_wrap(pullback(_unwrap(_ordered_like(cotangents, out)))))

    public = _plain(_wrap(out))
    return (public, vjp_fn, _plain(_wrap(result[2]))) if has_aux else (public, vjp_fn)


def jvp(func: Callable, primals: tuple, tangents: tuple, *, strict: bool = False, has_aux: bool = False) -> tuple:
    """`(output, jvp_out)` (plus aux) of `func` at `primals` along `tangents` (torch.func.jvp)."""
    for what, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, tuple):
            raise TypeError(f"jvp(f, primals, tangents): expected {what} to be a tuple, got {type(value).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp(f, primals, tangents): {len(primals)} primals but {len(tangents)} tangents")
    if strict:
        raise ValueError("jvp: strict=True is not supported (as in torch.func)")
    primals, tangents = _unwrap(_ordered(primals)), _unwrap(_ordered_like(tangents, primals))
    result = jax.jvp(_pure(func, "jvp", has_aux=has_aux), primals, tangents, has_aux=has_aux)
    return tuple(_plain(_wrap(part)) for part in result)


def _check_chunk_size(name: str, chunk_size: int | None) -> None:
    if chunk_size is not None:
        raise ValueError(
            f"{name}: chunk_size is not supported (got {chunk_size}); JAX vectorises the whole batch "
            "at once, so pass chunk_size=None"
        )


_RANDOMNESS = ("error", "different", "same")


def _check_randomness(name: str, randomness: Any) -> None:
    if randomness not in _RANDOMNESS:
        raise ValueError(f"{name}: randomness must be one of {_RANDOMNESS}, got {randomness!r}")


def vmap(
    func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *, chunk_size: int | None = None
) -> Callable:
    """Vectorises `func` over the dimension `in_dims` of its inputs (torch.func.vmap on jax.vmap).

    `in_dims` is an int (every positional argument), or a tuple with one entry per
    positional argument: an int, None (not mapped) or a nested structure of those
    matching the argument (a dict of dims for a dict of Tensors). Keyword arguments are
    not mapped. `randomness` says what random draws from the global generator (dropout,
    `randn`) do inside: "error" raises, "same" gives every batch element the same draws,
    "different" gives each its own (the key folded with the element's index).
    """
    _check_randomness("vmap", randomness)
    _check_chunk_size("vmap", chunk_size)
    if not isinstance(in_dims, (int, tuple)) and in_dims is not None:
        raise ValueError(f"vmap: in_dims must be an int, None or a tuple, got {type(in_dims).__name__}")
    generator = _random.default_generator

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        arrays = _unwrap(_ordered(args))
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        dims = tuple(_ordered_like(d, a) for d, a in zip(dims, arrays)) if len(dims) == len(arrays) else dims
        size = _mapped_size(arrays, dims)
        base = generator.next_key() if randomness != "error" else None

        def pure(index: Any, *mapped: Any) -> Any:
            saved = generator.get_state()
            if randomness == "different":
                generator.set_state(jax.random.fold_in(base, index))
            elif randomness == "same":
                generator.set_state(base)
            try:
                with grad_mode.no_grad():
                    out = _unwrap(_ordered(func(*_wrap(mapped), **kwargs)))
                if randomness == "error" and generator.get_state() is not saved:
                    raise ValueError(
                        f"vmap: {_DRAWS}; pass randomness='different' (independent draws per "
                        "element) or 'same' (one draw shared by the batch)"
                    )
                return out
            finally:
                generator.set_state(saved)

        out = jax.vmap(pure, in_axes=(0, *dims), out_axes=_ordered(out_dims))(np.arange(size), *arrays)
        return _plain(_wrap(out))

    return wrapper


def _mapped_size(arrays: tuple, dims: tuple) -> int:
    """The common size of the mapped dimensions; clear errors for dims that do not fit the inputs."""
    if len(dims) != len(arrays):
        raise ValueError(f"vmap: in_dims has {len(dims)} entries for {len(arrays)} positional arguments")
    sizes = []
    for position, (arg, dim) in enumerate(zip(arrays, dims)):
        # dims is a prefix of the argument's structure: pair each dim with the leaves below it.
        pairs = jax.tree.map(
            lambda d, sub: [(d, leaf) for leaf in jax.tree.leaves(sub)], dim, arg, is_leaf=lambda x: x is None
        )
        for d, leaf in (p for group in jax.tree.leaves(pairs, is_leaf=lambda x: isinstance(x, list)) for p in group):
            if d is None:
                continue
            if not isinstance(leaf, (jax.Array, np.ndarray)):
                raise ValueError(
                    f"vmap: in_dims={d} for argument {position}, a {type(leaf).__name__}; only Tensors "
                    "can be mapped, use None for other arguments"
                )
            if not -leaf.ndim <= d < leaf.ndim:
                raise ValueError(
                    f"vmap: in_dims={d} for argument {position} of shape {tuple(leaf.shape)} is out of range"
                )
            sizes.append(int(leaf.shape[d]))
    if not sizes:
        raise ValueError("vmap: at least one input must be mapped (in_dims are all None)")
    if len(set(sizes)) != 1:
        raise ValueError(f"vmap: expected all mapped dimensions to have the same size, got sizes {sizes}")
    return sizes[0]


def stack_module_state(models: Any) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """`(params, buffers)` of same-architecture models, each stacked along a new leading dimension.

    As `torch.func.stack_module_state`: the stacked parameters are new leaves that require
    grad (when the originals do), keyed and ordered like `named_parameters()`; run the
    ensemble with `vmap(lambda p, b, x: functional_call(base, (p, b), (x,)))`.
    """
    models = list(models)
    if not models:
        raise ValueError("stack_module_state: expected at least one model, got none")
    first = models[0]
    for index, model in enumerate(models[1:], start=1):
        if type(model) is not type(first) or model.training != first.training:
            raise ValueError(
                f"stack_module_state: expected models of one class in one mode (train/eval); model {index} is a "
                f"{type(model).__name__} (training={model.training}), model 0 a {type(first).__name__} "
                f"(training={first.training})"
            )

    def stack(named: Callable[[Any], Any], what: str) -> dict[str, list]:
        keys = [name for name, _ in named(first)]
        columns: dict[str, list] = {key: [] for key in keys}
        for index, model in enumerate(models):
            entries = dict(named(model))
            if list(entries) != keys:
                raise ValueError(f"stack_module_state: model {index} has {what} {list(entries)}, model 0 has {keys}")
            for key in keys:
                if columns[key] and tuple(entries[key].shape) != tuple(columns[key][0].shape):
                    raise ValueError(
                        f"stack_module_state: {what[:-1]} {key!r} of model {index} has shape "
                        f"{tuple(entries[key].shape)}, model 0's has {tuple(columns[key][0].shape)}"
                    )
                columns[key].append(entries[key])
        return columns

    params = {}
    for key, tensors in stack(lambda m: m.named_parameters(), "parameters").items():
        stacked = Tensor._wrap(jnp.stack([t.array for t in tensors]))
        params[key] = stacked.requires_grad_(True) if tensors[0].requires_grad else stacked
    buffers = {
        key: Tensor._wrap(jnp.stack([t.array for t in tensors]))
        for key, tensors in stack(lambda m: m.named_buffers(), "buffers").items()
    }
    return params, buffers
