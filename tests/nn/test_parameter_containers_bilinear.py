"""ParameterList, ParameterDict, Bilinear and the gradient-norm utilities against torch."""

import math
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn

torch = pytest.importorskip("torch")


def build_model(lib):
    class Model(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = lib.nn.ParameterList([lib.ones(3), lib.nn.Parameter(lib.zeros(2))])
            self.biases = lib.nn.ParameterDict({"b": lib.zeros(3), "a": lib.ones(3)})
            self.lin = lib.nn.Linear(3, 3)

        def forward(self, x):
            out = self.lin(x * self.scales[0]) + self.biases["a"] * self.biases["b"]
            return out.sum() + self.scales[1].sum()

    return Model()


def test_registration_and_state_dict_keys_as_torch():
    ours, theirs = build_model(sh), build_model(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(list(ours.parameters())) == 6
    assert all(p.requires_grad for p in ours.parameters())
    x = sh.randn(4, 3)
    ours(x).backward()
    assert ours.scales[0].grad is not None and ours.biases["b"].grad is not None
    assert ours.scales[1].grad.tolist() == [1.0, 1.0]


def test_a_tensor_becomes_a_parameter_that_shares_its_values():
    t = sh.ones(2)
    plist = nn.ParameterList([t])
    assert isinstance(plist[0], nn.Parameter) and plist[0].requires_grad
    plist[0].data.mul_(3)
    assert t.tolist() == [3.0, 3.0]
    p = nn.Parameter(sh.zeros(1))
    plist.append(p)
    assert plist[1] is p and plist[-1] is p


def test_parameter_list_indexing_append_extend_and_repr_as_torch():
    for lib in (sh, torch):
        plist = lib.nn.ParameterList()
        plist.append(lib.ones(2, 3))
        plist.extend([lib.zeros(4), lib.ones(1)])
        plist += [lib.ones(5)]
        plist.append("not a tensor")
        assert len(plist) == 5
        assert [tuple(p.shape) for p in plist[:4]] == [(2, 3), (4,), (1,), (5,)]
        assert isinstance(plist[1:3], lib.nn.ParameterList) and len(plist[::2]) == 3
        assert plist[-1] == "not a tensor"
        assert [n for n, _ in plist.named_parameters()] == ["0", "1", "2", "3"]
        if lib is sh:
            ours = repr(plist)
        else:
            theirs = repr(plist)
    assert ours == theirs.replace("torch.", "scratchish.")
    with pytest.raises(IndexError, match="index 5 is out of range for 5"):
        nn.ParameterList([sh.ones(1)] * 5)[5]
    with pytest.raises(TypeError, match="should be called with an iterable.*got Tensor"):
        nn.ParameterList().extend(sh.ones(2))
    with pytest.raises(ValueError, match="ParameterList should not be called"):
        nn.ParameterList([sh.ones(1)])(sh.ones(1))


def test_parameter_dict_api_as_torch():
    for lib in (sh, torch):
        pdict = lib.nn.ParameterDict({"z": lib.ones(1), "y": lib.ones(2)})  # sorted: y, z
        pdict.update(OrderedDict([("x", lib.ones(3)), ("w", lib.ones(4))]))  # kept in order
        pdict.update([("v", lib.ones(5))])
        pdict["u"] = lib.nn.Parameter(lib.zeros(6))
        state = {
            "keys": list(pdict.keys()),
            "sizes": [int(p.numel()) for p in pdict.values()],
            "names": [n for n, _ in pdict.named_parameters()],
            "pop": int(pdict.pop("x").numel()),
            "popitem": pdict.popitem()[0],
            "get": pdict.get("missing", 7),
            "setdefault": int(pdict.setdefault("t", lib.ones(2)).numel()),
            "contains": ("y" in pdict, "x" in pdict),
            "reversed": list(reversed(pdict)),
            "len": len(pdict),
            "merged": list((pdict | lib.nn.ParameterDict({"a": lib.ones(1)})).keys()),
            "fromkeys": list(pdict.fromkeys(["q", "r"]).keys()),
        }
        if lib is sh:
            ours, ours_repr = state, repr(pdict)
        else:
            theirs, theirs_repr = state, repr(pdict)
        pdict.clear()
        assert len(pdict) == 0 and list(pdict.parameters()) == []
    assert ours == theirs
    assert ours_repr == theirs_repr.replace("torch.FloatTensor", "scratchish.float32")
    with pytest.raises(TypeError, match="ParameterDict keys must be strings.*int 3"):
        nn.ParameterDict()[3] = sh.ones(1)
    with pytest.raises(ValueError, match="element #0 should be a \\(key, value\\) pair"):
        nn.ParameterDict([("a", sh.ones(1), 3)])
    with pytest.raises(KeyError):
        nn.ParameterDict()["nope"]


def test_containers_train_with_an_optimizer_and_survive_state_dict_and_pickle():
    model = build_model(sh)
    opt = sh.optim.SGD(model.parameters(), lr=0.1)
    before = model.biases["b"].detach().numpy().copy()
    model(sh.randn(4, 3)).backward()
    opt.step()  # a * b is added to 4 rows, all summed: d(out)/db = 4 * a = 4
    np.testing.assert_allclose(model.biases["b"].detach().numpy(), before - 0.4)
    clone = build_model(sh)
    clone.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(
        clone.scales[0].detach().numpy(), model.scales[0].detach().numpy()
    )
    for container in (model.scales, model.biases):
        again = pickle.loads(pickle.dumps(container))
        assert list(again.state_dict()) == list(container.state_dict())
        assert len(again) == len(container)


# ---------------------------------------------------------------------- Bilinear
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bilinear_init_values_and_gradients_equal_torch(bias, dtype):
    sh.manual_seed(0)
    torch.manual_seed(0)
    ours = nn.Bilinear(5, 3, 4, bias=bias, dtype=getattr(sh, dtype))
    theirs = torch.nn.Bilinear(5, 3, 4, bias=bias, dtype=getattr(torch, dtype))
    for key, value in theirs.state_dict().items():  # the same draws, in the same order
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())
    bound = 1 / math.sqrt(5)
    assert np.abs(ours.weight.detach().numpy()).max() <= bound
    rng = np.random.default_rng(1)
    x1, x2 = rng.standard_normal((2, 6, 5)), rng.standard_normal((2, 6, 3))
    xs = [sh.tensor(x.astype(dtype), requires_grad=True) for x in (x1, x2)]
    txs = [torch.tensor(x.astype(dtype), requires_grad=True) for x in (x1, x2)]
    out, tout = ours(*xs), theirs(*txs)
    assert tuple(out.shape) == (2, 6, 4)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=tol, atol=tol)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    pairs = [(xs[0], txs[0]), (xs[1], txs[1]), (ours.weight, theirs.weight)]
    if bias:
        pairs.append((ours.bias, theirs.bias))
    for a, b in pairs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol * 10, atol=tol * 10)
    assert repr(ours) == repr(theirs)


def test_bilinear_gradcheck():
    w = sh.randn(2, 3, 4, dtype=sh.float64, requires_grad=True)
    b = sh.randn(2, dtype=sh.float64, requires_grad=True)
    x1 = sh.randn(5, 3, dtype=sh.float64, requires_grad=True)
    x2 = sh.randn(5, 4, dtype=sh.float64, requires_grad=True)
    assert sh.gradcheck(nn.functional.bilinear, x1, x2, w, b)


@pytest.mark.parametrize(
    "x1, x2, message",
    [
        ((4, 5), (4, 2), r"inputs with 5 and 2 features do not fit a weight of shape \(4, 5, 3\)"),
        ((4, 5), (3, 3), r"leading \(batch\) dims must match"),
        ((4, 5), (4, 3, 1), r"leading \(batch\) dims must match"),
    ],
)
def test_bilinear_shape_errors(x1, x2, message):
    layer = nn.Bilinear(5, 3, 4)
    with pytest.raises(sh.ShapeError, match=message):
        layer(sh.randn(*x1), sh.randn(*x2))


def test_bilinear_dtype_error():
    with pytest.raises(sh.DTypeError, match="must have one dtype"):
        nn.Bilinear(2, 2, 1)(sh.randn(1, 2, dtype=sh.float64), sh.randn(1, 2))


# ---------------------------------------------------------------------- gradient norms
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf])
def test_get_total_norm_and_clip_grads_with_norm_equal_torch(norm_type):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,), ()]]
    ours = [sh.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    for p, tp, a in zip(ours, theirs, arrays):
        p.grad, tp.grad = sh.tensor(a * 3), torch.tensor(a * 3)
    total = nn.utils.get_total_norm([p.grad for p in ours], norm_type)
    ttotal = torch.nn.utils.get_total_norm([p.grad for p in theirs], norm_type)
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    assert total.dtype == sh.float32 and total.ndim == 0
    nn.utils.clip_grads_with_norm_(ours, 1.0, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 1.0, ttotal)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-6, atol=1e-7)
    assert nn.utils.get_total_norm([]).item() == 0.0


def test_get_total_norm_nonfinite_and_the_deprecated_clip_grad_norm():
    with pytest.raises(ValueError, match=r"get_total_norm: the total norm .* is inf"):
        nn.utils.get_total_norm([sh.tensor([1.0, math.inf])], error_if_nonfinite=True)
    w = sh.tensor([3.0, 4.0], requires_grad=True)
    w.grad = sh.tensor([3.0, 4.0])
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated in favor of"):
        total = nn.utils.clip_grad_norm(w, max_norm=1.0)
    assert total.item() == 5.0
    np.testing.assert_allclose(w.grad.tolist(), [0.6, 0.8], rtol=1e-5)


def test_docstring_examples_run():
    import doctest

    import scratchish.nn.container
    import scratchish.nn.linear
    import scratchish.nn.utils

    for module in (scratchish.nn.container, scratchish.nn.linear, scratchish.nn.utils):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


# ---------------------------------------------------------------------- weight_norm
@pytest.mark.parametrize(
    "make, dim, shape",
    [
        (lambda lib: lib.nn.Linear(5, 4), 0, (3, 5)),
        (lambda lib: lib.nn.Linear(5, 4), None, (3, 5)),
        (lambda lib: lib.nn.Linear(5, 4), 1, (3, 5)),
        (lambda lib: lib.nn.Conv2d(2, 3, 3), 0, (2, 2, 6, 6)),
    ],
)
def test_weight_norm_matches_torch(make, dim, shape):
    sh.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = make(sh), make(torch)
    with pytest.warns(FutureWarning, match="weight_norm` is deprecated"):
        assert nn.utils.weight_norm(ours, dim=dim) is ours
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # bias, weight_g, weight_v
    assert ours.weight_g.shape == tuple(theirs.weight_g.shape)
    # train one step so that g and v move apart from the starting weight
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    for model, lib in ((ours, sh), (theirs, torch)):
        opt = lib.optim.SGD(model.parameters(), lr=0.05)
        (model(lib.tensor(x)) ** 2).sum().backward()
        opt.step()
    out, tout = ours(sh.tensor(x)), theirs(torch.tensor(x))
    # float32 sums of outputs up to about 50 in size: compare at that scale
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-4)
    (out**2).sum().backward()
    (tout**2).sum().backward()
    for key in ("weight_g", "weight_v"):
        np.testing.assert_allclose(
            getattr(ours, key).grad.numpy(), getattr(theirs, key).grad.numpy(), rtol=1e-4, atol=1e-5
        )
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert isinstance(ours.weight, nn.Parameter)
    np.testing.assert_allclose(
        ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_weight_norm_gradcheck_and_errors():
    layer = nn.Linear(3, 2).double()
    with pytest.warns(FutureWarning):
        nn.utils.weight_norm(layer)
    x = sh.randn(4, 3, dtype=sh.float64)
    assert sh.gradcheck(
        lambda g, v: nn.functional.linear(x, v * (g / (v * v).sum(1, keepdim=True).sqrt())),
        layer.weight_g,
        layer.weight_v,
    )
    with pytest.raises(ValueError, match="already has weight norm"):
        nn.utils.weight_norm(layer)
    with pytest.raises(ValueError, match="has no parameter 'kernel'"):
        nn.utils.weight_norm(nn.Linear(2, 2), name="kernel")
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(nn.Linear(2, 2))


# ---------------------------------------------------------------------- spectral_norm
@pytest.mark.parametrize(
    "make, kwargs, shape",
    [
        (lambda lib: lib.nn.Linear(5, 4), {}, (3, 5)),
        (lambda lib: lib.nn.Linear(20, 18), {"n_power_iterations": 3}, (3, 20)),
        (lambda lib: lib.nn.Conv2d(2, 3, 3), {}, (2, 2, 6, 6)),
        (lambda lib: lib.nn.Conv2d(2, 3, 3), {"dim": 1}, (2, 2, 6, 6)),
    ],
)
def test_spectral_norm_matches_torch(make, kwargs, shape):
    sh.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = make(sh), make(torch)
    assert nn.utils.spectral_norm(ours, **kwargs) is ours
    torch.nn.utils.spectral_norm(theirs, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key in ("weight_u", "weight_v"):  # the same draws, normalised
        np.testing.assert_allclose(
            getattr(ours, key).numpy(), getattr(theirs, key).numpy(), rtol=1e-5, atol=1e-6
        )
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    for _ in range(3):  # training mode: a power-iteration step before every forward
        out, tout = ours(sh.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(
            out.detach().numpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-5
        )
        for key in ("weight_u", "weight_v"):
            np.testing.assert_allclose(
                getattr(ours, key).numpy(), getattr(theirs, key).numpy(), rtol=1e-4, atol=1e-5
            )
    (out**2).sum().backward()
    (tout**2).sum().backward()
    np.testing.assert_allclose(
        ours.weight_orig.grad.numpy(), theirs.weight_orig.grad.numpy(), rtol=1e-4, atol=1e-4
    )
    ours.eval()
    theirs.eval()
    u = ours.weight_u.numpy().copy()
    out, tout = ours(sh.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_array_equal(ours.weight_u.numpy(), u)  # no iteration in eval mode
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(
        ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-4, atol=1e-6
    )


def test_spectral_norm_divides_by_the_largest_singular_value_and_errors():
    layer = nn.utils.spectral_norm(nn.Linear(6, 4).double(), n_power_iterations=50)
    layer(sh.randn(2, 6, dtype=sh.float64))
    top = np.linalg.svd(layer.weight_orig.detach().numpy(), compute_uv=False)[0]
    np.testing.assert_allclose(np.linalg.svd(layer.weight.detach().numpy())[1][0], 1.0)
    np.testing.assert_allclose(
        layer.weight.detach().numpy(), layer.weight_orig.detach().numpy() / top, rtol=1e-8
    )
    with pytest.raises(ValueError, match="already has spectral norm"):
        nn.utils.spectral_norm(layer)
    with pytest.raises(ValueError, match="n_power_iterations=0 must be a positive"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nn.utils.remove_spectral_norm(nn.Linear(2, 2))
