"""The per-channel passes and NumPy's ufunc buffer (ops/conv.py's WIDE_ROW, ops/reduce.py's
unbuffered_rows): long rows broadcast against one number per row run with a small buffer,
set for the op's own threads and restored afterwards; short rows keep NumPy's buffer."""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import pytest

import scratchish as sh
from scratchish._threads import parallel_for
from scratchish.ops import conv, reduce


@pytest.fixture
def user_buffer():
    """A buffer size of the user's own, not NumPy's default, to see it restored."""
    before = np.setbufsize(10_000)
    yield 10_000
    np.setbufsize(before)


def test_long_rows_get_a_small_buffer_on_every_thread_and_it_is_restored(user_buffer):
    seen, helper_ran = {}, threading.Event()

    def part(start, stop):
        seen[threading.get_ident()] = np.getbufsize()
        if start == 0:  # the caller's part waits until a helper has run the other one
            helper_ran.wait(timeout=10)
        else:
            helper_ran.set()

    before = sh.get_num_threads()
    sh.set_num_threads(2)
    try:
        with reduce.unbuffered_rows(784):
            assert np.getbufsize() == reduce.SMALL_BUFFER
            parallel_for(part, 1 << 20, grain=1 << 16)
    finally:
        sh.set_num_threads(before)
    assert len(seen) == 2 and set(seen.values()) == {reduce.SMALL_BUFFER}
    assert np.getbufsize() == user_buffer


def test_short_rows_keep_the_buffer_and_an_error_still_restores_it(user_buffer):
    with reduce.unbuffered_rows(reduce.UNBUFFERED_ROW - 1):
        assert np.getbufsize() == user_buffer
    with pytest.raises(ZeroDivisionError), reduce.unbuffered_rows(4096):
        assert np.getbufsize() == reduce.SMALL_BUFFER
        1 / 0  # noqa: B018
    assert np.getbufsize() == user_buffer


@pytest.mark.parametrize("side, small", [(28, True), (8, False)])
def test_per_channel_on_planes_runs_unbuffered_only_for_long_planes(side, small, user_buffer):
    """(N, C, H, W) memory, one number per (channel) plane: planes of 784 values go
    unbuffered, planes of 64 keep the buffer; the numbers are the broadcast's either way."""
    seen = []

    def subtract(x, v, out):
        seen.append(np.getbufsize())
        return np.subtract(x, v, out=out)

    x = np.random.default_rng(0).standard_normal((2, 3, side, side)).astype(np.float32)
    v = np.array([1.0, -2.0, 0.5], np.float32)
    out = conv.per_channel(subtract, (x,), (v,), np.empty_like(x))
    np.testing.assert_array_equal(out, x - v[:, None, None])
    assert seen == [reduce.SMALL_BUFFER if small else user_buffer]
    assert np.getbufsize() == user_buffer


def _group_norm(a, channels_last, g, w, b):
    if channels_last:  # the layout our convolutions return
        a = np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    x = sh.from_numpy(a).requires_grad_()
    wt, bt = sh.tensor(w, requires_grad=True), sh.tensor(b, requires_grad=True)
    out = sh.nn.functional.group_norm(x, 4, wt, bt)
    out.backward(sh.tensor(g))
    return [t.numpy() for t in (out.detach(), x.grad, wt.grad, bt.grad)]


@pytest.mark.parametrize("side, small", [(28, True), (8, False)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_group_norm_runs_unbuffered_on_long_rows_only(
    side, small, channels_last, monkeypatch, user_buffer
):
    """GroupNorm's broadcasts, forward and backward, run unbuffered along planes of 784
    values, or channels-last along rows of whole pixels (1024 values or more; 196 pixels of
    8 channels here); 8 x 8 images keep the buffer. Channels-last gives the numbers of the
    same values in (N, C, H, W) memory."""
    seen = []
    real = conv._group_sums

    def spy(values, groups):  # called inside each part of forward and backward
        seen.append(np.getbufsize())
        return real(values, groups)

    rng = np.random.default_rng(1)
    a, g = rng.standard_normal((2, 4, 8, side, side))
    w, b = rng.standard_normal((2, 8))
    monkeypatch.setattr(conv, "_group_sums", spy)
    got = _group_norm(a, channels_last, g, w, b)
    assert len(seen) >= 4 and set(seen) == {reduce.SMALL_BUFFER if small else user_buffer}
    assert np.getbufsize() == user_buffer
    monkeypatch.undo()
    for ours, planes in zip(got, _group_norm(a, False, g, w, b)):
        np.testing.assert_allclose(ours, planes, rtol=1e-12, atol=1e-12)
    # each group normalised to mean 0 and variance 1 before the affine step
    groups = ((got[0] - b[:, None, None]) / w[:, None, None]).reshape(4, 4, -1)
    np.testing.assert_allclose(groups.mean(-1), 0, atol=1e-9)
    np.testing.assert_allclose(groups.var(-1), 1, rtol=1e-4)


def _spy_rows(monkeypatch, seen):
    """Record, per use of unbuffered_rows in reduce.py and nn_ops.py, the row length asked
    for and the buffer size inside."""
    from scratchish.ops import nn_ops

    real = reduce.unbuffered_rows

    @contextlib.contextmanager
    def spy(row):
        with real(row):
            seen.append((row, np.getbufsize()))
            yield

    monkeypatch.setattr(reduce, "unbuffered_rows", spy)
    monkeypatch.setattr(nn_ops, "unbuffered_rows", spy)


F = sh.nn.functional


@pytest.mark.parametrize(
    "name, fn, passes",
    [
        ("softmax", lambda x: F.softmax(x, -1), 2),
        ("log_softmax", lambda x: F.log_softmax(x, -1), 2),
        ("cross_entropy", lambda x: F.cross_entropy(x.reshape(-1, x.shape[-1]), _labels(x)), 2),
        (
            "cross_entropy none",
            lambda x: F.cross_entropy(x.reshape(-1, x.shape[-1]), _labels(x), reduction="none"),
            2,
        ),
        (
            "cross_entropy smoothed",
            lambda x: F.cross_entropy(x.reshape(-1, x.shape[-1]), _labels(x), label_smoothing=0.1),
            2,
        ),
        ("layer_norm", lambda x: F.layer_norm(x, x.shape[-1:]), 1),
    ],
)
@pytest.mark.parametrize("row", [600, 64])
def test_one_number_per_row_runs_unbuffered_along_long_rows(name, fn, passes, row, monkeypatch):
    """Softmax, log-softmax, cross-entropy (forward and backward) and LayerNorm's backward
    broadcast one number per row: along rows of 512 values or more with a small buffer,
    shorter ones with NumPy's; the numbers are the same either way."""
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4, row)).astype(np.float32)

    def run():
        x = sh.tensor(a, requires_grad=True)
        out = fn(x)
        out.backward(sh.tensor(rng.standard_normal(out.shape).astype(np.float32)))
        return out.detach().numpy(), x.grad.numpy()

    rng = np.random.default_rng(3)
    plain = run()
    seen = []
    _spy_rows(monkeypatch, seen)
    rng = np.random.default_rng(3)
    for ours, theirs in zip(run(), plain):
        np.testing.assert_array_equal(ours, theirs)
    assert [r for r, _ in seen] == [row] * passes
    expected = reduce.SMALL_BUFFER if row >= reduce.UNBUFFERED_ROW else np.getbufsize()
    assert {size for _, size in seen} == {expected}


def _labels(x):
    return sh.tensor(np.arange(x.numel() // x.shape[-1]) % x.shape[-1])


@pytest.mark.parametrize("keys", [640, 64])
def test_attention_runs_unbuffered_along_long_rows_of_keys(keys, monkeypatch):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 2, keys, 8)).astype(np.float32)
    seen = []
    _spy_rows(monkeypatch, seen)
    x = sh.tensor(a, requires_grad=True)
    F.scaled_dot_product_attention(x, x, x, is_causal=True).sum().backward()
    expected = reduce.SMALL_BUFFER if keys >= reduce.UNBUFFERED_ROW else np.getbufsize()
    assert seen == [(keys, expected)] * 2  # forward and backward
