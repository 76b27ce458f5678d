"""Sequences of different lengths for the recurrent layers (torch.nn.utils.rnn): pad them to
one tensor (pad_sequence), or pack them so that an RNN skips the padding (PackedSequence,
pack_padded_sequence, pad_packed_sequence). Read next: nn/rnn.py, which runs on both.

A packed sequence lists, time step after time step, the values of the sequences still running
at that step, longest sequence first: for lengths (3, 2, 1) the data rows are
a0 b0 c0 | a1 b1 | a2, and batch_sizes = (3, 2, 1) says how many rows each step has.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...creation import cat, full, stack
from ...errors import ArgumentError, DTypeError, ShapeError
from ...tensor import Tensor


class PackedSequence(NamedTuple):
    """A batch of sequences of different lengths, packed time step by time step.

    Fields:
        data: (sum of the lengths, *): the rows of step 0 of every sequence, then of step 1
            of those that are longer than 1, and so on (longest sequence first).
        batch_sizes: int64 (max length,): how many sequences run at each step.
        sorted_indices: the batch order used inside (longest first), or None when the
            sequences came sorted (enforce_sorted=True).
        unsorted_indices: the permutation that puts them back in the given order, or None.

    Make one with pack_padded_sequence or pack_sequence, not by hand; an RNN, LSTM or GRU
    takes it as input and returns the output packed the same way.
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> PackedSequence:
        """The same packed sequence with data converted (dtype; the device must be the CPU)."""
        return self._replace(data=self.data.to(*args, **kwargs))

    def float(self) -> PackedSequence:
        return self._replace(data=self.data.float())

    def double(self) -> PackedSequence:
        return self._replace(data=self.data.double())

    def cpu(self) -> PackedSequence:
        return self

    @property
    def is_cuda(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes `permutation`: out[permutation[i]] = i."""
    if permutation is None:
        return None
    perm = permutation.array
    out = np.empty_like(perm)
    out[perm] = np.arange(perm.size, dtype=perm.dtype)
    return Tensor._make(out)


def _check_sequences(name: str, sequences) -> list:
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))  # torch accepts a tensor: its rows
    if not isinstance(sequences, (list, tuple)) or not sequences:
        raise ArgumentError(
            f"{name}: sequences must be a non-empty list of tensors, one per sequence, each "
            f"(length, *), got {type(sequences).__name__}."
        )
    for i, seq in enumerate(sequences):
        if not isinstance(seq, Tensor):
            raise DTypeError(
                f"{name}: sequences[{i}] is a {type(seq).__name__}, not a tensor. Make each "
                f"sequence a tensor first: sh.tensor(seq)."
            )
        if seq.ndim == 0 or tuple(seq.shape[1:]) != tuple(sequences[0].shape[1:]):
            raise ShapeError(
                f"{name}: every sequence must be (length, *) with the same sizes after the "
                f"length; sequences[0] has shape {tuple(sequences[0].shape)} and "
                f"sequences[{i}] has shape {tuple(seq.shape)}."
            )
    return list(sequences)


def pad_sequence(
    sequences,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of different lengths into one tensor, padding the short ones.

    Args:
        sequences: a list of tensors (length_i, *), the * sizes the same in all.
        batch_first: return (B, max length, *) instead of (max length, B, *).
        padding_value: the value of the padding.
        padding_side: 'right' (after the values, the default) or 'left'.

    Returns: (max length, B, *), or (B, max length, *) with batch_first. The padding gets no
    gradient; every value keeps its own. The lengths are not returned: keep them, an RNN
    needs them (pack_padded_sequence) or a loss must ignore the padding (a mask).

    Example:
        >>> import scratchish as sh
        >>> from scratchish.nn.utils.rnn import pad_sequence
        >>> pad_sequence([sh.tensor([1.0, 2.0, 3.0]), sh.tensor([4.0])], batch_first=True)
        tensor([[1., 2., 3.],
                [4., 0., 0.]])
    """
    sequences = _check_sequences("pad_sequence", sequences)
    if padding_side not in ("right", "left"):
        raise ArgumentError(
            f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}."
        )
    longest = max(seq.shape[0] for seq in sequences)
    padded = []
    for seq in sequences:
        missing = longest - seq.shape[0]
        if missing:
            pad = full((missing, *seq.shape[1:]), padding_value, dtype=seq.dtype)
            parts = [seq, pad] if padding_side == "right" else [pad, seq]
            seq = cat(parts)
        padded.append(seq)
    return stack(padded, 0 if batch_first else 1)


def _lengths_array(name: str, lengths, n_batch: int) -> np.ndarray:
    """The lengths as an int64 array, checked: one per sequence, each at least 1."""
    try:
        values = lengths.array if isinstance(lengths, Tensor) else np.asarray(lengths)
    except ValueError:  # a ragged list
        values = np.asarray(None)
    if values.ndim != 1 or values.dtype.kind not in "iu" or values.size != n_batch:
        raise ShapeError(
            f"{name}: lengths must hold one whole number per sequence ({n_batch} "
            f"here), got {values.dtype} of shape {values.shape}. Pass the true length of each "
            f"sequence, a list or an int64 tensor, before padding."
        )
    if values.size and values.min() < 1:
        raise ArgumentError(
            f"{name}: every length must be at least 1, got {values.min()}. Drop "
            f"the empty sequences from the batch."
        )
    return values.astype(np.int64)


def pack_padded_sequence(
    input: Tensor,  # noqa: A002
    lengths,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch (from pad_sequence) so that an RNN skips the padding.

    Args:
        input: (T, B, *), or (B, T, *) with batch_first: the padded sequences.
        lengths: the true length of each sequence (a list or an int64 tensor).
        batch_first: the layout of input.
        enforce_sorted: True (default) requires lengths in decreasing order; False sorts the
            batch inside and undoes the sort in pad_packed_sequence and in the RNN's h_n.

    Returns: a PackedSequence. Each row of its data is one value of input, picked by one
    index (so the gradient goes back to the values and not to the padding).

    Example:
        >>> import scratchish as sh
        >>> from scratchish.nn.utils.rnn import pack_padded_sequence
        >>> x = sh.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]])  # B = 2 sequences, padded
        >>> packed = pack_padded_sequence(x, [3, 2], batch_first=True)
        >>> packed.data, packed.batch_sizes
        (tensor([1., 4., 2., 5., 3.]), tensor([2, 2, 1]))
    """
    if not isinstance(input, Tensor) or input.ndim < 2:
        shown = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(
            f"pack_padded_sequence: input must be a padded batch (T, B, *) or (B, T, *) with "
            f"batch_first, got {shown}. Pad a list of sequences with pad_sequence first."
        )
    x = input.transpose(0, 1) if batch_first else input  # (T, B, *)
    n_steps, n_batch = x.shape[0], x.shape[1]
    values = _lengths_array("pack_padded_sequence", lengths, n_batch)
    if values.max() > n_steps:
        raise ShapeError(
            f"pack_padded_sequence: a length of {values.max()} is longer than the padded "
            f"input's {n_steps} time steps (input shape {tuple(input.shape)}, "
            f"batch_first={batch_first}). Is batch_first right?"
        )
    sorted_indices = None
    if enforce_sorted:
        if np.any(np.diff(values) > 0):
            raise ArgumentError(
                f"pack_padded_sequence: lengths must be in decreasing order when "
                f"enforce_sorted=True, got {values.tolist()}. Pass enforce_sorted=False to "
                f"have them sorted for you (the order is restored when unpacking)."
            )
    else:
        order = np.argsort(-values, kind="stable")  # longest first; ties keep their order
        sorted_indices = Tensor._make(order.astype(np.int64))
        values = values[order]
        x = x.index_select(1, order)
    # mask[t, b]: sequence b is still running at step t. Read row by row (time-major), the
    # True places are the packed order: step 0 of every sequence, then step 1, ...
    mask = np.arange(n_steps)[:, None] < values[None, :]  # (T, B)
    batch_sizes = Tensor._make(mask.sum(axis=1)[: values.max()].astype(np.int64))
    return PackedSequence(x[mask], batch_sizes, sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple:
    """Undo pack_padded_sequence: the padded batch and the lengths.

    Args:
        sequence: a PackedSequence (an RNN's packed output, say).
        batch_first: return (B, T, *) instead of (T, B, *).
        padding_value: the value put after each sequence's end.
        total_length: pad to this many steps (at least the longest length), so that a batch
            split into pieces gives pieces of the same length.

    Returns: (padded (T, B, *) or (B, T, *), lengths int64 (B,)), in the batch order given
    to pack_padded_sequence.
    """
    if not isinstance(sequence, PackedSequence):
        raise DTypeError(
            f"pad_packed_sequence: expected a PackedSequence (from pack_padded_sequence or an "
            f"RNN given one), got {type(sequence).__name__}."
        )
    data, batch_sizes = sequence.data, sequence.batch_sizes.array
    n_steps, n_batch = batch_sizes.size, int(batch_sizes[0])
    if total_length is not None:
        if total_length < n_steps:
            raise ArgumentError(
                f"pad_packed_sequence: total_length={total_length} is shorter than the longest "
                f"sequence ({n_steps} steps); it must be at least that."
            )
        n_steps = total_length
    lengths = (np.arange(n_batch)[None, :] < batch_sizes[:, None]).sum(axis=0)  # (B,)
    mask = np.arange(n_steps)[:, None] < lengths[None, :]  # (T, B), as in packing
    padded = full((n_steps, n_batch, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded[mask] = data  # recorded in the graph when data needs a gradient
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.array]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor._make(lengths.astype(np.int64))


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (length_i, *): pad_sequence, then pack_padded_sequence."""
    sequences = _check_sequences("pack_sequence", sequences)
    lengths = [seq.shape[0] for seq in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Undo pad_sequence: the list of sequences, each cut to its length."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)  # (B, T, *)
    values = _lengths_array("unpad_sequence", lengths, x.shape[0])
    return [x[b, : int(n)] for b, n in enumerate(values)]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """Undo pack_sequence: the list of sequences, in the order they were given."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
