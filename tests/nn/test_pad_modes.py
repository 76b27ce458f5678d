"""F.pad's reflect, replicate and circular modes (ops.movement.IndexPad), the padding modules
that use them, and padding_mode in Conv1d/Conv2d: values and gradients against PyTorch,
float64 gradcheck, PyTorch's rules on ranks and widths, and the errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish.errors import ArgumentError, ShapeError, UnsupportedError
from scratchish.tools import gradcheck

torch = optional_torch()
MODES = ("reflect", "replicate", "circular")


def _pad(mode, widths):
    return lambda lib, x: lib.nn.functional.pad(x, widths, mode=mode)


PAD_OP_CASES = register_op_cases(
    OpCase("pad_reflect_2d", _pad("reflect", (2, 1, 0, 3)), [(2, 3, 5, 4)]),
    OpCase("pad_replicate_1d", _pad("replicate", (3, 2)), [(2, 3, 4)]),
    OpCase("pad_circular_3d", _pad("circular", (1, 2, 2, 0, 1, 1)), [(1, 2, 3, 4, 3)]),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", PAD_OP_CASES, ids=str)
def test_pad_op_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", PAD_OP_CASES, ids=str)
def test_pad_op_gradcheck(case):
    check_gradcheck(case)


def needs_torch():
    if torch is None:
        pytest.skip("needs torch")


def pair(shape, dtype=np.float64, seed=0):
    array = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return sh.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def same_values_and_grads(out, t_out, inputs, tol=1e-12):
    """out equals t_out; then the same random grad_out gives the same input gradients."""
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=tol, atol=tol)
    g = (
        np.random.default_rng(7)
        .standard_normal(tuple(t_out.shape))
        .astype(out.numpy(force=True).dtype)
    )
    out.backward(sh.tensor(g))
    t_out.backward(torch.tensor(g))
    for ours, theirs in inputs:
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol, atol=tol)


# input shape, widths (last dim first)
PAD_CASES = [
    ((3, 5), (2, 1)),  # unbatched 1-d
    ((2, 3, 5), (4, 4)),
    ((2, 3, 5), (0, 3)),
    ((2, 3, 5), (-2, 3)),  # a negative width crops
    ((2, 3, 5), (3, -1)),
    ((3, 4, 5), (1, 2, 3, 0)),  # unbatched 2-d
    ((2, 3, 4, 5), (4, 4, 3, 3)),  # as wide as allowed: reflect needs width < size
    ((2, 3, 4, 5), (1, -2, -1, 2)),
    ((2, 3, 4, 5), (0, 0, 2, 2)),  # only the height
    ((2, 2, 3, 4, 5), (1, 2, 0, 3, 2, 1)),  # 3-d
    ((2, 3, 4, 5), (2, 1, 1, 2)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, widths", PAD_CASES, ids=str)
def test_pad_modes_match_torch(shape, widths, mode, dtype):
    needs_torch()
    x, tx = pair(shape, dtype)
    out = sh.nn.functional.pad(x, widths, mode=mode)
    t_out = torch.nn.functional.pad(tx, widths, mode=mode)
    assert out.dtype == getattr(sh, np.dtype(dtype).name)
    same_values_and_grads(out, t_out, [(x, tx)], 1e-12 if dtype == np.float64 else 1e-5)


def test_pad_source_maps_every_width_torch_accepts():
    # every (before, after) from -5 to 5 on lengths 1 to 4: the same output as torch, or both
    # refuse; where torch's circular mode wraps past what is left after cropping it reads
    # memory outside the input, and we refuse instead
    needs_torch()
    for mode, n in itertools.product(MODES, range(1, 5)):
        x = np.arange(1.0, n + 1).reshape(1, 1, n)
        for before, after in itertools.product(range(-5, 6), repeat=2):
            try:
                theirs = torch.nn.functional.pad(torch.tensor(x), (before, after), mode=mode)
            except (RuntimeError, NotImplementedError):
                theirs = None
            try:
                ours = sh.nn.functional.pad(sh.tensor(x), (before, after), mode=mode)
            except (ShapeError, ArgumentError) as error:
                kept = n - max(-before, 0) - max(-after, 0)
                torch_reads_outside = mode == "circular" and max(before, after) > kept
                empty = theirs is not None and theirs.numel() == 0
                assert theirs is None or torch_reads_outside or empty, (mode, n, before, after)
                assert "pad:" in str(error)
                continue
            assert theirs is not None, (mode, n, before, after)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("mode", MODES)
def test_pad_accepts_the_ranks_torch_accepts(mode):
    needs_torch()
    for n_dims, n_widths in itertools.product(range(1, 6), (2, 4, 6)):
        shape = (4,) * n_dims
        try:
            torch.nn.functional.pad(torch.zeros(shape), (1,) * n_widths, mode=mode)
            torch_ok = True
        except (RuntimeError, NotImplementedError):
            torch_ok = False
        if torch_ok:
            assert sh.nn.functional.pad(sh.zeros(shape), (1,) * n_widths, mode=mode).ndim == n_dims
        else:
            with pytest.raises((UnsupportedError, ArgumentError)):
                sh.nn.functional.pad(sh.zeros(shape), (1,) * n_widths, mode=mode)


def test_pad_gradcheck_with_edges_copied_many_times():
    x = sh.tensor(np.random.default_rng(0).standard_normal((2, 2, 3)), requires_grad=True)
    for mode in MODES:
        widths = (3, 2) if mode != "reflect" else (2, 2)
        assert gradcheck(lambda t, m=mode, w=widths: sh.nn.functional.pad(t, w, mode=m) ** 2, x)


def test_pad_errors_teach():
    x = sh.zeros(1, 2, 3, 3)
    with pytest.raises(ShapeError, match=r"each width must be less than the size it pads; dim 3"):
        sh.nn.functional.pad(x, (3, 0, 0, 0), mode="reflect")
    with pytest.raises(ShapeError, match="wraps around at most once"):
        sh.nn.functional.pad(x, (4, 0, 0, 0), mode="circular")
    with pytest.raises(ShapeError, match="would leave no values"):
        sh.nn.functional.pad(x, (-2, -1, 0, 0), mode="replicate")
    with pytest.raises(ArgumentError, match="takes no value"):
        sh.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect", value=1.0)
    sh.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect", value=0)  # as torch: 0 is no value
    with pytest.raises(ArgumentError, match="mode must be one of 'constant', 'reflect'"):
        sh.nn.functional.pad(x, (1, 1), mode="mirror")
    with pytest.raises(UnsupportedError, match=r"got 2 widths for a 4-D input.*x.unsqueeze"):
        sh.nn.functional.pad(x, (1, 1), mode="reflect")
    with pytest.raises(ArgumentError, match="must be a tuple of whole numbers"):
        sh.nn.functional.pad(x, 2, mode="reflect")


# ------------------------------------------------------------------------------ modules

PAD_MODULES = [
    ("ReflectionPad1d", 2, (2, 3, 5)),
    ("ReflectionPad1d", (1, 3), (3, 5)),
    ("ReflectionPad2d", 1, (2, 3, 4, 5)),
    ("ReflectionPad2d", (1, 0, 3, 2), (3, 4, 5)),
    ("ReflectionPad3d", (1, 0, 2, 1, 1, 2), (1, 2, 3, 4, 5)),
    ("ReplicationPad1d", (4, 0), (2, 3, 5)),
    ("ReplicationPad2d", 3, (2, 3, 4, 5)),
    ("ReplicationPad3d", 1, (2, 3, 4, 5)),
    ("CircularPad1d", (2, 5), (2, 3, 5)),
    ("CircularPad2d", (1, 2, 3, 4), (2, 3, 4, 5)),
    ("CircularPad3d", 2, (1, 2, 3, 4, 5)),
    ("ConstantPad3d", (1, 0, 2, 1, 1, 2), (1, 2, 3, 4, 5)),
    ("ZeroPad3d", 1, (2, 3, 4, 5)),
]


@pytest.mark.parametrize("name, padding, shape", PAD_MODULES, ids=str)
def test_padding_modules_match_torch(name, padding, shape):
    needs_torch()
    args = (padding, 2.5) if name.startswith("Constant") else (padding,)
    ours, theirs = getattr(sh.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    x, tx = pair(shape)
    same_values_and_grads(ours(x), theirs(tx), [(x, tx)])


def test_padding_module_with_the_wrong_number_of_widths_says_how_many():
    with pytest.raises(ArgumentError, match=r"ReflectionPad2d: padding must be an int or 4 ints"):
        sh.nn.ReflectionPad2d((1, 2))
    with pytest.raises(ArgumentError, match=r"6 ints \(left, right, top, bottom, front, back\)"):
        sh.nn.CircularPad3d((1, 2))


# ------------------------------------------------------------------------------ conv layers

CONV_CASES = [
    ("Conv2d", (2, 3, 3), {"padding": 1}, (2, 2, 6, 5)),
    ("Conv2d", (2, 3, (3, 2)), {"padding": "same", "dilation": 2}, (2, 2, 7, 6)),
    ("Conv2d", (2, 3, 3), {"padding": (2, 1), "stride": 2, "bias": False}, (2, 7, 6)),
    ("Conv2d", (3, 4, 5), {"padding": 2}, (1, 3, 5, 5)),
    ("Conv1d", (2, 3, 4), {"padding": "same"}, (2, 2, 9)),
    ("Conv1d", (2, 3, 3), {"padding": 2, "stride": 2, "dilation": 2}, (2, 8)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, args, kwargs, shape", CONV_CASES, ids=str)
def test_conv_padding_mode_matches_torch(name, args, kwargs, shape, mode):
    needs_torch()
    sh.manual_seed(0)
    ours = getattr(sh.nn, name)(*args, padding_mode=mode, dtype=sh.float64, **kwargs)
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, padding_mode=mode, dtype=torch.float64, **kwargs)
    assert repr(ours) == repr(theirs)
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())
    x, tx = pair(shape)
    pairs = [(x, tx), (ours.weight, theirs.weight)]
    if ours.bias is not None:
        pairs.append((ours.bias, theirs.bias))
    same_values_and_grads(ours(x), theirs(tx), pairs, 1e-10)


def test_conv_padding_mode_gradcheck():
    rng = np.random.default_rng(0)
    x = sh.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    w = sh.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    b = sh.tensor(rng.standard_normal(3), requires_grad=True)
    for mode in MODES:
        conv = sh.nn.Conv2d(2, 3, 3, padding=2, padding_mode=mode, dtype=sh.float64)
        assert gradcheck(lambda t, c=conv: c(t), x)
        with sh.no_grad():
            conv.weight.copy_(w)
            conv.bias.copy_(b)
        padded = sh.nn.functional.pad(x, (2, 2, 2, 2), mode=mode)
        by_hand = sh.nn.functional.conv2d(padded, w, b)  # what the layer does, spelt out
        np.testing.assert_array_equal(conv(x).detach().numpy(), by_hand.detach().numpy())


def test_conv_padding_mode_errors_name_the_layer():
    with pytest.raises(ArgumentError, match=r"padding_mode must be one of 'zeros', 'reflect'"):
        sh.nn.Conv2d(2, 3, 3, padding_mode="mirror")
    with pytest.raises(ArgumentError, match="padding_mode must be one of"):
        sh.nn.Conv1d(2, 3, 3, padding_mode="reflection")
    conv = sh.nn.Conv2d(2, 3, 5, padding=3, padding_mode="reflect")
    with pytest.raises(ShapeError, match=r"Conv2d\(2, 3, \.\.\.\): mode='reflect' mirrors"):
        conv(sh.zeros(1, 2, 3, 3))
    with pytest.raises(ShapeError, match=r"Conv2d\(2, 3, \.\.\.\) expects a 4-D input"):
        conv(sh.zeros(3, 3))
    with pytest.raises(ShapeError, match="in_channels=2 but the input has 1 channel"):
        conv(sh.zeros(1, 1, 8, 8))
