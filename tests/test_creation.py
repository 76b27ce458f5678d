"""Creation functions: dtypes, shapes and values equal to PyTorch's for the same call."""

from __future__ import annotations

import numpy as np
import pytest

import scratchish as sh

torch = pytest.importorskip("torch")

CALLS = {
    "tensor ints -> int64": lambda L: L.tensor([1, 2]),
    "tensor floats -> float32": lambda L: L.tensor([1.0]),
    "tensor mixed -> float32": lambda L: L.tensor([1, 2.5]),
    "tensor bool": lambda L: L.tensor([True, False]),
    "tensor scalar": lambda L: L.tensor(3.5),
    "tensor nested": lambda L: L.tensor([[1, 2], [3, 4]]),
    "tensor with dtype": lambda L: L.tensor([1, 2], dtype=L.float64),
    "tensor float64 array keeps dtype": lambda L: L.tensor(np.array([1.5, 2.5])),
    "tensor int32 array keeps dtype": lambda L: L.tensor(np.array([1, 2], dtype=np.int32)),
    "arange int": lambda L: L.arange(5),
    "arange start end step": lambda L: L.arange(1, 10, 3),
    "arange float": lambda L: L.arange(0.0, 1.0, 0.25),
    "arange float step": lambda L: L.arange(0, 2, 0.5),
    "arange negative step": lambda L: L.arange(5, 0, -2),
    "arange dtype": lambda L: L.arange(4, dtype=L.float32),
    # an integer dtype cuts float arguments to whole numbers, as torch does
    "arange int64 float start": lambda L: L.arange(-2.5, 2.5, dtype=L.int64),
    "arange int64 float end": lambda L: L.arange(0, 5.5, dtype=L.int64),
    "arange int64 float step": lambda L: L.arange(0, 10, 2.5, dtype=L.int64),
    "arange int64 counting down": lambda L: L.arange(3, -1.5, -1.5, dtype=L.int64),
    "arange int32 float step": lambda L: L.arange(0, 3, 0.5, dtype=L.int32),
    "arange uint8 float step": lambda L: L.arange(0, 3, 1.5, dtype=L.uint8),
    "full float": lambda L: L.full((2, 3), 1.5),
    "full int": lambda L: L.full((2,), 3),
    "full bool": lambda L: L.full((2,), True),
    "full dtype": lambda L: L.full((2,), 3, dtype=L.float64),
    "zeros varargs": lambda L: L.zeros(2, 3),
    "zeros tuple": lambda L: L.zeros((2, 3)),
    "zeros list": lambda L: L.zeros([2, 3]),
    "zeros int dtype": lambda L: L.zeros(2, dtype=L.int64),
    "ones": lambda L: L.ones(3, 1),
    "empty shape": lambda L: L.zeros(0, 3),
    "eye": lambda L: L.eye(3),
    "eye rectangular": lambda L: L.eye(2, 3),
    "linspace": lambda L: L.linspace(0, 1, 5),
    "linspace one step": lambda L: L.linspace(2, 3, 1),
    "zeros_like keeps dtype": lambda L: L.zeros_like(L.tensor([1, 2])),
    "ones_like with dtype": lambda L: L.ones_like(L.tensor([1, 2]), dtype=L.float32),
    "full_like": lambda L: L.full_like(L.tensor([1.0, 2.0]), 7),
    "stack": lambda L: L.stack([L.tensor([1, 2]), L.tensor([3, 4])]),
    "cat int and float": lambda L: L.cat([L.tensor([1, 2]), L.tensor([3.5])]),
    "tril function": lambda L: L.tril(L.ones(3, 3)),
    "triu function": lambda L: L.triu(L.ones(2, 3), 1),
    "zeros size=": lambda L: L.zeros(size=(2, 3)),
    "zeros size= list": lambda L: L.zeros(size=[2, 3]),
    "zeros size= empty tuple": lambda L: L.zeros(size=()),
    "zeros size= Size": lambda L: L.zeros(size=L.ones(2, 3).shape),
    "zeros size= dtype": lambda L: L.zeros(size=(2,), dtype=L.int64),
    "ones size=": lambda L: L.ones(size=(3, 1)),
    "full size= fill_value=": lambda L: L.full(size=(2, 3), fill_value=1.5),
    "full fill_value= int": lambda L: L.full((2,), fill_value=2),
    "full keywords in any order": lambda L: L.full(fill_value=True, size=(2,)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_creation_matches_torch(name):
    ours, theirs = CALLS[name](sh), CALLS[name](torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7)


def test_tensor_copies_but_as_tensor_and_from_numpy_share():
    a = np.array([1.0, 2.0], dtype=np.float32)
    copied, shared, from_np = sh.tensor(a), sh.as_tensor(a), sh.from_numpy(a)
    a[0] = 9.0
    assert copied[0].item() == 1.0
    assert shared[0].item() == 9.0 and from_np[0].item() == 9.0


def test_tensor_of_tensors_and_requires_grad():
    t = sh.tensor([sh.tensor(1.0), sh.tensor(2.0)])
    assert t.tolist() == [1.0, 2.0] and t.dtype == sh.float32
    w = sh.zeros(2, 3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    r = sh.randn(3, requires_grad=True)
    assert r.requires_grad and r.dtype == sh.float32


def test_default_dtype_can_be_changed_and_restored():
    try:
        sh.set_default_dtype(sh.float64)
        assert sh.tensor([1.0]).dtype == sh.float64
        assert sh.zeros(2).dtype == sh.float64
        assert sh.arange(0.0, 1.0, 0.5).dtype == sh.float64
    finally:
        sh.set_default_dtype(sh.float32)
    assert sh.tensor([1.0]).dtype == sh.float32


def test_random_creation_matches_torch_for_the_same_seed():
    sh.manual_seed(0)
    torch.manual_seed(0)
    np.testing.assert_array_equal(sh.randn(3, 4).numpy(), torch.randn(3, 4).numpy())
    np.testing.assert_array_equal(sh.rand(5).numpy(), torch.rand(5).numpy())


def test_size_keyword_keeps_dtype_device_and_requires_grad():
    for lib in (sh, torch):
        t = lib.empty(size=(2, 3), dtype=lib.float64, device="cpu", requires_grad=True)
        assert tuple(t.shape) == (2, 3) and t.requires_grad and t.is_leaf
        assert str(t.dtype).split(".")[-1] == "float64"
        assert lib.ones(size=(2,), requires_grad=True).requires_grad
        o = lib.empty(2, 2)
        assert lib.zeros(size=(2, 2), out=o) is o and o.sum().item() == 0


# The random factories: the same seed gives the same numbers, dtype and flags as torch, whichever
# way the size and bounds are written.
RANDOM_CALLS = {
    "rand size=": lambda L: L.rand(size=(2, 3)),
    "rand size= float64": lambda L: L.rand(size=(5,), dtype=L.float64),
    "rand size= requires_grad": lambda L: L.rand(size=(2,), requires_grad=True),
    "rand size= generator": lambda L: L.rand(size=(3,), generator=L.Generator().manual_seed(7)),
    "randn size=": lambda L: L.randn(size=(4, 5)),
    "randn size= list float64": lambda L: L.randn(size=[3], dtype=L.float64),
    "randn size= generator": lambda L: L.randn(size=(20,), generator=L.Generator().manual_seed(3)),
    "randint(high, size)": lambda L: L.randint(5, (3, 4)),
    "randint(low, high, size)": lambda L: L.randint(2, 9, (6,)),
    "randint(high=, size=)": lambda L: L.randint(high=5, size=(3,)),
    "randint(low=, high=, size=)": lambda L: L.randint(low=0, high=5, size=(3,)),
    "randint(low, high=, size=)": lambda L: L.randint(-3, high=3, size=(7,)),
    "randint(high, size=)": lambda L: L.randint(10, size=(2, 2)),
    "randint(low, high, size=)": lambda L: L.randint(1, 10, size=(4,)),
    "randint size list": lambda L: L.randint(10, [2, 3]),
    "randint size Size": lambda L: L.randint(10, L.zeros(2, 3).shape),
    "randint empty": lambda L: L.randint(10, (0,)),
    "randint high a 0-d tensor": lambda L: L.randint(0, L.tensor(7), (5,)),
    "randint range of 2**40": lambda L: L.randint(-(2**40), 2**40, size=(5,)),
    "randint int32": lambda L: L.randint(0, 1000, (9,), dtype=L.int32),
    "randint uint8 full range": lambda L: L.randint(0, 256, size=(9,), dtype=L.uint8),
    "randint bool": lambda L: L.randint(0, 2, size=(9,), dtype=L.bool),
    "randint float32 requires_grad": lambda L: L.randint(
        5, (3,), dtype=L.float32, requires_grad=True
    ),
    "randint generator": lambda L: L.randint(
        0, 100, size=(8,), generator=L.Generator().manual_seed(11)
    ),
}


@pytest.mark.parametrize("name", sorted(RANDOM_CALLS))
def test_random_creation_with_torchs_arguments_matches_torch(name):
    sh.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = RANDOM_CALLS[name](sh), RANDOM_CALLS[name](torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    # and the next draw too: both consumed the same amount of the default generator
    np.testing.assert_array_equal(sh.rand(3).numpy(), torch.rand(3).numpy())


# Calls torch refuses: scratchish refuses them too, naming the call and the fix.
REFUSED = {
    "zeros: size twice": (lambda L: L.zeros((2, 3), size=(2, 3)), "zeros: the size was given"),
    "zeros: sizes and size=": (lambda L: L.zeros(2, size=(2, 3)), "sh.zeros(size=(2, 3))"),
    "ones: sizes and size=": (lambda L: L.ones(2, 3, size=(2, 3)), "sh.ones(2, 3)"),
    "empty: sizes and size=": (lambda L: L.empty(2, size=(2,)), "empty: the size was given"),
    "rand: sizes and size=": (lambda L: L.rand(2, size=(2,)), "sh.rand(2) or sh.rand(size="),
    "randn: sizes and size=": (lambda L: L.randn(2, size=(2,)), "randn: the size was given"),
    "randint: size twice": (lambda L: L.randint(5, (3,), size=(3,)), "size was given twice"),
    "randint: high twice": (lambda L: L.randint(2, 5, high=5, size=(3,)), "high was given"),
    "randint: low twice": (lambda L: L.randint(1, low=0, high=5, size=(3,)), "low was given"),
    "randint: no high": (lambda L: L.randint(low=2, size=(3,)), "randint: no high given"),
    "randint: no size": (lambda L: L.randint(5), "randint: no size given"),
    "randint: keyword high only": (lambda L: L.randint(high=5), "randint: no size given"),
    "randint: two numbers": (lambda L: L.randint(2, 5), "randint(low, high, size)"),
    "randint: int size": (lambda L: L.randint(5, size=3), "size=(3,)"),
    "randint: int size last": (lambda L: L.randint(0, 5, 3), "size must be a tuple"),
    "randint: too many": (lambda L: L.randint(0, 5, (2,), (2,)), "randint"),
    "randint: empty range": (lambda L: L.randint(5, 2, (3,)), "randint(2, 5, size)"),
    "randint: low == high": (lambda L: L.randint(3, 3, (3,)), "must be greater than low"),
    "randint: float high": (lambda L: L.randint(5.5, (3,)), "high must be an integer"),
    "randint: too wide for uint8": (
        lambda L: L.randint(-1, 256, (3,), dtype=L.uint8),
        "does not fit in uint8",
    ),
    "randint: too wide for bool": (
        lambda L: L.randint(3, 5, (3,), dtype=L.bool),
        "does not fit in bool",
    ),
    "randint: int requires_grad": (
        lambda L: L.randint(5, (3,), requires_grad=True),
        "only floating-point tensors can require gradients",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_calls_torch_refuses_raise_a_teaching_error(name):
    call, message = REFUSED[name]
    with pytest.raises((TypeError, RuntimeError)):
        call(torch)
    with pytest.raises(sh.ScratchishError) as error:
        call(sh)
    assert isinstance(error.value, (ValueError, TypeError))  # user code's except still works
    assert message in str(error.value)


# torch.histc: counts in equal bins, min == max meaning the data's range, values outside the
# range (and NaN) not counted, max itself in the last bin, the input's float dtype.
EDGES = np.linspace(0, 1, 11)  # values that sit exactly on the edges of 10 bins in [0, 1]
RNG = np.random.default_rng(0)
NUMBERS = [1, 2, 1, 4, 5, 5]
HISTC = {  # name: (data, dtype, call)
    "range given, outside ignored": (NUMBERS, "float32", lambda L, x: L.histc(x, 4, 0, 3)),
    "data range (min=max=0)": (NUMBERS, "float32", lambda L, x: L.histc(x, bins=4)),
    "min and max on the data": (NUMBERS, "float32", lambda L, x: L.histc(x, 5, min=1, max=5)),
    "min == max != 0 uses the data": (NUMBERS, "float32", lambda L, x: L.histc(x, 2, 2, 2)),
    "only max given": (NUMBERS, "float32", lambda L, x: L.histc(x, bins=3, max=5)),
    "fractional range": (NUMBERS, "float32", lambda L, x: L.histc(x, 3, min=1.5, max=4)),
    "default 100 bins": (RNG.normal(size=500), "float32", lambda L, x: L.histc(x)),
    "edges float32": (EDGES, "float32", lambda L, x: L.histc(x, 10, 0, 1)),
    "edges float64": (EDGES, "float64", lambda L, x: L.histc(x, 10, 0, 1)),
    "all equal": ([3, 3, 3], "float32", lambda L, x: L.histc(x, bins=4)),
    "all equal, one bin": ([3, 3, 3], "float32", lambda L, x: L.histc(x, bins=1)),
    "one bin": ([-1, 0, 7, 2], "float32", lambda L, x: L.histc(x, bins=1)),
    "one bin with range": ([-1, 0, 7, 2], "float32", lambda L, x: L.histc(x, 1, 0, 2)),
    "empty": ([], "float32", lambda L, x: L.histc(x, bins=3)),
    "0-d": (2.0, "float32", lambda L, x: L.histc(x, bins=3)),
    "2-d is flattened": ([[1, 2, 3], [4, 5, 6]], "float32", lambda L, x: L.histc(x, bins=3)),
    "NaN and inf outside the range": (
        [1, np.nan, np.inf, -np.inf, 0],
        "float32",
        lambda L, x: L.histc(x, 3, 0, 2),
    ),
    "float64 normal": (RNG.normal(size=1000), "float64", lambda L, x: L.histc(x, 37, -2, 2.5)),
    "float32, many bins": (RNG.uniform(size=2000), "float32", lambda L, x: L.histc(x, 1000)),
    "float16": ([0.1, 0.2, 0.7, 0.7, 1.0], "float16", lambda L, x: L.histc(x, bins=4)),
    "range too narrow for float32": (
        [1.0, 1.0, 0.5],
        "float32",
        lambda L, x: L.histc(x, 3, min=1.0, max=1.00000001),
    ),
    "the method form": (NUMBERS, "float32", lambda L, x: x.histc(bins=4, min=0, max=3)),
    "min and max as tensors": (
        NUMBERS,
        "float32",
        lambda L, x: L.histc(x, 3, min=L.tensor(1.0), max=L.tensor(5.0)),
    ),
}


@pytest.mark.parametrize("name", sorted(HISTC))
def test_histc_matches_torch(name):
    data, dtype, call = HISTC[name]
    ours = call(sh, sh.tensor(np.asarray(data, dtype=dtype)))
    theirs = call(torch, torch.tensor(np.asarray(data, dtype=dtype)))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1] == dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_histc_has_no_gradient_and_takes_out():
    x = sh.randn(20, requires_grad=True)
    counts = sh.histc(x, bins=5)
    assert not counts.requires_grad and counts.grad_fn is None
    assert counts.sum().item() == 20
    o = sh.empty(3)
    assert sh.histc(sh.tensor([1.0, 2.0, 5.0]), 3, 1, 5, out=o) is o
    assert o.tolist() == torch.histc(torch.tensor([1.0, 2.0, 5.0]), 3, 1, 5).tolist()


def test_histc_in_float16_counts_what_overflows_float16_correctly():
    # (x - min) * bins passes float16's 65504 here: torch then miscounts the value (in bin 0),
    # scratchish counts it where float32 arithmetic puts it
    x = np.array([0.0, 100.0, 200.0, 300.0, -60000.0, 60000.0], dtype=np.float16)
    for bins in (4, 1000):
        ours = sh.histc(sh.tensor(x), bins)
        assert ours.dtype == sh.float16
        expected = torch.histc(torch.tensor(x, dtype=torch.float32), bins)
        np.testing.assert_array_equal(ours.numpy(), expected.numpy())


HISTC_REFUSED = {
    "int input": (lambda L: L.histc(L.tensor([1, 2, 3]), 3), "x.float()"),
    "no bins": (lambda L: L.histc(L.tensor([1.0]), 0), "bins must be > 0"),
    "negative bins": (lambda L: L.histc(L.tensor([1.0]), -1), "bins must be > 0"),
    "float bins": (lambda L: L.histc(L.tensor([1.0]), 2.5), "bins must be an int"),
    "min above max": (lambda L: L.histc(L.tensor([1.0]), 3, min=5, max=1), "must be below max"),
    "only min given": (lambda L: L.histc(L.tensor([1.0]), 3, min=1), "must be below max"),
    "NaN in the data range": (lambda L: L.histc(L.tensor([1.0, np.nan]), 3), "not finite"),
    "inf in the data range": (lambda L: L.histc(L.tensor([1.0, np.inf]), 3), "not finite"),
    "infinite max": (lambda L: L.histc(L.tensor([1.0]), 3, 0, np.inf), "not finite"),
}


@pytest.mark.parametrize("name", sorted(HISTC_REFUSED))
def test_histc_refuses_what_torch_refuses(name):
    call, message = HISTC_REFUSED[name]
    with pytest.raises((TypeError, RuntimeError, NotImplementedError)):
        call(torch)
    with pytest.raises(sh.ScratchishError) as error:
        call(sh)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("args", "dtype", "message"),
    [
        ((0, 5, 0.5), "int64", "arange: step=0.5 is 0 as a whole number"),
        ((0, -5, -0.5), "int64", "arange: step=-0.5 is 0 as a whole number"),
        (
            (5, 0),
            "int64",
            "arange: step=1 never gets from start=5 to end=0. To count down, give step=-1.",
        ),
        (
            (0, 5, -0.5),
            "float32",
            "arange: step=-0.5 never gets from start=0 to end=5. To count up",
        ),
    ],
)
def test_arange_refuses_what_torch_refuses(args, dtype, message):
    # sh.arange(0, 5, 0.5, dtype=sh.int64) gave 10 values (0, 0, 1, 1, ...), and a step of
    # the wrong sign gave an empty tensor; torch raises for both.
    with pytest.raises(sh.ArgumentError) as info:
        sh.arange(*args, dtype=getattr(sh, dtype))
    assert str(info.value).startswith(message)
    with pytest.raises((ValueError, RuntimeError)):
        torch.arange(*args, dtype=getattr(torch, dtype))


LINSPACE_CALLS = [
    (-3.3, 7.1, 11),  # float32 came out 1 ulp from torch here (NumPy computes in float64)
    (0.1, 0.7, 100),
    (7.1, -3.3, 11),  # counting down
    (-5.25, -1.0, 7),  # a negative range
    (-1e-3, 1e3, 77),
    (1.0 / 3.0, 2.0 / 3.0, 1001),
    (2.0, 3.0, 1),
    (2.0, 3.0, 2),
    (0.0, 0.0, 5),
    (0.0, 1.0, 0),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("args", LINSPACE_CALLS, ids=[str(c) for c in LINSPACE_CALLS])
def test_linspace_equals_torch_bit_for_bit(args, dtype):
    ours = sh.linspace(*args, dtype=getattr(sh, dtype))
    theirs = torch.linspace(*args, dtype=getattr(torch, dtype))
    assert ours.dtype == getattr(sh, dtype) and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())  # exact, not close


def test_linspace_matches_torch_on_random_ranges():
    rng = np.random.default_rng(0)
    for _ in range(200):
        start, end = rng.uniform(-100, 100, 2).tolist()
        steps = int(rng.integers(2, 300))
        for dtype in ("float32", "float64"):
            ours = sh.linspace(start, end, steps, dtype=getattr(sh, dtype)).numpy()
            theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{start}, {end}, {steps}")
    # the default dtype too
    np.testing.assert_array_equal(
        sh.linspace(-3.3, 7.1, 11).numpy(), torch.linspace(-3.3, 7.1, 11).numpy()
    )


def test_linspace_in_float16_is_close_to_torch():
    # float16 failed inside the emulated fma before 2026-11-29; now computed in float32 and
    # rounded. PyTorch's half linspace rounds differently: not bit for bit, within two
    # float16 steps of the range's largest value
    for start, end, steps in [(0, 1, 7), (-3.3, 7.1, 101), (1.0, 1000.0, 33)]:
        ours = sh.linspace(start, end, steps, dtype=sh.float16).numpy()
        theirs = torch.linspace(start, end, steps, dtype=torch.float16).numpy()
        assert ours.dtype == np.float16 and ours[0] == theirs[0] and ours[-1] == theirs[-1]
        spacing = np.spacing(np.float16(max(abs(start), abs(end))))
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=2 * spacing)


def test_the_fused_multiply_add_behind_linspace_rounds_once():
    from fractions import Fraction

    from scratchish.creation import _fma

    rng = np.random.default_rng(5)
    a = rng.integers(-5000, 5000, 2000).astype(np.float64)
    b = rng.uniform(-1, 1, 2000) * 2.0 ** rng.integers(-20, 20, 2000)
    # c nearly cancels a * b, where rounding the product first would lose the answer
    c = -(a * b) + rng.uniform(-1, 1, 2000) * np.abs(a * b) * 2.0**-50
    exact = [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c)]
    np.testing.assert_array_equal(_fma(a, b, c), exact)
    assert not np.array_equal(a * b + c, exact)  # the unfused sum differs
