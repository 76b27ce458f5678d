"""The journal without the Learner: the plain API, discovery, the schema and its migrations,
fingerprints, and a hand-written training loop recorded with start_run."""

import json
import math
import os
import sqlite3

import numpy as np
import pytest

import scratchish as sh
from scratchish.journal import Journal, Run, find_journal, runs, start_run
from scratchish.journal.record import data_fingerprint, dataset_arrays
from scratchish.journal.store import MIGRATIONS, SCHEMA_VERSION, journal_path


def test_a_hand_written_training_loop_is_recorded(journal_file):
    sh.manual_seed(0)
    x = sh.randn(128, 3)
    y = x @ sh.tensor([[1.0], [-2.0], [0.5]])
    model = sh.nn.Linear(3, 1)
    opt = sh.optim.SGD(model.parameters(), lr=0.1)
    config = {"batch_size": 128, "epochs": 4, "seed": 0}
    with start_run("linear", config, model=model, optimizer=opt, data=[x, y]) as run:
        for epoch in range(1, 5):
            loss = sh.nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log_epoch(epoch, {"train_loss": loss.item()}, seconds=0.01)
        run.add_artefact(journal_file.parent / "weights.safetensors", "checkpoint")
        run.note("first try")
        run.tag("baseline", "sgd")

    (got,) = runs()
    assert (got.id, got.name, got.status) == (1, "linear", "finished")
    assert got.history("train_loss") == run.history("train_loss")
    assert got.history("train_loss")[-1] < got.history("train_loss")[0]  # it learned
    assert got.config["model"]["n_params"] == 4 and got.config["model"]["class"] == "Linear"
    assert got.config["optimizer"] == {"class": "SGD", **_hyper(opt)}
    assert got.config["seed"] == 0 and got.config["batch_size"] == 128
    assert got.data_fingerprint == data_fingerprint(x, y)
    assert got.artefacts[0]["kind"] == "checkpoint" and got.notes[0]["text"] == "first try"
    assert got.tags == ["baseline", "sgd"]
    assert got.environment["numpy"] == np.__version__
    assert got.environment["python"].count(".") == 2
    assert got.source["cwd"] == os.getcwd() and got.source["argv"]
    assert got.ended >= got.started and got.pid == os.getpid()
    assert got.final_metrics == {"train_loss": run.history("train_loss")[-1]}


def _hyper(opt):
    return {k: v for k, v in opt.param_groups[0].items() if k != "params"}


def test_an_exception_marks_the_run_failed_and_ctrl_c_interrupted(journal_file):
    with pytest.raises(ZeroDivisionError):
        with start_run("bad") as run:
            run.log_epoch(1, {"train_loss": 1.0})
            raise ZeroDivisionError("division by zero")
    with pytest.raises(KeyboardInterrupt):
        with start_run("stopped"):
            raise KeyboardInterrupt
    stopped, bad = runs()
    assert bad.status == "failed" and "ZeroDivisionError" in bad.error
    assert bad.history("train_loss") == [1.0]
    assert stopped.status == "interrupted"


def test_floats_come_back_bit_for_bit_and_nan_stays_nan(journal_file):
    values = [0.1 + 0.2, 1e-300, -0.0, math.pi / 3, float(np.float32(0.7)), math.nan, math.inf]
    with start_run("floats") as run:
        for i, v in enumerate(values, 1):
            run.log_epoch(i, {"v": v})
    got = runs()[0].history("v")
    assert [repr(v) for v in got] == [repr(v) for v in values]
    assert math.copysign(1, got[2]) == -1.0


def test_filters_newest_first_and_last(journal_file):
    for name, tag in [("a", "x"), ("b", "y"), ("c", "x")]:
        with start_run(name, data_name=f"data-{name}", tags=[tag]):
            pass
    assert [r.name for r in runs()] == ["c", "b", "a"]
    assert [r.name for r in runs(tag="x")] == ["c", "a"]
    assert [r.name for r in runs(data="data-b")] == ["b"]
    assert runs(status="failed") == []
    with Journal(journal_file) as journal:
        assert journal.get("last").name == "c"
        journal.delete(2)
        assert [r.name for r in journal.runs()] == ["c", "a"]
        with pytest.raises(LookupError, match="no run 2"):
            journal.get(2)


def test_found_like_git_and_created_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SCRATCHISH_JOURNAL", raising=False)
    deep = tmp_path / "project" / "src" / "deep"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_journal() is None or not str(find_journal()).startswith(str(tmp_path))
    with start_run("here"):
        pass
    made = deep / ".scratchish" / "journal.db"
    assert made.is_file() and (deep / ".scratchish" / ".gitignore").is_file()

    # a journal higher up is found from below, as git finds .git
    top = tmp_path / "project" / ".scratchish" / "journal.db"
    made.parent.rename(top.parent)
    assert find_journal(deep) == top
    with start_run("from below"):
        pass
    assert [r.name for r in runs()] == ["from below", "here"]
    assert not made.exists()

    # the environment variable and an explicit path override; a folder means journal.db in it
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.setenv("SCRATCHISH_JOURNAL", str(other))
    assert journal_path() == other / "journal.db"
    assert journal_path(tmp_path / "x.db") == tmp_path / "x.db"


def test_recording_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCHISH_JOURNAL", "off")
    monkeypatch.chdir(tmp_path)
    with start_run("nowhere") as run:
        run.log_epoch(1, {"loss": 1.0})
    assert run.id is None and run.history("loss") == [1.0]
    assert not (tmp_path / ".scratchish").exists()


def test_an_old_journal_is_migrated_forward_and_backed_up(tmp_path):
    path = tmp_path / "journal.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0][1] + "UPDATE schema_version SET version = 1;")
    db.execute(
        "INSERT INTO runs (name, status, started, config) VALUES ('old', 'finished', 1.0, ?)",
        (json.dumps({"lr": 0.5}),),
    )
    db.execute("INSERT INTO epochs VALUES (1, 1, ?, 0.5, 2.0)", (json.dumps({"loss": 0.25}),))
    db.commit()
    db.close()
    with Journal(path) as journal:
        (run,) = journal.runs()
        version = journal.db.execute("SELECT version FROM schema_version").fetchone()[0]
        assert version == SCHEMA_VERSION
        assert (run.name, run.config, run.history("loss"), run.rerun_of) == (
            "old", {"lr": 0.5}, [0.25], None
        )  # fmt: skip
        journal.set_rerun_of(run.id, 7)  # the column migration 2 added
        assert journal.get(run.id).rerun_of == 7
    assert (tmp_path / "journal.db.v1.bak").is_file()


def test_a_running_run_of_a_dead_process_reads_as_interrupted(journal_file):
    run = start_run("orphan")
    run.log_epoch(1, {"loss": 1.0})
    with Journal(journal_file) as journal:
        journal.db.execute("UPDATE runs SET pid = 999999999 WHERE id = ?", (run.id,))
        got = journal.get(run.id)
        assert got.status == "interrupted" and got.history("loss") == [1.0]
        stored = journal.db.execute("SELECT status FROM runs WHERE id = ?", (run.id,)).fetchone()
        assert stored == ("interrupted",)
        # a live run of this process stays running
        live = start_run("alive")
        assert journal.get(live.id).status == "running"
        live.finish()


def test_a_run_on_another_machine_is_interrupted_when_its_heartbeat_is_stale(journal_file):
    run = start_run("far away")
    with Journal(journal_file) as journal:
        journal.db.execute("UPDATE runs SET host = 'other', heartbeat = 0 WHERE id = ?", (run.id,))
        assert journal.get(run.id).status == "interrupted"
        journal.db.execute(
            "UPDATE runs SET status = 'running', heartbeat = ? WHERE id = ?", (9e12, run.id)
        )
        assert journal.get(run.id).status == "running"


def test_fingerprint_sees_any_change_and_samples_huge_arrays(monkeypatch):
    a = np.arange(1000, dtype=np.float32)
    b = a.copy()
    b[500] += 1
    assert data_fingerprint(a) != data_fingerprint(b)
    assert data_fingerprint(a) != data_fingerprint(a.reshape(10, 100))
    assert data_fingerprint(sh.from_numpy(a)) == data_fingerprint(a)
    from scratchish.journal import record

    monkeypatch.setattr(record, "SAMPLE_ABOVE", 100)
    monkeypatch.setattr(record, "CHUNK_BYTES", 16)
    sampled = data_fingerprint(a)
    assert sampled.startswith("sampled-") and sampled != data_fingerprint(b)


def test_dataset_arrays_reads_tensor_datasets_subsets_and_others():
    x, y = sh.randn(10, 2), sh.arange(10)
    ds = sh.utils.data.TensorDataset(x, y)
    assert [a is b for a, b in zip(dataset_arrays(ds), [x, y])] == [True, True]
    sub = sh.utils.data.Subset(ds, [1, 3])
    assert dataset_arrays(sub)[0].tolist() == [1, 3]

    class Squares:
        def __len__(self):
            return 1000

        def __getitem__(self, i):
            return np.array([i * i])

    arrays = dataset_arrays(Squares(), max_items=5)
    assert [int(a[0]) for a in arrays[1:]] == [0, 249**2, 499**2, 749**2, 999**2]


def test_a_run_in_memory_works_like_a_stored_one():
    run = Run("sketch")
    run.log_epoch(1, {"a": 1.0})
    run.log_epoch(1, {"a": 2.0})  # the same epoch again replaces it
    run.tag("t")
    run.finish()
    assert run.history("a") == [2.0] and run.status == "finished" and run.tags == ["t"]
    with pytest.raises(ValueError, match="status"):
        run.finish("done")


def test_runs_read_back_can_still_be_noted_and_copied(journal_file):
    import copy

    with start_run("later"):
        pass
    (run,) = runs()  # the journal it came from is closed by now
    run.note("looked again")
    run.tag("keep")
    (again,) = runs()
    assert again.notes[0]["text"] == "looked again" and again.tags == ["keep"]
    detached = copy.deepcopy(again)
    detached.tag("only in memory")
    assert runs()[0].tags == ["keep"]


@pytest.mark.parametrize("name", ["record", "store"])
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    import doctest
    import importlib

    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(f"scratchish.journal.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
