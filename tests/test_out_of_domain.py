"""Math outside its domain gives nan or inf silently, as in PyTorch: asin(2) is nan, log(0) is
-inf, 1/0 is inf, 0/0 is nan. NumPy computes the same values but also warns (RuntimeWarning,
an exception under -W error); scratchish switches those warnings off where an op can leave its
domain (autograd.quiet) and in the backward pass. Values and gradients are torch's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import scratchish as sh
from scratchish import autograd

EDGES = [-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, np.inf, -np.inf, np.nan]

# name: (function of lib and x, compare gradients too)
CASES = {
    "asin": (lambda L, x: L.asin(x), True),
    "acos": (lambda L, x: L.acos(x), True),
    "acosh": (lambda L, x: L.acosh(x), True),
    "atanh": (lambda L, x: L.atanh(x), True),
    "log": (lambda L, x: L.log(x), True),
    "log2": (lambda L, x: L.log2(x), True),
    "log10": (lambda L, x: L.log10(x), True),
    "log1p": (lambda L, x: L.log1p(x), True),
    "sqrt": (lambda L, x: L.sqrt(x), True),
    "rsqrt": (lambda L, x: L.rsqrt(x), True),
    "reciprocal": (lambda L, x: L.reciprocal(x), True),
    "x / 0": (lambda L, x: x / L.zeros_like(x), True),
    "x / 0.0": (lambda L, x: x / 0.0, True),
    "0 / x": (lambda L, x: 0.0 / x, True),
    "x ** 0.5": (lambda L, x: x**0.5, False),  # torch gives (-0.0) ** 0.5 = -inf here
    "2 ** x": (lambda L, x: 2.0**x, True),
    "exp": (lambda L, x: L.exp(x * 100), True),
    "expm1": (lambda L, x: L.expm1(x * 100), True),
    "cosh": (lambda L, x: L.cosh(x * 100), True),
    "sin": (lambda L, x: L.sin(x), True),
    "tan": (lambda L, x: L.tan(x), True),
    "erfinv": (lambda L, x: L.erfinv(x), True),
    "remainder by 0": (lambda L, x: L.remainder(x, L.zeros_like(x)), False),
    "fmod by 0": (lambda L, x: L.fmod(x, L.zeros_like(x)), False),
    "floor_divide by 0": (lambda L, x: L.floor_divide(x.detach(), L.zeros_like(x)), False),
    "logit": (lambda L, x: L.logit(x), False),  # torch's gradient is nan outside [0, 1]
    "softmax of -inf": (lambda L, x: L.softmax(L.where(x > 0, x, -np.inf), 0), True),
    "log_softmax of -inf": (lambda L, x: L.log_softmax(L.where(x > 0, x, -np.inf), 0), True),
    "a row of -inf": (
        lambda L, x: L.softmax(L.stack([x, L.full_like(x, -np.inf)]), 0),
        True,
    ),
    "logsumexp of -inf": (lambda L, x: L.logsumexp(L.where(x > 0, -np.inf, x), 0), True),
    "mean of nothing": (lambda L, x: x[:0].mean() + x[4], True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_out_of_domain_math_is_silent_and_gives_torchs_values(name):
    torch = pytest.importorskip("torch")
    fn, with_grad = CASES[name]
    x = sh.tensor(EDGES, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning fails the test
        out = fn(sh, x)
        if with_grad:
            out.backward(sh.ones_like(out))  # not out.sum(): inf + -inf is another matter
    t = torch.tensor(EDGES, requires_grad=True)
    expected = fn(torch, t)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-5)
    if with_grad:
        expected.backward(torch.ones_like(expected))
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5)


def test_numpy_still_warns_outside_scratchish():
    # the switch is local to scratchish's ops: the user's own NumPy code keeps its warnings
    sh.log(sh.tensor([-1.0]))
    with pytest.warns(RuntimeWarning, match="invalid value"):
        np.log(np.array([-1.0]))


@pytest.mark.parametrize("numpy_1", [False, True])
def test_quiet_silences_both_ways_of_setting_numpys_error_mode(numpy_1, monkeypatch):
    # NumPy 2 takes the fast path (its error-mode context variable); NumPy 1 has no such
    # variable and quiet falls back to np.errstate: both must silence, and restore after.
    if numpy_1:
        monkeypatch.setattr(autograd, "_fp_mode", None)

    @autograd.quiet
    def log_of(a):
        return np.log(a)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(log_of(np.float32([-1.0]))[0])
        with pytest.raises(RuntimeWarning):
            np.log(np.float32([-1.0]))  # outside the decorated call NumPy warns again
