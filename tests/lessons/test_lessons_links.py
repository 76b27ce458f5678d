"""The lessons point only at things that exist, stay diffable, and keep their shape.

Every `sh.explain("name")` names a built-in card (its file name); every library file written
as `scratchish/...py` exists in the package; every Markdown link leads to a file next to the
lessons (no web links: the course is offline); every lesson named exists. Outputs are
stripped, and each lesson opens with what it teaches and what to take on faith, and ends with
exercises.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import scratchish
from scratchish.course import LESSON_FILE, lessons, lessons_folder
from scratchish.notes import card_names

PACKAGE_PARENT = Path(scratchish.__file__).resolve().parent.parent  # src/ (or site-packages/)
REPO_README = Path(__file__).resolve().parents[2] / "lessons" / "README.md"

EXPLAIN = re.compile(r"""sh\.explain\(\s*["']([^"']+)["']\s*\)""")
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
LIBRARY_FILE = re.compile(r"`((?:src/)?scratchish/[\w/.-]+\.(?:py|md))`")
LESSON_NAME = re.compile(r"\b(\d\d_[a-z0-9_]+\.ipynb)\b")
WEB = re.compile(r"https?://")


def notebooks() -> list[Path]:
    return sorted(lessons_folder().glob("*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def sources(notebook: dict, kind: str | None = None) -> list[str]:
    return [
        "".join(cell["source"])
        for cell in notebook["cells"]
        if kind is None or cell["cell_type"] == kind
    ]


def test_every_notebook_is_a_numbered_lesson():
    names = [path.name for path in notebooks()]
    assert names and all(LESSON_FILE.match(name) for name in names), names
    assert [int(name[:2]) for name in names] == list(range(1, len(names) + 1))
    assert [lesson.filename for lesson in lessons()] == names


@pytest.mark.parametrize("path", notebooks(), ids=lambda path: path.stem)
def test_outputs_are_stripped(path):
    notebook = load(path)
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            where = f"{path.name} cell {i}"
            assert cell["outputs"] == [], f"{where} has outputs: strip them"
            assert cell["execution_count"] is None, f"{where} has an execution count"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert set(notebook["metadata"]) <= {"kernelspec", "language_info"}, "only kernel metadata"


@pytest.mark.parametrize("path", notebooks(), ids=lambda path: path.stem)
def test_notebooks_are_valid(path):
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.read(path, as_version=4))  # raises ValidationError if not


@pytest.mark.parametrize("path", notebooks(), ids=lambda path: path.stem)
def test_cards_named_exist(path):
    text = "\n".join(sources(load(path)))
    named = EXPLAIN.findall(text)
    assert named, f"{path.name} links no concept card"
    missing = sorted(set(named) - set(card_names()))
    assert not missing, f"{path.name} names cards that do not exist: {missing}"


@pytest.mark.parametrize("path", notebooks(), ids=lambda path: path.stem)
def test_files_and_links_exist(path):
    text = "\n".join(sources(load(path)))
    markdown = "\n".join(sources(load(path), "markdown"))
    assert not WEB.search(text), f"{path.name} links the web; the course works offline"
    for target in MARKDOWN_LINK.findall(markdown):
        assert (path.parent / target.split("#")[0]).exists(), f"{path.name}: no file {target}"
    for library_file in LIBRARY_FILE.findall(text):
        relative = library_file.removeprefix("src/")
        assert (PACKAGE_PARENT / relative).is_file(), f"{path.name}: no file {library_file}"
    for lesson_name in LESSON_NAME.findall(text):
        assert (lessons_folder() / lesson_name).is_file(), f"{path.name}: no {lesson_name}"


@pytest.mark.parametrize("path", notebooks(), ids=lambda path: path.stem)
def test_each_lesson_says_what_it_teaches_and_ends_with_exercises(path):
    markdown = sources(load(path), "markdown")
    number = int(path.name[:2])
    first, last = markdown[0], markdown[-1]
    assert first.startswith(f"# Lesson {number} · "), f"{path.name}: title line"
    assert "**You will learn**" in first and "**Take on faith for now:**" in first
    assert EXPLAIN.search(first), f"{path.name}: the opening links the card of what is on faith"
    assert "## Exercises" in last
    exercises = re.findall(r"^\d\. ", last.split("## Exercises")[1], flags=re.MULTILINE)
    assert 2 <= len(exercises) <= 3, f"{path.name}: 2 or 3 exercises, found {len(exercises)}"
    assert f"scratchish course done {number}" in last


@pytest.mark.skipif(not REPO_README.is_file(), reason="not in a source checkout")
def test_the_repository_index_lists_every_lesson():
    text = REPO_README.read_text(encoding="utf-8")
    targets = MARKDOWN_LINK.findall(text)
    for target in targets:
        if not WEB.match(target):
            assert (REPO_README.parent / target).resolve().exists(), f"lessons/README.md: {target}"
    for path in notebooks():
        assert any(target.endswith(path.name) for target in targets), f"not listed: {path.name}"
