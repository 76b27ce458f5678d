"""Special functions on NumPy arrays (NumPy has none of them, SciPy is not a dependency) and
the ops that give them a backward: the gamma family (lgamma, digamma, polygamma through the
Hurwitz zeta), the modified Bessel functions i0, i0e, i1, i1e, the normal distribution's
ndtri and log_ndtr, the scaled erfc erfcx, entr and xlog1py.

Each array function computes in float64 (a float32 input is widened, and the op rounds the
result back to float32) and handles inf, nan and the poles the way torch does. Each cites the
method it follows; tests/test_special.py compares them with torch over wide grids.
Read next: special.py (torch.special), which calls these through Tensor methods.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..autograd import Function, unbroadcast
from .nn_ops import _erfcx_cody, _horner, erfc, erfinv

_EULER_GAMMA = 0.57721566490153286060651209008240243
_MACHEP = 2.0**-53  # float64 rounding unit: the series below stop when a term is this small
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

# Bernoulli numbers B_2, B_4, ..., B_24 (exact fractions): the Euler-Maclaurin and Stirling
# series below are built from them.
_BERNOULLI = tuple(
    Fraction(n, d)
    for n, d in (
        (1, 6),
        (-1, 30),
        (1, 42),
        (-1, 30),
        (5, 66),
        (-691, 2730),
        (7, 6),
        (-3617, 510),
        (43867, 798),
        (-174611, 330),
        (854513, 138),
        (-236364091, 2730),
    )
)


def _float64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _each(out: np.ndarray, mask: np.ndarray, fn, *arrays) -> None:
    """out[mask] = fn(a[mask] for a in arrays), skipping the call when nothing is selected."""
    if mask.any():
        out[mask] = fn(*(a[mask] for a in arrays))


def _sinpi_reduced(x: np.ndarray) -> tuple:
    """(r, sin(pi r)) with r = x - round(x) in [-1/2, 1/2], exact: sin(pi x) = +-sin(pi r)
    without the rounding error of pi * x for large x (and exactly 0 at integers)."""
    r = x - np.round(x)
    return r, np.sin(np.pi * r)


# ----------------------------------------------------------------------------------------------
# Hurwitz zeta: zeta(s, q) = sum_{k >= 0} (q + k)^-s, by Euler-Maclaurin summation, the method
# of Cephes' zeta.c (S. L. Moshier, "Methods and Programs for Mathematical Functions", 1989):
# add the first N terms directly, until q + N > 9 (and N >= 9), then the tail from w = q + N:
#   sum_{k >= N} (q + k)^-s = w^(1-s) / (s - 1) + w^-s / 2
#                             + sum_j B_2j / (2j)! * s (s+1) ... (s+2j-2) * w^(-s-2j+1)
# (the 1/2 term enters with a minus sign below because the direct sum already holds w^-s).
# ----------------------------------------------------------------------------------------------
_EM_COEFFICIENTS = tuple(float(b / math.factorial(2 * j + 2)) for j, b in enumerate(_BERNOULLI))


def zeta(s, q) -> np.ndarray:
    """The Hurwitz zeta function zeta(s, q) = sum_{k >= 0} (q + k)^-s, elementwise, float64.

    As torch (and Cephes): inf for s = 1, nan for s < 1; for q <= 0, inf at the integers and
    nan unless s is an integer (then the sum is still defined term by term). Differs from
    torch where its values come from underflow: zeta(s, inf) = 0 (torch: nan), and for large
    q the value does not underflow early (zeta(2, 1e200) = 1e-200; torch: 0).

    Example:
        >>> zeta(np.array([2.0, 4.0]), 1.0) * [6 / np.pi**2, 90 / np.pi**4]
        array([1., 1.])
    """
    s, q = np.broadcast_arrays(_float64(s), _float64(q))
    out = np.full(s.shape, np.nan)
    pole = s == 1
    out[pole] = np.inf
    at_pole = (q <= 0) & (q == np.floor(q))
    ok = (s > 1) & ~at_pole & ((q > 0) | (s == np.floor(s)))
    out[(s > 1) & at_pole] = np.inf
    # q < 0 (s a whole number): through polygamma's reflection formula, which needs no direct
    # sum of |q| terms; zeta(s, q) = (-1)^s psi^(s-1)(q) / (s-1)! (A&S 6.4.10)
    reflect = ok & (q < 0) & (s <= 171)
    for order in np.unique(s[reflect]):
        at = reflect & (s == order)
        n = int(order) - 1
        out[at] = (-1.0) ** (n + 1) * _polygamma_reflected(n, q[at]) / _factorial(n)
    _each(out, ok & ~reflect, _zeta_series, s, q)
    return out


def _zeta_series(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        total = np.power(q, -s)
        a = q.copy()
        b = np.zeros_like(q)
        done = np.zeros(q.shape, dtype=bool)
        i = 0
        # direct terms, each element until its next term is negligible or a > 9 (and i >= 9)
        while True:
            going = ~done & ((i < 9) | (a <= 9.0))
            if not going.any():
                break
            i += 1
            a[going] += 1.0
            b[going] = np.power(a[going], -s[going])
            total[going] += b[going]
            done |= going & (np.abs(b) < _MACHEP * np.abs(total))
        # the Euler-Maclaurin tail for the rest
        w, tail = a, ~done
        # w^(1-s) / (s - 1) taken as a power of its own, not as b w / (s - 1) (Cephes): for
        # large q, b = w^-s underflows to 0 while w^(1-s) does not (zeta(2, 1e200) = 1e-200)
        total[tail] += np.power(w[tail], 1.0 - s[tail]) / (s[tail] - 1.0) - 0.5 * b[tail]
        rising = np.ones_like(q)  # s (s+1) ... (s+2j-2)
        k = 0.0
        for coefficient in _EM_COEFFICIENTS:
            if not tail.any():
                break
            rising *= s + k
            b /= w
            t = rising * b * coefficient
            total[tail] += t[tail]
            tail &= ~(np.abs(t / total) < _MACHEP)
            k += 1.0
            rising *= s + k
            b /= w
            k += 1.0
    return total


# ----------------------------------------------------------------------------------------------
# lgamma: log|Gamma(x)|.
#   [0.5, 2.5]: the Taylor series at 2 (Abramowitz & Stegun 6.1.33, with zeta(k) - 1 in place
#       of zeta(k) so that it converges like 2^-k):
#       lgamma(2 + z) = (1 - gamma) z + sum_{k >= 2} (-1)^k (zeta(k) - 1) / k * z^k
#       and lgamma(1 + z) = lgamma(2 + z) - log(1 + z). Both are exact at 1 and 2 (lgamma = 0)
#       and accurate near them, where a difference of larger numbers would not be.
#   (2.5, 10): the recurrence lgamma(x) = lgamma(x - m) + log((x - 1)(x - 2)...(x - m)).
#   [10, inf): Stirling's series (A&S 6.1.40) with the Bernoulli numbers above.
#   (-0.5, 0.5): lgamma(x) = lgamma(x + 1) - log|x|.
#   (-inf, -0.5]: the reflection Gamma(x) Gamma(1 - x) = pi / sin(pi x).
# ----------------------------------------------------------------------------------------------
_LGAMMA_TAYLOR_TERMS = 40  # |z| <= 1/2: the k-th term is below 4^-k / k


def _lgamma_taylor_coefficients() -> tuple:
    k = np.arange(2, _LGAMMA_TAYLOR_TERMS + 2, dtype=np.float64)
    zeta_minus_1 = zeta(k, 2.0)  # zeta(k) - 1 = sum_{n >= 2} n^-k, with no cancellation
    c = (-1.0) ** k * zeta_minus_1 / k
    # highest power first, for Horner; the z^1 coefficient last, then a 0 constant
    return (*c[::-1], 1.0 - _EULER_GAMMA, 0.0)


_LGAMMA_TAYLOR = _lgamma_taylor_coefficients()
# Stirling: sum_j B_2j / (2j (2j-1) x^(2j-1)), as a polynomial in 1/x^2 (highest power first)
_STIRLING = tuple(float(b / ((2 * j + 2) * (2 * j + 1))) for j, b in enumerate(_BERNOULLI[:9]))[
    ::-1
]


def _lgamma_near_2(z: np.ndarray) -> np.ndarray:
    """lgamma(2 + z) for |z| <= 1/2."""
    return _horner(_LGAMMA_TAYLOR, z)


def _lgamma_stirling(x: np.ndarray) -> np.ndarray:
    """lgamma(x) for x >= 10: x (log x - 1) - log(x) / 2 + log(2 pi) / 2 + series / x."""
    log_x = np.log(x)
    inv = 1.0 / x
    series = _horner(_STIRLING, inv * inv) * inv
    with np.errstate(over="ignore", invalid="ignore"):
        return x * (log_x - 1.0) - 0.5 * log_x + _HALF_LOG_2PI + series


def _lgamma_positive(x: np.ndarray) -> np.ndarray:
    """lgamma(x) for x >= 0.5."""
    out = np.empty_like(x)
    low = x < 1.5
    _each(out, low, lambda v: _lgamma_near_2(v - 1.0) - np.log1p(v - 1.0), x)
    near_2 = (x >= 1.5) & (x <= 2.5)
    _each(out, near_2, lambda v: _lgamma_near_2(v - 2.0), x)
    middle = (x > 2.5) & (x < 10.0)
    _each(out, middle, _lgamma_recurrence, x)
    _each(out, x >= 10.0, _lgamma_stirling, x)
    out[np.isnan(x)] = np.nan
    return out


def _lgamma_recurrence(x: np.ndarray) -> np.ndarray:
    """lgamma(x) for 2.5 < x < 10: step down to [1.5, 2.5], multiplying the factors x - j
    (each subtraction is exact)."""
    steps = np.ceil(x - 2.5)
    product = np.ones_like(x)
    for j in range(1, int(steps.max()) + 1):
        product = np.where(steps >= j, product * (x - j), product)
    return _lgamma_near_2(x - steps - 2.0) + np.log(product)


def lgamma(x) -> np.ndarray:
    """log|Gamma(x)| elementwise, float64 (torch.lgamma): inf at 0, at the negative integers
    and at +-inf, nan at nan.

    Example:
        >>> lgamma(np.array([0.5, 1.0, 5.0, -0.5])).round(8)
        array([0.57236494, 0.        , 3.17805383, 1.26551212])
    """
    x = _float64(x)
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        big = ~(x < 0.5)  # and nan
        _each(out, big, _lgamma_positive, x)
        small = (x < 0.5) & (x > -0.5)
        _each(out, small, lambda v: _lgamma_positive(v + 1.0) - np.log(np.abs(v)), x)
        _each(out, x <= -0.5, _lgamma_reflected, x)
    out[np.isinf(x)] = np.inf
    return out


def _lgamma_reflected(x: np.ndarray) -> np.ndarray:
    """lgamma(x) for x <= -0.5: log(pi / |sin(pi x)|) - lgamma(1 - x); inf at the integers."""
    _, sin = _sinpi_reduced(x)
    out = math.log(math.pi) - np.log(np.abs(sin)) - _lgamma_positive(1.0 - x)
    out[sin == 0] = np.inf  # poles (and -inf, an "integer" too)
    return out


# ----------------------------------------------------------------------------------------------
# digamma psi(x) = d/dx log Gamma(x), from the same pieces as lgamma (each keeps its relative
# accuracy, where Cephes' psi.c, shifting everything up to 10, loses some digits below 3):
#   [1.5, 2.5]: the derivative of lgamma's series at 2,
#       psi(2 + z) = (1 - gamma) + sum_{k >= 2} (-1)^k (zeta(k) - 1) z^(k-1);
#   near the root x0 = 1.4616...: the Taylor series at x0 (below);
#   (0, 1.5): psi(x) = psi(x + m) - 1/x - ... - 1/(x + m - 1), up into [1.5, 2.5];
#   (2.5, 10): psi(x) = psi(x - m) + 1/(x - 1) + ... + 1/(x - m), down into [1.5, 2.5]
#       (sums of positive terms; each x - j is exact);
#   [10, inf): the asymptotic series (A&S 6.3.18) psi(x) = log x - 1/(2x) - sum_k B_2k/(2k x^2k);
#   x < 0: the reflection psi(x) = psi(1 - x) - pi / tan(pi x).
# ----------------------------------------------------------------------------------------------
_DIGAMMA_SERIES = tuple(float(b / (2 * j + 2)) for j, b in enumerate(_BERNOULLI[:8]))[::-1]
# the derivative of _LGAMMA_TAYLOR (highest power first): k c_k for the z^(k-1) term
_DIGAMMA_TAYLOR = tuple(
    c * (len(_LGAMMA_TAYLOR) - 1 - i) for i, c in enumerate(_LGAMMA_TAYLOR[:-1])
)

# Near the root x0, psi(x) is small and a difference of larger numbers in every form above;
# there it is its Taylor series psi(x) = sum_k (-1)^(k+1) zeta(k + 1, x0) (x - x0)^k
# (A&S 6.4.10), with x - x0 taken against x0 in two parts (x0_hi + x0_lo).
_DIGAMMA_ROOT_HI = 1.4616321449683622
_DIGAMMA_ROOT_LO = float(
    Fraction("1.4616321449683623412626595423257213284682") - Fraction(_DIGAMMA_ROOT_HI)
)
_DIGAMMA_ROOT_RADIUS = 0.25  # the terms shrink like (0.25 / 1.46)^k: 22 terms
_K = np.arange(1, 23, dtype=np.float64)
_DIGAMMA_ROOT_SERIES = (*((-1.0) ** (_K + 1) * zeta(_K + 1.0, _DIGAMMA_ROOT_HI))[::-1], 0.0)


def _digamma_near_root(x: np.ndarray) -> np.ndarray:
    dx = (x - _DIGAMMA_ROOT_HI) - _DIGAMMA_ROOT_LO
    return _horner(_DIGAMMA_ROOT_SERIES, dx)


def _digamma_asymptotic(x: np.ndarray) -> np.ndarray:
    inv2 = 1.0 / (x * x)
    return np.log(x) - 0.5 / x - _horner(_DIGAMMA_SERIES, inv2) * inv2


def _digamma_positive(x: np.ndarray) -> np.ndarray:
    """psi(x) for x > 0 (and +inf, nan)."""
    out = np.empty_like(x)
    low = x < 1.5
    steps = np.where(low, np.ceil(1.5 - x), 0.0)  # 1 or 2 steps up
    high = (x > 2.5) & (x < 10.0)
    steps[high] = -np.ceil(x[high] - 2.5)  # up to 8 steps down
    middle = low | high | ((x >= 1.5) & (x <= 2.5))
    shifted = x + steps
    base = _horner(_DIGAMMA_TAYLOR, shifted[middle] - 2.0)
    correction = np.zeros_like(x)
    for j in range(8):
        up = low & (steps > j)  # - 1/(x + j)
        correction[up] -= 1.0 / (x[up] + j)
        down = high & (-steps > j)  # + 1/(x - j - 1)
        correction[down] += 1.0 / (x[down] - (j + 1))
    out[middle] = base + correction[middle]
    _each(out, ~middle, _digamma_asymptotic, x)
    root = np.abs(x - _DIGAMMA_ROOT_HI) < _DIGAMMA_ROOT_RADIUS
    _each(out, root, _digamma_near_root, x)
    return out


def digamma(x) -> np.ndarray:
    """psi(x) = d/dx lgamma(x) elementwise, float64 (torch.digamma): -inf at +0, inf at -0
    (the sign of the pole), nan at the negative integers and at -inf.

    Example:
        >>> digamma(np.array([1.0, 0.5, -0.5])).round(8)
        array([-0.57721566, -1.96351003,  0.03648997])
    """
    x = _float64(x)
    out = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        _each(out, ~(x <= 0), _digamma_positive, x)  # and nan
        zero = x == 0
        out[zero] = np.copysign(np.inf, -x[zero])
        _each(out, x < 0, _digamma_reflected, x)
    return out


def _digamma_reflected(x: np.ndarray) -> np.ndarray:
    r, sin = _sinpi_reduced(x)
    out = _digamma_positive(1.0 - x) - np.pi * np.cos(np.pi * r) / sin
    out[sin == 0] = np.nan  # the negative integers
    return out


# ----------------------------------------------------------------------------------------------
# polygamma psi^(n)(x) = d^n/dx^n psi(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1 and x > 0
# (A&S 6.4.10). For x < 0 the reflection formula (A&S 6.4.7)
#   psi^(n)(1 - x) + (-1)^(n+1) psi^(n)(x) = (-1)^n pi d^n/dx^n cot(pi x)
# where d^n/dx^n cot(pi x) = pi^n P_n(cot(pi x)), P_0(c) = c, P_(n+1)(c) = -(1 + c^2) P_n'(c)
# (d/dx cot = -(1 + cot^2)). It needs no direct sum of |x| terms for very negative x.
# ----------------------------------------------------------------------------------------------
def _cot_derivative_polynomial(n: int) -> np.ndarray:
    """The coefficients of P_n (lowest power first): d^n/dy^n cot(y) = P_n(cot(y))."""
    p = np.array([0.0, 1.0])
    for _ in range(n):
        p = np.polynomial.polynomial.polymul(np.polynomial.polynomial.polyder(p), [-1.0, 0.0, -1.0])
    return p


def _polygamma_reflected(n: int, x: np.ndarray) -> np.ndarray:
    """psi^(n)(x) for x < 0, n >= 1: -pi^(n+1) P_n(cot(pi x)) + (-1)^n psi^(n)(1 - x)."""
    r, sin = _sinpi_reduced(x)
    cot = np.cos(np.pi * r) / sin
    derivative = np.polynomial.polynomial.polyval(cot, _cot_derivative_polynomial(n))
    return -(np.pi ** (n + 1)) * derivative + (-1.0) ** n * _polygamma_positive(n, 1.0 - x)


def _factorial(n: int) -> float:
    try:
        return float(math.factorial(n))
    except OverflowError:
        return math.inf


def _polygamma_positive(n: int, x: np.ndarray) -> np.ndarray:
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x), n >= 1."""
    return (1.0 if n % 2 else -1.0) * _factorial(n) * zeta(float(n + 1), x)


def polygamma(n: int, x) -> np.ndarray:
    """The n-th derivative of digamma, elementwise, float64 (torch.polygamma): digamma for
    n = 0, and (-1)^(n+1) n! zeta(n + 1, x) for n >= 1, with torch's values at the poles
    (x = 0, -1, -2, ...: +-inf by the sign of (-1)^(n+1), and inf for n = 1).

    Differs from torch where torch's value comes from rounding: at the negative integers
    polygamma(1, x) is inf (torch: a large finite number, pi^2 / sin(pi x)^2 with sin(pi x)
    rounded to about 1e-16 instead of 0); for n >= 2, see zeta (0 at inf, no early underflow).

    Example:
        >>> polygamma(1, np.array([1.0])) * 6 / np.pi**2
        array([1.])
    """
    if n == 0:
        return digamma(x)
    x = _float64(x)
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        positive = ~(x < 0)  # and nan
        _each(out, positive, lambda v: _polygamma_positive(n, v), x)
        _each(out, x < 0, lambda v: _polygamma_reflected(n, v), x)
        pole = (x <= 0) & (x == np.floor(x))  # 0, the negative integers, -inf
        out[pole] = np.inf if n % 2 else -np.inf
        if n == 1:
            out[np.isneginf(x)] = np.nan  # as torch
            out[np.isposinf(x)] = 0.0  # as torch (its trigamma is not the zeta function)
    return out


def trigamma(x) -> np.ndarray:
    """psi'(x) = polygamma(1, x)."""
    return polygamma(1, x)


# ----------------------------------------------------------------------------------------------
# Modified Bessel functions of the first kind, orders 0 and 1, scaled by exp(-|x|):
#   |x| <= 20: the power series (A&S 9.6.10), all terms positive, so accurate to rounding:
#       I0(x) = sum_k (x^2/4)^k / (k!)^2,    I1(x) = x/2 sum_k (x^2/4)^k / (k! (k+1)!)
#   |x| > 20: the asymptotic expansion (A&S 9.7.1)
#       I_v(x) e^-x ~ 1/sqrt(2 pi x) sum_k (-1)^k a_k(v) / x^k,
#       a_k(v) = (4v^2 - 1)(4v^2 - 9)...(4v^2 - (2k-1)^2) / (k! 8^k);
#       its terms shrink until k ~ 2x, to about e^-2x < 1e-17 of the sum for x > 20.
# ----------------------------------------------------------------------------------------------
_BESSEL_SERIES_LIMIT = 20.0


def _bessel_series(x: np.ndarray, order: int) -> np.ndarray:
    """I0(x) (order 0) or I1(x) (order 1) by the power series, |x| <= 20."""
    q = x * x / 4.0
    term = np.ones_like(x) if order == 0 else x / 2.0
    total = term.copy()
    k = 0
    while True:
        k += 1
        term = term * q / (k * (k + order))
        total += term
        if not (np.abs(term) > _MACHEP * np.abs(total)).any():
            return total


def _bessel_scaled_asymptotic(x: np.ndarray, order: int) -> np.ndarray:
    """I0(x) e^-x or I1(x) e^-x for x > 20 by the asymptotic expansion."""
    four_v2 = 4.0 * order * order
    term = np.ones_like(x)
    total = term.copy()
    for k in range(1, 41):
        term = term * ((2 * k - 1) ** 2 - four_v2) / (8.0 * k * x)
        total += term
        if not (np.abs(term) > _MACHEP * np.abs(total)).any():
            break
    with np.errstate(invalid="ignore"):
        return total / np.sqrt(2.0 * np.pi * x)


def _bessel_scaled(x: np.ndarray, order: int) -> np.ndarray:
    """I_order(x) e^-|x| for order 0 or 1 (I1 is odd: the sign of x carries over)."""
    x = _float64(x)
    y = np.abs(x)
    out = np.empty_like(y)
    small = y <= _BESSEL_SERIES_LIMIT
    _each(out, small, lambda v: _bessel_series(v, order) * np.exp(-v), y)
    _each(out, ~small, lambda v: _bessel_scaled_asymptotic(v, order), y)
    out[np.isposinf(y)] = 0.0
    out[np.isnan(y)] = np.nan
    return out if order == 0 else np.copysign(out, x)


def i0e(x) -> np.ndarray:
    """exp(-|x|) I0(x), the exponentially scaled modified Bessel function of order 0."""
    return _bessel_scaled(x, 0)


def i1e(x) -> np.ndarray:
    """exp(-|x|) I1(x), the exponentially scaled modified Bessel function of order 1."""
    return _bessel_scaled(x, 1)


def i0(x) -> np.ndarray:
    """I0(x), the modified Bessel function of the first kind of order 0 (inf from |x| > 713;
    nan at +-inf, as torch, which computes it as exp(|x|) * i0e(x) there too).

    Example:
        >>> i0(np.array([0.0, 1.0, -2.0])).round(8)
        array([1.        , 1.26606588, 2.2795853 ])
    """
    x = _float64(x)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(np.abs(x)) * i0e(x)


def i1(x) -> np.ndarray:
    """I1(x), the modified Bessel function of the first kind of order 1 (odd in x)."""
    x = _float64(x)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(np.abs(x)) * i1e(x)


# ----------------------------------------------------------------------------------------------
# The standard normal distribution: ndtri (the inverse CDF), log_ndtr, and erfcx.
# ----------------------------------------------------------------------------------------------
def erfcx(x) -> np.ndarray:
    """exp(x^2) erfc(x), the scaled complementary error function, float64: finite where
    erfc(x) underflows (large x, where erfcx(x) ~ 1 / (x sqrt(pi))).

    x > 0.46875: Cody's rational functions for erfc without their factor exp(-x^2) (W. J.
    Cody 1969, his scaled erfc); smaller x: exp(x^2) erfc(x); x < 0: 2 exp(x^2) - erfcx(-x).

    Example:
        >>> erfcx(np.array([0.0, 1.0, 1e10])).round(8)
        array([1.        , 0.42758358, 0.        ])
    """
    x = _float64(x)
    y = np.abs(x)
    out = np.empty_like(y)
    small = y <= 0.46875
    _each(out, small, lambda v: np.exp(v * v) * erfc(v), y)
    _each(out, ~small, _erfcx_cody, y)
    negative = x < 0
    out[negative] = 2.0 * _exp_square(y[negative]) - out[negative]
    out[np.isnan(x)] = np.nan
    return out


def _exp_square(y: np.ndarray) -> np.ndarray:
    """exp(y^2) as exp(t^2) exp((y - t)(y + t)), t = y rounded down to 1/16 so that t^2 is
    exact: the rounding error of y^2 (about y^2 ulps of the result) stays out of the exponent
    (Cody's trick, as in _erfc_cody)."""
    t = np.trunc(y * 16.0) / 16.0
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.exp(t * t) * np.exp((y - t) * (y + t))
    out[np.isinf(y)] = np.inf
    return out


def log_ndtr(x) -> np.ndarray:
    """log Phi(x), Phi the standard normal CDF, float64, accurate in both tails:
    x < -1: log(erfcx(-x / sqrt 2) / 2) - x^2 / 2 (no underflow of Phi);
    else log1p(-erfc(x / sqrt 2) / 2) (no rounding of Phi to 1)."""
    x = _float64(x)
    t = x / math.sqrt(2.0)
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        left = x < -1.0
        _each(out, left, lambda v: np.log(erfcx(-v) / 2.0) - v * v, t)
        _each(out, ~left, lambda v: np.log1p(-erfc(v) / 2.0), t)
    return out


def ndtr(x) -> np.ndarray:
    """Phi(x) = erfc(-x / sqrt 2) / 2, the standard normal CDF (accurate in the left tail)."""
    return erfc(-_float64(x) / math.sqrt(2.0)) / 2.0


# P. J. Acklam's rational approximation of the inverse normal CDF (2003; relative error below
# 1.15e-9), refined to float64 rounding by two Halley steps on ndtr(x) - p.
_ACKLAM_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
             -30.66479806614716, 2.506628277459239)  # fmt: skip
_ACKLAM_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
             -13.28068155288572, 1.0)  # fmt: skip
_ACKLAM_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838,
             -2.549732539343734, 4.374664141464968, 2.938163982698783)  # fmt: skip
_ACKLAM_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996,
             3.754408661907416, 1.0)  # fmt: skip
_ACKLAM_TAIL = 0.02425


def _ndtri_lower(p: np.ndarray) -> np.ndarray:
    """ndtri(p) for 0 < p < 1/4: Acklam's guess, then Halley steps
    x <- x - u / (1 + x u / 2), u = (ndtr(x) - p) / phi(x)."""
    x = np.empty_like(p)
    tail = p < _ACKLAM_TAIL
    q = np.sqrt(-2.0 * np.log(p[tail]))
    x[tail] = _horner(_ACKLAM_C, q) / _horner(_ACKLAM_D, q)
    q = p[~tail] - 0.5
    r = q * q
    x[~tail] = q * _horner(_ACKLAM_A, r) / _horner(_ACKLAM_B, r)
    for _ in range(2):
        # phi(x) = exp(-x^2/2) / sqrt(2 pi); e / phi(x) written with erfcx to avoid underflow:
        # ndtr(x) = erfcx(-x/sqrt 2) exp(-x^2/2) / 2 for x < 0
        t = -x / math.sqrt(2.0)
        u = (erfcx(t) / 2.0 - np.exp(t * t + np.log(p))) * _SQRT_2PI  # no overflow for tiny p
        x = x - u / (1.0 + x * u / 2.0)
    return x


def ndtri(p) -> np.ndarray:
    """The inverse of the standard normal CDF: x with Phi(x) = p, float64 (torch.special.ndtri):
    -inf at 0, inf at 1, nan outside [0, 1].

    The middle, 1/4 <= p <= 3/4: sqrt(2) erfinv(2p - 1) (2p - 1 is exact there); the tails:
    Acklam's approximation refined by Halley's method (above), and ndtri(p) = -ndtri(1 - p).

    Example:
        >>> ndtri(np.array([0.5, 0.975, 1e-300])).round(8)
        array([  0.        ,   1.95996398, -37.0470963 ])
    """
    p = _float64(p)
    out = np.full(p.shape, np.nan)
    with np.errstate(all="ignore"):
        middle = (p >= 0.25) & (p <= 0.75)
        _each(out, middle, lambda v: math.sqrt(2.0) * erfinv(2.0 * v - 1.0), p)
        lower = (p > 0) & (p < 0.25)
        _each(out, lower, _ndtri_lower, p)
        upper = (p > 0.75) & (p < 1)
        _each(out, upper, lambda v: -_ndtri_lower(1.0 - v), p)
    out[p == 0] = -np.inf
    out[p == 1] = np.inf
    return out


# ----------------------------------------------------------------------------------------------
# The regularized incomplete gamma functions P(a, x) = gamma(a, x) / Gamma(a) (gammainc) and
# Q(a, x) = 1 - P(a, x) (gammaincc), Numerical Recipes' method (Press et al., 3rd ed., 6.2):
#   x < a + 1: the series P = x^a e^-x / Gamma(a + 1) sum_n x^n / ((a+1)(a+2)...(a+n));
#   else: the continued fraction for Q (evaluated by the modified Lentz method),
#       Q = x^a e^-x / Gamma(a) * 1 / (x+1-a - 1(1-a) / (x+3-a - 2(2-a) / (x+5-a - ...))).
# Each region computes the one of P, Q that is not close to 1; the other is 1 minus it. The
# factor x^a e^-x / Gamma(a) is taken as exp(-a (t - log1p(t)) + log(a / 2 pi) / 2 - s(a)),
# t = (x - a) / a, s the Stirling correction of lgamma, for a >= 10: a log x - x - lgamma(a)
# would lose digits to cancellation (each term ~ a log a).
# ----------------------------------------------------------------------------------------------
_GAMMAINC_MAX_TERMS = 5000  # ~ sqrt(a) terms are needed where x is close to a: a up to ~1e6


def _log_gamma_factor(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log(x^a e^-x / Gamma(a)), accurate also for large a."""
    out = a * np.log(x) - x - lgamma(a)
    big = a >= 10.0
    if big.any():
        ab, t = a[big], (x[big] - a[big]) / a[big]
        # t - log(1 + t), by its series sum_{k >= 2} (-t)^k / k where |t| < 1/2 (no
        # cancellation), else with 1 + t = x / a (1 + t rounded would lose x << a)
        small_t = np.abs(t) < 0.5
        gap = t - np.log(x[big] / ab)
        ts = t[small_t]
        gap[small_t] = _horner(tuple((-1.0) ** k / k for k in range(40, 1, -1)) + (0.0, 0.0), ts)
        inv = 1.0 / ab
        stirling = _horner(_STIRLING, inv * inv) * inv
        out[big] = -ab * gap + 0.5 * np.log(ab / (2 * np.pi)) - stirling
    return out


def _gammainc_series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(a, x) for x < a + 1."""
    term = 1.0 / a
    total = term.copy()
    going = np.ones(a.shape, dtype=bool)
    n = 0
    while going.any() and n < _GAMMAINC_MAX_TERMS:
        n += 1
        term = term * x / (a + n)
        total += np.where(going, term, 0.0)
        going &= np.abs(term) > _MACHEP * np.abs(total)
    return total * np.exp(_log_gamma_factor(a, x))


def _gammaincc_fraction(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Q(a, x) for x >= a + 1, the continued fraction by the modified Lentz method."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = np.full_like(a, 1.0 / tiny)
    d = 1.0 / b
    h = d.copy()
    going = np.ones(a.shape, dtype=bool)
    n = 0
    while going.any() and n < _GAMMAINC_MAX_TERMS:
        n += 1
        an = -n * (n - a)
        b = b + 2.0
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        delta = d * c
        h = np.where(going, h * delta, h)
        going &= np.abs(delta - 1.0) > _MACHEP
    return h * np.exp(_log_gamma_factor(a, x))


def _incomplete_gamma(a, x, upper: bool) -> np.ndarray:
    a, x = np.broadcast_arrays(_float64(a), _float64(x))
    out = np.full(a.shape, np.nan)
    with np.errstate(all="ignore"):
        ok = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
        series = ok & (x < a + 1.0)
        fraction = ok & ~series
        p = np.empty(a.shape)
        p[series] = _gammainc_series(a[series], x[series])
        p[fraction] = _gammaincc_fraction(a[fraction], x[fraction])
        # p holds P where `series`, Q where `fraction`
        if upper:
            out[series], out[fraction] = 1.0 - p[series], p[fraction]
        else:
            out[series], out[fraction] = p[series], 1.0 - p[fraction]
        # the edges, as torch: P(0, x > 0) = 1, P(a > 0, 0) = 0, P(a, inf) = 1, P(inf, x) = 0
        lower_value = np.full(a.shape, np.nan)
        lower_value[(a == 0) & (x > 0)] = 1.0
        lower_value[(a > 0) & (x == 0)] = 0.0
        lower_value[(a >= 0) & np.isposinf(x) & ~np.isposinf(a)] = 1.0
        lower_value[np.isposinf(a) & (x >= 0) & np.isfinite(x)] = 0.0
        edge = ~ok & ~np.isnan(lower_value)
        out[edge] = (1.0 - lower_value[edge]) if upper else lower_value[edge]
    return out


def gammainc(a, x) -> np.ndarray:
    """P(a, x) = 1/Gamma(a) integral_0^x t^(a-1) e^-t dt, the regularized lower incomplete
    gamma function, float64 (torch.special.gammainc): nan for a < 0 or x < 0 and at a = x = 0.

    Example:
        >>> gammainc(np.array([1.0, 2.0]), np.array([1.0, 3.0])).round(8)  # 1 - e^-1, ...
        array([0.63212056, 0.80085173])
    """
    return _incomplete_gamma(a, x, upper=False)


def gammaincc(a, x) -> np.ndarray:
    """Q(a, x) = 1 - P(a, x), the regularized upper incomplete gamma function (accurate also
    where it is tiny, x >> a)."""
    return _incomplete_gamma(a, x, upper=True)


# ----------------------------------------------------------------------------------------------
# The ops
# ----------------------------------------------------------------------------------------------
def _like(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """values (float64) rounded to x's dtype, without a warning where float32 overflows."""
    with np.errstate(over="ignore"):
        return values.astype(x.dtype, copy=False)


class Lgamma(Function):
    """out = log|Gamma(x)| (see lgamma above)"""

    formula = "out = lgamma(x)"
    derivatives = ("grad_out * digamma(x)",)

    def forward(self, x):
        self.x = x
        return _like(lgamma(x), x)

    def backward(self, grad_out):
        # d/dx log|Gamma(x)| = Gamma'(x) / Gamma(x) = digamma(x)
        return grad_out * _like(digamma(self.x), grad_out)


class Digamma(Function):
    """out = digamma(x) = d/dx lgamma(x)"""

    formula = "out = digamma(x)"
    derivatives = ("grad_out * polygamma(1, x)",)

    def forward(self, x):
        self.x = x
        return _like(digamma(x), x)

    def backward(self, grad_out):
        # d/dx digamma(x) = trigamma(x) = polygamma(1, x)
        return grad_out * _like(trigamma(self.x), grad_out)


class Polygamma(Function):
    """out = polygamma(n, x), the n-th derivative of digamma (n >= 1; n = 0 is Digamma)"""

    formula = "out = polygamma(n, x)"
    derivatives = ("grad_out * polygamma(n + 1, x)",)

    def forward(self, x, n=1):
        self.x, self.n = x, n
        return _like(polygamma(n, x), x)

    def backward(self, grad_out):
        # d/dx psi^(n)(x) = psi^(n+1)(x)
        return grad_out * _like(polygamma(self.n + 1, self.x), grad_out)


class I0(Function):
    """out = I0(x), the modified Bessel function of the first kind of order 0"""

    formula = "out = i0(x)"
    derivatives = ("grad_out * i1(x)",)

    def forward(self, x):
        self.x = x
        return _like(i0(x), x)

    def backward(self, grad_out):
        # I0'(x) = I1(x) (A&S 9.6.27)
        return grad_out * _like(i1(self.x), grad_out)


class I0e(Function):
    """out = exp(-|x|) I0(x)"""

    formula = "out = i0e(x)"
    derivatives = ("grad_out * (i1e(x) - sign(x) * out)",)
    saves_output = True

    def forward(self, x):
        self.x = x
        self.out = _like(i0e(x), x)
        return self.out

    def backward(self, grad_out):
        # d/dx [e^-|x| I0(x)] = e^-|x| I1(x) - sign(x) e^-|x| I0(x)
        slope = i1e(self.x) - np.sign(self.x) * self.out
        return grad_out * _like(slope, grad_out)


class I1(Function):
    """out = I1(x), the modified Bessel function of the first kind of order 1"""

    formula = "out = i1(x)"
    derivatives = ("grad_out * (i0(x) - out / x), 1/2 at x = 0",)
    saves_output = True

    def forward(self, x):
        self.x = x
        self.out = _like(i1(x), x)
        return self.out

    def backward(self, grad_out):
        # I1'(x) = I0(x) - I1(x) / x (A&S 9.6.26), and I1'(0) = 1/2 (the limit, as torch)
        x = self.x
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(x == 0, 0.5, i0(x) - i1(x) / x)
        return grad_out * _like(slope, grad_out)


class I1e(Function):
    """out = exp(-|x|) I1(x)"""

    formula = "out = i1e(x)"
    derivatives = ("grad_out * (i0e(x) - out * (sign(x) + 1 / x)), 1/2 at x = 0",)
    saves_output = True

    def forward(self, x):
        self.x = x
        self.out = _like(i1e(x), x)
        return self.out

    def backward(self, grad_out):
        # d/dx [e^-|x| I1(x)] = e^-|x| (I0(x) - I1(x)/x) - sign(x) e^-|x| I1(x); 1/2 at 0
        x = self.x
        scaled = i1e(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(x == 0, 0.5, i0e(x) - scaled * (np.sign(x) + 1.0 / x))
        return grad_out * _like(slope, grad_out)


class Ndtri(Function):
    """out = ndtri(p), the inverse of the standard normal CDF"""

    formula = "out = ndtri(p)"
    derivatives = ("grad_out * sqrt(2 pi) * exp(out^2 / 2)",)
    saves_inputs, saves_output = False, True

    def forward(self, p):
        self.out = _like(ndtri(p), p)
        return self.out

    def backward(self, grad_out):
        # p = Phi(out), so d out/dp = 1 / phi(out) = sqrt(2 pi) e^(out^2 / 2)
        with np.errstate(over="ignore"):
            slope = _SQRT_2PI * np.exp(np.square(self.out.astype(np.float64)) / 2.0)
        return grad_out * _like(slope, grad_out)


class LogNdtr(Function):
    """out = log Phi(x), Phi the standard normal CDF"""

    formula = "out = log(ndtr(x))"
    derivatives = ("grad_out * phi(x) / Phi(x) = grad_out * exp(-x^2/2 - out) / sqrt(2 pi)",)
    saves_output = True

    def forward(self, x):
        self.x = x
        self.out = log_ndtr(x)  # float64, kept so that backward divides in float64
        return _like(self.out, x)

    def backward(self, grad_out):
        # d/dx log Phi(x) = phi(x) / Phi(x) = exp(-x^2/2 - log Phi(x)) / sqrt(2 pi): one exp,
        # finite where phi and Phi both underflow (x -> -inf, where it tends to -x)
        x = self.x.astype(np.float64)
        with np.errstate(over="ignore"):
            slope = np.exp(-x * x / 2.0 - self.out) / _SQRT_2PI
        return grad_out * _like(slope, grad_out)


class Erfcx(Function):
    """out = erfcx(x) = exp(x^2) erfc(x)"""

    formula = "out = exp(x^2) * erfc(x)"
    derivatives = ("grad_out * (2 x out - 2 / sqrt(pi))",)
    saves_output = True

    def forward(self, x):
        self.x = x
        self.out = erfcx(x)
        return _like(self.out, x)

    def backward(self, grad_out):
        # d/dx [e^(x^2) erfc(x)] = 2x e^(x^2) erfc(x) + e^(x^2) (-2/sqrt(pi) e^(-x^2))
        with np.errstate(invalid="ignore", over="ignore"):
            slope = 2.0 * self.x * self.out - 2.0 / math.sqrt(math.pi)
        return grad_out * _like(slope, grad_out)


class Entr(Function):
    """out = -x log(x) for x > 0, 0 at x = 0, -inf for x < 0 (torch.special.entr)"""

    formula = "out = -x * log(x)"
    derivatives = ("grad_out * -(1 + log(x))",)

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = -x * np.log(np.where(x > 0, x, 1))
        out[x == 0] = 0.0  # not -0.0
        out[x < 0] = -np.inf
        return out

    def backward(self, grad_out):
        # d/dx (-x log x) = -(1 + log x): inf at 0, nan for x < 0 (as torch)
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad_out * -(1 + np.log(self.x))


class XLog1py(Function):
    """out = x * log1p(y), and 0 where x = 0 (unless y is nan): torch.special.xlog1py"""

    formula = "out = x * log(1 + y)"
    derivatives = ("grad_out * log1p(y), 0 where x = 0 and y <= -1", "grad_out * x / (1 + y)")

    def forward(self, x, y):
        self.x, self.y = x, y
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * np.log1p(y)
            return np.where((x == 0) & ~np.isnan(y), 0, out).astype(out.dtype, copy=False)

    def backward(self, grad_out):
        need_x, need_y = self.needs_input_grad
        x, y = self.x, self.y
        grad_x = grad_y = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_x:
                # dL/dx = grad_out * log1p(y), taken as 0 where x = 0 and y <= -1 (as torch:
                # there the log is -inf or nan, and out is 0 whatever x's sign)
                slope = np.where((x == 0) & (y <= -1), 0, np.log1p(y))
                grad_x = unbroadcast(grad_out * slope, np.shape(x))
            if need_y:
                # dL/dy = grad_out * x / (1 + y)
                grad_y = unbroadcast(grad_out * x / (1 + y), np.shape(y))
        return grad_x, grad_y


class Zeta(Function):
    """out = zeta(s, q) = sum_{k >= 0} (q + k)^-s, the Hurwitz zeta function"""

    formula = "out = zeta(s, q)"
    derivatives = ("none (as torch)", "grad_out * -s * zeta(s + 1, q)")

    def forward(self, s, q):
        self.s, self.q = s, q
        return _like(zeta(s, q), q)

    def backward(self, grad_out):
        # d/dq (q + k)^-s = -s (q + k)^-(s+1), summed over k: -s zeta(s + 1, q)
        s, q = self.s, self.q
        slope = -s * zeta(s + 1.0, q)
        return None, unbroadcast(grad_out * _like(slope, grad_out), np.shape(q))


class IncompleteGamma(Function):
    """out = P(a, x) (gammainc), or Q(a, x) = 1 - P(a, x) with upper=True (gammaincc)"""

    formula = "out = P(a, x) = gamma(a, x) / Gamma(a)"
    derivatives = ("none (as torch)", "grad_out * x^(a-1) e^-x / Gamma(a), negated for Q")

    def forward(self, a, x, upper=False):
        self.a, self.x, self.upper = a, x, upper
        return _like(_incomplete_gamma(a, x, upper), x)

    def backward(self, grad_out):
        # dP/dx = x^(a-1) e^-x / Gamma(a) (the integrand), and dQ/dx = -dP/dx
        a, x = np.broadcast_arrays(_float64(self.a), _float64(self.x))
        with np.errstate(all="ignore"):
            slope = np.exp(_log_gamma_factor(a, x)) / x
        slope = -slope if self.upper else slope
        return None, unbroadcast(grad_out * _like(slope, grad_out), np.shape(self.x))
