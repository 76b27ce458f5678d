"""What recording a run costs: the default `scratchish train` with and without the journal.

    python tests/journal/bench_journal_overhead.py [--reps 3]

Prints, for each training: its wall time, and the seconds spent inside the JournalCallback
(describing the Learner, fingerprinting the data, git, SQLite writes); the first training also
creates the journal. Then an A/B of whole trainings (SCRATCHISH_JOURNAL=off vs on,
interleaved): noisier than the direct measure, it bounds what the direct one might miss.
Not a test (a benchmark: not collected by pytest); belongs in benchmarks/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import argparse, json, sys, time
from scratchish.journal import JournalCallback
from scratchish.learner import Learner, train_cli

made = []
original_init = Learner.__init__
def init(self, *args, **kwargs):
    original_init(self, *args, **kwargs)
    if not any(isinstance(cb, JournalCallback) for cb in self.cbs):  # until the Learner does
        self.add_cbs([JournalCallback()])
    made.append(self)
Learner.__init__ = init

parser = argparse.ArgumentParser()
train_cli.register(parser.add_subparsers())
args = parser.parse_args(["train", "--out", sys.argv[1], "--no-bars"])
start = time.perf_counter()
code = train_cli.cmd_train(args)
total = time.perf_counter() - start
journal = sum(cb.seconds for learn in made for cb in learn.cbs if isinstance(cb, JournalCallback))
batches = sum(len(learn.recorder.losses) for learn in made)
print(json.dumps({"code": code, "total": total, "journal": journal, "batches": batches}))
"""


def train(folder: Path, journal: str) -> dict:
    env = {**os.environ, "SCRATCHISH_JOURNAL": journal, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder / "out")], env=env,
                          capture_output=True, text=True, check=True, cwd=folder)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def per_batch_cost(n: int = 200_000) -> float:
    """Seconds per after_batch call of a recording JournalCallback (a heartbeat check)."""
    import time

    from scratchish.journal import JournalCallback, Run

    cb = JournalCallback()
    cb.run, cb._recording = Run("bench"), True

    class Learn:
        training = True

    learn = Learn()
    start = time.perf_counter()
    for _ in range(n):
        cb.after_batch(learn)
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    reps = parser.parse_args().reps
    folder = Path(tempfile.mkdtemp(prefix="journal-bench-"))
    journal = str(folder / "journal.db")
    batch = per_batch_cost()
    on, off = [], []
    for i in range(reps):
        off.append(train(folder, "off"))
        on.append(train(folder, journal))
        r = on[-1]
        share = (r["journal"] + batch * r["batches"]) / r["total"]
        first = " (created the journal)" if i == 0 else ""
        print(f"train {i + 1}: {r['total']:.2f} s, recording {r['journal'] * 1000:.1f} ms in "
              f"the callback + {batch * 1e9:.0f} ns x {r['batches']} batches = "
              f"{share:.3%}{first}")  # fmt: skip
    median_on = statistics.median(r["total"] for r in on)
    median_off = statistics.median(r["total"] for r in off)
    print(f"A/B whole trainings, median of {reps}: journal on {median_on:.2f} s, off "
          f"{median_off:.2f} s ({(median_on - median_off) / median_off:+.1%}, run-to-run noise "
          f"included)")  # fmt: skip


if __name__ == "__main__":
    main()
