"""torchvision's MobileNetV2 (Sandler et al. 2018): inverted residuals with linear bottlenecks."""

from __future__ import annotations

from typing import Any

from functorch_lite.vision.models._builders import builder
from functorch_lite.vision.models.resnet import _no_weights

# (expansion t, output channels c, repeats n, first stride s), the paper's Table 2.
_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def _conv_bn_relu6(b: Any, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> Any:
    """torchvision's Conv2dNormActivation: keys `0` (conv), `1` (bn)."""
    conv = b.conv(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups)
    return b.seq([("0", conv), ("1", b.bn(cout)), ("2", b.relu6())], kind="Conv2dNormActivation")


def _inverted_residual(b: Any, cin: int, cout: int, stride: int, expansion: int) -> Any:
    hidden = cin * expansion
    layers = [] if expansion == 1 else [_conv_bn_relu6(b, cin, hidden, 1)]
    layers += [_conv_bn_relu6(b, hidden, hidden, 3, stride, groups=hidden), b.conv(hidden, cout, 1), b.bn(cout)]
    conv = ("conv", b.seq([(str(i), layer) for i, layer in enumerate(layers)]))
    if stride == 1 and cin == cout:
        return b.residual([conv], kind="InvertedResidual")
    return b.seq([conv], kind="InvertedResidual")


def mobilenet_v2(
    *, weights: Any = None, progress: bool = True, pure: bool = False, num_classes: int = 1000, dropout: float = 0.2
) -> Any:
    """MobileNetV2 (width 1.0) with torchvision's `features.N.conv.M` keys; `pure=True` gives the functional Layer."""
    _no_weights("mobilenet_v2", weights)
    b = builder(pure)
    features = [_conv_bn_relu6(b, 3, 32, 3, 2)]
    cin = 32
    for expansion, cout, repeats, first_stride in _SETTINGS:
        for index in range(repeats):
            features.append(_inverted_residual(b, cin, cout, first_stride if index == 0 else 1, expansion))
            cin = cout
    features.append(_conv_bn_relu6(b, cin, 1280, 1))
    return b.seq(
        [
            ("features", b.seq([(str(i), layer) for i, layer in enumerate(features)])),
            ("pool", b.avgpool((1, 1))),
            ("flatten", b.flatten()),
            ("classifier", b.seq([("0", b.dropout(dropout)), ("1", b.linear(1280, num_classes))])),
        ],
        kind="MobileNetV2",
    )
