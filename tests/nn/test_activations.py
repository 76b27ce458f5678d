"""The activations of nn.functional and their modules against PyTorch: values and gradients
(random inputs and the kinks, where PyTorch's one-sided conventions are matched), in-place
forms, module reprs, and errors."""

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish import nn
from scratchish.nn import functional as F

torch = optional_torch()

# the kinks of every activation below, and values around them
KINKS = [[-6.5, -4.0, -3.0, -1.0, -1e-30, 0.0, 1e-30, 0.5, 1.0, 3.0, 6.0, 7.5, 30.0, -30.0]]


def _f(name, *args, **kwargs):
    return lambda lib, x: getattr(lib.nn.functional, name)(x, *args, **kwargs)


ACTIVATIONS = [
    ("elu", ()),
    ("elu", (0.4,)),
    ("selu", ()),
    ("celu", (2.0,)),
    ("relu6", ()),
    ("hardtanh", ()),
    ("hardtanh", (-2.0, 0.5)),
    ("hardswish", ()),
    ("hardsigmoid", ()),
    ("mish", ()),
    ("softsign", ()),
    ("tanhshrink", ()),
    ("threshold", (0.5, -2.0)),
    ("silu", ()),
    ("softplus", (2.0, 3.0)),
    ("logsigmoid", ()),
    ("hardshrink", ()),
    ("softshrink", (0.8,)),
]


def _dtypes(name):
    # PyTorch's float64 hardsigmoid gradient uses float32(1/6) = 0.16666667163 as its slope;
    # ours is 1/6, so float64 parity is checked apart, in test_hardsigmoid_float64_slope
    return ("float32",) if name == "hardsigmoid" else ("float64", "float32")


ACTIVATION_CASES = register_op_cases(
    *[
        OpCase(f"{name}{args}", _f(name, *args), [(3, 5)], ranges=(-7, 7), dtypes=_dtypes(name))
        for name, args in ACTIVATIONS
    ],
    *[
        OpCase(
            f"{name}{args}_kinks",
            _f(name, *args),
            data=lambda: KINKS,
            gradcheck=False,
            dtypes=_dtypes(name),
        )
        for name, args in ACTIVATIONS
    ],
    OpCase("glu", _f("glu"), [(3, 6)]),
    OpCase("softmin", _f("softmin", dim=1), [(3, 4)]),
    OpCase(  # float32 in, float64 out
        "softmin_dtype",
        lambda lib, x: lib.nn.functional.softmin(x, dim=0, dtype=lib.float64),
        [(3, 4)],
        dtypes=("float32",),
    ),
    OpCase("glu_dim1", _f("glu", dim=1), [(2, 4, 3)]),
    OpCase("prelu_one", lambda lib, x, w: lib.nn.functional.prelu(x, w), [(4, 3), (1,)]),
    OpCase(
        "prelu_channels",
        lambda lib, x, w: lib.nn.functional.prelu(x, w),
        [(2, 3, 4, 2), (3,)],
    ),
    OpCase(
        "prelu_kinks",
        lambda lib, x, w: lib.nn.functional.prelu(x, w),
        data=lambda: [KINKS[0], [0.3]],
        gradcheck=False,
    ),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", ACTIVATION_CASES, ids=str)
def test_activation_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", ACTIVATION_CASES, ids=str)
def test_activation_gradcheck(case):
    check_gradcheck(case)


def test_hardsigmoid_float64_slope():
    if torch is None:
        pytest.skip("needs torch")
    a = np.array([-3.0, -1.0, 0.0, 2.9, 3.0])
    x, tx = sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, tout = F.hardsigmoid(x), torch.nn.functional.hardsigmoid(tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-15)
    out.sum().backward()
    tout.sum().backward()
    assert x.grad.tolist() == [0.0, 1 / 6, 1 / 6, 1 / 6, 0.0]
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-7)


def test_large_inputs_give_finite_gradients():
    # exp of the branch not taken must not overflow into 0 * inf = nan
    for name in ("elu", "selu", "celu", "mish"):
        x = sh.tensor([100.0, 1000.0], requires_grad=True)
        getattr(F, name)(x).sum().backward()
        assert np.isfinite(x.grad.numpy()).all(), name


INPLACE = [
    ("elu", (0.5,)),
    ("selu", ()),
    ("celu", (1.5,)),
    ("relu6", ()),
    ("hardtanh", (-0.5, 0.5)),
    ("hardswish", ()),
    ("hardsigmoid", ()),
    ("mish", ()),
    ("silu", ()),
    ("threshold", (0.1, 3.0)),
]


@pytest.mark.parametrize("name, args", INPLACE)
def test_inplace_changes_the_tensor_and_keeps_the_gradient(name, args):
    if torch is None:
        pytest.skip("needs torch")
    a = np.linspace(-5, 5, 12).reshape(3, 4)
    x, tx = sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = x * 2, tx * 2  # not a leaf: in place is allowed inside the graph
    out = getattr(F, name)(y, *args, inplace=True)
    tout = getattr(torch.nn.functional, name)(ty, *args, inplace=True)
    assert out is y
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    (out * sh.tensor(a)).sum().backward()
    (tout * torch.tensor(a)).sum().backward()
    rtol = 1e-7 if name == "hardsigmoid" else 1e-12  # see test_hardsigmoid_float64_slope
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=1e-14)
    # outside a graph the array itself changes, so views see it
    base = sh.tensor(a.copy())
    view = base[0]
    getattr(F, name)(view, *args, inplace=True)
    expected = getattr(torch.nn.functional, name)(torch.tensor(a[0]), *args)
    np.testing.assert_allclose(base.numpy()[0], expected.numpy(), rtol=1e-12)


def test_underscore_forms_and_leaf_error():
    if torch is None:
        pytest.skip("needs torch")
    a = np.array([-2.0, -0.5, 0.5, 2.0])
    for name, args in [("elu_", ()), ("selu_", ()), ("celu_", (2.0,)), ("hardtanh_", ())]:
        x = sh.tensor(a.copy())
        assert getattr(F, name)(x, *args) is x
        expected = getattr(torch.nn.functional, name)(torch.tensor(a), *args)
        np.testing.assert_allclose(x.numpy(), expected.numpy(), rtol=1e-12)
    x = sh.tensor(a.copy())
    F.threshold_(x, 0.0, 9.0)
    assert x.tolist() == [9.0, 9.0, 0.5, 2.0]
    with pytest.raises(sh.InPlaceError, match="leaf"):
        F.elu(sh.tensor(a, requires_grad=True), inplace=True)


MODULES = [
    lambda m: m.ELU(),
    lambda m: m.ELU(alpha=0.5, inplace=True),
    lambda m: m.CELU(2.0),
    lambda m: m.SELU(),
    lambda m: m.SELU(inplace=True),
    lambda m: m.ReLU6(),
    lambda m: m.ReLU6(True),
    lambda m: m.Hardtanh(),
    lambda m: m.Hardtanh(-2, 2),
    lambda m: m.Hardswish(),
    lambda m: m.Hardsigmoid(),
    lambda m: m.Mish(),
    lambda m: m.Softsign(),
    lambda m: m.Tanhshrink(),
    lambda m: m.Threshold(0.1, 20),
    lambda m: m.GLU(),
    lambda m: m.GLU(dim=1),
    lambda m: m.LogSigmoid(),
    lambda m: m.Softplus(),
    lambda m: m.Softplus(beta=2, threshold=10),
    lambda m: m.SiLU(inplace=True),
    lambda m: m.PReLU(),
    lambda m: m.PReLU(4, init=0.1),
    lambda m: m.Softmin(dim=1),
    lambda m: m.Softmax2d(),
    lambda m: m.Hardshrink(),
    lambda m: m.Softshrink(0.3),
]


@pytest.mark.parametrize("make", MODULES)
def test_activation_modules_match_torch(make):
    if torch is None:
        pytest.skip("needs torch")
    module, torch_module = make(nn), make(torch.nn)
    assert repr(module) == repr(torch_module)
    a = np.random.default_rng(0).uniform(-5, 5, (3, 4, 2))
    x, tx = sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    module.double()
    torch_module.double()
    out, tout = module(x * 1), torch_module(tx * 1)  # x * 1: in-place layers need a non-leaf
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    rtol = 1e-7 if isinstance(module, nn.Hardsigmoid) else 1e-12  # float32(1/6), see above
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=1e-14)
    for (name, p), tp in zip(module.named_parameters(), torch_module.parameters()):
        np.testing.assert_allclose(p.numpy(force=True), tp.detach().numpy(), err_msg=name)
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12, err_msg=name)


def test_prelu_module_defaults_and_state_dict():
    prelu = nn.PReLU(3)
    assert prelu.weight.dtype == sh.float32 and prelu.weight.tolist() == [0.25] * 3
    assert list(prelu.state_dict()) == ["weight"]
    assert nn.PReLU(dtype=sh.float64).weight.dtype == sh.float64


def test_activation_errors_teach():
    with pytest.raises(sh.ShapeError, match=r"dim -1 .* \(2, 5\) has size 5"):
        F.glu(sh.zeros(2, 5))
    with pytest.raises(sh.IndexOutOfRangeError, match="dim=3 is out of range"):
        F.glu(sh.zeros(2, 4), dim=3)
    with pytest.raises(sh.ShapeError, match=r"3 slopes .* 4 channels.*num_parameters=4"):
        F.prelu(sh.zeros(2, 4, 5), sh.zeros(3))
    with pytest.raises(sh.ArgumentError, match="min_val"):
        F.hardtanh(sh.zeros(2), 1.0, -1.0)
    with pytest.raises(sh.ArgumentError, match="min_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(sh.ArgumentError, match="alpha"):
        F.celu(sh.zeros(2), alpha=0.0)
    with pytest.raises(sh.DTypeError, match="sh.tensor"):
        F.elu([1.0, 2.0])
    with pytest.raises(sh.ArgumentError, match="lambd"):
        F.softshrink(sh.zeros(2), -1.0)
    with pytest.raises(sh.ShapeError, match="Softmax2d"):
        nn.Softmax2d()(sh.zeros(2, 3))


def test_activations_keep_float32():
    x = sh.randn(4)
    for name, args in ACTIVATIONS:
        assert getattr(F, name)(x, *args).dtype == sh.float32, name


def test_hardtanh_is_one_op_and_equals_its_composition_on_channels_last_input():
    """hardtanh (and relu6) is one op, Hardtanh; on a conv's channels-last output, NaN and
    the bounds included, it gives the composition's values and gradient: clip(x), and the
    gradient stopped at and beyond the bounds only (PyTorch's x <= 0 or x >= 6: a NaN passes
    it on)."""
    rng = np.random.default_rng(3)
    a = rng.uniform(-2, 8, (2, 5, 4, 3)).astype(np.float32)
    a[0, 0, 0, :] = [0.0, 6.0, np.nan]  # the bounds and a NaN
    a = np.moveaxis(np.moveaxis(a, 1, -1).copy(), -1, 1)  # channels-last memory
    g = rng.standard_normal(a.shape).astype(np.float32)
    x = sh.from_numpy(a).requires_grad_()
    out = F.relu6(x)
    assert type(out.grad_fn).__name__ == "Hardtanh"
    out.backward(sh.tensor(g))
    np.testing.assert_array_equal(out.detach().numpy(), np.clip(a, 0, 6))
    with np.errstate(invalid="ignore"):
        stopped = (a <= 0) | (a >= 6)
    np.testing.assert_array_equal(x.grad.numpy(), np.where(stopped, 0, g))
    assert x.grad.numpy()[0, 0, 0, :].tolist() == [0.0, 0.0, g[0, 0, 0, 2]]
    assert out.detach().numpy().strides == a.strides  # the layout kept


@pytest.mark.parametrize(
    "name, kwargs", [("silu", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"})]
)
def test_fused_activations_keep_a_channels_last_layout_and_take_any_strides(name, kwargs):
    """SiLU and GELU run block by block over memory: on a conv's channels-last output they
    keep that layout (forward and, with a gradient in it, backward), with the values of the
    (N, C, H, W) computation; a strided view (every other column) is copied first."""
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 5, 6, 3)).astype(np.float32)
    g = rng.standard_normal(a.shape).astype(np.float32)

    def cl(v):
        return np.moveaxis(np.moveaxis(v, 1, -1).copy(), -1, 1)

    fn = getattr(F, name)
    results = []
    for make in (np.ascontiguousarray, cl):
        x = sh.from_numpy(make(a)).requires_grad_()
        out = fn(x, **kwargs)
        out.backward(sh.from_numpy(make(g)))
        assert out.detach().numpy().strides == x.detach().numpy().strides
        assert x.grad.numpy().strides == x.detach().numpy().strides
        results.append((out.detach().numpy(), x.grad.numpy()))
    for u, v in zip(*results):
        np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-7)
    wide = sh.from_numpy(np.repeat(a, 2, axis=3))[..., ::2]  # not one block of memory
    np.testing.assert_allclose(fn(wide, **kwargs).numpy(), results[0][0], rtol=1e-6)


@pytest.mark.parametrize("beta, threshold", [(1.0, 20.0), (2.0, 3.0), (0.5, 1.0)])
def test_softplus_is_one_op_exact_on_its_linear_part_and_finite_at_the_ends(beta, threshold):
    """softplus is one op (Softplus): x itself, bit for bit, where beta x > threshold, and
    gradient 1 there; log(1 + e^(beta x)) / beta elsewhere, without overflow at +-1000."""
    x_np = np.array([-1000.0, -30.0, -1.0, 0.0, 0.7, 1.9, 2.1, 15.0, 40.0, 1000.0])
    x = sh.tensor(x_np, requires_grad=True)
    out = F.softplus(x, beta, threshold)
    assert type(out.grad_fn).__name__ == "Softplus"
    out.backward(sh.ones_like(out))
    z = beta * x_np
    linear = z > threshold
    expected = np.where(linear, x_np, np.logaddexp(0, z) / beta)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-15, atol=1e-300)
    np.testing.assert_array_equal(out.detach().numpy()[linear], x_np[linear])
    slope = np.where(linear, 1.0, 1 / (1 + np.exp(-np.clip(z, -700, 700))))
    np.testing.assert_allclose(x.grad.numpy(), slope, rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize("name, op", [("hardswish", "Hardswish"), ("hardsigmoid", "Hardsigmoid")])
def test_hard_activations_are_one_op_with_pytorchs_formula(name, op):
    """hardswish and hardsigmoid are one op each, PyTorch's formula (x * relu6(x + 3) / 6,
    relu6(x + 3) / 6): no overflow at 1e30 (x (x + 3) would), -0.0 below -3 as torch; the
    gradient 0 at -3, and at 3 1 for hardswish, 0 for hardsigmoid."""
    x_np = np.array([-1e30, -4.0, -3.0, -1.0, 0.0, 2.5, 3.0, 4.0, 1e30], dtype=np.float32)
    x = sh.tensor(x_np, requires_grad=True)
    with np.errstate(all="raise"):  # a NumPy warning would raise here
        out = getattr(F, name)(x)
        out.backward(sh.ones_like(out))
    assert type(out.grad_fn).__name__ == op
    relu6 = np.clip(x_np + np.float32(3), 0, 6)
    if name == "hardswish":
        expected = x_np * relu6 / np.float32(6)
        slope = np.where(x_np <= -3, 0, np.where(x_np < 3, x_np / 3 + 0.5, 1))
    else:
        expected = relu6 / np.float32(6)
        slope = np.where((x_np > -3) & (x_np < 3), 1 / 6, 0)
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    np.testing.assert_array_equal(np.signbit(out.detach().numpy()), np.signbit(expected))
    np.testing.assert_allclose(x.grad.numpy(), slope.astype(np.float32), rtol=1e-7)
    if torch is not None:
        t = torch.tensor(x_np, requires_grad=True)
        got = getattr(torch.nn.functional, name)(t)
        got.backward(torch.ones_like(got))
        np.testing.assert_array_equal(out.detach().numpy(), got.detach().numpy())
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7)


@pytest.mark.parametrize("dim", [-1, 1])
def test_glu_is_one_node_with_the_composed_numbers(dim):
    """F.glu is one fused op (Glu): output and gradient bit for bit those of the form it
    replaced, chunk + Sigmoid + Mul, on float32 values wide enough to saturate the sigmoid."""
    from scratchish.ops.elementwise import Sigmoid

    rng = np.random.default_rng(6)
    a = (rng.standard_normal((3, 8, 6)) * 8).astype(np.float32)
    g = rng.standard_normal((3, 4, 6) if dim == 1 else (3, 8, 3)).astype(np.float32)
    x = sh.tensor(a, requires_grad=True)
    out = F.glu(x, dim=dim)
    assert type(out.grad_fn).__name__ == "Glu"
    out.backward(sh.tensor(g))
    y = sh.tensor(a, requires_grad=True)
    first, second = y.chunk(2, dim)
    composed = first * Sigmoid.apply(second)
    composed.backward(sh.tensor(g))
    np.testing.assert_array_equal(out.detach().numpy(), composed.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), y.grad.numpy())


@pytest.mark.parametrize(
    "name, alpha, scale, input_scale",
    [
        ("elu", 1.0, 1.0, 1.0),
        ("elu", 0.4, 1.0, 1.0),
        ("celu", 2.0, 1.0, 0.5),
        ("selu", None, None, 1.0),
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fused_elu_equals_the_composed_select(name, alpha, scale, input_scale, dtype):
    # elu, selu and celu are one fused op (Elu) without a select; the plain form below picks
    # x or alpha * expm1(input_scale * x) by where, as the formula reads
    alpha = F._SELU_ALPHA if alpha is None else alpha
    scale = F._SELU_SCALE if scale is None else scale
    a = np.concatenate([KINKS[0], np.random.default_rng(0).uniform(-8, 8, 500)]).astype(dtype)
    args = {"elu": (alpha,), "celu": (alpha,), "selu": ()}[name]
    x, plain_x = sh.tensor(a, requires_grad=True), sh.tensor(a, requires_grad=True)
    fused = getattr(F, name)(x, *args)
    negative = (plain_x.clamp(max=0) * input_scale).expm1() * (alpha * scale)
    plain = sh.where(plain_x > 0, plain_x * scale, negative)
    g = np.random.default_rng(1).standard_normal(a.shape).astype(dtype)
    fused.backward(sh.tensor(g))
    plain.backward(sh.tensor(g))
    tol = {"float64": 1e-15, "float32": 1e-6}[dtype]
    np.testing.assert_allclose(fused.detach().numpy(), plain.detach().numpy(), rtol=tol)
    np.testing.assert_allclose(x.grad.numpy(), plain_x.grad.numpy(), rtol=tol, atol=tol)
    assert fused.dtype == x.dtype and x.grad.dtype == x.dtype
    assert np.array_equal(fused.detach().numpy() > 0, a > 0)  # the branch by sign


# NaN and the infinities: PyTorch's backward kernels pick a branch by a comparison (relu's
# out <= 0 ? 0 : grad, hardtanh's x <= lo || x >= hi ? 0 : grad, ...), false for NaN, so a NaN
# takes the branch that passes the gradient on; NumPy's sign(NaN) is NaN where PyTorch's is 0.
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0]

NAN_CASES = [
    *[(f"{name}{args}", _f(name, *args)) for name, args in ACTIVATIONS],
    ("relu", _f("relu")),
    ("gelu_tanh", _f("gelu", approximate="tanh")),
    ("sigmoid", lambda lib, x: x.sigmoid()),
    ("abs", lambda lib, x: x.abs()),
    ("l1_loss", lambda lib, x: lib.nn.functional.l1_loss(x, x.detach() * 0, reduction="none")),
    ("maximum", lambda lib, x: lib.maximum(x, x.detach().flip(0))),
    ("minimum", lambda lib, x: lib.minimum(x, x.detach().flip(0))),
    ("maximum_b", lambda lib, x: lib.maximum(x.detach().flip(0), x)),
    ("max", lambda lib, x: x.max()),
    ("min", lambda lib, x: x.min()),
    ("amax", lambda lib, x: x.amax()),
    ("max_dim", lambda lib, x: x.reshape(2, 3).max(1)[0]),
]


@pytest.mark.parametrize("name, fn", NAN_CASES, ids=[n for n, _ in NAN_CASES])
def test_nan_and_infinities_give_pytorchs_values_and_gradients(name, fn):
    if torch is None:
        pytest.skip("needs torch")
    results = []
    for lib in (sh, torch):
        x = lib.tensor(np.array(SPECIAL, np.float32), requires_grad=True)
        with np.errstate(all="ignore"):
            out = fn(lib, x)
            out.backward(lib.ones_like(out))
        results.append((out.detach().numpy(), x.grad.numpy()))
    (ours, our_grad), (theirs, their_grad) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=0, equal_nan=True)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-6, atol=0, equal_nan=True)


def test_a_nan_passes_the_gradient_on_where_pytorchs_comparison_is_false():
    def run(fn, values):
        x = sh.tensor(np.array(values, np.float32), requires_grad=True)
        with np.errstate(all="ignore"):
            out = fn(x)
            out.backward(sh.ones_like(out))
        return out.detach().numpy(), x.grad.numpy()

    nan = np.nan
    assert run(F.relu, [nan, -1.0, 2.0])[1].tolist() == [1.0, 0.0, 1.0]
    assert run(F.relu6, [nan, 6.0, 2.0])[1].tolist() == [1.0, 0.0, 1.0]
    assert run(F.elu, [nan, 1.0])[1].tolist() == [1.0, 1.0]
    assert run(F.selu, [nan])[1][0] == np.float32(F._SELU_SCALE)
    assert run(F.hardswish, [nan, np.inf, -np.inf])[1].tolist() == [1.0, 1.0, 0.0]
    out, grad = run(lambda x: F.threshold(x, 0.5, -2.0), [nan, 0.0])
    assert np.isnan(out[0]) and out[1] == -2.0 and grad.tolist() == [1.0, 0.0]
    out, grad = run(F.hardshrink, [nan, 0.1])
    assert np.isnan(out[0]) and out[1] == 0.0 and grad.tolist() == [1.0, 0.0]
    out, grad = run(F.softshrink, [nan, -0.0])
    assert np.isnan(out[0]) and np.signbit(out[1]) and grad.tolist() == [1.0, 0.0]
    assert run(lambda x: x.abs(), [nan, -2.0])[1].tolist() == [0.0, -1.0]
    # maximum: each input gets all of the gradient unless it lost (half at a tie)
    a = sh.tensor(np.array([nan, 1.0, 2.0], np.float32), requires_grad=True)
    b = sh.tensor(np.array([0.0, 1.0, 3.0], np.float32), requires_grad=True)
    sh.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [1.0, 0.5, 0.0] and b.grad.tolist() == [1.0, 0.5, 1.0]
    # max() of all values gives the gradient to the NaN; amax's is NaN, as torch.amax's
    assert run(lambda x: x.max(), [nan, 1.0, 2.0])[1].tolist() == [1.0, 0.0, 0.0]
    assert run(lambda x: x.min(), [1.0, nan, nan])[1].tolist() == [0.0, 0.5, 0.5]
    assert np.isnan(run(lambda x: x.amax(), [nan, 1.0])[1]).all()


def test_rrelu_is_leaky_relu_in_eval_and_draws_slopes_in_training():
    x = np.linspace(-3, 3, 601).astype(np.float32)
    if torch is not None:
        ours = F.rrelu(sh.tensor(x), 0.1, 0.3).numpy()
        np.testing.assert_allclose(
            ours, torch.nn.functional.rrelu(torch.tensor(x), 0.1, 0.3).numpy()
        )
        assert repr(nn.RReLU()) == repr(torch.nn.RReLU())
    np.testing.assert_allclose(F.rrelu(sh.tensor(x), 0.1, 0.3).numpy(), np.where(x > 0, x, 0.2 * x))
    t = sh.tensor(x, requires_grad=True)
    out = nn.RReLU(0.1, 0.3).train()(t)
    out.sum().backward()
    slopes = t.grad.numpy()
    negative = x < 0
    assert (slopes[~negative & (x > 0)] == 1).all()
    assert ((slopes[negative] >= 0.1) & (slopes[negative] < 0.3)).all()
    assert np.unique(slopes[negative]).size > 100  # drawn per element
    np.testing.assert_allclose(
        out.detach().numpy()[negative], x[negative] * slopes[negative], rtol=1e-6
    )
    with pytest.raises(sh.ArgumentError, match="lower"):
        F.rrelu(sh.tensor(x), 0.5, 0.2)
