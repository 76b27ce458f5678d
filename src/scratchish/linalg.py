"""torch.linalg: matrix functions (products, norms, inverse, determinant, solve, Cholesky).

The ones with a backward of their own (inv, det, slogdet, solve, cholesky) are primitives in
ops/linalg.py, each with its textbook derivative; the rest are composed from them and from
tensor methods, so their gradients come free. Read next: ops/linalg.py.
"""

from __future__ import annotations

from . import compat
from .errors import ShapeError
from .functions import _into
from .tensor import Tensor


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


def __getattr__(name: str):
    # torch.linalg names scratchish lacks (eig, svd, lstsq, ...) raise a teaching error
    return compat.unsupported_attribute("torch.linalg", name)
