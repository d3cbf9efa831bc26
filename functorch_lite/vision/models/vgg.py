"""torchvision's VGG-11 with batch normalisation (Simonyan & Zisserman 2015)."""

from __future__ import annotations

from typing import Any

from functorch_lite.vision.models._builders import builder
from functorch_lite.vision.models.resnet import _no_weights

_VGG11 = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


def vgg11_bn(*, weights: Any = None, progress: bool = True, pure: bool = False, num_classes: int = 1000) -> Any:
    """VGG-11-BN with torchvision's `features.N` / `classifier.N` keys; `pure=True` gives the functional Layer."""
    _no_weights("vgg11_bn", weights)
    b = builder(pure)
    features, cin = [], 3
    for item in _VGG11:
        if item == "M":
            features.append(b.maxpool(2, 2))
        else:
            features += [b.conv(cin, item, 3, 1, 1, bias=True), b.bn(item), b.relu()]
            cin = item
    classifier = [
        b.linear(512 * 7 * 7, 4096),
        b.relu(),
        b.dropout(0.5),
        b.linear(4096, 4096),
        b.relu(),
        b.dropout(0.5),
        b.linear(4096, num_classes),
    ]
    return b.seq(
        [
            ("features", b.seq([(str(i), layer) for i, layer in enumerate(features)])),
            ("avgpool", b.avgpool((7, 7))),
            ("flatten", b.flatten()),
            ("classifier", b.seq([(str(i), layer) for i, layer in enumerate(classifier)])),
        ],
        kind="VGG",
    )
