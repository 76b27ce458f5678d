"""Linear algebra against PyTorch: the fused products (addmm, addcmul...), products and
distances (cross, kron, tensordot, cdist, cov...) and torch.linalg (norms, inv, det, solve,
cholesky...). Rows of the shared op table (see helpers.py), then behaviour and error tests.
"""

from __future__ import annotations

import numpy as np
import pytest

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish.errors import ShapeError

torch = optional_torch()

POSITIVE = (0.5, 2.0)


def addcmul_inplace(lib, x, a, b):
    y = x * 1  # a non-leaf copy: the in-place op is recorded
    y.addcmul_(a, b, value=0.5)
    return y


def addmm_inplace(lib, x, a, b):
    y = x * 1
    y.addmm_(a, b, beta=2, alpha=-1)
    return y


FUSED = [
    OpCase("addmm", lambda lib, x, a, b: lib.addmm(x, a, b), [(4,), (3, 2), (2, 4)]),
    OpCase(
        "addmm_beta_alpha",
        lambda lib, x, a, b: x.addmm(a, b, beta=0.5, alpha=2),
        [(3, 4), (3, 2), (2, 4)],
    ),
    OpCase(  # beta=0: input ignored, its gradient is 0 (not None), as torch's
        "addmm_beta_zero",
        lambda lib, x, a, b: lib.addmm(x, a, b, beta=0),
        [(3, 1), (3, 2), (2, 4)],
    ),
    OpCase(
        "addmv", lambda lib, x, a, v: lib.addmv(x, a, v, beta=2, alpha=0.5), [(3,), (3, 4), (4,)]
    ),
    OpCase("addr", lambda lib, x, u, v: x.addr(u, v, alpha=3), [(3, 1), (3,), (4,)]),
    OpCase(
        "baddbmm",
        lambda lib, x, a, b: lib.baddbmm(x, a, b, beta=-1, alpha=0.5),
        [(1, 3, 4), (2, 3, 5), (2, 5, 4)],
    ),
    OpCase("addbmm", lambda lib, x, a, b: x.addbmm(a, b), [(3, 4), (2, 3, 5), (2, 5, 4)]),
    OpCase(
        "addcmul", lambda lib, x, a, b: lib.addcmul(x, a, b, value=-0.5), [(3, 4), (4,), (3, 1)]
    ),
    OpCase(
        "addcdiv",
        lambda lib, x, a, b: x.addcdiv(a, b, value=2),
        [(3, 4), (3, 4), (4,)],
        ranges=[(-2, 2), (-2, 2), POSITIVE],
    ),
    OpCase("addcmul_inplace", addcmul_inplace, [(3, 4), (3, 4), (4,)]),
    OpCase("addmm_inplace", addmm_inplace, [(3, 4), (3, 2), (2, 4)]),
    OpCase(
        "chain_matmul", lambda lib, a, b, c: lib.chain_matmul(a, b, c), [(2, 3), (3, 4), (4, 2)]
    ),
    OpCase(
        "multi_dot_vector_ends",
        lambda lib, u, a, b, v: lib.linalg.multi_dot([u, a, b, v]),
        [(3,), (3, 4), (4, 2), (2,)],
    ),
]

CASES = register_op_cases(*FUSED)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_torch(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradcheck(case):
    check_gradcheck(case)


def test_fused_products_in_place_outside_a_graph_write_where_the_values_are():
    """Adam's update under no_grad: addcmul_ and addcdiv_ change the array itself (a view
    sees it), with torch's numbers."""
    rng = np.random.default_rng(0)
    m, g, v = (rng.uniform(0.5, 2, (3, 4)).astype(np.float32) for _ in range(3))
    ours, theirs = sh.tensor(m), torch.tensor(m)
    view = ours[0]
    for x, lib in [(ours, sh), (theirs, torch)]:
        with lib.no_grad():
            x.mul_(0.9).addcmul_(lib.tensor(g), lib.tensor(g), value=0.1)
            x.addcdiv_(lib.tensor(g), lib.tensor(v), value=-0.01)
            x.addmm_(lib.tensor(g[:, :3]), lib.tensor(v[:3]), beta=0.5)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(view.numpy(), ours.numpy()[0])


def test_addmm_beta_zero_ignores_nan_in_the_input():
    out = sh.addmm(sh.tensor([float("nan")]), sh.ones(2, 2), sh.ones(2, 2), beta=0)
    assert out.tolist() == [[2.0, 2.0], [2.0, 2.0]]


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: sh.addmm(sh.zeros(3), sh.zeros(3), sh.zeros(3, 3)), "mat1 must be 2-d"),
        (lambda: sh.zeros(2, 3, 4).mm(sh.zeros(4, 2)), "mm: self must be 2-d"),
        (lambda: sh.bmm(sh.zeros(3, 4), sh.zeros(4, 2)), "bmm: self must be 3-d"),
        (lambda: sh.addmv(sh.zeros(3), sh.zeros(3, 2), sh.zeros(2, 1)), "vec must be 1-d"),
        (
            lambda: sh.addmm(sh.zeros(2, 3, 4), sh.zeros(3, 2), sh.zeros(2, 4)),
            "input of shape (2, 3, 4) does not broadcast to the product's shape (3, 4)",
        ),
        (lambda: sh.linalg.multi_dot([sh.zeros(2, 2)]), "at least 2 tensors"),
        (lambda: sh.chain_matmul(sh.zeros(2), sh.zeros(2, 2)), "matrix 0 must be 2-d"),
    ],
)
def test_bad_shapes_name_the_argument_and_the_shape(call, words):
    with pytest.raises(ShapeError, match=None) as info:
        call()
    assert words in str(info.value)
