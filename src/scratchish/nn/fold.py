"""unfold and fold (nn.Unfold, nn.Fold): cut an image into its sliding blocks as columns
(im2col), and put columns back into an image, adding where blocks overlap (col2im).

Both come down to one index: where in the padded image each (kernel position, block) value
lives. unfold reads there, fold adds there (index_add); each is the other's gradient, so no
new backward is written. Read next: conv.py (conv2d is unfold followed by a matrix product).
"""

from __future__ import annotations

import numpy as np

from ..creation import pad
from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor, takes_tensor
from .conv import _pair, _positive
from .module import Module


def _block_index(padded: tuple, kernel: tuple, dilation: tuple, stride: tuple, who: str):
    """Flat indices into the padded (Hp * Wp) image, shape (kh * kw * L,) in the order of
    unfold's output (kernel position p, q major, then block i, j), and the block grid."""
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(s > n for s, n in zip(span, padded)):
        raise ShapeError(
            f"{who}: the kernel {kernel} (dilation {dilation}) spans {tuple(span)}, more than "
            f"the padded image {padded}. Use a smaller kernel_size or more padding."
        )
    blocks = tuple((n - s) // st + 1 for n, s, st in zip(padded, span, stride))
    rows = np.arange(kernel[0])[:, None] * dilation[0] + np.arange(blocks[0])[None] * stride[0]
    cols = np.arange(kernel[1])[:, None] * dilation[1] + np.arange(blocks[1])[None] * stride[1]
    # (kh, 1, oh, 1) * Wp + (1, kw, 1, ow) -> (kh, kw, oh, ow)
    flat = rows[:, None, :, None] * padded[1] + cols[None, :, None, :]
    return flat.reshape(-1), blocks


def _settings(kernel_size, dilation, padding, stride, who: str) -> tuple:
    kernel = _positive(_pair(kernel_size, "kernel_size", who), "kernel_size", who)
    dilation = _positive(_pair(dilation, "dilation", who), "dilation", who)
    padding = _positive(_pair(padding, "padding", who), "padding", who, minimum=0)
    stride = _positive(_pair(stride, "stride", who), "stride", who)
    return kernel, dilation, padding, stride


@takes_tensor
def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Every kernel_size block of the (zero-padded) image as a column:
    out[n, c * kh * kw + p * kw + q, i * ow + j] = x_padded[n, c, i * sh + p * dh, j * sw + q * dw]

    Shape: (N, C, H, W) or (C, H, W) -> (N, C * kh * kw, L), L = oh * ow blocks, oh as the
    output height of conv2d.

    Example:
        >>> import scratchish as sh
        >>> unfold(sh.arange(4.0).reshape(1, 1, 2, 2), 1).tolist()
        [[[0.0, 1.0, 2.0, 3.0]]]
    """
    who = "unfold"
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(
            f"{who}: input must be a 4-D (N, C, H, W) or 3-D (C, H, W) tensor; got {shape}."
        )
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    kernel, dilation, padding, stride = _settings(kernel_size, dilation, padding, stride, who)
    n, channels, height, width = input.shape
    padded_size = (height + 2 * padding[0], width + 2 * padding[1])
    index, blocks = _block_index(padded_size, kernel, dilation, stride, who)
    padded = pad(input, (padding[1], padding[1], padding[0], padding[0]), "constant", 0.0)
    columns = padded.reshape(n, channels, -1)[:, :, index]  # (N, C, kh * kw * L)
    return columns.reshape(n, channels * kernel[0] * kernel[1], blocks[0] * blocks[1])


@takes_tensor
def fold(
    input: Tensor,  # noqa: A002
    output_size,
    kernel_size,
    dilation=1,
    padding=0,
    stride=1,
) -> Tensor:
    """The inverse layout of unfold: put each column back as a block of an image of
    `output_size`, adding the values where blocks overlap (so fold(unfold(x)) counts each
    pixel once per block that covers it).

    Shape: (N, C * kh * kw, L) or (C * kh * kw, L) -> (N, C, H, W), L the number of blocks
    that unfold would cut from an (H, W) image.

    Example:
        >>> import scratchish as sh
        >>> fold(sh.ones(1, 4, 4), (3, 3), 2).tolist()
        [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    who = "fold"
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(
            f"{who}: input must be a 3-D (N, C * kh * kw, L) or 2-D (C * kh * kw, L) tensor; "
            f"got {shape}."
        )
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride)[0]
    kernel, dilation, padding, stride = _settings(kernel_size, dilation, padding, stride, who)
    size = _pair(output_size, "output_size", who)
    n, n_rows, n_blocks = input.shape
    per_block = kernel[0] * kernel[1]
    if n_rows % per_block:
        raise ShapeError(
            f"{who}: the input's dim 1 ({n_rows}) must be divisible by the product of "
            f"kernel_size {kernel} ({per_block}): it holds C * kh * kw values per block."
        )
    padded_size = (size[0] + 2 * padding[0], size[1] + 2 * padding[1])
    index, blocks = _block_index(padded_size, kernel, dilation, stride, who)
    if blocks[0] * blocks[1] != n_blocks:
        raise ShapeError(
            f"{who}: given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={padding}, stride={stride}, expected the input's dim 2 to be "
            f"{blocks[0] * blocks[1]} ({blocks[0]} x {blocks[1]} blocks), but got {n_blocks}."
        )
    channels = n_rows // per_block
    columns = input.reshape(n, channels, per_block * n_blocks)
    image = input.new_zeros(n, channels, padded_size[0] * padded_size[1])
    image = image.index_add(2, index, columns).reshape(n, channels, *padded_size)
    return image[:, :, padding[0] : padding[0] + size[0], padding[1] : padding[1] + size[1]]


class Unfold(Module):
    """Extract sliding blocks as columns (see unfold).

    Shape: (N, C, H, W) -> (N, C * kh * kw, L).
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )


class Fold(Unfold):
    """Combine columns of sliding blocks into an image, adding overlaps (see fold).

    Shape: (N, C * kh * kw, L) -> (N, C, H, W).
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__(kernel_size, dilation, padding, stride)
        if output_size is None:
            raise ArgumentError("Fold: output_size must be given (the (H, W) to rebuild).")
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, " + super().extra_repr()
