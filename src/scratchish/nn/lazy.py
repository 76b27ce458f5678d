"""Lazy layers: layers that read their input size off the first batch (torch.nn.LazyLinear, ...).

`nn.LazyLinear(10)` is an `nn.Linear(?, 10)` whose in_features is not known yet, so a model can
be written without working out the size of a flattened feature map by hand:

    net = nn.Sequential(nn.LazyConv2d(6, 5), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    net(x)  # the first call: the layers read their sizes off x, and are Conv2d, Linear now

How, in PyTorch's way, in three parts:
  - Until the first call the layer's weights are `UninitializedParameter`s: placeholders with
    a dtype but no shape. Using one (p.numel(), p.sum(), nn.init on it, saving it) raises an
    error that says to run the model once first, instead of computing with a made-up shape.
  - `LazyModuleMixin` puts a forward pre-hook on the layer. On the first call the hook reads
    the size from the input (`initialize_parameters`), gives each placeholder its shape
    (`materialize`), fills the weights as the ordinary layer would (reset_parameters, drawn
    from the default generator at that moment), and removes itself.
  - The layer then becomes the ordinary one: its class is set to `cls_to_become`, so a
    LazyLinear prints and pickles as a Linear. A placeholder becomes a Parameter (a buffer: a
    Tensor) the same way, in place, so an optimizer made before the first call, which holds
    the placeholders, updates the real weights (scratchish's optimizers re-read a parameter
    list whose shapes changed at their next step).

Two pieces of Python machinery, which the style guide otherwise avoids, because PyTorch's
semantics need them: the change of class (`obj.__class__ = ...`, what PyTorch does), and the
placeholders' `array` property, which hides the empty NumPy array so that every op refuses
the placeholder with one message.

Read next: linear.py, conv.py and batchnorm.py, whose layers these become.
"""

from __future__ import annotations

import numpy as np

from ..autograd import no_grad
from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor, _check_device, _need_tensor
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d
from .conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .module import UninitializedBuffer, UninitializedParameter, is_lazy, size_argument
from .normalization import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d


def _infer_parameters(module, args) -> None:
    """The forward pre-hook of a lazy layer: size and fill its parameters from the first
    call's input, then turn it into the ordinary layer."""
    if not args:
        raise ArgumentError(
            f"{type(module).__name__} was called without an input; a lazy layer reads its "
            f"input size off the first input: call it as layer(x)."
        )
    with no_grad():
        module.initialize_parameters(*args)
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyModuleMixin:
    """Makes a layer lazy: put it first among the bases (class LazyLinear(LazyModuleMixin,
    Linear)) and write `initialize_parameters(input)`, which materializes the placeholders
    from the input's shape and fills them; `cls_to_become` is the class after that."""

    cls_to_become = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self) -> bool:
        """True while a parameter or buffer of this layer has no shape."""
        tensors = [*self._parameters.values(), *self._buffers.values()]
        return any(is_lazy(t) for t in tensors)

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define initialize_parameters")


def _lazy_parameters(module, names: tuple, dtype) -> None:
    """Replace the parameters `names` that the layer has (not None) by placeholders."""
    for name in names:
        if getattr(module, name) is not None:
            setattr(module, name, UninitializedParameter(dtype=dtype))


# ------------------------------------------------------------------------------ Linear


class LazyLinear(LazyModuleMixin, Linear):
    """nn.Linear with in_features taken from the first input's last dim.

    Args:
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        dtype: parameter dtype (default float32).

    Example:
        >>> import scratchish as sh
        >>> layer = sh.nn.LazyLinear(3)
        >>> layer
        LazyLinear(in_features=0, out_features=3, bias=True)
        >>> layer(sh.randn(8, 5)).shape
        scratchish.Size([8, 3])
        >>> layer
        Linear(in_features=5, out_features=3, bias=True)
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        size_argument("LazyLinear", "out_features", out_features, "the size of each output sample")
        super().__init__(0, out_features, bias, device, dtype)
        _lazy_parameters(self, ("weight", "bias"), dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002 - PyTorch's name
        _need_tensor("LazyLinear", "input", input)
        if input.ndim == 0:
            raise ShapeError(
                f"LazyLinear(out_features={self.out_features}): the input is a 0-d tensor, "
                f"which has no feature dim to read in_features from; give (batch, features)."
            )
        if not self.has_uninitialized_params():  # loaded by load_state_dict
            self.in_features = self.weight.shape[1]
            return
        self.in_features = input.shape[-1]
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()


# ------------------------------------------------------------------------------ convolutions


class _LazyConvMixin(LazyModuleMixin):
    """The lazy convolutions: in_channels from the first input's channel dim (dim 1 of a
    batch, dim 0 of a single sample)."""

    in_channels_minimum = 0  # the ordinary layer is built with in_channels=0

    def __init__(self, out_channels: int, kernel_size, *args, **kwargs) -> None:
        # the ordinary layer's arguments after in_channels, in its order (stride, padding, ...)
        super().__init__(0, out_channels, kernel_size, *args, **kwargs)

    def _make_parameters(self, channels: tuple, bias: bool, dtype) -> None:
        # the ordinary layer's constructor calls this: placeholders, filled at the first call
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args) -> None:  # noqa: A002
        name = type(self).__name__
        _need_tensor(name, "input", input)
        n = len(self.kernel_size)
        if input.ndim not in (n + 1, n + 2):
            raise ShapeError(
                f"{name}(out_channels={self.out_channels}, ...) expects a {n + 2}-D batch "
                f"(N, C, {', '.join('DHW'[3 - n :])}) or a {n + 1}-D single sample; got shape "
                f"{tuple(input.shape)}."
            )
        transposed = getattr(self, "transposed", False)
        if not self.has_uninitialized_params():  # loaded by load_state_dict
            w = self.weight.shape
            self.in_channels = w[0] if transposed else w[1] * self.groups
            return
        self.in_channels = input.shape[1] if input.ndim == n + 2 else input.shape[0]
        if self.in_channels % self.groups:
            raise ArgumentError(
                f"{name}(out_channels={self.out_channels}, groups={self.groups}): the input "
                f"has {self.in_channels} channels, which do not divide into {self.groups} "
                f"groups (input shape {tuple(input.shape)}). Use a groups value that divides "
                f"both {self.in_channels} and {self.out_channels}."
            )
        if transposed:  # (in, out / groups, *kernel)
            shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        else:  # (out, in / groups, *kernel)
            shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight.materialize(shape)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class LazyConv1d(_LazyConvMixin, Conv1d):
    """nn.Conv1d with in_channels from the first input; arguments as Conv1d's, without
    in_channels."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvMixin, Conv2d):
    """nn.Conv2d with in_channels from the first input; arguments as Conv2d's, without
    in_channels.

    Example:
        >>> import scratchish as sh
        >>> conv = sh.nn.LazyConv2d(16, 3, padding=1)
        >>> conv(sh.zeros(2, 3, 8, 8)).shape
        scratchish.Size([2, 16, 8, 8])
        >>> conv.weight.shape
        scratchish.Size([16, 3, 3, 3])
    """

    cls_to_become = Conv2d


class LazyConv3d(_LazyConvMixin, Conv3d):
    """nn.Conv3d with in_channels from the first input; arguments as Conv3d's, without
    in_channels."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvMixin, ConvTranspose1d):
    """nn.ConvTranspose1d with in_channels from the first input; arguments as its, without
    in_channels."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """nn.ConvTranspose2d with in_channels from the first input; arguments as its, without
    in_channels."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvMixin, ConvTranspose3d):
    """nn.ConvTranspose3d with in_channels from the first input; arguments as its, without
    in_channels."""

    cls_to_become = ConvTranspose3d


# ------------------------------------------------------------------------------ normalisation


class _LazyNormMixin(LazyModuleMixin):
    """The lazy batch and instance norms: num_features from the first input's channel dim.
    As PyTorch's, the lazy instance norms default to affine=True, track_running_stats=True
    (the ordinary ones to False, False)."""

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        _check_device(device)
        # the ordinary layer with no features, no weights and no statistics; then placeholders
        super().__init__(0, eps, momentum, False, False, dtype=dtype, bias=bias)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = Tensor._make(np.array(0, np.int64))

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def _features_dim(self, x: Tensor) -> int:
        """Where the channels are: dim 1 of a batch; an instance norm's single sample: 0."""
        batched = getattr(self, "batched_dims", None)
        return x.ndim - batched + 1 if batched is not None else 1

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        name = type(self).__name__
        _need_tensor(name, "input", input)
        dims = getattr(self, "dims", None) or (self.batched_dims - 1, self.batched_dims)
        if input.ndim not in dims:
            single = " (dim 0 of a single sample)" if hasattr(self, "batched_dims") else ""
            raise ShapeError(
                f"{name} expects a {' or '.join(f'{d}-D' for d in dims)} input with the "
                f"channels in dim 1{single}; got shape {tuple(input.shape)}."
            )
        if not self.has_uninitialized_params():  # loaded, or nothing to learn or track
            known = self.weight if self.weight is not None else self.running_mean
            if known is not None:
                self.num_features = known.shape[0]
                return
        self.num_features = input.shape[self._features_dim(input)]
        for t in (self.weight, self.bias, self.running_mean, self.running_var):
            if is_lazy(t):
                t.materialize((self.num_features,))
        self.reset_parameters()


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """nn.BatchNorm1d with num_features from the first input's dim 1; arguments as
    BatchNorm1d's, without num_features."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """nn.BatchNorm2d with num_features from the first input's dim 1; arguments as
    BatchNorm2d's, without num_features.

    Example:
        >>> import scratchish as sh
        >>> bn = sh.nn.LazyBatchNorm2d()
        >>> bn(sh.randn(4, 6, 5, 5)).shape
        scratchish.Size([4, 6, 5, 5])
        >>> bn
        BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """nn.BatchNorm3d with num_features from the first input's dim 1; arguments as
    BatchNorm3d's, without num_features."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormMixin, InstanceNorm1d):
    """nn.InstanceNorm1d with num_features from the first input's channels; arguments as
    InstanceNorm1d's, without num_features, but affine and track_running_stats default to
    True, as PyTorch's."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormMixin, InstanceNorm2d):
    """nn.InstanceNorm2d with num_features from the first input's channels; arguments as
    InstanceNorm2d's, without num_features, but affine and track_running_stats default to
    True, as PyTorch's."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormMixin, InstanceNorm3d):
    """nn.InstanceNorm3d with num_features from the first input's channels; arguments as
    InstanceNorm3d's, without num_features, but affine and track_running_stats default to
    True, as PyTorch's."""

    cls_to_become = InstanceNorm3d
