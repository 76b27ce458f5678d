"""Dropout: during training, zero each value (or each channel: Dropout1d, Dropout2d) with
probability p and scale the rest by 1 / (1 - p); AlphaDropout does the same for SELU networks.
In eval mode, values pass through. Read next: normalization.py.
"""

from __future__ import annotations

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
        self.p, self.inplace = F._check_p(f"nn.{type(self).__name__}", p), inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero whole channels of sequences (N, C, L) or (C, L) with probability p while
    training (see F.dropout1d)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(Dropout):
    """Zero whole feature maps of images (N, C, H, W) with probability p while training
    (see F.dropout2d); the mask is PyTorch's for the same seed."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(Dropout):
    """Zero whole channels of volumes (N, C, D, H, W) or (C, D, H, W) with probability p while
    training (see F.dropout3d)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(Dropout):
    """Dropout that keeps SELU's mean 0 and variance 1 (see F.alpha_dropout)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(Dropout):
    """Alpha dropout of whole channels (see F.feature_alpha_dropout)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.feature_alpha_dropout(input, self.p, self.training, self.inplace)
