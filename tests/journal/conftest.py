"""Helpers for the journal tests: a journal per test, small real trainings, and (until the
Learner records by itself) the few lines that make every Learner record."""

import argparse
import os
import subprocess
import sys
import textwrap

import pytest

import scratchish as sh
from scratchish.journal import JournalCallback
from scratchish.learner import DataLoaders, Learner, accuracy

TRAIN_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import scratchish as sh
    from scratchish.journal import JournalCallback
    from scratchish.learner import DataLoaders, Learner, accuracy

    n_epochs, pause, seed = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])

    class Pause:  # slows each epoch down, so a test can kill the process mid-run
        order = 0
        def after_epoch(self, learn):
            time.sleep(pause)

    sh.manual_seed(seed)
    x = sh.randn(256, 4); y = (x[:, 0] + x[:, 1] > 0).long()
    dls = DataLoaders.from_tensors(x[:200], y[:200], x[200:], y[200:], bs=32)
    model = sh.nn.Sequential(sh.nn.Linear(4, 16), sh.nn.ReLU(), sh.nn.Linear(16, 2))
    learn = Learner(dls, model, metrics=[accuracy], progress=False, cbs=[Pause()])
    if not any(isinstance(cb, JournalCallback) for cb in learn.cbs):
        learn.add_cbs([JournalCallback()])  # until the Learner records by default
    learn.fit(n_epochs, 0.05)
    print("training done", flush=True)
    """
)


@pytest.fixture
def journal_file(tmp_path, monkeypatch):
    """A fresh journal for the test (SCRATCHISH_JOURNAL), working in tmp_path."""
    path = tmp_path / "journal.db"
    monkeypatch.setenv("SCRATCHISH_JOURNAL", str(path))
    monkeypatch.chdir(tmp_path)
    return path


def _learner_records() -> bool:
    learn = tiny_learner(n=64)
    return any(isinstance(cb, JournalCallback) for cb in learn.cbs)


@pytest.fixture
def recording(monkeypatch):
    """Every Learner records and `scratchish train` passes its arguments, as the lead's
    integration does; these patches are skipped once the Learner records by itself."""
    from scratchish.learner import train_cli

    if _learner_records():
        return
    command = {}
    original_init = Learner.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.journal = JournalCallback()
        self.add_cbs([self.journal])
        if "args" in command:
            self.journal.record_command("train", command["args"])

    original_train = train_cli.cmd_train

    def cmd_train(args):
        command["args"] = args
        try:
            return original_train(args)
        finally:
            command.clear()

    monkeypatch.setattr(Learner, "__init__", init)
    monkeypatch.setattr(Learner, "run", property(lambda self: self.journal.run), raising=False)
    monkeypatch.setattr(train_cli, "cmd_train", cmd_train)


def tiny_learner(seed=0, n=256, cbs=()):
    """A small real classification problem: two classes split by x0 + x1 > 0."""
    sh.manual_seed(seed)
    x = sh.randn(n, 4)
    y = (x[:, 0] + x[:, 1] > 0).long()
    cut = n * 4 // 5
    dls = DataLoaders.from_tensors(x[:cut], y[:cut], x[cut:], y[cut:], bs=32)
    model = sh.nn.Sequential(sh.nn.Linear(4, 16), sh.nn.ReLU(), sh.nn.Linear(16, 2))
    learn = Learner(dls, model, metrics=[accuracy], progress=False, cbs=list(cbs))
    return learn


def journal_callback(learn) -> JournalCallback:
    """The Learner's JournalCallback, added if the Learner has none (before the integration)."""
    found = [cb for cb in learn.cbs if isinstance(cb, JournalCallback)]
    if found:
        return found[0]
    learn.add_cbs([JournalCallback()])
    return learn.cbs[-1]


def run_cli(argv):
    """`scratchish runs ...` and `scratchish train ...` in this process; the exit code."""
    from scratchish.journal.cli_commands import register
    from scratchish.learner.train_cli import register as register_train

    parser = argparse.ArgumentParser(prog="scratchish")
    commands = parser.add_subparsers()
    register(commands)
    register_train(commands)
    args = parser.parse_args(argv)
    return args.handler(args)


def start_training(tmp_path, n_epochs, pause=0.0, seed=0, env=None, cwd=None, prefix=(),
                   **popen):  # fmt: skip
    """Start TRAIN_SCRIPT in a new Python process (its command line after `prefix`)."""
    script = tmp_path / "train_script.py"
    if not script.exists():
        script.write_text(TRAIN_SCRIPT)
    return subprocess.Popen(
        [*prefix, sys.executable, str(script), str(n_epochs), str(pause), str(seed)],
        env={**os.environ, **(env or {})},
        cwd=cwd or tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def make_learner():
    return tiny_learner


@pytest.fixture
def journal_of():
    return journal_callback


@pytest.fixture
def train_process():
    return start_training
