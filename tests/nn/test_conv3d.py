"""3-d layers (conv3d, conv_transpose3d, max_pool3d, avg_pool3d and their modules) against
PyTorch: values and gradients over many settings, float64 gradcheck, inits, a small volume
classifier trained step by step, and the errors. The ops are the 2-d ones, whose code reads the
number of spatial dims off its inputs."""

from __future__ import annotations

import numpy as np
import pytest

import scratchish as sh
from helpers import (
    assert_close_to_torch,
    check_function_against_torch,
    sgd_losses_side_by_side,
    torch_pair,
)
from scratchish.errors import ArgumentError, ShapeError
from scratchish.tools import gradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional
SF = sh.nn.functional

CONV3D = [
    ([(2, 3, 5, 6, 4), (4, 3, 3, 3, 3), (4,)], {}),
    ([(2, 5, 5, 6, 4), (4, 5, 2, 3, 2), (4,)], {"stride": (2, 1, 2), "padding": (1, 0, 2)}),
    ([(1, 2, 7, 6, 6), (3, 2, 3, 2, 3)], {"dilation": (2, 1, 2), "padding": 1, "stride": 2}),
    ([(2, 4, 5, 5, 5), (2, 4, 3, 3, 3), (2,)], {"padding": "same"}),
    ([(2, 4, 5, 5, 5), (2, 4, 2, 2, 4)], {"padding": "same", "dilation": 2}),  # even: uneven pad
    ([(3, 6, 4, 5), (2, 3, 3, 3, 3), (2,)], {"padding": 1}),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes, kwargs", CONV3D, ids=str)
def test_conv3d_matches_torch(shapes, kwargs, dtype):
    if len(shapes[0]) == 4:  # unbatched: the channels match the weight's
        shapes = [(shapes[1][1], *shapes[0][1:]), *shapes[1:]]
    check_function_against_torch("conv3d", shapes, dtype, **kwargs)


CONV_TRANSPOSE3D = [
    ([(2, 3, 3, 4, 2), (3, 2, 3, 3, 3), (2,)], {}),
    ([(2, 3, 3, 4, 2), (3, 2, 2, 2, 2), (2,)], {"stride": 2}),
    ([(1, 4, 3, 3, 3), (4, 3, 3, 2, 3), (6,)], {"groups": 2, "stride": (2, 1, 3), "padding": 1}),
    ([(2, 2, 3, 2, 3), (2, 2, 3, 3, 3)], {"stride": 2, "output_padding": (1, 0, 1), "dilation": 2}),
    ([(4, 3, 2, 2), (4, 3, 2, 2, 2), (3,)], {"stride": 2, "output_padding": 1}),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes, kwargs", CONV_TRANSPOSE3D, ids=str)
def test_conv_transpose3d_matches_torch(shapes, kwargs, dtype):
    check_function_against_torch("conv_transpose3d", shapes, dtype, **kwargs)


POOLS = [
    ("max_pool3d", (2, 3, 6, 6, 6), {"kernel_size": 2}),
    ("max_pool3d", (2, 3, 7, 6, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("max_pool3d", (1, 2, 7, 7, 6), {"kernel_size": (2, 3, 2), "dilation": (2, 1, 2)}),
    ("max_pool3d", (2, 2, 5, 6, 7), {"kernel_size": 2, "ceil_mode": True}),
    ("max_pool3d", (3, 5, 4, 6), {"kernel_size": (1, 2, 3), "stride": 1}),  # unbatched
    ("avg_pool3d", (2, 3, 6, 6, 6), {"kernel_size": 2}),
    ("avg_pool3d", (2, 3, 7, 6, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("avg_pool3d", (2, 2, 7, 5, 6), {"kernel_size": 3, "padding": 1, "count_include_pad": False}),
    ("avg_pool3d", (2, 2, 5, 6, 7), {"kernel_size": 2, "ceil_mode": True, "stride": 2}),
    ("avg_pool3d", (1, 2, 4, 4, 4), {"kernel_size": 2, "divisor_override": 3}),
    ("avg_pool3d", (3, 5, 4, 6), {"kernel_size": (3, 2, 2), "stride": (1, 2, 2)}),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, shape, kwargs", POOLS, ids=str)
def test_pool3d_matches_torch(name, shape, kwargs, dtype):
    check_function_against_torch(name, [shape], dtype, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": (1, 2, 1)}],
)
def test_max_pool3d_indices_match_torch(kwargs):
    x, tx = torch_pair((2, 3, 6, 7, 6))
    out, idx = SF.max_pool3d(x, return_indices=True, **kwargs)
    t_out, t_idx = F.max_pool3d(tx, return_indices=True, **kwargs)
    assert_close_to_torch(out, t_out, 0)
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    assert idx.dtype == sh.int64
    _, idx1 = SF.max_pool3d(x[0], return_indices=True, **kwargs)  # unbatched
    np.testing.assert_array_equal(idx1.numpy(), t_idx[0].numpy())


@pytest.mark.parametrize(
    "name, shapes, kwargs",
    [
        ("conv3d", [(2, 2, 4, 3, 4), (3, 2, 2, 2, 3), (3,)], {"stride": (1, 2, 1), "padding": 1}),
        ("conv_transpose3d", [(1, 2, 2, 3, 2), (2, 2, 2, 2, 2), (4,)], {"stride": 2, "groups": 2}),
        ("max_pool3d", [(1, 2, 5, 4, 5)], {"kernel_size": 3, "stride": 2, "padding": 1}),
        ("avg_pool3d", [(1, 2, 5, 4, 5)], {"kernel_size": 2, "ceil_mode": True}),
    ],
)
def test_3d_gradcheck(name, shapes, kwargs):
    rng = np.random.default_rng(0)
    inputs = [sh.tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes]
    report = gradcheck(lambda *ts: getattr(SF, name)(*ts, **kwargs), *inputs)
    assert report, str(report)


# ------------------------------------------------------------------------------ modules

MODULES = [
    ("Conv3d", (2, 4, 3), {}),
    ("Conv3d", (3, 2, (2, 3, 1)), {"stride": 2, "padding": (1, 0, 1), "bias": False}),
    ("Conv3d", (2, 3, 3), {"padding": "same", "dilation": 2}),
    ("Conv3d", (2, 3, 3), {"padding": 1, "padding_mode": "reflect"}),
    ("Conv3d", (2, 3, 3), {"padding": 2, "padding_mode": "circular", "stride": 2}),
    ("ConvTranspose3d", (2, 4, 2), {"stride": 2}),
    ("ConvTranspose3d", (4, 2, 3), {"groups": 2, "padding": 1, "output_padding": 1, "stride": 2}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES, ids=str)
def test_modules_init_repr_and_forward_match_torch(name, args, kwargs):
    sh.manual_seed(0)
    ours = getattr(sh.nn, name)(*args, **kwargs)
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())
    x, tx = torch_pair((2, args[0], 5, 4, 6), np.float32)
    out, t_out = ours(x), theirs(tx)
    assert_close_to_torch(out, t_out, 2e-5)
    out.sum().backward()
    t_out.sum().backward()
    assert_close_to_torch(x.grad, tx.grad, 2e-5)
    assert_close_to_torch(ours.weight.grad, theirs.weight.grad, 1e-4)


def test_pool_modules_match_torch():
    x, tx = torch_pair((2, 3, 7, 6, 5))
    for args, kwargs in [((2,), {}), ((3, 2, 1), {"ceil_mode": True}), ((3,), {"stride": 1})]:
        for name in ("MaxPool3d", "AvgPool3d"):
            ours, theirs = (
                getattr(sh.nn, name)(*args, **kwargs),
                getattr(torch.nn, name)(*args, **kwargs),
            )
            assert repr(ours) == repr(theirs)
            assert_close_to_torch(ours(x), theirs(tx), 1e-12)
    out, idx = sh.nn.MaxPool3d(2, return_indices=True)(x)
    t_out, t_idx = torch.nn.MaxPool3d(2, return_indices=True)(tx)
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())


def test_volume_classifier_trains_with_torch_losses_step_by_step():
    def model(nn):
        return nn.Sequential(
            nn.Conv3d(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool3d(2),  # 6 -> 3
            nn.Conv3d(4, 4, 3, padding=1, padding_mode="replicate"),
            nn.ReLU(),
            nn.AvgPool3d(3),  # 3 -> 1
            nn.Flatten(),
            nn.Linear(4, 3),
        )

    sh.manual_seed(0)
    ours = model(sh.nn)
    torch.manual_seed(0)
    theirs = model(torch.nn)
    rng = np.random.default_rng(0)
    volumes = rng.standard_normal((8, 1, 6, 6, 6)).astype(np.float32)
    labels = rng.integers(0, 3, 8)
    x, y = sh.tensor(volumes), sh.tensor(labels)
    tx, ty = torch.tensor(volumes), torch.tensor(labels)
    losses, t_losses = sgd_losses_side_by_side(
        ours, theirs, lambda: SF.cross_entropy(ours(x), y), lambda: F.cross_entropy(theirs(tx), ty)
    )
    np.testing.assert_allclose(losses, t_losses, rtol=1e-5)
    assert losses[-1] < losses[0]


# ------------------------------------------------------------------------------ errors


def test_3d_errors_teach():
    conv = sh.nn.Conv3d(2, 4, 3)
    with pytest.raises(ShapeError, match=r"expects a 5-D input \(N, 2, D, H, W\).*got 3-D"):
        conv(sh.zeros(2, 8, 8))
    with pytest.raises(ShapeError, match=r"in_channels=2 but the input has 3 channels.*Conv3d\(3"):
        conv(sh.zeros(1, 3, 8, 8, 8))
    with pytest.raises(ShapeError, match=r"x.permute\(0, 4, 1, 2, 3\)"):
        conv(sh.zeros(1, 8, 8, 8, 2))
    with pytest.raises(ShapeError, match="kernel depth 3 is larger than the padded input depth 2"):
        conv(sh.zeros(1, 2, 2, 8, 8))
    with pytest.raises(ArgumentError, match=r"groups=3 must divide out_channels.*\(2\)"):
        SF.conv3d(sh.zeros(1, 6, 3, 3, 3), sh.zeros(2, 2, 1, 1, 1), groups=3)
    with pytest.raises(ArgumentError, match=r"kernel_size must be an int or 3 ints \(depth"):
        sh.nn.Conv3d(2, 4, (3, 3))
    with pytest.raises(ShapeError, match="weight must be 5-D"):
        SF.conv_transpose3d(sh.zeros(1, 2, 3, 3, 3), sh.zeros(2, 2, 3, 3))
    with pytest.raises(ArgumentError, match="output_padding"):
        sh.nn.ConvTranspose3d(2, 2, 3, output_padding=1)(sh.zeros(1, 2, 3, 3, 3))
    with pytest.raises(ShapeError, match=r"the input's \(D, H, W\) = \(1, 4, 4\) is too small"):
        SF.max_pool3d(sh.zeros(1, 1, 1, 4, 4), 2)
    with pytest.raises(ArgumentError, match="more than half the kernel"):
        sh.nn.AvgPool3d(2, padding=2)(sh.zeros(1, 1, 4, 4, 4))
