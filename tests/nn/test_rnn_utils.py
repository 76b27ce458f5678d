"""nn.utils.rnn against PyTorch: padding, packing and unpacking sequences, and the recurrent
layers run on packed batches (outputs, final states and all gradients)."""

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn
from scratchish.errors import ArgumentError, DTypeError, ShapeError
from scratchish.nn.utils import rnn as R

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn
TOL64 = dict(rtol=1e-9, atol=1e-11)


def sequences(lengths, features=(3,), seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, *features)) for n in lengths]
    ours = [sh.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def same(ours, theirs, **tol):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **(tol or TOL64))


def same_packed(ours, theirs):
    same(ours.data, theirs.data)
    np.testing.assert_array_equal(ours.batch_sizes.numpy(), theirs.batch_sizes.numpy())
    for mine, other in ((ours.sorted_indices, theirs.sorted_indices),) + (
        (ours.unsorted_indices, theirs.unsorted_indices),
    ):
        if other is None:
            assert mine is None
        else:
            np.testing.assert_array_equal(mine.numpy(), other.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("features", [(), (2,), (2, 3)])
def test_pad_sequence_matches_torch(batch_first, padding_side, features):
    ours, theirs = sequences([2, 5, 1], features)
    out = R.pad_sequence(ours, batch_first, -1.5, padding_side)
    tout = TR.pad_sequence(theirs, batch_first, -1.5, padding_side)
    same(out, tout)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    (out * sh.tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    for x, tx in zip(ours, theirs):
        same(x.grad, tx.grad)


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_unpack_match_torch(enforce_sorted, batch_first):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3, 5]  # ties too
    ours, theirs = sequences(lengths, (2,))
    padded = R.pad_sequence(ours, batch_first)
    tpadded = TR.pad_sequence(theirs, batch_first)
    packed = R.pack_padded_sequence(padded, lengths, batch_first, enforce_sorted)
    tpacked = TR.pack_padded_sequence(tpadded, torch.tensor(lengths), batch_first, enforce_sorted)
    same_packed(packed, tpacked)
    out, out_lengths = R.pad_packed_sequence(packed, batch_first, 7.0, total_length=6)
    tout, tout_lengths = TR.pad_packed_sequence(tpacked, batch_first, 7.0, total_length=6)
    same(out, tout)
    np.testing.assert_array_equal(out_lengths.numpy(), tout_lengths.numpy())
    assert out_lengths.dtype == sh.int64
    # the gradient goes back through pack and unpack to each sequence's own values
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    (out * sh.tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    for x, tx in zip(ours, theirs):
        same(x.grad, tx.grad)


def test_pack_sequence_unpack_sequence_and_unpad_sequence_match_torch():
    ours, theirs = sequences([2, 4, 3], (2,))
    packed, tpacked = R.pack_sequence(ours, False), TR.pack_sequence(theirs, False)
    same_packed(packed, tpacked)
    for x, tx in zip(R.unpack_sequence(packed), TR.unpack_sequence(tpacked)):
        same(x, tx)
    padded = R.pad_sequence(ours, batch_first=True)
    for x, tx in zip(R.unpad_sequence(padded, [2, 4, 3], True), theirs):
        same(x, tx)


def test_torch_names_import_under_as_torch():
    with sh.as_torch():
        import torch as shtorch
        from torch.nn.utils.rnn import PackedSequence, pad_sequence  # noqa: F401

        assert shtorch.nn.utils.rnn.pad_sequence is R.pad_sequence
        assert PackedSequence is R.PackedSequence


def test_errors_name_the_problem_and_the_fix():
    x = sh.randn(4, 3, 2)
    with pytest.raises(ArgumentError, match="decreasing order.*enforce_sorted=False"):
        R.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(ShapeError, match="longer than the padded input's 4 time steps"):
        R.pack_padded_sequence(x, [6, 4, 1])
    with pytest.raises(ShapeError, match="one whole number per sequence \\(3 here\\)"):
        R.pack_padded_sequence(x, [4, 1])
    with pytest.raises(ArgumentError, match="at least 1"):
        R.pack_padded_sequence(x, [4, 2, 0])
    with pytest.raises(ShapeError, match=r"sequences\[1\] has shape \(2, 3\)"):
        R.pad_sequence([sh.zeros(3, 2), sh.zeros(2, 3)])
    with pytest.raises(DTypeError, match="not a tensor"):
        R.pad_sequence([sh.zeros(3, 2), [1.0, 2.0]])
    with pytest.raises(ArgumentError, match="total_length=2"):
        R.pad_packed_sequence(R.pack_padded_sequence(x, [4, 2, 1]), total_length=2)
    with pytest.raises(ShapeError, match="packed sequence's data has shape"):
        nn.LSTM(3, 4)(R.pack_padded_sequence(x, [4, 2, 1]))


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(R)
    assert result.attempted >= 2 and result.failed == 0
