"""The per-channel passes and NumPy's ufunc buffer (ops/conv.py, WIDE_ROW and
unbuffered_rows): long rows broadcast against one number per row run with a small buffer,
set for the op's own threads and restored afterwards; short rows keep NumPy's buffer."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import scratchish as sh
from scratchish._threads import parallel_for
from scratchish.ops import conv


@pytest.fixture
def user_buffer():
    """A buffer size of the user's own, not NumPy's default, to see it restored."""
    before = np.setbufsize(10_000)
    yield 10_000
    np.setbufsize(before)


def test_long_rows_get_a_small_buffer_on_every_thread_and_it_is_restored(user_buffer):
    seen = {}

    def part(start, stop):
        seen[threading.get_ident()] = np.getbufsize()

    before = sh.get_num_threads()
    sh.set_num_threads(2)
    try:
        with conv.unbuffered_rows(784):
            assert np.getbufsize() == conv.SMALL_BUFFER
            parallel_for(part, 1 << 20, grain=1 << 16)
    finally:
        sh.set_num_threads(before)
    assert len(seen) == 2 and set(seen.values()) == {conv.SMALL_BUFFER}
    assert np.getbufsize() == user_buffer


def test_short_rows_keep_the_buffer_and_an_error_still_restores_it(user_buffer):
    with conv.unbuffered_rows(conv.UNBUFFERED_ROW - 1):
        assert np.getbufsize() == user_buffer
    with pytest.raises(ZeroDivisionError), conv.unbuffered_rows(4096):
        assert np.getbufsize() == conv.SMALL_BUFFER
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
    assert seen == [conv.SMALL_BUFFER if small else user_buffer]
    assert np.getbufsize() == user_buffer


@pytest.mark.parametrize("channels_last", [False, True])
def test_group_norm_runs_unbuffered_on_long_planes_only(channels_last, monkeypatch, user_buffer):
    """GroupNorm's broadcasts run along (N, C, H, W) planes unbuffered, forward and backward;
    channels-last rows (one pixel's few channels) keep the buffer."""
    seen = []
    real = conv._group_sums

    def spy(values, groups):  # called inside each part of forward and backward
        seen.append(np.getbufsize())
        return real(values, groups)

    monkeypatch.setattr(conv, "_group_sums", spy)
    a = np.random.default_rng(1).standard_normal((4, 8, 28, 28))
    if channels_last:
        a = np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    x = sh.from_numpy(a).requires_grad_()
    out = sh.nn.functional.group_norm(x, 4)
    out.backward(sh.ones_like(out))
    expected = user_buffer if channels_last else conv.SMALL_BUFFER
    assert len(seen) >= 4 and set(seen) == {expected}
    # the numbers: each group normalised to mean 0 and variance 1
    groups = out.detach().numpy().reshape(4, 4, -1)
    np.testing.assert_allclose(groups.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(groups.var(-1), 1, rtol=1e-4)
    assert np.getbufsize() == user_buffer
