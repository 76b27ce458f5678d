"""Padding layers: ZeroPad1d/2d/3d and ConstantPad1d/2d/3d add a border of a constant around
the last dims; ReflectionPad, ReplicationPad and CircularPad (1d/2d/3d) a border copied from the
input (all F.pad); PixelShuffle/PixelUnshuffle move pixels between channels and space. Read
next: upsampling.py.
"""

from __future__ import annotations

from ..errors import ArgumentError
from ..tensor import Tensor, _int_list
from . import functional as F
from .module import Module


class _PadNd(Module):
    """Pad the last `n_dims` dims with F.pad in `mode`; padding an int (every side) or one
    (before, after) pair per dim, last dim first, as F.pad."""

    n_dims = 0
    mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        sides = _int_list(f"nn.{type(self).__name__}", "padding", padding)
        if not isinstance(padding, (list, tuple)):  # an int: every side
            sides = sides * (2 * self.n_dims)
        padding = tuple(sides)
        if len(padding) != 2 * self.n_dims:
            sides = ("left, right", "top, bottom", "front, back")[: self.n_dims]
            raise ArgumentError(
                f"{type(self).__name__}: padding must be an int or {2 * self.n_dims} ints "
                f"({', '.join(sides)}); got {padding}."
            )
        self.padding = padding

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    """Pad with a constant `value`."""

    shows_value = True  # in the repr; ZeroPad's repr is the padding alone, as PyTorch's

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        if not self.shows_value:
            return f"{self.padding}"
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with `value`. Shape: (*, L) -> (*, L + left + right)."""

    n_dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with `value`: padding (left, right, top, bottom).
    Shape: (*, H, W) -> (*, H + top + bottom, W + left + right)."""

    n_dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with `value`: padding (left, right, top, bottom, front, back).
    Shape: (*, D, H, W) -> (*, D + front + back, H + top + bottom, W + left + right)."""

    n_dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    shows_value = False

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: padding (left, right, top, bottom) or an int.

    Example:
        >>> import scratchish as sh
        >>> ZeroPad2d(1)(sh.ones(1, 1, 1)).tolist()
        [[[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]
    """

    shows_value = False

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros: padding (left, right, top, bottom, front, back)."""

    shows_value = False

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its mirror image, the edge value not repeated: F.pad(x, padding,
    'reflect'). Each width must be less than the length.

    Shape: (N, C, L) or (C, L) -> (..., L + left + right).

    Example:
        >>> import scratchish as sh
        >>> ReflectionPad1d(2)(sh.tensor([[1.0, 2.0, 3.0]])).tolist()
        [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]
    """

    n_dims, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pad height and width with their mirror images (padding (left, right, top, bottom) or an
    int): a border with no sharp edge, used before convolutions in style transfer and
    CycleGAN. Each width must be less than the size it pads.

    Shape: (N, C, H, W) or (C, H, W) -> (..., H + top + bottom, W + left + right).

    Example:
        >>> import scratchish as sh
        >>> ReflectionPad2d(1)(sh.tensor([[[1.0, 2.0], [3.0, 4.0]]])).tolist()
        [[[4.0, 3.0, 4.0, 3.0], [2.0, 1.0, 2.0, 1.0], [4.0, 3.0, 4.0, 3.0], [2.0, 1.0, 2.0, 1.0]]]
    """

    n_dims, mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Pad depth, height and width with their mirror images (6 widths or an int).

    Shape: (N, C, D, H, W) or (C, D, H, W) -> padded (D, H, W)."""

    n_dims, mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values: F.pad(x, padding, 'replicate').

    Shape: (N, C, L) or (C, L) -> (..., L + left + right).

    Example:
        >>> import scratchish as sh
        >>> ReplicationPad1d((2, 1))(sh.tensor([[1.0, 2.0, 3.0]])).tolist()
        [[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]]
    """

    n_dims, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pad height and width by repeating the edge pixels (padding (left, right, top, bottom)
    or an int). Shape: (N, C, H, W) or (C, H, W) -> (..., H + top + bottom, W + left + right).
    """

    n_dims, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Pad depth, height and width by repeating the edge values (6 widths or an int).
    Shape: (N, C, D, H, W) or (C, D, H, W) -> padded (D, H, W)."""

    n_dims, mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around (periodic boundary): F.pad(x, padding, 'circular').
    Each width must be at most the length.

    Shape: (N, C, L) or (C, L) -> (..., L + left + right).

    Example:
        >>> import scratchish as sh
        >>> CircularPad1d((2, 1))(sh.tensor([[1.0, 2.0, 3.0]])).tolist()
        [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]
    """

    n_dims, mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Pad height and width by wrapping around, as on a torus (padding (left, right, top,
    bottom) or an int). Shape: (N, C, H, W) or (C, H, W) -> (..., H + top + bottom,
    W + left + right)."""

    n_dims, mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Pad depth, height and width by wrapping around (6 widths or an int).
    Shape: (N, C, D, H, W) or (C, D, H, W) -> padded (D, H, W)."""

    n_dims, mode = 3, "circular"


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


class ChannelShuffle(Module):
    """Interleave the channels of `groups` groups (see F.channel_shuffle): ShuffleNet's
    layer between grouped convolutions. (N, C, *) -> the same.

    Example:
        >>> import scratchish as sh
        >>> sh.nn.ChannelShuffle(2)(sh.arange(4.0).reshape(1, 4, 1)).flatten().tolist()
        [0.0, 2.0, 1.0, 3.0]
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C * r^2, H, W) (see F.pixel_unshuffle)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
