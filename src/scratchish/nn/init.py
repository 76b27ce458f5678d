"""Weight initialisers (torch.nn.init): fill a tensor in place and return it.

Each draws through scratchish.random (the default generator unless `generator=` is given) in
the same order as PyTorch, so the same seed gives the same weights. They change the array
directly, so they record nothing in the graph (as under no_grad). The layers in this package
call them in reset_parameters(). Read next: module.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..errors import ArgumentError, ShapeError
from ..random import default_generator
from ..tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _gen(generator):
    return default_generator if generator is None else generator


def _fill_uniform(tensor: Tensor, low: float, high: float, generator) -> Tensor:
    a = tensor.array
    tensor._note_write()
    a[...] = _gen(generator).uniform(a.shape, low, high, dtype=a.dtype)
    return tensor


def _fill_normal(tensor: Tensor, mean: float, std: float, generator) -> Tensor:
    a = tensor.array
    tensor._note_write()
    a[...] = _gen(generator).normal(a.shape, mean, std, dtype=a.dtype)
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for an activation: the factor that keeps the variance of the
    activations steady through a layer.

    linear, conv, sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);  selu: 3/4;
    leaky_relu: sqrt(2 / (1 + negative_slope^2)), negative_slope = param (default 0.01).

    Example:
        >>> round(calculate_gain("relu"), 4)
        1.4142
    """
    linear = (
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    )
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ArgumentError(f"calculate_gain: negative_slope {param!r} is not a number.")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ArgumentError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of linear, "
        f"sigmoid, tanh, relu, leaky_relu, selu, conv1d/2d/3d."
    )


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in = size(1) * receptive field, fan_out = size(0) * receptive field, where the
    receptive field is the product of the sizes after the first two (1 for a Linear weight
    (out, in), kh * kw for a Conv2d weight (out, in, kh, kw))."""
    if tensor.ndim < 2:
        raise ShapeError(
            f"fan in and fan out need a tensor with at least 2 dimensions (a weight), got "
            f"shape {tuple(tensor.shape)}. Biases are initialised with uniform_ or zeros_."
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ArgumentError(f"mode {mode!r} is not supported; use 'fan_in' or 'fan_out'.")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with values drawn from U(a, b).

    Example:
        >>> import scratchish as sh
        >>> _ = sh.manual_seed(0)
        >>> uniform_(sh.empty(3))
        tensor([0.4963, 0.7682, 0.0885])
    """
    return _fill_uniform(tensor, a, b, generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with values drawn from N(mean, std^2)."""
    return _fill_normal(tensor, mean, std, generator)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator=None,
) -> Tensor:
    """Fill with N(mean, std^2) values conditioned on [a, b], by rejection (PyTorch 2.13's
    algorithm, the same draws):
    - if the mass p = Phi((b - mean) / std) - Phi((a - mean) / std) > 0.3: draw normals and
      redraw (a whole fresh normal tensor each round) where a value fell outside [a, b];
    - else: propose v ~ U(a, b), accept when log(u) <= -((v - mean) / std)^2 / 2 - log_peak
      with u ~ U(0, 1) and log_peak the log-density at the mode, until all are accepted.
    Equal to PyTorch's where NumPy's float32 log rounds as PyTorch's (almost always).
    """

    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    gen, arr = _gen(generator), tensor.array
    dtype, shape = arr.dtype, arr.shape
    if norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std) > 0.3:
        low, high = dtype.type(a), dtype.type(b)
        result = gen.normal(shape, mean, std, dtype=dtype)
        while True:
            outside = (result < low) | (result > high)
            if not outside.any():
                break
            result = np.where(outside, gen.normal(shape, mean, std, dtype=dtype), result)
    else:
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2

        def log_density(v):  # relative to the peak, in the tensor's dtype
            return ((v - mean) / std) ** 2 * -0.5 - log_peak

        result = gen.uniform(shape, a, b, dtype=dtype)
        pending = np.log(gen.uniform(shape, dtype=dtype)) > log_density(result)
        while pending.any():
            proposal = gen.uniform(shape, a, b, dtype=dtype)
            result = np.where(pending, proposal, result)
            rejected = np.log(gen.uniform(shape, dtype=dtype)) > log_density(proposal)
            pending = np.where(pending, rejected, pending)
    tensor._note_write()
    arr[...] = result
    return tensor


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value `val`."""
    tensor._note_write()
    tensor.array[...] = val
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise ShapeError(f"eye_: needs a 2-D tensor, got shape {tuple(tensor.shape)}.")
    tensor._note_write()
    tensor.array[...] = np.eye(*tensor.array.shape, dtype=tensor.array.dtype)
    return tensor


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot & Bengio (2010): U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out))
    (written sqrt(3) * std with std = gain * sqrt(2 / (fan_in + fan_out)), as PyTorch)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _fill_uniform(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot & Bengio (2010): N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _fill_normal(tensor, 0.0, std, generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He et al. (2015): U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan),
    gain = calculate_gain(nonlinearity, a), fan = fan_in or fan_out (`mode`).

    nn.Linear uses a = sqrt(5): gain = sqrt(2 / 6), so bound = 1 / sqrt(fan_in).
    """
    if 0 in tensor.shape:
        return tensor  # nothing to fill (PyTorch warns)
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return _fill_uniform(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He et al. (2015): N(0, std^2), std = gain / sqrt(fan), gain = calculate_gain(
    nonlinearity, a)."""
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return _fill_normal(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Saxe et al. (2013): a (semi-)orthogonal matrix, times gain.

    The tensor is seen as a matrix W of shape (rows, cols) = (size(0), numel / size(0)). As
    PyTorch: draw A ~ N(0, 1) of that shape (transposed if rows < cols), factor A = QR, and
    multiply each column of Q by the sign of R's diagonal, which makes Q uniformly
    distributed over orthogonal matrices (Mezzadri, 2007). Then W W^T = gain^2 I when rows <=
    cols, and W^T W = gain^2 I when rows >= cols.

    Args:
        tensor: an n-dimensional tensor, n >= 2 (a conv weight is flattened per out channel).
        gain: the scaling factor (default 1).
        generator: the random generator (default: scratchish's default generator).

    Example:
        >>> import scratchish as sh
        >>> w = sh.nn.init.orthogonal_(sh.empty(3, 5))
        >>> (w @ w.T).allclose(sh.eye(3), atol=1e-6)
        True
    """
    if tensor.ndim < 2:
        raise ShapeError(
            f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape "
            f"{tuple(tensor.shape)}. For a vector use normal_ or uniform_."
        )
    if tensor.array.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.array.size // rows
    flattened = _gen(generator).normal((rows, cols), 0.0, 1.0, dtype=tensor.array.dtype)
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    q *= np.sign(np.diag(r))  # column j times sign(R[j, j])
    if rows < cols:
        q = q.T
    tensor._note_write()
    tensor.array[...] = q.reshape(tensor.array.shape)
    tensor.array *= gain
    return tensor


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Martens (2010): N(0, std^2) with ceil(sparsity * rows) zeros in every column.

    As PyTorch, the values come from `generator` and the rows to zero from the DEFAULT
    generator (torch.randperm is called without the generator), one permutation per column.

    Args:
        tensor: a 2-D tensor (rows, cols).
        sparsity: the fraction of each column set to zero.
        std: the standard deviation of the non-zero values (default 0.01).
        generator: the random generator of the values.

    Example:
        >>> import scratchish as sh
        >>> w = sh.nn.init.sparse_(sh.empty(10, 4), sparsity=0.3)
        >>> (w == 0).sum(0).tolist()     # ceil(0.3 * 10) zeros in each column
        [3, 3, 3, 3]
    """
    if tensor.ndim != 2:
        raise ShapeError(
            f"sparse_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}. It "
            f"zeroes a fraction of each column of a (rows, cols) weight matrix."
        )
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    _fill_normal(tensor, 0.0, std, generator)
    for col in range(cols):
        zero_rows = default_generator.randperm(rows)[:num_zeros]
        tensor.array[zero_rows, col] = 0
    return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The identity convolution: a conv with this weight (and padding that keeps the size)
    copies its first min(out_channels / groups, in_channels) input channels to its output,
    in each group. All zeros except w[g * out_per_group + d, d, centre...] = 1.

    Args:
        tensor: a 3-, 4- or 5-D conv weight (out_channels, in_channels / groups, *kernel).
        groups: the number of groups of the conv (default 1).

    Example:
        >>> import scratchish as sh
        >>> w = sh.nn.init.dirac_(sh.empty(2, 2, 3, 3))
        >>> x = sh.randn(1, 2, 5, 5)
        >>> sh.nn.functional.conv2d(x, w, padding=1).allclose(x)
        True
    """
    if tensor.ndim not in (3, 4, 5):
        raise ShapeError(
            f"dirac_: only tensors with 3, 4 or 5 dimensions (conv weights) are supported, "
            f"got shape {tuple(tensor.shape)}. For a matrix use eye_."
        )
    sizes = tensor.shape
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ArgumentError(f"dirac_: groups={groups!r} must be a whole number >= 1.")
    if sizes[0] % groups != 0:
        raise ShapeError(
            f"dirac_: dim 0 ({sizes[0]} out channels) must be divisible by groups={groups}."
        )
    out_per_group = sizes[0] // groups
    centre = tuple(n // 2 for n in sizes[2:])
    tensor._note_write()
    tensor.array[...] = 0
    for g in range(groups):
        for d in range(min(out_per_group, sizes[1])):
            tensor.array[(g * out_per_group + d, d, *centre)] = 1
    return tensor


def _deprecated(init_):
    """PyTorch's old name without the underscore (nn.init.normal): warns, then calls init_."""
    old, new = init_.__name__[:-1], init_.__name__

    def deprecated_init(*args, **kwargs):
        warnings.warn(
            f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new}`.",
            FutureWarning,
            stacklevel=2,
        )
        return init_(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = old
    deprecated_init.__doc__ = f"{old}(...): deprecated (as in PyTorch); use nn.init.{new}."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)


def __getattr__(name: str):
    # a PyTorch name this module lacks raises a teaching error, not a bare AttributeError
    from .. import compat

    return compat.unsupported_attribute("torch.nn.init", name)
