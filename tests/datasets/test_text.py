"""text.py: text files as characters, and the sonnets that ship inside the package."""

import re

import numpy as np
import pytest

import scratchish as sh
from scratchish.datasets import CharDataset, CharText, DatasetError, sonnets, text_file


def test_vocab_encode_decode_round_trip():
    t = CharText("abracadabra, cadabra!", block_size=3, valid_pct=0.2)
    assert t.vocab == sorted(set("abracadabra, cadabra!")) and t.vocab_size == 8
    ids = t.encode("cabra")
    assert ids.dtype == sh.int64 and ids.tolist() == [t.stoi[c] for c in "cabra"]
    assert t.decode(ids) == t.decode(ids.tolist()) == t.decode(ids.numpy()) == "cabra"
    assert t.decode(t.ids) == t.text


def test_windows_are_the_next_character_targets():
    t = CharText("0123456789", block_size=4, valid_pct=0.0)
    assert len(t.train) == 6 and len(t.valid) == 0
    x, y = t.train[2]
    assert t.decode(x) == "2345" and t.decode(y) == "3456"
    assert t.decode(t.train[-1][1]) == "6789"
    with pytest.raises(IndexError):
        t.train[6]


def test_validation_is_the_end_of_the_text_not_random_windows():
    text = "a" * 90 + "b" * 10
    t = CharText(text, block_size=4, valid_pct=0.1)
    assert set(t.decode(t.train.ids)) == {"a"} and t.decode(t.valid.ids) == "b" * 10


def test_text_file_reads_any_local_file(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("The quick brown fox\njumps over the lazy dog.\n" * 5, encoding="utf-8")
    t = text_file(path, block_size=8)
    assert t.name == "poem.txt" and "\n" in t.vocab and len(t.text) == 225
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("café au lait, ".encode("latin-1") * 10)
    assert "é" in text_file(latin, block_size=4, encoding="latin-1").vocab


def test_bad_files_say_which_file_and_line(tmp_path):
    (tmp_path / "empty.txt").write_text("\n \n")
    with pytest.raises(DatasetError, match=r"empty\.txt: the file is empty"):
        text_file(tmp_path / "empty.txt")
    (tmp_path / "bin.txt").write_bytes(b"line one\nline two\nok \xff\xfe then\n")
    with pytest.raises(DatasetError, match=r"bin\.txt, line 3, column 4: byte 0xFF") as err:
        text_file(tmp_path / "bin.txt")
    assert "encoding='latin-1'" in str(err.value)
    with pytest.raises(DatasetError, match="does not exist"):
        text_file(tmp_path / "nope.txt")


def test_a_text_too_short_for_the_block_size_says_how_long_it_must_be():
    with pytest.raises(DatasetError) as err:
        CharText("x" * 50, block_size=8, valid_pct=0.1, name="short")
    msg = str(err.value)
    assert "50 characters" in msg and "at least 9 (block_size + 1)" in msg
    assert "at least 90 characters" in msg
    CharText("x" * 90, block_size=8, valid_pct=0.1)  # exactly enough


def test_encode_and_decode_explain_unknown_input():
    t = CharText("hello there", block_size=2, valid_pct=0)
    with pytest.raises(DatasetError, match=r"'qz' not in the vocabulary of 7 characters"):
        t.encode("zoq")
    with pytest.raises(DatasetError, match="id 99 is outside 0..6"):
        t.decode([1, 99])
    with pytest.raises(ValueError, match="block_size=0"):
        CharText("hello", block_size=0)


def test_the_bundled_sonnets_are_28_whole_sonnets():
    t = sonnets()
    assert t.name == "sonnets" and t.text.isascii()
    # each numbered sonnet has 14 lines, the last two (the couplet) indented
    blocks = re.split(r"\n\n([IVXLC]+)\n\n", t.text)[1:]
    numerals, bodies = blocks[0::2], blocks[1::2]
    assert len(numerals) == 28 and numerals[0] == "I" and "CXVI" in numerals
    for numeral, body in zip(numerals, bodies):
        lines = body.strip("\n").split("\n")
        assert len(lines) == 14, numeral
        assert [line.startswith("  ") for line in lines] == [False] * 12 + [True] * 2, numeral
    assert "Shall I compare thee to a summer's day?" in t.text
    assert len(t.train) > 15_000 and t.block_size == 64


def test_char_dataset_batches_through_the_data_loader():
    data = pytest.importorskip("scratchish.data")
    ds = CharDataset(np.arange(20), block_size=5)
    xb, yb = next(iter(data.DataLoader(ds, batch_size=3)))
    assert xb.shape == (3, 5) and yb.tolist()[0] == [1, 2, 3, 4, 5]
