"""torch.Tensor's aliases, in-place forms and attributes that scratchish spells out one line each
in tensor.py: every one against torch, values and gradients, in float32 and float64."""

import sys

import numpy as np
import pytest

import scratchish as sh
from scratchish.errors import InPlaceError

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
DATA = {
    "any": RNG.standard_normal((3, 4)),
    "pos": RNG.uniform(0.5, 2.0, (3, 4)),
    "unit": RNG.uniform(-0.9, 0.9, (3, 4)),
    "vec": RNG.standard_normal(5),
    "cube": RNG.standard_normal((2, 3, 4)),
    "int": RNG.integers(-9, 10, (3, 4)),
    "round": np.array([[-1.5, -0.5, 0.0, 0.4], [0.5, 1.5, 2.5, -2.7], [3.2, np.nan, 1.0, -0.0]]),
}


def T(lib, data, **kwargs):  # noqa: N802 - reads as a constructor in the tables
    return lib.tensor(np.asarray(data), **kwargs)


# (method, data, args: lib -> tuple, differentiable). torch's ldexp with an integer exponent
# tensor computes 2**-2 as 0 (integer pow), so the exponents here are floats; torch passes the
# gradient straight through logical_and_ and nextafter_ (and lets a leaf take logical_and_),
# and has no derivative for heaviside_, while scratchish records them as having no gradient:
# those rows check values only.
OUT_OF_PLACE = [
    ("absolute", "any", lambda lib: (), True),
    ("negative", "any", lambda lib: (), True),
    ("positive", "any", lambda lib: (), True),
    ("fix", "round", lambda lib: (), False),
    ("greater", "any", lambda lib: (0.1,), False),
    ("greater_equal", "any", lambda lib: (0.1,), False),
    ("less", "any", lambda lib: (0.1,), False),
    ("less_equal", "any", lambda lib: (0.1,), False),
    ("not_equal", "int", lambda lib: (2,), False),
    ("ger", "vec", lambda lib: (T(lib, [1.0, -2.0, 3.0]),), True),
    ("inner", "any", lambda lib: (T(lib, DATA["cube"][0]),), True),
    ("vdot", "vec", lambda lib: (T(lib, DATA["vec"][::-1].copy()),), True),
    ("take", "any", lambda lib: (T(lib, [[0, 11], [-1, 5]]),), True),
    ("take_along_dim", "any", lambda lib: (T(lib, np.argsort(DATA["any"], 1)), 1), True),
    ("take_along_dim", "any", lambda lib: (T(lib, [3, 0, 7]),), True),
    ("broadcast_to", "any", lambda lib: ((2, 3, 4),), True),
    ("fliplr", "any", lambda lib: (), True),
    ("flipud", "any", lambda lib: (), True),
    ("hsplit", "any", lambda lib: (2,), True),
    ("hsplit", "vec", lambda lib: ([1, 3],), True),
    ("vsplit", "any", lambda lib: ([1],), True),
    ("dsplit", "cube", lambda lib: (2,), True),
    ("diag_embed", "any", lambda lib: (), True),
    ("diag_embed", "any", lambda lib: (1, 0, 2), True),
    ("diag_embed", "any", lambda lib: (-2, -1, 0), True),
    ("diagflat", "any", lambda lib: (-1,), True),
    ("diagflat", "vec", lambda lib: (), True),
    ("sum_to_size", "cube", lambda lib: (1, 4), True),
    ("sum_to_size", "cube", lambda lib: ((3, 1),), True),
    ("split_with_sizes", "any", lambda lib: ([1, 2],), True),
    ("narrow_copy", "any", lambda lib: (1, 1, 2), True),
    ("unsafe_chunk", "any", lambda lib: (2, 1), True),
    ("unsafe_split", "any", lambda lib: (3, 1), True),
    ("unfold", "any", lambda lib: (1, 2, 1), True),
    ("unfold", "cube", lambda lib: (0, 2, 1), True),
    ("unfold", "vec", lambda lib: (0, 2, 2), True),
    ("argwhere", "int", lambda lib: (), False),
    ("isreal", "any", lambda lib: (), False),
    ("hardshrink", "any", lambda lib: (0.3,), True),
    ("prelu", "any", lambda lib: (T(lib, [0.1, 0.2, -0.3, 0.4]),), True),
    ("index_copy", "any", lambda lib: (1, T(lib, [3, 0]), T(lib, DATA["any"][:, :2])), True),
    ("index_put", "any", lambda lib: ((T(lib, [0, 2]), T(lib, [1, 3])), T(lib, [5.0, 6.0])), True),
    (
        "index_put",
        "any",
        lambda lib: ((T(lib, [0, 0, 2]),), T(lib, DATA["any"][:3] * 2), True),
        True,
    ),
    ("put", "any", lambda lib: (T(lib, [[1, 7]]), T(lib, [5.0, 6.0])), True),
    ("put", "any", lambda lib: (T(lib, [1, 1, -1]), T(lib, [5.0, 6.0, 7.0]), True), True),
    (
        "scatter_reduce",
        "any",
        lambda lib: (1, T(lib, [[0, 0, 3]] * 3), T(lib, DATA["pos"]), "sum"),
        True,
    ),
    (
        "scatter_reduce",
        "any",
        lambda lib: (0, T(lib, [[2, 0, 2, 2]]), T(lib, DATA["pos"]), "mean"),
        True,
    ),
    (
        "scatter_reduce",
        "any",
        lambda lib: (
            1,
            T(lib, [[1, 1], [0, 3], [2, 2]]),
            T(lib, DATA["pos"]),
            "mean",
            {"include_self": False},
        ),
        True,
    ),
    ("ldexp", "any", lambda lib: (T(lib, [1.0, -2.0, 0.0, 3.0]),), True),
    ("frexp", "any", lambda lib: (), False),
    ("nextafter", "any", lambda lib: (T(lib, DATA["pos"]),), False),
    ("bitwise_and", "int", lambda lib: (T(lib, DATA["int"][::-1].copy()),), False),
    ("bitwise_or", "int", lambda lib: (6,), False),
    ("bitwise_xor", "int", lambda lib: (T(lib, [1, 2, 3, 4]),), False),
    ("bitwise_not", "int", lambda lib: (), False),
    ("gcd", "int", lambda lib: (T(lib, [4, 6, 9, 0]),), False),
    ("lcm", "int", lambda lib: (T(lib, [4, 6, 9, 1]),), False),
]

IN_PLACE = [
    ("absolute_", "any", lambda lib: (), True),
    ("negative_", "any", lambda lib: (), True),
    ("clip_", "any", lambda lib: (-0.5, 0.5), True),
    ("divide_", "any", lambda lib: (T(lib, DATA["pos"]),), True),
    ("multiply_", "any", lambda lib: (T(lib, DATA["pos"]),), True),
    ("subtract_", "any", lambda lib: (T(lib, DATA["pos"]),), True),
    ("true_divide_", "any", lambda lib: (2.0,), True),
    ("fix_", "round", lambda lib: (), True),
    ("ceil_", "round", lambda lib: (), True),
    ("floor_", "round", lambda lib: (), True),
    ("round_", "round", lambda lib: (), True),
    ("trunc_", "round", lambda lib: (), True),
    ("frac_", "any", lambda lib: (), True),
    ("sign_", "round", lambda lib: (), True),
    ("sgn_", "any", lambda lib: (), True),
    ("cos_", "any", lambda lib: (), True),
    ("cosh_", "any", lambda lib: (), True),
    ("sin_", "any", lambda lib: (), True),
    ("sinh_", "any", lambda lib: (), True),
    ("tan_", "unit", lambda lib: (), True),
    ("rsqrt_", "pos", lambda lib: (), True),
    ("reciprocal_", "pos", lambda lib: (), True),
    ("square_", "any", lambda lib: (), True),
    ("log10_", "pos", lambda lib: (), True),
    ("log1p_", "pos", lambda lib: (), True),
    ("log2_", "pos", lambda lib: (), True),
    ("exp2_", "any", lambda lib: (), True),
    ("expm1_", "any", lambda lib: (), True),
    ("erf_", "any", lambda lib: (), True),
    ("nan_to_num_", "round", lambda lib: (2.0,), True),
    ("fmod_", "any", lambda lib: (0.7,), True),
    ("remainder_", "any", lambda lib: (T(lib, DATA["pos"]),), True),
    ("heaviside_", "round", lambda lib: (T(lib, [0.5]),), False),
    ("cumsum_", "any", lambda lib: (1,), True),
    ("cumprod_", "any", lambda lib: (0,), True),
    ("eq_", "round", lambda lib: (0.5,), True),
    ("ne_", "round", lambda lib: (T(lib, DATA["round"][::-1].copy()),), True),
    ("lt_", "any", lambda lib: (0.0,), True),
    ("le_", "any", lambda lib: (0.0,), True),
    ("gt_", "any", lambda lib: (T(lib, DATA["unit"]),), True),
    ("ge_", "any", lambda lib: (0.0,), True),
    ("greater_", "any", lambda lib: (0.0,), True),
    ("less_equal_", "any", lambda lib: (0.0,), True),
    ("not_equal_", "int", lambda lib: (0,), False),
    ("logical_and_", "round", lambda lib: (T(lib, DATA["any"]),), False),
    ("logical_or_", "round", lambda lib: (T(lib, [0.0, 1.0, 0.0, 0.0]),), False),
    ("logical_xor_", "round", lambda lib: (T(lib, DATA["int"]),), False),
    ("logical_not_", "round", lambda lib: (), False),
    ("tril_", "any", lambda lib: (), True),
    ("triu_", "any", lambda lib: (1,), True),
    ("masked_scatter_", "any", lambda lib: (T(lib, DATA["int"] > 0), T(lib, DATA["pos"])), True),
    ("index_copy_", "any", lambda lib: (0, T(lib, [2, 0]), T(lib, DATA["pos"][:2])), True),
    ("index_put_", "any", lambda lib: ((T(lib, [0, 2]), T(lib, [1, 3])), T(lib, [5.0])), True),
    (
        "scatter_reduce_",
        "any",
        lambda lib: (0, T(lib, [[1, 1, 0, 2]]), T(lib, DATA["pos"]), "sum"),
        True,
    ),
    ("put_", "any", lambda lib: (T(lib, [0, 0, 5]), T(lib, [1.0, 2.0, 3.0]), True), True),
    ("ldexp_", "any", lambda lib: (T(lib, [1.0, -2.0, 0.0, 3.0]),), True),
    ("nextafter_", "any", lambda lib: (T(lib, DATA["pos"]),), False),
    ("bitwise_and_", "int", lambda lib: (3,), False),
    ("bitwise_or_", "int", lambda lib: (T(lib, DATA["int"][::-1].copy()),), False),
    ("bitwise_xor_", "int", lambda lib: (5,), False),
    ("bitwise_not_", "int", lambda lib: (), False),
    ("gcd_", "int", lambda lib: (T(lib, [6]),), False),
    ("lcm_", "int", lambda lib: (T(lib, [4, 6, 9, 1]),), False),
    ("t_", "any", lambda lib: (), True),
    ("transpose_", "cube", lambda lib: (0, 2), True),
    ("swapaxes_", "cube", lambda lib: (1, 2), True),
    ("swapdims_", "cube", lambda lib: (0, 1), True),
    ("squeeze_", "vec", lambda lib: (), True),
    ("unsqueeze_", "any", lambda lib: (1,), True),
]


def _pieces(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _same(ours, theirs, dtype=np.float64):
    tol = 1e-5 if dtype == np.float32 else 1e-10
    for a, b in zip(_pieces(ours), _pieces(theirs), strict=True):
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        theirs = b.detach().numpy(force=True)  # force: torch's zero gradients are lazy
        np.testing.assert_allclose(a.detach().numpy(), theirs, rtol=tol, atol=tol)


def _weights(out):
    return [RNG.standard_normal(tuple(o.shape)) for o in _pieces(out)]


def _loss(lib, out, weights):
    return sum((o * T(lib, w).to(o.dtype)).sum() for o, w in zip(_pieces(out), weights))


def _args(lib, args, dtype) -> tuple:
    """The case's arguments, float tensors among them in the input's dtype."""
    to = {np.float32: lib.float32, np.float64: lib.float64}[dtype]

    def cast(a):
        if isinstance(a, tuple):
            return tuple(cast(b) for b in a)
        return a.to(to) if hasattr(a, "is_floating_point") and a.is_floating_point() else a

    return cast(args(lib))


def _call(x, name, args: tuple):
    """x.name(*args), a dict at the end of args passed as keywords."""
    if args and isinstance(args[-1], dict):
        return getattr(x, name)(*args[:-1], **args[-1])
    return getattr(x, name)(*args)


def _input(lib, data, dtype, requires_grad=False):
    array = DATA[data] if data == "int" else DATA[data].astype(dtype)
    return T(lib, array, requires_grad=requires_grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "name, data, args, differentiable", OUT_OF_PLACE, ids=[c[0] for c in OUT_OF_PLACE]
)
def test_method_matches_torch(name, data, args, differentiable, dtype):
    grad = differentiable and data != "int"
    x, tx = _input(sh, data, dtype, grad), _input(torch, data, dtype, grad)
    out = _call(x, name, _args(sh, args, dtype))
    tout = _call(tx, name, _args(torch, args, dtype))
    _same(out, tout, dtype)
    if grad:
        weights = _weights(tout)
        _loss(sh, out, weights).backward()
        _loss(torch, tout, weights).backward()
        _same(x.grad, tx.grad, dtype)


@pytest.mark.parametrize(
    "name, data, args",
    [c[:3] for c in OUT_OF_PLACE if c[3] and c[1] != "int"],
    ids=[c[0] for c in OUT_OF_PLACE if c[3] and c[1] != "int"],
)
def test_method_gradient_is_the_numerical_one(name, data, args):
    x = _input(sh, data, np.float64, True)
    sh.gradcheck(lambda x: _call(x, name, _args(sh, args, np.float64)), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, data, args, differentiable", IN_PLACE, ids=[c[0] for c in IN_PLACE])
def test_in_place_method_matches_torch(name, data, args, differentiable, dtype):
    if name in ("float_power_",) and dtype == np.float32:
        pytest.skip("float_power_ needs a float64 tensor (tested below)")
    x, tx = _input(sh, data, dtype), _input(torch, data, dtype)
    out = _call(x, name, _args(sh, args, dtype))
    _call(tx, name, _args(torch, args, dtype))
    assert out is x  # the tensor itself changed, and is what the method returns
    _same(x, tx, dtype)
    if not differentiable:
        return
    # through autograd: a non-leaf changed in place passes torch's gradient back
    a, ta = _input(sh, data, dtype, True), _input(torch, data, dtype, True)
    y, ty = a * 1.0, ta * 1.0
    _call(y, name, _args(sh, args, dtype))
    _call(ty, name, _args(torch, args, dtype))
    weights = _weights(ty)
    _loss(sh, y, weights).backward()
    _loss(torch, ty, weights).backward()
    _same(a.grad, ta.grad, dtype)
    # on a leaf that requires grad: refused, as torch refuses
    with pytest.raises(RuntimeError, match="leaf"):
        _call(_input(torch, data, dtype, True), name, _args(torch, args, dtype))
    with pytest.raises(InPlaceError, match="leaf"):
        _call(_input(sh, data, dtype, True), name, _args(sh, args, dtype))


def test_in_place_write_is_seen_by_views_and_float_power_needs_float64():
    x = sh.tensor([[1.0, 4.0], [9.0, 16.0]])
    row = x[1]
    x.rsqrt_()
    assert row.tolist() == pytest.approx([1 / 3, 0.25])
    with pytest.raises(sh.errors.DTypeError, match="float_power_"):
        x.float_power_(2)
    d, td = sh.tensor([1.5, -2.0], dtype=sh.float64), torch.tensor([1.5, -2.0], dtype=torch.float64)
    d.float_power_(3), td.float_power_(3)
    _same(d, td)
    with pytest.raises(sh.errors.DTypeError, match="sin_"):
        sh.tensor([1, 2]).sin_()


def test_in_place_shape_change_without_gradients_keeps_sharing_memory():
    x = sh.arange(6.0).reshape(2, 3)
    y = x.t_()
    assert y is x and x.shape == (3, 2)
    x.unsqueeze_(0).squeeze_()
    x[0, 1] = 10.0
    assert x.storage_offset() == 0 and x.tolist() == [[0.0, 10.0], [1.0, 4.0], [2.0, 5.0]]


def test_attributes_are_torchs_for_a_dense_cpu_tensor():
    for array in (DATA["any"].astype(np.float32), DATA["int"], np.array([True, False])):
        x, tx = sh.tensor(array), torch.tensor(array)
        for flag in ("is_cpu", "is_sparse", "is_quantized", "is_meta", "is_nested"):
            assert getattr(x, flag) == getattr(tx, flag)
        for method in ("is_complex", "is_signed", "is_inference", "is_pinned", "get_device"):
            assert getattr(x, method)() == getattr(tx, method)()
        assert (x.itemsize, x.nbytes, x.ndimension()) == (tx.itemsize, tx.nbytes, tx.ndimension())
        assert x[1:].storage_offset() == tx[1:].storage_offset()
        assert x[1:].data_ptr() - x.data_ptr() == x.itemsize * x[0].numel()
    assert x.layout is sh.strided and repr(x.layout) == "scratchish.strided"
    assert sh.tensor([0.5]).is_nonzero() and not sh.tensor(0).is_nonzero()
    assert sh.ones(2, 3).is_same_size(sh.zeros(2, 3)) and not sh.ones(2).is_same_size(sh.ones(3))
    with pytest.raises(sh.errors.ShapeError, match="is_nonzero"):
        sh.tensor([1.0, 2.0]).is_nonzero()


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda x: x.fliplr(), "at least 2 dims"),
        (lambda x: x.vsplit(2), "at least 2 dims"),
        (lambda x: x.hsplit(3), "divide"),
        (lambda x: x.sum_to_size(2), "broadcast"),
        (lambda x: x.unfold(0, 9, 1), "size <= 4"),
        (lambda x: x.take(sh.tensor([4])), r"\[-4, 4\)"),
        (lambda x: x.bitwise_and(1), "integer or bool"),
        (lambda x: x.gcd(sh.tensor([2])), "integer"),
        (lambda x: x.inner(sh.ones(3)), "last dims"),
        (lambda x: x.diag_embed(0, 0, 0), "differ"),
        (lambda x: x.scatter_reduce(0, sh.tensor([0]), sh.ones(1), "amax"), "'sum' and 'mean'"),
    ],
)
def test_a_bad_argument_names_the_method(call, words):
    with pytest.raises((ValueError, TypeError), match=words):
        call(sh.randn(4))


def test_stable_argsort_sorts_again_only_rows_with_ties():
    """stable_argsort sorts floats by NumPy's fast sort, which leaves equal keys in any order,
    then sorts the rows with ties (-0.0 and 0.0 among them) or two nans again, stably."""
    from scratchish.tensor import stable_argsort

    rng = np.random.default_rng(2)
    ties = rng.integers(0, 4, (30, 40)).astype(np.float32)  # every row has ties
    mixed = rng.standard_normal((30, 40)).astype(np.float32)
    mixed[::3] = np.round(mixed[::3])  # a third of the rows tie
    mixed[1, [3, 9, 20]] = np.nan  # nans sort last, in index order
    mixed[2, [5, 6]] = [0.0, -0.0]
    for key in (ties, mixed, mixed.astype(np.float64)):
        for axis in (0, 1):
            expected = np.argsort(key, axis=axis, kind="stable")
            np.testing.assert_array_equal(stable_argsort(key, axis), expected)
    values, indices = sh.tensor(mixed).sort(1, descending=True)  # NaNs first, as torch's
    expected = torch.tensor(mixed).sort(dim=1, descending=True, stable=True).indices.numpy()
    np.testing.assert_array_equal(indices.numpy(), expected)


@pytest.mark.parametrize("case", ["distinct", "ties", "nan", "3-d, middle dim"])
@pytest.mark.parametrize("k", [0, 1, 3, 7])
@pytest.mark.parametrize("partition", [True, False])
def test_topk_keeps_the_stable_sorts_first_k(case, k, partition, monkeypatch):
    """topk partitions (linear time) where exactly k keys per row reach the k-th place and
    sorts the whole dim elsewhere (ties across the k-th place, NaN, or few values, below
    SMALL_TOPK): either way the first k of a stable argsort, ties by index, as the whole sort
    gave."""
    from scratchish.tensor import _first_k

    if partition:  # these keys are few: without this, all of them would be sorted
        monkeypatch.setattr(sys.modules["scratchish.tensor"], "SMALL_TOPK", 0)

    rng = np.random.default_rng(k)
    shape, axis = ((4, 3, 7), 1) if case == "3-d, middle dim" else ((6, 7), -1)
    key = rng.standard_normal(shape).astype(np.float32)
    if case == "ties":
        key = rng.integers(0, 3, shape).astype(np.float32)
    if case == "nan":
        key[0, :3] = np.nan
    k = min(k, shape[axis])
    expected = np.take(np.argsort(key, axis=axis, kind="stable"), np.arange(k), axis=axis)
    np.testing.assert_array_equal(_first_k(key, k, axis), expected)
    values, indices = sh.tensor(-key).topk(k, dim=axis)
    if case == "nan":  # NaN ranks above every number (as in torch): the NaNs come first
        order = np.argsort(np.where(np.isnan(key), -np.inf, key), axis=axis, kind="stable")
        expected = np.take(order, np.arange(k), axis=axis)
    np.testing.assert_array_equal(indices.numpy(), expected)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(-key, expected, axis))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_ranks_above_inf_in_descending_sorts_and_topk_as_in_torch(dtype):
    a = np.array([[1, np.nan, np.inf, 2, np.nan, -np.inf], [3, 1, 2, 0, 5, 4]], dtype)
    x, t = sh.tensor(a), torch.tensor(a)
    for dim in (0, 1):
        ours, theirs = x.sort(dim, descending=True), t.sort(dim=dim, descending=True, stable=True)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        np.testing.assert_array_equal(x.sort(dim).indices.numpy(), t.sort(dim=dim, stable=True)[1])
    assert x.topk(3, 1).indices.tolist() == [[1, 4, 2], [4, 5, 0]]
    np.testing.assert_array_equal(x.topk(3, 1).values.numpy(), t.topk(3, 1).values.numpy())
    assert x.topk(2, 1, largest=False).indices.tolist() == [[5, 0], [3, 1]]
    assert x.argsort(1, descending=True).tolist()[0] == [1, 4, 2, 3, 0, 5]


def test_topks_indices_hold_k_values_not_the_whole_sort():
    # topk of a few values sorts the row and keeps its first k: a copy, so that the indices
    # do not keep the sort of every value alive (and are laid out as torch's)
    x = sh.tensor(np.tile(np.float32([3, 1, 2, 1]), (3, 25)))  # ties: the sorting path
    indices = x.topk(5).indices.numpy()
    assert indices.shape == (3, 5) and indices.flags.c_contiguous
    assert indices.base is None or indices.base.size == indices.size
    assert indices.tolist() == [[0, 4, 8, 12, 16]] * 3


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "shape, index_shape, dim",
    [((6, 7), (6, 7), 1), ((6, 7), (4, 3), 1), ((3, 5, 4), (3, 6, 2), 1), ((5, 4), (8, 4), 0)],
)
def test_gather_backward_adds_repeated_picks_as_add_at(shape, index_shape, dim, dtype):
    """gather's backward sums grad_out into the picked positions by np.bincount (float64
    sums): np.add.at's numbers, exactly in float64, to float32 rounding in float32; repeated
    and negative indices, an index smaller than x along the other dims."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal(shape).astype(dtype)
    index = rng.integers(-shape[dim], shape[dim], index_shape)  # repeats, negatives
    g = rng.standard_normal(index_shape).astype(dtype)
    x = sh.tensor(a, requires_grad=True)
    out = x.gather(dim, sh.tensor(index))
    out.backward(sh.tensor(g))
    expected = np.zeros(shape, dtype=np.float64)
    grid = list(np.indices(index_shape, sparse=True))
    grid[dim] = index
    np.add.at(expected, tuple(grid), g.astype(np.float64))
    assert x.grad.dtype == sh.tensor(a).dtype
    tolerance = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=tolerance, atol=tolerance)


def test_method_forms_are_torchs_functions_calling_the_method():
    """torch.multiply, torch.greater, torch.relu_, ...: scratchish makes these function forms
    from its methods (functions.METHOD_FORMS); each is a torch function and gives torch's
    result, in-place forms changing their input."""
    from scratchish.functions import METHOD_FORMS

    assert all(callable(getattr(torch, name, None)) for name in METHOD_FORMS)
    a = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]], np.float32)
    n = np.array([[5, 12], [-7, 3]])
    calls = [
        ("multiply", a, (2.0,)),
        ("subtract", a, (a[::-1].copy(),)),
        ("greater", a, (0.4,)),
        ("less_equal", a, (0.5,)),
        ("not_equal", a, (0.5,)),
        ("negative", a, ()),
        ("absolute", a, ()),
        ("fix", a, ()),
        ("fliplr", a, ()),
        ("take", a, (np.array([0, 4, 5]),)),
        ("inner", a, (a,)),
        ("diag_embed", a, ()),
        ("bitwise_and", n, (6,)),
        ("bitwise_left_shift", n, (2,)),
        ("gcd", n, (np.array([[10, 8], [14, 9]]),)),
        ("relu_", a, ()),
        ("exp_", a, ()),
        ("clamp_", a, (-1.0, 1.0)),
        ("zero_", a, ()),
    ]
    for name, value, args in calls:
        results = []
        for lib in (sh, torch):
            x = lib.tensor(value.copy())
            lib_args = [lib.tensor(v) if isinstance(v, np.ndarray) else v for v in args]
            out = getattr(lib, name)(x, *lib_args)
            results.append((out.numpy(), x.numpy()))
        (ours, our_x), (theirs, their_x) = results
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, err_msg=name)
        np.testing.assert_allclose(our_x, their_x, rtol=1e-6, err_msg=f"{name}: its input")
    assert sh.is_floating_point(sh.ones(2)) and not sh.is_floating_point(sh.tensor([1]))
    assert [t.shape for t in sh.hsplit(sh.ones(2, 4), 2)] == [(2, 2), (2, 2)]
    with pytest.raises(sh.DTypeError, match="multiply: input must be a Tensor"):
        sh.multiply([1, 2], 2)
    with pytest.raises(sh.ArgumentError, match="NaN or inf"):
        sh.histogram(sh.tensor([1.0, float("nan")]), 4)


def test_dtype_limits_promotion_isin_and_runs_match_torch():
    for ours, theirs in (
        (sh.finfo(sh.float32), torch.finfo(torch.float32)),
        (sh.finfo(), torch.finfo()),
    ):
        for field in (
            "bits",
            "eps",
            "max",
            "min",
            "tiny",
            "smallest_normal",
            "resolution",
            "dtype",
        ):
            assert getattr(ours, field) == getattr(theirs, field), field
    for name in ("int8", "uint8", "int64"):
        ours, theirs = sh.iinfo(getattr(sh, name)), torch.iinfo(getattr(torch, name))
        assert (ours.bits, ours.min, ours.max, ours.dtype) == (
            theirs.bits,
            theirs.min,
            theirs.max,
            theirs.dtype,
        )
    with pytest.raises(sh.DTypeError, match="iinfo"):
        sh.finfo(sh.int64)
    for a, b in (
        ("int64", "float32"),
        ("uint8", "int8"),
        ("bool", "int32"),
        ("float16", "float64"),
    ):
        assert (
            sh.promote_types(getattr(sh, a), getattr(sh, b)).name
            == str(torch.promote_types(getattr(torch, a), getattr(torch, b)))[6:]
        )
        assert sh.can_cast(getattr(sh, a), getattr(sh, b)) == torch.can_cast(
            getattr(torch, a), getattr(torch, b)
        )
    pairs = [([1], 1.0), ([True], 2), ([1.5], 2), ([1], True)]
    for values, number in pairs:
        assert (
            sh.result_type(sh.tensor(values), number).name
            == str(torch.result_type(torch.tensor(values), number))[6:]
        )
    assert sh.result_type(sh.tensor(1.0, dtype=sh.float64), sh.tensor([1.0])) == sh.float32
    assert (
        sh.result_type(sh.tensor([1], dtype=sh.int32), sh.tensor([1.0], dtype=sh.float16))
        == sh.float16
    )
    assert sh.isin(sh.tensor([1, 2, 3]), sh.tensor([2, 5])).tolist() == [False, True, False]
    assert sh.isin(sh.tensor([1, 2, 3]), 2, invert=True).tolist() == [True, False, True]
    assert sh.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    with pytest.raises(sh.ShapeError, match="do not broadcast"):
        sh.broadcast_shapes((2,), (3,))
    runs = np.array([[1, 1], [1, 1], [2, 3], [2, 3], [1, 1]])
    for kwargs in ({}, {"dim": 0}, {"dim": 1}):
        ours = sh.unique_consecutive(
            sh.tensor(runs), return_inverse=True, return_counts=True, **kwargs
        )
        theirs = torch.unique_consecutive(
            torch.tensor(runs), return_inverse=True, return_counts=True, **kwargs
        )
        for a, b in zip(ours, theirs):
            assert a.tolist() == b.tolist(), kwargs


def test_torchs_top_level_forms_of_functional_ops_take_torchs_arguments():
    """torch.conv2d, torch.max_pool2d, torch.cosine_similarity...: nn.functional's ops under
    torch's top-level names; torch.embedding takes the table first, torch.dropout a required
    `train`, torch.adaptive_max_pool1d returns (values, indices)."""
    from scratchish.functions import NN_FORMS

    assert all(callable(getattr(torch, name, None)) for name in NN_FORMS)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 6, 6)).astype(np.float32)
    w = rng.standard_normal((3, 4, 3, 3)).astype(np.float32)
    table = rng.standard_normal((5, 3)).astype(np.float32)
    pairs = [
        lambda lib: lib.conv2d(lib.tensor(x), lib.tensor(w), None, 1, 1),
        lambda lib: lib.max_pool2d(lib.tensor(x), 2),
        lambda lib: lib.cosine_similarity(lib.tensor(x[0, 0]), lib.tensor(x[0, 1])),
        lambda lib: lib.selu(lib.tensor(x[0, 0])),
        lambda lib: lib.layer_norm(lib.tensor(x), (6,)),
        lambda lib: lib.group_norm(lib.tensor(x), 2),
        lambda lib: lib.embedding(lib.tensor(table), lib.tensor([[1, 4], [0, 0]])),
        lambda lib: lib.dropout(lib.tensor(x), 0.5, False),
        lambda lib: lib.adaptive_max_pool1d(lib.tensor(x[0]), 4)[0],
        lambda lib: lib.adaptive_max_pool1d(lib.tensor(x[0]), 4)[1],
    ]
    for make in pairs:
        np.testing.assert_allclose(make(sh).numpy(), make(torch).numpy(), rtol=1e-5, atol=1e-6)
    dropped = sh.dropout(sh.ones(1000), 0.5, True).numpy()
    assert set(np.unique(dropped)) == {0.0, 2.0}


def test_a_0d_index_counts_as_1d_beside_a_1d_tensor_as_in_torch():
    # PyTorch's Transforms tutorial makes one-hot targets so:
    # torch.zeros(10).scatter_(0, torch.tensor(y), value=1)
    one_hot = sh.zeros(10).scatter_(0, sh.tensor(3), value=1)
    assert one_hot.tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    src = sh.tensor(5.0, requires_grad=True)
    out = sh.zeros(4).scatter(0, sh.tensor(1), src * 2)
    out.sum().backward()
    assert out.tolist() == [0, 10, 0, 0] and src.grad.item() == 2.0
    assert sh.zeros(4).scatter_add(0, sh.tensor(2), sh.tensor(7.0)).tolist() == [0, 0, 7, 0]
    picked = sh.arange(5.0).gather(0, sh.tensor(3))
    assert picked.shape == () and picked.item() == 3.0
    with pytest.raises(sh.ShapeError, match="as many dims as self"):
        sh.zeros(2, 3).scatter_(0, sh.tensor(1), value=1)  # torch refuses this too


NUMPY_KEYWORD_CASES = {
    # what: (with PyTorch's names, with NumPy's)
    "sum": (lambda x: x.sum(dim=1, keepdim=True), lambda x: x.sum(axis=1, keepdims=True)),
    "mean": (lambda x: x.mean(dim=0), lambda x: x.mean(axis=0)),
    "argmax": (lambda x: x.argmax(dim=1), lambda x: x.argmax(axis=1)),
    "max": (lambda x: x.max(dim=1).values, lambda x: x.max(axis=1).values),
    "std": (lambda x: x.std(dim=0, keepdim=True), lambda x: x.std(axis=0, keepdims=True)),
    "logsumexp": (lambda x: x.logsumexp(dim=1), lambda x: x.logsumexp(axis=1)),
    "softmax": (lambda x: x.softmax(dim=1), lambda x: x.softmax(axis=1)),
    "cumsum": (lambda x: x.cumsum(dim=0), lambda x: x.cumsum(axis=0)),
    "sh.sum": (lambda x: sh.sum(x, dim=1), lambda x: sh.sum(x, axis=1)),
    "sh.amax": (
        lambda x: sh.amax(x, dim=0, keepdim=True),
        lambda x: sh.amax(x, axis=0, keepdims=True),
    ),
}


@pytest.mark.parametrize("case", list(NUMPY_KEYWORD_CASES))
def test_numpys_axis_and_keepdims_are_dim_and_keepdim(case):
    # torch's built-in methods take NumPy's names too; d2l.ai writes y_hat.argmax(axis=1)
    with_torch_names, with_numpy_names = NUMPY_KEYWORD_CASES[case]
    x = sh.tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))
    expected = with_torch_names(x)
    got = with_numpy_names(x)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_axis_and_dim_together_is_an_error_and_python_level_methods_refuse_axis_as_torch():
    x = sh.ones(2, 3)
    with pytest.raises(sh.ArgumentError, match="both dim= and axis="):
        x.sum(dim=0, axis=1)
    with pytest.raises(TypeError):  # torch's norm is Python-level: no axis there either
        x.norm(axis=1)
    assert x.size(axis=1) == 3 and x.unsqueeze(axis=0).shape == (1, 2, 3)
