"""PyTorch's function forms of tensor methods: `sh.exp(x)` is `x.exp()`, and so on.

Each is one line calling the method, so there is one implementation of every op; the few
that torch has only as functions (searchsorted, bucketize, meshgrid, ...) are written here.
Read next: tensor.py for the methods themselves.
"""

from __future__ import annotations

import builtins
import itertools
import string

import numpy as np

from . import dtypes
from .errors import ArgumentError, DTypeError, ShapeError, UnsupportedError
from .ops.matmul import Einsum
from .tensor import (
    Tensor,
    _broadcast_shape,
    _check_dim,
    _dims,
    _int_list,
    _number,
    _number_dtype,
    _promoted_dtype,
    _value,
    not_a_tensor,
    takes_tensor,
)

_NUMBERS = (builtins.int, builtins.float)


def _number_first(name: str, input, other) -> Tensor:  # noqa: A002
    """input as a tensor where torch takes a number first (torch.floor_divide(7, t)): a 0-d
    tensor of other's dtype (the default float if the number is a float and other holds ints)."""
    if isinstance(input, Tensor):
        return input
    if isinstance(input, _NUMBERS) and isinstance(other, Tensor):
        kind = other.array.dtype
        if isinstance(input, builtins.float) and kind.kind != "f":
            kind = dtypes.get_default_dtype().np
        return Tensor._make(np.asarray(input, dtype=kind))
    raise DTypeError(not_a_tensor(name, "input", input))


def _into(result: Tensor, out: Tensor | None) -> Tensor:
    """PyTorch's `out=`: write the result into the tensor `out` and return it. Like PyTorch,
    out= records no graph, so it is refused when the result needs a gradient."""
    if out is None:
        return result
    if result.requires_grad:
        raise ArgumentError(
            "out=: functions with out= do not support autograd, but an input requires grad. "
            "Assign the result instead (y = torch.add(a, b)), or compute it under no_grad."
        )
    if out.array.shape != result.array.shape:  # PyTorch resizes out to the result's shape
        out.array = result.array.astype(out.array.dtype)
        return out
    out._note_write()
    try:
        np.copyto(out.array, result.array, casting="same_kind")  # in place: views see it
    except TypeError:
        raise DTypeError(
            f"out=: the result is {result.dtype}, which cannot be stored in out's "
            f"{out.dtype}. Pass an out tensor of dtype {result.dtype}."
        ) from None
    return out


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


@takes_tensor
def numel(x: Tensor) -> int:
    return x.numel()


@takes_tensor
def exp(input: Tensor, *, out=None) -> Tensor:  # noqa: A002 - PyTorch's argument names throughout
    return _into(input.exp(), out)


@takes_tensor
def log(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.log(), out)


@takes_tensor
def log10(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.log10(), out)


@takes_tensor
def log2(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.log2(), out)


@takes_tensor
def sqrt(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.sqrt(), out)


@takes_tensor
def rsqrt(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.rsqrt(), out)


@takes_tensor
def square(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.square(), out)


@takes_tensor
def sin(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.sin(), out)


@takes_tensor
def cos(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.cos(), out)


@takes_tensor
def tanh(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.tanh(), out)


@takes_tensor
def sigmoid(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.sigmoid(), out)


@takes_tensor
def relu(input: Tensor) -> Tensor:  # noqa: A002
    return input.relu()


@takes_tensor
def abs(input: Tensor, *, out=None) -> Tensor:  # noqa: A002, A001
    return _into(input.abs(), out)


@takes_tensor
def sign(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.sign(), out)


def pow(input: Tensor, exponent, *, out=None) -> Tensor:  # noqa: A002, A001
    if isinstance(input, Tensor):
        return _into(input.pow(exponent), out)
    if isinstance(input, _NUMBERS) and isinstance(exponent, Tensor):
        return _into(input**exponent, out)  # torch.pow(2, t): a number as the base
    raise DTypeError(not_a_tensor("pow", "input", input))


@takes_tensor
def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:  # noqa: A002, A001
    return _into(input.clamp(min, max), out)


clip = clamp


@takes_tensor
def maximum(input: Tensor, other: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.maximum(other), out)


@takes_tensor
def minimum(input: Tensor, other: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.minimum(other), out)


def add(input: Tensor, other, *, alpha=1, out=None) -> Tensor:  # noqa: A002
    return _into(input + (other if alpha == 1 else other * alpha), out)


def sub(input: Tensor, other, *, alpha=1, out=None) -> Tensor:  # noqa: A002
    return _into(input - (other if alpha == 1 else other * alpha), out)


def mul(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input * other, out)


def div(input: Tensor, other, *, rounding_mode=None, out=None) -> Tensor:  # noqa: A002
    return _into(_number_first("div", input, other).div(other, rounding_mode=rounding_mode), out)


divide = div


@takes_tensor
def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.matmul(other), out)


@takes_tensor
def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.mm(mat2), out)


@takes_tensor
def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.bmm(mat2), out)


@takes_tensor
def sum(input: Tensor, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor:  # noqa: A002, A001
    return _into(input.sum(dim, keepdim, dtype), out)


@takes_tensor
def mean(input: Tensor, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor:  # noqa: A002
    return _into(input.mean(dim, keepdim, dtype), out)


@takes_tensor
def var(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    return input.var(dim, unbiased, keepdim, correction=correction)


@takes_tensor
def std(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    return input.std(dim, unbiased, keepdim, correction=correction)


@takes_tensor
def max(input: Tensor, dim=None, keepdim=False):  # noqa: A002, A001
    return input.max(dim, keepdim)


@takes_tensor
def min(input: Tensor, dim=None, keepdim=False):  # noqa: A002, A001
    return input.min(dim, keepdim)


@takes_tensor
def amax(input: Tensor, dim=None, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.amax(dim, keepdim), out)


@takes_tensor
def amin(input: Tensor, dim=None, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.amin(dim, keepdim), out)


@takes_tensor
def argmax(input: Tensor, dim=None, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.argmax(dim, keepdim), out)


@takes_tensor
def argmin(input: Tensor, dim=None, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.argmin(dim, keepdim), out)


@takes_tensor
def logsumexp(input: Tensor, dim, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.logsumexp(dim, keepdim), out)


@takes_tensor
def softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return input.softmax(dim)


@takes_tensor
def log_softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return input.log_softmax(dim)


@takes_tensor
def topk(input: Tensor, k: int, dim: int = -1, largest=True, sorted=True):  # noqa: A002
    return input.topk(k, dim, largest, sorted)


@takes_tensor
def sort(input: Tensor, dim: int = -1, descending=False, stable=False):  # noqa: A002
    return input.sort(dim, descending, stable)


@takes_tensor
def argsort(input: Tensor, dim: int = -1, descending=False) -> Tensor:  # noqa: A002
    return input.argsort(dim, descending)


@takes_tensor
def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    return input.gather(dim, index)


@takes_tensor
def reshape(input: Tensor, shape) -> Tensor:  # noqa: A002
    return input.reshape(shape)


@takes_tensor
def flatten(input: Tensor, start_dim=0, end_dim=-1) -> Tensor:  # noqa: A002
    return input.flatten(start_dim, end_dim)


@takes_tensor
def squeeze(input: Tensor, dim=None) -> Tensor:  # noqa: A002
    return input.squeeze(dim)


@takes_tensor
def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return input.unsqueeze(dim)


@takes_tensor
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return input.transpose(dim0, dim1)


@takes_tensor
def permute(input: Tensor, dims) -> Tensor:  # noqa: A002
    return input.permute(dims)


@takes_tensor
def t(input: Tensor) -> Tensor:  # noqa: A002
    return input.t()


@takes_tensor
def split(tensor: Tensor, split_size_or_sections, dim: int = 0):
    return tensor.split(split_size_or_sections, dim)


@takes_tensor
def chunk(input: Tensor, chunks: int, dim: int = 0):  # noqa: A002
    return input.chunk(chunks, dim)


@takes_tensor
def unbind(input: Tensor, dim: int = 0):  # noqa: A002
    return input.unbind(dim)


@takes_tensor
def masked_fill(input: Tensor, mask, value) -> Tensor:  # noqa: A002
    return input.masked_fill(mask, value)


@takes_tensor
def isnan(input: Tensor) -> Tensor:  # noqa: A002
    return input.isnan()


@takes_tensor
def isinf(input: Tensor) -> Tensor:  # noqa: A002
    return input.isinf()


@takes_tensor
def isfinite(input: Tensor) -> Tensor:  # noqa: A002
    return input.isfinite()


@takes_tensor
def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return input.equal(other)


@takes_tensor
def round(input: Tensor, decimals: int = 0, *, out=None) -> Tensor:  # noqa: A002, A001
    return _into(input.round(decimals), out)


@takes_tensor
def floor(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.floor(), out)


@takes_tensor
def ceil(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.ceil(), out)


@takes_tensor
def cumsum(input: Tensor, dim: int, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.cumsum(dim), out)


@takes_tensor
def cumprod(input: Tensor, dim: int, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.cumprod(dim), out)


@takes_tensor
def prod(input: Tensor, dim=None, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.prod(dim, keepdim), out)


@takes_tensor
def any(input: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A002, A001
    return input.any(dim, keepdim)


@takes_tensor
def all(input: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A002, A001
    return input.all(dim, keepdim)


@takes_tensor
def clamp_min(input: Tensor, min, *, out=None) -> Tensor:  # noqa: A002, A001
    return _into(input.clamp_min(min), out)


@takes_tensor
def clamp_max(input: Tensor, max, *, out=None) -> Tensor:  # noqa: A002, A001
    return _into(input.clamp_max(max), out)


@takes_tensor
def lerp(input: Tensor, end: Tensor, weight, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.lerp(end, weight), out)


@takes_tensor
def reciprocal(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.reciprocal(), out)


@takes_tensor
def log1p(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.log1p(), out)


@takes_tensor
def expm1(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.expm1(), out)


@takes_tensor
def norm(input: Tensor, p="fro", dim=None, keepdim=False, out=None, dtype=None) -> Tensor:  # noqa: A002
    return _into(input.norm(p, dim, keepdim, dtype), out)


@takes_tensor
def neg(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(-input, out)


@takes_tensor
def flip(input: Tensor, dims) -> Tensor:  # noqa: A002
    return input.flip(dims)


@takes_tensor
def outer(input: Tensor, vec2: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.outer(vec2), out)


@takes_tensor
def mv(input: Tensor, vec: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.mv(vec), out)


@takes_tensor
def dot(input: Tensor, tensor: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.dot(tensor), out)


@takes_tensor
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    return input.diagonal(offset, dim1, dim2)


@takes_tensor
def diag(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.diag(diagonal), out)


@takes_tensor
def trace(input: Tensor) -> Tensor:  # noqa: A002
    return input.trace()


@takes_tensor
def tile(input: Tensor, dims) -> Tensor:  # noqa: A002
    return input.tile(dims)


@takes_tensor
def repeat_interleave(input: Tensor, repeats, dim=None) -> Tensor:  # noqa: A002
    return input.repeat_interleave(repeats, dim)


@takes_tensor
def masked_select(input: Tensor, mask, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.masked_select(mask), out)


@takes_tensor
def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    return input.narrow(dim, start, length)


@takes_tensor
def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:  # noqa: A002
    return input.transpose(axis0, axis1)


@takes_tensor
def nonzero(input: Tensor, *, as_tuple=False):  # noqa: A002
    return input.nonzero(as_tuple=as_tuple)


@takes_tensor
def count_nonzero(input: Tensor, dim=None) -> Tensor:  # noqa: A002
    return input.count_nonzero(dim)


@takes_tensor
def unique(input: Tensor, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    return input.unique(sorted, return_inverse, return_counts, dim)


@takes_tensor
def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:  # noqa: A002
    return input.bincount(weights, minlength)


@takes_tensor
def isclose(input: Tensor, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:  # noqa: A002
    return input.isclose(other, rtol, atol, equal_nan)


@takes_tensor
def logical_and(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.logical_and(other), out)


@takes_tensor
def logical_or(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.logical_or(other), out)


@takes_tensor
def logical_xor(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.logical_xor(other), out)


@takes_tensor
def logical_not(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.logical_not(), out)


@takes_tensor
def eq(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input == other, out)


@takes_tensor
def ne(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input != other, out)


@takes_tensor
def lt(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input < other, out)


@takes_tensor
def le(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input <= other, out)


@takes_tensor
def gt(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input > other, out)


@takes_tensor
def ge(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input >= other, out)


def einsum(equation: str, *operands) -> Tensor:
    """Products summed over repeated letters, as torch.einsum: `einsum('ik,kj->ij', a, b)` is
    a @ b, `einsum('bij->bji', x)` a transpose, `einsum('i,i->', u, v)` a dot product.

    Without '->' the output is the letters used once, in alphabetical order; '...' stands for
    the same leading dims in every operand. A letter repeated within one operand (a diagonal,
    'ii->i') is not supported: use x.diagonal() instead.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise ArgumentError(
            f"einsum: the first argument is the equation, a string such as 'ij,jk->ik', got "
            f"{type(equation).__name__}; then the tensors: einsum('ij,jk->ik', a, b)."
        )
    operands = _tensors_of(operands, "einsum")
    inputs, output = _einsum_letters(equation, operands)
    return Einsum.apply(*operands, inputs=inputs, output=output)


def _einsum_letters(equation: str, operands) -> tuple[tuple[str, ...], str]:
    """('ij', 'jk'), 'ik' from 'ij,jk->ik': the output made explicit, '...' given letters of
    its own (the same in every operand, aligned at the right as broadcasting aligns dims)."""
    equation = equation.replace(" ", "")
    left, arrow, output = equation.partition("->")
    inputs = left.split(",")
    if len(inputs) != len(operands):
        raise ArgumentError(
            f"einsum: the equation {equation!r} names {len(inputs)} operand(s) but "
            f"{len(operands)} were given; write one group of letters per tensor, separated by "
            f"commas (e.g. 'ik,kj->ij' for two)."
        )
    ellipsis_dims = [x.ndim - (len(s) - 3) if "..." in s else 0 for s, x in zip(inputs, operands)]
    dots = "".join(c for c in string.ascii_letters if c not in equation)[
        : builtins.max(ellipsis_dims)
    ]
    inputs = [
        s.replace("...", dots[len(dots) - n :] if n else "") for s, n in zip(inputs, ellipsis_dims)
    ]
    if arrow:
        output = output.replace("...", dots)
    else:  # implicit: the '...' dims, then the letters used once, in alphabetical order
        joined = "".join(inputs)
        output = dots + "".join(sorted(c for c in set(joined) - set(dots) if joined.count(c) == 1))
    for letters in inputs:
        if len(set(letters)) != len(letters):
            raise UnsupportedError(
                f"einsum: {letters!r} repeats a letter within one operand (a diagonal); "
                f"scratchish does not support that. Take the diagonal first (x.diagonal())."
            )
    return tuple(inputs), output


@takes_tensor
def erf(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.erf(), out)


@takes_tensor
def trunc(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.trunc(), out)


@takes_tensor
def frac(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.frac(), out)


@takes_tensor
def fmod(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.fmod(other), out)


def remainder(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    if isinstance(input, Tensor):
        return _into(input.remainder(other), out)
    if isinstance(input, _NUMBERS) and isinstance(other, Tensor):
        return _into(other.__rmod__(input), out)  # torch.remainder(7, t)
    raise DTypeError(not_a_tensor("remainder", "input", input))


@takes_tensor
def exp2(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.exp2(), out)


@takes_tensor
def tan(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.tan(), out)


@takes_tensor
def sinh(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.sinh(), out)


@takes_tensor
def cosh(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.cosh(), out)


@takes_tensor
def nan_to_num(input: Tensor, nan=0.0, posinf=None, neginf=None, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.nan_to_num(nan, posinf, neginf), out)


@takes_tensor
def median(input: Tensor, dim=None, keepdim=False):  # noqa: A002
    return input.median(dim, keepdim)


@takes_tensor
def movedim(input: Tensor, source, destination) -> Tensor:  # noqa: A002
    return input.movedim(source, destination)


moveaxis = movedim


@takes_tensor
def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    return input.nonzero()


@takes_tensor
def std_mean(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    std_ = input.std(dim, unbiased, keepdim, correction=correction)
    return std_, input.mean(dim, keepdim)


@takes_tensor
def var_mean(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    var_ = input.var(dim, unbiased, keepdim, correction=correction)
    return var_, input.mean(dim, keepdim)


@takes_tensor
def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:  # noqa: A002
    """input's values at `indices` along `dim` (the flattened input when dim is None), the
    two broadcast against each other in the other dims: for argsort/argmax results."""
    if not isinstance(indices, Tensor):
        raise DTypeError(not_a_tensor("take_along_dim", "indices", indices))
    if dim is None:
        return input.flatten().gather(0, indices.flatten())
    dim = _check_dim("take_along_dim", dim, input.ndim)
    index = np.asarray(indices.array if isinstance(indices, Tensor) else indices)
    shape = [builtins.max(a, b) for a, b in zip(input.shape, index.shape)]
    in_shape, index_shape = list(shape), list(shape)
    in_shape[dim], index_shape[dim] = input.shape[dim], index.shape[dim]
    x = input.expand(*in_shape) if tuple(in_shape) != tuple(input.shape) else input
    return x.gather(dim, Tensor._make(np.broadcast_to(index, index_shape)))


@takes_tensor
def broadcast_to(input: Tensor, size) -> Tensor:  # noqa: A002
    return input.expand(*_dims((size,)))


def broadcast_tensors(*tensors: Tensor) -> tuple:
    tensors = _tensors_of(tensors, "broadcast_tensors")
    shape = _broadcast_shape("broadcast_tensors", *(t.shape for t in tensors))
    return tuple(t.expand(*shape) for t in tensors)


def meshgrid(*tensors: Tensor, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-d tensors: with indexing='ij' grid k varies along dim k;
    'xy' swaps the first two dims (NumPy's and matplotlib's order). torch's default is 'ij'."""
    tensors = _tensors_of(tensors, "meshgrid")
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}.")
    sizes = [t.numel() for t in tensors]
    if indexing == "xy" and len(tensors) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for k, t in enumerate(tensors):
        axis = {0: 1, 1: 0}.get(k, k) if indexing == "xy" and len(tensors) >= 2 else k
        shape = [1] * len(tensors)
        shape[axis] = t.numel()
        grids.append(t.reshape(*shape).expand(*sizes))
    return tuple(grids)


def atleast_1d(*tensors: Tensor):
    out = tuple(t.reshape(1) if t.ndim == 0 else t for t in _tensors_of(tensors, "atleast_1d"))
    return out[0] if len(out) == 1 else out


def atleast_2d(*tensors: Tensor):
    out = tuple(t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors_of(tensors, "atleast_2d"))
    return out[0] if len(out) == 1 else out


def _tensor_list(name: str, tensors) -> tuple:
    """The `tensors` argument of hstack, vstack...: a non-empty list or tuple of tensors."""
    if not isinstance(tensors, (list, tuple)):
        raise DTypeError(
            f"{name}: tensors must be a list or tuple of tensors, got "
            f"{type(tensors).__name__}: {name}([a, b]), not {name}(a, b)."
        )
    if not tensors:
        raise ArgumentError(f"{name}: expected a non-empty list of tensors, got {tensors!r}.")
    return _tensors_of(tuple(tensors), name)


def _tensors_of(tensors: tuple, name: str = "") -> tuple:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise DTypeError(not_a_tensor(name, f"tensor {i}", t))
    return tensors


def hstack(tensors, *, out=None) -> Tensor:
    """Joined along dim 1 (along dim 0 for 1-d tensors), as numpy.hstack."""
    from .creation import cat

    tensors = _tensor_list("hstack", tensors)
    tensors = atleast_1d(*tensors) if len(tensors) > 1 else (atleast_1d(*tensors),)
    return _into(cat(tensors, dim=0 if tensors[0].ndim == 1 else 1), out)


def vstack(tensors, *, out=None) -> Tensor:
    """Stacked as rows: 1-d tensors become rows of a matrix, as numpy.vstack."""
    from .creation import cat

    tensors = _tensor_list("vstack", tensors)
    tensors = atleast_2d(*tensors) if len(tensors) > 1 else (atleast_2d(*tensors),)
    return _into(cat(tensors, dim=0), out)


def column_stack(tensors, *, out=None) -> Tensor:
    """1-d tensors as the columns of a matrix (2-d tensors joined along dim 1)."""
    from .creation import cat

    columns = [t.reshape(-1, 1) if t.ndim < 2 else t for t in _tensor_list("column_stack", tensors)]
    return _into(cat(columns, dim=1), out)


@takes_tensor
def scatter(input: Tensor, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:  # noqa: A002
    return input.scatter(dim, index, src, value=value, reduce=reduce)


@takes_tensor
def scatter_add(input: Tensor, dim: int, index, src) -> Tensor:  # noqa: A002
    return input.scatter_add(dim, index, src)


@takes_tensor
def index_add(input: Tensor, dim: int, index, source, *, alpha=1) -> Tensor:  # noqa: A002
    return input.index_add(dim, index, source, alpha=alpha)


@takes_tensor
def index_fill(input: Tensor, dim: int, index, value) -> Tensor:  # noqa: A002
    return input.index_fill(dim, index, value)


# ---------------------------------------------------------------- elementwise math
@takes_tensor
def asin(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.asin(), out)


@takes_tensor
def acos(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.acos(), out)


@takes_tensor
def atan(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.atan(), out)


@takes_tensor
def asinh(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.asinh(), out)


@takes_tensor
def acosh(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.acosh(), out)


@takes_tensor
def atanh(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.atanh(), out)


@takes_tensor
def atan2(input: Tensor, other: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """The angle of the point (x=other, y=input), in (-pi, pi], elementwise.

    Example:
        >>> import scratchish as sh
        >>> sh.atan2(sh.tensor([1.0, -1.0]), sh.tensor([-1.0, -1.0]))
        tensor([ 2.3562, -2.3562])
    """
    return _into(input.atan2(other), out)


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
arctan2 = atan2


@takes_tensor
def hypot(input: Tensor, other: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.hypot(other), out)


@takes_tensor
def erfc(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.erfc(), out)


@takes_tensor
def erfinv(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.erfinv(), out)


@takes_tensor
def lgamma(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """log|Gamma(x)| elementwise (inf at 0 and the negative integers).

    Example:
        >>> import scratchish as sh
        >>> sh.lgamma(sh.tensor([0.5, 1.0, 10.0]))
        tensor([ 0.5724,  0.0000, 12.8018])
    """
    return _into(input.lgamma(), out)


@takes_tensor
def digamma(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """psi(x) = d/dx lgamma(x) elementwise (-inf at 0, nan at the negative integers).

    Example:
        >>> import scratchish as sh
        >>> sh.digamma(sh.tensor([1.0, 0.5]))
        tensor([-0.5772, -1.9635])
    """
    return _into(input.digamma(), out)


def polygamma(n: int, input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """The n-th derivative of digamma, elementwise (n = 0: digamma, n = 1: trigamma).

    Example:
        >>> import scratchish as sh
        >>> sh.polygamma(1, sh.tensor([1.0, 2.0]))  # pi^2 / 6, pi^2 / 6 - 1
        tensor([1.6449, 0.6449])
    """
    if not isinstance(input, Tensor):
        raise DTypeError(not_a_tensor("polygamma", "input", input))
    return _into(input.polygamma(n), out)


@takes_tensor
def mvlgamma(input: Tensor, p: int, *, out=None) -> Tensor:  # noqa: A002
    """The log of the multivariate gamma function of dimension p, elementwise.

    Example:
        >>> import scratchish as sh
        >>> sh.mvlgamma(sh.tensor([2.5, 3.0]), 2)
        tensor([0.8570, 1.5502])
    """
    return _into(input.mvlgamma(p), out)


@takes_tensor
def igamma(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    """P(input, other), the regularized lower incomplete gamma function.

    Example:
        >>> import scratchish as sh
        >>> sh.igamma(sh.tensor([1.0, 2.0]), sh.tensor([1.0, 3.0]))  # 1 - e^-1, 1 - 4 e^-3
        tensor([0.6321, 0.8009])
    """
    return _into(input.igamma(other), out)


@takes_tensor
def igammac(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    """Q(input, other) = 1 - P(input, other), the regularized upper incomplete gamma function.

    Example:
        >>> import scratchish as sh
        >>> sh.igammac(sh.tensor([1.0, 2.0]), sh.tensor([1.0, 3.0]))  # e^-1, 4 e^-3
        tensor([0.3679, 0.1991])
    """
    return _into(input.igammac(other), out)


@takes_tensor
def i0(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """I0(x), the modified Bessel function of the first kind of order 0, elementwise.

    Example:
        >>> import scratchish as sh
        >>> sh.i0(sh.tensor([0.0, 1.0, 2.0]))
        tensor([1.0000, 1.2661, 2.2796])
    """
    return _into(input.i0(), out)


@takes_tensor
def logaddexp(input: Tensor, other: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """log(exp(input) + exp(other)), without overflow or underflow.

    Example:
        >>> import scratchish as sh
        >>> sh.logaddexp(sh.tensor([-1000.0, 0.0]), sh.tensor([-1000.0, 0.0]))
        tensor([-9.9931e+02,  6.9315e-01])
    """
    return _into(input.logaddexp(other), out)


@takes_tensor
def logaddexp2(input: Tensor, other: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.logaddexp2(other), out)


def xlogy(input, other, *, out=None) -> Tensor:  # noqa: A002
    """input * log(other), 0 where input is 0 (either may be a Python number): the terms
    p log p of an entropy, with 0 log 0 = 0.

    Example:
        >>> import scratchish as sh
        >>> sh.xlogy(sh.tensor([0.0, 0.5]), sh.tensor([0.0, 0.5]))
        tensor([ 0.0000, -0.3466])
    """
    if not isinstance(input, Tensor):
        input = Tensor._make(np.asarray(input, dtype=other.array.dtype))  # noqa: A001
    return _into(input.xlogy(other), out)


@takes_tensor
def logit(input: Tensor, eps=None, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.logit(eps), out)


@takes_tensor
def copysign(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.copysign(other), out)


@takes_tensor
def sgn(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.sgn(), out)


@takes_tensor
def signbit(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.signbit(), out)


@takes_tensor
def heaviside(input: Tensor, values: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.heaviside(values), out)


@takes_tensor
def sinc(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.sinc(), out)


@takes_tensor
def deg2rad(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.deg2rad(), out)


@takes_tensor
def rad2deg(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.rad2deg(), out)


def floor_divide(input: Tensor, other, *, out=None) -> Tensor:  # noqa: A002
    return _into(_number_first("floor_divide", input, other).floor_divide(other), out)


def true_divide(dividend: Tensor, divisor, *, out=None) -> Tensor:
    return _into(dividend / divisor, out)


def float_power(input: Tensor, exponent, *, out=None) -> Tensor:  # noqa: A002
    return _into(_number_first("float_power", input, exponent).float_power(exponent), out)


@takes_tensor
def fmax(input: Tensor, other: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.fmax(other), out)


@takes_tensor
def fmin(input: Tensor, other: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.fmin(other), out)


@takes_tensor
def isposinf(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.isposinf(), out)


@takes_tensor
def isneginf(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.isneginf(), out)


# ---------------------------------------------------------------- reductions and scans
@takes_tensor
def nansum(input: Tensor, dim=None, keepdim=False, *, dtype=None) -> Tensor:  # noqa: A002
    return input.nansum(dim, keepdim, dtype=dtype)


@takes_tensor
def nanmean(input: Tensor, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor:  # noqa: A002
    return _into(input.nanmean(dim, keepdim, dtype=dtype), out)


@takes_tensor
def nanmedian(input: Tensor, dim=None, keepdim=False):  # noqa: A002
    return input.nanmedian(dim, keepdim)


@takes_tensor
def aminmax(input: Tensor, *, dim=None, keepdim=False):  # noqa: A002
    return input.aminmax(dim=dim, keepdim=keepdim)


@takes_tensor
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):  # noqa: A002
    return input.kthvalue(k, dim, keepdim)


@takes_tensor
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):  # noqa: A002
    """(values, indices): the most frequent value along dim, the smallest of equally frequent
    ones, and the last index where it occurs.

    Example:
        >>> import scratchish as sh
        >>> sh.mode(sh.tensor([2, 1, 2, 3, 1]))
        values_indices(values=tensor(1), indices=tensor(4))
    """
    return input.mode(dim, keepdim)


@takes_tensor
def cummax(input: Tensor, dim: int):  # noqa: A002
    """(values, indices): the running maximum along dim and where it was reached.

    Example:
        >>> import scratchish as sh
        >>> sh.cummax(sh.tensor([1.0, 3.0, 2.0, 5.0]), 0)
        values_indices(values=tensor([1., 3., 3., 5.]), indices=tensor([0, 1, 1, 3]))
    """
    return input.cummax(dim)


@takes_tensor
def cummin(input: Tensor, dim: int):  # noqa: A002
    return input.cummin(dim)


@takes_tensor
def logcumsumexp(input: Tensor, dim: int, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.logcumsumexp(dim), out)


@takes_tensor
def quantile(input: Tensor, q, dim=None, keepdim=False, *, interpolation="linear", out=None):  # noqa: A002
    """The q-th quantiles of input along dim (of all elements when dim is None).

    Args:
        q: a number in [0, 1], or a 1-d tensor of them (the result then has a first dim with
            one entry per q).
        interpolation: between two sorted values, 'linear' (default), 'lower', 'higher',
            'nearest' or 'midpoint', as numpy.quantile.

    Example:
        >>> import scratchish as sh
        >>> x = sh.tensor([1.0, 2.0, 4.0, 8.0])
        >>> sh.quantile(x, 0.5)
        tensor(3.)
        >>> sh.quantile(x, sh.tensor([0.25, 0.75]), interpolation="lower")
        tensor([1., 4.])
    """
    return _into(input.quantile(q, dim, keepdim, interpolation=interpolation), out)


@takes_tensor
def nanquantile(input: Tensor, q, dim=None, keepdim=False, *, interpolation="linear", out=None):  # noqa: A002
    return _into(input.nanquantile(q, dim, keepdim, interpolation=interpolation), out)


@takes_tensor
def msort(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.msort(), out)


# ---------------------------------------------------------------- indexing and shape
@takes_tensor
def clone(input: Tensor, *, memory_format=None) -> Tensor:  # noqa: A002
    return input.clone(memory_format=memory_format)


@takes_tensor
def index_select(input: Tensor, dim: int, index: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.index_select(dim, index), out)


@takes_tensor
def select(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    return input.select(dim, index)


@takes_tensor
def roll(input: Tensor, shifts, dims=None) -> Tensor:  # noqa: A002
    """Elements shifted along dims, wrapping around (the flattened tensor when dims is None).

    Example:
        >>> import scratchish as sh
        >>> sh.roll(sh.arange(5), 2)
        tensor([3, 4, 0, 1, 2])
    """
    return input.roll(shifts, dims)


@takes_tensor
def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:  # noqa: A002
    return input.rot90(k, dims)


@takes_tensor
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:  # noqa: A002
    """Differences of neighbours along dim, n times: out[i] = input[i + 1] - input[i].

    Example:
        >>> import scratchish as sh
        >>> sh.diff(sh.tensor([1, 4, 9, 16]))
        tensor([3, 5, 7])
    """
    return input.diff(n, dim, prepend, append)


@takes_tensor
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:  # noqa: A002
    """Pieces along dim: an int n gives n nearly equal pieces (the first ones one longer),
    a list of indices cuts before each of them.

    Example:
        >>> import scratchish as sh
        >>> sh.tensor_split(sh.arange(7), 3)
        (tensor([0, 1, 2]), tensor([3, 4]), tensor([5, 6]))
    """
    return input.tensor_split(indices_or_sections, dim)


@takes_tensor
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:  # noqa: A002
    return input.unflatten(dim, sizes)


@takes_tensor
def ravel(input: Tensor) -> Tensor:  # noqa: A002
    return input.ravel()


@takes_tensor
def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return input.transpose(dim0, dim1)


@takes_tensor
def adjoint(input: Tensor) -> Tensor:  # noqa: A002
    return input.adjoint()


@takes_tensor
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    return input.masked_scatter(mask, source)


@takes_tensor
def searchsorted(
    sorted_sequence: Tensor,
    input,  # noqa: A002
    *,
    out_int32=False,
    right=False,
    side=None,
    sorter=None,
    out=None,
) -> Tensor:
    """Where each value of `input` would go in `sorted_sequence` to keep it sorted: the first
    such index (the last with right=True or side='right'). A 1-d sequence serves every value;
    an N-d one holds a sorted row (last dim) for the values in the matching row of input.

    Example:
        >>> import scratchish as sh
        >>> sh.searchsorted(sh.tensor([1, 3, 5, 7]), sh.tensor([3, 6, 9]))
        tensor([1, 3, 4])
    """
    if side not in (None, "left", "right") or (side == "left" and right):
        raise ArgumentError(
            f"searchsorted: side must be 'left' or 'right' and agree with right={right}, got "
            f"side={side!r}."
        )
    side = side or ("right" if right else "left")
    sequence, values = np.asarray(_value(sorted_sequence)), np.asarray(_value(input))
    if sorter is not None:
        sequence = np.take_along_axis(sequence, np.asarray(_value(sorter)), -1)
    if sequence.ndim <= 1:
        found = np.searchsorted(sequence, values, side)
    elif sequence.shape[:-1] != values.shape[:-1]:
        raise ShapeError(
            f"searchsorted: sorted_sequence {sequence.shape} holds one sorted row per row of "
            f"input, so their leading dims must match; input is {values.shape}. With one "
            f"sorted sequence for all values, pass it 1-d."
        )
    else:  # one search per row
        rows = sequence.reshape(-1, sequence.shape[-1])
        row_values = values.reshape(len(rows), -1)
        found = np.empty(row_values.shape, dtype=np.int64)
        for i, (row, v) in enumerate(zip(rows, row_values)):
            found[i] = np.searchsorted(row, v, side)
        found = found.reshape(values.shape)
    return _into(Tensor._make(np.asarray(found, np.int32 if out_int32 else np.int64)), out)


def bucketize(input, boundaries: Tensor, *, out_int32=False, right=False, out=None) -> Tensor:  # noqa: A002
    """The bucket of each value: i with boundaries[i - 1] < x <= boundaries[i] (with
    right=True, boundaries[i - 1] <= x < boundaries[i]). boundaries is 1-d and sorted."""
    if np.ndim(_value(boundaries)) != 1:
        raise ShapeError(
            f"bucketize: boundaries must be 1-d, got shape {np.shape(_value(boundaries))}. "
            f"For one sorted row per input row use torch.searchsorted."
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


@takes_tensor
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:  # noqa: A002
    return _into(input.addmm(mat1, mat2, beta=beta, alpha=alpha), out)


@takes_tensor
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:  # noqa: A002
    return _into(input.addmv(mat, vec, beta=beta, alpha=alpha), out)


@takes_tensor
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1, out=None) -> Tensor:  # noqa: A002
    return _into(input.addr(vec1, vec2, beta=beta, alpha=alpha), out)


@takes_tensor
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1, out=None):  # noqa: A002
    return _into(input.baddbmm(batch1, batch2, beta=beta, alpha=alpha), out)


@takes_tensor
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1, out=None):  # noqa: A002
    return _into(input.addbmm(batch1, batch2, beta=beta, alpha=alpha), out)


@takes_tensor
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out=None) -> Tensor:  # noqa: A002
    return _into(input.addcmul(tensor1, tensor2, value=value), out)


@takes_tensor
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out=None) -> Tensor:  # noqa: A002
    return _into(input.addcdiv(tensor1, tensor2, value=value), out)


def chain_matmul(*matrices: Tensor, out=None) -> Tensor:
    """matrices[0] @ matrices[1] @ ... (2-d each); torch deprecates it for linalg.multi_dot."""
    from .linalg import multi_dot

    matrices = _tensors_of(matrices, "chain_matmul")
    for k, m in enumerate(matrices):
        if m.ndim != 2:
            raise ShapeError(
                f"chain_matmul: matrix {k} must be 2-d, got shape {tuple(m.shape)}; "
                f"linalg.multi_dot also takes a 1-d first or last tensor."
            )
    return multi_dot(matrices, out=out)


@takes_tensor
def cross(input: Tensor, other: Tensor, dim=None, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.cross(other, dim), out)


@takes_tensor
def kron(input: Tensor, other: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.kron(other), out)


@takes_tensor
def dist(input: Tensor, other: Tensor, p=2) -> Tensor:  # noqa: A002
    return input.dist(other, p)


@takes_tensor
def renorm(input: Tensor, p, dim: int, maxnorm, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.renorm(p, dim, maxnorm), out)


@takes_tensor
def cov(input: Tensor, *, correction=1, fweights=None, aweights=None) -> Tensor:  # noqa: A002
    return input.cov(correction=correction, fweights=fweights, aweights=aweights)


@takes_tensor
def corrcoef(input: Tensor) -> Tensor:  # noqa: A002
    return input.corrcoef()


@takes_tensor
def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Products summed over pairs of dims: dims=n pairs a's last n dims with b's first n;
    dims=([1, 0], [0, 1]) pairs a's dim 1 with b's dim 0 and a's 0 with b's 1.
    Shape: a's other dims, then b's. Computed as one matrix product.

    Example:
        >>> import scratchish as sh
        >>> sh.tensordot(sh.ones(2, 3, 4), sh.ones(3, 4, 5)).shape
        scratchish.Size([2, 5])
    """
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if not 0 <= dims <= builtins.min(a.ndim, b.ndim):
            raise ArgumentError(
                f"tensordot: dims={dims} must be from 0 to {builtins.min(a.ndim, b.ndim)} (the "
                f"fewer dims of the two tensors, shapes {tuple(a.shape)} and {tuple(b.shape)})."
            )
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    elif isinstance(dims, (list, tuple)) and len(dims) == 2:
        dims_a, dims_b = (_int_list("tensordot", "dims", d) for d in dims)
    else:
        raise ArgumentError(
            f"tensordot: dims must be a whole number n (a's last n dims with b's first n) or "
            f"a pair of dim lists such as ([1, 0], [0, 1]), got {dims!r}."
        )
    dims_a, dims_b = [d % a.ndim for d in dims_a], [d % b.ndim for d in dims_b]
    sizes_a, sizes_b = [a.shape[d] for d in dims_a], [b.shape[d] for d in dims_b]
    if sizes_a != sizes_b:
        raise ShapeError(
            f"tensordot: the paired dims differ in size: a's dims {dims_a} have sizes {sizes_a}, "
            f"b's dims {dims_b} have sizes {sizes_b} (shapes {tuple(a.shape)} and "
            f"{tuple(b.shape)}). Pair dims of the same size."
        )
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    n_summed = int(np.prod(sizes_a))
    # (free_a..., summed...) as a matrix @ (summed..., free_b...) as a matrix
    a2 = a.permute(*free_a, *dims_a).reshape(-1, n_summed)
    b2 = b.permute(*dims_b, *free_b).reshape(n_summed, -1)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return _into((a2 @ b2).reshape(shape), out)


@takes_tensor
def cdist(x1: Tensor, x2: Tensor, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of x1 and each row of x2: out[..., i, j] =
    ||x1[..., i, :] - x2[..., j, :]||_p. Batch dims broadcast.
    Shape: (..., P, M) and (..., R, M) -> (..., P, R).

    For p=2, torch's compute_mode: with 'use_mm_for_euclid_dist' (the default when P or R is
    over 25) the squared distances are |x1|^2 - 2 x1 x2 + |x2|^2, one matrix product and no
    (P, R, M) array of differences, but less exact for close points. At zero distance the
    gradient is 0, as torch's.
    """
    for name, x in (("x1", x1), ("x2", x2)):
        if x.ndim < 2:
            raise ShapeError(
                f"cdist: {name} must have at least 2 dims (points, features), got shape "
                f"{tuple(x.shape)}; for a single point use {name}.unsqueeze(0)."
            )
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(
            f"cdist: x1 has {x1.shape[-1]} features per point (shape {tuple(x1.shape)}), x2 "
            f"has {x2.shape[-1]} (shape {tuple(x2.shape)}); the last dims must agree."
        )
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist")
    if compute_mode not in (*modes, "donot_use_mm_for_euclid_dist"):
        raise ArgumentError(f"cdist: unknown compute_mode {compute_mode!r}; use one of {modes}.")
    if _number("cdist", "p", p) < 0:
        raise ArgumentError(f"cdist: p must be >= 0, got {p}.")
    large = x1.shape[-2] > 25 or x2.shape[-2] > 25
    if p == 2 and (compute_mode == modes[1] or (compute_mode == modes[0] and large)):
        squared = (
            (x1 * x1).sum(-1, keepdim=True)  # (..., P, 1)
            - 2 * (x1 @ x2.mT)  # (..., P, M) @ (..., M, R) -> (..., P, R)
            + (x2 * x2).sum(-1).unsqueeze(-2)  # (..., 1, R)
        ).clamp_min(0)  # rounding can make it slightly negative
        return _root_or_zero(squared, 2)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, 1, M) - (..., 1, R, M)
    if p == 2:
        return diff.norm(dim=-1)  # its gradient is 0 at zero, as torch's
    if p == 1:
        return diff.abs().sum(-1)
    if p == np.inf:
        return diff.abs().amax(-1)
    if p == 0:  # how many features differ: no gradient
        return Tensor._make((diff.array != 0).sum(-1).astype(diff.array.dtype))
    return _root_or_zero((diff.abs() ** p).sum(-1), p)


def _root_or_zero(total: Tensor, p) -> Tensor:
    """total ** (1 / p), with gradient 0 where total is 0 (the root has no slope there).
    The inner where keeps 0 ** (1/p - 1) = inf out of the backward pass."""
    from .tensor import where

    zero = total.array == 0
    return where(zero, 0.0, where(zero, 1.0, total) ** (1.0 / p))


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors as blocks along the diagonal of one matrix, zeros elsewhere (0-d and 1-d
    tensors count as one row). Shape: (h_k, w_k) -> (sum of h_k, sum of w_k)."""
    from .creation import cat, zeros

    tensors = _tensors_of(tensors, "block_diag")
    blocks = []
    for k, x in enumerate(tensors):
        if x.ndim > 2:
            raise ShapeError(
                f"block_diag: tensor {k} has shape {tuple(x.shape)}; blocks must have at most "
                f"2 dims. Pass each matrix of a batch separately: block_diag(*batch)."
            )
        blocks.append(x.reshape(1, -1) if x.ndim < 2 else x)
    # torch's promotion: floats win over ints whatever their size (int64 and float32: float32)
    kinds = [x.array.dtype for x in blocks]
    dtype = np.result_type(*([k for k in kinds if k.kind == "f"] or kinds or [np.float32]))
    width = builtins.sum(x.shape[1] for x in blocks)
    rows, left = [], 0
    for x in blocks:
        h, w = x.shape
        # this block's rows: zeros on its left, the block, zeros on its right
        parts = [zeros(h, left, dtype=dtype), x.to(dtype), zeros(h, width - left - w, dtype=dtype)]
        rows.append(cat(parts, dim=1))
        left += w
    return cat(rows, dim=0) if rows else zeros(0, 0)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-d tensor, one per row (itertools.product
    order). Shape: (n_1,), ..., (n_k,) -> (n_1 * ... * n_k, k); one tensor is returned as it is."""
    if len(tensors) == 1:
        return tensors[0]
    from .creation import stack

    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], dim=1)


@takes_tensor
def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """Every choice of r elements of a 1-d tensor, in order, one per row (itertools'
    combinations, or combinations_with_replacement). Shape: (n,) -> (n choose r, r)."""
    if input.ndim != 1:
        raise ShapeError(
            f"combinations: input must be 1-d, got shape {tuple(input.shape)}; flatten it first."
        )
    if r == 0:
        return Tensor._make(np.zeros(0, dtype=input.array.dtype))
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.array(list(choose(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return input[index]


@takes_tensor
def det(input: Tensor) -> Tensor:  # noqa: A002
    return input.det()


@takes_tensor
def logdet(input: Tensor) -> Tensor:  # noqa: A002
    return input.logdet()


@takes_tensor
def slogdet(input: Tensor):  # noqa: A002
    return input.slogdet()


@takes_tensor
def inverse(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.inverse(), out)


@takes_tensor
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    return input.pinverse(rcond)


@takes_tensor
def cholesky(input: Tensor, upper: bool = False, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.cholesky(upper), out)


@takes_tensor
def matrix_power(input: Tensor, n: int) -> Tensor:  # noqa: A002
    return input.matrix_power(n)


@takes_tensor
def svd(input: Tensor, some: bool = True, compute_uv: bool = True):  # noqa: A002
    return input.svd(some, compute_uv)


@takes_tensor
def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.cholesky_solve(input2, upper), out)


@takes_tensor
def cholesky_inverse(input: Tensor, upper: bool = False, *, out=None) -> Tensor:  # noqa: A002
    return _into(input.cholesky_inverse(upper), out)


@takes_tensor
def matrix_exp(input: Tensor) -> Tensor:  # noqa: A002
    return input.matrix_exp()


def result_type(tensor1, tensor2) -> dtypes.dtype:
    """The dtype of tensor1 combined with tensor2 (a tensor or a Python number), as
    torch.result_type: a higher kind wins (bool < integer < float); a number is 'weak' (an
    int tensor with a float gives the default float; a float32 tensor with 2.5 stays
    float32); within a kind a 0-d tensor does not promote a larger tensor."""
    if not isinstance(tensor1, Tensor):
        tensor1, tensor2 = tensor2, tensor1
    if not isinstance(tensor1, Tensor):
        raise DTypeError(not_a_tensor("result_type", "tensor1", tensor1))
    if isinstance(tensor2, Tensor):
        return dtypes.as_dtype(_promoted_dtype(tensor1.array, tensor2.array))
    if not isinstance(tensor2, builtins.bool):  # (a bool is the lowest kind: never widens)
        tensor2 = _number("result_type", "tensor2", tensor2)
    return dtypes.as_dtype(_number_dtype(tensor1.array.dtype, tensor2))


def broadcast_shapes(*shapes):
    """The shape tensors of these shapes broadcast to (torch.broadcast_shapes)."""
    from .tensor import Size

    sizes = [(s,) if isinstance(s, builtins.int) else s for s in shapes]
    for s in sizes:
        if not isinstance(s, (tuple, list, Size)) or not builtins.all(
            isinstance(n, (builtins.int, np.integer)) and not isinstance(n, builtins.bool)
            for n in s
        ):
            raise ArgumentError(
                f"broadcast_shapes: each shape must be an int or a tuple of ints, got "
                f"{s!r}; e.g. broadcast_shapes((2, 1), (3,)), or x.shape."
            )
    sizes = [tuple(s) for s in sizes]
    try:
        return Size(np.broadcast_shapes(*sizes))
    except ValueError:
        raise ShapeError(
            f"broadcast_shapes: the shapes {', '.join(map(str, sizes))} do not broadcast: "
            f"matched from the right, each pair of sizes must be equal or one of them 1."
        ) from None


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """True where an element of `elements` is among `test_elements` (either may be a number),
    as torch.isin; invert=True gives the opposite."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise DTypeError(not_a_tensor("isin", "elements", elements))
    values = np.asarray(_value(elements))
    found = np.isin(values, np.asarray(_value(test_elements)), assume_unique=assume_unique)
    return Tensor._make(~found if invert else found)


@takes_tensor
def unique_consecutive(input: Tensor, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """Each run of equal consecutive values (or slices along `dim`) kept once, as
    torch.unique_consecutive; with return_inverse, the index of each value's run; with
    return_counts, the length of each run."""
    x = input.array
    if dim is None:
        rows = x.reshape(-1, 1)
    else:
        dim = _check_dim("unique_consecutive", dim, x.ndim)
        rows = np.moveaxis(x, dim, 0).reshape(x.shape[dim], -1)
    new_run = np.ones(rows.shape[0], bool)
    new_run[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    starts = np.flatnonzero(new_run)
    if dim is None:
        values = x.reshape(-1)[starts]
    else:
        values = np.take(x, starts, axis=dim)
    result = [Tensor._make(values)]
    if return_inverse:
        inverse = np.cumsum(new_run) - 1
        result.append(Tensor._make(inverse.reshape(x.shape) if dim is None else inverse))
    if return_counts:
        result.append(Tensor._make(np.diff(np.append(starts, rows.shape[0]))))
    return result[0] if len(result) == 1 else tuple(result)


# torch's top-level forms of nn.functional's ops that take the same arguments in the same
# order: torch.conv2d(x, w) is F.conv2d(x, w). (scratchish/__init__.py exports them.)
NN_FORMS = (
    *("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "bilinear"),
    *("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d"),
    *("cosine_similarity", "pairwise_distance", "pdist", "pixel_shuffle", "pixel_unshuffle"),
    *("selu", "celu", "threshold", "channel_shuffle"),
)


@takes_tensor
def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """torch.native_channel_shuffle: F.channel_shuffle (the same numbers)."""
    from .nn import functional

    return functional.channel_shuffle(input, groups)


# ... and those whose torch form orders or names its arguments differently
@takes_tensor
def dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.dropout(x, p, train): F.dropout(x, p, training=train)."""
    from .nn import functional

    return functional.dropout(input, p, train)


@takes_tensor
def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.alpha_dropout(x, p, train): F.alpha_dropout(x, p, training=train)."""
    from .nn import functional

    return functional.alpha_dropout(input, p, train)


@takes_tensor
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):  # noqa: A002
    """torch.layer_norm: F.layer_norm (cudnn_enable does nothing on the CPU)."""
    from .nn import functional

    return functional.layer_norm(input, normalized_shape, weight, bias, eps)


@takes_tensor
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):  # noqa: A002
    """torch.group_norm: F.group_norm (cudnn_enabled does nothing on the CPU)."""
    from .nn import functional

    return functional.group_norm(input, num_groups, weight, bias, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding(weight, indices): F.embedding(indices, weight), the table first;
    padding_idx -1 means none, as in torch's form."""
    from .nn import functional

    negative = isinstance(padding_idx, builtins.int) and padding_idx < 0
    padding = None if negative else padding_idx  # anything else: F.embedding checks it
    return functional.embedding(
        indices, weight, padding, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse
    )


@takes_tensor
def adaptive_max_pool1d(input: Tensor, output_size):  # noqa: A002
    """torch.adaptive_max_pool1d: (values, indices), always (F's gives indices on request)."""
    from .nn import functional

    return functional.adaptive_max_pool1d(input, output_size, return_indices=True)


# torch also has these tensor methods as functions, torch.<name>(input, ...) being
# input.<name>(...): its other names for ops (multiply, greater, negative, ...), the in-place
# forms it keeps at the top level (torch.relu_(x)), and a few more. Each is made from its
# method by _method_form rather than written out like those above: it would add nothing.
METHOD_FORMS = (
    *("absolute", "negative", "positive", "multiply", "subtract", "fix", "not_equal"),
    *("greater", "greater_equal", "less", "less_equal", "is_floating_point", "is_complex"),
    *("is_nonzero", "is_same_size", "is_signed", "isreal", "is_inference", "get_device"),
    *("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift"),
    *("bitwise_right_shift", "gcd", "lcm", "ldexp", "nextafter", "frexp", "hardshrink"),
    *("prelu", "detach", "diag_embed", "diagflat", "fliplr", "flipud", "hsplit", "vsplit"),
    *("dsplit", "split_with_sizes", "take", "put", "index_copy", "index_put", "narrow_copy"),
    *("scatter_reduce", "inner", "vdot", "ger"),
    # in place
    *("abs_", "neg_", "negative_", "acos_", "acosh_", "asin_", "asinh_", "atan_", "atanh_"),
    *("arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_", "cos_", "cosh_"),
    *("sin_", "sinh_", "tan_", "tanh_", "exp_", "exp2_", "expm1_", "log_", "log10_", "log1p_"),
    *("log2_", "logit_", "sqrt_", "rsqrt_", "square_", "reciprocal_", "sigmoid_", "relu_"),
    *("erf_", "erfc_", "i0_", "sinc_", "ceil_", "floor_", "round_", "trunc_", "fix_"),
    *("frac_", "clamp_", "clamp_min_", "clamp_max_", "clip_", "deg2rad_", "rad2deg_"),
    *("nan_to_num_", "xlogy_", "ldexp_", "gcd_", "lcm_", "fill_", "zero_", "detach_"),
    *("index_put_", "addmv_"),
)


def _method_form(name: str):
    """torch.<name>(input, *args, out=None, **kwargs) as input.<name>(*args, **kwargs)."""
    method = getattr(Tensor, name)

    def function(input: Tensor, *args, out=None, **kwargs):  # noqa: A002
        result = method(input, *args, **kwargs)
        return result if out is None else _into(result, out)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"torch.{name}(input, ...): input.{name}(...)." + (
        f"\n\n{method.__doc__}" if method.__doc__ else ""
    )
    return takes_tensor(function)


for _name in METHOD_FORMS:
    globals()[_name] = _method_form(_name)
