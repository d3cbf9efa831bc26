"""torchvision's ResNets (He et al. 2016, ImageNet variant) and the CIFAR ResNet-20/32/44/56.

Architectures, layer names and `state_dict` keys are torchvision's (`conv1`,
`layer1.0.bn2`, `layer2.0.downsample.0`, `fc`); the downsampling stride sits on the
3x3 convolution of a bottleneck (torchvision's "ResNet v1.5").
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from functorch_lite.vision.models._builders import builder


def _basic_block(b: Any, cin: int, cout: int, stride: int) -> Any:
    named = [
        ("conv1", b.conv(cin, cout, 3, stride, 1)),
        ("bn1", b.bn(cout)),
        ("relu", b.relu()),
        ("conv2", b.conv(cout, cout, 3, 1, 1)),
        ("bn2", b.bn(cout)),
    ]
    return b.residual(named, _downsample(b, cin, cout, stride), after="relu", kind="BasicBlock")


def _bottleneck(b: Any, cin: int, planes: int, stride: int) -> Any:
    cout = planes * 4
    named = [
        ("conv1", b.conv(cin, planes, 1)),
        ("bn1", b.bn(planes)),
        ("relu", b.relu()),
        ("conv2", b.conv(planes, planes, 3, stride, 1)),
        ("bn2", b.bn(planes)),
        ("relu", None),
        ("conv3", b.conv(planes, cout, 1)),
        ("bn3", b.bn(cout)),
    ]
    named[5] = ("relu", named[2][1])
    return b.residual(named, _downsample(b, cin, cout, stride), after="relu", kind="Bottleneck")


def _downsample(b: Any, cin: int, cout: int, stride: int) -> tuple[str, Any] | None:
    if stride == 1 and cin == cout:
        return None
    return "downsample", b.seq([("0", b.conv(cin, cout, 1, stride)), ("1", b.bn(cout))])


def _resnet(pure: bool, bottleneck: bool, blocks: tuple[int, ...], num_classes: int) -> Any:
    b = builder(pure)
    expansion = 4 if bottleneck else 1
    block = _bottleneck if bottleneck else _basic_block
    named = [
        ("conv1", b.conv(3, 64, 7, 2, 3)),
        ("bn1", b.bn(64)),
        ("relu", b.relu()),
        ("maxpool", b.maxpool(3, 2, 1)),
    ]
    cin = 64
    for stage, (planes, count) in enumerate(zip((64, 128, 256, 512), blocks), start=1):
        layers = []
        for index in range(count):
            stride = 2 if stage > 1 and index == 0 else 1
            layers.append((str(index), block(b, cin, planes, stride)))
            cin = planes * expansion
        named.append((f"layer{stage}", b.seq(layers)))
    named += [("avgpool", b.avgpool((1, 1))), ("flatten", b.flatten()), ("fc", b.linear(512 * expansion, num_classes))]
    return b.seq(named, kind="ResNet")


def resnet18(*, weights: Any = None, progress: bool = True, pure: bool = False, num_classes: int = 1000) -> Any:
    """ResNet-18 (torchvision's layout); `pure=True` gives the functional Layer."""
    _no_weights("resnet18", weights)
    return _resnet(pure, False, (2, 2, 2, 2), num_classes)


def resnet34(*, weights: Any = None, progress: bool = True, pure: bool = False, num_classes: int = 1000) -> Any:
    """ResNet-34 (torchvision's layout); `pure=True` gives the functional Layer."""
    _no_weights("resnet34", weights)
    return _resnet(pure, False, (3, 4, 6, 3), num_classes)


def resnet50(*, weights: Any = None, progress: bool = True, pure: bool = False, num_classes: int = 1000) -> Any:
    """ResNet-50 (torchvision's layout, stride on the 3x3 conv); `pure=True` gives the functional Layer."""
    _no_weights("resnet50", weights)
    return _resnet(pure, True, (3, 4, 6, 3), num_classes)


def _no_weights(name: str, weights: Any) -> None:
    if weights is not None:
        raise ValueError(
            f"{name}: weights={weights!r} cannot be downloaded (functorch_lite downloads nothing); build the "
            f"model with weights=None and load a torchvision checkpoint file: "
            f"model.load_state_dict(functorch_lite.load('{name}.pth'))"
        )


def _option_a_shortcut(cout: int):
    """He et al.'s option A: subsample by 2 and zero-pad the new channels (no parameters)."""

    def shortcut(x):
        x = x[:, :, ::2, ::2]
        extra = cout - x.shape[1]
        return jnp.pad(x, ((0, 0), (extra // 2, extra - extra // 2), (0, 0), (0, 0)))

    return shortcut


def _cifar_block(b: Any, cin: int, cout: int, stride: int) -> Any:
    named = [
        ("conv1", b.conv(cin, cout, 3, stride, 1)),
        ("bn1", b.bn(cout)),
        ("relu", b.relu()),
        ("conv2", b.conv(cout, cout, 3, 1, 1)),
        ("bn2", b.bn(cout)),
    ]
    shortcut = None
    if stride != 1 or cin != cout:
        shortcut = ("shortcut", b.function(_option_a_shortcut(cout), f"OptionA(out_channels={cout})"))
    return b.residual(named, shortcut, after="relu", kind="BasicBlock")


def cifar_resnet(depth: int = 20, *, num_classes: int = 10, in_channels: int = 3, pure: bool = False) -> Any:
    """He et al. 2016's CIFAR ResNet (depth 6n+2: 20, 32, 44, 56, 110) with option-A shortcuts.

    Three stages of n basic blocks with 16, 32, 64 channels on 32x32 inputs; the
    stride-2 blocks use the parameter-free option-A shortcut (subsample, zero-pad
    channels), so ResNet-20 has the paper's 0.27M parameters.
    """
    if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"cifar_resnet: depth must be 6n+2 (20, 32, 44, 56, 110), got {depth!r}")
    b = builder(pure)
    count = (depth - 2) // 6
    named = [("conv1", b.conv(in_channels, 16, 3, 1, 1)), ("bn1", b.bn(16)), ("relu", b.relu())]
    cin = 16
    for stage, planes in enumerate((16, 32, 64), start=1):
        blocks = []
        for index in range(count):
            stride = 2 if stage > 1 and index == 0 else 1
            blocks.append((str(index), _cifar_block(b, cin, planes, stride)))
            cin = planes
        named.append((f"layer{stage}", b.seq(blocks)))
    named += [("avgpool", b.avgpool((1, 1))), ("flatten", b.flatten()), ("fc", b.linear(64, num_classes))]
    return b.seq(named, kind="CifarResNet")


def resnet20(*, num_classes: int = 10, in_channels: int = 3, pure: bool = False) -> Any:
    """The CIFAR ResNet-20 (0.27M parameters); `pure=True` gives the functional Layer."""
    return cifar_resnet(20, num_classes=num_classes, in_channels=in_channels, pure=pure)
