"""Pixel operations of the augmentation policies and the policies themselves (torchvision's
invert, posterize, solarize, adjust_sharpness, autocontrast, equalize, their Random* forms,
and the policies TrivialAugmentWide and RandAugment).

A policy picks an operation and a strength at random for each image: shear, shift, turn,
brightness, colour, contrast, sharpness, fewer bits per colour, inverting the bright pixels,
stretching or equalising the histogram. TrivialAugmentWide (one operation, a random strength)
is the recipe of torchvision's own ImageNet training and of popular PyTorch courses. Pillow
images go through Pillow's ImageOps and ImageEnhance, tensors through NumPy with
torchvision's formulas, and the draws are torchvision's (torch.rand, torch.randint), so the
same seed augments the same way.
"""

from __future__ import annotations

import math

import numpy as np

from ...creation import linspace, rand, randint
from ...errors import ArgumentError, DTypeError
from ...tensor import Tensor
from . import functional as F
from ._affine import _tensor_fill
from ._color import (
    _blend,
    _channels,
    _check_factor,
    _max_value,
    _pil_enhance,
    _pil_module,
    _work_type,
)


def _uint8_only(img: Tensor, who: str) -> None:
    if img.dtype.name != "uint8":
        raise DTypeError(
            f"{who}: works on uint8 tensor images (0..255), got {img.dtype}. Use "
            f"PILToTensor() instead of ToTensor(), or convert_image_dtype(img, torch.uint8)."
        )


def invert(img):
    """The negative: bound - value (255 for uint8, 1 for float)."""
    F._check_image(img, "invert")
    if F._is_pil(img):
        return _pil_module("ImageOps").invert(img)
    _channels(img, "invert")
    x = img.array
    return Tensor._make((_max_value(x) - x).astype(x.dtype, copy=False))


def posterize(img, bits: int):
    """Keep the `bits` highest bits of each uint8 value (fewer colour levels)."""
    if not 0 <= bits <= 8:
        raise ArgumentError(f"posterize: bits must be between 0 and 8, got {bits}.")
    F._check_image(img, "posterize")
    if F._is_pil(img):
        return _pil_module("ImageOps").posterize(img, bits)
    _uint8_only(img, "posterize")
    _channels(img, "posterize")
    x = img.array
    return Tensor._make(x & np.uint8((0xFF << (8 - bits)) & 0xFF))


def solarize(img, threshold: float):
    """Invert the values at or above `threshold`, keep the others."""
    F._check_image(img, "solarize")
    if F._is_pil(img):
        return _pil_module("ImageOps").solarize(img, threshold)
    _channels(img, "solarize")
    x = img.array
    if threshold > _max_value(x):
        raise ArgumentError(
            f"solarize: threshold {threshold} is above the brightest value {_max_value(x):g} of a "
            f"{img.dtype} image; for float images in 0..1 use a threshold in 0..1."
        )
    inverted = (_max_value(x) - x).astype(x.dtype, copy=False)
    return Tensor._make(np.where(x >= threshold, inverted, x))


def adjust_sharpness(img, sharpness_factor: float):
    """Sharpen (factor > 1) or soften (< 1): blend the image with a smoothed copy of it (each
    inner pixel 5/13 itself and 1/13 each of its 8 neighbours; the border stays) by the
    factor; 1 gives the image back."""
    pil = _pil_enhance(img, sharpness_factor, "adjust_sharpness", "sharpness_factor", "Sharpness")
    if pil is not None:
        return pil
    _channels(img, "adjust_sharpness")
    x = img.array
    if x.shape[-1] <= 2 or x.shape[-2] <= 2:
        return img
    work = x.astype(_work_type(x))
    neighbours = sum(
        work[..., 1 + dy : work.shape[-2] - 1 + dy, 1 + dx : work.shape[-1] - 1 + dx]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )
    smooth = (neighbours + 4 * work[..., 1:-1, 1:-1]) / work.dtype.type(13)
    degenerate = x.copy()
    degenerate[..., 1:-1, 1:-1] = np.round(smooth) if x.dtype == np.uint8 else smooth
    return Tensor._make(_blend(x, degenerate, sharpness_factor))


def autocontrast(img):
    """Stretch each channel's values to the full range: the darkest to 0, the brightest to
    the top (a channel of one value stays)."""
    F._check_image(img, "autocontrast")
    if F._is_pil(img):
        return _pil_module("ImageOps").autocontrast(img)
    _channels(img, "autocontrast")
    x = img.array
    bound = _max_value(x)
    work = x.astype(_work_type(x))
    low = work.min(axis=(-2, -1), keepdims=True)
    high = work.max(axis=(-2, -1), keepdims=True)
    flat = high == low
    # bound / (high - low), computed as torch computes a number over a tensor: the
    # reciprocal, then the product (the other order rounds a few values one level lower)
    scale = np.reciprocal(np.where(flat, 1, high - low)) * bound
    low, scale = np.where(flat, 0, low), np.where(flat, 1, scale)
    return Tensor._make(np.clip((work - low) * scale, 0, bound).astype(x.dtype))


def _equalize_channel(channel: np.ndarray) -> np.ndarray:
    """Pillow's histogram equalisation of one uint8 channel, as torchvision computes it."""
    hist = np.bincount(channel.ravel(), minlength=256)
    used = hist[hist != 0]
    step = int(used[:-1].sum()) // 255
    if step == 0:
        return channel
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255).astype(np.uint8)
    return lut[channel]


def equalize(img):
    """Spread each channel's values so that every level is about equally common."""
    F._check_image(img, "equalize")
    if F._is_pil(img):
        return _pil_module("ImageOps").equalize(img)
    _uint8_only(img, "equalize")
    _channels(img, "equalize")
    x = img.array
    planes = x.reshape(-1, *x.shape[-2:])
    return Tensor._make(np.stack([_equalize_channel(p) for p in planes]).reshape(x.shape))


class _RandomOp:
    """Apply an operation with probability p: if torch.rand(1) < p, as torchvision."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        return self._apply(img) if rand(1).item() < self.p else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomInvert(_RandomOp):
    """invert with probability p."""

    def _apply(self, img):
        return invert(img)


class RandomAutocontrast(_RandomOp):
    """autocontrast with probability p."""

    def _apply(self, img):
        return autocontrast(img)


class RandomEqualize(_RandomOp):
    """equalize with probability p."""

    def _apply(self, img):
        return equalize(img)


class RandomPosterize(_RandomOp):
    """posterize(img, bits) with probability p."""

    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(p)
        self.bits = bits

    def _apply(self, img):
        return posterize(img, self.bits)

    def __repr__(self) -> str:
        return f"RandomPosterize(bits={self.bits},p={self.p})"


class RandomSolarize(_RandomOp):
    """solarize(img, threshold) with probability p."""

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.threshold = threshold

    def _apply(self, img):
        return solarize(img, self.threshold)

    def __repr__(self) -> str:
        return f"RandomSolarize(threshold={self.threshold},p={self.p})"


class RandomAdjustSharpness(_RandomOp):
    """adjust_sharpness(img, sharpness_factor) with probability p."""

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(p)
        _check_factor(sharpness_factor, "RandomAdjustSharpness", "sharpness_factor")
        self.sharpness_factor = sharpness_factor

    def _apply(self, img):
        return adjust_sharpness(img, self.sharpness_factor)

    def __repr__(self) -> str:
        return f"RandomAdjustSharpness(sharpness_factor={self.sharpness_factor},p={self.p})"


def _apply_op(img, name: str, magnitude: float, interpolation, fill):
    """One named operation of the policies at `magnitude` (torchvision's table: shears are
    given as slopes, turned into degrees; shifts in pixels; the colour operations blend by
    1 + magnitude)."""
    if name in ("ShearX", "ShearY"):
        degrees = math.degrees(math.atan(magnitude))
        shear = [degrees, 0.0] if name == "ShearX" else [0.0, degrees]
        # about the top-left corner, as the AutoAugment paper's code
        return F.affine(img, 0.0, [0, 0], 1.0, shear, interpolation, fill, center=[0, 0])
    if name in ("TranslateX", "TranslateY"):
        shift = [int(magnitude), 0] if name == "TranslateX" else [0, int(magnitude)]
        return F.affine(img, 0.0, shift, 1.0, [0.0, 0.0], interpolation, fill)
    if name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    blends = {
        "Brightness": "adjust_brightness",
        "Color": "adjust_saturation",
        "Contrast": "adjust_contrast",
    }
    if name in blends:
        return getattr(F, blends[name])(img, 1.0 + magnitude)
    operations = {
        "Sharpness": lambda: adjust_sharpness(img, 1.0 + magnitude),
        "Posterize": lambda: posterize(img, int(magnitude)),
        "Solarize": lambda: solarize(img, magnitude),
        "AutoContrast": lambda: autocontrast(img),
        "Equalize": lambda: equalize(img),
        "Invert": lambda: invert(img),
        "Identity": lambda: img,
    }
    return operations[name]()


def _linspace(start: float, end: float, steps: int) -> np.ndarray:
    # torch.linspace's float32 values (NumPy's linspace rounds some of them the other way:
    # 0.33000001 against 0.32999998, and a sharpness of 1 - 0.33 then truncates differently)
    return linspace(start, end, steps).array


def _posterize_bits(num_bins: int, levels: int) -> np.ndarray:
    # 8 - round(i / ((num_bins - 1) / levels)): 8 bits down to 8 - levels, in num_bins steps
    steps = np.arange(num_bins, dtype=np.float32) / np.float32((num_bins - 1) / levels)
    return (8 - np.round(steps)).astype(np.int32)


class TrivialAugmentWide:
    """TrivialAugment (Müller and Hutter, 2021), the wide search space: for each image one
    operation, drawn uniformly, at a strength drawn uniformly from `num_magnitude_bins`
    levels, negated half the time for the signed ones. No settings to tune."""

    def __init__(
        self, num_magnitude_bins: int = 31, interpolation=F.InterpolationMode.NEAREST, fill=None
    ) -> None:
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int) -> dict:
        """operation -> (its strengths, whether the sign is drawn)."""
        return {
            "Identity": (None, False),
            "ShearX": (_linspace(0.0, 0.99, num_bins), True),
            "ShearY": (_linspace(0.0, 0.99, num_bins), True),
            "TranslateX": (_linspace(0.0, 32.0, num_bins), True),
            "TranslateY": (_linspace(0.0, 32.0, num_bins), True),
            "Rotate": (_linspace(0.0, 135.0, num_bins), True),
            "Brightness": (_linspace(0.0, 0.99, num_bins), True),
            "Color": (_linspace(0.0, 0.99, num_bins), True),
            "Contrast": (_linspace(0.0, 0.99, num_bins), True),
            "Sharpness": (_linspace(0.0, 0.99, num_bins), True),
            "Posterize": (_posterize_bits(num_bins, 6), False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (None, False),
            "Equalize": (None, False),
        }

    def __call__(self, img):
        fill = _tensor_fill(self.fill, img)
        space = self._augmentation_space(self.num_magnitude_bins)
        name = list(space)[int(randint(len(space), (1,)).item())]
        magnitudes, signed = space[name]
        magnitude = 0.0
        if magnitudes is not None:
            magnitude = float(magnitudes[int(randint(len(magnitudes), (1,)).item())])
        if signed and randint(2, (1,)).item():
            magnitude *= -1.0
        return _apply_op(img, name, magnitude, self.interpolation, fill)

    def __repr__(self) -> str:
        return (
            f"TrivialAugmentWide(num_magnitude_bins={self.num_magnitude_bins}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )


class RandAugment:
    """RandAugment (Cubuk et al., 2019): `num_ops` operations in a row, each drawn uniformly,
    all at the one strength `magnitude` (of `num_magnitude_bins` levels), signs drawn."""

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        interpolation=F.InterpolationMode.NEAREST,
        fill=None,
    ) -> None:
        self.num_ops, self.magnitude = num_ops, magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation, self.fill = interpolation, fill

    def _augmentation_space(self, num_bins: int, image_size) -> dict:
        height, width = image_size
        return {
            "Identity": (None, False),
            "ShearX": (_linspace(0.0, 0.3, num_bins), True),
            "ShearY": (_linspace(0.0, 0.3, num_bins), True),
            "TranslateX": (_linspace(0.0, 150.0 / 331.0 * width, num_bins), True),
            "TranslateY": (_linspace(0.0, 150.0 / 331.0 * height, num_bins), True),
            "Rotate": (_linspace(0.0, 30.0, num_bins), True),
            "Brightness": (_linspace(0.0, 0.9, num_bins), True),
            "Color": (_linspace(0.0, 0.9, num_bins), True),
            "Contrast": (_linspace(0.0, 0.9, num_bins), True),
            "Sharpness": (_linspace(0.0, 0.9, num_bins), True),
            "Posterize": (_posterize_bits(num_bins, 4), False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (None, False),
            "Equalize": (None, False),
        }

    def __call__(self, img):
        fill = _tensor_fill(self.fill, img)
        _, height, width = F.get_dimensions(img)
        space = self._augmentation_space(self.num_magnitude_bins, (height, width))
        for _ in range(self.num_ops):
            name = list(space)[int(randint(len(space), (1,)).item())]
            magnitudes, signed = space[name]
            magnitude = 0.0 if magnitudes is None else float(magnitudes[self.magnitude])
            if signed and randint(2, (1,)).item():
                magnitude *= -1.0
            img = _apply_op(img, name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return (
            f"RandAugment(num_ops={self.num_ops}, magnitude={self.magnitude}, "
            f"num_magnitude_bins={self.num_magnitude_bins}, "
            f"interpolation={self.interpolation}, fill={self.fill})"
        )
