"""The image transforms PyTorch's tutorials use (torchvision.transforms), for data sets such as
`vision.datasets.FashionMNIST(..., transform=ToTensor())`.

Each transform is an object called on one image: a Pillow image or a tensor (..., C, H, W).
`Compose([...])` runs several in order. The random ones draw from scratchish's default
generator with torchvision's calls (torch.rand(1) for a flip, torch.randint for a crop's
corner), so a seed gives the same images as torchvision's. The functions behind them are in
functional.py, and with them in their own files: colour (_color.py), blur and erasing
(_blur_erase.py), rotations, affine and perspective maps (_affine.py), the augmentation
policies and their pixel operations (_augment.py).

Example:
    >>> from scratchish.vision import transforms
    >>> transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    Compose(
        ToTensor()
        Normalize(mean=(0.5,), std=(0.5,))
    )
"""

from __future__ import annotations

import math
import numbers
import random

from ... import compat
from ...creation import rand, randint
from ...errors import ArgumentError
from . import functional
from ._affine import (  # noqa: F401
    ElasticTransform,
    RandomAffine,
    RandomPerspective,
    RandomRotation,
)
from ._augment import (  # noqa: F401
    RandAugment,
    RandomAdjustSharpness,
    RandomAutocontrast,
    RandomEqualize,
    RandomInvert,
    RandomPosterize,
    RandomSolarize,
    TrivialAugmentWide,
)
from ._blur_erase import GaussianBlur, RandomErasing  # noqa: F401
from ._color import ColorJitter, Grayscale, RandomGrayscale  # noqa: F401
from .functional import InterpolationMode


class Compose:
    """Run the transforms one after the other: Compose([Resize(32), ToTensor()])."""

    def __init__(self, transforms) -> None:
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if isinstance(t, type) or not callable(t):  # the class itself: ToTensor, not ToTensor()
                raise ArgumentError(
                    f"Compose: transform {i} is a {type(t).__name__}, not a transform. Did you "
                    f"write ToTensor instead of ToTensor()?"
                )

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return "Compose(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


# ---------------------------------------------- Compose's random relatives: which and in what order


class RandomApply:
    """Run the transforms, in order, with probability p (all of them or none): skipped if
    p < torch.rand(1), torchvision's draw.

    Example:
        >>> from scratchish.vision import transforms
        >>> transforms.RandomApply([transforms.ColorJitter(0.4, 0.4)], p=0.8)
        RandomApply(
            p=0.8
            ColorJitter(brightness=(0.6, 1.4), contrast=(0.6, 1.4), saturation=None, hue=None)
        )
    """

    def __init__(self, transforms, p: float = 0.5) -> None:
        self.transforms, self.p = transforms, p

    def __call__(self, img):
        if self.p < rand(1):
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = [f"p={self.p}"] + [str(t) for t in self.transforms]
        return "RandomApply(" + "".join(f"\n    {line}" for line in lines) + "\n)"


def _transform_list(transforms, who: str) -> list:
    if not isinstance(transforms, (list, tuple)):
        raise ArgumentError(
            f"{who}: transforms should be a sequence (a list of transforms), got "
            f"{type(transforms).__name__}."
        )
    return transforms


class RandomOrder:
    """Run all the transforms, in an order shuffled for each image. The shuffle is Python's
    random.shuffle, as torchvision's (seed it with random.seed, not torch.manual_seed)."""

    def __init__(self, transforms) -> None:
        self.transforms = _transform_list(transforms, "RandomOrder")

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img

    def __repr__(self) -> str:
        return "RandomOrder(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class RandomChoice:
    """Run one of the transforms, picked for each image (with weights p, equal by default)
    by Python's random.choices, as torchvision's (seed it with random.seed)."""

    def __init__(self, transforms, p=None) -> None:
        self.transforms = _transform_list(transforms, "RandomChoice")
        if p is not None and not isinstance(p, (list, tuple)):
            raise ArgumentError(
                f"RandomChoice: p should be a sequence of weights, one per transform, got {p!r}."
            )
        self.p = p

    def __call__(self, *args):
        t = random.choices(self.transforms, weights=self.p)[0]
        return t(*args)

    def __repr__(self) -> str:
        # torchvision's own, with p after the closing bracket
        listed = "".join(f"\n    {t}" for t in self.transforms)
        return f"RandomChoice({listed}\n)(p={self.p})"


# ------------------------------------------------------------- end of Compose's random relatives


class ToTensor:
    """A Pillow image or a (H, W, C) NumPy array -> a (C, H, W) float tensor in [0, 1] (bytes
    divided by 255; other values kept)."""

    def __call__(self, pic):
        return functional.to_tensor(pic)

    def __repr__(self) -> str:
        return "ToTensor()"


class PILToTensor:
    """A Pillow image -> a (C, H, W) tensor of its bytes (uint8, not scaled)."""

    def __call__(self, pic):
        return functional.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return "PILToTensor()"


class ToPILImage:
    """A (C, H, W) tensor or (H, W, C) array -> a Pillow image (see functional.to_pil_image;
    float values in [0, 1] become bytes)."""

    def __init__(self, mode=None) -> None:
        self.mode = mode

    def __call__(self, pic):
        return functional.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return "ToPILImage()" if self.mode is None else f"ToPILImage(mode={self.mode})"


class Normalize:
    """(x - mean) / std per channel of a float tensor image: Normalize((0.1307,), (0.3081,))
    for MNIST, Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)) for [-1, 1] colour images."""

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        return functional.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda:
    """Your own function as a transform: Lambda(lambda x: x.flatten())."""

    def __init__(self, lambd) -> None:
        if not callable(lambd):
            raise ArgumentError(
                f"Lambda: the argument should be callable (a function), got {type(lambd).__name__}."
            )
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


class ConvertImageDtype:
    """A tensor image in `dtype`, rescaled (uint8 0..255 <-> float 0..1):
    functional.convert_image_dtype."""

    def __init__(self, dtype) -> None:
        self.dtype = dtype

    def __call__(self, image):
        return functional.convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return f"ConvertImageDtype(dtype={self.dtype})"


class Resize:
    """The image at `size`: (h, w), or one number for the shorter side (the other keeps the
    aspect ratio). A Pillow image is resized by Pillow, as torchvision does."""

    def __init__(
        self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True
    ) -> None:
        if not isinstance(size, (numbers.Integral, list, tuple)) or isinstance(size, bool):
            raise ArgumentError(f"Resize: size should be an int or a sequence, got {size!r}.")
        if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
            raise ArgumentError(
                f"Resize: if size is a sequence it should have 1 or 2 values, got {size!r}."
            )
        self.size, self.interpolation = size, interpolation
        self.max_size, self.antialias = max_size, antialias

    def __call__(self, img):
        return functional.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        return (
            f"Resize(size={self.size}, interpolation={mode}, max_size={self.max_size}, "
            f"antialias={self.antialias})"
        )


class CenterCrop:
    """The central `size` (h, w, or one number for a square) region of the image."""

    def __init__(self, size) -> None:
        self.size = functional._size_pair(size, "CenterCrop")

    def __call__(self, img):
        return functional.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class RandomCrop:
    """A `size` region at a random place, after optional `padding` (CIFAR-10's usual
    augmentation: RandomCrop(32, padding=4)). The corner is drawn as torchvision's:
    torch.randint(0, h - th + 1, (1,)), then the same for the column."""

    def __init__(
        self, size, padding=None, pad_if_needed: bool = False, fill=0, padding_mode="constant"
    ) -> None:
        self.size = functional._size_pair(size, "RandomCrop")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a random crop of output_size (h, w)."""
        _, h, w = functional.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ArgumentError(
                f"RandomCrop: required crop size {(th, tw)} is larger than the input image "
                f"size {(h, w)}; pass padding= or pad_if_needed=True, or Resize first."
            )
        if w == tw and h == th:
            return 0, 0, h, w
        top = int(randint(0, h - th + 1, size=(1,)).item())
        left = int(randint(0, w - tw + 1, size=(1,)).item())
        return top, left, th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = functional.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = functional.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = functional.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = functional.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        top, left, h, w = self.get_params(img, self.size)
        return functional.crop(img, top, left, h, w)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomResizedCrop:
    """A crop of random area (`scale` of the image's, default 8% to 100%) and aspect ratio
    (`ratio`, default 3/4 to 4/3), resized to `size`: ImageNet training's augmentation. The
    draws are torchvision's (up to 10 tries of torch.empty(1).uniform_ for the area and the
    log-ratio, then torch.randint for the corner; the centre crop if none fits), so a seed
    gives the same crops."""

    def __init__(
        self,
        size,
        scale=(0.08, 1.0),
        ratio=(3.0 / 4.0, 4.0 / 3.0),
        interpolation=InterpolationMode.BILINEAR,
        antialias=True,
    ) -> None:
        self.size = functional._size_pair(size, "RandomResizedCrop")
        if not isinstance(scale, (list, tuple)) or not isinstance(ratio, (list, tuple)):
            raise ArgumentError(
                f"RandomResizedCrop: scale and ratio should be (min, max) pairs, got "
                f"scale={scale!r}, ratio={ratio!r}."
            )
        self.scale, self.ratio = scale, ratio
        self.interpolation, self.antialias = interpolation, antialias

    @staticmethod
    def get_params(img, scale, ratio) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a random crop of the image."""
        _, height, width = functional.get_dimensions(img)
        for _ in range(10):
            target_area, aspect_ratio = functional._random_rectangle(height * width, scale, ratio)
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                top = int(randint(0, height - h + 1, size=(1,)).item())
                left = int(randint(0, width - w + 1, size=(1,)).item())
                return top, left, h, w
        in_ratio = width / height  # no try fitted: the centre, at the nearest allowed ratio
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            w, h = int(round(height * max(ratio))), height
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        top, left, h, w = self.get_params(img, self.scale, self.ratio)
        return functional.resized_crop(
            img, top, left, h, w, list(self.size), self.interpolation, antialias=self.antialias
        )

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        return (
            f"RandomResizedCrop(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}"
            f", ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={mode}, "
            f"antialias={self.antialias})"
        )


class RandomHorizontalFlip:
    """Mirror the image left to right with probability p: if torch.rand(1) < p."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        return functional.hflip(img) if rand(1).item() < self.p else img

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomVerticalFlip:
    """Mirror the image top to bottom with probability p: if torch.rand(1) < p."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        return functional.vflip(img) if rand(1).item() < self.p else img

    def __repr__(self) -> str:
        return f"RandomVerticalFlip(p={self.p})"


class Pad:
    """Borders around the image (see functional.pad)."""

    def __init__(self, padding, fill=0, padding_mode="constant") -> None:
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return functional.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


def __getattr__(name: str):
    # the other torchvision transforms raise a teaching error, not a bare AttributeError
    return compat.unsupported_attribute("torchvision.transforms", name)
