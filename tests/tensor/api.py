"""The library under test as one namespace, `fl`, for the tensor tests."""

import functorch_lite as fl  # noqa: F401
