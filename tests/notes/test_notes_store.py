"""Tests for scratchish.notes.store: the notes folder, safe file names, links and statuses."""

from datetime import datetime

import pytest

from scratchish.errors import ArgumentError
from scratchish.notes.store import (
    NoteExistsError,
    NoteNotFoundError,
    NotesStore,
    library_link_source,
    resolve_library_link,
    safe_filename,
)


@pytest.fixture
def store(tmp_path):
    return NotesStore(tmp_path / "notes")


def test_folder_is_created_on_first_use_and_only_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "notes").exists()
    store = NotesStore()
    assert store.folder == tmp_path / "notes"
    assert store.folder.is_dir()
    nested = NotesStore(tmp_path / "a" / "b")
    assert nested.folder.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "notes"]


@pytest.mark.parametrize(
    "title, name",
    [
        ("../../x", "x"),
        ("..\\..\\evil", "evil"),
        ("/etc/passwd", "etc-passwd"),
        ("a/b", "a-b"),
        ("Input/Output: a.k.a. I/O", "Input-Output- a.k.a. I-O"),
        ("...", "untitled"),
        ("CON", "_CON"),
        ("Größe", "Größe"),
        ("trailing dot.", "trailing dot"),
        ("x" * 300, "x" * 100),
    ],
)
def test_safe_filename(title, name):
    assert safe_filename(title) == name


@pytest.mark.parametrize("title", ["../../x", "../../../../tmp/evil", "/abs/path", "a/../../b"])
def test_titles_never_write_outside_the_folder(tmp_path, title):
    store = NotesStore(tmp_path / "inside" / "notes")
    note = store.new(title, "text")
    assert note.path.parent == store.folder
    assert note.title == title  # the title is kept exactly, in the front matter
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inside"]
    assert [p.name for p in (tmp_path / "inside").iterdir()] == ["notes"]


def test_new_note_reads_back(store):
    note = store.new("Chain rule", "Slopes multiply. [[derivative]]")
    assert note.path.name == "Chain rule.md"
    assert note.status == "faith"  # new ideas start on faith
    assert [link.target for link in note.parsed.links] == ["derivative"]
    again = store.find("CHAIN   rule")
    assert again is not None and again.path == note.path


def test_unusual_titles_round_trip(store):
    for title in ['say "hi"', "back\\slash", "Über/Größe.v2", "日本語", "a.b"]:
        assert store.find(title) is None
        assert store.new(title).title == title
        assert store.find(title).title == title


def test_duplicate_title_is_refused_naming_the_existing_file(store):
    first = store.new("Softmax", "one")
    with pytest.raises(NoteExistsError) as error:
        store.new("  softmax ", "two")
    assert str(first.path) in str(error.value)
    assert isinstance(error.value, ValueError)  # except ValueError in user code still works
    assert first.path.read_text(encoding="utf-8").count("one") == 1


def test_titles_that_make_the_same_file_name_get_different_files(store):
    a = store.new("a/b")
    b = store.new("a-b")
    assert a.path != b.path
    assert {a.path.name, b.path.name} == {"a-b.md", "a-b-2.md"}


@pytest.mark.parametrize("title", ["", "   ", "a [[b]]", "x|y", "C# basics"])
def test_bad_titles_are_explained(store, title):
    with pytest.raises(ArgumentError):
        store.new(title)


def test_link_adds_a_wikilink_once(store):
    store.new("Chain rule", "text")
    store.link("chain rule", "Derivative")
    note = store.link("Chain rule", "derivative")
    assert note.text.count("[[") == 1
    assert "## Links" in note.text
    assert [link.target for link in note.parsed.links] == ["Derivative"]


def test_link_from_a_missing_note_suggests_close_titles(store):
    store.new("Chain rule")
    with pytest.raises(NoteNotFoundError, match="Did you mean: Chain rule"):
        store.link("Chain rul", "x")


def test_mark_replaces_status_tags_outside_code(store):
    store.new("N", "#faith text `#faith in code` and #revisit\n```\n#faith\n```", status=None)
    note = store.mark("N", "understood")
    assert note.status == "understood"
    assert note.tags == ["understood"]
    assert "`#faith in code`" in note.text and "```\n#faith\n```" in note.text
    assert store.mark("N", "faith").status == "faith"
    with pytest.raises(ArgumentError, match="not a status"):
        store.mark("N", "done")


def test_mark_adds_a_status_when_there_is_none(store):
    store.new("N", "plain", status=None)
    assert store.get("N").status is None
    assert store.mark("N", "revisit").status == "revisit"


def test_faith_queue_is_oldest_first(store):
    store.new("Newer", created=datetime(2024, 3, 1))
    store.new("Oldest", created=datetime(2023, 1, 1))
    store.new("Middle", created=datetime(2024, 1, 1), status="revisit")
    store.new("Done", created=datetime(2022, 1, 1), status="understood")
    assert [note.title for note in store.faith_queue()] == ["Oldest", "Middle", "Newer"]


def test_broken_links_are_reported_not_raised(store):
    store.new("A", "[[B]] [[softmax]] [[Nowhere]] sh:nn.Linear sh:nn.NotALayer run:123")
    store.new("B")
    broken = store.broken_links()
    assert [(b.note, b.link) for b in broken] == [("A", "[[Nowhere]]"), ("A", "sh:nn.NotALayer")]


def test_hand_written_notes_without_front_matter(store):
    (store.folder / "hand.md").write_text("# My heading\n\nwritten in an editor #revisit\n")
    (store.folder / "plain.md").write_text("no heading at all\n")
    (store.folder / "sub").mkdir()
    (store.folder / "sub" / "ignored.md").write_text("# In a subfolder\n")
    titles = [note.title for note in store.notes()]
    assert titles == ["My heading", "plain"]
    assert store.find("hand").title == "My heading"  # found by file name too


def test_search(store):
    store.new("Adam", "Adaptive moments.\nSecond line")
    store.new("SGD", "plain steps")
    found = store.search("MOMENTS")
    assert [(note.title, lines) for note, lines in found] == [("Adam", ["Adaptive moments."])]
    assert [note.title for note, _ in store.search("sgd")] == ["SGD"]


def test_resolve_library_links():
    import scratchish

    assert resolve_library_link("Tensor") is scratchish.Tensor
    assert resolve_library_link("Tensor.backward") is scratchish.Tensor.backward
    assert resolve_library_link("nn.NoSuchLayer") is None
    assert resolve_library_link("no_such_module.x") is None
    assert library_link_source("Tensor").startswith("scratchish/tensor.py:")
