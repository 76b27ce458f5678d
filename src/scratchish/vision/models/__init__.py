"""scratchish.vision.models: torchvision's classic image classifiers, built from scratchish's
nn layers under torchvision's names, so that `torchvision.models.resnet18()` runs unchanged
and torchvision's pretrained ImageNet weights (PyTorch .pth files) load into them.

    model = models.resnet18(weights=None, num_classes=10)        # to train from scratch
    weights = models.ResNet18_Weights.DEFAULT
    model = models.resnet18(weights=weights).eval()              # downloads 45 MB once
    batch = weights.transforms()(img).unsqueeze(0)

Here: ResNet (18, 34, 50, 101, 152), ResNeXt, Wide ResNet, VGG (11-19, with or without
BatchNorm), AlexNet and MobileNetV2; get_model, list_models, get_model_weights, get_weight.
Not here: the other architectures, and detection, segmentation, video and quantized models.
Read next: resnet.py.
"""

from ... import compat
from ._api import (
    Weights,
    WeightsEnum,
    get_model,
    get_model_builder,
    get_model_weights,
    get_weight,
    list_models,
)
from .alexnet import AlexNet, AlexNet_Weights, alexnet
from .mobilenetv2 import MobileNet_V2_Weights, MobileNetV2, mobilenet_v2
from .resnet import (
    ResNet,
    ResNet18_Weights,
    ResNet34_Weights,
    ResNet50_Weights,
    ResNet101_Weights,
    ResNet152_Weights,
    ResNeXt50_32X4D_Weights,
    ResNeXt101_32X8D_Weights,
    ResNeXt101_64X4D_Weights,
    Wide_ResNet50_2_Weights,
    Wide_ResNet101_2_Weights,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50_32x4d,
    resnext101_32x8d,
    resnext101_64x4d,
    wide_resnet50_2,
    wide_resnet101_2,
)
from .vgg import (
    VGG,
    VGG11_BN_Weights,
    VGG11_Weights,
    VGG13_BN_Weights,
    VGG13_Weights,
    VGG16_BN_Weights,
    VGG16_Weights,
    VGG19_BN_Weights,
    VGG19_Weights,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)


def __getattr__(name: str):
    return compat.unsupported_attribute("torchvision.models", name)
