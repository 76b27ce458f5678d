"""Showing a batch of images (torchvision.utils): `make_grid` tiles them into one image,
`save_image` writes that image to a file. PyTorch's CIFAR-10 tutorial shows its batches so:
plt.imshow(make_grid(images).permute(1, 2, 0)).
"""

from __future__ import annotations

import math
import os

import numpy as np

from .. import compat
from ..errors import ArgumentError, DTypeError, ShapeError
from ..tensor import Tensor
from .transforms.functional import _pil_image


def make_grid(
    tensor,
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Tensor:
    """Tile a batch of images (B, C, H, W), or a list of (C, H, W) images, into one image
    (C, rows * (H + padding) + padding, columns * (W + padding) + padding), `nrow` to a row,
    with `padding` pixels of `pad_value` around each. One-channel images become three (grey
    in RGB), as torchvision's.

    Args:
        normalize: stretch the values to [0, 1]: from `value_range` (low, high), or from the
            batch's min and max (each image's own with scale_each=True); values outside the
            range are clipped.

    Example:
        >>> import scratchish as sh
        >>> make_grid(sh.ones(5, 1, 4, 4), nrow=3).shape
        scratchish.Size([3, 14, 20])
    """
    if isinstance(tensor, (list, tuple)):
        if not tensor or not all(isinstance(t, Tensor) for t in tensor):
            raise DTypeError("make_grid: a list must hold tensors (C, H, W) of one shape.")
        array = np.stack([t.detach().array for t in tensor])
    elif isinstance(tensor, Tensor):
        array = tensor.detach().array
    else:
        raise DTypeError(
            f"make_grid: tensor must be a tensor (B, C, H, W) or a list of tensors, got "
            f"{type(tensor).__name__}."
        )
    if array.ndim == 2:  # one image (H, W)
        array = array[None]
    if array.ndim == 3:  # one image (C, H, W)
        array = array[None]
    if array.ndim != 4:
        raise ShapeError(f"make_grid: expected images (B, C, H, W); got shape {array.shape}.")
    if array.shape[1] == 1:  # grey: the same values in the red, green and blue channels
        array = np.concatenate([array] * 3, axis=1)
    if normalize:
        array = _stretched(array.astype(np.result_type(array.dtype, np.float32)), value_range,
                           scale_each)  # fmt: skip
    if array.shape[0] == 1:
        return Tensor._make(array[0].copy())
    count, channels, height, width = array.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    cell_h, cell_w = height + padding, width + padding
    grid = np.full((channels, rows * cell_h + padding, columns * cell_w + padding), pad_value,
                   array.dtype)  # fmt: skip
    for k in range(count):
        top, left = (k // columns) * cell_h + padding, (k % columns) * cell_w + padding
        grid[:, top : top + height, left : left + width] = array[k]
    return Tensor._make(grid)


def _stretched(array: np.ndarray, value_range, scale_each: bool) -> np.ndarray:
    """Values clipped to (low, high) and mapped to [0, 1]; the range from the data if None."""
    if value_range is not None and not (
        isinstance(value_range, (tuple, list)) and len(value_range) == 2
    ):
        raise ArgumentError(
            f"make_grid: value_range must be a pair (low, high), got {value_range!r}."
        )
    parts = list(array) if scale_each else [array]
    for part in parts:  # views: each is changed in place
        low, high = value_range if value_range is not None else (part.min(), part.max())
        np.clip(part, low, high, out=part)
        part -= low
        part /= max(high - low, 1e-5)
    return array


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:  # noqa: A002
    """Write the images as one picture file (PNG, JPEG, ... by the name or `format`): the
    grid of make_grid(tensor, **kwargs), values in [0, 1] scaled to bytes."""
    grid = make_grid(tensor, **kwargs).array
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    image = _pil_image().fromarray(pixels)
    if isinstance(fp, (str, os.PathLike)):
        fp = os.fspath(fp)
    image.save(fp, format=format)


def __getattr__(name: str):
    return compat.unsupported_attribute("torchvision.utils", name)
