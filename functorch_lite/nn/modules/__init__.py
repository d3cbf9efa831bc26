"""The torch-named layers, containers and losses, each a thin Module over the functional core."""

from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, Softmax, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d
from .linear import Embedding, Flatten, Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .normalization import BatchNorm1d, BatchNorm2d, Dropout, LayerNorm
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .transformer import (
    MultiheadAttention,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = [
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

# The N-d conv family, pools, pads, norms, activations and losses of module_db (issue 11).
from . import activation as _activation
from . import conv_nd as _conv_nd
from . import linear as _linear
from . import loss as _loss
from . import norm as _norm
from . import padding as _padding
from . import pooling as _pooling

_MORE = [
    name
    for module in (_conv_nd, _pooling, _padding, _norm, _activation, _linear, _loss)
    for name in module.__all__
    if name not in __all__
]
globals().update({name: getattr(module, name) for module in (_conv_nd, _pooling, _padding, _norm, _activation,
                  _linear, _loss) for name in module.__all__ if name in _MORE})  # fmt: skip
__all__ += _MORE

# The sliding-block, bag, distance and channel-dropout Modules (issue 10).
from . import sampling as _sampling  # noqa: E402

_MORE += [name for name in _sampling.__all__ if name not in __all__ and name not in _MORE]
globals().update({name: getattr(_sampling, name) for name in _sampling.__all__})
__all__ += [name for name in _sampling.__all__ if name not in __all__]
