"""torchvision.transforms.v2.functional: the functions of transforms.functional under their
v2 names, and v2's own to_image, to_dtype and to_pure_tensor (see v2/__init__.py)."""

from __future__ import annotations

import numpy as np

from .... import compat, dtypes
from ....errors import DTypeError, UnsupportedError
from ....tensor import Tensor
from ..functional import (  # noqa: F401 - v2.functional has them under the same names
    InterpolationMode,
    _is_pil,
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    adjust_sharpness,
    affine,
    autocontrast,
    center_crop,
    convert_image_dtype,
    crop,
    elastic_transform,
    equalize,
    erase,
    gaussian_blur,
    get_dimensions,
    get_image_size,
    hflip,
    invert,
    normalize,
    pad,
    perspective,
    pil_to_tensor,
    posterize,
    resize,
    resized_crop,
    rgb_to_grayscale,
    rotate,
    solarize,
    to_grayscale,
    to_pil_image,
    to_tensor,
    vflip,
)


def to_image(inpt) -> Tensor:
    """A Pillow image, a NumPy array (H, W, C) or (H, W), or a tensor as a (C, H, W) image
    tensor, its values unscaled (a Pillow image stays uint8). torchvision returns its
    tv_tensors.Image, a tensor subclass; scratchish returns a plain tensor."""
    if isinstance(inpt, np.ndarray):
        return Tensor._make(np.ascontiguousarray(np.atleast_3d(inpt).transpose(2, 0, 1)))
    if _is_pil(inpt):
        return pil_to_tensor(inpt)
    if isinstance(inpt, Tensor):
        return inpt
    raise DTypeError(
        f"to_image: input can be a tensor, a NumPy array or a Pillow image, got "
        f"{type(inpt).__name__}."
    )


def to_dtype(inpt: Tensor, dtype=dtypes.float32, scale: bool = False) -> Tensor:
    """The tensor in `dtype`. With scale=True an image's values are rescaled to the new type's
    range, as v2 does it: uint8 to float multiplies by 1/255, float to uint8 by 255.999 and
    truncates (so 1.0 stays 255); without it the values are only converted."""
    if not isinstance(inpt, Tensor):
        raise DTypeError(
            f"to_dtype: expects a tensor, got {type(inpt).__name__}; put ToImage() before "
            f"ToDtype() in the pipeline."
        )
    dtype = dtypes.as_dtype(dtype)
    if inpt.dtype == dtype or not scale:
        return inpt if inpt.dtype == dtype else inpt.to(dtype)
    if inpt.is_floating_point():
        if dtype.is_floating_point:
            return inpt.to(dtype)
        top = float(np.iinfo(dtype.np).max)
        return (inpt * (top + 1.0 - 1e-3)).to(dtype)  # v2's eps: 1.0 lands on the top value
    if dtype.is_floating_point:
        top = float(np.iinfo(inpt.array.dtype).max)
        return inpt.to(dtype) * (1.0 / top)  # times the reciprocal, as v2 (v1 divides)
    raise UnsupportedError(
        f"to_dtype: from {inpt.dtype} to {dtype} with scale=True (between integer types) is "
        f"not supported here; convert to float32 first."
    )


def to_pure_tensor(inpt):
    """torchvision's tv_tensors as plain tensors; scratchish's images are plain already."""
    return inpt


def __getattr__(name: str):
    return compat.unsupported_attribute("torchvision.transforms.v2.functional", name)
