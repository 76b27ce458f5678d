"""Convolution and pooling layers: PyTorch's functions (conv1d/2d/3d, max_pool1d/2d/3d, ...)
and modules. Transposed convolutions are in conv_transpose.py.

The functions check their arguments (so a mistake gets a message that explains it, not a NumPy
traceback), normalise int/tuple/'same' settings, and call the primitives in ops/conv.py, where
the forward and backward math lives. The modules hold the weights and call the functions.
Read next: ops/conv.py for im2col and the backward passes; batchnorm.py.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..creation import cat, pad_as
from ..errors import ArgumentError, DTypeError, ShapeError
from ..ops import conv as ops
from ..tensor import Tensor, _need_tensors_or_none, takes_tensor
from . import init
from .module import Module, Parameter, size_argument

# ------------------------------------------------------------------------------ arguments


def _pair(value, name: str, who: str, n: int = 2) -> tuple:
    """An int or a pair of ints -> (h, w), as torch's _pair (n=3: an int or 3 ints -> (d, h,
    w), torch's _triple); anything else explains itself."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    if (
        isinstance(value, (tuple, list))
        and len(value) == n
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return tuple(value)
    what = "a pair of ints (height, width)" if n == 2 else f"{n} ints (depth, height, width)"
    raise ArgumentError(f"{who}: {name} must be an int or {what}; got {value!r}.")


def _channels(layer: str, in_channels, out_channels, in_minimum: int = 1) -> tuple:
    """A convolution's in_channels and out_channels, each a whole number >= 1 (in_channels
    0 for a lazy layer, which learns it at its first call: lazy.py)."""
    return (
        size_argument(
            layer,
            "in_channels",
            in_channels,
            "the number of channels of the input, e.g. 3 for RGB images",
            minimum=in_minimum,
        ),
        size_argument(
            layer,
            "out_channels",
            out_channels,
            "the number of filters (channels of the output), e.g. 16",
            minimum=1,
        ),
    )


def _groups(groups, who: str, channels: dict) -> int:
    """Check `groups` (a whole number >= 1 that divides each count in `channels`, a {name:
    count} dict such as {"in_channels": 6, "out_channels": 4}); return it. Used by the
    convolutions and the transposed ones: each of the groups convolves in_channels / groups
    input channels into out_channels / groups output channels."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ArgumentError(
            f"{who}: groups must be a positive int (1 for an ordinary convolution, "
            f"in_channels for a depthwise one); got groups={groups!r}."
        )
    for name, n in channels.items():
        if n % groups:
            counts = channels.values()
            fits = [g for g in range(1, min(counts) + 1) if all(c % g == 0 for c in counts)]
            raise ArgumentError(
                f"{who}: groups={groups} must divide {name} ({n}), as in PyTorch: each group "
                f"convolves in_channels / groups input channels into out_channels / groups "
                f"output channels. Use a groups value that divides "
                f"{' and '.join(str(c) for c in counts)}: {', '.join(map(str, fits))}."
            )
    return int(groups)


def _by_groups(x: Tensor, weight: Tensor, bias, groups: int, run) -> Tensor:
    """run(x, weight, bias) as `groups` independent runs on matching slices of the channels,
    joined along the channels: group g sees input channels g * C_in / groups onwards, weight
    rows (dim 0) alike, and makes output channels g * C_out / groups onwards.

    A composition of slicing, the groups=1 op and cat, so autograd gets the gradient of each
    slice right by itself and the groups=1 op (the benchmarked one) stays as it is. A
    prototype of one batched product over all groups (im2col per group, then (G, M, K) @
    (G, K, O / G)) was slower with few groups (19 ms vs 13 ms here for 4 groups of 8
    channels) and faster only with many small ones (10 ms vs 22 ms for 32 groups of 2; batch
    8, 3 x 3, one thread): not clearly better, so not written. Depthwise convolutions (one
    channel per group), where this loop costs most, have their own op (DepthwiseConv)."""
    if groups == 1:
        return run(x, weight, bias)
    xs, ws = x.chunk(groups, dim=1), weight.chunk(groups, dim=0)
    bs = bias.chunk(groups) if bias is not None else [None] * groups
    return cat([run(*parts) for parts in zip(xs, ws, bs)], dim=1)


def _positive(values: tuple, name: str, who: str, minimum: int = 1) -> tuple:
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ArgumentError(f"{who}: {name} must be whole numbers; got {values}.")
    if any(v < minimum for v in values):
        least = "positive" if minimum == 1 else "non-negative"
        raise ArgumentError(f"{who}: {name} must be {least}; got {values}.")
    return values


def _conv_padding(padding, kernel: tuple, stride: tuple, dilation: tuple, who: str) -> tuple:
    """padding as given (int, pair, 'same', 'valid') -> ((top, bottom), (left, right)).

    'same' pads dilation * (kernel - 1) in total per axis, half before and the rest (one more
    when odd) after, as PyTorch; it needs stride 1, as in PyTorch.
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ArgumentError(
                    f"{who}: padding='same' is not supported for strided convolutions (stride="
                    f"{stride}), as in PyTorch: the output could not have the input's size. "
                    f"Give the padding as numbers, e.g. padding={kernel[0] // 2}."
                )
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ArgumentError(
            f"{who}: padding must be an int, a pair of ints, 'same' or 'valid'; got {padding!r}."
        )
    pad = _positive(_pair(padding, "padding", who, n), "padding", who, minimum=0)
    return tuple((p, p) for p in pad)


def _check_input(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise DTypeError(
            f"{name}: input must be a scratchish Tensor, got {type(x).__name__}. Convert it "
            f"first: sh.tensor(data) or sh.from_numpy(array)."
        )


def _image_dims(x: Tensor, who: str, expected: str) -> None:
    """Accept (N, C, H, W) or one unbatched image (C, H, W), as PyTorch; explain the rest."""
    if x.ndim in (3, 4):
        return
    shape = tuple(x.shape)
    fix = ""
    if x.ndim == 2:
        fix = (
            f" A 2-D input looks like one single-channel image: add the batch and channel "
            f"dims with x.unsqueeze(0).unsqueeze(0) -> {(1, 1, *shape)}."
        )
    elif x.ndim == 5:
        fix = " For a video or volume use a 3-D layer, or merge two dims with x.flatten(0, 1)."
    raise ShapeError(
        f"{who} expects a 4-D input (N, {expected}, H, W), or a 3-D one ({expected}, H, W) for a "
        f"single image; got {x.ndim}-D {shape}.{fix}"
    )


def _volume_dims(x: Tensor, who: str, expected: str) -> None:
    """Accept (N, C, D, H, W) or one unbatched volume (C, D, H, W), as PyTorch."""
    if x.ndim in (4, 5):
        return
    fix = " For images use the 2-d layer (Conv2d, MaxPool2d, ...)." if x.ndim < 4 else ""
    raise ShapeError(
        f"{who} expects a 5-D input (N, {expected}, D, H, W), or a 4-D one ({expected}, D, H, "
        f"W) for a single volume; got {x.ndim}-D {tuple(x.shape)}.{fix}"
    )


def _same_dtype(x: Tensor, other: Tensor | None, name: str, who: str) -> None:
    if other is not None and other.dtype != x.dtype:
        raise DTypeError(
            f"{who}: the input is {x.dtype} but the {name} is {other.dtype}; they must match. "
            f"Convert the input (x.to({other.dtype})) or the layer (layer.to({x.dtype}))."
        )


def _unbatched(x: Tensor, run, n_dims: int = 2):
    """Run a batched function on a 3-D (C, H, W) input (4-D (C, D, H, W) for n_dims=3) as a
    batch of one, as PyTorch does."""
    if x.ndim == n_dims + 1:
        return run(x.unsqueeze(0)).squeeze(0)
    return run(x)


# ------------------------------------------------------------------------------ conv2d


@takes_tensor
def conv2d(
    input: Tensor,  # noqa: A002 - PyTorch's argument names
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation (PyTorch's conv2d): out = b + sum over c, p, q of w * window of x.

    out[n, o, i, j] = bias[o] + sum_{c, p, q} weight[o, c, p, q] *
    x_padded[n, c, i * stride_h + p * dilation_h, j * stride_w + q * dilation_w]

    Computed by im2col and a matrix product, a few images at a time (ops/conv.py). The result
    is a (N, C_out, H, W) view of channels-last memory (what PyTorch calls channels_last),
    which is faster here; values, shapes and gradients are PyTorch's.

    Args:
        input: (N, C_in, H, W), or one image (C_in, H, W).
        weight: (C_out, C_in / groups, kh, kw).
        bias: (C_out,) or None.
        stride, dilation: int or (h, w).
        padding: int, (h, w), 'valid' (no padding) or 'same' (output size = input size;
            stride 1 only).
        groups: split the channels into this many independent convolutions, as PyTorch:
            group g convolves input channels g * C_in / groups onwards with weight rows g *
            C_out / groups onwards. C_in and C_out must divide by it; groups=C_in is a
            depthwise convolution (one filter per channel, C_out = k * C_in).

    Shape:
        out: (N, C_out, H_out, W_out) with
        H_out = floor((H + 2 * pad_h - dilation_h * (kh - 1) - 1) / stride_h) + 1.

    Example:
        >>> import scratchish as sh
        >>> x = sh.ones(1, 1, 3, 3)
        >>> w = sh.ones(1, 1, 2, 2)
        >>> conv2d(x, w).tolist()
        [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    return _conv2d(input, weight, bias, stride, padding, dilation, groups, who="conv2d")


def _conv2d(x, weight, bias, stride, padding, dilation, groups, who: str) -> Tensor:
    """conv2d, with `who` naming the caller (a layer's repr) in error messages."""
    _check_input(x, who)
    _need_tensors_or_none(who, bias=bias)
    if weight.ndim != 4:
        raise ShapeError(
            f"{who}: weight must be 4-D (out_channels, in_channels / groups, kh, kw); got "
            f"shape {tuple(weight.shape)}."
        )
    n_out, n_per_group, kh, kw = weight.shape
    groups = _groups(groups, who, {"out_channels, the weight's dim 0": n_out})
    n_in = n_per_group * groups
    _image_dims(x, who, str(n_in))
    _same_dtype(x, weight, "weight", who)
    _same_dtype(x, bias, "bias", who)
    if bias is not None and tuple(bias.shape) != (n_out,):
        raise ShapeError(
            f"{who}: bias must have shape ({n_out},), one value per output channel; got "
            f"{tuple(bias.shape)}."
        )
    _check_channels(x, n_in, who, groups=groups)
    stride = _positive(_pair(stride, "stride", who), "stride", who)
    dilation = _positive(_pair(dilation, "dilation", who), "dilation", who)
    pads = _conv_padding(padding, (kh, kw), stride, dilation, who)
    _check_kernel_fits(x.shape[-2:], (kh, kw), dilation, pads, who)
    settings = {"stride": stride, "padding": pads, "dilation": dilation}
    return _unbatched(x, _convolve(ops.Conv2d, weight, bias, groups, settings))


@takes_tensor
def conv3d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation over volumes (PyTorch's conv3d): conv2d with a depth axis,
    out[n, o, i, j, k] = bias[o] + sum_{c, p, q, r} weight[o, c, p, q, r] *
    x_padded[n, c, i * stride_d + p * dilation_d, j * stride_h + ..., k * stride_w + ...]

    Computed by the same im2col and matrix product as conv2d (ops/conv.py: Conv3d).

    Args:
        input: (N, C_in, D, H, W), or one volume (C_in, D, H, W).
        weight: (C_out, C_in / groups, kd, kh, kw). bias: (C_out,) or None.
        stride, dilation: int or (d, h, w). padding: int, (d, h, w), 'valid' or 'same'.
        groups: as conv2d (grouped and depthwise convolutions).

    Shape:
        out: (N, C_out, D_out, H_out, W_out), each size as for conv2d.

    Example:
        >>> import scratchish as sh
        >>> conv3d(sh.ones(1, 1, 3, 3, 3), sh.ones(1, 1, 2, 2, 2)).shape
        scratchish.Size([1, 1, 2, 2, 2])
    """
    return _conv3d(input, weight, bias, stride, padding, dilation, groups, who="conv3d")


def _conv3d(x, weight, bias, stride, padding, dilation, groups, who: str) -> Tensor:
    """conv3d, with `who` naming the caller in error messages."""
    _check_input(x, who)
    _check_input(weight, who)
    if weight.ndim != 5:
        raise ShapeError(
            f"{who}: weight must be 5-D (out_channels, in_channels / groups, kd, kh, kw); got "
            f"shape {tuple(weight.shape)}."
        )
    n_out, n_per_group, *kernel = weight.shape
    groups = _groups(groups, who, {"out_channels, the weight's dim 0": n_out})
    n_in = n_per_group * groups
    _volume_dims(x, who, str(n_in))
    _same_dtype(x, weight, "weight", who)
    _same_dtype(x, bias, "bias", who)
    if bias is not None and tuple(bias.shape) != (n_out,):
        raise ShapeError(
            f"{who}: bias must have shape ({n_out},), one value per output channel; got "
            f"{tuple(bias.shape)}."
        )
    _check_channels(x, n_in, who, "Conv3d", n_dims=3, groups=groups)
    stride = _positive(_pair(stride, "stride", who, 3), "stride", who)
    dilation = _positive(_pair(dilation, "dilation", who, 3), "dilation", who)
    pads = _conv_padding(padding, tuple(kernel), stride, dilation, who)
    _check_kernel_fits(x.shape[-3:], kernel, dilation, pads, who)
    settings = {"stride": stride, "padding": pads, "dilation": dilation}
    return _unbatched(x, _convolve(ops.Conv3d, weight, bias, groups, settings), n_dims=3)


def _convolve(op, weight: Tensor, bias, groups: int, settings: dict):
    """The function that convolves a batch: the op itself for groups=1 (the benchmarked
    path), the depthwise op when every group has one input channel (ops/conv.py measures
    why), else the op once per group of channels, joined (_by_groups)."""
    if groups == 1:
        return lambda xb: op.apply(xb, weight, bias, **settings)
    if weight.shape[1] == 1:  # groups = in_channels: depthwise
        return lambda xb: ops.DepthwiseConv.apply(xb, weight, bias, **settings)
    return lambda xb: _by_groups(xb, weight, bias, groups, lambda *a: op.apply(*a, **settings))


def _check_channels(
    x: Tensor, n_in: int, who: str, layer: str = "Conv2d", n_dims=2, groups: int = 1
) -> None:
    """The input's channels (dim -3 of an image, -4 of a volume) against the layer's (for a
    grouped convolution, groups times the weight's in_channels / groups)."""
    channels = x.shape[-n_dims - 1]
    if channels == n_in:
        return
    shape = tuple(x.shape)
    plural = "channel" if channels == 1 else "channels"
    spatial = ("D", "H", "W")[-n_dims:]
    message = (
        f"{who} expects input of shape (N, {n_in}, {', '.join(spatial)}); got {shape}: "
        f"in_channels={n_in} but the input has {channels} {plural}."
        f"{_per_group(n_in, groups, channels)}"
    )
    if x.ndim == n_dims + 1:
        kind = "image" if n_dims == 2 else "volume"
        message += (
            f" A {x.ndim}-D input is read as ONE {kind} (C, {', '.join(spatial)}) without a "
            f"batch dim, so its first "
            f"size ({channels}) counts channels. If it is a batch of {shape[0]} images with "
            f"{n_in} channel{'s' if n_in > 1 else ''}, add the channel dim: x.unsqueeze(1). "
            f"If it is one image, make it a batch of one with x.unsqueeze(0) and check its "
            f"channels."
        )
    else:
        message += (
            f" Build the layer with in_channels={channels} (e.g. {layer}({channels}, ...)), or "
            f"check that the previous layer's out_channels is {n_in}."
        )
        if shape[-1] == n_in:
            order = (0, n_dims + 1, *range(1, n_dims + 1))  # (0, 3, 1, 2) for images
            message += (
                f" The last dim is {n_in}: if the {'images' if n_dims == 2 else 'volumes'} are "
                f"channels-last (N, {', '.join(spatial)}, C), move the channels with "
                f"x.permute{order}."
            )
    raise ShapeError(message)


def _per_group(n_in: int, groups: int, channels: int) -> str:
    """For a channel error of a grouped convolution: where in_channels comes from, and the
    weight that would fit the input."""
    if groups == 1:
        return ""
    text = (
        f" With groups={groups}, in_channels is groups times the weight's dim 1 ({groups} * "
        f"{n_in // groups})"
    )
    if channels % groups:
        return f"{text}, and {channels} channels cannot be split into {groups} groups."
    return f"{text}: for this input the weight's dim 1 must be {channels // groups}."


def _check_kernel_fits(size, kernel, dilation, pads, who: str) -> None:
    names = ("depth", "height", "width")[-len(kernel) :]
    for axis, n, k, d, (before, after) in zip(names, size, kernel, dilation, pads):
        span = d * (k - 1) + 1
        if span > n + before + after:
            dilated = f" (dilated to {span})" if d > 1 else ""
            raise ShapeError(
                f"{who}: the kernel {axis} {k}{dilated} is larger than the padded input "
                f"{axis} {n + before + after} (input {n} + padding {before + after}). Use a "
                f"larger input, a smaller kernel_size, or more padding."
            )


# ------------------------------------------------------------------------------ pooling


def _pool_settings(
    x, kernel_size, stride, padding, dilation, ceil_mode, who: str, n: int = 2
) -> dict:
    """Check a pooling layer's settings against its input and normalise them to pairs (n=3:
    triples, for volumes)."""
    _check_input(x, who)
    (_image_dims if n == 2 else _volume_dims)(x, who, "C")
    kernel = _positive(_pair(kernel_size, "kernel_size", who, n), "kernel_size", who)
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride", who, n)
    stride = _positive(stride, "stride", who)
    pad = _positive(_pair(padding, "padding", who, n), "padding", who, minimum=0)
    dilation = _positive(_pair(dilation, "dilation", who, n), "dilation", who)
    for p, k, d in zip(pad, kernel, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise ArgumentError(
                f"{who}: padding {pad} is more than half the kernel {kernel} (dilation "
                f"{dilation}); PyTorch forbids it, since a window could then hold only padding. "
                f"Use padding <= kernel_size // 2."
            )
    pads = tuple((p, p) for p in pad)
    size = tuple(x.shape[-n:])
    out = [
        ops.pool_output_size(n, k, s, p, p, d, ceil_mode)
        for n, k, s, p, d in zip(size, kernel, stride, pad, dilation)
    ]
    if min(out) < 1:
        raise ShapeError(
            f"{who}: the input's {('(H, W)', '(D, H, W)')[n - 2]} = {size} is too small for "
            f"kernel_size={kernel} with "
            f"padding={pad} and dilation={dilation}: the output would be {tuple(out)}. Use a "
            f"larger input (or fewer pooling layers before this one) or a smaller kernel."
        )
    return {"kernel": kernel, "stride": stride, "padding": pads, "dilation": dilation}


@takes_tensor
def max_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """The largest value in each kernel_size window (PyTorch's max_pool2d).

    Ties go to the first maximum in row-major order, as in PyTorch, and so does the gradient.
    Padding is -inf (never chosen). 2x2 windows with stride 2 take a fast path.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: int or (h, w). stride: defaults to kernel_size.
        padding, dilation: int or (h, w); padding at most half the kernel.
        ceil_mode: round the output size up (a last, partial window) instead of down.
        return_indices: also return the argmax of each window as flat indices into H * W.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out), H_out as for conv2d (ceil with ceil_mode).

    Example:
        >>> import scratchish as sh
        >>> x = sh.arange(16.0).reshape(1, 1, 4, 4)
        >>> max_pool2d(x, 2).tolist()
        [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    return _max_pool(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d"
    )


def _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, who, n=2):
    """max_pool2d, or max_pool3d with n=3."""
    settings = _pool_settings(x, kernel_size, stride, padding, dilation, ceil_mode, who, n)
    settings["ceil_mode"] = bool(ceil_mode)
    op = ops.MaxPool2d if n == 2 else ops.MaxPool3d
    out = _unbatched(x, lambda xb: op.apply(xb, **settings), n_dims=n)
    if not return_indices:
        return out
    # the indices are no input of anything differentiable: computed apart, on the arrays
    batched = x.ndim == n + 2
    array = x.array if batched else x.array[None]
    indices = Tensor._make(ops.max_pool2d_indices(array, **settings))
    return out, (indices if batched else indices.squeeze(0))


@takes_tensor
def avg_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each kernel_size window (PyTorch's avg_pool2d).

    With padding, count_include_pad=True (the default) divides by the whole window, zeros
    included; False divides by the number of input pixels in it; divisor_override by a number.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: int or (h, w). stride: defaults to kernel_size. padding: int or (h, w).
        ceil_mode, count_include_pad, divisor_override: as in PyTorch.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out).

    Example:
        >>> import scratchish as sh
        >>> x = sh.arange(16.0).reshape(1, 1, 4, 4)
        >>> avg_pool2d(x, 2).tolist()
        [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool(
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        "avg_pool2d",
    )


def _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor, who, n=2):
    """avg_pool2d, or avg_pool3d with n=3."""
    settings = _pool_settings(x, kernel_size, stride, padding, 1, ceil_mode, who, n)
    del settings["dilation"]
    if divisor is not None and divisor == 0:
        raise ArgumentError(f"{who}: divisor_override must not be 0.")
    settings.update(
        ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad),
        divisor_override=divisor,
    )
    op = ops.AvgPool2d if n == 2 else ops.AvgPool3d
    return _unbatched(x, lambda xb: op.apply(xb, **settings), n_dims=n)


@takes_tensor
def max_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """The largest value in each kernel_size window of a volume (PyTorch's max_pool3d): as
    max_pool2d, with a depth axis.

    Args: as max_pool2d, each setting an int or (d, h, w); indices index D * H * W.

    Shape:
        (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out).

    Example:
        >>> import scratchish as sh
        >>> max_pool3d(sh.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
        [[[[[7.0]]]]]
    """
    return _max_pool(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool3d", 3
    )


@takes_tensor
def avg_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each kernel_size window of a volume (PyTorch's avg_pool3d): as avg_pool2d,
    with a depth axis and the same divisor rules.

    Shape:
        (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out).

    Example:
        >>> import scratchish as sh
        >>> avg_pool3d(sh.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
        [[[[[3.5]]]]]
    """
    return _avg_pool(
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        "avg_pool3d",
        3,
    )


@takes_tensor
def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:  # noqa: A002
    """Average pooling whose windows are sized to give `output_size` (PyTorch's formula).

    Output pixel i averages input rows floor(i * H / H_out) to ceil((i + 1) * H / H_out) - 1
    (and likewise for columns); windows may overlap when H_out does not divide H.

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: int or (h, w); None in the pair keeps that input size.

    Shape:
        (N, C, H, W) -> (N, C, h, w).

    Example:
        >>> import scratchish as sh
        >>> x = sh.arange(16.0).reshape(1, 1, 4, 4)
        >>> adaptive_avg_pool2d(x, 1).tolist()
        [[[[7.5]]]]
    """
    who = "adaptive_avg_pool2d"
    _check_input(input, who)
    _image_dims(input, who, "C")
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size, output_size)
    if not (isinstance(output_size, (tuple, list)) and len(output_size) == 2):
        raise ArgumentError(
            f"{who}: output_size must be an int or a pair (h, w); got {output_size!r}."
        )
    size = tuple(n if o is None else o for n, o in zip(input.shape[-2:], output_size))
    _positive(size, "output_size", who)
    return _unbatched(input, lambda xb: ops.AdaptiveAvgPool2d.apply(xb, output_size=size))


# ------------------------------------------------------------------------------ 1-d: a row of 2-d


def _single(value, name: str, who: str) -> int:
    """An int or a 1-tuple of an int -> the int, as torch's _single."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ArgumentError(f"{who}: {name} must be an int or a 1-tuple of ints; got {value!r}.")


def _sequence_dims(x, who: str, expected: str) -> None:
    """Accept (N, C, L) or one unbatched sequence (C, L), as PyTorch; explain the rest."""
    _check_input(x, who)
    if x.ndim in (2, 3):
        return
    fix = ""
    if x.ndim == 4:
        fix = " A 4-D input looks like images: use the 2-d layer (Conv2d, MaxPool2d, ...)."
    elif x.ndim == 1:
        fix = " Add the batch and channel dims with x.view(1, 1, -1)."
    raise ShapeError(
        f"{who} expects a 3-D input (N, {expected}, L), or a 2-D one ({expected}, L) for a "
        f"single sequence; got {x.ndim}-D {tuple(x.shape)}.{fix}"
    )


def _as_row(x: Tensor, run):
    """Run a 2-d function on a sequence seen as an image of height 1: (N, C, L) ->
    (N, C, 1, L) -> run -> back to (N, C, L'). The 2-d code does the work and the backward."""
    batched = x if x.ndim == 3 else x.unsqueeze(0)
    out = run(batched.unsqueeze(2))
    if isinstance(out, tuple):  # (values, indices)
        return tuple(_unrow(o, x.ndim) for o in out)
    return _unrow(out, x.ndim)


def _unrow(out: Tensor, ndim: int) -> Tensor:
    out = out.squeeze(2)
    return out if ndim == 3 else out.squeeze(0)


@takes_tensor
def conv1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation (PyTorch's conv1d), computed as conv2d on a row of height 1:
    out[n, o, i] = bias[o] + sum_{c, p} weight[o, c, p] * x_padded[n, c, i * stride + p * dilation]

    Args:
        input: (N, C_in, L), or one sequence (C_in, L).
        weight: (C_out, C_in / groups, k). bias: (C_out,) or None.
        stride, dilation: int. padding: int, 'valid' or 'same' (stride 1 only).
        groups: as conv2d (grouped and depthwise convolutions).

    Shape:
        out: (N, C_out, L_out), L_out = floor((L + 2 * padding - dilation * (k - 1) - 1) /
        stride) + 1.

    Example:
        >>> import scratchish as sh
        >>> conv1d(sh.ones(1, 1, 4), sh.ones(1, 1, 2)).tolist()
        [[[2.0, 2.0, 2.0]]]
    """
    return _conv1d(input, weight, bias, stride, padding, dilation, groups, who="conv1d")


def _conv1d(x, weight, bias, stride, padding, dilation, groups, who: str) -> Tensor:
    _check_input(weight, who)
    _need_tensors_or_none(who, bias=bias)
    if weight.ndim != 3:
        raise ShapeError(
            f"{who}: weight must be 3-D (out_channels, in_channels / groups, k); got shape "
            f"{tuple(weight.shape)}."
        )
    groups = _groups(groups, who, {"out_channels, the weight's dim 0": weight.shape[0]})
    n_in = weight.shape[1] * groups
    _sequence_dims(x, who, str(n_in))
    _check_sequence_channels(x, n_in, who, groups)
    stride = (1, _single(stride, "stride", who))
    dilation = (1, _single(dilation, "dilation", who))
    padding = padding if isinstance(padding, str) else (0, _single(padding, "padding", who))
    row_weight = weight.unsqueeze(2)  # (C_out, C_in / groups, 1, k)
    return _as_row(
        x, lambda xb: _conv2d(xb, row_weight, bias, stride, padding, dilation, groups, who)
    )


def _check_sequence_channels(x: Tensor, n_in: int, who: str, groups: int = 1) -> None:
    if x.shape[-2] != n_in:
        raise ShapeError(
            f"{who} expects input of shape (N, {n_in}, L); got {tuple(x.shape)}: "
            f"in_channels={n_in} but the input has {x.shape[-2]} channels (dim -2)."
            f"{_per_group(n_in, groups, x.shape[-2])} "
            f"For (N, L, C) sequences (channels last, as RNNs take them) use "
            f"x.transpose(1, 2)."
        )


def _pool_1d_settings(kernel_size, stride, padding, who: str) -> tuple:
    """A 1-d pool's kernel, stride and padding as the pairs of a row: (1, k), (1, s), (0, p)."""
    kernel = (1, _single(kernel_size, "kernel_size", who))
    stride = kernel if stride is None or stride == [] else (1, _single(stride, "stride", who))
    return kernel, stride, (0, _single(padding, "padding", who))


@takes_tensor
def max_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """The largest value in each window of a sequence (max_pool2d on a row of height 1).

    Shape: (N, C, L) or (C, L) -> (N, C, L_out); indices (with return_indices) index L.

    Example:
        >>> import scratchish as sh
        >>> max_pool1d(sh.tensor([[1.0, 3.0, 2.0, 0.0]]), 2).tolist()
        [[3.0, 2.0]]
    """
    who = "max_pool1d"
    _sequence_dims(input, who, "C")
    kernel, stride, pad = _pool_1d_settings(kernel_size, stride, padding, who)
    dilation = (1, _single(dilation, "dilation", who))
    return _as_row(
        input,
        lambda xb: max_pool2d(xb, kernel, stride, pad, dilation, ceil_mode, return_indices),
    )


@takes_tensor
def avg_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window of a sequence (avg_pool2d on a row of height 1).

    Shape: (N, C, L) or (C, L) -> (N, C, L_out).
    """
    who = "avg_pool1d"
    _sequence_dims(input, who, "C")
    kernel, stride, pad = _pool_1d_settings(kernel_size, stride, padding, who)
    return _as_row(
        input, lambda xb: avg_pool2d(xb, kernel, stride, pad, ceil_mode, count_include_pad)
    )


@takes_tensor
def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):  # noqa: A002
    """Max pooling whose windows are sized to give `output_size` (PyTorch's windows, as
    adaptive_avg_pool2d: rows floor(i * H / h) to ceil((i + 1) * H / h) - 1).

    When h divides H and w divides W the windows tile the image and max_pool2d does it;
    otherwise each window's first maximum is found (its flat index) and gathered, so the
    gradient goes to that one position. Ties go to the first maximum, as PyTorch.

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, h, w); indices index H * W.

    Example:
        >>> import scratchish as sh
        >>> adaptive_max_pool2d(sh.arange(16.0).reshape(1, 1, 4, 4), 1).tolist()
        [[[[15.0]]]]
    """
    who = "adaptive_max_pool2d"
    _check_input(input, who)
    _image_dims(input, who, "C")
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size, output_size)
    if not (isinstance(output_size, (tuple, list)) and len(output_size) == 2):
        raise ArgumentError(
            f"{who}: output_size must be an int or a pair (h, w); got {output_size!r}."
        )
    size = tuple(input.shape[-2:])
    out_size = tuple(n if o is None else o for n, o in zip(size, output_size))
    _positive(out_size, "output_size", who)
    if size[0] % out_size[0] == 0 and size[1] % out_size[1] == 0:
        kernel = (size[0] // out_size[0], size[1] // out_size[1])
        return max_pool2d(input, kernel, kernel, return_indices=return_indices)
    indices = _adaptive_max_indices(input.array, size, out_size)  # (..., h, w) into H * W
    lead = tuple(input.shape[:-2])
    flat_index = Tensor._make(indices.reshape(*lead, -1))
    out = input.reshape(*lead, -1).gather(-1, flat_index).reshape(*lead, *out_size)
    return (out, Tensor._make(indices)) if return_indices else out


@takes_tensor
def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:  # noqa: A002
    """Average pooling of sequences to `output_size` values (adaptive_avg_pool2d on a row of
    height 1); output_size=1 is the global average (d2l's TextCNN).

    Shape: (N, C, L) or (C, L) -> (N, C, output_size).
    """
    who = "adaptive_avg_pool1d"
    _sequence_dims(input, who, "C")
    size = _positive((_single(output_size, "output_size", who),), "output_size", who)
    return _as_row(input, lambda xb: adaptive_avg_pool2d(xb, (1, size[0])))


@takes_tensor
def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):  # noqa: A002
    """Max pooling of sequences to `output_size` values (adaptive_max_pool2d on a row of
    height 1); output_size=1 is the global max over time.

    Shape: (N, C, L) or (C, L) -> (N, C, output_size); indices index L.
    """
    who = "adaptive_max_pool1d"
    _sequence_dims(input, who, "C")
    size = _positive((_single(output_size, "output_size", who),), "output_size", who)
    return _as_row(input, lambda xb: adaptive_max_pool2d(xb, (1, size[0]), return_indices))


def _windows(n: int, n_out: int) -> list:
    """PyTorch's adaptive windows [start, end) along an axis of n values for n_out outputs."""
    return [((i * n) // n_out, -((-(i + 1) * n) // n_out)) for i in range(n_out)]


def _adaptive_max_indices(x: np.ndarray, size: tuple, out_size: tuple) -> np.ndarray:
    """The flat index (into H * W) of the first maximum of every adaptive window."""
    out = np.empty((*x.shape[:-2], *out_size), dtype=np.int64)
    for i, (r0, r1) in enumerate(_windows(size[0], out_size[0])):
        for j, (c0, c1) in enumerate(_windows(size[1], out_size[1])):
            window = x[..., r0:r1, c0:c1].reshape(*x.shape[:-2], -1)
            flat = window.argmax(-1)
            out[..., i, j] = (r0 + flat // (c1 - c0)) * size[1] + c0 + flat % (c1 - c0)
    return out


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_padding_mode(mode, who: str) -> None:
    if mode not in PADDING_MODES:
        raise ArgumentError(
            f"{who}: padding_mode must be one of {', '.join(map(repr, PADDING_MODES))}; got "
            f"padding_mode={mode!r}."
        )


def _pad_by_mode(x: Tensor, pads: tuple, mode: str, who: str) -> Tensor:
    """x padded by `pads` ((before, after) per spatial dim, first dim first) in a mode that
    copies values, as PyTorch's conv layers do before convolving with no padding. F.pad takes
    the widths last dim first: (left, right, top, bottom)."""
    widths = tuple(w for before_after in reversed(pads) for w in before_after)
    return pad_as(who, x, widths, mode)


# ------------------------------------------------------------------------------ modules


class _ConvNd(Module):
    """What Conv1d and Conv2d share: their parameters, PyTorch's init, and the repr."""

    in_channels_minimum = 1  # 0 for the lazy convolutions (lazy.py)

    def _make_parameters(self, channels: tuple, bias: bool, dtype) -> None:
        """weight (*channels, *kernel_size): (out, in) for a convolution, (in, out / groups)
        for a transposed one; bias (out_channels,)."""
        np_dtype = _np_dtype(dtype)
        shape = (*channels, *self.kernel_size)
        self.weight = Parameter(Tensor._make(np.empty(shape, dtype=np_dtype)))
        if bias:
            self.bias = Parameter(Tensor._make(np.empty(self.out_channels, dtype=np_dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's init, in its order: weight, then bias, from the default generator."""
        # kaiming_uniform_ with a = sqrt(5): gain = sqrt(2 / (1 + 5)), bound = sqrt(3) * gain /
        # sqrt(fan_in) = 1 / sqrt(fan_in)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)  # as kaiming's fan_in
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        n_dims = len(self.kernel_size)
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * n_dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n_dims:
            text += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0,) * n_dims) != (0,) * n_dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
    """A 2-D convolution layer: out = conv2d(x, weight, bias, stride, padding, dilation,
    groups).

    Init as PyTorch (kaiming_uniform_ with a=sqrt(5), which comes to):
        weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), then bias ~ the same,
        fan_in = in_channels / groups * kh * kw,
    drawn from the default generator in that order, so `sh.manual_seed(s)` gives PyTorch's
    numbers for `torch.manual_seed(s)`.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: int or (kh, kw).
        stride, dilation: int or (h, w). padding: int, (h, w), 'same' or 'valid'.
        groups: split the channels into this many independent convolutions (see conv2d);
            in_channels and out_channels must divide by it. groups=in_channels is depthwise.
        bias: learn an additive bias.
        padding_mode: how the border is filled: 'zeros' (the default), or copied from the
            image: 'reflect', 'replicate' or 'circular' (see F.pad); PyTorch pads the input so
            (F.pad) and then convolves with no padding, and so do we.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H_out, W_out), or the same without N.

    Example:
        >>> import scratchish as sh
        >>> conv = Conv2d(3, 16, 5, padding=2)
        >>> conv(sh.zeros(8, 3, 28, 28)).shape
        scratchish.Size([8, 16, 28, 28])
    """

    n_dims = 2  # spatial dims: Conv3d is this layer with 3

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        who = f"{type(self).__name__}({in_channels}, {out_channels}, ...)"
        n = self.n_dims
        _check_padding_mode(padding_mode, who)
        self.in_channels, self.out_channels = _channels(
            type(self).__name__, in_channels, out_channels, self.in_channels_minimum
        )
        channels = {"in_channels": self.in_channels, "out_channels": self.out_channels}
        groups = _groups(groups, who, channels)
        kernel_size = _pair(kernel_size, "kernel_size", who, n)
        self.kernel_size = _positive(kernel_size, "kernel_size", who)
        self.stride = _positive(_pair(stride, "stride", who, n), "stride", who)
        self.dilation = _positive(_pair(dilation, "dilation", who, n), "dilation", who)
        _conv_padding(padding, self.kernel_size, self.stride, self.dilation, who)  # check it
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding", who, n)
        self.groups, self.padding_mode = groups, padding_mode
        # weight (out_channels, in_channels / groups, *kernel), as PyTorch's
        self._make_parameters((self.out_channels, self.in_channels // groups), bias, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        who = f"{type(self).__name__}({self.in_channels}, {self.out_channels}, ...)"
        padding = self.padding
        if self.padding_mode != "zeros":  # pad by copying values first, then no zeros
            _check_input(input, who)
            (_image_dims if self.n_dims == 2 else _volume_dims)(input, who, str(self.in_channels))
            pads = _conv_padding(padding, self.kernel_size, self.stride, self.dilation, who)
            input, padding = _pad_by_mode(input, pads, self.padding_mode, who), 0
        conv = _conv2d if self.n_dims == 2 else _conv3d
        return conv(
            input,
            self.weight,
            self.bias,
            self.stride,
            padding,
            self.dilation,
            self.groups,
            who,
        )


class MaxPool2d(Module):
    """Max pooling: the largest value in each window (see max_pool2d).

    Args:
        kernel_size: int or (h, w). stride: defaults to kernel_size. padding, dilation: int
            or (h, w). return_indices: forward returns (out, indices). ceil_mode: round the
            output size up.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out), or the same without N.

    Example:
        >>> import scratchish as sh
        >>> MaxPool2d(2)(sh.zeros(8, 16, 28, 28)).shape
        scratchish.Size([8, 16, 14, 14])
    """

    pool = staticmethod(max_pool2d)  # MaxPool1d and MaxPool3d swap in their function

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor):  # noqa: A002
        return self.pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    """Average pooling: the mean of each window (see avg_pool2d).

    Args:
        kernel_size: int or (h, w). stride: defaults to kernel_size. padding: int or (h, w).
        ceil_mode, count_include_pad (default True), divisor_override: as in PyTorch.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out), or the same without N.

    Example:
        >>> import scratchish as sh
        >>> AvgPool2d(2)(sh.zeros(8, 16, 28, 28)).shape
        scratchish.Size([8, 16, 14, 14])
    """

    pool = staticmethod(avg_pool2d)  # AvgPool3d swaps in its function

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self.pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (see adaptive_avg_pool2d).

    Args:
        output_size: int or (h, w); None keeps that input size.

    Shape:
        (N, C, H, W) -> (N, C, h, w), or the same without N.

    Example:
        >>> import scratchish as sh
        >>> AdaptiveAvgPool2d((1, 1))(sh.zeros(8, 512, 7, 7)).shape
        scratchish.Size([8, 512, 1, 1])
    """

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Conv1d(_ConvNd):
    """A 1-D convolution layer over sequences (N, C, L): out = conv1d(x, weight, bias, ...).

    Init as Conv2d (PyTorch's): weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = in_channels / groups * kernel_size, drawn in that order from the default generator.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size, stride, dilation: int. padding: int, 'same' or 'valid'.
        groups: split the channels into this many independent convolutions (see conv2d);
            in_channels and out_channels must divide by it. groups=in_channels is depthwise.
        bias: learn an additive bias.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular' (as Conv2d).

    Shape:
        (N, in_channels, L) -> (N, out_channels, L_out), or the same without N.

    Example:
        >>> import scratchish as sh
        >>> Conv1d(8, 16, 3, padding=1)(sh.zeros(4, 8, 50)).shape
        scratchish.Size([4, 16, 50])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        who = f"Conv1d({in_channels}, {out_channels}, ...)"
        _check_padding_mode(padding_mode, who)
        self.in_channels, self.out_channels = _channels(
            type(self).__name__, in_channels, out_channels, self.in_channels_minimum
        )
        channels = {"in_channels": self.in_channels, "out_channels": self.out_channels}
        groups = _groups(groups, who, channels)
        self.kernel_size = (_single(kernel_size, "kernel_size", who),)
        self.stride = (_single(stride, "stride", who),)
        self.dilation = (_single(dilation, "dilation", who),)
        _positive(self.kernel_size + self.stride + self.dilation, "sizes", who)
        if isinstance(padding, str):
            _conv_padding(padding, (1,) + self.kernel_size, (1,) + self.stride, (1, 1), who)
            self.padding = padding
        else:
            self.padding = (_single(padding, "padding", who),)
        self.groups, self.padding_mode = groups, padding_mode
        # weight (out_channels, in_channels / groups, *kernel), as PyTorch's
        self._make_parameters((self.out_channels, self.in_channels // groups), bias, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        who = f"Conv1d({self.in_channels}, {self.out_channels}, ...)"
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        if self.padding_mode != "zeros":  # pad by copying values first, then no zeros
            _sequence_dims(input, who, str(self.in_channels))
            row = padding if isinstance(padding, str) else (0, padding)
            pads = _conv_padding(
                row, (1, *self.kernel_size), (1, *self.stride), (1, *self.dilation), who
            )
            input, padding = _pad_by_mode(input, pads[1:], self.padding_mode, who), 0
        return _conv1d(
            input,
            self.weight,
            self.bias,
            self.stride[0],
            padding,
            self.dilation[0],
            self.groups,
            who,
        )


class MaxPool1d(MaxPool2d):
    """Max pooling over sequences (see max_pool1d); settings as MaxPool2d, as ints.

    Shape: (N, C, L) -> (N, C, L_out), or the same without N.
    """

    pool = staticmethod(max_pool1d)


class AvgPool1d(AvgPool2d):
    """Average pooling over sequences (see avg_pool1d); settings as AvgPool2d, kept as
    1-tuples (PyTorch's repr).

    Shape: (N, C, L) -> (N, C, L_out), or the same without N.
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        who = "AvgPool1d"
        kernel = (_single(kernel_size, "kernel_size", who),)
        stride = kernel if stride is None else (_single(stride, "stride", who),)
        padding = (_single(padding, "padding", who),)
        super().__init__(kernel, stride, padding, ceil_mode, count_include_pad)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )


class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    """Max pooling to a fixed output size (see adaptive_max_pool2d); the setting and repr are
    AdaptiveAvgPool2d's.

    Args:
        output_size: int or (h, w); None keeps that input size. return_indices: also return
            the argmax of each window.

    Shape: (N, C, H, W) -> (N, C, h, w), or the same without N.
    """

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor):  # noqa: A002
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Average pooling of sequences to a fixed length (see adaptive_avg_pool1d).

    Shape: (N, C, L) -> (N, C, output_size), or the same without N.
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Max pooling of sequences to a fixed length (see adaptive_max_pool1d).

    Shape: (N, C, L) -> (N, C, output_size), or the same without N.
    """

    def forward(self, input: Tensor):  # noqa: A002
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)


class Conv3d(Conv2d):
    """A 3-D convolution layer over volumes (video, medical scans): out = conv3d(x, weight,
    bias, ...). Conv2d with a depth axis: the same arguments as ints or (d, h, w), the same
    init (fan_in = in_channels * kd * kh * kw) and padding modes.

    Shape:
        (N, in_channels, D, H, W) -> (N, out_channels, D_out, H_out, W_out), or without N.

    Example:
        >>> import scratchish as sh
        >>> Conv3d(1, 4, 3, padding=1)(sh.zeros(2, 1, 8, 8, 8)).shape
        scratchish.Size([2, 4, 8, 8, 8])
    """

    n_dims = 3


class MaxPool3d(MaxPool2d):
    """Max pooling over volumes (see max_pool3d); settings as MaxPool2d, ints or (d, h, w).

    Shape: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out), or the same without N.

    Example:
        >>> import scratchish as sh
        >>> MaxPool3d(2)(sh.zeros(1, 4, 8, 8, 8)).shape
        scratchish.Size([1, 4, 4, 4, 4])
    """

    pool = staticmethod(max_pool3d)


class AvgPool3d(AvgPool2d):
    """Average pooling over volumes (see avg_pool3d); settings as AvgPool2d.

    Shape: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out), or the same without N.
    """

    pool = staticmethod(avg_pool3d)


def _np_dtype(dtype):
    """The NumPy dtype for a layer's parameters: `dtype`, or the default float dtype."""
    return (dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()).np
