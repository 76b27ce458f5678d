"""unfold and fold (nn.Unfold, nn.Fold) against PyTorch, their relation to conv2d, reprs and
errors."""

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish import nn
from scratchish.nn import functional as F

torch = optional_torch()

FOLD_CASES = register_op_cases(
    OpCase("unfold", lambda lib, x: lib.nn.functional.unfold(x, 2), [(2, 3, 4, 5)]),
    OpCase(
        "unfold_general",
        lambda lib, x: lib.nn.functional.unfold(x, (2, 3), dilation=2, padding=1, stride=2),
        [(2, 2, 7, 8)],
    ),
    OpCase("unfold_unbatched", lambda lib, x: lib.nn.functional.unfold(x, 3), [(2, 4, 4)]),
    OpCase("fold", lambda lib, x: lib.nn.functional.fold(x, (4, 5), 2), [(2, 12, 12)]),
    OpCase(
        "fold_general",
        lambda lib, x: lib.nn.functional.fold(x, (7, 8), (2, 3), dilation=2, padding=1, stride=2),
        [(2, 12, 12)],
    ),
    OpCase("fold_unbatched", lambda lib, x: lib.nn.functional.fold(x, 4, 3), [(18, 4)]),
)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", FOLD_CASES, ids=str)
def test_fold_parity(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", FOLD_CASES, ids=str)
def test_fold_gradcheck(case):
    check_gradcheck(case)


def test_conv2d_is_unfold_then_a_matrix_product():
    rng = np.random.default_rng(0)
    x = sh.tensor(rng.standard_normal((2, 3, 6, 5)))
    w = sh.tensor(rng.standard_normal((4, 3, 3, 2)))
    columns = F.unfold(x, (3, 2), padding=1, stride=2)  # (2, 18, L)
    out = (w.reshape(4, -1) @ columns).reshape(2, 4, 3, 3)  # (4, 18) @ (2, 18, 9)
    np.testing.assert_allclose(
        out.numpy(), F.conv2d(x, w, padding=1, stride=2).numpy(), rtol=1e-12, atol=1e-12
    )


def test_fold_of_unfold_counts_the_blocks_covering_each_pixel():
    ones = sh.ones(1, 1, 4, 4, dtype=sh.float64)
    count = F.fold(F.unfold(ones, 2), (4, 4), 2).numpy()[0, 0]
    np.testing.assert_array_equal(count, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


def test_fold_modules_match_torch():
    if torch is None:
        pytest.skip("needs torch")
    a = np.random.default_rng(1).standard_normal((2, 3, 6, 7))
    for make in [lambda m: m.Unfold(2), lambda m: m.Unfold((2, 3), dilation=2, padding=1)]:
        module, tmodule = make(nn), make(torch.nn)
        assert repr(module) == repr(tmodule)
        np.testing.assert_array_equal(
            module(sh.tensor(a)).numpy(), tmodule(torch.tensor(a)).numpy()
        )
    b = np.random.default_rng(2).standard_normal((2, 12, 30))
    module, tmodule = nn.Fold((6, 7), 2), torch.nn.Fold((6, 7), 2)
    assert repr(module) == repr(tmodule)
    np.testing.assert_array_equal(module(sh.tensor(b)).numpy(), tmodule(torch.tensor(b)).numpy())


def test_fold_errors_teach():
    with pytest.raises(sh.ShapeError, match="4-D"):
        F.unfold(sh.zeros(4, 4), 2)
    with pytest.raises(sh.ShapeError, match="spans"):
        F.unfold(sh.zeros(1, 1, 3, 3), 4)
    with pytest.raises(sh.ShapeError, match="divisible by the product of kernel_size"):
        F.fold(sh.zeros(1, 5, 9), (4, 4), 2)
    with pytest.raises(sh.ShapeError, match=r"expected the input's dim 2 to be 9 \(3 x 3"):
        F.fold(sh.zeros(1, 4, 8), (4, 4), 2)
    with pytest.raises(sh.ArgumentError, match="kernel_size"):
        F.unfold(sh.zeros(1, 1, 4, 4), (1, 2, 3))
