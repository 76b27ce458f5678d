"""Transposed convolutions (nn/conv_transpose.py, ops/conv.py) against PyTorch: values and
gradients over many settings, float64 gradcheck, init and state_dict, output_size, a small
autoencoder trained step by step, and the errors."""

from __future__ import annotations

import doctest
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import scratchish as sh
from helpers import (
    assert_close_to_torch,
    check_function_against_torch,
    sgd_losses_side_by_side,
    torch_pair,
)
from scratchish.errors import ArgumentError, DTypeError, ShapeError
from scratchish.tools import gradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional
SF = sh.nn.functional


def check_against_torch(name, x_shape, w_shape, has_bias, dtype=np.float64, **kwargs):
    """Run sh's and torch's `name` on the same inputs; compare the output and the gradients
    of the input, weight and bias (C_out = w_shape[1] * groups) pulled back from the same
    random grad_out."""
    bias = [(w_shape[1] * kwargs.get("groups", 1),)] if has_bias else []
    check_function_against_torch(name, [x_shape, w_shape, *bias], dtype, **kwargs)


# x shape, w shape (C_in, C_out / groups, k...), bias, settings
CASES_2D = [
    ((2, 3, 4, 5), (3, 2, 3, 3), True, {}),
    ((2, 3, 4, 5), (3, 2, 2, 2), True, {"stride": 2}),  # the usual 2x upsampling
    ((2, 3, 4, 5), (3, 4, 3, 2), False, {"stride": (2, 3), "padding": (1, 0)}),
    ((2, 3, 5, 4), (3, 2, 3, 3), True, {"stride": 2, "padding": 1, "output_padding": 1}),
    ((1, 2, 3, 4), (2, 3, 4, 3), True, {"stride": (3, 2), "output_padding": (2, 1)}),
    ((2, 2, 4, 4), (2, 3, 3, 3), True, {"dilation": 2, "padding": 2}),
    ((1, 2, 3, 3), (2, 2, 2, 3), True, {"stride": 1, "dilation": (3, 2), "output_padding": (2, 1)}),
    ((2, 4, 3, 5), (4, 3, 3, 3), True, {"groups": 2, "stride": 2}),
    ((2, 6, 4, 4), (6, 1, 3, 3), True, {"groups": 6, "padding": 1}),  # depthwise
    ((2, 6, 3, 3), (6, 2, 2, 4), False, {"groups": 3, "stride": 2, "dilation": 2}),
    ((1, 1, 1, 1), (1, 5, 4, 4), True, {}),  # one pixel: the kernel itself
    ((3, 5, 2, 2), (5, 1, 1, 1), True, {"stride": 3, "output_padding": 1}),  # 1x1, spread out
    ((2, 3, 6, 6), (3, 2, 4, 4), True, {"stride": 2, "padding": 3}),  # padding crops a lot
    ((2, 5, 4, 4), (5, 3, 3, 3), True, {"stride": 2, "padding": 1, "output_padding": 1}),
    ((4, 5, 6), (4, 2, 3, 3), True, {"stride": 2, "output_padding": 1}),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES_2D, ids=str)
def test_conv_transpose2d_matches_torch(case, dtype):
    x_shape, w_shape, has_bias, kwargs = case
    check_against_torch("conv_transpose2d", x_shape, w_shape, has_bias, dtype, **kwargs)


CASES_1D = [
    ((2, 3, 7), (3, 2, 3), True, {}),
    ((2, 3, 7), (3, 4, 4), True, {"stride": 2, "padding": 1}),
    ((2, 3, 5), (3, 2, 3), False, {"stride": 3, "output_padding": 2, "dilation": 2}),
    ((2, 4, 6), (4, 1, 3), True, {"groups": 4, "stride": 2, "padding": 1}),
    ((1, 6, 4), (6, 2, 2), True, {"groups": 2, "dilation": 3, "output_padding": 1}),
    ((3, 9), (3, 2, 5), True, {"stride": 2, "padding": 2, "output_padding": 1}),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES_1D, ids=str)
def test_conv_transpose1d_matches_torch(case, dtype):
    x_shape, w_shape, has_bias, kwargs = case
    check_against_torch("conv_transpose1d", x_shape, w_shape, has_bias, dtype, **kwargs)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 2),
    groups=st.integers(1, 3),
    c=st.integers(1, 3),
    o=st.integers(1, 3),
    size=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    extra=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
)
def test_conv_transpose2d_matches_torch_on_random_settings(
    n, groups, c, o, size, kernel, stride, padding, extra, dilation
):
    assume(all(e < s or e < d for e, s, d in zip(extra, stride, dilation)))
    out = [
        (m - 1) * s - 2 * p + d * (k - 1) + e + 1
        for m, k, s, p, e, d in zip(size, kernel, stride, padding, extra, dilation)
    ]
    assume(min(out) >= 1)
    kwargs = {
        "stride": stride,
        "padding": padding,
        "output_padding": extra,
        "groups": groups,
        "dilation": dilation,
    }
    check_against_torch(
        "conv_transpose2d", (n, c * groups, *size), (c * groups, o, *kernel), True, **kwargs
    )


@pytest.mark.parametrize(
    "name, x_shape, w_shape, kwargs",
    [
        ("conv_transpose2d", (2, 2, 3, 3), (2, 2, 3, 2), {"stride": 2, "padding": 1}),
        (
            "conv_transpose2d",
            (1, 4, 2, 3),
            (4, 1, 2, 2),
            {"groups": 2, "output_padding": 1, "stride": 2},
        ),
        ("conv_transpose2d", (2, 3, 3), (2, 2, 2, 2), {"dilation": 2}),
        ("conv_transpose1d", (2, 2, 4), (2, 3, 3), {"stride": 2, "output_padding": 1}),
        ("conv_transpose1d", (4, 3), (4, 1, 2), {"groups": 2, "dilation": 2}),
    ],
)
def test_conv_transpose_gradcheck(name, x_shape, w_shape, kwargs):
    if len(x_shape) < len(w_shape):  # unbatched: x has C_in channels first
        x_shape = (w_shape[0], *x_shape[1:])
    rng = np.random.default_rng(0)
    x = sh.tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = sh.tensor(rng.standard_normal(w_shape), requires_grad=True)
    b = sh.tensor(rng.standard_normal(w_shape[1] * kwargs.get("groups", 1)), requires_grad=True)
    report = gradcheck(lambda x, w, b: getattr(SF, name)(x, w, b, **kwargs), x, w, b)
    assert report, str(report)


def test_conv_transpose2d_undoes_the_shape_change_of_conv2d():
    # the adjoint: <conv2d(x, w), y> = <x, conv_transpose2d(y, w)> for the same settings
    rng = np.random.default_rng(0)
    x = sh.tensor(rng.standard_normal((2, 3, 9, 8)))
    w = sh.tensor(rng.standard_normal((4, 3, 3, 3)))
    down = SF.conv2d(x, w, stride=2, padding=1)
    y = sh.tensor(rng.standard_normal(tuple(down.shape)))
    up = SF.conv_transpose2d(y, w, stride=2, padding=1, output_padding=(0, 1))
    assert up.shape == x.shape
    assert np.isclose(float((down * y).sum()), float((x * up).sum()), rtol=1e-12)


def test_conv_transpose2d_keeps_float32_and_gives_no_grad_to_inputs_without_one():
    x = sh.randn(2, 3, 4, 4)
    w = sh.randn(3, 2, 3, 3, requires_grad=True)
    out = SF.conv_transpose2d(x, w, stride=2)
    assert out.dtype == sh.float32
    out.sum().backward()
    assert x.grad is None and w.grad.dtype == sh.float32


def test_docstring_examples_run():
    result = doctest.testmod(sys.modules["scratchish.nn.conv_transpose"])
    assert result.attempted >= 5 and result.failed == 0


# ------------------------------------------------------------------------------ modules

MODULES = [
    ("ConvTranspose2d", (3, 8, 3), {}),
    ("ConvTranspose2d", (4, 6, (3, 2)), {"stride": 2, "padding": 1, "output_padding": 1}),
    ("ConvTranspose2d", (4, 6, 3), {"groups": 2, "dilation": 2, "bias": False}),
    ("ConvTranspose2d", (16, 8, 2), {"stride": 2}),
    ("ConvTranspose1d", (3, 5, 4), {"stride": 2, "padding": 1}),
    ("ConvTranspose1d", (6, 4, 3), {"groups": 2, "output_padding": 1, "stride": 2}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES, ids=str)
def test_module_init_repr_and_forward_match_torch(name, args, kwargs):
    sh.manual_seed(0)
    ours = getattr(sh.nn, name)(*args, **kwargs)
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight.shape == theirs.weight.shape
    for key, value in theirs.state_dict().items():  # the same numbers from the same seed
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())
    size = (5, 4) if name.endswith("2d") else (7,)
    x, tx = torch_pair((2, args[0], *size), np.float32)
    out, t_out = ours(x), theirs(tx)
    assert_close_to_torch(out, t_out, 2e-5)
    out.sum().backward()
    t_out.sum().backward()
    assert_close_to_torch(x.grad, tx.grad, 2e-5)
    assert_close_to_torch(ours.weight.grad, theirs.weight.grad, 1e-4)


@pytest.mark.parametrize(
    "name, x_shape, output_size",
    [
        ("ConvTranspose2d", (1, 4, 5, 5), (11, 12)),
        ("ConvTranspose2d", (1, 4, 5, 5), (1, 4, 12, 11)),  # the whole shape
        ("ConvTranspose2d", (4, 5, 5), (4, 12, 12)),  # unbatched, whole shape
        ("ConvTranspose2d", (2, 4, 5, 5), sh.Size([2, 4, 12, 12])),
        ("ConvTranspose1d", (2, 4, 6), (14,)),
        ("ConvTranspose1d", (4, 6), [13]),
    ],
)
def test_output_size_picks_the_output_padding_as_torch(name, x_shape, output_size):
    sh.manual_seed(0)
    ours = getattr(sh.nn, name)(4, 3, 3, stride=2, padding=0)
    theirs = getattr(torch.nn, name)(4, 3, 3, stride=2, padding=0)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x, tx = torch_pair(x_shape, np.float32)
    t_size = list(output_size)
    assert_close_to_torch(ours(x, output_size=output_size), theirs(tx, output_size=t_size), 2e-5)


def test_state_dict_round_trips_with_torch_key_names(tmp_path):
    def model(nn):
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ConvTranspose2d(4, 2, 2, stride=2)
        )

    sh.manual_seed(3)
    ours = model(sh.nn)
    theirs = model(torch.nn)
    assert list(ours.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x, tx = torch_pair((2, 1, 8, 8), np.float32)
    assert_close_to_torch(ours(x), theirs(tx), 2e-5)
    # torch's weights into a fresh scratchish model, and a save/load through a file
    fresh = model(sh.nn)
    fresh.load_state_dict({k: sh.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert_close_to_torch(fresh(x), theirs(tx), 2e-5)
    sh.save(fresh.state_dict(), tmp_path / "ae.safetensors")
    again = model(sh.nn)
    again.load_state_dict(sh.load(tmp_path / "ae.safetensors"))
    assert_close_to_torch(again(x), theirs(tx), 2e-5)
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(9)
    other = model(torch.nn)  # other weights, until it loads ours
    other.load_state_dict(safetensors_torch.load_file(tmp_path / "ae.safetensors"))
    assert_close_to_torch(again(x), other(tx), 2e-5)


def test_autoencoder_trains_with_torch_losses_step_by_step():
    def model(nn):
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1),  # 12x12 -> 6x6
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),  # -> 3x3
            nn.ReLU(),
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),  # -> 6x6
            nn.ReLU(),
            nn.ConvTranspose2d(8, 1, 2, stride=2),  # -> 12x12
            nn.Sigmoid(),
        )

    sh.manual_seed(0)
    ours = model(sh.nn)
    torch.manual_seed(0)
    theirs = model(torch.nn)
    images = np.random.default_rng(0).uniform(0, 1, (16, 1, 12, 12)).astype(np.float32)
    x, tx = sh.tensor(images), torch.tensor(images)
    losses, t_losses = sgd_losses_side_by_side(
        ours, theirs, lambda: SF.mse_loss(ours(x), x), lambda: F.mse_loss(theirs(tx), tx), 6, 0.5
    )
    np.testing.assert_allclose(losses, t_losses, rtol=1e-5)
    assert losses[-1] < losses[0]


# ------------------------------------------------------------------------------ errors


def test_output_padding_must_be_smaller_than_stride_or_dilation():
    x, w = sh.zeros(1, 2, 4, 4), sh.zeros(2, 3, 3, 3)
    with pytest.raises(ArgumentError, match=r"output_padding \(1, 1\) must be smaller than the"):
        SF.conv_transpose2d(x, w, output_padding=1)
    with pytest.raises(ArgumentError, match="output_padding"):
        SF.conv_transpose2d(x, w, stride=2, output_padding=(0, 2))
    with pytest.raises(ArgumentError, match="output_padding"):
        SF.conv_transpose1d(sh.zeros(1, 2, 4), sh.zeros(2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ArgumentError, match="output_padding"):
        sh.nn.ConvTranspose2d(2, 3, 3, output_padding=1)(x)
    SF.conv_transpose2d(x, w, dilation=2, output_padding=1)  # smaller than the dilation: fine


def test_groups_must_divide_the_channels():
    with pytest.raises(ArgumentError, match=r"groups=2 must divide in_channels \(3\)"):
        sh.nn.ConvTranspose2d(3, 4, 3, groups=2)
    with pytest.raises(ArgumentError, match=r"groups=2 must divide out_channels \(3\)"):
        sh.nn.ConvTranspose2d(4, 3, 3, groups=2)
    with pytest.raises(ArgumentError, match="groups=2 must divide the input channels"):
        SF.conv_transpose2d(sh.zeros(1, 3, 4, 4), sh.zeros(3, 3, 3, 3), groups=2)
    with pytest.raises(ArgumentError, match="groups must be a positive int"):
        SF.conv_transpose1d(sh.zeros(1, 2, 4), sh.zeros(2, 3, 3), groups=0)


def test_wrong_input_rank_or_channels_is_explained():
    layer = sh.nn.ConvTranspose2d(4, 2, 3)
    with pytest.raises(ShapeError, match=r"expects a 4-D input \(N, 4, H, W\).*got 2-D"):
        layer(sh.zeros(5, 5))
    with pytest.raises(ShapeError, match=r"in_channels=4 but the input has 3 channels.*"
                       r"ConvTranspose2d\(3, \.\.\.\)"):  # fmt: skip
        layer(sh.zeros(1, 3, 5, 5))
    with pytest.raises(ShapeError, match=r"expects a 3-D input \(N, 4, L\)"):
        sh.nn.ConvTranspose1d(4, 2, 3)(sh.zeros(1, 4, 5, 5))
    with pytest.raises(ShapeError, match="in_channels=4 but the input has 2 channels"):
        sh.nn.ConvTranspose1d(4, 2, 3)(sh.zeros(1, 2, 5))
    with pytest.raises(ShapeError, match="weight must be 4-D"):
        SF.conv_transpose2d(sh.zeros(1, 4, 5, 5), sh.zeros(4, 2, 3))
    with pytest.raises(ShapeError, match=r"bias must have shape \(6,\)"):
        SF.conv_transpose2d(sh.zeros(1, 4, 5, 5), sh.zeros(4, 3, 3, 3), sh.zeros(3), groups=2)
    with pytest.raises(DTypeError, match="the input is scratchish.float64 but the weight is"):
        layer(sh.zeros(1, 4, 5, 5, dtype=sh.float64))


def test_bad_settings_are_explained():
    x, w = sh.zeros(1, 2, 4, 4), sh.zeros(2, 3, 3, 3)
    with pytest.raises(ShapeError, match=r"the output would be \(-4, -4\) pixels"):
        SF.conv_transpose2d(x, w, padding=5)
    with pytest.raises(ArgumentError, match="padding must be non-negative"):
        SF.conv_transpose2d(x, w, padding=-1)
    with pytest.raises(ArgumentError, match="take no 'same' or 'valid'"):
        SF.conv_transpose2d(x, w, padding="same")
    with pytest.raises(ArgumentError, match="stride must be positive"):
        SF.conv_transpose2d(x, w, stride=0)
    with pytest.raises(ArgumentError, match="only 'zeros' padding is supported"):
        sh.nn.ConvTranspose2d(2, 3, 3, padding_mode="reflect")
    with pytest.raises(ArgumentError, match=r"can give output sizes \(9, 9\) to \(10, 10\)"):
        sh.nn.ConvTranspose2d(2, 3, 3, stride=2)(x, output_size=(11, 9))
    with pytest.raises(ArgumentError, match="output_size must hold the 2 output sizes"):
        sh.nn.ConvTranspose2d(2, 3, 3, stride=2)(x, output_size=(9,))
    with pytest.raises(DTypeError, match="input must be a Tensor, got ndarray"):
        SF.conv_transpose2d(np.zeros((1, 2, 4, 4)), w)


@pytest.mark.parametrize("case", [CASES_2D[1], CASES_2D[3], CASES_2D[5]])
def test_conv_transpose2d_backward_in_blocks_equals_one_product(case, monkeypatch):
    """Backward's columns made a block at a time (COLS_BLOCK_BYTES; at the smallest, one
    row of one image's pixels) give the numbers of one whole im2col product."""
    ops = sys.modules["scratchish.ops.conv"]
    x_shape, w_shape, _, kwargs = case
    x_shape = (5, *x_shape[1:])  # more images than one per block
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in (x_shape, w_shape, (w_shape[1],))]

    def run():
        x, w, b = (sh.tensor(a, requires_grad=True) for a in arrays)
        out = SF.conv_transpose2d(x, w, b, **kwargs)
        out.backward(sh.tensor(np.random.default_rng(1).standard_normal(out.shape)))
        return x.grad.numpy(), w.grad.numpy()

    monkeypatch.setattr(ops, "COLS_BLOCK_BYTES", 2**40)
    whole = run()
    calls = []
    real = ops.im2col
    monkeypatch.setattr(ops, "im2col", lambda xp, *a, **k: calls.append(a[3]) or real(xp, *a, **k))
    monkeypatch.setattr(ops, "COLS_BLOCK_BYTES", 1)  # one row of x's pixels per block
    blocks = run()
    assert calls == [(1, x_shape[3])] * (x_shape[0] * x_shape[2])  # columns' out_size
    for ours, plain in zip(blocks, whole):
        np.testing.assert_allclose(ours, plain, rtol=1e-12, atol=1e-12)
