"""Batch and layer normalisation; batch_norm returns its new running statistics explicitly."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks


def _channel_shape(x: jax.Array) -> tuple[int, ...]:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm(
    input: jax.Array,
    running_mean: jax.Array | None,
    running_var: jax.Array | None,
    weight: jax.Array | None = None,
    bias: jax.Array | None = None,
    training: bool = False,
    momentum: float | jax.Array = 0.1,
    eps: float = 1e-5,
) -> tuple[jax.Array, jax.Array | None, jax.Array | None]:
    """Normalises over every dim but the channel dim (dim 1).

    Returns `(output, new_running_mean, new_running_var)`. In training the batch
    statistics normalise (biased variance) and the running statistics move by
    `momentum` towards the batch mean and the unbiased batch variance, as in PyTorch.
    Without running statistics (None) the batch statistics are always used.
    """
    op = "batch_norm"
    x = _checks.as_array(input, "input", op)
    _checks.rank(x, (2, 3, 4, 5), "input", op, "(N, C, ...)")
    _checks.floating(x, "input", op)
    c = x.shape[1]
    running_mean, running_var, weight, bias = (
        None if t is None else _checks.as_array(t, name, op)
        for name, t in (
            ("running_mean", running_mean),
            ("running_var", running_var),
            ("weight", weight),
            ("bias", bias),
        )
    )
    _checks.number(eps, "eps", op, minimum=0.0)
    _checks.number(momentum, "momentum", op)
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"{op}: expected {name} of shape ({c},) for input {tuple(x.shape)}, got {tuple(t.shape)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: running_mean and running_var must both be given or both be None")
    axes = (0,) + tuple(range(2, x.ndim))
    use_batch = training or running_mean is None
    if use_batch:
        count = x.size // c
        if count == 1 and training:  # an empty batch is fine (PyTorch: empty output, statistics kept)
            raise ValueError(f"{op}: expected more than 1 value per channel when training, got input {tuple(x.shape)}")
        mean = jnp.mean(x, axis=axes)
        var = jnp.mean(jnp.square(x - mean.reshape(_channel_shape(x))), axis=axes)
    else:
        mean, var = running_mean, running_var
    shape = _channel_shape(x)
    y = (x - mean.reshape(shape)) * jax.lax.rsqrt(var.reshape(shape) + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    new_mean, new_var = running_mean, running_var
    if training and running_mean is not None and x.size:
        unbiased = var * (count / (count - 1))
        stat_mean = jax.lax.stop_gradient(mean).astype(running_mean.dtype)
        stat_var = jax.lax.stop_gradient(unbiased).astype(running_var.dtype)
        new_mean = (1 - momentum) * running_mean + momentum * stat_mean
        new_var = (1 - momentum) * running_var + momentum * stat_var
    return y, new_mean, new_var


def layer_norm(
    input: jax.Array,
    normalized_shape: int | Sequence[int],
    weight: jax.Array | None = None,
    bias: jax.Array | None = None,
    eps: float = 1e-5,
) -> jax.Array:
    """Normalises the trailing `normalized_shape` dims (biased variance), then scales and shifts."""
    op = "layer_norm"
    x = _checks.as_array(input, "input", op)
    _checks.floating(x, "input", op)
    shape = (
        (int(normalized_shape),)
        if isinstance(normalized_shape, (int, np.integer))
        else tuple(int(s) for s in normalized_shape)
    )
    if not shape or tuple(x.shape[-len(shape) :]) != shape:
        raise ValueError(f"{op}: expected input with trailing shape {shape}, got {tuple(x.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        # A weight of another shape would broadcast into a silently wrong result.
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"{op}: expected {name} of shape {shape}, got {tuple(t.shape)}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    y = (x - mean) * jax.lax.rsqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
