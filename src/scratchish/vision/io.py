"""Reading image files into tensors (torchvision.io): `read_image(path)` gives a uint8 tensor
(C, H, W), as PyTorch's "Datasets & DataLoaders" tutorial reads its images. Pillow decodes
the file; video and writing are not here.
"""

from __future__ import annotations

import enum
import os

import numpy as np

from .. import compat
from ..errors import ArgumentError, DTypeError, UnsupportedError
from ..tensor import Tensor
from .transforms.functional import _pil_image


class ImageReadMode(enum.Enum):
    """The channels read_image gives: as stored (UNCHANGED), or converted."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4  # an alias, as torchvision's


# the Pillow mode each ImageReadMode converts to
_PIL_MODES = {
    ImageReadMode.GRAY: "L",
    ImageReadMode.GRAY_ALPHA: "LA",
    ImageReadMode.RGB: "RGB",
    ImageReadMode.RGB_ALPHA: "RGBA",
}


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):  # noqa: A002
    """An image file's pixels as a uint8 tensor (C, H, W). `input` is a path, or the file's
    bytes as a 1-d uint8 tensor (what torchvision.io.read_file gives)."""
    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    if not isinstance(mode, ImageReadMode):
        raise ArgumentError(
            f"decode_image: mode must be an ImageReadMode (such as ImageReadMode.RGB), got "
            f"{mode!r}."
        )
    image_module = _pil_image()
    if isinstance(input, Tensor):
        import io

        source = io.BytesIO(input.numpy().tobytes())
    elif isinstance(input, (str, os.PathLike)):
        source = os.fspath(input)
        if not os.path.isfile(source):
            raise FileNotFoundError(f"read_image: no file at {source!r}.")
    else:
        raise DTypeError(
            f"decode_image: input must be a path or a uint8 tensor of the file's bytes, got "
            f"{type(input).__name__}."
        )
    with image_module.open(source) as image:
        if apply_exif_orientation:
            from PIL import ImageOps

            image = ImageOps.exif_transpose(image)
        image = _converted(image, mode)
        pixels = np.asarray(image)
    if pixels.dtype != np.uint8:
        raise UnsupportedError(
            f"read_image: the image holds {pixels.dtype} values (mode {image.mode}); only 8-bit "
            f"images are read here. Open it with Pillow: PIL.Image.open(path)."
        )
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    return Tensor._make(np.ascontiguousarray(pixels.transpose(2, 0, 1)))


def _converted(image, mode: ImageReadMode):
    if mode is not ImageReadMode.UNCHANGED:
        return image.convert(_PIL_MODES[mode])
    if image.mode == "P":  # a palette: its colours, as torchvision's decoders give them
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode == "1":  # one bit per pixel: 0 or 255
        return image.convert("L")
    return image


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """The image file at `path` as a uint8 tensor (C, H, W): channels as stored (1 grey, 3
    RGB, 4 with alpha) or as `mode` asks (ImageReadMode.RGB, ...)."""
    return decode_image(path, mode, apply_exif_orientation)


def read_file(path) -> Tensor:
    """The bytes of a file as a 1-d uint8 tensor."""
    with open(os.fspath(path), "rb") as f:
        return Tensor._make(np.frombuffer(f.read(), np.uint8).copy())


def __getattr__(name: str):
    return compat.unsupported_attribute("torchvision.io", name)
