"""Elementwise primitives: arithmetic, exp/log, activations. Each is forward + backward.

Shapes broadcast as in NumPy; `unbroadcast` sums a gradient back to its input's shape.
Conventions: L is the loss, grad_out = dL/dout. An operand may be a Python number, whose
shape, `getattr(x, "shape", ())`, is (). Read next: reduce.py.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function, quiet, unbroadcast


def filled(value: float, like: np.ndarray) -> np.ndarray:
    """A read-only array of `value` with `like`'s shape and dtype, a view of a cached buffer,
    laid out so that NumPy walks it in step with `like`.

    Why: NumPy's maximum, minimum and fmax against a scalar take a slow path, 2-5x slower on
    float32 than against an array (np.maximum(x, 0) 48 us, against an array of zeros 10 us,
    for 64k floats). So ReLU and friends compare with this instead.

    - Up to FILLED_UP_TO bytes it has `like`'s own strides (a conv output is channels-last in
      memory), so both operands are walked in the same order.
    - Past that, an array of `like`'s size would be one more array to stream through memory.
      So, where `like` fills one block of memory, the view repeats one row: along `like`'s
      innermost axes in memory order, as many as hold at most FILLED_ROW values, it has
      `like`'s strides; along the outer ones, stride 0. NumPy then runs its fast loop over
      each row. np.maximum(x, 0) on 2^20 floats: 838 us by the scalar, 848 by an array of
      zeros, 251 by a row of 2^14 zeros (AMD EPYC, 1 MB of L2 per core, 2026-11-29).
    - Rows shorter than FILLED_MIN_ROW values cost a call each, and other layouts (strided
      views) have no such row: for those it returns the 0-d scalar, the slow path.
    """
    if like.nbytes <= FILLED_UP_TO:
        size = like.size
        strided = not like.flags.c_contiguous and size > 0
        if strided:
            if any(s < 0 or s % like.itemsize for s in like.strides):
                return np.asarray(value, like.dtype)  # odd layouts: the (slower) scalar
            size = 1 + sum((n - 1) * s for n, s in zip(like.shape, like.strides)) // like.itemsize
        buf = _filled_buffer(value, like.dtype, size)
        if strided:
            return np.lib.stride_tricks.as_strided(buf, like.shape, like.strides, writeable=False)
        return buf[:size].reshape(like.shape)
    # the axes in memory order, outermost first; dense if like is C-contiguous in that order
    order = sorted(range(like.ndim), key=lambda axis: -abs(like.strides[axis]))
    if not like.transpose(order).flags.c_contiguous:
        return np.asarray(value, like.dtype)
    strides, row = [0] * like.ndim, 1
    for axis in reversed(order):  # innermost first
        if row * like.shape[axis] > FILLED_ROW:
            break
        row *= like.shape[axis]
        strides[axis] = like.strides[axis]
    if row < FILLED_MIN_ROW:
        return np.asarray(value, like.dtype)
    buf = _filled_buffer(value, like.dtype, row)
    return np.lib.stride_tricks.as_strided(buf, like.shape, strides, writeable=False)


def _filled_buffer(value, dtype, size: int) -> np.ndarray:
    """A read-only array of at least `size` copies of `value`, cached per (dtype, value)."""
    key = (dtype.char, value)
    buf = _FILLED.get(key)
    if buf is None or buf.size < size:
        buf = np.full(max(size, 1024), value, dtype)
        buf.flags.writeable = False
        _FILLED[key] = buf
    return buf


FILLED_UP_TO = 1 << 19  # bytes: 2^17 float32s
FILLED_ROW = 1 << 16  # values: at most 256 KB of float32, read again for each row
FILLED_MIN_ROW = 256  # values
_FILLED: dict = {}  # (dtype, value) -> the largest buffer of that value asked for so far


class Add(Function):
    """out = a + b"""

    formula = "out = a + b"
    derivatives = ("grad_out", "grad_out")
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, a, b):
        self.shape_a, self.shape_b = getattr(a, "shape", ()), getattr(b, "shape", ())
        return a + b

    def backward(self, grad_out):
        # dL/da = grad_out * 1    dL/db = grad_out * 1 (then summed over broadcast copies)
        need_a, need_b = self.needs_input_grad
        if self.shape_a == self.shape_b:  # nothing was broadcast (the common case, no calls)
            return grad_out if need_a else None, grad_out if need_b else None
        return (
            unbroadcast(grad_out, self.shape_a) if need_a else None,
            unbroadcast(grad_out, self.shape_b) if need_b else None,
        )


class Sub(Function):
    """out = a - b"""

    formula = "out = a - b"
    derivatives = ("grad_out", "-grad_out")
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, a, b):
        self.shape_a, self.shape_b = getattr(a, "shape", ()), getattr(b, "shape", ())
        return a - b

    def backward(self, grad_out):
        # dL/da = grad_out    dL/db = -grad_out
        need_a, need_b = self.needs_input_grad
        if self.shape_a == self.shape_b:  # nothing was broadcast (the common case, no calls)
            return grad_out if need_a else None, -grad_out if need_b else None
        return (
            unbroadcast(grad_out, self.shape_a) if need_a else None,
            unbroadcast(-grad_out, self.shape_b) if need_b else None,
        )


class Mul(Function):
    """out = a * b"""

    formula = "out = a * b"
    derivatives = ("grad_out * b", "grad_out * a")
    saves_inputs = "others"  # a for dL/db, b for dL/da

    def forward(self, a, b):
        self.a, self.b = a, b  # each is needed for the other's gradient
        return a * b

    def backward(self, grad_out):
        # dL/da = grad_out * b    dL/db = grad_out * a
        need_a, need_b = self.needs_input_grad
        shape_a, shape_b = getattr(self.a, "shape", ()), getattr(self.b, "shape", ())
        if shape_a == shape_b:  # nothing was broadcast (the common case, no calls)
            grad_a = grad_out * self.b if need_a else None
            grad_b = grad_out * self.a if need_b else None
            return grad_a, grad_b
        return (
            _product_sum(grad_out, self.b, shape_a) if need_a else None,
            _product_sum(grad_out, self.a, shape_b) if need_b else None,
        )


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _product_sum(grad: np.ndarray, other, shape: tuple) -> np.ndarray:
    """unbroadcast(grad * other, shape): the gradient of a broadcast factor, summed over the
    axes it was broadcast along, by one np.einsum that never makes grad * other. A scale per
    feature, (256, 512): 40 -> 27 us; per channel of (32, 64, 28, 28): 1.0 -> 0.33 ms; a
    factor of an outer product, (512, 512): 125 -> 30 us (2026-11-27)."""
    if not isinstance(other, np.ndarray) or grad.ndim > len(_LETTERS):
        return unbroadcast(grad * other, shape)
    if grad.shape == shape:  # this factor was not broadcast: nothing to sum
        return grad * other
    n = grad.ndim
    letters = _LETTERS[:n]
    # other's axes, aligned at the right; those it was broadcast along (size 1) squeezed
    first = n - other.ndim
    broadcast = [k for k, m in enumerate(other.shape) if m == 1 and grad.shape[first + k] != 1]
    other_letters = "".join(letters[first + k] for k in range(other.ndim) if k not in broadcast)
    other = other.reshape([m for k, m in enumerate(other.shape) if k not in broadcast])
    # the result keeps the axes where `shape` has grad's size
    first_out = n - len(shape)
    kept = "".join(
        letters[first_out + k] for k, m in enumerate(shape) if m == grad.shape[first_out + k]
    )
    out = np.einsum(f"{letters},{other_letters}->{kept}", grad, other)
    return out.reshape(shape).astype(np.result_type(grad, other), copy=False)


def _finite_nonzero_number(b) -> bool:
    """True for a Python number such as 2 or 0.5: dividing by it gives no nan or inf that
    NumPy would warn about (dividing by a tensor, or by 0, inf or nan, may)."""
    return (type(b) is float or type(b) is int) and 0 < abs(b) < np.inf


_divide = quiet(np.true_divide)


class Div(Function):
    """out = a / b"""

    formula = "out = a / b"
    derivatives = ("grad_out / b", "-grad_out * a / b**2")

    def forward(self, a, b):
        self.a, self.b = a, b
        if _finite_nonzero_number(b):  # x / 2 cannot leave the domain: spare quiet's cost
            return a / b
        return _divide(a, b)  # x / 0 = inf, 0 / 0 = nan, silently

    def backward(self, grad_out):
        if _finite_nonzero_number(self.b):  # x / 2: only x needs a gradient, grad_out / 2
            return unbroadcast(grad_out / self.b, getattr(self.a, "shape", ())), None
        return self._tensor_backward(grad_out)

    @quiet
    def _tensor_backward(self, grad_out):
        # dL/da = grad_out / b    dL/db = -grad_out * a / b^2
        need_a, need_b = self.needs_input_grad
        a, b = self.a, self.b
        shape_a, shape_b = getattr(a, "shape", ()), getattr(b, "shape", ())
        grad_a = grad_out / b if need_a else None
        if need_b and isinstance(b, np.ndarray) and shape_b != grad_out.shape:
            # b was broadcast (x / std, a norm by hand): b is the same along the summed axes,
            # so sum(-g a / b^2) = -sum(g a) / b^2, the sum without making g * a (_product_sum)
            grad_b = _product_sum(grad_out, a, shape_b)
            grad_b /= -(b * b)
            return (unbroadcast(grad_a, shape_a) if need_a else None), grad_b
        grad_b = -grad_out * a / (b * b) if need_b else None
        if shape_a == shape_b:  # nothing was broadcast (the common case, no calls)
            return grad_a, grad_b
        return (
            unbroadcast(grad_a, shape_a) if need_a else None,
            unbroadcast(grad_b, shape_b) if need_b else None,
        )


class Neg(Function):
    """out = -x"""

    formula = "out = -x"
    derivatives = ("-grad_out",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x):
        return -x

    def backward(self, grad_out):
        return -grad_out


class Pow(Function):
    """out = a ** b (a base tensor, b an exponent tensor or number)."""

    formula = "out = a ** b"
    derivatives = ("grad_out * b * a**(b - 1)", "grad_out * out * log(a)")
    saves_output = True

    @quiet
    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = _power(a, b)
        return self.out

    @quiet
    def backward(self, grad_out):
        # dL/da = grad_out * b * a^(b-1)    dL/db = grad_out * a^b * ln(a)
        # with torch's values where the formulas break down: dL/da = 0 where b == 0 (a^0 = 1
        # is flat, even at a = 0 where a^(b-1) is inf), dL/db = 0 where a == 0 and b >= 0
        # (0^b stays 0 or 1 there; ln 0 = -inf); for a < 0, ln(a) is nan, as in torch.
        need_a, need_b = self.needs_input_grad
        a, b = self.a, self.b
        grad_a = grad_b = None
        if need_a:
            slope = b * _power(a, b - 1)
            if type(b) is np.ndarray:
                flat = b == 0
                if np.count_nonzero(flat):  # (cheaper than flat.any() on small arrays)
                    slope = np.where(flat, 0, slope)
            elif b == 0:
                slope = np.zeros_like(slope)
            grad_a = unbroadcast(grad_out * slope, getattr(a, "shape", ()))
        if need_b:
            log_a = np.log(a)
            zero_base = a == 0  # an array, or a bool for a number base (2 ** x)
            if zero_base is True or (type(zero_base) is np.ndarray and np.count_nonzero(zero_base)):
                log_a = np.where(zero_base & (b >= 0), 0, log_a)
            if np.ndim(log_a) == 0:  # a number base (2 ** x): as a Python float it keeps
                log_a = float(log_a)  # grad_b float32 (a NumPy float64 scalar would not)
            grad_b = unbroadcast(grad_out * self.out * log_a, getattr(b, "shape", ()))
        return grad_a, grad_b


def _power(a, b):
    """a ** b. For a float array and a whole number b, NumPy's power takes ~60 ns a value
    when any base is negative (2000 floats from -pi to pi: x ** 3 120 us, against 3 us for
    positive bases); so |a| ** b, its sign put back for odd b (within an ulp of NumPy's and
    torch's). b = 3 as torch computes it, a * a * a: the same bits as torch (1 us)."""
    if type(b) not in (int, float) or type(a) is not np.ndarray or a.dtype.kind != "f":
        return a**b
    if b == 3:
        return a * a * a
    if b != int(b) or b in (0, 1, 2, -1):  # NumPy's own fast cases, and fractional powers
        return a**b
    out = np.power(np.abs(a), b)
    return np.copysign(out, a, out=out) if int(b) % 2 else out


class Exp(Function):
    """out = e^x"""

    formula = "out = exp(x)"
    derivatives = ("grad_out * out",)
    saves_inputs, saves_output = False, True

    @quiet
    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    @quiet
    def backward(self, grad_out):
        return grad_out * self.out  # d(e^x)/dx = e^x


class Log(Function):
    """out = ln(x)"""

    formula = "out = log(x)"
    derivatives = ("grad_out / x",)

    @quiet
    def forward(self, x):
        self.x = x
        return np.log(x)

    @quiet
    def backward(self, grad_out):
        return grad_out / self.x  # d ln(x)/dx = 1/x


# NumPy has no SIMD loop for float32 log1p and expm1: it calls the C library one value at a
# time, 13-15 ns a value here against 1.3 for exp and 1.7 for log (AMD EPYC, 2026-11-29).
# So float32 arrays take them from exp and log by the classic identities below, 2.5-4x
# faster, within 4 float32 ulps of the exact value (the C library's: 1; tested on 400k values
# over the whole float32 range, tests/test_log1p_expm1.py). Small arrays, other dtypes, and
# the values where an identity breaks down (infinities, x <= -1 for log1p, overflow for
# expm1) go to NumPy's own.
FAST_LOG1P_FROM = 64  # values; below, np.log1p and np.expm1 are as fast
_HALF_ULP_BELOW_1 = np.float32(2.0**-25)  # u below it: u - 1 rounds to -1 in float32


def log1p_array(x: np.ndarray) -> np.ndarray:
    """log(1 + x) as a new array, accurate where x is tiny.

    float32: log(1 + x) = log(w) * x / (w - 1) with w = 1 + x rounded (Kahan's identity, in
    Goldberg's "What every computer scientist should know about floating-point arithmetic",
    theorem 4): the rounding of 1 + x changes w - 1 and log(w) alike, so their ratio keeps
    it out. Where w rounds to 1, log(1 + x) = x to float32's precision.
    """
    if x.dtype != np.float32 or x.size < FAST_LOG1P_FROM:
        return np.log1p(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = x + np.float32(1)
        ratio = w - np.float32(1)
        out = np.log(w)
        np.divide(x, ratio, out=ratio)
        out *= ratio
    out = _select(w == 1, x, out)  # not np.copyto(where=): it branches on every value
    return _redo_where_not_finite(out, x, np.log1p)


def log1p_of_unit(e: np.ndarray) -> np.ndarray:
    """log(1 + e) as a new array for e in [0, 1]: the tail log(1 + exp(-|x|)) of softplus,
    log-sigmoid and the logits' binary cross-entropy, whose exp(-|x|) is such an e.

    float32: w = 1 + e rounded, and c = e - (w - 1), the rounding error of that sum, exact
    (w - 1 is exact for w in [1, 2]); then log(1 + e) = log(w) + log(1 + c / w) = log(w) +
    c / w to float32's precision (|c / w| <= 2^-24). Where 1 + e rounds to 1, that is 0 + e,
    the answer. Five passes and a log: no inf, NaN or w = 1 to select around, as log1p_array
    must for any x. Within 3 float32 ulps (log1p_array: 4), in two thirds of its time
    ((256, 512): 534 -> 359 us, AMD EPYC, 2026-11-29).
    """
    if e.dtype != np.float32 or e.size < FAST_LOG1P_FROM:
        return np.log1p(e)
    w = e + np.float32(1)
    c = w - np.float32(1)
    np.subtract(e, c, out=c)  # the rounding error of 1 + e
    c /= w
    out = np.log(w)
    out += c
    return out


def expm1_array(x: np.ndarray) -> np.ndarray:
    """exp(x) - 1 as a new array, accurate where x is tiny.

    float32: exp(x) - 1 = (u - 1) * x / log(u) with u = exp(x) rounded (Kahan's identity, the
    twin of log1p_array's); x itself where u rounds to 1, and -1 where u - 1 does.
    """
    if x.dtype != np.float32 or x.size < FAST_LOG1P_FROM:
        return np.expm1(x)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        u = np.exp(x)
        out = u - np.float32(1)
        log_u = np.log(u)
        np.divide(x, log_u, out=log_u)
        product = out * log_u
    # x where u rounds to 1; u - 1 (= -1) where that rounds to -1: times x / log(u) it
    # would be -1 +- an ulp, or 0 where u is 0. By bits, not np.copyto(where=), which
    # branches on every value: ELU's input clamped at 0 is 0 in half its values, at random
    # (0.74 of 1.9 ms)
    out = _select(u == 1, x, _select(u < _HALF_ULP_BELOW_1, out, product))
    return _redo_where_not_finite(out, x, np.expm1)


def _redo_where_not_finite(out: np.ndarray, x: np.ndarray, fn) -> np.ndarray:
    """out with its infinite and NaN values recomputed as fn(x) (NumPy's own function)."""
    bad = ~np.isfinite(out)
    if bad.any():
        out[bad] = fn(x[bad])
    return out


class Log1p(Function):
    """out = ln(1 + x), accurate where x is tiny (1 + x would round to 1)"""

    formula = "out = log(1 + x)"
    derivatives = ("grad_out / (1 + x)",)

    @quiet
    def forward(self, x):
        self.x = x
        return log1p_array(x)

    @quiet
    def backward(self, grad_out):
        return grad_out / (1 + self.x)  # d ln(1 + x)/dx = 1/(1 + x)


class Expm1(Function):
    """out = e^x - 1, accurate where x is tiny (e^x would round to 1)"""

    formula = "out = exp(x) - 1"
    derivatives = ("grad_out * (out + 1)",)
    saves_inputs, saves_output = False, True

    @quiet
    def forward(self, x):
        self.out = expm1_array(x)
        return self.out

    @quiet
    def backward(self, grad_out):
        return grad_out * (self.out + 1)  # d(e^x - 1)/dx = e^x = out + 1


class Sqrt(Function):
    """out = sqrt(x)"""

    formula = "out = sqrt(x)"
    derivatives = ("grad_out / (2 * out)",)
    saves_inputs, saves_output = False, True

    @quiet
    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    @quiet
    def backward(self, grad_out):
        return grad_out / (2 * self.out)  # d sqrt(x)/dx = 1 / (2 sqrt(x))


class Sin(Function):
    """out = sin(x)"""

    formula = "out = sin(x)"
    derivatives = ("grad_out * cos(x)",)

    @quiet
    def forward(self, x):
        self.x = x
        return np.sin(x)

    @quiet
    def backward(self, grad_out):
        return grad_out * np.cos(self.x)


class Cos(Function):
    """out = cos(x)"""

    formula = "out = cos(x)"
    derivatives = ("-grad_out * sin(x)",)

    @quiet
    def forward(self, x):
        self.x = x
        return np.cos(x)

    @quiet
    def backward(self, grad_out):
        return -grad_out * np.sin(self.x)


class Tanh(Function):
    """out = tanh(x)"""

    formula = "out = tanh(x)"
    derivatives = ("grad_out * (1 - out**2)",)
    saves_inputs, saves_output = False, True

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad_out):
        return grad_out * (1 - self.out * self.out)  # tanh' = 1 - tanh^2


def sigmoid_array(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + e^-x) into `out` (a new array by default; x itself works), in place in that
    one buffer. e^-x overflows to inf for x < -88.7 (float32), and the sigmoid is then 0,
    as PyTorch's, without NumPy's warning. (The Sigmoid op, GLU, softplus's gradient.)"""
    out = np.negative(x, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def sigmoid_by_tanh(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """sigmoid(x) = (1 + tanh(x / 2)) / 2 into `out` (x itself works): four passes against
    sigmoid_array's five, and tanh does not overflow, so nothing is capped. Its error is
    absolute, up to 6e-8 in float32 (measured over [-30, 30]): values below 3e-8 (x < -17)
    come out as 0 or 3e-8, where sigmoid_array keeps them to a few digits. Fine for the gates
    of the recurrent cells (ops/nn_ops.py), which use it; the Sigmoid op does not."""
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


class Sigmoid(Function):
    """out = 1 / (1 + e^-x), computed without overflow for large |x|."""

    formula = "out = sigmoid(x)"
    derivatives = ("grad_out * out * (1 - out)",)
    saves_inputs, saves_output = False, True

    def forward(self, x):
        self.out = sigmoid_array(x)
        return self.out

    def backward(self, grad_out):
        return grad_out * self.out * (1 - self.out)  # sigmoid' = s (1 - s)


class Relu(Function):
    """out = max(x, 0)"""

    formula = "out = relu(x)"
    derivatives = ("grad_out * (x > 0)",)
    saves_inputs = False  # only the mask x > 0, a new array

    def forward(self, x):
        out = np.maximum(x, filled(0, x))  # = np.maximum(x, 0), see filled()
        if self.needs_input_grad[:1] != (False,):  # no mask when no gradient will be asked
            # relu'(0) = 0; a NaN passes the gradient on: PyTorch's test is out <= 0, false
            # for NaN, and out != 0 is the same test here (out is >= 0 or NaN)
            self.mask = out != 0
        return out

    def backward(self, grad_out):
        return grad_out * self.mask


class Hardtanh(Function):
    """out = min(max(x, min_val), max_val): clamp, whose gradient is 1 strictly between the
    bounds and 0 at and beyond them (PyTorch's hardtanh; relu6 is hardtanh(x, 0, 6)).

    One op rather than the composition where((x > lo) & (x < hi), x, clip(x)): NumPy's
    where is slow on channels-last arrays, as a conv's output is (MobileNetV2's ReLU6 on
    (64, 144, 32, 32): forward 58 ms composed, 2.5 ms for np.clip plus 4.5 for the mask;
    backward 42 ms by where, 5 by grad_out * mask; 2026-11-27)."""

    formula = "out = min(max(x, min_val), max_val)"
    derivatives = ("grad_out * (min_val < x < max_val)",)
    saves_inputs = False  # only the mask, a new array

    def forward(self, x, min_val=-1.0, max_val=1.0):
        lo, hi = x.dtype.type(min_val), x.dtype.type(max_val)  # scalars of x's dtype
        out = np.clip(x, lo, hi)  # NaN stays NaN
        if self.needs_input_grad[:1] != (False,):  # no mask when no gradient will be asked
            # 0 at and beyond the bounds, where out is one of them; a NaN passes the gradient
            # on, as PyTorch's test x <= lo or x >= hi is false for it
            self.mask = (out != lo) & (out != hi)
        return out

    def backward(self, grad_out):
        return grad_out * self.mask


class Hardswish(Function):
    """out = x * min(max(x + 3, 0), 6) / 6 (MobileNetV3), PyTorch's own formula: -0.0 up to
    -3, x (x + 3) / 6 between, x * 6 / 6 from 3 on (no overflow for large x, where x (x + 3)
    would). One op: composed of two wheres it took 6x PyTorch's time on (256, 512)."""

    formula = "out = x * min(max(x + 3, 0), 6) / 6"
    derivatives = ("grad_out * (0 if x <= -3, x / 3 + 1/2 if x < 3, 1 from 3 on)",)

    def forward(self, x):
        self.x = x
        out = x + x.dtype.type(3)
        np.clip(out, x.dtype.type(0), x.dtype.type(6), out=out)
        out *= x
        out /= x.dtype.type(6)
        return out

    def backward(self, grad_out):
        # PyTorch's branches: 0 for x <= -3, x / 3 + 1/2 for x < 3, else 1 (NaN included).
        # The line is taken of x held in [-3, 3] (NaN to -3, by fmax), so that no inf or NaN
        # is multiplied by the mask's 0.
        # The bounds as filled() arrays and the masks as float32 factors: fmax against a
        # scalar and a product with booleans take NumPy's slow paths (449 -> 300 us on
        # (256, 512), 2026-11-29).
        x, t = self.x, self.x.dtype.type
        low, high = filled(-3, x), filled(3, x)
        slope = np.fmax(x, low)
        np.minimum(slope, high, out=slope)
        slope /= t(3)
        slope += t(0.5)
        inside = x > low
        inside &= x < high
        slope *= inside.astype(x.dtype)  # 0 at -3 and below; the line's slope between
        np.less(x, high, out=inside)
        np.logical_not(inside, out=inside)
        slope += inside.astype(x.dtype)  # 1 from 3 on and for NaN, as PyTorch
        slope *= grad_out
        return slope


class Hardsigmoid(Function):
    """out = min(max(x + 3, 0), 6) / 6, PyTorch's formula: 0 up to -3, 1 from 3 on, a line
    between, its slope 1/6 strictly inside (0 at -3 and 3, as PyTorch)."""

    formula = "out = min(max(x + 3, 0), 6) / 6"
    derivatives = ("grad_out / 6 where -3 < x < 3, else 0",)
    saves_inputs = False  # only the mask, a new array

    def forward(self, x):
        out = x + x.dtype.type(3)
        np.clip(out, x.dtype.type(0), x.dtype.type(6), out=out)
        out /= x.dtype.type(6)
        if self.needs_input_grad[:1] != (False,):
            self.mask = (x > -3) & (x < 3)
        return out

    def backward(self, grad_out):
        grad_x = grad_out * self.mask
        grad_x /= grad_x.dtype.type(6)
        return grad_x


class LeakyRelu(Function):
    """out = x if x > 0 else slope * x"""

    formula = "out = leaky_relu(x, slope)"
    derivatives = ("grad_out * (1 if x > 0 else slope)",)
    saves_inputs = False  # only the slope per element, a new array

    def forward(self, x, negative_slope=0.01):
        # scale = where(x > 0, 1, slope), as 1 - slope times the mask, plus slope: np.where
        # is slow (a DCGAN-size (64, 144, 32, 32) input, forward 70 -> 22 ms, 2026-11-27)
        slope = x.dtype.type(negative_slope)
        self.scale = (x > 0).astype(x.dtype)
        self.scale *= 1 - slope
        self.scale += slope
        return x * self.scale

    def backward(self, grad_out):
        return grad_out * self.scale


class Elu(Function):
    """out = scale * x if x > 0 else scale * alpha * (exp(input_scale * x) - 1): PyTorch's
    one kernel for elu (scale = input_scale = 1), selu (alpha 1.6733, scale 1.0507) and celu
    (input_scale = 1 / alpha).

    Made without a select, as max(x, 0) * scale + negcoef * expm1(min(x, 0) * input_scale):
    for x > 0 the second term is negcoef * expm1(0) = 0 exactly, for x <= 0 the first is 0;
    and exp of the branch not taken cannot overflow. Composed of clamp, expm1, a product and
    where, elu took 4.1x PyTorch's time forward + backward on (256, 512) (2026-11-27).
    """

    formula = "out = scale * (x if x > 0 else alpha * expm1(input_scale * x))"
    derivatives = (
        "grad_out * (scale if x > 0 else alpha * scale * input_scale * exp(input_scale * x))",
    )
    saves_inputs = False  # the negative branch and the mask x > 0, new arrays

    def forward(self, x, alpha=1.0, scale=1.0, input_scale=1.0):
        t = x.dtype.type
        self.negcoef, self.scale, self.input_scale = t(alpha * scale), t(scale), t(input_scale)
        zero = filled(0, x)  # = 0, see filled()
        negative = np.fmin(x, zero)  # 0 for NaN: the gradient there is PyTorch's, scale
        if input_scale != 1:
            negative *= self.input_scale
        negative = expm1_array(negative)
        negative *= self.negcoef
        out = np.maximum(x, zero)
        if scale != 1:
            out *= self.scale
        out += negative
        if self.needs_input_grad[:1] != (False,):  # kept for backward only
            # PyTorch's test is x <= 0, so a NaN takes the positive branch's slope
            self.negative, self.positive = negative, np.logical_not(x <= 0)
        return out

    def backward(self, grad_out):
        # for x <= 0: input_scale * negcoef * exp(input_scale * x)
        #           = input_scale * (negative + negcoef);
        # for x > 0 negative is 0, so that is input_scale * negcoef, and adding
        # scale - input_scale * negcoef where x > 0 gives scale there (to the last bit or one)
        slope = self.negative + self.negcoef
        if self.input_scale != 1:
            slope *= self.input_scale
        slope += self.positive * (self.scale - self.input_scale * self.negcoef)
        slope *= grad_out
        return slope


def sign(x: np.ndarray) -> np.ndarray:
    """-1, 0 or 1; 0 for NaN, as torch's sign (NumPy's is NaN)."""
    out = np.sign(x)
    if out.dtype.kind == "f":
        np.nan_to_num(out, copy=False)
    return out


class Step(Function):
    """out = floor, ceil, round, trunc or sign of x (`step`, with round's `decimals`). Each is
    constant between its jumps, so the gradient is 0 everywhere: PyTorch still records the
    op and gives 0, so that x.round().sum().backward() works, and so does this."""

    formula = "out = step(x): floor, ceil, round, trunc or sign"
    derivatives = ("0",)
    saves_inputs = False  # the gradient does not depend on x

    def forward(self, x, step=np.floor, decimals=None):
        self.shape = x.shape
        return step(x) if decimals is None else step(x, decimals)

    def backward(self, grad_out):
        return np.zeros(self.shape, grad_out.dtype)


class Abs(Function):
    """out = |x|"""

    formula = "out = abs(x)"
    derivatives = ("grad_out * sign(x)",)

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, grad_out):
        # abs'(0) = 0, and 0 for NaN too: PyTorch's sign(NaN) is 0 (NumPy's is NaN)
        return grad_out * sign(self.x)


class Clamp(Function):
    """out = min(max(x, low), high); either bound may be None."""

    formula = "out = clamp(x, min, max)"
    derivatives = ("grad_out * (min <= x <= max)",)
    saves_inputs = False  # only the mask of values inside, a new array

    def forward(self, x, min=None, max=None):  # noqa: A002 - PyTorch's names
        self.inside = np.ones(x.shape, dtype=bool)
        out = x
        if min is not None:
            self.inside &= x >= min
            out = np.maximum(out, _bound(min, x))
        if max is not None:
            self.inside &= x <= max
            out = np.minimum(out, _bound(max, x))
        return out.astype(x.dtype, copy=False)

    def backward(self, grad_out):
        return grad_out * self.inside  # gradient flows only where x was not clipped


def against(value: float, like: np.ndarray):
    """What np.maximum / np.minimum should compare `like` with for a number `value`:
    filled(value, like) from _FILLED_PAYS_FROM values on, the plain number below, where
    filled's checks cost more than NumPy's slow path for a scalar saves (log-sigmoid on 8
    values: 11 -> 12.6 us with filled)."""
    return filled(value, like) if like.size >= _FILLED_PAYS_FROM else value


def _bound(bound, x: np.ndarray):
    """A clamp's bound as NumPy compares fastest: filled() for a number within float x's
    range (rounding it to x's dtype first changes no result: rounding keeps order), else as
    given. Not for small x, where the scalar's slow path costs less than these checks, nor
    for -0.0, which filled's cache takes for 0.0."""
    if x.size < _FILLED_PAYS_FROM or not isinstance(bound, (int, float, np.integer, np.floating)):
        return bound
    value = float(bound)
    if abs(value) <= _FLOAT_MAX.get(x.dtype, 0.0) and (value or math.copysign(1.0, value) > 0):
        return filled(value, x)  # (x is large: against()'s size test is passed)
    return bound


_FILLED_PAYS_FROM = 4096  # values
_FLOAT_MAX = {np.dtype(t): float(np.finfo(t).max) for t in (np.float16, np.float32, np.float64)}


class Maximum(Function):
    """out = elementwise max(a, b); ties split the gradient equally, as in PyTorch."""

    formula = "out = maximum(a, b)"
    derivatives = ("grad_out * (a > b) (half at ties)", "grad_out * (b > a) (half at ties)")

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, grad_out):
        return _split_between(grad_out, self, self.a < self.b, self.a > self.b)


class Minimum(Function):
    """out = elementwise min(a, b); ties split the gradient equally, as in PyTorch."""

    formula = "out = minimum(a, b)"
    derivatives = ("grad_out * (a < b) (half at ties)", "grad_out * (b < a) (half at ties)")

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, grad_out):
        return _split_between(grad_out, self, self.a > self.b, self.a < self.b)


def _split_between(grad_out, fn, a_lost, b_lost):
    """Gradients of a two-input choice (maximum, minimum), as PyTorch: an input gets 0 where
    it lost, half at a tie, else all of grad_out. So where a or b is NaN (no test holds)
    both get all of it."""
    need_a, need_b = fn.needs_input_grad
    dtype = grad_out.dtype
    tie = 0.5 * (fn.a == fn.b)

    def share(lost, like):
        return unbroadcast(grad_out * (1 - lost - tie), np.shape(like)).astype(dtype)

    return share(a_lost, fn.a) if need_a else None, share(b_lost, fn.b) if need_b else None


class Where(Function):
    """out = a where condition else b. The condition carries no gradient."""

    formula = "out = where(cond, a, b)"
    derivatives = ("-", "grad_out * cond", "grad_out * (not cond)")
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, cond, a, b):
        self.cond, self.shape_a, self.shape_b = cond, np.shape(a), np.shape(b)
        return _select(cond, a, b)

    def backward(self, grad_out):
        _, need_a, need_b = self.needs_input_grad
        return (
            None,
            unbroadcast(_picked(self.cond, grad_out), self.shape_a) if need_a else None,
            unbroadcast(_picked(~self.cond, grad_out), self.shape_b) if need_b else None,
        )


# the integer of a float's width, for _select's bitwise blend
_BITS = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def _select(cond, a, b):
    """np.where(cond, a, b). For float arrays of one shape and dtype, as bits:
    out = (a & m) | (b & ~m) with m all ones where cond holds, all zeros elsewhere: the
    same bits, NaN and -0.0 included. NumPy's where branches on every value, about 4.5 ns
    each here; the six integer passes are vectorised: (32, 64, 28, 28) 6.1 -> 1.7 ms,
    (256, 512) 0.47 -> 0.08 ms (2026-11-27). Small arrays, broadcasts and other dtypes:
    np.where."""
    int_type = _BITS.get(getattr(a, "dtype", None))
    fits = isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.size >= 4096
    if not (int_type and fits and a.dtype == b.dtype and a.shape == b.shape == np.shape(cond)):
        return np.where(cond, a, b)
    m = np.asarray(cond, dtype=np.bool_).view(np.int8).astype(int_type)  # 0 or 1
    np.negative(m, out=m)  # 0 or all ones
    out = a.view(int_type) & m
    np.invert(m, out=m)
    m &= b.view(int_type)
    out |= m
    return out.view(a.dtype)


def _picked(cond: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """where(cond, grad_out, 0). As grad_out * cond when grad_out is finite: the same
    numbers, and NumPy's where is slow (9.4M floats: 39 ms, against 9 + 2 for the product
    and the check); with inf or NaN in it, where's, since inf * 0 would be NaN."""
    if np.isfinite(grad_out).all():
        return grad_out * cond
    return np.where(cond, grad_out, np.zeros((), grad_out.dtype))


class Cast(Function):
    """out = x converted to another dtype; the gradient is converted back."""

    formula = "out = x.to(dtype)"
    derivatives = ("grad_out.to(x.dtype)",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, dtype=np.float32):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad_out):
        return grad_out.astype(self.dtype)


# ----------------------------------------------------------------------------------------------
# inverse trigonometric and hyperbolic functions, atan2, hypot. Primitives: composing them from
# log and sqrt loses accuracy near the ends of their domains (asin near 1, atanh near 0).
# ----------------------------------------------------------------------------------------------
class Asin(Function):
    """out = arcsin(x), for x in [-1, 1]"""

    formula = "out = asin(x)"
    derivatives = ("grad_out / sqrt(1 - x^2)",)

    @quiet
    def forward(self, x):
        self.x = x
        return np.arcsin(x)

    @quiet
    def backward(self, grad_out):
        return grad_out / np.sqrt(1 - self.x * self.x)  # d asin(x)/dx = 1/sqrt(1 - x^2)


class Acos(Function):
    """out = arccos(x), for x in [-1, 1]"""

    formula = "out = acos(x)"
    derivatives = ("-grad_out / sqrt(1 - x^2)",)

    @quiet
    def forward(self, x):
        self.x = x
        return np.arccos(x)

    @quiet
    def backward(self, grad_out):
        return -grad_out / np.sqrt(1 - self.x * self.x)  # acos = pi/2 - asin


class Atan(Function):
    """out = arctan(x)"""

    formula = "out = atan(x)"
    derivatives = ("grad_out / (1 + x^2)",)

    def forward(self, x):
        self.x = x
        return np.arctan(x)

    def backward(self, grad_out):
        return grad_out / (1 + self.x * self.x)  # d atan(x)/dx = 1/(1 + x^2)


class Asinh(Function):
    """out = arsinh(x) = ln(x + sqrt(x^2 + 1))"""

    formula = "out = asinh(x)"
    derivatives = ("grad_out / sqrt(x^2 + 1)",)

    def forward(self, x):
        self.x = x
        return np.arcsinh(x)

    def backward(self, grad_out):
        return grad_out / np.sqrt(self.x * self.x + 1)


class Acosh(Function):
    """out = arcosh(x) = ln(x + sqrt(x^2 - 1)), for x >= 1"""

    formula = "out = acosh(x)"
    derivatives = ("grad_out / sqrt(x^2 - 1)",)

    @quiet
    def forward(self, x):
        self.x = x
        return np.arccosh(x)

    @quiet
    def backward(self, grad_out):
        return grad_out / np.sqrt(self.x * self.x - 1)  # inf at x = 1, as in PyTorch


class Atanh(Function):
    """out = artanh(x) = ln((1 + x) / (1 - x)) / 2, for x in (-1, 1)"""

    formula = "out = atanh(x)"
    derivatives = ("grad_out / (1 - x^2)",)

    @quiet
    def forward(self, x):
        self.x = x
        return np.arctanh(x)

    @quiet
    def backward(self, grad_out):
        return grad_out / (1 - self.x * self.x)


def trunc_divide(a, b) -> np.ndarray:
    """a / b rounded toward zero (torch.div's rounding_mode='trunc'); integers stay integers,
    divided exactly (a float quotient would round large int64 values)."""
    if np.result_type(a, b).kind in "biu":
        q = np.floor_divide(a, b)
        # floor went one below where the quotient is negative and not whole
        return q + ((q * b != a) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))
    return np.trunc(np.true_divide(a, b))


class Remainder(Function):
    """out = a - floor(a / b) * b, the remainder with b's sign (Python's %, torch.remainder),
    and FMod's out = a - trunc(a / b) * b, with a's sign (C's fmod). Computed by NumPy's
    remainder and fmod, exact as PyTorch's: the formula as written rounds a / b and the
    product first (float32 12345.6 % 0.7 gave 0.39941, PyTorch 0.39982; 5.5 % 0.1 gave 0,
    PyTorch 0.1). Integers stay integers."""

    formula = "out = a - floor(a / b) * b"
    derivatives = ("grad_out", "-grad_out * floor(a / b)")
    function, quotient = staticmethod(np.remainder), staticmethod(np.floor_divide)

    @quiet  # x % 0 is nan for floats, as in torch
    def forward(self, a, b):
        self.a, self.b = a, b
        return self.function(a, b)

    @quiet
    def backward(self, grad_out):
        need_a, need_b = self.needs_input_grad
        shape_a, shape_b = np.shape(self.a), np.shape(self.b)
        grad_a = unbroadcast(grad_out, shape_a) if need_a else None
        grad_b = None
        if need_b:
            grad_b = unbroadcast(-grad_out * self.quotient(self.a, self.b), shape_b)
        return grad_a, grad_b


class FMod(Remainder):
    """out = a - trunc(a / b) * b, the remainder with a's sign (C's fmod, torch.fmod)."""

    formula = "out = a - trunc(a / b) * b"
    derivatives = ("grad_out", "-grad_out * trunc(a / b)")
    function, quotient = staticmethod(np.fmod), staticmethod(trunc_divide)


class Atan2(Function):
    """out = atan2(a, b): the angle of the point (b, a), in (-pi, pi]; b is the x coordinate."""

    formula = "out = atan2(a, b)"
    derivatives = ("grad_out * b / (a^2 + b^2)", "-grad_out * a / (a^2 + b^2)")

    @quiet
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.arctan2(a, b)

    @quiet
    def backward(self, grad_out):
        # d atan2(a, b)/da = b / (a^2 + b^2)    d/db = -a / (a^2 + b^2); 0 at the origin,
        # where the angle has no slope (0 / 0), as PyTorch's
        need_a, need_b = self.needs_input_grad
        a, b = self.a, self.b
        square = a * a + b * b
        scale = np.where(square == 0, 0, grad_out / square)
        return (
            unbroadcast(scale * b, np.shape(a)) if need_a else None,
            unbroadcast(-scale * a, np.shape(b)) if need_b else None,
        )


class Hypot(Function):
    """out = sqrt(a^2 + b^2), without overflow in a^2 (why it is a primitive: float32 a^2
    overflows from |a| = 2e19, NumPy's hypot does not)."""

    formula = "out = hypot(a, b)"
    derivatives = ("grad_out * a / out", "grad_out * b / out")
    saves_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = np.hypot(a, b)
        return self.out

    def backward(self, grad_out):
        # d sqrt(a^2 + b^2)/da = a / out   (nan at a = b = 0, as in PyTorch)
        need_a, need_b = self.needs_input_grad
        scale = grad_out / self.out
        return (
            unbroadcast(scale * self.a, np.shape(self.a)) if need_a else None,
            unbroadcast(scale * self.b, np.shape(self.b)) if need_b else None,
        )
