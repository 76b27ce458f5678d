"""The preprocessing a pretrained model's weights expect (torchvision.transforms._presets):
`weights.transforms()` gives ImageClassification, which does what the model saw in training's
evaluation: resize the shorter side, crop the centre, scale to [0, 1], normalize with
ImageNet's mean and standard deviation.
"""

from __future__ import annotations

from . import functional as F
from .functional import InterpolationMode

__all__ = ["ImageClassification"]


class ImageClassification:
    """Resize to `resize_size` (shorter side), center-crop `crop_size`, a float tensor in
    [0, 1], normalized. Takes a Pillow image or a (C, H, W) or (N, C, H, W) tensor (uint8
    from read_image, or float in [0, 1])."""

    def __init__(
        self,
        *,
        crop_size: int,
        resize_size: int = 256,
        mean=(0.485, 0.456, 0.406),
        std=(0.229, 0.224, 0.225),
        interpolation=InterpolationMode.BILINEAR,
        antialias=True,
    ):
        self.crop_size, self.resize_size = [crop_size], [resize_size]
        self.mean, self.std = list(mean), list(std)
        self.interpolation, self.antialias = interpolation, antialias

    def __call__(self, img):
        img = F.resize(img, self.resize_size, self.interpolation, antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if F._is_pil(img):
            img = F.pil_to_tensor(img)
        img = F.convert_image_dtype(img)
        return F.normalize(img, mean=self.mean, std=self.std)

    forward = __call__

    def __repr__(self) -> str:
        return (
            f"ImageClassification(\n    crop_size={self.crop_size}\n    resize_size="
            f"{self.resize_size}\n    mean={self.mean}\n    std={self.std}\n    interpolation="
            f"{self.interpolation}\n)"
        )
