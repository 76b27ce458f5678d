"""float32 log1p and expm1 from exp and log (ops/elementwise.py: log1p_array, expm1_array).

NumPy computes float32 log1p and expm1 one value at a time in the C library, so scratchish
takes them from its vectorised exp and log by Kahan's identities. These tests hold the
identities to their stated accuracy against float64, check that the values where they break
down come out as NumPy's own, and run the ops that use them (softplus, logsigmoid, the ELU
family, binary cross-entropy) on arrays large enough to take the fast path, against PyTorch.
"""

import numpy as np
import pytest

import scratchish as sh
from scratchish.ops.elementwise import FAST_LOG1P_FROM, expm1_array, log1p_array, log1p_of_unit

F = sh.nn.functional


def ulps_apart(ours: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """How many float32 values lie between ours and the float64 `exact` rounded to float32."""
    ref = exact.astype(np.float32)

    def ordered(a):  # float32 bits as integers in the order of the values
        bits = a.view(np.int32).astype(np.int64)
        return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)

    return np.abs(ordered(ours) - ordered(ref))


def log_uniform(rng, low_exp, high_exp, n):
    """n float32 values of both signs, magnitudes spread evenly over 10**low .. 10**high."""
    magnitude = 10 ** rng.uniform(low_exp, high_exp, n)
    return (magnitude * rng.choice([-1.0, 1.0], n)).astype(np.float32)


def test_log1p_within_4_ulps_over_the_float32_range():
    x = log_uniform(np.random.default_rng(0), -40, 38, 400_000)
    x = x[x > -1]
    error = ulps_apart(log1p_array(x), np.log1p(x.astype(np.float64)))
    assert error.max() <= 4
    assert error.mean() < 0.2  # most values are the correctly rounded one
    # near 0, where log(1 + x) computed plainly loses every digit, it keeps all of them
    tiny = np.full(FAST_LOG1P_FROM, 3e-9, np.float32)
    assert np.log(1 + tiny)[0] == 0
    np.testing.assert_allclose(log1p_array(tiny), tiny, rtol=1e-7)


def test_log1p_of_unit_within_3_ulps_on_0_to_1():
    """log1p_of_unit, the softplus tail log(1 + exp(-|x|)): log(w) + (e - (w - 1)) / w,
    w = 1 + e, on [0, 1]: exp(-|x|) of normal x, magnitudes down to float32's subnormals,
    and the ends 0 and 1. Exactly e where 1 + e rounds to 1."""
    rng = np.random.default_rng(2)
    spread = (10.0 ** rng.uniform(-45, 0, 300_000)).astype(np.float32)
    from_logits = np.exp(-np.abs(rng.standard_normal(300_000).astype(np.float32) * 10))
    e = np.concatenate([spread, from_logits, np.array([0, 1, 1e-45, 2**-24, 0.5], np.float32)])
    error = ulps_apart(log1p_of_unit(e), np.log1p(e.astype(np.float64)))
    assert error.max() <= 3
    assert error.mean() < 0.5
    tiny = np.full(FAST_LOG1P_FROM, 3e-9, np.float32)
    np.testing.assert_array_equal(log1p_of_unit(tiny), tiny)


def test_expm1_within_4_ulps_where_finite():
    x = log_uniform(np.random.default_rng(1), -40, 2.1, 400_000)  # up to +-126
    exact = np.expm1(x.astype(np.float64))
    finite = np.abs(exact) < np.finfo(np.float32).max
    with np.errstate(over="ignore"):
        ours = expm1_array(x)
    error = ulps_apart(ours[finite], exact[finite])
    assert error.max() <= 4
    assert error.mean() < 0.2
    assert np.isposinf(ours[~finite]).all()


@pytest.mark.parametrize(
    "fn,numpy_fn,specials",
    [
        (log1p_array, np.log1p, [0.0, -0.0, 1e-45, -1e-45, -1.0, -1.5, np.inf, -np.inf, np.nan]),
        (expm1_array, np.expm1, [0.0, -0.0, 1e-45, -1e-45, -17.3, -104.0, 89.0, np.inf, -np.inf]),
    ],
)
def test_edges_are_numpys_own(fn, numpy_fn, specials):
    # signed zeros, the smallest subnormals, -1 and below for log1p, overflow for expm1, the
    # infinities and NaN: bit for bit NumPy's (the C library's) result
    x = np.resize(np.array(specials + [np.nan], np.float32), 4 * FAST_LOG1P_FROM)
    with np.errstate(all="ignore"):
        expected = numpy_fn(x)
        ours = fn(x)
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours.view(np.int32), expected.view(np.int32))


@pytest.mark.parametrize("fn,numpy_fn", [(log1p_array, np.log1p), (expm1_array, np.expm1)])
def test_float64_and_small_arrays_are_numpys(fn, numpy_fn):
    rng = np.random.default_rng(2)
    x64 = rng.uniform(-0.9, 3, 1000)
    np.testing.assert_array_equal(fn(x64), numpy_fn(x64))
    small = rng.uniform(-0.9, 3, FAST_LOG1P_FROM - 1).astype(np.float32)
    np.testing.assert_array_equal(fn(small), numpy_fn(small))


torch = pytest.importorskip("torch")

OPS = {
    "log1p": (lambda lib, x: lib.log1p(x), (-0.9, 5)),
    "expm1": (lambda lib, x: lib.expm1(x), (-30, 10)),
    "softplus": (lambda lib, x: lib.nn.functional.softplus(x), (-30, 30)),
    "softplus beta 2": (lambda lib, x: lib.nn.functional.softplus(x, beta=2.0), (-30, 30)),
    "logsigmoid": (lambda lib, x: lib.nn.functional.logsigmoid(x), (-30, 30)),
    "elu": (lambda lib, x: lib.nn.functional.elu(x), (-20, 5)),
    "selu": (lambda lib, x: lib.nn.functional.selu(x), (-20, 5)),
    "celu": (lambda lib, x: lib.nn.functional.celu(x, alpha=0.5), (-20, 5)),
    "mish": (lambda lib, x: lib.nn.functional.mish(x), (-30, 30)),
    "bce with logits": (
        lambda lib, x: lib.nn.functional.binary_cross_entropy_with_logits(
            x, lib.ones_like(x) * 0.25, reduction="none"
        ),
        (-30, 30),
    ),
    "bce": (
        lambda lib, x: lib.nn.functional.binary_cross_entropy(
            lib.sigmoid(x), lib.ones_like(x) * 0.75, reduction="none"
        ),
        (-12, 12),
    ),
}


@pytest.mark.parametrize("name", list(OPS))
def test_ops_on_large_tensors_match_torch(name):
    fn, (low, high) = OPS[name]
    values = np.random.default_rng(3).uniform(low, high, (256, 512)).astype(np.float32)
    ours_x = sh.tensor(values, requires_grad=True)
    theirs_x = torch.tensor(values, requires_grad=True)
    ours, theirs = fn(sh, ours_x), fn(torch, theirs_x)
    # a few float32 ulps: PyTorch's own log1p and expm1 (SLEEF's) are within 1 ulp, these
    # within 4, and the gradients' formulas round differently from PyTorch's here and there.
    # bce takes log(1 - x) of a sigmoid near 1, where an ulp of difference in the sigmoid is
    # a relative 1e-5 in 1 - x, in both libraries' rounding: 1e-4 there.
    rtol = 1e-4 if name == "bce" else 2e-6
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-7)
    weights = np.random.default_rng(4).standard_normal(values.shape).astype(np.float32)
    (ours * sh.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    rtol = max(rtol, 1e-5)
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=rtol, atol=1e-6)
