"""VGG (Simonyan & Zisserman 2014) as torchvision builds it, names and all, so its pretrained
weights load: `features` (3x3 convolutions, each followed by ReLU, and BatchNorm between in
the _bn variants; a 2x2 max pool at each "M"), `avgpool` (to 7x7), `classifier` (three
Linear layers with ReLU and Dropout). 133-144 M parameters, most of them in the classifier's
first layer: a model to learn from and to fine-tune, slow to train on a CPU.
"""

from __future__ import annotations

from ... import nn
from ._api import build, imagenet_weights, legacy_pretrained, register_model

__all__ = ["VGG"]

# channels of each 3x3 convolution, "M" a max pool: VGG-11 (A), -13 (B), -16 (D), -19 (E)
CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M"] + [256] * 4 + ["M"] + ([512] * 4 + ["M"]) * 2,
}


def make_layers(cfg: list, batch_norm: bool = False) -> nn.Sequential:
    """VGG's `features` from a list of channels and "M"s."""
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """features -> avgpool (7x7) -> flatten -> classifier. `init_weights`: torchvision's
    initialization (Kaiming for the convolutions, N(0, 0.01) for the Linear layers)."""

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _meta(num_params):
    return {"num_params": num_params, "min_size": (32, 32)}


VGG11_Weights = imagenet_weights("VGG11_Weights", _meta(132863336), ("vgg11-8a719046.pth", 256))
VGG11_BN_Weights = imagenet_weights(
    "VGG11_BN_Weights", _meta(132868840), ("vgg11_bn-6002323d.pth", 256)
)
VGG13_Weights = imagenet_weights("VGG13_Weights", _meta(133047848), ("vgg13-19584684.pth", 256))
VGG13_BN_Weights = imagenet_weights(
    "VGG13_BN_Weights", _meta(133053736), ("vgg13_bn-abd245e5.pth", 256)
)
VGG16_Weights = imagenet_weights("VGG16_Weights", _meta(138357544), ("vgg16-397923af.pth", 256))
VGG16_BN_Weights = imagenet_weights(
    "VGG16_BN_Weights", _meta(138365992), ("vgg16_bn-6c64b313.pth", 256)
)
VGG19_Weights = imagenet_weights("VGG19_Weights", _meta(143667240), ("vgg19-dcbb9e9d.pth", 256))
VGG19_BN_Weights = imagenet_weights(
    "VGG19_BN_Weights", _meta(143678248), ("vgg19_bn-c79401a0.pth", 256)
)


def _vgg(weights_enum, cfg, batch_norm, weights, progress, kwargs):
    weights = legacy_pretrained(weights_enum, weights, kwargs)
    if weights is not None:
        kwargs["init_weights"] = False  # the weights replace it
    return build(VGG, weights, progress, kwargs, features=make_layers(CFGS[cfg], batch_norm))


@register_model(VGG11_Weights)
def vgg11(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-11 (configuration A)."""
    return _vgg(VGG11_Weights, "A", False, weights, progress, kwargs)


@register_model(VGG11_BN_Weights)
def vgg11_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-11 with BatchNorm after each convolution."""
    return _vgg(VGG11_BN_Weights, "A", True, weights, progress, kwargs)


@register_model(VGG13_Weights)
def vgg13(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-13 (configuration B)."""
    return _vgg(VGG13_Weights, "B", False, weights, progress, kwargs)


@register_model(VGG13_BN_Weights)
def vgg13_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-13 with BatchNorm after each convolution."""
    return _vgg(VGG13_BN_Weights, "B", True, weights, progress, kwargs)


@register_model(VGG16_Weights)
def vgg16(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-16 (configuration D)."""
    return _vgg(VGG16_Weights, "D", False, weights, progress, kwargs)


@register_model(VGG16_BN_Weights)
def vgg16_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-16 with BatchNorm after each convolution."""
    return _vgg(VGG16_BN_Weights, "D", True, weights, progress, kwargs)


@register_model(VGG19_Weights)
def vgg19(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-19 (configuration E)."""
    return _vgg(VGG19_Weights, "E", False, weights, progress, kwargs)


@register_model(VGG19_BN_Weights)
def vgg19_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-19 with BatchNorm after each convolution."""
    return _vgg(VGG19_BN_Weights, "E", True, weights, progress, kwargs)
