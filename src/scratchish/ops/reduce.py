"""Reductions: sum, mean, max/min, logsumexp, and the fused softmax / log-softmax.

`dim=None` reduces everything; `keepdim=True` keeps reduced axes as size 1. In backward the
reduced axes are put back (as size 1) so the gradient broadcasts over what was reduced.
Read next: movement.py.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def _keep_shape(shape: tuple, axis) -> tuple:
    """`shape` with the reduced axes set to 1 (what keepdim=True would give)."""
    if axis is None:
        return (1,) * len(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    axes = {a % len(shape) for a in axes} if shape else set()
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Copy `grad` (reduced axes of size 1) over `shape`: the backward of a reduction.
    (A writable array; np.broadcast_to would give a read-only view at a higher call cost.)"""
    out = np.empty(shape, dtype=grad.dtype)
    out[...] = grad
    return out


class Sum(Function):
    """out = sum of x over `dim`"""

    formula = "out = sum(x)"
    derivatives = ("grad_out (copied to every summed element)",)

    def forward(self, x, dim=None, keepdim=False):
        self.shape, self.kept = x.shape, _keep_shape(x.shape, dim)
        return x.sum(axis=dim, keepdims=keepdim)

    def backward(self, grad_out):
        # each x_i adds to the sum with weight 1: dL/dx_i = grad_out
        return _spread(grad_out.reshape(self.kept), self.shape)


class Mean(Function):
    """out = mean of x over `dim`"""

    formula = "out = mean(x)"
    derivatives = ("grad_out / n (copied to every averaged element)",)

    def forward(self, x, dim=None, keepdim=False):
        self.shape, self.kept = x.shape, _keep_shape(x.shape, dim)
        out = x.mean(axis=dim, keepdims=keepdim)
        self.n = x.size // max(out.size, 1) if x.size else 1
        return out

    def backward(self, grad_out):
        # each x_i has weight 1/n in the mean
        return _spread(grad_out.reshape(self.kept) / self.n, self.shape)


class Amax(Function):
    """out = max of x over `dim`; tied maxima share the gradient equally (as torch.amax)."""

    formula = "out = max(x)"
    derivatives = ("grad_out / n_ties where x == out, else 0",)
    reduce = staticmethod(np.max)

    def forward(self, x, dim=None, keepdim=False):
        out = self.reduce(x, axis=dim, keepdims=True)
        self.is_top = x == out
        self.n_ties = self.is_top.sum(axis=dim, keepdims=True)  # ties counted per reduced slice
        self.kept = out.shape
        return out if keepdim else out.reshape(_drop(out.shape, dim, x.ndim))

    def backward(self, grad_out):
        return self.is_top * (grad_out.reshape(self.kept) / self.n_ties).astype(grad_out.dtype)


class Amin(Amax):
    """out = min of x over `dim`; tied minima share the gradient equally (as torch.amin)."""

    formula = "out = min(x)"
    reduce = staticmethod(np.min)


def _drop(shape: tuple, dim, ndim: int) -> tuple:
    if dim is None:
        return ()
    axes = {d % ndim for d in ((dim,) if isinstance(dim, int) else dim)}
    return tuple(n for i, n in enumerate(shape) if i not in axes)


class MaxDim(Function):
    """out = the max of x along one dim; the gradient goes to the index chosen (torch.max(dim)).

    `self.indices` holds argmax; Tensor.max(dim) returns it beside the values.
    """

    formula = "out = max(x, dim)"
    derivatives = ("grad_out at the argmax, 0 elsewhere",)
    pick = staticmethod(np.argmax)

    def forward(self, x, dim=0, keepdim=False):
        self.shape, self.dim = x.shape, dim
        self.indices = np.expand_dims(self.pick(x, axis=dim), dim)
        out = np.take_along_axis(x, self.indices, axis=dim)
        return out if keepdim else out.squeeze(dim)

    def backward(self, grad_out):
        grad_x = np.zeros(self.shape, dtype=grad_out.dtype)
        values = grad_out.reshape(self.indices.shape)
        np.put_along_axis(grad_x, self.indices, values, axis=self.dim)
        return grad_x


class MinDim(MaxDim):
    """out = the min of x along one dim; the gradient goes to the index chosen."""

    formula = "out = min(x, dim)"
    derivatives = ("grad_out at the argmin, 0 elsewhere",)
    pick = staticmethod(np.argmin)


class LogSumExp(Function):
    """out = log(sum(exp(x))) over `dim`, stable: m + log(sum(exp(x - m))) with m = max(x)."""

    formula = "out = logsumexp(x)"
    derivatives = ("grad_out * softmax(x)",)

    def forward(self, x, dim=None, keepdim=False):
        m = x.max(axis=dim, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # all -inf rows stay -inf instead of nan
        with np.errstate(divide="ignore"):  # log(0) = -inf for an all -inf row
            out = np.log(np.exp(x - m).sum(axis=dim, keepdims=True)) + m
        self.x, self.out_kept = x, out
        return out if keepdim else out.reshape(_drop(out.shape, dim, x.ndim))

    def backward(self, grad_out):
        # d logsumexp / dx_i = exp(x_i - out) = softmax(x)_i
        return grad_out.reshape(self.out_kept.shape) * np.exp(self.x - self.out_kept)


class Softmax(Function):
    """out_i = exp(x_i) / sum_j exp(x_j) along `dim` (fused; composed version in the tests)."""

    formula = "out = softmax(x)"
    derivatives = ("out * (grad_out - sum(grad_out * out))",)

    def forward(self, x, dim=-1):
        e = np.exp(x - x.max(axis=dim, keepdims=True))  # shift by the max: no overflow
        e /= e.sum(axis=dim, keepdims=True)
        self.out, self.dim = e, dim
        return e

    def backward(self, grad_out):
        # Jacobian-vector product: dL/dx_i = s_i * (g_i - sum_j g_j s_j)
        s = self.out
        gs = grad_out * s
        gs -= s * gs.sum(axis=self.dim, keepdims=True)
        return gs


class LogSoftmax(Function):
    """out_i = x_i - logsumexp(x) along `dim` (fused; composed version in the tests)."""

    formula = "out = log_softmax(x)"
    derivatives = ("grad_out - softmax(x) * sum(grad_out)",)

    def forward(self, x, dim=-1):
        shifted = x - x.max(axis=dim, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        self.out, self.dim = out, dim
        return out

    def backward(self, grad_out):
        # dL/dx_i = g_i - softmax_i * sum_j g_j
        return grad_out - np.exp(self.out) * grad_out.sum(axis=self.dim, keepdims=True)
