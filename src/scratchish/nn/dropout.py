"""Dropout: during training, zero each value with probability p and scale the rest by
1 / (1 - p); in eval mode, pass values through. Read next: normalization.py.
"""

from __future__ import annotations

from ..errors import ArgumentError
from ..tensor import Tensor
from . import functional as F
from .module import Module


class Dropout(Module):
    """Randomly zero elements with probability p while training (Srivastava et al. 2014).

    The mask is drawn from the default generator as PyTorch draws it (bernoulli(1 - p)).

    Example:
        >>> import scratchish as sh
        >>> drop = sh.nn.Dropout(0.5).eval()
        >>> drop(sh.ones(3))
        tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ArgumentError(f"dropout probability has to be between 0 and 1, but got {p}.")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
