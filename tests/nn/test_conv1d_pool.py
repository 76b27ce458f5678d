"""conv1d, max_pool1d, avg_pool1d and adaptive_max_pool2d (and their modules) against
PyTorch: values, gradients, indices, PyTorch's init from the same seed, reprs, errors."""

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish import nn
from scratchish.nn import functional as F

torch = optional_torch()

LAYER_CASES = register_op_cases(
    OpCase(
        "adaptive_avg_pool1d",
        lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, 3),
        [(2, 3, 7)],
    ),
    OpCase(
        "adaptive_max_pool1d",
        lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, 3),
        [(2, 3, 7)],
    ),
    OpCase(
        "adaptive_max_pool1d_global_unbatched",
        lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, 1),
        [(3, 8)],
    ),
    OpCase(
        "conv1d",
        lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b, stride=2, padding=1),
        [(2, 3, 9), (4, 3, 3), (4,)],
    ),
    OpCase(
        "conv1d_same_dilated_unbatched",
        lambda lib, x, w: lib.nn.functional.conv1d(x, w, padding="same", dilation=2),
        [(2, 8), (3, 2, 4)],
    ),
    OpCase(
        "max_pool1d",
        lambda lib, x: lib.nn.functional.max_pool1d(x, 3, stride=2, padding=1),
        [(2, 3, 8)],
    ),
    OpCase(
        "max_pool1d_ceil_dilated",
        lambda lib, x: lib.nn.functional.max_pool1d(x, 2, dilation=2, ceil_mode=True),
        [(3, 9)],
    ),
    OpCase(
        "avg_pool1d",
        lambda lib, x: lib.nn.functional.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
        [(2, 3, 8)],
    ),
    OpCase("avg_pool1d_plain", lambda lib, x: lib.nn.functional.avg_pool1d(x, 2), [(2, 3, 8)]),
    OpCase(
        "adaptive_max_pool2d_tiles",
        lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (2, 3)),
        [(2, 3, 4, 6)],
    ),
    OpCase(  # windows that overlap and differ in size
        "adaptive_max_pool2d_uneven",
        lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (3, 2)),
        [(2, 2, 7, 5)],
    ),
    OpCase(  # ties in overlapping windows: the gradient goes to each window's first maximum
        "adaptive_max_pool2d_ties",
        lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (3, 2)),
        data=lambda: [np.random.default_rng(0).integers(0, 3, (2, 2, 7, 5)).astype(float)],
        gradcheck=False,
    ),
    OpCase(
        "adaptive_max_pool2d_none_unbatched",
        lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (None, 4)),
        [(2, 3, 7)],
    ),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", LAYER_CASES, ids=str)
def test_layer_op_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", LAYER_CASES, ids=str)
def test_layer_op_gradcheck(case):
    check_gradcheck(case)


@pytest.mark.parametrize("output_size", [(2, 3), (3, 2), 1, (5, 4)])
def test_pooling_indices_match_torch(output_size):
    if torch is None:
        pytest.skip("needs torch")
    a = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    a[0, 0, :2, :2] = 9.0  # a tie: the first maximum is reported, as PyTorch
    out, idx = F.adaptive_max_pool2d(sh.tensor(a), output_size, return_indices=True)
    tout, tidx = torch.nn.functional.adaptive_max_pool2d(torch.tensor(a), output_size, True)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    out, idx = F.adaptive_max_pool1d(sh.tensor(a[0]), 4, return_indices=True)
    tout, tidx = torch.nn.functional.adaptive_max_pool1d(torch.tensor(a[0]), 4, True)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    out, idx = F.max_pool1d(sh.tensor(a[0, 0]), 3, 2, return_indices=True)
    tout, tidx = torch.nn.functional.max_pool1d(torch.tensor(a[0, 0]), 3, 2, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Conv1d(3, 5, 3),
        lambda m: m.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2, bias=False),
        lambda m: m.Conv1d(3, 2, 5, padding="same"),
    ],
)
def test_conv1d_module_init_forward_backward_match_torch(make):
    if torch is None:
        pytest.skip("needs torch")
    sh.manual_seed(4)
    torch.manual_seed(4)
    layer, tlayer = make(nn), make(torch.nn)
    assert repr(layer) == repr(tlayer)
    assert list(layer.state_dict()) == list(tlayer.state_dict())
    for name, p in tlayer.named_parameters():  # the same numbers from the same seed
        np.testing.assert_array_equal(getattr(layer, name).numpy(force=True), p.detach().numpy())
    a = np.random.default_rng(1).standard_normal((2, 3, 11)).astype(np.float32)
    x, tx = sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, tout = layer(x), tlayer(tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.weight.grad.numpy(), tlayer.weight.grad.numpy(), rtol=1e-5)


def test_pool_modules_match_torch():
    if torch is None:
        pytest.skip("needs torch")
    a = np.random.default_rng(2).standard_normal((2, 3, 9, 8))
    for make, shape in [
        (lambda m: m.MaxPool1d(2), (2, 3, 9)),
        (lambda m: m.MaxPool1d(3, 2, 1, ceil_mode=True), (3, 9)),
        (lambda m: m.AvgPool1d(2), (2, 3, 9)),
        (lambda m: m.AvgPool1d(3, 2, 1), (2, 3, 9)),
        (lambda m: m.AdaptiveMaxPool2d((2, 3)), (2, 3, 9, 8)),
        (lambda m: m.AdaptiveMaxPool2d(1), (3, 9, 8)),
        (lambda m: m.AdaptiveAvgPool1d(1), (2, 3, 9)),
        (lambda m: m.AdaptiveMaxPool1d(4), (3, 9)),
    ]:
        module, tmodule = make(nn), make(torch.nn)
        assert repr(module) == repr(tmodule)
        x = a.reshape(-1)[: np.prod(shape)].reshape(shape)
        np.testing.assert_allclose(
            module(sh.tensor(x)).numpy(), tmodule(torch.tensor(x)).numpy(), rtol=1e-12
        )
    out, idx = nn.AdaptiveMaxPool2d(3, return_indices=True)(sh.tensor(a))
    assert out.shape == (2, 3, 3, 3) and idx.dtype == sh.int64


def test_1d_layer_errors_teach():
    conv = nn.Conv1d(8, 4, 3)
    with pytest.raises(sh.ShapeError, match=r"\(N, 8, L\).*transpose\(1, 2\)"):
        conv(sh.zeros(2, 50, 8))
    with pytest.raises(sh.ShapeError, match="4-D input looks like images"):
        conv(sh.zeros(2, 8, 5, 5))
    with pytest.raises(sh.ShapeError, match="weight must be 3-D"):
        F.conv1d(sh.zeros(1, 2, 5), sh.zeros(1, 2, 3, 3))
    with pytest.raises(sh.ArgumentError, match="1-tuple"):
        nn.Conv1d(2, 2, (3, 3))
    with pytest.raises(sh.ShapeError, match="too small"):
        F.max_pool1d(sh.zeros(1, 2, 2), 3)
    with pytest.raises(sh.ArgumentError, match="output_size"):
        F.adaptive_max_pool2d(sh.zeros(1, 2, 4, 4), (1, 2, 3))
    with pytest.raises(sh.ArgumentError, match="output_size must be an int or a 1-tuple"):
        F.adaptive_avg_pool1d(sh.zeros(1, 2, 4), (2, 3))
