"""scratchish's threads (_threads.py): parallel_for splits work between threads and gives the
same numbers as one thread; set_num_threads; OpenBLAS's spin shortened at import."""

import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import scratchish as sh
from scratchish import _threads
from scratchish._threads import parallel_for

F = sh.nn.functional


@pytest.fixture
def threads():
    """Run the test with 2 threads (what the project's machine has), then restore."""
    before = sh.get_num_threads()
    sh.set_num_threads(2)
    yield
    sh.set_num_threads(before)


def _record(parts):
    def fn(start, stop):
        parts.append((start, stop, threading.get_ident()))

    return fn


def test_parts_cover_the_range_once_on_distinct_threads(threads):
    parts = []
    parallel_for(_record(parts), 100_003, grain=1_000)
    spans = sorted((a, b) for a, b, _ in parts)
    assert len(parts) == 2
    assert spans[0][0] == 0 and spans[-1][1] == 100_003
    assert spans[0][1] == spans[1][0]  # contiguous, no gap, no overlap
    assert spans[1][0] % _threads.ALIGN == 0  # a part starts on a cache line
    idents = {ident for _, _, ident in parts}
    assert threading.get_ident() in idents and len(idents) == 2


@pytest.mark.parametrize("one, split, factor", [(1.0, 0.55, 1), (1.0, 0.95, 2), (1.0, 1.3, 2)])
def test_value_grain_doubles_where_a_split_did_not_pay(one, split, factor, threads, monkeypatch):
    measured = []

    def timed(n):
        measured.append(n)
        return one, split

    monkeypatch.setattr(_threads, "_grain_factor", None)
    monkeypatch.setattr(_threads, "_time_split", timed)
    grain = _threads.PARALLEL_GRAIN
    assert _threads.value_grain(2 * grain - 1) == grain  # too small to split: not measured
    assert measured == []
    assert _threads.value_grain(10 * grain) == factor * grain
    assert _threads.value_grain(10 * grain) == factor * grain
    assert measured == [2 * grain]  # once per process
    parts = []
    parallel_rows = _threads.parallel_rows
    parallel_rows(lambda r: parts.append(r), np.zeros((3, grain)))  # the default grain
    assert len(parts) == (2 if factor == 1 else 1)  # 3 * PARALLEL_GRAIN values


def test_value_grain_is_not_measured_inside_a_part(threads, monkeypatch):
    """Inside a part parallel_for runs everything on one thread: a split timed there would
    always look slow, so nothing is measured (and nothing decided) until outside."""
    monkeypatch.setattr(_threads, "_grain_factor", None)
    monkeypatch.setattr(_threads, "_time_split", lambda n: pytest.fail("measured"))
    seen = []
    parallel_for(lambda a, b: seen.append(_threads.value_grain(1 << 20)), 1 << 20, 1 << 16)
    assert seen == [_threads.PARALLEL_GRAIN] * 2 and _threads._grain_factor is None


def test_value_grain_is_not_measured_with_one_thread(monkeypatch):
    monkeypatch.setattr(_threads, "_grain_factor", None)
    monkeypatch.setattr(_threads, "_time_split", lambda n: pytest.fail("measured"))
    before = sh.get_num_threads()
    try:
        sh.set_num_threads(1)
        assert _threads.value_grain(1 << 30) == _threads.PARALLEL_GRAIN
    finally:
        sh.set_num_threads(before)
    assert _threads._grain_factor is None


def test_the_split_is_timed_on_one_thread_and_on_two(threads, monkeypatch):
    callers = set()
    _spy(monkeypatch, _threads, "_part", callers)  # parallel_for runs each part through it
    one, split = _threads._time_split(1 << 14, repeats=3)
    assert 0 < one < 1 and 0 < split < 1
    assert len(callers) == 2  # the split ran on a helper too


def test_small_ranges_and_one_thread_run_in_the_callers_thread(threads):
    parts = []
    parallel_for(_record(parts), 1_999, grain=1_000)  # fewer than two grains
    assert parts == [(0, 1_999, threading.get_ident())]
    sh.set_num_threads(1)
    parts.clear()
    parallel_for(_record(parts), 10**6, grain=10)
    assert parts == [(0, 10**6, threading.get_ident())]
    assert sh.get_num_threads() == 1


def test_a_part_that_calls_parallel_for_runs_it_alone(threads):
    inner = []

    def outer(start, stop):
        parallel_for(_record(inner), stop - start, grain=1)

    parallel_for(outer, 1_000, grain=100)
    # each outer part ran its inner call whole, in its own thread: no nested hand-over
    assert sorted((a, b) for a, b, _ in inner) == [(0, 496), (0, 504)]
    assert len({ident for _, _, ident in inner}) == 2


def test_a_part_no_helper_has_started_is_done_by_the_caller(threads):
    """A helper that is late (here: busy with other work) does not hold the caller up: the
    caller takes back the part the helper has not started."""
    release = threading.Event()
    blocker = _threads._helpers().submit(release.wait, 30)  # the only helper is busy
    try:
        parts = []
        parallel_for(_record(parts), 10_000, grain=1_000)
        assert sorted((a, b) for a, b, _ in parts) == [(0, 4_992), (4_992, 10_000)]
        assert {ident for _, _, ident in parts} == {threading.get_ident()}
    finally:
        release.set()
        blocker.result(timeout=30)


def test_an_error_in_a_helper_is_raised_after_every_part_finished(threads):
    out = np.zeros(10_000)

    def fn(start, stop):
        out[start:stop] = 1
        if start > 0:
            raise KeyError("in the helper's part")

    with pytest.raises(KeyError, match="helper"):
        parallel_for(fn, out.size, grain=1_000)
    assert out.all()

    started = threading.Event()

    def first_fails(start, stop):
        if start == 0:
            assert started.wait(timeout=30)  # fail while the helper is inside its part
            raise ValueError("in the caller's part")
        started.set()
        time.sleep(0.05)
        out[start:stop] = 2

    with pytest.raises(ValueError, match="caller"):
        parallel_for(first_fails, out.size, grain=1_000)
    assert (out[4_992:] == 2).all()  # the helper's part was done before the error came back


def test_numpy_error_settings_hold_in_the_helpers_part(threads):
    x = np.zeros(10_000)

    def divide(start, stop):
        np.divide(1.0, x[start:stop])

    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            parallel_for(lambda a, b: divide(a, b) if a > 0 else None, x.size, grain=1_000)
    with np.errstate(divide="ignore"):
        parallel_for(divide, x.size, grain=1_000)  # no warning, no error


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "2", None])
def test_set_num_threads_names_a_bad_count(bad):
    before = sh.get_num_threads()
    with pytest.raises(sh.errors.ArgumentError, match="set_num_threads") as info:
        sh.set_num_threads(bad)
    assert repr(bad) in str(info.value) and "try set_num_threads(" in str(info.value)
    assert sh.get_num_threads() == before


def _blas_threads() -> int:
    from threadpoolctl import threadpool_info

    return max(i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openblas")


def test_set_num_threads_sets_openblas_threads_too(threads):
    pytest.importorskip("threadpoolctl")
    if not _threads._openblas_libraries():
        pytest.skip("NumPy does not use OpenBLAS here")
    try:
        import scipy.linalg  # noqa: F401 (SciPy's own OpenBLAS, when installed, is set too)
    except ImportError:
        pass
    sh.set_num_threads(1)
    assert _blas_threads() == 1
    sh.set_num_threads(2)
    assert _blas_threads() == 2


def _parallel_in_a_forked_child(queue):
    parts = []
    parallel_for(_record(parts), 10_000, grain=1_000)
    queue.put(len(parts))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_child_gets_threads_of_its_own(threads):
    parallel_for(lambda a, b: None, 10_000, grain=1_000)  # the parent's pool exists
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_parallel_in_a_forked_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0, "the child hung or failed: it used the parent's dead pool"
    assert queue.get(timeout=5) == 2


# ------------------------------------------------------------- parallel_products
def _numpy_blas_threads() -> int:
    get, _ = _threads._blas_thread_counts()[0]
    return get()


@pytest.fixture
def openblas(threads):
    if not _threads._blas_thread_counts():
        pytest.skip("NumPy does not use OpenBLAS here")


def test_parallel_products_splits_the_range_with_one_blas_thread_each(openblas):
    seen = []  # (start, stop, thread, BLAS threads inside, a product's result)
    a = np.random.default_rng(0).standard_normal((300, 300))

    def fn(part):
        seen.append((part.start, part.stop, threading.get_ident(), _numpy_blas_threads(), a @ a))

    assert _numpy_blas_threads() == 2
    _threads.parallel_products(fn, 5)
    assert sorted((start, stop) for start, stop, *_ in seen) == [(0, 2), (2, 5)]
    assert len({ident for _, _, ident, *_ in seen}) == 2
    assert [count for *_, count, _ in seen] == [1, 1]
    for *_, product in seen:  # a product made inside a part is the one made outside
        np.testing.assert_allclose(product, a @ a, rtol=1e-12, atol=1e-12)
    assert _numpy_blas_threads() == 2  # set back


def test_parallel_products_runs_alone_with_one_thread_or_one_item(openblas):
    seen = []

    def fn(part):
        seen.append((part, threading.get_ident(), _numpy_blas_threads()))

    _threads.parallel_products(fn, 1)
    assert seen == [(slice(0, 1), threading.get_ident(), 2)]  # BLAS keeps both threads
    sh.set_num_threads(1)
    seen.clear()
    _threads.parallel_products(fn, 8)
    assert seen == [(slice(0, 8), threading.get_ident(), 1)]


def test_parallel_products_sets_blas_back_after_an_error(openblas):
    def fn(part):
        if part.start == 0:
            raise ValueError("in the first part")

    with pytest.raises(ValueError, match="first part"):
        _threads.parallel_products(fn, 4)
    assert _numpy_blas_threads() == 2


def test_overlapping_users_set_blas_back_once_the_last_leaves(openblas):
    """Two threads of a program inside at once: the first to leave must not set the count
    back (the other still runs), nor may the last set back the 1 it found."""
    libraries = _threads._blas_thread_counts()
    first = _threads._one_blas_thread(libraries)
    second = _threads._one_blas_thread(libraries)
    first.__enter__()
    second.__enter__()  # finds 1
    first.__exit__(None, None, None)
    assert _numpy_blas_threads() == 1
    second.__exit__(None, None, None)
    assert _numpy_blas_threads() == 2


def test_group_norm_on_two_threads_gives_one_threads_numbers(monkeypatch):
    callers = set()
    _spy(monkeypatch, _threads, "_part", callers)  # parallel_for runs each part through it
    rng = np.random.default_rng(5)
    a = rng.standard_normal((16, 32, 16, 16)) * 2 + 3  # 2^17 values: two parts
    w, b, g = rng.standard_normal(32), rng.standard_normal(32), rng.standard_normal(a.shape)

    def run():
        x, wt, bt = (sh.tensor(v, requires_grad=True) for v in (a, w, b))
        out = F.group_norm(x, 4, wt, bt)
        out.backward(sh.tensor(g))
        return [out.detach().numpy(), x.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()]

    one, two = _one_and_two_threads(run)
    for u, v in zip(one, two):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-12)
    assert len(callers) == 2  # the two-thread run did use two threads


@pytest.mark.parametrize(
    "op, shapes, settings",
    [  # LeNet's second layer; a DCGAN-like upsampling layer; a depthwise layer (by channels)
        ("conv2d", [(6, 16, 14, 14), (32, 16, 5, 5), (32,)], {"padding": 2}),
        ("conv_transpose2d", [(5, 16, 7, 7), (16, 8, 4, 4), (8,)], {"stride": 2, "padding": 1}),
        ("conv2d", [(3, 6, 9, 9), (12, 1, 3, 3), (12,)], {"padding": 1, "groups": 6}),
    ],
)
def test_convolutions_on_two_threads_give_one_threads_numbers(
    op, shapes, settings, openblas, monkeypatch
):
    """Float64: each thread takes part of the images, or of the channels for a depthwise
    convolution (grad_w is the sum of the parts' shares, so the same to rounding)."""
    callers = set()
    _spy(monkeypatch, _threads, "_part", callers)
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s) for s in shapes]

    def run():
        x, w, b = (sh.tensor(a, requires_grad=True) for a in arrays)
        out = getattr(F, op)(x, w, b, **settings)
        out.backward(sh.tensor(np.random.default_rng(8).standard_normal(out.shape)))
        return out.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()

    one, two = _one_and_two_threads(run)
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert len(callers) == 2  # the two-thread run did use two threads


@pytest.mark.parametrize("stride", [1, 2])
def test_channels_last_depthwise_on_two_threads_gives_one_threads_numbers(stride, monkeypatch):
    """MobileNet's depthwise layer on a conv's channels-last output (one filter a channel):
    forward and backward each split by images, in blocks of one image here, so dL/dw adds
    the same blocks' shares in the same order: the same numbers as one thread, exactly."""
    from scratchish.ops import conv as ops

    monkeypatch.setattr(ops, "DEPTHWISE_BLOCK_BYTES", 1)  # a block an image
    callers = set()
    _spy(monkeypatch, _threads, "_part", callers)
    rng = np.random.default_rng(9)

    def channels_last(shape):  # (N, C, H, W)-shaped, (N, H, W, C) in memory
        return np.moveaxis(rng.standard_normal(shape[:1] + shape[2:] + shape[1:2]), -1, 1)

    side = -(-17 // stride)
    a, g = channels_last((8, 24, 17, 17)), channels_last((8, 24, side, side))
    w, b = rng.standard_normal((24, 1, 3, 3)), rng.standard_normal(24)
    arrays = [v.astype(np.float32) for v in (a, w, b, g)]

    def run():
        x, wt, bt = (sh.tensor(v, requires_grad=True) for v in arrays[:3])
        callers.clear()
        out = F.conv2d(x, wt, bt, stride=stride, padding=1, groups=24)
        assert out.grad_fn.channels_last  # the op's channels-last path, by images
        threads = [len(callers)]
        callers.clear()
        out.backward(sh.tensor(arrays[3]))
        threads.append(len(callers))
        return [out.detach().numpy(), x.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()], threads

    (one, _), (two, threads) = _one_and_two_threads(run)
    for u, v in zip(one, two):
        np.testing.assert_array_equal(u, v)
    assert threads == [2, 2]  # forward and backward each on both threads
    # against the channel-by-channel path: the same input in (N, C, H, W) memory
    x, wt, bt = (sh.tensor(np.ascontiguousarray(v)) for v in arrays[:3])
    out = F.conv2d(x, wt, bt, stride=stride, padding=1, groups=24)
    np.testing.assert_allclose(out.numpy(), two[0], rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------- the ops that use threads
def _one_and_two_threads(fn):
    """fn() run with one thread and with two: both results."""
    before = sh.get_num_threads()
    try:
        sh.set_num_threads(1)
        one = fn()
        sh.set_num_threads(2)
        two = fn()
    finally:
        sh.set_num_threads(before)
    return one, two


def _spy(monkeypatch, module, name, callers):
    """Record the threads that call module.name. Spying on _threads._part, the main thread's
    part waits (up to 5 s) for the helper to start its own: parallel_for runs a part itself
    when the helper has not started it by the time the main thread's part is done, which on
    a VM slow to wake the helper (60-90 us a hand-over) happened now and then, and the test
    then saw one thread."""
    real = getattr(module, name)
    helper_started = threading.Event()

    def spy(*args, **kwargs):
        callers.add(threading.get_ident())
        if name == "_part":
            if threading.current_thread() is threading.main_thread():
                helper_started.wait(timeout=5.0)
                helper_started.clear()
            else:
                helper_started.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)


@pytest.mark.parametrize("approximate", ["none", "tanh", "silu"])
def test_gelu_and_silu_on_two_threads_give_one_threads_numbers(approximate, monkeypatch):
    a = np.random.default_rng(1).standard_normal((12, 64, 512)).astype(np.float32) * 3
    a[3, 5, :4] = [np.inf, -np.inf, np.nan, 0.0] if approximate != "tanh" else [30, -30, 0, 0]
    g = np.random.default_rng(2).standard_normal(a.shape).astype(np.float32)
    callers = set()
    nn_ops = sys.modules["scratchish.ops.nn_ops"]
    block = {"none": "_gelu_erf", "tanh": "_gelu_tanh", "silu": "_silu"}[approximate]
    _spy(monkeypatch, nn_ops, block, callers)

    def run():
        x = sh.tensor(a, requires_grad=True)
        if approximate == "silu":
            out = F.silu(x)
        else:
            out = F.gelu(x, approximate=approximate)
        out.backward(sh.tensor(g))
        return out.detach().numpy(), x.grad.numpy()

    (out1, grad1), (out2, grad2) = _one_and_two_threads(run)
    np.testing.assert_array_equal(out1, out2)
    np.testing.assert_array_equal(grad1, grad2)
    assert len(callers) == 2  # the two-thread run did use two threads


def test_blockwise_parts_go_in_blocks_of_equal_size_each_value_once(monkeypatch):
    """Each thread's part of GELU goes in blocks of at most _BLOCK values, of equal size (no
    small leftover block), each value once: the same numbers as one block per part."""
    nn_ops = sys.modules["scratchish.ops.nn_ops"]
    a = np.random.default_rng(3).standard_normal(200_003).astype(np.float32)
    sizes = []
    real = nn_ops._gelu_erf

    def spy(out, x, *slope):
        sizes.append(x.size)
        return real(out, x, *slope)

    def run(block):
        sizes.clear()
        monkeypatch.setattr(nn_ops, "_BLOCK", block)
        x = sh.tensor(a, requires_grad=True)
        out = F.gelu(x)
        out.sum().backward()
        return out.detach().numpy(), x.grad.numpy(), list(sizes)

    monkeypatch.setattr(nn_ops, "_gelu_erf", spy)
    before = sh.get_num_threads()
    try:
        sh.set_num_threads(2)
        out1, grad1, whole = run(2**30)
        out2, grad2, small = run(1000)
    finally:
        sh.set_num_threads(before)
    assert len(whole) == 2 and sum(whole) == a.size  # one block a thread
    assert sum(small) == a.size
    assert len(small) == sum(-(-n // 1000) for n in whole)  # ceil(part / 1000) blocks a part
    equal = set()  # a part of n values in k blocks: blocks of n // k or n // k + 1 values
    for n in whole:
        k = -(-n // 1000)
        equal |= {n // k, -(-n // k)}
    assert set(small) <= equal and max(small) <= 1000
    np.testing.assert_array_equal(out1, out2)
    np.testing.assert_array_equal(grad1, grad2)


def test_linear_resize_on_two_threads_gives_one_threads_numbers(monkeypatch):
    callers = set()
    _spy(monkeypatch, _threads, "_part", callers)  # parallel_for runs each part through it
    rng = np.random.default_rng(6)
    a, g = rng.standard_normal((16, 16, 12, 12)), rng.standard_normal((16, 16, 24, 24))

    def run():
        x = sh.tensor(a, requires_grad=True)
        out = F.interpolate(x, scale_factor=2, mode="bilinear")
        out.backward(sh.tensor(g))
        return out.detach().numpy(), x.grad.numpy()

    one, two = _one_and_two_threads(run)
    for u, v in zip(one, two):
        np.testing.assert_array_equal(u, v)
    assert len(callers) == 2  # the two-thread run did use two threads


def test_max_pool_backward_on_two_threads_gives_one_threads_numbers(monkeypatch):
    callers = set()
    _spy(monkeypatch, _threads, "_part", callers)  # parallel_for runs each part through it
    rng = np.random.default_rng(4)
    a = rng.integers(0, 3, (64, 16, 28, 28)).astype(np.float32)  # many ties
    g = rng.standard_normal((64, 16, 14, 14)).astype(np.float32)

    def run():
        x = sh.tensor(a, requires_grad=True)
        out = F.max_pool2d(x, 2)
        out.backward(sh.tensor(g))
        return x.grad.numpy()

    one, two = _one_and_two_threads(run)
    np.testing.assert_array_equal(one, two)
    assert len(callers) == 2  # the two-thread run did use two threads
    # ties: the first corner of a window takes its gradient, as in PyTorch
    np.testing.assert_array_equal((one != 0).reshape(64, 16, 14, 2, 14, 2).sum((3, 5)), 1)


def _split_pool_gives_one_threads_numbers(pool, a, g, monkeypatch):
    """pool(x) forward and backward (gradient g) with one thread and with two: asserts the
    same numbers, and that forward and backward each ran on two threads. Returns the output
    and x's gradient."""
    callers = set()
    _spy(monkeypatch, _threads, "_part", callers)  # parallel_for runs each part through it

    def run():
        x = sh.from_numpy(a).requires_grad_()
        callers.clear()
        out = pool(x)
        forward_threads = len(callers)
        callers.clear()
        out.backward(sh.tensor(g))
        return out.detach().numpy(), x.grad.numpy(), forward_threads, len(callers)

    (out1, grad1, *_), (out2, grad2, forward_threads, backward_threads) = _one_and_two_threads(run)
    np.testing.assert_array_equal(out1, out2)
    np.testing.assert_array_equal(grad1, grad2)
    assert (forward_threads, backward_threads) == (2, 2)
    return out2, grad2


@pytest.mark.parametrize("channels_last", [False, True])
def test_overlapping_max_pool_on_two_threads_gives_one_threads_numbers(channels_last, monkeypatch):
    """ResNet's stem pool (3 x 3, stride 2, padding 1: windows overlap), forward and backward
    each split by images, with many ties: the same numbers as one thread, and each window's
    gradient at the index PyTorch's return_indices names."""
    rng = np.random.default_rng(6)
    a = rng.integers(0, 4, (32, 16, 32, 32)).astype(np.float32)  # 524,288 values
    if channels_last:  # the layout our convolutions return
        a = np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    g = rng.standard_normal((32, 16, 16, 16)).astype(np.float32)
    out, grad = _split_pool_gives_one_threads_numbers(
        lambda x: F.max_pool2d(x, 3, stride=2, padding=1), a, g, monkeypatch
    )
    # against the argmax path: gradient g added at each window's index into its plane
    by_argmax, indices = F.max_pool2d(sh.tensor(a), 3, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(by_argmax.numpy(), out)
    planes = 32 * 16
    expected = np.zeros((planes, 32 * 32), np.float32)
    np.add.at(
        expected,
        (np.arange(planes)[:, None], indices.numpy().reshape(planes, -1)),
        g.reshape(planes, -1),
    )
    np.testing.assert_allclose(grad.reshape(planes, -1), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize(
    "settings",
    [
        {"kernel_size": 3, "stride": 1, "padding": 1},
        {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    ],
)
def test_avg_pool_on_two_threads_gives_one_threads_numbers(channels_last, settings, monkeypatch):
    """Average pooling split by images, forward and backward, keeps x's memory layout, gives
    one thread's numbers, and its backward is forward's adjoint: sum(out * g) = sum(x * dx)."""
    rng = np.random.default_rng(7)
    a = rng.standard_normal((32, 16, 32, 32))  # float64: the adjoint identity to 1e-12
    if channels_last:  # the layout our convolutions return
        a = np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    out_side = 32 if settings["stride"] == 1 else 16
    g = rng.standard_normal((32, 16, out_side, out_side))

    out, grad = _split_pool_gives_one_threads_numbers(
        lambda x: F.avg_pool2d(x, **settings), a, g, monkeypatch
    )
    assert (np.argsort(out.strides) == np.argsort(a.strides)).all()  # x's layout
    np.testing.assert_allclose((out * g).sum(), (a * grad).sum(), rtol=1e-12)
    # the first output pixel of image 0, channel 0 by hand: its window is x[:2, :2] (padded)
    divisor = 9 if settings.get("count_include_pad", True) else 4
    np.testing.assert_allclose(out[0, 0, 0, 0], a[0, 0, :2, :2].sum() / divisor, rtol=1e-12)


# ------------------------------------------------------------- OpenBLAS's spin
PROBE = """
import json, os, sys, threading, numpy as np
a = np.random.default_rng(0).standard_normal((300, 300)).astype(np.float32)
before = a @ a
import scratchish._threads as t
t.set_num_threads(2)
if "--other-thread" in sys.argv:  # a thread of the program's own, which could use BLAS
    stop = threading.Event()
    threading.Thread(target=stop.wait).start()
at_import = t.SHORT_BLAS_SPIN
t.parallel_for(lambda start, stop: None, 1 << 20, 1 << 10)  # hands a part to a helper
print(json.dumps({"at_import": at_import, "short": t.SHORT_BLAS_SPIN,
                  "env": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
                  "same": bool(np.array_equal(before, a @ a))}))
if "--other-thread" in sys.argv:
    stop.set()
"""


def _probe(*args, **env):
    environ = {k: v for k, v in os.environ.items() if k not in env or env[k] is not None}
    environ.update({k: v for k, v in env.items() if v is not None})
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_first_helper_shortens_openblas_spin_and_products_stay_right():
    # not at import: a program that never hands work to a helper keeps the long spin
    if not _threads._openblas_libraries():
        pytest.skip("NumPy does not use OpenBLAS here")
    result = _probe(OPENBLAS_THREAD_TIMEOUT=None, SCRATCHISH_SHORT_BLAS_SPIN=None)
    expected = {"at_import": False, "short": True, "env": None, "same": True}
    assert result == expected  # and the variable is not left set
    # with another (non-daemon) thread of the program alive, OpenBLAS's threads, which that
    # one could be using, are not restarted: the spin stays long
    result = _probe("--other-thread", OPENBLAS_THREAD_TIMEOUT=None, SCRATCHISH_SHORT_BLAS_SPIN=None)
    assert result == {**expected, "short": False}


def test_a_split_of_products_shortens_the_spin_before_setting_one_blas_thread(monkeypatch):
    # parallel_products sets OpenBLAS to one thread per product; the spin (which restarts
    # OpenBLAS's threads) must be shortened before that, with OpenBLAS's own count in place
    calls = []
    monkeypatch.setattr(_threads, "_spin_asked", False)
    monkeypatch.setattr(_threads, "SHORT_BLAS_SPIN", False)
    # no other thread of the program (threads of other tests may linger here)
    monkeypatch.setattr(threading, "enumerate", lambda: [threading.current_thread()])
    monkeypatch.setattr(_threads, "shorten_blas_spin", lambda: calls.append("spin") or True)
    real = _threads._one_blas_thread

    @contextlib.contextmanager
    def one_thread(libraries):
        calls.append("one thread")
        with real(libraries):
            yield

    monkeypatch.setattr(_threads, "_one_blas_thread", one_thread)
    monkeypatch.setattr(_threads, "_blas_thread_counts", lambda: ((lambda: 2, lambda n: None),))
    monkeypatch.setattr(_threads, "_num_threads", 2)
    _threads.parallel_products(lambda part: None, 8)
    _threads.parallel_products(lambda part: None, 8)
    assert calls == ["spin", "one thread", "one thread"]  # once, and first
    assert _threads.SHORT_BLAS_SPIN is True


def test_the_spin_is_left_alone_when_the_user_says_so():
    assert _probe(SCRATCHISH_SHORT_BLAS_SPIN="0")["short"] is False
    result = _probe(OPENBLAS_THREAD_TIMEOUT="10", SCRATCHISH_SHORT_BLAS_SPIN=None)
    assert result["short"] is False and result["env"] == "10"


@pytest.mark.parametrize("shared_kv", [False, True])
def test_attention_on_two_threads_gives_one_threads_numbers(shared_kv, monkeypatch):
    """The GPT's attention (12 sequences, 4 heads, 64 tokens), causal and with dropout; with
    k and v shared by the batch (broadcast) their gradients sum over parts of two threads."""
    rng = np.random.default_rng(5)
    kv_batch = 1 if shared_kv else 12
    shapes = [(12, 4, 64, 32), (kv_batch, 4, 64, 32), (kv_batch, 4, 64, 32)]
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    g = rng.standard_normal((12, 4, 64, 32)).astype(np.float32)
    callers = set()
    _spy(monkeypatch, _threads, "_part", callers)

    def run():
        q, k, v = (sh.tensor(a, requires_grad=True) for a in arrays)
        sh.manual_seed(6)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=0.1)
        out.backward(sh.tensor(g))
        return [out.detach().numpy()] + [t.grad.numpy() for t in (q, k, v)]

    one, two = _one_and_two_threads(run)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    assert len(callers) == 2  # the two-thread run did use two threads


def test_where_hand_overs_are_slow_gelu_stays_whole_and_attention_splits(threads, monkeypatch):
    """At the doubled grain GELU on (256, 512), 2^17 values, runs on one thread; the GPT's
    attention, whose parts make few long NumPy calls, is still split (_by_batch)."""
    monkeypatch.setattr(_threads, "_grain_factor", 2)
    callers = set()
    _spy(monkeypatch, sys.modules["scratchish.ops.nn_ops"], "_gelu_erf", callers)
    F.gelu(sh.randn(256, 512))
    assert len(callers) == 1
    callers = set()
    _spy(monkeypatch, _threads, "_part", callers)
    q, k, v = (sh.randn(12, 4, 64, 32) for _ in range(3))
    F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert len(callers) == 2


def test_parallel_rows_with_products_splits_with_one_blas_thread_each(openblas):
    seen = []  # (first row, BLAS threads inside, a product's result)
    a = np.random.default_rng(0).standard_normal((300, 300))

    def fn(rows):
        seen.append((rows.start, _numpy_blas_threads(), a @ a))

    x = np.zeros((4, 1 << 16))
    _threads.parallel_rows(fn, x, grain=1 << 16, products=True)
    assert sorted(start for start, *_ in seen) == [0, 2]
    assert [count for _, count, _ in seen] == [1, 1]
    for *_, product in seen:
        np.testing.assert_allclose(product, a @ a, rtol=1e-12, atol=1e-12)
    assert _numpy_blas_threads() == 2  # set back
    seen.clear()
    _threads.parallel_rows(fn, x[:1], grain=1 << 16, products=True)  # one part: untouched
    assert [(start, count) for start, count, _ in seen] == [(0, 2)]


def test_attention_with_long_rows_splits_with_one_blas_thread_each(openblas, monkeypatch):
    """(4, 4, 256, 32): each part's products are large enough for OpenBLAS to use both
    cores; two parts asking for them took 5-10x one thread's time. Split, each part's products
    run on one OpenBLAS thread; the numbers are one thread's."""
    counts = []
    real = _threads._part

    def spy(fn, start, stop):
        counts.append(_numpy_blas_threads())
        return real(fn, start, stop)

    rng = np.random.default_rng(9)
    arrays = [rng.standard_normal((4, 4, 256, 32)).astype(np.float32) for _ in range(3)]

    def run():
        q, k, v = (sh.tensor(a, requires_grad=True) for a in arrays)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        out.backward(sh.ones(out.shape))
        return [out.detach().numpy()] + [t.grad.numpy() for t in (q, k, v)]

    monkeypatch.setattr(_threads, "_part", spy)
    one, two = _one_and_two_threads(run)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    assert counts and set(counts) == {1}  # forward's and backward's parts
    assert _numpy_blas_threads() == 2
