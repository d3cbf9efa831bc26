"""The pure functional core: torch.nn.functional's ops on jax arrays, and pure layers.

Import as `import functorch_lite.functional as fn`. Every function here is a pure
function of `jax.Array`s (NCHW activations, OIHW conv weights, (out, in) linear
weights), safe under `jax.jit`, `jax.grad`, `jax.vmap`, `jax.jacrev` and
`jax.eval_shape`.
"""

from . import init
from .activations import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .conv import conv2d
from .dense import dropout, embedding, flatten, linear
from .layers import (
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    Layer,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Tanh,
)
from .losses import binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss, nll_loss
from .normalization import batch_norm, layer_norm
from .normalization_layers import BatchNorm1d, BatchNorm2d, LayerNorm
from .packed import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .recurrent import gru_cell, lstm_cell, recurrent, rnn_relu_cell, rnn_tanh_cell
from .recurrent_layers import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .sequential import Sequential
from .tree import flatten_dict, load_state_dict, state_dict, unflatten_dict

__all__ = [
    "init",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "linear",
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "dropout",
    "batch_norm",
    "layer_norm",
    "flatten",
    "embedding",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy_with_logits",
    "Layer",
    "Sequential",
    "Conv2d",
    "Linear",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "ReLU",
    "LeakyReLU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Identity",
    "Flatten",
    "Dropout",
    "Embedding",
    "LayerNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "flatten_dict",
    "unflatten_dict",
    "state_dict",
    "load_state_dict",
    "rnn_tanh_cell",
    "rnn_relu_cell",
    "lstm_cell",
    "gru_cell",
    "recurrent",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "PackedSequence",
    "pad_sequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pack_sequence",
    "unpad_sequence",
    "unpack_sequence",
]
