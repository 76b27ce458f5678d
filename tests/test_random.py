"""Parity tests for scratchish.random, with PyTorch's CPU generator as the oracle.

Each test seeds a scratchish Generator and a PyTorch generator alike, draws the same thing from
both and compares them: bit for bit wherever scratchish.random claims it, else to 1 ulp. Error
messages are checked by their text. Skipped when torch is not installed.
"""

import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

try:
    from scratchish import random as sr
except ImportError:  # the package is not installed yet: import it from the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from scratchish import random as sr

from helpers import numpy_calls_libm  # noqa: E402 (after the import of scratchish above)

Generator = sr.Generator

SEEDS = [0, 7, 2**40 + 3]
SIZES = [1, 5, 15, 16, 17, 33, 1000]
DTYPES = [(np.float32, torch.float32), (np.float64, torch.float64)]

# PyTorch's float32 randn of >= 16 values uses AVX2 polynomials on x86 (AVX512 machines run the
# AVX2 kernel too); scratchish reproduces those. Elsewhere PyTorch calls the C library.
AVX2 = torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")


LIBM = numpy_calls_libm()


def assert_same(ours, theirs, exact=True, maxulp=1):
    """Equal shape and dtype; equal values bit for bit if exact, else to `maxulp` ulp."""
    theirs = theirs.numpy() if hasattr(theirs, "numpy") else np.asarray(theirs)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    if exact:
        np.testing.assert_array_equal(ours, theirs)
    else:
        np.testing.assert_array_max_ulp(ours, theirs, maxulp=maxulp)


def make_pair(seed, kind):
    """(scratchish generator, torch keyword arguments), seeded alike.

    kind "global" seeds the default generators (torch.manual_seed / sr.manual_seed); kind
    "generator" makes fresh generators.
    """
    if kind == "global":
        torch.manual_seed(seed)
        return sr.manual_seed(seed), {}
    return Generator().manual_seed(seed), {"generator": torch.Generator().manual_seed(seed)}


def tensor(array):
    return torch.from_numpy(np.ascontiguousarray(array))


# ------------------------------------------------------------------------------------------------
# Floating-point draws: uniform, normal, exponential, bernoulli
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["global", "generator"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype,tdtype", DTYPES)
def test_float_draws_match_torch(kind, seed, dtype, tdtype):
    g, kw = make_pair(seed, kind)
    for n in SIZES:
        assert_same(g.uniform((n,), dtype=dtype), torch.rand(n, dtype=tdtype, **kw))
        assert_same(
            g.uniform((n,), -0.3, 2.1, dtype),
            torch.empty(n, dtype=tdtype).uniform_(-0.3, 2.1, **kw),
        )
        big_exact = n < 16 or (AVX2 if dtype == np.float32 else LIBM)
        assert_same(g.normal((n,), dtype=dtype), torch.randn(n, dtype=tdtype, **kw), big_exact)
        assert_same(
            g.normal((n,), 0.5, 2.5, dtype),
            torch.empty(n, dtype=tdtype).normal_(0.5, 2.5, **kw),
            big_exact,
        )
        # -log1p(-u) / lambd: NumPy's SIMD log1p is within 1 ulp of the C library's, and the
        # product with 1 / lambd can round that to 2 (seen on an AVX-512 machine, 2026-11-26)
        assert_same(
            g.exponential((n,), 1.7, dtype),
            torch.empty(n, dtype=tdtype).exponential_(1.7, **kw),
            LIBM,
            maxulp=2,
        )
        assert_same(
            g.bernoulli(0.3, (n,), dtype), torch.empty(n, dtype=tdtype).bernoulli_(0.3, **kw)
        )
        p = np.linspace(0, 1, n).astype(dtype)
        assert_same(g.bernoulli(p, dtype=dtype), torch.bernoulli(tensor(p), **kw))
    # both streams are still in step after all of that
    assert_same(g.uniform((3,)), torch.rand(3, **kw))


@pytest.mark.skipif(not AVX2, reason="PyTorch's float32 randn uses its AVX2 kernel only on x86")
@pytest.mark.parametrize("mean,std", [(0.1, 0.02), (0.0, 0.02), (0.0, 1.0), (-0.0, 3.0)])
def test_large_float32_randn_is_bit_exact(mean, std):
    # Rounding differences in the log/sin/cos polynomials show up in about 1 value in 2500;
    # 200k values make a mistake there visible. Mean 0 (a GPT's init) takes a shorter path.
    g, kw = make_pair(12, "generator")
    ours, theirs = g.normal((200_000,), mean, std), torch.empty(200_000).normal_(mean, std, **kw)
    assert_same(ours, theirs)
    assert (ours.view(np.int32) == theirs.numpy().view(np.int32)).all()  # -0.0 and 0.0 too


@pytest.mark.skipif(not LIBM, reason="NumPy's float64 log/sin/cos are not the C library's here")
def test_large_float64_randn_is_bit_exact():
    g, kw = make_pair(13, "generator")
    assert_same(
        g.normal((50_000,), dtype=np.float64), torch.randn(50_000, dtype=torch.float64, **kw)
    )


@pytest.mark.parametrize("mean,std", [(0.0, 2.5), (1.5, 1.0), (0.0, 0.0), (-0.0, 0.0), (0.5, 0.0)])
@pytest.mark.parametrize("dtype,tdtype", DTYPES)
def test_small_normals_match_torch_through_the_exact_shortcuts(mean, std, dtype, tdtype):
    # fewer than 16 values: fma(z, std, mean) is z * std + mean for std 1 or mean +-0, one
    # rounding; std 0 makes zeros whose sign must be PyTorch's
    g, kw = make_pair(3, "generator")
    bits = np.int32 if dtype == np.float32 else np.int64
    for n in (1, 2, 5, 15):
        ours = g.normal((n,), mean, std, dtype)
        theirs = torch.empty(n, dtype=tdtype).normal_(mean, std, **kw).numpy()
        assert_same(ours, theirs)
        assert (ours.view(bits) == theirs.view(bits)).all()  # -0.0 and 0.0 told apart


@pytest.mark.parametrize("shape", [(3, 7), (2, 3, 4), (4, 4), (0,), ()])
def test_shapes_match_torch(shape):
    g, kw = make_pair(11, "generator")
    assert_same(g.uniform(shape), torch.rand(shape, **kw))
    assert_same(g.normal(shape), torch.randn(shape, **kw), AVX2)
    assert_same(g.randint(0, 9, shape), torch.randint(0, 9, shape, **kw))


def test_uniform_rounding_up_to_high_gives_low():
    # In a range narrower than one float32 ulp most values round to `high`; PyTorch maps them
    # to `low`, and so does scratchish.
    g, kw = make_pair(3, "generator")
    ours = g.uniform((1000,), 2.5, 2.5000002)
    assert_same(ours, torch.empty(1000).uniform_(2.5, 2.5000002, **kw))
    assert (ours < np.float32(2.5000002)).all()


def test_normal_with_array_mean_and_std_matches_torch_normal():
    g, kw = make_pair(5, "generator")
    for n in [3, 20]:
        mean = np.arange(n, dtype=np.float32)
        std = np.linspace(0.1, 2.0, n).astype(np.float32)
        assert_same(g.normal((n,), mean, std), torch.normal(tensor(mean), tensor(std), **kw), AVX2)
        assert_same(g.normal((n,), mean, 0.7), torch.normal(tensor(mean), 0.7, **kw), AVX2)
        assert_same(g.normal((n,), 0.3, std), torch.normal(0.3, tensor(std), **kw), AVX2)
    mean = np.zeros((2, 3), dtype=np.float32)
    assert_same(g.normal((2, 3), mean, 1.0), torch.normal(tensor(mean), 1.0, **kw))


def test_mixed_sequence_keeps_the_spare_normal_and_the_stream_in_step():
    # randn of < 16 values keeps its spare sample (the sin of the last Box-Muller pair) for the
    # next small draw of any dtype, mean or std; large draws and other draws leave it alone.
    g, kw = make_pair(2024, "generator")
    steps = [
        (lambda: g.normal((3,)), lambda: torch.randn(3, **kw)),
        (lambda: g.uniform((20,)), lambda: torch.rand(20, **kw)),
        (lambda: g.normal((5,)), lambda: torch.randn(5, **kw)),
        (lambda: g.normal((17,)), lambda: torch.randn(17, **kw)),
        (
            lambda: g.normal((1,), 2.0, 3.0, np.float64),
            lambda: torch.empty(1, dtype=torch.float64).normal_(2.0, 3.0, **kw),
        ),
        (lambda: g.randint(0, 5, (4,)), lambda: torch.randint(0, 5, (4,), **kw)),
        (lambda: g.normal((2,)), lambda: torch.randn(2, **kw)),
        (lambda: g.randperm(7), lambda: torch.randperm(7, **kw)),
        (lambda: g.normal((1,)), lambda: torch.randn(1, **kw)),
        (lambda: g.normal((1,)), lambda: torch.randn(1, **kw)),
        (
            lambda: g.uniform((2,), dtype=np.float64),
            lambda: torch.rand(2, dtype=torch.float64, **kw),
        ),
    ]
    for ours, theirs in steps:
        assert_same(ours(), theirs(), AVX2)


# ------------------------------------------------------------------------------------------------
# Integers: randint, randperm
# ------------------------------------------------------------------------------------------------

RANGES = [
    (0, 10),
    (-5, 3),
    (7, 8),
    (0, 2**28 - 1),  # the last range drawn from 32 bits
    (0, 2**28),  # the first drawn from 64 bits
    (-(2**40), 2**40),
    (7, 2**34),
    (-(2**63), 2**63 - 1),
]


@pytest.mark.parametrize("kind", ["global", "generator"])
@pytest.mark.parametrize("seed", SEEDS)
def test_randint_matches_torch(kind, seed):
    g, kw = make_pair(seed, kind)
    for low, high in RANGES:
        for n in [1, 17, 1000]:
            assert_same(g.randint(low, high, (n,)), torch.randint(low, high, (n,), **kw))
    assert_same(g.uniform((3,)), torch.rand(3, **kw))


@pytest.mark.parametrize("kind", ["global", "generator"])
@pytest.mark.parametrize("seed", SEEDS)
def test_randperm_matches_torch(kind, seed):
    g, kw = make_pair(seed, kind)
    for n in [0, 1, 2, 5, 15, 16, 17, 33, 255, 256, 1000, 100_000]:  # below _FEW_DRAWS: a loop
        assert_same(g.randperm(n), torch.randperm(n, **kw))
    assert_same(g.uniform((3,)), torch.rand(3, **kw))


def test_vectorised_shuffles_equal_the_loops_they_replace():
    # randperm replaces PyTorch's sequential loops by array operations; compare with the loops.
    # (The inside-out loop only runs for n >= 214748364, too large for a unit test; it was
    # compared with torch.randperm(214748364) once, by hand.)
    rng = np.random.default_rng(0)
    for n in [1, 2, 3, 8, 50, 2000]:
        for _ in range(10):
            targets = np.array([rng.integers(i, n) for i in range(n - 1)], dtype=np.int64)
            perm = np.arange(n)
            for i, j in enumerate(targets):
                perm[i], perm[j] = perm[j], perm[i]
            np.testing.assert_array_equal(sr._shuffle_forward(targets, n), perm)

            picks = np.array([rng.integers(0, i + 1) for i in range(n)], dtype=np.int64)
            perm = np.empty(n, dtype=np.int64)
            for i, z in enumerate(picks):
                perm[i] = i
                perm[i] = perm[z]
                perm[z] = i
            np.testing.assert_array_equal(sr._shuffle_inside_out(picks, n), perm)


# ------------------------------------------------------------------------------------------------
# multinomial
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multinomial_matches_torch(seed, dtype):
    rng = np.random.default_rng(seed % 2**32)
    for kind in ["global", "generator"]:
        g, kw = make_pair(seed, kind)
        for shape in [(1,), (5,), (17,), (3, 7), (4, 1000)]:
            probs = (rng.random(shape) * 3).astype(dtype)  # weights need not sum to 1
            n_cat = shape[-1]
            cases = [(1, False), (min(4, n_cat), False), (n_cat, False), (1, True), (9, True)]
            for k, replacement in cases:
                ours = g.multinomial(probs, k, replacement)
                theirs = torch.multinomial(tensor(probs), k, replacement, **kw)
                assert_same(ours, theirs)
        assert_same(g.uniform((3,)), torch.rand(3, **kw))


def test_multinomial_with_zero_weights_matches_torch():
    g, kw = make_pair(1, "generator")
    probs = np.array([[0.0, 0.5, 0.0, 2.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    assert_same(g.multinomial(probs, 1), torch.multinomial(tensor(probs), 1, **kw))
    assert_same(g.multinomial(probs[0], 2), torch.multinomial(tensor(probs[0]), 2, **kw))
    assert_same(g.multinomial(probs, 50, True), torch.multinomial(tensor(probs), 50, True, **kw))


# ------------------------------------------------------------------------------------------------
# PyTorch's layer initialisations, rebuilt from Generator draws
# ------------------------------------------------------------------------------------------------


def kaiming_uniform_bound(fan_in):
    """The bound of torch.nn.init.kaiming_uniform_(a=sqrt(5)), computed as PyTorch does."""
    a = math.sqrt(5)
    gain = math.sqrt(2.0 / (1 + a**2))
    return math.sqrt(3.0) * gain / math.sqrt(fan_in)


@pytest.mark.parametrize("in_features,out_features", [(3, 2), (20, 30)])
def test_linear_init_matches_torch(in_features, out_features):
    torch.manual_seed(0)
    layer = torch.nn.Linear(in_features, out_features)
    g = Generator().manual_seed(0)
    bound = 1 / math.sqrt(in_features)  # equals the kaiming bound once rounded to float32
    assert np.float32(bound) == np.float32(kaiming_uniform_bound(in_features))
    assert_same(g.uniform((out_features, in_features), -bound, bound), layer.weight.detach())
    assert_same(g.uniform((out_features,), -bound, bound), layer.bias.detach())


def test_conv2d_init_matches_torch():
    torch.manual_seed(1)
    conv = torch.nn.Conv2d(3, 8, kernel_size=3)
    g = Generator().manual_seed(1)
    fan_in = 3 * 3 * 3
    weight_bound = kaiming_uniform_bound(fan_in)
    assert_same(g.uniform((8, 3, 3, 3), -weight_bound, weight_bound), conv.weight.detach())
    bound = 1 / math.sqrt(fan_in)
    assert_same(g.uniform((8,), -bound, bound), conv.bias.detach())


@pytest.mark.parametrize("num_embeddings,dim", [(3, 2), (10, 4), (100, 33)])
def test_embedding_init_matches_torch(num_embeddings, dim):
    torch.manual_seed(2)
    embedding = torch.nn.Embedding(num_embeddings, dim)
    g = Generator().manual_seed(2)
    assert_same(g.normal((num_embeddings, dim)), embedding.weight.detach(), AVX2)


def test_dropout_mask_is_bernoulli_of_keep_probability():
    torch.manual_seed(3)
    out = torch.nn.functional.dropout(torch.ones(100), p=0.3, training=True)
    keep = Generator().manual_seed(3).bernoulli(0.7, (100,))
    np.testing.assert_array_equal(keep != 0, out.numpy() != 0)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.9, 1.0, 1e-300, 1 - 2.0**-53, 0.123456789])
def test_bernoulli_compares_whole_numbers_as_the_uniforms_would(p, monkeypatch):
    """bernoulli(p) for a float p compares the 53-bit numbers k behind the float64 uniforms
    k / 2**53 with p * 2**53; where the first word's 21 bits equal the threshold's (one draw in
    2**21), the second word decides: those ties are made here on purpose."""
    threshold = math.ceil(p * 2.0**53)
    t_high, t_low = divmod(threshold, 2**32)
    rng = np.random.default_rng(7)
    n = 4000
    words = rng.integers(0, 2**32, 2 * n, dtype=np.uint64)
    spare = rng.integers(0, 2**11, n, dtype=np.uint64) << np.uint64(21)  # bits above the 53
    words[0 : 2 * n : 4] = (spare[::2] | np.uint64(min(t_high, 2**21 - 1))).astype(np.uint64)
    words[1 : 2 * n : 4] = (np.uint64(t_low) + rng.integers(-2, 3, n // 2)).astype(np.uint64)
    words[1 : 2 * n : 4] %= np.uint64(2**32)
    g = Generator().manual_seed(0)
    monkeypatch.setattr(g, "_words32", lambda m: words[:m].astype(np.uint32))
    k = ((words[0::2] << np.uint64(32)) | words[1::2]) & np.uint64(2**53 - 1)
    expected = k.astype(np.float64) * 2.0**-53 < p  # what the float64 uniforms give
    got = g.bernoulli(p, (n,), np.float64)
    np.testing.assert_array_equal(got, expected.astype(np.float64))
    tied = (words[0::2] & np.uint64(2**21 - 1)) == t_high
    assert tied.sum() >= (n // 2 if t_high < 2**21 else 0)  # the ties were made


def test_the_fast_words_are_the_raw_stream():
    a, b = Generator().manual_seed(5), Generator().manual_seed(5)
    for n in (10_000, 1, sr._FEW_WORDS - 1, sr._FEW_WORDS):  # raw words, or NumPy's integers
        np.testing.assert_array_equal(a._words32(n), b._random32(n).astype(np.uint32))
    np.testing.assert_array_equal(a.uniform((7,)), b.uniform((7,)))  # both streams moved on


# ------------------------------------------------------------------------------------------------
# Seeds and state
# ------------------------------------------------------------------------------------------------


def test_seeds_are_stored_as_torch_stores_them():
    assert Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721
    for seed in [0, 5, 2**32 + 5, 2**64 - 1, -1, -(2**63)]:
        g, kw = make_pair(seed, "generator")
        assert g.initial_seed() == kw["generator"].initial_seed()
        assert_same(g.uniform((4,)), torch.rand(4, **kw))
    g = Generator()
    assert g.manual_seed(np.int64(9)) is g  # NumPy integers are seeds too
    assert g.initial_seed() == 9


def test_fresh_generator_matches_fresh_torch_generator():
    assert_same(Generator().uniform((5,)), torch.rand(5, generator=torch.Generator()))


def test_seed_reseeds_with_a_new_64_bit_seed():
    g = Generator()
    first, second = g.seed(), g.seed()
    assert first != second and 0 <= second < 2**64
    assert g.initial_seed() == second
    np.testing.assert_array_equal(g.uniform((4,)), Generator().manual_seed(second).uniform((4,)))
    assert sr.seed() == sr.initial_seed() == sr.default_generator.initial_seed()


def test_default_generator_starts_from_a_random_seed_like_torch():
    # torch.initial_seed() differs from process to process (torch.Generator() does not).
    src = str(Path(sr.__file__).resolve().parents[1])
    code = (
        f"import sys; sys.path.insert(0, {src!r}); "
        "import scratchish.random as r; print(r.initial_seed())"
    )
    seeds = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(seeds) == 2


def test_module_functions_use_the_default_generator():
    assert sr.manual_seed(4) is sr.default_generator
    state = sr.get_rng_state()
    a = sr.default_generator.normal((3,))
    sr.set_rng_state(state)
    np.testing.assert_array_equal(sr.default_generator.normal((3,)), a)
    assert sr.initial_seed() == 4


@pytest.mark.parametrize("draws,spare_normal", [(0, False), (5, True), (624, False), (700, True)])
def test_state_bytes_match_torch_and_move_both_ways(draws, spare_normal):
    g, kw = make_pair(99, "generator")
    g.uniform((draws,))
    torch.rand(draws, **kw)
    if spare_normal:  # a small randn leaves a spare sample in the state
        g.normal((1,))
        torch.randn(1, **kw)
    ours, theirs = g.get_state(), kw["generator"].get_state().numpy()
    assert ours.dtype == np.uint8 and ours.shape == (5056,)
    differ = np.flatnonzero(ours != theirs)
    # Only torch's `next` word (bytes 16-23) may differ, and only after a whole number of
    # 624-word blocks, where torch ignores it.
    assert set(differ) <= (set(range(16, 24)) if draws == 624 else set())

    to_torch = torch.Generator()
    to_torch.set_state(tensor(ours))
    from_torch = Generator()
    from_torch.set_state(kw["generator"].get_state())  # a torch tensor, via its .numpy()
    expected = torch.randn(5, **kw)
    assert_same(from_torch.normal((5,)), expected)
    assert_same(g.normal((5,)), torch.randn(5, generator=to_torch))


def test_set_state_restores_draws_including_the_spare_normal():
    g = Generator().manual_seed(8)
    g.normal((1,))
    state = g.get_state()
    a = g.normal((7,))
    g.manual_seed(1)
    g.set_state(state.tobytes())
    np.testing.assert_array_equal(g.normal((7,)), a)
    assert g.initial_seed() == 8


# ------------------------------------------------------------------------------------------------
# Errors that teach
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,error,text",
    [
        (
            lambda g: g.randint(5, 3, (2,)),
            ValueError,
            "randint: high (3) must be greater than low (5)",
        ),
        (lambda g: g.randint(0, 2.5, (2,)), TypeError, "randint: high must be an integer"),
        (lambda g: g.randint(5, (3,), None), TypeError, "randint: takes (low, high, shape)"),
        (lambda g: g.randint(0, 2**63, (2,)), ValueError, "does not fit in int64"),
        (lambda g: g.randperm(-3), ValueError, "randperm: n (-3) must be >= 0"),
        (lambda g: g.randperm(4.0), TypeError, "randperm: n must be an integer"),
        (
            lambda g: g.uniform((2,), 5.0, 3.0),
            ValueError,
            "uniform: low (5.0) must be <= high (3.0)",
        ),
        (lambda g: g.uniform((2,), 0.0, np.inf), ValueError, "does not fit in float32"),
        (lambda g: g.uniform((2,), dtype=np.int64), TypeError, "dtype must be float32 or float64"),
        (lambda g: g.uniform((2, -1)), ValueError, "negative dimension"),
        (lambda g: g.uniform("3"), TypeError, "shape must be an int or a tuple of ints"),
        (lambda g: g.normal((2,), 0.0, -1.0), ValueError, "normal: std must be >= 0, got -1.0"),
        (lambda g: g.normal((2,), np.zeros(3), 1.0), ValueError, "do not broadcast"),
        (lambda g: g.exponential((2,), 0.0), ValueError, "exponential: lambd must be > 0"),
        (lambda g: g.bernoulli(1.5, (2,)), ValueError, "bernoulli: p must lie in [0, 1]"),
        (lambda g: g.bernoulli(np.full(3, 0.5), (2,)), ValueError, "does not broadcast"),
        (lambda g: g.multinomial([0.5, -0.1], 1), ValueError, "found a negative entry"),
        (lambda g: g.multinomial([0.5, np.nan], 1), ValueError, "found inf or nan"),
        (lambda g: g.multinomial([[0.0, 0.0], [1.0, 1.0]], 1), ValueError, "a row sums to zero"),
        (lambda g: g.multinomial([0.5, 0.5], 3), ValueError, "cannot draw 3 samples without"),
        (lambda g: g.multinomial([0.5, 0.5], 0, True), ValueError, "num_samples (0) must be >= 1"),
        (lambda g: g.multinomial(np.ones((2, 2, 2)), 1), ValueError, "must be 1-D or 2-D"),
        (lambda g: g.manual_seed(1.5), TypeError, "manual_seed: seed must be an integer"),
        (lambda g: g.manual_seed("3"), TypeError, "manual_seed: seed must be an integer"),
        (
            lambda g: g.manual_seed(2**64),
            ValueError,
            "manual_seed: seed 18446744073709551616 is out",
        ),
        (lambda g: g.set_state(np.zeros(10, np.uint8)), ValueError, "expected 5056 uint8 bytes"),
        (lambda g: g.set_state(np.zeros(5056, np.uint8)), ValueError, "not a valid Mersenne"),
        (lambda g: Generator("cuda"), ValueError, "device 'cuda' is not supported"),
    ],
)
def test_errors_name_the_call_and_the_value(call, error, text):
    with pytest.raises(error) as info:
        call(Generator())
    assert text in str(info.value)


# ------------------------------------------------------------------------------------------------
# The fused multiply-add emulation under everything above
# ------------------------------------------------------------------------------------------------


def round_to_float32(value):
    """The float32 nearest to a Fraction, ties to even (np.float32(float(v)) can round twice)."""
    guess = np.float32(float(value))
    candidates = [
        np.nextafter(guess, np.float32(-np.inf)),
        guess,
        np.nextafter(guess, np.float32(np.inf)),
    ]
    return min(
        candidates,
        key=lambda c: (abs(Fraction(float(c)) - value), int(np.array(c).view(np.uint32)) & 1),
    )


def exact_fma(x, w, b, dtype):
    """x * w + b in exact rational arithmetic, rounded once to dtype."""
    exact = [
        Fraction(float(a)) * Fraction(float(c)) + Fraction(float(d))
        for a, c, d in zip(x, w, b, strict=True)
    ]
    if dtype == np.float64:
        return np.array([float(v) for v in exact])  # float(Fraction) rounds correctly
    return np.array([round_to_float32(v) for v in exact], dtype=np.float32)


def test_fma_emulation_rounds_once():
    rng = np.random.default_rng(0)
    n = 2000
    for scale in [1.0, 1e-3, 1e20, 1e-30, 1e-40]:
        x, w, b = (rng.standard_normal(n) * s for s in (scale, 1.0, scale))
        np.testing.assert_array_equal(sr._fma64(x, w, b), exact_fma(x, w, b, np.float64))
        x32, w32, b32 = (v.astype(np.float32) for v in (x, w, b))
        np.testing.assert_array_equal(
            sr._fma32(x32, w32, b32), exact_fma(x32, w32, b32, np.float32)
        )


def test_fma32_avoids_double_rounding():
    # x * w + b is 2**-60 below the midpoint between b = 1 + 2**-23 and the next float32.
    # Rounded to float64 first it lands on the midpoint, and the tie then goes up (to even);
    # rounded once, it goes down to b.
    x = np.array([1 + 2**-18], np.float32)
    w = np.float32((1 - 2**-18) * 2**-24)
    b = np.float32(1 + 2**-23)
    twice = np.float32(np.float64(x[0]) * np.float64(w) + np.float64(b))
    assert twice == np.float32(1 + 2**-22)
    assert sr._fma32(x, w, b)[0] == b


def test_fma32_leaves_its_checks_to_the_caller_when_asked():
    # the case above: with `sums`, the sum is rounded twice and kept, and _any_risky says so
    x = np.array([1 + 2**-18], np.float32)
    w, b = np.float32((1 - 2**-18) * 2**-24), np.float32(1 + 2**-23)
    sums = []
    assert sr._fma32(x, w, b, sums)[0] == np.float32(1 + 2**-22)  # the double rounding
    assert len(sums) == 1 and sr._any_risky(sums)
    exact = []
    sr._fma32(np.array([1.5, -2.25], np.float32), np.float32(3), np.float32(0.5), exact)
    assert not sr._any_risky(exact)
    tiny = []  # below float32's normal range, where the float64 sum may round twice too
    sr._fma32(np.array([2.0**-70], np.float32), np.float32(2.0**-60), np.float32(0), tiny)
    assert sr._any_risky(tiny) and not sr._any_risky(exact + [np.zeros(3)])


def test_few_normals_check_their_fmas_once_and_give_the_same_numbers(monkeypatch):
    # up to _CHECK_AT_END_ROWS blocks of 16 a draw checks all its fmas' sums at the end; more
    # blocks check each fma. Both give the same numbers, also when the end check says redo.
    u = sr.Generator().manual_seed(3)._uniform01(16 * 1000, np.float32).reshape(-1, 16)
    assert len(u) > sr._CHECK_AT_END_ROWS >= 100
    checked_each = sr.Generator._box_muller_16(u, 0.0, 1.0)
    checked_at_end = np.concatenate(
        [sr.Generator._box_muller_16(u[i : i + 100], 0.0, 1.0) for i in range(0, len(u), 100)]
    )
    assert (checked_at_end.view(np.int32) == checked_each.view(np.int32)).all()
    said = []
    monkeypatch.setattr(sr, "_any_risky", lambda sums: said.append(len(sums)) or True)
    redone = sr.Generator._box_muller_16(u[:100], 0.0, 1.0)
    assert said == [16]  # the 16 fmas of the log, sin and cos, checked once, then redone
    assert (redone.view(np.int32) == checked_each[:100].view(np.int32)).all()
