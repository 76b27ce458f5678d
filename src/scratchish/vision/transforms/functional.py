"""The functions behind the transforms (torchvision.transforms.functional): each takes a Pillow
image or a tensor image (..., C, H, W) and gives the same kind back, as torchvision's.

A Pillow image goes through Pillow (resize, crop, flips), so the numbers are torchvision's
own; a tensor through scratchish's ops. Read transforms/__init__.py for the classes.
"""

from __future__ import annotations

import enum
import numbers
import sys

import numpy as np

from ... import dtypes
from ...creation import empty, tensor
from ...errors import ArgumentError, DTypeError, ShapeError, UnsupportedError
from ...functions import exp, log
from ...nn.functional import interpolate
from ...tensor import Tensor

_PILLOW = "pip install 'scratchish[datasets]'"


class InterpolationMode(enum.Enum):
    """How Resize computes new pixels (torchvision.transforms.InterpolationMode)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's numbers for the modes (Image.Resampling): NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3,
# BOX 4, HAMMING 5
_PIL_RESAMPLE = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            f"torchvision's images are Pillow images, and Pillow is not installed: {_PILLOW}"
        ) from None
    return Image


def _is_pil(img) -> bool:
    return type(img).__module__.startswith("PIL.")  # without importing Pillow


def _check_image(img, who: str) -> None:
    if _is_pil(img):
        return
    if not isinstance(img, Tensor):
        raise DTypeError(
            f"{who}: img should be a Pillow image or a tensor, got {type(img).__name__}. Put "
            f"ToTensor() (or PILToTensor()) where the image is still a Pillow image."
        )
    if img.ndim < 2:
        raise ShapeError(
            f"{who}: a tensor image must be (..., C, H, W) or (H, W); got shape {tuple(img.shape)}."
        )


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a Pillow image or a tensor image."""
    if _is_pil(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    _check_image(img, "get_dimensions")
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def get_image_size(img) -> list[int]:
    """[width, height], as torchvision's."""
    _, height, width = get_dimensions(img)
    return [width, height]


def to_tensor(pic) -> Tensor:
    """A Pillow image or a (H, W, C) NumPy array as a (C, H, W) tensor; uint8 values are scaled
    to floats in [0, 1] (x / 255, in the default float dtype), others are kept as they are."""
    if isinstance(pic, np.ndarray):
        if pic.ndim == 2:
            pic = pic[:, :, None]
        if pic.ndim != 3:
            raise ShapeError(
                f"to_tensor: a NumPy image must be (H, W) or (H, W, C); got shape {pic.shape}."
            )
        array = np.ascontiguousarray(pic.transpose(2, 0, 1))
    elif _is_pil(pic):
        # Pillow's modes with wider values keep them; all others are bytes
        wide = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16}
        wide["F"] = np.float32
        array = np.array(pic, wide.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":  # one bit per pixel: 0 or 255, as torchvision
            array = 255 * array
        array = array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
        array = np.ascontiguousarray(array.transpose(2, 0, 1))
    else:
        raise DTypeError(
            f"to_tensor: pic should be a Pillow image or a NumPy array, got {type(pic).__name__}."
        )
    if array.dtype == np.uint8:
        float_type = dtypes.get_default_dtype().np
        array = array.astype(float_type) / float_type.type(255)
    return Tensor._make(array)


def pil_to_tensor(pic) -> Tensor:
    """A Pillow image as a (C, H, W) tensor of its own values (uint8 for most images), not
    scaled: a permuted view, as torchvision's."""
    if not _is_pil(pic):
        raise DTypeError(f"pil_to_tensor: pic should be a Pillow image, got {type(pic).__name__}.")
    array = np.array(pic, copy=True)
    array = array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return Tensor._make(array).permute(2, 0, 1)


# the Pillow modes a (H, W, C) array can become, by its number of channels: the first is
# what uint8 arrays become when no mode is asked for (torchvision's table)
_PIL_MODES = {2: ("LA",), 3: ("RGB", "YCbCr", "HSV"), 4: ("RGBA", "CMYK", "RGBX")}
_ONE_CHANNEL_MODES = {"uint8": "L", "int16": "I;16", "int32": "I", "float32": "F"}


def to_pil_image(pic, mode=None):
    """A (C, H, W) tensor or a (H, W, C) NumPy array (or (H, W)) as a Pillow image: float
    values in [0, 1] times 255 to bytes (truncated), unless mode='F'. `mode` defaults by the
    channels: 1 'L' (or 'I;16', 'I', 'F' for int16, int32, float32 arrays), 2 'LA', 3 'RGB',
    4 'RGBA'; 3 channels can also be 'YCbCr' or 'HSV', 4 'CMYK' or 'RGBX'."""
    if isinstance(pic, Tensor):
        array = pic.detach().array
        array = array.transpose(1, 2, 0) if array.ndim == 3 else array
    elif isinstance(pic, np.ndarray):
        array = pic
    else:
        raise DTypeError(
            f"to_pil_image: pic should be a tensor or a NumPy array, got {type(pic).__name__}."
        )
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[-1] > 4:
        raise ShapeError(
            f"to_pil_image: pic should be an image of at most 4 channels, (C, H, W) for a "
            f"tensor or (H, W, C) for an array; got shape {tuple(np.shape(pic))}."
        )
    if np.issubdtype(array.dtype, np.floating) and mode != "F":
        array = (array * 255).astype(np.uint8)
    channels = array.shape[2]
    if channels == 1:
        array = array[:, :, 0]
        expected = _ONE_CHANNEL_MODES.get(array.dtype.name)
        if mode is not None and mode != expected:
            raise ArgumentError(
                f"to_pil_image: mode {mode!r} does not fit a one-channel {array.dtype} image; "
                f"it is {expected!r}."
            )
        mode = expected
    else:
        allowed = _PIL_MODES[channels]
        if mode is not None and mode not in allowed:
            raise ArgumentError(
                f"to_pil_image: a {channels}-channel image can be mode {', '.join(allowed)}; "
                f"got {mode!r}."
            )
        if mode is None and array.dtype == np.uint8:
            mode = allowed[0]
    if mode is None:
        raise DTypeError(
            f"to_pil_image: {array.dtype} images of {channels} channels have no Pillow mode; "
            f"convert to uint8 (or float in [0, 1]) first."
        )
    image = _pil_image().fromarray(np.ascontiguousarray(array))
    if image.mode == mode:
        return image
    # the same bytes read in another mode (YCbCr, HSV, CMYK, RGBX, ...), not converted
    size = (array.shape[1], array.shape[0])
    return _pil_image().frombytes(mode, size, np.ascontiguousarray(array).tobytes())


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """(x - mean) / std per channel of a float tensor image (..., C, H, W)."""
    if not isinstance(tensor, Tensor):
        raise DTypeError(
            f"normalize: img should be a tensor, got {type(tensor).__name__}. Put ToTensor() "
            f"before Normalize in Compose([...])."
        )
    if not tensor.is_floating_point():
        raise DTypeError(
            f"normalize: the image must be a float tensor, got {tensor.dtype}. Use ToTensor() "
            f"(which scales bytes to [0, 1]) rather than PILToTensor() before Normalize."
        )
    if tensor.ndim < 3:
        raise ShapeError(
            f"normalize: expected a tensor image of size (..., C, H, W); got shape "
            f"{tuple(tensor.shape)}."
        )
    np_type = tensor.array.dtype
    mean_a = np.asarray(mean, np_type).reshape(-1, 1, 1)
    std_a = np.asarray(std, np_type).reshape(-1, 1, 1)
    if (std_a == 0).any():
        raise ArgumentError(
            f"normalize: std evaluated to zero after conversion to {tensor.dtype}, leading to "
            f"division by zero (std={std})."
        )
    if mean_a.shape[0] not in (1, tensor.shape[-3]) or std_a.shape[0] not in (
        1,
        tensor.shape[-3],
    ):
        raise ShapeError(
            f"normalize: mean and std need one value per channel ({tensor.shape[-3]}) or one "
            f"for all; got mean={mean}, std={std}."
        )
    if not (inplace or tensor.requires_grad):  # data, as in a Compose: the same two NumPy
        return Tensor._make((tensor.array - mean_a) / std_a)  # ops without autograd's calls
    mean_t, std_t = Tensor._make(mean_a), Tensor._make(std_a)
    if inplace:
        return tensor.sub_(mean_t).div_(std_t)
    return (tensor - mean_t) / std_t


def _size_pair(size, who: str) -> tuple[int, int]:
    """An int or a one- or two-element sequence as (h, w), a square for one number."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) in (1, 2):
        if all(isinstance(s, numbers.Integral) and s > 0 for s in size):
            return (int(size[0]), int(size[-1]))
    raise ArgumentError(f"{who}: size must be an int or a sequence of 1 or 2 ints, got {size!r}.")


def _resized_size(height: int, width: int, size, max_size) -> tuple[int, int]:
    """torchvision's rule: one number is the new shorter side (the longer one keeps the aspect
    ratio, rounded down, then capped by max_size); two are (h, w)."""
    if isinstance(size, (list, tuple)) and len(size) == 2:
        if max_size is not None:
            raise ArgumentError(
                "resize: max_size is only allowed when size is one number (the shorter side); "
                f"got size={list(size)}."
            )
        return int(size[0]), int(size[1])
    requested = int(size if isinstance(size, numbers.Integral) else size[0])
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = requested, int(requested * long / short)
    if max_size is not None:
        if max_size <= requested:
            raise ArgumentError(
                f"resize: max_size = {max_size} must be strictly greater than the requested "
                f"size for the smaller edge size = {size}."
            )
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    return new_h, new_w


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """The image at a new size: `size` (h, w), or one number for the shorter side."""
    _check_image(img, "resize")
    interpolation = _interpolation_mode(interpolation, "resize", "bilinear")
    if not (isinstance(size, numbers.Integral) or isinstance(size, (list, tuple))):
        raise ArgumentError(f"resize: size must be an int or a sequence, got {size!r}.")
    _, height, width = get_dimensions(img)
    new_h, new_w = _resized_size(height, width, size, max_size)
    if (new_h, new_w) == (height, width):
        return img
    if _is_pil(img):
        if interpolation.value not in _PIL_RESAMPLE:
            raise UnsupportedError(
                f"resize: {interpolation} is not a Pillow resampling filter; use BILINEAR, "
                f"NEAREST, BICUBIC, BOX, HAMMING or LANCZOS."
            )
        return img.resize((new_w, new_h), _PIL_RESAMPLE[interpolation.value])
    mode = interpolation.value
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise UnsupportedError(f"resize: {interpolation} works on Pillow images only here.")
    # torchvision resizes integer images in float32 and rounds back; antialias only matters
    # for bilinear and bicubic (interpolate then averages every pixel under the filter)
    x = img if img.is_floating_point() else img.to(dtypes.float32)
    # interpolate works on (N, C, H, W): the leading dims as one, or a (H, W) image as (1, 1)
    x = x.reshape(-1, *img.shape[-3:]) if img.ndim >= 3 else x[None, None]
    smooth = mode in ("bilinear", "bicubic")
    out = interpolate(
        x, size=(new_h, new_w), mode=mode, align_corners=False if smooth else None,
        antialias=bool(antialias) and smooth,
    )  # fmt: skip
    out = out.reshape(*img.shape[:-2], new_h, new_w)
    if img.dtype == dtypes.uint8:
        out = out.round().clamp(0, 255)
    return out if img.is_floating_point() else out.to(img.dtype)


def convert_image_dtype(image: Tensor, dtype=None) -> Tensor:
    """A tensor image in another dtype, its values rescaled: uint8 0..255 to float 0..1 and
    back (torchvision's rule: float to uint8 multiplies by 255.999, then truncates).
    `dtype` defaults to float32, as torch.float."""
    if not isinstance(image, Tensor):
        raise DTypeError(
            f"convert_image_dtype: image should be a tensor, got {type(image).__name__}; use "
            f"pil_to_tensor first."
        )
    dtype = dtypes.float32 if dtype is None else dtypes.as_dtype(dtype)
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        top = float(np.iinfo(dtype.np).max)
        return (image * (top + 1.0 - 1e-3)).to(dtype)  # torchvision's eps keeps 1.0 at top
    top = float(np.iinfo(image.array.dtype).max)
    if dtype.is_floating_point:
        return image.to(dtype) / top
    raise UnsupportedError(
        f"convert_image_dtype: from {image.dtype} to {dtype} (between integer types) is not "
        f"supported here; convert to float32 first."
    )


def _uniform(low: float, high: float) -> float:
    """One number drawn as torchvision's random transforms draw: torch.empty(1).uniform_."""
    return float(empty(1).uniform_(low, high).item())


def _interpolation_mode(interpolation, who: str, default: str) -> InterpolationMode:
    """An InterpolationMode, also from Pillow's numbers (Image.BILINEAR is 2; an unknown
    number gives `default`)."""
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        names = {v: k for k, v in _PIL_RESAMPLE.items()}
        interpolation = InterpolationMode(names.get(interpolation, default))
    if not isinstance(interpolation, InterpolationMode):
        raise ArgumentError(
            f"{who}: interpolation must be a transforms.InterpolationMode (such as "
            f"InterpolationMode.{default.upper()}), got {interpolation!r}."
        )
    return interpolation


def _random_rectangle(area: int, scale, ratio) -> tuple[float, float]:
    """One try at a random rectangle, torchvision's draws for RandomResizedCrop and
    RandomErasing: an area of area * uniform(scale), and an aspect ratio whose log is uniform
    between the logs of `ratio` (torch.empty(1).uniform_ twice). Returns (area, ratio)."""
    log_ratio = log(tensor(ratio))
    target_area = area * _uniform(scale[0], scale[1])
    low, high = float(log_ratio[0]), float(log_ratio[1])
    return target_area, exp(empty(1).uniform_(low, high)).item()


def crop(img, top: int, left: int, height: int, width: int):
    """The region of `height` x `width` pixels from (top, left). What lies outside the image
    is filled with zeros, as torchvision does (Pillow itself for a PIL image)."""
    _check_image(img, "crop")
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    bottom, right = top + height, left + width
    inside = img[..., max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)]
    if top >= 0 and left >= 0 and bottom <= h and right <= w:
        return inside
    # zeros for the rows and columns outside: before the image (top, left < 0), after it
    # (bottom, right beyond h, w), and the whole region when it misses the image altogether
    _, in_h, in_w = get_dimensions(inside)
    pad_top = min(max(-top, 0), height - in_h)
    pad_left = min(max(-left, 0), width - in_w)
    return pad(
        inside, [pad_left, pad_top, width - in_w - pad_left, height - in_h - pad_top], fill=0
    )


def center_crop(img, output_size):
    """The central output_size (h, w) region, with torchvision's rounding of the offsets. An
    image smaller than the crop is first padded with zeros, the odd row or column at the
    bottom or right, as torchvision does."""
    th, tw = _size_pair(output_size, "center_crop")
    _, h, w = get_dimensions(img)
    if th > h or tw > w:
        dh, dw = max(th - h, 0), max(tw - w, 0)
        img = pad(img, [dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2], fill=0)
        _, h, w = get_dimensions(img)
    top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
    return crop(img, top, left, th, tw)


_PAD_MODES = {
    "constant": "constant",
    "edge": "edge",
    "reflect": "reflect",
    "symmetric": "symmetric",
}


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Borders added on each side: `padding` one number (all sides), (left/right, top/bottom)
    or (left, top, right, bottom); filled with `fill` or copied ('edge', 'reflect',
    'symmetric'). Not recorded for autograd: it is for data, before the model."""
    _check_image(img, "pad")
    if padding_mode not in _PAD_MODES:
        raise ArgumentError(
            f"pad: padding_mode must be one of {', '.join(_PAD_MODES)}, got {padding_mode!r}."
        )
    if isinstance(padding, numbers.Integral):
        padding = [int(padding)]
    if not isinstance(padding, (list, tuple)) or len(padding) not in (1, 2, 4):
        raise ArgumentError(
            f"pad: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}."
        )
    if len(padding) == 1:
        left = top = right = bottom = padding[0]
    elif len(padding) == 2:
        left, top = right, bottom = padding
    else:
        left, top, right, bottom = padding
    kwargs = {"constant_values": fill} if padding_mode == "constant" else {}
    if not _is_pil(img):  # a tensor (..., H, W)
        widths = [(0, 0)] * (img.array.ndim - 2) + [(top, bottom), (left, right)]
        return Tensor._make(np.pad(img.array, widths, mode=padding_mode, **kwargs))
    if padding_mode == "constant" and _pil_pastes(img, fill, padding):
        # Pillow's own canvas and paste: 10-15 us on a 32 x 32 RGB image, against 300 for
        # the image to an array, np.pad and back (RandomCrop(32, padding=4) on CIFAR)
        width, height = img.size
        bands = len(img.getbands())
        padded = _pil_image().new(
            img.mode,
            (width + left + right, height + top + bottom),
            fill if bands == 1 else (fill,) * bands,
        )
        padded.paste(img, (left, top))
    else:
        array = np.asarray(img)  # (H, W) or (H, W, C)
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (array.ndim - 2)
        # the mode follows the array: 'L', 'RGB', ...
        padded = _pil_image().fromarray(np.pad(array, widths, mode=padding_mode, **kwargs))
    if img.mode == "P":
        padded.putpalette(img.getpalette())
    return padded


def _pil_pastes(img, fill, padding) -> bool:
    """Whether pad can make a Pillow image on a canvas of Pillow's own: byte images (one
    value per band), a whole-number fill in 0..255 and no negative padding. The rest (a
    tuple fill, 16-bit and float images) goes through np.pad."""
    return (
        img.mode in ("L", "LA", "P", "RGB", "RGBA")
        and isinstance(fill, numbers.Integral)
        and not isinstance(fill, bool)
        and 0 <= fill <= 255
        and min(padding) >= 0
    )


def resized_crop(
    img,
    top: int,
    left: int,
    height: int,
    width: int,
    size,
    interpolation=InterpolationMode.BILINEAR,
    antialias=True,
):
    """crop, then resize to `size` (what RandomResizedCrop does with its random box)."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    """The image mirrored left to right."""
    _check_image(img, "hflip")
    if _is_pil(img):
        return img.transpose(_pil_image().Transpose.FLIP_LEFT_RIGHT)
    return img.flip(-1)


def vflip(img):
    """The image mirrored top to bottom."""
    _check_image(img, "vflip")
    if _is_pil(img):
        return img.transpose(_pil_image().Transpose.FLIP_TOP_BOTTOM)
    return img.flip(-2)


# rotate, affine and perspective live with their transforms in _affine.py (grid_sample)
from ._affine import affine, elastic_transform, perspective, rotate  # noqa: E402, F401
from ._augment import (  # noqa: E402, F401
    adjust_sharpness,
    autocontrast,
    equalize,
    invert,
    posterize,
    solarize,
)

# colour, blur and erase live with their transforms in _color.py and _blur_erase.py
from ._blur_erase import erase, gaussian_blur  # noqa: E402, F401
from ._color import (  # noqa: E402, F401
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    rgb_to_grayscale,
    to_grayscale,
)
