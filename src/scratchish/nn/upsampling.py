"""Resizing: interpolate (nearest, nearest-exact, linear, bilinear, bicubic, area) and the
Upsample layers, as torch.nn.functional.interpolate and torch.nn.Upsample.

Each output position reads one input position (nearest) or mixes two neighbours per axis
(linear) or four (bicubic), at the source coordinates PyTorch computes. Nearest is indexing
on tensors, so its gradient comes from the indexing op; linear is one op (ops/movement.py
LinearResize) with its own backward; bicubic and the antialiased modes are two matrix
products, out = Wh @ x @ Ww^T, with one (out, in) weight matrix per axis (resizing is
separable), so their gradients come from matmul. Read next: fold.py.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ArgumentError, ShapeError, UnsupportedError
from ..ops.movement import LinearResize
from ..tensor import Tensor, _number, takes_tensor
from .conv import adaptive_avg_pool2d
from .module import Module

_LINEAR = {3: "linear", 4: "bilinear"}  # the linear mode of each input rank


@takes_tensor
def interpolate(
    input: Tensor,  # noqa: A002 - PyTorch's names
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of (N, C, L) or (N, C, H, W) to `size`, or by `scale_factor`
    (output size floor(in * scale_factor)).

    mode='nearest': out[i] = x[min(floor(i * s), in - 1)], s = 1 / scale_factor (or in / out
    when size is given or recompute_scale_factor=True), computed in float32 as PyTorch;
    'nearest-exact' uses floor((i + 0.5) * s). 'linear' (3-D) / 'bilinear' (4-D) mix the two
    neighbours of the source coordinate u = (i + 0.5) * s - 0.5 (at least 0), or with
    align_corners=True u = i * (in - 1) / (out - 1), so that the corner pixels line up.
    'bicubic' (4-D) mixes four neighbours per axis with Keys' cubic weights (a = -0.75, as
    PyTorch; the edge pixels repeat beyond the border), so it can overshoot the input's
    range. 'area' is adaptive average pooling (4-D).

    Shape: (N, C, *in) -> (N, C, *size).

    Example:
        >>> import scratchish as sh
        >>> interpolate(sh.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
        [[[1.0, 1.0, 2.0, 2.0]]]
        >>> interpolate(sh.tensor([[[1.0, 2.0]]]), size=3, mode="linear", align_corners=True)
        tensor([[[1.0000, 1.5000, 2.0000]]])
    """
    who = "interpolate"
    if not isinstance(input, Tensor):
        raise ArgumentError(f"{who}: input must be a scratchish Tensor, got {type(input)}.")
    if input.ndim not in (3, 4):
        raise UnsupportedError(
            f"{who}: input of {input.ndim} dims {tuple(input.shape)}; scratchish resizes "
            f"3-D (N, C, L) and 4-D (N, C, H, W) inputs. For one image add the batch dim: "
            f"x.unsqueeze(0)."
        )
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ArgumentError(
            f"{who}: antialias=True works with mode='bilinear' or 'bicubic' (as PyTorch), got "
            f"mode={mode!r}."
        )
    if antialias and input.ndim == 4:
        in_size = tuple(input.shape[2:])
        out_size, scales = _output_size(in_size, size, scale_factor, recompute_scale_factor, who)
        return _antialiased(input, in_size, out_size, scales, mode)
    n_spatial = input.ndim - 2
    linear = _LINEAR[input.ndim]
    if mode == "bicubic" and input.ndim == 4:  # four neighbours per axis, as two products
        in_size = tuple(input.shape[2:])
        out_size, scales = _output_size(in_size, size, scale_factor, recompute_scale_factor, who)
        dtype = input.array.dtype
        return _by_matrices(
            input,
            (
                _bicubic_weights(n_in, n_out, scale, bool(align_corners), dtype)
                for n_in, n_out, scale in zip(in_size, out_size, scales)
            ),
        )
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        if mode != linear:
            raise UnsupportedError(
                f"{who}: mode={mode!r} with a {input.ndim}-D input {tuple(input.shape)}; "
                f"scratchish resizes it with mode={linear!r} (or 'nearest', 'nearest-exact'"
                f"{', area' if input.ndim == 4 else ''})."
            )
        align_corners = bool(align_corners)
    elif mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ArgumentError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    else:
        raise ArgumentError(
            f"{who}: unknown mode {mode!r}; use 'nearest', 'nearest-exact', {linear!r} or 'area'."
        )
    in_size = tuple(input.shape[2:])
    out_size, scales = _output_size(in_size, size, scale_factor, recompute_scale_factor, who)
    if mode == "area":
        if input.ndim != 4:
            raise UnsupportedError(f"{who}: mode='area' is supported for 4-D input only.")
        return adaptive_avg_pool2d(input, out_size)
    if mode == linear:  # both neighbours per axis, every axis in one op (ops/movement.py)
        dtype = input.array.dtype
        axes = tuple(
            _linear_neighbours(n_in, n_out, scale, align_corners, dtype)
            for n_in, n_out, scale in zip(in_size, out_size, scales)
        )
        return LinearResize.apply(input, axes=axes)
    out = input
    for axis in range(n_spatial):  # one axis at a time: resizing is separable
        dim = 2 + axis
        n_in, n_out, scale = in_size[axis], out_size[axis], scales[axis]
        source = _nearest_source(n_in, n_out, scale, exact=mode == "nearest-exact")
        out = out[(slice(None),) * dim + (source,)]
    return out


def _antialiased(x: Tensor, in_size, out_size, scales, mode: str) -> Tensor:
    """Resize (N, C, H, W) as PIL and PyTorch's antialias=True do: each output pixel is a
    weighted mean of the input pixels under a filter stretched by the shrink factor (a
    triangle for bilinear, Keys' cubic with a = -0.5 for bicubic), so shrinking averages
    every pixel instead of sampling a few. Resizing is separable: out = Wh @ x @ Ww^T with
    one (out, in) weight matrix per axis, two matrix products (and their backward)."""
    return _by_matrices(
        x,
        (
            _antialias_weights(n_in, n_out, scale, mode)
            for n_in, n_out, scale in zip(in_size, out_size, scales)
        ),
    )


def _by_matrices(x: Tensor, weights) -> Tensor:
    """Wh @ x @ Ww^T: (N, C, H, W) resized by one (out, in) weight matrix per axis, in x's
    dtype (the bicubic and antialiased modes; their backward comes from the products)."""
    rows, cols = (Tensor._make(np.asarray(w, dtype=x.array.dtype)) for w in weights)
    return rows @ x @ cols.T


def _antialias_weights(n_in: int, n_out: int, scale, mode: str) -> np.ndarray:
    """The (n_out, n_in) matrix of PyTorch's _compute_indices_weights_aa: output i centred
    at c = s (i + 0.5) in input coordinates, s = in / out (or 1 / scale_factor), reads the
    inputs j within the filter's support (widened by s when shrinking), weighted by
    filter((j + 0.5 - c) / max(s, 1)) and normalized to sum to 1."""
    s = float(_source_scale(n_in, n_out, scale, np.float64))
    support = (1.0 if mode == "bilinear" else 2.0) * max(s, 1.0)
    weights = np.zeros((n_out, n_in))
    for i in range(n_out):
        centre = s * (i + 0.5)
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), n_in)
        t = np.abs((np.arange(lo, hi) + 0.5 - centre) / max(s, 1.0))
        if mode == "bilinear":
            w = np.maximum(1.0 - t, 0.0)
        else:  # Keys' cubic convolution, a = -0.5 (PIL's and PyTorch's antialiased bicubic)
            a = -0.5
            w = np.where(
                t < 1.0,
                ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0,
                np.where(t < 2.0, ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a, 0.0),
            )
        total = w.sum()
        weights[i, lo:hi] = w / total if total != 0 else w
    return weights


def _bicubic_weights(n_in: int, n_out: int, scale, align_corners: bool, dtype) -> np.ndarray:
    """The (n_out, n_in) matrix of PyTorch's bicubic interpolation along one axis: output i
    sits at u = s (i + 0.5) - 0.5 in input coordinates (s = in / out, or 1 / scale_factor;
    with align_corners u = i (in - 1) / (out - 1)), and mixes the four inputs floor(u) - 1
    .. floor(u) + 2 with Keys' cubic weights (a = -0.75) of their distances to u. Taps past
    the ends read the edge pixel (their weights add up there). Computed in the input's
    dtype, as PyTorch does."""
    a = dtype.type(-0.75)
    i = np.arange(n_out, dtype=dtype)
    if align_corners:
        step = dtype.type((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype.type(0)
        u = step * i
    else:
        u = _source_scale(n_in, n_out, scale, dtype) * (i + dtype.type(0.5)) - dtype.type(0.5)
    start = np.floor(u)
    t = (u - start).astype(dtype)

    def near(x):  # |x| <= 1: ((a + 2) x - (a + 3)) x^2 + 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2: ((a x - 5a) x + 8a) x - 4a
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    taps = (far(t + 1), near(t), near(1 - t), far(2 - t))  # at start - 1, start, +1, +2
    weights = np.zeros((n_out, n_in), dtype=dtype)
    rows = np.arange(n_out)
    for k, w in enumerate(taps):
        columns = np.clip(start.astype(np.int64) - 1 + k, 0, n_in - 1)
        np.add.at(weights, (rows, columns), w.astype(dtype))
    return weights


def _output_size(in_size: tuple, size, scale_factor, recompute, who: str) -> tuple:
    """(output sizes, the scale factor each axis's kernel uses or None), as PyTorch."""
    n = len(in_size)
    if (size is None) == (scale_factor is None):
        raise ArgumentError(
            f"{who}: give exactly one of size and scale_factor "
            f"({'both' if size is not None else 'neither'} given)."
        )
    if size is not None:
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * n
        if len(sizes) != n or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ShapeError(
                f"{who}: size must be a positive int or {n} of them for an input with {n} "
                f"spatial dims {in_size}; got {size!r}."
            )
        return sizes, (None,) * n
    factors = scale_factor if isinstance(scale_factor, (list, tuple)) else (scale_factor,) * n
    factors = tuple(float(_number(who, "scale_factor", f)) for f in factors)
    if len(factors) != n or min(factors) <= 0:
        raise ArgumentError(
            f"{who}: scale_factor must be a positive number or {n} of them for an input "
            f"with {n} spatial dims {in_size}; got {scale_factor!r}."
        )
    sizes = tuple(math.floor(s * f) for s, f in zip(in_size, factors))
    if min(sizes) < 1:
        raise ShapeError(
            f"{who}: scale_factor={scale_factor} makes the input's {in_size} into {sizes}: "
            f"every output size must be at least 1."
        )
    return sizes, ((None,) * n if recompute else factors)


def _source_scale(n_in: int, n_out: int, scale, dtype) -> np.ndarray:
    """in / out, or 1 / scale_factor when one is given: PyTorch's compute_scales_value."""
    if scale is not None and scale > 0:
        return np.asarray(1.0 / scale, dtype=dtype)
    return np.asarray(n_in, dtype=dtype) / np.asarray(n_out, dtype=dtype)


def _nearest_source(n_in: int, n_out: int, scale, exact: bool) -> np.ndarray:
    """The input index each output index copies, with PyTorch's roundings: a float32 scale;
    i * scale in float32, (i + 0.5) * scale in float64 then float32 (nearest-exact)."""
    s = _source_scale(n_in, n_out, scale, np.float32)
    if exact:
        source = ((np.arange(n_out) + 0.5) * np.float64(s)).astype(np.float32)
    else:
        source = np.arange(n_out, dtype=np.float32) * s
    return np.minimum(np.floor(source).astype(np.int64), n_in - 1)


def _linear_neighbours(n_in: int, n_out: int, scale, align_corners: bool, dtype) -> tuple:
    """Linear interpolation along one axis, out[i] = (1 - l_i) x[i0_i] + l_i x[i1_i]: the
    arrays (i0, i1, 1 - l, l), at PyTorch's source coordinates and roundings."""
    dst = np.arange(n_out, dtype=dtype)
    if align_corners:
        step = (np.asarray(n_in - 1, dtype) / (n_out - 1)) if n_out > 1 else np.asarray(0, dtype)
        source = step * dst
    else:  # PyTorch: the scale in the input's dtype, the coordinate in float64, then back
        s = np.float64(_source_scale(n_in, n_out, scale, dtype))
        source = np.maximum((s * (np.arange(n_out) + 0.5) - 0.5).astype(dtype), 0)
    i0 = np.minimum(source.astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    weight1 = np.clip(source - i0, 0, 1).astype(dtype)
    weight0 = (1 - weight1).astype(dtype)
    return i0, i1, weight0, weight1


class Upsample(Module):
    """Resize by `scale_factor` or to `size` (see interpolate): U-Nets, GAN generators and
    fast.ai's decoders use it before a convolution.

    Args:
        size: int or tuple, the output size. scale_factor: number or tuple.
        mode: 'nearest' (default), 'nearest-exact', 'linear', 'bilinear' or 'area'.
        align_corners: for the linear modes. recompute_scale_factor: as interpolate.

    Shape: (N, C, L) or (N, C, H, W) -> (N, C, *size).

    Example:
        >>> import scratchish as sh
        >>> Upsample(scale_factor=2)(sh.zeros(1, 3, 4, 4)).shape
        scratchish.Size([1, 3, 8, 8])
    """

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(
                float(_number(f"nn.{self.name}", "scale_factor", f)) for f in scale_factor
            )
        else:
            self.scale_factor = (
                float(_number(f"nn.{self.name}", "scale_factor", scale_factor))
                if scale_factor
                else None
            )
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample(size, scale_factor, mode='nearest') for images."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample(size, scale_factor, mode='bilinear', align_corners=True) for images."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
