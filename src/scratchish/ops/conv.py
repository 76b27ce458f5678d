"""Image primitives: 2-D convolution (im2col) and transposed convolution (col2im), depthwise
convolution (a loop over the kernel's taps), max/avg/adaptive pooling, fused batch norm.

Each takes and returns NumPy arrays in PyTorch's (N, C, H, W) shape. The convolutions and the
max/avg pools read the number of spatial dims off their inputs, so the 3-d ops (Conv3d,
ConvTranspose3d, MaxPool3d, AvgPool3d: volumes (N, C, D, H, W)) are the same classes under
another name; the comments speak of the 2-d case. Inside, the work is laid
out channels-last (N, H, W, C in memory) because the innermost contiguous runs are then long
(the measurements are in the comments below); results are returned as (N, C, H, W)-shaped views
of that memory, which NumPy's elementwise ops follow. nn/conv.py and nn/batchnorm.py wrap these
in PyTorch's functions and modules. Read next: nn/conv.py.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._threads import blocks, parallel_products, parallel_rows
from ..autograd import Function
from ..errors import ShapeError
from .reduce import unbuffered_rows


def pool_output_size(
    size: int,
    kernel: int,
    stride: int,
    pad_before: int,
    pad_after: int,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """How many windows fit along one axis: PyTorch's formula.

    out = floor((size + pads - dilation * (kernel - 1) - 1) / stride) + 1, with ceil instead of
    floor when ceil_mode; a last window that would start in the right padding is dropped.
    """
    span = size + pad_before + pad_after - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + pad_before:  # last window starts past the input
            out -= 1
        return out
    return span // stride + 1


def conv_output_size(size, kernel, stride, padding, dilation, ceil_mode=False) -> tuple:
    """A convolution's (or pool's) output size, one entry per spatial dim (see
    pool_output_size); padding holds (before, after) per dim."""
    return tuple(
        pool_output_size(m, k, s, before, after, d, ceil_mode)
        for m, k, s, (before, after), d in zip(size, kernel, stride, padding, dilation)
    )


def sliding_windows(
    x: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple, out_size: tuple
) -> np.ndarray:
    """A read-only view (no copy) of every kernel window of an (N, C, H, W)-shaped array (or
    (N, C, D, H, W): any number of spatial dims, one entry per dim in each setting).

    Returns shape (N, C, out_h, out_w, kh, kw): element [n, c, i, j, p, q] is
    x[n, c, i * stride_h + p * dilation_h, j * stride_w + q * dilation_w]. Works for any memory
    layout of x (the strides are read from it), so a channels-last array gives windows whose
    (kw, C) values are contiguous when dilation_w == 1.
    """
    spatial = x.strides[2:]
    shape = (*x.shape[:2], *out_size, *kernel)
    strides = (
        *x.strides[:2],
        *(s * step for s, step in zip(spatial, stride)),
        *(s * d for s, d in zip(spatial, dilation)),
    )
    return as_strided(x, shape, strides, writeable=False)


def _tap_slices(kernel: tuple, stride: tuple, dilation: tuple, out_size: tuple):
    """For each kernel tap (p, q), row-major: the (H, W) slices of the padded input it reads
    (one slice per spatial dim, any number of them).

    Tap (p, q) of output pixel (i, j) reads padded pixel (i * s_h + p * d_h, j * s_w + q * d_w),
    so over all (i, j) it reads one strided slice: looping over the kh * kw taps is kh * kw NumPy
    calls on large arrays, never a loop over pixels.
    """
    for tap in itertools.product(*(range(k) for k in kernel)):
        yield tuple(
            slice(p * d, p * d + s * (o - 1) + 1, s)
            for p, s, d, o in zip(tap, stride, dilation, out_size)
        )


# Below this many input channels (a network's first layer: gray or RGB images) im2col copies
# tap-major from (N, C, H, W) memory, whose contiguous runs are image rows; from this many on,
# row-major from channels-last memory, whose runs are kw * C. Measured on LeNet's first layer
# (C = 1, 5x5): 0.38 ms tap-major vs 1.6 ms row-major.
FEW_CHANNELS = 4


def _is_channels_last(x: np.ndarray) -> bool:
    return np.moveaxis(x, 1, -1).flags.c_contiguous


def pad_input(x: np.ndarray, padding: tuple, channels_last: bool, value=0) -> np.ndarray:
    """x (N, C, H, W) padded with `value` (zeros by default) by ((top, bottom), (left,
    right)), as an (N, C, H', W')-shaped array whose memory is channels-last (N, H', W', C)
    or not, as asked. (Any number of spatial dims: one (before, after) pair each.)

    No copy when there is nothing to pad and x already has that layout (with one channel,
    both layouts are the same memory).
    """
    xp = padded_shell(x, padding, channels_last)
    if xp is None:
        return x
    pad_images(xp, x, padding, slice(None), value)
    return xp


def padded_shell(x: np.ndarray, padding: tuple, channels_last: bool) -> np.ndarray | None:
    """The array pad_input fills, its values not yet written (pad_images writes them, for
    some images or all), or None where x itself serves (see pad_input).

    Conv2d pads each thread's images in its own part, just before it reads them: pad_input
    over the whole batch was a pass on one core before the parts began (ResNet-20's
    training step, batch 64: 24 ms of its ~490). Alternating in one process, 30 rounds
    (2026-11-29): 3 x 3 on 16 channels of 32 x 32, batch 64, forward 8.9 -> 8.1 ms (median);
    LeNet's second layer at batch 256 22.8 -> 22.2; a 3 x 3 layer of 64 channels of 56 x 56,
    batch 16, and LeNet's first layer unchanged within the noise."""
    n, c, *size = x.shape
    if not any(before or after for before, after in padding):
        if c == 1 or _is_channels_last(x) == channels_last:
            return None
    padded = [m + before + after for m, (before, after) in zip(size, padding)]
    memory = (n, *padded, c) if channels_last else (n, c, *padded)
    array = np.empty(memory, x.dtype)
    return np.moveaxis(array, -1, 1) if channels_last else array


def pad_images(xp: np.ndarray, x: np.ndarray, padding: tuple, images: slice, value=0) -> None:
    """Write `images` of x, padded with `value`, into padded_shell's array xp: the strips
    along each spatial dim (corners twice), then x inside (a copy in runs of C when
    channels-last). In (N, C, H, W) memory a side's strip is runs of a few values, slower to
    write than the whole array: there all of it is filled first (256 images of 1 x 28 x 28,
    padded by 2: 0.25 -> 0.12 ms)."""
    part = xp[images]
    if part.shape[1] == 1 or not _is_channels_last(part):
        part[...] = value
    else:
        for d, (before, after) in enumerate(padding, start=2):
            side = [slice(None)] * part.ndim
            for strip in (slice(0, before), slice(part.shape[d] - after, part.shape[d])):
                if strip.stop > strip.start:
                    side[d] = strip
                    part[tuple(side)] = value
    part[(..., *_inside(x.shape[2:], padding))] = x[images]


def new_image(shape: tuple, value, dtype, channels_last: bool) -> np.ndarray:
    """An (N, C, H, W)-shaped array filled with `value`, its memory channels-last (N, H, W,
    C) or not, as asked. (Zeros through np.zeros: ~20% faster than np.full here.)"""
    n, c, *size = shape
    memory = (n, *size, c) if channels_last else shape
    array = np.zeros(memory, dtype) if value == 0 else np.full(memory, value, dtype)
    return np.moveaxis(array, -1, 1) if channels_last else array


def im2col(
    xp: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple, out_size: tuple, ones=False
):
    """The columns matrix of a padded (N, C, H, W)-shaped input: one row per output pixel.

    Row (n, i, j) holds the window under output pixel (i, j) in (kh, kw, C) order, channels
    innermost. Built by ONE copy of the window view. With many channels the copy is row by row
    from channels-last memory: each row is kh runs of kw * C contiguous floats (measured:
    1.0 ms vs 4.7 ms for (C, kh, kw) order). With few channels it is tap by tap (the result is
    the transpose of a (K, M) array, which BLAS reads as well), so the runs are image rows.
    Returns (M, K) = (N * out_h * out_w, kh * kw * C). (Volumes: rows (n, i, j, k), columns
    (kd, kh, kw, C).) ones=True, few channels only: (M, K + 1), the last column all ones, so
    that cols @ [W; b] adds a bias b in the product (see Conv2d).
    """
    n, c = xp.shape[:2]
    n_rows, n_cols = n * math.prod(out_size), math.prod(kernel) * c
    windows = sliding_windows(xp, kernel, stride, dilation, out_size)  # (N, C, Ho, Wo, kh, kw)
    out_axes = tuple(range(2, 2 + len(kernel)))
    tap_axes = tuple(range(2 + len(kernel), windows.ndim))
    if c < FEW_CHANNELS:
        taps = windows.transpose(*tap_axes, 1, 0, *out_axes)  # (kh, kw, C, N, Ho, Wo), a view
        if not ones:
            return taps.reshape(n_cols, n_rows).T  # the copy, then a free transpose
        cols = np.empty((n_cols + 1, n_rows), xp.dtype)
        cols[:n_cols].reshape(taps.shape)[...] = taps  # the same copy, into the first rows
        cols[n_cols] = 1
        return cols.T
    rows = windows.transpose(0, *out_axes, *tap_axes, 1)  # (N, Ho, Wo, kh, kw, C), a view
    return rows.reshape(n_rows, n_cols)  # the copy


def col2im(
    x2d: np.ndarray,
    w_taps: np.ndarray,
    xp: np.ndarray,
    kernel: tuple,
    stride: tuple,
    dilation: tuple,
    out_size,
) -> None:
    """The reverse of im2col, of a product: add each window's values, cols = x2d @ W, back
    onto the pixels it came from.

    x2d (M, A) has one row per window (n, i, j); w_taps (T, A, C) one (A, C) matrix per kernel
    tap (p, q), row-major. Tap t's block of the columns, x2d @ w_taps[t] (M, C), is added, in
    place, to the strided slice of the padded channels-last image xp (N, H', W', C) that tap t
    reads (see _tap_slices). Overlapping windows add up. Conv2d's backward sends grad_out back
    to the input with it, and ConvTranspose2d's forward is built on it.

    Tap by tap into one reused (M, C) block, which stays in cache between the product and the
    add: LeNet's second layer at batch 64, 5.3 ms vs 7.1 ms for all T blocks made at once
    (T * M * C floats, 20 MB, written out to memory and read back). The number of BLAS calls is
    the same: NumPy's matmul of a stack also makes one call per tap.
    """
    n, c = xp.shape[0], xp.shape[-1]
    block = np.empty((x2d.shape[0], c), dtype=np.result_type(x2d, w_taps))
    for t, slices in enumerate(_tap_slices(kernel, stride, dilation, out_size)):
        np.matmul(x2d, w_taps[t], out=block)  # (M, A) @ (A, C) -> (M, C)
        xp[(slice(None), *slices, slice(None))] += block.reshape(n, *out_size, c)


# The columns matrix is large (LeNet's second layer: 5 MB per 16 images, 80 MB at batch 256),
# so Conv2d builds it and multiplies it a few images at a time: each block of rows is written
# and read back while still in cache, instead of the whole matrix going out to memory and back.
# Backward rebuilds each block from the padded input for grad_w (the padded input is kept
# instead of the columns: 25x less memory). Blocks hold about this many bytes of columns.
# Measured on that layer, one thread: forward at batch 256, 69 ms in one piece vs 23 ms in
# 16-image blocks; the LeNet training step 43 -> 35 ms, inference (batch 256) 79 -> 46 ms.
# 2 MB beat 4 MB by 3-4% there (2026-11-26, alternating A/B: LeNet training 23.6-24.0 vs
# 24.3-25.0 ms, inference at batch 256 31.5 vs 32.7 ms) and, now that each thread works through
# blocks of its own images (parallel_products), 1 MB and 4 MB per thread by 3-11% (2026-11-27).
# Not smaller: 512 KB was 15% slower; every block is one more BLAS call. An image whose
# columns alone pass the budget (ResNet's 56 x 56 layers: 7 MB) is cut into bands of output
# rows (image_blocks), forward and backward: ResNet's 3 x 3 layer of 64 channels, batch 16,
# 2 threads, forward 42 -> 31-35 ms, forward + backward 126-135 -> 95-113 ms, against
# PyTorch's 20 and 63-67 ms (2026-11-27). ConvTranspose2d's
# backward (a Conv2d's forward of grad_out) makes its columns the same way: a DCGAN-like
# layer (64 images of 64 x 14 x 14, 4x4, stride 2, to 32 channels) forward 22.9 -> 14.4 ms,
# forward + backward 45.5 -> 32.3 ms with each thread on its own images (2026-11-27).
COLS_BLOCK_BYTES = 2 * 2**20


def image_blocks(images: slice, out_size: tuple, row_bytes: int) -> list:
    """`images` (a slice of the batch) cut into blocks whose columns (`row_bytes` per output
    pixel) keep under COLS_BLOCK_BYTES: (images, bands) pairs, `bands` a slice of the first
    output dim (the rows of an image). Several whole images when one fits; else one image at a
    time, in bands of output rows.

    Why bands: BLAS multiplies a tall columns matrix by a narrow weight more slowly than a
    short one, one thread, (M, 576) @ (576, 64) (a ResNet 3 x 3 layer of 64 channels): 87
    GFLOP/s for M up to 896, 68 for M = 3136 (one 56 x 56 image), 63 for 6272 (2026-11-27).
    """
    height = out_size[0]
    band_bytes = math.prod(out_size[1:]) * row_bytes  # one output row's columns
    if height * band_bytes <= COLS_BLOCK_BYTES or height < 2:
        return [
            (block, slice(0, height))
            for block in blocks(images, height * band_bytes, COLS_BLOCK_BYTES)
        ]
    n_bands = -(-height * band_bytes // COLS_BLOCK_BYTES)
    per_band = -(-height // n_bands)  # equal bands: 56 rows in 4 of 14, not 15 + 15 + 15 + 11
    return [
        (slice(i, i + 1), slice(r, min(r + per_band, height)))
        for i in range(images.start, images.stop)
        for r in range(0, height, per_band)
    ]


def block_rows(block: tuple, out_size: tuple) -> slice:
    """The rows of an (M, ...) matrix (one row per output pixel, image by image) that belong
    to a block of image_blocks."""
    images, bands = block
    pixels, band = math.prod(out_size), math.prod(out_size[1:])
    return slice(
        images.start * pixels + bands.start * band, (images.stop - 1) * pixels + bands.stop * band
    )


def band_input(bands: slice, kernel: tuple, stride: tuple, dilation: tuple) -> slice:
    """The rows of the padded input that the output rows `bands` read."""
    last = (bands.stop - 1) * stride[0] + (kernel[0] - 1) * dilation[0]
    return slice(bands.start * stride[0], last + 1)


def block_cols(
    xp: np.ndarray, block: tuple, kernel, stride, dilation, out_size, ones=False
) -> np.ndarray:
    """im2col of one block of image_blocks: the columns of its images' output rows `bands`,
    made from the rows of the padded input xp (N, C, H', W') that they read."""
    images, bands = block
    rows = xp[images, :, band_input(bands, kernel, stride, dilation)]
    band_size = (bands.stop - bands.start, *out_size[1:])
    return im2col(rows, kernel, stride, dilation, band_size, ones=ones)


# A stride-1 convolution of this many kw * C values or fewer per kernel row, or of this many
# output channels or fewer, is made by rows_product instead of the whole columns (see there)
ROW_COLUMNS_MAX = 96
ROW_OUTPUTS_MAX = 16


def by_kernel_rows(
    kernel: tuple, stride: tuple, dilation: tuple, channels: int, outputs: int
) -> bool:
    """Whether a convolution of an input of `channels` channels to `outputs` channels is
    made by kernel rows (row_columns, rows_product): 2-D, stride and dilation 1, not an
    image's few channels (those take im2col's tap-major copy), and either few channels or
    few outputs (see rows_product for why both)."""
    return (
        len(kernel) == 2
        and stride == (1, 1)
        and dilation == (1, 1)
        and FEW_CHANNELS <= channels
        and (kernel[1] * channels <= ROW_COLUMNS_MAX or outputs <= ROW_OUTPUTS_MAX)
    )


def row_columns(xp: np.ndarray, block: tuple, kernel: tuple, out_size: tuple) -> np.ndarray:
    """The kernel-row columns of a block of image_blocks, for a stride-1, dilation-1 2-D
    convolution of a channels-last padded input xp (N, C, H', W'): R (B, rows, Wo, kw * C),
    R[n, r, j] = the kw * C values of xp's padded row r from column j on, which lie one after
    another in channels-last memory (so R is one copy of a strided view). `rows` are those
    the block's output rows read: band + kh - 1."""
    images, bands = block
    rows = np.moveaxis(xp[images, :, band_input(bands, kernel, (1, 1), (1, 1))], 1, -1)
    n, h, _, c = rows.shape
    s = rows.strides
    windows = as_strided(rows, (n, h, out_size[1], kernel[1] * c), s, writeable=False)
    return np.ascontiguousarray(windows)


def rows_product(r: np.ndarray, w2: np.ndarray, out: np.ndarray, kh: int) -> None:
    """out (B, P, O) = the block's convolution from its kernel-row columns r (row_columns):
    the sum over kernel rows p of r's rows p to p + Ho - 1 (a view, image by image (P, kw *
    C)) times w2's rows of p. The same sum as cols @ w2, whose columns hold every (p, q, c)
    of a window, but made from kh times fewer copied values, in kh products.

    Why: for few channels im2col copies runs of only kw * C values, slowly (LeNet's second
    layer, 5 x 5 on 16 channels: 80-value runs; a CIFAR ResNet's 3 x 3 on 16: 48), and the
    product with the whole columns gains little over kh thinner ones. The op, batch 64, 2
    threads, alternating with im2col in one process (2026-11-27): 3 x 3 on 16 channels of
    32 x 32 (a CIFAR ResNet's first stage), forward 6.0 -> 4.4 ms, forward + backward 19.2 ->
    15.7 ms; LeNet's second layer, 5 x 5 on 16 channels of 14 x 14, forward 3.5 -> 2.6 ms,
    forward + backward 13.2 -> 9.9 ms; 3 x 3 on 32 channels of 16 x 16, forward + backward
    11.2 -> 8.5 ms (of 32 x 32: 42 -> 41). Past 96 values per kernel row it was as often
    slower as faster: 3 x 3 on 64 channels of 16 x 16, forward + backward 28.6 -> 33.0 ms, of
    8 x 8 9.7 -> 8.5 ms (ROW_COLUMNS_MAX). Whatever the row's length, it pays when the
    outputs are few (ROW_OUTPUTS_MAX): each copied value then serves few multiply-adds, so
    the copy is most of the work. Forward, batch 64, 2 threads (2026-11-27): 5 x 5 from 32
    channels to 16 of 14 x 14 (LeNet's dL/dx of its second layer, as a convolution of
    grad_out) 4.7 -> 3.0 ms, from 128 channels 18.8 -> 16.5 ms; 3 x 3 from 64 channels to 16
    of 16 x 16 6.6 -> 4.8 ms; to an RGB image's 3 of 64 x 64, batch 16, 14.4 -> 12.1 ms.
    To 24 outputs or more it was as often slower: 3 x 3 from 64 channels to 24, 6.4 -> 6.9
    ms; 5 x 5 from 32 to 64, 8.9 -> 9.3 ms. Not kept: the columns ordered rows first (Ho,
    B, Wo, kw * C), so that each kernel row is one product over all the block's images
    instead of one per image, then the sum put back in image order: 10-50% slower, as BLAS
    runs these narrow products faster on an image's few hundred rows than on tall ones."""
    term = None
    for p, (w_rows, rp) in enumerate(_kernel_rows(r, kh)):
        if p == 0:
            np.matmul(rp, w2[w_rows], out=out)  # (B, P, kw * C) @ (kw * C, O)
        else:
            term = np.matmul(rp, w2[w_rows], out=term)
            out += term


def rows_product_grad_w(r: np.ndarray, g3: np.ndarray, grad_w2: np.ndarray, kh: int) -> None:
    """grad_w2 (K, O) += the block's cols.T @ g, from its kernel-row columns r: for each
    kernel row p, the sum over images of r's rows p.. (P, kw * C) transposed @ g (P, O)."""
    for w_rows, rp in _kernel_rows(r, kh):
        grad_w2[w_rows] += (rp.transpose(0, 2, 1) @ g3).sum(axis=0)


def _kernel_rows(r: np.ndarray, kh: int):
    """For each kernel row p of kernel-row columns r (row_columns): the rows of the (K, O)
    weight matrix it multiplies (a slice), and r's rows p to p + Ho - 1, image by image
    (B, P, kw * C), a view."""
    n, height, k_row = r.shape[0], r.shape[1] - kh + 1, r.shape[-1]
    for p in range(kh):
        yield slice(p * k_row, (p + 1) * k_row), r[:, p : p + height].reshape(n, -1, k_row)


def _sum_in_image_order(parts: dict) -> np.ndarray:
    """The threads' shares of a weight's gradient, keyed by each share's first image, added
    in the order of their images: the same sum on every run, whichever thread ends first."""
    return functools.reduce(np.add, [parts[first] for first in sorted(parts)])


# add_to_rows, channel_sums and per_channel read channels-last memory as rows of this many
# values or more (whole pixels). NumPy (2.4) runs a ufunc whose operand is broadcast along
# rows shorter than about half its buffer (np.getbufsize(), 8192 values) through that buffer,
# copying every row in and out (numpy/numpy#13307): on (2048, 784) floats, x - column took
# 0.85 ms against 0.21 for x - x, and 0.21-0.25 in rows of 6272 values or more (2026-11-27).
WIDE_ROW = 8192
# Where the memory cannot be read as such rows, as (N, C, H, W) planes broadcast against one
# number per plane, the passes run with a small buffer (reduce.unbuffered_rows).


def add_to_rows(rows: np.ndarray, b: np.ndarray) -> None:
    """rows += b for a C-contiguous (m, O) array and a short row b (O,), in place.

    `rows += b` does the same, one inner loop of O floats per row: slow for a conv's few
    channels. Read as rows of WIDE_ROW floats, b repeated to match, the inner loops are long
    (LeNet's first layer at batch 256, (200704, 16): 2.2 ms as (m, O) rows, 0.80 ms as rows
    of 4096, 0.39-0.42 as rows of 8192)."""
    repeat = max(1, WIDE_ROW // b.shape[0])
    full = rows.shape[0] // repeat * repeat
    if full:
        rows[:full].reshape(-1, repeat * b.shape[0]).__iadd__(np.tile(b, repeat))
    rows[full:] += b


class Conv2d(Function):
    """out = b + cross-correlation of x with w (what PyTorch calls conv2d), by im2col.

    out[n, o, i, j] = b[o] + sum over c, p, q of w[o, c, p, q] * xp[n, c, i*s_h + p*d_h,
    j*s_w + q*d_w], where xp is x zero-padded. With cols = im2col(xp) (one row per output pixel,
    M = N * out_h * out_w rows, K = kh * kw * C columns) and W the weight as a (K, O) matrix
    in the same (kh, kw, C) order, the whole layer is ONE matrix product: out2d = cols @ W + b.
    Each row of the product depends on its own row of cols only, so it is computed block by
    block of images (see COLS_BLOCK_BYTES), each thread through its own share of the batch
    (parallel_products): the same numbers, faster. Backward likewise; its grad_w is the sum of
    the threads' shares. At stride 1 with few channels (kw * C <= ROW_COLUMNS_MAX) or few
    outputs (O <= ROW_OUTPUTS_MAX) the columns are made one kernel row at a time and the
    product is kh products of those (row_columns, rows_product): the same sum, from kh times
    fewer copied values. Backward's dL/dx is col2im of grad_out @ W^T, or, at stride 1 where
    that convolution goes by kernel rows (few channels in grad_out, or few in x), a
    convolution of grad_out with the flipped weight by this op's own forward (backward's
    comments have the formula).

    Shape: x (N, C, H, W), w (O, C, kh, kw), b (O,) or None -> (N, O, out_h, out_w), returned
    as a view of channels-last memory. Settings: stride (s_h, s_w), padding ((top, bottom),
    (left, right)), dilation (d_h, d_w); nn/conv.py checks and normalises them. groups=1
    only: nn/conv.py runs a grouped convolution as this op once per group (_by_groups), a
    depthwise one (one input channel per group) as DepthwiseConv below.
    The code reads the number of spatial dims off the weight: Conv3d below is this op on
    volumes (N, C, D, H, W), with one more entry in each setting.
    """

    formula = "out = im2col(pad(x)) @ w + b"
    derivatives = (
        "col2im(grad_out @ w.T): each tap adds its share back to the pixels it read",
        "cols.T @ grad_out",
        "grad_out summed over N, H, W",
    )
    saves_inputs = ("others", "others", False)  # x for dL/dw, w for dL/dx; not the bias

    def forward(self, x, w, b=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1)):
        n, c, *size = x.shape
        n_out, _, *kernel = w.shape
        out_size = conv_output_size(size, kernel, stride, padding, dilation)
        xp = padded_shell(x, padding, channels_last=c >= FEW_CHANNELS)  # filled in part()
        to_pad, xp = xp is not None, x if xp is None else xp
        w2 = _weight_matrix(w)  # (K, O), rows (kh, kw, C)
        self.settings = tuple(kernel), stride, dilation, out_size, padding
        n_pixels = math.prod(out_size)
        # few channels or outputs, stride 1: kernel-row columns (rows_product), not im2col's
        self.by_rows = by_kernel_rows(tuple(kernel), stride, dilation, c, n_out)
        # the bytes of one output pixel's columns, which size the blocks; kernel-row columns
        # are kh times fewer, so their blocks hold kh times more pixels: at im2col's block
        # size, the kh products each made were too small (LeNet's second layer, forward,
        # 2 threads: 3.3-3.5 ms, against 2.5-2.9 ms this way and 3.4-3.6 by im2col)
        self.row_bytes = (kernel[1] * c if self.by_rows else w2.shape[0]) * xp.itemsize
        out2d = np.empty((n * n_pixels, n_out), dtype=np.result_type(xp, w2))
        # An image's few channels (tap-major columns, see im2col): the bias is one more row of
        # the weight matrix, against a column of ones in the columns, so the product adds it
        # and backward's product of the columns with grad_out sums its gradient: one pass over
        # the output fewer each way. LeNet's first layer (from 1 channel), batch 64: forward
        # 1.20 -> 0.89 ms, backward 1.59 -> 1.28 ms (2026-11-27). (Kernel-row columns with a
        # column of ones gained nothing: the wider copy cost what the pass saved. im2col's
        # rows of runs of channels would need it between them.)
        self.bias_row = b is not None and not self.by_rows and c < FEW_CHANNELS
        if self.bias_row:
            w2 = np.concatenate((w2, b.reshape(1, -1).astype(w2.dtype, copy=False)))

        def part(images):  # a thread's share of the batch, a block of images at a time
            for block in self._blocks(images):
                if to_pad and block[1].start == 0:  # an image's first band: pad its images
                    pad_images(xp, x, padding, block[0])  # (in cache for the copy below)
                out_rows = out2d[block_rows(block, out_size)]
                if self.by_rows:
                    r = row_columns(xp, block, self.settings[0], out_size)
                    out3 = out_rows.reshape(r.shape[0], -1, n_out)  # (B, P, O)
                    rows_product(r, w2, out3, kernel[0])
                else:  # (m, K) @ (K, O) -> (m, O), m outputs; K + 1 with the bias row
                    cols = block_cols(xp, block, *self.settings[:4], ones=self.bias_row)
                    np.matmul(cols, w2, out=out_rows)
                if b is not None and not self.bias_row:
                    add_to_rows(out_rows, b)  # while the block is in cache

        parallel_products(part, n)
        need_x, need_w = self.needs_input_grad[:2]
        self.xp = xp if need_w else None  # backward rebuilds the columns from it
        self.w = w if need_x else None
        self.x_shape, self.pad_shape = x.shape, xp.shape
        # (M, O) -> (N, Ho, Wo, O) -> (N, O, Ho, Wo): a view, the memory stays channels-last
        return np.moveaxis(out2d.reshape(n, *out_size, n_out), -1, 1)

    def _blocks(self, images: slice) -> list:
        """Blocks of `images` whose columns fit COLS_BLOCK_BYTES (see image_blocks)."""
        return image_blocks(images, self.settings[3], self.row_bytes)

    def _grad_x_by_rows(self, n_out: int) -> bool:
        """Whether backward makes dL/dx as a convolution of grad_out (n_out channels) by
        kernel rows (see backward): that convolution takes them, and no side is padded by a
        kernel's size or more. Where it takes them only for its few outputs (x's channels),
        also a kernel of 25 taps or more and not an image's few channels: the convolution
        first copies grad_out padded, which col2im does not, and col2im's cost grows with
        the taps. Forward + dL/dx, 2 threads (2026-11-27): LeNet's second layer 7.5 -> 5.6
        ms; 5 x 5 from 4 channels to 32 of 28 x 28, batch 32, 4.9 -> 4.0 ms; but 3 x 3 from 4
        channels to 64 of 64 x 64, batch 16, 15.8 -> 20.5 ms, and from an RGB image's 3, 3 x
        3 11.3 -> 18.6 ms, 7 x 7 39 -> 65 ms."""
        kernel, stride, dilation, _, padding = self.settings
        c = self.x_shape[1]
        fits = all(max(pair) < k for k, pair in zip(kernel, padding))
        if not (fits and by_kernel_rows(kernel, stride, dilation, n_out, c)):
            return False
        by_few_outputs_only = kernel[1] * n_out > ROW_COLUMNS_MAX
        return not by_few_outputs_only or (c >= FEW_CHANNELS and math.prod(kernel) >= 25)

    def backward(self, grad_out):
        need_x, need_w, need_b = (self.needs_input_grad + (False,))[:3]
        n_out = grad_out.shape[1]
        n, c = self.x_shape[:2]
        kernel, out_size = self.settings[0], self.settings[3]
        # (N, O, Ho, Wo) -> (M, O): free when grad_out is channels-last, as our own output is
        g2d = np.moveaxis(grad_out, 1, -1).reshape(-1, n_out)
        grad_x = grad_w = grad_b = None
        bias_row = self.bias_row and need_w  # grad_b from the columns' row of ones (forward)
        if need_b and not bias_row:
            # sum over the M rows as a matrix-vector product: BLAS, ~10x faster than sum(axis=0)
            grad_b = np.ones(g2d.shape[0], dtype=g2d.dtype) @ g2d
        grad_w_parts = {}  # each thread's images' share of grad_w, by first image
        by_conv = need_x and self._grad_x_by_rows(n_out)  # else col2im, in part() below
        if need_x and not by_conv:
            grad_xp = np.zeros((n, *self.pad_shape[2:], c), dtype=g2d.dtype)  # channels-last
            w_taps = _taps(self.w)

        def part(images):  # a thread's share of the batch
            if need_w:
                k = math.prod(kernel) * c + int(bias_row)  # the bias row's gradient last
                grad_w2 = np.zeros((k, n_out), dtype=g2d.dtype)
                for block in self._blocks(images):  # block by block, as the forward
                    g_rows = g2d[block_rows(block, out_size)]
                    if self.by_rows:
                        r = row_columns(self.xp, block, kernel, out_size)  # rebuilt
                        g3 = g_rows.reshape(r.shape[0], -1, n_out)
                        rows_product_grad_w(r, g3, grad_w2, kernel[0])
                    else:
                        cols = block_cols(self.xp, block, *self.settings[:4], ones=bias_row)
                        grad_w2 += cols.T @ g_rows  # (K, m) @ (m, O) -> (K, O), rebuilt cols
                grad_w_parts[images.start] = grad_w2
            if need_x and not by_conv:
                # grad_cols = g2d @ W^T, tap by tap: (m, O) @ (O, C) -> (m, C) each, added
                # onto the pixels these rows read. Block by block too, the rows of grad_out
                # and of grad_xp a block touches being about COLS_BLOCK_BYTES: ResNet's 3 x 3
                # layer of 64 channels on 56 x 56, 8 images a thread, 43 -> 29 ms in bands of
                # 14 rows; LeNet's second layer fits in one block, as before.
                row_bytes = (n_out + c) * g2d.itemsize
                for block in image_blocks(images, out_size, row_bytes):
                    bands = block[1]
                    target = grad_xp[block[0], band_input(bands, *self.settings[:3])]
                    band_size = (bands.stop - bands.start, *out_size[1:])
                    rows = g2d[block_rows(block, out_size)]
                    col2im(rows, w_taps, target, *self.settings[:3], band_size)

        parallel_products(part, n)
        if need_w:
            grad_w2 = _sum_in_image_order(grad_w_parts)  # (K, O)
            if bias_row:  # the last row, of the column of ones: the sums of grad_out
                grad_b = grad_w2[-1] if need_b else None
                grad_w2 = grad_w2[:-1]
            grad_w = _weight_from_matrix(grad_w2, kernel)  # (O, C, kh, kw)
        if by_conv:
            # dL/dx[n, c, i, j] = sum over o, p, q of g[n, o, i + top - p, j + left - q] *
            # w[o, c, p, q]: a stride-1 convolution of grad_out, padded by k - 1 - padding,
            # with the weight flipped in both spatial dims and its two channel dims swapped.
            # This op's own forward makes it, by kernel rows: 3 x 3 on 16 channels of 32 x 32,
            # batch 64, 6.9 -> 4.5 ms against col2im; 32 channels of 16 x 16 3.7 -> 3.1 ms;
            # LeNet's second layer (to x's 16 channels, by few outputs) 4.9 -> 3.0 ms
            # (2026-11-27, alternating in one process)
            flipped = np.ascontiguousarray(np.flip(self.w, (2, 3)).swapaxes(0, 1))  # (C, O, ..)
            pads = tuple((k - 1 - a, k - 1 - z) for k, (a, z) in zip(kernel, self.settings[4]))
            full = Conv2d()
            full.needs_input_grad = (False, False)
            grad_x = full.forward(grad_out, flipped, None, (1, 1), pads, (1, 1))
        elif need_x:
            # the padding was not an input: cut it off (a view, no copy), back to (N, C, H, W)
            inside = _inside(self.x_shape[2:], self.settings[4])
            grad_x = np.moveaxis(grad_xp[(slice(None), *inside, slice(None))], -1, 1)
        return grad_x, grad_w, grad_b


class Conv3d(Conv2d):
    """out = b + 3-D cross-correlation of x with w (PyTorch's conv3d): Conv2d's code, which
    works for any number of spatial dims, on volumes.

    out[n, o, i, j, k] = b[o] + sum over c, p, q, r of w[o, c, p, q, r] *
    xp[n, c, i*s_d + p*d_d, j*s_h + q*d_h, k*s_w + r*d_w]: one product of im2col's columns
    (rows (n, i, j, k), columns (kd, kh, kw, C)) with the weight as a (K, O) matrix.

    Shape: x (N, C, D, H, W), w (O, C, kd, kh, kw), b (O,) or None -> (N, O, Do, Ho, Wo).
    Settings as Conv2d's, with a third entry (depth first).
    """

    derivatives = (
        "col2im(grad_out @ w.T): each tap adds its share back to the voxels it read",
        "cols.T @ grad_out",
        "grad_out summed over N, D, H, W",
    )


class DepthwiseConv(Function):
    """A depthwise convolution (PyTorch's conv with groups = C_in): each input channel c is
    cross-correlated with its own m filters, making output channels c * m to c * m + m - 1.

    out[n, c * m + j, i, i'] = b[c * m + j] + sum over p, q of w[c * m + j, 0, p, q] *
    xp[n, c, i*s_h + p*d_h, i'*s_w + q*d_w]

    With one input channel per group, im2col would build columns of kh * kw values and BLAS
    would multiply them by one filter per group: all bookkeeping, no arithmetic. Instead the
    sum over the kernel is a loop over its kh * kw taps: for each channel, the pixels a tap
    reads times that tap's weight (one number), added up.

    The trick that makes the loop fast: the padded input is laid out channel by channel,
    (C, N, H', W') in memory, so a channel's pixels, all images, are one flat row. In it, what
    a tap reads for every output pixel of every image is ONE contiguous run, image rows and
    the gaps between them included (see _WideGrid; with stride s the row holds the input's
    s x s phases one after another, each read as with stride 1). So a tap is one multiply by
    a number and one add over a long run; a strided (N, H, W) window would make NumPy loop
    over runs of W values (measured: a multiply by one number per row over rows of 838
    values, 20-28 us; the same count in one run, 7 us). The positions in the gaps (kw - 1 of
    every W') are computed and dropped. The channels are split between threads, a block of
    them (or of one's images) of about DEPTHWISE_BLOCK_BYTES at a time, each thread copying
    its own block into the rows. Measured by benchmarks/bench_layers.py (2 threads,
    2026-11-27), before -> after, PyTorch in brackets: batch 32, 64 channels of 28 x 28, 3 x
    3: forward 24.4 -> 6.5 ms (1.6), forward + backward 65.7 -> 17.0 ms (5.9); 7 x 7 on 96
    channels, batch 16: 82 -> 17 ms (1.4), 268 -> 48 ms (49). The phases, at stride 2 (32
    channels of 56 x 56): forward 12.6 -> 8.8 ms, forward + backward 36.9 -> 19.8 ms (old and
    new code alternating in one process), where each tap read every other value and half
    the positions were dropped.

    A channels-last x with one filter a channel (MobileNet's and ConvNeXt's layers, fed by a
    convolution's output) takes another path: copying it channel by channel would gather
    single values (MobileNet's 3 x 3 above: 10 ms against 4.6 from (N, C, H, W) memory).
    There the rows are pixels, channels innermost, and the taps of a phase are summed by one
    einsum (see _ChannelsLastGrid); the threads split the images. Alternating with the
    code before (channel by channel) on the same channels-last input: forward 1.6x, 2.4x at
    stride 2, 1.4x for the 7 x 7; forward + backward 1.5x, 2.5x, 1.5x. NumPy has no
    multiply-add, so the other path's taps are two passes over the data each; PyTorch's
    kernel reads each pixel once. Any number of spatial dims, as Conv2d.

    Shape: x (N, C, H, W), w (C * m, 1, kh, kw), b (C * m,) or None -> (N, C * m, Ho, Wo).
    Settings as Conv2d's.
    """

    formula = "out[:, c*m + j] = b + sum over taps t of w[c*m + j, 0, t] * window_t(pad(x))[:, c]"
    derivatives = (
        "each tap adds grad_out * its weight back onto the pixels it read",
        "for each tap: grad_out times the pixels it read, summed over N, H, W",
        "grad_out summed over N, H, W",
    )
    saves_inputs = ("others", "others", False)  # x for dL/dw, w for dL/dx; not the bias

    def forward(self, x, w, b=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1)):
        n, c, *size = x.shape
        kernel = tuple(w.shape[2:])
        out_size = conv_output_size(size, kernel, stride, padding, dilation)
        taps = w.reshape(c, -1, math.prod(kernel))  # (C, m, T): tap t's weight, each filter
        # one filter a channel and x channels-last, as a conv's output is: the channels-last
        # path; else channel by channel (a channels-last x made channel by channel costs a
        # gather of single values: 10 ms against 4.6 for MobileNet's 3 x 3 below)
        self.channels_last = taps.shape[1] == 1 and _is_channels_last(x)
        geometry = (n, size, padding, kernel, stride, dilation, out_size)
        if self.channels_last:
            self.grid = _ChannelsLastGrid(*geometry)
            rows, out = self._forward_channels_last(x, w.reshape(c, *kernel), b)
        else:
            self.grid = _WideGrid(*geometry)
            rows, out = self._forward_planes(x, taps, b)
        need_x, need_w = self.needs_input_grad[:2]
        self.rows = rows if need_w else None
        self.taps = taps if need_x else None
        self.x_shape, self.kernel = x.shape, kernel
        return out

    def _forward_planes(self, x, taps, b):
        n, c, *_ = x.shape
        grid, m = self.grid, taps.shape[1]
        # (C, S * N * H'' * W''): each channel's padded pixels in phases, one row (filled
        # block by block in the threads below, while the block is in cache)
        rows = np.zeros((c, grid.phases * n * grid.image), dtype=x.dtype)
        out = np.empty((n, c, m, *grid.out_size), dtype=np.result_type(x, taps))

        def part(channels):  # a thread's channels, a block of them (or of images) at a time
            for chans, images in grid.blocks(channels, n, m, out.itemsize):
                grid.fill(rows, x, chans, images)
                w_t = taps[chans, :, :, None]  # (k, m, T, 1): tap t's weights, w_t[:, :, t]
                wide = np.empty((chans.stop - chans.start, m, grid.length(images)), out.dtype)
                term = np.empty_like(wide)
                for t in range(len(grid.offsets)):
                    window = grid.window(rows[chans], images, t)[:, None, :]  # (k, 1, U)
                    np.multiply(window, w_t[:, :, t], out=term if t else wide)
                    if t:
                        wide += term
                if b is None:
                    out[images, chans] = grid.valid(wide, images)
                else:  # the bias added as the output pixels are copied out: no extra pass
                    bias = b.reshape(c, m)[chans].reshape(-1, m, *(1,) * len(grid.out_size))
                    np.add(grid.valid(wide, images), bias, out=out[images, chans])

        parallel_products(part, c)
        return rows, out.reshape(n, c * m, *grid.out_size)  # filter j of c: channel c*m + j

    def _forward_channels_last(self, x, w, b):
        n, c, *_ = x.shape
        grid = self.grid
        rows = grid.new_rows(c, x.dtype)  # (S * N * H'' * W'', C)
        out = np.empty((n, *grid.out_size, c), dtype=np.result_type(x, w))  # channels-last
        weights = _lattice_weights(w, grid.lattices)

        def part(images):  # a thread's images, a block of them at a time
            for block in grid.batch_blocks(images, c, out.itemsize):
                grid.fill(rows, x, block)
                length = grid.length(block)
                wide = np.empty((length, c), out.dtype)  # the sum over all taps
                term = np.empty_like(wide) if len(grid.lattices) > 1 else None
                for k, (lattice, w_l) in enumerate(zip(grid.lattices, weights)):  # by phase
                    read = grid.phase_rows(rows, lattice.phase, block)
                    windows = grid.windows(read, lattice.offset, lattice, length)
                    _tap_sum(windows, w_l, term if k else wide)
                    if k:
                        wide += term
                out[block] = grid.valid(wide, block)
                if b is not None:
                    add_to_rows(out[block].reshape(-1, c), b)

        parallel_products(part, n)
        return rows, np.moveaxis(out, -1, 1)

    def backward(self, grad_out):
        need_x, need_w, need_b = (self.needs_input_grad + (False,))[:3]
        grad_b = channel_sums(grad_out) if need_b else None  # a product with ones: BLAS
        if self.channels_last:
            grad_x, grad_w = self._backward_channels_last(grad_out, need_x, need_w)
        else:
            grad_x, grad_w = self._backward_planes(grad_out, need_x, need_w)
        if need_w:
            grad_w = grad_w.reshape(-1, 1, *self.kernel)
        return grad_x, grad_w, grad_b

    def _backward_planes(self, grad_out, need_x, need_w):
        n, c, *size = self.x_shape
        grid, n_taps = self.grid, len(self.grid.offsets)
        g = grad_out.reshape(n, c, -1, *grad_out.shape[2:])  # (N, C, m, Ho, Wo)
        m, dtype = g.shape[2], g.dtype
        grad_x = grad_w = None
        if need_w:  # dL/dw[c*m + j, 0, t]: each block of images' share, added up in order
            grad_w = np.zeros((c, m, n_taps), dtype=dtype)
        if need_x:  # dL/drows; dL/dx is a view of it for stride 1, else copied block by block
            grad_rows = np.zeros((c, grid.phases * n * grid.image), dtype=dtype)
            one = grid.phases == 1
            grad_x = grid.pixels(grad_rows) if one else np.empty((c, n, *size), dtype)

        def part(channels):  # a thread's channels, a block of them (or of images) at a time
            for chans, images in grid.blocks(channels, n, m, g.itemsize):
                # grad_out on the wide grid, 0 at the positions the forward dropped
                g_wide = np.zeros((chans.stop - chans.start, m, grid.length(images)), dtype)
                grid.valid(g_wide, images)[...] = g[images, chans]
                if need_w:  # sum over images and pixels of g times what tap t read
                    for t in range(n_taps):
                        window = grid.window(self.rows[chans], images, t)[:, None, :]
                        grad_w[chans, :, t] += np.vecdot(g_wide, window)  # (k, m)
                if need_x:  # each tap read a run of the row: add g times its weight there
                    w_t = self.taps[chans, :, :, None]  # (k, m, T, 1)
                    term, spare = np.empty((2, g_wide.shape[0], g_wide.shape[2]), dtype=dtype)
                    for t in range(n_taps):
                        for j in range(m):  # the sum over filters j of g_wide[:, j] * w[:, j, t]
                            np.multiply(g_wide[:, j], w_t[:, j, t], out=spare if j else term)
                            if j:
                                term += spare
                        read = grid.window(grad_rows[chans], images, t)  # a view: += writes
                        read += term
                    if grid.phases > 1:
                        grid.unfill(grad_rows, grad_x, chans, images)

        parallel_products(part, c)  # np.vecdot may call BLAS: one thread per part
        return (np.moveaxis(grad_x, 0, 1) if need_x else None), grad_w

    def _backward_channels_last(self, grad_out, need_x, need_w):
        n, c, *size = self.x_shape
        grid = self.grid
        g = np.moveaxis(grad_out, 1, -1)  # (N, Ho, Wo, C): a view, contiguous if channels-last
        grad_x, grad_w_parts = None, {}  # each block's share of dL/dw, by its first image
        if need_x:  # dL/drows; dL/dx is a view of it for stride 1, else copied block by block
            w = self.taps[:, 0].reshape(c, *self.kernel)
            weights = _lattice_weights(w, grid.lattices)
            flipped = [np.flip(w_l, tuple(range(w_l.ndim - 1))) for w_l in weights]
            grad_rows = grid.new_rows(c, g.dtype)
            one = grid.phases == 1
            grad_x = grid.pixels(grad_rows) if one else np.empty((n, *size, c), g.dtype)

        def part(images):  # a thread's images, a block of them at a time
            for block in grid.batch_blocks(images, c, g.itemsize):
                length, span = grid.length(block), (block.stop - block.start) * grid.image
                # grad_out on the wide grid (0 where nothing was kept), after `front` zeros
                g_front = np.zeros((grid.front + span, c), g.dtype)
                g_wide = g_front[grid.front : grid.front + length]
                grid.valid(g_wide, block)[...] = g[block]
                if need_w:  # dL/dw[c, tap]: the sum over positions of g times what tap read
                    grad_w = np.empty((*self.kernel, c), g.dtype)
                    for lattice in grid.lattices:
                        read = grid.phase_rows(self.rows, lattice.phase, block)
                        windows = grid.windows(read, lattice.offset, lattice, length)
                        grad_w[lattice.taps] = _tap_dots(g_wide, windows)
                    grad_w_parts[block.start] = grad_w
                if need_x:
                    # dL/drows[v] = sum over a phase's taps of g[v - tap's offset] * w[tap]:
                    # the forward's sum again, over g after its zeros, the taps reversed
                    for lattice, w_l in zip(grid.lattices, flipped):
                        first = grid.front - grid.reach(lattice)
                        windows = grid.windows(g_front, first, lattice, span)
                        _tap_sum(windows, w_l, grid.phase_rows(grad_rows, lattice.phase, block))
                    if grid.phases > 1:
                        grid.unfill(grad_rows, grad_x, block)

        parallel_products(part, n)
        grad_w = None
        if need_w:  # (*kernel, C) -> (C, *kernel)
            grad_w = np.moveaxis(_sum_in_image_order(grad_w_parts), -1, 0)
        return (np.moveaxis(grad_x, -1, 1) if need_x else None), grad_w


class _WideGrid:
    """Where each tap of a depthwise convolution reads in a channel's row (`rows` makes it).

    The row holds one channel's zero-padded pixels, all images, split by the stride into
    S = s_h * s_w phases: for stride (2, 2), the pixels at (even, even) padded positions of
    every image, then (even, odd), (odd, even), (odd, odd). A phase is an (N, H'', W'') block,
    row-major, H'' = ceil(H' / s_h) (H' the padded height). Output pixel (n, i, i') reads, for
    tap (p, q), padded pixel (i*s_h + p*d_h, i'*s_w + q*d_w): that is pixel
    (i + p*d_h // s_h, i' + q*d_w // s_w) of phase (p*d_h mod s_h, q*d_w mod s_w). So in its
    phase every tap reads as with stride 1, at position off_t + u of the row, where off_t is
    the tap's offset (its phase's start + (p*d_h // s_h) W'' + q*d_w // s_w) and
    u = n H''W'' + i W'' + i' is the output pixel's place on the "wide grid". All the output
    pixels of tap t lie in one contiguous run of the row, u = 0, 1, 2, ...; the u of no output
    pixel (the last W'' - Wo columns of each row, the extra rows of an image) are computed
    and dropped: about (kw - 1) / (s_w W'') of the run. Without the phases a stride-2 tap
    would read every other value and compute twice the pixels it keeps (measured: forward 3x
    slower). Any number of spatial dims: u = sum of index * jump per dim.
    """

    def __init__(self, n, size, padding, kernel, stride, dilation, out_size):
        self.n, self.size, self.padding, self.stride = n, tuple(size), padding, tuple(stride)
        self.phase_size = tuple(  # the padded size over the stride, rounded up
            -(-(m + before + after) // s) for m, (before, after), s in zip(size, padding, stride)
        )
        self.phases, self.image = math.prod(stride), math.prod(self.phase_size)
        self.jumps = [math.prod(self.phase_size[k + 1 :]) for k in range(len(size))]  # u per pixel
        self.last = sum((o - 1) * j for o, j in zip(out_size, self.jumps))  # an image's last u
        self.out_size = tuple(out_size)
        self.offsets = []
        for tap in itertools.product(*(range(k) for k in kernel)):
            reach = [p * d for p, d in zip(tap, dilation)]  # how far past the window's corner
            phase = np.ravel_multi_index([r % s for r, s in zip(reach, stride)], stride)
            shift = sum(r // s * j for r, s, j in zip(reach, stride, self.jumps))
            self.offsets.append(int(phase) * n * self.image + shift)
        self.parts = self._phase_parts()

    def fill(self, rows: np.ndarray, x: np.ndarray, chans: slice, images: slice) -> None:
        """Copy the pixels of x[images, chans] (x is (N, C, *size)) to their places in the
        zeroed rows (C, S * N * H'' * W'')."""
        by_phase = rows.reshape(rows.shape[0], self.phases, self.n, *self.phase_size)
        for phase, inside, pixels in self.parts:
            part = np.moveaxis(x[(images, chans, *pixels)], 1, 0)
            by_phase[(chans, phase, images, *inside)] = part

    def unfill(self, grad_rows: np.ndarray, grad_x: np.ndarray, chans, images) -> None:
        """fill's inverse: copy dL/d(rows) of x[images, chans]'s pixels to grad_x, which is
        (C, N, *size)."""
        by_phase = grad_rows.reshape(grad_rows.shape[0], self.phases, self.n, *self.phase_size)
        for phase, inside, pixels in self.parts:
            grad_x[(chans, images, *pixels)] = by_phase[(chans, phase, images, *inside)]

    def pixels(self, rows: np.ndarray) -> np.ndarray:
        """For stride 1 (one phase): the pixels of x in rows, as a (C, N, *size) view."""
        by_phase = rows.reshape(rows.shape[0], self.n, *self.phase_size)
        return by_phase[(slice(None), slice(None), *self.parts[0][1])]

    def _phase_parts(self) -> list:
        """For each phase: its index, and the slices of its (*phase_size) block and of x's
        (*size) that hold the same pixels (phase r of a dim holds padded positions r + s*j,
        x's positions r + s*j - before)."""
        per_dim, parts = [], []
        for m, (before, _), s, k in zip(self.size, self.padding, self.stride, self.phase_size):
            choices = []
            for r in range(s):
                first = max(0, -(-(before - r) // s))  # the first j inside x, and the count
                count = max(0, min(k, -(-(before + m - r) // s)) - first)
                start = r + s * first - before
                choices.append((slice(first, first + count), slice(start, start + s * count, s)))
            per_dim.append(choices)
        for phase, picks in enumerate(itertools.product(*per_dim)):
            parts.append((phase, *zip(*picks)))  # (phase, the block's slices, x's slices)
        return parts

    def length(self, images: slice) -> int:
        """How many wide-grid positions `images` (consecutive) span."""
        return (images.stop - images.start - 1) * self.image + self.last + 1

    def window(self, rows: np.ndarray, images: slice, t: int) -> np.ndarray:
        """What tap t reads at each wide-grid position of `images`: a view of the rows."""
        start = images.start * self.image + self.offsets[t]
        return rows[..., start : start + self.length(images)]

    def valid(self, wide: np.ndarray, images: slice) -> np.ndarray:
        """The output pixels in a C-contiguous (k, m, length) wide-grid array (k channels, m
        filters each), as an (images, k, m, *out_size)-shaped view."""
        item, count = wide.itemsize, images.stop - images.start
        strides = (self.image * item, *wide.strides[:2], *(j * item for j in self.jumps))
        return as_strided(wide, (count, *wide.shape[:2], *self.out_size), strides)

    def blocks(self, channels: slice, n: int, filters: int, itemsize: int):
        """(channels, images) blocks of `channels` and range(n) whose wide-grid arrays fit
        DEPTHWISE_BLOCK_BYTES: several channels, all images, or one channel, some images."""
        per_image = filters * self.image * itemsize
        size = max(1, DEPTHWISE_BLOCK_BYTES // (n * per_image))
        if n * per_image <= DEPTHWISE_BLOCK_BYTES:
            for first in range(channels.start, channels.stop, size):
                yield slice(first, min(first + size, channels.stop)), slice(0, n)
            return
        size = max(1, DEPTHWISE_BLOCK_BYTES // per_image)
        for ch in range(channels.start, channels.stop):
            for first in range(0, n, size):
                yield slice(ch, ch + 1), slice(first, min(first + size, n))


class _ChannelsLastGrid(_WideGrid):
    """_WideGrid's positions with the memory channels-last, as a conv's output is: the rows
    hold a position's C channels, (S * N * H'' * W'', C), and a tap reads an (L, C) block of
    them, contiguous. Whole images, all channels, make a block.

    The taps of one phase read at offsets on a lattice: off + a * jump_h + b * jump_w for
    taps (a, b), stride 1. So their windows are ONE strided view (kh, kw, L, C) of the rows,
    and the sum over taps of window * weight is one np.einsum, which adds the products up
    without a term array per tap; in rows of r pixels (r * C values, see WIDE_ROW) its
    inner loops are long. 1.6x faster than a multiply and an add per tap (a block of
    MobileNet's 3 x 3, 0.57 -> 0.36 ms; of ConvNeXt's 7 x 7, 3.0 -> 1.8 ms, 2026-11-27). With
    stride s, the taps in a phase are every s-th one (every s / gcd(s, d)-th when dilated by
    d): a lattice still, one einsum per phase.
    """

    def __init__(self, n, size, padding, kernel, stride, dilation, out_size):
        super().__init__(n, size, padding, kernel, stride, dilation, out_size)
        per_dim = []  # per dim, per phase: (its taps, a slice of the kernel; how many; how
        for k, s, d in zip(kernel, stride, dilation):  # far the first reaches; the step)
            choices = []
            for phase in range(s):
                taps = [p for p in range(k) if p * d % s == phase]
                step = taps[1] - taps[0] if len(taps) > 1 else 1
                choices.append(
                    (slice(taps[0], taps[-1] + 1, step), len(taps), taps[0] * d // s, step * d // s)
                    if taps
                    else None
                )
            per_dim.append(choices)
        self.lattices = []  # one per phase that taps read (None: a dim's phase no tap reads)
        for phase, picks in enumerate(itertools.product(*per_dim)):
            if None not in picks:
                taps, counts, firsts, steps = zip(*picks)
                offset = sum(f * j for f, j in zip(firsts, self.jumps))
                steps = tuple(st * j for st, j in zip(steps, self.jumps))
                self.lattices.append(_Lattice(phase, offset, taps, counts, steps))
        # how far past its phase's start a tap reaches at most (backward pads g by it)
        self.front = max(map(self.reach, self.lattices))

    def new_rows(self, c: int, dtype) -> np.ndarray:
        return np.zeros((self.phases * self.n * self.image, c), dtype=dtype)

    def fill(self, rows: np.ndarray, x: np.ndarray, images: slice) -> None:
        """Copy the pixels of x[images] (x is (N, C, *size), channels-last) to their places."""
        by_phase = rows.reshape(self.phases, self.n, *self.phase_size, rows.shape[-1])
        for phase, inside, pixels in self.parts:
            by_phase[(phase, images, *inside)] = np.moveaxis(x, 1, -1)[(images, *pixels)]

    def unfill(self, grad_rows: np.ndarray, grad_x: np.ndarray, images: slice) -> None:
        """fill's inverse, to grad_x (N, *size, C)."""
        by_phase = grad_rows.reshape(self.phases, self.n, *self.phase_size, grad_rows.shape[-1])
        for phase, inside, pixels in self.parts:
            grad_x[(images, *pixels)] = by_phase[(phase, images, *inside)]

    def pixels(self, rows: np.ndarray) -> np.ndarray:
        """For stride 1: the pixels of x in rows, an (N, *size, C) view."""
        by_phase = rows.reshape(self.n, *self.phase_size, rows.shape[-1])
        return by_phase[(slice(None), *self.parts[0][1])]

    def phase_rows(self, rows: np.ndarray, phase: int, images: slice) -> np.ndarray:
        """The rows of `images` in one phase: (count * H'' * W'', C), a view."""
        first = phase * self.n + images.start
        return rows[first * self.image : (first + images.stop - images.start) * self.image]

    def windows(self, rows: np.ndarray, first: int, lattice, length: int) -> np.ndarray:
        """A lattice's taps' windows: (*taps, length, C), a view of the rows whose [j..., u]
        is rows[first + j . steps + u] (first = the lattice's offset: what the taps read)."""
        row, shape = rows.strides[0], (*lattice.counts, length, rows.shape[1])
        strides = (*(st * row for st in lattice.steps), row, rows.strides[1])
        return as_strided(rows[first:], shape, strides)

    @staticmethod
    def reach(lattice) -> int:
        """How far past its phase's start the lattice's last tap reads."""
        return lattice.offset + sum(st * (k - 1) for st, k in zip(lattice.steps, lattice.counts))

    def valid(self, wide: np.ndarray, images: slice) -> np.ndarray:
        """The output pixels in a C-contiguous (L, C) wide-grid array, (images, *out_size,
        C)-shaped (a view)."""
        row, count = wide.strides[0], images.stop - images.start
        strides = (self.image * row, *(j * row for j in self.jumps), wide.strides[1])
        return as_strided(wide, (count, *self.out_size, wide.shape[1]), strides)

    def batch_blocks(self, images: slice, c: int, itemsize: int) -> list:
        """`images` in blocks of whole images whose wide-grid arrays fit twice
        DEPTHWISE_BLOCK_BYTES (one image at least): the einsums make no term array, so as
        much memory as the other path's two arrays. Forward, 2 threads: MobileNet's 3 x 3
        4.4-4.9 -> 4.0-4.5 ms, at stride 2 6.0-6.7 -> 5.2-5.8 against blocks of 1 MB; 4 MB
        or 8 MB no faster (2026-11-27)."""
        return blocks(images, self.image * c * itemsize, 2 * DEPTHWISE_BLOCK_BYTES)


class _Lattice(NamedTuple):
    """The taps of a depthwise convolution in one phase (see _ChannelsLastGrid)."""

    phase: int
    offset: int  # where the first tap reads, past the phase's start (in positions)
    taps: tuple  # the taps, a slice of the kernel per dim
    counts: tuple  # how many taps per dim
    steps: tuple  # how much farther the next tap along each dim reads (in positions)


def _lattice_weights(w: np.ndarray, lattices: list) -> list:
    """w (C, *kernel) cut into each lattice's taps, channels last: (*taps, C) each."""
    return [np.moveaxis(w[(slice(None), *lat.taps)], 0, -1) for lat in lattices]


def _tap_sum(windows: np.ndarray, w: np.ndarray, out: np.ndarray) -> None:
    """out = the sum over taps of windows[tap] * w[tap], per channel: windows (*taps, L,
    C), w (*taps, C), out (L, C) C-contiguous. One einsum in rows of r pixels (r = WIDE_ROW
    // C), and one for the L mod r pixels left."""
    taps = "abdefghi"[: w.ndim - 1]  # a letter per tap dim, not u or c
    spec = f"{taps}uc,{taps}c->uc"
    c = w.shape[-1]
    r = max(1, WIDE_ROW // c)
    full = windows.shape[-2] // r * r
    wide = windows[..., :full, :].reshape(*windows.shape[:-2], full // r, r * c)  # a view
    tiled = np.tile(w, (*(1,) * (w.ndim - 1), r))
    if full:
        np.einsum(spec, wide, tiled, out=out[:full].reshape(-1, r * c))
    if full < len(out):
        np.einsum(spec, windows[..., full:, :], w, out=out[full:])


def _tap_dots(g: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """For each tap, per channel, the sum over positions of g * windows[tap]: g (L, C)
    C-contiguous, windows (*taps, L, C) -> (*taps, C); in rows of r pixels as _tap_sum."""
    taps = "abdefghi"[: windows.ndim - 2]  # as in _tap_sum
    spec = f"uc,{taps}uc->{taps}c"
    c = g.shape[-1]
    r = max(1, WIDE_ROW // c)
    full = g.shape[0] // r * r
    wide = windows[..., :full, :].reshape(*windows.shape[:-2], full // r, r * c)
    sums = np.einsum(spec, g[:full].reshape(full // r, r * c), wide)
    sums = sums.reshape(*sums.shape[:-1], r, c).sum(axis=-2)
    return sums + np.einsum(spec, g[full:], windows[..., full:, :])


# DepthwiseConv's blocks: the sum over the taps and one tap's term are each about this size
DEPTHWISE_BLOCK_BYTES = 1 * 2**20


def _inside(size: tuple, padding: tuple) -> tuple:
    """The slices of a padded array that hold the input of `size`, one per spatial dim."""
    return tuple(slice(before, before + m) for m, (before, _) in zip(size, padding))


class ConvTranspose2d(Function):
    """out = b + the transposed convolution of x with w: Conv2d's input gradient as a layer.

    Each input pixel spreads its value over a kernel-sized patch of the output: the output is
    the padded-size image op with op[n, o, i*s_h + p*d_h, j*s_w + q*d_w] += x[n, c, i, j] *
    w[c, o, p, q] for every tap (p, q), cropped by `padding` on each side, with `output_padding`
    more rows/columns at the bottom/right. That is exactly how Conv2d's backward sends grad_out
    to its input, with x in place of grad_out: the same col2im of one product. So the two ops
    are each other's mirror:
        forward   out = col2im(x2d @ W_taps), T products (M, C) @ (C, O)   (Conv2d's grad_x)
        grad_x    = im2col(pad(grad_out)) @ W2                          (Conv2d's forward)
        grad_w    = im2col(pad(grad_out)).T @ x2d                       (the same columns)
    with x2d the input as an (M, C) matrix, M = N * H * W.

    Shape: x (N, C, H, W), w (C, O, kh, kw), b (O,) or None -> (N, O, out_h, out_w),
    out_h = (H - 1) * s_h - 2 * pad_h + d_h * (kh - 1) + output_padding_h + 1, returned as a
    view of channels-last memory. Settings: stride, padding, output_padding, dilation as
    pairs; nn/conv_transpose.py checks them. groups=1 here: nn/conv_transpose.py runs each
    group as a call of its own on its slice of the channels.
    """

    formula = "out = col2im(x @ w) + b"
    derivatives = (
        "im2col(pad(grad_out)) @ w: a plain convolution of grad_out",
        "im2col(pad(grad_out)).T @ x",
        "grad_out summed over N, H, W",
    )
    saves_inputs = ("others", "others", False)  # x for dL/dw, w for dL/dx; not the bias

    def forward(
        self, x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1)
    ):
        n, c, *in_size = x.shape
        _, n_out, *kernel = w.shape
        # the image every tap writes into, before cropping: (H - 1) * s + d * (k - 1) + 1 per
        # axis, plus any output_padding that reaches past it
        out_size, full_size = [], []
        for size, k, s, p, extra, d in zip(
            in_size, kernel, stride, padding, output_padding, dilation
        ):
            reach = (size - 1) * s + d * (k - 1) + 1
            out_size.append(reach - 2 * p + extra)
            full_size.append(max(reach, p + out_size[-1]))
        x2d = np.moveaxis(x, 1, -1).reshape(-1, c)  # (M, C), free when x is channels-last
        out_full = np.zeros((n, *full_size, n_out), dtype=np.result_type(x2d, w))  # NHWC
        w_taps, pixels = _taps(w), math.prod(in_size)

        def part(images):  # a thread's share of the batch: x2d @ W, tap by tap
            rows = slice(images.start * pixels, images.stop * pixels)
            col2im(x2d[rows], w_taps, out_full[images], kernel, stride, dilation, in_size)

        parallel_products(part, n)
        inside = tuple(slice(p, p + m) for p, m in zip(padding, out_size))
        out = out_full[(slice(None), *inside, slice(None))]  # cut the padding off
        if b is not None:
            out += b  # (N, Ho, Wo, O) + (O,)
        need_x, need_w = self.needs_input_grad[:2]
        self.x2d = x2d if need_w else None
        self.w = w if need_x else None
        self.settings = tuple(kernel), stride, dilation, tuple(in_size)
        # grad_out goes back in the full image: `padding` before, what is left of it after
        self.pads = tuple((p, max(p - extra, 0)) for p, extra in zip(padding, output_padding))
        self.x_shape = x.shape
        return np.moveaxis(out, -1, 1)  # (N, O, Ho, Wo), a view of channels-last memory

    def backward(self, grad_out):
        need_x, need_w, need_b = (self.needs_input_grad + (False,))[:3]
        grad_x = grad_w = grad_b = None
        if need_b:
            grad_b = grad_out.sum(axis=(0, *range(2, grad_out.ndim)))
        if need_x or need_w:
            n, c, *size = self.x_shape
            gp = pad_input(grad_out, self.pads, channels_last=True)  # (N, O, H', W')
            # the windows of grad_out over x's pixels, im2col's columns (M, K), made and used
            # a block of images at a time, each thread through its share (as Conv2d's)
            pixels, n_cols = math.prod(size), math.prod(self.settings[0]) * gp.shape[1]
            w2 = _weight_matrix(self.w) if need_x else None  # (K, C)
            grad_x2d = np.empty((n * pixels, c), dtype=gp.dtype) if need_x else None
            grad_w_parts = {}  # each thread's share of grad_w, by first image

            def part(images):
                grad_w2 = np.zeros((n_cols, c), dtype=gp.dtype) if need_w else None
                for block in image_blocks(images, size, n_cols * gp.itemsize):
                    cols = block_cols(gp, block, *self.settings)  # (m, K)
                    rows = block_rows(block, size)
                    if need_x:
                        # dL/dx[n, c, i, j] = sum over o, p, q of w[c, o, p, q] * gp[n, o,
                        # i*s + p*d, ...]: (m, K) @ (K, C) -> (m, C)
                        np.matmul(cols, w2, out=grad_x2d[rows])
                    if need_w:
                        # dL/dw[c, o, p, q] = sum over n, i, j of x[n, c, i, j] * gp[n, o,
                        # i*s + p*d, ...]: (K, m) @ (m, C) -> (K, C), rows (kh, kw, O)
                        grad_w2 += cols.T @ self.x2d[rows]
                if need_w:
                    grad_w_parts[images.start] = grad_w2

            parallel_products(part, n)
            if need_x:
                grad_x = np.moveaxis(grad_x2d.reshape(n, *size, c), -1, 1)
            if need_w:
                grad_w2 = _sum_in_image_order(grad_w_parts)  # (K, C), rows (kh, kw, O)
                grad_w = _weight_from_matrix(grad_w2, self.settings[0])  # (C, O, kh, kw)
        return grad_x, grad_w, grad_b


class ConvTranspose3d(ConvTranspose2d):
    """out = b + the transposed 3-D convolution of x with w (PyTorch's conv_transpose3d):
    ConvTranspose2d's code, which works for any number of spatial dims, on volumes.

    Shape: x (N, C, D, H, W), w (C, O, kd, kh, kw), b (O,) or None -> (N, O, Do, Ho, Wo).
    """


def _taps(w: np.ndarray) -> np.ndarray:
    """A (A, B, kh, kw) weight as one contiguous (A, B) matrix per tap: (kh * kw, A, B).

    Contiguous, because a strided operand would send matmul off BLAS (10x slower)."""
    return np.ascontiguousarray(np.moveaxis(w, (0, 1), (-2, -1)).reshape(-1, *w.shape[:2]))


def _weight_matrix(w: np.ndarray) -> np.ndarray:
    """A (A, B, kh, kw) weight as the (kh * kw * B, A) matrix that multiplies im2col's
    columns, rows in im2col's (kh, kw, B) order."""
    return np.moveaxis(w, (0, 1), (-1, -2)).reshape(-1, w.shape[0])


def _weight_from_matrix(w2: np.ndarray, kernel: tuple) -> np.ndarray:
    """The reverse of _weight_matrix: a (kh * kw * B, A) matrix back to an (A, B, kh, kw)
    weight, contiguous."""
    w = w2.reshape(*kernel, -1, w2.shape[1])  # (kh, kw, B, A)
    return np.ascontiguousarray(np.moveaxis(w, (-1, -2), (0, 1)))


class MaxPool2d(Function):
    """out = the largest value in each window (ties: the first in row-major order, as PyTorch).

    (Where we differ: a NaN in a 2x2 window gives NaN, as in PyTorch, but its gradient goes
    to the window's last pixel rather than to the NaN.)

    Backward sends each grad_out value to the one input position that won its window (0
    elsewhere; overlapping windows add up). Two paths: 2x2 windows with stride 2 (the common
    case) as the max of strided views, rows then columns (measured: 0.36 ms vs 1.9 ms for a
    reshape and max over the windows), its forward and backward split by images between
    threads for large batches (_threads.py: LeNet's first pool at batch 64, backward 1.07 ->
    0.63 ms); any other kernel/stride/padding/dilation/ceil_mode tap by tap over strided views
    (_forward_taps), also split by images, or, for return_indices, a window view and argmax.

    Shape: x (N, C, H, W) -> (N, C, out_h, out_w). Settings: kernel, stride, padding ((top,
    bottom), (left, right)), dilation, ceil_mode; return_indices=True forces the general path,
    after which `self.indices` holds PyTorch's indices (see max_pool2d_indices).
    """

    formula = "out = max over each window of x"
    derivatives = ("grad_out at the argmax of its window, 0 elsewhere",)
    saves_output = True

    def forward(
        self,
        x,
        kernel=(2, 2),
        stride=(2, 2),
        padding=((0, 0), (0, 0)),
        dilation=(1, 1),
        ceil_mode=False,
        return_indices=False,
    ):
        size = x.shape[2:]
        out_size = conv_output_size(size, kernel, stride, padding, dilation, ceil_mode)
        self.x_shape, self.settings = x.shape, (kernel, stride, dilation, out_size, padding)
        plain = padding == ((0, 0), (0, 0)) and dilation == (1, 1)
        inside = all(2 * o <= m for o, m in zip(out_size, size))  # ceil_mode: a half window
        if kernel == (2, 2) and stride == (2, 2) and plain and inside and not return_indices:
            return self._forward_2x2(x, out_size)
        return self._forward_general(x, return_indices)

    # -- 2x2, stride 2: strided views of x, no copy ------------------------------------------
    def _forward_2x2(self, x, out_size):
        rows, cols = 2 * out_size[0], 2 * out_size[1]  # floor mode drops an odd last row/col
        # the max of each pair of rows, then of each pair of columns in that: the first pass
        # reads whole rows (W * C contiguous floats when x is channels-last, as after our
        # conv) where the four corners would read runs of C; LeNet's first pool at batch 256:
        # 4.6 -> 3.9 ms
        out = np.empty_like(x[:, :, 0:rows:2, 0:cols:2])  # x's memory layout

        def images(n):  # a slice of the batch; a large batch is split between threads
            pairs = np.maximum(x[n, :, 0:rows:2, :cols], x[n, :, 1:rows:2, :cols])
            np.maximum(pairs[..., 0::2], pairs[..., 1::2], out=out[n])

        parallel_rows(images, x)
        self.x, self.out, self.fast = x, out, True
        return out

    def _backward_2x2(self, grad_out):
        x, out = self.x, self.out
        if grad_out.strides != out.strides:
            # Give grad_out the memory layout of x and out (channels-last after our conv), so
            # the eight passes below walk all three arrays in the same order. grad_out often
            # arrives (N, C, H, W)-contiguous from a Flatten; measured on LeNet's second pool:
            # 2.0 ms with mixed layouts, 0.46 ms with this one small copy first.
            grad_out = _copy_like(grad_out, out)
        rows, cols = 2 * out.shape[2], 2 * out.shape[3]
        whole = (rows, cols) == x.shape[2:]  # else an odd last row/col gets no gradient
        grad_x = np.empty_like(x) if whole else np.zeros_like(x)  # x's memory layout

        def images(n):  # a slice of the batch; a large batch is split between threads
            best, g = out[n], grad_out[n]
            taken = None  # windows whose maximum was found in an earlier corner
            for k, (p, q) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):  # row-major order:
                corner = (n, slice(None), slice(p, rows, 2), slice(q, cols, 2))
                if k == 0:  # the first maximum wins ties, as in PyTorch
                    won = taken = x[corner] == best
                elif k < 3:
                    won = x[corner] == best
                    won &= ~taken
                    taken |= won
                else:  # the last corner holds the maximum wherever no earlier one did
                    won = ~taken
                np.multiply(g, won, out=grad_x[corner])

        parallel_rows(images, x)
        return grad_x

    # -- any window: a view of all windows, argmax over each ---------------------------------
    def _forward_general(self, x, return_indices=False):
        kernel, stride, dilation, out_size, padding = self.settings
        xp = _pad_to_cover(x, padding, kernel, stride, dilation, out_size, -np.inf)
        self.fast = False
        self.channels_last = xp.shape[1] > 1 and _is_channels_last(xp)  # backward's layout
        if not return_indices:
            return self._forward_taps(xp)
        windows = sliding_windows(xp, kernel, stride, dilation, out_size)
        flat = windows.reshape(*xp.shape[:2], *out_size, -1)  # (N, C, Ho, Wo, kh * kw): a copy
        self.arg = flat.argmax(axis=-1)[..., None]  # argmax returns the first maximum
        return np.take_along_axis(flat, self.arg, axis=-1)[..., 0]

    def _forward_taps(self, xp):
        """The max over the kernel's taps, each a strided view of xp (one pass each), and
        the winning tap of each window (the first maximum, as PyTorch) for backward. The
        windows themselves, copied out as (N, C, Ho, Wo, kh * kw) for an argmax, made rows of
        kw values: ResNet's stem pool (3 x 3, stride 2, padding 1) on (32, 64, 28, 28) took
        ~4x longer that way. A large batch is split by images between the threads (that pool,
        channels-last: 4.5 -> 2.6 ms). A NaN gives NaN, as in PyTorch, but its gradient goes
        to the window's maximum before it (return_indices=True takes the argmax path: NaN's
        own)."""
        kernel, stride, dilation, out_size, _ = self.settings
        taps = list(_tap_slices(kernel, stride, dilation, out_size))
        out = np.empty_like(xp[(..., *taps[0])])  # (N, C, Ho, Wo) in x's memory layout
        arg = np.empty_like(out, dtype=np.uint8 if len(taps) <= 256 else int)

        def images(n):  # a slice of the batch
            best, won = out[n], arg[n]
            best[...] = xp[n][(..., *taps[0])]
            won[...] = 0
            better, winner = np.empty_like(best, dtype=bool), np.empty_like(won)
            for t, slices in enumerate(taps[1:], start=1):
                window = xp[n][(..., *slices)]  # what tap t reads in every window
                # arg = t where this tap beats the maximum so far (strictly: earlier taps win
                # ties). As the taps come in increasing order that is arg = max(arg, t *
                # better): two fast passes, where np.copyto(arg, t, where=better) took 13x
                # as long
                np.greater(window, best, out=better)
                np.maximum(won, np.multiply(better, won.dtype.type(t), out=winner), out=won)
                np.maximum(best, window, out=best)

        parallel_rows(images, xp)
        self.arg = arg[..., None]
        return out

    def _backward_general(self, grad_out):
        kernel, stride, dilation, out_size, padding = self.settings
        arg = self.arg[..., 0]
        # every array in the layout of x and arg (channels-last after our conv): the passes
        # below then walk them all in the same order
        grad_out = grad_out if grad_out.strides == arg.strides else _copy_like(grad_out, arg)
        shape = (*self.x_shape[:2], *self.pad_shape)
        grad_xp = new_image(shape, 0, grad_out.dtype, self.channels_last)
        taps = list(_tap_slices(kernel, stride, dilation, out_size))

        def images(n):  # a slice of the batch (ResNet's stem pool: 3.6 -> 2.4 ms)
            won, g, gx = arg[n], grad_out[n], grad_xp[n]
            hit, term = np.empty_like(won, dtype=bool), np.empty_like(g)
            for t, slices in enumerate(taps):
                np.equal(won, t, out=hit)  # the windows tap t won
                window = gx[(..., *slices)]  # a view: += adds where overlapping windows meet
                window += np.multiply(g, hit, out=term)

        parallel_rows(images, grad_xp)  # split as forward: by the input's size
        return grad_xp[(..., *_inside(self.x_shape[2:], padding))]

    @property
    def pad_shape(self) -> tuple:
        kernel, stride, dilation, out_size, padding = self.settings
        return _covered_size(self.x_shape[2:], padding, kernel, stride, dilation, out_size)

    @property
    def indices(self) -> np.ndarray:
        """argmax of each window as a flat index into its (H, W) plane (int64, PyTorch's), or
        into its (D, H, W) volume."""
        kernel, stride, dilation, out_size, padding = self.settings
        taps = np.unravel_index(self.arg[..., 0], kernel)  # the winning tap (p, q) per window
        n_dims = len(kernel)
        position = []  # per spatial dim: the input row (column, ...) the winner sits in
        for axis, (p, s, d, o, (before, _)) in enumerate(
            zip(taps, stride, dilation, out_size, padding)
        ):
            start = np.arange(o).reshape([-1 if a == axis else 1 for a in range(n_dims)])
            position.append(start * s - before + p * d)
        return np.ravel_multi_index(position, self.x_shape[2:]).astype(np.int64)

    def backward(self, grad_out):
        return self._backward_2x2(grad_out) if self.fast else self._backward_general(grad_out)


def _copy_like(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A copy of `a` laid out in memory as `like` is (same axis order of the strides)."""
    copy = np.empty_like(like, dtype=a.dtype)  # order='K': like's layout
    copy[...] = a
    return copy


def max_pool2d_indices(x: np.ndarray, **settings) -> np.ndarray:
    """PyTorch's return_indices: the argmax of each window of x (N, C, H, W) as a flat index
    into its H * W plane (int64); of x (N, C, D, H, W) into its D * H * W volume. `settings`
    are MaxPool2d's."""
    op = MaxPool2d()
    op.forward(x, return_indices=True, **settings)  # return_indices: the argmax path
    return op.indices


def _covered_size(
    size: tuple, padding: tuple, kernel: tuple, stride: tuple, dilation: tuple, out_size: tuple
) -> tuple:
    """Height and width (and depth) of the padded input that the windows read: at least the
    input plus its padding, more when ceil_mode lets the last window hang over the edge."""
    covered = []
    for n, (before, after), k, s, d, o in zip(size, padding, kernel, stride, dilation, out_size):
        covered.append(max(n + before + after, (o - 1) * s + d * (k - 1) + 1))
    return tuple(covered)


def _pad_to_cover(x, padding, kernel, stride, dilation, out_size, value) -> np.ndarray:
    """x padded with `value` on every side the windows reach past (a view when none is)."""
    covered = _covered_size(x.shape[2:], padding, kernel, stride, dilation, out_size)
    if covered == x.shape[2:]:
        return x
    # (before, after) per dim; after reaches as far as the windows do. In x's own layout.
    pads = [(b, m - s - b) for m, s, (b, _) in zip(covered, x.shape[2:], padding)]
    return pad_input(x, pads, x.shape[1] > 1 and _is_channels_last(x), value)


class AvgPool2d(Function):
    """out = the mean of each window: the window's sum / divisor.

    The divisor follows PyTorch: the window's size including zero padding (count_include_pad,
    the default), or only the input pixels in it, or divisor_override. Sum and backward loop
    over the kh * kw taps, each a strided slice. Backward: each input pixel gets
    grad_out / divisor from every window it is in. Both keep x's memory layout (channels-last
    after our conv) and split a large batch by images between the threads: on (32, 64, 28,
    28) channels-last, 3 x 3 stride 1, forward 24.7 -> 4.4-6.0 ms and backward 19-20 -> 5.5-7.0
    ms (one copy into (N, C, H, W) order had mixed the layouts in every pass after it).

    Shape: x (N, C, H, W) -> (N, C, out_h, out_w). Settings: kernel, stride, padding ((top,
    bottom), (left, right)), ceil_mode, count_include_pad, divisor_override.
    """

    formula = "out = sum(window of x) / divisor"
    derivatives = ("grad_out / divisor, added to every pixel of its window",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(
        self,
        x,
        kernel=(2, 2),
        stride=(2, 2),
        padding=((0, 0), (0, 0)),
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        size = x.shape[2:]
        one = (1,) * len(kernel)
        out_size = conv_output_size(size, kernel, stride, padding, one, ceil_mode)
        xp = _pad_to_cover(x, padding, kernel, stride, one, out_size, 0)
        taps = list(_tap_slices(kernel, stride, one, out_size))
        total = np.empty_like(xp[(..., *taps[0])])  # (N, C, Ho, Wo) in x's memory layout

        def images(n):  # a slice of the batch; a large batch is split between threads
            part = total[n]
            np.add(xp[n][(..., *taps[0])], xp[n][(..., *taps[1])], out=part)
            for slices in taps[2:]:
                part += xp[n][(..., *slices)]

        if len(taps) == 1:
            total[...] = xp[(..., *taps[0])]
        else:
            parallel_rows(images, xp)
        if divisor_override:
            divisor = np.asarray(divisor_override, dtype=x.dtype)
        else:
            divisor = _avg_divisor(
                size, kernel, stride, padding, out_size, count_include_pad
            ).astype(x.dtype)
        total /= divisor
        self.divisor, self.x_shape, self.pad_shape = divisor, x.shape, xp.shape
        self.taps, self.padding = taps, padding
        self.channels_last = xp.shape[1] > 1 and _is_channels_last(xp)
        return total

    def backward(self, grad_out):
        grad_xp = new_image(self.pad_shape, 0, grad_out.dtype, self.channels_last)
        share = np.empty_like(grad_xp[(..., *self.taps[0])])  # in grad_xp's layout
        np.divide(grad_out, self.divisor, out=share)

        def images(n):  # a slice of the batch; a large batch is split between threads
            part, g = grad_xp[n], share[n]
            for slices in self.taps:
                part[(..., *slices)] += g

        parallel_rows(images, grad_xp)
        return grad_xp[(..., *_inside(self.x_shape[2:], self.padding))]


class MaxPool3d(MaxPool2d):
    """out = the largest value in each window of a volume (PyTorch's max_pool3d): MaxPool2d's
    general path (a window view and argmax), which works for any number of spatial dims.

    Shape: x (N, C, D, H, W) -> (N, C, Do, Ho, Wo); indices index the D * H * W volume.
    """


class AvgPool3d(AvgPool2d):
    """out = the mean of each window of a volume (PyTorch's avg_pool3d): AvgPool2d's code,
    which works for any number of spatial dims, with PyTorch's divisor rules.

    Shape: x (N, C, D, H, W) -> (N, C, Do, Ho, Wo).
    """


def _avg_divisor(size, kernel, stride, padding, out_size, count_include_pad) -> np.ndarray:
    """(out_h, out_w) (or (out_d, out_h, out_w)) divisors, PyTorch's rule, separable per axis:
    start = i * stride - pad; end = min(start + kernel, size + pad) counts padding; clipping
    both to [0, size] counts only the input pixels."""
    lengths = []
    for n, k, s, (before, after), o in zip(size, kernel, stride, padding, out_size):
        start = np.arange(o) * s - before
        end = np.minimum(start + k, n + after)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        lengths.append(end - start)
    return functools.reduce(np.multiply.outer, lengths)  # l_h[:, None] * l_w[None, :]


def adaptive_pool_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i is 1/len over PyTorch's window for output i,
    start = floor(i * size / out), end = ceil((i + 1) * size / out); windows may overlap."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    cols = np.arange(size)
    inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2d(Function):
    """out = the mean over PyTorch's adaptive windows, sized so the output is `output_size`.

    Averaging along H and along W are each linear maps, so out = A_h @ x @ A_w.T with
    A = adaptive_pool_matrix (rows are the windows); backward is A_h.T @ grad_out @ A_w.
    The (1, 1) case (global average pooling) is a plain mean over H and W.

    Shape: x (N, C, H, W) -> (N, C, out_h, out_w).
    """

    formula = "out = A_h @ x @ A_w.T"
    derivatives = ("A_h.T @ grad_out @ A_w",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, output_size=(1, 1)):
        self.x_shape = x.shape
        if tuple(output_size) == (1, 1):
            self.global_mean = True
            return x.mean(axis=(2, 3), keepdims=True)
        self.global_mean = False
        self.a_h = adaptive_pool_matrix(x.shape[2], output_size[0], x.dtype)
        self.a_w = adaptive_pool_matrix(x.shape[3], output_size[1], x.dtype)
        return self.a_h @ x @ self.a_w.T  # (Ho, H) @ (N, C, H, W) @ (W, Wo)

    def backward(self, grad_out):
        if self.global_mean:
            n_pixels = self.x_shape[2] * self.x_shape[3]
            return np.broadcast_to(grad_out / n_pixels, self.x_shape)
        return self.a_h.T @ grad_out @ self.a_w  # (H, Ho) @ (N, C, Ho, Wo) @ (Wo, W)


def _pixel_rows(arrays, c: int) -> tuple:
    """Channels-last (or (N, C) row-major) arrays read as rows of pixels (views): (wide,
    leftover). wide: the first pixels, `repeat` of them a row, (M / repeat, repeat * C) with
    repeat = WIDE_ROW // C; leftover: the pixels that do not fill a wide row, (rest, C)."""
    rows = [np.moveaxis(a, 1, -1).reshape(-1, c) for a in arrays]
    repeat = max(1, WIDE_ROW // c)
    full = rows[0].shape[0] // repeat * repeat
    return [r[:full].reshape(-1, repeat * c) for r in rows], [r[full:] for r in rows]


def channel_sums(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Per channel (axis 1), the sum of a, or of a * b, over every other axis: (C,).

    As matrix products (BLAS, both cores), 4-6x faster than a.sum(axis=(0, 2, 3)) on
    (32, 64, 28, 28) floats: a channels-last array read as (N*H*W, C) rows is summed by
    ones @ rows; an (N, C, H, W) one read as (N, C, H*W) by a product with ones, then over N.
    A product with b: the same, on a * b (channels-last), or by a row-by-row dot product
    (np.vecdot) without making a * b. Other layouts: NumPy's sum."""
    n, c = a.shape[:2]
    if b is not None and b.strides != a.strides and 0 not in a.strides:
        b = _copy_like(b, a)
    if _is_channels_last(a):  # (N, C) row-major too: 3.4 ms -> 53 us on (4096, 256)
        if b is None:
            rows = np.moveaxis(a, 1, -1).reshape(-1, c)  # (N*H*W, C), no copy
            return np.ones(rows.shape[0], dtype=rows.dtype) @ rows
        # sum over the rows of a * b without making it: einsum over rows of WIDE_ROW values
        # (whole pixels, as per_channel reads them), then over the pixels in a row. On
        # (65536, 16), 0.14 ms against 0.37 for ones @ (a * b) (2026-11-27)
        wide, leftover = _pixel_rows((a, b), c)
        sums = np.einsum("ij,ij->j", *wide).reshape(-1, c).sum(axis=0)
        return sums + np.einsum("ij,ij->j", *leftover)
    if a.flags.c_contiguous:
        planes = a.reshape(n, c, -1)  # (N, C, H*W)
        if b is None:
            return (planes @ np.ones(planes.shape[2], dtype=a.dtype)).sum(axis=0)
        return np.vecdot(planes, b.reshape(n, c, -1)).sum(axis=0)
    axes = (0, *range(2, a.ndim))
    return (a if b is None else a * b).sum(axis=axes)


class ChannelAffine(Function):
    """out = x * weight[c] + bias[c]: one weight and one bias per channel (axis 1), InstanceNorm's
    last step, fused.

    As two broadcast ops (x * w, then + b) backward summed g * x and g over every axis but
    the channels with NumPy's reductions across axes; here channel_sums does both as matrix
    products (on (32, 64, 28, 28) the product's backward took 5.3 ms that way).

    Shape: x (N, C, *), weight and bias (C,) or None -> (N, C, *).
    """

    formula = "out = x * weight[c] + bias[c]"
    derivatives = (
        "grad_out * weight[c]",
        "sum of grad_out * x over every axis but the channels",
        "sum of grad_out over every axis but the channels",
    )
    saves_inputs = ("others", "others", False)  # x for dL/dw, w for dL/dx; not the bias

    def forward(self, x, weight=None, bias=None):
        self.shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # (C,) broadcast against x
        out = x * weight.reshape(self.shape) if weight is not None else x.copy()
        if bias is not None:
            out += bias.reshape(self.shape)
        need_x, need_w = (self.needs_input_grad + (False,))[:2]
        self.x = x if need_w else None
        self.weight = weight if need_x else None
        return out

    def backward(self, grad_out):
        need_x, need_w, need_b = (self.needs_input_grad + (False, False))[:3]
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = grad_out if self.weight is None else grad_out * self.weight.reshape(self.shape)
        if need_w:
            grad_w = channel_sums(grad_out, self.x)
        if need_b:
            grad_b = channel_sums(grad_out)
        return grad_x, grad_w, grad_b


# per_channel runs fn on blocks of rows of about this many values, so that fn's passes (BatchNorm's
# backward makes three) find a block in the cache; on arrays larger than the L3 cache (32 MB
# here) each pass over the whole array went to memory: (64, 144, 32, 32) floats, as
# MobileNetV2's wide layers, BatchNorm's dL/dx pass 25.4 -> 12.6 ms, its forward's scale
# and shift 8.9 -> 6.8 ms; arrays of 8 MB and less unchanged (2026-11-27)
PER_CHANNEL_BLOCK = 1 << 18


def per_channel(fn, arrays: tuple, vectors: tuple, out: np.ndarray) -> np.ndarray:
    """fn(*arrays, *vectors, out=out) for (N, C, ...) arrays and per-channel (C,) vectors
    broadcast against them; returns out.

    Where out and the arrays are channels-last (or (N, C) row-major), memory is rows of C
    values, one per pixel. Broadcasting a (C,) vector there makes NumPy run one inner loop
    of C values per pixel: slow for few channels (a subtraction on (64, 16, 32, 32), 0.42
    ms; 0.25 ms read as below, 2026-11-27). So the rows are read WIDE_ROW values at a time,
    `repeat` pixels, against the vectors repeated as often (as add_to_rows does for a conv's
    bias), in blocks of PER_CHANNEL_BLOCK values; leftover pixels as they are. Other
    layouts: the vectors as (1, C, 1, ...) arrays, NumPy's broadcasting. (Not split between
    threads: these passes are bound by memory, and on 2 cores they ran no faster, and slower
    on small arrays, where handing a part over costs more than it saves.)"""
    c = out.shape[1] if out.ndim > 1 else 1
    rows_layout = (
        out.flags.c_contiguous if out.ndim == 2 else out.ndim > 2 and _is_channels_last(out)
    )
    if not (rows_layout and all(a.strides == out.strides for a in arrays)):
        shape = (1, c) + (1,) * (out.ndim - 2)
        with unbuffered_rows(math.prod(out.shape[2:]) if out.ndim > 2 else 0):
            fn(*arrays, *(v.reshape(shape) for v in vectors), out=out)
        return out
    wide, leftover = _pixel_rows((*arrays, out), c)
    if wide[-1].size:
        repeat = wide[-1].shape[1] // c
        tiled = [np.tile(v, repeat) for v in vectors]
        rows = max(1, PER_CHANNEL_BLOCK // wide[-1].shape[1])  # a block's rows
        for a in range(0, wide[-1].shape[0], rows):
            fn(*(w[a : a + rows] for w in wide[:-1]), *tiled, out=wide[-1][a : a + rows])
    if leftover[-1].size:
        fn(*leftover[:-1], *vectors, out=leftover[-1])
    return out


def _scale_shift(x, scale, shift, out):
    np.multiply(x, scale, out=out)
    out += shift


def _batch_norm_grad(g, centred, scale, k, shift, out):
    np.multiply(g, scale, out=out)
    out -= centred * k
    out -= shift


class BatchNorm(Function):
    """out = (x - mean) / sqrt(var + eps) * weight + bias, per channel (axis 1): fused.

    Training: mean and (biased) var over every axis but the channels, and the running
    statistics passed as settings are updated IN PLACE, as PyTorch's kernel does:
    running = (1 - momentum) * running + momentum * batch, with the UNBIASED var (n / (n - 1)).
    Eval (training=False): the running statistics normalise, and nothing is updated; where
    no gradient is wanted for the weight (inference, a frozen layer) the op is the affine
    map out = x * scale + shift per channel, scale = weight * invstd, shift = bias - mean *
    scale.

    Backward, the closed form (Ioffe & Szegedy 2015, sec. 3, worked through the mean and var):
    with xhat = (x - mean) * invstd and n values per channel,
        dL/dx = weight * invstd / n * (n * g - sum(g) - xhat * sum(g * xhat))
        dL/dweight = sum(g * xhat)      dL/dbias = sum(g)
    (in eval the statistics are constants: dL/dx = g * weight * invstd). It is tested against
    the same thing composed from mean/var/sub/div primitives. The sums are matrix products
    or einsums (channel_sums), the passes over x and grad_out broadcast the per-channel
    numbers along rows of pixels (per_channel): the op alone on channels-last (64, 16, 32, 32),
    as a CIFAR ResNet's first stage makes it, forward 2.4-3.6 -> 1.2-1.6 ms, backward 2.8-6.6
    -> 1.5-1.8 ms (2026-11-27, alternating runs of the two versions).

    Shape: x (N, C) or (N, C, L) or (N, C, H, W); weight, bias, running stats (C,).
    """

    formula = "out = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias"
    derivatives = (
        "weight * invstd / n * (n * grad_out - sum(grad_out) - xhat * sum(grad_out * xhat))",
        "sum(grad_out * xhat)",
        "sum(grad_out)",
    )
    # centred is a new array; weight enters backward as scale = weight * invstd, made in
    # forward, but a weight changed in place before backward still raises, as in PyTorch
    saves_inputs = (False, True, False)

    def forward(
        self,
        x,
        weight=None,
        bias=None,
        running_mean=None,
        running_var=None,
        training=True,
        momentum=0.1,
        eps=1e-5,
    ):
        n = x.size // x.shape[1]
        if training:
            if n <= 1:
                raise ShapeError(
                    f"batch_norm: expected more than 1 value per channel when training, got "
                    f"input of shape {x.shape}. The variance of one value is undefined: use a "
                    f"batch of at least 2, or call model.eval() to use the running statistics."
                )
            mean = channel_sums(x) / n
            centred = per_channel(np.subtract, (x,), (mean,), np.empty_like(x))
            var = channel_sums(centred, centred) / n  # biased: divides by n
            invstd = 1.0 / np.sqrt(var + eps)
            if running_mean is not None:
                running_mean *= 1.0 - momentum
                running_mean += momentum * mean
            if running_var is not None:
                running_var *= 1.0 - momentum
                running_var += (momentum * n / (n - 1)) * var  # unbiased, as PyTorch
        else:
            invstd = (1.0 / np.sqrt(running_var + eps)).astype(x.dtype)
            mean = running_mean.astype(x.dtype)
            centred = None  # the statistics are constants: only dL/dweight would read it
            if (self.needs_input_grad + (False,))[1]:
                centred = per_channel(np.subtract, (x,), (mean,), np.empty_like(x))
        # out = xhat * weight + bias with xhat = centred * invstd, as centred * (invstd *
        # weight) + bias: xhat itself is never made (two passes over x fewer, forward and
        # backward; backward reads centred and invstd instead, as the formulas above)
        scale = invstd if weight is None else weight * invstd  # (C,)
        if centred is None:
            # eval: out = x * scale + (bias - mean * scale), two passes over x, as PyTorch's
            # kernel. The op alone, channels-last, alternating in one process (2026-11-29):
            # (16, 64, 112, 112) 26.1 -> 13.4 ms, (16, 64, 56, 56) 3.6 -> 2.3; in a
            # ResNet-18's inference on 16 images of 224 x 224, 111 -> 38 ms
            shift = -mean * scale if bias is None else bias - mean * scale
            out = per_channel(_scale_shift, (x,), (scale, shift), np.empty_like(x))
        elif bias is None:
            out = per_channel(np.multiply, (centred,), (scale,), np.empty_like(centred))
        else:
            out = per_channel(_scale_shift, (centred,), (scale, bias), np.empty_like(centred))
        self.centred, self.invstd, self.scale = centred, invstd, scale
        self.training, self.n = training, n
        return out

    def backward(self, grad_out):
        need_x, need_w, need_b = (self.needs_input_grad + (False, False))[:3]
        g, centred, n = grad_out, self.centred, self.n
        if not self.training:  # the statistics are constants: dL/dx = g * scale
            grad_x = grad_w = None
            if need_x:
                grad_x = per_channel(np.multiply, (g,), (self.scale,), np.empty_like(g))
            if need_w:  # centred was kept for this
                grad_w = channel_sums(g, centred) * self.invstd
            return grad_x, grad_w, (channel_sums(g) if need_b else None)
        if g.strides != centred.strides and 0 not in g.strides:  # one memory layout for the
            g = _copy_like(g, centred)  # passes below (a broadcast g, as from .sum(), stays)
        sum_g = channel_sums(g)
        sum_g_xhat = channel_sums(g, centred) * self.invstd  # sum(g * xhat)
        grad_x = None
        if need_x:
            # dL/dx = scale * (g - sum(g) / n - xhat * sum(g * xhat) / n)
            #       = g * scale - centred * k - shift,  scale = weight * invstd
            scale = self.scale
            k = scale * self.invstd * sum_g_xhat / n
            shift = scale * sum_g / n
            grad_x = np.empty_like(centred)
            per_channel(_batch_norm_grad, (g, centred), (scale, k, shift), grad_x)
        return grad_x, (sum_g_xhat if need_w else None), (sum_g if need_b else None)


class GroupNorm(Function):
    """out = (x - mean) / sqrt(var + eps) * weight[c] + bias[c], with the mean and (biased)
    var of each sample's group of C / G channels, over those channels and every position
    (Wu & He 2018): fused.

    The groups of one image depend on that image alone, so the images are split between the
    threads, forward and backward. Built before from layer_norm on the (N, G, -1) view and a
    per-channel affine op: eight passes over memory where this makes five (the mean, x -
    mean, the var, * scale, + bias; backward two sums and three passes), 0.5x the time
    forward and backward, alternating on (32, 64, 28, 28) in groups of 8 (2026-11-27).
    (Blocks of images sized to stay in the cache between the passes did not pay: the more
    NumPy calls, the more the two threads wait on each other for Python's lock.) A
    channels-last x, as our convolutions return, is read and written in that layout
    (_NormLayout): copied into (N, C, H, W) order first, the forward above took 4.2-5.2 ms
    instead of 2.7-3.1.

    Backward, with centred = x - mean, rstd = 1 / sqrt(var + eps), xhat = centred * rstd, m
    the values per group, and per (image, channel) S1 = sum over positions of g and S2 =
    sum of g * centred:
        dL/dx = rstd * (w g - mean(w g) - xhat * mean(w g * xhat))   (means over the group)
              = g * (rstd w) - centred * rstd^3 sum(w S2) / m - rstd sum(w S1) / m
        dL/dweight = sum over images of rstd * S2      dL/dbias = sum over images of S1
    (the sums over the group's channels c). Tested against layer_norm and the affine op
    composed, and against PyTorch.

    Shape: x (N, C, *), C divisible by num_groups; weight, bias (C,) or None -> x's shape.
    """

    formula = "out = (x - mean(x)) / sqrt(var(x) + eps) * weight[c] + bias[c], per group"
    derivatives = (
        "rstd * (w g - mean(w g) - xhat * mean(w g * xhat)), means over the group",
        "sum(grad_out * xhat) over every axis but the channels",
        "sum(grad_out) over every axis but the channels",
    )
    saves_inputs = (False, True, False)  # centred is a new array; weight is read

    def forward(self, x, weight=None, bias=None, num_groups=1, eps=1e-5):
        n, c = x.shape[:2]
        # (N, C, P) planes, or (N, P, C) rows when x is channels-last (as after our conv):
        # read in its own layout, not copied into the other one
        self.layout = _NormLayout(x)
        x3 = self.layout.flat(x)
        per_group = x.size // max(n * num_groups, 1)  # values in one sample's group
        keep = any(self.needs_input_grad)
        out = np.empty_like(x3)
        centred = np.empty_like(x3) if keep else None  # kept for backward
        rstd = np.empty((n, num_groups), dtype=x3.dtype)
        w = np.ones(c, x3.dtype) if weight is None else weight
        channel = self.layout.per_channel  # (B, C) -> broadcast against a block

        def part(block):  # a thread's images
            xs = x3[block]
            mean = _group_sums(self.layout.sums(xs), num_groups) / per_group  # (B, G)
            cen = np.empty_like(xs) if centred is None else centred[block]
            np.subtract(xs, channel(_by_channel(mean, c)), out=cen)
            r = 1.0 / np.sqrt(_group_sums(self.layout.sums(cen, cen), num_groups) / per_group + eps)
            rstd[block] = r
            o = out[block]  # = centred * (rstd * weight[c]) + bias[c]
            np.multiply(cen, channel(_by_channel(r, c) * w), out=o)
            if bias is not None:
                o += channel(bias[None])

        with self.layout.unbuffered():
            parallel_rows(part, x3)
        self.centred, self.rstd, self.weight, self.per_group = centred, rstd, weight, per_group
        return self.layout.unflat(out)

    def backward(self, grad_out):
        need_x, need_w, need_b = (self.needs_input_grad + (False, False))[:3]
        centred, rstd, m, layout = self.centred, self.rstd, self.per_group, self.layout
        n, groups, c = rstd.shape[0], rstd.shape[1], layout.channels
        g3 = layout.flat(grad_out)  # in x's layout (a copy if grad_out has another)
        w = np.ones(c, dtype=g3.dtype) if self.weight is None else self.weight
        s1 = np.empty((n, c), dtype=g3.dtype)  # per (image, channel): sum of g
        s2 = np.empty((n, c), dtype=g3.dtype)  # sum of g * centred
        grad_x = np.empty_like(g3) if need_x else None
        channel = layout.per_channel

        def part(block):  # a thread's images
            gs, cen = g3[block], centred[block]
            s1[block] = layout.sums(gs)
            s2[block] = layout.sums(gs, cen)
            if grad_x is None:
                return
            r = rstd[block]  # (B, G)
            ws1, ws2 = (_group_sums(s[block] * w, groups) for s in (s1, s2))  # (B, G)
            # dL/dx = g * a - centred * b - d, a, b, d per (image, channel)
            gx = grad_x[block]
            np.multiply(gs, channel(_by_channel(r, c) * w), out=gx)
            gx -= cen * channel(_by_channel(r**3 * ws2 / m, c))
            gx -= channel(_by_channel(r * ws1 / m, c))

        with layout.unbuffered():
            parallel_rows(part, g3)
        grad_w = grad_b = None
        if need_w:
            grad_w = (_by_channel(rstd, c) * s2).sum(axis=0)  # of rstd * S2
        if need_b:
            grad_b = s1.sum(axis=0)
        return (None if grad_x is None else layout.unflat(grad_x)), grad_w, grad_b


def _group_sums(values: np.ndarray, groups: int) -> np.ndarray:
    """(B, C) -> (B, G): the sum over each group's channels."""
    return values.reshape(values.shape[0], groups, -1).sum(axis=-1)


def _by_channel(per_group: np.ndarray, channels: int) -> np.ndarray:
    """(B, G) -> (B, C): each group's value for each of its channels."""
    return np.repeat(per_group, channels // per_group.shape[1], axis=1)


class _NormLayout:
    """An (N, C, *) array's memory seen as (N, C, P) planes, or as rows of pixels when it is
    channels-last (P positions per image), with the per-(image, channel) sums in that view.

    Channels-last rows hold `wide` pixels each, (N, P / wide, wide * C) (_row_pixels): a
    per-channel number broadcast along rows of one pixel's C values made NumPy copy every
    row through its buffer (see WIDE_ROW). GroupNorm, channels-last, alternating old and new
    in one process: (32, 64, 28, 28) forward 1.24x, forward + backward 1.09x; (128, 16, 32,
    32) 1.43x and 1.33x; images of 16 x 16 or smaller keep rows of one pixel."""

    def __init__(self, x: np.ndarray):
        self.shape, self.channels = x.shape, x.shape[1]
        self.last = x.ndim > 2 and x.shape[1] > 1 and _is_channels_last(x)
        self.positions = math.prod(x.shape[2:])
        self.wide = _row_pixels(self.positions, self.channels) if self.last else 1
        self.ones = np.ones(self.positions // self.wide, dtype=x.dtype)

    def flat(self, a: np.ndarray) -> np.ndarray:
        n, c, p = self.shape[0], self.channels, self.positions
        if self.last:  # a view when a is channels-last, else one copy into that layout
            return np.moveaxis(a, 1, -1).reshape(n, p // self.wide, self.wide * c)
        return np.ascontiguousarray(a).reshape(n, c, p)

    def unflat(self, a3: np.ndarray) -> np.ndarray:
        if self.last:  # pixel rows -> an (N, C, *) view of that memory
            return np.moveaxis(a3.reshape(self.shape[0], *self.shape[2:], self.channels), -1, 1)
        return a3.reshape(self.shape)

    def sums(self, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        """Per (image, channel) of a block, the sum over positions of a, or of a * b: (B, C).
        As matrix-vector products (BLAS), or row-by-row dot products without making a * b."""
        if self.last:  # ones @ rows, image by image, then over the pixels of a row
            rows = self.ones @ (a if b is None else a * b)  # (B, wide * C)
            return rows.reshape(rows.shape[0], self.wide, self.channels).sum(axis=1)
        return a @ self.ones if b is None else np.vecdot(a, b)  # (B, C, P)

    def per_channel(self, v: np.ndarray) -> np.ndarray:
        """(B, C) values broadcast against a block of this layout."""
        return np.tile(v, (1, self.wide))[:, None, :] if self.last else v[:, :, None]

    def unbuffered(self):
        """A context in which those broadcasts run along whole rows or planes unbuffered
        (unbuffered_rows): GroupNorm on (32, 64, 28, 28) planes forward 2.00 -> 1.17 ms,
        forward + backward 3.91 -> 2.79."""
        return unbuffered_rows(self.wide * self.channels if self.last else self.positions)


# GroupNorm's channels-last rows: at least this many values, from images of at least
# NORM_ROW_POSITIONS pixels (with fewer, each image's few long rows were slower: 8 x 8
# images of 64 channels, forward 0.70 -> 0.82 ms in rows of 1024 values)
NORM_ROW, NORM_ROW_POSITIONS = 1024, 256


def _row_pixels(positions: int, channels: int) -> int:
    """The fewest pixels, a divisor of `positions`, that make a row of NORM_ROW values or
    more; 1 (rows of one pixel) for images of fewer than NORM_ROW_POSITIONS pixels, or when
    no divisor up to 4x that fewest count exists (a prime number of pixels, say)."""
    if positions < NORM_ROW_POSITIONS:
        return 1
    least = -(-NORM_ROW // channels)
    for k in range(least, min(positions, 4 * least) + 1):
        if positions % k == 0:
            return k
    return 1
