"""What a run holds, and how each piece is collected: the Run class and its helpers.

A Run is one training: its settings (model, optimizer, schedule, batch size, epochs, seed, a
fingerprint of the data), where it came from (command line or notebook), the versions of
everything, each epoch's losses and metrics, the files it wrote, notes and tags. store.py keeps
runs in SQLite; callback.py fills one from a Learner. Read next: store.py.
"""

from __future__ import annotations

import hashlib
import math
import os
import platform
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..nn.module import is_lazy

__all__ = [
    "JournalWarning",
    "Run",
    "data_fingerprint",
    "describe_model",
    "describe_optimizer",
    "environment",
    "source",
]

STATUSES = ("running", "finished", "failed", "interrupted")
HEARTBEAT_EVERY = 30.0  # seconds between heartbeats written while a run trains
SAMPLE_ABOVE = 64 * 2**20  # arrays larger than this (bytes) are fingerprinted from samples
SAMPLE_CHUNKS, CHUNK_BYTES = 256, 64 * 2**10  # 256 evenly spaced pieces of 64 KiB: 16 MiB read
GIT_TIMEOUT = 5.0  # seconds; a huge or network-mounted repository must not stall training


class JournalWarning(UserWarning):
    """The journal could not record (read-only folder, full disk...): training goes on."""


# Each journal that failed is named once per process, however many writes fail after it.
_warned: set[str] = set()


def warn_once(where: str, error: BaseException) -> None:
    """Warn that the journal at `where` cannot be written; only the first time per journal."""
    if where in _warned:
        return
    _warned.add(where)
    warnings.warn(
        f"journal: cannot record this run in {where} ({error}). Training goes on without "
        f"recording. Point the journal elsewhere with SCRATCHISH_JOURNAL=path/to/journal.db "
        f"(or --journal), or turn it off with SCRATCHISH_JOURNAL=off.",
        JournalWarning,
        stacklevel=3,
    )


class Run:
    """One training run: its settings, where it came from, its epochs, files, notes and tags.

    Made by `sh.journal.start_run` (recording) or read back by `sh.journal.runs()`. While
    recording, every change is written to the journal at once, so a crash keeps what was done;
    if the journal cannot be written, the run still keeps everything in memory.

    Attributes:
        id: the run's number in its journal (None if it could not be recorded).
        name, status: status is one of running, finished, failed, interrupted.
        started, ended: Unix times (seconds); ended is None while running.
        source: where it came from: {"kind": "command"|"script"|"notebook"|..., "argv", ...}.
        config: the settings (model, optimizer, lr_schedule, batch_size, epochs, seed, data).
        environment: versions of Python, NumPy, scratchish, the platform, git commit and dirty.
        epochs: [{"epoch": n, "metrics": {"train_loss": ...}, "seconds": s}, ...], epoch n
            counted from 1 as in the printed tables.
        final_metrics, artefacts, notes, tags, error.

    Example:
        >>> import scratchish as sh
        >>> run = sh.journal.Run(name="sketch", config={"lr": 0.1})   # in memory only
        >>> run.log_epoch(1, {"train_loss": 0.9, "valid_loss": 1.0})
        >>> run.log_epoch(2, {"train_loss": 0.5, "valid_loss": 0.7})
        >>> run.history("valid_loss"), run.final_metrics["valid_loss"]
        ([1.0, 0.7], 0.7)
    """

    def __init__(self, name: str = "run", config: dict | None = None, **fields: Any) -> None:
        self.id: int | None = fields.get("id")
        self.name = name
        self.status: str = fields.get("status", "running")
        self.started: float = fields.get("started", time.time())
        self.ended: float | None = fields.get("ended")
        self.pid: int | None = fields.get("pid")
        self.host: str | None = fields.get("host")
        self.heartbeat: float | None = fields.get("heartbeat")
        self.source: dict = fields.get("source") or {}
        self.config: dict = config or {}
        self.environment: dict = fields.get("environment") or {}
        self.data_fingerprint: str | None = fields.get("data_fingerprint")
        self.final_metrics: dict = fields.get("final_metrics") or {}
        self.error: str | None = fields.get("error")
        self.rerun_of: int | None = fields.get("rerun_of")
        self.epochs: list[dict] = fields.get("epochs") or []
        self.artefacts: list[dict] = fields.get("artefacts") or []
        self.notes: list[dict] = fields.get("notes") or []
        self.tags: list[str] = fields.get("tags") or []
        # the journal that stores this run (store.Journal), or None: kept in memory only
        self._journal = fields.get("journal")
        # a run being recorded warns and goes on when the journal fails; one read back raises
        self._recording = fields.get("recording", False)
        self._last_beat = time.monotonic()

    def __repr__(self) -> str:
        where = f"#{self.id}" if self.id is not None else "(not recorded)"
        return f"Run({where} {self.name!r}, {self.status}, {len(self.epochs)} epochs)"

    # ------------------------------------------------------------------------------- writing
    def _write(self, method: str, *args) -> None:
        """Call journal.<method>(self.id, *args), unless this run is not stored. While
        recording, a failure warns once and stops further writes: training must go on."""
        if self._journal is None or self.id is None:
            return
        try:
            if self._journal.closed:  # read back by sh.journal.runs(): open it again to write
                with type(self._journal)(self._journal.path) as journal:
                    getattr(journal, method)(self.id, *args)
            else:
                getattr(self._journal, method)(self.id, *args)
        except Exception as error:  # sqlite3.Error, OSError (disk full), JournalError
            if not self._recording:
                raise
            warn_once(str(self._journal.path), error)
            self._journal = None

    def __getstate__(self) -> dict:
        """A copy (copy.deepcopy, pickle) is a run in memory, detached from the journal."""
        return {**self.__dict__, "_journal": None}

    def log_epoch(self, epoch: int, metrics: dict, seconds: float | None = None) -> None:
        """Record one finished epoch: its losses and metrics (committed at once).

        Args:
            epoch: its number, counted from 1 as in the printed tables.
            metrics: {"train_loss": 0.31, "valid_loss": 0.35, "accuracy": 0.9, ...}.
            seconds: how long the epoch took.
        """
        row = {
            "epoch": int(epoch),
            "metrics": {str(k): float(v) for k, v in metrics.items()},
            "seconds": None if seconds is None else float(seconds),
        }
        self.epochs = [e for e in self.epochs if e["epoch"] != row["epoch"]] + [row]
        self.final_metrics = dict(row["metrics"])
        self.heartbeat = time.time()
        self._last_beat = time.monotonic()
        self._write("add_epoch", row, self.heartbeat)

    def beat(self) -> None:
        """Say "still alive" (at most every HEARTBEAT_EVERY seconds; cheap to call often)."""
        if time.monotonic() - self._last_beat < HEARTBEAT_EVERY:
            return
        self._last_beat = time.monotonic()
        self.heartbeat = time.time()
        self._write("beat", self.heartbeat)

    def finish(self, status: str = "finished", error: str | None = None,
               final_metrics: dict | None = None) -> None:  # fmt: skip
        """End the run with `status` (finished, failed or interrupted)."""
        if status not in STATUSES[1:]:
            raise ValueError(f"Run.finish: status {status!r}; use one of {STATUSES[1:]}.")
        if final_metrics is not None:
            self.final_metrics = {k: float(v) for k, v in final_metrics.items()}
        self.status, self.error, self.ended = status, error, time.time()
        self._write("finish", status, self.ended, self.final_metrics, error)

    def add_artefact(self, path: str | os.PathLike, kind: str | None = None) -> None:
        """Note a file the run wrote (checkpoint, plot...), by its absolute path."""
        path = str(Path(path).resolve())
        kind = kind or Path(path).suffix.lstrip(".") or "file"
        entry = {"path": path, "kind": kind, "added": time.time()}
        self.artefacts = [a for a in self.artefacts if a["path"] != path] + [entry]
        self._write("add_artefact", entry)

    def note(self, text: str) -> None:
        """Add a free-text note ("lr too high: diverged at epoch 3")."""
        entry = {"text": str(text), "added": time.time()}
        self.notes.append(entry)
        self._write("add_note", entry)

    def tag(self, *tags: str) -> None:
        """Add tags (e.g. "baseline"); a tag is a word without spaces."""
        new = [t for t in dict.fromkeys(tags) if t not in self.tags]
        self.tags.extend(new)
        self._write("add_tags", new)

    def untag(self, *tags: str) -> None:
        self.tags = [t for t in self.tags if t not in tags]
        self._write("remove_tags", list(tags))

    def __enter__(self) -> Run:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if self.status != "running":  # finished by hand inside the block
            return
        if kind is None:
            self.finish("finished")
        elif issubclass(kind, KeyboardInterrupt):
            self.finish("interrupted", "KeyboardInterrupt (Ctrl-C)")
        else:
            self.finish("failed", f"{kind.__name__}: {error}")

    # ------------------------------------------------------------------------------- reading
    def history(self, metric: str) -> list[float]:
        """The value of `metric` at each epoch, in order (NaN where an epoch lacks it)."""
        ordered = sorted(self.epochs, key=lambda e: e["epoch"])
        return [e["metrics"].get(metric, math.nan) for e in ordered]

    @property
    def metric_names(self) -> list[str]:
        """Every metric some epoch recorded, in the order first seen."""
        names: dict[str, None] = {}
        for e in self.epochs:
            names.update(dict.fromkeys(e["metrics"]))
        return list(names)

    @property
    def duration(self) -> float | None:
        end = self.ended if self.ended is not None else self.heartbeat
        return None if end is None else end - self.started

    def to_dict(self) -> dict:
        """Everything about the run as plain data (what `runs export --format json` writes)."""
        keys = ["id", "name", "status", "started", "ended", "pid", "host", "heartbeat",
                "source", "config", "environment", "data_fingerprint", "final_metrics",
                "error", "rerun_of", "epochs", "artefacts", "notes", "tags"]  # fmt: skip
        return {k: getattr(self, k) for k in keys}


# ----------------------------------------------------------------------------------------------
# Collecting: where the run came from, versions, the model, the optimizer, the data
# ----------------------------------------------------------------------------------------------


def source() -> dict:
    """Where this run is coming from: a notebook, IPython, or a command line (sys.argv)."""
    where = {"cwd": os.getcwd(), "argv": list(sys.argv)}
    shell = _ipython()
    if shell is not None:
        kernel = "IPKernelApp" in getattr(shell, "config", {})
        where["kind"] = "notebook" if kernel else "ipython"
        # Jupyter Server >= 2 names the notebook in the kernel's environment; VS Code in a global
        notebook = os.environ.get("JPY_SESSION_NAME") or shell.user_ns.get("__vsc_ipynb_file__")
        if notebook:
            where["notebook"] = str(notebook)
        return where
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] not in ("", "-c", "-m") else None
    where["kind"] = "script" if script is not None and script.suffix == ".py" else "command"
    if where["kind"] == "script" and script.is_file():
        where["script"] = str(script.resolve())
        where["script_sha256"] = hashlib.sha256(script.read_bytes()).hexdigest()
    return where


def _ipython():
    if "IPython" not in sys.modules:  # never import IPython just to look
        return None
    try:
        return sys.modules["IPython"].get_ipython()
    except AttributeError:
        return None


def environment(folder: str | os.PathLike | None = None) -> dict:
    """Versions of Python, NumPy and scratchish, the platform, and the git state of `folder`
    (default: the working folder) and of scratchish's own source when it is a git checkout."""
    from .. import __version__

    package = Path(__file__).resolve().parents[1]
    env = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scratchish": __version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "host": socket.gethostname(),
        "git": git_state(folder or os.getcwd()),
    }
    code = git_state(package)
    if code is not None:  # an editable install: the library's own commit matters for repeats
        env["scratchish_git"] = code
    return env


def git_state(folder: str | os.PathLike) -> dict | None:
    """{"commit": sha, "dirty": bool, "root": path} for the git repository holding `folder`,
    or None (not a repository, git missing or too slow). Untracked files do not count."""
    try:
        head = _git(folder, "rev-parse", "--show-toplevel", "HEAD")
        if head is None:
            return None
        root, commit = head.splitlines()[:2]
        status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    except ValueError:  # fewer lines than expected: a repository without commits
        return None
    return {"commit": commit, "dirty": bool(status and status.strip()), "root": root}


def _git(folder, *args) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):  # no git, or git hangs
        return None
    return done.stdout if done.returncode == 0 else None


def describe_model(model) -> dict:
    """The model's class, structure (its repr) and number of parameters (trainable ones too).
    A lazy layer (nn.LazyLinear) has no size before its first batch: the counts are None."""
    params = list(model.parameters())
    if any(is_lazy(p) for p in params):
        return {"class": type(model).__name__, "structure": repr(model), "n_params": None,
                "n_trainable": None}  # fmt: skip
    return {
        "class": type(model).__name__,
        "structure": repr(model),
        "n_params": int(sum(p.numel() for p in params)),
        "n_trainable": int(sum(p.numel() for p in params if p.requires_grad)),
    }


def describe_optimizer(opt) -> dict:
    """The optimizer's class and hyper-parameters (of its first parameter group, as set at
    the start: a schedule changes lr later)."""
    group = opt.param_groups[0] if getattr(opt, "param_groups", None) else {}
    hyper = {k: _plain(v) for k, v in group.items() if k != "params"}
    return {"class": type(opt).__name__, **hyper}


def _plain(value):
    """A value JSON can hold: numbers and strings as they are, tuples as lists, else repr."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return repr(value)


def data_fingerprint(*arrays) -> str:
    """A SHA-256 over arrays (tensors or NumPy): dtype, shape and every byte, so that any change
    to the data changes it. Arrays above SAMPLE_ABOVE bytes are hashed from 256 evenly spaced
    pieces (the result then starts with "sampled-"): fast, but a change between two pieces
    can go unseen.

    Example:
        >>> import numpy as np
        >>> data_fingerprint(np.zeros(3)) == data_fingerprint(np.zeros(3))
        True
        >>> data_fingerprint(np.zeros(3)) == data_fingerprint(np.zeros(3, dtype=np.float32))
        False
    """
    digest, sampled = hashlib.sha256(), False
    for item in arrays:
        array = np.ascontiguousarray(item.numpy() if hasattr(item, "numpy") else item)
        digest.update(f"{array.dtype.str}{array.shape};".encode())
        flat = array.reshape(-1).view(np.uint8)
        if flat.nbytes <= SAMPLE_ABOVE:
            digest.update(flat.data)
            continue
        sampled = True
        for start in np.linspace(0, flat.nbytes - CHUNK_BYTES, SAMPLE_CHUNKS).astype(np.int64):
            digest.update(flat[start : start + CHUNK_BYTES].data)
    return ("sampled-" if sampled else "") + digest.hexdigest()


def dataset_arrays(ds, max_items: int = 256) -> list:
    """The arrays behind a dataset, for data_fingerprint: a TensorDataset's tensors, a
    Subset's indices plus its dataset's arrays, a text dataset's ids; for any other dataset,
    up to max_items items taken evenly (so a huge image folder is sampled, not read whole)."""
    if hasattr(ds, "tensors"):
        return list(ds.tensors)
    if hasattr(ds, "dataset") and hasattr(ds, "indices"):
        return [np.asarray(ds.indices, dtype=np.int64), *dataset_arrays(ds.dataset, max_items)]
    if isinstance(getattr(ds, "ids", None), np.ndarray):
        return [ds.ids]
    n = len(ds)
    picks = np.unique(np.linspace(0, n - 1, min(n, max_items)).astype(np.int64)) if n else []
    arrays = [np.asarray(n)]
    for i in picks:
        item = ds[int(i)]
        for part in item if isinstance(item, (tuple, list)) else (item,):
            arrays.append(part.numpy() if hasattr(part, "numpy") else np.asarray(part))
    return arrays


def process_identity() -> dict:
    """This process: pid and host, so that a reader can tell whether the run is alive."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs on this machine (a zombie, killed but not collected, is
    dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except OSError:  # e.g. Windows: no signal 0; assume alive and rely on the heartbeat
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")
