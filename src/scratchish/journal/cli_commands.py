"""The `scratchish runs ...` commands: argparse set-up and one function per command.

cli.py calls register(commands) to add them. Each command function takes the parsed arguments,
prints what it found or did, and returns the exit code (0 fine, 1 a problem explained on
stderr, 2 a run that cannot be repeated). `--journal PATH` picks the journal; by default it is
SCRATCHISH_JOURNAL, else the nearest .scratchish/journal.db (see store.py).

    scratchish runs [--tag T] [--status S] [--data D]   the runs, newest first
    scratchish runs show ID            scratchish runs compare ID ID... [--out PNG]
    scratchish runs report [--out P]   scratchish runs note ID TEXT
    scratchish runs tag ID TAG...      scratchish runs delete ID --yes
    scratchish runs export --format csv|json [--out P]
    scratchish runs rerun ID           scratchish runs tensorboard ID --logdir DIR

Read next: store.py (the journal) and report.py (what show, compare and report draw).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sqlite3
import sys
import time
from pathlib import Path

from .record import STATUSES, Run
from .report import (
    compare_plot,
    duration,
    final_metrics_text,
    number,
    settings_diff,
    text_table,
    when,
    write_report,
)
from .store import FILENAME, FOLDER, JournalError, NoJournalError, open_journal

SEARCH_SECONDS = 1.0  # how long an empty listing may look for journals elsewhere
SKIP_FOLDERS = {"node_modules", "__pycache__", "site-packages", ".git", ".venv", "venv", ".tox"}


def register(commands) -> None:
    """Add the `runs` command and its subcommands to cli.py's subparsers (`commands`)."""
    journal_help = "the journal file (default: $SCRATCHISH_JOURNAL, else the nearest " \
        ".scratchish/journal.db in this folder or above)"  # fmt: skip
    runs = commands.add_parser(
        "runs",
        help="the journal of your training runs: list, show, compare, report, rerun",
        description=(
            "Every training run (Learner.fit*, scratchish train) is recorded in a journal: "
            ".scratchish/journal.db in the folder where you trained, or the nearest one above. "
            "Without a subcommand: the list of runs, newest first."
        ),
    )
    runs.add_argument("--journal", metavar="PATH", help=journal_help)
    _add_filters(runs)
    runs.set_defaults(handler=runs_list)
    sub = runs.add_subparsers(title="runs commands", metavar="COMMAND")
    # each subcommand also takes --journal (after its name, where people tend to write it)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--journal", metavar="PATH", default=argparse.SUPPRESS, help=journal_help)

    listing = sub.add_parser("list", parents=[common], help="the runs, newest first")
    _add_filters(listing, suppress=True)
    listing.set_defaults(handler=runs_list)

    show = sub.add_parser("show", parents=[common], help="everything about one run")
    show.add_argument("id", metavar="ID", help="a run id (or 'last')")
    show.set_defaults(handler=runs_show)

    compare = sub.add_parser(
        "compare", parents=[common], help="settings side by side and the curves in one plot"
    )
    compare.add_argument("ids", nargs="+", metavar="ID")
    compare.add_argument("--all", action="store_true", help="every setting, not only those "
                         "that differ")  # fmt: skip
    compare.add_argument("--out", metavar="PNG", help="where to save the plot (default: "
                         "runs-compare-ID-ID.png)")  # fmt: skip
    compare.add_argument("--no-plot", action="store_true", help="only the table")
    compare.set_defaults(handler=runs_compare)

    report = sub.add_parser(
        "report", parents=[common], help="an HTML page with every run's curves (works offline)"
    )
    report.add_argument("--out", default="runs-report.html", metavar="HTML",
                        help="default: runs-report.html")  # fmt: skip
    _add_filters(report, suppress=True)
    report.set_defaults(handler=runs_report)

    note = sub.add_parser("note", parents=[common], help="add a note to a run")
    note.add_argument("id", metavar="ID")
    note.add_argument("text", metavar="TEXT")
    note.set_defaults(handler=runs_note)

    tag = sub.add_parser("tag", parents=[common], help="tag a run (--remove to untag)")
    tag.add_argument("id", metavar="ID")
    tag.add_argument("tags", nargs="+", metavar="TAG")
    tag.add_argument("--remove", action="store_true", help="remove these tags")
    tag.set_defaults(handler=runs_tag)

    delete = sub.add_parser("delete", parents=[common], help="delete a run from the journal")
    delete.add_argument("id", metavar="ID")
    delete.add_argument("--yes", action="store_true", help="do not ask (needed when not "
                        "at a terminal)")  # fmt: skip
    delete.set_defaults(handler=runs_delete)

    export = sub.add_parser("export", parents=[common], help="the runs as CSV or JSON")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--out", metavar="FILE", help="default: print")
    _add_filters(export, suppress=True)
    export.set_defaults(handler=runs_export)

    again = sub.add_parser(
        "rerun", parents=[common], help="repeat a run and check the metrics come out the same"
    )
    again.add_argument("id", metavar="ID")
    again.add_argument("--out", metavar="DIR", help="scratchish train runs: where the repeat "
                       "saves its files (default: runs/rerun-of-ID)")  # fmt: skip
    again.set_defaults(handler=runs_rerun)

    board = sub.add_parser(
        "tensorboard", parents=[common], help="export a run to TensorBoard (needs tensorboardX)"
    )
    board.add_argument("id", metavar="ID")
    board.add_argument("--logdir", default="tensorboard", metavar="DIR",
                       help="default: ./tensorboard")  # fmt: skip
    board.set_defaults(handler=runs_tensorboard)


def _add_filters(parser, suppress: bool = False) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--tag", default=default, help="only runs with this tag")
    parser.add_argument("--status", choices=STATUSES, default=default, help="only runs with "
                        "this status")  # fmt: skip
    parser.add_argument("--data", default=default, metavar="NAME", help="only runs on this data "
                        "(its name, or the start of its fingerprint)")  # fmt: skip


def _filters(args) -> dict:
    return {k: getattr(args, k, None) for k in ("tag", "status", "data")}


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _open(args):
    return open_journal(getattr(args, "journal", None))


# ----------------------------------------------------------------------------------------------
# list
# ----------------------------------------------------------------------------------------------


def runs_list(args) -> int:
    """A table of the runs, newest first; an empty one says where it looked."""
    try:
        journal = _open(args)
    except NoJournalError as e:
        print(e.args[0].removeprefix("journal: "))
        _print_elsewhere(None)
        return 0
    except JournalError as e:
        return _fail(str(e))
    with journal:
        try:
            runs = journal.runs(**_filters(args))
        except JournalError as e:
            return _fail(str(e))
    if not runs:
        chosen = {k: v for k, v in _filters(args).items() if v}
        which = " matching " + ", ".join(f"--{k} {v}" for k, v in chosen.items()) if chosen else ""
        print(f"no runs{which} in {journal.path}.")
        _print_elsewhere(journal.path)
        return 0
    rows = [["id", "started", "status", "name", "data", "epochs", "time", "final", "tags"]]
    for r in runs:
        rows.append([str(r.id), when(r.started), r.status, r.name,
                     str(r.config.get("data", {}).get("name", "")), str(len(r.epochs)),
                     duration(r.duration), final_metrics_text(r), " ".join(r.tags)])  # fmt: skip
    print(text_table(rows, max_width=36))
    print(f"\n{len(runs)} runs in {journal.path}. More: scratchish runs show ID")
    return 0


def _print_elsewhere(current: Path | None) -> None:
    found, complete = journals_nearby(Path.cwd(), SEARCH_SECONDS)
    found = [p for p in found if current is None or p.resolve() != current.resolve()]
    if found:
        print("journals found elsewhere:")
        for path in found:
            print(f"  {path}  ({_count_runs(path)})")
        print("use one with: scratchish runs --journal PATH (or cd to its folder)")
    else:
        print("no other journal was found nearby (home folder, sibling folders, subfolders).")
    if not complete:
        print(f"(the search stopped after {SEARCH_SECONDS:g} s)")


def journals_nearby(start: Path, seconds: float) -> tuple[list[Path], bool]:
    """Journals in likely places: the home folder's .scratchish, subfolders of `start` one or
    two levels down, and its sibling folders; for at most `seconds`. Returns (paths, whether
    the search finished)."""
    deadline = time.monotonic() + seconds
    start = start.resolve()
    home = Path.home()
    roots = [(home, 0), (start, 2), (start.parent, 1)]
    found: dict[Path, None] = {}
    for root, depth in roots:
        if not _walk(root, depth, deadline, found):
            return list(found), False
    return list(found), True


def _walk(folder: Path, depth: int, deadline: float, found: dict) -> bool:
    if time.monotonic() > deadline:
        return False
    candidate = folder / FOLDER / FILENAME
    if candidate.is_file():
        found[candidate.resolve()] = None
    if depth == 0:
        return True
    try:
        children = sorted(os.scandir(folder), key=lambda d: d.name)
    except OSError:
        return True
    for child in children:
        if child.name.startswith(".") or child.name in SKIP_FOLDERS:
            continue
        try:
            is_dir = child.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir and not _walk(Path(child.path), depth - 1, deadline, found):
            return False
    return True


def _count_runs(path: Path) -> str:
    try:  # read-only, and never migrate or change anything in someone else's journal
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            (n,) = db.execute("SELECT COUNT(*) FROM runs").fetchone()
        db.close()
        return f"{n} runs"
    except sqlite3.Error as e:
        return f"unreadable: {e}"


# ----------------------------------------------------------------------------------------------
# show, compare, report
# ----------------------------------------------------------------------------------------------


def runs_show(args) -> int:
    try:
        with _open(args) as journal:
            run = journal.get(args.id)
    except JournalError as e:
        return _fail(str(e))
    print(show_text(run))
    return 0


def show_text(run: Run) -> str:
    """Everything about a run, as `runs show` prints it."""
    c, env, src = run.config, run.environment, run.source
    model, opt = c.get("model") or {}, c.get("optimizer") or {}
    lines = [f"run #{run.id}  {run.name}  [{run.status}]"]
    if run.error:
        lines.append(f"  error: {run.error}")
    lines.append(f"  started {when(run.started)}, ended {when(run.ended) or '-'}, "
                 f"took {duration(run.duration) or '-'}")  # fmt: skip
    lines.append(f"  from: {source_text(run)}   (in {src.get('cwd', '?')})")
    if run.rerun_of:
        lines.append(f"  a rerun of run #{run.rerun_of}")
    if model:
        n_params = model.get("n_params")
        count = "lazy layers" if n_params is None else f"{n_params:,} parameters"
        lines.append(f"  model: {model.get('class')}, {count}")
    if opt:
        hyper = ", ".join(f"{k}={v}" for k, v in opt.items() if k != "class" and v is not None)
        lines.append(f"  optimizer: {opt.get('class')} ({hyper})")
    shown = {"model", "optimizer", "data"}
    for key, value in c.items():
        if key not in shown:
            lines.append(f"  {key}: {json.dumps(value, default=repr)}")
    data = c.get("data") or {}
    if data:
        extra = ", ".join(f"{k} {v}" for k, v in data.items() if k != "fingerprint")
        lines.append(f"  data: {extra}; fingerprint {str(data.get('fingerprint'))[:16]}")
    git = env.get("git")
    lines.append(
        f"  versions: Python {env.get('python')}, NumPy {env.get('numpy')}, scratchish "
        f"{env.get('scratchish')}; {env.get('platform')}"
    )
    if git:
        dirty = " with uncommitted changes" if git.get("dirty") else ""
        lines.append(f"  git: {git.get('commit', '')[:12]}{dirty} ({git.get('root')})")
    if run.epochs:
        names = run.metric_names
        rows = [["epoch", *names, "seconds"]]
        for e in sorted(run.epochs, key=lambda e: e["epoch"]):
            secs = "" if e["seconds"] is None else f"{e['seconds']:.2f}"
            rows.append([str(e["epoch"]), *[number(e["metrics"].get(n, math.nan))
                                             for n in names], secs])  # fmt: skip
        lines.append("  epochs:")
        lines += ["    " + line for line in text_table(rows).split("\n")]
    else:
        lines.append("  no epochs recorded")
    if run.final_metrics:
        lines.append(f"  final: {final_metrics_text(run, limit=99)}")
    for a in run.artefacts:
        missing = "" if Path(a["path"]).exists() else "  (missing)"
        lines.append(f"  file: {a['path']}  [{a['kind']}]{missing}")
    for n in run.notes:
        lines.append(f"  note ({when(n['added'])}): {n['text']}")
    if run.tags:
        lines.append(f"  tags: {' '.join(run.tags)}")
    if model.get("structure"):
        lines.append("  model structure:")
        lines += ["    " + line for line in model["structure"].split("\n")]
    return "\n".join(lines)


def source_text(run: Run) -> str:
    src = run.source
    command = src.get("command")
    if command:
        args = " ".join(_option(k, v) for k, v in command["args"].items()
                        if v not in (None, False) and k != "data")  # fmt: skip
        data = command["args"].get("data", "")
        return f"scratchish {command['name']} {data} {args}".replace("  ", " ").strip()
    if src.get("notebook"):
        return f"notebook {src['notebook']}"
    return " ".join(src.get("argv", [])) or src.get("kind", "?")


def _option(key: str, value) -> str:
    flag = "--" + key.replace("_", "-")
    return flag if value is True else f"{flag} {value}"


def runs_compare(args) -> int:
    if len(args.ids) < 2:
        return _fail("runs compare: give at least two run ids, e.g. scratchish runs compare 3 4")
    try:
        with _open(args) as journal:
            runs = [journal.get(i) for i in args.ids]
    except JournalError as e:
        return _fail(str(e))
    rows = settings_diff(runs, show_all=args.all)
    if len(rows) == 1:
        print("the settings are the same.")
    else:
        print(text_table(rows))
    final = [["final", *[f"#{r.id}" for r in runs]]]
    names = dict.fromkeys(n for r in runs for n in r.final_metrics)
    for n in names:
        final.append([n, *[number(r.final_metrics.get(n, math.nan)) for r in runs]])
    print()
    print(text_table(final))
    if args.no_plot:
        return 0
    out = args.out or "runs-compare-" + "-".join(str(r.id) for r in runs) + ".png"
    try:
        print(f"\ncurves: {compare_plot(runs, out)}")
    except ImportError as e:
        print(f"\n(no plot: {e})")
    return 0


def runs_report(args) -> int:
    try:
        with _open(args) as journal:
            runs = journal.runs(**_filters(args))
    except JournalError as e:
        return _fail(str(e))
    path = write_report(runs, args.out, str(journal.path))
    print(f"report of {len(runs)} runs: {path.resolve()}  (open it in a browser; no network "
          f"needed)")  # fmt: skip
    return 0


# ----------------------------------------------------------------------------------------------
# note, tag, delete
# ----------------------------------------------------------------------------------------------


def _change(args, change) -> int:
    try:
        with _open(args) as journal:
            run = journal.get(args.id)
            change(run)
    except (JournalError, sqlite3.Error) as e:
        return _fail(str(e))
    return 0


def runs_note(args) -> int:
    def note(run):
        run.note(args.text)
        print(f"noted on run #{run.id}.")

    return _change(args, note)


def runs_tag(args) -> int:
    def tag(run):
        if args.remove:
            run.untag(*args.tags)
        else:
            run.tag(*args.tags)
        print(f"run #{run.id} tags: {' '.join(run.tags) or '(none)'}")

    return _change(args, tag)


def runs_delete(args) -> int:
    try:
        journal = _open(args)
    except JournalError as e:
        return _fail(str(e))
    with journal:
        try:
            run = journal.get(args.id)
        except JournalError as e:
            return _fail(str(e))
        if not args.yes:
            if not sys.stdin.isatty():
                return _fail(f"runs delete: add --yes to delete run #{run.id} ({run.name}); "
                             f"nothing was deleted.")  # fmt: skip
            answer = input(f"delete run #{run.id} {run.name} ({run.status}, "
                           f"{len(run.epochs)} epochs)? [y/N] ")  # fmt: skip
            if answer.strip().lower() not in ("y", "yes"):
                print("nothing was deleted.")
                return 0
        journal.delete(run.id)
    print(f"deleted run #{run.id} ({run.name}); its files on disk are kept.")
    return 0


# ----------------------------------------------------------------------------------------------
# export, rerun, tensorboard
# ----------------------------------------------------------------------------------------------


def runs_export(args) -> int:
    try:
        with _open(args) as journal:
            runs = journal.runs(**_filters(args))
    except JournalError as e:
        return _fail(str(e))
    text = export_csv(runs) if args.format == "csv" else export_json(runs)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{len(runs)} runs written to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def export_csv(runs: list[Run]) -> str:
    """One row per epoch of each run: the run's id, name, status, settings in short, then
    each metric (an empty cell where an epoch lacks it or it is NaN)."""
    names = list(dict.fromkeys(n for r in runs for n in r.metric_names))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["run_id", "name", "status", "started", "data", "data_fingerprint",
                     "epoch", "seconds", *names])  # fmt: skip
    for r in runs:
        data = r.config.get("data", {}).get("name", "")
        for e in sorted(r.epochs, key=lambda e: e["epoch"]):
            values = [_finite(e["metrics"].get(n)) for n in names]
            writer.writerow([r.id, r.name, r.status, when(r.started), data, r.data_fingerprint,
                             e["epoch"], _finite(e["seconds"]), *values])  # fmt: skip
    return out.getvalue()


def export_json(runs: list[Run]) -> str:
    """Every run as a JSON object (standard JSON: NaN becomes null)."""
    return json.dumps([_nan_to_none(r.to_dict()) for r in runs], indent=2, default=repr) + "\n"


def _finite(value):
    return "" if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def _nan_to_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def runs_rerun(args) -> int:
    from .rerun import rerun

    try:
        with _open(args) as journal:
            result = rerun(journal, args.id, out=args.out)
    except JournalError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0 if result.identical else 1


def runs_tensorboard(args) -> int:
    from .tensorboard import export_tensorboard

    try:
        with _open(args) as journal:
            run = journal.get(args.id)
        folder = export_tensorboard(run, args.logdir)
    except (JournalError, ImportError) as e:
        return _fail(str(e))
    print(f"run #{run.id} written for TensorBoard in {folder}; view: tensorboard --logdir "
          f"{args.logdir}")  # fmt: skip
    return 0
