"""Reductions: sum, mean, max/min, logsumexp, and the fused softmax / log-softmax.

`dim=None` reduces everything; `keepdim=True` keeps reduced axes as size 1. In backward the
reduced axes are put back (as size 1) so the gradient broadcasts over what was reduced.
Read next: movement.py.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from ..autograd import Function, _sum_by_products, quiet
from ..errors import IndexOutOfRangeError

# NumPy (2.4) runs a ufunc whose operand is broadcast along rows shorter than about half its
# buffer (np.getbufsize(), 8192 values) through that buffer, copying every row in and out
# (numpy/numpy#13307): x - column on (256, 512) 45-50 us, x - x 25. A smaller buffer makes
# NumPy loop along the rows themselves when they are longer than half of it (unbuffered_rows):
# 19-20 us; (128, 1000) 35 -> 16, (64, 2048) 45 -> 13 (2026-11-27). Shorter rows are faster
# buffered: on (768, 128), x - column 25 us with the default buffer, 40 with one of 256 values.
# Used where one number per row meets rows of a plane (conv.py: GroupNorm, BatchNorm) or of
# classes (softmax, log-softmax, cross-entropy), features (LayerNorm) or keys (attention).
UNBUFFERED_ROW, SMALL_BUFFER = 512, 256


@contextlib.contextmanager
def unbuffered_rows(row: int):
    """Inside, NumPy's ufuncs run along rows of `row` values without copying them through
    the ufunc buffer, when `row` >= UNBUFFERED_ROW. The setting is NumPy's own
    (np.setbufsize), local to this thread and to the parts it hands to helper threads
    (_threads.parallel_for runs them in the caller's context)."""
    if row < UNBUFFERED_ROW:
        yield
        return
    before = np.setbufsize(SMALL_BUFFER)
    try:
        yield
    finally:
        np.setbufsize(before)


def last_axis_rows(x: np.ndarray, dim) -> int:
    """The length of x's rows where `dim` is its last axis (one number per row then meets
    rows of that many values), else 0: what unbuffered_rows is given."""
    return x.shape[-1] if x.ndim and dim is not None and dim % x.ndim == x.ndim - 1 else 0


def _keep_shape(shape: tuple, axis) -> tuple:
    """`shape` with the reduced axes set to 1 (what keepdim=True would give)."""
    if axis is None:
        return (1,) * len(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    axes = {a % len(shape) for a in axes} if shape else set()
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(grad: np.ndarray, shape: tuple, strides: tuple | None = None) -> np.ndarray:
    """Copy `grad` (reduced axes of size 1) over `shape`: the backward of a reduction.
    (A writable array; np.broadcast_to would give a read-only view at a higher call cost.)

    In C order, or in the memory order of an input with these `strides` (a conv's output is
    channels-last: a gradient in another layout makes every op after it mix two layouts,
    and those that need one copy it)."""
    if strides is None:
        out = np.empty(shape, dtype=grad.dtype)
    else:  # the axes from the largest stride to the smallest, as x's memory has them
        order = sorted(range(len(shape)), key=lambda axis: -abs(strides[axis]))
        out = np.empty([shape[a] for a in order], grad.dtype).transpose(np.argsort(order))
    out[...] = grad
    return out


def _sum(x: np.ndarray, dim, keepdim: bool) -> np.ndarray:
    """x.sum(axis=dim, keepdims=keepdim); over some of the axes by products with ones where
    NumPy's sum is slow (autograd._sum_by_products: x.sum((0, 2, 3)) of (32, 64, 28, 28),
    a mean per channel, 0.29 -> 0.10 ms). The sum of all values stays NumPy's pairwise one."""
    if dim is not None and x.ndim:
        axes = tuple(sorted({d % x.ndim for d in ((dim,) if isinstance(dim, int) else dim)}))
        summed = _sum_by_products(x, axes)
        if summed is not None:
            return summed.reshape(
                _keep_shape(x.shape, axes) if keepdim else _drop(x.shape, axes, x.ndim)
            )
    return x.sum(axis=dim, keepdims=keepdim)


class Sum(Function):
    """out = sum of x over `dim`"""

    formula = "out = sum(x)"
    derivatives = ("grad_out (copied to every summed element)",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, dim=None, keepdim=False):
        self.shape, self.kept = x.shape, _keep_shape(x.shape, dim)
        self.strides = None if x.flags.c_contiguous else x.strides  # the gradient's layout
        return _sum(x, dim, keepdim)

    def backward(self, grad_out):
        # each x_i adds to the sum with weight 1: dL/dx_i = grad_out
        return _spread(grad_out.reshape(self.kept), self.shape, self.strides)


class Norm2(Function):
    """out = sqrt(sum of x^2 over `dim`), the Euclidean (2-)norm"""

    formula = "out = sqrt(sum(x^2))"
    derivatives = ("grad_out * x / out (0 where out is 0, as PyTorch)",)
    saves_output = True

    @quiet
    def forward(self, x, dim=None, keepdim=False):
        self.x, self.kept = x, _keep_shape(x.shape, dim)
        self.out = np.sqrt(np.square(x).sum(axis=dim, keepdims=keepdim))
        return self.out

    @quiet
    def backward(self, grad_out):
        # d sqrt(s)/dx_i = x_i / sqrt(s); at the zero vector the norm has no slope: 0
        out = self.out.reshape(self.kept)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(out == 0, 0, grad_out.reshape(self.kept) / out)
        return self.x * scale.astype(self.x.dtype, copy=False)


class NormP(Function):
    """out = (sum of |x|^p over `dim`)^(1 / p), the p-norm for a p > 0 other than 1, 2 and
    inf (those are abs().sum(), Norm2 and abs().amax())."""

    formula = "out = sum(|x|^p)^(1/p)"
    derivatives = (
        "grad_out * sign(x) |x|^(p-1) / out^(p-1); 0 where out is 0, and for p < 1 where x "
        "is 0, as PyTorch",
    )

    @quiet
    def forward(self, x, p=3.0, dim=None, keepdim=False):
        self.x, self.p, self.kept = x, x.dtype.type(p), _keep_shape(x.shape, dim)
        powers = np.power(np.abs(x), self.p)
        self.out = np.power(powers.sum(axis=dim, keepdims=keepdim), 1 / self.p)
        return self.out

    @quiet
    def backward(self, grad_out):
        # d out / dx_i = sign(x_i) |x_i|^(p-1) / out^(p-1). At the zero vector the norm has
        # no slope (0 / 0): 0. For p < 1, |x_i|^(p-1) is infinite at x_i = 0: 0 there too.
        x, p = self.x, self.p
        out = self.out.reshape(self.kept)
        scale = np.where(out == 0, 0, grad_out.reshape(self.kept) / np.power(out, p - 1))
        slope = np.power(np.abs(x), p - 1)
        slope *= np.sign(x)
        if p < 1:
            slope[x == 0] = 0
        slope *= scale
        return slope.astype(x.dtype, copy=False)


class Mean(Function):
    """out = mean of x over `dim`"""

    formula = "out = mean(x)"
    derivatives = ("grad_out / n (copied to every averaged element)",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, dim=None, keepdim=False):
        self.shape, self.kept = x.shape, _keep_shape(x.shape, dim)
        self.strides = None if x.flags.c_contiguous else x.strides  # the gradient's layout
        if x.size and x.dtype in (np.float32, np.float64):  # the sum / n, as np.mean makes it
            total = _sum(x, dim, keepdim)
            out = total / (x.size // max(total.size, 1))
        elif x.size:  # (float16 adds in float32 in np.mean)
            out = x.mean(axis=dim, keepdims=keepdim)
        else:  # the mean of nothing is nan, silently, as in PyTorch (NumPy warns)
            out = np.full(x.sum(axis=dim, keepdims=keepdim).shape, np.nan, x.dtype)
        self.n = x.size // max(out.size, 1) if x.size else 1
        return out

    def backward(self, grad_out):
        # each x_i has weight 1/n in the mean
        return _spread(grad_out.reshape(self.kept) / self.n, self.shape, self.strides)


class Amax(Function):
    """out = max of x over `dim`; tied maxima share the gradient equally (as torch.amax).
    Where the max is NaN no value equals it, and the gradient is NaN, as torch.amax's;
    torch's max() of all values gives it to the NaNs instead (nan_is_top)."""

    formula = "out = max(x)"
    derivatives = ("grad_out / n_ties where x == out, else 0",)
    reduce = staticmethod(np.max)
    saves_inputs = False  # only where the maxima are, a new array

    def forward(self, x, dim=None, keepdim=False, nan_is_top=False):
        out = self.reduce(x, axis=dim, keepdims=True)
        self.is_top = x == out
        if nan_is_top and np.isnan(out).any():  # one value, from max() or min() of all
            self.is_top = np.isnan(x)  # the NaNs share its gradient, as PyTorch's max()
        self.n_ties = self.is_top.sum(axis=dim, keepdims=True)  # ties counted per reduced slice
        self.kept = out.shape
        return out if keepdim else out.reshape(_drop(out.shape, dim, x.ndim))

    def backward(self, grad_out):
        return self.is_top * (grad_out.reshape(self.kept) / self.n_ties).astype(grad_out.dtype)

    def explain_error(self, err, arrays):
        if np.size(arrays[0]) == 0:
            return empty_reduction_error(self.name(), np.shape(arrays[0]))
        return super().explain_error(err, arrays)


class Amin(Amax):
    """out = min of x over `dim`; tied minima share the gradient equally (as torch.amin)."""

    formula = "out = min(x)"
    reduce = staticmethod(np.min)


def empty_reduction_error(op: str, shape: tuple) -> IndexOutOfRangeError:
    """max, min, argmax... of no elements: there is nothing to pick (torch refuses it too)."""
    return IndexOutOfRangeError(
        f"{op}: the tensor of shape {tuple(shape)} has no elements along the dim reduced, so "
        f"there is no value to pick. Check why it is empty (an empty batch, a mask that "
        f"selected nothing), or reduce over a dim whose size is not 0."
    )


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
    saves_inputs = False  # only the indices of the maxima

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

    def explain_error(self, err, arrays):
        if np.size(arrays[0]) == 0:  # named as called: x.max(dim), x.min(dim)
            return empty_reduction_error(self.name()[:3], np.shape(arrays[0]))
        return super().explain_error(err, arrays)


class MinDim(MaxDim):
    """out = the min of x along one dim; the gradient goes to the index chosen."""

    formula = "out = min(x, dim)"
    derivatives = ("grad_out at the argmin, 0 elsewhere",)
    pick = staticmethod(np.argmin)


class LogSumExp(Function):
    """out = log(sum(exp(x))) over `dim`, stable: m + log(sum(exp(x - m))) with m = max(x)."""

    formula = "out = logsumexp(x)"
    derivatives = ("grad_out * softmax(x)",)
    saves_output = True

    @quiet
    def forward(self, x, dim=None, keepdim=False):
        m = x.max(axis=dim, keepdims=True, initial=-np.inf)  # -inf over no elements, as torch
        m = np.where(np.isfinite(m), m, 0)  # all -inf rows stay -inf instead of nan
        with np.errstate(divide="ignore"):  # log(0) = -inf for an all -inf row
            out = np.log(np.exp(x - m).sum(axis=dim, keepdims=True)) + m
        self.x, self.out_kept = x, out
        return out if keepdim else out.reshape(_drop(out.shape, dim, x.ndim))

    @quiet
    def backward(self, grad_out):
        # d logsumexp / dx_i = exp(x_i - out) = softmax(x)_i
        return grad_out.reshape(self.out_kept.shape) * np.exp(self.x - self.out_kept)


# Softmax is the same whatever one number is subtracted from a row before exp. The row's max
# is the usual choice, but NumPy makes a call per row to find it: 232 us for (4096, 10)
# logits, against 5 us for the max and min of all of them (2026-11-27). So when x is finite
# and spans at most ONE_SHIFT_SPREAD, softmax_shift gives its largest value instead: each row
# then lies within [-16, 0] after the shift (no overflow; exp >= e^-16, no underflow), and
# rounding x - shift costs at most ~1e-6 absolute (16 * 2^-24) where the row max would cost
# less: log-softmax's values, exp's relative error. Wider (or with inf, NaN): the row max.
ONE_SHIFT_SPREAD = 16.0


def softmax_shift(x: np.ndarray, axis) -> np.ndarray:
    """What softmax, log-softmax and cross-entropy along `axis` subtract from x before exp:
    all of x's largest value (0-d) where x is float32/float64, finite and spans at most
    ONE_SHIFT_SPREAD, else the max along `axis` (keepdims)."""
    if x.size and x.dtype in (np.float32, np.float64):
        top = x.max()
        if top - x.min() <= ONE_SHIFT_SPREAD:  # False for NaN or an infinity
            return top
    return x.max(axis=axis, keepdims=True)


class Softmax(Function):
    """out_i = exp(x_i) / sum_j exp(x_j) along `dim` (fused; composed version in the tests)."""

    formula = "out = softmax(x)"
    derivatives = ("out * (grad_out - sum(grad_out * out))",)
    saves_inputs, saves_output = False, True

    @quiet
    def forward(self, x, dim=-1):
        if not x.size:  # no elements: nothing to normalise (max would have nothing to pick)
            self.out, self.dim = x.copy(), dim
            return self.out
        e = np.subtract(x, softmax_shift(x, dim))  # no overflow in exp
        np.exp(e, out=e)
        total = _sum(e, dim, True)
        with unbuffered_rows(last_axis_rows(x, dim)):  # one total per row, long rows
            e /= total
        self.out, self.dim = e, dim
        return e

    @quiet
    def backward(self, grad_out):
        # Jacobian-vector product: dL/dx_i = s_i * (g_i - sum_j g_j s_j)
        s = self.out
        gs = grad_out * s
        total = _sum(gs, self.dim, True)
        with unbuffered_rows(last_axis_rows(s, self.dim)):
            gs -= s * total
        return gs


class LogSoftmax(Function):
    """out_i = x_i - logsumexp(x) along `dim` (fused; composed version in the tests).

    Forward keeps its exponentials e_i = exp(x_i - shift) and their sum along dim when a
    gradient is wanted, so that backward's softmax_i = e_i / sum_j e_j costs no second exp
    (NumPy's float32 exp takes 1.8-2.5 ns a value on the AMD EPYC here, against 0.2 for a
    product: forward + backward on (256, 512) was 2.7x PyTorch's time, two thirds of it in
    the two exps). The price: one more array of x's size kept until backward. The result
    is not read by backward, so changing it in place before backward does not raise here,
    where torch raises; the gradient is still right.
    """

    formula = "out = log_softmax(x)"
    derivatives = ("grad_out - softmax(x) * sum(grad_out)",)
    saves_inputs = False  # the exponentials instead

    @quiet
    def forward(self, x, dim=-1):
        self.dim, self.e = dim, None
        if not x.size:  # no elements: nothing to normalise (max would have nothing to pick)
            return x.copy()
        shifted = np.subtract(x, softmax_shift(x, dim))
        e = np.exp(shifted)
        total = _sum(e, dim, True)
        with unbuffered_rows(last_axis_rows(x, dim)):  # one number per row, long rows
            shifted -= np.log(total)
        if self.needs_input_grad[0]:
            self.e, self.total = e, total
        return shifted

    @quiet
    def backward(self, grad_out):
        # dL/dx_i = g_i - softmax_i * sum_j g_j = g_i - e_i * (sum_j g_j / sum_j e_j)
        if self.e is None:  # an empty x: an empty gradient
            return grad_out.copy()
        each = _sum(grad_out, self.dim, True)
        each /= self.total
        with unbuffered_rows(last_axis_rows(self.e, self.dim)):
            part = self.e * each
        return np.subtract(grad_out, part, out=part)


def _as_int64(x: np.ndarray) -> np.ndarray:
    """Integers and bools multiply and add up in int64, as in torch.prod/cumsum/cumprod
    (NumPy would keep uint8 as uint64)."""
    return x.astype(np.int64) if x.dtype.kind in "biu" else x


# PyTorch's CPU cumsum adds float32 values in float64 and rounds each sum to float32 (float16
# ones in float32): NumPy's own float32 np.cumsum differs from torch.cumsum in most places (up
# to 7e-4 after 100,000 values of N(0, 1)). cumulative_sum does as PyTorch: the same numbers.
_ACCUMULATE_IN = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float32}
# cumulative_sum goes by blocks of SCAN_BLOCK positions (_scan_by_blocks) in arrays of at
# least SCAN_BLOCKS_FROM values, along the last axis or one followed by rows of more than
# 2 * SCAN_BLOCK values (the blocks' passes over rows of 2 to 32 values were slower)
SCAN_BLOCK, SCAN_BLOCKS_FROM = 16, 1 << 15


def cumulative_sum(x: np.ndarray, axis) -> np.ndarray:
    """x's cumulative sum along `axis` (all of x, flat, for None), each sum accumulated in a
    wider type and then rounded, as torch.cumsum on the CPU; integers and bools in int64.

    Large arrays by blocks (_scan_by_blocks): NumPy's cumsum adds one value at a time, each
    add waiting for the one before, and along an axis other than the last it runs down each
    column in turn ((8, 64, 512) along axis 1 2.8 ms, along axis 2 0.9). Else np.cumsum in
    the wider type."""
    x = _as_int64(x)
    wide = _ACCUMULATE_IN.get(x.dtype)
    if wide is None:
        return np.cumsum(x, axis=axis).reshape(x.shape if axis is not None else -1)
    if axis is None:
        x, axis = x.reshape(-1), 0
    rows = math.prod(x.shape[axis + 1 :])  # the values after each position along the axis
    # silent, as torch: inf + -inf gives nan, and a sum past the dtype's largest value inf
    with np.errstate(invalid="ignore", over="ignore"):
        if x.size >= SCAN_BLOCKS_FROM and (rows == 1 or rows > 2 * SCAN_BLOCK):
            return _scan_by_blocks(x, axis, wide)
        sums = x.astype(wide)
        np.cumsum(sums, axis=axis, out=sums)
        return sums.astype(x.dtype)


def _scan_by_blocks(x: np.ndarray, axis: int, wide) -> np.ndarray:
    """np.cumsum(x, axis) added in the dtype `wide`, rounded to x's: the axis cut in blocks
    of SCAN_BLOCK positions, then (1) each block's total, (2) into each block's first
    position the totals of the blocks before it (a cumsum of the totals, SCAN_BLOCK times
    shorter), (3) a running sum inside the blocks, a position at a time, of every block at
    once: SCAN_BLOCK passes that each add many independent values. The sums are associated
    otherwise than one by one; in float64 that changed no float32 result in the tests
    against torch. Forward + backward, alternating with float32 np.cumsum in one process
    (2026-11-27): (256, 512) along axis 0 2.4 -> 0.63 ms, (8, 64, 512) along axis 1 5.5 ->
    1.1 ms; along the last axis 0.94-1.06x the float32 np.cumsum's time (np.cumsum in
    float64, with its two casts, took 1.1-1.2x)."""
    a, n, b = math.prod(x.shape[:axis]), x.shape[axis], math.prod(x.shape[axis + 1 :])
    n_blocks = -(-n // SCAN_BLOCK)
    padded = np.empty((a, n_blocks * SCAN_BLOCK, b), wide)
    padded[:, :n] = x.reshape(a, n, b)
    padded[:, n:] = 0  # zeros after the last value fill the last block
    blocks = padded.reshape(a, n_blocks, SCAN_BLOCK, b)
    totals = blocks.sum(axis=2)  # (a, n_blocks, b)
    blocks[:, 1:, 0] += np.cumsum(totals[:, :-1], axis=1)  # what the blocks before hold
    for k in range(1, SCAN_BLOCK):
        blocks[:, :, k] += blocks[:, :, k - 1]
    out = np.empty(x.shape, x.dtype)
    out.reshape(a, n, b)[...] = padded[:, :n]
    return out


def _reverse_cumsum(a: np.ndarray, dim) -> np.ndarray:
    """out_j = sum over i >= j of a_i along `dim`: the cumulative sum taken from the end."""
    return np.flip(cumulative_sum(np.flip(a, dim), dim), dim).reshape(a.shape)


class Prod(Function):
    """out = product of x over `dim` (all elements when dim is None), as torch.prod."""

    formula = "out = prod(x)"
    derivatives = ("grad_out * (product of the other elements)",)
    saves_output = True

    def forward(self, x, dim=None, keepdim=False):
        x = _as_int64(x)
        if x.ndim == 0:
            dim = None  # one element: dim 0 (or -1) is all of it
        out = np.prod(x, axis=dim, keepdims=keepdim)
        self.x, self.dim, self.kept = x, dim, _keep_shape(x.shape, dim)
        self.out = out.reshape(self.kept)
        return out

    def backward(self, grad_out):
        # dL/dx_i = grad_out * (product of the others), which is prod / x_i when x_i != 0.
        # Dividing by a zero would give nan, so zeros are counted per reduced slice:
        #   no zero:         others_i = prod / x_i
        #   exactly one, x_k: others_k = product of the non-zero x; others_i = prod / x_i = 0
        #   two or more:     every product of "the others" holds a zero: others = 0
        x, dim = self.x, self.dim
        is_zero = x == 0
        safe_x = np.where(is_zero, 1, x)  # x with its zeros replaced by 1
        others = self.out / safe_x  # exact where x != 0 (and 0 there if the slice has a zero)
        if is_zero.any():
            n_zeros = is_zero.sum(axis=dim, keepdims=True)
            prod_nonzero = np.prod(safe_x, axis=dim, keepdims=True)
            at_zero = np.where(n_zeros == 1, prod_nonzero, 0)
            others = np.where(is_zero, at_zero, others)
        return grad_out.reshape(self.kept) * others


class CumSum(Function):
    """out_i = x_0 + x_1 + ... + x_i along `dim`, as torch.cumsum (its numbers: cumulative_sum)."""

    formula = "out_i = sum_{j<=i} x_j"
    derivatives = ("reverse cumsum of grad_out: sum_{i>=j} grad_out_i",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, dim=0):
        self.dim = dim if x.ndim else None  # a 0-d tensor: one element, dim 0 is all of it
        return cumulative_sum(x, self.dim).reshape(x.shape)

    def backward(self, grad_out):
        # x_j is added into every out_i with i >= j: dL/dx_j = sum_{i>=j} grad_out_i
        return _reverse_cumsum(grad_out, self.dim)


class CumProd(Function):
    """out_i = x_0 * x_1 * ... * x_i along `dim`, as torch.cumprod."""

    formula = "out_i = prod_{j<=i} x_j"
    derivatives = ("sum_{i>=j} grad_out_i * out_i / x_j (zeros handled apart)",)
    saves_output = True

    def forward(self, x, dim=0):
        self.dim = dim if x.ndim else None  # a 0-d tensor: one element, dim 0 is all of it
        self.x = _as_int64(x)
        self.out = np.cumprod(self.x, axis=self.dim).reshape(x.shape)
        return self.out

    def backward(self, grad_out):
        # out_i depends on x_j for i >= j, with d out_i / d x_j = product of x_k, k <= i, k != j.
        # Where x_j != 0 that is out_i / x_j, so dL/dx_j = reverse_cumsum(grad_out * out)_j / x_j.
        x, dim = self.x, self.dim
        grad_x = _reverse_cumsum(grad_out * self.out, dim)
        is_zero = x == 0
        if not is_zero.any():
            return grad_x / x
        # A slice with zeros, the first at position z:
        #   j < z: x_j != 0, the formula above holds.
        #   j > z: every out_i with i >= j holds the factor x_z = 0, and so does its
        #          derivative: dL/dx_j = 0.
        #   j = z: dL/dx_z = sum_{i>=z} grad_out_i * product of x_k, k <= i, k != z, which is
        #          the same reverse cumsum with x_z replaced by 1 in the products.
        n_zeros_so_far = np.cumsum(is_zero, axis=dim).reshape(x.shape)
        after_zero = n_zeros_so_far > 0  # the first zero and everything after it
        first_zero = is_zero & (n_zeros_so_far == 1)
        grad_x = np.where(after_zero, 0, grad_x / np.where(after_zero, 1, x))
        out_without_zero = np.cumprod(np.where(first_zero, 1, x), axis=dim).reshape(x.shape)
        at_zero = _reverse_cumsum(grad_out * out_without_zero, dim)
        return np.where(first_zero, at_zero, grad_x)


def _reverse_logcumsumexp(a: np.ndarray, dim: int) -> np.ndarray:
    """out_j = log(sum over i >= j of exp(a_i)) along `dim`, stable: taken from the end."""
    return np.flip(np.logaddexp.accumulate(np.flip(a, dim), axis=dim), dim)


class LogCumSumExp(Function):
    """out_i = log(exp(x_0) + ... + exp(x_i)) along `dim`, as torch.logcumsumexp.

    Stable: each step is logaddexp(out_{i-1}, x_i) = max + log(1 + exp(-|difference|)), so no
    exp overflows and small terms before a large one are not lost.
    """

    formula = "out_i = log(sum_{j<=i} exp(x_j))"
    derivatives = ("sum_{i>=j} grad_out_i * exp(x_j - out_i)",)
    saves_output = True

    def forward(self, x, dim=0):
        self.x, self.dim = x.reshape(x.shape or (1,)), dim  # a 0-d tensor: one element
        self.out = np.logaddexp.accumulate(self.x, axis=dim)
        return self.out.reshape(x.shape)

    def backward(self, grad_out):
        # dL/dx_j = sum_{i>=j} g_i exp(x_j - out_i) = exp(x_j + log(sum_{i>=j} g_i exp(-out_i))).
        # The sum is taken in log space, positive and negative g apart (a log needs g > 0), so
        # exp(-out_i) cannot overflow (the same method as torch and TensorFlow).
        g, x, dim = grad_out.reshape(self.x.shape), self.x, self.dim
        with np.errstate(divide="ignore"):  # log(0) = -inf: a zero part adds nothing
            log_pos = np.log(np.where(g > 0, g, 0))
            log_neg = np.log(np.where(g < 0, -g, 0))
        pos = np.exp(x + _reverse_logcumsumexp(log_pos - self.out, dim))
        neg = np.exp(x + _reverse_logcumsumexp(log_neg - self.out, dim))
        return (pos - neg).reshape(grad_out.shape)
