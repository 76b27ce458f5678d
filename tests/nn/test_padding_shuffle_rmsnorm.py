"""rms_norm/nn.RMSNorm, pixel_shuffle/pixel_unshuffle, the constant padding layers, and the
deprecated upsample aliases against PyTorch."""

import warnings

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish import nn
from scratchish.nn import functional as F

torch = optional_torch()

EXTRA_CASES = register_op_cases(
    OpCase(
        "rms_norm",
        lambda lib, x, w: lib.nn.functional.rms_norm(x, (4,), w),
        [(2, 3, 4), (4,)],
    ),
    OpCase(
        "rms_norm_two_dims_eps",
        lambda lib, x: lib.nn.functional.rms_norm(x, (3, 4), eps=0.1),
        [(2, 3, 4)],
    ),
    OpCase("pixel_shuffle", lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2), [(2, 8, 3, 2)]),
    OpCase(
        "pixel_unshuffle",
        lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 3),
        [(2, 6, 3)],
    ),
    OpCase(
        "channel_shuffle",
        lambda lib, x: lib.nn.functional.channel_shuffle(x, 3),
        [(2, 6, 2, 3)],
    ),
    OpCase("channel_shuffle_1d", lambda lib, x: lib.channel_shuffle(x, 2), [(3, 4, 5)]),
    OpCase(
        "leaky_relu_",
        lambda lib, x: lib.nn.functional.leaky_relu_(x * 1, 0.2),  # x * 1: not a leaf
        [(3, 4)],
    ),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", EXTRA_CASES, ids=str)
def test_extra_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", EXTRA_CASES, ids=str)
def test_extra_gradcheck(case):
    check_gradcheck(case)


def test_pixel_unshuffle_undoes_pixel_shuffle():
    x = sh.randn(2, 3, 12, 6)
    np.testing.assert_array_equal(F.pixel_shuffle(F.pixel_unshuffle(x, 3), 3).numpy(), x.numpy())


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.RMSNorm(4),
        lambda m: m.RMSNorm([6, 4], eps=1e-6, elementwise_affine=False),
        lambda m: m.ZeroPad2d(2),
        lambda m: m.ZeroPad2d((1, 2, 3, 0)),
        lambda m: m.ZeroPad1d(1),
        lambda m: m.ConstantPad1d((2, 1), 3.5),
        lambda m: m.ConstantPad2d(1, -1.0),
        lambda m: m.PixelShuffle(2),
        lambda m: m.PixelUnshuffle(2),
        lambda m: m.ChannelShuffle(2),
    ],
)
def test_extra_modules_match_torch(make):
    if torch is None:
        pytest.skip("needs torch")
    module, tmodule = make(nn), make(torch.nn)
    assert repr(module) == repr(tmodule)
    assert list(module.state_dict()) == list(tmodule.state_dict())
    a = np.random.default_rng(0).standard_normal((2, 4, 6, 4)).astype(np.float32)
    x, tx = sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, tout = module(x), tmodule(tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-6, atol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_deprecated_upsample_aliases_warn_and_resize_as_torch():
    if torch is None:
        pytest.skip("needs torch")
    a = np.random.default_rng(1).standard_normal((1, 2, 3, 4))
    for name, kwargs in [
        ("upsample", dict(scale_factor=2, mode="bilinear")),
        ("upsample_nearest", dict(size=(5, 7))),
        ("upsample_bilinear", dict(scale_factor=2)),
    ]:
        with pytest.warns(UserWarning, match="deprecated"):
            out = getattr(F, name)(sh.tensor(a), **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tout = getattr(torch.nn.functional, name)(torch.tensor(a), **kwargs)
        np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-12)


def test_channel_shuffle_reads_the_groups_table_by_columns():
    x = sh.arange(12.0).reshape(1, 6, 2)
    out = F.channel_shuffle(x, 3)  # channels (0 1 | 2 3 | 4 5) -> 0 2 4 1 3 5
    assert out[0, :, 0].tolist() == [0.0, 4.0, 8.0, 2.0, 6.0, 10.0]
    assert out.is_contiguous() and not np.shares_memory(out.numpy(), x.numpy())
    np.testing.assert_array_equal(sh.native_channel_shuffle(x, 3).numpy(), out.numpy())
    # shuffling by g, then by C / g, puts every channel back
    np.testing.assert_array_equal(F.channel_shuffle(out, 2).numpy(), x.numpy())


def test_extra_errors_teach():
    with pytest.raises(sh.ShapeError, match=r"channels \(dim 1\) divisible by groups=4"):
        F.channel_shuffle(sh.zeros(1, 6, 2), 4)
    with pytest.raises(sh.ShapeError, match="3 or more dims"):
        nn.ChannelShuffle(2)(sh.zeros(2, 6))
    with pytest.raises(sh.ArgumentError, match="groups must be >= 1"):
        F.channel_shuffle(sh.zeros(1, 6, 2), 0)
    with pytest.raises(sh.ShapeError, match="normalized_shape"):
        F.rms_norm(sh.zeros(2, 3), (4,))
    with pytest.raises(sh.ShapeError, match="divisible by upscale_factor"):
        F.pixel_shuffle(sh.zeros(1, 6, 2, 2), 2)
    with pytest.raises(sh.ShapeError, match="divisible by"):
        F.pixel_unshuffle(sh.zeros(1, 1, 5, 4), 2)
    with pytest.raises(sh.ArgumentError, match="padding must be an int or 4 ints"):
        nn.ZeroPad2d((1, 2))
