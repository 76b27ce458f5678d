"""Matrix products: batched matmul and the fused linear layer x @ w.T + b.

These do almost all of a network's arithmetic, in BLAS. Their backward is two more matrix
products: for out = a @ b, dL/da = grad_out @ b.T and dL/db = a.T @ grad_out.
Read next: conv.py.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function, grad_home, unbroadcast
from ..errors import ShapeError


def _swap(x: np.ndarray) -> np.ndarray:
    return x.swapaxes(-1, -2)


class MatMul(Function):
    """out = a @ b, with NumPy's rules: 1-D operands, batch dims that broadcast."""

    formula = "out = a @ b"
    derivatives = ("grad_out @ b.T", "a.T @ grad_out")
    saves_inputs = "others"  # a for dL/db, b for dL/da

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad_out):
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:  # (M, N) @ (N, K) -> (M, K): the formulas as they are
            return grad_out @ b.T if need_a else None, a.T @ grad_out if need_b else None
        # 1-D operands act as a row (a) or a column (b) vector: make that explicit
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad_out
        if b.ndim == 1:  # first: for vector @ vector grad_out is 0-d, () -> (1,) -> (1, 1)
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        grad_a = grad_b = None
        if need_a:  # (..., M, N) @ (..., N, K) -> (..., M, K)
            grad_a = unbroadcast(g @ _swap(b2), a2.shape).reshape(a.shape)
        if need_b:
            if b2.ndim == 2 and a2.ndim > 2:
                # b was shared by every batch: one big product instead of a sum of small ones
                grad_b = a2.reshape(-1, a2.shape[-1]).T @ g.reshape(-1, g.shape[-1])
            else:
                grad_b = unbroadcast(_swap(a2) @ g, b2.shape)
            grad_b = grad_b.reshape(b.shape)
        return grad_a, grad_b

    def explain_error(self, err, arrays):
        a, b = arrays[0], arrays[1]
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return ShapeError(
                "matmul: both operands need at least one dimension; for a number use * instead."
            )
        k_a, k_b = a.shape[-1], (b.shape[0] if b.ndim == 1 else b.shape[-2])
        if k_a != k_b:
            which = "only" if b.ndim == 1 else "second-to-last"
            return ShapeError(
                f"matmul: {a.shape} @ {b.shape}: inner sizes {k_a} and {k_b} differ. The last "
                f"size of the left operand must equal the {which} "
                f"size of the right one. Did you mean to transpose one of them (.T), or does a "
                f"layer's in_features not match its input?"
            )
        return ShapeError(
            f"matmul: {a.shape} @ {b.shape}: the batch dimensions do not broadcast ({err})."
        )


class Linear(Function):
    """out = x @ w.T + b, fused (one op instead of three; tested against the composed form).

    Shape: x (..., in), w (out, in), b (out,) -> (..., out). Leading dims are flattened so
    each product is one large BLAS call.

    w_t, optional: w.T already laid out row by row (np.ascontiguousarray(w.T), the same
    numbers), for a caller that multiplies by one weight many times, as a recurrent layer
    does at every time step. Only forward reads it. Why: OpenBLAS multiplies x @ w.T, with
    w in PyTorch's (out, in) layout, slower than x @ w_t when x has few rows: (32, 128) @
    (128, 512), an LSTM step's, takes 78-85 us against 40-66 us (AVX-512, 2026-11-27). The
    backward products read w as it is and are fast in that layout: g @ w 63 us, g.T @ x 36
    us, against 80 and 141 us in w_t's.
    """

    formula = "out = x @ w.T + b"
    derivatives = ("grad_out @ w", "grad_out.T @ x", "grad_out summed over the batch")
    saves_inputs = ("others", "others", False)  # x for dL/dw, w for dL/dx; not the bias

    def forward(self, x, w, b=None, *, w_t=None):
        self.x, self.w = x, w
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        out = x2 @ (w.T if w_t is None else w_t)  # (N, in) @ (in, out) -> (N, out)
        if b is not None:
            out += b
        return out.reshape(*x.shape[:-1], w.shape[0]) if x.ndim != 2 else out

    def backward(self, grad_out):
        need_x, need_w = self.needs_input_grad[:2]
        need_b = len(self.needs_input_grad) > 2 and self.needs_input_grad[2]
        g = grad_out.reshape(-1, grad_out.shape[-1])  # (N, out)
        grad_x = (g @ self.w).reshape(self.x.shape) if need_x else None  # (N, out) @ (out, in)
        grad_w = None
        if need_w:
            x2 = self.x.reshape(-1, self.x.shape[-1])
            # (out, N) @ (N, in) -> (out, in), written straight into the optimizer's gradient
            # buffer when the weight has one (grad_home): one copy of the weight's size less
            home = grad_home(self.parents, 1, (g.shape[1], x2.shape[1]), np.result_type(g, x2))
            grad_w = np.matmul(g.T, x2, out=home)
        grad_b = unbroadcast(g, g.shape[1:]) if need_b else None  # sum over rows, by BLAS
        return grad_x, grad_w, grad_b

    def explain_error(self, err, arrays):
        x, w = arrays[0], arrays[1]
        if x.shape[-1:] != w.shape[1:]:
            return ShapeError(
                f"linear: input has {x.shape[-1] if x.ndim else 0} features per sample (shape "
                f"{x.shape}), layer expects {w.shape[1]} (in_features). Did you mean "
                f"nn.Linear({x.shape[-1] if x.ndim else 1}, ...)? If the input is an image, "
                f"flatten it first (x.flatten(1) or nn.Flatten())."
            )
        return super().explain_error(err, arrays)


class Einsum(Function):
    """out = einsum(equation, *operands): products of the operands' elements, summed over
    every letter the output lacks. 'ik,kj->ij' is a matrix product, 'i,i->' a dot product.

    `inputs` holds each operand's letters and `output` the result's, each letter once per
    operand (torch.einsum in functions.py parses the equation into these). Kept as
    self.letters: Function.apply may set self.inputs to the input tensors.
    """

    formula = "out = einsum(inputs -> output, *x)"
    derivatives = (
        "dL/dx_k = einsum(output, the other operands -> x_k's letters), copied along the "
        "letters only x_k has (those were summed in forward)",
    )
    saves_inputs = "others"  # each operand is read for the others' gradients

    def forward(self, *operands, inputs=(), output=""):
        self.letters, self.output = inputs, output
        self.operands = operands if any(self.needs_input_grad) else ()
        return _einsum(inputs, output, operands)

    def explain_error(self, err, arrays):
        sizes: dict = {}
        for k, (letters, x) in enumerate(zip(self.letters, arrays)):
            if len(letters) != np.ndim(x):
                return ShapeError(
                    f"einsum: operand {k} has {np.ndim(x)} dims (shape {np.shape(x)}) but "
                    f"{len(letters)} letters {letters!r}; give one letter per dim, or '...'."
                )
            for c, n in zip(letters, np.shape(x)):
                if sizes.setdefault(c, (n, k))[0] != n:
                    first, j = sizes[c]
                    return ShapeError(
                        f"einsum: letter {c!r} has size {first} in operand {j} and {n} in "
                        f"operand {k}; a letter names one dim size everywhere. Check the "
                        f"shapes, or the order of the letters."
                    )
        return super().explain_error(err, arrays)

    def backward(self, grad_out):
        grads = []
        for k, (letters, x) in enumerate(zip(self.letters, self.operands)):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            # d(sum of products)/dx_k[...] = the product of the other factors: an einsum of
            # grad_out with the other operands, onto the letters of x_k that they carry
            others = [j for j in range(len(self.letters)) if j != k]
            known = set(self.output).union(*(self.letters[j] for j in others))
            target = "".join(c for c in letters if c in known)
            inputs = [self.output, *(self.letters[j] for j in others)]
            g = _einsum(inputs, target, [grad_out, *(self.operands[j] for j in others)])
            # a letter only x_k has was summed alone: every element gets the same gradient
            kept = [n if c in known else 1 for c, n in zip(letters, x.shape)]
            grads.append(np.ascontiguousarray(np.broadcast_to(g.reshape(kept), x.shape)))
        return tuple(grads)


# _einsum hands a two-operand einsum to BLAS (np.einsum's optimize, through tensordot) when
# it is a matrix product of at least this many multiply-adds
EINSUM_BLAS_FROM = 1 << 16


def _einsum(inputs, output: str, operands):
    """np.einsum(inputs -> output, *operands). NumPy's own loops run a contraction at ~2
    GFLOP/s, and its optimize=True finds BLAS for a product of matrices ('ij,kj->ik' on
    (256, 512) and (64, 512): 1.7 ms -> 0.18 ms), but costs ~15 us of planning: so optimize
    for three or more operands, and for two when the sum is a matrix product (a summed letter
    in both, each with a free letter of its own) of EINSUM_BLAS_FROM multiply-adds or more;
    products with a vector, elementwise ones and outer products gain nothing from it."""
    equation = ",".join(inputs) + "->" + output
    if len(inputs) == 2:
        a, b = (set(letters) for letters in inputs)
        out = set(output)
        matrix_product = (a & b) - out and (a - b) & out and (b - a) & out
        sizes = {c: n for letters, x in zip(inputs, operands) for c, n in zip(letters, x.shape)}
        large = math.prod(sizes.values()) >= EINSUM_BLAS_FROM
        return np.einsum(equation, *operands, optimize=bool(matrix_product and large))
    return np.einsum(equation, *operands, optimize=len(inputs) > 2)
