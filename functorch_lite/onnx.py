"""`torch.onnx`: importable, but exporting to ONNX is not available on JAX.

`export` raises NotImplementedError naming what to use instead: `jax.export` serialises
a jitted function (for example the step `functorch_lite.compile` builds, or a
`functional_call` of the model under `jax.jit`) as StableHLO, which XLA-based runtimes
load; tools such as `jax2tf` + `tf2onnx` can go on to ONNX from there.
"""

from __future__ import annotations

from typing import Any

__all__ = ["export", "is_in_onnx_export"]


def export(model: Any, args: Any = (), f: Any = None, *rest: Any, **kwargs: Any) -> None:
    """Refuses, naming the alternative: functorch_lite cannot write ONNX graphs."""
    raise NotImplementedError(
        "onnx.export: functorch_lite cannot export ONNX (its programs are JAX/XLA computations, not "
        "TorchScript graphs). Export the compiled computation with jax.export instead: "
        "jax.export.export(jax.jit(lambda params, x: functorch_lite.func.functional_call(model, params, (x,))))"
        "(params, x).serialize() gives StableHLO bytes that XLA runtimes load"
    )


def is_in_onnx_export() -> bool:
    """Always False: there is no ONNX export here."""
    return False
