"""Datasets: what a DataLoader reads samples from, with PyTorch's classes and semantics.

A map-style `Dataset` answers `ds[i]` and `len(ds)`; an `IterableDataset` is a stream.
`TensorDataset` pairs rows of tensors (x, y), `Subset` and `random_split` select rows, and
`ConcatDataset` (also `ds_a + ds_b`) chains datasets end to end. Read next: dataloader.py.
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from .. import random as sh_random
from ..errors import ArgumentError, IndexOutOfRangeError, ShapeError
from ..tensor import Tensor

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]


class Dataset:
    """A map-style dataset: `ds[i]` returns sample i and `len(ds)` the number of samples.

    Subclass it and write `__getitem__` and `__len__` (PyTorch's torch.utils.data.Dataset).
    `ds_a + ds_b` is `ConcatDataset([ds_a, ds_b])`.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> ds = Squares()
        >>> [ds[i] for i in range(len(ds))], len(ds + ds)
        ([0, 1, 4, 9], 8)
    """

    def __getitem__(self, index):
        raise NotImplementedError(
            f"{type(self).__name__}: a Dataset subclass must define __getitem__(self, index) "
            "returning one sample (and __len__ returning the number of samples)."
        )

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream of samples: subclass it and write `__iter__`.

    Use it when samples come one after another (a file read line by line, a generator) and
    cannot be indexed. A DataLoader reads it in order; it cannot be shuffled by the loader.
    `ds_a + ds_b` is `ChainDataset([ds_a, ds_b])`.

    Example:
        >>> class Count(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(3))
        >>> list(Count() + Count())
        [0, 1, 2, 0, 1, 2]
    """

    def __iter__(self):
        raise NotImplementedError(
            f"{type(self).__name__}: an IterableDataset subclass must define __iter__(self) "
            "yielding the samples."
        )

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Sample i is `(t[i] for t in tensors)`: rows of tensors that share their first dim.

    A DataLoader over a TensorDataset with the default collate takes each batch with one
    fancy index per tensor (`x[idx]`), the fast path, instead of stacking row by row.

    Args:
        *tensors: tensors (or NumPy arrays, which are wrapped without a copy) with the same
            size in dim 0, e.g. inputs (N, D) and labels (N,).

    Shape:
        tensors: (N, *) each; a sample: one (*)-shaped tensor per input tensor.

    Example:
        >>> import scratchish as sh
        >>> ds = TensorDataset(sh.arange(6.0).reshape(3, 2), sh.tensor([0, 1, 0]))
        >>> len(ds), ds[1]
        (3, (tensor([2., 3.]), tensor(1)))
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ArgumentError(
                "TensorDataset: needs at least one tensor, e.g. TensorDataset(x, y)."
            )
        tensors = tuple(_as_tensor(t, i) for i, t in enumerate(tensors))
        sizes = [t.array.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            shown = ", ".join(
                f"{n} (tensor {i}, shape {tuple(t.shape)})"
                for i, (n, t) in enumerate(zip(sizes, tensors))
            )
            raise ShapeError(
                f"TensorDataset: every tensor needs the same size in dim 0 (one row per "
                f"sample), got sizes {shown}. Check that inputs and labels come from the same "
                f"rows, e.g. x[:n] and y[:n]."
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].array.shape[0]


def _as_tensor(t, position: int) -> Tensor:
    if isinstance(t, np.ndarray):
        t = Tensor._make(t)
    if not isinstance(t, Tensor):
        raise ArgumentError(
            f"TensorDataset: argument {position} is a {type(t).__name__}; every argument must "
            f"be a tensor. Convert it first: sh.tensor(...)."
        )
    if t.ndim == 0:
        raise ShapeError(
            f"TensorDataset: tensor {position} is 0-d (a single number); every tensor needs a "
            f"first dim with one row per sample. Try t.reshape(1) or t.unsqueeze(0)."
        )
    return t


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order: `Subset(ds, idx)[i] == ds[idx[i]]`.

    Args:
        dataset: the whole dataset.
        indices: the positions in `dataset` that the subset keeps.

    Example:
        >>> Subset(list("abcde"), [4, 0])[0]
        'e'
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list:
        """A list of samples; the DataLoader calls this (when it exists) for each batch."""
        chosen = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(chosen)
        return [self.dataset[i] for i in chosen]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after another: sample i of the first, then the second...

    Args:
        datasets: the datasets to chain (map-style, each with a length).

    Example:
        >>> ds = ConcatDataset([[1, 2], [3, 4, 5]])
        >>> len(ds), ds[2], ds[-1], ds.cumulative_sizes
        (5, 3, 5, [2, 5])
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ArgumentError("ConcatDataset: datasets is empty; give at least one dataset.")
        for i, ds in enumerate(self.datasets):
            if isinstance(ds, IterableDataset):
                raise ArgumentError(
                    f"ConcatDataset: dataset {i} is an IterableDataset, which has no indices. "
                    "Chain streams with ChainDataset (or ds_a + ds_b) instead."
                )
        # cumulative_sizes[k] = the number of samples in datasets 0..k
        self.cumulative_sizes = list(itertools.accumulate(len(ds) for ds in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        n = len(self)
        if not -n <= index < n:
            raise IndexOutOfRangeError(
                f"ConcatDataset: index {index} is out of range for {n} samples; valid indices "
                f"are -{n}..{n - 1}."
            )
        index %= n
        which = bisect.bisect_right(self.cumulative_sizes, index)  # first dataset past index
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets read one after another.

    Args:
        datasets: the IterableDatasets to chain.
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)

    def __iter__(self):
        for ds in self.datasets:
            yield from ds

    def __len__(self) -> int:
        return sum(len(ds) for ds in self.datasets)


def random_split(
    dataset: Dataset,
    lengths: Sequence[int | float],
    generator: sh_random.Generator | None = sh_random.default_generator,
) -> list[Subset]:
    """Split a dataset into non-overlapping random Subsets of the given lengths.

    The split is PyTorch's: `perm = randperm(sum(lengths), generator)`, and subset k takes the
    next lengths[k] entries of perm. With the same seed, scratchish and torch give the same
    subsets. Fractions that sum to 1 become floor(frac * len(dataset)) each, and the leftover
    samples are handed out one at a time, round robin, from the first subset.

    Args:
        dataset: the dataset to split.
        lengths: sizes (ints summing to len(dataset)) or fractions (floats summing to 1).
        generator: the random generator (default: the global one, seeded by sh.manual_seed).

    Returns:
        A list of Subset, one per length.

    Example:
        >>> import scratchish as sh
        >>> train, valid = random_split(range(10), [0.8, 0.2], sh.Generator().manual_seed(42))
        >>> len(train), list(valid)
        (8, [3, 7])
    """
    lengths = list(lengths)
    n = len(dataset)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _lengths_from_fractions(lengths, n)
        total = sum(lengths)
    if any(not float(k).is_integer() or k < 0 for k in lengths) or total != n:
        raise ArgumentError(
            f"random_split: lengths {lengths} must be whole numbers >= 0 summing to the "
            f"dataset's length {n} (they sum to {total}), or fractions summing to 1, e.g. "
            f"[0.8, 0.2]."
        )
    if generator is None:
        generator = sh_random.default_generator
    indices = generator.randperm(n).tolist()
    stops = itertools.accumulate(int(k) for k in lengths)
    return [Subset(dataset, indices[stop - int(k) : stop]) for stop, k in zip(stops, lengths)]


def _lengths_from_fractions(fractions: list[float], n: int) -> list[int]:
    for i, frac in enumerate(fractions):
        if not 0 <= frac <= 1:
            raise ArgumentError(
                f"random_split: fraction {frac} at index {i} is not between 0 and 1."
            )
    lengths = [math.floor(n * frac) for frac in fractions]
    for i in range(n - sum(lengths)):  # the remainder, one each, round robin
        lengths[i % len(lengths)] += 1
    for i, k in enumerate(lengths):
        if k == 0:
            warnings.warn(
                f"random_split: the split at index {i} is empty.", UserWarning, stacklevel=3
            )
    return lengths
