"""The special functions (ops/special.py, scratchish.special): rows of the shared op table
(parity and gradcheck), values against torch over wide grids in float64 and float32 (large,
tiny, negative, near the poles, inf and nan), accuracy in ulps against mpmath, dtypes, and
the errors for bad arguments."""

import math

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish import special
from scratchish.ops import special as S

torch = optional_torch()


def _sp(lib):
    return lib.special


SPECIAL_CASES = register_op_cases(
    OpCase("lgamma", lambda lib, x: lib.lgamma(x), [(3, 4)], ranges=(0.1, 12)),
    OpCase("lgamma_negative", lambda lib, x: x.lgamma(), [(7,)], ranges=(-5.9, -5.1)),
    OpCase("digamma", lambda lib, x: lib.digamma(x), [(3, 4)], ranges=(0.1, 15)),
    OpCase("digamma_negative", lambda lib, x: x.digamma(), [(6,)], ranges=(-2.9, -2.1)),
    OpCase("trigamma", lambda lib, x: lib.polygamma(1, x), [(3, 4)], ranges=(0.2, 6)),
    OpCase("polygamma_3", lambda lib, x: x.polygamma(3), [(2, 5)], ranges=(0.5, 4)),
    OpCase("polygamma_2_negative", lambda lib, x: x.polygamma(2), [(5,)], ranges=(-1.8, -1.2)),
    OpCase("mvlgamma", lambda lib, x: lib.mvlgamma(x, 3), [(2, 3)], ranges=(1.1, 6)),
    # (i0 and i1 below 8: gradcheck differences a summed output, which must not be huge)
    OpCase("i0", lambda lib, x: lib.i0(x), [(3, 4)], ranges=(-8, 8)),
    OpCase("i0e", lambda lib, x: _sp(lib).i0e(x), [(3, 4)], ranges=(-25, 25)),
    OpCase("i1", lambda lib, x: _sp(lib).i1(x), [(3, 4)], ranges=(-8, 8)),
    OpCase("i1e", lambda lib, x: _sp(lib).i1e(x), [(3, 4)], ranges=(-25, 25)),
    OpCase("ndtr", lambda lib, x: _sp(lib).ndtr(x), [(3, 4)], ranges=(-6, 6)),
    OpCase("ndtri", lambda lib, x: _sp(lib).ndtri(x), [(3, 4)], ranges=(0.001, 0.999)),
    OpCase("log_ndtr", lambda lib, x: _sp(lib).log_ndtr(x), [(3, 4)], ranges=(-30, 6)),
    OpCase("erfcx", lambda lib, x: _sp(lib).erfcx(x), [(3, 4)], ranges=(-3, 30)),
    OpCase("entr", lambda lib, x: _sp(lib).entr(x), [(3, 4)], ranges=(0.05, 3)),
    OpCase(
        "xlog1py",
        lambda lib, x, y: _sp(lib).xlog1py(x, y),
        [(3, 4), (4,)],
        ranges=[(-2, 2), (-0.9, 3)],
    ),
    OpCase(
        "xlog1py_zero",  # x = 0: out = 0, and x's gradient 0 at y = -1 (log1p(y) elsewhere)
        lambda lib, x, y: _sp(lib).xlog1py(x, y),
        data=lambda: [[0.0, 0.0, 1.5], [-1.0, 2.0, 0.5]],
        gradcheck=False,  # x * log1p(-1) = x * -inf: no finite differences at x = 0
    ),
    OpCase(
        "gammainc",
        lambda lib, a, x: _sp(lib).gammainc(a, x),
        [(3, 1), (4,)],
        ranges=[(0.3, 12), (0.05, 20)],
        requires_grad=(False, True),
    ),
    OpCase(
        "igammac",
        lambda lib, a, x: a.igammac(x),
        [(5,), (5,)],
        ranges=[(0.3, 30), (0.05, 40)],
        requires_grad=(False, True),
    ),
    OpCase(
        "zeta",
        lambda lib, s, q: _sp(lib).zeta(s, q),
        [(3, 1), (4,)],
        ranges=[(1.5, 6), (0.2, 8)],
        requires_grad=(False, True),
    ),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", SPECIAL_CASES, ids=str)
def test_special_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", SPECIAL_CASES, ids=str)
def test_special_gradcheck(case):
    check_gradcheck(case)


# ------------------------------------------------------------------ values over wide grids
def _grid() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate(
        [
            rng.uniform(-30, 30, 4000),
            rng.uniform(-3, 3, 4000),
            10 ** rng.uniform(-300, 300, 1000),  # tiny to huge
            -(10 ** rng.uniform(-300, 3, 1000)),
            np.arange(-20.0, 21.0),  # the poles
            np.arange(-20.0, 21.0) + 0.5,
            np.arange(-5.0, 6.0) + 1e-9,  # next to the poles
            np.arange(-5.0, 6.0) - 1e-9,
            [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-300, -1e-300, 1.4616321449683622],
        ]
    )


GRID = _grid()


def _compare(mine: np.ndarray, theirs: np.ndarray, x: np.ndarray, rtol: float, atol: float):
    """Equal nan, inf (with sign) and finite values within tolerance; names the worst x."""
    assert mine.dtype == theirs.dtype
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs), err_msg=f"nan at {x}")
    inf = np.isinf(theirs)
    np.testing.assert_array_equal(mine[inf], theirs[inf], err_msg=f"inf at {x[inf]}")
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(mine[finite], theirs[finite], rtol=rtol, atol=atol)


# name, scratchish, torch, the points to compare at (None: all; elsewhere torch's values come
# from rounding, and mpmath sides with scratchish: see the accuracy tests below), and the
# relative tolerance (float64, float32)
TOL = (2e-12, 3e-6)
WIDE = [
    ("lgamma", sh.lgamma, "lgamma", None, TOL),
    # torch's digamma next to the negative poles takes tan(pi x) of x's fraction -0.999...:
    # 1e-8 off at -5 + 1e-9
    ("digamma", sh.digamma, "digamma", lambda x: (x > 0) | (np.abs(x - np.round(x)) > 1e-4), TOL),
    ("i0", sh.i0, "i0", None, TOL),
    ("i0e", special.i0e, "special.i0e", None, TOL),
    ("i1", special.i1, "special.i1", None, TOL),
    ("i1e", special.i1e, "special.i1e", None, TOL),
    # torch's float32 erfcx(x < 0) takes exp(x^2) in float32: x^2 ulps off
    ("erfcx", special.erfcx, "special.erfcx", None, (2e-12, 1e-5)),
    ("log_ndtr", special.log_ndtr, "special.log_ndtr", None, TOL),
    ("entr", special.entr, "special.entr", None, TOL),
    # torch's ndtr is (1 + erf(x / sqrt 2)) / 2: 0 from x < -8.3 in float64, where Phi is not
    ("ndtr", special.ndtr, "special.ndtr", lambda x: x > -8, TOL),
    # torch's trigamma for x < 0 is pi^2 / sin(pi x)^2 - ..., with pi x rounded (in float32 in
    # float32): up to 1e-6 off in float64 near the poles, and a large finite number instead
    # of inf at them. Its asymptotic series for x > 0 stops at 1/x^7: 5e-10 relative.
    ("trigamma", lambda t: sh.polygamma(1, t), "polygamma1", lambda x: x > 0, (1e-9, TOL[1])),
    # torch's polygamma(n >= 2) underflows to 0 for large x and is nan at inf; it sums |x| terms
    # for x < 0, so the grid stays above -1000 (torch takes minutes below)
    ("polygamma2", lambda t: sh.polygamma(2, t), "polygamma2", lambda x: _moderate(x, 1e80), TOL),
    ("polygamma5", lambda t: sh.polygamma(5, t), "polygamma5", lambda x: _moderate(x, 1e40), TOL),
]


def _moderate(x, high):
    return (x > -1e3) & (x < high)


def _torch_fn(name):
    if name.startswith("polygamma"):
        n = int(name[-1])
        return lambda t: torch.polygamma(n, t)
    fn = torch
    for part in name.split("."):
        fn = getattr(fn, part)
    return fn


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("row", WIDE, ids=lambda row: row[0])
def test_values_match_torch_over_a_wide_grid(row, dtype):
    if torch is None:
        pytest.skip("needs torch")
    name, mine, theirs, where, (rtol64, rtol32) = row
    with np.errstate(over="ignore"):
        x = GRID.astype(dtype)  # (-5 + 1e-9 is -5 in float32: a pole; 1e300 is inf)
    if where is not None:
        with np.errstate(all="ignore"):
            x = x[where(x)]
    with np.errstate(all="ignore"):
        expected = _torch_fn(theirs)(torch.tensor(x)).numpy()
    got = mine(sh.tensor(x)).numpy()
    if dtype == "float64":
        # near the roots (lgamma at -2.457..., digamma at 1.4616...) an absolute error of a
        # rounding is a large relative one: torch's own error is there too
        _compare(got, expected, x, rtol=rtol64, atol=1e-14)
    else:
        _compare(got, expected, x, rtol=rtol32, atol=1e-6)


def test_ndtri_matches_torch_on_the_whole_unit_interval():
    if torch is None:
        pytest.skip("needs torch")
    rng = np.random.default_rng(1)
    p = np.concatenate(
        [
            rng.uniform(0, 1, 5000),
            10 ** rng.uniform(-320, 0, 2000),  # the far left tail, down to subnormals
            1 - 10 ** rng.uniform(-16, 0, 2000),
            [0.0, -0.0, 1.0, 0.5, np.nan, np.inf, -1.0, 2.0, 0.25, 0.75],
        ]
    )
    for dtype in ("float64", "float32"):
        with np.errstate(under="ignore"):
            x = p.astype(dtype)
        with np.errstate(all="ignore"):
            expected = torch.special.ndtri(torch.tensor(x)).numpy()
        got = special.ndtri(sh.tensor(x)).numpy()
        rtol = 1e-13 if dtype == "float64" else 1e-6
        _compare(got, expected, x, rtol=rtol, atol=0)


def test_special_values_at_the_poles_and_infinities_are_torchs():
    """The edge values, written out: what each returns at 0, -0, the negative integers, +-inf
    and nan (torch's answers; see the docstrings for the two places it differs)."""
    inf, nan = math.inf, math.nan
    x = sh.tensor([-inf, -3.0, -0.0, 0.0, inf, nan], dtype=sh.float64)
    expected = {
        "lgamma": [inf, inf, inf, inf, inf, nan],
        "digamma": [nan, nan, inf, -inf, inf, nan],
        "polygamma1": [nan, inf, inf, inf, 0.0, nan],
        "polygamma2": [-inf, -inf, -inf, -inf, 0.0, nan],
        "i0": [nan, 4.880792585865024, 1.0, 1.0, nan, nan],
        "i0e": [0.0, 0.24300035416182536, 1.0, 1.0, 0.0, nan],
        "ndtri": [nan, nan, -inf, -inf, nan, nan],
        "log_ndtr": [-inf, -6.60772622151035, -math.log(2), -math.log(2), 0.0, nan],
        "erfcx": [inf, 16205.988853999586, 1.0, 1.0, 0.0, nan],
        "entr": [-inf, -inf, 0.0, 0.0, -inf, nan],
    }
    got = {
        "lgamma": sh.lgamma(x),
        "digamma": sh.digamma(x),
        "polygamma1": sh.polygamma(1, x),
        "polygamma2": sh.polygamma(2, x),
        "i0": sh.i0(x),
        "i0e": special.i0e(x),
        "ndtri": special.ndtri(x),
        "log_ndtr": special.log_ndtr(x),
        "erfcx": special.erfcx(x),
        "entr": special.entr(x),
    }
    for name, values in expected.items():
        np.testing.assert_allclose(got[name].numpy(), values, rtol=1e-15, err_msg=name)


# ------------------------------------------------------------------ accuracy in ulps (mpmath)
def _ulps(got: np.ndarray, exact: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """The error in ulps of the exact value (of `floor` where the value is smaller)."""
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: counted as equal
        error = np.abs(got - exact) / np.spacing(np.maximum(np.abs(exact), floor))
    return np.where(got == exact, 0.0, error)


ACCURACY = [
    # name, ours, mpmath, points, the largest error in float64 ulps allowed
    ("lgamma", S.lgamma, lambda m, x: m.log(abs(m.gamma(x))), (0.01, 60), 4),
    # x < 0 goes through the reflection lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x):
    # near its roots (-2.457..., -2.747...) the error is a few ulps of 1, not of the value
    ("lgamma_negative", S.lgamma, lambda m, x: m.log(abs(m.gamma(x))), (-20.1, -0.1), 8),
    ("digamma", S.digamma, lambda m, x: m.digamma(x), (0.01, 60), 4),
    ("digamma_negative", S.digamma, lambda m, x: m.digamma(x), (-20.1, -0.1), 8),
    ("trigamma", S.trigamma, lambda m, x: m.polygamma(1, x), (-20.1, 60), 6),
    ("polygamma3", lambda x: S.polygamma(3, x), lambda m, x: m.polygamma(3, x), (-10.1, 60), 12),
    ("i0e", S.i0e, lambda m, x: m.besseli(0, x) * m.exp(-abs(x)), (-60, 60), 12),
    ("i1e", S.i1e, lambda m, x: m.besseli(1, x) * m.exp(-abs(x)), (-60, 60), 12),
    ("erfcx", S.erfcx, lambda m, x: m.erfc(x) * m.exp(x * x), (-26, 60), 6),
    ("ndtri", S.ndtri, lambda m, p: m.sqrt(2) * m.erfinv(2 * p - 1), (0.001, 0.999), 6),
]


@pytest.mark.parametrize("row", ACCURACY, ids=lambda row: row[0])
def test_accuracy_in_ulps_against_mpmath(row):
    mpmath = pytest.importorskip("mpmath")
    name, ours, exact_fn, (low, high), allowed = row
    x = np.random.default_rng(2).uniform(low, high, 300)
    if name == "lgamma":
        x = np.concatenate([x, [1.0 + 1e-9, 2.0 - 1e-9, 1.5, 2.5, 10.0]])  # near the roots
    if name == "digamma":
        x = np.append(x, 1.4616321449683622 + np.array([1e-12, -1e-9, 1e-6]))  # the root
    with mpmath.workdps(40):
        exact = np.array([float(exact_fn(mpmath, mpmath.mpf(float(v)))) for v in x])
    errors = _ulps(ours(x), exact, 1.0 if name.endswith("negative") else 0.0)
    worst = int(np.argmax(errors))
    assert errors[worst] <= allowed, f"{name}: {errors[worst]:.0f} ulps at x = {x[worst]!r}"


def test_ndtri_is_accurate_in_the_far_tail():
    mpmath = pytest.importorskip("mpmath")
    p = np.array([1e-300, 1e-100, 1e-20, 1e-5, 0.2, 5e-324])
    got = S.ndtri(p)
    with mpmath.workdps(60):
        for value, x in zip(p, got):
            target = mpmath.mpf(float(value))
            exact = mpmath.findroot(lambda y, t=target: mpmath.ncdf(y) - t, x)
            assert _ulps(x, float(exact)) <= 4, (value, x, exact)


def _incomplete_gamma_grid():
    rng = np.random.default_rng(3)
    a = np.concatenate([10 ** rng.uniform(-3, 2, 3000), 10 ** rng.uniform(2, 4, 300)])
    x = a * 10 ** rng.uniform(-2, 1, a.size)  # around a, where both regions meet
    x[:600] = 10 ** rng.uniform(-5, 2.5, 600)
    return a, x


def test_incomplete_gamma_matches_torch_and_its_edges():
    if torch is None:
        pytest.skip("needs torch")
    a, x = _incomplete_gamma_grid()
    inf, nan = math.inf, math.nan
    a = np.concatenate([a, [0.0, 0.0, 0.0, 1.0, 1.0, -1.0, 1.0, inf, 2.0, 2.0, 2.0, nan, 1.0]])
    x = np.concatenate([x, [0.0, 1.0, inf, 0.0, inf, 1.0, -1.0, 1.0, inf, 1e-300, 1e300, 1, nan]])
    for ours, theirs in [(special.gammainc, "gammainc"), (special.gammaincc, "gammaincc")]:
        for dtype in ("float64", "float32"):
            with np.errstate(all="ignore"):
                ad, xd = a.astype(dtype), x.astype(dtype)
            expected = getattr(torch.special, theirs)(torch.tensor(ad), torch.tensor(xd)).numpy()
            got = ours(sh.tensor(ad), sh.tensor(xd)).numpy()
            # torch's own error reaches 2e-9 in float64 (mpmath, below; ours 1e-13), and 2e-4 in
            # float32 where the value is tiny (it computes e^(a log x - x) in float32)
            _compare(got, expected, ad, rtol=5e-9 if dtype == "float64" else 1e-3, atol=1e-30)


def test_incomplete_gamma_accuracy_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    a, x = _incomplete_gamma_grid()
    pick = np.random.default_rng(4).choice(a.size, 150, replace=False)
    a, x = a[pick], x[pick]
    with mpmath.workdps(40):
        lower = [
            mpmath.gammainc(mpmath.mpf(u), 0, mpmath.mpf(v), regularized=True) for u, v in zip(a, x)
        ]
        upper = [
            mpmath.gammainc(mpmath.mpf(u), mpmath.mpf(v), mpmath.inf, regularized=True)
            for u, v in zip(a, x)
        ]
        p, q = np.array(lower, dtype=float), np.array(upper, dtype=float)
    for ours, exact in [(S.gammainc(a, x), p), (S.gammaincc(a, x), q)]:
        fine = exact > 1e-290  # (tiny values: exp of a large exponent, 1e-13 relative)
        np.testing.assert_allclose(ours[fine], exact[fine], rtol=1e-12)


def test_log_ndtr_and_its_gradient_are_finite_far_in_the_left_tail():
    x = sh.tensor([-1e3, -40.0, -10.0], dtype=sh.float64, requires_grad=True)
    out = special.log_ndtr(x)
    # log Phi(x) ~ -x^2 / 2 - log(-x sqrt(2 pi)), and d/dx ~ -x
    approx = -(x.detach().numpy() ** 2) / 2 - np.log(-x.detach().numpy() * math.sqrt(2 * math.pi))
    np.testing.assert_allclose(out.detach().numpy(), approx, rtol=1e-3)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1e3, 40.025, 10.098], rtol=1e-3)


def test_ndtr_is_accurate_where_torch_rounds_it_to_0():
    got = special.ndtr(sh.tensor([-10.0, -30.0], dtype=sh.float64)).numpy()
    np.testing.assert_allclose(got, [7.61985302416047e-24, 4.906713927148187e-198], rtol=1e-13)


def test_polygamma_of_large_x_does_not_underflow_early():
    # psi^(n)(x) ~ (-1)^(n+1) (n-1)! / x^n: zeta's first tail term w^(1-s)/(s-1) is kept
    got = S.polygamma(2, np.array([1e100, 1e150]))
    np.testing.assert_allclose(got, [-1e-200, -1e-300], rtol=1e-14)


# ------------------------------------------------------------------ dtypes, forms, errors
def test_ints_promote_to_float32_and_float32_stays():
    for fn in (sh.lgamma, sh.digamma, sh.i0, special.i1e, special.ndtr, special.erfcx):
        assert fn(sh.tensor([1, 2, 3])).dtype == sh.float32
        assert fn(sh.tensor([1.0], dtype=sh.float32)).dtype == sh.float32
        assert fn(sh.tensor([1.0], dtype=sh.float64)).dtype == sh.float64
    assert sh.polygamma(2, sh.tensor([1, 2])).dtype == sh.float32
    assert special.xlog1py(sh.tensor([1, 2]), sh.tensor([1, 0])).dtype == sh.float32
    assert special.xlog1py(2, sh.tensor([1.0], dtype=sh.float64)).dtype == sh.float64


def test_aliases_and_methods_agree():
    x = sh.tensor([0.7, 2.5, 9.0])
    assert special.gammaln is sh.lgamma and special.psi is sh.digamma
    assert special.multigammaln is sh.mvlgamma and special.expit(x).allclose(x.sigmoid())
    assert special.gammainc is sh.igamma and special.gammaincc is sh.igammac
    y = x.clone()
    y.igamma_(sh.tensor(2.0))
    assert y.equal(x.igamma(sh.tensor(2.0)))
    for method, fn in [("lgamma", sh.lgamma), ("digamma", sh.digamma), ("i0", sh.i0)]:
        assert getattr(x, method)().equal(fn(x))
        y = x.clone()
        assert getattr(y, method + "_")() is y and y.equal(fn(x))
    assert x.polygamma(2).equal(sh.polygamma(2, x)) and x.polygamma(0).equal(x.digamma())
    y = x.clone() + 1
    y.polygamma_(1)
    assert y.equal(sh.polygamma(1, x + 1))
    y = x.clone() + 1
    y.mvlgamma_(2)
    assert y.equal(sh.mvlgamma(x + 1, 2))
    for name in ("erf", "erfc", "erfinv", "logit", "log1p", "expm1", "exp2", "sinc", "round"):
        assert getattr(special, name) is getattr(sh, name), name
    assert special.softmax(x, 0).allclose(x.softmax(0))
    assert special.log_softmax(x, 0, dtype=sh.float64).dtype == sh.float64
    assert special.logsumexp(x, 0).allclose(x.logsumexp(0))


def test_polygamma_and_mvlgamma_refuse_bad_arguments_clearly():
    x = sh.tensor([1.0, 2.0])
    with pytest.raises(sh.ArgumentError, match="polygamma: n=-1 is negative"):
        sh.polygamma(-1, x)
    with pytest.raises(sh.ArgumentError, match="polygamma: n must be a whole number"):
        x.polygamma(1.5)
    with pytest.raises(sh.DTypeError, match="polygamma: input must be a Tensor"):
        sh.polygamma(1, [1.0, 2.0])
    with pytest.raises(sh.ArgumentError, match=r"greater than \(p - 1\) / 2 = 1.0 for p=3"):
        sh.mvlgamma(x, 3)
    with pytest.raises(sh.ArgumentError, match="mvlgamma: p=0 must be at least 1"):
        x.mvlgamma(0)
    with pytest.raises(sh.DTypeError, match="lgamma: input must be a Tensor"):
        sh.lgamma(2.0)
    with pytest.raises(sh.DTypeError, match="xlog1py: input must be a Tensor"):
        special.xlog1py(1.0, 2.0)
    with pytest.raises(sh.UnsupportedError, match="derivative with respect to input"):
        special.zeta(sh.tensor([2.0], requires_grad=True), x)
    with pytest.raises(sh.UnsupportedError, match="igamma: the derivative with respect to"):
        special.gammainc(sh.tensor([2.0], requires_grad=True), x)
    with pytest.raises(sh.DTypeError, match="igammac: input must be a Tensor"):
        sh.igammac(2.0, x)


def test_missing_special_names_explain_what_exists():
    with pytest.raises(AttributeError, match="torch.special.bessel_y0 is not available"):
        special.bessel_y0(sh.tensor([1.0]))
    with pytest.raises(AttributeError, match="torch.special.nonsense_name"):
        special.nonsense_name  # noqa: B018


def test_torch_special_is_served_by_as_torch():
    with sh.as_torch():
        import torch.special as ts

        assert ts.gammaln is sh.lgamma
        assert float(ts.zeta(2.0, sh.tensor([1.0]))) == pytest.approx(math.pi**2 / 6)


def test_mvlgamma_is_the_sum_of_shifted_lgammas():
    x = sh.tensor([2.5, 4.0], dtype=sh.float64)
    expected = 3 * 2 / 4 * math.log(math.pi) + sum(
        np.array([math.lgamma(v - j / 2) for v in (2.5, 4.0)]) for j in range(3)
    )
    np.testing.assert_allclose(sh.mvlgamma(x, 3).numpy(), expected, rtol=1e-14)


@pytest.mark.parametrize("module", ["scratchish.special", "scratchish.ops.special"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted >= 7 and result.failed == 0
