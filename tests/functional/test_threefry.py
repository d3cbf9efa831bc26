"""Dropout's fused threefry masks (`_lowering.bernoulli_mask`) are jax's own masks.

The fused formulation recomputes jax's Threefry-2x32 bits as elementwise math, so it
must give `jax.random.bernoulli`'s mask bit for bit, for every shape, key kind, jit and
vmap; keys it does not handle fall back to `jax.random.bernoulli`; and dropout must still
be a correct dropout (keep rate, scaling, gradient through the kept elements only).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.functional as fn
from functorch_lite.functional import _lowering, _threefry, dropout_nd


@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 5), (2, 3, 4, 5), (32, 64, 129)])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_mask_equals_jax_bernoulli_bit_for_bit(shape, p):
    key = jax.random.key(20261128)
    assert _threefry.fusible(key, shape)
    expected = jax.random.bernoulli(key, p, shape)
    np.testing.assert_array_equal(_lowering.bernoulli_mask(key, p, shape), expected)
    jitted = jax.jit(_lowering.bernoulli_mask, static_argnums=(1, 2))(key, p, shape)
    np.testing.assert_array_equal(jitted, expected)


def test_raw_uint32_keys_and_vmapped_keys_give_jax_masks():
    raw = jax.random.PRNGKey(3)
    assert _threefry.fusible(raw, (4, 6))
    np.testing.assert_array_equal(_lowering.bernoulli_mask(raw, 0.3, (4, 6)), jax.random.bernoulli(raw, 0.3, (4, 6)))
    keys = jax.random.split(jax.random.key(5), 4)
    masks = jax.vmap(lambda k: _lowering.bernoulli_mask(k, 0.7, (10, 3)))(keys)
    expected = jax.vmap(lambda k: jax.random.bernoulli(k, 0.7, (10, 3)))(keys)
    np.testing.assert_array_equal(masks, expected)


def test_other_key_kinds_fall_back_to_jax_bernoulli():
    rbg = jax.random.key(1, impl="rbg")
    assert not _threefry.fusible(rbg, (5, 5))
    np.testing.assert_array_equal(_lowering.bernoulli_mask(rbg, 0.4, (5, 5)), jax.random.bernoulli(rbg, 0.4, (5, 5)))
    batch_of_keys = jax.random.split(jax.random.key(0), 2)
    assert not _threefry.fusible(batch_of_keys, (2,))


def test_dropout_keeps_the_right_fraction_scales_and_routes_gradients():
    x = jnp.arange(1.0, 200_001.0).reshape(400, 500)
    key = jax.random.key(7)
    y = fn.dropout(x, 0.25, True, key=key)
    kept = y != 0
    # 200,000 Bernoulli(0.75) draws: the kept fraction is within 5 standard deviations of 0.75.
    assert abs(float(kept.mean()) - 0.75) < 5 * np.sqrt(0.75 * 0.25 / x.size)
    np.testing.assert_allclose(y[kept], x[kept] / 0.75, rtol=1e-6)
    grad = jax.grad(lambda x: fn.dropout(x, 0.25, True, key=key).sum())(x)
    np.testing.assert_allclose(grad, jnp.where(kept, 1 / 0.75, 0.0), rtol=1e-6)
    channel = dropout_nd.dropout2d(jnp.ones((8, 16, 3, 3)), 0.5, True, key=key)
    expected = jnp.where(jax.random.bernoulli(key, 0.5, (8, 16, 1, 1)), 2.0, 0.0)
    np.testing.assert_array_equal(channel, jnp.broadcast_to(expected, channel.shape))
