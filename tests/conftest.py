"""Shared pytest configuration: the --runslow switch, and bounded XLA state across a long run.

No persistent XLA compilation cache is configured (set `JAX_COMPILATION_CACHE_DIR` yourself to use one).

Every compiled XLA:CPU executable holds a few memory maps, and one process may hold at most
`vm.max_map_count` (65530 by default). The whole suite compiles tens of thousands of programs; past the
limit, XLA crashes with a segmentation fault inside a compile. So jax's caches are dropped after every
test module (`clear_jax_caches_per_module`), which releases the executables nothing else holds.
"""

import gc

import jax
import pytest


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(autouse=True, scope="module")
def clear_jax_caches_per_module():
    yield
    jax.clear_caches()
    gc.collect()
