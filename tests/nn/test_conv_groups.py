"""Grouped and depthwise convolutions (groups > 1) in conv1d/2d/3d and nn.Conv1d/2d/3d against
PyTorch: values and the gradients of input, weight and bias, float64 gradcheck, the modules'
init, repr and state_dict, and the errors for bad groups or weights."""

from __future__ import annotations

import numpy as np
import pytest

import scratchish as sh
from helpers import assert_close_to_torch, check_function_against_torch, torch_pair
from scratchish.errors import ArgumentError, ShapeError
from scratchish.tools import gradcheck

torch = pytest.importorskip("torch")
SF = sh.nn.functional

# function, x shape, w shape (C_out, C_in / groups, k...), bias, settings
CASES = [
    ("conv2d", (2, 4, 6, 7), (6, 2, 3, 3), True, {"groups": 2}),
    ("conv2d", (2, 6, 7, 8), (9, 2, 3, 2), True, {"groups": 3, "stride": 2, "padding": 1}),
    ("conv2d", (2, 4, 9, 9), (4, 1, 3, 3), True, {"groups": 4, "padding": 2, "dilation": 2}),
    ("conv2d", (1, 3, 6, 6), (6, 1, 3, 3), False, {"groups": 3, "stride": (2, 1)}),  # k = 2
    ("conv2d", (3, 5, 5), (6, 1, 3, 3), True, {"groups": 3, "padding": "same"}),  # unbatched
    ("conv2d", (2, 4, 5, 5), (4, 4, 1, 1), True, {"groups": 1}),  # the groups=1 path
    ("conv1d", (2, 4, 9), (8, 2, 3), True, {"groups": 2, "stride": 2, "padding": 1}),
    ("conv1d", (2, 5, 10), (10, 1, 3), True, {"groups": 5, "dilation": 2}),  # depthwise
    ("conv1d", (6, 8), (6, 1, 5), False, {"groups": 6, "padding": "same"}),  # unbatched
    ("conv3d", (2, 4, 4, 5, 5), (6, 2, 2, 3, 2), True, {"groups": 2, "stride": (1, 2, 1)}),
    ("conv3d", (1, 3, 5, 5, 5), (6, 1, 3, 3, 3), True, {"groups": 3, "padding": 1}),
    ("conv3d", (3, 6, 6, 6), (3, 1, 2, 2, 2), False, {"groups": 3, "dilation": 2}),
]


@pytest.mark.parametrize("name, x_shape, w_shape, has_bias, kwargs", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_grouped_conv_matches_torch(name, x_shape, w_shape, has_bias, kwargs, dtype):
    shapes = [x_shape, w_shape, (w_shape[0],)] if has_bias else [x_shape, w_shape]
    check_function_against_torch(name, shapes, dtype, **kwargs)


def test_groups_split_the_channels_into_independent_convolutions():
    # a depthwise conv2d is one conv2d per channel: each output channel sees its channel only
    x = sh.tensor(np.random.default_rng(0).standard_normal((1, 3, 5, 5)))
    w = sh.tensor(np.random.default_rng(1).standard_normal((3, 1, 3, 3)))
    out = SF.conv2d(x, w, groups=3)
    for c in range(3):
        alone = SF.conv2d(x[:, c : c + 1], w[c : c + 1])
        np.testing.assert_allclose(out[:, c : c + 1].numpy(), alone.numpy(), atol=1e-12)


def test_each_kind_of_convolution_goes_to_its_op():
    # groups=1 must not pay for the grouped path: its output is made by the op itself
    w = sh.randn(4, 2, 3, 3, requires_grad=True)
    assert type(SF.conv2d(sh.randn(1, 2, 5, 5), w).grad_fn).__name__ == "Conv2d"
    w = sh.randn(4, 2, 3, 3, 3, requires_grad=True)
    assert type(SF.conv3d(sh.randn(1, 2, 4, 4, 4), w).grad_fn).__name__ == "Conv3d"
    grouped = SF.conv2d(sh.randn(1, 4, 5, 5), sh.randn(4, 2, 3, 3, requires_grad=True), groups=2)
    assert type(grouped.grad_fn).__name__ == "Cat"  # the groups=1 op per group, joined
    depthwise = SF.conv2d(sh.randn(1, 4, 5, 5), sh.randn(8, 1, 3, 3, requires_grad=True), groups=4)
    assert type(depthwise.grad_fn).__name__ == "DepthwiseConv"  # one input channel per group


@pytest.mark.parametrize(
    "x_shape, w_shape, settings",
    [
        ((2, 3, 7, 6), (6, 1, 3, 3), {"stride": (2, 1), "padding": ((1, 2), (0, 1))}),
        ((2, 4, 5, 6, 5), (4, 1, 2, 3, 2), {"dilation": (2, 1, 2), "padding": ((0, 0),) * 3}),
        # the padded width (8) is no multiple of the stride (3): the op pads it to 9
        ((3, 2, 7, 7), (2, 1, 3, 2), {"stride": (2, 3), "padding": ((1, 1), (1, 0))}),
        ((2, 3, 11), (3, 1, 4), {"stride": (2,), "dilation": (2,), "padding": ((2, 1),)}),
        ((2, 2, 5, 6, 7), (4, 1, 3, 2, 3), {"stride": (2, 1, 2), "padding": ((1, 0),) * 3}),
        # one filter a channel, as MobileNet's: stride 2 makes four phases of taps (2 x 2,
        # 2 x 1, 1 x 2, 1 x 1 of the 3 x 3); dilated by 3 at stride 2, every tap's own phase
        ((3, 5, 9, 8), (5, 1, 3, 3), {"stride": (2, 2), "padding": ((1, 1), (1, 1))}),
        ((2, 3, 12, 11), (3, 1, 3, 2), {"stride": (2, 2), "dilation": (3, 2)}),
        ((2, 3, 9, 10), (3, 1, 5, 5), {"stride": (3, 1), "padding": ((2, 2), (0, 3))}),
    ],
)
# DepthwiseConv works in blocks of channels (all images) or of images (one channel): 8 bytes
# make every block one channel of one image; 300 bytes one whole channel in the 1-d case;
# 1.5 KB one or two images of a channel in the 2-d cases; the default (1 MB) all channels.
# On channels-last input with one filter a channel, in blocks of whole images: 8 bytes make
# one image a block
@pytest.mark.parametrize("block_bytes", [8, 300, 1500, None])
# channels-last: the sums over taps run in rows of WIDE_ROW values (whole pixels) and then
# the pixels left; with 12, both parts at these sizes; with 8192 the pixels left alone
@pytest.mark.parametrize("channels_last, wide_row", [(False, None), (True, None), (True, 12)])
def test_depthwise_op_equals_the_composed_conv_per_channel(
    x_shape, w_shape, settings, block_bytes, channels_last, wide_row, monkeypatch
):
    # the fused op (DepthwiseConv) against the plain path: the groups=1 op once per channel
    from scratchish.nn.conv import _by_groups
    from scratchish.ops import conv as ops

    if block_bytes is not None:
        monkeypatch.setattr(ops, "DEPTHWISE_BLOCK_BYTES", block_bytes)
    if wide_row is not None:
        monkeypatch.setattr(ops, "WIDE_ROW", wide_row)
    ones = (1,) * (len(x_shape) - 2)
    settings = {"stride": ones, "dilation": ones, **settings}
    plain = {3: ops.Conv2d, 4: ops.Conv2d, 5: ops.Conv3d}[len(x_shape)]

    def layout(a):  # channels-last memory (N, *size, C), or as it is
        return np.moveaxis(np.moveaxis(a, 1, -1).copy(), -1, 1) if channels_last else a

    results = []
    for run in [
        lambda x, w, b: ops.DepthwiseConv.apply(x, w, b, **settings),
        lambda x, w, b: _by_groups(x, w, b, x_shape[1], lambda *a: plain.apply(*a, **settings)),
    ]:
        rng = np.random.default_rng(0)
        x = sh.tensor(layout(rng.standard_normal(x_shape)), requires_grad=True)
        w = sh.tensor(rng.standard_normal(w_shape), requires_grad=True)
        b = sh.tensor(rng.standard_normal(w_shape[0]), requires_grad=True)
        out = run(x, w, b)
        if not results:  # the op's own path: channels-last for one filter a channel
            assert out.grad_fn.channels_last == (channels_last and w_shape[0] == x_shape[1])
        out.backward(sh.tensor(layout(rng.standard_normal(tuple(out.shape)))))
        results.append([out.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for fused, composed in zip(*results):
        np.testing.assert_allclose(fused, composed, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("block_bytes", [1, 700, 1500, 2800, 10**6])
def test_depthwise_blocks_cover_each_channel_of_each_image_once(block_bytes, monkeypatch):
    from scratchish.ops import conv as ops

    monkeypatch.setattr(ops, "DEPTHWISE_BLOCK_BYTES", block_bytes)
    # 3 images of 8 x 5 padded to 10 x 7 (70 values an image), 3 x 3 kernel
    grid = ops._WideGrid(3, (8, 5), ((1, 1), (1, 1)), (3, 3), (1, 1), (1, 1), (8, 5))
    seen = np.zeros((5, 3), dtype=int)  # (channel, image): 5 of 9 channels, 3 images
    blocks = list(grid.blocks(slice(2, 7), 3, 2, 4))  # 2 filters of float32: 560 B an image
    for channels, images in blocks:
        seen[channels.start - 2 : channels.stop - 2, images] += 1
    assert (seen == 1).all()
    whole_channels = block_bytes >= 3 * 560
    assert all((images == slice(0, 3)) == whole_channels for _, images in blocks)
    assert len(blocks) == {1: 15, 700: 15, 1500: 10, 2800: 5, 10**6: 1}[block_bytes]


@pytest.mark.parametrize(
    "name, x_shape, w_shape, kwargs",
    [
        ("conv2d", (1, 4, 4, 5), (6, 2, 2, 3), {"groups": 2, "stride": 2, "padding": 1}),
        ("conv2d", (3, 4, 4), (6, 1, 3, 3), {"groups": 3, "dilation": (1, 2), "padding": 2}),
        ("conv1d", (2, 4, 7), (4, 1, 3), {"groups": 4, "stride": 2, "dilation": 2}),
        ("conv3d", (1, 4, 3, 4, 3), (4, 2, 2, 2, 2), {"groups": 2, "padding": (0, 1, 1)}),
    ],
)
def test_grouped_conv_gradcheck(name, x_shape, w_shape, kwargs):
    rng = np.random.default_rng(0)
    x = sh.tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = sh.tensor(rng.standard_normal(w_shape), requires_grad=True)
    b = sh.tensor(rng.standard_normal(w_shape[0]), requires_grad=True)
    report = gradcheck(lambda x, w, b: getattr(SF, name)(x, w, b, **kwargs), x, w, b)
    assert report, str(report)


# ------------------------------------------------------------------------------ modules

MODULES = [
    ("Conv2d", (4, 6, 3), {"groups": 2}, (5, 6)),
    ("Conv2d", (6, 12, 3), {"groups": 6, "padding": 1, "stride": 2, "bias": False}, (7, 7)),
    ("Conv2d", (4, 4, 3), {"groups": 4, "padding": 1, "padding_mode": "reflect"}, (5, 5)),
    ("Conv1d", (6, 9, 3), {"groups": 3, "dilation": 2}, (11,)),
    ("Conv1d", (4, 4, 5), {"groups": 4, "padding": "same", "padding_mode": "circular"}, (9,)),
    ("Conv3d", (4, 8, 2), {"groups": 4, "stride": (1, 2, 2)}, (3, 5, 5)),
]


@pytest.mark.parametrize("name, args, kwargs, size", MODULES, ids=str)
def test_module_init_repr_state_dict_and_forward_match_torch(name, args, kwargs, size):
    sh.manual_seed(0)
    ours = getattr(sh.nn, name)(*args, **kwargs)
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs) and f"groups={kwargs['groups']}" in repr(ours)
    assert ours.weight.shape == theirs.weight.shape  # (out, in / groups, *kernel)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():  # fan_in = in / groups * kernel: same init
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())
    x, tx = torch_pair((2, args[0], *size), np.float32)
    out, t_out = ours(x), theirs(tx)
    assert_close_to_torch(out, t_out, 2e-5)
    out.square().sum().backward()
    t_out.square().sum().backward()
    assert_close_to_torch(x.grad, tx.grad, 1e-4)
    assert_close_to_torch(ours.weight.grad, theirs.weight.grad, 1e-4)
    if ours.bias is not None:
        assert_close_to_torch(ours.bias.grad, theirs.bias.grad, 1e-4)


def test_grouped_state_dict_loads_into_torch_and_back():
    ours = sh.nn.Conv2d(4, 8, 3, groups=4)
    theirs = torch.nn.Conv2d(4, 8, 3, groups=4)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x, tx = torch_pair((1, 4, 5, 5), np.float32)
    assert_close_to_torch(ours(x), theirs(tx), 2e-5)
    fresh = sh.nn.Conv2d(4, 8, 3, groups=4)
    fresh.load_state_dict({k: sh.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), theirs.weight.detach().numpy())


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("layer", ["Conv1d", "Conv2d", "Conv3d"])
@pytest.mark.parametrize("groups", [0, -2, 1.5, True, "2"])
def test_groups_must_be_a_positive_int(layer, groups):
    with pytest.raises(ArgumentError, match=rf"groups must be a positive int.*{groups!r}"):
        getattr(sh.nn, layer)(4, 4, 3, groups=groups)


@pytest.mark.parametrize("layer", ["Conv1d", "Conv2d", "Conv3d"])
def test_module_groups_must_divide_both_channel_counts(layer):
    with pytest.raises(ArgumentError) as info:
        getattr(sh.nn, layer)(6, 4, 3, groups=4)
    message = str(info.value)
    assert f"{layer}(6, 4, ...): groups=4 must divide in_channels (6)" in message
    assert "Use a groups value that divides 6 and 4: 1, 2." in message
    with pytest.raises(ArgumentError, match=r"groups=3 must divide out_channels \(4\)"):
        getattr(sh.nn, layer)(6, 4, 3, groups=3)


@pytest.mark.parametrize(
    "name, x_shape, w_shape",
    [("conv1d", (1, 4, 6), (5, 2, 3)), ("conv2d", (1, 4, 6, 6), (5, 2, 3, 3))],
)
def test_function_weight_rows_must_divide_by_groups(name, x_shape, w_shape):
    with pytest.raises(ArgumentError) as info:
        getattr(SF, name)(sh.zeros(*x_shape), sh.zeros(*w_shape), groups=2)
    message = str(info.value)
    assert f"{name}: groups=2 must divide out_channels, the weight's dim 0 (5)" in message
    assert "divides 5: 1, 5." in message


def test_function_groups_zero_or_negative_is_refused():
    with pytest.raises(ArgumentError, match="conv3d: groups must be a positive int.*groups=0"):
        SF.conv3d(sh.zeros(1, 2, 3, 3, 3), sh.zeros(2, 1, 2, 2, 2), groups=0)
    with pytest.raises(ArgumentError, match="conv2d: groups must be a positive int.*groups=-1"):
        SF.conv2d(sh.zeros(1, 2, 3, 3), sh.zeros(2, 1, 2, 2), groups=-1)


def test_weight_with_all_input_channels_per_group_names_the_fix():
    # the common slip: a (C_out, C_in, k, k) weight with groups > 1; it needs C_in / groups
    with pytest.raises(ShapeError) as info:
        SF.conv2d(sh.zeros(1, 6, 5, 5), sh.zeros(6, 6, 3, 3), groups=3)
    message = str(info.value)
    assert "in_channels=18 but the input has 6 channels" in message
    assert "groups times the weight's dim 1 (3 * 6)" in message
    assert "the weight's dim 1 must be 2" in message


def test_input_channels_that_do_not_split_into_groups_are_explained():
    with pytest.raises(ShapeError) as info:
        sh.nn.Conv1d(6, 6, 3, groups=2)(sh.zeros(1, 5, 8))
    assert "in_channels=6 but the input has 5 channels" in str(info.value)
    assert "5 channels cannot be split into 2 groups" in str(info.value)
    with pytest.raises(ShapeError, match="5 channels cannot be split into 2 groups"):
        sh.nn.Conv3d(4, 4, 2, groups=2)(sh.zeros(1, 5, 3, 3, 3))


def test_grouped_bias_must_have_one_value_per_output_channel():
    with pytest.raises(ShapeError, match=r"bias must have shape \(6,\)"):
        SF.conv2d(sh.zeros(1, 4, 5, 5), sh.zeros(6, 2, 3, 3), sh.zeros(3), groups=2)
