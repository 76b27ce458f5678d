"""Sampling an image at arbitrary points: affine_grid and grid_sample, as
torch.nn.functional's (the spatial transformer's two halves; torchvision's rotations and
affine transforms of tensors use them too).

affine_grid turns a batch of 2x3 matrices into the points an affine map sends each output
pixel to, in coordinates from -1 to 1 across the input; grid_sample reads the input there.
Both are differentiable: through grid_sample into the image and into the points, and through
affine_grid (a matrix product) into the matrices, so a network can learn where to look.
Read next: upsampling.py (resizing is sampling on a regular grid).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import ArgumentError, ShapeError, UnsupportedError
from ..ops.movement import GridSample
from ..tensor import Tensor, takes_tensor

_MODES = ("bilinear", "nearest")
_PADDING = ("zeros", "border", "reflection")


def _corner_points(steps: int, align_corners: bool, dtype) -> np.ndarray:
    """Where the centres of `steps` pixels lie on [-1, 1]: from -1 to 1 with align_corners,
    else (2i + 1) / steps - 1 (the outer edges at -1 and 1), as torch's linspace * (n-1)/n."""
    if steps <= 1:
        return np.zeros(max(steps, 0), dtype=dtype)
    points = np.linspace(-1.0, 1.0, steps, dtype=dtype)
    return points if align_corners else points * np.asarray((steps - 1) / steps, dtype)


@takes_tensor
def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) of affine maps theta (N, 2, 3) for an output of
    size (N, C, H, W): grid[n, i, j] = theta[n] @ (x_j, y_i, 1), with (x_j, y_i) the output
    pixel's centre in [-1, 1] coordinates (see grid_sample for align_corners; default False).

    theta = [[1, 0, 0], [0, 1, 0]] is the identity: grid_sample then gives the input back.
    Differentiable in theta (it is a matrix product).

    Example:
        >>> import scratchish as sh
        >>> identity = sh.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> affine_grid(identity, (1, 1, 1, 2), align_corners=True).tolist()
        [[[[-1.0, 0.0], [1.0, 0.0]]]]
    """
    whole = isinstance(size, (tuple, list)) and all(isinstance(s, numbers.Integral) for s in size)
    if not whole:
        raise ArgumentError(
            f"affine_grid: size must be the output's shape (N, C, H, W) as a tuple or "
            f"torch.Size, got {size!r}; e.g. affine_grid(theta, x.size())."
        )
    size = tuple(int(s) for s in size)
    if len(size) == 5:
        raise UnsupportedError(
            f"affine_grid: size {size} is 5-D (volumes); scratchish samples 2-D images: give "
            f"size (N, C, H, W) and theta (N, 2, 3)."
        )
    if len(size) != 4:
        raise ShapeError(f"affine_grid: size must be (N, C, H, W), got {size}.")
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3) or theta.shape[0] != size[0]:
        raise ShapeError(
            f"affine_grid: theta must be (N, 2, 3) with N = size[0] = {size[0]}, got "
            f"{tuple(theta.shape)}. One map for the whole batch: theta.expand({size[0]}, 2, 3)."
        )
    if not np.issubdtype(theta.array.dtype, np.floating):
        raise ArgumentError(
            f"affine_grid: theta must be floating point, got {theta.dtype}: theta.float()."
        )
    n, _, h, w = size
    dtype = theta.array.dtype
    base = np.empty((h, w, 3), dtype=dtype)  # (x, y, 1) of each output pixel
    base[..., 0] = _corner_points(w, bool(align_corners), dtype)
    base[..., 1] = _corner_points(h, bool(align_corners), dtype)[:, None]
    base[..., 2] = 1
    points = Tensor._make(base.reshape(1, h * w, 3))
    return (points @ theta.transpose(1, 2)).reshape(n, h, w, 2)


@takes_tensor
def grid_sample(
    input: Tensor,  # noqa: A002 - PyTorch's names
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """The input (N, C, H, W) read at the points grid (N, Ho, Wo, 2): out[n, :, i, j] is the
    input of image n at grid[n, i, j] = (x, y), x across the width and y down the height,
    both from -1 to 1. Shape: (N, C, Ho, Wo).

    mode 'bilinear' mixes the four pixels around the point, 'nearest' takes the closest
    (halves round to even, as torch). align_corners=False (the default) puts -1 and 1 on the
    outer edges of the corner pixels, True on their centres. padding_mode says what lies
    outside the image: 'zeros', 'border' (the edge pixels repeat) or 'reflection' (the image
    mirrored). Differentiable in input and, for 'bilinear', in grid. See ops/movement.py
    GridSample for the formulas.

    Example:
        >>> import scratchish as sh
        >>> image = sh.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> centre = sh.zeros(1, 1, 1, 2)  # the middle of the image
        >>> grid_sample(image, centre, align_corners=False).item()
        2.5
    """
    who = "grid_sample"
    if not isinstance(grid, Tensor):
        raise ArgumentError(f"{who}: grid must be a scratchish Tensor, got {type(grid)}.")
    if input.ndim == 5:
        raise UnsupportedError(
            f"{who}: 5-D input {tuple(input.shape)} (volumes); scratchish samples 2-D images "
            f"(N, C, H, W) with grids (N, Ho, Wo, 2)."
        )
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2:
        raise ShapeError(
            f"{who}: expects input (N, C, H, W) and grid (N, Ho, Wo, 2), got "
            f"{tuple(input.shape)} and {tuple(grid.shape)}."
        )
    if grid.shape[0] != input.shape[0]:
        raise ShapeError(
            f"{who}: grid has {grid.shape[0]} images' points, input {input.shape[0]} images; "
            f"they must match (grid.expand({input.shape[0]}, -1, -1, -1) shares one grid)."
        )
    if mode == "bicubic":
        raise UnsupportedError(
            f"{who}: mode='bicubic' is not in scratchish; use 'bilinear' or 'nearest'."
        )
    if mode not in _MODES:
        raise ArgumentError(f"{who}: mode must be 'bilinear' or 'nearest', got {mode!r}.")
    if padding_mode not in _PADDING:
        raise ArgumentError(
            f"{who}: padding_mode must be 'zeros', 'border' or 'reflection', got {padding_mode!r}."
        )
    if input.array.dtype != grid.array.dtype:
        raise ArgumentError(
            f"{who}: input ({input.dtype}) and grid ({grid.dtype}) must have the same dtype: "
            f"grid.to(input.dtype)."
        )
    return GridSample.apply(
        input,
        grid,
        mode=mode,
        padding_mode=padding_mode,
        align_corners=bool(align_corners),
    )
