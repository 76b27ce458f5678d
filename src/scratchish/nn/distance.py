"""Distance layers: CosineSimilarity and PairwiseDistance, each one function of
nn.functional kept with its settings. Read next: loss.py (the embedding losses use them).
"""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class CosineSimilarity(Module):
    """out = cosine of the angle between x1 and x2 along dim (see F.cosine_similarity).

    Example:
        >>> import scratchish as sh
        >>> sh.nn.CosineSimilarity()(sh.tensor([[1.0, 0.0]]), sh.tensor([[0.0, 2.0]])).tolist()
        [0.0]
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """out = ||x1 - x2 + eps||_p over the last dim (see F.pairwise_distance)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
