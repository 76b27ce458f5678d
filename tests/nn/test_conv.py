"""Convolution and pooling against PyTorch: values, gradients, inits, errors, memory layout.

Run as a script (`python tests/nn/test_conv.py`) to print the LeNet conv stack's forward +
backward time next to PyTorch's (a measurement, not a test).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import scratchish as sh
from scratchish.errors import ArgumentError, DTypeError, ShapeError
from scratchish.nn import conv as C
from scratchish.ops import conv as ops
from scratchish.tools import gradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = {np.float64: 1e-10, np.float32: 1e-4}


def pair(shape, dtype=np.float64, seed=0, low=None, high=None, grad=True):
    """The same random values as a scratchish tensor and a torch tensor (both require grad)."""
    rng = np.random.default_rng(seed)
    if low is None:
        array = rng.standard_normal(shape).astype(dtype)
    else:  # small integers: many ties
        array = rng.integers(low, high, shape).astype(dtype)
    ours = sh.Tensor._make(array.copy(), grad)
    theirs = torch.tensor(array.copy(), requires_grad=grad)
    return ours, theirs


def close(ours, theirs, tol):
    """Assert a scratchish tensor (or array) equals a torch tensor within tol (max abs)."""
    a = ours.array if isinstance(ours, sh.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy()
    assert a.shape == b.shape
    assert a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def backward_both(out, t_out, seed=1):
    """Backpropagate the same random grad_out through both results."""
    g = np.random.default_rng(seed).standard_normal(t_out.shape).astype(out.array.dtype)
    out.backward(sh.Tensor._make(g))
    t_out.backward(torch.tensor(g))


# ------------------------------------------------------------------------------ conv2d

CONV_CASES = [
    # x shape, w shape, stride, padding, dilation, bias
    ((2, 3, 9, 8), (4, 3, 3, 3), 1, 0, 1, True),
    ((2, 3, 9, 8), (4, 3, 3, 2), (2, 1), (1, 2), 1, True),  # rectangular kernel
    ((2, 3, 9, 8), (4, 3, 3, 3), (2, 3), (2, 1), (2, 3), False),
    ((3, 1, 12, 12), (5, 1, 5, 5), 1, 2, 1, True),  # LeNet's first layer, small
    ((2, 4, 7, 7), (6, 4, 1, 1), 1, 0, 1, True),  # 1x1
    ((2, 2, 6, 5), (3, 2, 2, 4), 2, "valid", 1, True),
    ((2, 2, 6, 5), (3, 2, 3, 3), 1, "same", 1, True),
    ((2, 2, 6, 5), (3, 2, 2, 4), 1, "same", (1, 2), False),  # even kernel: asymmetric pad
    ((1, 3, 5, 5), (2, 3, 5, 5), 1, 0, 1, True),  # kernel covers the input: 1x1 output
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_torch(case, dtype):
    x_shape, w_shape, stride, padding, dilation, has_bias = case
    x, tx = pair(x_shape, dtype, 0)
    w, tw = pair(w_shape, dtype, 1)
    b, tb = pair(w_shape[:1], dtype, 2) if has_bias else (None, None)
    out = C.conv2d(x, w, b, stride, padding, dilation)
    t_out = F.conv2d(tx, tw, tb, stride, padding, dilation)
    close(out, t_out, TOL[dtype])
    backward_both(out, t_out)
    close(x.grad, tx.grad, TOL[dtype])
    close(w.grad, tw.grad, TOL[dtype])
    if has_bias:
        close(b.grad, tb.grad, TOL[dtype])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 6),
    o=st.integers(1, 6),  # 4 on: backward may make dL/dx by kernel rows
    size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
)
def test_conv2d_matches_torch_on_random_settings(n, c, o, size, kernel, stride, padding, dilation):
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    assume(all(s <= h + 2 * p for s, h, p in zip(span, size, padding)))
    x, tx = pair((n, c, *size), np.float64, 0)
    w, tw = pair((o, c, *kernel), np.float64, 1)
    b, tb = pair((o,), np.float64, 2)
    out = C.conv2d(x, w, b, stride, padding, dilation)
    t_out = F.conv2d(tx, tw, tb, stride, padding, dilation)
    close(out, t_out, 1e-10)
    backward_both(out, t_out)
    for ours, theirs in [(x, tx), (w, tw), (b, tb)]:
        close(ours.grad, theirs.grad, 1e-10)


def test_conv2d_unbatched_input_like_torch():
    x, tx = pair((3, 7, 6))
    w, tw = pair((2, 3, 3, 3), seed=1)
    out = C.conv2d(x, w, padding=1)
    t_out = F.conv2d(tx, tw, padding=1)
    close(out, t_out, 1e-10)
    backward_both(out, t_out)
    close(x.grad, tx.grad, 1e-10)
    close(w.grad, tw.grad, 1e-10)


def test_conv2d_input_without_grad_gets_none_and_weight_still_learns():
    x, tx = pair((2, 1, 8, 8), grad=False)
    w, tw = pair((4, 1, 3, 3), seed=1)
    out = C.conv2d(x, w)
    t_out = F.conv2d(tx, tw)
    backward_both(out, t_out)
    assert x.grad is None
    close(w.grad, tw.grad, 1e-10)


def test_conv2d_chain_of_layers_matches_torch():
    """Two convs, ReLU and pools: channels-last outputs feed the next layer correctly."""
    x, tx = pair((4, 1, 12, 12), np.float32)
    w1, tw1 = pair((8, 1, 5, 5), np.float32, 1)
    b1, tb1 = pair((8,), np.float32, 2)
    w2, tw2 = pair((6, 8, 3, 3), np.float32, 3)
    b2, tb2 = pair((6,), np.float32, 4)
    h = C.max_pool2d(C.conv2d(x, w1, b1, padding=2).relu(), 2)
    out = C.max_pool2d(C.conv2d(h, w2, b2, padding=1).relu(), 2).flatten(1)
    th = F.max_pool2d(F.relu(F.conv2d(tx, tw1, tb1, padding=2)), 2)
    t_out = F.max_pool2d(F.relu(F.conv2d(th, tw2, tb2, padding=1)), 2).flatten(1)
    close(out, t_out, 1e-4)
    backward_both(out, t_out)
    for ours, theirs in [(x, tx), (w1, tw1), (b1, tb1), (w2, tw2), (b2, tb2)]:
        close(ours.grad, theirs.grad, 1e-4)


def test_conv2d_gradcheck():
    x = sh.randn(2, 2, 5, 4, dtype=sh.float64, requires_grad=True)
    w = sh.randn(3, 2, 2, 3, dtype=sh.float64, requires_grad=True)
    b = sh.randn(3, dtype=sh.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: C.conv2d(x, w, b, (2, 1), (1, 2), (1, 2)), x, w, b)


def test_conv2d_keeps_float32_through_forward_and_backward():
    x, _ = pair((2, 3, 8, 8), np.float32)
    w, _ = pair((4, 3, 3, 3), np.float32, 1)
    b, _ = pair((4,), np.float32, 2)
    out = C.conv2d(x, w, b, padding=1)
    assert out.dtype == sh.float32
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == sh.float32


@pytest.mark.parametrize("channels", [1, 3, 8])  # tap-major copy below 4 channels
def test_im2col_reads_a_view_and_copies_once(channels):
    xp = np.arange(2 * channels * 6 * 5, dtype=np.float32).reshape(2, channels, 6, 5)
    windows = ops.sliding_windows(xp, (3, 2), (1, 2), (1, 1), (4, 2))
    assert np.shares_memory(windows, xp)  # the window view is no copy
    assert windows[1, channels - 1, 3, 1, 2, 1] == xp[1, channels - 1, 3 + 2, 2 + 1]
    cols = ops.im2col(xp, (3, 2), (1, 2), (1, 1), (4, 2))
    assert not np.shares_memory(cols, xp)  # the one copy
    assert cols.shape == (2 * 4 * 2, 3 * 2 * channels)
    # rows are windows in (kh, kw, C) order, channels innermost
    expected = xp[1, :, 3:6, 2:4].transpose(1, 2, 0).reshape(-1)
    np.testing.assert_array_equal(cols[1 * 8 + 3 * 2 + 1], expected)


def test_conv2d_output_is_a_channels_last_view_of_one_product():
    x, _ = pair((2, 3, 6, 6), np.float32, grad=False)
    w, _ = pair((5, 3, 3, 3), np.float32, 1, grad=False)
    out = C.conv2d(x, w).array
    assert out.shape == (2, 5, 4, 4)
    assert out.transpose(0, 2, 3, 1).flags.c_contiguous  # (N, H, W, C) in memory
    # the next layer reads it without copying it into a padded buffer
    assert ops.pad_input(out, ((0, 0), (0, 0)), channels_last=True) is out


BLOCK_CASES = CONV_CASES[:3] + [
    ((5, 1, 9, 8), (4, 1, 3, 3), 1, 1, 1, True),  # few channels: im2col's tap-major copy
    ((2, 3, 5, 6, 4), (4, 3, 3, 2, 2), (2, 1, 1), 1, (1, 2, 1), True),  # a volume: depth bands
]


@pytest.mark.parametrize("case", BLOCK_CASES)
def test_conv2d_in_blocks_and_bands_equals_one_product(case, monkeypatch):
    """Blocks of images, and bands of an image's output rows (COLS_BLOCK_BYTES), give the
    numbers of one whole im2col product, forward and backward."""
    x_shape, w_shape, stride, padding, dilation, bias = case
    conv = C.conv2d if len(x_shape) == 4 else sh.nn.functional.conv3d

    def run(budget):
        monkeypatch.setattr(ops, "COLS_BLOCK_BYTES", budget)
        x, _ = pair(x_shape, np.float64)
        w, _ = pair(w_shape, np.float64, 1)
        b, _ = pair(w_shape[:1], np.float64, 2) if bias else (None, None)
        out = conv(x, w, b, stride, padding, dilation)
        blocks = out.grad_fn._blocks(slice(0, x_shape[0]))  # (backward frees the node)
        out.backward(sh.Tensor._make(np.random.default_rng(3).standard_normal(out.shape)))
        grads = [t.grad.array for t in (x, w, b) if t is not None]
        return blocks, out.array, grads

    whole_blocks, whole, whole_grads = run(2**40)
    height = whole.shape[2]  # output rows (of a volume: its depth)
    # one output row's columns: kernel taps x channels float64 values per output pixel
    row_bytes = int(np.prod(w_shape[1:])) * 8 * int(np.prod(whole.shape[3:]))
    assert whole_blocks == [(slice(0, x_shape[0]), slice(0, height))]
    for budget, rows in [(1, 1), (2 * row_bytes, 2)]:  # one output row per block, two
        blocks, out, grads = run(budget)
        expected = [
            (slice(n, n + 1), slice(r, min(r + rows, height)))
            for n in range(x_shape[0])
            for r in range(0, height, rows)
        ]
        assert blocks == expected
        np.testing.assert_allclose(out, whole, rtol=1e-12, atol=1e-12)
        for ours, plain in zip(grads, whole_grads):
            np.testing.assert_allclose(ours, plain, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("budget", [2**40, 1])  # one block; blocks of one output row
@pytest.mark.parametrize(
    "x_shape, w_shape, padding",
    [
        ((3, 8, 9, 7), (5, 8, 3, 2), (1, 0)),
        ((2, 16, 6, 6), (4, 16, 5, 5), 2),
        ((2, 8, 7, 6), (6, 8, 2, 4), "same"),  # padded unevenly: (0, 1) and (1, 2)
        ((2, 24, 7, 7), (5, 24, 5, 5), 2),  # 120 values a kernel row, but 5 outputs
        ((2, 16, 6, 6), (32, 16, 5, 5), 2),  # dL/dx: 160 values a row, to x's 16 channels
    ],
)
def test_conv2d_by_kernel_rows_equals_im2col(x_shape, w_shape, padding, budget, monkeypatch):
    """Few channels or few outputs at stride 1: rows_product (kernel-row columns, kh
    products) gives the numbers of im2col's one product, forward and backward, and dL/dx
    made as a convolution of grad_out by kernel rows those of col2im. (run(0) turns both
    kernel-row limits off.)"""
    monkeypatch.setattr(ops, "COLS_BLOCK_BYTES", budget)

    def run(row_max):
        monkeypatch.setattr(ops, "ROW_COLUMNS_MAX", row_max)
        monkeypatch.setattr(ops, "ROW_OUTPUTS_MAX", min(row_max, ops.ROW_OUTPUTS_MAX))
        x, _ = pair(x_shape, np.float64)
        w, _ = pair(w_shape, np.float64, 1)
        b, _ = pair(w_shape[:1], np.float64, 2)
        out = C.conv2d(x, w, b, 1, padding)
        paths = out.grad_fn.by_rows, out.grad_fn._grad_x_by_rows(w_shape[0])
        out.backward(sh.Tensor._make(np.random.default_rng(3).standard_normal(out.shape)))
        return paths, [out.array, x.grad.array, w.grad.array, b.grad.array]

    rows_path, by_rows = run(ops.ROW_COLUMNS_MAX)
    im2col_path, by_cols = run(0)
    assert rows_path == (True, True) and im2col_path == (False, False)
    for ours, plain in zip(by_rows, by_cols):
        np.testing.assert_allclose(ours, plain, rtol=1e-12, atol=1e-12)


def test_conv2d_takes_kernel_rows_for_few_channels_or_outputs_at_stride_1_only():
    def by_rows(c, kernel, outputs=32, **settings):
        x = sh.zeros(1, c, 8, 8, requires_grad=True)
        return C.conv2d(x, sh.zeros(outputs, c, *kernel), **settings).grad_fn.by_rows

    assert by_rows(16, (3, 3)) and by_rows(16, (5, 5))  # 48 and 80 values a kernel row
    assert by_rows(32, (3, 3)) and not by_rows(64, (3, 3))  # 96; 192: im2col
    assert by_rows(64, (3, 3), outputs=16) and by_rows(128, (5, 5), outputs=8)  # few outputs
    assert not by_rows(64, (3, 3), outputs=17)
    assert not by_rows(16, (3, 3), stride=2) and not by_rows(16, (3, 3), dilation=2)
    assert not by_rows(64, (3, 3), outputs=8, stride=2)
    assert not by_rows(3, (3, 3)) and not by_rows(3, (3, 3), outputs=8)  # an image: tap-major


def test_conv2d_grad_x_by_kernel_rows_where_grad_out_or_x_has_few_channels():
    def grad_x_by_rows(c_out, kernel, c_in=32, **settings):
        x = sh.zeros(1, c_in, 8, 8, requires_grad=True)
        node = C.conv2d(x, sh.zeros(c_out, c_in, *kernel), **settings).grad_fn
        return node._grad_x_by_rows(c_out)

    assert grad_x_by_rows(16, (3, 3), padding=1) and grad_x_by_rows(32, (3, 3))
    assert not grad_x_by_rows(64, (3, 3), padding=1)  # 192 values a kernel row: col2im
    # by few outputs (x's channels) only with 25 taps or more, and not to an image's channels
    assert grad_x_by_rows(32, (5, 5), c_in=16, padding=2)  # LeNet's second layer
    assert grad_x_by_rows(64, (5, 5), c_in=4, padding=2)
    assert not grad_x_by_rows(64, (3, 3), c_in=16, padding=1)
    assert not grad_x_by_rows(64, (5, 5), c_in=3, padding=2)
    assert not grad_x_by_rows(2, (3, 3))  # grad_out's few channels
    assert not grad_x_by_rows(16, (3, 3), padding=3)  # padded by the kernel's size
    assert not grad_x_by_rows(16, (3, 3), stride=2)


def test_image_blocks_are_whole_images_when_they_fit_and_equal_bands_otherwise():
    mb = 2**20  # COLS_BLOCK_BYTES is 2 MB
    # LeNet's second layer: 14 x 14 outputs, 400 floats of columns each: 6 images a block
    assert ops.image_blocks(slice(0, 8), (14, 14), 1600) == [
        (slice(0, 6), slice(0, 14)),
        (slice(6, 8), slice(0, 14)),
    ]
    # ResNet's 3 x 3 layer of 64 channels, 56 x 56: 7 MB an image, in 4 equal bands of 14 rows
    assert ops.image_blocks(slice(3, 4), (56, 56), 2304) == [
        (slice(3, 4), slice(r, r + 14)) for r in (0, 14, 28, 42)
    ]
    assert ops.COLS_BLOCK_BYTES == 2 * mb
    # 10 rows of 600 kB, 3.4 fit in a block: 3 bands of 4, 4 and 2 rows (not 3, 3, 3, 1)
    assert ops.image_blocks(slice(0, 1), (10, 1), 600_000) == [
        (slice(0, 1), slice(0, 4)),
        (slice(0, 1), slice(4, 8)),
        (slice(0, 1), slice(8, 10)),
    ]


@pytest.mark.parametrize("m, o", [(1000, 16), (3000, 3), (255, 32), (8193, 1), (256, 64)])
def test_add_to_rows_adds_the_bias_to_every_row(m, o):
    """The bias added through rows of WIDE_ROW values (whole rows of the (m, o) array, as
    many as fit) and the leftover rows one by one."""
    rng = np.random.default_rng(0)
    rows, b = rng.standard_normal((m, o)).astype(np.float32), rng.standard_normal(o)
    expected = rows + b.astype(np.float32)
    ops.add_to_rows(rows, b.astype(np.float32))
    np.testing.assert_array_equal(rows, expected)


def test_conv2d_bias_over_many_rows_matches_torch():
    # 2 * 20 * 20 = 800 output rows per block: the long-row bias path and its leftover rows
    x, tx = pair((2, 3, 20, 20), np.float32)
    w, tw = pair((5, 3, 3, 3), np.float32, 1)
    b, tb = pair((5,), np.float32, 2)
    out = C.conv2d(x, w, b, padding=1)
    ref = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_conv2d_without_grad_keeps_nothing_for_backward():
    """Inference (apply under no_grad says no input needs a gradient) keeps neither the
    padded input nor the weight; a frozen weight keeps only the weight (for grad_x)."""
    x = np.ones((2, 3, 6, 6), np.float32)
    w = np.ones((5, 3, 3, 3), np.float32)
    op = ops.Conv2d()
    op.needs_input_grad = (False, False)
    op.forward(x, w)
    assert op.xp is None and op.w is None
    op.needs_input_grad = (True, False)
    op.forward(x, w)
    assert op.xp is None and op.w is w


# ------------------------------------------------------------------------------ max pool

MAXPOOL_CASES = [
    # x shape, kernel, stride, padding, dilation, ceil_mode
    ((2, 3, 8, 8), 2, None, 0, 1, False),  # the fast path
    ((2, 3, 7, 9), 2, 2, 0, 1, False),  # fast path, odd sizes: the last row/col dropped
    ((2, 3, 7, 9), 2, 2, 0, 1, True),  # ceil_mode: half windows
    ((2, 3, 9, 8), 3, 2, 1, 1, False),
    ((2, 3, 9, 8), (3, 2), (1, 2), (1, 0), 1, False),
    ((2, 2, 10, 9), 3, 1, 1, 2, False),  # dilation
    ((2, 2, 10, 9), 3, 2, 1, 1, True),
]


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("case", MAXPOOL_CASES)
def test_max_pool2d_matches_torch(case, ties):
    x_shape, kernel, stride, padding, dilation, ceil_mode = case
    low, high = (0, 3) if ties else (None, None)  # values in {0, 1, 2}: ties in every window
    x, tx = pair(x_shape, np.float64, 0, low, high)
    out = C.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    t_out = F.max_pool2d(tx, kernel, stride, padding, dilation, ceil_mode)
    close(out, t_out, 0)
    backward_both(out, t_out)
    close(x.grad, tx.grad, 1e-12)  # the gradient goes to the same (first) maximum


@pytest.mark.parametrize("case", MAXPOOL_CASES)
def test_max_pool2d_indices_match_torch(case):
    x_shape, kernel, stride, padding, dilation, ceil_mode = case
    x, tx = pair(x_shape, np.float32, 0, 0, 3)
    out, idx = C.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
    t_out, t_idx = F.max_pool2d(
        tx, kernel, stride, padding, dilation, ceil_mode, return_indices=True
    )
    close(out, t_out, 0)
    close(idx, t_idx, 0)


@pytest.mark.parametrize("case", MAXPOOL_CASES[3:])  # the cases off the 2x2 path
def test_max_pool2d_taps_find_the_windows_argmax(case):
    # the tap-by-tap forward (the default) against the plain one, an argmax over each
    # window's values (return_indices takes it): the same maxima and the same winners
    from scratchish.nn.conv import _pool_settings
    from scratchish.ops.conv import MaxPool2d

    x_shape, kernel, stride, padding, dilation, ceil_mode = case
    x = np.random.default_rng(3).integers(0, 3, x_shape).astype(np.float32)  # many ties
    settings = _pool_settings(sh.tensor(x), kernel, stride, padding, dilation, ceil_mode, "t")
    settings["ceil_mode"] = ceil_mode
    taps, plain = MaxPool2d(), MaxPool2d()
    out = taps.forward(x, **settings)
    expected = plain.forward(x, **settings, return_indices=True)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(taps.arg, plain.arg)
    assert not taps.fast and taps.arg.dtype == np.uint8


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_padded_pools_keep_a_channels_last_input_channels_last(pool):
    # after our conv the input is channels-last in memory: the padded copy, the output and
    # the gradient keep that layout (a copy in runs of C, not of W), and the numbers are
    # those of the same input in (N, C, H, W) memory
    a = np.random.default_rng(4).integers(0, 4, (2, 5, 9, 8)).astype(np.float64)  # ties
    channels_last = np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 1, -1)), -1, 1)
    fn = C.max_pool2d if pool == "max" else C.avg_pool2d
    results = []
    for array in (a, channels_last):
        x = sh.tensor(array, requires_grad=True)
        out = fn(x, 3, 2, 1)
        out.backward(sh.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape)))
        results.append((out, x.grad))
    (out_a, grad_a), (out_cl, grad_cl) = results
    np.testing.assert_array_equal(out_cl.detach().numpy(), out_a.detach().numpy())
    np.testing.assert_array_equal(grad_cl.numpy(), grad_a.numpy())
    if pool == "max":  # channels innermost in memory: the smallest stride is C's
        op = ops.MaxPool2d()
        out = op.forward(channels_last, (3, 3), (2, 2), ((1, 1), (1, 1)))
        grad = op.backward(np.ones(out.shape))
        assert np.moveaxis(out, 1, -1).flags.c_contiguous and not op.fast
        assert grad.strides[1] == grad.itemsize


def test_max_pool2d_fast_path_reads_views_and_keeps_float32():
    x, tx = pair((2, 4, 6, 6), np.float32)
    out = C.max_pool2d(x, 2)
    corner = x.array[:, :, 1:6:2, 0:6:2]
    assert np.shares_memory(corner, x.array)
    assert out.grad_fn.fast
    assert out.dtype == sh.float32
    out.sum().backward()
    assert x.grad.dtype == sh.float32


def test_max_pool2d_fast_backward_takes_grad_out_in_any_layout():
    """x channels-last (as after our conv), grad_out (N, C, H, W)-contiguous (as from a
    Flatten): backward copies grad_out into x's layout first; the gradient is the same."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (2, 5, 6, 6)).astype(np.float32)  # ties in most windows
    x_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    g = rng.standard_normal((2, 5, 3, 3)).astype(np.float32)
    g_last = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    op = ops.MaxPool2d()
    op.forward(x_last)
    grad_mixed, grad_same = op.backward(g), op.backward(g_last)
    np.testing.assert_array_equal(grad_mixed, grad_same)
    tx = torch.tensor(x, requires_grad=True)
    F.max_pool2d(tx, 2).backward(torch.tensor(g))
    np.testing.assert_array_equal(grad_mixed, tx.grad.numpy())


def test_max_pool2d_gradcheck():
    x = sh.randn(2, 2, 7, 6, dtype=sh.float64, requires_grad=True)  # distinct values: no ties
    assert gradcheck(lambda x: C.max_pool2d(x, 2), x)
    assert gradcheck(lambda x: C.max_pool2d(x, 3, 2, 1, ceil_mode=True), x)


def test_max_pool2d_unbatched():
    x, tx = pair((3, 6, 6))
    close(C.max_pool2d(x, 2), F.max_pool2d(tx, 2), 0)


# ------------------------------------------------------------------------------ avg pool

AVGPOOL_CASES = [
    # x shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 9, 7), 3, 2, 1, False, True, None),
    ((2, 3, 9, 7), 3, 2, 1, False, False, None),
    ((2, 3, 9, 7), (3, 2), (2, 1), (1, 1), True, True, None),
    ((2, 3, 9, 7), 3, 2, 1, True, False, None),
    ((2, 3, 9, 7), 2, 2, 1, False, True, 3),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", AVGPOOL_CASES)
def test_avg_pool2d_matches_torch(case, dtype):
    x_shape, kernel, stride, padding, ceil_mode, include_pad, divisor = case
    x, tx = pair(x_shape, dtype)
    out = C.avg_pool2d(x, kernel, stride, padding, ceil_mode, include_pad, divisor)
    t_out = F.avg_pool2d(tx, kernel, stride, padding, ceil_mode, include_pad, divisor)
    close(out, t_out, TOL[dtype])
    backward_both(out, t_out)
    close(x.grad, tx.grad, TOL[dtype])


def test_avg_pool2d_gradcheck():
    x = sh.randn(2, 2, 7, 6, dtype=sh.float64, requires_grad=True)
    assert gradcheck(lambda x: C.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), x)


# ------------------------------------------------------------------------------ adaptive


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "x_shape, size",
    [
        ((2, 3, 7, 5), 1),
        ((2, 3, 8, 8), (2, 4)),
        ((2, 3, 7, 9), (3, 5)),
        ((2, 3, 6, 5), (None, 3)),
        ((2, 3, 4, 4), 6),
    ],
)
def test_adaptive_avg_pool2d_matches_torch(x_shape, size, dtype):
    x, tx = pair(x_shape, dtype)
    out = C.adaptive_avg_pool2d(x, size)
    t_out = F.adaptive_avg_pool2d(tx, size)
    close(out, t_out, TOL[dtype])
    backward_both(out, t_out)
    close(x.grad, tx.grad, TOL[dtype])


def test_adaptive_avg_pool2d_gradcheck():
    x = sh.randn(2, 2, 7, 5, dtype=sh.float64, requires_grad=True)
    assert gradcheck(lambda x: C.adaptive_avg_pool2d(x, (3, 2)), x)
    assert gradcheck(lambda x: C.adaptive_avg_pool2d(x, 1), x)


def test_adaptive_pool_matrix_rows_are_torch_windows():
    a = ops.adaptive_pool_matrix(7, 3, np.float64)
    # windows [floor(i*7/3), ceil((i+1)*7/3)): [0, 3), [2, 5), [4, 7)
    np.testing.assert_allclose(a[1], [0, 0, 1 / 3, 1 / 3, 1 / 3, 0, 0])
    np.testing.assert_allclose(a.sum(axis=1), 1)


# ------------------------------------------------------------------------------ modules


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((3, 8, 3), {}),
        ((1, 16, 5), {"padding": 2}),
        ((4, 6, (3, 2)), {"bias": False}),
        ((16, 32, 5), {"stride": 2, "dilation": 2}),
    ],
)
def test_conv2d_init_matches_torch_under_the_same_seed(args, kwargs):
    sh.manual_seed(0)
    ours = sh.nn.Conv2d(*args, **kwargs)
    torch.manual_seed(0)
    theirs = torch.nn.Conv2d(*args, **kwargs)
    np.testing.assert_array_equal(ours.weight.array, theirs.weight.detach().numpy())
    assert ours.weight.requires_grad and ours.weight.dtype == sh.float32
    if theirs.bias is None:
        assert ours.bias is None
    else:
        np.testing.assert_array_equal(ours.bias.array, theirs.bias.detach().numpy())
    assert ours.extra_repr() == theirs.extra_repr()
    names = [name for name, _ in ours.named_parameters()]
    assert names == [name for name, _ in theirs.named_parameters()]


def test_lenet_conv_stack_matches_torch_with_copied_weights():
    torch.manual_seed(1)
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    )  # fmt: skip
    sh.manual_seed(1)
    layers = [
        sh.nn.Conv2d(1, 16, 5, padding=2),
        sh.nn.MaxPool2d(2),
        sh.nn.Conv2d(16, 32, 5, padding=2),
        sh.nn.MaxPool2d(2),
    ]
    np.testing.assert_array_equal(layers[2].bias.array, theirs[3].bias.detach().numpy())
    x, tx = pair((8, 1, 28, 28), np.float32)
    h = layers[1](layers[0](x).relu())
    out = layers[3](layers[2](h).relu())
    t_out = theirs(tx)
    close(out, t_out, 1e-4)
    backward_both(out, t_out)
    close(x.grad, tx.grad, 1e-4)
    for ours, i in [(layers[0], 0), (layers[2], 3)]:
        close(ours.weight.grad, theirs[i].weight.grad, 1e-3)
        close(ours.bias.grad, theirs[i].bias.grad, 1e-3)


def test_pool_modules_match_torch():
    x, tx = pair((2, 3, 9, 9))
    pairs = [
        (sh.nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
        (sh.nn.MaxPool2d(2, ceil_mode=True), torch.nn.MaxPool2d(2, ceil_mode=True)),
        (
            sh.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
            torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        ),
        (sh.nn.AdaptiveAvgPool2d((2, 3)), torch.nn.AdaptiveAvgPool2d((2, 3))),
    ]
    for ours, theirs in pairs:
        close(ours(x), theirs(tx), 1e-10)
        assert ours.extra_repr() == theirs.extra_repr()
    out, idx = sh.nn.MaxPool2d(2, return_indices=True)(x)
    t_out, t_idx = torch.nn.MaxPool2d(2, return_indices=True)(tx)
    close(idx, t_idx, 0)


# ------------------------------------------------------------------------------ errors


def test_wrong_number_of_channels_names_layer_shapes_and_fix():
    conv = sh.nn.Conv2d(3, 16, 5)
    with pytest.raises(ShapeError) as info:
        conv(sh.zeros(64, 1, 28, 28))
    message = str(info.value)
    assert (
        "Conv2d(3, 16, ...) expects input of shape (N, 3, H, W); got (64, 1, 28, 28): "
        "in_channels=3 but the input has 1 channel." in message
    )
    assert "Conv2d(1, ...)" in message


def test_channels_last_input_suggests_permute():
    with pytest.raises(ShapeError, match=r"x\.permute\(0, 3, 1, 2\)"):
        sh.nn.Conv2d(3, 8, 3)(sh.zeros(2, 28, 28, 3))


def test_three_d_input_with_wrong_channels_explains_the_batch_dim():
    with pytest.raises(ShapeError) as info:
        sh.nn.Conv2d(1, 8, 3)(sh.zeros(64, 28, 28))
    message = str(info.value)
    assert "A 3-D input is read as ONE image (C, H, W) without a batch dim" in message
    assert "x.unsqueeze(1)" in message and "x.unsqueeze(0)" in message


def test_two_d_input_explains_unsqueeze():
    with pytest.raises(ShapeError, match=r"got 2-D \(28, 28\).*unsqueeze\(0\)\.unsqueeze\(0\)"):
        sh.nn.Conv2d(1, 8, 3)(sh.zeros(28, 28))


def test_kernel_larger_than_padded_input_names_sizes():
    with pytest.raises(ShapeError) as info:
        sh.nn.Conv2d(1, 8, 5, padding=0)(sh.zeros(2, 1, 4, 9))
    assert "kernel height 5 is larger than the padded input height 4 (input 4 + padding 0)" in (
        str(info.value)
    )
    with pytest.raises(ShapeError, match="kernel width 3 \\(dilated to 5\\)"):
        C.conv2d(sh.zeros(1, 1, 8, 4), sh.zeros(1, 1, 1, 3), dilation=2)


def test_pool_output_too_small_names_sizes():
    with pytest.raises(ShapeError, match=r"max_pool2d: the input's \(H, W\) = \(1, 1\)"):
        C.max_pool2d(sh.zeros(1, 1, 1, 1), 2)


def test_bad_arguments_are_explained():
    with pytest.raises(ArgumentError, match="padding='same' is not supported for strided"):
        sh.nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ArgumentError, match="stride must be positive"):
        C.conv2d(sh.zeros(1, 1, 5, 5), sh.zeros(1, 1, 3, 3), stride=0)
    with pytest.raises(ArgumentError, match="padding must be an int, a pair of ints, 'same'"):
        C.conv2d(sh.zeros(1, 1, 5, 5), sh.zeros(1, 1, 3, 3), padding="full")
    with pytest.raises(ArgumentError, match="more than half the kernel"):
        C.max_pool2d(sh.zeros(1, 1, 5, 5), 2, padding=2)


def test_dtype_mismatch_is_explained():
    with pytest.raises(DTypeError, match=r"the input is scratchish.float64 but the weight is "):
        sh.nn.Conv2d(1, 2, 3)(sh.zeros(1, 1, 5, 5, dtype=sh.float64))


# ------------------------------------------------------------------------------ timing


def _time_lenet_convs(repeats: int = 15) -> None:
    """Forward + backward of the LeNet conv stack, ours vs PyTorch, alternating windows.

    Both use 2 threads, or OMP_NUM_THREADS (set OPENBLAS_NUM_THREADS too for NumPy's BLAS).
    """
    import os
    import time

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", 2)))
    layers = [
        sh.nn.Conv2d(1, 16, 5, padding=2),
        sh.nn.MaxPool2d(2),
        sh.nn.Conv2d(16, 32, 5, padding=2),
        sh.nn.MaxPool2d(2),
    ]
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    )  # fmt: skip
    x = sh.randn(64, 1, 28, 28)
    tx = torch.randn(64, 1, 28, 28)

    def ours_step():
        out = layers[3](layers[2](layers[1](layers[0](x).relu())).relu())
        out.sum().backward()

    def theirs_step():
        theirs(tx).sum().backward()

    def best_of(step, n=5):
        step()
        times = []
        for _ in range(n):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        return min(times)

    ratios, ours_ms, theirs_ms = [], [], []
    for _ in range(repeats):
        t = best_of(theirs_step)
        o = best_of(ours_step)
        ratios.append(o / t)
        ours_ms.append(o * 1e3)
        theirs_ms.append(t * 1e3)
    print(
        f"LeNet convs (64, 1, 28, 28), forward + backward: scratchish {np.median(ours_ms):.2f} ms,"
        f" torch {np.median(theirs_ms):.2f} ms, ratio (ours / torch) median "
        f"{np.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f})"
    )


if __name__ == "__main__":
    _time_lenet_convs()


@pytest.mark.parametrize("channels", [1, 3])
def test_few_channel_conv_adds_its_bias_in_the_product(channels):
    # an image's few channels: the bias is a row of the weight matrix against a column of
    # ones in the columns; the same numbers as the product plus the bias, grad_b = sum of g
    from scratchish.ops import conv

    rng = np.random.default_rng(channels)
    x = rng.standard_normal((4, channels, 9, 9)).astype(np.float32)
    w = rng.standard_normal((5, channels, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    settings = ((1, 1), ((1, 1), (1, 1)), (1, 1))
    op, plain = conv.Conv2d(), conv.Conv2d()
    op.needs_input_grad, plain.needs_input_grad = (True, True, True), (True, True, False)
    out = op.forward(x, w, b, *settings)
    assert op.bias_row
    expected = plain.forward(x, w, None, *settings) + b[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    g = rng.standard_normal(out.shape).astype(np.float32)
    grad_x, grad_w, grad_b = op.backward(g)
    plain_x, plain_w, _ = plain.backward(g)
    np.testing.assert_allclose(grad_x, plain_x, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad_w, plain_w, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad_b, g.astype(np.float64).sum(axis=(0, 2, 3)), rtol=1e-5)
    assert grad_w.shape == w.shape and grad_b.shape == b.shape
    xp = conv.pad_input(x, settings[1], channels_last=False)
    cols = conv.im2col(xp, (3, 3), (1, 1), (1, 1), (9, 9), ones=True)
    assert np.array_equal(cols[:, -1], np.ones(len(cols), np.float32))
    assert np.array_equal(cols[:, :-1], conv.im2col(xp, (3, 3), (1, 1), (1, 1), (9, 9)))
