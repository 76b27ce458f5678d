"""LayerNorm, GroupNorm, InstanceNorm1d/2d and LocalResponseNorm: normalise each sample (over
its last dims, a group of channels, or each channel), then scale and shift.

(BatchNorm lives in batchnorm.py; InstanceNorm shares its parameters and buffers.) Read next:
sparse.py.
"""

from __future__ import annotations

import warnings

from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor, _check_device, _need_tensor
from . import functional as F
from . import init
from .batchnorm import _BatchNorm
from .linear import _empty
from .module import Module, Parameter, size_argument


def _affine_parameters(module: Module, shape: tuple, affine: bool, bias: bool, dtype) -> None:
    """Give a norm layer its weight and bias Parameters of `shape` (None when not learned)."""
    learn_weight, learn_bias = affine, affine and bias
    module.register_parameter("weight", Parameter(_empty(shape, dtype)) if learn_weight else None)
    module.register_parameter("bias", Parameter(_empty(shape, dtype)) if learn_bias else None)


def _as_shape(layer: str, normalized_shape) -> tuple:
    """An int or a sequence of sizes -> a tuple, as PyTorch keeps normalized_shape."""
    if isinstance(normalized_shape, (list, tuple)):
        return tuple(
            size_argument(layer, "normalized_shape", n, _SHAPE_MEANING) for n in normalized_shape
        )
    return (size_argument(layer, "normalized_shape", normalized_shape, _SHAPE_MEANING),)


_SHAPE_MEANING = (
    "or a tuple of them: the sizes of the last dims to normalise over, e.g. 512 (the feature "
    "size) for an input of shape (batch, tokens, 512)"
)


def _reset_affine(module: Module) -> None:
    """Start a norm layer as the identity: weight 1, bias 0."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """out = (x - mean) / sqrt(var + eps) * weight + bias over the last dims (Ba et al. 2016).

    Args:
        normalized_shape: the size (int) or sizes of the last dims to normalise over.
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn weight (ones at start) and bias (zeros).
        bias: learn the bias too (default True).

    Shape: (*, *normalized_shape) -> same.

    Example:
        >>> import scratchish as sh
        >>> sh.nn.LayerNorm(4)(sh.tensor([[1.0, 2.0, 3.0, 4.0]]))
        tensor([[-1.3416, -0.4472,  0.4472,  1.3416]], grad_fn=<LayerNormBackward>)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_device(device)
        self.normalized_shape = _as_shape("LayerNorm", normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class RMSNorm(Module):
    """out = x / sqrt(mean(x^2) + eps) * weight over the last dims (see F.rms_norm): the norm
    of LLaMA-style transformers. eps=None: the machine epsilon of the input's dtype.

    Shape: (*, *normalized_shape) -> same.

    Example:
        >>> import scratchish as sh
        >>> sh.nn.RMSNorm(4)
        RMSNorm((4,), eps=None, elementwise_affine=True)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_device(device)
        self.normalized_shape = _as_shape("RMSNorm", normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        weight = Parameter(_empty(self.normalized_shape, dtype)) if elementwise_affine else None
        self.register_parameter("weight", weight)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Normalise each sample over groups of channels (Wu & He 2018), then scale and shift
    each channel: out = (x - mean_g) / sqrt(var_g + eps) * weight + bias. num_groups=1 is
    layer norm over (C, *); num_groups=C is instance norm.

    Args:
        num_groups: groups to split the channels into (must divide num_channels).
        num_channels: C. eps: added to the variance.
        affine: learn weight (ones at start) and bias (zeros). bias (keyword only): learn bias.

    Shape: (N, C, *) -> same.

    Example:
        >>> import scratchish as sh
        >>> sh.nn.GroupNorm(2, 4)(sh.randn(3, 4, 5, 5)).shape
        scratchish.Size([3, 4, 5, 5])
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        _check_device(device)
        num_groups = size_argument(
            "GroupNorm",
            "num_groups",
            num_groups,
            "how many groups the channels are split into, e.g. 8",
            minimum=1,
        )
        num_channels = size_argument(
            "GroupNorm",
            "num_channels",
            num_channels,
            "the number of channels C of an (N, C, ...) input",
        )
        if num_channels % num_groups:
            raise ArgumentError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})."
            )
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _affine_parameters(self, (num_channels,), affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        _need_tensor("nn.GroupNorm", "input", input)
        if input.ndim >= 2 and input.shape[1] != self.num_channels:
            raise ShapeError(
                f"GroupNorm({self.num_groups}, {self.num_channels}) expects "
                f"{self.num_channels} channels in dim 1; got input of shape "
                f"{tuple(input.shape)}. Set num_channels={input.shape[1]}, or check the layer "
                f"before it."
            )
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_BatchNorm):
    """What InstanceNorm1d and InstanceNorm2d share: BatchNorm's parameters and buffers, with
    PyTorch's defaults for instance norm (no affine, no running statistics)."""

    batched_dims = 0  # the input dims of a batch; one fewer for a single sample

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        _check_device(device)
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, dtype=dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = f"{type(self).__name__}({self.num_features})"
        _need_tensor(name, "input", input)
        if input.ndim not in (self.batched_dims - 1, self.batched_dims):
            raise ShapeError(
                f"{name} expects a {self.batched_dims}-D (batched) or "
                f"{self.batched_dims - 1}-D (one sample) input; got shape {tuple(input.shape)}."
            )
        channels = input.shape[input.ndim - self.batched_dims + 1]
        if channels != self.num_features:
            message = (
                f"{name}: expected input's size at the channel dim to match num_features "
                f"({self.num_features}), but got {channels} (input {tuple(input.shape)})."
            )
            if self.affine:
                raise ShapeError(message + " Set num_features to the input's channels.")
            warnings.warn(message + " The layer normalises it anyway.", stacklevel=2)
        if input.ndim == self.batched_dims - 1:  # one sample: a batch of one
            return self._instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._instance_norm(input)

    def _instance_norm(self, x: Tensor) -> Tensor:
        return F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )


class InstanceNorm1d(_InstanceNorm):
    """Normalise every channel of every sequence over its length (Ulyanov et al. 2016).

    Args:
        num_features: C. eps: added to the variance. momentum: for the running statistics.
        affine: learn weight and bias (default False, unlike BatchNorm).
        track_running_stats: keep running statistics and use them in eval (default False).

    Shape: (N, C, L) or (C, L) -> same.
    """

    batched_dims = 3


class InstanceNorm2d(_InstanceNorm):
    """Normalise every channel of every image over its pixels (style transfer, GANs);
    arguments as InstanceNorm1d.

    Shape: (N, C, H, W) or (C, H, W) -> same.

    Example:
        >>> import scratchish as sh
        >>> sh.nn.InstanceNorm2d(3)
        InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, \
track_running_stats=False)
    """

    batched_dims = 4


class InstanceNorm3d(_InstanceNorm):
    """Normalise every channel of every volume over its voxels; arguments as InstanceNorm1d.

    Shape: (N, C, D, H, W) or (C, D, H, W) -> same.
    """

    batched_dims = 5


class LocalResponseNorm(Module):
    """Divide each value by (k + alpha / size * sum of squares over `size` neighbouring
    channels)^beta (AlexNet).

    Shape: (N, C, *) -> same.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
