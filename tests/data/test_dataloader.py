"""DataLoader, samplers, collate and datasets: every sample once per epoch, reproducible, and
the same shuffled batches as torch's DataLoader for the same seed."""

from collections import namedtuple

import numpy as np
import pytest

import scratchish as sh
from scratchish.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)


class Rows(Dataset):
    """A plain map-style dataset: sample i is i (no fast path)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


def index_dataset(n):
    """A TensorDataset whose sample i is (row i of a float matrix, label i)."""
    x = sh.arange(float(2 * n)).reshape(n, 2)
    return TensorDataset(x, sh.arange(n))


def epoch_indices(dl):
    """The sample indices of one epoch, batch by batch."""
    batches = []
    for batch in dl:
        labels = batch[1] if isinstance(batch, list) else batch
        batches.append(labels.tolist())
    return batches


def generic_collate(batch):
    return default_collate(batch)  # not `is default_collate`, so the generic path runs


# ------------------------------------------------------------------ every sample once


@pytest.mark.parametrize("n, batch_size", [(1, 1), (10, 3), (10, 5), (17, 4), (6, 10)])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("make", [index_dataset, Rows])
def test_every_sample_once_per_epoch(n, batch_size, shuffle, drop_last, make):
    sh.manual_seed(0)
    dl = DataLoader(make(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    for _ in range(2):
        batches = epoch_indices(dl)
        seen = [i for b in batches for i in b]
        assert len(batches) == len(dl)
        assert len(set(seen)) == len(seen)  # nothing twice
        if drop_last:
            assert all(len(b) == batch_size for b in batches)
            assert len(seen) == (n // batch_size) * batch_size
        else:
            assert sorted(seen) == list(range(n))
            assert [len(b) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
        if not shuffle:
            assert seen == list(range(len(seen)))


def test_shuffle_changes_order_between_epochs():
    sh.manual_seed(0)
    dl = DataLoader(Rows(50), batch_size=50, shuffle=True)
    first, second = epoch_indices(dl), epoch_indices(dl)
    assert first != second
    assert sorted(first[0]) == sorted(second[0]) == list(range(50))


# ------------------------------------------------------------------ reproducibility


def test_reproducible_from_seed():
    def two_epochs(seed):
        sh.manual_seed(seed)
        dl = DataLoader(index_dataset(23), batch_size=4, shuffle=True)
        return epoch_indices(dl) + epoch_indices(dl)

    assert two_epochs(3) == two_epochs(3)
    assert two_epochs(3) != two_epochs(4)


def test_reproducible_from_generator_and_global_state_untouched():
    def run(seed):
        dl = DataLoader(
            Rows(23), batch_size=4, shuffle=True, generator=sh.Generator().manual_seed(seed)
        )
        return epoch_indices(dl) + epoch_indices(dl)

    sh.manual_seed(0)
    expected_next = sh.rand(3)
    sh.manual_seed(0)
    assert run(5) == run(5)
    assert run(5) != run(6)
    assert sh.rand(3).tolist() == expected_next.tolist()  # the global generator was not used


# ------------------------------------------------------------------ parity with torch


def torch_batches(torch, n, batch_size, epochs, seed, use_generator, drop_last=False, **kwargs):
    tdata = torch.utils.data
    ds = tdata.TensorDataset(torch.arange(n))
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1) if use_generator else None
    dl = tdata.DataLoader(
        ds, batch_size=batch_size, shuffle=True, drop_last=drop_last, generator=generator, **kwargs
    )
    out = [[b[0].tolist() for b in dl] for _ in range(epochs)]
    return out, torch.rand(4).tolist()  # the global stream after loading


def our_batches(n, batch_size, epochs, seed, use_generator, drop_last=False, **kwargs):
    ds = TensorDataset(sh.arange(n))
    sh.manual_seed(seed)
    generator = sh.Generator().manual_seed(seed + 1) if use_generator else None
    dl = DataLoader(
        ds, batch_size=batch_size, shuffle=True, drop_last=drop_last, generator=generator, **kwargs
    )
    out = [[b[0].tolist() for b in dl] for _ in range(epochs)]
    return out, sh.rand(4).tolist()


@pytest.mark.parametrize("seed", [0, 1, 42, 2024])
@pytest.mark.parametrize("n, batch_size", [(1, 1), (7, 3), (32, 8), (100, 16), (1000, 64)])
@pytest.mark.parametrize("use_generator", [False, True])
def test_shuffle_matches_torch(seed, n, batch_size, use_generator):
    torch = pytest.importorskip("torch")
    expected = torch_batches(torch, n, batch_size, 3, seed, use_generator)
    assert our_batches(n, batch_size, 3, seed, use_generator) == expected


def test_shuffle_matches_torch_with_drop_last_and_no_batching():
    torch = pytest.importorskip("torch")
    assert our_batches(10, 4, 2, 7, False, True) == torch_batches(torch, 10, 4, 2, 7, False, True)
    torch.manual_seed(9)
    expected = [
        int(x) for x in torch.utils.data.DataLoader(torch.arange(6), batch_size=None, shuffle=True)
    ]
    sh.manual_seed(9)
    assert [int(x) for x in DataLoader(sh.arange(6), batch_size=None, shuffle=True)] == expected


def test_shuffle_matches_torch_with_persistent_workers():
    # torch draws the workers' seed once per iterator; persistent workers keep one iterator
    torch = pytest.importorskip("torch")
    options = {"num_workers": 1, "persistent_workers": True}
    expected = torch_batches(torch, 12, 5, 3, 11, False, **options)
    assert our_batches(12, 5, 3, 11, False, **options) == expected


def test_samplers_match_torch():
    torch = pytest.importorskip("torch")
    tdata = torch.utils.data
    weights = [0.1, 0.5, 2.0, 0.0, 1.0]
    cases = [
        (
            lambda g: tdata.RandomSampler(range(9), replacement=True, num_samples=70, generator=g),
            lambda g: RandomSampler(range(9), replacement=True, num_samples=70, generator=g),
        ),
        (
            lambda g: tdata.RandomSampler(range(9), num_samples=20, generator=g),
            lambda g: RandomSampler(range(9), num_samples=20, generator=g),
        ),
        (
            lambda g: tdata.SubsetRandomSampler([5, 8, 13, 21], generator=g),
            lambda g: SubsetRandomSampler([5, 8, 13, 21], generator=g),
        ),
        (
            lambda g: tdata.WeightedRandomSampler(weights, 12, generator=g),
            lambda g: WeightedRandomSampler(weights, 12, generator=g),
        ),
        (
            lambda g: tdata.WeightedRandomSampler(weights, 4, replacement=False, generator=g),
            lambda g: WeightedRandomSampler(weights, 4, replacement=False, generator=g),
        ),
    ]
    for make_torch, make_ours in cases:
        for seed in (0, 5):
            expected = list(make_torch(torch.Generator().manual_seed(seed)))
            assert list(make_ours(sh.Generator().manual_seed(seed))) == expected
        torch.manual_seed(3)  # no generator: draws from the global one
        sh.manual_seed(3)
        assert list(make_ours(None)) == list(make_torch(None))


# ------------------------------------------------------------------ fast path


def test_fast_path_gives_the_generic_batches():
    x = sh.randn(29, 3, 2)
    y = sh.randint(0, 5, (29,))
    ds = TensorDataset(x, y)
    for shuffle in (False, True):
        sh.manual_seed(1)
        fast = list(DataLoader(ds, batch_size=6, shuffle=shuffle))
        sh.manual_seed(1)
        slow = list(DataLoader(ds, batch_size=6, shuffle=shuffle, collate_fn=generic_collate))
        assert len(fast) == len(slow) == 5
        for fast_batch, slow_batch in zip(fast, slow):
            assert type(fast_batch) is type(slow_batch) is list
            for a, b in zip(fast_batch, slow_batch):
                assert a.dtype == b.dtype and a.shape == b.shape
                np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_fast_path_indexes_whole_arrays(monkeypatch):
    ds = index_dataset(10)
    expected = epoch_indices(DataLoader(ds, batch_size=4))

    def no_rows(self, i):
        raise AssertionError("the fast path must not read samples one by one")

    monkeypatch.setattr(TensorDataset, "__getitem__", no_rows)
    assert epoch_indices(DataLoader(ds, batch_size=4)) == expected
    train, _ = random_split(ds, [7, 3], generator=sh.Generator().manual_seed(0))
    assert epoch_indices(DataLoader(train, batch_size=4)) == [train.indices[:4], train.indices[4:]]


def test_fast_path_on_a_subset_matches_generic():
    train, valid = random_split(index_dataset(20), [0.75, 0.25])
    fast = epoch_indices(DataLoader(valid, batch_size=2))
    slow = epoch_indices(DataLoader(valid, batch_size=2, collate_fn=generic_collate))
    assert fast == slow == [valid.indices[:2], valid.indices[2:4], valid.indices[4:]]


def test_fast_path_rejects_bad_index_clearly():
    dl = DataLoader(index_dataset(5), sampler=[0, 7])
    with pytest.raises(IndexError, match="index 7.*5 samples"):
        list(dl)


# ------------------------------------------------------------------ collate


def test_collate_matches_torch():
    torch = pytest.importorskip("torch")
    torch_collate = torch.utils.data.default_collate

    Point = namedtuple("Point", "x y")
    batches = [
        [1.5, 2.0],
        [1, 2, 3],
        [True, False],
        [np.float32(1.5), np.float32(2.5)],
        [np.int32(4), np.int32(5)],
        [np.arange(3, dtype=np.int16), np.arange(3, dtype=np.int16)],
        [(1, 2.5), (3, 4.5)],
        [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
        [Point(1, 2.0), Point(3, 4.0)],
    ]
    for batch in batches:
        ours, theirs = default_collate(batch), torch_collate(batch)
        assert_same_structure(ours, theirs)
    assert default_collate(["a", "b"]) == ["a", "b"]


def assert_same_structure(ours, theirs):
    assert type(ours).__name__ == type(theirs).__name__ or (
        isinstance(ours, sh.Tensor) and type(theirs).__name__ == "Tensor"
    )
    if isinstance(ours, sh.Tensor):
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert ours.tolist() == theirs.tolist()
    elif isinstance(ours, dict):
        assert list(ours) == list(theirs)
        for key in ours:
            assert_same_structure(ours[key], theirs[key])
    else:
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same_structure(a, b)


def test_collate_stacks_tensors_and_explains_shape_mismatch():
    xb = default_collate([sh.ones(2, 3), sh.zeros(2, 3)])
    assert xb.shape == (2, 2, 3) and xb.sum().item() == 6
    with pytest.raises(ValueError, match=r"sample 0 has shape \(2,\) but sample 1 has shape"):
        default_collate([sh.ones(2), sh.ones(3)])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


def test_collate_keeps_graph_for_tensors_that_require_grad():
    w = sh.ones(2, requires_grad=True)
    xb = default_collate([w * 2, w * 3])
    xb.sum().backward()
    assert w.grad.tolist() == [5.0, 5.0]


def test_loader_with_dict_samples_and_custom_collate():
    class Named(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": sh.full((2,), float(i)), "y": i}

    batches = list(DataLoader(Named(), batch_size=2))
    assert batches[0]["x"].tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert batches[2]["y"].tolist() == [4] and batches[2]["y"].dtype == sh.int64
    sizes = list(DataLoader(Named(), batch_size=2, collate_fn=len))
    assert sizes == [2, 2, 1]


# ------------------------------------------------------------------ datasets


def test_random_split_matches_torch():
    torch = pytest.importorskip("torch")
    tdata = torch.utils.data
    for lengths in ([3, 7], [0.3, 0.3, 0.4], [0.5, 0.5], [1, 0, 9]):
        for seed in (0, 42):
            expected = tdata.random_split(range(10), lengths, torch.Generator().manual_seed(seed))
            ours = random_split(range(10), lengths, sh.Generator().manual_seed(seed))
            assert [s.indices for s in ours] == [s.indices for s in expected]
    torch.manual_seed(8)  # default: the global generator
    sh.manual_seed(8)
    assert [s.indices for s in random_split(range(30), [0.2, 0.8])] == [
        s.indices for s in tdata.random_split(range(30), [0.2, 0.8])
    ]
    with pytest.raises(ValueError, match="sum to 9"):
        random_split(range(10), [4, 5])


def test_tensor_dataset_size_mismatch_names_the_sizes():
    with pytest.raises(ValueError, match=r"100 \(tensor 0.*99 \(tensor 1"):
        TensorDataset(sh.zeros(100, 3), sh.zeros(99))
    ds = TensorDataset(sh.zeros(4, 3), np.arange(4))
    assert len(ds) == 4 and ds[2][1].item() == 2


def test_subset_concat_and_add():
    ds = Rows(5) + Rows(3)
    assert isinstance(ds, ConcatDataset) and len(ds) == 8
    assert [ds[i] for i in range(8)] == [0, 1, 2, 3, 4, 0, 1, 2] and ds[-1] == 2
    with pytest.raises(IndexError):
        ds[8]
    sub = Subset(Rows(10), [9, 2, 4])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [9, 2, 4]
    assert epoch_indices(DataLoader(sub, batch_size=2)) == [[9, 2], [4]]


def test_iterable_dataset_batches_and_len():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    assert epoch_indices(DataLoader(Stream(), batch_size=3)) == [[0, 1, 2], [3, 4, 5], [6]]
    dl = DataLoader(Stream(), batch_size=3, drop_last=True)
    assert epoch_indices(dl) == [[0, 1, 2], [3, 4, 5]] and len(dl) == 2
    with pytest.raises(ValueError, match="cannot shuffle"):
        DataLoader(Stream(), shuffle=True)


def test_samplers_and_argument_errors():
    assert list(BatchSampler(SequentialSampler(range(7)), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(BatchSampler(range(7), 3, True)) == 2
    dl = DataLoader(Rows(7), batch_sampler=[[6, 0], [3]])
    assert epoch_indices(dl) == [[6, 0], [3]]
    with pytest.raises(ValueError, match="sampler and shuffle"):
        DataLoader(Rows(3), sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler"):
        DataLoader(Rows(3), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="persistent_workers"):
        DataLoader(Rows(3), persistent_workers=True)
    dl = DataLoader(Rows(5), batch_size=2, num_workers=4, pin_memory=True)  # main process
    assert epoch_indices(dl) == [[0, 1], [2, 3], [4]]


def test_utils_data_is_data():
    from scratchish.utils import data as utils_data

    assert utils_data.DataLoader is DataLoader and utils_data.random_split is random_split
