"""Matrix functions with a derivative of their own: inverse, determinant, log |determinant|,
solve, Cholesky, pseudo-inverse and the factors of eigh, SVD and QR. (torch.linalg in
linalg.py composes the rest from these.)

Each forward is one numpy.linalg call (LAPACK); each backward is the textbook matrix
derivative, written with the same calls (M. Giles, "An extended collection of matrix
derivative results for forward and reverse mode AD", 2008). Inputs are (..., m, n) matrices
(square where the math needs it) with any batch dims; `A.T` in the comments swaps the last
two dims.
Read next: conv.py.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, unbroadcast
from ..errors import ArgumentError, BackwardError


def _mT(x: np.ndarray) -> np.ndarray:  # noqa: N802 - torch's name for the matrix transpose
    return x.swapaxes(-1, -2)


def _linalg_error(op: str, err: Exception, a: np.ndarray) -> Exception | None:
    """numpy.linalg's LinAlgError ("Singular matrix", "not positive definite") as a teaching
    error; None for other errors (Function.explain_error handles those)."""
    if not isinstance(err, np.linalg.LinAlgError):
        return None
    if "definite" in str(err):
        return ArgumentError(
            f"{op}: the matrix (shape {a.shape}) is not symmetric positive-definite, so it has "
            f"no Cholesky factor. A covariance matrix needs a small jitter on its diagonal "
            f"(A + 1e-6 * torch.eye(n)); check that A is symmetric (A == A.mT)."
        )
    return ArgumentError(
        f"{op}: the matrix (shape {a.shape}) is singular (its determinant is 0, some rows are "
        f"combinations of others), so it has no inverse. Use torch.linalg.pinv for a "
        f"least-squares answer, or add a small multiple of the identity (A + eps * I)."
    )


class Inverse(Function):
    """out = inv(A), the matrix with A @ out = I."""

    formula = "out = inv(a)"
    derivatives = ("-out.T @ grad_out @ out.T",)
    saves_inputs = False
    saves_output = True  # backward reads only the inverse itself

    def forward(self, a):
        self.out = np.linalg.inv(a)
        return self.out

    def backward(self, grad_out):
        # d(inv A) = -inv(A) dA inv(A), so dL/dA = -inv(A).T @ grad_out @ inv(A).T
        inv_t = _mT(self.out)
        return -(inv_t @ grad_out @ inv_t)

    def explain_error(self, err, arrays):
        return _linalg_error("linalg.inv", err, arrays[0]) or super().explain_error(err, arrays)


class Det(Function):
    """out = det(A): (..., n, n) -> (...)."""

    formula = "out = det(a)"
    derivatives = ("grad_out * cofactors(a) (= grad_out * det(a) * inv(a).T, a invertible)",)

    def forward(self, a):
        self.a = a
        return np.linalg.det(a)

    def backward(self, grad_out):
        # Jacobi's formula: d det(A) / dA = the cofactor matrix, det(A) * inv(A).T where A is
        # invertible; written without the inverse, it is right for a singular A too
        return grad_out[..., None, None] * _cofactors(self.a)


def _cofactors(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix adj(A).T, from the SVD A = U diag(s) Vh:
    adj(A).T = det(U) det(Vh) U diag(product of the other s_j) Vh,
    which needs no division, so it holds where some s_i are 0 (a singular A)."""
    u, s, vh = np.linalg.svd(a)
    ones = np.ones_like(s[..., :1])
    # the product of every s_j but s_i: products from the left times products from the right
    left = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    signs = np.linalg.det(u) * np.linalg.det(vh)  # each +1 or -1 (orthogonal matrices)
    return signs[..., None, None] * (u * (left * right)[..., None, :]) @ vh


class LogAbsDet(Function):
    """out = log |det(A)|: (..., n, n) -> (...). The sign is computed alongside, without a
    gradient (see linalg.slogdet)."""

    formula = "out = log |det(a)|"
    derivatives = ("grad_out * inv(a).T",)

    def forward(self, a):
        self.a = a
        self.sign, logabsdet = np.linalg.slogdet(a)
        return logabsdet

    def backward(self, grad_out):
        # d log|det A| / dA = (Jacobi's formula) / det(A) = inv(A).T
        try:
            inv = np.linalg.inv(self.a)
        except np.linalg.LinAlgError:
            raise BackwardError(
                "slogdet/logdet backward: the matrix is singular (log |det| = -inf), so the "
                "gradient is infinite (torch returns inf). Keep the matrix away from singular, "
                "e.g. A + 1e-6 * torch.eye(n)."
            ) from None
        return grad_out[..., None, None] * _mT(inv)


class SingularValues(Function):
    """out = s, the singular values of A = U diag(s) Vh, largest first.
    Shape: (..., m, n) -> (..., min(m, n))."""

    formula = "out = svdvals(a)"
    derivatives = ("U @ diag(grad_out) @ Vh",)
    saves_inputs = False  # U and Vh are kept instead

    def forward(self, a):
        self.u, s, self.vh = np.linalg.svd(a, full_matrices=False)
        return s

    def backward(self, grad_out):
        # ds_i = u_i.T dA v_i, so dL/dA = sum_i grad_out_i u_i v_i.T = U diag(grad_out) Vh
        # (where two singular values are equal the split between them is arbitrary, as torch)
        return (self.u * grad_out[..., None, :]) @ self.vh


class SingularVectors(Function):
    """out = U (side="U") or Vh (side="Vh") of the SVD A = U diag(s) Vh, with k = min(m, n):
    U (..., m, k) and Vh (..., k, n), or with full_matrices U (..., m, m) and Vh (..., n, n),
    whose extra rows and columns get no gradient (they are any basis of the rest, as in
    torch). A pair u_i, v_i is defined up to a common sign, so a loss should not depend on
    the signs (U diag(s) Vh, low-rank approximations and squares do not).
    (linalg.svd runs SingularValues and this op twice: one output each keeps the backward
    formulas plain, at the price of three SVDs.)"""

    formula = "out = svd(a).U or svd(a).Vh"
    derivatives = (
        "U: U (skew(U.T grad_out) / (s_j^2 - s_i^2)) diag(s) Vh + (I - U U.T) grad_out "
        "diag(1/s) Vh; Vh: the same for a.T, transposed",
    )
    saves_inputs = False  # the factors are kept instead
    saves_output = True  # U or Vh, read by backward

    def forward(self, a, *, side, full_matrices=False):
        u, self.s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        k = self.s.shape[-1]
        self.u, self.vh, self.side = u[..., :, :k], vh[..., :k, :], side
        return u if side == "U" else vh

    def backward(self, grad_out):
        k = self.s.shape[-1]
        if self.side == "U":
            return _left_vectors_grad(self.u, self.s, self.vh, grad_out[..., :, :k])
        # A.T = V diag(s) U.T: V is the left factor of A.T, so the same formula, transposed
        g_v = _mT(grad_out[..., :k, :])
        return _mT(_left_vectors_grad(_mT(self.vh), self.s, _mT(self.u), g_v))


def _left_vectors_grad(u, s, vh, grad_u):
    """dL/dA from grad_u = dL/dU alone, for A = U diag(s) Vh with U (..., m, k) (Townsend,
    "Differentiating the singular value decomposition", 2016). Inside U's columns, only the
    skew part of U.T grad_u turns U (its columns stay orthonormal), divided by the gaps
    s_j^2 - s_i^2 between squared singular values (infinite where two are equal); the part
    of grad_u outside U's columns (when m > k) moves U out of its column space."""
    k = s.shape[-1]
    squares = s * s
    gaps = squares[..., None, :] - squares[..., :, None]  # E_ij = s_j^2 - s_i^2
    diag = np.arange(k)
    gaps[..., diag, diag] = 1.0  # the diagonal of the skew part is 0: any non-zero divisor
    ut_g = _mT(u) @ grad_u
    inner = (ut_g - _mT(ut_g)) / gaps * s[..., None, :]  # (skew / E) @ diag(s)
    grad = u @ inner @ vh
    if u.shape[-2] > k:  # (I - U U.T) grad_u diag(1/s) Vh
        grad = grad + ((grad_u - u @ ut_g) / s[..., None, :]) @ vh
    return grad


class QRFactor(Function):
    """out = Q (side="Q") or R (side="R") of A = Q R: Q with orthonormal columns, R upper
    triangular. mode="reduced": Q (..., m, k), R (..., k, n) with k = min(m, n);
    "complete": Q (..., m, m), R (..., m, n); "r": R only. (linalg.qr runs this op once per
    output, so each backward reads plainly.)"""

    formula = "out = qr(a).Q or qr(a).R"
    derivatives = ("Q (dR + tril(skew(Q.T dQ) + skew(R dR.T)) R^-T) + (I - Q Q.T) dQ R^-T",)
    saves_output = True  # Q or R, read by backward with the other factor

    def forward(self, a, *, side, mode="reduced"):
        self.a, self.mode, self.side = a, mode, side
        if mode == "r":
            self.r = np.linalg.qr(a, mode="r")
            return self.r
        self.q, self.r = np.linalg.qr(a, mode=mode)
        return self.q if side == "Q" else self.r

    def backward(self, grad_out):
        m, n = self.a.shape[-2:]
        if self.mode == "r" or (self.mode == "complete" and m > n):
            why = "Q is not computed" if self.mode == "r" else "Q's extra columns are arbitrary"
            raise BackwardError(
                f"qr backward: linalg.qr is not differentiable with mode={self.mode!r} for this "
                f"shape ({why}), as in torch. Use torch.linalg.qr(A) (mode='reduced')."
            )
        grad_q = grad_out if self.side == "Q" else np.zeros_like(self.q)
        grad_r = grad_out if self.side == "R" else np.zeros_like(self.r)
        return _qr_grad(self.a, self.q, self.r, grad_q, grad_r)


def _qr_grad(a, q, r, grad_q, grad_r):
    """dL/dA for A = Q R (M. Seeger et al., "Auto-differentiating linear algebra", 2017;
    as TensorFlow's and torch's). Wide A = [X, Y] (m < n): R = [U, V] with X = Q U square,
    and Y = Q V, so Y's gradient is Q grad_V and X's is the square case, where Q also
    reaches L through Y."""
    m, n = a.shape[-2:]
    if m < n:
        y, u = a[..., :, m:], r[..., :, :m]
        grad_u, grad_v = grad_r[..., :, :m], grad_r[..., :, m:]
        grad_x = _qr_grad(a[..., :, :m], q, u, grad_q + y @ _mT(grad_v), grad_u)
        return np.concatenate([grad_x, q @ grad_v], axis=-1)
    qt_dq = _mT(q) @ grad_q
    r_dr = r @ _mT(grad_r)
    lower = np.tril(qt_dq - _mT(qt_dq) + r_dr - _mT(r_dr))

    def times_r_inv_t(x):  # x @ inv(R).T, by a solve: R y = x.T gives y.T
        return _mT(np.linalg.solve(r, _mT(x)))

    return q @ (grad_r + times_r_inv_t(lower)) + times_r_inv_t(grad_q - q @ qt_dq)


class PseudoInverse(Function):
    """out = pinv(A), the Moore-Penrose pseudo-inverse: from the SVD A = U diag(s) Vh,
    pinv(A) = V diag(1 / s) U.T, where singular values at or below `cutoff` (each batch
    element's own) count as 0 and are left out. Shape: (..., m, n) -> (..., n, m)."""

    formula = "out = pinv(a)"
    derivatives = (
        "-out.T @ grad_out @ out.T + (I - a @ out) @ grad_out.T @ out @ out.T "
        "+ out.T @ out @ grad_out.T @ (I - out @ a)",
    )
    saves_output = True

    def forward(self, a, *, cutoff):
        self.a = a
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        kept = s > cutoff[..., None]
        s_inv = np.where(kept, 1 / np.where(kept, s, 1), 0)
        self.out = (_mT(vh) * s_inv[..., None, :]) @ _mT(u)  # V diag(1/s) U.T
        return self.out

    def backward(self, grad_out):
        # Golub and Pereyra (1973), for a matrix whose rank does not change under dA:
        # d pinv = -P dA P + P P.T dA.T (I - A P) + (I - P A) dA.T P.T P, with P = pinv(A);
        # read off dL/dA = the three terms below
        a, p, g = self.a, self.out, grad_out
        grad = -_mT(p) @ g @ _mT(p)
        grad += (_mT(g) - a @ (p @ _mT(g))) @ p @ _mT(p)  # (I - A P) G.T P P.T
        grad += _mT(p) @ p @ (_mT(g) - (_mT(g) @ p) @ a)  # P.T P G.T (I - P A)
        return grad


class EigenValues(Function):
    """out = L, the eigenvalues of a symmetric A = V diag(L) V.T, in ascending order (only
    the triangle `uplo` of A is read). Shape: (..., n, n) -> (..., n)."""

    formula = "out = eigvalsh(a)"
    derivatives = ("V @ diag(grad_out) @ V.T",)
    saves_inputs = False  # V is kept instead

    def forward(self, a, *, uplo="L"):
        eigenvalues, self.v = np.linalg.eigh(a, UPLO=uplo)
        return eigenvalues

    def backward(self, grad_out):
        # dL_i = v_i.T dA v_i, so dL/dA = sum_i grad_out_i v_i v_i.T = V diag(grad_out) V.T
        return (self.v * grad_out[..., None, :]) @ _mT(self.v)


class EigenVectors(Function):
    """out = V, the eigenvectors (columns) of a symmetric A = V diag(L) V.T, in the order of
    the ascending eigenvalues; each is defined up to its sign, so a loss should not depend
    on the signs. Shape: (..., n, n) -> (..., n, n). (linalg.eigh runs this op and
    EigenValues: one output each keeps both backward formulas plain.)"""

    formula = "out = eigh(a).eigenvectors"
    derivatives = ("V @ (skew(V.T @ grad_out) / (L_j - L_i)) @ V.T",)
    saves_inputs = False
    saves_output = True

    def forward(self, a, *, uplo="L"):
        self.eigenvalues, self.out = np.linalg.eigh(a, UPLO=uplo)
        return self.out

    def backward(self, grad_out):
        # dv_i = sum over j != i of v_j (v_j.T dA v_i) / (L_i - L_j): only the skew part of
        # V.T grad_out matters (the vectors keep unit length); dividing it by
        # E_ij = L_j - L_i gives dL/dA in the eigenvector basis (M. Seeger et al., "Auto-
        # differentiating linear algebra", 2017). Repeated eigenvalues make it infinite.
        v, eigenvalues = self.out, self.eigenvalues
        vt_g = _mT(v) @ grad_out
        skew = 0.5 * (vt_g - _mT(vt_g))
        gaps = eigenvalues[..., None, :] - eigenvalues[..., :, None]  # E_ij = L_j - L_i
        diag = np.arange(gaps.shape[-1])
        gaps[..., diag, diag] = 1.0  # the diagonal of skew is 0: any non-zero divisor
        return v @ (skew / gaps) @ _mT(v)


class MatrixExp(Function):
    """out = exp(a) = I + a + a @ a / 2! + a @ a @ a / 3! + ..., for a square a."""

    formula = "out = matrix_exp(a)"
    derivatives = ("the top-right block of matrix_exp([[a.T, grad_out], [0, a.T]])",)

    def forward(self, a):
        self.a = a
        return _expm(a)

    def backward(self, grad_out):
        # R. Mathias (1996): exp([[X, E], [0, X]]) = [[exp(X), L(X, E)], [0, exp(X)]], where
        # L(X, E) is the derivative of exp at X in direction E; with X = a.T and E = grad_out
        # it is dL/da
        n = self.a.shape[-1]
        at = _mT(self.a)
        block = np.zeros((*at.shape[:-2], 2 * n, 2 * n), dtype=at.dtype)
        block[..., :n, :n] = block[..., n:, n:] = at
        block[..., :n, n:] = grad_out
        return _expm(block)[..., :n, n:]


def _expm(a: np.ndarray) -> np.ndarray:
    """exp(a) by scaling and squaring: exp(a) = exp(a / 2^k) ^ (2^k), with k chosen so that
    a / 2^k has a 1-norm of at most 1/2, where 18 terms of the series are exact to float64
    rounding (the next term is below 0.5^19 / 19! ~ 1e-23)."""
    norm = np.abs(a).sum(axis=-2).max(initial=0.0)  # the largest column sum of any matrix
    k = max(0, int(np.ceil(np.log2(norm / 0.5)))) if norm > 0 else 0
    x = a / 2.0**k
    term = result = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    for i in range(1, 19):
        term = term @ x / i  # x^i / i!
        result = result + term
    for _ in range(k):
        result = result @ result
    return result


class Solve(Function):
    """out = X with A @ X = B, i.e. inv(A) @ B without forming the inverse.
    Shape: (..., n, n) and (..., n, k) -> (..., n, k); the batch dims broadcast."""

    formula = "out = solve(a, b) = inv(a) @ b"
    derivatives = ("-solve(a.T, grad_out) @ out.T", "solve(a.T, grad_out)")
    saves_inputs = (True, False)  # A for both gradients; B not at all (out stands in)
    saves_output = True

    def forward(self, a, b):
        self.a, self.b_shape = a, b.shape
        self.out = np.linalg.solve(a, b)
        return self.out

    def backward(self, grad_out):
        need_a, need_b = self.needs_input_grad
        # X = inv(A) B: dL/dB = inv(A).T grad_out, dL/dA = -inv(A).T grad_out X.T
        grad_b = np.linalg.solve(_mT(self.a), grad_out)
        grad_a = unbroadcast(-grad_b @ _mT(self.out), self.a.shape) if need_a else None
        return grad_a, unbroadcast(grad_b, self.b_shape) if need_b else None

    def explain_error(self, err, arrays):
        return _linalg_error("linalg.solve", err, arrays[0]) or super().explain_error(err, arrays)


class Cholesky(Function):
    """out = L, lower triangular with L @ L.T = A, for a symmetric positive-definite A (only
    A's lower triangle is read, as in torch)."""

    formula = "out = cholesky(a)"
    derivatives = ("sym(inv(out).T @ Phi(out.T @ grad_out) @ inv(out))",)
    saves_inputs = False
    saves_output = True

    def forward(self, a):
        self.out = np.linalg.cholesky(a)
        return self.out

    def backward(self, grad_out):
        # I. Murray, "Differentiation of the Cholesky decomposition" (2016), eq. 10:
        # dL/dA = inv(L).T @ Phi(L.T @ grad_out) @ inv(L), with Phi(X) the lower triangle of
        # X with its diagonal halved; then made symmetric, as A is (torch does the same)
        lower = self.out
        phi = np.tril(_mT(lower) @ grad_out)
        diag = np.arange(phi.shape[-1])
        phi[..., diag, diag] *= 0.5
        left = np.linalg.solve(_mT(lower), phi)  # inv(L).T @ Phi
        grad = _mT(np.linalg.solve(_mT(lower), _mT(left)))  # (inv(L).T @ left.T).T = left inv(L)
        return 0.5 * (grad + _mT(grad))

    def explain_error(self, err, arrays):
        return _linalg_error("linalg.cholesky", err, arrays[0]) or super().explain_error(
            err, arrays
        )
