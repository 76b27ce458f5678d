"""torchvision.transforms.v2, for one image (and its label) at a time: the transforms of
transforms/ under their v2 names, with v2's ToImage, ToDtype and ToPureTensor.

torchvision's newer tutorials write `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32,
scale=True), v2.RandomResizedCrop(224), ...])`. For an image the v2 transforms compute what
the first ones do and draw the same random numbers, so they are the same classes here. What
v2 adds beyond that, transforming bounding boxes, masks and videos along with the image, is
not in scratchish: a v2 Compose called with several inputs, (image, label) say, transforms
the first image (a Pillow image or a tensor) and hands the rest back unchanged.

Example:
    >>> from scratchish.vision.transforms import v2
    >>> import scratchish as sh
    >>> pipeline = v2.Compose([v2.ToImage(), v2.ToDtype(sh.float32, scale=True)])
    >>> pipeline(sh.tensor([[[0, 255]]], dtype=sh.uint8)).tolist()
    [[[0.0, 1.0]]]
"""

from __future__ import annotations

from .... import compat, dtypes
from ....errors import ArgumentError
from ....tensor import Tensor
from .. import (  # noqa: F401 - the classes v2 shares with the first transforms
    CenterCrop,
    ColorJitter,
    ConvertImageDtype,
    ElasticTransform,
    GaussianBlur,
    Grayscale,
    InterpolationMode,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    RandAugment,
    RandomAdjustSharpness,
    RandomAffine,
    RandomApply,
    RandomAutocontrast,
    RandomChoice,
    RandomCrop,
    RandomEqualize,
    RandomErasing,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomInvert,
    RandomOrder,
    RandomPerspective,
    RandomPosterize,
    RandomResizedCrop,
    RandomRotation,
    RandomSolarize,
    RandomVerticalFlip,
    Resize,
    ToPILImage,
    ToTensor,
    TrivialAugmentWide,
)
from .. import Compose as _Compose
from ..functional import _is_pil
from . import functional


class Compose(_Compose):
    """The transforms one after the other, on one image, or on the first image of several
    inputs ((image, label): the label comes back as it is)."""

    def __call__(self, *inputs):
        if len(inputs) == 1:
            return super().__call__(inputs[0])
        for i, item in enumerate(inputs):
            if _is_pil(item) or isinstance(item, Tensor):
                return (*inputs[:i], super().__call__(item), *inputs[i + 1 :])
        raise ArgumentError(
            f"v2.Compose: none of the {len(inputs)} inputs is an image (a Pillow image or a "
            f"tensor); got {', '.join(type(x).__name__ for x in inputs)}."
        )


class ToImage:
    """A Pillow image, NumPy array or tensor as a (C, H, W) image tensor, values unscaled."""

    def __call__(self, inpt):
        return functional.to_image(inpt)

    def __repr__(self) -> str:
        return "ToImage()"


class ToDtype:
    """The image tensor in `dtype`; scale=True rescales its values to the new range
    (uint8 0..255 <-> float 0..1), v2's replacement for ConvertImageDtype."""

    def __init__(self, dtype, scale: bool = False) -> None:
        if isinstance(dtype, dict):
            raise ArgumentError(
                "ToDtype: a dict of dtypes per kind of input (images, masks, ...) is for "
                "torchvision's tv_tensors, which scratchish does not have; give one dtype."
            )
        self.dtype, self.scale = dtypes.as_dtype(dtype), scale

    def __call__(self, inpt):
        return functional.to_dtype(inpt, self.dtype, self.scale)

    def __repr__(self) -> str:
        return f"ToDtype(scale={self.scale})"


class ToPureTensor:
    """torchvision's tv_tensors as plain tensors: scratchish's are plain already."""

    def __call__(self, inpt):
        return inpt

    def __repr__(self) -> str:
        return "ToPureTensor()"


def __getattr__(name: str):
    return compat.unsupported_attribute("torchvision.transforms.v2", name)
