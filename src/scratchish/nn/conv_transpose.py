"""Transposed convolutions ("deconvolutions"), PyTorch's conv_transpose1d/2d and modules.

A transposed convolution runs a convolution backwards: where Conv2d reads a kernel-sized
window of the input for each output pixel, ConvTranspose2d spreads each input pixel over a
kernel-sized patch of the output, so a stride of 2 doubles the image size (the decoder half of
an autoencoder or a U-Net). The functions check their arguments and call the ConvTranspose2d
primitive in ops/conv.py (read it next: its forward is Conv2d's backward). The argument helpers
are conv.py's.
"""

from __future__ import annotations

from ..errors import ArgumentError, ShapeError
from ..ops import conv as ops
from ..tensor import Tensor, _check_device, _int_list, takes_tensor
from .conv import (
    _as_row,
    _by_groups,
    _channels,
    _check_channels,
    _check_input,
    _check_sequence_channels,
    _ConvNd,
    _groups,
    _image_dims,
    _need_tensors_or_none,
    _pair,
    _positive,
    _same_dtype,
    _sequence_dims,
    _single,
    _unbatched,
    _volume_dims,
)


@takes_tensor
def conv_transpose2d(
    input: Tensor,  # noqa: A002 - PyTorch's argument names
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """2-D transposed convolution (PyTorch's conv_transpose2d): conv2d's input gradient.

    Every input pixel (i, j) adds x[n, c, i, j] * weight[c, o, p, q] to output pixel
    (i * stride_h + p * dilation_h - padding_h, j * stride_w + q * dilation_w - padding_w);
    then bias[o] is added. It undoes conv2d's change of size, not its values: a conv2d with
    the same settings maps the output's shape back to the input's. `padding` crops the output
    and `output_padding` adds rows/columns at the bottom/right, to pick among the sizes that
    a strided conv2d would have shrunk to the same input size.

    Args:
        input: (N, C_in, H, W), or one image (C_in, H, W).
        weight: (C_in, C_out / groups, kh, kw): note the order, the transpose of conv2d's.
        bias: (C_out,) or None.
        stride, padding, output_padding, dilation: int or (h, w). output_padding must be
            smaller than the stride or the dilation (each axis), as in PyTorch.
        groups: split the channels into this many independent convolutions; C_in must divide
            by it. (Note the argument order: groups comes before dilation, as in PyTorch.)

    Shape:
        out: (N, C_out, H_out, W_out) with
        H_out = (H - 1) * stride_h - 2 * padding_h + dilation_h * (kh - 1) + output_padding_h + 1.

    Example:
        >>> import scratchish as sh
        >>> x = sh.ones(1, 1, 2, 2)
        >>> conv_transpose2d(x, sh.ones(1, 1, 2, 2), stride=2).shape
        scratchish.Size([1, 1, 4, 4])
        >>> conv_transpose2d(x, sh.ones(1, 1, 2, 2)).tolist()
        [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    return _conv_transpose2d(
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        who="conv_transpose2d",
    )


def _conv_transpose2d(
    x, weight, bias, stride, padding, output_padding, groups, dilation, who: str, n: int = 2
) -> Tensor:
    """conv_transpose2d, with `who` naming the caller (a layer's repr) in error messages;
    n=3 makes it conv_transpose3d (volumes, one more entry in each setting)."""
    _check_input(x, who)
    _check_input(weight, who)
    _need_tensors_or_none(who, bias=bias)
    if weight.ndim != n + 2:
        kernel = ("kd, kh, kw", "kh, kw")[n == 2]
        raise ShapeError(
            f"{who}: weight must be {n + 2}-D (in_channels, out_channels / groups, {kernel}); "
            f"got shape {tuple(weight.shape)}."
        )
    n_in = weight.shape[0]
    n_out = weight.shape[1] * _groups(groups, who, {"the input channels, the weight's dim 0": n_in})
    (_image_dims if n == 2 else _volume_dims)(x, who, str(n_in))
    _same_dtype(x, weight, "weight", who)
    _same_dtype(x, bias, "bias", who)
    if bias is not None and tuple(bias.shape) != (n_out,):
        raise ShapeError(
            f"{who}: bias must have shape ({n_out},), one value per output channel; got "
            f"{tuple(bias.shape)}."
        )
    _check_channels(x, n_in, who, layer=f"ConvTranspose{n}d", n_dims=n)
    settings = _transpose_settings(
        x.shape[-n:], weight.shape[2:], stride, padding, output_padding, dilation, who
    )
    op = ops.ConvTranspose2d if n == 2 else ops.ConvTranspose3d

    def run(xb):
        return _by_groups(xb, weight, bias, groups, lambda *a: op.apply(*a, **settings))

    return _unbatched(x, run, n_dims=n)


def _transpose_settings(size, kernel, stride, padding, output_padding, dilation, who) -> dict:
    """Check and normalise the settings to (h, w) pairs; the output must have some pixels."""
    if isinstance(padding, str):
        raise ArgumentError(
            f"{who}: padding must be an int or a pair of ints; got {padding!r}. Transposed "
            f"convolutions take no 'same' or 'valid' (as in PyTorch): give the numbers, e.g. "
            f"padding={(kernel[-1] - 1) // 2}."
        )
    n = len(kernel)
    stride = _positive(_pair(stride, "stride", who, n), "stride", who)
    dilation = _positive(_pair(dilation, "dilation", who, n), "dilation", who)
    padding = _positive(_pair(padding, "padding", who, n), "padding", who, minimum=0)
    extra = _pair(output_padding, "output_padding", who, n)
    extra = _positive(extra, "output_padding", who, minimum=0)
    for e, s, d in zip(extra, stride, dilation):
        if e >= s and e >= d:
            raise ArgumentError(
                f"{who}: output_padding {extra} must be smaller than the stride {stride} or "
                f"the dilation {dilation} on each axis (as in PyTorch): output_padding only "
                f"chooses among the output sizes that a stride would have mapped to the same "
                f"input size. Use output_padding < stride."
            )
    out = [
        (n - 1) * s - 2 * p + d * (k - 1) + e + 1
        for n, k, s, p, e, d in zip(size, kernel, stride, padding, extra, dilation)
    ]
    if min(out) < 1:
        raise ShapeError(
            f"{who}: the output would be {tuple(out)} pixels for an input of {tuple(size)}: "
            f"the padding {padding} crops more than the layer makes. Use less padding."
        )
    return {"stride": stride, "padding": padding, "output_padding": extra, "dilation": dilation}


@takes_tensor
def conv_transpose1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """1-D transposed convolution (PyTorch's conv_transpose1d), as conv_transpose2d on a row of
    height 1: each position i adds x[n, c, i] * weight[c, o, p] to output position
    i * stride + p * dilation - padding.

    Args:
        input: (N, C_in, L), or one sequence (C_in, L).
        weight: (C_in, C_out / groups, k). bias: (C_out,) or None.
        stride, padding, output_padding, dilation: int. groups: as conv_transpose2d.

    Shape:
        out: (N, C_out, L_out), L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) +
        output_padding + 1.

    Example:
        >>> import scratchish as sh
        >>> conv_transpose1d(sh.ones(1, 1, 3), sh.ones(1, 1, 2), stride=2).tolist()
        [[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]]
    """
    return _conv_transpose1d(
        input, weight, bias, stride, padding, output_padding, groups, dilation, "conv_transpose1d"
    )


def _conv_transpose1d(
    x, weight, bias, stride, padding, output_padding, groups, dilation, who: str
) -> Tensor:
    _check_input(weight, who)
    if weight.ndim != 3:
        raise ShapeError(
            f"{who}: weight must be 3-D (in_channels, out_channels / groups, k); got shape "
            f"{tuple(weight.shape)}."
        )
    _sequence_dims(x, who, str(weight.shape[0]))
    _check_sequence_channels(x, weight.shape[0], who)
    if isinstance(padding, str):
        padding = (padding, padding)  # the 2-d check explains it
    else:
        padding = (0, _single(padding, "padding", who))
    row = {
        "stride": (1, _single(stride, "stride", who)),
        "padding": padding,
        "output_padding": (0, _single(output_padding, "output_padding", who)),
        "dilation": (1, _single(dilation, "dilation", who)),
    }
    row_weight = weight.unsqueeze(2)  # (C_in, C_out / groups, 1, k)

    def run(xb):
        return _conv_transpose2d(xb, row_weight, bias, groups=groups, who=who, **row)

    return _as_row(x, run)


# ------------------------------------------------------------------------------ modules


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share: settings, weight, output_size."""

    n_dims = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_device(device)
        name = type(self).__name__
        who = f"{name}({in_channels}, {out_channels}, ...)"
        if padding_mode != "zeros":
            raise ArgumentError(
                f"{who}: padding_mode={padding_mode!r}: only 'zeros' padding is supported for "
                f"{name}, as in PyTorch (its padding crops the output, there is nothing to "
                f"reflect). Leave padding_mode out."
            )
        in_channels, out_channels = _channels(
            name, in_channels, out_channels, self.in_channels_minimum
        )
        _groups(groups, who, {"in_channels": in_channels, "out_channels": out_channels})
        n = self.n_dims
        ntuple = _as_1tuple if n == 1 else lambda v, name, who: _pair(v, name, who, n)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _positive(ntuple(kernel_size, "kernel_size", who), "kernel_size", who)
        self.stride = _positive(ntuple(stride, "stride", who), "stride", who)
        self.padding = _positive(ntuple(padding, "padding", who), "padding", who, minimum=0)
        self.dilation = _positive(ntuple(dilation, "dilation", who), "dilation", who)
        self.output_padding = ntuple(output_padding, "output_padding", who)
        self.groups, self.padding_mode, self.transposed = groups, padding_mode, True
        # weight (in_channels, out_channels / groups, *kernel): the transpose of Conv's
        self._make_parameters((in_channels, out_channels // groups), bias, dtype)

    def forward(self, input: Tensor, output_size=None) -> Tensor:  # noqa: A002
        who = f"{type(self).__name__}({self.in_channels}, {self.out_channels}, ...)"
        _check_input(input, who)
        output_padding = self._output_padding(input, output_size, who)
        return _conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
            who,
            n=self.n_dims,
        )

    def _output_padding(self, x: Tensor, output_size, who: str) -> tuple:
        """output_padding, or the one that gives `output_size` (PyTorch's rule): the sizes a
        stride s can give are the smallest one, (size - 1) * s - 2 * padding +
        dilation * (k - 1) + 1, up to s - 1 more."""
        if output_size is None:
            return self.output_padding
        n = self.n_dims
        wanted = _int_list(who, "output_size", output_size)
        if len(wanted) == x.ndim and x.ndim > n:  # the whole shape was given
            wanted = wanted[-n:]
        if len(wanted) != n:
            raise ArgumentError(
                f"{who}: output_size must hold the {n} output size{'s' if n > 1 else ''} or the "
                f"whole output shape ({x.ndim} values); got {tuple(output_size)}."
            )
        size = tuple(x.shape[-n:])
        smallest = [
            (m - 1) * s - 2 * p + d * (k - 1) + 1
            for m, s, p, d, k in zip(
                size, self.stride, self.padding, self.dilation, self.kernel_size
            )
        ]
        largest = [low + s - 1 for low, s in zip(smallest, self.stride)]
        if any(not low <= w <= high for w, low, high in zip(wanted, smallest, largest)):
            raise ArgumentError(
                f"{who}: an input of size {size} can give output sizes {tuple(smallest)} to "
                f"{tuple(largest)} (stride {self.stride}); output_size asks for "
                f"{tuple(wanted)}. Check the input's size, or the stride and padding."
            )
        return tuple(w - low for w, low in zip(wanted, smallest))


def _as_1tuple(value, name: str, who: str) -> tuple:
    return (_single(value, name, who),)


class ConvTranspose2d(_ConvTransposeNd):
    """A 2-D transposed convolution layer: out = conv_transpose2d(x, weight, bias, ...).

    Upsamples: with kernel_size=2, stride=2 each pixel becomes a learned 2x2 patch. Init as
    PyTorch (kaiming_uniform_ with a=sqrt(5), which comes to):
        weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), then bias ~ the same,
        fan_in = weight.shape[1] * kh * kw = out_channels / groups * kh * kw
    (PyTorch reads fan_in off the weight, whose dim 1 here holds output channels), drawn from
    the default generator in that order, so `sh.manual_seed(s)` gives PyTorch's numbers.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: int or (kh, kw).
        stride, padding, output_padding, dilation: int or (h, w) (see conv_transpose2d).
        groups: independent channel groups; both channel counts must divide by it.
        bias: learn an additive bias. padding_mode: 'zeros' only, as in PyTorch.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H_out, W_out), or the same without N;
        H_out = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1.
        forward(x, output_size=(H_out, W_out)) picks the output_padding that gives that size.

    Example:
        >>> import scratchish as sh
        >>> up = ConvTranspose2d(16, 8, 2, stride=2)
        >>> up(sh.zeros(4, 16, 7, 7)).shape
        scratchish.Size([4, 8, 14, 14])
        >>> down = sh.nn.Conv2d(8, 8, 3, stride=2, padding=1)
        >>> x = sh.zeros(1, 8, 28, 28)
        >>> h = down(x)
        >>> ConvTranspose2d(8, 8, 3, stride=2, padding=1)(h, output_size=x.shape).shape
        scratchish.Size([1, 8, 28, 28])
    """


class ConvTranspose1d(_ConvTransposeNd):
    """A 1-D transposed convolution layer over sequences (N, C, L) (see conv_transpose1d).

    Init as ConvTranspose2d (PyTorch's): weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = out_channels / groups * kernel_size.

    Args: as ConvTranspose2d, each setting an int.

    Shape:
        (N, in_channels, L) -> (N, out_channels, L_out), or the same without N;
        L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.

    Example:
        >>> import scratchish as sh
        >>> ConvTranspose1d(8, 4, 4, stride=2, padding=1)(sh.zeros(2, 8, 25)).shape
        scratchish.Size([2, 4, 50])
    """

    n_dims = 1

    def forward(self, input: Tensor, output_size=None) -> Tensor:  # noqa: A002
        who = f"ConvTranspose1d({self.in_channels}, {self.out_channels}, ...)"
        _check_input(input, who)
        output_padding = self._output_padding(input, output_size, who)
        return _conv_transpose1d(
            input,
            self.weight,
            self.bias,
            self.stride[0],
            self.padding[0],
            output_padding[0],
            self.groups,
            self.dilation[0],
            who,
        )


@takes_tensor
def conv_transpose3d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """3-D transposed convolution over volumes (PyTorch's conv_transpose3d): conv_transpose2d
    with a depth axis (the same op, ops/conv.py: ConvTranspose3d).

    Args:
        input: (N, C_in, D, H, W), or one volume (C_in, D, H, W).
        weight: (C_in, C_out / groups, kd, kh, kw). bias: (C_out,) or None.
        stride, padding, output_padding, dilation: int or (d, h, w). groups: as
            conv_transpose2d.

    Shape:
        out: (N, C_out, D_out, H_out, W_out), each size as for conv_transpose2d.

    Example:
        >>> import scratchish as sh
        >>> conv_transpose3d(sh.ones(1, 2, 2, 2, 2), sh.ones(2, 1, 2, 2, 2), stride=2).shape
        scratchish.Size([1, 1, 4, 4, 4])
    """
    return _conv_transpose2d(
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        "conv_transpose3d",
        3,
    )


class ConvTranspose3d(_ConvTransposeNd):
    """A 3-D transposed convolution layer over volumes (N, C, D, H, W) (see conv_transpose3d):
    ConvTranspose2d with a depth axis, the same init (fan_in = out_channels / groups * kd * kh
    * kw) and output_size.

    Example:
        >>> import scratchish as sh
        >>> ConvTranspose3d(4, 2, 2, stride=2)(sh.zeros(1, 4, 3, 3, 3)).shape
        scratchish.Size([1, 2, 6, 6, 6])
    """

    n_dims = 3


__all__ = [
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
]
