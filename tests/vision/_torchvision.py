"""Imports the real torchvision for parity tests, or skips the test when it is not installed."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest


def torchvision():
    """The torchvision module (0.28.0 beside torch 2.13.0), or a pytest skip.

    PyPI's torchvision 0.28.0 wheel registers fake-tensor kernels for its C++ ops in
    `torchvision/_meta_registrations.py`; beside the CPU-only torch 2.13.0 installed here
    that raises "operator torchvision::nms does not exist" at import. The tests use
    no detection op (only datasets, transforms, models and make_grid), so an empty
    module stands in for that file before the import.
    """
    if importlib.util.find_spec("torchvision") is None:
        pytest.skip("torchvision is not installed (pip install --no-deps torchvision==0.28.0)")
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    import torchvision as module

    return module
