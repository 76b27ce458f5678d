"""The `scratchish course` command: the eight lessons, copied into a folder of your own.

    scratchish course               copy the lessons (never over your copies), show where to pick
                                    up, and start Jupyter on the next lesson if it is installed
    scratchish course list          the lessons and which you have finished
    scratchish course done 3        mark lesson 3 finished (--undo to take it back)

The notebooks ship inside the package (scratchish/lessons/*.ipynb). Progress is a small JSON
file in the working folder, written atomically. cli.py calls register(commands); nothing here
imports cli. Read next: the lessons themselves, starting with 01_first_model.ipynb.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from .errors import ArgumentError

__all__ = [
    "DEFAULT_FOLDER",
    "PROGRESS_FILE",
    "Lesson",
    "copy_lessons",
    "course_folder",
    "jupyter_command",
    "lessons",
    "lessons_folder",
    "mark_done",
    "next_lesson",
    "read_progress",
    "register",
]

DEFAULT_FOLDER = "scratchish-course"
PROGRESS_FILE = "course-progress.json"
# "01_first_model.ipynb": two digits, an underscore, the name
LESSON_FILE = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")


@dataclass(frozen=True)
class Lesson:
    """One lesson: its number, its notebook file name, its title and one-line summary."""

    number: int
    filename: str
    title: str
    summary: str


# ------------------------------------------------------------------------------- the lessons
def lessons_folder() -> Path:
    """The folder of the canonical notebooks, inside the installed package."""
    return Path(str(resources.files("scratchish") / "lessons"))


def lessons() -> list[Lesson]:
    """Every lesson, in order, read from the notebooks shipped with scratchish.

    The title is the first heading of the notebook ("# Lesson 1 · Your first model"), the
    summary its first line in italics.
    """
    found = []
    for path in sorted(lessons_folder().glob("*.ipynb")):
        match = LESSON_FILE.match(path.name)
        if match:
            title, summary = _title_and_summary(path)
            found.append(Lesson(int(match.group(1)), path.name, title, summary))
    return found


def _title_and_summary(path: Path) -> tuple[str, str]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    first = next((c for c in notebook["cells"] if c["cell_type"] == "markdown"), None)
    lines = "".join(first["source"]).splitlines() if first else []
    title = next((line.lstrip("# ").strip() for line in lines if line.startswith("# ")), "")
    title = re.sub(r"^Lesson \d+\s*[·:-]\s*", "", title).replace("`", "")  # number shown apart
    # the summary: the first line in italics, *like this* (not **bold**)
    summary = next((line.strip() for line in lines if re.match(r"^\*[^*]", line.strip())), "")
    return title or path.stem, summary.strip("*")


def find_lesson(which: str) -> Lesson:
    """The lesson called `which`: its number ("3", "03") or its file name."""
    all_lessons = lessons()
    for lesson in all_lessons:
        if which.strip() in (str(lesson.number), f"{lesson.number:02d}", lesson.filename):
            return lesson
    numbers = ", ".join(str(lesson.number) for lesson in all_lessons)
    raise ArgumentError(f"course: there is no lesson {which!r}; the lessons are {numbers}.")


# -------------------------------------------------------------------------- the working folder
def course_folder(folder: str | os.PathLike | None = None) -> Path:
    """The working folder: `folder` if given; else the current folder when it already holds a
    course (its progress file), so that commands run inside it just work; else
    ./scratchish-course."""
    if folder is not None:
        return Path(folder)
    here = Path.cwd()
    return here if (here / PROGRESS_FILE).is_file() else here / DEFAULT_FOLDER


def copy_lessons(folder: Path) -> tuple[list[str], list[str]]:
    """Copy each lesson into `folder` unless a file of that name is there already (it is the
    learner's own copy, perhaps edited: it is never overwritten).

    Returns:
        (copied, skipped): file names.
    """
    folder.mkdir(parents=True, exist_ok=True)
    copied, skipped = [], []
    for lesson in lessons():
        target = folder / lesson.filename
        if target.exists():
            skipped.append(lesson.filename)
            continue
        shutil.copyfile(lessons_folder() / lesson.filename, target)
        copied.append(lesson.filename)
    if not (folder / PROGRESS_FILE).exists():
        _write_progress(folder, {})  # marks the folder as a course folder (see course_folder)
    return copied, skipped


# -------------------------------------------------------------------------------- progress
def read_progress(folder: Path) -> dict[int, str]:
    """{lesson number: when it was marked finished (ISO time)} from the progress file."""
    path = folder / PROGRESS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {int(number): str(when) for number, when in data.get("done", {}).items()}
    except (ValueError, AttributeError) as error:
        raise ArgumentError(
            f"course: {path} is not a progress file scratchish can read ({error}). Delete it "
            f"to start the record afresh (your notebooks are not touched)."
        ) from None


def _write_progress(folder: Path, done: dict[int, str]) -> None:
    """Write the progress file atomically: a temporary file in the same folder, then one
    rename, so a crash leaves the old file or the new one, never half of one."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"version": 1, "done": {str(n): done[n] for n in sorted(done)}}
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".course-progress-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2)
            file.write("\n")
        os.chmod(temporary, 0o644)  # mkstemp makes it private; it is an ordinary file
        os.replace(temporary, folder / PROGRESS_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def mark_done(folder: Path, numbers: list[int], done: bool = True) -> dict[int, str]:
    """Mark lessons finished (or, with done=False, not finished). Returns the new progress."""
    progress = read_progress(folder)
    now = datetime.now().isoformat(timespec="seconds")
    for number in numbers:
        if done:
            progress.setdefault(number, now)
        else:
            progress.pop(number, None)
    _write_progress(folder, progress)
    return progress


def next_lesson(progress: dict[int, str]) -> Lesson | None:
    """The first lesson not yet finished, or None when all are."""
    return next((lesson for lesson in lessons() if lesson.number not in progress), None)


# --------------------------------------------------------------------------------- Jupyter
def jupyter_command(folder: Path, lesson: Lesson | None, no_browser: bool = False):
    """The command that opens `lesson` in JupyterLab (or the classic Notebook), or None when
    neither is installed."""
    for program in ("jupyter-lab", "jupyter-notebook"):
        executable = shutil.which(program)
        if executable:
            command = [executable, f"--notebook-dir={folder.resolve()}"]
            if no_browser:
                command.append("--no-browser")
            if lesson is not None:
                command.append(str((folder / lesson.filename).resolve()))
            return command
    return None


# -------------------------------------------------------------------------------- commands
def register(commands) -> None:
    """Add the `course` command and its subcommands to cli.py's subparsers (`commands`)."""
    course = commands.add_parser(
        "course",
        help="the lessons: copy them into a folder, open them, keep track of your progress",
        description=(
            "Eight short notebooks, top-down: train a model first, then open the box one layer "
            "at a time. `scratchish course` copies them into a working folder (your copies "
            "are never overwritten), says where to pick up and opens Jupyter if installed."
        ),
    )
    course.add_argument(
        "--dir",
        default=None,
        help=f"the working folder (default: ./{DEFAULT_FOLDER}, or the current folder if it "
        "is one)",
    )
    course.add_argument(
        "--no-browser", action="store_true", help="start Jupyter without opening a browser"
    )
    course.add_argument(
        "--no-jupyter", action="store_true", help="copy and list only; do not start Jupyter"
    )
    course.set_defaults(handler=course_start)
    sub = course.add_subparsers(title="course commands", metavar="COMMAND")

    listing = sub.add_parser("list", help="the lessons and which you have finished")
    listing.set_defaults(handler=course_list)

    done = sub.add_parser("done", help="mark lessons finished: scratchish course done 1 2")
    done.add_argument("lessons", nargs="+", metavar="N", help="lesson numbers (or file names)")
    done.add_argument("--undo", action="store_true", help="mark them not finished")
    done.set_defaults(handler=course_done)

    for parser in (listing, done):  # --dir after the subcommand too; SUPPRESS keeps the first
        parser.add_argument("--dir", default=argparse.SUPPRESS, help="the working folder")


def course_start(args: argparse.Namespace) -> int:
    """Copy the lessons, show the list and where to pick up, and open Jupyter."""
    folder = course_folder(args.dir)
    copied, skipped = copy_lessons(folder)
    where = _shown(folder)
    if copied:
        print(f"Copied {len(copied)} lesson(s) into {where}/")
    if skipped:
        print(
            f"Kept your own copies of {len(skipped)} lesson(s) in {where}/ (never overwritten). "
            "For a fresh copy of one, rename yours and run `scratchish course` again."
        )
    print()
    progress = read_progress(folder)
    _print_lessons(progress)
    upcoming = next_lesson(progress)
    print()
    _print_pick_up(upcoming)
    command = jupyter_command(folder, upcoming, args.no_browser)
    if command is None:
        print(
            "\nTo open the lessons, install Jupyter (pip install jupyterlab ipywidgets) and run\n"
            f"    cd {where} && jupyter lab\n"
            "or open the .ipynb files in VS Code (with its Python and Jupyter extensions)."
        )
        return 0
    if args.no_jupyter:
        print(f"\nTo open them: cd {where} && jupyter lab")
        return 0
    print(f"\nStarting Jupyter ({Path(command[0]).name}); press Ctrl-C here to stop it.")
    try:
        return subprocess.run(command, check=False).returncode
    except KeyboardInterrupt:
        return 0


def course_list(args: argparse.Namespace) -> int:
    """Print the lessons, with a tick for the finished ones, and where to pick up."""
    folder = course_folder(args.dir)
    progress = read_progress(folder)
    _print_lessons(progress)
    print()
    if not folder.is_dir():
        print(f"No course folder yet: run `scratchish course` to copy the lessons to {folder}.")
        return 0
    _print_pick_up(next_lesson(progress))
    return 0


def course_done(args: argparse.Namespace) -> int:
    """Mark lessons finished (or not, with --undo) and say what comes next."""
    folder = course_folder(args.dir)
    numbers = [find_lesson(which).number for which in args.lessons]
    progress = mark_done(folder, numbers, done=not args.undo)
    verb = "not finished" if args.undo else "finished"
    which = ", ".join(str(n) for n in numbers)
    lessons_word = "Lessons" if len(numbers) > 1 else "Lesson"
    print(f"{lessons_word} {which}: {verb} (recorded in {_shown(folder / PROGRESS_FILE)})")
    _print_pick_up(next_lesson(progress))
    return 0


def _print_lessons(progress: dict[int, str]) -> None:
    for lesson in lessons():
        mark = "[x]" if lesson.number in progress else "[ ]"
        print(f"{mark} {lesson.number}. {lesson.title:<32} {lesson.filename}")
        if lesson.summary:
            print(f"       {lesson.summary}")


def _print_pick_up(upcoming: Lesson | None) -> None:
    if upcoming is None:
        print("You have finished every lesson. Well done! Revisit your faith list: "
              "scratchish notes faith")  # fmt: skip
        return
    print(f"Pick up at lesson {upcoming.number}: {upcoming.title} ({upcoming.filename}).")
    print(f"When you finish it: scratchish course done {upcoming.number}")


def _shown(path: Path) -> str:
    """The path relative to the current folder when it is inside it (shorter to read)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)
