"""torchvision.models' architectures with torchvision's `state_dict` keys, in two faces.

`resnet18()` etc. build `nn.Module`s (load a torchvision checkpoint with
`model.load_state_dict(functorch_lite.load(path))`, no torch needed);
`resnet18(pure=True)` builds the pure `functional.Layer` with the same keys
(`params, state = functional.load_state_dict(layer, functorch_lite.load(path))`).
Nothing is downloaded: `weights=` other than None raises. `resnet20` is the
CIFAR ResNet of He et al. 2016 (option-A shortcuts). Fresh weights use each layer's
PyTorch default initialisation, not torchvision's kaiming-normal re-initialisation.
"""

from functorch_lite.vision.models.mobilenet import mobilenet_v2
from functorch_lite.vision.models.resnet import cifar_resnet, resnet18, resnet20, resnet34, resnet50
from functorch_lite.vision.models.vgg import vgg11_bn

__all__ = ["cifar_resnet", "mobilenet_v2", "resnet18", "resnet20", "resnet34", "resnet50", "vgg11_bn"]
