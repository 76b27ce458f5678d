"""The Tensor class: dtype rules, memory sharing with NumPy, Python protocols, repr, and the
shape/selection methods, each compared with PyTorch where PyTorch defines the answer.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

import scratchish as sh

torch = pytest.importorskip("torch")


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


def assert_same(ours, theirs):
    """Same dtype, shape and values (NaNs equal) as the torch result."""
    assert _name(ours.dtype) == _name(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)


# ------------------------------------------------------------------ dtype rules
DTYPE_RULES = {
    "float32 * python float stays float32": lambda L: L.tensor([1.0, 2.0]) * 2.5,
    "float32 + python int stays float32": lambda L: L.tensor([1.0, 2.0]) + 2,
    "int / int -> float32": lambda L: L.tensor([1, 2]) / 2,
    "int / int tensor -> float32": lambda L: L.tensor([1, 2]) / L.tensor([2, 4]),
    "1 / int -> float32": lambda L: 1 / L.tensor([1, 2]),
    "int + 0.5 -> float32": lambda L: L.tensor([1, 2]) + 0.5,
    "1.5 - int -> float32": lambda L: 1.5 - L.tensor([1, 2]),
    "int * 2 stays int64": lambda L: L.tensor([1, 2]) * 2,
    "0-d float64 does not upcast float32": lambda L: (
        L.tensor([1.0]) + L.tensor(1.5, dtype=L.float64)
    ),
    "float32 + float64 -> float64": lambda L: L.tensor([1.0]) + L.tensor([1.5], dtype=L.float64),
    "int64 + float32 -> float32": lambda L: L.tensor([1, 2]) + L.tensor([0.5, 1.0]),
    "bool + int -> int64": lambda L: L.tensor([True, False]) + L.tensor([1, 2]),
    "int32 + 0-d int64 stays int32": lambda L: L.tensor([1], dtype=L.int32) + L.tensor(3),
    "float16 + float32 -> float32": lambda L: L.tensor([1.0], dtype=L.float16) + L.tensor([1.0]),
    "numpy float64 scalar is weak": lambda L: L.tensor([1.0, 2.0]) * np.float64(2.0),
    "0-d float32 * python float stays float32": lambda L: L.tensor(2.0) * 0.5,
    "float32 loss / python int stays float32": lambda L: L.tensor([1.0, 2.0]).sum() / 3,
    "exp of int -> float32": lambda L: L.tensor([0, 1]).exp(),
    "sqrt of int -> float32": lambda L: L.tensor([4, 9]).sqrt(),
    "sigmoid of int -> float32": lambda L: L.tensor([-1, 5]).sigmoid(),
    "cat int with float32 -> float32": lambda L: L.cat([L.tensor([1]), L.tensor([2.5])]),
    "int sum stays int64": lambda L: L.tensor([1, 2]).sum(),
    "bool sum -> int64": lambda L: L.tensor([True, True]).sum(),
    "int ** 2 stays int64": lambda L: L.tensor([1, 2]) ** 2,
    "int // 2 floors": lambda L: L.tensor([5, -3]) // 2,
    "float % 2 like Python": lambda L: L.tensor([5.5, -3.0]) % 2,
    "where of two floats -> float32": lambda L: L.where(L.tensor([True, False]), 1.0, 0.0),
    "comparison -> bool": lambda L: L.tensor([1, 0]) > 0.5,
    "maximum int with float": lambda L: L.maximum(L.tensor([1, 5]), L.tensor([2.5, 1.0])),
}


@pytest.mark.parametrize("rule", sorted(DTYPE_RULES))
def test_dtype_rules_match_torch(rule):
    assert_same(DTYPE_RULES[rule](sh), DTYPE_RULES[rule](torch))


def test_pyproject_asks_for_numpy_2_whose_scalar_rules_these_are():
    """The 0-d rules above hold with NumPy 2 only (NEP 50: a Python number is weak against
    0-d arrays too); NumPy 1.x made every scalar loss * 0.5 a float64. So the floor is 2."""
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert re.search(r'dependencies = \["numpy>=2[.\d]*"\]', pyproject)


def test_float32_gradients_stay_float32():
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    (x * 2.5 + np.float64(1.0)).exp().sum().backward()
    assert x.grad.dtype == sh.float32


# ------------------------------------------------------------------ NumPy interop
def test_from_numpy_and_numpy_share_memory_both_ways():
    a = np.zeros(3, dtype=np.float32)
    t = sh.from_numpy(a)
    a[0] = 5.0
    assert t[0].item() == 5.0
    t.numpy()[1] = 7.0
    assert a[1] == 7.0
    assert t.numpy() is a


def test_array_protocol_shares_memory():
    t = sh.tensor([1.0, 2.0])
    assert np.asarray(t) is t.numpy()
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(t, copy=True) is not t.numpy()
    np.testing.assert_array_equal(np.add(t, 1), [2.0, 3.0])


def test_numpy_of_tensor_requiring_grad_needs_detach():
    w = sh.tensor([1.0], requires_grad=True)
    with pytest.raises(sh.ArgumentError, match="detach"):
        w.numpy()
    assert w.detach().numpy() is w.numpy(force=True)


def test_item_tolist_and_number_conversions():
    assert sh.tensor(2.5).item() == 2.5
    assert isinstance(sh.tensor(3).item(), int)
    assert sh.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert float(sh.tensor([1.5])) == 1.5 and int(sh.tensor(7)) == 7
    assert [1, 2, 3][sh.tensor(1)] == 2  # __index__


# ------------------------------------------------------------------ repr and formatting
REPRS = [
    lambda L: L.tensor([1.0, 2.0]),
    lambda L: L.tensor([1.5, 2.25]),
    lambda L: L.tensor([1e-5, 1.0]),
    lambda L: L.tensor([1e10, 1.0]),
    lambda L: L.tensor(3),
    lambda L: L.tensor(3.5),
    lambda L: L.tensor([[1, 2], [3, 4]]),
    lambda L: L.tensor([True, False]),
    lambda L: L.zeros(2, dtype=L.float64),
    lambda L: L.tensor([1.0, 2.0], requires_grad=True),
    lambda L: L.zeros(0),
    lambda L: L.zeros(2, 0),
    lambda L: L.tensor([[0.1234567, -2.0], [3.0, 4.5]]),
    # scientific notation pads every element to one width, negatives included
    lambda L: L.tensor([3.4558e-07, -1.3032e-06, 9.0536e-07]),
    lambda L: L.tensor([1e-5, float("nan")]),
    lambda L: L.tensor([float("inf"), 1.0]),
    lambda L: L.tensor([0.0, -0.0, 0.0]),
    lambda L: L.tensor([1.0, 2000.0]),  # integral but spanning > 1000x: scientific
    # over 1000 elements: summarised, the format decided on the values shown
    lambda L: L.arange(2000, dtype=L.float32).reshape(40, 50) / 7,
    lambda L: L.cat([L.zeros(600), L.tensor([1e9]), L.ones(600)]),
    lambda L: L.arange(1500) % 3 == 0,
    lambda L: L.arange(3000).reshape(60, 50),
    lambda L: L.ones(12, 10, 10) * L.arange(10),
    # the suffix moves to a new line when it does not fit
    lambda L: L.linspace(-1, 1, 9, dtype=L.float64).requires_grad_(),
]


@pytest.mark.parametrize("k", range(len(REPRS)))
def test_repr_matches_torch(k):
    assert repr(REPRS[k](sh)) == repr(REPRS[k](torch)).replace("torch.", "scratchish.")


@pytest.mark.parametrize("seed", range(3))
def test_repr_matches_torch_on_random_tensors(seed):
    """Random shapes, scales and signs: the same text as torch, value for value."""
    rng = np.random.default_rng(seed)
    for _ in range(40):
        shape = tuple(rng.integers(1, 14, size=rng.integers(1, 4)))
        scale = 10.0 ** rng.integers(-7, 10)
        a = rng.standard_normal(shape) * scale
        for values in (a.astype(np.float32), np.round(a).astype(np.float32), np.round(a)):
            values = values.astype(np.int64) if values.dtype == np.float64 else values
            assert repr(sh.tensor(values)) == repr(torch.tensor(values)), (shape, scale)


PRINT_OPTIONS = [
    {"precision": 2, "sci_mode": False, "linewidth": 60},
    {"profile": "short"},
    {"profile": "full"},
    {"sci_mode": True},
    {"edgeitems": 1, "threshold": 5},
    {"edgeitems": 0, "threshold": 5},  # no values shown: the size instead
    {"linewidth": 140, "sci_mode": False, "edgeitems": 7},  # fast.ai's notebooks
]


@pytest.fixture
def default_print_options():
    yield
    sh.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize("options", PRINT_OPTIONS)
def test_set_printoptions_prints_as_torch_does(options, default_print_options):
    rng = np.random.default_rng(0)
    arrays = [
        np.array([1e-6, 1.5, 1e9], np.float32),
        np.arange(10, dtype=np.float32) / 3,
        np.arange(1200).reshape(30, 40),
        rng.standard_normal((3, 5, 7)).astype(np.float32) * 1e5,
        np.array([True, False] * 10),
    ]
    sh.set_printoptions(**options)
    torch.set_printoptions(**options)
    for a in arrays:
        assert repr(sh.tensor(a)) == repr(torch.tensor(a))


def test_set_printoptions_rejects_unknown_profiles_and_negative_sizes(default_print_options):
    with pytest.raises(sh.ArgumentError, match="'default', 'short', 'full'"):
        sh.set_printoptions(profile="long")
    with pytest.raises(sh.ArgumentError, match="precision must be a number >= 0, got -1"):
        sh.set_printoptions(precision=-1)


def test_repr_of_non_leaf_names_the_op():
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"


def test_format_of_0d_tensors():
    t = sh.tensor(3.14159)
    assert f"{t:.2f}" == "3.14"
    assert f"{t}" == str(t.item())  # a 0-d tensor formats as its number, as in torch
    assert f"{sh.tensor(7):>3}" == "  7"


def test_size_and_shape():
    t = sh.zeros(2, 3)
    assert t.shape == (2, 3) and t.size() == (2, 3) and t.size(-1) == 3
    assert repr(t.shape) == "scratchish.Size([2, 3])"
    assert t.shape.numel() == 6 == t.numel()
    assert len(t) == 2 and t.dim() == 2


# ------------------------------------------------------------------ (values, indices) results
def _check_values_indices(ours, theirs):
    values, indices = ours  # unpacks like a tuple
    assert_same(ours.values, theirs.values)
    assert_same(ours.indices, theirs.indices)
    assert values is ours.values and indices is ours.indices


DATA = [[3.0, 1.0, 4.0, 1.5], [5.0, 9.0, 2.0, 6.0], [5.5, 3.5, 0.5, 8.0]]


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.max(dim=1),
        lambda t: t.max(0, keepdim=True),
        lambda t: t.min(dim=-1),
        lambda t: t.min(1, True),
        lambda t: t.topk(2),
        lambda t: t.topk(2, dim=0, largest=False),
        lambda t: t.sort(),
        lambda t: t.sort(dim=0, descending=True),
    ],
)
def test_values_indices_results_match_torch(call):
    _check_values_indices(call(sh.tensor(DATA)), call(torch.tensor(DATA)))
    x = sh.tensor(DATA, requires_grad=True)  # the same with a graph recorded
    _check_values_indices(call(x), call(torch.tensor(DATA, requires_grad=True)))


# ------------------------------------------------------------------ shape methods
SHAPE_CALLS = {
    "split": lambda t: t.split(2, dim=2),
    "split_sizes": lambda t: t.split([1, 3], dim=-1),
    "chunk": lambda t: t.chunk(2, dim=1),
    "unbind": lambda t: t.unbind(1),
    "tril": lambda t: (t[0].tril(),),
    "triu_diag": lambda t: (t.triu(1),),
    "tril_neg_diag": lambda t: (t.tril(-1),),
    "repeat": lambda t: (t.repeat(2, 1, 1),),
    "repeat_more_dims": lambda t: (t.repeat(2, 1, 1, 2),),
    "expand": lambda t: (t[:, :1].expand(2, 3, 4),),
    "flatten": lambda t: (t.flatten(), t.flatten(1), t.flatten(0, 1)),
    "squeeze": lambda t: (t[:, :1].squeeze(), t[:, :1].squeeze(1), t[:, :1].squeeze(0)),
    "unsqueeze": lambda t: (t.unsqueeze(0), t.unsqueeze(-1), t.unsqueeze(2)),
    "view_minus_one": lambda t: (t.view(-1), t.view(4, -1), t.reshape(-1, 2, 3)),
    "transpose_permute": lambda t: (t.transpose(0, 1), t.permute(2, 0, 1), t.mT),
    "index": lambda t: (t[1], t[:, 1:], t[..., ::2], t[None, 0, :, -1]),
}


@pytest.mark.parametrize("name", sorted(SHAPE_CALLS))
def test_shape_methods_match_torch(name):
    ours = SHAPE_CALLS[name](sh.arange(24).reshape(2, 3, 4))
    theirs = SHAPE_CALLS[name](torch.arange(24).reshape(2, 3, 4))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert_same(o, t)


def test_flatten_of_tensors_with_an_empty_dim_matches_torch():
    """Regression: flatten wrote the joined size as -1, which NumPy cannot work out when
    another dim has size 0, so (0, 3).flatten(1) raised instead of giving (0, 3)."""
    for shape in [(0, 3), (3, 0), (2, 0, 3)]:
        for start, end in [(0, -1), (1, -1), (0, 0), (-2, -1)]:
            ours = sh.zeros(*shape).flatten(start, end)
            assert ours.shape == torch.zeros(*shape).flatten(start, end).shape, (shape, start)


VIEW_CASES = {  # (make the tensor, the shape to view it as); torch's answer decides
    "transpose to flat": (lambda L: L.arange(6.0).reshape(2, 3).T, (6,)),
    "permute, joining split dims": (
        lambda L: L.arange(24.0).reshape(2, 3, 4).permute(0, 2, 1),
        (2, 12),
    ),
    "expand to flat": (lambda L: L.arange(3.0).reshape(3, 1).expand(3, 4), (12,)),
    "column slice to flat": (lambda L: L.arange(12.0).reshape(3, 4)[:, :2], (6,)),
    "column slice, last dim split": (lambda L: L.arange(12.0).reshape(3, 4)[:, :2], (3, 2, 1)),
    "row slice to flat": (lambda L: L.arange(12.0).reshape(3, 4)[1:], (8,)),
    "transpose, sizes of one added": (lambda L: L.arange(6.0).reshape(2, 3).T, (3, 1, 2)),
    "empty transpose": (lambda L: L.zeros(0, 3).T, (0,)),
}


@pytest.mark.parametrize("name", sorted(VIEW_CASES))
def test_view_refuses_to_copy_where_torch_does(name):
    """view never copies: where a tensor's memory cannot take the new shape without a copy,
    torch raises, and so do we (NumPy's reshape would copy silently); elsewhere the view
    shares the memory, so a write through it shows in the tensor."""
    make, shape = VIEW_CASES[name]
    try:
        expected = make(torch).view(shape)
    except RuntimeError:
        with pytest.raises(
            sh.ShapeError, match=r"without copying.*reshape\(.*contiguous\(\)\.view"
        ):
            make(sh).view(shape)
        return
    x = make(sh)
    ours = x.view(shape)
    assert_same(ours, expected)
    if ours.numel():
        assert np.shares_memory(ours.numpy(), x.numpy())


def test_view_as_views_and_reshape_as_reshapes():
    x, like = sh.arange(6.0).reshape(2, 3).T, sh.zeros(6)
    with pytest.raises(sh.ShapeError, match="view"):
        x.view_as(like)
    assert_same(x.reshape_as(like), torch.arange(6.0).reshape(2, 3).T.reshape_as(torch.zeros(6)))


@pytest.mark.parametrize("op", ["reshape", "view"])
def test_a_size_below_minus_one_is_refused(op):
    """NumPy reads any negative size as -1; torch refuses all but -1."""
    with pytest.raises(RuntimeError):
        getattr(torch.arange(6), op)(-2, 3)
    with pytest.raises(sh.ShapeError, match="at most one may be -1"):
        getattr(sh.arange(6), op)(-2, 3)


@pytest.mark.parametrize("shape, dim", [((0, 3), 0), ((0, 3), 1), ((2, 0), 1), ((2, 0), 0)])
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_over_empty_tensors_matches_torch(op, shape, dim):
    """Regression: the max that keeps exp from overflowing had nothing to pick and raised;
    torch gives an empty result, or -inf for logsumexp over no elements. Backward too: an
    empty gradient (log_softmax's backward once divided by the totals it had not kept)."""
    x, tx = sh.zeros(*shape, requires_grad=True), torch.zeros(*shape, requires_grad=True)
    ours, theirs = getattr(x, op)(dim), getattr(tx, op)(dim)
    assert_same(ours, theirs)
    ours.backward(sh.ones(*ours.shape))
    theirs.backward(torch.ones(*theirs.shape))
    assert_same(x.grad, tx.grad)


def test_triu_of_minus_inf_gives_a_causal_mask():
    """Regression: triu used to multiply by a 0/1 mask, and -inf * 0 is nan."""
    assert_same(sh.full((3, 3), float("-inf")).triu(1), torch.full((3, 3), float("-inf")).triu(1))
    assert_same(sh.full((3, 3), float("inf")).tril(), torch.full((3, 3), float("inf")).tril())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_tril_and_triu_keep_bits_and_put_plus_zero(dtype):
    # Triangle keeps x's bits (nan, -inf) where kept and puts +0.0, never -0.0 (x * mask would)
    values = np.array([[-1.0, -2.0, np.nan], [np.inf, -3.0, -np.inf], [-4.0, 5.0, -6.0]])
    if dtype == np.int32:
        values = np.array([[-1, -2, 7], [8, -3, 9], [-4, 5, -6]])
    x = values.astype(dtype)
    for upper, diagonal in [(False, 0), (False, -1), (True, 1), (True, 0)]:
        keep = (np.triu if upper else np.tril)(np.ones((3, 3), bool), diagonal)
        t = sh.tensor(np.stack([x, x]), requires_grad=dtype != np.int32)  # a batch of two
        out = t.triu(diagonal) if upper else t.tril(diagonal)
        got = out.detach().numpy()
        np.testing.assert_array_equal(got, np.stack([np.where(keep, x, 0)] * 2))
        assert not np.signbit(got[:, ~keep]).any()
        if dtype != np.int32:
            out.backward(sh.ones_like(out))
            np.testing.assert_array_equal(t.grad.numpy(), np.stack([keep] * 2).astype(dtype))


def test_gather_with_an_index_smaller_than_the_input():
    """Regression: torch.gather reads only index.shape[d] entries along the other dims."""
    data = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert_same(
        sh.tensor(data).gather(1, sh.tensor([[2]])),
        torch.tensor(data).gather(1, torch.tensor([[2]])),
    )


@pytest.mark.parametrize("bad", [3, -4])
def test_gather_refuses_an_index_just_past_either_end(bad):
    # gather reads x by flat positions: index 3 of a row of 3 would be the next row's first
    x = sh.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(sh.IndexOutOfRangeError, match=f"index {bad} is out of bounds"):
        x.gather(1, sh.tensor([[0, bad], [1, 2]]))
    picked = x.gather(1, sh.tensor([[2, -3], [-1, 0]]))  # negatives count from the end
    np.testing.assert_array_equal(picked.numpy(), [[3, 1], [6, 4]])


def test_detach_and_clone():
    x = sh.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.numpy() is x.numpy(force=True)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf
    assert c.numpy(force=True) is not x.numpy(force=True)


def test_to_and_type_conversions():
    t = sh.tensor([1.5, 2.5])
    assert t.to(sh.float64).dtype == sh.float64
    assert t.to("cpu") is t and t.to(sh.float32) is t
    assert t.long().tolist() == [1, 2] and t.long().dtype == sh.int64
    assert t.double().dtype == sh.float64 and t.half().dtype == sh.float16
    assert t.bool().dtype == sh.bool
    assert t.device == sh.device("cpu") and not t.is_cuda


def test_set_printoptions_docstring_example_runs(default_print_options):
    import doctest

    import scratchish.printing

    result = doctest.testmod(scratchish.printing)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ ops without gradients
VALUES = np.array([[3.0, 0.0, -1.0, 3.0], [0.0, 2.0, 2.0, -1.0]], dtype=np.float32)
INDICES = np.array([0, 3, 1, 3, 3, 0])
NO_GRAD_CALLS = {
    "nonzero": lambda L, x: L.nonzero(x),
    "nonzero_as_tuple": lambda L, x: x.nonzero(as_tuple=True),
    "count_nonzero": lambda L, x: L.count_nonzero(x),
    "count_nonzero_dim": lambda L, x: x.count_nonzero(dim=1),
    "unique": lambda L, x: L.unique(x),
    "unique_inverse_counts": lambda L, x: x.unique(return_inverse=True, return_counts=True),
    "unique_rows": lambda L, x: L.unique(L.cat([x, x[:1]]), dim=0),
    "isclose": lambda L, x: L.isclose(x, x + 1e-6),
    "logical_ops": lambda L, x: (
        L.logical_and(x > 0, x < 3),
        L.logical_or(x > 2, x < 0),
        L.logical_xor(x > 0, x > 2),
        L.logical_not(x > 0),
    ),
    "comparisons": lambda L, x: (
        L.eq(x, 3.0),
        L.ne(x, 0.0),
        L.lt(x, 2),
        L.le(x, 2),
        L.gt(x, x.flip(1)),
        L.ge(x, 0),
    ),
    "neg_narrow_swapaxes": lambda L, x: (L.neg(x), L.narrow(x, 1, 1, 2), L.swapaxes(x, 0, 1)),
}


@pytest.mark.parametrize("name", sorted(NO_GRAD_CALLS))
def test_ops_without_gradients_match_torch(name):
    ours = NO_GRAD_CALLS[name](sh, sh.tensor(VALUES))
    theirs = NO_GRAD_CALLS[name](torch, torch.tensor(VALUES))
    ours, theirs = (r if isinstance(r, tuple) else (r,) for r in (ours, theirs))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_bincount_matches_torch_with_and_without_weights():
    w = np.linspace(0.5, 3.0, len(INDICES))
    for kwargs in ({}, {"minlength": 7}):
        ours = sh.bincount(sh.tensor(INDICES), **kwargs)
        theirs = torch.bincount(torch.tensor(INDICES), **kwargs)
        assert ours.dtype == sh.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours = sh.tensor(INDICES).bincount(sh.tensor(w))
    np.testing.assert_allclose(ours.numpy(), torch.tensor(INDICES).bincount(torch.tensor(w)))


# ------------------------------------------------------------------ more in-place ops
INPLACE = {
    "sqrt_": lambda x: x.sqrt_(),
    "exp_": lambda x: x.exp_(),
    "log_": lambda x: x.log_(),
    "abs_": lambda x: x.abs_(),
    "neg_": lambda x: x.neg_(),
    "pow_": lambda x: x.pow_(3),
    "relu_": lambda x: x.relu_(),
    "sigmoid_": lambda x: x.sigmoid_(),
    "tanh_": lambda x: x.tanh_(),
    "clamp_min_": lambda x: x.clamp_min_(0.5),
    "clamp_max_": lambda x: x.clamp_max_(0.5),
    "lerp_": lambda x: x.lerp_(x * 0 + 2, 0.25),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_more_inplace_ops_change_values_where_they_are_and_record_in_a_graph(name):
    a = np.array([[0.3, 1.2], [2.0, 0.7]])
    # no graph: the array changes where it is, so a view sees it
    x = sh.tensor(a)
    view = x[0]
    assert INPLACE[name](x) is x
    expected = INPLACE[name](torch.tensor(a)).numpy()
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(view.numpy(), expected[0], rtol=1e-12)
    # inside a graph: recorded on a non-leaf, and the gradient is torch's
    w, tw = sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = w * 1.5, tw * 1.5
    INPLACE[name](y), INPLACE[name](ty)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)


def test_inplace_op_on_a_weight_outside_no_grad_explains_what_to_do():
    w = sh.tensor([1.0, 4.0], requires_grad=True)
    with pytest.raises(sh.InPlaceError, match="no_grad"):
        w.sqrt_()
    with sh.no_grad():
        w.sqrt_()
    assert w.tolist() == [1.0, 2.0]


def test_einsum_errors_name_the_letter_and_the_fix():
    with pytest.raises(sh.ShapeError, match="letter 'j' has size 3 in operand 0 and 4 in"):
        sh.einsum("ij,jk->ik", sh.ones(2, 3), sh.ones(4, 2))
    with pytest.raises(sh.ShapeError, match="operand 0 has 2 dims .* but 3 letters"):
        sh.einsum("ijk,jk->ik", sh.ones(3, 3), sh.ones(3, 2))
    with pytest.raises(sh.ArgumentError, match="names 2 operand"):
        sh.einsum("ij,jk->ik", sh.ones(3, 3))
    with pytest.raises(sh.UnsupportedError, match="x.diagonal()"):
        sh.einsum("ii->i", sh.ones(3, 3))


RECORDED_INPLACE = {
    "fill_": lambda y, s: y.fill_(1.5),
    "fill_with_a_tensor": lambda y, s: y.fill_(s[0]),
    "zero_": lambda y, s: y.zero_(),
    "copy_": lambda y, s: y.copy_(s),
    "clamp_": lambda y, s: y.clamp_(0.5, 2.0),
}


@pytest.mark.parametrize("name", sorted(RECORDED_INPLACE))
def test_fill_copy_and_clamp_in_place_inside_a_graph_give_torchs_gradients(name):
    """They used to write into the array unrecorded: the gradient skipped them."""
    a = np.array([[0.3, -1.2], [2.0, 0.7]])
    grads = []
    for lib in (sh, torch):
        x = lib.tensor(a, requires_grad=True)
        s = lib.tensor([5.0, -3.0], requires_grad=True)
        y = x * 2
        RECORDED_INPLACE[name](y, s)
        (y * y).sum().backward()
        grads.append([y.detach().numpy()] + [t.grad.numpy() for t in (x, s) if t.grad is not None])
    assert len(grads[0]) == len(grads[1])
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_logspace_triangle_indices_and_randint_like_match_torch():
    np.testing.assert_allclose(sh.logspace(-3, 0, 4).numpy(), torch.logspace(-3, 0, 4).numpy())
    np.testing.assert_allclose(
        sh.logspace(0, 3, 4, base=2).numpy(), torch.logspace(0, 3, 4, base=2).numpy()
    )
    for args in [(3, 4, 1), (4, 3, -1), (3, 3, 0)]:
        assert sh.tril_indices(*args).tolist() == torch.tril_indices(*args).tolist()
        assert sh.triu_indices(*args).tolist() == torch.triu_indices(*args).tolist()
    sh.manual_seed(3)
    torch.manual_seed(3)
    for like, args in [((2, 3), (5,)), ((4,), (2, 9))]:
        ours = sh.randint_like(sh.zeros(*like), *args)
        theirs = torch.randint_like(torch.zeros(*like), *args)
        assert ours.dtype == sh.float32 and ours.tolist() == theirs.tolist()


def test_stride_type_as_and_argwhere_as_torch():
    x, tx = sh.zeros(2, 3), torch.zeros(2, 3)
    assert x.stride() == tx.stride() and x.t().stride(1) == tx.t().stride(1)
    assert sh.tensor([1.5, 2.0]).type_as(sh.tensor([1])).dtype == sh.int64
    grid = [[0, 1], [2, 0]]
    assert sh.argwhere(sh.tensor(grid)).tolist() == torch.argwhere(torch.tensor(grid)).tolist()


def test_scatter_builds_one_hot_rows_as_torch_and_explains_a_1d_index():
    labels = [2, 0, 1, 2]
    ours = sh.zeros(4, 3).scatter_(1, sh.tensor(labels).unsqueeze(1), 1.0)
    theirs = torch.zeros(4, 3).scatter_(1, torch.tensor(labels).unsqueeze(1), 1.0)
    assert ours.tolist() == theirs.tolist()
    with pytest.raises(sh.ShapeError, match=r"index.unsqueeze\(1\)"):
        sh.zeros(4, 3).scatter_(1, sh.tensor(labels), 1.0)
    with pytest.raises(sh.UnsupportedError, match="scatter_add"):
        sh.zeros(4, 3).scatter(1, sh.tensor(labels).unsqueeze(1), 1.0, reduce="add")


# ------------------------------------------------------------------ elementwise math, no gradient
EDGES = [-np.inf, -2.5, -1.0, -0.0, 0.0, 0.5, 2.0, np.inf, np.nan]


@pytest.mark.parametrize(
    "name",
    ["signbit", "isposinf", "isneginf", "sgn", "sign", "sinc", "deg2rad", "rad2deg", "erfc", "erf"],
)
def test_elementwise_math_at_edges_matches_torch(name):
    for dtype in ("float32", "float64"):  # erf and erfc of float64 once gave nan at inf
        x = sh.tensor(EDGES, dtype=getattr(sh, dtype))
        tx = torch.tensor(EDGES, dtype=getattr(torch, dtype))
        assert_same(getattr(sh, name)(x), getattr(torch, name)(tx))
        assert_same(getattr(x, name)(), getattr(tx, name)())


@pytest.mark.parametrize("name", ["asin", "acos", "atan", "asinh", "acosh", "atanh", "erfinv"])
def test_inverse_functions_of_ints_and_domain_edges_match_torch(name):
    ints = [[-1, 0, 1], [2, 3, 1]]
    assert_same(getattr(sh, name)(sh.tensor(ints)), getattr(torch, name)(torch.tensor(ints)))
    edges = [-1.0, -0.5, 0.0, 0.999, 1.0]
    for dtype in ("float32", "float64"):
        x = sh.tensor(edges, dtype=getattr(sh, dtype))
        tx = torch.tensor(edges, dtype=getattr(torch, dtype))
        assert_same(getattr(sh, name)(x), getattr(torch, name)(tx))


def test_erfc_keeps_its_precision_where_it_is_tiny():
    x = [3.0, 6.0, 10.0, -6.0]
    np.testing.assert_allclose(
        sh.erfc(sh.tensor(x, dtype=sh.float64)).numpy(),
        torch.erfc(torch.tensor(x, dtype=torch.float64)).numpy(),
        rtol=1e-13,
    )


BINARY_EDGES = (
    [1.0, -2.0, 0.0, -0.0, np.inf, -np.inf, np.nan, 3.0],
    [-1.0, 0.0, -0.0, 0.0, np.inf, -np.inf, 2.0, np.nan],
)


@pytest.mark.parametrize(
    "name",
    ["atan2", "hypot", "logaddexp", "logaddexp2", "copysign", "fmax", "fmin", "float_power"],
)
def test_binary_math_at_edges_matches_torch(name):
    a, b = BINARY_EDGES
    assert_same(
        getattr(sh, name)(sh.tensor(a), sh.tensor(b)),
        getattr(torch, name)(*map(torch.tensor, (a, b))),
    )
    if name in ("copysign", "float_power"):  # torch takes a number here too
        assert_same(getattr(sh.tensor(a), name)(2.0), getattr(torch.tensor(a), name)(2.0))
    else:  # torch asks for a tensor, and so does scratchish, naming the argument
        with pytest.raises(TypeError):
            getattr(torch.tensor(a), name)(2.0)
        with pytest.raises(sh.DTypeError, match=f"{name}: other must be a Tensor, got float"):
            getattr(sh.tensor(a), name)(2.0)


def test_xlogy_counts_zero_times_log_as_zero_like_torch():
    x, y = [0.0, 0.0, 0.0, 2.0, 1.0, 0.0], [0.0, -1.0, np.nan, 0.0, np.inf, 3.0]
    assert_same(sh.xlogy(sh.tensor(x), sh.tensor(y)), torch.xlogy(torch.tensor(x), torch.tensor(y)))
    assert_same(sh.xlogy(2, sh.tensor(y)), torch.xlogy(2, torch.tensor(y)))
    assert_same(sh.tensor(x).xlogy(3.0), torch.tensor(x).xlogy(3.0))


def test_logit_eps_and_heaviside_match_torch():
    p = [0.0, 0.01, 0.5, 0.99, 1.0]
    assert_same(sh.logit(sh.tensor(p)), torch.logit(torch.tensor(p)))
    assert_same(sh.tensor(p).logit(1e-6), torch.tensor(p).logit(1e-6))
    x, values = [-1.5, 0.0, 2.0, 0.0], [0.5, 0.5, 0.5, 0.25]
    assert_same(
        sh.heaviside(sh.tensor(x), sh.tensor(values)),
        torch.heaviside(torch.tensor(x), torch.tensor(values)),
    )
    with pytest.raises(sh.DTypeError, match="heaviside: self is .*float32 and values is .*int64"):
        sh.heaviside(sh.tensor(x), sh.tensor([1]))


@pytest.mark.parametrize(
    "a, b",
    [
        ([7, -7, 6, 0], [2, 2, -4, 3]),  # ints stay int64, rounded down (not towards 0)
        ([7.5, -7.5, 1.0, -0.5], [2.0, 2.0, -0.3, 4.0]),
        ([7, -7, 6, 0], 2.5),  # int tensor and a float: float32
        ([7.5, -7.5], 2),
    ],
)
def test_floor_divide_and_true_divide_match_torch(a, b):
    tb = torch.tensor(b) if isinstance(b, list) else b
    sb = sh.tensor(b) if isinstance(b, list) else b
    assert_same(sh.floor_divide(sh.tensor(a), sb), torch.floor_divide(torch.tensor(a), tb))
    assert_same(sh.tensor(a).floor_divide(sb), torch.tensor(a).floor_divide(tb))
    assert_same(sh.true_divide(sh.tensor(a), sb), torch.true_divide(torch.tensor(a), tb))
    assert_same(sh.tensor(a) // sb, torch.tensor(a) // tb)  # // is floor_divide
    if isinstance(b, list):
        assert_same(7 // sh.tensor(b), 7 // torch.tensor(b))


def test_integer_floor_division_by_zero_raises_as_torch():
    with pytest.raises(RuntimeError):
        torch.tensor([4, 5]) // torch.tensor([2, 0])
    with pytest.raises(sh.ArgumentError, match="floor_divide: integer division by zero"):
        sh.tensor([4, 5]) // sh.tensor([2, 0])
    with pytest.raises(sh.ArgumentError, match="integer division by zero"):
        7 // sh.tensor([1, 0])
    assert_same(sh.tensor([4.0, -5.0]) // 0, torch.tensor([4.0, -5.0]) // 0)  # floats: inf


def test_float_power_of_float32_gives_float64_and_its_gradient_float32_like_torch():
    x, tx = sh.tensor([1.5, 2.0], requires_grad=True), torch.tensor([1.5, 2.0], requires_grad=True)
    out, t_out = sh.float_power(x, 2), torch.float_power(tx, 2)
    assert_same(out, t_out)
    out.sum().backward()
    t_out.sum().backward()
    assert_same(x.grad, tx.grad)
    assert_same(sh.float_power(sh.tensor([2, 3]), 2), torch.float_power(torch.tensor([2, 3]), 2))


# ------------------------------------------------------------------ order statistics: indices
ORDER_INPUTS = [
    [[1.0, 3.0, 2.0, 3.0, 1.0], [4.0, -1.0, -1.0, 4.0, 4.0], [0.5, 0.5, 0.5, 0.5, 0.5]],
    [[2.0, np.nan, 1.0, -3.0], [np.nan, 5.0, np.nan, 0.0], [1.0, 2.0, 3.0, 4.0]],
    [[7, 7, 1, 2], [3, 9, 9, 3]],  # int64
]


@pytest.mark.parametrize("data", ORDER_INPUTS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_mode_cummax_cummin_values_and_indices_match_torch(data, dim):
    x, tx = sh.tensor(data), torch.tensor(data)
    for name in ("cummax", "cummin"):
        ours, theirs = getattr(sh, name)(x, dim), getattr(tx, name)(dim)
        assert_same(ours.values, theirs.values)
        assert ours.indices.tolist() == theirs.indices.tolist()
    if not np.isnan(np.asarray(data, dtype=float)).any():  # torch.mode leaves nan undefined
        for keepdim in (False, True):
            ours, theirs = sh.mode(x, dim, keepdim), torch.mode(tx, dim, keepdim)
            assert_same(ours.values, theirs.values)
            assert ours.indices.tolist() == theirs.indices.tolist()


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_of_values_with_nan_matches_torch(name):
    # median: nan wherever a nan is (at the first nan's index); nanmedian skips them
    data = [[np.nan, 3.0, np.nan, 1.0, np.nan, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]
    x, tx = sh.tensor(data), torch.tensor(data)
    for dim in (1, -1, 0):
        ours, theirs = getattr(sh, name)(x, dim), getattr(torch, name)(tx, dim)
        assert_same(ours.values, theirs.values)
        assert ours.indices.tolist() == theirs.indices.tolist()
    assert_same(getattr(x, name)(), getattr(tx, name)())
    assert_same(
        getattr(sh, name)(sh.tensor(2.5), 0)[0], getattr(torch, name)(torch.tensor(2.5), 0)[0]
    )


def test_nanmedian_kthvalue_aminmax_match_torch():
    x = torch.tensor([[2.0, np.nan, 1.0, -3.0, 0.5], [np.nan, 5.0, np.nan, 0.0, 4.0]])
    ours, theirs = sh.nanmedian(sh.tensor(x.numpy()), 1), torch.nanmedian(x, 1)
    assert_same(ours.values, theirs.values)
    assert ours.indices.tolist() == theirs.indices.tolist()
    assert_same(sh.tensor(x.numpy()).nanmedian(), x.nanmedian())
    distinct = torch.randperm(24).reshape(2, 3, 4).float()
    for k, dim in [(1, 0), (2, 1), (4, -1), (3, 2)]:
        ours = sh.kthvalue(sh.tensor(distinct.numpy()), k, dim, keepdim=True)
        theirs = torch.kthvalue(distinct, k, dim, keepdim=True)
        assert_same(ours.values, theirs.values)
        assert ours.indices.tolist() == theirs.indices.tolist()
    result = sh.aminmax(sh.tensor(distinct.numpy()), dim=1)
    assert_same(result.min, distinct.aminmax(dim=1).min)
    assert_same(result[1], torch.aminmax(distinct, dim=1)[1])


@pytest.mark.parametrize("kind", ["distinct", "ties", "ints"])
def test_kthvalue_and_median_pick_the_stable_sorts_place_without_sorting(kind):
    """_kth_smallest finds place k - 1 of a stable sort by np.partition: with ties, the
    (k - 1 - smaller)-th equal value in index order. Checked against the stable sort for
    every k and dim, the gradient going to that element only."""
    from scratchish.tensor import _kth_smallest

    rng = np.random.default_rng(5)
    shape = (6, 7, 5)
    data = {
        "distinct": rng.permutation(210).reshape(shape).astype(np.float32),
        "ties": rng.integers(0, 3, shape).astype(np.float32),
        "ints": rng.integers(-2, 2, shape),
    }[kind]
    for dim in range(3):
        order = np.argsort(data, axis=dim, kind="stable")
        for k in range(1, shape[dim] + 1):
            expected = np.take(order, [k - 1], axis=dim)
            np.testing.assert_array_equal(_kth_smallest(data, k, dim), expected)
        x = sh.tensor(data.astype(np.float32), requires_grad=True)
        values, indices = x.median(dim)
        values.sum().backward()
        middle = np.take(order, [(shape[dim] - 1) // 2], axis=dim)
        np.testing.assert_array_equal(indices.numpy(), middle.squeeze(dim))
        hit = np.zeros(shape, np.float32)
        np.put_along_axis(hit, middle, 1.0, axis=dim)
        np.testing.assert_array_equal(x.grad.numpy(), hit)
    with_nan = np.array([[1.0, np.nan, 0.0]], np.float32)
    assert _kth_smallest(with_nan, 3, 1) is None  # nan at the place asked: the caller sorts
    np.testing.assert_array_equal(_kth_smallest(with_nan, 2, 1), [[0]])  # nan sorts last


def test_nan_reductions_of_all_nan_and_ints_match_torch():
    all_nan = [[np.nan, np.nan], [1.0, np.nan]]
    for name in ("nansum", "nanmean"):
        for dim in (None, 0, 1):
            args = () if dim is None else (dim,)
            assert_same(
                getattr(sh, name)(sh.tensor(all_nan), *args),
                getattr(torch, name)(torch.tensor(all_nan), *args),
            )
    assert_same(
        sh.nansum(sh.tensor([[1, 2], [3, 4]]), 1), torch.nansum(torch.tensor([[1, 2], [3, 4]]), 1)
    )
    assert_same(
        sh.nanmedian(sh.tensor([np.nan, np.nan])), torch.nanmedian(torch.tensor([np.nan, np.nan]))
    )
    with pytest.raises(sh.DTypeError, match="nanmean: the tensor is .*int64"):
        sh.nanmean(sh.tensor([1, 2]))


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (0, False), (-1, True)])
def test_quantile_and_nanquantile_match_torch(interpolation, dim, keepdim):
    data = torch.tensor([[2.0, np.nan, 1.0, -3.0, 0.5], [1.0, 5.0, 2.5, 0.0, 4.0]])
    for q in (0.5, 0.125, torch.tensor([0.0, 0.3, 0.5, 0.7, 1.0])):
        sq = sh.tensor(q.numpy()) if isinstance(q, torch.Tensor) else q
        kwargs = {"dim": dim, "keepdim": keepdim, "interpolation": interpolation}
        for name in ("quantile", "nanquantile"):
            ours = getattr(sh, name)(sh.tensor(data.numpy()), sq, **kwargs)
            assert_same(ours, getattr(torch, name)(data, q, **kwargs))
        assert_same(
            sh.tensor(data[1].numpy()).quantile(sq, **kwargs), data[1].quantile(q, **kwargs)
        )


def test_order_statistics_explain_bad_arguments():
    x = sh.tensor([[1.0, 2.0, 3.0]])
    with pytest.raises(sh.IndexOutOfRangeError, match="kthvalue: k=4 is out of range for dim 1"):
        x.kthvalue(4)
    with pytest.raises(sh.ArgumentError, match="the 90th percentile is q=0.9"):
        sh.quantile(x, 90)
    with pytest.raises(sh.ArgumentError, match="interpolation='cubic' is not one of"):
        x.quantile(0.5, interpolation="cubic")
    with pytest.raises(sh.DTypeError, match=r"convert it first: t.float\(\).quantile\(q\)"):
        sh.tensor([1, 2]).quantile(0.5)
    with pytest.raises(sh.IndexOutOfRangeError, match="cummax: dim 2 is out of range"):
        sh.cummax(x, 2)
    empty = sh.zeros(2, 0)
    with pytest.raises(sh.IndexOutOfRangeError, match="mode: dim 1 of the tensor of shape"):
        sh.mode(empty, 1)
    with pytest.raises(sh.IndexOutOfRangeError, match="dim 1 is empty"):
        sh.kthvalue(empty, 1, 1)
    with pytest.raises(sh.ArgumentError, match="quantile: the values to take quantiles of are"):
        sh.quantile(empty, 0.5)


@pytest.mark.parametrize("name", ["kthvalue", "nanmedian", "mode", "cummax", "cummin"])
def test_order_statistics_of_a_0d_tensor_match_torch(name):
    args = {"kthvalue": (1, 0), "nanmedian": (0,)}.get(name, (0,))
    ours, theirs = (
        getattr(sh, name)(sh.tensor(2.5), *args),
        getattr(torch, name)(torch.tensor(2.5), *args),
    )
    assert_same(ours[0], theirs[0])
    assert ours[1].tolist() == theirs[1].tolist() and ours[1].ndim == theirs[1].ndim


def test_msort_and_logcumsumexp_of_minus_inf_match_torch():
    data = [[3.0, -1.0], [np.nan, 2.0], [0.5, -np.inf]]
    assert_same(sh.msort(sh.tensor(data)), torch.msort(torch.tensor(data)))
    values = [-np.inf, -np.inf, 0.0, np.inf, 1.0]
    assert_same(sh.logcumsumexp(sh.tensor(values), 0), torch.logcumsumexp(torch.tensor(values), 0))
    ints = [[1, 2], [3, 4]]
    assert_same(
        sh.logcumsumexp(sh.tensor(ints), 1), torch.logcumsumexp(torch.tensor(ints).float(), 1)
    )


# ------------------------------------------------------------------ indexing and shape
@pytest.mark.parametrize(
    "cuts, dim",
    [(3, 0), (4, 1), (1, -1), (9, 1), ([1, 5, 3, 10], 1), ([], 0), ([-2], 1), ([0, 0], 0)],
)
def test_tensor_split_matches_torch(cuts, dim):
    x, tx = sh.arange(21).reshape(3, 7), torch.arange(21).reshape(3, 7)
    ours, theirs = sh.tensor_split(x, cuts, dim), torch.tensor_split(tx, cuts, dim)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same(a, b)
    as_tensor = sh.tensor(cuts) if isinstance(cuts, int) or cuts else None
    if as_tensor is not None:  # a tensor of sections or indices works too
        assert len(x.tensor_split(as_tensor, dim)) == len(theirs)


def test_roll_rot90_diff_of_ints_bools_and_edges_match_torch():
    x, tx = sh.arange(12).reshape(3, 4), torch.arange(12).reshape(3, 4)
    for args in [(1,), (-13,), ((1, 2), (0, 1)), (2, -1), (0, 0)]:
        assert_same(sh.roll(x, *args), torch.roll(tx, *args))
    for k in (-3, -1, 0, 1, 2, 5):
        assert_same(sh.rot90(x, k), torch.rot90(tx, k))
        assert_same(x.rot90(k, [1, 0]), tx.rot90(k, [1, 0]))
    flags = [True, False, False, True, True]
    assert_same(sh.diff(sh.tensor(flags)), torch.diff(torch.tensor(flags)))
    for n in (0, 1, 2, 4, 6):  # n at least the length: an empty result
        assert_same(sh.diff(x, n), torch.diff(tx, n))
    ones = sh.ones(3, 1, dtype=sh.int64)
    assert_same(
        x.diff(dim=1, prepend=ones, append=ones * 5),
        tx.diff(dim=1, prepend=torch.ones(3, 1, dtype=torch.int64), append=torch.full((3, 1), 5)),
    )
    assert_same(sh.diff(sh.zeros(0)), torch.diff(torch.zeros(0)))


def test_unflatten_ravel_swapdims_adjoint_select_clone_match_torch():
    x, tx = sh.arange(24).reshape(2, 12), torch.arange(24).reshape(2, 12)
    assert_same(sh.unflatten(x, -1, (3, -1)), torch.unflatten(tx, -1, (3, -1)))
    assert_same(x.T.ravel(), tx.T.ravel())
    assert_same(sh.swapdims(x, 0, -1), torch.swapdims(tx, 0, -1))
    assert_same(x.swapdims(1, 0), tx.swapdims(1, 0))
    assert_same(sh.adjoint(x.reshape(2, 3, 4)), torch.adjoint(tx.reshape(2, 3, 4)))
    assert_same(sh.select(x, 1, -2), torch.select(tx, 1, -2))
    copy = sh.clone(x)
    copy[0, 0] = 99
    assert x[0, 0].item() == 0 and copy[0, 0].item() == 99
    assert_same(
        sh.index_select(x, 1, sh.tensor([5, 5, 0])),
        torch.index_select(tx, 1, torch.tensor([5, 5, 0])),
    )


def test_masked_scatter_matches_torch_and_explains_a_short_source():
    x, tx = sh.zeros(2, 3, dtype=sh.int64), torch.zeros(2, 3, dtype=torch.int64)
    mask = [[True, False, True], [False, True, True]]
    source = [[1, 2, 3], [4, 5, 6]]
    assert_same(
        sh.masked_scatter(x, sh.tensor(mask), sh.tensor(source)),
        torch.masked_scatter(tx, torch.tensor(mask), torch.tensor(source)),
    )
    row = [False, True, True]  # broadcast over the rows
    assert_same(
        x.masked_scatter(sh.tensor(row), sh.tensor(source)),
        tx.masked_scatter(torch.tensor(row), torch.tensor(source)),
    )
    with pytest.raises(sh.ShapeError, match="the mask selects 4 elements but source holds only 3"):
        x.masked_scatter(sh.tensor(mask), sh.tensor([1, 2, 3]))
    with pytest.raises(sh.DTypeError, match="masked_scatter: needs a bool mask"):
        x.masked_scatter(sh.tensor([[1, 0, 1], [0, 1, 1]]), sh.tensor(source))


SORTED = [[1.0, 3.0, 3.0, 5.0, 7.0], [-2.0, 0.0, 0.0, 4.0, 9.0]]


@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("out_int32", [False, True])
def test_searchsorted_and_bucketize_match_torch(right, out_int32):
    flags = {"right": right, "out_int32": out_int32}
    values = [[3.0, 0.0, 8.0], [0.0, -5.0, 9.0]]
    rows, t_rows = sh.tensor(SORTED), torch.tensor(SORTED)
    assert_same(  # one sorted row per row of values
        sh.searchsorted(rows, sh.tensor(values), **flags),
        torch.searchsorted(t_rows, torch.tensor(values), **flags),
    )
    assert_same(  # a 1-d sequence for values of any shape, and a single number
        sh.searchsorted(rows[0], sh.tensor(values), **flags),
        torch.searchsorted(t_rows[0], torch.tensor(values), **flags),
    )
    assert_same(sh.searchsorted(rows[1], 0.0, **flags), torch.searchsorted(t_rows[1], 0.0, **flags))
    assert_same(
        sh.bucketize(sh.tensor(values), rows[0], **flags),
        torch.bucketize(torch.tensor(values), t_rows[0], **flags),
    )
    unsorted = [4.0, 1.0, 3.0]
    order = torch.argsort(torch.tensor(unsorted))
    assert_same(
        sh.searchsorted(
            sh.tensor(unsorted),
            sh.tensor([2.0, 3.0]),
            side="right" if right else "left",
            sorter=sh.tensor(order.numpy()),
        ),
        torch.searchsorted(
            torch.tensor(unsorted),
            torch.tensor([2.0, 3.0]),
            side="right" if right else "left",
            sorter=order,
        ),
    )


def test_shape_functions_explain_bad_arguments():
    x = sh.zeros(2, 3)
    with pytest.raises(
        sh.ShapeError, match="searchsorted: sorted_sequence .* leading dims must match"
    ):
        sh.searchsorted(sh.tensor(SORTED), sh.zeros(3, 2))
    with pytest.raises(sh.ShapeError, match="bucketize: boundaries must be 1-d"):
        sh.bucketize(x, sh.tensor(SORTED))
    with pytest.raises(sh.ShapeError, match="adjoint: needs a matrix"):
        sh.adjoint(sh.zeros(3))
    with pytest.raises(sh.ArgumentError, match="roll: give one shift per dim"):
        x.roll((1, 2), 0)
    with pytest.raises(sh.ArgumentError, match="rot90: the two dims must differ"):
        x.rot90(1, (1, -1))
    with pytest.raises(sh.ArgumentError, match="tensor_split: the number of sections"):
        x.tensor_split(0)
    with pytest.raises(sh.ShapeError, match="index_select: index must be a 1-d integer tensor"):
        x.index_select(0, sh.tensor([[0, 1]]))
    with pytest.raises(sh.IndexOutOfRangeError, match="unflatten: dim 2 is out of range"):
        x.unflatten(2, (1, 3))
    with pytest.raises(sh.IndexOutOfRangeError, match="index_select: index 3 is out of range"):
        sh.index_select(x, 1, sh.tensor([0, 3]))
    with pytest.raises(sh.IndexOutOfRangeError, match="index_select: index -1 is out of range"):
        x.index_select(0, sh.tensor([-1]))
    with torch.no_grad(), pytest.raises(IndexError):  # torch refuses both too
        torch.zeros(2, 3).index_select(0, torch.tensor([-1]))


def test_function_docstring_examples_run():
    import doctest

    import scratchish.functions

    result = doctest.testmod(scratchish.functions)
    assert result.attempted >= 20 and result.failed == 0


@pytest.mark.parametrize(
    "name, changed",
    [("asin", "input"), ("atan2", "input"), ("erfinv", "result"), ("logcumsumexp", "result")],
)
def test_new_primitives_refuse_backward_after_a_saved_value_changed_as_torch(name, changed):
    calls = {
        "atan2": lambda L, y: L.atan2(y, y + 1),
        "logcumsumexp": lambda L, y: L.logcumsumexp(y, 0),
    }
    # torch's erfinv saves its input and recomputes the result; ours saves the result
    for L in (sh,) if name == "erfinv" else (sh, torch):
        y = L.tensor([0.1, 0.2], requires_grad=True) * 1
        out = calls.get(name, lambda L, y: getattr(L, name)(y))(L, y)
        with L.no_grad():
            (y if changed == "input" else out).mul_(2)
        with pytest.raises(RuntimeError):
            out.sum().backward()


def test_truncated_normal_init_with_erfinv_in_place_gives_torchs_numbers():
    # timm's trunc_normal_: uniform in [2 cdf(a) - 1, 2 cdf(b) - 1], then the inverse of the
    # normal cdf through erfinv, scaled and clamped
    def trunc_normal_(L, t, mean=0.0, std=0.02, a=-0.04, b=0.04):
        low, high = (
            (1 + math.erf(a / std / math.sqrt(2))) / 2,
            (1 + math.erf(b / std / math.sqrt(2))) / 2,
        )
        with L.no_grad():
            t.uniform_(2 * low - 1, 2 * high - 1)
            t.erfinv_()
            t.mul_(std * math.sqrt(2.0))
            t.add_(mean)
            t.clamp_(min=a, max=b)
        return t

    sh.manual_seed(7)
    torch.manual_seed(7)
    ours = trunc_normal_(sh, sh.empty(4, 5, requires_grad=True))
    theirs = trunc_normal_(torch, torch.empty(4, 5, requires_grad=True))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "name, args",
    [
        ("asin_", ()),
        ("acos_", ()),
        ("erfc_", ()),
        ("logit_", (0.1,)),
        ("sinc_", ()),
        ("deg2rad_", ()),
        ("atan2_", ("other",)),
        ("hypot_", ("other",)),
        ("copysign_", ("other",)),
        ("xlogy_", ("other",)),
        ("floor_divide_", (0.3,)),
    ],
)
def test_in_place_math_matches_torch_and_records_a_gradient_inside_a_graph(name, args):
    data, other = [0.2, -0.5, 0.7], [0.3, 0.6, -0.4]
    results = []
    for L in (sh, torch):
        values = [L.tensor(other) if a == "other" else a for a in args]
        x = L.tensor(data)
        assert getattr(x, name)(*values) is x  # in place, returns self
        leaf = L.tensor(data, requires_grad=True)
        y = leaf * 1
        getattr(y, name)(*values)
        if name != "floor_divide_":  # no gradient through a floor
            y.sum().backward()
        results.append((x, leaf.grad))
    (x, grad), (tx, t_grad) = results
    assert_same(x, tx)
    if t_grad is not None:
        assert_same(grad, t_grad)


def test_atan2_at_the_origin_has_a_zero_gradient_as_in_torch():
    y = sh.tensor([0.0, 0.0, 1.0], requires_grad=True)
    x = sh.tensor([0.0, 2.0, 0.0], requires_grad=True)
    sh.atan2(y, x).sum().backward()
    assert y.grad.tolist() == [0.0, 0.5, 0.0] and x.grad.tolist() == [0.0, 0.0, -1.0]


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_rounding_modes_match_torch_for_ints_and_floats(mode):
    for values, divisor in (([7, -7, 3, -9], 2), ([7.5, -7.5, 3.0, -0.5], -2.0)):
        ours = sh.div(sh.tensor(values), divisor, rounding_mode=mode)
        theirs = torch.div(torch.tensor(values), divisor, rounding_mode=mode)
        assert ours.tolist() == theirs.tolist() and str(ours.dtype)[-5:] == str(theirs.dtype)[-5:]
    big = np.array([2**62 + 1, -(2**62) - 1], np.int64)  # exact: no detour through floats
    assert sh.tensor(big).div(3, rounding_mode="trunc").tolist() == [
        (2**62 + 1) // 3,
        -((2**62 + 1) // 3),
    ]
    assert sh.divide(sh.tensor([7.0]), 2).tolist() == [3.5]
    with pytest.raises(sh.ArgumentError, match="rounding_mode"):
        sh.tensor([1.0]).div(2, rounding_mode="round")


def test_fmod_and_remainder_are_exact_keep_ints_and_pass_torchs_gradients():
    a = np.array([12345.6, 5.5, -7.3, 1000.7], np.float32)
    b = np.array([0.7, 0.1, 2.1, -0.3], np.float32)
    for name in ("fmod", "remainder"):
        ours = getattr(sh, name)(sh.tensor(a), sh.tensor(b))
        theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        ints = getattr(sh, name)(sh.tensor([7, -7]), 3)
        assert ints.tolist() == getattr(torch, name)(torch.tensor([7, -7]), 3).tolist()
        assert ints.dtype == sh.int64
        with pytest.raises(sh.ArgumentError, match="division by zero"):
            getattr(sh, name)(sh.tensor([7]), sh.tensor([0]))
    # % has a gradient, as torch's remainder: 1 for a, -floor(a / b) for b
    x = sh.tensor([7.5, -7.5], requires_grad=True)
    y = sh.tensor([2.0, 2.0], requires_grad=True)
    (x % y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and y.grad.tolist() == [-3.0, 4.0]
    assert (7 % sh.tensor([2, -3])).tolist() == [1, -2]


def test_shifts_and_a_number_meeting_an_int_tensor_follow_torchs_types():
    assert (sh.tensor([5, -5]) << 2).tolist() == [20, -20]
    assert (sh.tensor([5, -5]) >> 1).tolist() == [2, -3]
    with pytest.raises(sh.DTypeError, match="integer"):
        sh.tensor([1.0]) << 1
    # an int tensor with a float: the default float dtype (not the float cast to an int)
    picked = sh.where(sh.tensor([True, False]), sh.tensor([1, 2]), 0.5)
    assert picked.tolist() == [1.0, 0.5] and picked.dtype == sh.float32
    assert sh.where(sh.tensor([False]), 3, sh.tensor([True])).dtype == sh.int64
    clamped = sh.tensor([1, 5]).clamp(max=2.5)
    assert clamped.tolist() == [1.0, 2.5] and clamped.dtype == sh.float32
    assert sh.tensor([1, 5]).clamp(max=2).dtype == sh.int64


def test_a_conv_output_is_contiguous_to_the_user_as_in_torch():
    """A convolution here lays its output out channels-last in memory, for speed; to the user
    it is contiguous, as torch's is: the tutorial CNN's x.view(-1, 16 * 5 * 5) after
    conv / pool works, and is_contiguous(), stride() and the views of it are torch's."""
    from scratchish import nn
    from scratchish.nn import functional as F

    conv, pool = nn.Conv2d(3, 6, 5), nn.MaxPool2d(2, 2)
    y = pool(F.relu(conv(sh.randn(4, 3, 32, 32))))
    assert not y.array.flags.c_contiguous  # the layout scratchish chose
    flat = y.view(-1, 6 * 14 * 14)  # in the graph: the gradient goes back through it
    flat.sum().backward()
    assert conv.weight.grad is not None
    np.testing.assert_array_equal(flat.detach().numpy(), y.detach().numpy().reshape(4, -1))
    t = torch.randn(4, 6, 14, 14)
    views = {
        "itself": lambda a: a,
        "first image": lambda a: a[0],
        "two images": lambda a: a[1:3],
        "two channels": lambda a: a[:, :2],
        "one column": lambda a: a[..., 0],
        "channels last": lambda a: a.permute(0, 2, 3, 1),
        "transposed": lambda a: a.transpose(2, 3),
        "expanded": lambda a: a[:, :1].expand(4, 6, 14, 14),
        "unsqueezed": lambda a: a.unsqueeze(0),
        "viewed": lambda a: a.view(4, 6, -1),
    }
    for name, make in views.items():
        ours, theirs = make(y), make(t)
        assert ours.is_contiguous() == theirs.is_contiguous(), name
        if theirs.is_contiguous():
            assert ours.stride() == theirs.stride(), name
            assert ours.view(-1).shape == (theirs.numel(),), name
    # a transpose the user made still cannot be viewed without a copy, as in torch
    with pytest.raises(sh.ShapeError, match="reshape"):
        sh.randn(2, 3).t().view(-1)
    with pytest.raises(sh.ShapeError, match="reshape"):
        y[:, :2].view(-1)


def test_detach_and_data_keep_a_transposes_layout():
    x = sh.randn(2, 3, requires_grad=True)
    for shared in (x.t().detach(), x.t().data):
        assert not shared.is_contiguous()
        with pytest.raises(sh.ShapeError, match="reshape"):
            shared.view(-1)
    assert x.detach().is_contiguous() and x.detach().view(-1).shape == (6,)
