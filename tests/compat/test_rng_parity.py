"""Same seed, same numbers as PyTorch (issue 11, point 4), at the tensor API a course uses:
`sh.rand`, `randn`, `randint`, `randperm`, `normal`, `Tensor.normal_` / `uniform_` /
`bernoulli_` / `exponential_`, `multinomial` and `bernoulli` (function and method), seeded with
`manual_seed` or with a `Generator` passed as `generator=`, at sizes below and above 16 (randn
changes algorithm at 16) and for several seeds; then layer initialisations and the DataLoader's
shuffle written with torch's names under the import hook.

tests/test_random.py checks the NumPy-level generator (random.py) behind these; tests/nn and
tests/data check layers and loaders built with scratchish's names. Here the tensors themselves
are compared: values, dtype and shape, and the stream position after every call.
"""

import importlib

import numpy as np
import pytest

import scratchish as sh

torch = pytest.importorskip("torch")

SEEDS = [0, 1, 42, 2147483647]
SIZES = [1, 5, 15, 16, 17, 32, 100]  # randn: pairs below 16 values, blocks of 16 from 16 on
KINDS = ["manual_seed", "generator"]


def seeded(kind, seed):
    """Keyword arguments for scratchish and for torch, seeded alike: {} after seeding the
    global generators, or a fresh Generator each as generator=."""
    if kind == "manual_seed":
        sh.manual_seed(seed)
        torch.manual_seed(seed)
        return {}, {}
    return (
        {"generator": sh.Generator().manual_seed(seed)},
        {"generator": torch.Generator().manual_seed(seed)},
    )


def assert_same(ours, theirs, max_ulp=0):
    """The same dtype, shape and values (bit for bit, or within max_ulp units in the last
    place: float32 randn of 16+ values may differ by 1 ulp on CPUs without AVX2)."""
    assert isinstance(ours, sh.Tensor), type(ours)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    if max_ulp:
        np.testing.assert_array_max_ulp(ours.numpy(), theirs.numpy(), maxulp=max_ulp)
    else:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def assert_in_step(kw, tkw):
    """Both streams are at the same place: the next draws agree."""
    assert_same(sh.rand(3, **kw), torch.rand(3, **tkw))


def ulp(n):
    return 0 if n < 16 else 1


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_rand(kind, seed):
    kw, tkw = seeded(kind, seed)
    for n in SIZES:
        assert_same(sh.rand(n, **kw), torch.rand(n, **tkw))
    assert_same(sh.rand(3, 7, **kw), torch.rand(3, 7, **tkw))
    assert_same(sh.rand((2, 9), **kw), torch.rand((2, 9), **tkw))
    assert_same(sh.rand(20, dtype=sh.float64, **kw), torch.rand(20, dtype=torch.float64, **tkw))
    assert_in_step(kw, tkw)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_randn(kind, seed):
    kw, tkw = seeded(kind, seed)
    for n in SIZES:
        assert_same(sh.randn(n, **kw), torch.randn(n, **tkw), ulp(n))
    assert_same(sh.randn((), **kw), torch.randn((), **tkw))
    assert_same(sh.randn(4, 8, **kw), torch.randn(4, 8, **tkw), 1)
    assert_same(sh.randn((27, 10), **kw), torch.randn((27, 10), **tkw), 1)  # makemore's C
    for n in [3, 40]:
        ours = sh.randn(n, dtype=sh.float64, **kw)
        assert_same(ours, torch.randn(n, dtype=torch.float64, **tkw), ulp(n))
    assert_in_step(kw, tkw)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_randint(kind, seed):
    kw, tkw = seeded(kind, seed)
    for n in SIZES:
        assert_same(sh.randint(0, 27, (n,), **kw), torch.randint(0, 27, (n,), **tkw))
    assert_same(sh.randint(10, (20,), **kw), torch.randint(10, (20,), **tkw))  # randint(high,)
    assert_same(sh.randint(-3, 3, (2, 9), **kw), torch.randint(-3, 3, (2, 9), **tkw))
    assert_same(
        sh.randint(0, 1000, (33,), dtype=sh.int32, **kw),
        torch.randint(0, 1000, (33,), dtype=torch.int32, **tkw),
    )
    assert_same(
        sh.randint(low=2, high=5, size=(4,), **kw), torch.randint(low=2, high=5, size=(4,), **tkw)
    )
    # ranges of 2**28 and more draw 64 bits per value
    assert_same(sh.randint(0, 2**30, (17,), **kw), torch.randint(0, 2**30, (17,), **tkw))
    assert_same(
        sh.randint(-(2**40), 2**40, (3,), **kw), torch.randint(-(2**40), 2**40, (3,), **tkw)
    )
    # makemore's minibatch: indices into a training set
    n_train = 1110
    assert_same(sh.randint(0, n_train, (32,), **kw), torch.randint(0, n_train, (32,), **tkw))
    assert_in_step(kw, tkw)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_randperm(kind, seed):
    kw, tkw = seeded(kind, seed)
    for n in [0, *SIZES, 1000]:
        assert_same(sh.randperm(n, **kw), torch.randperm(n, **tkw))
    assert_same(sh.randperm(17, dtype=sh.int32, **kw), torch.randperm(17, dtype=torch.int32, **tkw))
    assert_in_step(kw, tkw)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_normal_with_numbers_and_tensors(kind, seed):
    kw, tkw = seeded(kind, seed)
    for n in SIZES:
        assert_same(sh.normal(2.0, 3.0, (n,), **kw), torch.normal(2.0, 3.0, (n,), **tkw), ulp(n))
        mean, std = np.arange(n, dtype=np.float32), np.linspace(0.1, 2, n, dtype=np.float32)
        ours = sh.normal(sh.tensor(mean), 0.5, **kw)
        assert_same(ours, torch.normal(torch.tensor(mean), 0.5, **tkw), ulp(n))
        ours = sh.normal(1.0, sh.tensor(std), **kw)
        assert_same(ours, torch.normal(1.0, torch.tensor(std), **tkw), ulp(n))
        ours = sh.normal(sh.tensor(mean), sh.tensor(std), **kw)
        assert_same(ours, torch.normal(torch.tensor(mean), torch.tensor(std), **tkw), ulp(n))
    mean = np.zeros((2, 3))  # float64 means give float64 samples
    assert_same(sh.normal(sh.tensor(mean), 1.0, **kw), torch.normal(torch.tensor(mean), 1.0, **tkw))
    assert_in_step(kw, tkw)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_normal_and_uniform_in_place(kind, seed):
    kw, tkw = seeded(kind, seed)
    for dtype, tdtype in [(sh.float32, torch.float32), (sh.float64, torch.float64)]:
        for n in SIZES:
            ours, theirs = sh.empty(n, dtype=dtype), torch.empty(n, dtype=tdtype)
            assert ours.normal_(0.5, 2.0, **kw) is ours
            theirs.normal_(0.5, 2.0, **tkw)
            assert_same(ours, theirs, ulp(n))
            assert ours.uniform_(-1.0, 1.0, **kw) is ours
            theirs.uniform_(-1.0, 1.0, **tkw)
            assert_same(ours, theirs)
        ours, theirs = sh.empty(3, 4, dtype=dtype), torch.empty(3, 4, dtype=tdtype)
        assert_same(ours.normal_(**kw), theirs.normal_(**tkw))  # defaults: mean 0, std 1
        assert_same(ours.uniform_(**kw), theirs.uniform_(**tkw))  # defaults: [0, 1)
    assert_in_step(kw, tkw)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_multinomial_function_and_method(kind, seed):
    kw, tkw = seeded(kind, seed)
    rng = np.random.default_rng(seed)
    for n in SIZES:
        weights = rng.random(n).astype(np.float32)
        ours, theirs = sh.tensor(weights), torch.tensor(weights)
        assert_same(sh.multinomial(ours, 1, **kw), torch.multinomial(theirs, 1, **tkw))
        k = min(n, 5)
        assert_same(ours.multinomial(k, **kw), theirs.multinomial(k, **tkw))
        assert_same(
            ours.multinomial(20, replacement=True, **kw),
            theirs.multinomial(20, replacement=True, **tkw),
        )
    # rows of softmax probabilities, as a language model samples them
    logits = rng.standard_normal((4, 27)).astype(np.float32)
    probs, tprobs = sh.tensor(logits).softmax(-1), torch.tensor(logits).softmax(-1)
    assert_same(
        sh.multinomial(probs, num_samples=1, **kw), torch.multinomial(tprobs, num_samples=1, **tkw)
    )
    assert_same(
        sh.multinomial(probs, 3, replacement=True, **kw),
        torch.multinomial(tprobs, 3, replacement=True, **tkw),
    )
    assert_in_step(kw, tkw)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_bernoulli_and_exponential(kind, seed):
    kw, tkw = seeded(kind, seed)
    for n in SIZES:
        p = np.linspace(0, 1, n, dtype=np.float32)
        assert_same(sh.bernoulli(sh.tensor(p), **kw), torch.bernoulli(torch.tensor(p), **tkw))
        assert_same(sh.tensor(p).bernoulli(**kw), torch.tensor(p).bernoulli(**tkw))
        ours, theirs = sh.empty(n), torch.empty(n)
        assert ours.bernoulli_(0.3, **kw) is ours
        assert_same(ours, theirs.bernoulli_(0.3, **tkw))
        p64 = np.linspace(0, 1, n)
        assert_same(sh.bernoulli(sh.tensor(p64), **kw), torch.bernoulli(torch.tensor(p64), **tkw))
    ours, theirs = sh.empty(20), torch.empty(20)
    assert ours.exponential_(1.5, **kw) is ours
    assert_same(ours, theirs.exponential_(1.5, **tkw))
    assert_in_step(kw, tkw)


def test_a_generator_leaves_the_global_stream_alone():
    sh.manual_seed(5)
    torch.manual_seed(5)
    g, tg = sh.Generator().manual_seed(6), torch.Generator().manual_seed(6)
    assert_same(sh.randn(3), torch.randn(3))  # leaves a spare normal in the global state
    assert_same(sh.randn(5, generator=g), torch.randn(5, generator=tg))
    assert_same(sh.randint(0, 9, (4,), generator=g), torch.randint(0, 9, (4,), generator=tg))
    assert_same(sh.randn(1), torch.randn(1))  # the global spare, untouched by g
    assert_same(sh.randperm(20), torch.randperm(20))
    assert_same(sh.rand(2, generator=g), torch.rand(2, generator=tg))
    # manual_seed returns the default generator, which can be passed on
    assert_same(
        sh.rand(4, generator=sh.manual_seed(3)), torch.rand(4, generator=torch.manual_seed(3))
    )


# ---------------------------------------------------------------------------------------------
# Course code written with torch's names, run under the import hook
# ---------------------------------------------------------------------------------------------


def test_manual_seed_0_linear_3_2_gives_pytorchs_weights():
    torch.manual_seed(0)
    theirs = torch.nn.Linear(3, 2)
    with sh.as_torch() as fake_torch:
        fake_torch.manual_seed(0)
        ours = fake_torch.nn.Linear(3, 2)
    assert_same(ours.weight.detach(), theirs.weight.detach())
    assert_same(ours.bias.detach(), theirs.bias.detach())
    # the numbers a learner sees on the lecturer's screen (torch 2.x, CPU)
    np.testing.assert_allclose(
        ours.weight.detach().numpy(),
        [[-0.0043, 0.3097, -0.4752], [-0.4249, -0.2224, 0.1548]],
        atol=5e-5,
    )


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_default_conv2d_and_embedding_weights_under_the_hook(seed):
    torch.manual_seed(seed)
    theirs = [
        torch.nn.Conv2d(1, 2, 2),  # 8 weights: fewer than 16
        torch.nn.Conv2d(3, 8, 3),
        torch.nn.Embedding(3, 2),  # 6 normals: the pairwise path
        torch.nn.Embedding(27, 10),  # 270 normals: blocks of 16
    ]
    after = torch.rand(3)
    with sh.as_torch() as fake_torch:
        fake_torch.manual_seed(seed)
        nn = fake_torch.nn
        ours = [nn.Conv2d(1, 2, 2), nn.Conv2d(3, 8, 3), nn.Embedding(3, 2), nn.Embedding(27, 10)]
        assert_same(fake_torch.rand(3), after)
    for layer, twin in zip(ours, theirs):
        for p, tp in zip(layer.parameters(), twin.parameters()):
            assert_same(p.detach(), tp.detach(), max_ulp=1)


@pytest.mark.parametrize("seed", [0, 7])
def test_dataloader_shuffle_with_a_generator_under_the_hook(seed):
    def batches(t):
        from_data = t.utils.data
        ds = from_data.TensorDataset(t.arange(40), t.arange(40) * 10)
        loader = from_data.DataLoader(
            ds, batch_size=16, shuffle=True, generator=t.Generator().manual_seed(seed)
        )
        return [[xb.tolist() for xb, _ in loader] for _ in range(2)]

    expected = batches(torch)
    with sh.as_torch() as fake_torch:
        loaded = importlib.import_module("torch.utils.data")  # as `import torch.utils.data`
        assert loaded is fake_torch.utils.data
        assert batches(fake_torch) == expected
