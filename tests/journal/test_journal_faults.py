"""Faults and load: a killed training, two trainings at once, a read-only folder, a full disk,
a damaged or newer journal. Training must never stop because of the journal."""

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scratchish.journal import Journal, JournalError, JournalWarning, record, runs, start_run


@pytest.fixture(autouse=True)
def forget_warnings(monkeypatch):
    """Each test sees the journal's first warning again."""
    monkeypatch.setattr(record, "_warned", set())


def _epochs_logged(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
    except sqlite3.Error:  # the schema is not there yet
        return 0


def test_a_killed_training_is_interrupted_with_its_finished_epochs(journal_file, train_process):
    proc = train_process(journal_file.parent, n_epochs=200, pause=0.05)
    deadline = time.monotonic() + 30
    while _epochs_logged(journal_file) < 2:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the training did not log 2 epochs in 30 s"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    logged = _epochs_logged(journal_file)
    (run,) = runs()
    assert run.status == "interrupted" and "stopped without finishing" in run.error
    assert len(run.epochs) == logged >= 2
    assert [e["epoch"] for e in run.epochs] == list(range(1, logged + 1))
    assert set(run.epochs[0]["metrics"]) == {"train_loss", "valid_loss", "accuracy"}
    # and it is stored so, not only shown
    with sqlite3.connect(journal_file) as db:
        assert db.execute("SELECT status FROM runs").fetchone() == ("interrupted",)


def test_two_trainings_at_once_are_both_recorded_completely(journal_file, train_process):
    procs = [train_process(journal_file.parent, n_epochs=25, pause=0.02, seed=s) for s in (1, 2)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "training done" in out, err
        assert "journal" not in err  # no warning: nothing was lost to a locked journal
    both = runs()
    assert sorted(r.status for r in both) == ["finished", "finished"]
    assert [len(r.epochs) for r in both] == [25, 25]
    assert both[0].pid != both[1].pid
    first, second = sorted(both, key=lambda r: r.started)
    assert second.started < first.ended  # they did train at the same time
    assert both[0].history("train_loss") != both[1].history("train_loss")  # seeds 1 and 2


def test_many_writers_hammering_one_journal_lose_nothing(journal_file):
    code = (
        "import scratchish as sh\n"
        "with sh.journal.start_run('w') as run:\n"
        "    for i in range(1, 151):\n"
        "        run.log_epoch(i, {'loss': 1 / i})\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
             for _ in range(4)]  # fmt: skip
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert [len(r.epochs) for r in runs()] == [150] * 4


# Root writes anywhere, whatever the permissions: as root the training runs in its own mount
# namespace where the folder is mounted read-only (EROFS), as a read-only disk would be.
READ_ONLY_MOUNT = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'


def _read_only(folder: Path) -> list[str]:
    """Make `folder` read-only for the training; returns the command prefix that does it."""
    if os.geteuid() != 0:
        for p in sorted(folder.rglob("*"), reverse=True):
            os.chmod(p, 0o555 if p.is_dir() else 0o444)
        os.chmod(folder, 0o555)
        return []
    if shutil.which("unshare") is None:
        pytest.skip("as root, a read-only folder needs unshare (util-linux)")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", READ_ONLY_MOUNT, str(folder), "true"],
                           capture_output=True)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a folder read-only here: {probe.stderr.decode()}")
    return ["unshare", "-m", "sh", "-c", READ_ONLY_MOUNT, str(folder)]


@pytest.mark.parametrize("journal_there", [False, True], ids=["no-journal", "read-only-journal"])
def test_a_read_only_folder_warns_once_and_training_completes(
    tmp_path, train_process, journal_there, monkeypatch
):
    folder = tmp_path / "read-only"
    folder.mkdir()
    if journal_there:  # a journal made earlier, that this training cannot write to
        with start_run("earlier", journal=folder / ".scratchish" / "journal.db"):
            pass
    prefix = _read_only(folder)
    monkeypatch.delenv("SCRATCHISH_JOURNAL", raising=False)
    proc = train_process(tmp_path, n_epochs=3, cwd=folder, prefix=prefix,
                         env={"HOME": str(folder)})  # fmt: skip
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "training done" in out
    assert err.count("journal: cannot record this run") == 1, err
    assert "Training goes on" in err
    if not journal_there:
        assert not (folder / ".scratchish").exists()
    else:
        assert [r.name for r in runs(journal=folder / ".scratchish" / "journal.db")] == ["earlier"]
    for p in [folder, *folder.rglob("*")]:  # let pytest clean up
        os.chmod(p, 0o755)


def test_a_full_disk_warns_once_and_the_run_goes_on_in_memory(journal_file):
    with Journal(journal_file, create=True):
        pass
    run = start_run("big")
    # SQLite's page limit gives the same error as a full disk: "database or disk is full"
    run._journal.db.execute(
        f"PRAGMA max_page_count = {run._journal.db.execute('PRAGMA page_count').fetchone()[0]}"
    )
    with pytest.warns(JournalWarning, match="full") as caught:
        for epoch in range(1, 200):
            run.log_epoch(epoch, {"loss": 1.0, "padding" * 50: 0.0, "more" * 200: 1.0})
        run.finish()
    assert len([w for w in caught if issubclass(w.category, JournalWarning)]) == 1
    assert len(run.epochs) == 199 and run.status == "finished"  # all kept in memory


def test_a_damaged_journal_is_reported_and_never_overwritten(tmp_path, monkeypatch, cli, capsys,
                                                             make_learner, journal_of):  # fmt: skip
    monkeypatch.delenv("SCRATCHISH_JOURNAL", raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / ".scratchish" / "journal.db"
    path.parent.mkdir()
    path.write_bytes(b"this is not an SQLite file, it was damaged " * 100)
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    assert cli(["runs"]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "damaged" in err and "left as it is" in err and "mv " in err

    learn = make_learner()
    recorder = journal_of(learn)
    with pytest.warns(JournalWarning, match="damaged"):
        learn.fit(2, 0.05)
    assert len(learn.recorder.values) == 2  # training went on
    assert recorder.run.history("valid_loss") == [v[2] for v in learn.recorder.values]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_journal_from_a_newer_scratchish_is_refused_untouched(journal_file, cli, capsys):
    with start_run("mine"):
        pass
    with sqlite3.connect(journal_file) as db:
        db.execute("UPDATE schema_version SET version = 99")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself
    db.close()
    before = hashlib.sha256(journal_file.read_bytes()).hexdigest()
    assert cli(["runs"]) == 1
    err = capsys.readouterr().err
    assert "newer scratchish" in err and "version 99" in err and "pip install -U" in err
    with pytest.warns(JournalWarning, match="newer"):
        with start_run("refused") as run:
            run.log_epoch(1, {"loss": 1.0})
    assert run.id is None
    assert hashlib.sha256(journal_file.read_bytes()).hexdigest() == before


def test_another_sqlite_database_is_not_taken_for_a_journal(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
    db.close()
    with pytest.raises(JournalError, match="not a scratchish journal"):
        Journal(path)


def test_an_exception_in_training_marks_the_run_failed(journal_file, make_learner, journal_of):
    class Boom:
        order = 0

        def after_epoch(self, learn):
            if learn.epoch == 1:
                raise RuntimeError("out of patience")

    learn = make_learner(cbs=[Boom()])
    journal_of(learn)
    with pytest.raises(RuntimeError):
        learn.fit(5, 0.05)
    (run,) = runs()
    assert run.status == "failed" and "RuntimeError: out of patience" in run.error
    assert len(run.epochs) == 1  # epoch 2 raised (Boom, order 0) before the journal saw it


def test_ctrl_c_marks_the_run_interrupted(journal_file, make_learner, journal_of):
    class CtrlC:
        order = 0

        def after_batch(self, learn):
            if learn.epoch == 1 and learn.iter == 2:
                learn._stop_requested = True  # what the Learner's Ctrl-C handler does

    learn = make_learner(cbs=[CtrlC()])
    journal_of(learn)
    learn.path = journal_file.parent
    learn.fit(5, 0.05)
    (run,) = runs()
    assert run.status == "interrupted" and len(run.epochs) == 1
