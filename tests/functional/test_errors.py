"""Bad input raises ValueError/TypeError naming the op or layer, what was expected, what came."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import functorch_lite.functional as fn

X4 = jnp.ones((2, 3, 8, 8))
W = jnp.ones((4, 3, 3, 3))


def test_wrong_input_rank():
    with pytest.raises(
        ValueError,
        match=r"conv2d: expected input of rank 3 or 4 \(N, C, H, W\) or \(C, H, W\), got shape \(8, 8\)",
    ):
        fn.conv2d(jnp.ones((8, 8)), W)
    with pytest.raises(ValueError, match=r"conv2d: expected weight of rank 4"):
        fn.conv2d(X4, jnp.ones((4, 3, 3)))
    with pytest.raises(ValueError, match=r"max_pool2d: expected input of rank 3 or 4 .* got shape \(2, 2, 3, 8, 8\)"):
        fn.max_pool2d(jnp.ones((2, 2, 3, 8, 8)), 2)
    with pytest.raises(ValueError, match=r"avg_pool2d: expected input of rank 3 or 4 .* got shape \(8,\)"):
        fn.avg_pool2d(jnp.ones(8), 2)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: expected input of rank 3 or 4"):
        fn.adaptive_avg_pool2d(jnp.ones((8, 8)), 2)
    with pytest.raises(ValueError, match=r"batch_norm: expected input of rank 2 or 3 or 4 or 5 \(N, C, \.\.\.\)"):
        fn.batch_norm(jnp.ones(3), None, None, training=True)
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d\(3, .*\): expected input of rank 4 with 3 channels in dim 1, got shape \(2, 3\)",
    ):
        fn.BatchNorm2d(3).apply({}, jnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"linear: expected weight of rank 2"):
        fn.linear(jnp.ones((2, 3)), jnp.ones(3))


def test_channels_not_matching_the_weight():
    with pytest.raises(
        ValueError,
        match=r"conv2d: expected input with 6 channels \(weight \(4, 3, 3, 3\), "
        r"groups=2\), got input of shape \(2, 3, 8, 8\)",
    ):
        fn.conv2d(X4, W, groups=2)
    with pytest.raises(ValueError, match=r"conv2d: expected input with 3 channels .* got input of shape \(5, 8, 8\)"):
        fn.conv2d(jnp.ones((5, 8, 8)), W)
    with pytest.raises(
        ValueError,
        match=r"linear: expected input with last dimension 4 \(weight \(3, 4\)\), got input of shape \(2, 5\)",
    ):
        fn.linear(jnp.ones((2, 5)), jnp.ones((3, 4)))
    with pytest.raises(ValueError, match=r"conv2d: expected bias of shape \(4,\), got \(3,\)"):
        fn.conv2d(X4, W, jnp.ones(3))


def test_layer_errors_name_the_layer_as_its_repr_shows_it():
    conv = fn.Conv2d(1, 6, 5)
    with pytest.raises(
        ValueError,
        match=r"^Conv2d\(1, 6, kernel_size=\(5, 5\), stride=\(1, 1\)\): expected input "
        r"of shape \(N, 1, H, W\) or \(1, H, W\), got \(4, 3, 32, 32\)$",
    ):
        conv.apply(conv.init(jax.random.key(0)), jnp.ones((4, 3, 32, 32)))
    lin = fn.Linear(400, 120)
    with pytest.raises(
        ValueError,
        match=r"^Linear\(in_features=400, out_features=120, bias=True\): expected input "
        r"with last dimension 400, got shape \(4, 256\)$",
    ):
        lin.apply(jax.eval_shape(lin.init, jax.random.key(0)), jnp.ones((4, 256)))


def test_kernel_larger_than_padded_input():
    with pytest.raises(
        ValueError,
        match=r"conv2d: padded input size 4 along spatial dim 0 is smaller than the \(dilated\) kernel size 5",
    ):
        fn.conv2d(jnp.ones((1, 3, 4, 9)), jnp.ones((2, 3, 5, 5)))
    with pytest.raises(ValueError, match=r"conv2d: .* kernel size 5; input shape \(1, 3, 6, 3\)"):
        fn.conv2d(jnp.ones((1, 3, 6, 3)), jnp.ones((2, 3, 3, 3)), dilation=2)
    with pytest.raises(
        ValueError,
        match=r"max_pool2d: kernel size 3 is larger than the padded input size 2; input shape \(1, 2, 2\)",
    ):
        fn.max_pool2d(jnp.ones((1, 2, 2)), 3)
    with pytest.raises(ValueError, match=r"avg_pool2d: kernel size 5 is larger than the padded input size 4"):
        fn.avg_pool2d(jnp.ones((1, 1, 2, 2)), 5, padding=1)


def test_pool_padding_larger_than_half_the_kernel():
    with pytest.raises(
        ValueError,
        match=r"max_pool2d: padding should be at most half of the kernel size, got padding=2 for kernel_size=3",
    ):
        fn.max_pool2d(jnp.ones((1, 1, 9, 9)), 3, padding=2, dilation=2)  # PyTorch rejects this too


def test_non_integer_labels():
    x = jnp.ones((4, 3))
    with pytest.raises(TypeError, match=r"nll_loss: expected integer class indices as target, got dtype float32"):
        fn.nll_loss(x, jnp.zeros(4))
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: a floating-point target holds class probabilities and must "
        r"have the input's shape \(4, 3\), got \(4,\); for class indices pass an integer target",
    ):
        fn.cross_entropy(x, jnp.zeros(4))
    with pytest.raises(
        TypeError,
        match=r"cross_entropy: expected integer class indices or float probabilities as target, got bool",
    ):
        fn.cross_entropy(x, jnp.zeros(4, bool))
    with pytest.raises(TypeError, match=r"embedding: expected integer indices, got dtype float32"):
        fn.embedding(jnp.zeros(3), jnp.ones((4, 2)))


def test_labels_out_of_range_outside_jit():
    x = jnp.ones((4, 3))
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: target 3 is out of bounds; expected class indices in \[0, 3\) or ignore_index=-100",
    ):
        fn.cross_entropy(x, np.array([0, 1, 3, 2]))
    with pytest.raises(ValueError, match=r"nll_loss: target -1 is out of bounds"):
        fn.nll_loss(x, jnp.array([0, -1, 1, 2]))
    fn.nll_loss(x, jnp.array([0, -1, 1, 2]), ignore_index=-1)  # an ignored label may lie outside
    with pytest.raises(
        ValueError,
        match=r"embedding: index out of range: expected indices in \[0, 4\), got min 0, max 4",
    ):
        fn.embedding(jnp.array([0, 4]), jnp.ones((4, 2)))
    # Labels closed over by a jitted function are concrete, so they are still checked
    # (regression: this raised a TracerBoolConversionError instead).
    labels = jnp.array([0, 1, 3, 2])
    with pytest.raises(ValueError, match=r"cross_entropy: target 3 is out of bounds"):
        jax.jit(lambda x: fn.cross_entropy(x, labels))(x)


@pytest.mark.parametrize(
    "loss", [fn.cross_entropy, fn.nll_loss, fn.mse_loss, fn.l1_loss, fn.binary_cross_entropy_with_logits]
)
def test_unknown_reduction(loss):
    target = jnp.zeros(4, jnp.int32) if loss in (fn.cross_entropy, fn.nll_loss) else jnp.zeros((4, 3))
    with pytest.raises(
        ValueError,
        match=rf"{loss.__name__}: reduction must be one of \('mean', 'sum', 'none'\), "
        r"got 'avg'",
    ):
        loss(jnp.ones((4, 3)), target, reduction="avg")


def test_padding_mode_errors():
    with pytest.raises(
        ValueError,
        match=r"conv2d: padding must be an int, a pair of ints, 'valid' or 'same', got 'full'",
    ):
        fn.conv2d(X4, W, padding="full")
    with pytest.raises(ValueError, match=r"Conv2d: padding must be an int, a pair, 'valid' or 'same', got 'full'"):
        fn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(
        ValueError,
        match=r"conv2d: padding='same' is not supported for strided convolutions, got stride=\(2, 2\)",
    ):
        fn.conv2d(X4, W, stride=2, padding="same")
    with pytest.raises(
        ValueError,
        match=r"Conv2d: padding='same' is not supported for strided convolutions, got stride=2",
    ):
        fn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(TypeError, match=r"conv2d: padding must be an int or a pair of ints, got \(1, 2, 3\)"):
        fn.conv2d(X4, W, padding=(1, 2, 3))
    with pytest.raises(ValueError, match=r"conv2d: padding must be >= 0, got -1"):
        fn.conv2d(X4, W, padding=-1)


@pytest.mark.parametrize(
    "build,match",
    [
        (lambda: fn.Linear(0, 3), r"Linear: in_features must be a positive int, got 0"),
        (lambda: fn.Linear(3, -2), r"Linear: out_features must be a positive int, got -2"),
        (lambda: fn.Conv2d(0, 3, 3), r"Conv2d: in_channels must be a positive int, got 0"),
        (lambda: fn.Conv2d(3, 3, 0), r"Conv2d: kernel_size must be >= 1, got 0"),
        (lambda: fn.Conv2d(3, 3, 3, stride=0), r"Conv2d: stride must be >= 1, got 0"),
        (
            lambda: fn.Conv2d(3, 4, 3, groups=2),
            r"Conv2d: in_channels \(3\) and out_channels \(4\) must be divisible by groups \(2\)",
        ),
        (lambda: fn.MaxPool2d(0), r"MaxPool2d: kernel_size must be >= 1, got 0"),
        (lambda: fn.MaxPool2d(2, stride=-1), r"MaxPool2d: stride must be >= 1, got -1"),
        (lambda: fn.AvgPool2d((2, -1)), r"AvgPool2d: kernel_size must be >= 1, got \(2, -1\)"),
        (lambda: fn.AvgPool2d(2, divisor_override=0), r"AvgPool2d: divisor_override must be a positive int, got 0"),
        (lambda: fn.AdaptiveAvgPool2d(0), r"AdaptiveAvgPool2d: output_size must be a positive int .* got 0"),
        (lambda: fn.BatchNorm2d(0), r"BatchNorm2d: num_features must be a positive int, got 0"),
        (lambda: fn.BatchNorm1d(-3), r"BatchNorm1d: num_features must be a positive int, got -3"),
        (lambda: fn.LayerNorm(0), r"LayerNorm: normalized_shape must be a positive int .* got 0"),
        (lambda: fn.Embedding(0, 3), r"Embedding: num_embeddings must be a positive int, got 0"),
        (lambda: fn.Embedding(5, 3, padding_idx=5), r"Embedding: padding_idx must be an int within \[-5, 5\), got 5"),
        (lambda: fn.Dropout(1.5), r"Dropout: p must be a probability in \[0, 1\], got 1.5"),
    ],
)
def test_bad_layer_constructor_arguments(build, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build()


def test_mse_loss_shape_mismatch():
    with pytest.raises(
        ValueError,
        match=r"mse_loss: input and target must have the same shape, got \(4, 1\) and \(4,\)",
    ):
        fn.mse_loss(jnp.ones((4, 1)), jnp.ones(4))


def test_dropout_errors():
    with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\], got -0.1"):
        fn.dropout(jnp.ones(3), -0.1, key=jax.random.key(0))
    with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\], got 1.5"):
        fn.dropout(jnp.ones(3), 1.5, training=False)
    with pytest.raises(ValueError, match=r"dropout: training=True with p=0.5 needs a PRNG key"):
        fn.dropout(jnp.ones(3), 0.5)
    with pytest.raises(ValueError, match=r"Dropout\(p=0.5, inplace=False\): training=True needs key="):
        fn.Dropout().apply({}, jnp.ones(3))


def test_int_input_to_float_ops():
    with pytest.raises(TypeError, match=r"conv2d: expected a floating-point input, got dtype int32"):
        fn.conv2d(jnp.ones((2, 3, 8, 8), jnp.int32), W)
    with pytest.raises(
        TypeError,
        match=r"conv2d: input and weight must have the same dtype, got float32 and bfloat16",
    ):
        fn.conv2d(X4, W.astype(jnp.bfloat16))
    with pytest.raises(TypeError, match=r"linear: expected a floating-point input, got dtype int32"):
        fn.linear(jnp.ones((2, 3), jnp.int32), jnp.ones((2, 3)))
    with pytest.raises(TypeError, match=r"avg_pool2d: expected a floating-point input, got dtype int32"):
        fn.avg_pool2d(jnp.ones((1, 1, 4, 4), jnp.int32), 2)
    with pytest.raises(TypeError, match=r"conv2d: input must be an array, got str"):
        fn.conv2d("image", W)


def test_other_argument_errors():
    with pytest.raises(ValueError, match=r"softmax: dim 2 is out of range for a tensor of rank 2"):
        fn.softmax(jnp.ones((2, 3)), dim=2)
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh', got 'fast'"):
        fn.gelu(jnp.ones(3), approximate="fast")
    with pytest.raises(
        ValueError,
        match=r"batch_norm: expected more than 1 value per channel when training, got input \(1, 3\)",
    ):
        fn.batch_norm(jnp.ones((1, 3)), jnp.zeros(3), jnp.ones(3), training=True)
    with pytest.raises(
        ValueError,
        match=r"batch_norm: expected running_mean of shape \(3,\) for input \(2, 3\), got \(4,\)",
    ):
        fn.batch_norm(jnp.ones((2, 3)), jnp.zeros(4), jnp.ones(3))
    with pytest.raises(ValueError, match=r"layer_norm: expected input with trailing shape \(4,\), got \(2, 3\)"):
        fn.layer_norm(jnp.ones((2, 3)), 4)
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be a probability in \[0, 1\], got 2"):
        fn.cross_entropy(jnp.ones((2, 3)), jnp.zeros(2, jnp.int32), label_smoothing=2)
    with pytest.raises(ValueError, match=r"cross_entropy: expected weight of shape \(3,\), got \(2,\)"):
        fn.cross_entropy(jnp.ones((2, 3)), jnp.zeros(2, jnp.int32), weight=jnp.ones(2))
    with pytest.raises(
        ValueError,
        match=r"nll_loss: expected target of shape \(2,\) for input of shape \(2, 3\), got \(3,\)",
    ):
        fn.nll_loss(jnp.ones((2, 3)), jnp.zeros(3, jnp.int32))
    with pytest.raises(ValueError, match=r"flatten: start_dim \(2\) must not come after end_dim \(1\)"):
        fn.flatten(jnp.ones((2, 3, 4)), 2, 1)
    with pytest.raises(ValueError, match=r"Sequential: child names must be unique, got \['a', 'a'\]"):
        fn.Sequential(("a", fn.ReLU()), ("a", fn.Tanh()))
    with pytest.raises(TypeError, match=r"Sequential: child '0' must be a functional Layer, got function"):
        fn.Sequential(lambda x: x)
