"""`scratchish runs rerun ID`: repeat a recorded run and say whether the numbers came out the same.

A run made by `scratchish train` is repeated in this process from its recorded arguments (seed
included); a run made by a Python script is repeated by running the script again with the same
arguments. Then every epoch's metrics are compared bit for bit. On the same machine with the
same versions and data they must be identical; when they are not, `reasons` says what changed
(versions, data fingerprint, the script, uncommitted code). Read next: cli_commands.py.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import math
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .record import Run
from .store import ENV_VAR, Journal, JournalError

__all__ = ["RerunResult", "compare_metrics", "rerun", "what_changed"]

# the environment entries that can change results; a difference in any is a likely reason
VERSION_KEYS = ("python", "numpy", "scratchish", "platform", "machine")


@dataclass
class RerunResult:
    """What a rerun gave: the original and the new run, and how they compare."""

    original: Run
    repeat: Run
    differences: list[str] = field(default_factory=list)  # empty: identical bit for bit
    reasons: list[str] = field(default_factory=list)  # what changed between the two

    @property
    def identical(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        a, b = self.original, self.repeat
        n_values = sum(len(e["metrics"]) for e in b.epochs)
        lines = [f"rerun of run #{a.id} recorded as run #{b.id}."]
        if self.identical:
            lines.append(
                f"identical: all {n_values} metric values of {len(b.epochs)} epochs are equal "
                f"bit for bit."
            )
        else:
            lines.append("different: the metrics did not come out the same:")
            lines += [f"  {d}" for d in self.differences[:10]]
            if len(self.differences) > 10:
                lines.append(f"  ... and {len(self.differences) - 10} more")
        if self.reasons:
            head = "why they can differ:" if not self.identical else "changed since (no effect):"
            lines.append(head)
            lines += [f"  - {r}" for r in self.reasons]
        elif not self.identical:
            lines.append(
                "  no version, data or code change was found: something in the run is not "
                "deterministic (threads, the time, an unseeded random generator?)."
            )
        return "\n".join(lines)


def rerun(journal: Journal, run_id: int | str, out: str | os.PathLike | None = None) -> RerunResult:
    """Repeat run `run_id` of `journal`, record the repeat there, and compare the two.

    Args:
        out: `scratchish train` runs: where the repeat saves its model and plots (default:
            runs/rerun-of-<ID> in the folder the original ran in).

    Raises:
        JournalError: the run cannot be repeated (a notebook, a missing script), with why.
    """
    original = journal.get(run_id)
    source = original.source
    before = journal.last_id()
    with _journal_env(journal.path):
        if source.get("command", {}).get("name") == "train":
            pid = os.getpid()
            _rerun_train(original, out)
        elif source.get("kind") == "script":
            pid = _rerun_script(original)
        else:
            raise JournalError(_cannot(original))
    repeat = _the_repeat(journal, original, before, pid)
    journal.set_rerun_of(repeat.id, original.id)
    repeat.rerun_of = original.id
    return RerunResult(original, repeat, compare_metrics(original, repeat),
                       what_changed(original, repeat))  # fmt: skip


@contextlib.contextmanager
def _journal_env(path: Path):
    """Point SCRATCHISH_JOURNAL at this journal while the repeat trains: it records there."""
    saved = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = str(path.resolve())
    try:
        yield
    finally:
        if saved is None:
            del os.environ[ENV_VAR]
        else:
            os.environ[ENV_VAR] = saved


@contextlib.contextmanager
def _working_folder(folder: str | None):
    """Run in the folder the original ran in, so that relative data paths still resolve."""
    saved = os.getcwd()
    if folder and Path(folder).is_dir():
        os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(saved)


def _rerun_train(original: Run, out) -> None:
    from ..learner.train_cli import cmd_train, register

    parser = argparse.ArgumentParser(prog="scratchish")
    register(parser.add_subparsers())
    args = vars(parser.parse_args(["train"]))  # today's defaults, for options added since
    args.update(original.source["command"]["args"])
    cwd = original.source.get("cwd")
    target = Path(out) if out else Path(cwd or ".") / "runs" / f"rerun-of-{original.id}"
    args["out"] = str(target.resolve())
    with _working_folder(cwd):
        code = cmd_train(argparse.Namespace(**args))
    if code != 0:
        raise JournalError(f"runs rerun: the repeat of run #{original.id} failed (exit {code}).")


def _rerun_script(original: Run) -> int:
    source = original.source
    script = source.get("script")
    if not script or not Path(script).is_file():
        raise JournalError(
            f"runs rerun: run #{original.id} came from the script {script}, which is gone."
        )
    argv = [sys.executable, script, *source.get("argv", [])[1:]]
    done = subprocess.Popen(argv, cwd=source.get("cwd") or None)
    if done.wait() != 0:
        raise JournalError(
            f"runs rerun: `{' '.join(argv)}` failed (exit {done.returncode}) in {source['cwd']}."
        )
    return done.pid


def _the_repeat(journal: Journal, original: Run, before: int, pid: int) -> Run:
    """The new run that repeats `original`: made after `before` by process `pid`; when a script
    makes several runs, the one in the same place in order as the original."""
    new = sorted((r for r in journal.runs() if r.id > before and r.pid == pid), key=_by_id)
    if not new:
        raise JournalError(
            f"runs rerun: the repeat of run #{original.id} trained but was not recorded (is "
            f"SCRATCHISH_JOURNAL=off, or the Learner made without its JournalCallback?)."
        )
    siblings = sorted(
        (r for r in journal.runs() if r.pid == original.pid and r.host == original.host
         and abs(r.started - original.started) < 7 * 86400 and r.id <= original.id),
        key=_by_id,
    )  # fmt: skip
    place = len(siblings) - 1 if original.source.get("kind") == "script" else -1
    return new[min(place, len(new) - 1)] if place >= 0 else new[-1]


def _by_id(run: Run) -> int:
    return run.id


def _cannot(run: Run) -> str:
    kind = run.source.get("kind", "unknown")
    where = run.source.get("notebook") or " ".join(run.source.get("argv", []))
    return (
        f"runs rerun: run #{run.id} came from {kind} {where!r}; only runs of `scratchish train` "
        f"and of Python scripts can be repeated from the command line. Run the same code again "
        f"with the same seed ({run.config.get('seed', 'not recorded')}); `scratchish runs show "
        f"{run.id}` lists its settings."
    )


def compare_metrics(a: Run, b: Run) -> list[str]:
    """Every difference between the two runs' epochs, bit for bit (NaN equals NaN); []."""
    differences = []
    epochs_a = {e["epoch"]: e["metrics"] for e in a.epochs}
    epochs_b = {e["epoch"]: e["metrics"] for e in b.epochs}
    if sorted(epochs_a) != sorted(epochs_b):
        differences.append(f"epochs {sorted(epochs_a)} in #{a.id}, {sorted(epochs_b)} in #{b.id}")
    for epoch in sorted(set(epochs_a) & set(epochs_b)):
        ma, mb = epochs_a[epoch], epochs_b[epoch]
        for name in dict.fromkeys([*ma, *mb]):
            x, y = ma.get(name), mb.get(name)
            if not _same_bits(x, y):
                delta = "" if x is None or y is None else f" (difference {y - x:.3g})"
                differences.append(f"epoch {epoch} {name}: {x!r} then {y!r}{delta}")
    return differences


def _same_bits(x, y) -> bool:
    if x is None or y is None:
        return x is y
    if math.isnan(x) and math.isnan(y):
        return True
    return x == y and math.copysign(1, x) == math.copysign(1, y)


def what_changed(a: Run, b: Run) -> list[str]:
    """What differs between two runs' circumstances that can change their numbers."""
    reasons = []
    for key in VERSION_KEYS:
        x, y = a.environment.get(key), b.environment.get(key)
        if x != y:
            reasons.append(f"{key} was {x}, is now {y}")
    for key, what in (("scratchish_git", "scratchish's source"), ("git", "your project")):
        x, y = a.environment.get(key) or {}, b.environment.get(key) or {}
        if x.get("commit") != y.get("commit"):
            reasons.append(f"{what} was at commit {str(x.get('commit'))[:10]}, is now at "
                           f"{str(y.get('commit'))[:10]}")  # fmt: skip
        elif x.get("dirty") or y.get("dirty"):
            reasons.append(f"{what} had uncommitted changes: the code may differ")
    if a.data_fingerprint != b.data_fingerprint:
        reasons.append(
            f"the data changed: fingerprint {str(a.data_fingerprint)[:12]} then "
            f"{str(b.data_fingerprint)[:12]}"
        )
    script = a.source.get("script")
    if script and a.source.get("script_sha256") != _sha256(script):
        reasons.append(f"the script {script} was edited since")
    return reasons


def _sha256(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
