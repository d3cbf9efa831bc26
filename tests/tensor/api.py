"""The library under test as one namespace: `functorch_lite` once its __init__ exports the
tensor API, else the same names gathered from the modules that define them."""

import types

import functorch_lite

if hasattr(functorch_lite, "tensor") and hasattr(functorch_lite, "Tensor"):
    fl = functorch_lite
else:
    from functorch_lite import _creation, _dtypes, _tensor, _torch_functions, autograd, random

    fl = types.SimpleNamespace()
    for module in (_dtypes, _creation, _torch_functions):
        for name in dir(module):
            if not name.startswith("_"):
                setattr(fl, name, getattr(module, name))
    fl.Tensor, fl.Size = _tensor.Tensor, _tensor.Size
    fl.autograd, fl.random, fl.manual_seed, fl.Generator = (
        autograd,
        random,
        random.manual_seed,
        random.Generator,
    )
    for name in ("no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly"):
        setattr(fl, name, getattr(autograd, name))
    fl.device, fl.cuda = functorch_lite.device, functorch_lite.cuda
    fl.bool, fl.float, fl.int = _dtypes.bool, _dtypes.float, _dtypes.int
