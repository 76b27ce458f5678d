"""DataLoader: a dataset in batches, shuffled each epoch, with PyTorch's semantics.

Samplers choose the order of indices, `BatchSampler` cuts it into batches, `default_collate`
stacks samples into tensors. Shuffling draws what torch's DataLoader draws, in the same order,
so `sh.manual_seed(s)` gives torch's batches. Read dataset.py first; next: learner/.
"""

from __future__ import annotations

import collections.abc
import copy
import math
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from .. import creation
from .. import random as sh_random
from ..errors import ArgumentError, DTypeError, IndexOutOfRangeError, ShapeError
from ..tensor import Tensor
from .dataset import Dataset, IterableDataset, Subset, TensorDataset

__all__ = [
    "BatchSampler",
    "DataLoader",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
]


def _draw_seed(generator: sh_random.Generator | None = None) -> int:
    """A fresh seed, as torch's `torch.empty((), dtype=torch.int64).random_(generator=g)`.

    random_() on int64 takes one 64-bit draw (two 32-bit Mersenne Twister outputs, the first
    one the high half: `Generator._random64`) modulo 2**63, so the seed is in [0, 2**63).
    Without a generator it draws from the global one, which `sh.manual_seed` seeds.
    """
    gen = sh_random.default_generator if generator is None else generator
    return int(gen._random64(1)[0] % np.uint64(2**63))


# ----------------------------------------------------------------------------------------------
# Samplers: iterables of indices (or, for BatchSampler, of lists of indices)
# ----------------------------------------------------------------------------------------------


class Sampler:
    """Base class: an iterable over dataset indices. Subclasses write `__iter__` (and `__len__`)."""

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__}: a Sampler must define __iter__.")


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1, in order.

    Example:
        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a new permutation each time it is iterated (each epoch).

    As PyTorch: without a generator, each epoch draws a seed from the global generator
    (`_draw_seed`), seeds a fresh Generator with it and yields `randperm(n)` from that one;
    with `generator=g` it yields `g.randperm(n)` directly. With replacement, indices come in
    blocks of 32 from `randint(0, n, (32,))`.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw indices with replacement (then samples may repeat).
        num_samples: how many indices per epoch (default len(data_source)).
        generator: the random generator (default: a fresh one seeded from the global one).

    Example:
        >>> import scratchish as sh
        >>> list(RandomSampler(range(5), generator=sh.Generator().manual_seed(0)))
        [4, 0, 1, 3, 2]
    """

    def __init__(
        self,
        data_source,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: sh_random.Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise ArgumentError(
                f"RandomSampler: replacement must be True or False, got {replacement!r}."
            )
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ArgumentError(
                f"RandomSampler: num_samples must be a positive integer, got "
                f"{self.num_samples!r} (is the dataset empty?)."
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if self.generator is None:
            gen = sh_random.Generator().manual_seed(_draw_seed())
        else:
            gen = self.generator
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from gen.randint(0, n, (32,)).tolist()
            yield from gen.randint(0, n, (self.num_samples % 32,)).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from gen.randperm(n).tolist()
            yield from gen.randperm(n).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order (`randperm(len(indices))`), as PyTorch.

    Example:
        >>> import scratchish as sh
        >>> list(SubsetRandomSampler([10, 20, 30], generator=sh.Generator().manual_seed(0)))
        [30, 10, 20]
    """

    def __init__(
        self, indices: Sequence[int], generator: sh_random.Generator | None = None
    ) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        gen = sh_random.default_generator if self.generator is None else self.generator
        for i in gen.randperm(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Indices 0..len(weights)-1 drawn with probability proportional to `weights`.

    Draws as torch: `multinomial(weights as float64, num_samples, replacement)`.

    Args:
        weights: one non-negative weight per sample (need not sum to 1).
        num_samples: how many indices per epoch.
        replacement: draw with replacement (the usual choice for class balancing).
        generator: the random generator (default: the global one).
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: sh_random.Generator | None = None,
    ) -> None:
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ArgumentError(
                f"WeightedRandomSampler: num_samples must be a positive integer, got "
                f"{num_samples!r}."
            )
        weights = weights.array if isinstance(weights, Tensor) else weights
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.weights.ndim != 1:
            raise ShapeError(
                f"WeightedRandomSampler: weights must be 1-D (one per sample), got shape "
                f"{self.weights.shape}."
            )
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        gen = sh_random.default_generator if self.generator is None else self.generator
        yield from gen.multinomial(self.weights, self.num_samples, self.replacement).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Cuts the indices of `sampler` into lists of `batch_size` (the last one may be shorter).

    Args:
        sampler: any iterable of indices.
        batch_size: indices per batch, >= 1.
        drop_last: drop the last batch if it is shorter than batch_size.

    Example:
        >>> list(BatchSampler(range(5), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
        >>> list(BatchSampler(range(5), batch_size=2, drop_last=True))
        [[0, 1], [2, 3]]
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ArgumentError(
                f"BatchSampler: batch_size must be a positive integer, got {batch_size!r}."
            )
        if not isinstance(drop_last, bool):
            raise ArgumentError(
                f"BatchSampler: drop_last must be True or False, got {drop_last!r}."
            )
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return math.ceil(len(self.sampler) / self.batch_size)


# ----------------------------------------------------------------------------------------------
# Collation: a list of samples -> one batch
# ----------------------------------------------------------------------------------------------


def _is_text_array(array: np.ndarray) -> bool:
    return array.dtype.kind in "OUSV"


def default_collate(batch: list):
    """Stack a list of samples into a batch, as torch.utils.data.default_collate.

    By the type of the first sample:
    - Tensor -> `stack(batch)` (a new dim 0); NumPy array -> the same, as a Tensor;
    - Python float -> a float64 tensor, int -> int64, bool -> bool, NumPy scalar -> its dtype;
    - str, bytes -> the list as it is;
    - dict -> a dict collated key by key; tuple -> a list collated position by position (as
      PyTorch); a namedtuple or list keeps its type.

    Args:
        batch: a list of samples (what `ds[i]` returns).

    Shape:
        tensors (*) each -> (len(batch), *).

    Example:
        >>> import scratchish as sh
        >>> xb, yb = default_collate([(sh.tensor([1.0, 2.0]), 0), (sh.tensor([3.0, 4.0]), 1)])
        >>> xb, yb
        (tensor([[1., 2.],
                [3., 4.]]), tensor([0, 1]))
        >>> default_collate([{"x": 1.5}, {"x": 2.5}])
        {'x': tensor([1.5000, 2.5000], dtype=scratchish.float64)}
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        if _is_text_array(elem):
            raise DTypeError(_collate_type_message(f"NumPy arrays of dtype {elem.dtype}"))
        return _stack_tensors([Tensor._make(np.asarray(a)) for a in batch])
    if isinstance(elem, np.generic) and not _is_text_array(np.asarray(elem)):
        return Tensor._make(np.array(batch))
    if isinstance(elem, float):
        return creation.tensor(batch, dtype=np.float64)
    if isinstance(elem, int):  # bool too: a list of bools gives a bool tensor
        return creation.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(collated)
            return clone
        return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = {len(sample) for sample in batch}
        if len(sizes) > 1:
            raise ShapeError(
                f"default_collate: the samples are sequences of different lengths "
                f"{sorted(sizes)}; every sample must have the same number of fields. Pass a "
                f"collate_fn that handles them."
            )
        fields = [default_collate(list(field)) for field in zip(*batch)]
        if isinstance(elem, list):
            return fields
        return fields if isinstance(elem, tuple) else _same_sequence_type(elem, fields)
    raise DTypeError(_collate_type_message(type(elem).__name__))


def _same_sequence_type(elem, fields: list):
    try:
        return type(elem)(fields)
    except TypeError:
        return fields


def _stack_tensors(batch: list[Tensor]) -> Tensor:
    """(*)-shaped tensors -> one (len(batch), *) tensor; recorded in the graph only if needed."""
    shapes = [t.array.shape for t in batch]
    for i, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise ShapeError(
                f"default_collate: cannot stack the samples into a batch: sample 0 has shape "
                f"{shapes[0]} but sample {i} has shape {shape}. Make the samples the same "
                f"size (crop or resize), or pass a collate_fn that pads them."
            )
    if any(t.requires_grad for t in batch):
        return creation.stack(batch)
    return Tensor._make(np.stack([t.array for t in batch]))


def _collate_type_message(found: str) -> str:
    return (
        f"default_collate: a batch must hold tensors, NumPy arrays, numbers, strings, dicts or "
        f"lists of these; found {found}. Convert the samples in the dataset's __getitem__, or "
        f"pass collate_fn=..."
    )


def default_convert(data):
    """NumPy arrays and scalars inside `data` -> tensors, everything else as it is.

    What the DataLoader applies to each sample when `batch_size=None` (no batching).

    Example:
        >>> import numpy as np
        >>> default_convert({"x": np.array([1.0, 2.0]), "name": "a"})
        {'x': tensor([1., 2.], dtype=scratchish.float64), 'name': 'a'}
    """
    if isinstance(data, np.ndarray | np.generic) and not _is_text_array(np.asarray(data)):
        return Tensor._make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _same_sequence_type(data, [default_convert(d) for d in data])
    return data


def get_worker_info():
    """None: scratchish loads every batch in the main process (as torch with num_workers=0)."""
    return None


# ----------------------------------------------------------------------------------------------
# The DataLoader
# ----------------------------------------------------------------------------------------------


class DataLoader:
    """Iterate over a dataset in batches: `for xb, yb in DataLoader(ds, batch_size=64, ...)`.

    Each epoch (each `for` loop over the loader) visits every sample once: in order, or in a
    new random order with `shuffle=True`. Batches are made by `collate_fn` (default_collate:
    stacks tensors). Shuffling draws exactly what torch's DataLoader draws: a seed for the
    workers first (`_draw_seed(generator)`, unused here but drawn to stay in step), then the
    RandomSampler's permutation; so `sh.manual_seed(s)` (or `generator=sh.Generator()
    .manual_seed(s)`) gives the batches that torch gives for the same seed.

    Fast path: for a TensorDataset (or a Subset of one) with the default collate_fn, a batch
    is one fancy index per tensor, `x.array[idx]`, instead of a stack of per-sample rows.

    Differences from PyTorch: num_workers > 0 loads in the main process, exactly as
    num_workers=0 (worker_init_fn is not called, get_worker_info() returns None);
    pin_memory, timeout, prefetch_factor, multiprocessing_context and in_order are accepted
    and ignored (there is no GPU and there are no workers).

    Args:
        dataset: a Dataset (map-style) or IterableDataset.
        batch_size: samples per batch (None: no batching, one converted sample at a time).
        shuffle: a new random order each epoch (map-style datasets only).
        sampler: an iterable of indices, instead of shuffle.
        batch_sampler: an iterable of lists of indices, instead of batch_size, shuffle,
            sampler and drop_last.
        num_workers: accepted for compatibility; loading stays in the main process.
        collate_fn: list of samples -> batch (default: default_collate).
        pin_memory: ignored (CPU only).
        drop_last: drop the last batch if it is smaller than batch_size.
        timeout, worker_init_fn, multiprocessing_context, prefetch_factor, persistent_workers,
            pin_memory_device, in_order: accepted for compatibility, checked as PyTorch does.
        generator: the random generator for shuffling (default: the global one).

    Example:
        >>> import scratchish as sh
        >>> ds = TensorDataset(sh.arange(5.0), sh.arange(5))
        >>> [yb.tolist() for xb, yb in DataLoader(ds, batch_size=2)]
        [[0, 1], [2, 3], [4]]
        >>> dl = DataLoader(ds, batch_size=2, shuffle=True, generator=sh.Generator().manual_seed(0))
        >>> len(dl), sorted(i for xb, yb in dl for i in yb.tolist())
        (3, [0, 1, 2, 3, 4])
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator: sh_random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        self.generator = generator
        self._is_iterable = isinstance(dataset, IterableDataset)

        if self._is_iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        elif sampler is not None and shuffle:
            raise ArgumentError(
                "DataLoader: sampler and shuffle=True cannot be used together; the sampler "
                "decides the order. Use RandomSampler(ds) as the sampler, or drop sampler."
            )
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ArgumentError(
                    "DataLoader: batch_sampler already decides the batches, so it cannot be "
                    "combined with batch_size, shuffle, sampler or drop_last. Leave those out."
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ArgumentError(
                "DataLoader: batch_size=None (no batching) cannot be combined with drop_last=True."
            )

        if sampler is None and not self._is_iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not self._is_iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_size is not None or batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._worker_seed_drawn = False  # persistent workers draw their seed once only

    @property
    def _index_sampler(self):
        """What the iterator walks: batches of indices, or single indices without batching."""
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __iter__(self) -> Iterator:
        if self._is_iterable:
            return _IterableLoaderIter(self)
        return _MapLoaderIter(self)

    def __len__(self) -> int:
        if not self._is_iterable:
            return len(self._index_sampler)
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _draw_worker_seed(self) -> None:
        """Draw the seed torch gives its workers, so that the random stream stays in step.

        torch draws it each time an iterator is made, before the sampler's first draw; with
        persistent workers (num_workers > 0) it keeps one iterator, so it draws only once.
        """
        if self.persistent_workers and self._worker_seed_drawn:
            return
        _draw_seed(self.generator)
        self._worker_seed_drawn = True


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    """The checks torch makes, so code that runs here also runs under torch."""
    if num_workers < 0:
        raise ArgumentError(
            f"DataLoader: num_workers must be >= 0, got {num_workers}; use num_workers=0."
        )
    if timeout < 0:
        raise ArgumentError(f"DataLoader: timeout must be >= 0, got {timeout}.")
    if num_workers == 0 and prefetch_factor is not None:
        raise ArgumentError(
            "DataLoader: prefetch_factor needs num_workers > 0 (as in PyTorch); leave it out."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ArgumentError(f"DataLoader: prefetch_factor must be >= 0, got {prefetch_factor}.")
    if persistent_workers and num_workers == 0:
        raise ArgumentError(
            "DataLoader: persistent_workers=True needs num_workers > 0 (as in PyTorch)."
        )


def _check_iterable_options(shuffle, sampler, batch_sampler) -> None:
    if shuffle not in (False, None):
        raise ArgumentError(
            "DataLoader: an IterableDataset is a stream, so the loader cannot shuffle it "
            f"(got shuffle={shuffle}). Shuffle inside the dataset's __iter__ instead."
        )
    if sampler is not None or batch_sampler is not None:
        raise ArgumentError(
            "DataLoader: an IterableDataset has no indices, so it takes no sampler or "
            "batch_sampler. Use batch_size (and drop_last) only."
        )


class _MapLoaderIter:
    """One epoch over a map-style dataset: indices from the sampler -> samples -> a batch."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        # Same order as torch: iter() first (lazy: RandomSampler draws on the first batch),
        # then the workers' seed.
        self._indices = iter(loader._index_sampler)
        loader._draw_worker_seed()
        self._fast = _fast_path_arrays(loader) if loader._auto_collation else None

    def __iter__(self) -> _MapLoaderIter:
        return self

    def __len__(self) -> int:
        return len(self._loader._index_sampler)

    def __next__(self):
        index = next(self._indices)  # StopIteration ends the epoch
        if self._fast is not None:
            return self._fast_batch(index)
        dataset = self._loader.dataset
        if not self._loader._auto_collation:
            return self._loader.collate_fn(dataset[index])
        if callable(getattr(dataset, "__getitems__", None)):
            samples = dataset.__getitems__(index)
        else:
            samples = [dataset[i] for i in index]
        return self._loader.collate_fn(samples)

    def _fast_batch(self, index: list[int]) -> list[Tensor]:
        """What default_collate would build, with one fancy index per tensor."""
        rows, arrays = self._fast
        idx = np.asarray(index, dtype=np.int64)
        n = len(rows) if rows is not None else len(arrays[0])
        if idx.size and not (-n <= idx.min() and idx.max() < n):
            bad = idx[(idx < -n) | (idx >= n)][0]
            raise IndexOutOfRangeError(
                f"DataLoader: the sampler gave index {bad}, but the dataset has {n} samples "
                f"(valid: 0..{n - 1}). Check the sampler or batch_sampler."
            )
        if rows is not None:  # a Subset: its positions -> rows of the tensors
            idx = rows[idx]
        return [Tensor._make(a[idx]) for a in arrays]


def _fast_path_arrays(loader: DataLoader):
    """(rows, arrays) when batches can be fancy-indexed at once, else None.

    Holds for a TensorDataset, or a Subset of one (rows = the Subset's indices), collated by
    default_collate, with no tensor that requires grad (those need stack's graph).
    """
    if loader.collate_fn is not default_collate:
        return None
    dataset, rows = loader.dataset, None
    if type(dataset) is Subset and type(dataset.dataset) is TensorDataset:
        indices = dataset.indices
        rows = np.asarray(indices.array if isinstance(indices, Tensor) else indices, np.int64)
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    if any(t.requires_grad for t in dataset.tensors):
        return None
    return rows, [t.array for t in dataset.tensors]


class _IterableLoaderIter:
    """One pass over an IterableDataset: take batch_size samples at a time and collate them."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        loader._draw_worker_seed()
        self._samples = iter(loader.dataset)

    def __iter__(self) -> _IterableLoaderIter:
        return self

    def __next__(self):
        loader = self._loader
        if loader.batch_size is None:
            return loader.collate_fn(next(self._samples))
        batch = [sample for _, sample in zip(range(loader.batch_size), self._samples)]
        if not batch or (loader.drop_last and len(batch) < loader.batch_size):
            raise StopIteration
        return loader.collate_fn(batch)
