"""Shared pytest configuration: the --runslow switch.

No persistent XLA compilation cache is configured: in a fresh-clone CI run, jax 0.10.2 crashed with a
segmentation fault while writing a compiled step into it (`compilation_cache.put_executable_and_time`).
Set `JAX_COMPILATION_CACHE_DIR` yourself to use one.
"""

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
