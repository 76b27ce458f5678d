"""Padding layers: ZeroPad1d/2d and ConstantPad1d/2d add a border of a constant around the
last dims (F.pad, constant mode), and PixelShuffle/PixelUnshuffle move pixels between channels
and space. Read next: upsampling.py.
"""

from __future__ import annotations

from ..errors import ArgumentError
from ..tensor import Tensor, _int_list
from . import functional as F
from .module import Module


class _ConstantPadNd(Module):
    """Pad the last `n_dims` dims with `value`; padding an int (every side) or one
    (before, after) pair per dim, last dim first, as F.pad."""

    n_dims = 0

    def __init__(self, padding, value: float) -> None:
        super().__init__()
        sides = _int_list(f"nn.{type(self).__name__}", "padding", padding)
        if not isinstance(padding, (list, tuple)):  # an int: every side
            sides = sides * (2 * self.n_dims)
        padding = tuple(sides)
        if len(padding) != 2 * self.n_dims:
            raise ArgumentError(
                f"{type(self).__name__}: padding must be an int or {2 * self.n_dims} ints "
                f"(left, right{', top, bottom' if self.n_dims == 2 else ''}); got {padding}."
            )
        self.padding, self.value = padding, value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with `value`. Shape: (*, L) -> (*, L + left + right)."""

    n_dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with `value`: padding (left, right, top, bottom).
    Shape: (*, H, W) -> (*, H + top + bottom, W + left + right)."""

    n_dims = 2


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: padding (left, right, top, bottom) or an int.

    Example:
        >>> import scratchish as sh
        >>> ZeroPad2d(1)(sh.ones(1, 1, 1)).tolist()
        [[[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]
    """

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class PixelShuffle(Module):
    """(*, C * r^2, H, W) -> (*, C, H r, W r) (see F.pixel_shuffle): super-resolution's
    upsampling."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C * r^2, H, W) (see F.pixel_unshuffle)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
