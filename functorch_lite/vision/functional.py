"""Batched, jit-able augmentation for the pure path: whole NCHW batches from one PRNG key.

Per-image Python transforms cost a Python call per sample; these are a few XLA
ops per batch and run inside a jitted training step. Each sample gets its own
crop offset and flip decision, drawn from `key`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from functorch_lite import _checks


def _check_batch(images: jax.Array, op: str) -> jax.Array:
    images = _checks.as_array(images, "images", op)
    if images.ndim != 4:
        raise ValueError(f"{op}: images must be an NCHW batch (4-D), got shape {tuple(images.shape)}")
    return images


def random_crop(key: jax.Array, images: jax.Array, padding: int = 4, fill: float = 0.0) -> jax.Array:
    """Pads each side by `padding` with `fill`, then takes a random HxW window per sample (RandomCrop(H, padding))."""
    images = _check_batch(images, "random_crop")
    padding = _checks.non_negative_int(padding, "padding", "random_crop")
    n, c, h, w = images.shape
    padded = jnp.pad(images, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=fill)
    offsets = jax.random.randint(key, (n, 2), 0, 2 * padding + 1)

    def window(image, offset):
        return jax.lax.dynamic_slice(image, (0, offset[0], offset[1]), (c, h, w))

    return jax.vmap(window)(padded, offsets)


def random_horizontal_flip(key: jax.Array, images: jax.Array, p: float = 0.5) -> jax.Array:
    """Mirrors each sample left to right with probability `p`."""
    images = _check_batch(images, "random_horizontal_flip")
    p = _checks.probability(p, "p", "random_horizontal_flip")
    flip = jax.random.bernoulli(key, p, (images.shape[0],))
    return jnp.where(flip[:, None, None, None], images[..., ::-1], images)


def augment(key: jax.Array, images: jax.Array, padding: int = 4, flip_p: float = 0.5) -> jax.Array:
    """`random_crop` with `padding`, then `random_horizontal_flip`: the standard CIFAR augmentation."""
    crop_key, flip_key = jax.random.split(key)
    return random_horizontal_flip(flip_key, random_crop(crop_key, images, padding), flip_p)


__all__ = ["augment", "random_crop", "random_horizontal_flip"]
