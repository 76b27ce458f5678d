"""`scratchish course`: copies the lessons without ever overwriting a learner's copy, remembers
which are finished (atomically), says where to pick up, and starts Jupyter only when asked
and installed. Jupyter is never started here: the command is built and checked instead."""

from __future__ import annotations

import argparse
import json

import pytest

from scratchish import course
from scratchish.errors import ArgumentError


def run(capsys, *argv: str) -> tuple[int, str]:
    """Parse argv as `scratchish ...` with only the course command registered; run it."""
    parser = argparse.ArgumentParser(prog="scratchish")
    course.register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    code = args.handler(args)
    return code, capsys.readouterr().out


@pytest.fixture(autouse=True)
def no_jupyter(monkeypatch):
    """Jupyter is absent unless a test says otherwise, and can never really start."""
    monkeypatch.setattr(course.shutil, "which", lambda program: None)

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to start Jupyter")

    monkeypatch.setattr(course.subprocess, "run", refuse)


def test_the_eight_lessons_have_titles_and_summaries():
    found = course.lessons()
    assert [lesson.number for lesson in found] == list(range(1, 9))
    assert found[0].title == "Your first model" and found[0].filename == "01_first_model.ipynb"
    assert all(lesson.summary and "*" not in lesson.summary for lesson in found)


def test_course_copies_the_lessons_and_says_where_to_pick_up(tmp_path, capsys):
    folder = tmp_path / "my-course"
    code, out = run(capsys, "course", "--dir", str(folder))
    assert code == 0
    copied = sorted(path.name for path in folder.glob("*.ipynb"))
    assert copied == [lesson.filename for lesson in course.lessons()]
    assert "Copied 8 lesson(s)" in out
    assert "Pick up at lesson 1: Your first model" in out
    assert "pip install jupyterlab" in out  # Jupyter is not installed: say how to get it
    assert (folder / course.PROGRESS_FILE).is_file()


def test_a_learners_copy_is_never_overwritten(tmp_path, capsys):
    folder = tmp_path / "c"
    run(capsys, "course", "--dir", str(folder))
    mine = folder / "01_first_model.ipynb"
    mine.write_text("my own edits", encoding="utf-8")
    (folder / "03_inside_fit.ipynb").unlink()  # deleted: it comes back fresh
    code, out = run(capsys, "course", "--dir", str(folder), "--no-jupyter")
    assert code == 0
    assert mine.read_text(encoding="utf-8") == "my own edits"
    assert "Kept your own copies of 7 lesson(s)" in out and "never overwritten" in out
    assert "Copied 1 lesson(s)" in out
    fresh = (course.lessons_folder() / "03_inside_fit.ipynb").read_bytes()
    assert (folder / "03_inside_fit.ipynb").read_bytes() == fresh


def test_done_is_remembered_and_moves_the_pick_up_point(tmp_path, capsys):
    folder = tmp_path / "c"
    run(capsys, "course", "--dir", str(folder))
    code, out = run(capsys, "course", "--dir", str(folder), "done", "1", "02")
    assert code == 0 and "Lessons 1, 2: finished" in out
    assert "Pick up at lesson 3" in out
    code, out = run(capsys, "course", "list", "--dir", str(folder))  # --dir after works too
    assert "[x] 1. Your first model" in out and "[ ] 3. Inside fit" in out
    assert "Pick up at lesson 3" in out
    saved = json.loads((folder / course.PROGRESS_FILE).read_text(encoding="utf-8"))
    assert sorted(saved["done"]) == ["1", "2"] and saved["version"] == 1
    run(capsys, "course", "--dir", str(folder), "done", "1", "--undo")
    assert sorted(course.read_progress(folder)) == [2]
    assert course.next_lesson(course.read_progress(folder)).number == 1


def test_every_lesson_done_is_congratulated(tmp_path, capsys):
    folder = tmp_path / "c"
    numbers = [str(n) for n in range(1, 9)]
    code, out = run(capsys, "course", "--dir", str(folder), "done", *numbers)
    assert code == 0 and "finished every lesson" in out


def test_an_unknown_lesson_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(ArgumentError, match="no lesson '42'; the lessons are 1, 2, 3"):
        run(capsys, "course", "--dir", str(tmp_path), "done", "42")


def test_inside_the_course_folder_commands_use_it(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "c"
    run(capsys, "course", "--dir", str(folder))
    monkeypatch.chdir(folder)
    assert course.course_folder() == folder
    run(capsys, "course", "done", "1")
    assert sorted(course.read_progress(folder)) == [1]
    assert not (folder / course.DEFAULT_FOLDER).exists()
    monkeypatch.chdir(tmp_path)
    assert course.course_folder() == tmp_path / course.DEFAULT_FOLDER


def test_progress_is_written_atomically(tmp_path, monkeypatch):
    course.mark_done(tmp_path, [1])
    before = (tmp_path / course.PROGRESS_FILE).read_text(encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(course.json, "dump", crash)
    with pytest.raises(OSError, match="disk full"):
        course.mark_done(tmp_path, [2])
    assert (tmp_path / course.PROGRESS_FILE).read_text(encoding="utf-8") == before
    assert [path.name for path in tmp_path.iterdir()] == [course.PROGRESS_FILE]  # no leftovers


def test_a_damaged_progress_file_is_explained(tmp_path):
    (tmp_path / course.PROGRESS_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ArgumentError, match="Delete it"):
        course.read_progress(tmp_path)


def test_jupyter_starts_on_the_next_lesson_when_installed(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "c"
    course.mark_done(folder, [1, 2])
    monkeypatch.setattr(
        course.shutil, "which", lambda p: "/opt/bin/jupyter-lab" if p == "jupyter-lab" else None
    )
    started = []

    class Finished:
        returncode = 0

    monkeypatch.setattr(
        course.subprocess, "run", lambda cmd, check: started.append(cmd) or Finished
    )
    code, out = run(capsys, "course", "--dir", str(folder), "--no-browser")
    assert code == 0 and "Starting Jupyter (jupyter-lab)" in out
    (command,) = started
    assert command[0] == "/opt/bin/jupyter-lab" and "--no-browser" in command
    assert command[-1] == str((folder / "03_inside_fit.ipynb").resolve())


def test_no_jupyter_only_copies_and_lists(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(course.shutil, "which", lambda p: f"/opt/bin/{p}")
    code, out = run(capsys, "course", "--dir", str(tmp_path / "c"), "--no-jupyter")
    assert code == 0 and "jupyter lab" in out  # says how, starts nothing (run would raise)


def test_the_notebook_falls_back_to_classic_jupyter(tmp_path, monkeypatch):
    monkeypatch.setattr(
        course.shutil, "which", lambda p: "/x/jupyter-notebook" if p == "jupyter-notebook" else None
    )
    command = course.jupyter_command(tmp_path, None)
    assert command == ["/x/jupyter-notebook", f"--notebook-dir={tmp_path.resolve()}"]


def test_wired_into_the_scratchish_command(tmp_path, capsys):
    from scratchish import cli

    try:
        cli.build_parser().parse_args(["course", "list"])
    except SystemExit:  # argparse: invalid choice 'course'
        pytest.skip("cli.py does not register the course command yet")
    assert cli.main(["course", "--dir", str(tmp_path / "c"), "list"]) == 0
    out = capsys.readouterr().out
    assert "[ ] 1. Your first model" in out and "No course folder yet" in out
