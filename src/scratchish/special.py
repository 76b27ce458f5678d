"""torch.special: the special functions of science and statistics, elementwise.

The gamma family (gammaln, digamma, polygamma, multigammaln, zeta, and the incomplete gamma
functions gammainc and gammaincc), the modified Bessel functions (i0, i0e, i1, i1e), the
normal distribution (ndtr, ndtri, log_ndtr), the error functions (erf, erfc, erfcx, erfinv),
entropy terms (entr, xlogy, xlog1py), and torch's aliases of plain functions (expit is
sigmoid, psi is digamma, ...). The arrays are computed in
ops/special.py, each function from a published method named there: read that file next.

Ints and bools become the default float dtype, as in torch; float32 stays float32 (computed
in float64 inside and rounded back). Every function with a derivative has a backward.
"""

from __future__ import annotations

import builtins

import numpy as np

from . import compat
from .errors import DTypeError, UnsupportedError
from .functions import (
    _into,
    _number_first,
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    i0,
    igamma,
    igammac,
    lgamma,
    log1p,
    logit,
    logsumexp,
    mvlgamma,
    polygamma,
    round,  # noqa: A004 - torch.special.round is torch.round
    sinc,
    xlogy,
)
from .ops.special import I1, Entr, Erfcx, I0e, I1e, LogNdtr, Ndtri, XLog1py, Zeta
from .tensor import Tensor, _float_operands, _floating, not_a_tensor, takes_tensor

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
    "zeta",
]

# torch.special's other names for functions scratchish has
gammaln = lgamma
gammainc = igamma  # P(a, x); gammaincc = igammac is Q(a, x) = 1 - P(a, x)
gammaincc = igammac
psi = digamma
multigammaln = mvlgamma


@takes_tensor
def expit(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """1 / (1 + exp(-x)), the logistic sigmoid (torch.sigmoid).

    Example:
        >>> import scratchish as sh
        >>> sh.special.expit(sh.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808])
    """
    return _into(input.sigmoid(), out)


@takes_tensor
def erfcx(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """exp(x^2) erfc(x), the scaled complementary error function: finite and accurate where
    erfc(x) underflows (erfcx(x) ~ 1 / (x sqrt(pi)) for large x).

    Example:
        >>> import scratchish as sh
        >>> sh.special.erfcx(sh.tensor([0.0, 1.0, 30.0]))
        tensor([1.0000, 0.4276, 0.0188])
    """
    return _into(Erfcx.apply(_floating(input)), out)


@takes_tensor
def ndtr(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """Phi(x), the standard normal CDF: erfc(-x / sqrt 2) / 2 (accurate far in the left tail,
    where torch's (1 + erf(x / sqrt 2)) / 2 gives 0 from x < -8.3 in float64).

    Example:
        >>> import scratchish as sh
        >>> sh.special.ndtr(sh.tensor([0.0, 1.96]))
        tensor([0.5000, 0.9750])
    """
    return _into(erfc(_floating(input) * -(0.5**0.5)) * 0.5, out)


@takes_tensor
def ndtri(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """The inverse of Phi, the standard normal CDF (the normal quantile function): -inf at 0,
    inf at 1, nan outside [0, 1].

    Example:
        >>> import scratchish as sh
        >>> sh.special.ndtri(sh.tensor([0.5, 0.975]))
        tensor([0.0000, 1.9600])
    """
    return _into(Ndtri.apply(_floating(input)), out)


@takes_tensor
def log_ndtr(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """log Phi(x), accurate in both tails (no underflow of Phi far left, no rounding to 1 far
    right).

    Example:
        >>> import scratchish as sh
        >>> sh.special.log_ndtr(sh.tensor([-40.0, 0.0]))
        tensor([-8.0461e+02, -6.9315e-01])
    """
    return _into(LogNdtr.apply(_floating(input)), out)


@takes_tensor
def i0e(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """exp(-|x|) I0(x), I0 scaled so that it stays finite for large |x|.

    Example:
        >>> import scratchish as sh
        >>> sh.special.i0e(sh.tensor([0.0, 1000.0]))
        tensor([1.0000, 0.0126])
    """
    return _into(I0e.apply(_floating(input)), out)


@takes_tensor
def i1(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """I1(x), the modified Bessel function of the first kind of order 1 (odd in x).

    Example:
        >>> import scratchish as sh
        >>> sh.special.i1(sh.tensor([0.0, 1.0, -2.0]))
        tensor([ 0.0000,  0.5652, -1.5906])
    """
    return _into(I1.apply(_floating(input)), out)


@takes_tensor
def i1e(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """exp(-|x|) I1(x).

    Example:
        >>> import scratchish as sh
        >>> sh.special.i1e(sh.tensor([1.0, 1000.0]))
        tensor([0.2079, 0.0126])
    """
    return _into(I1e.apply(_floating(input)), out)


# torch.special.modified_bessel_i0/i1 are I0 and I1 again (torch gives them no gradient; here
# they have one)
modified_bessel_i0 = i0
modified_bessel_i1 = i1


@takes_tensor
def entr(input: Tensor, *, out=None) -> Tensor:  # noqa: A002
    """-x log(x) elementwise, 0 at x = 0 and -inf for x < 0: the terms of an entropy.

    Example:
        >>> import scratchish as sh
        >>> sh.special.entr(sh.tensor([0.0, 0.5, 1.0]))
        tensor([0.0000, 0.3466, -0.0000])
    """
    return _into(Entr.apply(_floating(input)), out)


def _two_floats(name: str, input, other) -> tuple:  # noqa: A002
    """input and other (either may be a Python number, not both) as float tensors of one
    dtype, by torch's promotion rules (ints become the default float)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise DTypeError(not_a_tensor(name, "input", input))
    a = _number_first(name, input, other)
    a, b = _float_operands(a, other)
    if not isinstance(b, Tensor):
        if isinstance(b, builtins.bool) or not isinstance(b, (builtins.int, builtins.float)):
            raise DTypeError(not_a_tensor(name, "other", b))
        b = Tensor._make(np.asarray(b, dtype=a.array.dtype))
    if a.array.dtype.kind != "f":
        a, b = _float_operands(_floating(a), b)
    return a, b


def xlog1py(input, other, *, out=None) -> Tensor:  # noqa: A002
    """input * log1p(other), and 0 where input is 0 (unless other is nan); either may be a
    Python number.

    Example:
        >>> import scratchish as sh
        >>> sh.special.xlog1py(sh.tensor([0.0, 2.0]), sh.tensor([-1.0, 1e-8]))
        tensor([0.0000e+00, 2.0000e-08])
    """
    return _into(XLog1py.apply(*_two_floats("xlog1py", input, other)), out)


def zeta(input, other, *, out=None) -> Tensor:  # noqa: A002
    """The Hurwitz zeta function sum_{k >= 0} (other + k)^-input (the Riemann zeta at
    other = 1); either may be a Python number. inf at input = 1, nan for input < 1. The
    gradient flows to `other` only (torch has none for `input` either).

    Differs from torch at other = inf: 0 here (the limit), nan in torch.

    Example:
        >>> import scratchish as sh
        >>> sh.special.zeta(sh.tensor([2.0, 4.0]), 1.0)  # pi^2 / 6, pi^4 / 90
        tensor([1.6449, 1.0823])
    """
    if isinstance(input, Tensor) and input.requires_grad:
        raise UnsupportedError(
            "zeta: the derivative with respect to input (the exponent s) is not implemented "
            "(as in torch); only `other` (q) can require grad. Pass input.detach()."
        )
    return _into(Zeta.apply(*_two_floats("zeta", input, other)), out)


@takes_tensor
def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:  # noqa: A002
    """exp(x_i) / sum_j exp(x_j) along dim (torch.softmax), after casting to dtype if given."""
    return (input if dtype is None else input.to(dtype)).softmax(dim)


@takes_tensor
def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:  # noqa: A002
    """x_i - log sum_j exp(x_j) along dim (torch.log_softmax), after casting to dtype."""
    return (input if dtype is None else input.to(dtype)).log_softmax(dim)


def __getattr__(name: str):
    # torch.special names scratchish lacks (bessel_y0, airy_ai, ...) raise a teaching error
    return compat.unsupported_attribute("torch.special", name)
