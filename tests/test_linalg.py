"""Linear algebra against PyTorch: the fused products (addmm, addcmul...), products and
distances (cross, kron, tensordot, cdist, cov...) and torch.linalg (norms, inv, det, solve,
cholesky...). Rows of the shared op table (see helpers.py), then behaviour and error tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import scratchish as sh
from helpers import OpCase, check_gradcheck, check_parity, optional_torch, register_op_cases
from scratchish.errors import ShapeError

torch = optional_torch()
needs_torch = pytest.mark.skipif(torch is None, reason="compares with torch")
# torch warns that the old names tested here (chain_matmul, cross without dim, cholesky) are
# deprecated; scratchish keeps them working for older course code
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")

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


def cdist_far(lib, a, b):  # over 25 points: torch's matrix-product form by default
    return lib.cdist(a, b)


PRODUCTS = [
    OpCase("cross_last_dim", lambda lib, a, b: lib.linalg.cross(a, b), [(4, 3), (4, 3)]),
    OpCase("cross_default_dim_broadcast", lambda lib, a, b: a.cross(b), [(2, 3, 4), (1, 3, 1)]),
    OpCase("cross_dim_keyword", lambda lib, a, b: lib.cross(a, b, dim=0), [(3, 3), (3, 3)]),
    OpCase("kron_matrices", lambda lib, a, b: lib.kron(a, b), [(2, 3), (4, 2)]),
    OpCase("kron_mixed_dims", lambda lib, a, b: a.kron(b), [(3,), (2, 2, 2)]),
    OpCase("tensordot_int", lambda lib, a, b: lib.tensordot(a, b), [(2, 3, 4), (3, 4, 5)]),
    OpCase(
        "tensordot_pairs",
        lambda lib, a, b: lib.tensordot(a, b, dims=([1, 0], [0, 2])),
        [(3, 4, 2), (4, 5, 3)],
    ),
    OpCase("tensordot_zero_is_outer", lambda lib, a, b: lib.tensordot(a, b, 0), [(2,), (3, 2)]),
    OpCase("cdist_p2_small", lambda lib, a, b: lib.cdist(a, b), [(4, 3), (5, 3)]),
    OpCase("cdist_p2_mm_batched", cdist_far, [(2, 30, 3), (1, 6, 3)]),
    OpCase(
        "cdist_p2_forced_mm",
        lambda lib, a, b: lib.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
        [(4, 3), (5, 3)],
    ),
    OpCase("cdist_p1", lambda lib, a, b: lib.cdist(a, b, p=1), [(2, 4, 3), (2, 5, 3)]),
    OpCase("cdist_p_inf", lambda lib, a, b: lib.cdist(a, b, p=float("inf")), [(4, 3), (5, 3)]),
    OpCase("cdist_p3", lambda lib, a, b: lib.cdist(a, b, p=3), [(4, 3), (5, 3)]),
    OpCase(
        "cdist_zero_distance",  # a point in both sets: gradient 0 at distance 0, as torch's
        lambda lib, a, b: (
            lib.cdist(a, b, p=1.5)
            + lib.cdist(a, b)
            + lib.cdist(a, b, compute_mode="use_mm_for_euclid_dist")
        ),
        data=lambda: [[[1.0, 2.0], [0.5, -1.0]], [[1.0, 2.0], [3.0, 0.0], [-1.0, 1.0]]],
        gradcheck=False,
    ),
    OpCase("dist", lambda lib, a, b: lib.dist(a, b), [(3, 4), (4,)]),
    OpCase("dist_p3", lambda lib, a, b: a.dist(b, 3), [(3, 4), (3, 4)]),
    OpCase(  # rows 0 and 2 are over maxnorm 2 and scaled down, row 1 is left alone
        "renorm",
        lambda lib, a: lib.renorm(a, 2, 0, 2.0),
        data=lambda: [[[3.0, 1.0, -2.0], [0.5, 1.0, -0.5], [2.0, 2.0, 2.0]]],
    ),
    OpCase("renorm_p1_dim1", lambda lib, a: a.renorm(1, 1, 1.5), [(3, 2, 2)]),
    OpCase(
        "block_diag",
        lambda lib, a, b, c: lib.block_diag(a, b, c),
        [(2, 3), (), (4,)],
    ),
    OpCase("cartesian_prod", lambda lib, a, b, c: lib.cartesian_prod(a, b, c), [(2,), (3,), (2,)]),
    OpCase("combinations", lambda lib, a: lib.combinations(a, 3), [(5,)]),
    OpCase(
        "combinations_with_replacement",
        lambda lib, a: lib.combinations(a, with_replacement=True),
        [(3,)],
    ),
    OpCase("cov", lambda lib, a: lib.cov(a), [(3, 6)]),
    OpCase("cov_1d_correction_0", lambda lib, a: a.cov(correction=0), [(5,)]),
    OpCase(
        "cov_weights",
        lambda lib, a, w: lib.cov(a, fweights=lib.tensor([1, 3, 0, 2, 1]), aweights=w),
        [(2, 5), (5,)],
        ranges=[(-2, 2), POSITIVE],
    ),
    OpCase("corrcoef", lambda lib, a: lib.corrcoef(a), [(3, 6)], gradcheck=False),
    OpCase("corrcoef_off_diagonal", lambda lib, a: a.corrcoef()[0, 1:], [(3, 6)]),
]


def well(lib, a):
    """a + n I: a random square matrix made well-conditioned, so float32 agrees too."""
    return a + a.shape[-1] * lib.eye(a.shape[-1], dtype=a.dtype)


def spd(lib, x):
    """x @ x.T + I: symmetric positive-definite (cholesky reads one triangle of its input, so
    finite differences need the symmetry to come from x)."""
    return x @ x.mT + lib.eye(x.shape[-2], dtype=x.dtype)


def cond_by_definition(lib, a, p):
    return lib.linalg.matrix_norm(a, p) * lib.linalg.matrix_norm(lib.linalg.inv(a), p)


LINALG = [
    OpCase("linalg_inv", lambda lib, a: lib.linalg.inv(well(lib, a)), [(3, 3)]),
    OpCase("inverse_batched", lambda lib, a: lib.inverse(well(lib, a)), [(2, 4, 4)]),
    OpCase("inv_raw_float64", lambda lib, a: a.inverse(), [(3, 3)], dtypes=("float64",)),
    OpCase("linalg_det", lambda lib, a: lib.linalg.det(a), [(3, 3)]),
    OpCase("det_batched_method", lambda lib, a: a.det(), [(2, 2, 4, 4)]),
    OpCase(  # rank 2 of 3: det = 0, its gradient the cofactors (not 0), as torch's
        "det_of_a_singular_matrix",
        lambda lib, u: lib.det(u @ u.mT),
        [(3, 2)],
    ),
    OpCase("slogdet", lambda lib, a: lib.linalg.slogdet(a).logabsdet, [(2, 3, 3)]),
    OpCase("slogdet_old_name", lambda lib, a: lib.slogdet(well(lib, a))[1], [(3, 3)]),
    OpCase("logdet", lambda lib, x: lib.logdet(spd(lib, x)), [(3, 3)]),
    OpCase("solve_matrix", lambda lib, a, b: lib.linalg.solve(well(lib, a), b), [(3, 3), (3, 2)]),
    OpCase("solve_vector", lambda lib, a, b: lib.linalg.solve(well(lib, a), b), [(3, 3), (3,)]),
    OpCase(
        "solve_batched_vectors",
        lambda lib, a, b: lib.linalg.solve(well(lib, a), b),
        [(2, 3, 3), (2, 3)],
    ),
    OpCase(
        "solve_broadcast_batch",
        lambda lib, a, b: lib.linalg.solve(well(lib, a), b),
        [(3, 3), (2, 3, 4)],
    ),
    OpCase(
        "solve_left_false",
        lambda lib, a, b: lib.linalg.solve(well(lib, a), b, left=False),
        [(3, 3), (4, 3)],
    ),
    OpCase("cholesky", lambda lib, x: lib.linalg.cholesky(spd(lib, x)), [(3, 3)]),
    OpCase(
        "cholesky_upper_batched",
        lambda lib, x: lib.linalg.cholesky(spd(lib, x), upper=True),
        [(2, 4, 2)],
    ),
    OpCase("cholesky_old_name", lambda lib, x: lib.cholesky(spd(lib, x)), [(3, 3)]),
    OpCase("matrix_power_3", lambda lib, a: lib.linalg.matrix_power(a, 3), [(2, 3, 3)]),
    OpCase("matrix_power_minus_2", lambda lib, a: well(lib, a).matrix_power(-2), [(3, 3)]),
    OpCase("matrix_exp", lambda lib, a: lib.linalg.matrix_exp(a), [(3, 3)]),
    OpCase(  # a norm over 1/2: scaled down, then squared back up
        "matrix_exp_large_batched", lambda lib, a: lib.matrix_exp(a * 3), [(2, 4, 4)]
    ),
    OpCase("matrix_exp_method", lambda lib, a: a.matrix_exp(), [(2, 2)], ranges=(-0.1, 0.1)),
    OpCase("pinv_tall", lambda lib, a: lib.linalg.pinv(a), [(4, 2)]),
    OpCase("pinv_wide_batched", lambda lib, a: lib.linalg.pinv(a), [(2, 2, 3)]),
    OpCase(  # rank 2 of 3: the small singular value is cut off, rank stays 2 nearby
        "pinv_of_a_rank_deficient_matrix",
        lambda lib, u, v: lib.linalg.pinv(u @ v),
        [(3, 2), (2, 4)],
        dtypes=("float64",),
    ),
    OpCase("pinverse_square", lambda lib, a: lib.pinverse(well(lib, a)), [(3, 3)]),
    OpCase("svdvals", lambda lib, a: lib.linalg.svdvals(a), [(2, 4, 3)]),
    OpCase("eigh_eigenvalues", lambda lib, a: lib.linalg.eigh(a + a.mT)[0], [(2, 4, 4)]),
    OpCase(  # eigenvectors are defined up to sign (NumPy's and torch's may differ): square them
        "eigh_eigenvectors_squared",
        lambda lib, a: lib.linalg.eigh(a + a.mT).eigenvectors ** 2,
        [(4, 4)],
    ),
    OpCase(
        "eigh_matrix_exponential",  # V diag(exp(L)) V.T: the usual use, sign-free
        lambda lib, a: (lambda L, V: (V * L.exp().unsqueeze(-2)) @ V.mT)(
            *lib.linalg.eigh(a + a.mT, UPLO="U")
        ),
        [(2, 3, 3)],
        ranges=(-0.5, 0.5),
    ),
    OpCase("eigvalsh_upper", lambda lib, a: lib.linalg.eigvalsh(a + a.mT, "U"), [(3, 3)]),
    OpCase(  # a pair U[:, i], Vh[i] may come with opposite signs in NumPy and torch: square
        "svd_reduced_factors_squared",
        lambda lib, a: (lambda U, S, Vh: (U**2, S, Vh**2))(*lib.linalg.svd(a, full_matrices=False)),
        [(2, 5, 3)],
    ),
    OpCase(
        "svd_full_matrices_wide",  # U's extra columns are any basis: only the first k are used
        lambda lib, a: (lambda U, S, Vh: (U**2, Vh[..., :2, :] ** 2))(*lib.linalg.svd(a)),
        [(2, 4)],
    ),
    OpCase(
        "svd_rank_2_approximation",
        lambda lib, a: (lambda U, S, Vh: (U[:, :2] * S[:2]) @ Vh[:2])(*lib.linalg.svd(a)),
        [(5, 4)],
    ),
    OpCase(
        "svd_old_name_tall",
        lambda lib, a: (lambda U, S, V: (U * S) @ V.mT + V**2)(*lib.svd(a)),
        [(3, 3)],
    ),
    OpCase("qr_tall", lambda lib, a: lib.linalg.qr(a), [(5, 3)]),
    OpCase("qr_wide_batched", lambda lib, a: lib.linalg.qr(a), [(2, 2, 4)]),
    OpCase("qr_complete_square", lambda lib, a: lib.linalg.qr(a, mode="complete"), [(3, 3)]),
    OpCase("qr_q_only", lambda lib, a: lib.linalg.qr(a)[0] * 2, [(4, 2)]),
    OpCase(
        "solve_triangular_upper",  # only the upper triangle is read and gets a gradient
        lambda lib, a, b: lib.linalg.solve_triangular(well(lib, a), b, upper=True),
        [(3, 3), (3, 2)],
    ),
    OpCase(
        "solve_triangular_lower_unit_right",
        lambda lib, a, b: lib.linalg.solve_triangular(
            a, b, upper=False, left=False, unitriangular=True
        ),
        [(2, 3, 3), (2, 4, 3)],
    ),
    OpCase(
        "cholesky_solve",
        lambda lib, x, b: lib.cholesky_solve(b, lib.linalg.cholesky(spd(lib, x))),
        [(3, 3), (3, 2)],
    ),
    OpCase(  # on the factor itself: torch's gradient is a full matrix, not a triangle
        "cholesky_solve_gradient_of_the_factor",
        lambda lib, u, b: b.cholesky_solve(u, upper=True),
        data=lambda: [[[2.0, 0.5, -1.0], [0.0, 1.5, 0.3], [0.0, 0.0, 1.2]], [[1.0], [-2.0], [0.5]]],
    ),
    OpCase(
        "cholesky_inverse",
        lambda lib, x: lib.cholesky_inverse(lib.linalg.cholesky(spd(lib, x))),
        [(2, 3, 3)],
    ),
    OpCase("lstsq_tall", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [(5, 3), (5, 2)]),
    OpCase(
        "lstsq_vector_batched", lambda lib, a, b: lib.linalg.lstsq(a, b)[0], [(2, 4, 2), (2, 4)]
    ),
    OpCase("lstsq_wide_min_norm", lambda lib, a, b: lib.linalg.lstsq(a, b)[0], [(2, 4), (2, 1)]),
    OpCase("vecdot", lambda lib, a, b: lib.linalg.vecdot(a, b, dim=0), [(3, 4), (3, 1)]),
    OpCase(
        "linalg_matmul_diagonal",
        lambda lib, a, b: lib.linalg.diagonal(lib.linalg.matmul(a, b)),
        [(2, 3, 4), (4, 3)],
    ),
    OpCase("cond_2_batched", lambda lib, a: lib.linalg.cond(a), [(2, 4, 3)]),
    OpCase(  # torch 2.13's own cond backward fails here (an in-place op): its definition
        "cond_fro_and_inf",
        lambda lib, a: lib.linalg.cond(well(lib, a), "fro") + lib.linalg.cond(a, float("inf")),
        [(3, 3)],
        torch_fn=lambda lib, a: (
            cond_by_definition(lib, well(lib, a), "fro") + cond_by_definition(lib, a, float("inf"))
        ),
    ),
    OpCase("linalg_norm_default", lambda lib, a: lib.linalg.norm(a), [(2, 3, 4)]),
    OpCase("linalg_norm_vector_dim", lambda lib, a: lib.linalg.norm(a, 3, dim=1), [(3, 4)]),
    OpCase(
        "vector_norm_inf_and_neg_inf",
        lambda lib, a: (
            lib.linalg.vector_norm(a, float("inf"), dim=(0, 2))
            + lib.linalg.vector_norm(a, float("-inf"), dim=(0, 2))
        ),
        [(2, 3, 4)],
    ),
    OpCase(
        "vector_norm_negative_ord_keepdim",
        lambda lib, a: lib.linalg.vector_norm(a, -1.5, dim=-1, keepdim=True),
        [(3, 4)],
    ),
    OpCase("matrix_norm_fro", lambda lib, a: lib.linalg.matrix_norm(a), [(2, 3, 4)]),
    OpCase("matrix_norm_nuc", lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), [(2, 3, 4)]),
    OpCase(
        "matrix_norm_2_and_minus_2",
        lambda lib, a: lib.linalg.matrix_norm(a, 2) * lib.linalg.matrix_norm(a, -2),
        [(3, 4)],
    ),
    OpCase(
        "matrix_norm_1_inf_dims_keepdim",
        lambda lib, a: (
            lib.linalg.matrix_norm(a, 1, dim=(0, 2), keepdim=True)
            + lib.linalg.matrix_norm(a, float("-inf"), dim=(0, 2), keepdim=True)
        ),
        [(3, 2, 4)],
    ),
    OpCase(
        "linalg_norm_matrix_ord",
        lambda lib, a: lib.linalg.norm(a, float("inf")) + lib.linalg.norm(a, -1),
        [(3, 4)],
    ),
]

CASES = register_op_cases(*FUSED, *PRODUCTS, *LINALG)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_torch(case, dtype):
    check_parity(case, dtype)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradcheck(case):
    check_gradcheck(case)


@needs_torch
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


@pytest.mark.parametrize("in_graph", [False, True])
def test_in_place_products_cannot_grow_the_tensor(in_graph):
    x = sh.ones(3, requires_grad=in_graph) * 1  # in_graph: a non-leaf, so the op is recorded
    with pytest.raises(ShapeError, match=r"result has shape \(2, 3\).* has shape \(3,\)"):
        x.addcmul_(sh.ones(2, 3), sh.ones(2, 3))
    assert x.shape == (3,) and x.tolist() == [1.0, 1.0, 1.0]


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


@needs_torch
def test_edge_shapes_of_combinations_cov_and_block_diag_as_torch():
    for lib in (sh, torch):
        x = lib.arange(3.0)
        assert tuple(lib.combinations(x, r=4).shape) == (0, 4)
        assert tuple(lib.combinations(x, r=0).shape) == (0,)
        assert tuple(lib.cartesian_prod(x).shape) == (3,)
    single = np.array([[1.0, 2.0, 4.0]])
    assert sh.cov(sh.tensor(single)).item() == pytest.approx(torch.cov(torch.tensor(single)).item())
    assert sh.cov(sh.tensor(single)).shape == ()  # squeezed, as torch's
    with pytest.warns(RuntimeWarning):  # one observation: 0 degrees of freedom, nan as torch
        assert np.isnan(sh.cov(sh.tensor([[1.0], [2.0]])).numpy()).all()
    mixed = sh.block_diag(sh.tensor([[1, 2]]), sh.tensor([0.5]))
    assert mixed.dtype == sh.float32
    assert mixed.tolist() == torch.block_diag(torch.tensor([[1, 2]]), torch.tensor([0.5])).tolist()


@needs_torch
@pytest.mark.parametrize("p", [0, float("-inf"), -1])
def test_dist_takes_every_p_of_vector_norm(p):
    a, b = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([1.0, 0.5])
    ours = sh.dist(sh.tensor(a), sh.tensor(b), p)
    assert ours.item() == pytest.approx(torch.dist(torch.tensor(a), torch.tensor(b), p).item())


@needs_torch
def test_cdist_p0_counts_the_features_that_differ():
    a = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]])
    b = np.array([[0.0, 1.0, 5.0]])
    ours = sh.cdist(sh.tensor(a), sh.tensor(b), p=0)
    np.testing.assert_array_equal(ours.numpy(), torch.cdist(torch.tensor(a), torch.tensor(b), p=0))


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: sh.cross(sh.zeros(2, 4), sh.zeros(2, 4)), "no dim of size 3"),
        (lambda: sh.linalg.cross(sh.zeros(3, 2), sh.zeros(3, 2)), "has no size 3 at dim 1"),
        (lambda: sh.cross(sh.zeros(2, 3), sh.zeros(3)), "same number of dims"),
        (lambda: sh.tensordot(sh.zeros(2, 3), sh.zeros(3, 2)), "sizes [2, 3]"),
        (lambda: sh.tensordot(sh.zeros(2, 3), sh.zeros(3), dims=2), "dims=2 must be from 0 to 1"),
        (lambda: sh.cdist(sh.zeros(4, 3), sh.zeros(5, 2)), "x1 has 3 features per point"),
        (lambda: sh.cdist(sh.zeros(3), sh.zeros(5, 3)), "x1.unsqueeze(0)"),
        (lambda: sh.block_diag(sh.zeros(2, 2, 2)), "at most 2 dims"),
        (lambda: sh.combinations(sh.zeros(2, 2)), "must be 1-d"),
        (lambda: sh.cov(sh.zeros(2, 2, 2)), "1-d or 2-d"),
        (lambda: sh.cov(sh.zeros(2, 4), fweights=sh.ones(3, dtype=sh.int64)), "one weight per"),
        (lambda: sh.cov(sh.zeros(2, 3), fweights=sh.ones(3)), "must be integers"),
        (lambda: sh.cov(sh.zeros(2, 3), aweights=sh.tensor([1.0, -1.0, 1.0])), "not be negative"),
    ],
)
def test_bad_distance_and_statistics_inputs_say_what_to_change(call, words):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert words in str(info.value)


@needs_torch
@needs_torch
def test_cond_values_match_torchs_own_cond():
    a = np.random.default_rng(6).normal(size=(2, 3, 3))
    for p in (None, -2, "fro", "nuc", 1, float("-inf")):
        ours, theirs = sh.linalg.cond(sh.tensor(a), p), torch.linalg.cond(torch.tensor(a), p)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)


def test_values_without_gradients_match_torch():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2, 3, 3))
    a[0] *= -np.sign(np.linalg.det(a[0]))  # det < 0: logdet is nan there
    low_rank = rng.normal(size=(4, 2)) @ rng.normal(size=(2, 5))
    for ours, theirs in [
        (sh.linalg.slogdet(sh.tensor(a)).sign, torch.linalg.slogdet(torch.tensor(a)).sign),
        (sh.logdet(sh.tensor(a)), torch.logdet(torch.tensor(a))),  # nan where det < 0
        (sh.linalg.matrix_power(sh.tensor(a), 0), torch.linalg.matrix_power(torch.tensor(a), 0)),
        (
            sh.linalg.matrix_rank(sh.tensor(low_rank)),
            torch.linalg.matrix_rank(torch.tensor(low_rank)),
        ),
        (
            sh.linalg.matrix_rank(sh.tensor(a), atol=1.0, rtol=0.1),
            torch.linalg.matrix_rank(torch.tensor(a), atol=1.0, rtol=0.1),
        ),
        (
            sh.linalg.vector_norm(sh.tensor([[0.0, 2.0], [0.0, 0.0]]), 0, dim=1),
            torch.linalg.vector_norm(torch.tensor([[0.0, 2.0], [0.0, 0.0]]), 0, dim=1),
        ),
    ]:
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert np.isnan(sh.logdet(sh.tensor(a)).numpy()[0])


@needs_torch
def test_lstsq_returns_what_torchs_cpu_default_returns():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 2))
    ours, theirs = (
        sh.linalg.lstsq(sh.tensor(a), sh.tensor(b)),
        torch.linalg.lstsq(torch.tensor(a), torch.tensor(b)),
    )
    np.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), rtol=1e-10)
    assert ours.rank.tolist() == theirs.rank.tolist() == [3, 3]
    assert ours.residuals.shape == theirs.residuals.shape == (0,)
    assert ours.singular_values.shape == theirs.singular_values.shape == (0,)


@needs_torch
def test_old_svd_shapes_and_compute_uv_false_as_torch():
    x = np.random.default_rng(5).normal(size=(2, 4, 3))
    for args in [(), (False,), (True, False)]:
        ours, theirs = sh.svd(sh.tensor(x), *args), torch.svd(torch.tensor(x), *args)
        assert [tuple(o.shape) for o in ours] == [tuple(t.shape) for t in theirs]
        np.testing.assert_allclose(ours.S.numpy(), theirs.S.numpy(), rtol=1e-12)
    assert not ours.U.numpy().any() and not ours.V.numpy().any()


@pytest.mark.parametrize("mode, shape", [("complete", (4, 2)), ("r", (3, 3))])
def test_qr_backward_refuses_where_torch_does(mode, shape):
    x = sh.ones(*shape).requires_grad_()
    out = sh.linalg.qr(x + sh.eye(*shape), mode=mode).R
    if mode == "r":
        assert out.shape == (3, 3) and sh.linalg.qr(x, mode="r").Q.shape == (0,)
    with pytest.raises(RuntimeError, match=f"not differentiable with mode='{mode}'"):
        out.sum().backward()


def test_singular_and_indefinite_matrices_get_a_clear_error():
    singular = sh.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match="singular .*linalg.pinv"):
        sh.linalg.inv(singular)
    with pytest.raises(ValueError, match="linalg.solve: .* singular"):
        sh.linalg.solve(singular, sh.ones(2))
    with pytest.raises(ValueError, match="not symmetric positive-definite"):
        sh.linalg.cholesky(sh.tensor([[1.0, 2.0], [2.0, 1.0]]))
    assert sh.linalg.det(singular).item() == 0.0
    assert sh.linalg.slogdet(singular).logabsdet.item() == -np.inf
    x = singular.clone().requires_grad_()
    with pytest.raises(RuntimeError, match="singular .* infinite"):
        sh.linalg.slogdet(x).logabsdet.backward()


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: sh.linalg.inv(sh.zeros(3, 4)), "must be square (..., n, n), got shape (3, 4)"),
        (lambda: sh.linalg.det(sh.zeros(3)), "A.unsqueeze(0)"),
        (lambda: sh.linalg.inv(sh.eye(2, dtype=sh.int64)), "A.float()"),
        (lambda: sh.linalg.solve(sh.eye(3), sh.ones(2, 2)), "needs B with 3 rows"),
        (lambda: sh.linalg.matrix_power(sh.eye(2), 1.5), "n must be an int"),
        (lambda: sh.linalg.matrix_norm(sh.eye(2), 3), "ord=3 is not a matrix norm"),
        (lambda: sh.linalg.norm(sh.zeros(2, 2, 2), 1), "pass dim"),
        (lambda: sh.linalg.vector_norm(sh.zeros(2, 2), "fro"), "use linalg.matrix_norm"),
        (lambda: sh.linalg.eigh(sh.eye(2), UPLO="lower"), "UPLO must be 'L'"),
        (lambda: sh.linalg.lstsq(sh.eye(3), sh.ones(2)), "needs B with 3 rows"),
        (lambda: sh.linalg.lstsq(sh.eye(3), sh.ones(3), driver="gelsd"), "driver='gelsd'"),
        (lambda: sh.linalg.qr(sh.eye(3), mode="full"), "mode must be 'reduced'"),
        (lambda: sh.linalg.solve_triangular(sh.eye(3), sh.ones(3), upper=True), "unsqueeze(-1)"),
    ],
)
def test_bad_matrix_inputs_say_what_to_change(call, words):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert words in str(info.value)


def test_torch_linalg_is_served_and_missing_names_get_advice():
    from scratchish import compat

    assert compat.resolve("torch.linalg.solve") is sh.linalg.solve
    assert compat.resolve("torch.linalg.norm") is sh.linalg.norm
    with pytest.raises(AttributeError, match="torch.linalg.eig is not available .* numpy.linalg"):
        compat.resolve("torch.linalg.eig")


def test_docstring_examples_run():
    import doctest

    import scratchish.linalg

    result = doctest.testmod(scratchish.linalg, extraglobs={"sh": sh})
    assert result.attempted >= 4 and result.failed == 0
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(sh.tensordot, globs={"sh": sh}):
        runner.run(test)
    assert runner.summarize(verbose=False).attempted == 2  # the import, then the example
    assert runner.summarize(verbose=False).failed == 0


# batch dims broadcast as in torch: the matrix dims fixed, the batch dims drawn by hypothesis
BATCHED = {
    "solve": (lambda lib, a, b: lib.linalg.solve(well(lib, a), b), (3, 3), (3, 2)),
    "cdist": (lambda lib, a, b: lib.cdist(a, b), (4, 2), (3, 2)),
    "cdist_mm": (
        lambda lib, a, b: lib.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
        (4, 2),
        (3, 2),
    ),
    "cross": (lambda lib, a, b: lib.linalg.cross(a, b), (3,), (3,)),
    "vecdot": (lambda lib, a, b: lib.linalg.vecdot(a, b), (4,), (4,)),
}


@needs_torch
@pytest.mark.parametrize("op", sorted(BATCHED))
@settings(max_examples=15, deadline=None)
@given(
    batch=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_batch_dims_broadcast_like_torch(op, batch, seed):
    fn, core_a, core_b = BATCHED[op]
    # torch.linalg.cross wants inputs with the same number of dims
    assume(op != "cross" or len(batch.input_shapes[0]) == len(batch.input_shapes[1]))
    rng = np.random.default_rng(seed)
    arrays = [
        rng.uniform(-2, 2, tuple(shape) + core)
        for shape, core in zip(batch.input_shapes, (core_a, core_b))
    ]
    xs = [sh.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, t_out = fn(sh, *xs), fn(torch, *ts)
    assert tuple(out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(
        out.numpy(force=True), t_out.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    g = rng.standard_normal(tuple(t_out.shape))
    out.backward(sh.tensor(g))
    t_out.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_explain_names_the_graphs_tensors_in_linalg_formulas():
    text = str(sh.linalg.inv(sh.randn(3, 3, requires_grad=True)).sum().explain())
    assert "inverse1 = inv(t1)" in text
    assert "dL/dt1 = -inverse1.T @ dL/dinverse1 @ inverse1.T" in text
