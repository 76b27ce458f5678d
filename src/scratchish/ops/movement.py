"""Movement primitives: reshape, transpose, expand, indexing, concatenation, padding.

None of these computes anything new; each moves values around, so each backward moves the
gradient back to where the value came from. Views are kept as views (no copy) where NumPy can.
Read next: matmul.py.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from .._threads import blocks, parallel_rows
from ..autograd import Function, unbroadcast
from ..errors import IndexOutOfRangeError


class Reshape(Function):
    """out = x with a new shape (same elements, same order)."""

    formula = "out = x.reshape(shape)"
    derivatives = ("grad_out.reshape(x.shape)",)
    saves_inputs, returns_view = False, True

    def forward(self, x, shape=()):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, grad_out):
        return grad_out.reshape(self.shape)


class Contiguous(Function):
    """out = x laid out row-major in memory (a copy only when it is not already)."""

    formula = "out = x.contiguous()"
    derivatives = ("grad_out",)
    saves_inputs, returns_view = False, True

    def forward(self, x):
        return np.ascontiguousarray(x) if x.ndim else x

    def backward(self, grad_out):
        return grad_out  # the same values: the gradient passes through


class Permute(Function):
    """out = x with its axes reordered (transpose is the two-axis case)."""

    formula = "out = x.permute(dims)"
    derivatives = ("grad_out.permute(inverse of dims)",)
    saves_inputs, returns_view = False, True

    def forward(self, x, dims=()):
        self.inverse = np.argsort(dims)
        return x.transpose(dims)

    def backward(self, grad_out):
        return grad_out.transpose(self.inverse)


class Transpose(Function):
    """out = x with two axes swapped."""

    formula = "out = x.transpose(dim0, dim1)"
    derivatives = ("grad_out.transpose(dim0, dim1)",)
    saves_inputs, returns_view = False, True

    def forward(self, x, dim0=0, dim1=1):
        self.dims = (dim0, dim1)
        return x.swapaxes(dim0, dim1)

    def backward(self, grad_out):
        return grad_out.swapaxes(*self.dims)


class Expand(Function):
    """out = x repeated (as a broadcast view) to a larger shape."""

    formula = "out = x.expand(shape)"
    derivatives = ("grad_out summed over the repeated axes",)
    saves_inputs, returns_view = False, True

    def forward(self, x, shape=()):
        self.shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(self, grad_out):
        return unbroadcast(grad_out, self.shape)


class GetItem(Function):
    """out = x[index] for ints, slices, None, Ellipsis, integer arrays and boolean masks."""

    formula = "out = x[index]"
    derivatives = ("grad_out placed back at index (added where an index repeats)",)
    saves_inputs, returns_view = False, True
    fresh_grads = True  # backward makes a new array of x's shape

    def forward(self, x, index=()):
        self.shape, self.index = x.shape, index
        self.axis = axis = _one_array_axis(index)
        if axis is not None:  # x[:, :, idx] (interpolate's gathers): np.take, ~2x faster
            return np.take(x, index[axis], axis=axis)
        return x[index]

    def backward(self, grad_out):
        index = self.index
        if type(index) is np.ndarray and index.dtype.kind in "iu" and len(self.shape) > 0:
            # one integer array picking rows (an embedding lookup, C[X]): rows repeat
            return scatter_add_rows(index, grad_out, self.shape)
        if self.axis is not None:  # x[:, :, idx]: interpolate's gathers, a column pick
            return sum_into_axis(index[self.axis], grad_out, self.shape, self.axis)
        grad_x = np.zeros(self.shape, dtype=grad_out.dtype)
        if _is_basic(index):
            grad_x[index] = grad_out  # a slice: each element picked at most once
        else:
            np.add.at(grad_x, index, grad_out)  # repeated indices add up
        return grad_x

    def add_grad_into(self, acc, grad_out) -> bool:
        # the same gradient added into x's gradient so far: no array of x's size made
        if not _is_basic(self.index):
            return False
        acc[self.index] += grad_out
        return True

    def explain_error(self, err, arrays):
        # an index tensor of floats: torch refuses it as well, since 1.5 is no position
        parts = self.index if isinstance(self.index, tuple) else (self.index,)
        for part in parts:
            kind = np.asarray(part).dtype.kind if isinstance(part, (np.ndarray, list)) else ""
            if kind in ("f", "c"):
                return IndexOutOfRangeError(
                    f"getitem: an index tensor must hold integers (int64) or booleans (a mask), "
                    f"got {np.asarray(part).dtype} values {_short(part)}. Convert it with "
                    f"index.long(), or make a mask with a comparison such as x > 0."
                )
        return super().explain_error(err, arrays)


def _short(values) -> str:
    """The first few values of an index, for an error message."""
    flat = np.asarray(values).reshape(-1)
    shown = ", ".join(str(v) for v in flat[:4].tolist())
    return f"[{shown}{', ...' if flat.size > 4 else ''}]"


# A one-hot product (below) where the one-hot matrix has up to this many elements (4 MB in
# float32) and the product up to this many multiply-adds (~0.2 ms); else add_rows
_ONE_HOT_MAX, _ONE_HOT_MACS = 1 << 20, 1 << 24


def scatter_add_rows(index: np.ndarray, grad_out: np.ndarray, shape: tuple) -> np.ndarray:
    """grad_x of shape `shape` with grad_x[index[k]] += grad_out[k] for every k, indices that
    repeat adding up: the backward of x[index] (and of an embedding lookup).

    Shape: index (*I) of ints in [-V, V), grad_out (*I, *shape[1:]), shape (V, *rest).

    When the one-hot matrix is small (few rows V, few indices M) one matrix product is
    fastest:
        grad_x = onehot(index).T @ grad_out,    onehot (M, V), onehot[k, index[k]] = 1
    (row r of the product sums the grad_out rows whose index is r). Else add_rows.
    """
    n_rows, flat = shape[0], index.reshape(-1)
    grad_rows = grad_out.reshape(flat.size, math.prod(shape[1:]))  # (M, D): a row per index
    small = n_rows * flat.size <= _ONE_HOT_MAX and n_rows * grad_rows.size <= _ONE_HOT_MACS
    if small and grad_out.dtype in (np.float32, np.float64):
        onehot = np.zeros((flat.size, n_rows), dtype=grad_out.dtype)
        onehot[np.arange(flat.size), flat] = 1  # negative indices count from the end, as in x
        return (onehot.T @ grad_rows).reshape(shape)  # (V, M) @ (M, D) -> (V, D)
    grad_x = np.zeros((n_rows, grad_rows.shape[1]), dtype=grad_out.dtype)
    add_rows(grad_x, flat, grad_rows)
    return grad_x.reshape(shape)


# add_rows sums a row used more than this many times in one go, the others round by round
_MANY_TIMES = 32


def add_rows(out: np.ndarray, index: np.ndarray, rows: np.ndarray) -> None:
    """out[index[k]] += rows[k] for every k, in place, a row used several times getting each
    of its rows in index order: np.add.at(out, index, rows), the same numbers, faster.

    np.add.at adds one element at a time: an embedding's gradient, 2,048 rows of 512 into
    256 rows, 2.9 ms. Here the indices are sorted (stably) into runs of equal ones. A run
    longer than _MANY_TIMES (a frequent word) is summed on its own, after the row of out it
    goes to (NumPy's sum over axis 0 adds the rows in order). The other runs, longest first,
    add into `sums`, a copy of their rows of out: round r adds the r-th row of every run
    longer than r, a leading slice of sums (a fancy-indexed add into out instead gathers,
    adds and scatters every round, and was 1.3-1.9x slower: that embedding's gradient 3.7
    -> 1.9 ms, 768 rows of 128 into 65 as in the char GPT 0.64 -> 0.37, 2,048 rows of 256
    into 5,000 2.7 -> 2.1; medians, alternating, AMD EPYC, 2026-11-29).
    Shape: out (V, *D), index (M,) ints in [-V, V), rows (M, *D)."""
    if out.dtype.kind != "f" or out.dtype.itemsize < 4 or not index.size:
        np.add.at(out, index, rows)  # (float16 would add in float32 when summed)
        return
    n, low, high = out.shape[0], index.min(), index.max()
    if low < -n or high >= n:
        raise IndexError(f"index {low if low < -n else high} is out of bounds for size {n}")
    if low < 0:  # negative indices count from the end: one run per row
        index = np.where(index < 0, index + n, index)
    order = np.argsort(index, kind="stable")
    keys = index[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])  # where each run begins
    counts = np.diff(np.r_[starts, keys.size])
    keys = keys[starts]
    many = counts > _MANY_TIMES
    for start, count, key in zip(starts[many], counts[many], keys[many]):
        run = np.concatenate([out[key : key + 1], rows[order[start : start + count]]])
        np.sum(run, axis=0, out=out[key])  # out[key] + row + row ..., in order
    starts, counts, keys = starts[~many], counts[~many], keys[~many]
    if not keys.size:
        return
    # the other runs longest first, their rows of out gathered once into `sums`: round r
    # adds the r-th row of every run longer than r, a leading slice of sums
    longest_first = np.argsort(-counts, kind="stable")
    starts, counts, keys = starts[longest_first], counts[longest_first], keys[longest_first]
    longer_than = np.searchsorted(-counts, -np.arange(1, counts[0] + 1), side="right")
    sums = out[keys]
    for r, n in enumerate(longer_than.tolist()):
        sums[:n] += rows[order[starts[:n] + r]]
    out[keys] = sums


def _one_array_axis(index):
    """The axis of x[:, ..., :, idx] (full slices, then one integer array), else None."""
    if type(index) is not tuple or not index:
        return None
    *before, last = index
    if type(last) is not np.ndarray or last.dtype.kind not in "iu":
        return None
    if all(type(p) is slice and p == slice(None) for p in before):
        return len(before)
    return None


def sum_into_axis(index: np.ndarray, grad_out: np.ndarray, shape: tuple, axis: int):
    """grad_x of shape `shape` with grad_x[..., index[k], ...] += grad_out[..., k, ...] along
    `axis`, repeated indices adding up: the backward of x[:, ..., :, index].

    np.add.at does it one element at a time. Instead, with the indices sorted, the positions
    that gather into one index are consecutive ("runs"), and the sums are made a member of
    every run at a time, as whole slices of the gradient:
        index [0, 0, 1, 1, 2, 2]: runs start at [0, 2, 4]; grad_x = g[0::2] + g[1::2]
    (exact sums: an inf or NaN stays where it was, unlike a product with a one-hot matrix).
    interpolate(scale_factor=2) on (32, 64, 28, 28), forward + backward: nearest 216 -> 14-23
    ms, bilinear 497 -> 79-94 ms; PyTorch 19-20 and 29-39 ms (benchmarks/bench_layers.py,
    2026-11-27). np.add.reduceat, which adds each run in one call, was no faster here: it
    makes a call per run and per row."""
    n, flat = shape[axis], index.reshape(-1).astype(np.int64) % max(shape[axis], 1)
    g = grad_out.reshape(*shape[:axis], flat.size, *shape[axis + 1 :])  # index dims as one
    if flat.size and (flat[1:] < flat[:-1]).any():  # unsorted: sort it, and the gradient
        order = np.argsort(flat, kind="stable")
        flat, g = flat[order], np.take(g, order, axis=axis)
    if flat.size == 0:
        return np.zeros(shape, dtype=grad_out.dtype)
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])  # where each run begins
    run = flat.size // starts.size
    if run * starts.size == flat.size and (np.diff(starts) == run).all():
        # every run as long (an integer upscale: runs of 2 for scale_factor=2): the sum of
        # `run` strided slices, passes over long rows where reduceat adds 2 values per call
        every = [g[(slice(None),) * axis + (slice(j, None, run),)] for j in range(run)]
        sums = functools.reduce(np.add, every) if run > 1 else np.array(every[0])
    else:  # runs of different lengths: the j-th member of every run at least j + 1 long
        lengths = np.diff(np.r_[starts, flat.size])
        sums = np.take(g, starts, axis=axis)  # (..., runs, ...): each run's first member
        for j in range(1, lengths.max()):
            longer = np.flatnonzero(lengths > j)  # the runs that have a j-th member
            members = np.take(g, starts[longer] + j, axis=axis)
            if longer[-1] - longer[0] + 1 == longer.size:  # consecutive runs: a slice
                sums[(slice(None),) * axis + (slice(longer[0], longer[-1] + 1),)] += members
            else:
                sums[(slice(None),) * axis + (longer,)] += members  # distinct runs
    if starts.size == n:  # every index of the axis was picked, in order
        return sums
    grad_x = np.zeros(shape, dtype=grad_out.dtype)
    picked = flat[starts]  # distinct indices, sorted: a slice when they are consecutive
    if picked[-1] - picked[0] + 1 == picked.size:
        picked = slice(picked[0], picked[-1] + 1)
    grad_x[(slice(None),) * axis + (picked,)] = sums
    return grad_x


# LinearResize's blocks of planes: about this many bytes of output each
RESIZE_BLOCK_BYTES = 1 << 21


class LinearResize(Function):
    """Linear interpolation along every spatial axis, one after the other (interpolate's
    'linear' and 'bilinear'; resizing is separable): along an axis,

        out[..., i, ...] = w0[i] * x[..., i0[i], ...] + w1[i] * x[..., i1[i], ...]

    with each output position's two neighbours i0, i1 and their weights given per axis in
    `axes`, ((i0, i1, w0, w1) for dims 2, 3, ...; nn/upsampling.py computes them as PyTorch).

    One op for all axes, made a block of (image, channel) planes at a time: the intermediate
    arrays of a block stay in the cache, and only the result goes out to memory. Composed
    of gathers, products and a sum per axis, every one of those passes went over arrays of
    the output's size in memory: bilinear x2 of (32, 64, 28, 28) took 38-40 ms forward,
    PyTorch 14. The blocks are split between the threads.

    Backward, along the axes in reverse: grad_x[..., j, ...] = sum of w0[i] g[..., i, ...]
    over the i with i0[i] = j, plus the same with i1 and w1 (sum_into_axis).
    """

    formula = "out[..., i, ...] = w0[i] x[..., i0[i], ...] + w1[i] x[..., i1[i], ...], per axis"
    derivatives = ("sum over i with i0[i] = j of w0[i] grad_out[i], plus the same for i1, w1",)
    saves_inputs = False  # backward reads only the indices and weights

    def forward(self, x, axes=()):
        n, c, *size = x.shape
        out_size = tuple(len(i0) for i0, *_ in axes)
        planes = x.reshape(n * c, *size)  # (planes, *in)
        out = np.empty((n * c, *out_size), dtype=x.dtype)

        def part(rows):  # a thread's planes, a block at a time
            for block in blocks(rows, out[0].nbytes, RESIZE_BLOCK_BYTES, stop=0):
                y = planes[block]
                for axis, (i0, i1, w0, w1) in enumerate(axes, start=1):
                    last = axis == len(axes)
                    y = _lerp(y, axis, i0, i1, w0, w1, out[block] if last else None)

        parallel_rows(part, out)
        self.axes, self.x_shape = axes, x.shape
        return out.reshape(n, c, *out_size)

    def backward(self, grad_out):
        n, c, *size = self.x_shape
        g = np.ascontiguousarray(grad_out).reshape(n * c, *grad_out.shape[2:])
        grad_x = np.empty((n * c, *size), dtype=g.dtype)

        def part(rows):
            for block in blocks(rows, g[0].nbytes, RESIZE_BLOCK_BYTES, stop=0):
                y = g[block]
                for axis in range(len(self.axes), 0, -1):
                    i0, i1, w0, w1 = self.axes[axis - 1]
                    shape = (*y.shape[:axis], size[axis - 1], *y.shape[axis + 1 :])
                    sums = sum_into_axis(i0, y * _along(w0, y, axis), shape, axis)
                    sums += sum_into_axis(i1, y * _along(w1, y, axis), shape, axis)
                    y = sums
                grad_x[block] = y

        parallel_rows(part, grad_x)
        return grad_x.reshape(self.x_shape)


def _lerp(y, axis, i0, i1, w0, w1, out=None):
    """w0 * y[i0] + w1 * y[i1] along `axis` of y (into `out` when given)."""
    near = np.take(y, i0, axis=axis)
    near *= _along(w0, y, axis)
    far = np.take(y, i1, axis=axis)
    far *= _along(w1, y, axis)
    return np.add(near, far, out=out)


def _along(weights: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    """One weight per position of y's `axis`, shaped to broadcast against y."""
    return weights.reshape((-1,) + (1,) * (y.ndim - axis - 1))


def _is_basic(index) -> bool:
    """True for indexing with ints, slices, None and Ellipsis only (no element repeats)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice, type(None), type(Ellipsis))) for p in parts)


class SetItem(Function):
    """out = x with out[index] = value (the graph-recording form of `x[index] = value`)."""

    formula = "out = x; out[index] = value"
    derivatives = ("grad_out, 0 at index", "grad_out[index] (summed to value's shape)")
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, value, index=()):
        self.index, self.value_shape = index, np.shape(value)
        out = x.copy()
        out[index] = value
        return out

    def backward(self, grad_out):
        need_x, need_value = self.needs_input_grad
        grad_x = grad_value = None
        if need_x:
            grad_x = grad_out.copy()
            grad_x[self.index] = 0  # these elements were overwritten
        if need_value:
            grad_value = unbroadcast(grad_out[self.index], self.value_shape)
        return grad_x, grad_value


class Cat(Function):
    """out = the inputs joined along `dim`."""

    formula = "out = cat([x1, x2, ...], dim)"
    derivatives = ("the slice of grad_out that each input filled",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, *xs, dim=0):
        self.dim, self.sizes = dim, [x.shape[dim] for x in xs]
        return np.concatenate(xs, axis=dim)

    def backward(self, grad_out):
        bounds = list(itertools.accumulate(self.sizes))[:-1]  # where each input's slice ends
        return tuple(np.split(grad_out, bounds, axis=self.dim))


class Stack(Function):
    """out = the inputs stacked along a new axis `dim`."""

    formula = "out = stack([x1, x2, ...], dim)"
    derivatives = ("grad_out indexed at each input's position along dim",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, *xs, dim=0):
        self.dim = dim
        return np.stack(xs, axis=dim)

    def backward(self, grad_out):
        return tuple(np.moveaxis(grad_out, self.dim, 0))


class Pad(Function):
    """out = x with constant padding; `widths` is NumPy's ((before, after), ...) per axis."""

    formula = "out = pad(x)"
    derivatives = ("grad_out with the padding cut off",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, widths=(), value=0.0):
        self.crop = tuple(slice(lo, n + lo) for (lo, _), n in zip(widths, x.shape))
        return np.pad(x, widths, constant_values=value)

    def backward(self, grad_out):
        return grad_out[self.crop]


class IndexPad(Function):
    """out = x read at a source index along each padded axis: reflect, replicate or circular
    padding (F.pad's other modes). No value is made up: every output value is a copy of one
    input value.

    Along an axis of n values padded by (before, after), output position i, counted from
    -before to n + after - 1, reads x at source(i) (see pad_source):
        reflect    mirror at the first and last value, not repeating them: -1 -> 1, n -> n - 2
        replicate  the nearest edge value: clip(i, 0, n - 1)
        circular   wrap around: i mod n (negative widths crop first, then it wraps, as PyTorch)
    Reading x through the map is a product with a 0/1 matrix S (n_out, n), one 1 per row at
    source(i): out = S @ x along the axis. So the gradient is S.T @ grad_out: each input value
    collects the gradients of all its copies (an edge pixel copied three times gets three).
    """

    formula = "out = x[source(i)] along each padded axis"
    derivatives = ("grad_out summed back onto the source of each copy: S.T @ grad_out per axis",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, widths=(), mode="reflect"):
        # widths: NumPy's ((before, after), ...) per axis; (0, 0) for the axes left alone
        self.sources = []
        for axis, (before, after) in enumerate(widths):
            if (before, after) != (0, 0):
                source = pad_source(mode, x.shape[axis], before, after)
                self.sources.append((axis, source, x.shape[axis]))
                x = np.take(x, source, axis=axis)  # (..., n, ...) -> (..., n_out, ...)
        return x

    def backward(self, grad_out):
        grad = grad_out
        for axis, source, n in reversed(self.sources):
            select = np.zeros((len(source), n), dtype=grad.dtype)  # S (n_out, n)
            select[np.arange(len(source)), source] = 1
            # S.T @ grad along `axis`: (..., n_out) @ (n_out, n) -> (..., n), BLAS (measured
            # 5 ms vs 41 ms for np.add.at on a (64, 16, 34, 34) gradient)
            grad = np.moveaxis(np.moveaxis(grad, axis, -1) @ select, -1, axis)
        return grad


def pad_source(mode: str, n: int, before: int, after: int) -> np.ndarray:
    """The input position each of the n + before + after output positions reads (IndexPad).

    Widths may be negative (crop). The caller checks that the map stays inside x: reflect
    needs before, after < n; circular needs the positive widths at most the cropped size.
    """
    if mode == "circular":  # crop the negative widths first, then wrap in what is left
        crop = max(-before, 0)
        kept = n - crop - max(-after, 0)
        i = np.arange(-max(before, 0), kept + max(after, 0))
        return crop + i % kept
    i = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    # reflect: |i| mirrors at 0, and n - 1 - |n - 1 - j| mirrors at n - 1
    j = np.abs(i)
    return (n - 1) - np.abs((n - 1) - j)


class Gather(Function):
    """out = values of x picked along `dim` by `index` (torch.gather; topk and sort use it).

    By flat positions: each picked value's position in x's C order, index * (x's stride
    along dim) + its own coordinates' offsets along the other dims, one np.take. Backward
    adds grad_out back at the same positions. np.take_along_axis, which builds full index
    arrays each call, took 0.55 ms forward on (256, 512) against 0.25 (2026-11-27)."""

    formula = "out = gather(x, dim, index)"
    derivatives = ("grad_out added back at index along dim",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, index=None, dim=0):
        self.shape = x.shape
        axis = dim % max(x.ndim, 1)
        self.flat = _positions_along(index, x.shape, axis)
        if self.flat is not None:
            return np.take(x, self.flat)
        if index.ndim == x.ndim and index.shape != x.shape:  # (a 0-d x, or NumPy's error)
            # torch reads only the first index.shape[d] entries along the other dims
            first = [slice(None) if d == axis else slice(i) for d, i in enumerate(index.shape)]
            x = x[tuple(first)]
        out = np.take_along_axis(x, index, axis=dim)
        n = self.shape[axis] if self.shape else 1
        self.flat = _flat_positions(index % n, self.shape, axis)
        return out

    def backward(self, grad_out):
        flat = self.flat.reshape(-1)
        if grad_out.dtype.kind != "f":  # (bincount's weights are real numbers)
            grad_x = np.zeros(math.prod(self.shape), dtype=grad_out.dtype)
            np.add.at(grad_x, flat, grad_out.reshape(-1))
            return grad_x.reshape(self.shape)
        size = math.prod(self.shape)
        if _distinct(flat, size):
            # no position picked twice (sort, topk, median, nll_loss): each gets its one
            # gradient. On sort's permutation of (256, 512), 1.6 ms by bincount, 0.45 this way
            grad_x = np.zeros(size, grad_out.dtype)
            grad_x[flat] = grad_out.reshape(-1)
            return grad_x.reshape(self.shape)
        # grad_x.flat[p] = the sum of grad_out where the picked element's flat position is p,
        # repeated positions adding up, by np.bincount: np.add.at made it element by element
        # ((256, 512) from every 4th column: 0.56 ms -> 0.09). The sums are made in float64
        # (the same numbers for float64; for float32, rounded once instead of at each add)
        sums = np.bincount(flat, grad_out.reshape(-1), size)
        return sums.reshape(self.shape).astype(grad_out.dtype, copy=False)


def _positions_along(index: np.ndarray, shape: tuple, axis: int) -> np.ndarray | None:
    """gather's and scatter_add's addressing as flat positions in an array of `shape`
    (_flat_positions), negative indices counting from the end; None where index does not
    fit that array (another number of dims, larger along another axis, or a 0-d array): the
    caller then leaves it to NumPy, and its error. An index out of range along `axis`
    raises IndexError (a flat position would silently read the next row)."""
    fits = len(shape) > 0 and index.ndim == len(shape)
    if not fits or any(i > s for d, (i, s) in enumerate(zip(index.shape, shape)) if d != axis):
        return None
    n = shape[axis]
    low, high = (index.min(), index.max()) if index.size else (0, -1)  # none: no check
    if low < -n or high >= n:
        bad = low if low < -n else high
        raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")
    return _flat_positions(index % n if low < 0 else index, shape, axis)  # (% is a slow pass)


def _distinct(flat: np.ndarray, size: int) -> bool:
    """Whether no position in `flat` (positions in an array of `size` values) repeats."""
    seen = np.zeros(size, bool)
    seen[flat] = True
    return np.count_nonzero(seen) == flat.size


def _flat_positions(index: np.ndarray, shape: tuple, axis: int) -> np.ndarray:
    """The positions in C order, in an array of `shape`, of the elements gather picks: index
    (no negatives) along `axis`, each entry's own coordinates along the other axes."""
    strides = [math.prod(shape[d + 1 :]) for d in range(len(shape))]
    flat = index * strides[axis] if shape else np.zeros(index.shape, np.intp)
    for d, n in enumerate(index.shape):
        if d != axis and n > 1:
            offsets = np.arange(n) * strides[d]
            flat = flat + offsets.reshape([n if e == d else 1 for e in range(index.ndim)])
    return flat


def _scatter_grid(index: np.ndarray, dim: int) -> tuple:
    """Full index arrays for x[grid] = src: `index` along dim, each position's own
    coordinate along the other dims (torch.scatter's addressing)."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _first(src: np.ndarray, shape: tuple) -> np.ndarray:
    """src's leading block of `shape`: torch's scatter reads no more of src than index covers."""
    return src[tuple(slice(n) for n in shape)]


class Scatter(Function):
    """out = x with out[grid] = src (grid from index along dim): torch.scatter, x.scatter_.

    With repeated positions in index the last write wins (torch leaves that case undefined).
    """

    formula = "out = x;  out[index along dim] = src"
    derivatives = ("grad_out, 0 where src was written", "grad_out gathered at index")
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, src, index=None, dim=0):
        self.grid, self.dim = _scatter_grid(index, dim), dim
        self.src_shape, self.index_shape = src.shape, index.shape
        out = x.copy()
        self._write(out, _first(src, index.shape))
        return out

    def _write(self, out: np.ndarray, values: np.ndarray) -> None:
        out[self.grid] = values

    def backward(self, grad_out):
        need_x, need_src = self.needs_input_grad[:2]
        grad_x = None
        if need_x:
            grad_x = grad_out.copy()
            grad_x[self.grid] = 0  # those values were replaced: no gradient to the old ones
        return grad_x, (self._grad_src(grad_out) if need_src else None)

    def _grad_src(self, grad_out: np.ndarray) -> np.ndarray:
        # each src value landed at one position of out: its gradient is read back from there
        grad_src = np.zeros(self.src_shape, dtype=grad_out.dtype)
        flat = getattr(self, "flat", None)  # ScatterAdd's positions, when it made them
        picked = grad_out[self.grid] if flat is None else np.take(grad_out, flat)
        grad_src[tuple(slice(n) for n in self.index_shape)] = picked.reshape(self.index_shape)
        return grad_src


class IndexAdd(Function):
    """out = x with alpha * source's slices added along `dim` at `index`: slice j of source
    goes to slice index[j] of out (torch.index_add), repeated indices adding up in order
    (add_rows: as one scatter_add over source's every element, np.add.at took (128, 512)
    into (256, 512) 1.0 ms forward + backward, against 0.1 for PyTorch).

    Shape: x (..., n, ...), source x's shape with m along dim, index (m,) ints in [-n, n).
    """

    formula = "out = x;  out[index[j] along dim] += alpha * source[j along dim]"
    derivatives = ("grad_out", "alpha * grad_out[index[j] along dim]")
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, source, index=None, dim=0, alpha=1):
        self.index, self.dim, self.alpha = index, dim, alpha
        values = source if alpha == 1 else source * alpha
        out = x.copy()
        add_rows(np.moveaxis(out, dim, 0), index, np.moveaxis(values.astype(out.dtype), dim, 0))
        return out

    def backward(self, grad_out):
        need_x, need_source = self.needs_input_grad[:2]
        grad_source = None
        if need_source:  # slice j of source reached slice index[j] of out
            grad_source = np.take(grad_out, self.index, axis=self.dim)
            if self.alpha != 1:
                grad_source *= self.alpha
        return (grad_out if need_x else None), grad_source


class Unfold(Function):
    """out = the windows of `size` elements every `step` along `dim` (torch's Tensor.unfold):
    dim holds the windows, a new last dim their elements; out[..., w, ..., j] =
    x[..., w * step + j, ...]. A copy of a strided view (torch returns the view itself).

    Backward adds each window element's gradient back where it was read: for each place j
    in the window, one strided add over all windows (within one j the windows read distinct
    elements). As a fancy index (x[..., windows]) backward was np.add.at, element by element:
    (256, 512), windows of 8 every 4, forward + backward 3.1 ms against PyTorch's 0.33."""

    formula = "out[..., w, ..., j] = x[..., w * step + j, ...]"
    derivatives = ("grad_out added back at w * step + j",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, dim=0, size=1, step=1):
        self.shape, self.dim, self.size, self.step = x.shape, dim, size, step
        windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=dim)
        picked = [slice(None)] * x.ndim
        picked[dim] = slice(None, None, step)
        return windows[tuple(picked)].copy()

    def backward(self, grad_out):
        grad_x = np.zeros(self.shape, dtype=grad_out.dtype)
        n_windows = grad_out.shape[self.dim]
        for j in range(self.size):  # element j of every window
            reads = [slice(None)] * len(self.shape)
            reads[self.dim] = slice(j, j + self.step * (n_windows - 1) + 1, self.step)
            grad_x[tuple(reads)] += grad_out[..., j]
        return grad_x


class Triangle(Function):
    """out = x on and below the `diagonal`-th diagonal of its last two dims, 0 above
    (torch.tril), or on and above it, 0 below (upper=True: torch.triu).

    As bits: x & M, M all ones where x is kept and all zeros where 0.0 goes, one pass that
    gives np.where(kept, x, 0)'s bits (inf and nan kept as they are; a product with a 0/1
    mask would turn -inf * 0 into nan, and -x * 0 into -0.0). np.tril took 0.10 ms on
    (256, 512), this 0.02 (2026-11-27); composed as where(mask, x, 0), forward + backward
    0.26 ms against PyTorch's 0.07."""

    formula = "out = x where kept (tril: column - row <= diagonal; triu: >=), else 0"
    derivatives = ("grad_out where kept, else 0",)
    saves_inputs = False  # backward needs only which places were kept

    def forward(self, x, diagonal=0, upper=False):
        rows, cols = x.shape[-2:]
        column, edge = np.arange(cols), np.arange(rows)[:, None] + diagonal  # edge: row's
        self.keep = column >= edge if upper else column <= edge  # diagonal element's column
        return _kept(x, self.keep)

    def backward(self, grad_out):
        return _kept(grad_out, self.keep)


def _kept(a: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """a where keep (broadcast against a's last dims), 0 elsewhere, as bits where a's dtype
    allows (see Triangle)."""
    int_type = {4: np.int32, 8: np.int64, 2: np.int16, 1: np.int8}.get(a.dtype.itemsize)
    if a.dtype.kind not in "fiu" or int_type is None:
        return np.where(keep, a, a.dtype.type(0))
    mask = keep.astype(int_type)
    np.negative(mask, out=mask)  # 1 -> all ones, 0 -> 0
    out = np.empty_like(a)
    np.bitwise_and(a.view(int_type), mask, out=out.view(int_type))
    return out


class Roll(Function):
    """out = x shifted by `shift` along `dim`, the elements pushed off the end coming back at
    the start: out[i] = x[(i - shift) mod n] (torch.roll, one dim). Two slice copies; its
    backward rolls back. (By index_select it was a gather and a scatter: (256, 512) forward
    + backward 0.28 ms, against PyTorch's 0.07.)"""

    formula = "out[i] = x[(i - shift) mod n] along dim"
    derivatives = ("grad_out rolled back by -shift",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, shift=0, dim=0):
        self.shift, self.dim = shift, dim
        return _rolled(x, shift, dim)

    def backward(self, grad_out):
        return _rolled(grad_out, -self.shift, self.dim)


def _rolled(a: np.ndarray, shift: int, dim: int) -> np.ndarray:
    n = a.shape[dim]
    shift = shift % n if n else 0
    out = np.empty_like(a)
    into, values = np.moveaxis(out, dim, 0), np.moveaxis(a, dim, 0)  # views, dim first
    into[shift:] = values[: n - shift]
    into[:shift] = values[n - shift :]
    return out


class Flip(Function):
    """out = x in reverse order along each of `dims` (torch.flip: a copy). Its backward flips
    back."""

    formula = "out[i] = x[n - 1 - i] along each of dims"
    derivatives = ("grad_out flipped back",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, dims=()):
        self.dims = dims
        return np.flip(x, dims).copy()

    def backward(self, grad_out):
        return np.flip(grad_out, self.dims).copy()


class ScatterAdd(Scatter):
    """out = x with src added at grid (index along dim), repeated positions adding up:
    torch.scatter_add."""

    formula = "out = x;  out[index along dim] += src"
    derivatives = ("grad_out", "grad_out gathered at index")

    def _write(self, out: np.ndarray, values: np.ndarray) -> None:
        # by flat positions in out (C order, out is a fresh copy): where none repeats, one
        # fancy-indexed add; else add_rows, in np.add.at's order. np.add.at itself took
        # (256, 128) values into (256, 512) 0.58 ms forward + backward (PyTorch 0.18).
        index = np.asarray(self.grid[self.dim])
        self.flat = _positions_along(index, out.shape, self.dim % out.ndim) if out.ndim else None
        if self.flat is None or not index.size:  # (NumPy's error where index does not fit)
            np.add.at(out, self.grid, values)
            return
        flat, values = self.flat.reshape(-1), values.reshape(-1)
        if _distinct(flat, out.size):
            out.reshape(-1)[flat] += values
        else:
            add_rows(out.reshape(-1, 1), flat, values.reshape(-1, 1))

    def backward(self, grad_out):
        need_x, need_src = self.needs_input_grad[:2]
        return (grad_out if need_x else None), (self._grad_src(grad_out) if need_src else None)


class GridSample(Function):
    """Sample x (N, C, H, W) at the points of grid (N, Ho, Wo, 2), grid_sample's op: the
    point grid[n, i, j] = (gx, gy), in [-1, 1] across the image, sits at pixel coordinates
    (u, v) = (source(gx, W), source(gy, H)) (see _grid_source: the corners' convention, then
    the padding mode's folding), and

        bilinear: out[n, c, i, j] = sum over the 4 pixels (p, q) around (u, v) of
                  (1 - |u - q|) (1 - |v - p|) x[n, c, p, q]   (pixels outside count as 0)
        nearest:  out[n, c, i, j] = x[n, c, round(v), round(u)]   (0 outside)

    Backward: grad_x gathers every output's grad_out back onto the pixels it read, with the
    same weights (np.bincount adds the shares that land on one pixel). grad_grid (bilinear
    only; nearest's is zero, as in torch) is d out / du = sum over c of grad_out times the
    difference of the pixels across u, weighted along v (and the same for v), times du/dgx:
    the scale of [-1, 1] to pixels, with the sign flips of reflection and 0 where the
    border clamp held the point still.

    Each tap's flat places in x are computed once, gathered with np.take (3-4x faster than
    fancy indexing of (N, C, P) arrays) and reused by backward's np.bincount: the spatial
    transformer tutorial's step (64 images of 28x28) takes 2-2.6x PyTorch's time, 16 RGB
    images of 64x64 3x (8x before, with fancy indexing of a transposed view).
    """

    formula = "out[n, c, i, j] = sum_pq w_pq(grid[n, i, j]) x[n, c, p, q]"
    derivatives = (
        "grad_x[n, c, p, q] = sum_ij w_pq(grid[n, i, j]) grad_out[n, c, i, j]",
        "grad_grid[n, i, j] = sum_c grad_out[n, c, i, j] * d out / d grid (bilinear)",
    )
    saves_inputs = False  # backward reads the places, weights and values forward kept

    def forward(self, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
        n, c, h, w = x.shape
        u, du = _grid_source(grid[..., 0], w, padding_mode, align_corners)
        v, dv = _grid_source(grid[..., 1], h, padding_mode, align_corners)
        if mode == "nearest":
            taps = _taps([np.rint(v)], [np.rint(u)], [np.ones_like(v)], [np.ones_like(u)], h, w)
        else:
            u0, v0 = np.floor(u), np.floor(v)
            fu, fv = u - u0, v - v0  # the point's place between its four pixels
            # rows v0, v0 + 1 weighted 1 - fv, fv; columns u0, u0 + 1 weighted 1 - fu, fu:
            # the taps nw, ne, sw, se
            taps = _taps([v0, v0 + 1], [u0, u0 + 1], [1 - fv, fv], [1 - fu, fu], h, w)
        # a tap reads the same pixel in every channel: its place in the flat x is
        # (image * C + channel) * H*W + index, one (N, C, P) array of places per tap
        # (P = Ho*Wo points), used by np.take here and by np.bincount in backward
        planes = (np.arange(n * c) * (h * w)).reshape(n, c, 1)
        flat = x.reshape(-1)
        out = np.zeros((n, c, grid.shape[1] * grid.shape[2]), dtype=x.dtype)
        values, self.taps = [], []
        needs_grid_grad = mode != "nearest" and self.needs_input_grad[1]
        for index, weight, inside in taps:
            places = planes + index.reshape(n, 1, -1)
            value = np.take(flat, places)  # (N, C, P)
            out += value * weight.reshape(n, 1, -1)
            self.taps.append((places, weight.reshape(n, 1, -1)))
            if needs_grid_grad:
                values.append(value * inside.reshape(n, 1, -1))  # what the point sees there
        self.shape, self.mode = x.shape, mode
        if needs_grid_grad:
            self.grid_terms = (values, fu, fv, du, dv)
        return out.reshape(n, c, *grid.shape[1:3])

    def backward(self, grad_out):
        n, c, h, w = self.shape
        g = grad_out.reshape(n, c, -1)  # (N, C, P), as the taps' values
        grad_x = grad_grid = None
        if self.needs_input_grad[0]:
            # each tap hands g * weight back to the place it read; np.bincount adds up the
            # shares that land on the same place
            sums = np.zeros(n * c * h * w)
            for places, weight in self.taps:
                shares = g * weight
                sums += np.bincount(places.ravel(), weights=shares.ravel(), minlength=sums.size)
            grad_x = sums.astype(grad_out.dtype).reshape(n, c, h, w)
        if self.mode != "nearest" and self.needs_input_grad[1]:
            (nw, ne, sw, se), fu, fv, du, dv = self.grid_terms
            fu, fv = fu.reshape(n, 1, -1), fv.reshape(n, 1, -1)
            # d out / du = (ne - nw)(1 - fv) + (se - sw) fv;  d out / dv likewise across rows
            d_u = (((ne - nw) * (1 - fv) + (se - sw) * fv) * g).sum(axis=1)
            d_v = (((sw - nw) * (1 - fu) + (se - ne) * fu) * g).sum(axis=1)
            shape = du.shape  # (N, Ho, Wo)
            grad_grid = np.stack([d_u.reshape(shape) * du, d_v.reshape(shape) * dv], axis=-1)
            grad_grid = grad_grid.astype(grad_out.dtype)
        elif self.needs_input_grad[1]:
            grad_grid = np.zeros((*grad_out.shape[:1], *grad_out.shape[2:], 2), grad_out.dtype)
        return grad_x, grad_grid


def _grid_source(coord, size, padding_mode, align_corners):
    """Pixel coordinates of grid coordinates in [-1, 1] along an axis of `size` pixels, and
    their derivative. align_corners=True puts -1 and 1 on the centres of the first and last
    pixels: (coord + 1) / 2 * (size - 1); False on their outer edges:
    ((coord + 1) * size - 1) / 2. Then 'border' clamps to [0, size - 1], and 'reflection'
    folds the line back and forth over the image (over the pixel centres with align_corners,
    else over the edges) before the clamp; 'zeros' leaves the point where it is."""
    if align_corners:
        scale = (size - 1) / 2
        u = (coord + 1) / 2 * (size - 1)
    else:
        scale = size / 2
        u = ((coord + 1) * size - 1) / 2
    grad = np.full(u.shape, scale, dtype=u.dtype)
    if padding_mode == "reflection":
        low, span = (0.0, size - 1) if align_corners else (-0.5, size)
        if span <= 0:  # one pixel with align_corners: every point is on it
            return np.zeros_like(u), np.zeros_like(u)
        d = u - low
        grad[d < 0] *= -1  # |d|
        d = np.abs(d)
        flips = np.floor(d / span)
        extra = np.fmod(d, span)
        odd = flips % 2 == 1  # on a way back: the coordinate runs backwards
        u = np.where(odd, span - extra, extra) + low
        grad[odd] *= -1
    if padding_mode in ("border", "reflection"):
        held = (u <= 0) | (u >= size - 1)  # clamped: the point does not move with the grid
        u = np.clip(u, 0, size - 1)
        grad[held] = 0
    return u.astype(coord.dtype, copy=False), grad


def _taps(rows, cols, row_weights, col_weights, h, w):
    """(flat pixel index, weight, inside) of every (row, col) pair, rows outer: the pixel
    index where it lies in the image (any valid pixel outside it), its weight (the product
    of the row's and the column's, 0 outside: out there the image is zeros)."""
    row_parts, col_parts = [], []
    for row in rows:
        r = row.astype(np.intp)  # whole numbers already (floor or rint)
        row_parts.append((np.clip(r, 0, h - 1) * w, (r >= 0) & (r < h)))
    for col in cols:
        q = col.astype(np.intp)
        col_parts.append((np.clip(q, 0, w - 1), (q >= 0) & (q < w)))
    taps = []
    for (row_start, row_in), row_weight in zip(row_parts, row_weights):
        for (col_index, col_in), col_weight in zip(col_parts, col_weights):
            inside = row_in & col_in
            weight = np.where(inside, row_weight * col_weight, 0).astype(row_weight.dtype)
            taps.append((row_start + col_index, weight, inside))
    return taps
