"""Linear (fully connected) layers: Linear, Bilinear, Identity, and Flatten/Unflatten, which
reshape what goes into and comes out of them.

Linear's weight and bias start as PyTorch's (kaiming_uniform_ with a = sqrt(5), i.e.
U(-1/sqrt(in_features), 1/sqrt(in_features))), drawn in the same order. Read next:
activation.py.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..errors import ShapeError
from ..tensor import Tensor, _check_device, _int_list, _need_tensor
from . import functional as F
from . import init
from .module import Module, Parameter, size_argument


def _empty(shape: tuple, dtype=None) -> Tensor:
    """An uninitialised float tensor for a parameter (the default dtype unless given)."""
    np_type = dtypes.get_default_dtype().np if dtype is None else dtypes.np_dtype(dtype)
    return Tensor._make(np.empty(shape, dtype=np_type))


def _add_weight_and_bias(module: Module, weight_shape: tuple, bias: bool, dtype) -> None:
    """module.weight of weight_shape, and module.bias of (weight_shape[0],) or None, both
    uninitialised (reset_parameters fills them)."""
    module.weight = Parameter(_empty(weight_shape, dtype))
    if bias:
        module.bias = Parameter(_empty(weight_shape[:1], dtype))
    else:
        module.register_parameter("bias", None)


class Identity(Module):
    """out = x; any constructor arguments are ignored (a placeholder layer)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
        return input


class Linear(Module):
    """out = x @ weight.T + bias.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        dtype: parameter dtype (default float32).

    Shape: (*, in_features) -> (*, out_features).

    Weights: weight (out_features, in_features) and bias (out_features,), both drawn from
    U(-k, k) with k = 1 / sqrt(in_features), as PyTorch.

    Example:
        >>> import scratchish as sh
        >>> layer = sh.nn.Linear(20, 30)
        >>> layer(sh.randn(128, 20)).shape
        scratchish.Size([128, 30])
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        _check_device(device)
        in_features = size_argument(
            "Linear",
            "in_features",
            in_features,
            "the size of each input sample, e.g. 784 for a flattened 28x28 image",
        )
        out_features = size_argument(
            "Linear",
            "out_features",
            out_features,
            "the size of each output sample, e.g. 10 for ten classes",
        )
        self.in_features, self.out_features = in_features, out_features
        _add_weight_and_bias(self, (out_features, in_features), bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), then the bias
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        try:
            return F.linear(input, self.weight, self.bias)
        except ShapeError:
            raise ShapeError(self._shape_message(input)) from None

    def _shape_message(self, x: Tensor) -> str:
        shape = tuple(x.shape)
        got = shape[-1] if shape else 1
        return (
            f"{self!r}: input has {got} features per sample (shape {shape}), the layer "
            f"expects {self.in_features} (in_features). Forgot to flatten the input "
            f"(nn.Flatten() or x.flatten(1))? Or is in_features wrong: "
            f"nn.Linear({got}, {self.out_features})?"
        )

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """out = x1^T A x2 + b per output feature: out[..., o] = sum_ij x1[..., i] A[o, i, j]
    x2[..., j] + b[o]. It mixes two inputs multiplicatively (e.g. a question and an answer).

    Args:
        in1_features: size of each sample of the first input.
        in2_features: size of each sample of the second input.
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        dtype: parameter dtype (default float32).

    Shape: (*, in1_features) and (*, in2_features), the same leading dims -> (*, out_features).

    Weights: weight (out_features, in1_features, in2_features) and bias (out_features,), both
    drawn from U(-k, k) with k = 1 / sqrt(in1_features), as PyTorch.

    Example:
        >>> import scratchish as sh
        >>> layer = sh.nn.Bilinear(20, 30, 40)
        >>> layer(sh.randn(128, 20), sh.randn(128, 30)).shape
        scratchish.Size([128, 40])
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_device(device)
        sizes = [
            size_argument("Bilinear", name, value, f"the size of each sample of the {what}")
            for name, value, what in (
                ("in1_features", in1_features, "first input"),
                ("in2_features", in2_features, "second input"),
                ("out_features", out_features, "output"),
            )
        ]
        self.in1_features, self.in2_features, self.out_features = sizes
        in1_features, in2_features, out_features = sizes
        _add_weight_and_bias(self, (out_features, in1_features, in2_features), bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under another name: PyTorch's class for MultiheadAttention.out_proj, kept so
    that printing a model gives PyTorch's text."""


class Flatten(Module):
    """Flatten dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        _need_tensor("nn.Flatten", "input", input)
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size`: Unflatten(1, (2, 5)) maps (N, 10) to (N, 2, 5)."""

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        sizes = _int_list("nn.Unflatten", "unflattened_size", unflattened_size)
        self.dim, self.unflattened_size = dim, tuple(sizes)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        _need_tensor("nn.Unflatten", "input", input)
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
