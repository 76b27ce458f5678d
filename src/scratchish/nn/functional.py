"""nn.functional: the layers as functions (activations, linear, dropout, norms and distances,
attention) and the losses, as torch.nn.functional. Convolution and pooling come from conv.py,
batch_norm from batchnorm.py, interpolate from upsampling.py, fold/unfold from fold.py,
affine_grid and grid_sample from sampling.py.

Most are compositions of primitives (their gradients come from the primitives, with
PyTorch's conventions at kinks kept by choosing the branch); the fused ones (linear, gelu,
cross_entropy, layer_norm, embedding, log-sigmoid) call an op from ops/ and are tested
against their composed twins. Losses check their inputs and, with `set_debug(True)` (or
SCRATCHISH_DEBUG=1), check their output for nan/inf. Read next: linear.py, loss.py.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import warnings
from collections import Counter

import numpy as np

from ..creation import pad as _pad
from ..errors import (
    ArgumentError,
    DTypeError,
    IndexOutOfRangeError,
    ShapeError,
    UnsupportedError,
)
from ..functions import einsum as _einsum
from ..ops.conv import ChannelAffine
from ..ops.conv import GroupNorm as GroupNormOp
from ..ops.elementwise import (
    Elu,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyRelu,
    Relu,
    Sigmoid,
    Tanh,
    filled,
)
from ..ops.matmul import Linear
from ..ops.nn_ops import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    DropoutMask,
    EmbeddingLookup,
    Gelu,
    Glu,
    LayerNorm,
    LogSigmoid,
    NllLoss,
    ScaledDotProductAttention,
    Silu,
    SmoothL1,
    Softplus,
    causal_mask,
)
from ..ops.reduce import LogSoftmax, Softmax
from ..random import generator_or_default
from ..tensor import (
    Tensor,
    _check_dim,
    _floating,
    _int_list,
    _need_tensors_or_none,
    _number,
    _value,
    _whole_number,
    takes_tensor,
    where,
)

# conv/pool/batch norm live in conv.py and batchnorm.py; re-exported here as torch has them in F
from .batchnorm import batch_norm  # noqa: F401, E402
from .conv import (  # noqa: F401, E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    conv1d,
    conv2d,
    conv3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)
from .conv_transpose import (  # noqa: F401, E402
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from .fold import fold, unfold  # noqa: F401, E402
from .sampling import affine_grid, grid_sample  # noqa: F401, E402
from .upsampling import interpolate  # noqa: F401, E402


# ----------------------------------------------------------------------------------------------
# activations
# ----------------------------------------------------------------------------------------------
@takes_tensor
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's names
    """out = max(x, 0)."""
    if inplace:
        return relu_(input)
    return Relu.apply(input)


@takes_tensor
def relu_(input: Tensor) -> Tensor:  # noqa: A002
    """relu in place: x's own values become max(x, 0)."""
    if input._needs_graph():
        return input._become(Relu.apply(input))
    input._note_write()
    np.maximum(input.array, filled(0, input.array), out=input.array)
    return input


@takes_tensor
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """out = x if x > 0 else negative_slope * x."""
    negative_slope = _number("leaky_relu", "negative_slope", negative_slope)
    out = LeakyRelu.apply(input, negative_slope=negative_slope)
    if inplace:
        input.array, input.grad_fn = out.array, out.grad_fn
        input._requires_grad = out._requires_grad
        return input
    return out


@takes_tensor
def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU (Xu et al. 2015): out = x if x > 0 else a * x, with a drawn
    uniformly from [lower, upper) for each element in training, and a = (lower + upper) / 2
    in eval (then it is leaky_relu). The gradient is a where x <= 0, else 1. (PyTorch draws
    a only for x <= 0, so the same seed does not give PyTorch's slopes.)"""
    lower, upper = _number("rrelu", "lower", lower), _number("rrelu", "upper", upper)
    if not lower <= upper:
        raise ArgumentError(f"rrelu: lower ({lower}) must be <= upper ({upper}).")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slopes = generator_or_default(None, "rrelu").uniform(
        input.shape, lower, upper, dtype=input.array.dtype
    )
    out = where(input.array > 0, input, input * Tensor._make(slopes))
    if inplace:
        input.array, input.grad_fn = out.array, out.grad_fn
        input._requires_grad = out._requires_grad
        return input
    return out


@takes_tensor
def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """out = x * Phi(x) (Phi the standard normal CDF); approximate='tanh' uses
    x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Fused: ops/nn_ops.py Gelu."""
    _need_float("gelu", input)
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}.")
    return Gelu.apply(input, approximate=approximate)


def _need_float(name: str, x: Tensor) -> None:
    """torch refuses these activations on integer tensors ("not implemented for 'Long'")."""
    if x.array.dtype.kind != "f":
        raise DTypeError(
            f"{name}: needs a floating-point tensor, got {x.array.dtype}. Convert first: "
            f"F.{name}(x.float())."
        )


@takes_tensor
def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """out = 1 / (1 + exp(-x)); ints become the default float first, as torch."""
    return Sigmoid.apply(_floating(input))


@takes_tensor
def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """out = tanh(x); ints become the default float first, as torch."""
    return Tanh.apply(_floating(input))


@takes_tensor
def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """out = x * sigmoid(x) (also called swish). Fused: ops/nn_ops.py Silu."""
    _need_float("silu", input)
    if inplace:
        return _in_place(input, silu)
    return Silu.apply(input)


@takes_tensor
def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """out = log(sigmoid(x)), stable for large |x|."""
    _need_float("logsigmoid", input)
    return LogSigmoid.apply(input)


@takes_tensor
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """out = log(1 + exp(beta x)) / beta = -logsigmoid(-beta x) / beta (x itself where
    beta x > threshold, as PyTorch)."""
    _need_float("softplus", input)
    beta, threshold = _number("softplus", "beta", beta), _number("softplus", "threshold", threshold)
    return Softplus.apply(input, beta=beta, threshold=threshold)


def _in_place(input: Tensor, fn) -> Tensor:  # noqa: A002
    """x's own values become fn(x), as PyTorch's `inplace=True` and `relu_`-style functions.

    Inside a graph the op is recorded and x takes the result (so nodes that saved the old x
    keep it); outside one the array is overwritten where it is, so views see the change."""
    if input._needs_graph():
        return input._become(fn(input))
    input._note_write()
    input.array[...] = fn(input).array
    return input


def _vector_dim(name: str, dim: int, ndim: int) -> int:
    """A dim inside the input (as a dim >= 0), with a hint for the classic slip: dim=1 (the
    default of normalize and cosine_similarity, meant for batches of rows) on one vector."""
    try:
        return _check_dim(name, dim, ndim)
    except IndexOutOfRangeError:
        hint = " For a single vector (a 1-D tensor) use dim=0 (or dim=-1)." if ndim == 1 else ""
        raise IndexOutOfRangeError(
            f"{name}: dim={dim!r} is out of range for an input with {ndim} dims (valid "
            f"{-max(ndim, 1)} to {max(ndim, 1) - 1}).{hint}"
        ) from None


def _not_tensor(name: str, input) -> None:  # noqa: A002
    if not isinstance(input, Tensor):
        raise DTypeError(
            f"{name}: input must be a scratchish Tensor, got {type(input).__name__}. Convert it "
            f"first: sh.tensor(data)."
        )


@takes_tensor
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """out = x if x > 0 else alpha (exp(x) - 1) (Clevert et al. 2015); slope alpha at 0.

    Example:
        >>> import scratchish as sh
        >>> elu(sh.tensor([-1.0, 2.0])).tolist()
        [-0.6321205496788025, 2.0]
    """
    _need_float("elu", input)
    alpha = _number("elu", "alpha", alpha)
    if inplace:
        return _in_place(input, lambda x: elu(x, alpha))
    _not_tensor("elu", input)
    return Elu.apply(input, alpha=alpha)  # one fused op (ops/elementwise.py)


@takes_tensor
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """elu in place."""
    return elu(input, alpha, inplace=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@takes_tensor
def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """out = scale * elu(x, alpha), alpha = 1.6733, scale = 1.0507 (Klambauer et al. 2017):
    keeps activations near mean 0 and variance 1 (self-normalising networks)."""
    _need_float("selu", input)
    if inplace:
        return _in_place(input, selu)
    _not_tensor("selu", input)
    return Elu.apply(input, alpha=_SELU_ALPHA, scale=_SELU_SCALE)  # scale * elu(x, alpha)


@takes_tensor
def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """selu in place."""
    return selu(input, inplace=True)


@takes_tensor
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """out = max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (Barron 2017)."""
    _need_float("celu", input)
    if _number("celu", "alpha", alpha) == 0:
        raise ArgumentError("celu: alpha must not be 0 (it divides x); PyTorch's default is 1.0.")
    if inplace:
        return _in_place(input, lambda x: celu(x, alpha))
    _not_tensor("celu", input)
    return Elu.apply(input, alpha=alpha, input_scale=1.0 / alpha)  # elu of x / alpha below 0


@takes_tensor
def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """celu in place."""
    return celu(input, alpha, inplace=True)


@takes_tensor
def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """Gated linear unit: split x in halves a, b along dim; out = a * sigmoid(b)
    (Dauphin et al. 2016). Shape: (*, 2n, *) -> (*, n, *).

    Example:
        >>> import scratchish as sh
        >>> glu(sh.tensor([1.0, 0.0])).tolist()
        [0.5]
    """
    _not_tensor("glu", input)
    _need_float("glu", input)
    if input.ndim == 0:
        raise ShapeError("glu does not support scalars because the halving size must be even.")
    axis = _vector_dim("glu", dim, input.ndim)  # dim as given stays for the message
    size = input.shape[axis]
    if size % 2:
        raise ShapeError(
            f"glu: the halving dimension must be even, but dim {dim} of the input "
            f"{tuple(input.shape)} has size {size}. The layer before should give 2 * n features."
        )
    return Glu.apply(input, dim=axis)  # one fused op (ops/nn_ops.py)


@takes_tensor
def hardtanh(
    input: Tensor,  # noqa: A002
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    """out = clamp(x, min_val, max_val); the gradient is 1 strictly inside, 0 at the bounds
    and outside (as PyTorch, whose hardtanh differs from clamp only there)."""
    min_val = _number("hardtanh", "min_val", min_val)
    max_val = _number("hardtanh", "max_val", max_val)
    if min_val > max_val:
        raise ArgumentError(
            f"hardtanh: min_val ({min_val}) must be less than or equal to max_val ({max_val})."
        )
    if inplace:
        return _in_place(input, lambda x: hardtanh(x, min_val, max_val))
    _not_tensor("hardtanh", input)
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


@takes_tensor
def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """hardtanh in place."""
    return hardtanh(input, min_val, max_val, inplace=True)


@takes_tensor
def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """out = min(max(x, 0), 6) = hardtanh(x, 0, 6) (MobileNet's activation)."""
    return hardtanh(input, 0.0, 6.0, inplace)


@takes_tensor
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """out = relu6(x + 3) / 6: 0 below -3, 1 above 3, a line between (slope 1/6 strictly
    inside, 0 at -3 and 3, as PyTorch)."""
    _need_float("hardsigmoid", input)
    if inplace:
        return _in_place(input, hardsigmoid)
    _not_tensor("hardsigmoid", input)
    return Hardsigmoid.apply(input)


@takes_tensor
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """out = x * relu6(x + 3) / 6 (MobileNetV3): 0 up to -3, x from 3 on, x (x + 3) / 6
    between; the gradient at -3 is 0 and at 3 is 1, as PyTorch (ops/elementwise.py)."""
    _need_float("hardswish", input)
    if inplace:
        return _in_place(input, hardswish)
    _not_tensor("hardswish", input)
    return Hardswish.apply(input)


@takes_tensor
def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """out = x * tanh(softplus(x)) (Misra 2019); softplus(x) = -logsigmoid(-x), stable."""
    _need_float("mish", input)
    if inplace:
        return _in_place(input, mish)
    _not_tensor("mish", input)
    return input * (-LogSigmoid.apply(-input)).tanh()


@takes_tensor
def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """out = x / (1 + |x|)."""
    _not_tensor("softsign", input)
    return input / (input.abs() + 1)


@takes_tensor
def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """out = x - tanh(x)."""
    _not_tensor("tanhshrink", input)
    return input - Tanh.apply(input)


@takes_tensor
def threshold(
    input: Tensor,  # noqa: A002
    threshold: float,
    value: float,
    inplace: bool = False,
) -> Tensor:
    """out = x if x > threshold else value (gradient 1 where x > threshold, else 0)."""
    return _threshold(input, threshold, value, inplace)


def _threshold(x: Tensor, limit: float, value: float, inplace: bool) -> Tensor:
    # apart from threshold() because PyTorch names its argument like the function
    _not_tensor("threshold", x)
    limit, value = _number("threshold", "threshold", limit), _number("threshold", "value", value)
    # PyTorch's test is x <= threshold: a NaN is kept (and passes the gradient on)
    if inplace:
        return _in_place(x, lambda t: where(~(t.array <= limit), t, value))
    return where(~(x.array <= limit), x, value)


@takes_tensor
def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """threshold in place."""
    return _threshold(input, threshold, value, inplace=True)


@takes_tensor
def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """out = x if x > 0 else weight * x, with a learned slope per channel (dim 1) or one for
    all (He et al. 2015). Shape: weight (1,) or (C,) for input (N, C, *); slope w at 0."""
    _not_tensor("prelu", input)
    n_weights = weight.numel()
    if weight.ndim > 1:
        raise ShapeError(
            f"prelu: weight must be a scalar or 1-D tensor (one slope, or one per channel); got "
            f"shape {tuple(weight.shape)}."
        )
    slope = weight
    if n_weights != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if n_weights != channels:
            raise ShapeError(
                f"prelu: weight has {n_weights} slopes but the input {tuple(input.shape)} has "
                f"{channels} channels (dim 1). Use nn.PReLU(num_parameters={channels}), or "
                f"num_parameters=1 for one shared slope."
            )
        slope = weight.reshape(n_weights, *([1] * (input.ndim - 2)))
    elif weight.ndim == 1 and input.ndim == 0:
        slope = weight.reshape(())
    return where(input.array > 0, input, input * slope)


@takes_tensor
def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """leaky_relu in place."""
    return leaky_relu(input, negative_slope, inplace=True)


@takes_tensor
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """out = x where |x| > lambd, else 0 (gradient 0 on [-lambd, lambd], as PyTorch)."""
    _not_tensor("hardshrink", input)
    _need_float("hardshrink", input)
    lambd = _number("hardshrink", "lambd", lambd)
    # PyTorch's test is -lambd <= x <= lambd: a NaN is kept (and passes the gradient on)
    return where(~(np.abs(input.array) <= lambd), input, np.zeros_like(input.array))


@takes_tensor
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """out = x - lambd where x > lambd, x + lambd where x < -lambd, else 0 (the proximal step
    of the L1 penalty)."""
    _not_tensor("softshrink", input)
    _need_float("softshrink", input)
    if _number("softshrink", "lambd", lambd) < 0:
        raise ArgumentError(f"softshrink: lambd must be >= 0, but found {lambd}.")
    x = input.array
    shrunk = input - np.sign(x).astype(x.dtype) * lambd
    # PyTorch's: x * 0 inside [-lambd, lambd] (so -0.0 stays -0.0), and a NaN stays NaN
    with np.errstate(invalid="ignore"):  # inf * 0, outside the band anyway
        inside = x * x.dtype.type(0)
    return where(~(np.abs(x) <= lambd), shrunk, inside)


def _softmax_dim(ndim: int, dim, name: str):
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call "
        f"to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


@takes_tensor
def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:  # noqa: A002
    """out_i = exp(x_i) / sum_j exp(x_j) along dim."""
    x = input if dtype is None else input.to(dtype)
    return Softmax.apply(x, dim=_softmax_dim(x.ndim, dim, "softmax"))


@takes_tensor
def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:  # noqa: A002
    """out_i = x_i - log(sum_j exp(x_j)) along dim."""
    x = input if dtype is None else input.to(dtype)
    return LogSoftmax.apply(x, dim=_softmax_dim(x.ndim, dim, "log_softmax"))


@takes_tensor
def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:  # noqa: A002
    """out = softmax(-x) along dim: the largest weight on the smallest value."""
    x = input if dtype is None else input.to(dtype)
    return Softmax.apply(-x, dim=_softmax_dim(x.ndim, dim, "softmin"))


# ----------------------------------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------------------------------
@takes_tensor
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """out = x @ w.T + b. Shape: x (..., in), w (out, in), b (out,) -> (..., out); a 1-d
    w (in,) gives x @ w, shape (...,), as torch."""
    _need_tensors_or_none("linear", bias=bias)
    if weight.ndim not in (1, 2):
        raise ShapeError(
            f"linear: weight must be 2-d (out_features, in_features), or 1-d (in_features,), "
            f"got shape {tuple(weight.shape)}."
        )
    if input.array.dtype != weight.array.dtype:
        raise DTypeError(
            f"linear: the input is {input.dtype} but the weight is {weight.dtype}; they must "
            f"match. Convert the input (x.to({weight.dtype})) or the model "
            f"(model.to({input.dtype}))."
        )
    if weight.ndim == 1:  # a vector: matmul checks the sizes and names them
        return input @ weight if bias is None else input @ weight + bias
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


@takes_tensor
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """out[..., o] = sum_ij x1[..., i] * w[o, i, j] * x2[..., j] + b[o]: one bilinear form
    x1^T W_o x2 per output feature, built from einsum (no backward of its own).

    Shape: x1 (..., in1), x2 (..., in2) with the same leading dims, w (out, in1, in2),
    b (out,) -> (..., out).
    """
    for name, value in (("input2", input2), ("weight", weight), ("bias", bias)):
        if value is not None and not isinstance(value, Tensor):
            raise DTypeError(f"bilinear: {name} must be a Tensor, got {type(value).__name__}.")
    x1, x2, w = tuple(input1.shape), tuple(input2.shape), tuple(weight.shape)
    if len(w) != 3 or not x1 or not x2:
        raise ShapeError(
            f"bilinear: expected inputs of shape (..., in1) and (..., in2) and a weight of "
            f"shape (out, in1, in2), got {x1}, {x2} and {w}."
        )
    if x1[:-1] != x2[:-1]:
        raise ShapeError(
            f"bilinear: the inputs' leading (batch) dims must match: input1 {x1}, input2 "
            f"{x2}. Pair each sample of input1 with one of input2."
        )
    if (x1[-1], x2[-1]) != w[1:]:
        raise ShapeError(
            f"bilinear: inputs with {x1[-1]} and {x2[-1]} features do not fit a weight of "
            f"shape {w} (out, in1, in2). Did you mean nn.Bilinear({x1[-1]}, {x2[-1]}, {w[0]})?"
        )
    if bias is not None and tuple(bias.shape) != w[:1]:
        raise ShapeError(f"bilinear: bias must have shape ({w[0]},), got {tuple(bias.shape)}.")
    dtypes_seen = {t.array.dtype for t in (input1, input2, weight)}
    if len(dtypes_seen) > 1:
        raise DTypeError(
            f"bilinear: input1 ({input1.dtype}), input2 ({input2.dtype}) and the weight "
            f"({weight.dtype}) must have one dtype. Convert with .to({weight.dtype})."
        )
    out = _einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


@takes_tensor
def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,  # noqa: A002
    generator=None,
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p), so the
    expected value is unchanged; the identity when not training (or p = 0)."""
    p = _check_p("dropout", p)
    if not training or p == 0.0 or input.array.size == 0:
        return input
    _need_float("dropout", input)
    out = DropoutMask.apply(input, mask=_dropout_mask(input.shape, input.array.dtype, p, generator))
    if inplace:
        input.array, input.grad_fn = out.array, out.grad_fn
        input._requires_grad = out._requires_grad
        return input
    return out


def _dropout_mask(shape: tuple, dtype, p: float, generator=None) -> np.ndarray:
    """0 with probability p, else 1 / (1 - p), an array of `shape`: drawn as PyTorch draws it
    (bernoulli(1 - p) from the generator), so the same seed drops the same elements."""
    if p == 1.0:
        return np.zeros(shape, dtype=dtype)
    gen = generator_or_default(generator, "dropout")
    mask = gen.bernoulli(1.0 - p, shape, dtype=dtype)  # keep with probability 1 - p
    mask /= 1.0 - p
    return mask


def _check_p(name: str, p: float) -> float:
    """The dropout probability p, a number from 0 to 1."""
    if not 0.0 <= _number(name, "p", p) <= 1.0:
        raise ArgumentError(
            f"{name}: dropout probability has to be between 0 and 1, but got {p}; p is the "
            f"fraction of values dropped, e.g. p=0.1 (nn.Dropout's default is 0.5)."
        )
    return _number(name, "p", p)


def _noise_dropout(x: Tensor, p: float, noise_shape: tuple, alpha: bool, generator=None) -> Tensor:
    """PyTorch's dropout with a noise tensor of `noise_shape` (the input's shape, or one value
    per (sample, channel) for feature dropout) drawn as bernoulli(1 - p) from the generator,
    so that the same seed drops the same channels as PyTorch.

    Plain: out = x * noise / (1 - p). Alpha (for SELU networks, Klambauer et al. 2017): a
    dropped value becomes -alpha' = -1.7581 (where SELU saturates), then everything is scaled
    by a and shifted so that mean 0 and variance 1 are kept:
        out = a (x noise - alpha' (1 - noise)) + a alpha' p,  a = ((alpha'^2 p + 1)(1 - p))^-1/2
    computed in PyTorch's order: b = (noise - 1) a alpha' + a alpha' p; out = x (a noise) + b.
    """
    if p == 1.0:  # everything dropped (also for alpha dropout, as PyTorch)
        return x * np.zeros((), dtype=x.array.dtype)
    gen = generator_or_default(generator, "dropout")
    noise = gen.bernoulli(1.0 - p, noise_shape, dtype=x.array.dtype)
    if not alpha:
        return x * (noise / (1.0 - p))
    alpha_prime = 1.7580993408473766  # -(scale * alpha) of SELU: where SELU saturates
    a = 1.0 / math.sqrt((alpha_prime * alpha_prime * p + 1) * (1 - p))
    b = (noise - 1) * (alpha_prime * a) + alpha_prime * a * p
    return x * (noise * a) + b


def _feature_shape(x: Tensor, name: str = "feature dropout") -> tuple:
    """(N, C, 1, ..., 1): one noise value per sample and channel."""
    if x.ndim < 2:
        raise ShapeError(
            f"{name}: drops whole channels, so it needs at least 2 dims (N, C, ...), got shape "
            f"{tuple(x.shape)}. To drop single values use dropout."
        )
    return (x.shape[0], x.shape[1], *([1] * (x.ndim - 2)))


def _feature_dropout(x: Tensor, p, training, inplace, alpha: bool, name: str) -> Tensor:
    p = _check_p(name, p)
    if not training or p == 0.0 or x.numel() == 0:
        return x
    _need_float(name, x)
    shape = _feature_shape(x, name)
    if inplace:
        return _in_place(x, lambda t: _noise_dropout(t, p, shape, alpha))
    return _noise_dropout(x, p, shape, alpha)


@takes_tensor
def dropout1d(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Zero whole channels (each with probability p) of sequences and scale the rest by
    1 / (1 - p). Shape: (N, C, L) or (C, L)."""
    _not_tensor("dropout1d", input)
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
            f"{tuple(input.shape)}. dropout1d drops channels of sequences; for images use "
            f"dropout2d, for single values dropout."
        )
    return _maybe_batched_dropout("dropout1d", input, p, training, inplace, batched_ndim=3)


def _maybe_batched_dropout(name: str, x: Tensor, p, training, inplace, batched_ndim: int):
    """Feature dropout of a batch, or of one sample (one dim fewer) as a batch of one."""
    p = _check_p(name, p)
    if not training or p == 0.0 or x.numel() == 0:
        return x
    _need_float(name, x)
    _feature_shape(x if x.ndim == batched_ndim else x.unsqueeze(0), name)

    def drop(t: Tensor) -> Tensor:
        batched = t if t.ndim == batched_ndim else t.unsqueeze(0)
        out = _noise_dropout(batched, p, _feature_shape(batched), alpha=False)
        return out if t.ndim == batched_ndim else out.squeeze(0)

    return _in_place(x, drop) if inplace else drop(x)


@takes_tensor
def dropout2d(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Zero whole channels (feature maps) with probability p and scale the rest by
    1 / (1 - p) (Tompson et al. 2015): neighbouring pixels are correlated, so dropping single
    pixels hardly regularises a CNN. Shape: (N, C, H, W).

    As PyTorch, a 3-D input is read as (N, C, L) (with a warning), not as one image.
    """
    _not_tensor("dropout2d", input)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, False, "dropout2d")


@takes_tensor
def dropout3d(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Zero whole channels of volumes with probability p and scale the rest by 1 / (1 - p).
    Shape: (N, C, D, H, W) or (C, D, H, W)."""
    _not_tensor("dropout3d", input)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _maybe_batched_dropout("dropout3d", input, p, training, inplace, batched_ndim=5)


@takes_tensor
def alpha_dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Dropout for SELU networks: dropped values become SELU's saturation value and the
    result is rescaled so that mean 0 and variance 1 are kept. Note training=False by
    default, as PyTorch's function (nn.AlphaDropout passes its mode)."""
    _not_tensor("alpha_dropout", input)
    p = _check_p("alpha_dropout", p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    _need_float("alpha_dropout", input)
    if inplace:
        return _in_place(input, lambda t: _noise_dropout(t, p, tuple(t.shape), True))
    return _noise_dropout(input, p, tuple(input.shape), True)


@takes_tensor
def feature_alpha_dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """alpha_dropout of whole channels (one noise value per sample and channel)."""
    _not_tensor("feature_alpha_dropout", input)
    return _feature_dropout(input, p, training, inplace, True, "feature_alpha_dropout")


@takes_tensor
def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,  # noqa: A002
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """out = (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last
    len(normalized_shape) dims (biased variance). Fused: ops/nn_ops.py LayerNorm."""
    shape = _normalized_shape("layer_norm", input, normalized_shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (not isinstance(t, Tensor) or t.array.shape != shape):
            _need_tensors_or_none("layer_norm", **{name: t})
            raise ShapeError(
                f"layer_norm: {name} must have the shape of normalized_shape {shape}, got "
                f"{tuple(t.shape)}."
            )
    eps = _number("layer_norm", "eps", eps)
    if tuple(input.array.shape[input.ndim - len(shape) :]) != shape or input.ndim < len(shape):
        raise ShapeError(
            f"layer_norm: normalized_shape={list(shape)} must match the last dims of the input, "
            f"but the input has shape {tuple(input.shape)}. Set normalized_shape to the "
            f"feature size (usually input.shape[-1])."
        )
    return LayerNorm.apply(input, weight, bias, n_dims=len(shape), eps=eps)


@takes_tensor
def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,  # noqa: A002
    max_norm=None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """out = weight[input]: the row of the table for every index. Shape: input (*) of ints,
    weight (V, D) -> (*, D)."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise ArgumentError(
            "embedding: max_norm, scale_grad_by_freq and sparse are not supported in scratchish."
        )
    index = input.array if isinstance(input, Tensor) else np.asarray(input)
    if index.dtype.kind not in "iu":
        raise DTypeError(
            f"embedding: indices must be integers (int64), got {index.dtype}. Convert them "
            f"with x.long()."
        )
    n = weight.array.shape[0]
    if index.size and (index.min() < 0 or index.max() >= n):
        bad = int(index.min()) if index.min() < 0 else int(index.max())
        raise IndexOutOfRangeError(
            f"embedding: index {bad} is out of range for a table of {n} rows (valid 0.."
            f"{n - 1}). Is num_embeddings (the vocabulary size) too small?",
            card="embedding",
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return EmbeddingLookup.apply(weight, index=index, padding_idx=padding_idx)


@takes_tensor
def embedding_bag(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm=None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """The sum, mean or max of the table's rows for each bag of indices, without making the
    (bags, indices, D) array for the user: a 2-d input (B, N) is B bags of N; a 1-d input
    with `offsets` holds the bags one after another, bag i starting at offsets[i] (and
    include_last_offset=True: offsets ends with the input's length). An empty bag gives 0;
    the padding_idx entries are left out of the bag; per_sample_weights (mode 'sum' only)
    scale each row. Shape -> (B, D).

    Composed here of the lookup, a mask over the bags padded to one length, and the
    reduction, so the gradient comes from those ops (max: to each bag's first maximum).
    """
    if mode not in ("sum", "mean", "max"):
        raise ArgumentError(f"embedding_bag: mode must be 'sum', 'mean' or 'max', got {mode!r}.")
    if per_sample_weights is not None and mode != "sum":
        raise ArgumentError(
            f"embedding_bag: per_sample_weights work with mode='sum' only, got mode={mode!r}."
        )
    index = input.array
    if index.ndim == 2:
        if offsets is not None:
            raise ArgumentError(
                "embedding_bag: a 2-d input is one bag per row; give offsets only with a "
                "1-d input (the bags one after another)."
            )
        slots = np.arange(index.size).reshape(index.shape)  # bag i's slot j: input element
        valid = np.ones(index.shape, bool)
    elif index.ndim == 1:
        if offsets is None:
            raise ArgumentError(
                "embedding_bag: a 1-d input needs offsets, where each bag starts (e.g. "
                "offsets=sh.tensor([0]) for one bag), or give a 2-d input (bags, indices)."
            )
        starts = np.asarray(_value(offsets)).astype(np.int64).reshape(-1)
        ends = np.append(starts[1:], index.size)
        if include_last_offset:
            starts, ends = starts[:-1], starts[1:]
        bad = starts.size and (starts[0] != 0 or (np.diff(starts) < 0).any())
        if bad or (starts.size and starts[-1] > index.size):
            raise ArgumentError(
                f"embedding_bag: offsets must start at 0 and not decrease, within the input's "
                f"{index.size} indices; got {starts.tolist()}."
            )
        lengths = ends - starts
        width = int(lengths.max(initial=0))
        place = np.arange(width)
        valid = place < lengths[:, None]  # (bags, width): which slots hold an index
        slots = np.minimum(starts[:, None] + place, max(index.size - 1, 0))
    else:
        raise ShapeError(
            f"embedding_bag: input must be 2-d (bags, indices) or 1-d with offsets, got "
            f"shape {tuple(index.shape)}."
        )
    rows = index.reshape(-1)[slots] if index.size else np.zeros(valid.shape, np.int64)
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += weight.array.shape[0]
        valid = valid & (rows != padding_idx)
    rows = np.where(valid, rows, 0)  # the empty slots look up row 0, then weigh nothing
    found = embedding(
        Tensor._make(rows), weight, None, max_norm, norm_type, scale_grad_by_freq, sparse
    )
    mask = Tensor._make(valid[..., None].astype(weight.array.dtype))
    if mode == "max":
        lowest = np.array(-np.inf, weight.array.dtype)
        best = where(Tensor._make(valid[..., None]), found, Tensor._make(lowest)).max(dim=1).values
        zero = Tensor._make(np.zeros((), weight.array.dtype))  # an empty bag's max
        return where(Tensor._make(valid.any(axis=1)[:, None]), best, zero)
    if per_sample_weights is not None:  # one per input element: spread into the slots too
        mask = mask * per_sample_weights.reshape(-1)[Tensor._make(slots)].unsqueeze(-1)
    total = (found * mask).sum(dim=1)
    if mode == "sum":
        return total
    count = np.maximum(valid.sum(axis=1, keepdims=True), 1).astype(weight.array.dtype)
    return total / Tensor._make(count)  # an empty bag: 0 / 1


@takes_tensor
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """Move channels into space (Shi et al. 2016, sub-pixel convolution): each group of r * r
    channels becomes an r x r block of pixels. Shape: (*, C * r^2, H, W) -> (*, C, H r, W r).

    Example:
        >>> import scratchish as sh
        >>> pixel_shuffle(sh.arange(4.0).reshape(1, 4, 1, 1), 2).tolist()
        [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    _not_tensor("pixel_shuffle", input)
    r = _factor("pixel_shuffle", "upscale_factor", upscale_factor)
    if input.ndim < 3 or input.shape[-3] % (r * r):
        raise ShapeError(
            f"pixel_shuffle: expects (*, C * r^2, H, W) with the channels (dim -3) divisible "
            f"by upscale_factor^2 = {r * r}; got shape {tuple(input.shape)}."
        )
    *batch, channels, height, width = input.shape
    n = len(batch)
    x = input.reshape(*batch, channels // (r * r), r, r, height, width)
    # (*, C, r, r, H, W) -> (*, C, H, r, W, r): row offset next to H, column offset next to W
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*batch, channels // (r * r), height * r, width * r)


@takes_tensor
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """The inverse of pixel_shuffle: every r x r block of pixels becomes r * r channels.
    Shape: (*, C, H r, W r) -> (*, C * r^2, H, W)."""
    _not_tensor("pixel_unshuffle", input)
    r = _factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    if input.ndim < 3 or input.shape[-2] % r or input.shape[-1] % r:
        raise ShapeError(
            f"pixel_unshuffle: expects (*, C, H, W) with H and W divisible by "
            f"downscale_factor={r}; got shape {tuple(input.shape)}."
        )
    *batch, channels, height, width = input.shape
    n = len(batch)
    x = input.reshape(*batch, channels, height // r, r, width // r, r)
    # (*, C, H, r, W, r) -> (*, C, r, r, H, W)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, channels * r * r, height // r, width // r)


@takes_tensor
def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """Interleave the channels of `groups` groups (ShuffleNet, Zhang et al. 2017): with the
    channels seen as a (groups, C / groups) table, read them out column by column, so that
    the next grouped convolution mixes channels from every group. Shape: (N, C, *) -> the
    same, C divisible by groups; a copy (contiguous), as PyTorch's.

    Example:
        >>> import scratchish as sh
        >>> channel_shuffle(sh.arange(6.0).reshape(1, 6, 1), 2).flatten().tolist()
        [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    """
    _not_tensor("channel_shuffle", input)
    g = _whole_number("channel_shuffle", "groups", groups)
    if g < 1:
        raise ArgumentError(
            f"channel_shuffle: groups must be >= 1, got {groups}; e.g. groups=2 interleaves "
            f"the two halves of the channels."
        )
    if input.ndim < 3 or input.shape[1] % g:
        raise ShapeError(
            f"channel_shuffle: expects (N, C, *) with 3 or more dims and the channels (dim 1) "
            f"divisible by groups={g}; got shape {tuple(input.shape)}."
        )
    batch, channels, *rest = input.shape
    # (N, g, C / g, *) -> (N, C / g, g, *): the table transposed, then its rows joined again
    x = input.reshape(batch, g, channels // g, *rest).transpose(1, 2)
    return x.reshape(batch, channels, *rest).contiguous()


def _factor(name: str, argument: str, r) -> int:
    """pixel_shuffle's factor: a whole number >= 1."""
    if _whole_number(name, argument, r) < 1:
        raise ArgumentError(f"{name}: {argument} must be >= 1, got {r}; e.g. 2 doubles H and W.")
    return int(r)


@takes_tensor
def upsample(input: Tensor, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    """Deprecated in PyTorch (it warns): interpolate under its old name."""
    warnings.warn(
        "nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


@takes_tensor
def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:  # noqa: A002
    """Deprecated in PyTorch (it warns): interpolate(mode='nearest')."""
    warnings.warn(
        "nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


@takes_tensor
def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:  # noqa: A002
    """Deprecated in PyTorch (it warns): interpolate(mode='bilinear', align_corners=True)."""
    warnings.warn(
        "nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


@takes_tensor
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape (*tensor.shape, num_classes), 1 at each index, 0 elsewhere;
    num_classes=-1 means max(tensor) + 1."""
    index = tensor.array
    if index.dtype.kind not in "iu":
        raise DTypeError(
            f"one_hot: needs an integer tensor (class indices), got {index.dtype}; use t.long()."
        )
    if num_classes == -1:
        num_classes = int(index.max()) + 1 if index.size else 0
    if index.size and (index.min() < 0 or index.max() >= num_classes):
        bad = int(index.min()) if index.min() < 0 else int(index.max())
        raise IndexOutOfRangeError(
            f"one_hot: class index {bad} is out of range for "
            f"num_classes={num_classes} (valid 0..{num_classes - 1})."
        )
    out = np.zeros((*index.shape, num_classes), dtype=np.int64)
    np.put_along_axis(out, index[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._make(out)


@takes_tensor
def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """Pad the last dims by pad=(left, right, top, bottom, front, back ...), last dim first.

    mode: 'constant' (fill with value, 0 by default), 'reflect' (mirror, not repeating the
    edge), 'replicate' (repeat the edge value) or 'circular' (wrap around). The last three
    pad 1, 2 or 3 dims of a batched or unbatched input: (N, C, L) or (C, L) with 2 widths,
    (N, C, H, W) or (C, H, W) with 4, (N, C, D, H, W) or (C, D, H, W) with 6, as PyTorch.
    Negative widths crop in those modes. Where we differ: circular padding wider than what is
    left after cropping raises an error (PyTorch reads memory outside the input).

    Example:
        >>> import scratchish as sh
        >>> x = sh.tensor([[[1.0, 2.0, 3.0]]])
        >>> pad(x, (2, 1), mode="reflect").tolist()
        [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
        >>> pad(x, (2, 1), mode="replicate").tolist()
        [[[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]]]
        >>> pad(x, (2, 1), mode="circular").tolist()
        [[[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]]
    """
    if isinstance(pad, (list, tuple)):
        pad = tuple(pad)
    return _pad(input, pad, mode, 0.0 if value is None else _number("pad", "value", value))


def _attention_bias(attn_mask, is_causal: bool, n_q: int, n_k: int, dtype):
    """The float array added to the scores: 0 where attention is allowed, -inf where not.
    Boolean masks mean True = take part (SDPA's convention); float masks are added."""
    bias = None
    if is_causal:
        bias = causal_mask(n_q, n_k, np.dtype(dtype))
    if attn_mask is not None:
        m = attn_mask.array if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        m = np.where(m, 0.0, -np.inf).astype(dtype) if m.dtype == np.bool_ else m.astype(dtype)
        bias = m if bias is None else bias + m
    return bias


@takes_tensor
def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """softmax(q @ k^T * scale + bias) @ v, scale = 1 / sqrt(head_dim) by default.

    attn_mask: bool (True = may attend) or float (added to the scores), broadcastable to
    (..., L, S); is_causal: position i attends to positions <= i. Dropout is applied to the
    attention weights whenever dropout_p > 0 (as PyTorch's function: pass 0.0 in eval), with
    PyTorch's mask for the same seed. A query that may attend to no key gets out 0, as in
    PyTorch. One fused op (ScaledDotProductAttention in ops/nn_ops.py), tested against the
    composed matmul, softmax, dropout, matmul.

    Shape: q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev).
    """
    if not 0.0 <= dropout_p <= 1.0:
        raise ArgumentError(
            f"scaled_dot_product_attention: dropout_p={dropout_p} must be between 0 and 1."
        )
    n_q, n_k = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    causal = is_causal and attn_mask is None  # the op's own mask, made once per size
    bias = None if causal else _attention_bias(attn_mask, is_causal, n_q, n_k, query.array.dtype)
    keep = None
    if dropout_p > 0.0:  # one mask entry per attention weight, (..., L, S)
        shape = np.broadcast_shapes(query.shape[:-2], key.shape[:-2]) + (n_q, n_k)
        if bias is not None:
            shape = np.broadcast_shapes(shape, bias.shape)
        keep = _dropout_mask(shape, query.array.dtype, dropout_p)
    return ScaledDotProductAttention.apply(
        query, key, value, bias=bias, scale=scale, keep=keep, causal=causal
    )


# ----------------------------------------------------------------------------------------------
# normalisation and distances
# ----------------------------------------------------------------------------------------------
@takes_tensor
def normalize(
    input: Tensor,  # noqa: A002
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Tensor | None = None,
) -> Tensor:
    """out = x / max(||x||_p, eps) along dim: unit vectors (a zero vector stays zero).

    Example:
        >>> import scratchish as sh
        >>> normalize(sh.tensor([[3.0, 4.0]])).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """
    _not_tensor("normalize", input)
    dim = _vector_dim("normalize", dim, input.ndim)
    p, eps = _number("normalize", "p", p), _number("normalize", "eps", eps)
    result = input / input.norm(p, dim, keepdim=True).clamp(min=eps)
    if out is not None:
        out.copy_(result)
        return out
    return result


def _clamp_value_only(norm: Tensor, eps: float) -> Tensor:
    """max(norm, eps) in value, but with the gradient of norm itself: PyTorch clamps the norms
    of cosine_similarity in place under no_grad, so its gradient ignores the clamp."""
    short = norm.array < eps
    if not short.any():
        return norm
    # norm - norm (a constant) + eps: the value eps, the slope of norm
    return where(short, norm - norm.array + eps, norm)


@takes_tensor
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """out = sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along dim (the cosine of the
    angle between the vectors; 0 when one is zero). x1 and x2 broadcast.

    Shape: x1 (*1, D, *2), x2 broadcastable to it -> the broadcast shape without dim.

    Example:
        >>> import scratchish as sh
        >>> cosine_similarity(sh.tensor([[1.0, 0.0]]), sh.tensor([[1.0, 1.0]])).tolist()
        [0.7071067690849304]
    """
    _not_tensor("cosine_similarity", x1)
    _not_tensor("cosine_similarity", x2)
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise ShapeError(
            f"cosine_similarity: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} do not "
            f"broadcast; give them the same shape, or size 1 where one should be repeated."
        ) from None
    _vector_dim("cosine_similarity", dim, len(shape))
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = _clamp_value_only(x1.norm(2, dim, keepdim=True), eps)
    n2 = _clamp_value_only(x2.norm(2, dim, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


@takes_tensor
def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """out = ||x1 - x2 + eps||_p over the last dim (eps keeps the norm of equal rows off 0).

    Shape: x1 (N, D) or (D,), x2 broadcastable -> (N,) (or (N, 1) with keepdim).
    """
    _not_tensor("pairwise_distance", x1)
    _not_tensor("pairwise_distance", x2)
    try:
        diff = x1 - x2
    except ShapeError:
        raise ShapeError(
            f"pairwise_distance: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} do not "
            f"broadcast; both should be (N, D) (or one of them (D,) or (1, D))."
        ) from None
    p, eps = _number("pairwise_distance", "p", p), _number("pairwise_distance", "eps", eps)
    return _distance_norm(diff + eps, p, -1, keepdim)


@takes_tensor
def pdist(input: Tensor, p: float = 2.0) -> Tensor:  # noqa: A002
    """The p-norm distance between every pair of rows i < j, in row-major order of the pairs
    (the upper triangle of cdist, flattened). Shape: (N, M) -> (N (N - 1) / 2,)."""
    _not_tensor("pdist", input)
    if input.ndim != 2:
        raise ShapeError(
            f"pdist: the input must be 2-D (N rows of M features); got shape "
            f"{tuple(input.shape)}. For batches use torch.cdist, or loop over the batch."
        )
    rows, cols = np.triu_indices(input.shape[0], k=1)
    return _distance_norm(input[rows] - input[cols], _number("pdist", "p", p), 1, False)


def _distance_norm(diff: Tensor, p: float, dim: int, keepdim: bool) -> Tensor:
    """||diff||_p along dim with PyTorch's gradients where distances are 0 or tie: a zero
    difference (two equal rows) gets gradient 0 for every p, and for p = inf every element
    that reaches the maximum gets the full gradient (Tensor.amax would share it)."""
    if p == 2:
        return diff.norm(2, dim, keepdim)  # Norm2: gradient 0 at the zero vector already
    if p == 1:
        return diff.abs().sum(dim, keepdim)
    if p == math.inf:
        size = diff.abs()
        largest = size.amax(dim, keepdim=True).detach()
        reaching = size * (size.array == largest.array)  # the elements at the maximum
        # the value of the maximum, the slope of the sum over the elements that reach it
        out = reaching.sum(dim, keepdim=True) - reaching.sum(dim, keepdim=True).detach()
        out = out + largest
        return out if keepdim else out.squeeze(dim)
    if p <= 0:
        raise UnsupportedError(f"distance: p={p} is not supported; use p > 0 or float('inf').")
    total = (diff.abs() ** p).sum(dim, keepdim)  # sum |d|^p
    zero = total.array == 0
    # no (0)^(1/p - 1) = inf in the backward of an all-zero row: its distance is a constant 0
    root = where(zero, np.ones_like(total.array), total) ** (1.0 / p)
    return where(zero, np.zeros_like(total.array), root)


@takes_tensor
def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the C channels into num_groups groups and normalise each sample's group over
    its channels and positions (Wu & He 2018), then out = xhat * weight + bias per channel.

    The same statistics as layer_norm on the (N, G, C / G * spatial) view; one fused op.

    Shape: (N, C, *) -> same; weight, bias (C,).

    Example:
        >>> import scratchish as sh
        >>> group_norm(sh.tensor([[1.0, 3.0, 10.0, 20.0]]), 2).round(decimals=3).tolist()
        [[-1.0, 1.0, -1.0, 1.0]]
    """
    _check_batched("group_norm", input, 2, "(N, C, ...)")
    _need_tensors_or_none("group_norm", weight=weight, bias=bias)
    channels = input.shape[1]
    num_groups = _whole_number("group_norm", "num_groups", num_groups)
    if num_groups < 1 or channels % num_groups:
        raise ShapeError(
            f"group_norm: the {channels} channels of the input {tuple(input.shape)} cannot be "
            f"split into num_groups={num_groups} equal groups; num_groups must divide "
            f"{channels}."
        )
    eps = _number("group_norm", "eps", eps)
    flat = _per_channel(input, weight, bias)
    return GroupNormOp.apply(input, *flat, num_groups=num_groups, eps=eps)  # ops/conv.py


@takes_tensor
def rms_norm(
    input: Tensor,  # noqa: A002
    normalized_shape,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """out = x / sqrt(mean(x^2) + eps) * weight over the last len(normalized_shape) dims
    (Zhang & Sennrich 2019; LLaMA's norm): layer_norm without the mean and the bias.
    eps=None uses the machine epsilon of the input's dtype, as PyTorch.

    Shape: (*, *normalized_shape) -> same.

    Example:
        >>> import scratchish as sh
        >>> rms_norm(sh.tensor([[3.0, 4.0]]), (2,)).tolist()
        [[0.8485281467437744, 1.1313709020614624]]
    """
    _not_tensor("rms_norm", input)
    _need_float("rms_norm", input)
    shape = _normalized_shape("rms_norm", input, normalized_shape)
    _need_tensors_or_none("rms_norm", weight=weight)
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise ShapeError(
            f"rms_norm: normalized_shape={list(shape)} must match the last dims of the input, "
            f"but the input has shape {tuple(input.shape)}. Set normalized_shape to the "
            f"feature size (usually input.shape[-1])."
        )
    if eps is None:
        eps = float(np.finfo(input.array.dtype).eps)
    eps = _number("rms_norm", "eps", eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def _normalized_shape(name: str, input: Tensor, normalized_shape) -> tuple:  # noqa: A002
    """normalized_shape as a tuple of sizes; an int n means (n,). A tuple (nn.LayerNorm's)
    passes as it is: the comparison with the input's shape that follows checks it."""
    if type(normalized_shape) is tuple:  # the common case, fast
        return normalized_shape
    try:
        return tuple(_int_list(name, "normalized_shape", normalized_shape))
    except ArgumentError:
        raise ArgumentError(
            f"{name}: normalized_shape must be the sizes of the last dims to normalise over, "
            f"e.g. normalized_shape={tuple(input.shape[-1:])} for this input of shape "
            f"{tuple(input.shape)}; got {normalized_shape!r}."
        ) from None


def _check_batched(name: str, input: Tensor, min_dims: int, layout: str) -> None:  # noqa: A002
    """A tensor with a batch dim, a channel dim and at least min_dims dims in all."""
    _not_tensor(name, input)
    if input.ndim < min_dims:
        raise ShapeError(
            f"{name}: expected a {min_dims}-D or higher input {layout}, got shape "
            f"{tuple(input.shape)}. For one sample add the batch dim: x.unsqueeze(0)."
        )


def _channel_affine(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """x * weight + bias with one weight and bias per channel (dim 1)."""
    flat = _per_channel(x, weight, bias)
    if weight is None and bias is None:
        return x
    return ChannelAffine.apply(x, *flat)  # ops/conv.py: x * weight[c] + bias[c], fused


def _per_channel(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> list:
    """[weight, bias] flattened to (C,), each checked to hold one value per channel (dim 1)
    of x; None stays None."""
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != x.shape[1]:
            raise ShapeError(
                f"{name} must hold one value per channel: the input {tuple(x.shape)} has "
                f"{x.shape[1]} channels (dim 1), {name} has shape {tuple(t.shape)}."
            )
    return [None if t is None else t.reshape(-1) for t in (weight, bias)]


@takes_tensor
def instance_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise every channel of every sample over its positions (Ulyanov et al. 2016),
    then out = xhat * weight + bias per channel. As PyTorch: batch_norm on the input seen
    as one sample of N * C channels; the running statistics, when given, move towards the
    batch's mean of the instance means and unbiased variances.

    Shape: (N, C, L) or (N, C, H, W) -> same.
    """
    _check_batched("instance_norm", input, 3, "(N, C, L) or (N, C, H, W)")
    optional = {"running_mean": running_mean, "running_var": running_var, "weight": weight}
    _need_tensors_or_none("instance_norm", bias=bias, **optional)
    n, channels = input.shape[0], input.shape[1]
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ShapeError(
            f"instance_norm: expected more than 1 spatial element when training, got input "
            f"of shape {tuple(input.shape)}: one value has no variance."
        )
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != channels:
            raise ShapeError(
                f"instance_norm: {name} has {t.numel()} values but the input "
                f"{tuple(input.shape)} has {channels} channels in dim 1."
            )
    # as PyTorch: one channel per (sample, channel) pair, running statistics repeated
    repeated_mean = None if running_mean is None else running_mean.detach().repeat(n)
    repeated_var = None if running_var is None else running_var.detach().repeat(n)
    flat = input.reshape(1, n * channels, *input.shape[2:])
    out = batch_norm(
        flat,
        repeated_mean,
        repeated_var,
        training=use_input_stats,
        momentum=momentum,
        eps=eps,
    ).reshape(tuple(input.shape))
    for running, repeated in ((running_mean, repeated_mean), (running_var, repeated_var)):
        if running is not None and use_input_stats:
            running._note_write()
            running.array[...] = repeated.array.reshape(n, channels).mean(0)
    return _channel_affine(out, weight, bias)


@takes_tensor
def local_response_norm(
    input: Tensor,  # noqa: A002
    size: int,
    alpha: float = 1e-4,
    beta: float = 0.75,
    k: float = 1.0,
) -> Tensor:
    """out_c = x_c / (k + alpha / size * sum of x^2 over the `size` channels around c)^beta
    (AlexNet, Krizhevsky et al. 2012); channels past the edges count as zeros.

    Shape: (N, C, *) -> same.
    """
    _check_batched("local_response_norm", input, 3, "(N, C, L, ...)")
    if _whole_number("local_response_norm", "size", size) < 1:
        raise ArgumentError(f"local_response_norm: size must be >= 1 (channels), got {size}.")
    alpha, beta, k = (
        _number("local_response_norm", name, v)
        for name, v in (("alpha", alpha), ("beta", beta), ("k", k))
    )
    if input.numel() == 0:
        return input
    channels = input.shape[1]
    squares = input * input
    # zeros before and after along dim 1: size // 2 before, (size - 1) // 2 after
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = _pad(squares, tuple(widths), "constant", 0.0)
    window = padded[:, 0:channels]
    for offset in range(1, size):
        window = window + padded[:, offset : offset + channels]
    return input / (window * (alpha / size) + k) ** beta


# ----------------------------------------------------------------------------------------------
# losses
# ----------------------------------------------------------------------------------------------
_debug = os.environ.get("SCRATCHISH_DEBUG", "") not in ("", "0")
_loss_calls: Counter = Counter()


def set_debug(enabled: bool = True) -> None:
    """Check every loss for nan/inf and raise at the first one, naming the loss and its call
    number (also switched on by the environment variable SCRATCHISH_DEBUG=1)."""
    global _debug
    _debug = bool(enabled)


def is_debug() -> bool:
    return _debug


def _finish_loss(name: str, out: Tensor, input: Tensor) -> Tensor:  # noqa: A002
    """Count the call; in debug mode raise if the loss is not finite."""
    _loss_calls[name] += 1
    if _debug and not np.all(np.isfinite(out.array)):
        step = _loss_calls[name]
        source = (
            "the input already holds nan/inf, so it came from earlier: the model's output "
            "(look for a too-high learning rate, exploding gradients, log or sqrt of values "
            "<= 0, or a division by zero)"
            if not np.all(np.isfinite(input.array))
            else "the input is finite, so it arose inside the loss (log of 0 or of a "
            "negative probability, or a 'mean' over zero samples, e.g. every target "
            "equal to ignore_index)"
        )
        raise ArgumentError(
            f"{name}: the loss is {out.array.ravel()[~np.isfinite(out.array.ravel())][0]} at "
            f"call {step} of {name} (first non-finite loss; debug mode is on). Here {source}."
        )
    return out


def _check_reduction(name: str, reduction: str, size_average=None, reduce=None) -> str:
    """The reduction to use: `reduction`, or, when the old arguments size_average / reduce
    are given, what they meant (PyTorch's rule, with its deprecation warning): reduce=False
    keeps every loss ('none'), else size_average=False sums ('sum'), else 'mean'."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ArgumentError(
            f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}."
        )
    return reduction


def legacy_reduction(size_average, reduce, reduction: str = "mean") -> str:
    """`reduction`, unless the arguments PyTorch's losses took before it are given (both
    default True): then reduce=False -> 'none'; size_average=False -> 'sum'; else 'mean',
    with PyTorch's warning that they are deprecated, naming the reduction to write instead."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use "
        f"reduction='{reduction}' instead.",
        UserWarning,
        stacklevel=_callers_level(),
    )
    return reduction


def _callers_level() -> int:
    """warnings.warn's stacklevel for the first frame outside scratchish, so that a warning
    names the line of the program that made the call (a loss is reached through a module,
    a functional wrapper or both, so a fixed level would point inside scratchish)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    level, frame = 1, sys._getframe(1)  # level 1: the function that calls warnings.warn
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


@takes_tensor
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,  # noqa: A002
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy between logits and targets (class indices or probabilities).

    loss_i = -log softmax(x_i)[t_i]  (indices), or -sum_c t_ic log softmax(x_i)_c;
    weight rescales each class, ignore_index skips samples, label_smoothing mixes the target
    with the uniform distribution. Fused (ops/nn_ops.py CrossEntropy): one op, its backward
    (softmax - onehot) / N.

    Shape: input (N, C) or (N, C, d1, ...) or (C,); target (N,) / (N, d1, ...) / () of
    integers in [0, C), or floats of the input's shape.

    Example:
        >>> import scratchish as sh
        >>> x = sh.tensor([[2.0, 0.0, 0.0]])
        >>> round(cross_entropy(x, sh.tensor([0])).item(), 4)
        0.2395
    """
    reduction = _check_reduction("cross_entropy", reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(
            f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}."
        )
    target = target if isinstance(target, Tensor) else Tensor._make(np.asarray(target))
    _check_class_input("cross_entropy", input, target)
    _need_tensors_or_none("cross_entropy", weight=weight)
    w = None if weight is None else weight.array
    out = CrossEntropy.apply(
        input,
        target,
        w,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )
    return _finish_loss("cross_entropy", out, input)


def _check_class_input(name: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    shape, t_shape = tuple(input.shape), tuple(target.shape)
    if input.ndim == 0:
        raise ShapeError(f"{name}: input must have a class dimension, got a 0-d tensor.")
    n_classes = shape[0] if input.ndim == 1 else shape[1]
    index_shape = () if input.ndim == 1 else (shape[0], *shape[2:])
    if target.array.dtype.kind in "iu":
        if t_shape != index_shape:
            hint = ""
            if t_shape == (*index_shape, 1):
                hint = " The target has an extra dim of size 1: use target.squeeze(-1)."
            elif t_shape == shape:
                hint = (
                    " A target of the input's shape holds probabilities: make it float "
                    "(target.float()), or pass class indices target.argmax(1)."
                )
            raise ShapeError(
                f"{name}: for input of shape {shape} ({n_classes} classes on dim 1) the class "
                f"index target must have shape {index_shape}, got {t_shape}.{hint}"
            )
        return
    if target.array.dtype.kind != "f":
        raise DTypeError(
            f"{name}: target must hold class indices (int64) or probabilities "
            f"(float), got {target.dtype}."
        )
    if t_shape != shape:
        hint = ""
        if t_shape == index_shape:
            hint = " It looks like class indices stored as floats: convert with target.long()."
        raise ShapeError(
            f"{name}: a float target holds class probabilities and must have the input's "
            f"shape {shape}, got {t_shape}.{hint}"
        )
    if target.array.dtype != input.array.dtype:
        raise DTypeError(
            f"{name}: probability target is {target.dtype} but the input is "
            f"{input.dtype}; convert one of them."
        )


@takes_tensor
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,  # noqa: A002
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities: loss_i = -w[t_i] * input[i, t_i];
    'mean' divides by sum_i w[t_i] over the samples not ignored.

    Shape: input (N, C) or (N, C, d1, ...) or (C,), target (N, d1, ...) integers.
    """
    reduction = _check_reduction("nll_loss", reduction, size_average, reduce)
    _check_class_input("nll_loss", input, target)
    if target.array.dtype.kind not in "iu":
        raise DTypeError("nll_loss: target must hold class indices (int64).")
    n_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    t = target.array
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexOutOfRangeError(
            f"nll_loss: target holds class index {int(t[bad][0])}, but the input has "
            f"{n_classes} classes (valid indices 0..{n_classes - 1}).",
            card="cross-entropy",  # nll_loss is cross-entropy after log_softmax
        )
    t_safe = np.where(valid, t, 0)
    x = input if input.ndim > 1 else input.unsqueeze(0)
    t_safe = t_safe.reshape(x.shape[:1] + x.shape[2:])
    w_t = valid.astype(input.array.dtype).reshape(t_safe.shape)
    if weight is not None:
        w_t = weight.array[t_safe] * w_t
    out = NllLoss.apply(x, target=t_safe, w_t=w_t, reduction=reduction)  # one fused op
    if input.ndim == 1 and reduction == "none":
        out = out.reshape(())
    return _finish_loss("nll_loss", out, input)


def _check_same_shape(name: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{name}: the target shape {tuple(target.shape)} differs from the input shape "
            f"{tuple(input.shape)}; they broadcast, which is rarely intended (an (N, 1) "
            f"output against an (N,) target gives an (N, N) loss). Reshape one of them.",
            stacklevel=3,
        )


@takes_tensor
def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """Mean squared error: loss_i = (x_i - y_i)^2."""
    reduction = _check_reduction("mse_loss", reduction, size_average, reduce)
    _check_same_shape("mse_loss", input, target)
    diff = input - target
    return _finish_loss("mse_loss", _reduce(diff * diff, reduction), input)


@takes_tensor
def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """Mean absolute error: loss_i = |x_i - y_i|."""
    reduction = _check_reduction("l1_loss", reduction, size_average, reduce)
    _check_same_shape("l1_loss", input, target)
    return _finish_loss("l1_loss", _reduce((input - target).abs(), reduction), input)


@takes_tensor
def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,  # noqa: A002
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """loss_i = 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta, with d = x_i - y_i."""
    reduction = _check_reduction("smooth_l1_loss", reduction, size_average, reduce)
    _check_same_shape("smooth_l1_loss", input, target)
    if beta == 0:  # the quadratic part has no width: L1
        loss = (input - target).abs()
    else:
        loss = SmoothL1.apply(input, target, beta=float(beta))
    return _finish_loss("smooth_l1_loss", _reduce(loss, reduction), input)


@takes_tensor
def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,  # noqa: A002
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """loss_i = -w_i (y_i log x_i + (1 - y_i) log(1 - x_i)), x probabilities in [0, 1]; each
    log is clamped at -100 so that x = 0 or 1 gives a finite loss (as PyTorch)."""
    reduction = _check_reduction("binary_cross_entropy", reduction, size_average, reduce)
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(
            f"binary_cross_entropy: target shape {tuple(target.shape)} must equal the input "
            f"shape {tuple(input.shape)}. For an (N, 1) output use target.view(-1, 1) or "
            f"output.squeeze(1)."
        )
    x = input.array
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ArgumentError(
            f"binary_cross_entropy: all elements of input should be between 0 and 1 (it holds "
            f"{float(x.min()):.4g}..{float(x.max()):.4g}). If these are logits, use "
            f"binary_cross_entropy_with_logits (nn.BCEWithLogitsLoss), which is also more "
            f"stable; or apply sigmoid first."
        )
    loss = BinaryCrossEntropy.apply(input, target)  # PyTorch's formulas, its gradient too
    if weight is not None:
        loss = loss * weight
    return _finish_loss("binary_cross_entropy", _reduce(loss, reduction), input)


@takes_tensor
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,  # noqa: A002
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """BCE on logits, stable: loss_i = (1 - y) x - (1 + (pos_weight - 1) y) logsigmoid(x),
    times weight. pos_weight > 1 favours recall of the positive class."""
    reduction = _check_reduction(
        "binary_cross_entropy_with_logits", reduction, size_average, reduce
    )
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(
            f"binary_cross_entropy_with_logits: target shape {tuple(target.shape)} must equal "
            f"the input shape {tuple(input.shape)}. For an (N, 1) output use "
            f"target.view(-1, 1) or output.squeeze(1)."
        )
    _need_tensors_or_none("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    if isinstance(target, Tensor) and target.array.dtype.kind in "biu":
        target = target.to(input.dtype)  # 0/1 labels as the logits' floats (torch refuses them)
    loss = BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight)
    return _finish_loss("binary_cross_entropy_with_logits", _reduce(loss, reduction), input)


@takes_tensor
def kl_div(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence KL(target || model) with the model given as log-probabilities:
    loss_i = t_i (log t_i - x_i) (0 where t_i = 0), or exp(t_i) (t_i - x_i) when log_target.

    reduction='batchmean' (sum / batch size) is the true KL divergence per sample; 'mean'
    divides by every element and is kept only for PyTorch's sake (it warns, as PyTorch).
    Differs from PyTorch: at target 0 the target's gradient is -x (PyTorch's is nan).

    Shape: input (N, *) log-probabilities, target broadcastable (probabilities, or
    log-probabilities with log_target=True) -> scalar, or the broadcast shape for 'none'.

    Example:
        >>> import scratchish as sh
        >>> model, data = sh.tensor([[0.9, 0.1]]), sh.tensor([[0.5, 0.5]])
        >>> round(kl_div(model.log(), data, reduction="batchmean").item(), 4)
        0.5108
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ArgumentError(
            f"kl_div: reduction must be 'batchmean', 'mean', 'sum' or 'none', got {reduction!r}."
        )
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # t log t with 0 at t = 0: the log of a safe 1 there, so no 0 * -inf = nan
        t = target.array
        safe = where(t > 0, target, np.ones_like(t))
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        out = loss.sum() / (input.shape[0] if input.ndim else 1)
    else:
        out = _reduce(loss, reduction)
    return _finish_loss("kl_div", out, input)


@takes_tensor
def huber_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """loss_i = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta), d = x_i - y_i: squared
    near the target, linear far from it (= delta * smooth_l1_loss with beta = delta).

    Example:
        >>> import scratchish as sh
        >>> huber_loss(sh.tensor([0.5, 3.0]), sh.tensor([0.0, 0.0]), reduction="none").tolist()
        [0.125, 2.5]
    """
    _check_reduction("huber_loss", reduction)
    _check_same_shape("huber_loss", input, target)
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise ShapeError(
            f"huber_loss: weight must have the input's shape {tuple(input.shape)}, got "
            f"{tuple(weight.shape)}."
        )
    loss = SmoothL1.apply(input, target, beta=float(delta), huber=True)
    if weight is not None:
        loss = loss * weight
    return _finish_loss("huber_loss", _reduce(loss, reduction), input)


def _same_dims(name: str, *tensors: Tensor) -> None:
    if len({t.ndim for t in tensors}) > 1:
        shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
        raise ShapeError(
            f"{name}: all input tensors should have the same number of dims, but got shapes "
            f"{shapes}. Give the target the inputs' shape (e.g. target.view(-1))."
        )


@takes_tensor
def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """loss_i = max(0, -y_i (x1_i - x2_i) + margin), y = 1 when x1 should rank higher,
    -1 when x2 should."""
    reduction = _check_reduction("margin_ranking_loss", reduction, size_average, reduce)
    _same_dims("margin_ranking_loss", input1, input2, target)
    loss = (-target * (input1 - input2) + margin).clamp(min=0)
    return _finish_loss("margin_ranking_loss", _reduce(loss, reduction), input1)


@takes_tensor
def hinge_embedding_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """loss_i = x_i where y_i = 1, max(0, margin - x_i) where y_i = -1 (x usually a
    distance: similar pairs pull together, dissimilar ones apart up to the margin)."""
    reduction = _check_reduction("hinge_embedding_loss", reduction, size_average, reduce)
    t = target.array if isinstance(target, Tensor) else np.asarray(target)
    zeros = np.zeros(input.shape, dtype=input.array.dtype)
    # as PyTorch: a target that is neither 1 nor -1 gets both terms
    apart = where(t != 1, (margin - input).clamp(min=0), zeros)
    together = where(t != -1, input, zeros)
    return _finish_loss("hinge_embedding_loss", _reduce(apart + together, reduction), input)


@takes_tensor
def soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """loss_i = log(1 + exp(-y_i x_i)), y in {1, -1}: logistic loss (written as
    -logsigmoid(y x), which stays finite where PyTorch's log1p(exp(.)) overflows)."""
    reduction = _check_reduction("soft_margin_loss", reduction, size_average, reduce)
    _check_same_shape("soft_margin_loss", input, target)
    loss = -LogSigmoid.apply(input * target)
    return _finish_loss("soft_margin_loss", _reduce(loss, reduction), input)


@takes_tensor
def multilabel_soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy from logits for every class, averaged over the C classes:
    loss_n = -1/C sum_c w_c (y_nc logsigmoid(x_nc) + (1 - y_nc) logsigmoid(-x_nc)).

    Shape: input and target (N, C) (target 0/1 per class) -> (N,) for 'none', else scalar.
    """
    reduction = _check_reduction("multilabel_soft_margin_loss", reduction, size_average, reduce)
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(
            f"multilabel_soft_margin_loss: target shape {tuple(target.shape)} must equal the "
            f"input shape {tuple(input.shape)} (one 0/1 label per class)."
        )
    loss = -(target * LogSigmoid.apply(input) + (1 - target) * LogSigmoid.apply(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    return _finish_loss("multilabel_soft_margin_loss", _reduce(loss, reduction), input)


@takes_tensor
def multi_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss (the SVM loss of CS231n):
    loss_n = 1/C sum_{j != y_n} w_{y_n} max(0, margin - x_n[y_n] + x_n[j])^p, p = 1 or 2.

    Shape: input (N, C) or (C,), target (N,) or () class indices.
    """
    reduction = _check_reduction("multi_margin_loss", reduction, size_average, reduce)
    if p not in (1, 2):
        raise ArgumentError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p}.")
    if input.ndim not in (1, 2):
        raise ShapeError(
            f"multi_margin_loss: input must be (N, C) or (C,), got shape {tuple(input.shape)}."
        )
    x = input if input.ndim == 2 else input.unsqueeze(0)
    n_classes = x.shape[1]
    t = np.asarray(target.array if isinstance(target, Tensor) else target).reshape(-1)
    if t.dtype.kind not in "iu" or t.shape != (x.shape[0],):
        raise ShapeError(
            f"multi_margin_loss: target must hold one class index (int64) per sample, shape "
            f"({x.shape[0]},); got {t.dtype} of shape {tuple(np.shape(target))}."
        )
    if t.size and (t.min() < 0 or t.max() >= n_classes):
        bad = int(t.min()) if t.min() < 0 else int(t.max())
        raise IndexOutOfRangeError(
            f"multi_margin_loss: target holds class index {bad}, but the input has "
            f"{n_classes} classes (valid 0..{n_classes - 1})."
        )
    picked = x.gather(1, Tensor._make(t[:, None].astype(np.int64)))  # x_n[y_n], (N, 1)
    terms = Relu.apply(x - picked + margin)  # no gradient where the hinge is exactly 0, as PyTorch
    if p == 2:
        terms = terms * terms
    if weight is not None:
        terms = terms * weight.array[t][:, None]
    others = np.arange(n_classes) != t[:, None]  # leave out j = y_n
    loss = (terms * others.astype(x.array.dtype)).sum(1) / n_classes
    if input.ndim == 1:
        loss = loss.reshape(())
    return _finish_loss("multi_margin_loss", _reduce(loss, reduction), input)


@takes_tensor
def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """loss_i = 1 - cos(x1_i, x2_i) where y_i = 1, max(0, cos(x1_i, x2_i) - margin) where
    y_i = -1. The cosine is sum(x1 x2) / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12)), as PyTorch.

    Shape: input1, input2 (N, D) or (D,), target (N,) or () of 1 and -1.
    """
    reduction = _check_reduction("cosine_embedding_loss", reduction, size_average, reduce)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise ShapeError(
            f"cosine_embedding_loss: input1 and input2 must both be (N, D) or (D,), got "
            f"{tuple(input1.shape)} and {tuple(input2.shape)}."
        )
    if target.ndim != input1.ndim - 1:
        raise ShapeError(
            f"cosine_embedding_loss: for inputs {tuple(input1.shape)} the target must be "
            f"{'(N,)' if input1.ndim == 2 else '0-D'} (one 1 or -1 per pair), got "
            f"{tuple(target.shape)}."
        )
    dim = input1.ndim - 1
    tiny = 1e-12
    norms = ((input1 * input1).sum(dim) + tiny) * ((input2 * input2).sum(dim) + tiny)
    cos = (input1 * input2).sum(dim) / norms.sqrt()
    t = target.array
    zeros = np.zeros(cos.shape, dtype=cos.array.dtype)
    loss = where(t == 1, 1 - cos, zeros) + where(t == -1, (cos - margin).clamp(min=0), zeros)
    return _finish_loss("cosine_embedding_loss", _reduce(loss, reduction), input1)


@takes_tensor
def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """loss_i = max(0, d(a_i, p_i) - d(a_i, n_i) + margin), d = pairwise_distance(., ., p, eps):
    the anchor should be nearer the positive than the negative by the margin (FaceNet).
    swap=True uses min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016).

    Shape: (N, D) or (D,) each -> (N,) for 'none', else scalar.
    """
    reduction = _check_reduction("triplet_margin_loss", reduction, size_average, reduce)
    if margin <= 0:
        raise ArgumentError(f"triplet_margin_loss: margin must be greater than 0, got {margin}.")
    if not (anchor.ndim == positive.ndim == negative.ndim) or anchor.ndim not in (1, 2):
        raise ShapeError(
            f"triplet_margin_loss: anchor, positive and negative must all be (N, D) or (D,); "
            f"got {tuple(anchor.shape)}, {tuple(positive.shape)} and {tuple(negative.shape)}."
        )
    distance = functools.partial(pairwise_distance, p=p, eps=eps)
    loss = _triplet_hinge(anchor, positive, negative, distance, margin, swap)
    return _finish_loss("triplet_margin_loss", _reduce(loss, reduction), anchor)


def _triplet_hinge(anchor, positive, negative, distance, margin: float, swap: bool) -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin), with d(a, n) replaced by min(d(a, n), d(p, n))
    when swap."""
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance(positive, negative))
    return (dist_pos - dist_neg + margin).clamp(min=0)


@takes_tensor
def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """triplet_margin_loss with any distance: distance_function(x1, x2) -> (N,) distances
    (default pairwise_distance), e.g. lambda a, b: 1 - F.cosine_similarity(a, b)."""
    _check_reduction("triplet_margin_with_distance_loss", reduction)
    if margin <= 0:
        raise ArgumentError(
            f"triplet_margin_with_distance_loss: margin must be greater than 0, got {margin}."
        )
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise ShapeError(
            f"triplet_margin_with_distance_loss: anchor, positive and negative must have the "
            f"same number of dims; got {tuple(anchor.shape)}, {tuple(positive.shape)} and "
            f"{tuple(negative.shape)}."
        )
    distance = pairwise_distance if distance_function is None else distance_function
    loss = _triplet_hinge(anchor, positive, negative, distance, margin, swap)
    return _finish_loss("triplet_margin_with_distance_loss", _reduce(loss, reduction), anchor)


@takes_tensor
def multilabel_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-label hinge loss: every true class should score at least 1 above every other:
    loss_n = 1/C sum_{j in labels_n} sum_{i not in labels_n} max(0, 1 - (x_n[j] - x_n[i])).
    The target row lists the labels' indices first and ends them with -1 (as PyTorch):
    [3, 0, -1, 1] means classes 3 and 0.

    Shape: input (N, C) or (C,), target of the same shape, int64 -> (N,) for 'none'.
    """
    reduction = _check_reduction("multilabel_margin_loss", reduction, size_average, reduce)
    if input.ndim not in (1, 2) or tuple(target.shape) != tuple(input.shape):
        raise ShapeError(
            f"multilabel_margin_loss: input must be (N, C) or (C,) and the target the same "
            f"shape; got {tuple(input.shape)} and {tuple(target.shape)}."
        )
    x = input if input.ndim == 2 else input.unsqueeze(0)
    t = np.asarray(target.array).reshape(x.shape)
    if t.dtype.kind not in "iu":
        raise DTypeError("multilabel_margin_loss: target must hold class indices (int64).")
    n_classes = x.shape[1]
    # a label counts up to the first -1 of its row
    listed = np.cumprod(t != -1, axis=1).astype(bool)
    if np.any(listed & ((t < 0) | (t >= n_classes))):
        bad = int(t[listed & ((t < 0) | (t >= n_classes))][0])
        raise IndexOutOfRangeError(
            f"multilabel_margin_loss: target holds class index {bad}, but the input has "
            f"{n_classes} classes (valid 0..{n_classes - 1}; -1 ends a row's labels)."
        )
    safe = np.where(listed, t, 0).astype(np.int64)
    # mark the labels; the unlisted slots write into an extra column that is dropped
    is_label = np.zeros((x.shape[0], n_classes + 1), dtype=bool)
    np.put_along_axis(is_label, np.where(listed, t, n_classes).astype(np.int64), True, axis=1)
    is_label = is_label[:, :n_classes]
    scores = x.gather(1, Tensor._make(safe))  # (N, C): x_n[label_j] in the listed slots
    # (N, J, 1) against (N, 1, C): each listed label against every class
    hinge = Relu.apply(1 - scores.unsqueeze(2) + x.unsqueeze(1))
    pairs = (listed[:, :, None] & ~is_label[:, None, :]).astype(x.array.dtype)
    loss = (hinge * pairs).sum((1, 2)) / n_classes
    if input.ndim == 1:
        loss = loss.reshape(())
    return _finish_loss("multilabel_margin_loss", _reduce(loss, reduction), input)


@takes_tensor
def poisson_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of counts y under a Poisson of rate lambda:
    loss_i = exp(x_i) - y_i x_i with log_input (x = log lambda), else x_i - y_i log(x_i + eps);
    full adds Stirling's y log y - y + 0.5 log(2 pi y) for y > 1: torch's approximation of
    log(y!), kept for the same values (the exact log(y!) is sh.lgamma(y + 1), larger by about
    1 / (12 y))."""
    reduction = _check_reduction("poisson_nll_loss", reduction, size_average, reduce)
    _check_same_shape("poisson_nll_loss", input, target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        t = target.array
        safe = where(t > 1, target, np.ones_like(t))  # no log of 0 where the term is dropped
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        loss = loss + where(t > 1, stirling, np.zeros_like(t))
    return _finish_loss("poisson_nll_loss", _reduce(loss, reduction), input)


@takes_tensor
def gaussian_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of y under a Gaussian of mean x and variance var:
    loss_i = 0.5 (log max(var_i, eps) + (x_i - y_i)^2 / max(var_i, eps)) (+ 0.5 log(2 pi)
    with full). The clamp at eps changes the value only, not the gradient, as PyTorch.

    Shape: input (N, *), target like input, var like input, or one dim short / size 1 in the
    last dim (one variance for all features), or a float.
    """
    _check_reduction("gaussian_nll_loss", reduction)
    if not isinstance(var, Tensor):
        var = _number("gaussian_nll_loss", "var", var)
        var = Tensor._make(np.full(input.shape, var, dtype=input.array.dtype))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # one variance per sample: broadcast over the features
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ShapeError(
                f"gaussian_nll_loss: var is of incorrect size {tuple(var.shape)} for input "
                f"{tuple(input.shape)}: give it the input's shape, or the input's shape with "
                f"the last dim 1 or left out."
            )
    if np.any(var.array < 0):
        raise ArgumentError(
            "gaussian_nll_loss: var has negative entries; a variance is >= 0. Produce it "
            "with softplus or exp of the model's output."
        )
    var = _clamp_value_only(var, eps)
    diff = input - target
    loss = (var.log() + diff * diff / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _finish_loss("gaussian_nll_loss", _reduce(loss, reduction), input)


def __getattr__(name: str):
    # a PyTorch name this module lacks raises a teaching error, not a bare AttributeError
    from .. import compat

    return compat.unsupported_attribute("torch.nn.functional", name)
