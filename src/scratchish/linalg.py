"""torch.linalg: matrix functions (products, norms, inverse, determinant, solve, factorizations).

The ones with a backward of their own (inv, det, slogdet, solve, cholesky, pinv, eigh, svd,
qr) are primitives in ops/linalg.py, each with its textbook derivative; the rest are composed
from them and from tensor methods, so their gradients come free. Read next: ops/linalg.py.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from . import compat
from .errors import ArgumentError, DTypeError, ShapeError, UnsupportedError
from .functions import (
    _into,
    matmul,  # noqa: F401 - torch.linalg.matmul is torch.matmul
)
from .ops.linalg import (
    Cholesky,
    Det,
    EigenValues,
    EigenVectors,
    Inverse,
    LogAbsDet,
    MatrixExp,
    PseudoInverse,
    QRFactor,
    SingularValues,
    SingularVectors,
    Solve,
)
from .tensor import Tensor, _number, where

# what slogdet, eigh, svd, qr and lstsq return, as in torch
sign_logabsdet = namedtuple("sign_logabsdet", ["sign", "logabsdet"])
eigh_result = namedtuple("eigh_result", ["eigenvalues", "eigenvectors"])
svd_result = namedtuple("svd_result", ["U", "S", "Vh"])
qr_result = namedtuple("qr_result", ["Q", "R"])
lstsq_result = namedtuple("lstsq_result", ["solution", "residuals", "rank", "singular_values"])


def multi_dot(tensors, *, out=None) -> Tensor:
    """tensors[0] @ tensors[1] @ ...: 2-d matrices, except that the first may be a 1-d row
    vector and the last a 1-d column vector (their dim is then dropped from the result).

    Multiplied left to right; torch picks the cheapest order, which gives the same values up
    to rounding.
    """
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ShapeError(
            f"multi_dot: needs at least 2 tensors, got {len(tensors)}; for one, use it as it is."
        )
    for k, x in enumerate(tensors):
        allowed = (1, 2) if k in (0, len(tensors) - 1) else (2,)
        if x.ndim not in allowed:
            raise ShapeError(
                f"multi_dot: tensor {k} has shape {tuple(x.shape)}; every tensor must be 2-d, "
                f"except the first and the last, which may be 1-d vectors."
            )
    result = tensors[0]
    for x in tensors[1:]:
        result = result @ x
    return _into(result, out)


def cross(input: Tensor, other: Tensor, *, dim: int = -1, out=None) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along `dim` (the last by default); inputs broadcast."""
    return _into(input.cross(other, dim), out)


def _check_matrices(op: str, A: Tensor, square: bool = True) -> None:  # noqa: N803 - torch's name
    """A must be a (batch of) matrix, square for most ops, of a float dtype (as in torch)."""
    if A.ndim < 2:
        raise ShapeError(
            f"{op}: A must be a matrix (..., m, n), got shape {tuple(A.shape)}; a vector "
            f"becomes a one-row matrix with A.unsqueeze(0)."
        )
    if square and A.shape[-1] != A.shape[-2]:
        raise ShapeError(
            f"{op}: A must be square (..., n, n), got shape {tuple(A.shape)}. For a "
            f"non-square matrix, torch.linalg.pinv gives a least-squares inverse."
        )
    if A.array.dtype.kind != "f":
        raise DTypeError(
            f"{op}: A must hold floating-point numbers, got {A.dtype}; convert it with "
            f"A.float() (or A.double())."
        )


# ---------------------------------------------------------------- inverse and determinant
def inv(A: Tensor, *, out=None) -> Tensor:  # noqa: N803
    """The inverse of a square matrix: A @ inv(A) = I. For A @ X = B, solve(A, B) is faster
    and more accurate than inv(A) @ B.

    Example:
        >>> sh.linalg.inv(sh.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    _check_matrices("linalg.inv", A)
    return _into(Inverse.apply(A), out)


def det(A: Tensor, *, out=None) -> Tensor:  # noqa: N803
    """The determinant: (..., n, n) -> (...). Its gradient is right at singular matrices too.

    Example:
        >>> sh.linalg.det(sh.tensor([[1.0, 2.0], [3.0, 4.0]]))  # 1 * 4 - 2 * 3
        tensor(-2.)
    """
    _check_matrices("linalg.det", A)
    return _into(Det.apply(A), out)


def slogdet(A: Tensor, *, out=None):  # noqa: N803
    """(sign, logabsdet) with det(A) = sign * exp(logabsdet): a determinant that does not
    overflow for large matrices. The sign carries no gradient (torch's is 0 anyway); at a
    singular A, backward raises where torch returns inf."""
    _check_matrices("linalg.slogdet", A)
    logabsdet = LogAbsDet.apply(A)
    # the op kept the sign; recompute it when no graph was recorded
    fn = logabsdet.grad_fn
    sign = fn.sign if fn is not None else np.linalg.slogdet(A.array)[0]
    return sign_logabsdet(Tensor._make(np.asarray(sign)), logabsdet)


def logdet(A: Tensor) -> Tensor:  # noqa: N803
    """log(det(A)): nan where det(A) < 0, -inf where it is 0, as torch.logdet."""
    sign, logabsdet = slogdet(A)
    return where(sign.array < 0, math.nan, logabsdet)


# ---------------------------------------------------------------- solving
def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:  # noqa: N803
    """X with A @ X = B (left=False: X @ A = B), without forming inv(A).

    Shape: A (..., n, n); B (..., n, k) gives X (..., n, k), B (n,) or (..., n) with
    B.shape == A.shape[:-1] is a (batch of) vector(s) and gives X of B's shape. Batch dims
    broadcast.

    Example:
        >>> A = sh.tensor([[3.0, 1.0], [1.0, 2.0]])
        >>> sh.linalg.solve(A, sh.tensor([9.0, 8.0]))  # 3x + y = 9, x + 2y = 8
        tensor([2., 3.])
    """
    _check_matrices("linalg.solve", A)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if not left:  # X A = B  <=>  A.T X.T = B.T
        if vector:
            raise ShapeError("linalg.solve: left=False needs B to be a matrix (..., k, n).")
        return _into(solve(A.mT, B.mT).mT, out)
    x = Solve.apply(A, _as_columns("linalg.solve", A, B, vector))
    return _into(x.squeeze(-1) if vector else x, out)


def solve_triangular(
    A: Tensor,  # noqa: N803
    B: Tensor,  # noqa: N803
    *,
    upper: bool,
    left: bool = True,
    unitriangular: bool = False,
    out=None,
) -> Tensor:
    """X with A @ X = B (left=False: X @ A = B) for a triangular A: only its upper (upper=True)
    or lower triangle is read, and with unitriangular=True not even its diagonal (taken as
    1s); so only that part gets a gradient. Shape: (..., n, n) and (..., n, k) -> (..., n, k).
    """
    _check_matrices("linalg.solve_triangular", A)
    if B.ndim < 2:
        raise ShapeError(
            f"linalg.solve_triangular: B must be a matrix (..., n, k), got shape "
            f"{tuple(B.shape)}; for a vector b use B = b.unsqueeze(-1)."
        )
    if not left:  # X A = B  <=>  A.T X.T = B.T, and A.T has the other triangle
        x = solve_triangular(A.mT, B.mT, upper=not upper, unitriangular=unitriangular)
        return _into(x.mT, out)
    if unitriangular:
        ones = Tensor._make(np.eye(A.shape[-1], dtype=A.array.dtype))
        A = (A.triu(1) if upper else A.tril(-1)) + ones  # noqa: N806
    else:
        A = A.triu() if upper else A.tril()  # noqa: N806
    return _into(Solve.apply(A, _as_columns("linalg.solve_triangular", A, B, False)), out)


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):  # noqa: N803
    """The least-squares solution X of A @ X = B: the X that makes ||A @ X - B|| smallest
    (and of several such, the shortest), computed as pinv(A) @ B. Linear regression in one
    line: w = lstsq(X, y).solution.

    Returns (solution, residuals, rank, singular_values) as torch's CPU default driver
    'gelsy' does: residuals and singular_values are empty. Singular values at or below
    rcond * the largest count as 0 (default: eps * max(m, n)).
    Shape: A (..., m, n) and B (..., m, k) or (..., m) -> solution (..., n, k) or (..., n).
    """
    _check_matrices("linalg.lstsq", A, square=False)
    if driver not in (None, "gelsy"):
        raise UnsupportedError(
            f"linalg.lstsq: driver={driver!r} is not supported; scratchish solves as torch's "
            f"CPU default 'gelsy' does (leave driver out). For residuals use "
            f"((A @ x - B) ** 2).sum(-2)."
        )
    vector = B.ndim == A.ndim - 1
    solution = pinv(A, rtol=rcond) @ _as_columns("linalg.lstsq", A, B, vector)
    empty = Tensor._make(np.zeros(0, dtype=A.array.dtype))
    rank = matrix_rank(A, rtol=rcond)
    return lstsq_result(solution.squeeze(-1) if vector else solution, empty, rank, empty)


def _as_columns(op: str, A: Tensor, B: Tensor, vector: bool) -> Tensor:  # noqa: N803
    """B as a (batch of) matrix with A's rows and dtype: a vector becomes one column."""
    b = B.unsqueeze(-1) if vector else B
    rows = A.shape[-2]
    if b.ndim < 2 or b.shape[-2] != rows:
        raise ShapeError(
            f"{op}: A of shape {tuple(A.shape)} needs B with {rows} rows (shape (..., {rows}, "
            f"k), or a vector of {rows}), got shape {tuple(B.shape)}."
        )
    return b.to(A.dtype)


def cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:  # noqa: N803
    """L, lower triangular with L @ L.mT = A, for a symmetric positive-definite A (only its
    lower triangle is read). upper=True gives U = L.mT, with U.mT @ U = A."""
    _check_matrices("linalg.cholesky", A)
    lower = Cholesky.apply(A)
    return _into(lower.mT if upper else lower, out)


def matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:  # noqa: N803
    """A @ A @ ... (n times), by repeated squaring; n < 0 gives powers of inv(A), n = 0 the
    identity (without a gradient; torch's is 0)."""
    _check_matrices("linalg.matrix_power", A)
    if not isinstance(n, (int, np.integer)):
        raise ArgumentError(f"linalg.matrix_power: n must be an int, got {n!r}.")
    if n == 0:  # the identity, in every batch element
        eye = np.broadcast_to(np.eye(A.shape[-1], dtype=A.array.dtype), A.shape)
        return _into(Tensor._make(eye.copy()), out)
    power = inv(A) if n < 0 else A
    n, result = abs(n), None
    # A^13 = A^8 @ A^4 @ A^1 (13 = 0b1101): square, and multiply in the powers whose bit is 1
    while n:
        if n & 1:
            result = power if result is None else result @ power
        n >>= 1
        if n:
            power = power @ power
    return _into(result, out)


def matrix_exp(A: Tensor) -> Tensor:  # noqa: N803
    """exp(A) = I + A + A @ A / 2! + ...: the solution operator of dx/dt = A x (x(t) =
    matrix_exp(t A) @ x(0)); for a diagonal A, the exp of its diagonal."""
    _check_matrices("linalg.matrix_exp", A)
    return MatrixExp.apply(A)


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:  # noqa: N803
    """The pseudo-inverse, from the SVD: singular values at or below max(atol, rtol * the
    largest) count as zero. Default rtol: eps * max(m, n) when atol is not given, else 0 (as
    torch). For a full-rank square A it is inv(A). hermitian is accepted and not needed."""
    _check_matrices("linalg.pinv", A, square=False)
    return _into(PseudoInverse.apply(A, cutoff=_cutoff(A, atol, rtol)), out)


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None):  # noqa: N803
    """How many singular values are above max(atol, rtol * the largest) (defaults as pinv):
    the number of independent rows. int64, no gradient."""
    _check_matrices("linalg.matrix_rank", A, square=False)
    s = np.linalg.svd(A.array, compute_uv=False)
    rank = (s > _cutoff(A, atol, rtol)[..., None]).sum(-1)
    return _into(Tensor._make(np.asarray(rank, dtype=np.int64)), out)


def _cutoff(A: Tensor, atol, rtol) -> np.ndarray:  # noqa: N803
    """Each matrix's threshold below which a singular value counts as 0 (torch's rule)."""
    if rtol is None:
        rtol = np.finfo(A.array.dtype).eps * max(A.shape[-2:]) if not atol else 0.0
    largest = np.linalg.svd(A.array, compute_uv=False)[..., 0] if A.shape[-1] else 0.0
    return np.maximum(atol or 0.0, rtol * np.asarray(largest, dtype=A.array.dtype))


def svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):  # noqa: N803
    """The singular value decomposition A = U diag(S) Vh: U and Vh.mT have orthonormal
    columns, S >= 0, largest first. Shape: (..., m, n) -> U (..., m, k), S (..., k),
    Vh (..., k, n) with k = min(m, n); full_matrices=True (torch's default) makes U
    (..., m, m) and Vh (..., n, n). A pair U[:, i], Vh[i] is defined up to a common sign;
    the gradient is infinite where two singular values are equal, as torch's.

    Example:
        >>> sh.linalg.svd(sh.tensor([[3.0, 0.0], [0.0, -2.0]])).S
        tensor([3., 2.])
    """
    _check_matrices("linalg.svd", A, square=False)
    result = svd_result(
        SingularVectors.apply(A, side="U", full_matrices=full_matrices),
        SingularValues.apply(A),
        SingularVectors.apply(A, side="Vh", full_matrices=full_matrices),
    )
    if out is not None:
        return svd_result(*(_into(r, o) for r, o in zip(result, out)))
    return result


def qr(A: Tensor, mode: str = "reduced", *, out=None):  # noqa: N803
    """A = Q R with Q's columns orthonormal and R upper triangular (Gram-Schmidt, done
    stably). mode='reduced': Q (..., m, k), R (..., k, n), k = min(m, n); 'complete':
    Q (..., m, m), R (..., m, n); 'r': an empty Q and R only (no gradient then, as torch).

    Example:
        >>> Q, R = sh.linalg.qr(sh.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> (Q @ R).allclose(sh.tensor([[3.0, 1.0], [4.0, 2.0]]))
        True
    """
    _check_matrices("linalg.qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise ArgumentError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}.")
    if mode == "r":
        q = Tensor._make(np.zeros(0, dtype=A.array.dtype))
    else:
        q = QRFactor.apply(A, side="Q", mode=mode)
    result = qr_result(q, QRFactor.apply(A, side="R", mode=mode))
    if out is not None:
        return qr_result(*(_into(r, o) for r, o in zip(result, out)))
    return result


def svdvals(A: Tensor, *, out=None) -> Tensor:  # noqa: N803
    """The singular values of A, largest first: (..., m, n) -> (..., min(m, n))."""
    _check_matrices("linalg.svdvals", A, square=False)
    return _into(SingularValues.apply(A), out)


# ---------------------------------------------------------------- symmetric eigenproblem
def eigh(A: Tensor, UPLO: str = "L", *, out=None):  # noqa: N803
    """(eigenvalues, eigenvectors) of a symmetric matrix: A = V diag(L) V.T, the eigenvalues
    ascending, the eigenvectors the columns of V (each only defined up to its sign). Only
    the lower (UPLO='L') or upper ('U') triangle of A is read. The gradient is infinite
    where two eigenvalues are equal, as torch's.

    Example:
        >>> sh.linalg.eigh(sh.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        tensor([1., 3.])
    """
    _check_matrices("linalg.eigh", A)
    _check_uplo("linalg.eigh", UPLO)
    result = eigh_result(EigenValues.apply(A, uplo=UPLO), EigenVectors.apply(A, uplo=UPLO))
    if out is not None:
        return eigh_result(*(_into(r, o) for r, o in zip(result, out)))
    return result


def eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:  # noqa: N803
    """The eigenvalues of a symmetric matrix, ascending (see eigh)."""
    _check_matrices("linalg.eigvalsh", A)
    _check_uplo("linalg.eigvalsh", UPLO)
    return _into(EigenValues.apply(A, uplo=UPLO), out)


def _check_uplo(op: str, uplo) -> None:
    if uplo not in ("L", "U"):
        raise ArgumentError(f"{op}: UPLO must be 'L' (lower triangle) or 'U', got {uplo!r}.")


# ---------------------------------------------------------------- norms
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None):  # noqa: A002
    """(sum |x_i|^ord)^(1 / ord) over `dim` (every element when None): ord=2 the length,
    1 the sum of |x_i|, inf the largest |x_i|, -inf the smallest, 0 how many are not 0
    (a count, without a gradient; torch's is 0)."""
    if isinstance(ord, str):
        raise ArgumentError(
            f"linalg.vector_norm: ord={ord!r} is a matrix norm; use linalg.matrix_norm (or "
            f"linalg.norm), or a number here (2 for the length)."
        )
    ord = _number("linalg.vector_norm", "ord", ord)  # noqa: A001
    x = x if dtype is None else x.to(dtype)
    if x.array.dtype.kind != "f":
        raise DTypeError(f"linalg.vector_norm: needs a float tensor, got {x.dtype}; use x.float().")
    dim = tuple(dim) if isinstance(dim, list) else dim
    if ord > 0:  # 2, 1, inf or any p: Tensor.norm (2 is a primitive, exact at zero)
        result = x.norm(ord, dim, keepdim)
    elif ord == -math.inf:
        result = x.abs().amin(dim, keepdim)
    elif ord == 0:  # a count: no gradient
        result = Tensor._make(
            np.sum(x.array != 0, axis=dim, keepdims=keepdim).astype(x.array.dtype)
        )
    else:  # negative ord: (sum |x_i|^ord)^(1 / ord)
        result = (x.abs() ** ord).sum(dim, keepdim) ** (1.0 / ord)
    return _into(result, out)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None, out=None):  # noqa: N803, A002
    """A norm of the matrices in dims `dim`: 'fro' (sqrt of the sum of squares), 'nuc' (the
    sum of the singular values), 1 / -1 (the largest / smallest column sum of |A|),
    inf / -inf (the same for rows), 2 / -2 (the largest / smallest singular value)."""
    A = A if dtype is None else A.to(dtype)  # noqa: N806
    _check_matrices("linalg.matrix_norm", A, square=False)
    rows, cols = (d % A.ndim for d in dim)
    if ord == "fro":
        return _into(vector_norm(A, 2, (rows, cols), keepdim), out)
    x = A.movedim((rows, cols), (-2, -1))
    if ord in ("nuc", 2, -2):
        s = svdvals(x)
        result = {"nuc": s.sum(-1), 2: s[..., 0], -2: s[..., -1]}[ord]
    elif ord in (1, -1, math.inf, -math.inf):
        sums = x.abs().sum(-2 if abs(ord) == 1 else -1)  # column sums (1) or row sums (inf)
        result = sums.amax(-1) if ord > 0 else sums.amin(-1)
    else:
        raise ArgumentError(
            f"linalg.matrix_norm: ord={ord!r} is not a matrix norm; use 'fro', 'nuc', 1, -1, "
            f"2, -2, inf or -inf (linalg.vector_norm takes any number)."
        )
    if keepdim:
        for d in sorted((rows, cols)):
            result = result.unsqueeze(d)
    return _into(result, out)


def cond(A: Tensor, p=None, *, out=None) -> Tensor:  # noqa: N803
    """The condition number: how much A can magnify relative errors in solve(A, b).
    p=None or 2: the largest singular value over the smallest (-2: the inverse ratio); any
    other matrix norm: norm(A, p) * norm(inv(A), p), for a square invertible A."""
    if p in (None, 2, -2):
        _check_matrices("linalg.cond", A, square=False)
        s = svdvals(A)
        largest, smallest = s[..., 0], s[..., -1]
        return _into(smallest / largest if p == -2 else largest / smallest, out)
    _check_matrices("linalg.cond", A)
    return _into(matrix_norm(A, p) * matrix_norm(inv(A), p), out)


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None, out=None):  # noqa: N803, A002
    """A vector norm (dim an int, or a 1-d input) or a matrix norm (dim a pair, or a 2-d
    input with ord given). With neither ord nor dim: the 2-norm of all elements."""
    if isinstance(dim, int) or (dim is not None and len(dim) == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if dim is not None:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    raise ShapeError(
        f"linalg.norm: with ord={ord!r} and no dim the input must be 1-d or 2-d, got shape "
        f"{tuple(A.shape)}; pass dim (an int for vectors, a pair for matrices)."
    )


# ---------------------------------------------------------------- torch.linalg's aliases
def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """The dot product of vectors along `dim`: (x * y).sum(dim); x and y broadcast."""
    return _into((x * y).sum(dim), out)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """torch.diagonal with the last two dims as the default matrix dims."""
    return A.diagonal(offset, dim1, dim2)


def __getattr__(name: str):
    # torch.linalg names scratchish lacks (eig, lu, ...) raise a teaching error
    return compat.unsupported_attribute("torch.linalg", name)
