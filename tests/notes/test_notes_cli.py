"""Tests for the `scratchish notes ...` commands, run in-process in a temporary working folder."""

import argparse
import json
import os
import sys

import pytest

from scratchish.notes.cli_commands import register


@pytest.fixture
def run(tmp_path, monkeypatch, capsys):
    """run("new", "Title", ...) -> (exit code, stdout, stderr), in a fresh working folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    parser = argparse.ArgumentParser(prog="scratchish")
    register(parser.add_subparsers())

    def run_command(*argv):
        args = parser.parse_args(["notes", *argv])
        code = args.handler(args)
        out, err = capsys.readouterr()
        return code, out, err

    return run_command


def test_folder_is_created_on_first_use(run, tmp_path):
    assert not (tmp_path / "notes").exists()
    code, out, _ = run("list")
    assert code == 0 and "no notes yet" in out
    assert (tmp_path / "notes").is_dir()
    assert os.listdir(tmp_path) == ["notes"]


def test_new_with_text_and_list(run, tmp_path):
    code, out, _ = run("new", "Chain rule", "--text", "Slopes multiply. [[derivative]]")
    assert code == 0 and "Chain rule.md" in out
    text = (tmp_path / "notes" / "Chain rule.md").read_text(encoding="utf-8")
    assert "Slopes multiply. [[derivative]]" in text and "#faith" in text
    code, out, _ = run("list")
    assert code == 0
    assert "faith" in out and "Chain rule" in out and "1 link" in out


def test_new_in_another_folder(run, tmp_path):
    code, _, _ = run("--dir", "my notes", "new", "X", "--text", "x", "--status", "none")
    assert code == 0
    assert (tmp_path / "my notes" / "X.md").exists()
    assert not (tmp_path / "notes").exists()


def test_new_opens_the_editor(run, tmp_path, monkeypatch):
    # A tiny "editor": a Python one-liner that appends a line to the file it is given.
    script = tmp_path / "editor.py"
    script.write_text("import sys\nopen(sys.argv[1], 'a').write('written in the editor\\n')\n")
    monkeypatch.setenv("EDITOR", f'"{sys.executable}" "{script}"')
    code, _, _ = run("new", "Edited")
    assert code == 0
    assert "written in the editor" in (tmp_path / "notes" / "Edited.md").read_text()


def test_new_without_editor_tells_how(run):
    code, out, _ = run("new", "No editor")
    assert code == 0 and "EDITOR" in out


def test_duplicate_title_is_refused_with_the_path(run, tmp_path):
    run("new", "Softmax", "--text", "one")
    code, _, err = run("new", "softmax", "--text", "two")
    assert code == 1
    assert str(tmp_path / "notes" / "Softmax.md") in err


def test_link(run, tmp_path):
    run("new", "A", "--text", "a")
    run("new", "B", "--text", "b")
    code, out, _ = run("link", "A", "B")
    assert code == 0 and "[[B]]" in out
    assert "[[B]]" in (tmp_path / "notes" / "A.md").read_text()
    code, out, _ = run("link", "A", "Not written yet")
    assert code == 0 and "broken" in out
    code, _, err = run("link", "Missing", "B")
    assert code == 1 and "no note titled 'Missing'" in err


def test_list_by_tag_and_broken(run):
    run("new", "A", "--text", "[[Nowhere]] [[softmax]] #maths")
    run("new", "B", "--text", "fine [[A]]")
    code, out, _ = run("list", "--tag", "#maths")
    assert code == 0 and "A" in out and "B" not in out
    code, out, _ = run("list", "--broken")
    assert code == 0
    assert "A: [[Nowhere]]" in out and "1 broken link." in out


def test_broken_link_in_a_hand_written_note_does_not_crash(run, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "odd.md").write_text("---\ntitle\n---\n[[ ]] [[x|]] [[|y]] sh:nope\n")
    code, out, _ = run("list", "--broken")
    assert code == 0 and "sh:nope" in out


def test_faith_is_oldest_first(run, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    for title, created, status in [
        ("Newer", "2024-03-01T00:00:00", "faith"),
        ("Oldest", "2022-01-01T00:00:00", "faith"),
        ("Understood", "2020-01-01T00:00:00", "understood"),
        ("Middle", "2023-06-01T00:00:00", "revisit"),
    ]:
        (folder / f"{title}.md").write_text(
            f"---\ntitle: {title}\ncreated: {created}\n---\n#{status}\n"
        )
    code, out, _ = run("faith")
    assert code == 0
    titles = [line.split()[-1] for line in out.strip().splitlines()]
    assert titles == ["Oldest", "Middle", "Newer"]


def test_mark(run):
    run("new", "A", "--text", "text")
    code, out, _ = run("mark", "a", "understood")
    assert code == 0 and "#understood" in out
    _, out, _ = run("faith")
    assert "nothing taken on faith" in out
    code, _, err = run("mark", "missing", "faith")
    assert code == 1 and "no note titled" in err


def test_search_finds_notes_and_cards(run):
    run("new", "My softmax note", "--text", "exp then divide by the sum")
    code, out, _ = run("search", "BY THE SUM")
    assert code == 0
    assert "My softmax note" in out and "exp then divide" in out
    assert "card: sh.explain('softmax')" in out
    _, out, _ = run("search", "zzzz-nothing")
    assert "nothing contains" in out


def test_map_writes_the_page(run, tmp_path, monkeypatch):
    run("new", "A", "--text", "[[softmax]]")
    code, out, _ = run("map")
    assert code == 0
    page = tmp_path / "notes" / "mindmap.html"
    assert page.exists() and str(page) in out
    opened = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    code, _, _ = run("map", "--out", "elsewhere/map.html", "--open")
    assert code == 0 and (tmp_path / "elsewhere" / "map.html").exists()
    assert opened == [(tmp_path / "elsewhere" / "map.html").as_uri()]


def test_export_formats(run, tmp_path):
    run("new", "Why ReLU", "--text", "[[ReLU]] and [[Second]]")
    run("new", "Second", "--text", 'quotes " and <angles>', "--status", "understood")
    _, out, _ = run("export", "--format", "json")
    graph = json.loads(out)
    titles = {node["title"] for node in graph["nodes"]}
    assert {"Why ReLU", "Second", "ReLU"} <= titles
    assert len(titles) < 10  # only the cards the notes link to
    assert {"source": "note:Second.md", "target": "note:Why ReLU.md"} in graph["edges"]
    _, out, _ = run("export", "--format", "json", "--all-cards")
    assert len(json.loads(out)["nodes"]) > 30

    _, out, _ = run("export", "--format", "mermaid")
    assert out.startswith("graph LR\n") and '["Why ReLU"]:::faith' in out and " --- " in out
    _, out, _ = run("export", "--format", "dot")
    assert out.startswith("graph notes {") and "--" in out and out.rstrip().endswith("}")
    _, out, _ = run("export", "--format", "markmap")
    assert "## Why ReLU #faith" in out and "- ReLU (card)" in out
    code, out, _ = run("export", "--format", "dot", "--out", "g.dot")
    assert code == 0 and (tmp_path / "g.dot").read_text().startswith("graph notes {")


def test_export_escapes_labels(run):
    run("new", 'Say "hi" \\ <b>', "--text", "x")
    _, out, _ = run("export", "--format", "dot")
    assert r'label="Say \"hi\" \\ <b>"' in out
    _, out, _ = run("export", "--format", "mermaid")
    assert '["Say #quot;hi#quot; \\ #lt;b#gt;"]' in out


def test_bare_notes_command_prints_help(run):
    code, out, _ = run()
    assert code == 0 and "notes commands" in out
