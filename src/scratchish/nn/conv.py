"""Convolution and pooling layers: PyTorch's functions (conv2d, max_pool2d, ...) and modules.

The functions check their arguments (so a mistake gets a message that explains it, not a NumPy
traceback), normalise int/tuple/'same' settings, and call the primitives in ops/conv.py, where
the forward and backward math lives. The modules hold the weights and call the functions.
Read next: ops/conv.py for im2col and the backward passes; batchnorm.py.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..errors import ArgumentError, DTypeError, ShapeError, UnsupportedError
from ..ops import conv as ops
from ..tensor import Tensor
from . import init
from .module import Module, Parameter

# ------------------------------------------------------------------------------ arguments


def _pair(value, name: str, who: str) -> tuple:
    """An int or a pair of ints -> (h, w), as torch's _pair; anything else explains itself."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return tuple(value)
    raise ArgumentError(
        f"{who}: {name} must be an int or a pair of ints (height, width); got {value!r}."
    )


def _positive(values: tuple, name: str, who: str, minimum: int = 1) -> tuple:
    if any(v < minimum for v in values):
        least = "positive" if minimum == 1 else "non-negative"
        raise ArgumentError(f"{who}: {name} must be {least}; got {values}.")
    return values


def _conv_padding(padding, kernel: tuple, stride: tuple, dilation: tuple, who: str) -> tuple:
    """padding as given (int, pair, 'same', 'valid') -> ((top, bottom), (left, right)).

    'same' pads dilation * (kernel - 1) in total per axis, half before and the rest (one more
    when odd) after, as PyTorch; it needs stride 1, as in PyTorch.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if stride != (1, 1):
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
    pad = _positive(_pair(padding, "padding", who), "padding", who, minimum=0)
    return ((pad[0], pad[0]), (pad[1], pad[1]))


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


def _same_dtype(x: Tensor, other: Tensor | None, name: str, who: str) -> None:
    if other is not None and other.dtype != x.dtype:
        raise DTypeError(
            f"{who}: the input is {x.dtype} but the {name} is {other.dtype}; they must match. "
            f"Convert the input (x.to({other.dtype})) or the layer (layer.to({x.dtype}))."
        )


def _unbatched(x: Tensor, run):
    """Run a batched function on a 3-D (C, H, W) input as a batch of one, as PyTorch does."""
    if x.ndim == 3:
        return run(x.unsqueeze(0)).squeeze(0)
    return run(x)


# ------------------------------------------------------------------------------ conv2d


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
        weight: (C_out, C_in, kh, kw).
        bias: (C_out,) or None.
        stride, dilation: int or (h, w).
        padding: int, (h, w), 'valid' (no padding) or 'same' (output size = input size;
            stride 1 only).
        groups: 1 only (grouped convolutions are not written yet).

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
    if groups != 1:
        raise UnsupportedError(
            f"{who}: groups={groups} (grouped or depthwise convolution) is not supported yet; "
            f"only groups=1 is. A depthwise layer can be written as {groups} separate Conv2d "
            f"layers on x.chunk({groups}, dim=1), joined with sh.cat(..., dim=1)."
        )
    if weight.ndim != 4:
        raise ShapeError(
            f"{who}: weight must be 4-D (out_channels, in_channels, kh, kw); got shape "
            f"{tuple(weight.shape)}."
        )
    n_out, n_in, kh, kw = weight.shape
    _image_dims(x, who, str(n_in))
    _same_dtype(x, weight, "weight", who)
    _same_dtype(x, bias, "bias", who)
    if bias is not None and tuple(bias.shape) != (n_out,):
        raise ShapeError(
            f"{who}: bias must have shape ({n_out},), one value per output channel; got "
            f"{tuple(bias.shape)}."
        )
    _check_channels(x, n_in, who)
    stride = _positive(_pair(stride, "stride", who), "stride", who)
    dilation = _positive(_pair(dilation, "dilation", who), "dilation", who)
    pads = _conv_padding(padding, (kh, kw), stride, dilation, who)
    _check_kernel_fits(x.shape[-2:], (kh, kw), dilation, pads, who)
    settings = {"stride": stride, "padding": pads, "dilation": dilation}
    return _unbatched(x, lambda xb: ops.Conv2d.apply(xb, weight, bias, **settings))


def _check_channels(x: Tensor, n_in: int, who: str) -> None:
    channels = x.shape[-3]
    if channels == n_in:
        return
    shape = tuple(x.shape)
    plural = "channel" if channels == 1 else "channels"
    message = (
        f"{who} expects input of shape (N, {n_in}, H, W); got {shape}: in_channels={n_in} but "
        f"the input has {channels} {plural}."
    )
    if x.ndim == 3:
        message += (
            f" A 3-D input is read as ONE image (C, H, W) without a batch dim, so its first "
            f"size ({channels}) counts channels. If it is a batch of {shape[0]} images with "
            f"{n_in} channel{'s' if n_in > 1 else ''}, add the channel dim: x.unsqueeze(1). "
            f"If it is one image, make it a batch of one with x.unsqueeze(0) and check its "
            f"channels."
        )
    else:
        message += (
            f" Build the layer with in_channels={channels} (e.g. Conv2d({channels}, ...)), or "
            f"check that the previous layer's out_channels is {n_in}."
        )
        if shape[-1] == n_in:
            message += (
                f" The last dim is {n_in}: if the images are channels-last (N, H, W, C), move "
                f"the channels with x.permute(0, 3, 1, 2)."
            )
    raise ShapeError(message)


def _check_kernel_fits(size, kernel, dilation, pads, who: str) -> None:
    for axis, n, k, d, (before, after) in zip(("height", "width"), size, kernel, dilation, pads):
        span = d * (k - 1) + 1
        if span > n + before + after:
            dilated = f" (dilated to {span})" if d > 1 else ""
            raise ShapeError(
                f"{who}: the kernel {axis} {k}{dilated} is larger than the padded input "
                f"{axis} {n + before + after} (input {n} + padding {before + after}). Use a "
                f"larger input, a smaller kernel_size, or more padding."
            )


# ------------------------------------------------------------------------------ pooling


def _pool_settings(x, kernel_size, stride, padding, dilation, ceil_mode, who: str) -> dict:
    """Check a pooling layer's settings against its input and normalise them to pairs."""
    _check_input(x, who)
    _image_dims(x, who, "C")
    kernel = _positive(_pair(kernel_size, "kernel_size", who), "kernel_size", who)
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride", who)
    stride = _positive(stride, "stride", who)
    pad = _positive(_pair(padding, "padding", who), "padding", who, minimum=0)
    dilation = _positive(_pair(dilation, "dilation", who), "dilation", who)
    for p, k, d in zip(pad, kernel, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise ArgumentError(
                f"{who}: padding {pad} is more than half the kernel {kernel} (dilation "
                f"{dilation}); PyTorch forbids it, since a window could then hold only padding. "
                f"Use padding <= kernel_size // 2."
            )
    pads = ((pad[0], pad[0]), (pad[1], pad[1]))
    size = tuple(x.shape[-2:])
    out = [
        ops.pool_output_size(n, k, s, p, p, d, ceil_mode)
        for n, k, s, p, d in zip(size, kernel, stride, pad, dilation)
    ]
    if min(out) < 1:
        raise ShapeError(
            f"{who}: the input's (H, W) = {size} is too small for kernel_size={kernel} with "
            f"padding={pad} and dilation={dilation}: the output would be {tuple(out)}. Use a "
            f"larger input (or fewer pooling layers before this one) or a smaller kernel."
        )
    return {"kernel": kernel, "stride": stride, "padding": pads, "dilation": dilation}


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
    who = "max_pool2d"
    settings = _pool_settings(input, kernel_size, stride, padding, dilation, ceil_mode, who)
    settings["ceil_mode"] = bool(ceil_mode)
    out = _unbatched(input, lambda xb: ops.MaxPool2d.apply(xb, **settings))
    if not return_indices:
        return out
    # the indices are no input of anything differentiable: computed apart, on the arrays
    batched = input.array if input.ndim == 4 else input.array[None]
    indices = Tensor._make(ops.max_pool2d_indices(batched, **settings))
    return out, (indices if input.ndim == 4 else indices.squeeze(0))


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
    who = "avg_pool2d"
    settings = _pool_settings(input, kernel_size, stride, padding, 1, ceil_mode, who)
    del settings["dilation"]
    if divisor_override is not None and divisor_override == 0:
        raise ArgumentError(f"{who}: divisor_override must not be 0.")
    settings.update(
        ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad),
        divisor_override=divisor_override,
    )
    return _unbatched(input, lambda xb: ops.AvgPool2d.apply(xb, **settings))


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


# ------------------------------------------------------------------------------ modules


class Conv2d(Module):
    """A 2-D convolution layer: out = conv2d(x, weight, bias, stride, padding, dilation).

    Init as PyTorch (kaiming_uniform_ with a=sqrt(5), which comes to):
        weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), then bias ~ the same,
        fan_in = in_channels * kh * kw,
    drawn from the default generator in that order, so `sh.manual_seed(s)` gives PyTorch's
    numbers for `torch.manual_seed(s)`.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: int or (kh, kw).
        stride, dilation: int or (h, w). padding: int, (h, w), 'same' or 'valid'.
        groups: 1 only. bias: learn an additive bias. padding_mode: 'zeros' only.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H_out, W_out), or the same without N.

    Example:
        >>> import scratchish as sh
        >>> conv = Conv2d(3, 16, 5, padding=2)
        >>> conv(sh.zeros(8, 3, 28, 28)).shape
        scratchish.Size([8, 16, 28, 28])
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
        who = f"Conv2d({in_channels}, {out_channels}, ...)"
        if padding_mode != "zeros":
            raise UnsupportedError(
                f"{who}: padding_mode={padding_mode!r} is not supported yet; only 'zeros' is. "
                f"Pad the input yourself first if you need reflection."
            )
        if groups != 1:
            raise UnsupportedError(
                f"{who}: groups={groups} (grouped or depthwise convolution) is not supported "
                f"yet; only groups=1 is."
            )
        if in_channels < 1 or out_channels < 1:
            raise ArgumentError(f"{who}: in_channels and out_channels must be positive.")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _positive(_pair(kernel_size, "kernel_size", who), "kernel_size", who)
        self.stride = _positive(_pair(stride, "stride", who), "stride", who)
        self.dilation = _positive(_pair(dilation, "dilation", who), "dilation", who)
        _conv_padding(padding, self.kernel_size, self.stride, self.dilation, who)  # check it
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding", who)
        self.groups, self.padding_mode = groups, padding_mode
        np_dtype = _np_dtype(dtype)
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = Parameter(Tensor._make(np.empty(shape, dtype=np_dtype)))
        if bias:
            self.bias = Parameter(Tensor._make(np.empty(out_channels, dtype=np_dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's init, in its order: weight, then bias, from the default generator."""
        # kaiming_uniform_ with a = sqrt(5): gain = sqrt(2 / (1 + 5)), bound = sqrt(3) * gain /
        # sqrt(fan_in) = 1 / sqrt(fan_in)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        who = f"Conv2d({self.in_channels}, {self.out_channels}, ...)"
        return _conv2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            who,
        )

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text


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
        return max_pool2d(
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
        return avg_pool2d(
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


def _np_dtype(dtype):
    """The NumPy dtype for a layer's parameters: `dtype`, or the default float dtype."""
    return (dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()).np
