"""Fused primitives for neural-network layers: GELU, log-sigmoid, cross-entropy, embedding
lookup, layer norm and the dropout mask.

Each could be composed from the primitives in elementwise.py and reduce.py; they are fused
because they sit on the hot path of every training step (the composed versions make many
more passes over memory), and each is tested against its composed twin in tests/nn.
Also here: `erf`, `erfc` and `erfinv` on arrays (NumPy has none) and their ops.
Read next: nn/functional.py.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .._threads import PARALLEL_GRAIN, parallel_for, parallel_rows, value_grain
from ..autograd import Function, quiet, unbroadcast
from ..errors import IndexOutOfRangeError
from .conv import _copy_like
from .elementwise import (
    _select,
    against,
    filled,
    log1p_array,
    log1p_of_unit,
    sigmoid_array,
    sigmoid_by_tanh,
)
from .movement import scatter_add_rows
from .reduce import _sum, softmax_shift, unbuffered_rows

# ----------------------------------------------------------------------------------------------
# erf: W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969), the coefficients of his CALERF routine. Three ranges of |x|, each a ratio of
# polynomials, accurate to float64 rounding.
# ----------------------------------------------------------------------------------------------
_CODY_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)
_CODY_B = (
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
)
_CODY_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)
_CODY_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_CODY_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)
_CODY_Q = (
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)
_RSQRT_PI = 0.5641895835477562869480794515607725858440

# float32: one rational function x * P(x^2) / Q(x^2) on [-4, 4] (erf(+-4) rounds to +-1 in
# float32), the approximation of Eigen and XLA; a few float32 ulps, and one branch only.
_ERF32_ALPHA = (
    -2.72614225801306e-10,
    2.77068142495902e-08,
    -2.10102402082508e-06,
    -5.69250639462346e-05,
    -7.34990630326855e-04,
    -2.95459980854025e-03,
    -1.60960333262415e-02,
)
_ERF32_BETA = (
    -1.45660718464996e-05,
    -2.13374055278905e-04,
    -1.68282697438203e-03,
    -7.37332916720468e-03,
    -1.42647390514189e-02,
)


def _horner(coefficients, x, out=None):
    """((c0 * x + c1) * x + c2) ... in place, into `out` (a new array by default): two passes
    per coefficient after the first."""
    out = np.multiply(x, coefficients[0], out=out)
    out += coefficients[1]
    for c in coefficients[2:]:
        out *= x
        out += c
    return out


def _erfcx_cody(y: np.ndarray) -> np.ndarray:
    """exp(y^2) erfc(y) for y > 0.46875 (float64), Cody's second and third ranges: the
    rational functions before the factor exp(-y^2) (Cody's scaled erfc, his jint = 2)."""
    out = np.empty_like(y)
    mid = y <= 4.0
    ym = y[mid]
    # erfc(y) = exp(-y^2) * C(y) / D(y)
    num = _horner((_CODY_C[8], *_CODY_C[:8]), ym)
    den = _horner((1.0, *_CODY_D), ym)
    r_mid = num / den
    yb = y[~mid]
    # erfc(y) = exp(-y^2) / y * (1/sqrt(pi) - 1/y^2 * P(1/y^2) / Q(1/y^2))
    with np.errstate(over="ignore"):
        z = 1.0 / (yb * yb)  # 0 for y > 1e154, where the correction term is below rounding
    num = _horner((_CODY_P[5], *_CODY_P[:5]), z)
    den = _horner((1.0, *_CODY_Q), z)
    r_big = (_RSQRT_PI - z * num / den) / yb
    out[mid], out[~mid] = r_mid, r_big
    return out


def _erfc_cody(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y > 0.46875 (float64): exp(-y^2) times the scaled erfc above."""
    out = _erfcx_cody(y)
    # exp(-y^2) split as exp(-s^2) exp(-(y - s)(y + s)), s = y rounded down to 1/16: keeps the
    # rounding error of y^2 out of the exponent (Cody's trick)
    s = np.trunc(y * 16.0) / 16.0
    with np.errstate(under="ignore", invalid="ignore", over="ignore"):
        out *= np.exp(-s * s) * np.exp(-(y - s) * (y + s))
    out[np.isposinf(y)] = 0.0  # inf - inf above is nan; erfc(inf) = 0
    return out


def erf(x: np.ndarray) -> np.ndarray:
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise.

    float64: Cody's rational approximations (within a few float64 ulps of the true value);
    float32: a single rational function on [-4, 4] (Eigen's), within a few float32 ulps.

    Example:
        >>> erf(np.array([0.0, 0.5, 3.0])).round(8)
        array([0.        , 0.52049988, 0.99997791])
    """
    x = np.asarray(x)
    if x.dtype == np.float32:
        z = np.maximum(x, filled(-4.0, x))  # clip to [-4, 4]; see filled()
        np.minimum(z, filled(4.0, x), out=z)
        z2 = z * z
        p = _horner(_ERF32_ALPHA, z2)
        p *= z
        p /= _horner(_ERF32_BETA, z2)
        return p
    x = x.astype(np.float64, copy=False)
    y = np.abs(x)
    out = np.empty_like(x)
    small = y <= 0.46875
    xs = x[small]
    z = xs * xs
    # erf(x) = x * A(x^2) / B(x^2)
    out[small] = xs * _horner((_CODY_A[4], *_CODY_A[:4]), z) / _horner((1.0, *_CODY_B), z)
    big = ~small
    out[big] = np.copysign(1.0 - _erfc_cody(y[big]), x[big])
    return out


def erfc(x: np.ndarray) -> np.ndarray:
    """1 - erf(x), accurate also where it is tiny (large x); float64."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    out = np.empty_like(x)
    small = y <= 0.46875
    out[small] = 1.0 - erf(x[small])
    big = ~small
    tail = _erfc_cody(y[big])
    out[big] = np.where(x[big] > 0, tail, 2.0 - tail)
    return out


def erfinv(y: np.ndarray) -> np.ndarray:
    """The inverse of erf on (-1, 1), float64: a closed-form first guess refined by Newton.

    Guess (S. Winitzki 2008, a = 0.147): x0 = sign(y) sqrt(sqrt(t^2 - ln(1 - y^2) / a) - t),
    t = 2 / (pi a) + ln(1 - y^2) / 2; then x <- x - (erf(x) - y) / (2/sqrt(pi) exp(-x^2)).
    """
    y = np.asarray(y, dtype=np.float64)
    a = 0.147
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = np.log1p(-y * y)
        t = 2.0 / (math.pi * a) + log_term / 2.0
        x = np.copysign(np.sqrt(np.sqrt(t * t - log_term / a) - t), y)
        for _ in range(4):
            step = (erf(x) - y) / (2.0 / math.sqrt(math.pi) * np.exp(-x * x))
            x = np.where(np.isfinite(step), x - step, x)
    return np.where(np.abs(y) == 1, np.copysign(np.inf, y), x)


class Erf(Function):
    """out = erf(x), the error function (see erf above)"""

    formula = "out = erf(x)"
    derivatives = ("grad_out * 2 / sqrt(pi) * exp(-x^2)",)

    def forward(self, x):
        self.x = x
        return erf(x)

    def backward(self, grad_out):
        # d erf(x)/dx = 2/sqrt(pi) e^(-x^2)
        slope = np.exp(-np.square(self.x)) * (2 / math.sqrt(math.pi))
        return grad_out * slope.astype(grad_out.dtype, copy=False)


class Erfc(Function):
    """out = erfc(x) = 1 - erf(x), accurate where it is tiny (large x), unlike 1 - erf(x)"""

    formula = "out = erfc(x)"
    derivatives = ("-grad_out * 2 / sqrt(pi) * exp(-x^2)",)

    def forward(self, x):
        self.x = x
        return erfc(x).astype(x.dtype, copy=False)  # computed in float64

    def backward(self, grad_out):
        # d erfc(x)/dx = -2/sqrt(pi) e^(-x^2)
        slope = np.exp(-np.square(self.x)) * (-2 / math.sqrt(math.pi))
        return grad_out * slope.astype(grad_out.dtype, copy=False)


class Erfinv(Function):
    """out = erfinv(x), the inverse of erf on [-1, 1] (+-inf at +-1)"""

    formula = "out = erfinv(x)"
    derivatives = ("grad_out * sqrt(pi) / 2 * exp(out^2)",)
    saves_inputs, saves_output = False, True

    @quiet
    def forward(self, x):
        self.out = erfinv(x).astype(x.dtype, copy=False)  # computed in float64
        return self.out

    @quiet
    def backward(self, grad_out):
        # x = erf(out), so d out/dx = 1 / erf'(out) = sqrt(pi)/2 e^(out^2)
        slope = np.exp(np.square(self.out)) * (math.sqrt(math.pi) / 2)
        return grad_out * slope.astype(grad_out.dtype, copy=False)


# ----------------------------------------------------------------------------------------------
# activations
# ----------------------------------------------------------------------------------------------
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TANH_C = 0.044715


# Elementwise ops that make many passes (GELU: 24) run on threads, each thread through its
# part in blocks of at most _BLOCK values, so that a block's arrays stay in the CPU's cache
# across the passes. Blocks of 2^18 values, 1 MB an array, measured on the benchmarks' VM (2
# cores, 1 MB of L2 a core, 32 MB of L3; 2026-11-27, alternating), forward with the slope:
#   GELU on the GPT's (12, 64, 512): 1.31 ms in blocks of 2^16, 0.80-0.86 in one per thread;
#   GELU on (32, 64, 28, 28): 5.3 ms in blocks of 2^16, 3.2-3.4 in 2^18 or 2^19, 4.0 whole.
# Smaller blocks lose twice: each NumPy call costs ~1.3 us, and while one thread makes its
# calls the other waits for Python's lock (two threads each making calls on 2^16 values ran
# no faster than one thread making them all). A thread's part is at least value_grain's
# size: twice PARALLEL_GRAIN where handing parts over is slow (_threads.py).
_BLOCK = 1 << 18


def _blockwise(fn, out, *arrays):
    """out.flat = fn(*arrays) computed on flat blocks; every array has out's shape and
    layout, one block of memory (see _dense), and is read flat in memory order."""
    flats = [a.ravel(order="K") for a in arrays]
    flat_out = out.ravel(order="K")  # a view: out is dense

    def blocks(start, stop):  # one thread's part, in blocks of equal size
        n = stop - start
        count = -(-n // _BLOCK)
        for i in range(count):
            a, b = start + n * i // count, start + n * (i + 1) // count
            fn(flat_out[a:b], *(f[a:b] for f in flats))

    parallel_for(blocks, flat_out.size, grain=value_grain(flat_out.size))
    return out


def _dense(x: np.ndarray) -> np.ndarray:
    """x if its values fill one block of memory in some order of its axes (C order, or the
    channels-last order of a conv's output), else a C-contiguous copy: what _blockwise
    reads flat. (Making a channels-last x C-contiguous copied it in the slowest order, and
    every op after it then mixed two layouts: SiLU's gradient in EfficientNet's blocks.)"""
    if x.flags.c_contiguous:
        return x
    order = sorted(range(x.ndim), key=lambda axis: -abs(x.strides[axis]))
    return x if x.transpose(order).flags.c_contiguous else np.ascontiguousarray(x)


# Phi(x) in float32 through erfc's exponential form, Abramowitz & Stegun 7.1.26 (Hastings):
#   erfc(y) = t (a1 + a2 t + a3 t^2 + a4 t^3 + a5 t^4) exp(-y^2),  t = 1 / (1 + p y),  y >= 0,
# within 1.5e-7 of erf, what float32 rounding gives anyway. With y = |x| / sqrt 2 the factor
# exp(-y^2) = exp(-x^2 / 2) is also what phi(x), the slope of Phi, needs: forward computes it
# once and keeps the derivative Phi(x) + x phi(x) for backward, which is then one product.
_AS_INV_P = 1.0 / (0.3275911 * _SQRT_HALF)  # sqrt 2 / p: t = _AS_INV_P / (|x| + _AS_INV_P)
_SIGN_BIT = np.uint32(0x80000000)  # a float32's sign bit
# -a_k / 2, highest power first (Horner): a5 = 1.061405429, ..., a1 = 0.254829592
_AS_A = tuple(-0.5 * a for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))


def _gelu_erf(out, x, slope=None):
    # out = x Phi(x);  slope = d out / dx = Phi(x) + x phi(x) when not None.
    if x.dtype != np.float32:  # float64: erf through Cody's approximations, to float64 rounding
        np.multiply(x, _SQRT_HALF, out=out)
        cdf = erf(out)
        cdf += 1.0
        cdf *= 0.5  # Phi(x) = (1 + erf(x / sqrt 2)) / 2
        if slope is not None:
            np.square(x, out=slope)
            slope *= -0.5
            np.exp(slope, out=slope)
            slope *= x
            slope *= _INV_SQRT_2PI
            slope += cdf
        np.multiply(x, cdf, out=out)
        return
    t = np.abs(x)
    t += _AS_INV_P
    np.divide(_AS_INV_P, t, out=t)  # t = 1 / (1 + p |x| / sqrt 2)
    _horner(_AS_A, t, out=out)  # -(a1 + a2 t + ... + a5 t^4) / 2
    out *= t  # -t P(t) / 2
    e = slope if slope is not None else np.empty_like(x)
    np.square(x, out=e)
    e *= -0.5
    np.exp(e, out=e)  # exp(-x^2 / 2), sqrt(2 pi) phi(x)
    out *= e  # -erfc(|x| / sqrt 2) / 2 = Phi(|x|) - 1
    out += 0.5  # H = Phi(|x|) - 1/2 >= 0
    # Phi(x) - 1/2 = sign(x) H (odd symmetry): flip H's sign bit where x's is set. Two integer
    # passes; np.copysign(out, x, out=out) does the same ~3x slower (it has no SIMD loop).
    sign = t.view(np.uint32)
    np.bitwise_and(x.view(np.uint32), _SIGN_BIT, out=sign)
    np.bitwise_xor(out.view(np.uint32), sign, out=out.view(np.uint32))
    out += 0.5  # Phi(x)
    if slope is not None:
        e *= x
        e *= _INV_SQRT_2PI  # x phi(x)
        e += out
    out *= x


def _gelu_tanh(out, x, t):
    # t = tanh(sqrt(2/pi) (x + 0.044715 x^3));  out = x/2 (1 + t)
    np.square(x, out=t)
    t *= _TANH_C
    t += 1.0
    t *= x
    t *= _SQRT_2_OVER_PI
    np.tanh(t, out=t)
    np.add(t, 1.0, out=out)
    out *= x
    out *= 0.5


def _gelu_tanh_grad(grad_x, x, t, grad_out):
    # d/dx = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
    np.square(x, out=grad_x)
    grad_x *= 3 * _TANH_C
    grad_x += 1.0
    grad_x *= _SQRT_2_OVER_PI
    grad_x *= 1.0 - t * t
    grad_x *= x
    grad_x += t
    grad_x += 1.0
    grad_x *= 0.5
    grad_x *= grad_out


class Gelu(Function):
    """out = x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2 (exact), or
    out = x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) with approximate='tanh'.

    Fused, in the input's dtype, block by block. The exact form keeps its derivative
    Phi(x) + x phi(x) from forward (it shares exp(-x^2/2) with Phi, see _gelu_erf), so its
    backward is one product and x is not kept: changing x in place after forward does not
    raise here, where torch raises; the gradient is still the one of the x used. The tanh form
    keeps x and the tanh.
    """

    formula = "out = x * Phi(x)"
    derivatives = ("grad_out * (Phi(x) + x * phi(x)),  phi(x) = exp(-x^2/2) / sqrt(2 pi)",)

    def forward(self, x, approximate="none"):
        self.approximate = approximate
        x = _dense(x)
        out = np.empty_like(x)  # x's layout
        if approximate == "tanh":
            t = np.empty_like(x)
            _blockwise(_gelu_tanh, out, x, t)
            if self.needs_input_grad[0]:
                self.x, self.saved = x, t
        else:
            self.saves_inputs = False
            slope = (np.empty_like(x),) if self.needs_input_grad[0] else ()
            with np.errstate(invalid="ignore"):  # inf * 0 at x = +-inf gives nan, as in torch
                _blockwise(_gelu_erf, out, x, *slope)
            self.saved = slope[0] if slope else None
        return out

    def backward(self, grad_out):
        if self.approximate != "tanh":
            return grad_out * self.saved  # the slope Phi(x) + x phi(x), kept by forward
        if grad_out.strides != self.x.strides:  # _blockwise reads both in x's layout
            grad_out = _copy_like(grad_out, self.x)
        grad_x = np.empty_like(self.x)
        return _blockwise(_gelu_tanh_grad, grad_x, self.x, self.saved, grad_out)


class Glu(Function):
    """out = a * sigmoid(b), where a and b are x's first and second halves along `dim` (the
    gated linear unit, F.glu).

    One op: composed of chunk, Sigmoid and Mul it made four nodes, and the chunk's backward
    filled two arrays of x's size with zeros before adding each half's gradient into one
    (forward + backward on (256, 512) 389 -> 338 us, PyTorch 76-87; 2026-11-27). Each value is made
    by the same operations in the same order as the composed form's.
    """

    formula = "out = a * sigmoid(b),  a, b = x's halves along dim"
    derivatives = ("[grad_out * s, grad_out * a * s * (1 - s)] along dim,  s = sigmoid(b)",)

    def forward(self, x, dim=-1):
        a, b = np.split(x, 2, axis=dim)  # views of x's halves
        self.x, self.dim, self.s = x, dim, sigmoid_array(b)
        return a * self.s

    def backward(self, grad_out):
        a = np.split(self.x, 2, axis=self.dim)[0]
        grad_x = np.empty_like(self.x, dtype=grad_out.dtype)
        grad_a, grad_b = np.split(grad_x, 2, axis=self.dim)
        np.multiply(grad_out, self.s, out=grad_a)  # d out / d a = s
        np.multiply(grad_out, a, out=grad_b)  # then through the sigmoid: * s * (1 - s)
        grad_b *= self.s
        grad_b *= 1 - self.s
        return grad_x


class Silu(Function):
    """out = x * sigmoid(x) (SiLU, also called swish), sigmoid(x) = 1 / (1 + exp(-x)).

    Fused, block by block on the threads, as Gelu: forward keeps the derivative
    sigmoid(x) * (1 + x * (1 - sigmoid(x))), so backward is one product and x is not kept.
    Composed of Sigmoid and Mul it made four arrays and six passes for forward and backward
    (measured, (32, 64, 28, 28): 7.9 ms against PyTorch's 1.5). At the edges as PyTorch:
    exp(-x) overflows to inf for x < -88 (float32), so sigmoid(x) = 0, out = x * 0 = -0.0,
    and at x = -inf, out = -inf * 0 = nan.
    """

    formula = "out = x * sigmoid(x)"
    derivatives = ("grad_out * s * (1 + x * (1 - s)),  s = sigmoid(x)",)
    saves_inputs = False  # the derivative is kept instead

    def forward(self, x):
        x = _dense(x)
        out = np.empty_like(x)  # x's layout
        slope = (np.empty_like(x),) if self.needs_input_grad[0] else ()
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            _blockwise(_silu, out, x, *slope)
        self.saved = slope[0] if slope else None
        return out

    def backward(self, grad_out):
        return grad_out * self.saved


def _silu(out, x, slope=None):
    # s = sigmoid(x); out = x * s; slope = s * (1 + x * (1 - s)) = s + out * (1 - s).
    # Not sigmoid_array: its capped exponent gives x * (a tiny s) where PyTorch gives -0.0
    # (x < -88) and nan (x = -inf), so the exponent overflows here, warnings silenced.
    s = np.negative(x)
    np.exp(s, out=s)
    s += 1.0
    np.reciprocal(s, out=s)
    np.multiply(x, s, out=out)
    if slope is not None:
        np.subtract(1.0, s, out=slope)
        slope *= out
        slope += s


class LstmCell(Function):
    """One LSTM step's gate arithmetic, fused: from the gates' pre-activations z = x W_ih^T +
    b_ih + h W_hh^T + b_hh (N, 4H), PyTorch's order i, f, g, o, and the cell state c (N, H):

        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_g)
        c' = f * c + i * g;   h' = o * tanh(c')

    Returns h' and c' stacked, (2, N, H): out[0] is h', out[1] is c'. Written as eleven ops
    of the engine (three sigmoids, two tanh, three products, a sum, the chunks) each step
    paid eleven nodes' bookkeeping on small arrays: an LSTM of 128 units over 50 steps of a
    batch of 32 ran at 0.3x PyTorch's speed. The derivatives, with gh, gc the gradients of
    h' and c' and tc = tanh(c'):
        dc = gc + gh * o * (1 - tc^2)          (c' reaches the loss directly and through h')
        dz_i = dc * g * i (1 - i);   dz_f = dc * c * f (1 - f);   dz_g = dc * i * (1 - g^2)
        dz_o = gh * tc * o (1 - o);  dc_prev = dc * f
    """

    formula = "c' = sigmoid(z_f) c + sigmoid(z_i) tanh(z_g);  h' = sigmoid(z_o) tanh(c')"
    derivatives = (
        "dz = (dc g i(1-i), dc c f(1-f), dc i (1-g^2), gh tanh(c') o(1-o)), "
        "dc = gc + gh o (1 - tanh(c')^2)",
        "dc * f",
    )
    saves_inputs = (False, True)  # backward reads c (and the gates it keeps), not z

    def forward(self, z, c):
        gates = np.empty_like(z)
        out = np.empty((2, *c.shape), dtype=z.dtype)  # h', c'
        tc = np.empty_like(c)
        lstm_gates(z, c, gates, out[0], out[1], tc)
        self.gates, self.c, self.tc = gates, c, tc
        return out

    def backward(self, grad_out):
        gh, gc = grad_out
        q, p, f = lstm_local_grads(self.gates, self.c, self.tc)
        dz = np.empty(self.gates.shape, dtype=self.gates.dtype)  # row-major: see the helper
        return dz, lstm_step_backward(q, p, f, gh, gc, dz)


def lstm_gates(z, c, gates, h_new, c_new, tc) -> None:
    """One LSTM step's gate arithmetic (LstmCell's formulas), into the arrays given: the gates'
    activations i, f, g, o into `gates` (z's shape, (N, 4H)), c' into c_new, tanh(c') into
    tc and h' into h_new (each (N, H)). z is left as it was (and must not be `gates`).

    The sigmoid of all four gates by tanh (sigmoid_by_tanh: a pass fewer than sigmoid_array,
    nothing capped), g's then replaced by tanh(z_g): the gates of a (32, 4 x 128) step
    32 -> 24 us (alternating in one process, 2026-11-27)."""
    hidden = c.shape[-1]
    sigmoid_by_tanh(z, out=gates)
    i, f, g, o = (gates[..., k * hidden : (k + 1) * hidden] for k in range(4))
    np.tanh(z[..., 2 * hidden : 3 * hidden], out=g)
    np.multiply(f, c, out=c_new)
    np.multiply(i, g, out=tc)  # tc holds i * g until it holds tanh(c')
    c_new += tc
    np.tanh(c_new, out=tc)
    np.multiply(o, tc, out=h_new)


def lstm_local_grads(gates, c, tc) -> tuple:
    """The factors of LstmCell's derivatives that do not depend on the gradients coming back,
    for one step or many at once (any leading dims, e.g. (T, N, 4H) for T steps):

        q = (g i(1-i), c f(1-f), i (1-g^2), tc o(1-o))   (..., 4H), in the gates' order
        p = o (1 - tc^2)                                  (..., H)

    so that a step's backward is dc = gc + gh p, dz = (dc, dc, dc, gh) * q, dc_prev = dc f
    (lstm_step_backward). Returns q, p and f (a view of the gates). Made for all the steps
    of a layer at once, these are a few large passes instead of many small ones at every
    step."""
    hidden = c.shape[-1]
    i, _, g, o = (gates[..., k * hidden : (k + 1) * hidden] for k in range(4))
    q = np.subtract(1, gates)
    q *= gates  # a (1 - a), the sigmoid's slope; g's columns are set next
    q_i, q_f, q_g, q_o = (q[..., k * hidden : (k + 1) * hidden] for k in range(4))
    q_i *= g
    q_f *= c
    np.square(g, out=q_g)
    np.subtract(1, q_g, out=q_g)  # tanh's slope 1 - g^2
    q_g *= i
    q_o *= tc
    p = np.square(tc)
    np.subtract(1, p, out=p)
    p *= o
    return q, p, gates[..., hidden : 2 * hidden]


def lstm_step_backward(q, p, f, gh, gc, dz) -> np.ndarray:
    """One step of LstmCell's backward from lstm_local_grads' q and p: from the gradients gh,
    gc of h' and c', dL/dz into `dz` (N, 4H, row-major: it is written through a reshaped
    view); returns dL/dc, the gradient of the step's c."""
    hidden = gh.shape[-1]
    dc = np.multiply(gh, p)
    dc += gc  # c' reaches the loss directly and through h'
    dz4, q4 = (a.reshape(*a.shape[:-1], 4, hidden) for a in (dz, q))  # the gates' blocks
    np.multiply(dc[..., None, :], q4[..., :3, :], out=dz4[..., :3, :])  # i, f, g: dc * q
    np.multiply(gh, q4[..., 3, :], out=dz4[..., 3, :])  # o: gh * q
    return dc * f


# A recurrent layer over this many steps or more multiplies its state by a row-major copy of
# W_hh^T (state_weight)
TRANSPOSE_FROM_STEPS = 16


def state_weight(w_hh: np.ndarray, steps: int) -> np.ndarray:
    """W_hh^T for a recurrent layer's h @ W_hh^T at every step: over many steps a row-major
    copy, which OpenBLAS multiplies faster when h has few rows (ops/matmul.py Linear); over
    a few, the transposed view. The copy, a transposing one, costs about as much as a few
    steps' products (W_hh (1024, 256): ~0.3 ms): text generated a step per call, a 2-layer
    LSTM(65, 256), went from 0.25 to 0.87 ms a step when every call made it."""
    return np.ascontiguousarray(w_hh.T) if steps >= TRANSPOSE_FROM_STEPS else w_hh.T


class LstmLayer(Function):
    """A whole LSTM layer in one direction: every time step in one op. With gx (T, N, 4H),
    the input's share of the gates for all steps (x W_ih^T + b_ih, one product made before),
    and the initial state h0, c0 (N, H), step t computes

        z = gx[t] + h W_hh^T + b_hh;   h, c = LstmCell(z, c)

    in time order (reverse=True: from t = T - 1 down to 0, the second direction of a
    bidirectional layer). Returns (T + 1, N, H): the h of every time t, then the last c.

    Backward runs the steps back (back-propagation through time) with LstmCell's derivatives:
        gh = dL/dh(t) from the output + what step t + 1 sent back;  dz[t] = LstmCell's;
        dL/dh(t - 1) = dz[t] @ W_hh;   dL/dc(t - 1) = dc * f
    where the factors of dz that do not depend on gh (lstm_local_grads) are made for all the
    steps at once first: seven NumPy calls a step instead of some twenty-five (with the gates'
    sigmoid by tanh, forward + backward of LSTM(64, 128), 50 steps of batch 32, 7-10% faster,
    alternating in one process, 2026-11-27; the products, one a step each way, are the rest)
    and, as W_hh and b_hh are the same at every step, their gradients are sums over the
    steps, made at the end as ONE product: dL/dW_hh = sum_t dz[t]^T h(t - 1) = dz^T @ H_in
    with the T steps' rows stacked; dL/dgx is dz itself.

    Why one op: run step by step, each of 50 steps of LSTM(64, 128) at batch 32 made five
    nodes, a small product for W_hh's gradient and a sum into it, and forward and backward
    took 2.5-3x PyTorch's time. Tested against those steps composed, and against PyTorch.
    """

    formula = "for t in order: z = gx[t] + h @ w_hh.T + b_hh; h, c = lstm_cell(z, c)"
    derivatives = (
        "dz[t], back through the steps",
        "dz[first step] @ w_hh",
        "dc * f at the first step",
        "dz^T @ (the h each step read), summed over the steps in one product",
        "dz summed over steps and batch",
    )
    saves_inputs = (False, False, False, True, False)  # the states read are its own copies

    def forward(self, gx, h0, c0, w_hh, b_hh=None, reverse=False):
        steps, n, _ = gx.shape
        hidden = h0.shape[-1]
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        w_t = state_weight(w_hh, steps)
        if b_hh is not None:  # b_hh added to every step's gx at once: one add a step fewer
            gx = gx + b_hh
        out = np.empty((steps + 1, n, hidden), dtype=gx.dtype)  # every h, then the last c
        # kept for backward: each step's gates, the state it read (h_in, c_in) and tanh(c');
        # without a backward to come (no_grad), one step's worth, reused
        kept = steps if any(self.needs_input_grad) else 1
        gates = np.empty((kept, *gx.shape[1:]), dtype=gx.dtype)
        h_in = np.empty((kept, n, hidden), dtype=gx.dtype)
        c_in, tcs = np.empty_like(h_in), np.empty_like(h_in)
        z, c_new = np.empty((n, gx.shape[2]), dtype=gx.dtype), np.empty_like(h0)
        h, c = h0, c0
        for t in order:
            k = t if kept > 1 else 0  # where step t's kept values go
            h_in[k], c_in[k] = h, c
            np.matmul(h, w_t, out=z)  # (N, H) @ (H, 4H)
            z += gx[t]
            lstm_gates(z, c_in[k], gates[k], out[t], c_new, tcs[k])
            h, c = out[t], c_new
        out[steps] = c
        self.order, self.w_hh = order, w_hh
        self.gates, self.h_in, self.c_in, self.tcs = gates, h_in, c_in, tcs
        return out

    def backward(self, grad_out):
        need_gx, _, _, need_w, need_b = (self.needs_input_grad + (False,))[:5]
        gates, h_in, w_hh = self.gates, self.h_in, self.w_hh
        steps, n, hidden = h_in.shape
        dz = np.empty(gates.shape, dtype=gates.dtype)  # (T, N, 4H): dL/dz of every step
        dh = np.zeros((n, hidden), dtype=gates.dtype)  # what step t + 1 sent back to h(t)
        dc = np.array(grad_out[steps])  # to c(t): first from the last c itself
        gh = np.empty_like(dh)
        q, p, f = lstm_local_grads(gates, self.c_in, self.tcs)  # every step's, at once
        for t in reversed(self.order):
            np.add(grad_out[t], dh, out=gh)
            dc = lstm_step_backward(q[t], p[t], f[t], gh, dc, dz[t])
            dh = dz[t] @ w_hh  # (N, 4H) @ (4H, H)
        rows = dz.reshape(-1, dz.shape[2])  # (T * N, 4H)
        grad_w = rows.T @ h_in.reshape(-1, hidden) if need_w else None  # (4H, H)
        grad_b = np.ones(rows.shape[0], dtype=rows.dtype) @ rows if need_b else None
        return (dz if need_gx else None), dh, dc, grad_w, grad_b


class GruCell(Function):
    """One GRU step's gate arithmetic, fused: from the input's share of the gates gx = x W_ih^T
    + b_ih and the state's gh = h W_hh^T + b_hh (both (N, 3H), PyTorch's order r, z, n) and h:

        r, z = sigmoid(gx_r + gh_r), sigmoid(gx_z + gh_z)
        n = tanh(gx_n + r * gh_n);   h' = (1 - z) * n + z * h

    Composed, that was nine engine ops a step. The derivatives, with G = dL/dh':
        dn = G (1 - z);  dz = G (h - n);  dh = G z
        dpre_n = dn (1 - n^2)  -> dgx_n = dpre_n, dgh_n = dpre_n * r, dr = dpre_n * gh_n
        da_r = dr r (1 - r);  da_z = dz z (1 - z)  -> the r and z parts of both dgx and dgh
    """

    formula = "h' = (1 - z) * tanh(gx_n + r * gh_n) + z * h"
    derivatives = (
        "(da_r, da_z, dpre_n)",
        "(da_r, da_z, dpre_n * r)",
        "dL/dh' * z",
    )
    saves_inputs = (False, True, True)  # backward reads gh's n part and h, not gx

    def forward(self, gx, gh, h):
        hidden = h.shape[-1]
        rz = np.empty((*h.shape[:-1], 2 * hidden), dtype=h.dtype)
        n, out = np.empty_like(h), np.empty_like(h)
        gru_gates(gx, gh, h, rz, n, out)
        self.rz, self.n, self.h, self.gh_n = rz, n, h, gh[..., 2 * hidden :]
        return out

    def backward(self, grad_out):
        hidden = self.h.shape[-1]
        grad_gx = np.empty((*self.n.shape[:-1], 3 * hidden), dtype=grad_out.dtype)
        grad_gh = np.empty_like(grad_gx)
        gru_gates_backward(self.rz, self.n, self.h, self.gh_n, grad_out, grad_gx, grad_gh)
        return grad_gx, grad_gh, grad_out * self.rz[..., hidden:]  # dh = G z


def gru_gates(gx, gh, h, rz, n, out) -> None:
    """One GRU step's gate arithmetic (GruCell's formulas) into the arrays given: r and z into
    rz (N, 2H), n into n and h' into out (each (N, H))."""
    hidden = h.shape[-1]
    np.add(gx[..., : 2 * hidden], gh[..., : 2 * hidden], out=rz)
    sigmoid_by_tanh(rz, out=rz)
    r, z = rz[..., :hidden], rz[..., hidden:]
    np.multiply(r, gh[..., 2 * hidden :], out=n)
    n += gx[..., 2 * hidden :]
    np.tanh(n, out=n)
    np.subtract(h, n, out=out)  # h' = n + z * (h - n)
    out *= z
    out += n


def gru_gates_backward(rz, n, h, gh_n, grad_out, grad_gx, grad_gh) -> None:
    """GruCell's derivatives of gx and gh into grad_gx and grad_gh (N, 3H); h's direct
    share, grad_out * z, is left to the caller."""
    hidden = h.shape[-1]
    r, z = rz[..., :hidden], rz[..., hidden:]
    da_r, da_z, dpre_n = (grad_gx[..., k * hidden : (k + 1) * hidden] for k in range(3))
    np.multiply(grad_out, 1 - z, out=dpre_n)  # dn
    dpre_n *= 1 - n * n
    np.multiply(dpre_n, gh_n, out=da_r)  # dr
    da_r *= r * (1 - r)
    np.multiply(grad_out, h - n, out=da_z)  # dz
    da_z *= z * (1 - z)
    grad_gh[...] = grad_gx
    grad_gh[..., 2 * hidden :] *= r


class GruLayer(Function):
    """A whole GRU layer in one direction: every time step in one op, as LstmLayer. With gx
    (T, N, 3H), the input's share of the gates for all steps, and h0 (N, H), step t computes

        gh = h W_hh^T + b_hh;   h = GruCell(gx[t], gh, h)

    in time order (reverse=True: backwards). Returns the h of every time t, (T, N, H).

    Backward, through time: with G = dL/dh(t) from the output + what step t + 1 sent back,
    GruCell's derivatives give dgx[t] and dgh[t], and dL/dh(t - 1) = G z + dgh[t] @ W_hh.
    dL/dW_hh = sum_t dgh[t]^T h(t - 1) and dL/db_hh = sum_t dgh[t], one product and one sum
    over all steps at the end; dL/dgx is dgx itself.
    """

    formula = "for t in order: h = gru_cell(gx[t], h @ w_hh.T + b_hh, h)"
    derivatives = (
        "dgx[t], back through the steps",
        "G z + dgh @ w_hh at the first step",
        "dgh^T @ (the h each step read), summed over the steps in one product",
        "dgh summed over steps and batch",
    )
    saves_inputs = (False, False, True, False)  # the states read are its own copies

    def forward(self, gx, h0, w_hh, b_hh=None, reverse=False):
        steps, n, _ = gx.shape
        hidden = h0.shape[-1]
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        w_t = state_weight(w_hh, steps)
        out = np.empty((steps, n, hidden), dtype=gx.dtype)
        # kept for backward: the state each step read, its gh's n part (r multiplies it),
        # r and z, and n; without a backward to come (no_grad), one step's worth, reused
        kept = steps if any(self.needs_input_grad) else 1
        h_in = np.empty((kept, n, hidden), dtype=gx.dtype)
        gh = np.empty((kept, *gx.shape[1:]), dtype=gx.dtype)
        rz, n_gate = np.empty((kept, n, 2 * hidden), dtype=gx.dtype), np.empty_like(h_in)
        h = h0
        for t in order:
            k = t if kept > 1 else 0  # where step t's kept values go
            h_in[k] = h
            np.matmul(h, w_t, out=gh[k])  # (N, H) @ (H, 3H)
            if b_hh is not None:
                gh[k] += b_hh
            gru_gates(gx[t], gh[k], h, rz[k], n_gate[k], out[t])
            h = out[t]
        self.order, self.w_hh = order, w_hh
        self.h_in, self.gh_n, self.rz, self.n_gate = h_in, gh[..., 2 * hidden :], rz, n_gate
        return out

    def backward(self, grad_out):
        need_gx, _, need_w, need_b = (self.needs_input_grad + (False,))[:4]
        h_in, rz, w_hh = self.h_in, self.rz, self.w_hh
        steps, n, hidden = h_in.shape
        dgx = np.empty((steps, n, 3 * hidden), dtype=h_in.dtype)  # of every step
        dgh = np.empty_like(dgx)
        dh = np.zeros((n, hidden), dtype=h_in.dtype)  # what step t + 1 sent back to h(t)
        g = np.empty_like(dh)
        for t in reversed(self.order):
            np.add(grad_out[t], dh, out=g)
            gru_gates_backward(rz[t], self.n_gate[t], h_in[t], self.gh_n[t], g, dgx[t], dgh[t])
            dh = g * rz[t, :, hidden:]  # h's direct share, G z
            dh += dgh[t] @ w_hh  # (N, 3H) @ (3H, H)
        rows = dgh.reshape(-1, dgh.shape[2])  # (T * N, 3H)
        grad_w = rows.T @ h_in.reshape(-1, hidden) if need_w else None  # (3H, H)
        grad_b = np.ones(rows.shape[0], dtype=rows.dtype) @ rows if need_b else None
        return (dgx if need_gx else None), dh, grad_w, grad_b


def _sigmoid_from_exp(e: np.ndarray, nonnegative: np.ndarray) -> np.ndarray:
    """sigmoid(t) = 1 / (1 + exp(-t)) as a new array, from e = exp(-|t|), which forward
    made anyway, and the mask t >= 0: 1 / (1 + e) where t >= 0, e / (1 + e) where t < 0
    (e <= 1, so the numerator is max(e, [t >= 0])). No second exp: NumPy's float32 exp ran
    at 1.8-2.5 ns a value on the AMD EPYC VM, these passes at ~0.2. At t = +-inf, e = 0:
    1 and 0, the limits; NaN stays NaN."""
    num = nonnegative.astype(e.dtype)
    np.maximum(num, e, out=num)
    num /= e + e.dtype.type(1)
    return num


def _softplus_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(e, log(1 + e)) with e = exp(-|z|), new arrays: what softplus(z) = max(z, 0) +
    log(1 + e) and logsigmoid(z) = min(z, 0) - log(1 + e) are made of, without overflow;
    e is kept by their backward (_sigmoid_from_exp)."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    return e, log1p_of_unit(e)


class LogSigmoid(Function):
    """out = log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), without overflow."""

    formula = "out = log(sigmoid(x))"
    derivatives = ("grad_out * sigmoid(-x)",)

    def forward(self, x):
        self.x = x
        self.e, tail = _softplus_parts(x)
        return np.minimum(x, against(0, x)) - tail  # min(x, 0), see against()

    def backward(self, grad_out):
        s = _sigmoid_from_exp(self.e, self.x <= 0)  # sigmoid(-x), from forward's exp(-|x|)
        s *= grad_out
        return s


class BinaryCrossEntropyWithLogits(Function):
    """The elementwise loss of binary_cross_entropy_with_logits, fused, PyTorch's formula:
        out = ((1 - y) x - log_w * logsigmoid(x)) * weight,   log_w = 1 + (pos_weight - 1) y
    (log_w = 1 without pos_weight; weight 1 without weight), logsigmoid(x) = min(x, 0) -
    log1p(exp(-|x|)), as LogSigmoid computes it: the same numbers as the composed form.

    Backward, with s = sigmoid(-x) (_sigmoid_from_exp, from forward's exp(-|x|)):
        dL/dx = ((1 - y) - log_w s) * weight * g      (sigmoid(x) - y without pos_weight)
        dL/dy = (logsigmoid(-x) - pos_weight logsigmoid(x)) * weight * g  (-x g without)
        dL/dweight = the unweighted loss * g,  dL/dpos_weight = -y logsigmoid(x) * weight * g
    each summed over the dims it was broadcast along. Composed of LogSigmoid, four products
    and sums it made five nodes and two exps (forward + backward on (256, 512) 2.5 ms against
    PyTorch's 1.1, 2026-11-29).
    """

    formula = "out = ((1 - y) * x - log_w * logsigmoid(x)) * weight"
    derivatives = (
        "((1 - y) - log_w * sigmoid(-x)) * weight * grad_out",
        "(logsigmoid(-x) - pos_weight * logsigmoid(x)) * weight * grad_out",
        "((1 - y) * x - log_w * logsigmoid(x)) * grad_out",
        "-y * logsigmoid(x) * weight * grad_out",
    )

    @quiet  # exp(-|x|) underflows to 0 for large |x|: the limit, no warning
    def forward(self, x, y, weight=None, pos_weight=None):
        e, softplus_tail = _softplus_parts(x)  # exp(-|x|), log(1 + exp(-|x|))
        log_sig = np.minimum(x, against(0, x)) - softplus_tail  # min(x, 0), see against()
        _, need_y, need_w, need_pw = self.needs_input_grad  # one flag per input, None too
        self.x, self.y, self.e = x, y, e  # kept: what backward reads, no more
        self.log_sig = log_sig if need_pw or (need_y and pos_weight is not None) else None
        self.softplus_tail = softplus_tail if need_y and pos_weight is not None else None
        self.weight, self.pos_weight = weight, pos_weight
        self.log_w = None if pos_weight is None else (pos_weight - 1) * y + 1
        out = (1 - y) * x - (log_sig if self.log_w is None else log_sig * self.log_w)
        self.unweighted = out if need_w else None  # dL/dweight's factor
        return out if weight is None else out * weight

    @quiet
    def backward(self, grad_out):
        x, y, w = self.x, self.y, self.weight
        need_x, need_y, need_w, need_pw = self.needs_input_grad
        g = grad_out if w is None else grad_out * w
        grad_x = grad_y = grad_w = grad_pw = None
        if need_x:
            s = _sigmoid_from_exp(self.e, x <= 0)  # sigmoid(-x)
            if self.log_w is not None:
                s = s * self.log_w
            grad_x = unbroadcast((1 - y - s) * g, x.shape)
        if need_y:  # -x, or logsigmoid(-x) - pos_weight logsigmoid(x), as PyTorch: at x =
            # -inf that is +inf where -x - (pos_weight - 1) logsigmoid(x) is inf - inf
            if self.pos_weight is None:
                dy = -x
            else:
                log_sig_neg = -np.maximum(x, against(0, x)) - self.softplus_tail  # logsig(-x)
                dy = log_sig_neg - self.pos_weight * self.log_sig
            grad_y = unbroadcast(dy * g, y.shape)
        if need_w:
            grad_w = unbroadcast(self.unweighted * grad_out, w.shape)
        if need_pw:
            grad_pw = unbroadcast(-(y * self.log_sig) * g, self.pos_weight.shape)
        return grad_x, grad_y, grad_w, grad_pw


class Softplus(Function):
    """out = log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's
    softplus), as (max(z, 0) + log(1 + exp(-|z|))) / beta with z = beta x: no exp of a
    large number. One op: composed of LogSigmoid, two products and a where it made ten
    passes forward (Mish is x tanh(softplus(x)))."""

    formula = "out = log(1 + exp(beta * x)) / beta,  x where beta * x > threshold"
    derivatives = ("grad_out * sigmoid(beta * x),  grad_out where beta * x > threshold",)

    def forward(self, x, beta=1.0, threshold=20.0):
        z = x * x.dtype.type(beta) if beta != 1 else x
        e, out = _softplus_parts(z)  # e = exp(-|z|) kept for backward's sigmoid
        out += np.maximum(z, against(0, z))  # max(z, 0), see against()
        if beta != 1:
            out /= x.dtype.type(beta)
        self.x, self.e, self.beta, self.threshold = x, e, beta, threshold
        np.copyto(out, x, where=z > threshold)  # x itself there, as PyTorch
        return out

    def backward(self, grad_out):
        z = self.x * self.x.dtype.type(self.beta) if self.beta != 1 else self.x
        s = _sigmoid_from_exp(self.e, z >= 0)  # sigmoid(z), no second exp
        np.maximum(s, z > self.threshold, out=s)  # 1 on the linear part, as PyTorch
        return grad_out * s


# ----------------------------------------------------------------------------------------------
# cross-entropy
# ----------------------------------------------------------------------------------------------
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}  # by item size


def _classes_last(x: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (C,) -> (1, C)."""
    if x.ndim == 1:
        return x[None, :]
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _classes_back(g: np.ndarray, shape: tuple) -> np.ndarray:
    """The inverse of _classes_last for a gradient of the input's shape."""
    if len(shape) <= 2:
        return g.reshape(shape)
    moved = (shape[0], *shape[2:], shape[1])
    return np.moveaxis(g.reshape(moved), -1, 1)


class CrossEntropy(Function):
    """Softmax cross-entropy, fused: log-softmax and the pick of the target in one op.

    With class indices t:  loss_i = -sum_c a_ic log p_ic,  p = softmax(x) over the classes,
    a_ic = (1 - eps) w_t_i [c = t_i] + eps / C * w_c (eps = label_smoothing, w = weight, 1 if
    none; a_i = 0 where t_i == ignore_index). With probabilities t: a_ic = w_c * ((1 - eps)
    t_ic + eps / C). 'mean' divides by sum_i w_t_i (indices) or by the number of samples
    (probabilities), as PyTorch.

    Backward: dloss_i / dx_i = p_i * sum_c a_ic - a_i  (= softmax - onehot in the plain case).

    Shape: x (N, C) or (N, C, d1, ...) or (C,); t (N, d1, ...) integers or x's shape floats.
    """

    formula = "out = -sum(a * log_softmax(x))"
    derivatives = ("(softmax(x) * sum(a) - a) * grad_out / n", "-log_softmax(x) * w * (1 - eps)")
    saves_inputs = False  # only the softmax, a new array

    @quiet  # a row of -inf logits: NaN, without a warning, as PyTorch
    def forward(
        self, x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
    ):
        self.shape, self.reduction = x.shape, reduction
        if x.ndim == 2 and weight is None and not label_smoothing and target.dtype.kind in "iu":
            out = self._plain(x, target, ignore_index)
            if out is not None:
                return out
        n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
        eps = float(label_smoothing)
        x2 = _classes_last(x)
        shifted = np.subtract(x2, softmax_shift(x2, 1))  # no overflow in exp
        e = np.exp(shifted)
        total = _sum(e, 1, True)
        lse = np.log(total)  # log-softmax = shifted - lse
        w = None if weight is None else np.asarray(weight, dtype=x.dtype)
        if target.dtype.kind in "iu":
            per, a_sum = self._indices(shifted, lse, target, w, ignore_index, eps, n_classes)
        else:
            per, a_sum = self._probabilities(shifted, lse, x, target, w, eps, n_classes)
        if any(self.needs_input_grad):
            with unbuffered_rows(n_classes):  # one total per row of classes
                e /= total  # softmax, kept for backward
            self.softmax, self.a_sum = e, a_sum
        if reduction == "mean":
            self.n = self.denominator
            with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 = nan, as PyTorch
                return np.asarray(per.sum() / self.n, dtype=x.dtype)
        self.n = 1
        if reduction == "sum":
            return np.asarray(per.sum(), dtype=x.dtype)
        return per.reshape(_target_shape(x.shape))

    def _plain(self, x, t, ignore_index):
        """The common case, fast: logits (N, C), class indices all in [0, C), no weight, no
        smoothing, none ignored; else None (the general path then validates and handles it).

        loss_i = logsumexp(x_i) - x_i,t_i, with logsumexp(x_i) = m_i + log sum_c exp(x_ic - m_i),
        m_i = max_c x_ic (no overflow; or one m for all rows, reduce.softmax_shift). One max,
        one exp, one sum, one log, one pick: the general path's per-sample weights, masks and
        validation cost more than the math here.
        """
        n, n_classes = x.shape
        # one pass checks 0 <= t < C: seen as unsigned, a negative index is a huge number
        if t.size == 0 or t.view(_UNSIGNED[t.itemsize]).max() >= n_classes:
            return None
        if 0 <= ignore_index < n_classes:
            return None  # some samples may be ignored: the general path masks them
        rows = np.arange(n)
        m = softmax_shift(x, 1)  # the row max, or one number for all rows
        e = np.subtract(x, m)
        np.exp(e, out=e)
        total = _sum(e, 1, False)
        per = np.log(total) - (x[rows, t] - m.reshape(-1))  # -log p_(i, t_i)
        self.mode = "plain"
        if any(self.needs_input_grad):
            with unbuffered_rows(n_classes):  # one total per row of classes
                e /= total[:, None]  # softmax, kept for backward
            self.softmax, self.rows, self.t = e, rows, t
        if self.reduction == "mean":
            self.n = n
            return np.asarray(per.sum() / n, dtype=x.dtype)
        self.n = 1
        if self.reduction == "sum":
            return np.asarray(per.sum(), dtype=x.dtype)
        return per

    def _indices(self, shifted, lse, target, w, ignore_index, eps, n_classes):
        t = target.reshape(-1)
        valid = t != ignore_index
        bad = valid & ((t < 0) | (t >= n_classes))
        if bad.any():
            value = int(t[bad][0])
            raise IndexOutOfRangeError(
                f"cross_entropy: target holds class index {value}, but the input has "
                f"{n_classes} classes (valid indices 0..{n_classes - 1}, or ignore_index="
                f"{ignore_index} to skip a sample). Are the labels 1-based (subtract 1), or "
                f"does the last layer need out_features={value + 1}?",
                card="cross-entropy",
            )
        t_safe = np.where(valid, t, 0)
        rows = np.arange(t.size)
        w_t = valid.astype(shifted.dtype) if w is None else w[t_safe] * valid
        picked = shifted[rows, t_safe] - lse[:, 0]  # log p_(i, t_i)
        per = -picked * w_t
        if eps:
            # smoothing term: -sum_c w_c log p_ic = -(sum_c w_c shifted_ic - sum(w) lse_i)
            if w is None:
                smooth = n_classes * lse[:, 0] - shifted.sum(axis=1)
            else:
                smooth = w.sum() * lse[:, 0] - shifted @ w
            per = (1 - eps) * per + (eps / n_classes) * smooth
        # an ignored sample's loss is 0, as PyTorch's, even where its logits make it NaN
        # (a row of -inf); a product with the mask would keep NaN
        per = np.where(valid, per, per.dtype.type(0))
        self.mode, self.rows, self.t_safe, self.w_t = "indices", rows, t_safe, w_t
        self.valid, self.w, self.eps, self.n_classes = valid, w, eps, n_classes
        self.denominator = w_t.sum()
        w_total = n_classes if w is None else w.sum()
        a_sum = (1 - eps) * w_t + (eps / n_classes) * w_total * valid
        return per, a_sum.astype(shifted.dtype, copy=False)

    def _probabilities(self, shifted, lse, x, target, w, eps, n_classes):
        t = _classes_last(target)
        if eps:
            t = t * (1 - eps) + eps / n_classes
        a = t if w is None else t * w
        logp = shifted - lse
        per = -(logp * a).sum(axis=1)
        self.mode, self.a, self.logp, self.w, self.eps = "probs", a, logp, w, eps
        self.denominator = x.size // n_classes
        return per, a.sum(axis=1)

    def backward(self, grad_out):
        need_x, need_t = self.needs_input_grad[:2]
        n = self.n
        if self.mode == "plain":
            if not need_x:
                return None, None, None
            # dloss_i / dx_i = (softmax(x_i) - onehot(t_i)) * g_i, g_i = grad_out / n for 'mean'
            g = grad_out / n if self.reduction != "none" else grad_out[:, None]
            with unbuffered_rows(self.softmax.shape[1]):  # g: one number per row, or one
                grad_x = self.softmax * g  # a new array: the softmax stays intact
            grad_x[self.rows, self.t] -= g if g.ndim == 0 else g[:, 0]
            return grad_x, None, None
        if self.reduction == "none":
            g = grad_out.reshape(-1)  # one upstream gradient per sample
        else:
            g = np.full(self.softmax.shape[0], grad_out / n, dtype=self.softmax.dtype)
        grad_x = grad_t = None
        if need_x:
            # p_i * sum_c a_ic * g_i, in a new array: the softmax stays intact for retain_graph
            with unbuffered_rows(self.softmax.shape[1]):  # one number per row of classes
                grad = self.softmax * (self.a_sum * g)[:, None]
                if self.mode == "indices":
                    grad[self.rows, self.t_safe] -= (1 - self.eps) * self.w_t * g
                    if self.eps:
                        w = 1.0 if self.w is None else self.w[None, :]
                        grad -= (self.eps / self.n_classes) * w * (self.valid * g)[:, None]
                else:
                    grad -= self.a * g[:, None]
            grad_x = _classes_back(grad, self.shape)
        if need_t and self.mode == "probs":
            # d loss_i / d t_ic = -log p_ic * w_c * (1 - eps)
            gt = -self.logp * g[:, None] * (1 - self.eps)
            if self.w is not None:
                gt *= self.w
            grad_t = _classes_back(gt, self.shape)
        return grad_x, grad_t, None


class NllLoss(Function):
    """out = -sum_i w_i x[i, t_i] / sum_i w_i ('mean'), the sum ('sum'), or each -w_i x[i, t_i]
    ('none'): the negative log-likelihood of log-probabilities x, classes on dim 1. w_i is the
    class weight of t_i, or 1; 0 for a sample whose target is ignored (t_i then any valid
    index). Backward puts -w_i grad_out / sum w at (i, t_i) and 0 elsewhere.

    One op: composed of a gather, a product, a negation, a sum and a division, it made five
    nodes, and the MNIST tutorial's log_softmax + nll_loss on (64, 10) took 108 us forward +
    backward against PyTorch's 42 (2026-11-27). The same numbers as the composed form: each
    value is made by the same operations in the same order.

    Shape: x (N, C, d1, ...), t and w (N, d1, ...).
    """

    formula = "out = -sum(w_i * x[i, t_i]) / sum(w_i)"
    derivatives = ("-w_i * grad_out / sum(w) at (i, t_i), 0 elsewhere",)
    saves_inputs = False  # only the targets' positions and weights

    def forward(self, x, target=None, w_t=None, reduction="mean"):
        at = target[:, None]  # (N, 1, d1, ...): each sample's class
        loss = -(np.take_along_axis(x, at, axis=1)[:, 0] * w_t)
        self.shape, self.dtype, self.at, self.w_t = x.shape, x.dtype, at, w_t
        self.reduction = reduction
        if reduction == "none":
            return loss
        total = loss.sum()
        if reduction == "sum":
            self.n = None
            return np.asarray(total, dtype=x.dtype)
        self.n = w_t.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 = nan, as PyTorch
            return np.asarray(total / self.n, dtype=x.dtype)

    def backward(self, grad_out):
        g = grad_out
        if self.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                g = grad_out / self.n
        grad_x = np.zeros(self.shape, dtype=self.dtype)
        np.put_along_axis(grad_x, self.at, ((-g) * self.w_t)[:, None], axis=1)
        return grad_x


def _target_shape(shape: tuple) -> tuple:
    """The shape of per-sample losses for an input of `shape` (classes on dim 1)."""
    return () if len(shape) == 1 else (shape[0], *shape[2:])


# ----------------------------------------------------------------------------------------------
# embedding, layer norm, dropout
# ----------------------------------------------------------------------------------------------
class EmbeddingLookup(Function):
    """out = weight[index]: row index[i] of the table for every index (nn.Embedding).

    Shape: weight (V, D), index any shape of ints -> (*index.shape, D). Backward adds each
    gradient row into the row it came from (rows used twice get both); the padding row
    gets none.
    """

    formula = "out = weight[index]"
    derivatives = ("grad_out rows added into the rows they were read from",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, weight, index=None, padding_idx=None):
        self.index, self.padding_idx, self.shape = index, padding_idx, weight.shape
        return np.take(weight, index, axis=0)

    def backward(self, grad_out):
        grad_w = scatter_add_rows(self.index, grad_out, self.shape)  # rows used twice add up
        if self.padding_idx is not None:
            grad_w[self.padding_idx] = 0
        return grad_w


class LayerNorm(Function):
    """out = (x - mean) / sqrt(var + eps) * w + b over the last `n_dims` dims (biased var).

    Backward with xhat = (x - mean) * rstd, gx = grad_out * w, means over the normalized dims:
    dL/dx = rstd * (gx - mean(gx) - xhat * mean(gx * xhat)); dL/dw = sum(grad_out * xhat),
    dL/db = sum(grad_out), both over the other dims.

    Computed on rows (R, D), D the normalized size. The sums along rows are products with
    ones (or with w, or rstd); what is one number per row times one per column (rstd_i *
    w_j) is made by _outer, one number per row along its row (mean_i) by _along_rows. So
    each remaining pass reads whole arrays of one shape: NumPy takes a call per row for x *
    rstd[:, None] (33 us on the GPT's 768 rows of 128, against 10 for a pass over two
    arrays). The GPT's LayerNorm, forward 121-127 -> 80 us, forward + backward 383-399 ->
    297-311 us (2026-11-27). Backward, written per row i,
    with c1 = mean_j(w_j g_j), c2 = mean_j(w_j g_j xhat_j) (two products with w):
        dL/dx_j = (rstd w_j) g_j - rstd^2 c2 (x_j - mean) - rstd c1.
    """

    formula = "out = (x - mean(x)) / sqrt(var(x) + eps) * w + b"
    derivatives = (
        "rstd * (gx - mean(gx) - xhat * mean(gx * xhat))",
        "sum(grad_out * xhat)",
        "sum(grad_out)",
    )
    saves_inputs = (False, True, False)  # x - mean is a new array; w is read

    def forward(self, x, w=None, b=None, n_dims=1, eps=1e-5):
        size = math.prod(x.shape[x.ndim - n_dims :])
        rows = x.reshape(math.prod(x.shape[: x.ndim - n_dims]), size)
        ones = np.ones(size, x.dtype)
        mean = rows @ ones
        mean /= max(size, 1)
        centered = _along_rows(mean, size)
        np.subtract(rows, centered, out=centered)  # x - mean
        var = np.square(centered) @ ones
        var /= max(size, 1)
        rstd = 1.0 / np.sqrt(var + eps)
        out = _outer(rstd, ones if w is None else w.reshape(-1))
        out *= centered  # (x - mean) * rstd * w
        if b is not None:
            out += b.reshape(-1)
        self.centered, self.rstd, self.w, self.shape = centered, rstd, w, x.shape
        self.normalized = x.shape[x.ndim - n_dims :]
        return out.reshape(x.shape)

    def backward(self, grad_out):
        need_x, need_w, need_b = (tuple(self.needs_input_grad) + (False, False))[:3]
        centered, rstd = self.centered, self.rstd
        size = centered.shape[1]
        g = grad_out.reshape(centered.shape)
        w = np.ones(size, g.dtype) if self.w is None else self.w.reshape(-1)
        grad_x = grad_w = grad_b = None
        g_centered = g * centered if need_w or need_x else None
        if need_w:  # sum_i g_ij xhat_ij = sum_i rstd_i (g_ij (x_ij - mean_i))
            grad_w = (rstd @ g_centered).reshape(self.normalized)
        if need_b:
            grad_b = (np.ones(g.shape[0], g.dtype) @ g).reshape(self.normalized)
        if need_x:
            c1 = g @ w
            c1 /= max(size, 1)  # mean(gx)
            c2 = g_centered @ w
            c2 *= rstd
            c2 /= max(size, 1)  # mean(gx * xhat)
            grad_x = _outer(rstd, w)
            grad_x *= g  # rstd w_j g_j
            along = _along_rows(-(rstd * rstd * c2), size)
            along *= centered  # - rstd^2 c2 (x_j - mean)
            grad_x += along
            with unbuffered_rows(size):  # one number per row
                grad_x -= (rstd * c1)[:, None]
            grad_x = grad_x.reshape(self.shape)
        return grad_x, grad_w, grad_b


def _outer(col: np.ndarray, row: np.ndarray) -> np.ndarray:
    """col[:, None] * row[None, :], made as a matrix product with an inner size of 2, the
    second term 0 * 0 (so each value is the one rounded product). Why: OpenBLAS takes a
    product with inner size 1 down a slow path, and NumPy's broadcast multiply makes a call
    per row: 768 x 128 took 12 us this way, 119 us as col[:, None] @ row[None, :], 40 us by
    np.outer (2026-11-27)."""
    dtype = np.result_type(col, row)
    left = np.zeros((col.size, 2), dtype)
    left[:, 0] = col
    right = np.zeros((2, row.size), dtype)
    right[0] = row
    return left @ right


def _along_rows(col: np.ndarray, size: int) -> np.ndarray:
    """col[:, None] repeated along `size` columns, (col.size, size), as a new array: one
    np.repeat, a copy of each number size times. Faster than _outer(col, ones) on the AMD
    EPYC VM (2026-11-29): 768 x 128 26 against 30 us alone, 39 against 72 inside the GPT's
    training step; 64 x 128, text generation's, 2.8 against 5.9 us; 8192 x 64 63 against
    105."""
    return np.repeat(col, size).reshape(col.size, size)


def _row_sum(a: np.ndarray, n_dims: int = 1) -> np.ndarray:
    """a.sum over its last n_dims dims, keepdims, as one matrix-vector product: BLAS sums
    rows of a few hundred floats ~4x faster than NumPy's sum(axis=-1) (768 rows of 128
    floats: 9 vs 33 us)."""
    lead = a.shape[: a.ndim - n_dims]
    rows = a.reshape(-1, math.prod(a.shape[a.ndim - n_dims :]))
    return (rows @ np.ones(rows.shape[1], a.dtype)).reshape(*lead, *(1,) * n_dims)


class BinaryCrossEntropy(Function):
    """The elementwise loss of binary_cross_entropy, PyTorch's formulas, fused:
        out = (y - 1) max(log(1 - x), -100) - y max(log x, -100)    (log(1 - x) as log1p(-x))
    The clamp at -100 keeps x = 0 or 1 finite. Backward is PyTorch's too, not the clamped
    formula's derivative: dL/dx = (x - y) / max(x (1 - x), 1e-12), so x = 0 with y = 1
    gives -1e12 (a push back, where the clamp alone gives 0), and a tiny x with y = 0 gives
    about x / 1e-12 rather than 1. dL/dy = -logit(x) = -log(x / (1 - x)), unclamped.
    Composed of clamp, log and products it was a dozen ops, each with its own pass."""

    formula = "out = (y - 1) * max(log(1 - x), -100) - y * max(log(x), -100)"
    derivatives = (
        "grad_out * (x - y) / max(x * (1 - x), 1e-12)",
        "-grad_out * log(x / (1 - x))",
    )
    EPSILON = np.float32(1e-12)  # PyTorch's, a float even for float64 inputs

    @quiet  # log(0) = -inf, clamped; no warning
    def forward(self, x, y):
        self.x, self.y = x, y
        log_x = np.log(x)
        floor = against(-100, log_x)  # PyTorch's clamp of the logs at -100, see against()
        np.maximum(log_x, floor, out=log_x)
        out = log1p_array(-x)
        np.maximum(out, floor, out=out)
        out *= y - 1
        out -= y * log_x
        return out

    @quiet  # log(0) in dL/dy is inf, as PyTorch's
    def backward(self, grad_out):
        x, y = self.x, self.y
        need_x, need_y = self.needs_input_grad[:2]
        grad_x = grad_y = None
        if need_x:
            grad_x = grad_out * (x - y)
            grad_x /= np.maximum(x * (1 - x), x.dtype.type(self.EPSILON))
        if need_y:
            grad_y = np.log(x / (1 - x))  # logit(x), one log: no cancellation near 1/2
            np.negative(grad_y, out=grad_y)
            grad_y *= grad_out
        return grad_x, grad_y


class SmoothL1(Function):
    """The elementwise loss of smooth_l1_loss and huber_loss, fused, with d = x - y, z = |d|:
        smooth L1:  0.5 z^2 / beta  where z < beta,  else z - 0.5 beta
        Huber:      0.5 z^2         where z < beta,  else beta (z - 0.5 beta)   (huber=True)
    each branch as PyTorch writes it (the same rounding). The branch is picked by bits
    (elementwise._select): composed of seven ops and a np.where, forward + backward on
    (256, 512) took 0.54 ms against PyTorch's 0.14.

    Backward: the slope in d is d / beta clipped to [-1, 1] (smooth L1), or d clipped to
    [-beta, beta] (Huber): the quadratic branch's slope, capped where the linear one starts.
    A target that broadcasts against x gets the sum of its gradient over the broadcast dims.
    """

    formula = "out = 0.5 z^2 / beta if z < beta else z - 0.5 beta,  z = |x - y|"
    derivatives = ("grad_out * clip(d / beta, -1, 1)", "-grad_out * clip(d / beta, -1, 1)")
    saves_inputs = False  # d is kept instead

    def forward(self, x, y, beta=1.0, huber=False):
        d = x - y
        z = np.abs(d)
        half = 0.5 * z
        half *= z  # 0.5 z^2
        if huber:
            far = z - 0.5 * beta
            far *= beta
        else:
            half /= beta
            far = z - 0.5 * beta
        self.d, self.beta, self.huber, self.shapes = d, beta, huber, (x.shape, y.shape)
        return _select(z < beta, half.astype(d.dtype, copy=False), far.astype(d.dtype, copy=False))

    def backward(self, grad_out):
        if self.huber:
            slope = np.clip(self.d, -self.beta, self.beta)
        else:
            slope = self.d / self.beta
            np.clip(slope, -1.0, 1.0, out=slope)
        grad = grad_out * slope  # d's shape: x and y broadcast against each other
        return unbroadcast(grad, self.shapes[0]), unbroadcast(-grad, self.shapes[1])


class DropoutMask(Function):
    """out = x * mask, mask already holding 0 or 1/(1-p) (drawn by F.dropout)."""

    formula = "out = x * mask"
    derivatives = ("grad_out * mask",)
    saves_inputs = False  # backward needs no input values (autograd.Function)

    def forward(self, x, mask=None):
        self.mask = mask
        return x * mask

    def backward(self, grad_out):
        return grad_out * self.mask


# ----------------------------------------------------------------------------------------------
# attention
# ----------------------------------------------------------------------------------------------
def _swap(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def _by_batch(fn, w: np.ndarray) -> None:
    """fn(r) for slices r of the first batch axis of the weights w (..., L, S), split between
    threads when large (_threads.py: the GPT's attention, 12 sequences x 4 heads x 64 tokens,
    forward + backward of its 4 layers 9.5 -> 6.5 ms); fn(...) once when w has no batch axis.
    By PARALLEL_GRAIN even where value_grain is larger: a part makes a dozen NumPy calls,
    each long (batched products among them), so the split pays where hand-overs are slow too
    (the GPT's attention forward + backward on one thread 1.66-1.72 ms, on two 1.46-1.50,
    Intel Xeon VM, 2026-11-27). Each part's products run on one OpenBLAS thread."""
    if w.ndim == 2:
        fn(...)
    else:
        parallel_rows(fn, w, grain=PARALLEL_GRAIN, products=True)


def _batch_part(a, r, ndim: int):
    """a's part for the slice r of the batch; the whole of a where it is broadcast along the
    first batch axis (fewer dims than ndim, or length 1 there)."""
    if a is None or r is Ellipsis or a.ndim < ndim or a.shape[0] == 1:
        return a
    return a[r]


# Attention's softmax, shifted as reduce.softmax_shift explains, but by each (sequence, head)
# matrix's largest value (3,072 row maxima of 64 scores took 275 us, the 48 matrices' 8) and
# where a matrix spans at most _SHIFT_SPREAD: every value then lies in [-80, 0] after the
# shift, so exp neither overflows nor underflows to 0 (e^-80 is 1.8e-35, a normal float32)
# and a row's total is 0 only where every key is masked. Attention keeps only the weights,
# whose relative rounding this costs at most 80 * 2^-24 = 5e-6 (no log-softmax near 0 to
# lose it absolutely, hence a wider bound than softmax_shift's 16).
_SHIFT_SPREAD = 80.0


def causal_mask(n_q: int, n_k: int, dtype) -> np.ndarray:
    """The (n_q, n_k) bias of causal attention, read-only: 0 where key j <= query i, -inf
    after it. Made once per size up to _CACHED_MASK_VALUES values (text generation asks for
    the same one in every layer for every character: 12 us each time); larger ones, whose
    attention costs far more than making them, each time (16 cached masks of 4096 x 4096
    would hold 1 GB)."""
    if n_q * n_k <= _CACHED_MASK_VALUES:
        return _cached_causal_mask(n_q, n_k, np.dtype(dtype))
    return _new_causal_mask(n_q, n_k, dtype)


def _new_causal_mask(n_q: int, n_k: int, dtype) -> np.ndarray:
    bias = np.where(np.tri(n_q, n_k, dtype=bool), 0.0, -np.inf).astype(dtype)
    bias.flags.writeable = False
    return bias


_CACHED_MASK_VALUES = 1 << 18  # 1 MB of float32; at most 16 MB for all 16 kept
_cached_causal_mask = functools.lru_cache(maxsize=16)(_new_causal_mask)


def _finite_range(bias, dtype) -> tuple[float, float] | None:
    """(lowest, highest) finite value of the additive mask `bias` ((0, 0) for none or one
    of only -inf), or None where the per-matrix shift is not used: dtypes other than
    float32/float64 (float16's exp underflows at -17), a bias holding +inf or NaN. By
    reductions (NaN and +inf show in the max, -inf in the min), no boolean arrays: a
    causal (64, 64) mask 15-34 -> ~8 us."""
    if np.dtype(dtype) not in (np.float32, np.float64):
        return None
    if bias is None or bias.size == 0:
        return (0.0, 0.0)
    hi = float(bias.max())
    if math.isnan(hi) or hi == math.inf:
        return None
    if hi == -math.inf:  # every value masked
        return (0.0, 0.0)
    lo = float(bias.min())
    if lo == -math.inf:  # the smallest finite value, the masked ones left out
        lo = float(bias.min(initial=hi, where=bias != -np.inf))
    return lo, hi


def _matrix_shift(scores: np.ndarray, scale: float, bias_range) -> np.ndarray | None:
    """For each matrix of scores (..., L, S): the largest value that scores * scale + bias
    can take (..., 1, 1), where the matrix spans at most _SHIFT_SPREAD, else NaN there; None
    when no matrix can use it (see _finite_range). Two reductions over whole matrices."""
    if bias_range is None:
        return None
    axes = (-2, -1)
    hi = scores.max(axis=axes, keepdims=True, initial=-np.inf) * scale
    lo = scores.min(axis=axes, keepdims=True, initial=np.inf) * scale
    hi, lo = np.maximum(hi, lo), np.minimum(hi, lo)  # a negative scale swaps them
    b_lo, b_hi = bias_range
    with np.errstate(invalid="ignore"):  # NaN scores, or an empty matrix: inf - inf
        wide = ~(hi - lo <= _SHIFT_SPREAD - (b_hi - b_lo))
    hi += b_hi
    hi[wide] = np.nan
    return hi


class ScaledDotProductAttention(Function):
    """out = dropout(softmax(q @ k^T * scale + bias)) @ v, the softmax along the last axis.

    Fused (one op instead of five: matmul, scale, add the mask, softmax, matmul), so the
    (..., L, S) scores are made once and turned into the weights in place; tested against
    the composed form. `bias` is a constant (the mask: 0 or -inf, or a float mask); `keep`
    the dropout mask on the weights (0 or 1 / (1 - p)), or None; causal=True (and no bias)
    masks the keys after each query (causal_mask).
    A query whose every key is masked (a row of -inf) gets weights 0 and so out 0, not the
    NaN of softmax(-inf, ..., -inf): PyTorch's scaled_dot_product_attention does the same.
    Each sequence (and head) is independent of the others, so forward and backward work on
    slices of the batch, split between threads for large batches (see _by_batch). Backward
    makes the gradients over the whole batch, then sums those of broadcast inputs
    (unbroadcast), so no slice needs another's.
    Shape: q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev).
    """

    formula = "w = softmax(q @ k.T * scale + bias);  out = (w * keep) @ v"
    derivatives = (
        "(w * (dw - sum(dw * w))) @ k * scale,  dw = (grad_out @ v.T) * keep",
        "(w * (dw - sum(dw * w))).T @ q * scale",
        "(w * keep).T @ grad_out",
    )

    def forward(self, q, k, v, bias=None, scale=1.0, keep=None, causal=False):
        shapes = {a.shape[:-2] for a in (q, k, v, bias, keep) if a is not None}
        batch = shapes.pop() if len(shapes) == 1 else np.broadcast_shapes(*shapes)
        dtype = np.result_type(q, k, v)
        w = np.empty((*batch, q.shape[-2], k.shape[-2]), dtype)  # the weights, (..., L, S)
        out = np.empty((*batch, q.shape[-2], v.shape[-1]), dtype)
        if causal:  # query i sees keys 0..i: every row keeps a key, the mask's range is 0
            bias, bias_range, empty_rows = causal_mask(*w.shape[-2:], dtype), (0.0, 0.0), False
        else:
            bias_range, empty_rows = _finite_range(bias, dtype), bias is not None

        def heads(r):  # r: a slice of the batch (see _by_batch)
            q_, k_, v_, bias_, keep_ = (_batch_part(a, r, w.ndim) for a in (q, k, v, bias, keep))
            w_ = w[r]
            np.matmul(q_, _swap(k_), out=w_)  # the scores
            top = _matrix_shift(w_, scale, bias_range)  # before w_ changes: its range
            w_ *= scale
            if bias_ is not None:
                w_ += bias_
            # softmax in place, shifted by `top` so that exp cannot overflow
            if top is None or np.isnan(top).any():  # the spread is too wide: the row max
                rows = w_.max(axis=-1, keepdims=True, initial=-np.inf)
                rows[np.isneginf(rows)] = 0.0  # a row with every key masked stays 0, not NaN
                top = rows if top is None else np.where(np.isnan(top), rows, top)
            w_ -= top
            np.exp(w_, out=w_)
            total = _row_sum(w_)
            if empty_rows:  # rows with every key masked: 0 / 1, weights 0
                total[total == 0.0] = 1.0
            w_ /= total
            np.matmul(w_ if keep_ is None else w_ * keep_, v_, out=out[r])

        with unbuffered_rows(w.shape[-1]):  # a row total (or max) per query, rows of keys
            _by_batch(heads, w)
        self.q, self.k, self.v, self.w, self.scale, self.keep = q, k, v, w, scale, keep
        return out

    def backward(self, grad_out):
        need_q, need_k, need_v = self.needs_input_grad[:3]
        q, k, v, w, keep = self.q, self.k, self.v, self.w, self.keep
        batch = w.shape[:-2]  # the gradients over the whole batch; unbroadcast at the end

        def like(a, needed):  # in a's memory order where a spans the batch: a GPT's q, k, v
            # are (B, T, heads, E) in memory, viewed as (B, heads, T, E); their gradients so
            # laid out go back through the transpose and view without a copy
            if not needed:
                return None
            if a.shape[:-2] == batch and a.dtype == w.dtype:
                return np.empty_like(a)
            return np.empty((*batch, *a.shape[-2:]), w.dtype)

        grad_q, grad_k, grad_v = like(q, need_q), like(k, need_k), like(v, need_v)

        def heads(r):  # r: a slice of the batch (see _by_batch)
            q_, k_, v_, keep_ = (_batch_part(a, r, w.ndim) for a in (q, k, v, keep))
            w_, grad_out_ = w[r], _batch_part(grad_out, r, w.ndim)
            if need_v:
                w_used = w_ if keep_ is None else w_ * keep_
                np.matmul(_swap(w_used), grad_out_, out=grad_v[r])
            if not (need_q or need_k):
                return
            # through the softmax: ds = w * (dw - sum(dw * w)), dw = dL/dw = (grad_out @ v^T) * keep
            ds = grad_out_ @ _swap(v_)
            if keep_ is not None:
                ds *= keep_
            ds *= w_
            ds -= w_ * _row_sum(ds)
            ds *= self.scale  # through scores = q @ k^T * scale
            if need_q:
                np.matmul(ds, k_, out=grad_q[r])
            if need_k:
                np.matmul(_swap(ds), q_, out=grad_k[r])

        with unbuffered_rows(w.shape[-1]):  # ds's row sums against rows of keys
            _by_batch(heads, w)
        return tuple(
            None if g is None else unbroadcast(g, a.shape)
            for g, a in ((grad_q, q), (grad_k, k), (grad_v, v))
        )
