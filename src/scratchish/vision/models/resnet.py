"""ResNet (He et al. 2015), ResNeXt and Wide ResNet, as torchvision builds them: the same
layers under the same names, so torchvision's pretrained weights (and any state_dict saved
from torchvision's ResNet) load into these unchanged.

    conv1 (7x7, stride 2) - bn1 - relu - maxpool (3x3, stride 2)
    layer1 .. layer4: blocks; the first block of layers 2-4 halves the size (stride 2) and
        its `downsample` (1x1 conv + BatchNorm) makes the shortcut match
    avgpool (to 1x1) - flatten - fc

A block adds its input back to its output (the shortcut): out = relu(F(x) + x). BasicBlock's
F is two 3x3 convolutions (ResNet-18, -34); Bottleneck's is 1x1 (narrow) - 3x3 - 1x1 (wide,
4x), cheaper for deep networks (ResNet-50 and up), and where the 3x3 is grouped it is a
ResNeXt. The 3x3 carries the stride, as torchvision's ("ResNet v1.5").
"""

from __future__ import annotations

from ... import nn
from ...errors import ArgumentError
from ._api import build, imagenet_weights, legacy_pretrained, register_model

__all__ = ["BasicBlock", "Bottleneck", "ResNet"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation=1):
    """3x3 convolution keeping the size (at stride 1), without bias: BatchNorm follows."""
    return nn.Conv2d(
        in_planes,
        out_planes,
        3,
        stride,
        padding=dilation,
        groups=groups,
        bias=False,
        dilation=dilation,
    )


def conv1x1(in_planes: int, out_planes: int, stride: int = 1):
    """1x1 convolution: mixes channels at each pixel."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""

    expansion = 1

    def __init__(
        self,
        inplanes,
        planes,
        stride=1,
        downsample=None,
        groups=1,
        base_width=64,
        dilation=1,
        norm_layer=None,
    ):
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ArgumentError("BasicBlock takes groups=1 and base_width=64 only (torchvision's).")
        if dilation > 1:
            raise ArgumentError("BasicBlock does not take dilation > 1 (torchvision's neither).")
        norm_layer = norm_layer or nn.BatchNorm2d
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """out = relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)): 1x1 down
    to `width` channels, 3x3 (grouped for ResNeXt, strided), 1x1 up to planes * 4."""

    expansion = 4

    def __init__(
        self,
        inplanes,
        planes,
        stride=1,
        downsample=None,
        groups=1,
        base_width=64,
        dilation=1,
        norm_layer=None,
    ):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A ResNet of `block`s, `layers` = the number of blocks in each of the four stages.

    Args:
        block: BasicBlock or Bottleneck.
        layers: four numbers, e.g. [2, 2, 2, 2] for ResNet-18.
        num_classes: outputs of the last layer `fc`.
        zero_init_residual: start each block's last BatchNorm at weight 0, so each block
            begins as the identity (trains better in some recipes).
        groups, width_per_group: ResNeXt's grouped 3x3 convolutions and their width.
        replace_stride_with_dilation: three bools: dilate instead of striding in layers 2-4.
        norm_layer: the normalization layer (default nn.BatchNorm2d).
    """

    def __init__(
        self,
        block,
        layers,
        num_classes=1000,
        zero_init_residual=False,
        groups=1,
        width_per_group=64,
        replace_stride_with_dilation=None,
        norm_layer=None,
    ):
        super().__init__()
        if len(layers) != 4:
            raise ArgumentError(f"ResNet: layers should give 4 stages' block counts, got {layers}.")
        self._norm_layer = norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes, self.dilation = 64, 1
        dilate = replace_stride_with_dilation or [False, False, False]
        if len(dilate) != 3:
            raise ArgumentError(
                f"replace_stride_with_dilation should be None or 3 bools, got {dilate}."
            )
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=dilate[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=dilate[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=dilate[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():  # torchvision's initialization; fc keeps Linear's default
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():  # each block's last BatchNorm
                if isinstance(m, Bottleneck):
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer, downsample, previous_dilation = self._norm_layer, None, self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [
            block(
                self.inplanes,
                planes,
                stride,
                downsample,
                self.groups,
                self.base_width,
                previous_dilation,
                norm_layer,
            )
        ]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(
                block(
                    self.inplanes,
                    planes,
                    groups=self.groups,
                    base_width=self.base_width,
                    dilation=self.dilation,
                    norm_layer=norm_layer,
                )
            )
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _meta(num_params):
    return {"num_params": num_params, "min_size": (1, 1)}


# the file names carry the start of each file's SHA-256; V2 (where there is one) is the better
# recipe of 2021 and is evaluated at resize 232
ResNet18_Weights = imagenet_weights(
    "ResNet18_Weights", _meta(11689512), ("resnet18-f37072fd.pth", 256)
)
ResNet34_Weights = imagenet_weights(
    "ResNet34_Weights", _meta(21797672), ("resnet34-b627a593.pth", 256)
)
ResNet50_Weights = imagenet_weights(
    "ResNet50_Weights",
    _meta(25557032),
    ("resnet50-0676ba61.pth", 256),
    ("resnet50-11ad3fa6.pth", 232),
)
ResNet101_Weights = imagenet_weights(
    "ResNet101_Weights",
    _meta(44549160),
    ("resnet101-63fe2227.pth", 256),
    ("resnet101-cd907fc2.pth", 232),
)
ResNet152_Weights = imagenet_weights(
    "ResNet152_Weights",
    _meta(60192808),
    ("resnet152-394f9c45.pth", 256),
    ("resnet152-f82ba261.pth", 232),
)
ResNeXt50_32X4D_Weights = imagenet_weights(
    "ResNeXt50_32X4D_Weights",
    _meta(25028904),
    ("resnext50_32x4d-7cdf4587.pth", 256),
    ("resnext50_32x4d-1a0047aa.pth", 232),
)
ResNeXt101_32X8D_Weights = imagenet_weights(
    "ResNeXt101_32X8D_Weights",
    _meta(88791336),
    ("resnext101_32x8d-8ba56ff5.pth", 256),
    ("resnext101_32x8d-110c445d.pth", 232),
)
ResNeXt101_64X4D_Weights = imagenet_weights(
    "ResNeXt101_64X4D_Weights", _meta(83455272), ("resnext101_64x4d-173b62eb.pth", 232)
)
Wide_ResNet50_2_Weights = imagenet_weights(
    "Wide_ResNet50_2_Weights",
    _meta(68883240),
    ("wide_resnet50_2-95faca4d.pth", 256),
    ("wide_resnet50_2-9ba9bcbe.pth", 232),
)
Wide_ResNet101_2_Weights = imagenet_weights(
    "Wide_ResNet101_2_Weights",
    _meta(126886696),
    ("wide_resnet101_2-32ee1156.pth", 256),
    ("wide_resnet101_2-d733dc28.pth", 232),
)


def _resnet(weights_enum, block, layers, weights, progress, kwargs, **config):
    weights = legacy_pretrained(weights_enum, weights, kwargs)
    return build(ResNet, weights, progress, kwargs, block=block, layers=layers, **config)


@register_model(ResNet18_Weights)
def resnet18(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-18: BasicBlocks [2, 2, 2, 2], 11.7 M parameters. `weights`: None (random, the
    default), ResNet18_Weights.DEFAULT or "DEFAULT" (ImageNet, downloaded once, 45 MB)."""
    return _resnet(ResNet18_Weights, BasicBlock, [2, 2, 2, 2], weights, progress, kwargs)


@register_model(ResNet34_Weights)
def resnet34(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-34: BasicBlocks [3, 4, 6, 3], 21.8 M parameters."""
    return _resnet(ResNet34_Weights, BasicBlock, [3, 4, 6, 3], weights, progress, kwargs)


@register_model(ResNet50_Weights)
def resnet50(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-50: Bottlenecks [3, 4, 6, 3], 25.6 M parameters."""
    return _resnet(ResNet50_Weights, Bottleneck, [3, 4, 6, 3], weights, progress, kwargs)


@register_model(ResNet101_Weights)
def resnet101(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-101: Bottlenecks [3, 4, 23, 3], 44.5 M parameters."""
    return _resnet(ResNet101_Weights, Bottleneck, [3, 4, 23, 3], weights, progress, kwargs)


@register_model(ResNet152_Weights)
def resnet152(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNet-152: Bottlenecks [3, 8, 36, 3], 60.2 M parameters."""
    return _resnet(ResNet152_Weights, Bottleneck, [3, 8, 36, 3], weights, progress, kwargs)


@register_model(ResNeXt50_32X4D_Weights)
def resnext50_32x4d(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNeXt-50 32x4d: ResNet-50 with 3x3 convolutions in 32 groups of width 4."""
    return _resnet(
        ResNeXt50_32X4D_Weights,
        Bottleneck,
        [3, 4, 6, 3],
        weights,
        progress,
        kwargs,
        groups=32,
        width_per_group=4,
    )


@register_model(ResNeXt101_32X8D_Weights)
def resnext101_32x8d(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNeXt-101 32x8d: ResNet-101 with 3x3 convolutions in 32 groups of width 8."""
    return _resnet(
        ResNeXt101_32X8D_Weights,
        Bottleneck,
        [3, 4, 23, 3],
        weights,
        progress,
        kwargs,
        groups=32,
        width_per_group=8,
    )


@register_model(ResNeXt101_64X4D_Weights)
def resnext101_64x4d(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """ResNeXt-101 64x4d: ResNet-101 with 3x3 convolutions in 64 groups of width 4."""
    return _resnet(
        ResNeXt101_64X4D_Weights,
        Bottleneck,
        [3, 4, 23, 3],
        weights,
        progress,
        kwargs,
        groups=64,
        width_per_group=4,
    )


@register_model(Wide_ResNet50_2_Weights)
def wide_resnet50_2(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """Wide ResNet-50-2: ResNet-50 with bottlenecks twice as wide."""
    return _resnet(
        Wide_ResNet50_2_Weights,
        Bottleneck,
        [3, 4, 6, 3],
        weights,
        progress,
        kwargs,
        width_per_group=128,
    )


@register_model(Wide_ResNet101_2_Weights)
def wide_resnet101_2(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
    """Wide ResNet-101-2: ResNet-101 with bottlenecks twice as wide."""
    return _resnet(
        Wide_ResNet101_2_Weights,
        Bottleneck,
        [3, 4, 23, 3],
        weights,
        progress,
        kwargs,
        width_per_group=128,
    )
