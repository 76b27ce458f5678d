"""Text as characters: a vocabulary, encode/decode, and (input, next-character) windows.

`text_file(path)` reads any local text file; `sonnets()` is a small corpus that ships with the
package (28 of Shakespeare's sonnets, public domain), so a language model can be trained with
no network. A character-level model reads `block_size` characters and predicts, at every
position, the character that comes next. Read next: __init__.py, which lists every data set.
"""

from __future__ import annotations

import math
import os
from importlib import resources
from pathlib import Path

import numpy as np

from ..creation import from_numpy
from ..errors import ArgumentError
from ..tensor import Tensor
from .download import DatasetError

SONNETS = "sonnets.txt"  # in scratchish/datasets/data/


class CharDataset:
    """Every window of `block_size + 1` characters, as (x, y): y is x shifted by one.

    Sample i is x = ids[i : i + block_size] and y = ids[i + 1 : i + block_size + 1], so the
    model learns to predict y[t] (the next character) from x[0..t].

    Shape:
        x, y: (block_size,) int64.

    Example:
        >>> ds = CharDataset(np.array([0, 1, 2, 3, 4]), block_size=3)
        >>> len(ds), ds[1]
        (2, (tensor([1, 2, 3]), tensor([2, 3, 4])))
    """

    def __init__(self, ids: np.ndarray, block_size: int) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.block_size = block_size

    def __len__(self) -> int:
        return max(len(self.ids) - self.block_size, 0)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"CharDataset: index {i} is out of range for {n} windows.")
        i %= n
        chunk = self.ids[i : i + self.block_size + 1]
        return from_numpy(chunk[:-1].copy()), from_numpy(chunk[1:].copy())


class CharText:
    """A text split into characters, with its vocabulary and train/valid datasets.

    The first `1 - valid_pct` of the text is for training and the rest for validation (a
    contiguous cut: random windows would put almost the same text on both sides).

    Args:
        text: the whole text.
        block_size: characters the model sees at once (the context length).
        valid_pct: the fraction at the end kept for validation.
        name: a name for messages.

    Attributes:
        vocab: the sorted distinct characters; `vocab[i]` is the character with id i.
        stoi: character -> id.
        ids: the whole text as an int64 tensor of ids.
        train, valid: CharDataset of (x, y) windows.

    Example:
        >>> t = CharText("hello world, hello moon", block_size=4, valid_pct=0.25)
        >>> "".join(t.vocab), t.vocab_size
        (' ,dehlmnorw', 11)
        >>> t.encode("hello")
        tensor([4, 3, 5, 5, 8])
        >>> t.decode(t.encode("hello"))
        'hello'
        >>> len(t.train), len(t.valid)
        (14, 1)
    """

    def __init__(
        self, text: str, block_size: int = 64, valid_pct: float = 0.1, name: str = "text"
    ) -> None:
        if not isinstance(block_size, int) or block_size < 1:
            raise ArgumentError(
                f"{name}: block_size={block_size!r} must be a whole number "
                f">= 1 (the number of characters the model sees at once)."
            )
        if not isinstance(valid_pct, (int, float)) or not 0 <= valid_pct < 1:
            raise ArgumentError(
                f"{name}: valid_pct={valid_pct!r} must be a fraction in "
                f"[0, 1), e.g. 0.1 keeps the last 10% for validation."
            )
        if not text:
            raise DatasetError(f"{name}: the text is empty; there is nothing to learn from.")
        self.text, self.name, self.block_size = text, name, block_size
        self.vocab = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(self.vocab)}
        ids = np.array([self.stoi[ch] for ch in text], dtype=np.int64)
        self.ids = from_numpy(ids)
        n_train = len(ids) - int(len(ids) * valid_pct)
        self._check_length(len(ids), n_train, valid_pct)
        self.train = CharDataset(ids[:n_train], block_size)
        self.valid = CharDataset(ids[n_train:], block_size)

    def _check_length(self, n: int, n_train: int, valid_pct: float) -> None:
        # each part needs at least one window of block_size + 1 characters
        need = self.block_size + 1
        if n_train >= need and (valid_pct == 0 or n - n_train >= need):
            return
        smallest = min(valid_pct, 1 - valid_pct) if valid_pct > 0 else 1.0
        at_least = math.ceil(need / smallest)
        raise DatasetError(
            f"{self.name}: the text has {n} characters, too few for block_size="
            f"{self.block_size} with valid_pct={valid_pct}: the training part has {n_train} "
            f"and the validation part {n - n_train} characters, and each needs at least "
            f"{need} (block_size + 1). Use a longer text (at least {at_least} characters) or "
            f"a smaller block_size."
        )

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, s: str) -> Tensor:
        """Characters -> an int64 tensor of ids."""
        unknown = sorted(set(s) - self.stoi.keys())
        if unknown:
            raise DatasetError(
                f"{self.name}: encode: {''.join(unknown)!r} not in the vocabulary of "
                f"{self.vocab_size} characters ({''.join(self.vocab)!r}); a character model "
                f"can only read characters it saw in its training text."
            )
        return from_numpy(np.array([self.stoi[ch] for ch in s], dtype=np.int64))

    def decode(self, ids) -> str:
        """Ids (a tensor, array or list of ints) -> the string."""
        array = ids.numpy() if isinstance(ids, Tensor) else np.asarray(ids)
        flat = array.reshape(-1).tolist()
        bad = [i for i in flat if not 0 <= i < self.vocab_size]
        if bad:
            raise DatasetError(
                f"{self.name}: decode: id {bad[0]} is outside 0.."
                f"{self.vocab_size - 1} (the vocabulary has {self.vocab_size} "
                f"characters)."
            )
        return "".join(self.vocab[i] for i in flat)

    def __repr__(self) -> str:
        return (
            f"CharText({self.name!r}: {len(self.text):,} characters, vocab "
            f"{self.vocab_size}, block_size {self.block_size}, train {len(self.train):,} "
            f"windows, valid {len(self.valid):,})"
        )


def read_text(path: str | os.PathLike, encoding: str = "utf-8") -> str:
    """The contents of a text file; errors name the file and, for bad bytes, the line."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise DatasetError(f"{path} {what}: give the path of a text file.")
    raw = path.read_bytes()
    if not raw.strip():
        raise DatasetError(f"{path}: the file is empty ({len(raw)} bytes, no text).")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise DatasetError(
            f"{path}, line {line}, column {column}: byte 0x{raw[e.start]:02X} is not valid "
            f"{encoding} ({e.reason}). Is it a text file? If it is, pass its encoding, e.g. "
            f"encoding='latin-1'."
        ) from None


def text_file(
    path: str | os.PathLike, block_size: int = 64, valid_pct: float = 0.1, encoding="utf-8"
) -> CharText:
    """Any local text file as a character-level data set.

    Args:
        path: the file.
        block_size: characters the model sees at once.
        valid_pct: the fraction at the end of the text kept for validation.
        encoding: the file's text encoding.

    Returns:
        A CharText (vocab, encode, decode, train and valid datasets of (x, y) windows).
    """
    return CharText(read_text(path, encoding), block_size, valid_pct, name=Path(path).name)


def sonnets(block_size: int = 64, valid_pct: float = 0.1) -> CharText:
    """28 of Shakespeare's sonnets (about 17,500 characters), shipped with scratchish.

    Example:
        >>> t = sonnets()
        >>> t.text.splitlines()[0], t.vocab_size > 50
        ('SONNETS', True)
    """
    return CharText(
        sonnets_path().read_text(encoding="utf-8"), block_size, valid_pct, name="sonnets"
    )


def sonnets_path() -> Path:
    """Where the bundled sonnets file is."""
    return Path(str(resources.files(__package__).joinpath("data", SONNETS)))
