"""Batch normalisation: PyTorch's batch_norm function and the BatchNorm1d/BatchNorm2d modules.

The math (forward, the closed-form backward, the running statistics update) is one fused
primitive, ops/conv.py's BatchNorm. This file checks arguments and keeps the module state:
running_mean, running_var and num_batches_tracked, which PyTorch saves in the state_dict.
Read next: ops/conv.py (BatchNorm), module.py (buffers).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..errors import ArgumentError, DTypeError, ShapeError
from ..ops import conv as ops
from ..tensor import Tensor, _need_tensors_or_none, takes_tensor
from . import init
from .module import Module, Parameter, size_argument


@takes_tensor
def batch_norm(
    input: Tensor,  # noqa: A002 - PyTorch's argument names
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """out = (x - mean) / sqrt(var + eps) * weight + bias, per channel (PyTorch's batch_norm).

    training=True: mean and biased var of this batch, over every dim but dim 1 (the channels);
    running_mean and running_var, when given, are updated in place:
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var  = (1 - momentum) * running_var  + momentum * var * n / (n - 1)
    (the unbiased var, n values per channel). training=False: the running statistics are used.

    Args:
        input: (N, C), (N, C, L) or (N, C, H, W).
        running_mean, running_var: (C,) tensors, or None (training only).
        weight, bias: (C,) tensors or None (then 1 and 0).
        training, momentum, eps: as above.

    Shape:
        out: the input's shape.

    Example:
        >>> import scratchish as sh
        >>> x = sh.tensor([[1.0], [3.0]])
        >>> batch_norm(x, None, None, training=True).tolist()
        [[-0.9999949932098389], [0.9999949932098389]]
    """
    who = "batch_norm"
    _check(input, running_mean, running_var, weight, bias, training, who)
    return ops.BatchNorm.apply(
        input,
        weight,
        bias,
        running_mean=None if running_mean is None else running_mean.array,
        running_var=None if running_var is None else running_var.array,
        training=bool(training),
        momentum=momentum,
        eps=eps,
    )


def _check(x, running_mean, running_var, weight, bias, training, who: str) -> None:
    if not isinstance(x, Tensor):
        raise DTypeError(
            f"{who}: input must be a scratchish Tensor, got {type(x).__name__}. Convert it "
            f"first: sh.tensor(data)."
        )
    if x.ndim < 2:
        raise ShapeError(
            f"{who}: the input needs a batch dim and a channel dim (N, C, ...); got shape "
            f"{tuple(x.shape)}. For a single sample use x.unsqueeze(0)."
        )
    if not training and (running_mean is None or running_var is None):
        raise ArgumentError(
            f"{who}: training=False normalises with running_mean and running_var, so both must "
            f"be given; pass training=True to use the batch's own statistics."
        )
    channels = x.shape[1]
    named = {
        "running_mean": running_mean,
        "running_var": running_var,
        "weight": weight,
        "bias": bias,
    }
    _need_tensors_or_none(who, **named)
    for name, t in named.items():
        if t is not None and t.numel() != channels:
            raise ShapeError(
                f"{who}: {name} has {t.numel()} values (one per channel) but the input "
                f"{tuple(x.shape)} has {channels} channels in dim 1. Build the layer with "
                f"num_features={channels}, or check the layer before it."
            )


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share: parameters, buffers, and the forward logic."""

    dims = ()  # input dims this layer accepts
    shape_text = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        num_features = size_argument(
            type(self).__name__,
            "num_features",
            num_features,
            "the number of channels C of an (N, C, ...) input, e.g. 16 after nn.Conv2d(3, 16, 3)",
        )
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        np_dtype = (dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()).np
        if affine:
            self.weight = Parameter(Tensor._make(np.empty(num_features, dtype=np_dtype)))
            if bias:
                self.bias = Parameter(Tensor._make(np.empty(num_features, dtype=np_dtype)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._make(np.zeros(num_features, np_dtype)))
            self.register_buffer("running_var", Tensor._make(np.ones(num_features, np_dtype)))
            self.register_buffer("num_batches_tracked", Tensor._make(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input_dim(input)
        # PyTorch's logic, step by step: momentum None means a cumulative average, whose
        # factor is 1 / (number of batches seen so far)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.array += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.array)
        # without running statistics the batch's own are used, even in eval mode
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        update = not self.training or self.track_running_stats
        return batch_norm(
            input,
            self.running_mean if update else None,
            self.running_var if update else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def _check_input_dim(self, x) -> None:
        who = f"{type(self).__name__}({self.num_features})"
        if not isinstance(x, Tensor):
            raise DTypeError(f"{who}: input must be a scratchish Tensor, got {type(x).__name__}.")
        if x.ndim not in self.dims:
            raise ShapeError(
                f"{who} expects {self.shape_text}; got {x.ndim}-D input of shape "
                f"{tuple(x.shape)}. {self.dim_fix(x)}"
            )
        if x.shape[1] != self.num_features:
            raise ShapeError(
                f"{who} expects {self.num_features} channels in dim 1 (num_features="
                f"{self.num_features}); got input of shape {tuple(x.shape)} with "
                f"{x.shape[1]}. Build it as {type(self).__name__}({x.shape[1]}), or check "
                f"the out_channels/out_features of the layer before it."
            )

    def dim_fix(self, x) -> str:
        return ""

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) features or (N, C, L) sequences, per channel C.

    out = (x - mean) / sqrt(var + eps) * weight + bias, with the batch's statistics in
    training (updating running_mean/running_var with `momentum`, or a cumulative average when
    momentum=None) and the running ones in eval. Init: weight = 1, bias = 0, running_mean = 0,
    running_var = 1, num_batches_tracked = 0 (all saved in the state_dict, as PyTorch).

    Args:
        num_features: C. eps: added to the variance. momentum: for the running statistics.
        affine: learn weight and bias. track_running_stats: keep running statistics (if
            False, the batch's statistics are used in eval too). bias (keyword only, as
            PyTorch 2.13): with affine, learn the bias too.

    Shape:
        (N, C) or (N, C, L) -> the same.

    Example:
        >>> import scratchish as sh
        >>> bn = BatchNorm1d(3)
        >>> bn(sh.randn(8, 3)).shape
        scratchish.Size([8, 3])
    """

    dims = (2, 3)
    shape_text = "a 2-D (N, C) or 3-D (N, C, L) input"

    def dim_fix(self, x) -> str:
        if x.ndim == 4:
            return f"For images (N, C, H, W) use BatchNorm2d({self.num_features})."
        if x.ndim == 1:
            return "For a single sample add the batch dim: x.unsqueeze(0)."
        return ""


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over images (N, C, H, W), per channel C (see BatchNorm1d).

    Statistics are taken over N, H and W for each channel.

    Args:
        num_features: C. eps, momentum, affine, track_running_stats: as BatchNorm1d.

    Shape:
        (N, C, H, W) -> the same.

    Example:
        >>> import scratchish as sh
        >>> bn = BatchNorm2d(16)
        >>> bn(sh.randn(4, 16, 8, 8)).shape
        scratchish.Size([4, 16, 8, 8])
    """

    dims = (4,)
    shape_text = "a 4-D input (N, C, H, W)"

    def dim_fix(self, x) -> str:
        if x.ndim in (2, 3):
            return f"For features (N, C) or sequences (N, C, L) use BatchNorm1d({x.shape[1]})."
        if x.ndim == 5:
            return f"For volumes (N, C, D, H, W) use BatchNorm3d({x.shape[1]})."
        return ""


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over volumes (N, C, D, H, W), per channel C (see BatchNorm1d):
    statistics over N, D, H and W for each channel. Shape: (N, C, D, H, W) -> the same."""

    dims = (5,)
    shape_text = "a 5-D input (N, C, D, H, W)"

    def dim_fix(self, x) -> str:
        if x.ndim == 4:
            return f"For images (N, C, H, W) use BatchNorm2d({x.shape[1]})."
        return ""
