"""The learner's notes folder: one Markdown file per concept, found, created, linked and marked.

The folder is `notes/` in the working folder unless you name another; it is created the first
time it is used, and files are only ever written inside it. The notes' links are resolved here:
[[wikilinks]] to other notes or to the built-in cards (cards.py), sh:name to the library's
source (file and line), run:ID to a run of the experiment journal (journal/).
Read next: cli_commands.py (the commands that use this) and mindmap.py.
"""

from __future__ import annotations

import importlib
import inspect
import math
import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import ArgumentError
from ..journal.store import JournalError, open_journal
from . import cards as cards_module
from .parser import STATUSES, TAG, ParsedNote, code_free, normalise_title, parse_note, title_key

DEFAULT_FOLDER = "notes"
MAX_NAME_LENGTH = 100  # characters of a file name before ".md": safe on every common disk
# Characters a file name cannot hold on some system (Windows is the strictest), and controls.
UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10))}
WINDOWS_RESERVED |= {f"lpt{i}" for i in range(10)}
# These would break the [[wikilinks]] that point at the note.
NOT_IN_TITLE = "[]|#"


class NoteExistsError(ArgumentError):
    """A note with this title is already in the notes folder."""

    code = "note-exists"


class NoteNotFoundError(ArgumentError, KeyError):
    """No note has this title."""

    code = "note-not-found"

    def __str__(self) -> str:  # KeyError would put the message in quotes
        return ArgumentError.__str__(self)


@dataclass
class Note:
    """One note file: its title, where it is, its text and what parse_note found in it."""

    title: str
    path: Path
    text: str
    parsed: ParsedNote
    created: str  # ISO date and time, from the front matter (or the file's time)

    @property
    def status(self) -> str | None:
        return self.parsed.status

    @property
    def tags(self) -> list:
        return self.parsed.tags


@dataclass(frozen=True)
class BrokenLink:
    """A link in `note` that leads nowhere, and why."""

    note: str
    link: str  # as written: "[[target]]", "sh:name" or "run:ID"
    reason: str


@dataclass
class RunLookup:
    """What the journal says about the runs that run:ID links name (see look_up_runs).

    `runs` maps each ID as written to a dict: {"id", "found": True, "run_id", "name",
    "status", "final_metrics"} for a run in the journal, else {"id", "found": False,
    "reason"}. `problem` says why nothing could be looked up (no journal, a damaged one);
    it is None when the journal was read. `journal` is the file read, if any.
    """

    runs: dict = field(default_factory=dict)
    journal: str | None = None
    problem: str | None = None


def safe_filename(title: str) -> str:
    """A file name (without '.md') made from a title, safe on Windows, macOS and Linux.

    Slashes, backslashes and the other characters a disk refuses become '-', leading dots
    go (no hidden files, no '..'), and the length is capped. A title like '../../x' can
    therefore never name a file outside the notes folder. Letters of any script are kept.

    Example:
        >>> safe_filename("../../x"), safe_filename("Input/Output: a.k.a. I/O")
        ('x', 'Input-Output- a.k.a. I-O')
    """
    name = UNSAFE_IN_NAME.sub("-", unicodedata.normalize("NFC", title))
    name = " ".join(name.split())
    name = re.sub(r"-{2,}", "-", name)
    name = name.lstrip(" .-").rstrip(" .")  # Windows drops trailing dots and spaces
    name = name[:MAX_NAME_LENGTH].rstrip(" .")
    if name.split(".")[0].lower() in WINDOWS_RESERVED:
        name = "_" + name
    return name or "untitled"


def check_title(title: str) -> str:
    """The tidied title, or an error that says what is wrong with it."""
    tidy = normalise_title(title)
    if not tidy:
        raise ArgumentError("notes: a note needs a title, for example: notes new 'Chain rule'")
    bad = sorted({ch for ch in tidy if ch in NOT_IN_TITLE})
    if bad:
        raise ArgumentError(
            f"notes: the title {title!r} contains {' '.join(bad)}, which [[wikilinks]] use "
            f"([[title|shown text]], [[title#heading]]). Leave them out of the title."
        )
    return tidy


class NotesStore:
    """The notes folder. Every note is read fresh from disk, so edits in an editor show at once.

    Args:
        folder: the notes folder; default `notes/` in the working folder. It is created (with
            its parents) on first use.

    Example:
        >>> import tempfile
        >>> store = NotesStore(Path(tempfile.mkdtemp()) / "notes")
        >>> store.new("Chain rule", "Multiply the slopes. [[derivative]]").status
        'faith'
    """

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folder = Path(folder if folder is not None else DEFAULT_FOLDER).resolve()
        self.folder.mkdir(parents=True, exist_ok=True)

    # --- reading --------------------------------------------------------------------------------

    def notes(self) -> list[Note]:
        """Every note in the folder (files ending in .md, not in subfolders), sorted by title."""
        notes = [self._read(path) for path in sorted(self.folder.glob("*.md")) if path.is_file()]
        return sorted(notes, key=lambda note: title_key(note.title))

    def find(self, title: str) -> Note | None:
        """The note with this title, else the one with this file name (ignoring case), or None.

        File names count too because note tools link to hand-written notes by file name.
        """
        key, notes = title_key(title), self.notes()
        by_title = [note for note in notes if title_key(note.title) == key]
        by_name = [note for note in notes if title_key(note.path.stem) == key]
        return (by_title + by_name)[0] if by_title or by_name else None

    def get(self, title: str) -> Note:
        """Like find, but a missing note is an error that suggests close titles."""
        note = self.find(title)
        if note is None:
            raise NoteNotFoundError(self._not_found(title))
        return note

    def search(self, text: str) -> list[tuple[Note, list[str]]]:
        """Notes whose title or text contains `text` (ignoring case), with the matching lines."""
        needle = text.casefold()
        found = []
        for note in self.notes():
            lines = [line.strip() for line in note.parsed.body.split("\n")]
            hits = [line for line in lines if needle in line.casefold()]
            if hits or needle in note.title.casefold():
                found.append((note, hits))
        return found

    def faith_queue(self) -> list[Note]:
        """The notes still tagged #faith or #revisit, oldest first: what to come back to."""
        waiting = [note for note in self.notes() if note.status in ("faith", "revisit")]
        return sorted(waiting, key=lambda note: (note.created, title_key(note.title)))

    # --- writing --------------------------------------------------------------------------------

    def new(
        self,
        title: str,
        text: str = "",
        status: str | None = "faith",
        created: datetime | None = None,
    ) -> Note:
        """Write a new note. Its file name comes from the title (see safe_filename).

        Args:
            title: the concept's name. A title already used (ignoring case) is refused.
            text: the note's Markdown.
            status: a status tag to add if the text has none ('faith' by default: a new idea is
                one you take on faith until you understand it); None adds no tag.
            created: when the note was made (default: now); the revisit queue is sorted by it.
        """
        title = check_title(title)
        same = [note for note in self.notes() if title_key(note.title) == title_key(title)]
        if same:
            existing = same[0]
            raise NoteExistsError(
                f"notes: a note titled {existing.title!r} already exists at {existing.path}. "
                f"Open that file to add to it, or choose another title."
            )
        if status is not None and status not in STATUSES:
            raise ArgumentError(self._bad_status(status))
        body = text.strip("\n")
        if status and parse_note(body).status is None:
            body = f"{body}\n\n#{status}" if body else f"#{status}"
        when = (created or datetime.now()).isoformat(timespec="seconds")
        quoted = title.replace("\\", "\\\\").replace('"', '\\"')
        content = f'---\ntitle: "{quoted}"\ncreated: {when}\n---\n\n# {title}\n\n{body}\n'
        path = self._free_path(safe_filename(title))
        path.write_text(content, encoding="utf-8")
        return self._read(path)

    def link(self, source: str, target: str) -> Note:
        """Add [[target]] to the note `source` (under a '## Links' heading). Returns the note."""
        note = self.get(source)
        target = check_title(target)
        if any(title_key(link.target) == title_key(target) for link in note.parsed.links):
            return note
        text = note.text.rstrip("\n")
        if not re.search(r"^## Links[ \t]*$", code_free(text), re.M):
            text += "\n\n## Links\n"
        note.path.write_text(f"{text}\n- [[{target}]]\n", encoding="utf-8")
        return self._read(note.path)

    def mark(self, title: str, status: str) -> Note:
        """Give a note a status: its status tags (outside code) are replaced by #status."""
        if status not in STATUSES:
            raise ArgumentError(self._bad_status(status))
        note = self.get(title)
        text, plain, done = note.text, code_free(note.text), False
        # Go from the end so that earlier offsets stay valid while the text changes.
        for match in reversed(list(TAG.finditer(plain))):
            if match.group(1).lower() in STATUSES:
                first = not any(
                    m.group(1).lower() in STATUSES for m in TAG.finditer(plain, 0, match.start())
                )
                new = f"#{status}" if first else ""
                text = text[: match.start()] + new + text[match.end() :]
                done = done or first
        if not done:
            text = text.rstrip("\n") + f"\n\n#{status}\n"
        note.path.write_text(text, encoding="utf-8")
        return self._read(note.path)

    # --- links ----------------------------------------------------------------------------------

    def resolve(self, target: str) -> Note | cards_module.Card | None:
        """What a [[target]] leads to: a note first, then a built-in card, else None."""
        return self.find(target) or cards_module.find_card(target)

    def broken_links(self, journal: str | os.PathLike | None = None) -> list[BrokenLink]:
        """Every [[link]] that names neither a note nor a card, every sh:name not found, and
        every run:ID that the experiment journal does not hold.

        Args:
            journal: the journal file; default: $SCRATCHISH_JOURNAL, else the nearest
                .scratchish/journal.db (as `scratchish runs` finds it). When there is no
                journal, run:ID links cannot be checked and are not reported
                (check_run_links says why).
        """
        titles = {title_key(note.title) for note in self.notes()}
        titles |= {title_key(note.path.stem) for note in self.notes()}
        runs = self.check_run_links(journal)
        broken = []
        for note in self.notes():
            for link in note.parsed.links:
                if title_key(link.target) not in titles and not cards_module.find_card(link.target):
                    reason = "no note or card has this title"
                    broken.append(BrokenLink(note.title, f"[[{link.target}]]", reason))
            for name in note.parsed.library_links:
                if resolve_library_link(name) is None:
                    reason = "scratchish has no such name"
                    broken.append(BrokenLink(note.title, f"sh:{name}", reason))
            for run_id in note.parsed.run_links:
                run = runs.runs.get(run_id)
                if runs.problem is None and run is not None and not run["found"]:
                    broken.append(BrokenLink(note.title, f"run:{run_id}", run["reason"]))
        return broken

    def check_run_links(self, journal: str | os.PathLike | None = None) -> RunLookup:
        """Look up every note's run:ID links in the journal (opened once; see look_up_runs)."""
        ids = [run_id for note in self.notes() for run_id in note.parsed.run_links]
        return look_up_runs(ids, journal)

    # --- helpers --------------------------------------------------------------------------------

    def _read(self, path: Path) -> Note:
        text = path.read_text(encoding="utf-8")
        parsed = parse_note(text)
        title = parsed.front_matter.get("title") or parsed.heading or path.stem
        created = parsed.front_matter.get("created")
        if not isinstance(created, str) or not created:
            created = datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
        return Note(normalise_title(str(title)), path, text, parsed, created)

    def _free_path(self, name: str) -> Path:
        """folder/name.md, or folder/name-2.md... if two titles make the same file name."""
        path, n = self.folder / f"{name}.md", 2
        while path.exists():
            path, n = self.folder / f"{name}-{n}.md", n + 1
        # safe_filename already keeps the name inside; this check guards that promise.
        assert path.resolve().parent == self.folder, path
        return path

    def _not_found(self, title: str) -> str:
        import difflib

        titles = [note.title for note in self.notes()]
        close = difflib.get_close_matches(title, titles, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        return f"notes: no note titled {title!r} in {self.folder}.{hint} `notes list` shows all."

    @staticmethod
    def _bad_status(status: str) -> str:
        return f"notes: {status!r} is not a status; use one of: {', '.join(STATUSES)}."


def resolve_library_link(name: str):
    """The object a sh:name link names (sh:nn.Linear -> scratchish.nn.Linear), or None.

    The longest importable module prefix is imported (scratchish.nn), then the rest is looked
    up attribute by attribute (Linear), so methods work too (sh:Tensor.backward).
    """
    parts = name.split(".")
    for cut in range(len(parts), -1, -1):
        module_name = ".".join(["scratchish", *parts[:cut]])
        try:
            obj = importlib.import_module(module_name)
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute, None)
            if obj is None:
                return None
        return obj
    return None


def library_link_location(name: str) -> tuple[Path, int] | None:
    """The file and line where sh:name is defined (inspect.getsourcefile/getsourcelines),
    or None when it is not found or has no Python source (a number, a NumPy function...)."""
    obj = resolve_library_link(name)
    if isinstance(obj, property):  # sh:Tensor.shape: the getter holds the code
        obj = obj.fget
    if obj is None:
        return None
    try:
        path = inspect.getsourcefile(obj)
        line = inspect.getsourcelines(obj)[1]
    except (TypeError, OSError):
        return None
    if not path:
        return None
    return Path(path).resolve(), max(line, 1)  # a module starts at line 0: show line 1


def library_link_source(name: str) -> str | None:
    """Where sh:name is defined, as 'scratchish/nn/linear.py:39', or None if not found."""
    location = library_link_location(name)
    if location is None:
        return None
    path, line = location
    return f"{package_relative(path)}:{line}"


def package_relative(path: Path) -> str:
    """'scratchish/nn/linear.py' for a file of the package (wherever it is installed)."""
    parts = path.parts
    if "scratchish" not in parts:
        return path.name
    package = len(parts) - 1 - parts[::-1].index("scratchish")  # the last one: the package
    return "/".join(parts[package:])


def look_up_runs(ids, journal: str | os.PathLike | None = None) -> RunLookup:
    """What the experiment journal holds for each run:ID in `ids`.

    The journal is found as `scratchish runs` finds it: `journal` if given, else
    $SCRATCHISH_JOURNAL, else the nearest .scratchish/journal.db in the working folder or above.
    It is opened only if there are IDs to look up. No journal, or one that cannot be read,
    is never an error here: every run is then unresolved and `problem` says why.

    Example:
        >>> import tempfile, pathlib
        >>> missing = pathlib.Path(tempfile.mkdtemp()) / "journal.db"
        >>> lookup = look_up_runs(["3"], journal=missing)
        >>> lookup.runs["3"]["found"], lookup.problem is not None
        (False, True)
    """
    ids = list(dict.fromkeys(ids))  # without repeats, in order
    lookup = RunLookup()
    if not ids:
        return lookup
    try:
        store = open_journal(journal)
    except (JournalError, sqlite3.Error, OSError) as error:
        lookup.problem = _message(error)
        lookup.runs = {i: _unresolved(i, lookup.problem) for i in ids}
        return lookup
    lookup.journal = str(store.path)
    with store:
        for run_id in ids:
            try:
                run = store.get(run_id)
            except JournalError as error:  # RunNotFoundError: no such run, or not an id
                lookup.runs[run_id] = _unresolved(run_id, _message(error))
            except sqlite3.Error as error:  # locked for too long: say so, go on
                lookup.runs[run_id] = _unresolved(run_id, f"the journal could not be read: {error}")
            else:
                lookup.runs[run_id] = {
                    "id": run_id,
                    "found": True,
                    "run_id": run.id,
                    "name": run.name,
                    "status": run.status,
                    "final_metrics": {k: _json_number(v) for k, v in run.final_metrics.items()},
                }
    return lookup


def _message(error: Exception) -> str:
    """An error's message without the 'journal: ' it starts with and the '[code]' it ends
    with (JournalError): the reason printed after the link already says where it comes from."""
    text = str(error.args[0]) if error.args else str(error)
    return text.removeprefix("journal: ")


def _unresolved(run_id: str, reason: str) -> dict:
    return {"id": run_id, "found": False, "reason": reason}


def _json_number(value):
    """A metric as JSON can hold it: nan and inf (a diverged run) become the strings 'nan',
    'inf', '-inf' (JSON has no such numbers, and the mind map page must parse its data)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return repr(value)
