"""Batch norm against PyTorch (train and eval, running statistics, gradients), and the fused
primitive against the same math composed from mean/var/sub/div primitives."""

from __future__ import annotations

import numpy as np
import pytest

import scratchish as sh
from scratchish.errors import ArgumentError, ShapeError
from scratchish.nn import batchnorm as B
from scratchish.tools import gradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = {np.float64: 1e-10, np.float32: 1e-4}
SHAPES = [(8, 3), (4, 3, 5), (4, 3, 5, 6)]


def pair(shape, dtype=np.float64, seed=0, scale=1.0, shift=0.0, grad=True):
    """The same random values as a scratchish tensor and a torch tensor."""
    array = (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(dtype)
    return sh.Tensor._make(array.copy(), grad), torch.tensor(array.copy(), requires_grad=grad)


def close(ours, theirs, tol):
    a = ours.array if isinstance(ours, sh.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy()
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def backward_both(out, t_out, seed=1):
    g = np.random.default_rng(seed).standard_normal(t_out.shape).astype(out.array.dtype)
    out.backward(sh.Tensor._make(g))
    t_out.backward(torch.tensor(g))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_function_matches_torch(shape, training, dtype):
    c = shape[1]
    x, tx = pair(shape, dtype, 0, scale=2.0, shift=0.5)
    w, tw = pair((c,), dtype, 1)
    b, tb = pair((c,), dtype, 2)
    rm, trm = pair((c,), dtype, 3, grad=False)
    rv, trv = pair((c,), dtype, 4, shift=3.0, grad=False)
    out = B.batch_norm(x, rm, rv, w, b, training, 0.2, 1e-3)
    t_out = F.batch_norm(tx, trm, trv, tw, tb, training, 0.2, 1e-3)
    close(out, t_out, TOL[dtype])
    close(rm, trm, TOL[dtype])  # updated in place in training, untouched in eval
    close(rv, trv, TOL[dtype])
    backward_both(out, t_out)
    for ours, theirs in [(x, tx), (w, tw), (b, tb)]:
        close(ours.grad, theirs.grad, TOL[dtype])


def test_batch_norm_without_weight_bias_or_running_stats():
    x, tx = pair((6, 4, 3))
    out = B.batch_norm(x, None, None, training=True)
    t_out = F.batch_norm(tx, None, None, training=True)
    close(out, t_out, 1e-10)
    backward_both(out, t_out)
    close(x.grad, tx.grad, 1e-10)


def composed_batch_norm(x, w, b, eps):
    """The same training-mode math, built from primitives (mean, var, sub, div, sqrt)."""
    dims = (0, *range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, unbiased=False, keepdim=True)
    return (x - mean) / (var + eps).sqrt() * w.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("shape", SHAPES)
def test_fused_batch_norm_equals_composed(shape):
    c = shape[1]
    grads = []
    for build in ("fused", "composed"):
        x, _ = pair(shape, np.float64, 0, scale=3.0, shift=-1.0)
        w, _ = pair((c,), np.float64, 1)
        b, _ = pair((c,), np.float64, 2)
        if build == "fused":
            out = B.batch_norm(x, None, None, w, b, training=True, eps=1e-5)
        else:
            out = composed_batch_norm(x, w, b, 1e-5)
        g = np.random.default_rng(5).standard_normal(shape)
        out.backward(sh.Tensor._make(g))
        grads.append([out.array, x.grad.array, w.grad.array, b.grad.array])
    for fused, composed in zip(*grads):
        np.testing.assert_allclose(fused, composed, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 8, 21, 23), (1500, 8)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
# per_channel's blocks of rows: by default one here; rows of 8 pixels in blocks of 2 rows,
# about 90 blocks
@pytest.mark.parametrize("wide_row, block", [(None, None), (64, 128)])
def test_fused_batch_norm_equals_composed_on_rows_of_pixels(
    shape, training, affine, wide_row, block, monkeypatch
):
    # channels-last memory (or (N, C) rows): per_channel reads 1024 pixels of 8 channels per
    # row, with 425 (476) pixels left over, and channel_sums sums the same rows
    from scratchish.ops import conv

    if wide_row is not None:
        monkeypatch.setattr(conv, "WIDE_ROW", wide_row)
        monkeypatch.setattr(conv, "PER_CHANNEL_BLOCK", block)
    WIDE_ROW = conv.WIDE_ROW  # noqa: N806 - the module's constant, as patched
    c, rng = shape[1], np.random.default_rng(0)
    a = rng.standard_normal(shape) * 3 - 1
    if a.ndim == 4:
        a = np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 1, -1)), -1, 1)
    pixels = a.size // c
    assert pixels > WIDE_ROW // c and pixels % (WIDE_ROW // c)  # both kinds of rows
    w_np, b_np, g = rng.standard_normal(c), rng.standard_normal(c), rng.standard_normal(shape)
    mean, var = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    shape_c = (1, c) + (1,) * (a.ndim - 2)
    results = []
    for fused in (True, False):
        x = sh.tensor(a, requires_grad=True)
        w, b = (sh.tensor(v, requires_grad=True) if affine else None for v in (w_np, b_np))
        if fused:
            stats = (sh.tensor(mean), sh.tensor(var)) if not training else (None, None)
            out = B.batch_norm(x, *stats, w, b, training=training, eps=1e-5)
        elif training:
            one = sh.tensor(np.ones(c))
            out = composed_batch_norm(x, w if affine else one, b if affine else one * 0, 1e-5)
        else:
            out = (x - sh.tensor(mean.reshape(shape_c))) / np.sqrt(var.reshape(shape_c) + 1e-5)
            out = out * w.reshape(shape_c) + b.reshape(shape_c) if affine else out
        out.backward(sh.tensor(g))
        results.append([out.detach().numpy(), x.grad.numpy()])
        results[-1] += [t.grad.numpy() for t in (w, b) if t is not None]
    for ours, composed in zip(*results):
        np.testing.assert_allclose(ours, composed, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 8, 21, 23), (1500, 8), (4, 3, 5)])
@pytest.mark.parametrize("layout", ["(N, C, H, W)", "channels-last"])
@pytest.mark.parametrize("bias", [True, False])
def test_eval_batch_norm_with_a_frozen_weight_matches_torch(shape, layout, bias):
    # eval with no gradient wanted for the weight (a frozen layer, or no_grad) takes
    # out = x * scale + (bias - mean * scale), without the centred array
    c = shape[1]
    a = np.random.default_rng(0).standard_normal(shape) * 3 - 1
    if layout == "channels-last" and a.ndim > 2:
        a = np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 1, -1)), -1, 1)
    x, tx = sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    w, tw = pair((c,), np.float64, 1, grad=False)
    b, tb = pair((c,), np.float64, 2) if bias else (None, None)
    rm, trm = pair((c,), np.float64, 3, grad=False)
    rv, trv = pair((c,), np.float64, 4, shift=3.0, grad=False)
    out = B.batch_norm(x, rm, rv, w, b, False, 0.1, 1e-3)
    t_out = F.batch_norm(tx, trm, trv, tw, tb, False, 0.1, 1e-3)
    close(out, t_out, 1e-10)
    assert out.grad_fn.centred is None  # not made
    backward_both(out, t_out)
    close(x.grad, tx.grad, 1e-10)
    if bias:
        close(b.grad, tb.grad, 1e-10)
    close(rm, trm, 0)  # eval leaves the running statistics alone
    close(rv, trv, 0)
    with sh.no_grad():  # float32 inference, as a trained network runs
        x32 = sh.tensor(a.astype(np.float32))
        b32 = b.float() if bias else None
        ours = B.batch_norm(x32, rm.float(), rv.float(), w.float(), b32, False)
    theirs = F.batch_norm(
        torch.tensor(a.astype(np.float32)), trm.float(), trv.float(), tw.float(),
        tb.detach().float() if bias else None, False,
    )  # fmt: skip
    close(ours, theirs, 1e-5)


@pytest.mark.parametrize("layout", ["(N, C, H, W)", "channels-last"])
@pytest.mark.parametrize("parts", ["weight and bias", "weight", "bias"])
def test_channel_affine_equals_the_composed_broadcast_ops(layout, parts):
    # ops/conv.py ChannelAffine (group_norm's and instance_norm's last step) against
    # x * w.reshape(C, 1, 1) + b.reshape(C, 1, 1) written with the engine's broadcasting ops
    from scratchish.ops.conv import ChannelAffine

    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 5, 6))
    if layout == "channels-last":
        a = np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 1, -1)), -1, 1)
    w_np, b_np, g = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(a.shape)
    results = []
    for fused in (True, False):
        x = sh.tensor(a, requires_grad=True)
        w = sh.tensor(w_np, requires_grad=True) if "weight" in parts else None
        b = sh.tensor(b_np, requires_grad=True) if "bias" in parts else None
        if fused:
            out = ChannelAffine.apply(x, w, b)
            assert type(out.grad_fn).__name__ == "ChannelAffine"
        else:
            out = x * w.reshape(4, 1, 1) if w is not None else x * 1.0
            out = out + b.reshape(4, 1, 1) if b is not None else out
        out.backward(sh.tensor(g))
        results.append([out.detach().numpy(), x.grad.numpy()])
        results[-1] += [t.grad.numpy() for t in (w, b) if t is not None]
    for fused, composed in zip(*results):
        np.testing.assert_allclose(fused, composed, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layout", ["(N, C, H, W)", "channels-last", "a strided slice", "(N, C)"])
@pytest.mark.parametrize("size", [(6, 5), (23, 29)])  # channels-last: 90 or 2001 pixels
def test_channel_sums_equal_numpys_sum_in_every_layout(layout, size):
    # BatchNorm's per-channel sums, of x and of g * x, as matrix products: each memory
    # layout takes its own path (rows of channels-last memory, of 256 of its pixels at a
    # time for g * x, leftovers; planes; NumPy's sum)
    from scratchish.ops.conv import channel_sums

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4, *size))
    if layout == "channels-last":
        a, b = (np.moveaxis(np.ascontiguousarray(np.moveaxis(v, 1, -1)), -1, 1) for v in (a, b))
    elif layout == "a strided slice":
        a, b = a[:, :, ::2], b[:, :, ::2]
    elif layout == "(N, C)":
        a, b = a.reshape(-1, size[1]), b.reshape(-1, size[1])
    axes = (0, *range(2, a.ndim))
    np.testing.assert_allclose(channel_sums(a), a.sum(axis=axes), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(channel_sums(a, b), (a * b).sum(axis=axes), rtol=1e-12, atol=1e-12)
    # b in another layout than a: read in a's
    other = (
        np.ascontiguousarray(b)
        if layout == "channels-last"
        else np.moveaxis(np.ascontiguousarray(np.moveaxis(b, 1, -1)), -1, 1)
    )
    np.testing.assert_allclose(channel_sums(a, other), (a * b).sum(axis=axes), rtol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training):
    x = sh.randn(5, 3, 4, dtype=sh.float64, requires_grad=True)
    w = sh.randn(3, dtype=sh.float64, requires_grad=True)
    b = sh.randn(3, dtype=sh.float64, requires_grad=True)
    rm, rv = sh.randn(3, dtype=sh.float64), sh.rand(3, dtype=sh.float64) + 0.5
    assert gradcheck(lambda x, w, b: B.batch_norm(x, rm, rv, w, b, training), x, w, b)


def test_batch_norm_keeps_float32():
    x, _ = pair((8, 4, 3, 3), np.float32)
    bn = sh.nn.BatchNorm2d(4)
    out = bn(x)
    assert out.dtype == sh.float32
    assert bn.running_mean.dtype == bn.running_var.dtype == sh.float32
    out.sum().backward()
    assert x.grad.dtype == bn.weight.grad.dtype == bn.bias.grad.dtype == sh.float32


# ------------------------------------------------------------------------------ modules


@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
@pytest.mark.parametrize("shape", SHAPES)
def test_module_running_stats_match_torch_over_steps(shape, momentum):
    c = shape[1]
    layer = sh.nn.BatchNorm2d if len(shape) == 4 else sh.nn.BatchNorm1d
    t_layer = torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d
    ours, theirs = layer(c, momentum=momentum), t_layer(c, momentum=momentum)
    for step in range(4):
        x, tx = pair(shape, np.float32, step, scale=1.0 + step, shift=step)
        out, t_out = ours(x), theirs(tx)
        close(out, t_out, 1e-4)
        backward_both(out, t_out, seed=10 + step)
        close(x.grad, tx.grad, 1e-4)
    close(ours.running_mean, theirs.running_mean, 1e-4)
    close(ours.running_var, theirs.running_var, 1e-4)
    close(ours.weight.grad, theirs.weight.grad, 1e-3)
    close(ours.bias.grad, theirs.bias.grad, 1e-3)
    assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == 4
    assert ours.num_batches_tracked.dtype == sh.int64
    # eval mode: the running statistics normalise, and are left alone
    ours.eval()
    theirs.eval()
    x, tx = pair(shape, np.float32, 99)
    close(ours(x), theirs(tx), 1e-4)
    assert ours.num_batches_tracked.item() == 4
    close(ours.running_mean, theirs.running_mean, 1e-4)


def test_module_without_running_stats_or_affine():
    ours = sh.nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    theirs = torch.nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert ours.weight is None and ours.running_mean is None
    assert ours.num_batches_tracked is None
    x, tx = pair((6, 3))
    for mode in ("train", "eval"):  # eval uses the batch's statistics too
        getattr(ours, mode)()
        getattr(theirs, mode)()
        close(ours(x), theirs(tx), 1e-10)
    assert list(ours.state_dict()) == []


def test_module_state_dict_keys_and_repr_match_torch():
    ours, theirs = sh.nn.BatchNorm2d(16), torch.nn.BatchNorm2d(16)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(ours.weight.array, np.ones(16, np.float32))
    np.testing.assert_array_equal(ours.bias.array, np.zeros(16, np.float32))
    assert ours.extra_repr() == theirs.extra_repr()
    assert sh.nn.BatchNorm1d(4, momentum=None, affine=False).extra_repr() == (
        torch.nn.BatchNorm1d(4, momentum=None, affine=False).extra_repr()
    )
    no_bias = sh.nn.BatchNorm1d(4, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == list(
        torch.nn.BatchNorm1d(4, bias=False).state_dict()
    )


def test_module_float64_matches_torch_tightly():
    ours = sh.nn.BatchNorm2d(3, dtype=sh.float64)
    theirs = torch.nn.BatchNorm2d(3, dtype=torch.float64)
    x, tx = pair((4, 3, 5, 5), np.float64)
    close(ours(x), theirs(tx), 1e-10)
    close(ours.running_var, theirs.running_var, 1e-10)


# ------------------------------------------------------------------------------ errors


def test_one_value_per_channel_in_training_is_explained():
    with pytest.raises(ShapeError, match="expected more than 1 value per channel when training"):
        sh.nn.BatchNorm1d(4)(sh.randn(1, 4))
    bn = sh.nn.BatchNorm1d(4).eval()
    assert bn(sh.randn(1, 4)).shape == (1, 4)  # fine in eval


def test_wrong_dims_name_the_other_layer():
    with pytest.raises(ShapeError) as info:
        sh.nn.BatchNorm2d(16)(sh.randn(8, 16))
    assert "BatchNorm2d(16) expects a 4-D input (N, C, H, W); got 2-D input of shape (8, 16)" in (
        str(info.value)
    )
    assert "use BatchNorm1d(16)" in str(info.value)
    with pytest.raises(ShapeError, match=r"use BatchNorm2d\(3\)"):
        sh.nn.BatchNorm1d(3)(sh.randn(2, 3, 4, 4))


def test_wrong_number_of_channels_is_explained():
    with pytest.raises(ShapeError) as info:
        sh.nn.BatchNorm2d(16)(sh.randn(2, 8, 4, 4))
    message = str(info.value)
    assert "BatchNorm2d(16) expects 16 channels in dim 1 (num_features=16)" in message
    assert "with 8. Build it as BatchNorm2d(8)" in message
    with pytest.raises(ShapeError, match="running_mean has 3 values"):
        B.batch_norm(sh.randn(2, 4), sh.zeros(3), sh.ones(3))


def test_eval_without_running_stats_is_explained():
    with pytest.raises(ArgumentError, match="training=False normalises with running_mean"):
        B.batch_norm(sh.randn(2, 4), None, None, training=False)


def test_batchnorm3d_matches_torch_over_steps_and_names_the_2d_layer():
    rng = np.random.default_rng(5)
    ours, theirs = sh.nn.BatchNorm3d(3), torch.nn.BatchNorm3d(3)
    for step in range(3):
        x = rng.standard_normal((2, 3, 4, 5, 6)).astype(np.float32) * (step + 1)
        a, b = sh.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = ours(a), theirs(b)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-5)
        out.square().sum().backward()
        expected.square().sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(
            getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-5
        )
    with pytest.raises(ShapeError, match="BatchNorm2d"):
        ours(sh.randn(2, 3, 4, 4))
