"""Colour transforms (torchvision's rgb_to_grayscale, to_grayscale, adjust_brightness,
adjust_contrast, adjust_saturation, adjust_hue, and the transforms ColorJitter, Grayscale and
RandomGrayscale).

Brightness, contrast and saturation all blend the image with a plainer one: black, its mean
grey, its own grey version. Pillow images go through Pillow (Image.convert, ImageEnhance), as
torchvision's do; tensors through NumPy with torchvision's formulas, uint8 ones computed in
float32 and truncated back, as torchvision does. functional.py re-exports the functions;
_blur_erase.py holds the other pixel transforms.
"""

from __future__ import annotations

import numbers

import numpy as np

from ... import dtypes
from ...creation import rand, randperm
from ...errors import ArgumentError, DTypeError, ShapeError
from ...tensor import Tensor
from . import functional as F

# ITU-R 601-2 luma weights, as torchvision writes them for tensors (Pillow's "L" uses
# 0.299, 0.587, 0.114 in fixed point and rounds, so the two paths can differ by one level)
_LUMA = (0.2989, 0.587, 0.114)


def _pil_module(name: str):
    F._pil_image()  # the clear "install Pillow" error first
    from PIL import Image, ImageEnhance, ImageOps

    return {"Image": Image, "ImageEnhance": ImageEnhance, "ImageOps": ImageOps}[name]


def _channels(img: Tensor, who: str) -> int:
    """The channel count of a tensor image, which must be 1 (grey) or 3 (RGB)."""
    F._check_image(img, who)
    channels = F.get_dimensions(img)[0]
    if channels not in (1, 3):
        raise ShapeError(
            f"{who}: a tensor image must have 1 or 3 channels (..., C, H, W), got {channels} "
            f"in shape {tuple(img.shape)}. Drop an alpha channel with img[..., :3, :, :]."
        )
    return channels


def _need_3d(img: Tensor, who: str) -> None:
    if img.ndim < 3:
        raise ShapeError(
            f"{who}: a tensor image must be (..., C, H, W), got shape {tuple(img.shape)}; add "
            f"the channel dimension with img.unsqueeze(-3)."
        )


def _work_type(array: np.ndarray):
    """The float type torchvision computes in: the image's own, or float32 for integers."""
    return array.dtype.type if np.issubdtype(array.dtype, np.floating) else np.float32


def _max_value(array: np.ndarray) -> float:
    """The brightest value: 1 for float images, the type's maximum (255) for integer ones."""
    if np.issubdtype(array.dtype, np.floating):
        return 1.0
    return float(np.iinfo(array.dtype).max)


def _blend(x: np.ndarray, other: np.ndarray, ratio: float) -> np.ndarray:
    """ratio * x + (1 - ratio) * other, clamped to the image's range, in x's dtype: a
    ratio above 1 moves x away from `other`. Integer images are computed in float32 and
    truncated back, not rounded, as torchvision does."""
    work = _work_type(x)
    mixed = work(ratio) * x.astype(work) + work(1.0 - ratio) * other.astype(work)
    return np.clip(mixed, 0, _max_value(x)).astype(x.dtype)


def _grayscale_array(x: np.ndarray) -> np.ndarray:
    """(..., 3, H, W) -> (..., 1, H, W): 0.2989 R + 0.587 G + 0.114 B, in x's dtype (uint8
    truncated)."""
    work = _work_type(x)
    r, g, b = (x[..., c, :, :].astype(work) for c in range(3))
    gray = work(_LUMA[0]) * r + work(_LUMA[1]) * g + work(_LUMA[2]) * b
    return gray.astype(x.dtype)[..., None, :, :]


def _pil_grayscale(img, num_output_channels: int):
    gray = img.convert("L")
    if num_output_channels == 1:
        return gray
    return _pil_module("Image").merge("RGB", (gray, gray, gray))


def _check_output_channels(num_output_channels, who: str) -> None:
    if num_output_channels not in (1, 3):
        raise ArgumentError(
            f"{who}: num_output_channels should be either 1 or 3, got {num_output_channels!r}."
        )


def to_grayscale(img, num_output_channels: int = 1):
    """A Pillow image of any mode in grey ("L"), or in 3 equal channels ("RGB") for
    num_output_channels=3. Tensors: use rgb_to_grayscale."""
    if not F._is_pil(img):
        raise DTypeError(
            f"to_grayscale: img should be a Pillow image, got {type(img).__name__}; for a "
            f"tensor image use rgb_to_grayscale(img, num_output_channels)."
        )
    _check_output_channels(num_output_channels, "to_grayscale")
    return _pil_grayscale(img, num_output_channels)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """An RGB image in grey: L = 0.2989 R + 0.587 G + 0.114 B for a tensor (..., 3, H, W),
    truncated for uint8; Pillow's convert("L") for a Pillow image.

    Args:
        img: a Pillow image or a tensor (..., 1 or 3, H, W).
        num_output_channels: 1, or 3 for three equal channels. A one-channel tensor is
            returned as a copy with one channel either way, as torchvision does.

    Example:
        >>> import scratchish as sh
        >>> from scratchish.vision.transforms import functional as F
        >>> F.rgb_to_grayscale(sh.tensor([[[1.0]], [[0.0]], [[0.0]]]))
        tensor([[[0.2989]]])
    """
    _check_output_channels(num_output_channels, "rgb_to_grayscale")
    F._check_image(img, "rgb_to_grayscale")
    if F._is_pil(img):
        return _pil_grayscale(img, num_output_channels)
    _need_3d(img, "rgb_to_grayscale")
    x = img.array
    gray = _grayscale_array(x) if _channels(img, "rgb_to_grayscale") == 3 else x.copy()
    if num_output_channels == 3:
        gray = np.ascontiguousarray(np.broadcast_to(gray, x.shape))  # a copy, not a view
    return Tensor._make(gray)


def _check_factor(factor: float, who: str, argument: str) -> None:
    """The blends' factor must be >= 0 (0 gives the other image, 1 this one)."""
    if factor < 0:
        raise ArgumentError(
            f"{who}: {argument} ({factor}) is not non-negative; use 0 or more (1 gives the "
            f"image back)."
        )


def _pil_enhance(img, factor: float, who: str, argument: str, enhancer: str):
    """What the ImageEnhance-like blends (brightness, contrast, saturation, sharpness) do
    first: check the factor and the image, and put a Pillow image through
    ImageEnhance.<enhancer>. Returns that Pillow image, or None for a tensor, which the
    caller blends itself."""
    _check_factor(factor, who, argument)
    F._check_image(img, who)
    if F._is_pil(img):
        return getattr(_pil_module("ImageEnhance"), enhancer)(img).enhance(factor)
    return None


def adjust_brightness(img, brightness_factor: float):
    """The image times `brightness_factor`, clamped (a blend with black): 0 gives black, 1 the
    image, 2 twice as bright. Pillow images through ImageEnhance.Brightness.

    Example:
        >>> import scratchish as sh
        >>> from scratchish.vision.transforms import functional as F
        >>> F.adjust_brightness(sh.tensor([[[0.25, 0.75]]]), 2.0)
        tensor([[[0.5000, 1.0000]]])
    """
    pil = _pil_enhance(
        img, brightness_factor, "adjust_brightness", "brightness_factor", "Brightness"
    )
    if pil is not None:
        return pil
    _channels(img, "adjust_brightness")
    x = img.array
    return Tensor._make(_blend(x, np.zeros_like(x), brightness_factor))


def adjust_contrast(img, contrast_factor: float):
    """A blend with the image's mean grey (one number per image): 0 gives that grey
    everywhere, 1 the image, 2 twice the contrast. Pillow images through
    ImageEnhance.Contrast (which rounds the mean to a whole level)."""
    pil = _pil_enhance(img, contrast_factor, "adjust_contrast", "contrast_factor", "Contrast")
    if pil is not None:
        return pil
    _need_3d(img, "adjust_contrast")
    x = img.array
    gray = _grayscale_array(x) if _channels(img, "adjust_contrast") == 3 else x
    # the mean over (C, H, W) as torch computes it: the sum (exact in float64 for bytes),
    # rounded to the working type, then divided by the count
    work = _work_type(x)
    total = gray.sum(axis=(-3, -2, -1), keepdims=True, dtype=np.float64).astype(work)
    mean = total / work(gray.shape[-3] * gray.shape[-2] * gray.shape[-1])
    return Tensor._make(_blend(x, mean, contrast_factor))


def adjust_saturation(img, saturation_factor: float):
    """A blend with the image's own grey version: 0 gives grey (in 3 channels), 1 the image,
    2 twice as saturated. A one-channel image comes back as it is. Pillow images through
    ImageEnhance.Color."""
    pil = _pil_enhance(img, saturation_factor, "adjust_saturation", "saturation_factor", "Color")
    if pil is not None:
        return pil
    if _channels(img, "adjust_saturation") == 1:
        return img
    x = img.array
    return Tensor._make(_blend(x, _grayscale_array(x), saturation_factor))


def _rgb_to_hsv(x: np.ndarray) -> np.ndarray:
    """(..., 3, H, W) RGB in [0, 1] -> (..., 3, H, W) hue, saturation, value in [0, 1].

    value = max(r, g, b); saturation = (max - min) / max; the hue is where the colour sits on
    the circle red (0) -> green (1/3) -> blue (2/3) -> red, from whichever channel is largest
    (Pillow's formula, as torchvision writes it). Grey pixels (max = min) get hue and
    saturation 0 without dividing by zero."""
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc, minc = x.max(axis=-3), x.min(axis=-3)
    grey = maxc == minc
    chroma = maxc - minc
    saturation = chroma / np.where(grey, 1, maxc)
    divisor = np.where(grey, 1, chroma)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    # sixths of the circle: red largest -> -1..1, green -> 1..3, blue -> 3..5
    hue = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    hue = np.fmod(hue / 6.0 + 1.0, 1.0)
    return np.stack([hue, saturation, maxc], axis=-3)


def _hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    """The inverse of _rgb_to_hsv: the hue's sixth of the circle (i) decides which of v, p, q,
    t each channel takes; f is how far into that sixth the hue lies."""
    h, s, v = hsv[..., 0, :, :], hsv[..., 1, :, :], hsv[..., 2, :, :]
    sixth = np.floor(h * 6.0)
    f = h * 6.0 - sixth
    i = sixth.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    red = np.choose(i, [v, q, p, p, t, v])
    green = np.choose(i, [t, v, v, q, p, p])
    blue = np.choose(i, [p, p, t, v, v, q])
    return np.stack([red, green, blue], axis=-3)


def adjust_hue(img, hue_factor: float):
    """Turn every colour's hue by `hue_factor` of the colour circle (in [-0.5, 0.5]; 0.5
    turns red into cyan): RGB -> HSV, hue + factor (mod 1), -> RGB, in float32 (uint8 and
    float64 images too, as torchvision). A one-channel image comes back as it is. Pillow
    images turn through Pillow's own HSV, in whole steps of 1/255 of the circle.

    Example:
        >>> import scratchish as sh
        >>> from scratchish.vision.transforms import functional as F
        >>> F.adjust_hue(sh.tensor([[[1.0]], [[0.0]], [[0.0]]]), 0.5).flatten()
        tensor([0., 1., 1.])
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ArgumentError(
            f"adjust_hue: hue_factor ({hue_factor}) is not in [-0.5, 0.5]; a whole turn is "
            f"1, so {hue_factor} turns as far as {(hue_factor + 0.5) % 1 - 0.5:g}."
        )
    F._check_image(img, "adjust_hue")
    if F._is_pil(img):
        return _pil_adjust_hue(img, hue_factor)
    if _channels(img, "adjust_hue") == 1:
        return img
    x = F.convert_image_dtype(img, dtypes.float32).array
    hsv = _rgb_to_hsv(x)
    hsv[..., 0, :, :] = (hsv[..., 0, :, :] + np.float32(hue_factor)) % 1.0
    return F.convert_image_dtype(Tensor._make(_hsv_to_rgb(hsv)), img.dtype)


def _pil_adjust_hue(img, hue_factor: float):
    if img.mode in {"L", "1", "I", "F"}:  # no colour to turn
        return img
    Image = _pil_module("Image")
    h, s, v = img.convert("HSV").split()
    # Pillow keeps the hue in a byte (0..255 a whole turn); the shift wraps around it
    shift = np.uint8(int(hue_factor * 255) % 256)
    hue = Image.fromarray(np.asarray(h, dtype=np.uint8) + shift)
    return Image.merge("HSV", (hue, s, v)).convert(img.mode)


# ---------------------------------------------------------------------------- the transforms


def _factor_range(value, name: str, center: float, bound, clip_first_on_zero: bool):
    """ColorJitter's argument as a (min, max) range: a number x is center -/+ x (the low end
    kept >= 0 for the factors), a pair as it is; None when it changes nothing."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if value < 0:
            raise ArgumentError(
                f"ColorJitter: if {name} is a single number, it must be non negative, got "
                f"{value}; give a range as ({name}_min, {name}_max)."
            )
        low, high = center - float(value), center + float(value)
        if clip_first_on_zero:
            low = max(low, 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = float(value[0]), float(value[1])
    else:
        raise ArgumentError(
            f"ColorJitter: {name} should be a single number or a list/tuple with length 2, "
            f"got {value!r}."
        )
    if not bound[0] <= low <= high <= bound[1]:
        raise ArgumentError(
            f"ColorJitter: {name} values should be between {bound}, but got {[low, high]}."
        )
    if low == high == center:
        return None
    return (low, high)


class ColorJitter:
    """Random brightness, contrast, saturation and hue, applied in a random order.

    Each factor is drawn uniformly from its range: a number x means [max(0, 1 - x), 1 + x]
    for brightness, contrast and saturation and [-x, x] for hue (at most 0.5); a pair
    (min, max) is the range itself; 0 leaves that property alone. The draws are
    torchvision's: torch.randperm(4) for the order, then torch.empty(1).uniform_(min, max)
    for each property used, in the order brightness, contrast, saturation, hue.

    Args:
        brightness, contrast, saturation, hue: how much to jitter each (see above).

    Example:
        >>> from scratchish.vision import transforms
        >>> transforms.ColorJitter(brightness=0.5, hue=0.1)
        ColorJitter(brightness=(0.5, 1.5), contrast=None, saturation=None, hue=(-0.1, 0.1))
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0) -> None:
        self.brightness = _factor_range(brightness, "brightness", 1, (0, float("inf")), True)
        self.contrast = _factor_range(contrast, "contrast", 1, (0, float("inf")), True)
        self.saturation = _factor_range(saturation, "saturation", 1, (0, float("inf")), True)
        self.hue = _factor_range(hue, "hue", 0, (-0.5, 0.5), False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order, brightness_factor, contrast_factor, saturation_factor, hue_factor): the
        order a tensor permutation of 0..3, a factor None where its range is None."""
        order = randperm(4)
        b = None if brightness is None else F._uniform(brightness[0], brightness[1])
        c = None if contrast is None else F._uniform(contrast[0], contrast[1])
        s = None if saturation is None else F._uniform(saturation[0], saturation[1])
        h = None if hue is None else F._uniform(hue[0], hue[1])
        return order, b, c, s, h

    def __call__(self, img):
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        adjust = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
        for i in order.tolist():
            if factors[i] is not None:
                img = adjust[i](img, factors[i])
        return img

    def __repr__(self) -> str:
        return (
            f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
            f"saturation={self.saturation}, hue={self.hue})"
        )


class Grayscale:
    """The image in grey (rgb_to_grayscale): one channel, or three equal ones for
    num_output_channels=3."""

    def __init__(self, num_output_channels: int = 1) -> None:
        _check_output_channels(num_output_channels, "Grayscale")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class RandomGrayscale:
    """The image in grey with probability p (if torch.rand(1) < p), keeping its number of
    channels (an RGB image gets three equal ones)."""

    def __init__(self, p: float = 0.1) -> None:
        self.p = p

    def __call__(self, img):
        channels = F.get_dimensions(img)[0]
        if rand(1) < self.p:
            return rgb_to_grayscale(img, num_output_channels=channels)
        return img

    def __repr__(self) -> str:
        return f"RandomGrayscale(p={self.p})"
