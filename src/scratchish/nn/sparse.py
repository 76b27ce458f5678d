"""Embedding: a lookup table of learned vectors, one row per token id.

Read next: attention.py.
"""

from __future__ import annotations

from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor, _check_device, _whole_number
from . import functional as F
from . import init
from .linear import _empty
from .module import Module, Parameter, size_argument


class Embedding(Module):
    """out = weight[input]: the row of the table for every index.

    Args:
        num_embeddings: number of rows (the vocabulary size).
        embedding_dim: length of each vector.
        padding_idx: a row kept at zero that receives no gradient.

    Shape: (*) integers in [0, num_embeddings) -> (*, embedding_dim).

    Weights: N(0, 1), padding row zeroed, as PyTorch.

    Example:
        >>> import scratchish as sh
        >>> emb = sh.nn.Embedding(10, 3)
        >>> emb(sh.tensor([[1, 2], [4, 9]])).shape
        scratchish.Size([2, 2, 3])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_device(device)
        num_embeddings = size_argument(
            "Embedding",
            "num_embeddings",
            num_embeddings,
            "the number of rows of the table (the vocabulary size), e.g. 10000",
        )
        embedding_dim = size_argument(
            "Embedding", "embedding_dim", embedding_dim, "the length of each vector, e.g. 32"
        )
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None:
            padding_idx = _whole_number("nn.Embedding", "padding_idx", padding_idx)
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ArgumentError(
                    f"Embedding: padding_idx {padding_idx} must be within "
                    f"num_embeddings ({num_embeddings})."
                )
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(
                _empty((num_embeddings, embedding_dim), dtype), requires_grad=not _freeze
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ShapeError(
                    f"Embedding: _weight has shape {tuple(_weight.shape)}, expected "
                    f"({num_embeddings}, {embedding_dim})."
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    @classmethod
    def from_pretrained(
        cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None, **kwargs
    ) -> Embedding:
        """An Embedding holding the given (V, D) table, frozen by default."""
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, _weight=embeddings, _freeze=freeze, **kwargs)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        if self.sparse:
            s += ", sparse=True"
        return s


class EmbeddingBag(Module):
    """The sum, mean or max of the table's rows for each bag of indices (F.embedding_bag):
    a bag of words in one vector, as in PyTorch's text classification tutorial.

    Args:
        num_embeddings, embedding_dim: the table's size, as Embedding.
        mode: 'mean' (default), 'sum' or 'max'.
        include_last_offset, padding_idx: as F.embedding_bag.

    Shape: input (B, N), or (n,) with offsets (B,) -> (B, embedding_dim).

    Weights: N(0, 1), padding row zeroed, as PyTorch.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        table = Embedding(
            num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
            scale_grad_by_freq, sparse, _weight, device=device, dtype=dtype,
        )  # fmt: skip
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = table.padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.mode, self.include_last_offset = mode, include_last_offset
        self.weight = table.weight  # made, and initialised, as Embedding's

    reset_parameters = Embedding.reset_parameters

    @classmethod
    def from_pretrained(
        cls, embeddings: Tensor, freeze: bool = True, mode: str = "mean", **kwargs
    ) -> EmbeddingBag:
        """An EmbeddingBag holding the given (V, D) table, frozen by default."""
        rows, cols = embeddings.shape
        bag = cls(rows, cols, mode=mode, _weight=embeddings, **kwargs)
        bag.weight.requires_grad_(not freeze)
        return bag

    def forward(self, input: Tensor, offsets=None, per_sample_weights=None) -> Tensor:  # noqa: A002
        return F.embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}, mode='{self.mode}'"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
