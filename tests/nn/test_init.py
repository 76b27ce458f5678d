"""Initialisers and default layer weights against PyTorch under the same seed."""

import math

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn
from scratchish.nn import init

torch = pytest.importorskip("torch")


def same_weights(ours, theirs, **tol):
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for key in ours_sd:
        np.testing.assert_allclose(
            ours_sd[key].numpy(),
            theirs_sd[key].numpy(),
            err_msg=key,
            **(tol or dict(rtol=0, atol=0)),
        )


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
    same_weights(ours, theirs)
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
