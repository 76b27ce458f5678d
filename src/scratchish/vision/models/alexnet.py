"""AlexNet (Krizhevsky et al. 2012, in the "one weird trick" form torchvision builds, names
and all, so its pretrained weights load): five convolutions with ReLU and three max pools in
`features`, `avgpool` to 6x6, three Linear layers with Dropout in `classifier`.
"""

from __future__ import annotations

from ... import nn
from ._api import build, imagenet_weights, legacy_pretrained, register_model

__all__ = ["AlexNet"]


class AlexNet(nn.Module):
    """features -> avgpool (6x6) -> flatten -> classifier (61.1 M parameters)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


AlexNet_Weights = imagenet_weights(
    "AlexNet_Weights",
    {"num_params": 61100840, "min_size": (63, 63)},
    ("alexnet-owt-7be5be79.pth", 256),
)


@register_model(AlexNet_Weights)
def alexnet(*, weights=None, progress: bool = True, **kwargs) -> AlexNet:
    """AlexNet. `weights`: None (random) or AlexNet_Weights.DEFAULT (ImageNet, 233 MB)."""
    weights = legacy_pretrained(AlexNet_Weights, weights, kwargs)
    return build(AlexNet, weights, progress, kwargs)
