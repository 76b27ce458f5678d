"""PyTorch's function forms of tensor methods: `sh.exp(x)` is `x.exp()`, and so on.

Each is one line calling the method, so there is one implementation of every op.
Read next: tensor.py for the methods themselves.
"""

from __future__ import annotations

from .tensor import Tensor


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(x: Tensor) -> int:
    return x.numel()


def exp(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument names throughout
    return input.exp()


def log(input: Tensor) -> Tensor:  # noqa: A002
    return input.log()


def log10(input: Tensor) -> Tensor:  # noqa: A002
    return input.log10()


def log2(input: Tensor) -> Tensor:  # noqa: A002
    return input.log2()


def sqrt(input: Tensor) -> Tensor:  # noqa: A002
    return input.sqrt()


def rsqrt(input: Tensor) -> Tensor:  # noqa: A002
    return input.rsqrt()


def square(input: Tensor) -> Tensor:  # noqa: A002
    return input.square()


def sin(input: Tensor) -> Tensor:  # noqa: A002
    return input.sin()


def cos(input: Tensor) -> Tensor:  # noqa: A002
    return input.cos()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return input.sigmoid()


def relu(input: Tensor) -> Tensor:  # noqa: A002
    return input.relu()


def abs(input: Tensor) -> Tensor:  # noqa: A002, A001
    return input.abs()


def sign(input: Tensor) -> Tensor:  # noqa: A002
    return input.sign()


def pow(input: Tensor, exponent) -> Tensor:  # noqa: A002, A001
    return input.pow(exponent)


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002, A001
    return input.clamp(min, max)


clip = clamp


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return input.maximum(other)


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return input.minimum(other)


def add(input: Tensor, other, *, alpha=1) -> Tensor:  # noqa: A002
    return input + (other if alpha == 1 else other * alpha)


def sub(input: Tensor, other, *, alpha=1) -> Tensor:  # noqa: A002
    return input - (other if alpha == 1 else other * alpha)


def mul(input: Tensor, other) -> Tensor:  # noqa: A002
    return input * other


def div(input: Tensor, other) -> Tensor:  # noqa: A002
    return input / other


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return input.matmul(other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    return input.mm(mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    return input.bmm(mat2)


def sum(input: Tensor, dim=None, keepdim=False, *, dtype=None) -> Tensor:  # noqa: A002, A001
    return input.sum(dim, keepdim, dtype)


def mean(input: Tensor, dim=None, keepdim=False, *, dtype=None) -> Tensor:  # noqa: A002
    return input.mean(dim, keepdim, dtype)


def var(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    return input.std(dim, unbiased, keepdim, correction=correction)


def max(input: Tensor, dim=None, keepdim=False):  # noqa: A002, A001
    return input.max(dim, keepdim)


def min(input: Tensor, dim=None, keepdim=False):  # noqa: A002, A001
    return input.min(dim, keepdim)


def amax(input: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A002
    return input.amax(dim, keepdim)


def amin(input: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A002
    return input.amin(dim, keepdim)


def argmax(input: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A002
    return input.argmax(dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A002
    return input.argmin(dim, keepdim)


def logsumexp(input: Tensor, dim, keepdim=False) -> Tensor:  # noqa: A002
    return input.logsumexp(dim, keepdim)


def softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return input.log_softmax(dim)


def topk(input: Tensor, k: int, dim: int = -1, largest=True, sorted=True):  # noqa: A002
    return input.topk(k, dim, largest, sorted)


def sort(input: Tensor, dim: int = -1, descending=False, stable=False):  # noqa: A002
    return input.sort(dim, descending, stable)


def argsort(input: Tensor, dim: int = -1, descending=False) -> Tensor:  # noqa: A002
    return input.argsort(dim, descending)


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    return input.gather(dim, index)


def reshape(input: Tensor, shape) -> Tensor:  # noqa: A002
    return input.reshape(shape)


def flatten(input: Tensor, start_dim=0, end_dim=-1) -> Tensor:  # noqa: A002
    return input.flatten(start_dim, end_dim)


def squeeze(input: Tensor, dim=None) -> Tensor:  # noqa: A002
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return input.unsqueeze(dim)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return input.transpose(dim0, dim1)


def permute(input: Tensor, dims) -> Tensor:  # noqa: A002
    return input.permute(*dims)


def t(input: Tensor) -> Tensor:  # noqa: A002
    return input.t()


def split(tensor: Tensor, split_size_or_sections, dim: int = 0):
    return tensor.split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0):  # noqa: A002
    return input.chunk(chunks, dim)


def unbind(input: Tensor, dim: int = 0):  # noqa: A002
    return input.unbind(dim)


def masked_fill(input: Tensor, mask, value) -> Tensor:  # noqa: A002
    return input.masked_fill(mask, value)


def isnan(input: Tensor) -> Tensor:  # noqa: A002
    return input.isnan()


def isinf(input: Tensor) -> Tensor:  # noqa: A002
    return input.isinf()


def isfinite(input: Tensor) -> Tensor:  # noqa: A002
    return input.isfinite()


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return input.equal(other)


def round(input: Tensor, decimals: int = 0) -> Tensor:  # noqa: A002, A001
    return input.round(decimals)


def floor(input: Tensor) -> Tensor:  # noqa: A002
    return input.floor()


def ceil(input: Tensor) -> Tensor:  # noqa: A002
    return input.ceil()


def cumsum(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return input.cumsum(dim)


def prod(input: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A002
    return input.prod(dim, keepdim)


def any(input: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A002, A001
    return input.any(dim, keepdim)


def all(input: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A002, A001
    return input.all(dim, keepdim)
