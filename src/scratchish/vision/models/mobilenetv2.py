"""MobileNetV2 (Sandler et al. 2018) as torchvision builds it, names and all, so its
pretrained weights load. Each inverted residual block widens its input t times with a 1x1
convolution, filters each channel alone with a 3x3 depthwise convolution (groups = channels),
then narrows back with a 1x1 convolution and no activation ("linear bottleneck"); where the
shape allows, the input is added back. 3.5 M parameters: small enough to fine-tune on a CPU.
"""

from __future__ import annotations

from ... import nn
from ...errors import ArgumentError
from ._api import build, imagenet_weights, legacy_pretrained, register_model

__all__ = ["InvertedResidual", "MobileNetV2"]


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """v rounded to the nearest multiple of divisor, at least min_value (default divisor)
    and not below 90% of v."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class Conv2dNormActivation(nn.Sequential):
    """Conv2d (padding keeping the size at stride 1, no bias) - BatchNorm2d - activation,
    as torchvision.ops.Conv2dNormActivation (its children are named 0, 1, 2)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        groups=1,
        norm_layer=None,
        activation_layer=nn.ReLU6,
    ):
        norm_layer = norm_layer or nn.BatchNorm2d
        padding = (kernel_size - 1) // 2
        layers = [
            nn.Conv2d(
                in_channels, out_channels, kernel_size, stride, padding, groups=groups, bias=False
            ),
            norm_layer(out_channels),
        ]
        if activation_layer is not None:
            layers.append(activation_layer(inplace=True))
        super().__init__(*layers)
        self.out_channels = out_channels


class InvertedResidual(nn.Module):
    """1x1 expand (if expand_ratio > 1) - 3x3 depthwise (strided) - 1x1 project, in `conv`;
    out = x + conv(x) when stride is 1 and the channels match, else conv(x)."""

    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=None):
        super().__init__()
        if stride not in (1, 2):
            raise ArgumentError(f"InvertedResidual: stride should be 1 or 2, got {stride}.")
        norm_layer = norm_layer or nn.BatchNorm2d
        self.stride = stride
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, 1, norm_layer=norm_layer))
        layers += [
            Conv2dNormActivation(
                hidden_dim, hidden_dim, 3, stride, groups=hidden_dim, norm_layer=norm_layer
            ),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2: `features` (a strided 3x3 stem, the inverted residual blocks, a 1x1 to
    1280 channels), global average pooling, `classifier` (Dropout, Linear).

    Args:
        num_classes: outputs.
        width_mult: scales every layer's channels (0.5 for half the width).
        inverted_residual_setting: rows [t, c, n, s]: expansion, channels, blocks, stride of
            the first block.
        round_nearest: channels are rounded to a multiple of this.
        dropout: the classifier's dropout probability.
    """

    def __init__(
        self,
        num_classes=1000,
        width_mult=1.0,
        inverted_residual_setting=None,
        round_nearest=8,
        block=None,
        norm_layer=None,
        dropout=0.2,
    ):
        super().__init__()
        block = block or InvertedResidual
        norm_layer = norm_layer or nn.BatchNorm2d
        setting = inverted_residual_setting or [
            [1, 16, 1, 1],
            [6, 24, 2, 2],
            [6, 32, 3, 2],
            [6, 64, 4, 2],
            [6, 96, 3, 1],
            [6, 160, 3, 2],
            [6, 320, 1, 1],
        ]
        if any(len(row) != 4 for row in setting):
            raise ArgumentError(
                f"inverted_residual_setting should be rows of 4 numbers [t, c, n, s], got "
                f"{setting}."
            )
        input_channel = _make_divisible(32 * width_mult, round_nearest)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer)]
        for t, c, n, s in setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride = s if i == 0 else 1
                features.append(block(input_channel, output_channel, stride, t, norm_layer))
                input_channel = output_channel
        features.append(
            Conv2dNormActivation(input_channel, self.last_channel, 1, norm_layer=norm_layer)
        )
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes)
        )
        for m in self.modules():  # torchvision's initialization
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(x.flatten(1))


MobileNet_V2_Weights = imagenet_weights(
    "MobileNet_V2_Weights",
    {"num_params": 3504872, "min_size": (1, 1)},
    ("mobilenet_v2-b0353104.pth", 256),
    ("mobilenet_v2-7ebf99e0.pth", 232),
)


@register_model(MobileNet_V2_Weights)
def mobilenet_v2(*, weights=None, progress: bool = True, **kwargs) -> MobileNetV2:
    """MobileNetV2. `weights`: None (random) or MobileNet_V2_Weights.DEFAULT (ImageNet, 14 MB)."""
    weights = legacy_pretrained(MobileNet_V2_Weights, weights, kwargs)
    return build(MobileNetV2, weights, progress, kwargs)
