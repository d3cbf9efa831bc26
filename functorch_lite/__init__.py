"""functorch_lite: a JAX-backed deep-learning library with PyTorch's habits.

Two faces over one core: `functorch_lite.functional` (pure ops and layers over
explicit parameter pytrees, for `jax.grad`/`jax.jit`/`jax.vmap`) and a PyTorch-named
imperative facade (`Tensor`, `nn`, `optim`), so `import functorch_lite as torch` works
for the PyTorch programs it covers. Like `torch`, this namespace shadows some builtins
(`max`, `sum`, `int`, `bool`, `float`) with tensor functions and dtypes.
"""

from . import autograd, datasets, func, functional, models, nn, optim, parallel, random, utils
from ._precision import get_float32_matmul_precision, set_float32_matmul_precision
from ._tensor.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from ._tensor.dtypes import (
    bfloat16,
    bool,
    complex64,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from ._tensor.formats import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    strided,
)
from ._tensor.table_functions import TORCH as _TABLE_FUNCTIONS
from ._tensor.tensor import Size, Tensor
from ._tensor.torch_functions import (
    abs,
    add,
    all,
    allclose,
    amax,
    amin,
    any,
    argmax,
    argmin,
    bmm,
    cat,
    clamp,
    clip,
    clone,
    concat,
    concatenate,
    cos,
    detach,
    div,
    eq,
    equal,
    exp,
    flatten,
    ge,
    gt,
    is_tensor,
    le,
    log,
    log_softmax,
    lt,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    ne,
    neg,
    numel,
    permute,
    pow,
    prod,
    relu,
    reshape,
    rsqrt,
    sigmoid,
    sin,
    softmax,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    sum,
    t,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from .autograd import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .compile import compile
from .device import cuda, device, to_device
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .serialization import load, save

# isort: off
from . import fft, linalg, masked, signal, special  # table-driven namespaces (_tensor/op_table.py)
from . import sparse  # out of scope on JAX: raises (_tensor/unsupported.py)
# isort: on

__version__ = "0.1.0"

# The program-level API (issue 12): accelerator/backends flags, ONNX stub, legacy typed constructors.
from . import accelerator, backends, onnx, serialization  # noqa: E402
from ._tensor.creation import (  # noqa: E402
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from ._tensor.dtypes import dtype  # noqa: E402
from ._tensor.nn_functions import constant_pad_nd, grid_sampler, grid_sampler_2d, grid_sampler_3d, pdist  # noqa: E402
from .func import vmap  # noqa: E402

# The table-driven torch.* functions (`_tensor/op_table.py`); hand-written ones above take precedence.
globals().update({_name: _function for _name, _function in _TABLE_FUNCTIONS.items() if _name not in globals()})
