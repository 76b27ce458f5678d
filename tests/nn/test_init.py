"""Initialisers and default layer weights against PyTorch under the same seed."""

import math

import numpy as np
import pytest

import scratchish as sh
from helpers import numpy_calls_libm
from scratchish import nn
from scratchish.nn import init

torch = pytest.importorskip("torch")


# float64 normal draws go through NumPy's log, sin and cos; where those are not the C
# library's (AVX-512 machines), a weight can differ from PyTorch's in its last bit
LIBM = numpy_calls_libm()


def same_weights(ours, theirs, maxulp=0, **tol):
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for key in ours_sd:
        a, b = ours_sd[key].numpy(), theirs_sd[key].numpy()
        if maxulp:
            np.testing.assert_array_max_ulp(a, b, maxulp=maxulp)
        else:
            np.testing.assert_allclose(a, b, err_msg=key, **(tol or dict(rtol=0, atol=0)))


@pytest.mark.parametrize(
    "make",
    [
        lambda m, **kw: m.Linear(3, 2, **kw),
        lambda m, **kw: m.Linear(70, 33, bias=False, **kw),
        lambda m, **kw: m.Embedding(50, 8, **kw),
        lambda m, **kw: m.Embedding(5, 3, padding_idx=-1, **kw),
        lambda m, **kw: m.LayerNorm(6, **kw),
        lambda m, **kw: m.MultiheadAttention(16, 4, **kw),
        lambda m, **kw: m.Sequential(m.Linear(784, 128, **kw), m.ReLU(), m.Linear(128, 10, **kw)),
    ],
)
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_default_init_equals_torch_under_same_seed(make, dtype):
    kw = {} if dtype is None else {"dtype": getattr(sh, dtype)}
    tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    sh.manual_seed(0)
    ours = make(nn, **kw)
    torch.manual_seed(0)
    theirs = make(torch.nn, **tkw)
    same_weights(ours, theirs, maxulp=0 if LIBM or dtype is None else 1)
    # and the generators are still in step afterwards
    np.testing.assert_array_equal(sh.rand(5).numpy(), torch.rand(5).numpy())


@pytest.mark.parametrize(
    "fn, args",
    [
        ("uniform_", dict(a=-2.0, b=3.0)),
        ("normal_", dict(mean=1.0, std=0.5)),
        ("xavier_uniform_", dict(gain=2.0)),
        ("xavier_normal_", dict()),
        ("kaiming_uniform_", dict(a=0.1, mode="fan_out", nonlinearity="relu")),
        ("kaiming_normal_", dict(nonlinearity="leaky_relu")),
        ("constant_", dict(val=0.3)),
        ("ones_", dict()),
        ("zeros_", dict()),
        ("eye_", dict()),
    ],
)
def test_init_functions_equal_torch(fn, args):
    t = sh.empty(20, 7)
    tt = torch.empty(20, 7)
    sh.manual_seed(1)
    torch.manual_seed(1)
    assert getattr(init, fn)(t, **args) is t
    getattr(torch.nn.init, fn)(tt, **args)
    np.testing.assert_array_equal(t.numpy(), tt.numpy())


def test_generator_keyword_and_no_graph():
    g, tg = sh.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    p = nn.Parameter(sh.empty(4, 5))
    init.kaiming_uniform_(p, a=math.sqrt(5), generator=g)
    tp = torch.empty(4, 5)
    torch.nn.init.kaiming_uniform_(tp, a=math.sqrt(5), generator=tg)
    np.testing.assert_array_equal(p.numpy(force=True), tp.numpy())
    assert p.grad_fn is None and p.requires_grad  # filled in place, still a leaf


@pytest.mark.parametrize(
    "mean, std, a, b", [(0.5, 2.0, -1.0, 3.0), (0.0, 0.02, -2.0, 2.0), (0.0, 1.0, 2.0, 4.0)]
)
def test_trunc_normal_equals_torch_and_stays_in_bounds(mean, std, a, b):
    # both of PyTorch's paths: redraw normals (mass > 0.3) or uniform proposals (tail)
    t, tt = sh.empty(3000), torch.empty(3000)
    sh.manual_seed(2)
    torch.manual_seed(2)
    init.trunc_normal_(t, mean=mean, std=std, a=a, b=b)
    torch.nn.init.trunc_normal_(tt, mean=mean, std=std, a=a, b=b)
    np.testing.assert_array_equal(t.numpy(), tt.numpy())
    assert t.numpy().min() >= a and t.numpy().max() <= b


def test_gain_and_fans():
    for name, param in [
        ("linear", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
        ("conv2d", None),
        ("sigmoid", None),
    ]:
        assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)
    assert init._calculate_fan_in_and_fan_out(sh.empty(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(sh.ShapeError, match="at least 2 dimensions"):
        init.xavier_uniform_(sh.empty(5))
    with pytest.raises(sh.ArgumentError, match="nonlinearity"):
        init.calculate_gain("swishy")


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (9, 2), (6, 2, 3, 3), (2, 5, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_orthogonal_is_orthogonal_and_equals_torch(shape, dtype):
    t, tt = (
        sh.empty(*shape, dtype=getattr(sh, dtype)),
        torch.empty(*shape, dtype=getattr(torch, dtype)),
    )
    sh.manual_seed(3)
    torch.manual_seed(3)
    assert init.orthogonal_(t, gain=2.0) is t
    torch.nn.init.orthogonal_(tt, gain=2.0)
    tol = 1e-5 if dtype == "float32" else 1e-12
    # the same normal draws, then QR by LAPACK on both sides: equal to rounding
    np.testing.assert_allclose(t.numpy(), tt.numpy(), rtol=tol, atol=tol)
    w = t.numpy().reshape(shape[0], -1).astype(np.float64)
    small = min(w.shape)
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w  # the small side is orthonormal
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


def test_dirac_is_the_identity_convolution_and_equals_torch():
    for shape, groups in [
        ((4, 4, 3), 1),
        ((6, 2, 3, 3), 3),
        ((3, 5, 3, 3), 1),
        ((4, 2, 3, 3, 3), 2),
    ]:
        t, tt = sh.empty(*shape), torch.empty(*shape)
        init.dirac_(t, groups=groups)
        torch.nn.init.dirac_(tt, groups=groups)
        np.testing.assert_array_equal(t.numpy(), tt.numpy())
    w = init.dirac_(sh.empty(3, 3, 3, 3))
    x = sh.randn(1, 3, 5, 5)
    out = sh.nn.functional.conv2d(x, w, padding=1)
    np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-6)
    # grouped: each of the 3 groups copies its 2 channels through
    w = init.dirac_(sh.empty(6, 2, 3, 3), groups=3)
    x = sh.randn(1, 6, 5, 5)
    out = sh.nn.functional.conv2d(x, w, padding=1, groups=3)
    np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-6)
    w = init.dirac_(sh.empty(2, 4, 3))  # fewer out than in channels: the first 2 pass
    x = sh.randn(1, 4, 7)
    out = sh.nn.functional.conv1d(x, w, padding=1)
    np.testing.assert_allclose(out.numpy(), x.numpy()[:, :2], atol=1e-6)


def test_sparse_zeroes_a_fraction_of_each_column_and_equals_torch():
    t, tt = sh.empty(20, 7), torch.empty(20, 7)
    sh.manual_seed(4)
    torch.manual_seed(4)
    init.sparse_(t, sparsity=0.25, std=0.5)
    torch.nn.init.sparse_(tt, sparsity=0.25, std=0.5)
    np.testing.assert_array_equal(t.numpy(), tt.numpy())
    assert ((t.numpy() == 0).sum(0) == 5).all()  # ceil(0.25 * 20) zeros in every column
    big = init.sparse_(sh.empty(400, 50), sparsity=0.1, std=0.5).numpy()
    nonzero = big[big != 0]
    assert nonzero.size == 360 * 50 and abs(nonzero.std() - 0.5) < 0.02


def test_sparse_takes_the_rows_from_the_default_generator_as_torch():
    g, tg = sh.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    sh.manual_seed(6)
    torch.manual_seed(6)
    t, tt = sh.empty(10, 3), torch.empty(10, 3)
    init.sparse_(t, 0.5, generator=g)
    torch.nn.init.sparse_(tt, 0.5, generator=tg)
    np.testing.assert_array_equal(t.numpy(), tt.numpy())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: init.orthogonal_(sh.empty(5)), "orthogonal_: only tensors with 2 or more"),
        (lambda: init.sparse_(sh.empty(3, 3, 3), 0.1), r"sparse_: only 2-D tensors.*\(3, 3, 3\)"),
        (lambda: init.dirac_(sh.empty(3, 3)), "dirac_: only tensors with 3, 4 or 5 dimensions"),
        (lambda: init.dirac_(sh.empty(5, 2, 3), groups=2), r"dim 0 \(5 out channels\) must be"),
    ],
)
def test_new_init_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_deprecated_names_warn_and_work_as_torchs():
    t, tt = sh.empty(6, 4), torch.empty(6, 4)
    sh.manual_seed(8)
    torch.manual_seed(8)
    with pytest.warns(FutureWarning, match=r"`nn.init.xavier_uniform` is now deprecated in favor "):
        assert init.xavier_uniform(t) is t
    with pytest.warns(FutureWarning):
        torch.nn.init.xavier_uniform(tt)
    np.testing.assert_array_equal(t.numpy(), tt.numpy())
    names = ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal"]
    names += ["kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]
    assert all(getattr(init, n).__name__ == n and hasattr(torch.nn.init, n) for n in names)


def test_init_docstring_examples_run():
    import doctest

    result = doctest.testmod(init)
    assert result.attempted >= 3 and result.failed == 0
