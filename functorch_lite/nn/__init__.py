"""`functorch_lite.nn`: PyTorch's `torch.nn` names over the functional core.

`Module` and `Parameter` give PyTorch's bookkeeping; the layers and losses in
`modules/` are thin wrappers whose math is `functorch_lite.functional`;
`nn.functional` runs the same core ops on Tensors; `nn.init` and `nn.utils` are
the in-place initialisers and gradient clipping.
"""

from . import functional, init, utils
from .module import IncompatibleKeys, Module, RemovableHandle, StateDictError
from .modules import (
    GELU,
    GRU,
    LSTM,
    RNN,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCEWithLogitsLoss,
    Conv2d,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    GRUCell,
    Identity,
    L1Loss,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    LSTMCell,
    MaxPool2d,
    ModuleDict,
    ModuleList,
    MSELoss,
    MultiheadAttention,
    NLLLoss,
    ReLU,
    ReLU6,
    RNNCell,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .parameter import Parameter

__all__ = [
    "functional",
    "init",
    "utils",
    "Module",
    "Parameter",
    "IncompatibleKeys",
    "StateDictError",
    "RemovableHandle",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "Flatten",
    "Identity",
    "Embedding",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "CrossEntropyLoss",
    "NLLLoss",
    "MSELoss",
    "L1Loss",
    "BCEWithLogitsLoss",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
]

# The module_db breadth (issue 11): every name the modules package exports beyond those above.
from . import modules as _modules  # noqa: E402

globals().update({name: getattr(_modules, name) for name in _modules._MORE})
__all__ += _modules._MORE
