"""Tests of functorch_lite.parallel."""
