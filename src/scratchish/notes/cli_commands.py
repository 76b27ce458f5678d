"""The `scratchish notes ...` commands: argparse set-up and one function per command.

cli.py calls register(commands) to add them. Each command function takes the parsed arguments,
prints what it did, and returns the exit code (0 fine, 1 a mistake explained on stderr).
Every command works on the notes folder (--dir, default ./notes), created on first use.
run:ID links are looked up in the experiment journal (--journal PATH, else $SCRATCHISH_JOURNAL,
else the nearest .scratchish/journal.db, as `scratchish runs` finds it).

    scratchish notes new TITLE [--text T]     scratchish notes list [--tag T] [--broken]
    scratchish notes link A B                 scratchish notes faith
    scratchish notes mark TITLE understood    scratchish notes search TEXT
    scratchish notes map [--open] [--out P]   scratchish notes export --format mermaid

Read next: store.py (what the commands do to the folder).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import webbrowser
from pathlib import Path

from ..errors import ScratchishError
from .cards import all_cards
from .export import FORMATS, export
from .mindmap import write_mindmap
from .parser import STATUSES
from .store import DEFAULT_FOLDER, NotesStore


def register(commands) -> None:
    """Add the `notes` command and its subcommands to cli.py's subparsers (`commands`)."""
    notes = commands.add_parser(
        "notes",
        help="your concept notes and the mind map",
        description=(
            "Keep a Markdown note per idea you meet: take it on faith (#faith), link it to what "
            "you know ([[wikilinks]]), and come back to it (#revisit) until #understood."
        ),
    )
    notes.add_argument(
        "--dir", default=DEFAULT_FOLDER, help="the notes folder (default: ./notes, made if missing)"
    )
    journal_help = (
        "the journal that run:ID links are looked up in (default: $SCRATCHISH_JOURNAL, else "
        "the nearest .scratchish/journal.db in this folder or above)"
    )
    notes.add_argument("--journal", metavar="PATH", help=journal_help)
    notes.set_defaults(handler=notes_help, notes_parser=notes)
    sub = notes.add_subparsers(title="notes commands", metavar="COMMAND")
    # list and map also take --journal after their name (SUPPRESS: no default that would hide
    # a --journal given before the subcommand)
    journal = argparse.ArgumentParser(add_help=False)
    journal.add_argument("--journal", metavar="PATH", default=argparse.SUPPRESS, help=journal_help)

    new = sub.add_parser("new", help="write a new note (opens $EDITOR unless --text is given)")
    new.add_argument("title", metavar="TITLE")
    new.add_argument("--text", help="the note's Markdown; without it, $EDITOR opens the file")
    new.add_argument(
        "--status", choices=[*STATUSES, "none"], default="faith", help="default: faith"
    )
    new.set_defaults(handler=notes_new)

    link = sub.add_parser("link", help="link note A to B (a note or a built-in card)")
    link.add_argument("source", metavar="A")
    link.add_argument("target", metavar="B")
    link.set_defaults(handler=notes_link)

    listing = sub.add_parser("list", parents=[journal], help="list your notes")
    listing.add_argument("--tag", help="only notes with this #tag")
    listing.add_argument("--broken", action="store_true", help="list links that lead nowhere")
    listing.set_defaults(handler=notes_list)

    faith = sub.add_parser("faith", help="what you took on faith, oldest first: revisit these")
    faith.set_defaults(handler=notes_faith)

    mark = sub.add_parser("mark", help="set a note's status")
    mark.add_argument("title", metavar="TITLE")
    mark.add_argument("status", choices=STATUSES)
    mark.set_defaults(handler=notes_mark)

    search = sub.add_parser("search", help="find notes and cards that contain TEXT")
    search.add_argument("text", metavar="TEXT")
    search.set_defaults(handler=notes_search)

    mindmap = sub.add_parser("map", parents=[journal], help="write the mind map page (and open it)")
    mindmap.add_argument("--out", help="where to write it (default: NOTES_DIR/mindmap.html)")
    mindmap.add_argument("--open", action="store_true", help="open it in the web browser")
    mindmap.set_defaults(handler=notes_map)

    exporting = sub.add_parser("export", help="write the notes' graph for another tool")
    exporting.add_argument("--format", choices=FORMATS, required=True)
    exporting.add_argument("--out", help="a file to write (default: print it)")
    exporting.add_argument(
        "--all-cards", action="store_true", help="include every card, not only linked ones"
    )
    exporting.set_defaults(handler=notes_export)


def notes_help(args: argparse.Namespace) -> int:
    args.notes_parser.print_help()
    return 0


def notes_new(args: argparse.Namespace) -> int:
    """Write a new note; with no --text, open it in $VISUAL or $EDITOR."""
    store = _open(args)
    if store is None:
        return 1
    status = None if args.status == "none" else args.status
    try:
        note = store.new(args.title, args.text or "", status=status)
    except ScratchishError as error:
        return _fail(error)
    print(f"created {note.path}")
    if args.text is None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            print("set $EDITOR (for example: export EDITOR=nano) or open the file to write it.")
            return 0
        finished = subprocess.run([*shlex.split(editor), str(note.path)], check=False)
        if finished.returncode != 0:
            print(f"the editor exited with code {finished.returncode}; the note is kept.")
    return 0


def notes_link(args: argparse.Namespace) -> int:
    """Add [[B]] to note A."""
    store = _open(args)
    if store is None:
        return 1
    try:
        note = store.link(args.source, args.target)
    except ScratchishError as error:
        return _fail(error)
    print(f"linked {note.title!r} -> [[{args.target}]]")
    if store.resolve(args.target) is None:
        print(f"note: no note or card is titled {args.target!r} yet (a broken link for now).")
    return 0


def notes_list(args: argparse.Namespace) -> int:
    """List the notes (optionally only one tag), or with --broken the links that lead nowhere."""
    store = _open(args)
    if store is None:
        return 1
    if args.broken:
        journal = getattr(args, "journal", None)
        broken = store.broken_links(journal)
        for link in broken:
            print(f"{link.note}: {link.link}: {link.reason}")
        print(f"{len(broken)} broken link{'s' if len(broken) != 1 else ''}.")
        runs = store.check_run_links(journal)
        if runs.problem is not None:  # no journal: the run:ID links could not be checked
            n_runs = len(runs.runs)
            print(f"{n_runs} run: link{'s' if n_runs != 1 else ''} not checked: {runs.problem}")
        return 0
    notes = store.notes()
    if args.tag:
        tag = args.tag.lstrip("#").lower()
        notes = [note for note in notes if tag in note.tags]
    for note in notes:
        print(_row(note))
    if not notes:
        print("no notes yet: scratchish notes new TITLE" if not args.tag else "no notes found.")
    return 0


def notes_faith(args: argparse.Namespace) -> int:
    """The revisit queue: notes tagged #faith or #revisit, oldest first."""
    store = _open(args)
    if store is None:
        return 1
    queue = store.faith_queue()
    for note in queue:
        print(f"{note.created[:10]}  {note.status:<8}  {note.title}")
    if not queue:
        print("nothing taken on faith: every note is understood (or has no status).")
    return 0


def notes_mark(args: argparse.Namespace) -> int:
    """Give a note the status faith, revisit or understood."""
    store = _open(args)
    if store is None:
        return 1
    try:
        note = store.mark(args.title, args.status)
    except ScratchishError as error:
        return _fail(error)
    print(f"{note.title}: #{note.status}")
    return 0


def notes_search(args: argparse.Namespace) -> int:
    """Print the notes and cards containing the text, with the lines that match."""
    store = _open(args)
    if store is None:
        return 1
    needle = args.text.casefold()
    found = 0
    for note, lines in store.search(args.text):
        found += 1
        print(f"{note.title}  ({note.path})")
        for line in lines[:5]:
            print(f"    {line}")
    for card in all_cards():
        lines = [line.strip() for line in card.body.split("\n") if needle in line.casefold()]
        if lines or needle in card.title.casefold():
            found += 1
            print(f"{card.title}  (card: sh.explain({card.name!r}))")
            for line in lines[:3]:
                print(f"    {line}")
    if not found:
        print(f"nothing contains {args.text!r}.")
    return 0


def notes_map(args: argparse.Namespace) -> int:
    """Write the mind map page; --open shows it in the browser."""
    store = _open(args)
    if store is None:
        return 1
    path = write_mindmap(store, args.out, journal=getattr(args, "journal", None)).resolve()
    print(f"wrote {path}")
    if args.open:
        webbrowser.open(path.as_uri())
    return 0


def notes_export(args: argparse.Namespace) -> int:
    """Print (or write to --out) the graph as markmap, mermaid, dot or json."""
    store = _open(args)
    if store is None:
        return 1
    text = export(store, args.format, all_cards=args.all_cards)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


def _open(args: argparse.Namespace) -> NotesStore | None:
    try:
        return NotesStore(getattr(args, "dir", DEFAULT_FOLDER))
    except OSError as error:
        print(f"notes: cannot use the folder {args.dir!r}: {error}", file=sys.stderr)
        return None


def _fail(error: Exception) -> int:
    print(error, file=sys.stderr)
    return 1


def _row(note) -> str:
    n_links = len(note.parsed.links)
    status = note.status or "-"
    where = os.path.relpath(note.path, Path.cwd()) if note.path.is_absolute() else note.path
    return f"{status:<10}  {note.title:<30}  {n_links} link{'s' if n_links != 1 else ' '}  {where}"
