"""The journal file: an SQLite database of runs, found the way git finds its repository.

`find_journal()` looks for `.scratchish/journal.db` in the working folder, then in each folder
above it; the first run in a folder without one creates it there. `--journal PATH` or the
SCRATCHISH_JOURNAL environment variable overrides (SCRATCHISH_JOURNAL=off turns recording
off). Several processes can write at once (WAL mode, a busy timeout and retries); a damaged
file, or one written by a newer scratchish, is reported and never overwritten. The schema has
a version and migrates forward (MIGRATIONS). Read next: callback.py (how a Learner records).
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import ScratchishError
from .record import Run, pid_alive

__all__ = [
    "ENV_VAR",
    "Journal",
    "JournalError",
    "RunNotFoundError",
    "find_journal",
    "journal_path",
    "recording_disabled",
]

FOLDER, FILENAME = ".scratchish", "journal.db"
ENV_VAR = "SCRATCHISH_JOURNAL"
OFF = {"off", "0", "no", "none", "false"}  # SCRATCHISH_JOURNAL values that turn recording off
BUSY_TIMEOUT = 10.0  # seconds SQLite waits for another writer before saying "locked"
RETRIES = 8  # then we retry the whole transaction, with growing random pauses
STALE_AFTER = 3600.0  # a run on another machine silent this long (seconds) is interrupted

# Each migration takes the schema from the version before it to its own. To change the schema,
# append one (never edit a released one): old journals are brought forward when opened.
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version VALUES (0);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            status TEXT NOT NULL,            -- running, finished, failed, interrupted
            started REAL NOT NULL,           -- Unix time, seconds
            ended REAL,
            pid INTEGER, host TEXT,          -- who is recording, to tell a dead run
            heartbeat REAL,                  -- last sign of life while running
            source TEXT,                     -- JSON: command line or notebook
            config TEXT,                     -- JSON: model, optimizer, schedule, data, seed...
            environment TEXT,                -- JSON: versions, platform, git
            data_fingerprint TEXT,
            final_metrics TEXT,              -- JSON
            error TEXT
        );
        CREATE TABLE epochs (
            run_id INTEGER NOT NULL, epoch INTEGER NOT NULL,
            metrics TEXT NOT NULL,           -- JSON {"train_loss": ..., "valid_loss": ...}
            seconds REAL, logged REAL NOT NULL,
            PRIMARY KEY (run_id, epoch)
        );
        CREATE TABLE artefacts (
            run_id INTEGER NOT NULL, path TEXT NOT NULL, kind TEXT, added REAL,
            PRIMARY KEY (run_id, path)
        );
        CREATE TABLE notes (run_id INTEGER NOT NULL, text TEXT NOT NULL, added REAL);
        CREATE TABLE tags (run_id INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (run_id, tag));
        """,
    ),
    (
        2,
        """
        ALTER TABLE runs ADD COLUMN rerun_of INTEGER;   -- the run this one repeated
        CREATE INDEX runs_by_status ON runs (status);
        CREATE INDEX runs_by_data ON runs (data_fingerprint);
        """,
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


class JournalError(ScratchishError, RuntimeError):
    """The journal cannot be used: damaged, from a newer scratchish, or not found."""

    code = "journal"


class RunNotFoundError(JournalError, LookupError):
    """No run has this id in the journal."""

    code = "journal"


# ----------------------------------------------------------------------------------------------
# Finding the journal
# ----------------------------------------------------------------------------------------------


CEILING_VAR = "SCRATCHISH_CEILING_DIRECTORIES"


def recording_disabled() -> bool:
    """True when SCRATCHISH_JOURNAL=off (or 0, no, none, false): runs are not recorded."""
    return os.environ.get(ENV_VAR, "").strip().lower() in OFF


def find_journal(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest existing `.scratchish/journal.db` in `start` (default: the working folder)
    or a folder above it, as git finds `.git`; None when there is none. The search stops below
    any folder listed in $SCRATCHISH_CEILING_DIRECTORIES (os.pathsep-separated), as git's
    GIT_CEILING_DIRECTORIES does.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp()).resolve()
        >>> (root / ".scratchish").mkdir(); (root / ".scratchish" / "journal.db").touch()
        >>> (root / "a" / "b").mkdir(parents=True)
        >>> find_journal(root / "a" / "b") == root / ".scratchish" / "journal.db"
        True
    """
    folder = Path(start or os.getcwd()).resolve()
    # like GIT_CEILING_DIRECTORIES: the search never looks in these folders or above them
    ceilings = {Path(p).resolve() for p in os.environ.get(CEILING_VAR, "").split(os.pathsep) if p}
    for candidate in [folder, *folder.parents]:
        if candidate in ceilings and candidate != folder:
            break
        path = candidate / FOLDER / FILENAME
        if path.is_file():
            return path
    return None


def journal_path(path: str | os.PathLike | None = None, start=None) -> Path:
    """The journal to use: `path` if given, else $SCRATCHISH_JOURNAL, else the nearest one
    (find_journal), else `.scratchish/journal.db` in the working folder (made on first use).
    A path naming a folder means the journal.db inside it."""
    chosen = path or os.environ.get(ENV_VAR, "").strip() or None
    if chosen is not None and str(chosen).lower() not in OFF:
        chosen = Path(chosen).expanduser()
        return chosen / FILENAME if chosen.is_dir() else chosen
    found = find_journal(start)
    return found if found is not None else Path(start or os.getcwd()).resolve() / FOLDER / FILENAME


# ----------------------------------------------------------------------------------------------
# The journal
# ----------------------------------------------------------------------------------------------


class Journal:
    """An open journal file: read runs, and write them (through Run objects).

    Args:
        path: the journal.db file (see journal_path to find it).
        create: make the file (and its folder) if missing; else a missing file is an error.

    Raises:
        JournalError: the file is damaged, not a journal, or from a newer scratchish. The
            file is left exactly as it is.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "journal.db"
        >>> with Journal(path, create=True) as journal:
        ...     run = journal.start_run("first", {"lr": 0.1})
        ...     run.log_epoch(1, {"train_loss": 0.5})
        ...     run.finish()
        ...     [(r.id, r.name, r.status, r.history("train_loss")) for r in journal.runs()]
        [(1, 'first', 'finished', [0.5])]
    """

    def __init__(self, path: str | os.PathLike, create: bool = False) -> None:
        self.path, self.closed = Path(path), False
        if not self.path.is_file():
            if not create:
                raise JournalError(f"journal: no journal at {self.path}.")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _ignore_in_git(self.path.parent)
        try:
            self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as e:
            raise JournalError(f"journal: cannot open {self.path}: {e}.") from e
        try:
            self._prepare()
        except BaseException:
            self.db.close()
            raise

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()
        self.closed = True

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    # ------------------------------------------------------------------ opening and migrating
    def _prepare(self) -> None:
        """WAL mode, then check the schema version and migrate forward if it is older."""
        try:
            version = self._retry(self._version)  # first, and read only: change nothing yet
        except sqlite3.DatabaseError as e:
            if _is_busy(e):
                raise
            raise self._damaged(e) from e
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"journal: {self.path} was written by a newer scratchish (journal schema "
                f"version {version}; this scratchish knows up to {SCHEMA_VERSION}). It is left "
                f"untouched. Upgrade: pip install -U scratchish, or use another journal with "
                f"--journal PATH or SCRATCHISH_JOURNAL."
            )
        # WAL: readers never block the writer and a killed process loses nothing committed
        self._retry(lambda: self.db.execute("PRAGMA journal_mode=WAL").fetchone())
        self.db.execute("PRAGMA synchronous=NORMAL")  # safe in WAL against process crashes
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _version(self) -> int:
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        if "schema_version" in tables:
            return int(self.db.execute("SELECT version FROM schema_version").fetchone()[0])
        if tables - {"sqlite_sequence"}:
            raise JournalError(
                f"journal: {self.path} is an SQLite database but not a scratchish journal (it "
                f"has tables {sorted(tables)}). It is left untouched; use another path with "
                f"--journal PATH or SCRATCHISH_JOURNAL."
            )
        return 0

    def _migrate(self, version: int) -> None:
        if version > 0:  # keep a copy of the journal as it was, in case a migration goes wrong
            backup = self.path.with_name(f"{self.path.name}.v{version}.bak")
            if not backup.exists():
                with sqlite3.connect(backup) as copy:
                    self.db.backup(copy)
                copy.close()

        def apply():
            current = self._version()  # another process may have migrated in the meantime
            for target, script in MIGRATIONS:
                if target > current:
                    for statement in _statements(script):
                        self.db.execute(statement)
                    self.db.execute("UPDATE schema_version SET version = ?", (target,))

        self._transaction(apply)

    def _damaged(self, error: Exception) -> JournalError:
        return JournalError(
            f"journal: {self.path} is damaged or is not a journal ({error}). It is left as it "
            f"is. Move it aside (for example: mv {self.path} {self.path}.broken) and the next "
            f"run starts a new journal, or name another with --journal PATH or "
            f"SCRATCHISH_JOURNAL."
        )

    # ----------------------------------------------------------------- writing, with retries
    def _retry(self, action: Callable):
        """Run `action`; when another process holds the lock past the busy timeout, wait a
        random, growing pause and try again (RETRIES times)."""
        for attempt in range(RETRIES):
            try:
                return action()
            except sqlite3.OperationalError as e:
                if not _is_busy(e) or attempt == RETRIES - 1:
                    raise
                time.sleep(random.uniform(0.05, 0.2) * 2**attempt)

    def _transaction(self, body: Callable):
        """Run body() in one write transaction (BEGIN IMMEDIATE: takes the write lock at
        once, so two writers queue instead of deadlocking); all or nothing."""

        def attempt():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                result = body()
                self.db.execute("COMMIT")
                return result
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

        try:
            return self._retry(attempt)
        except sqlite3.DatabaseError as e:
            if _is_busy(e) or isinstance(e, sqlite3.OperationalError):
                raise  # locked, read-only, disk full: the caller decides (warn or raise)
            raise self._damaged(e) from e

    def start_run(self, name: str = "run", config: dict | None = None, **fields) -> Run:
        """Insert a new running run and return it (recording: failures later only warn).

        fields: source, environment, data_fingerprint, tags (see Run)."""
        run = Run(name, config, journal=self, recording=True, status="running", **fields)
        run.pid, run.host = os.getpid(), socket.gethostname()
        run.heartbeat = run.started

        def insert():
            cursor = self.db.execute(
                "INSERT INTO runs (name, status, started, pid, host, heartbeat, source, config,"
                " environment, data_fingerprint, final_metrics) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (run.name, run.status, run.started, run.pid, run.host, run.heartbeat,
                 _dumps(run.source), _dumps(run.config), _dumps(run.environment),
                 run.data_fingerprint, _dumps({})),
            )  # fmt: skip
            tags = [(cursor.lastrowid, t) for t in run.tags]
            self.db.executemany("INSERT OR IGNORE INTO tags VALUES (?, ?)", tags)
            return cursor.lastrowid

        run.id = self._transaction(insert)
        return run

    def add_epoch(self, run_id: int, row: dict, heartbeat: float) -> None:
        def body():
            self.db.execute(
                "INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?)",
                (run_id, row["epoch"], _dumps(row["metrics"]), row["seconds"], heartbeat),
            )
            self._beat(run_id, heartbeat, row["metrics"])

        self._transaction(body)

    def beat(self, run_id: int, heartbeat: float) -> None:
        self._transaction(lambda: self._beat(run_id, heartbeat))

    def _beat(self, run_id: int, heartbeat: float, metrics: dict | None = None) -> None:
        # a reader may have taken a long-silent run for dead: a sign of life revives it
        self.db.execute(
            "UPDATE runs SET heartbeat = ?, status = 'running' WHERE id = ? "
            "AND status IN ('running', 'interrupted') AND ended IS NULL",
            (heartbeat, run_id),
        )
        if metrics is not None:
            self.db.execute(
                "UPDATE runs SET final_metrics = ? WHERE id = ?", (_dumps(metrics), run_id)
            )

    def finish(self, run_id, status, ended, final_metrics, error) -> None:
        self._transaction(
            lambda: self.db.execute(
                "UPDATE runs SET status = ?, ended = ?, final_metrics = ?, error = ? WHERE id = ?",
                (status, ended, _dumps(final_metrics), error, run_id),
            )
        )

    def add_artefact(self, run_id: int, entry: dict) -> None:
        self._transaction(
            lambda: self.db.execute(
                "INSERT OR REPLACE INTO artefacts VALUES (?, ?, ?, ?)",
                (run_id, entry["path"], entry["kind"], entry["added"]),
            )
        )

    def add_note(self, run_id: int, entry: dict) -> None:
        self._transaction(
            lambda: self.db.execute(
                "INSERT INTO notes VALUES (?, ?, ?)", (run_id, entry["text"], entry["added"])
            )
        )

    def add_tags(self, run_id: int, tags: list[str]) -> None:
        self._transaction(
            lambda: self.db.executemany(
                "INSERT OR IGNORE INTO tags VALUES (?, ?)", [(run_id, t) for t in tags]
            )
        )

    def remove_tags(self, run_id: int, tags: list[str]) -> None:
        self._transaction(
            lambda: self.db.executemany(
                "DELETE FROM tags WHERE run_id = ? AND tag = ?", [(run_id, t) for t in tags]
            )
        )

    def set_rerun_of(self, run_id: int, original: int) -> None:
        self._transaction(
            lambda: self.db.execute("UPDATE runs SET rerun_of = ? WHERE id = ?", (original, run_id))
        )

    def delete(self, run_id: int) -> None:
        """Remove a run and everything recorded with it (its files on disk stay)."""
        self.get(run_id)  # RunNotFoundError if there is none

        def body():
            for table in ("epochs", "artefacts", "notes", "tags"):
                self.db.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            self.db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

        self._transaction(body)

    # ------------------------------------------------------------------------------- reading
    def runs(self, tag: str | None = None, status: str | None = None,
             data: str | None = None) -> list[Run]:  # fmt: skip
        """Every run, newest first, optionally only those with `tag`, `status`, or `data` (a
        data-set name or the start of a data fingerprint)."""
        ids = [r[0] for r in self._read("SELECT id FROM runs ORDER BY started DESC, id DESC")]
        runs = [self.get(i) for i in ids]
        if tag is not None:
            runs = [r for r in runs if tag in r.tags]
        if status is not None:
            runs = [r for r in runs if r.status == status]
        if data is not None:
            runs = [r for r in runs if _data_matches(r, data)]
        return runs

    def get(self, run_id: int | str) -> Run:
        """The run with this id ("last" for the newest); RunNotFoundError if none."""
        run_id = self.resolve_id(run_id)
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise RunNotFoundError(
                f"journal: no run {run_id} in {self.path}. `scratchish runs` lists the runs."
            )
        run = self._run_from_row(rows[0])
        self._settle(run)
        return run

    def resolve_id(self, run_id: int | str) -> int:
        if str(run_id).lower() in ("last", "latest"):
            rows = self._read("SELECT id FROM runs ORDER BY started DESC, id DESC LIMIT 1")
            if not rows:
                raise RunNotFoundError(f"journal: {self.path} has no runs yet.")
            return rows[0][0]
        try:
            return int(str(run_id).lstrip("#"))
        except ValueError:
            raise RunNotFoundError(
                f"journal: {run_id!r} is not a run id; use the number in the first column of "
                f"`scratchish runs` (or 'last')."
            ) from None

    def last_id(self) -> int:
        rows = self._read("SELECT MAX(id) FROM runs")
        return rows[0][0] or 0

    def _read(self, sql: str, args: tuple = ()) -> list:
        try:
            return self._retry(lambda: self.db.execute(sql, args).fetchall())
        except sqlite3.DatabaseError as e:
            if _is_busy(e):
                raise
            raise self._damaged(e) from e

    def _run_from_row(self, row: tuple) -> Run:
        names = [d[0] for d in self.db.execute("SELECT * FROM runs LIMIT 0").description]
        fields = dict(zip(names, row))
        run_id = fields["id"]
        epochs = [
            {"epoch": e, "metrics": json.loads(m), "seconds": s}
            for e, m, s in self._read(
                "SELECT epoch, metrics, seconds FROM epochs WHERE run_id = ? ORDER BY epoch",
                (run_id,),
            )
        ]
        artefacts = [
            {"path": p, "kind": k, "added": a}
            for p, k, a in self._read(
                "SELECT path, kind, added FROM artefacts WHERE run_id = ? ORDER BY added",
                (run_id,),
            )
        ]
        notes = [
            {"text": t, "added": a}
            for t, a in self._read(
                "SELECT text, added FROM notes WHERE run_id = ? ORDER BY added", (run_id,)
            )
        ]
        tags = [t for (t,) in self._read("SELECT tag FROM tags WHERE run_id = ?", (run_id,))]
        for key in ("source", "config", "environment", "final_metrics"):
            fields[key] = json.loads(fields[key]) if fields[key] else {}
        name, config = fields.pop("name"), fields.pop("config")
        return Run(name, config, journal=self, epochs=epochs, artefacts=artefacts, notes=notes,
                   tags=sorted(tags), **fields)  # fmt: skip

    def _settle(self, run: Run) -> None:
        """A run still 'running' whose process is gone (killed, machine crashed) is shown,
        and stored, as interrupted. On this machine we ask whether its pid is alive; from
        another machine we can only see its heartbeat go stale (STALE_AFTER)."""
        if run.status != "running":
            return
        if run.host == socket.gethostname():
            dead = run.pid is not None and not pid_alive(run.pid)
        else:
            last = run.heartbeat if run.heartbeat is not None else run.started
            dead = time.time() - last > STALE_AFTER
        if not dead:
            return
        run.status = "interrupted"
        run.error = "the process stopped without finishing the run (killed, or it crashed)"
        try:
            self._transaction(
                lambda: self.db.execute(
                    "UPDATE runs SET status = 'interrupted', error = ? "
                    "WHERE id = ? AND status = 'running'",
                    (run.error, run.id),
                )
            )
        except sqlite3.Error:  # a read-only journal: shown as interrupted all the same
            pass


def _statements(script: str) -> list[str]:
    """Split a migration into statements (our scripts hold no ';' inside strings)."""
    return [s.strip() for s in script.split(";") if s.strip() and not _only_comments(s)]


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.split("\n"))


def _is_busy(error: Exception) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _dumps(value) -> str:
    """JSON, keeping NaN and infinity (Python's json reads them back) and exact floats."""
    return json.dumps(value, default=repr, allow_nan=True)


def _data_matches(run: Run, data: str) -> bool:
    data = data.lower()
    name = str(run.config.get("data", {}).get("name", "")).lower()
    return data in name or (run.data_fingerprint or "").lower().startswith(data)


def _ignore_in_git(folder: Path) -> None:
    """A .gitignore inside .scratchish/ so that the journal is never committed by accident
    (as pytest does for .pytest_cache)."""
    ignore = folder / ".gitignore"
    if folder.name == FOLDER and not ignore.exists():
        try:
            ignore.write_text("# made by scratchish: the journal is local to this machine\n*\n")
        except OSError:
            pass


# ----------------------------------------------------------------------------------------------
# The plain API: start_run, runs, open_journal
# ----------------------------------------------------------------------------------------------


def start_run(name: str = "run", config: dict | None = None, *, journal=None, model=None,
              optimizer=None, data=None, data_name: str | None = None,
              tags=(), command: dict | None = None) -> Run:  # fmt: skip
    """Start recording a run; use it as a context manager so that it always ends.

    Args:
        name: a short name ("digits-cnn").
        config: your settings as a dict (lr, batch_size, epochs, seed, ...): anything JSON
            can hold, other values are kept as their repr.
        journal: a journal path; default: SCRATCHISH_JOURNAL, else the nearest
            .scratchish/journal.db, else one made in the working folder.
        model, optimizer: described for you (structure, parameter count, hyper-parameters).
        data: arrays or tensors (e.g. x_train, y_train, x_valid, y_valid): fingerprinted, so
            that a change to the data is seen. data_name names the data set.
        tags: tags for the run.
        command: {"name": "train", "args": {...}} when a scratchish command made the run
            (JournalCallback.record_command): `runs rerun` repeats it from these.

    Returns:
        The Run (recording). If the journal cannot be written it warns once and returns a run
        kept in memory, so your training goes on.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "journal.db")  # default: found for you
        >>> import scratchish as sh
        >>> with sh.journal.start_run("sketch", {"lr": 0.1}, journal=path) as run:
        ...     run.log_epoch(1, {"train_loss": 0.7, "valid_loss": 0.8})
        >>> [(r.name, r.status, r.final_metrics) for r in sh.journal.runs(journal=path)]
        [('sketch', 'finished', {'train_loss': 0.7, 'valid_loss': 0.8})]
    """
    from .record import data_fingerprint, describe_model, describe_optimizer, environment, source

    if journal is None and recording_disabled():  # off: keep the run in memory, cheaply
        return Run(name, dict(config or {}), tags=list(tags))
    config = dict(config or {})
    if model is not None:
        config["model"] = describe_model(model)
    if optimizer is not None:
        config["optimizer"] = describe_optimizer(optimizer)
    fingerprint = None
    if data is not None:
        arrays = data if isinstance(data, (list, tuple)) else [data]
        fingerprint = data_fingerprint(*arrays)
        config["data"] = {**config.get("data", {}), "fingerprint": fingerprint}
    if data_name is not None:
        config["data"] = {**config.get("data", {}), "name": data_name}
    fingerprint = fingerprint or config.get("data", {}).get("fingerprint")
    where = source()
    if command is not None:
        where.update(kind=f"scratchish {command['name']}", command=command)
    fields = {"source": where, "environment": environment(), "tags": list(tags),
              "data_fingerprint": fingerprint}  # fmt: skip
    path = journal_path(journal)
    try:
        store = Journal(path, create=True)
        return store.start_run(name, config, **fields)
    except (JournalError, sqlite3.Error, OSError) as error:
        from .record import warn_once

        warn_once(str(path), error)
        return Run(name, config, **fields)


def open_journal(path: str | os.PathLike | None = None) -> Journal:
    """Open the journal to read: `path`, else $SCRATCHISH_JOURNAL, else the nearest one.

    Raises:
        JournalError: none found (the message says where it looked), damaged, or too new.
    """
    chosen = journal_path(path)
    if not chosen.is_file():
        raise NoJournalError(chosen, path)
    return Journal(chosen)


class NoJournalError(JournalError, FileNotFoundError):
    """No journal where we looked; the message says where that was."""

    def __init__(self, path: Path, given=None) -> None:
        self.path = path
        if given is not None or os.environ.get(ENV_VAR, "").strip():
            how = "--journal" if given is not None else f"${ENV_VAR}"
            text = f"journal: no journal at {path} (named by {how})."
        else:
            folder = Path.cwd().resolve()
            text = (
                f"journal: no journal found: looked for {FOLDER}/{FILENAME} in {folder} and "
                f"every folder above it. One is made where you first train."
            )
        super().__init__(text)


def runs(tag: str | None = None, status: str | None = None, data: str | None = None,
         journal=None) -> list[Run]:  # fmt: skip
    """The recorded runs, newest first (see Journal.runs for the filters); [] if there is no
    journal yet."""
    try:
        store = open_journal(journal)
    except NoJournalError:
        return []
    with store:
        return store.runs(tag=tag, status=status, data=data)
