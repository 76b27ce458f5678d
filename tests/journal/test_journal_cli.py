"""`scratchish runs ...` on runs made by real small trainings (Learner.fit and fit_one_cycle)."""

import csv
import io
import json
import math
import re

import pytest

import scratchish as sh
from scratchish.journal import runs


@pytest.fixture
def three_runs(journal_file, recording, make_learner):
    """Three small trainings: SGD-like constant lr, one cycle, and another seed."""
    a = make_learner(seed=0)
    a.fit(3, 0.05)
    b = make_learner(seed=0)
    b.fit_one_cycle(4, 0.05)
    c = make_learner(seed=1, n=320)
    c.fit(2, 0.1)
    return [a, b, c]


def test_each_fit_is_a_run_with_the_learners_settings(three_runs):
    newest, middle, oldest = runs()
    assert [r.id for r in (oldest, middle, newest)] == [1, 2, 3]
    assert [len(r.epochs) for r in (oldest, middle, newest)] == [3, 4, 2]
    assert all(r.status == "finished" for r in (oldest, middle, newest))
    a = three_runs[0]
    assert a.run.id == 1 and a.run.history("valid_loss") == [v[2] for v in a.recorder.values]
    assert oldest.history("accuracy") == [v[3] for v in a.recorder.values]
    assert oldest.config["lr_schedule"] == {"policy": "constant", "lr": 0.05}
    assert middle.config["lr_schedule"]["policy"] == "one_cycle"
    assert oldest.config["model"]["n_params"] == 4 * 16 + 16 + 16 * 2 + 2
    assert "Linear(in_features=4, out_features=16" in oldest.config["model"]["structure"]
    assert oldest.config["optimizer"]["class"] == "Adam"
    assert oldest.config["batch_size"] == 32 and oldest.config["epochs"] == 3
    assert oldest.config["seed"] == 0 and newest.config["seed"] == 1
    assert oldest.config["data"]["n_train"] == 204
    assert oldest.data_fingerprint == middle.data_fingerprint != newest.data_fingerprint
    assert all(e["seconds"] > 0 for e in oldest.epochs)


def test_lr_find_is_not_a_run(journal_file, recording, make_learner):
    learn = make_learner()
    learn.lr_find(num_it=10, show=False)
    assert runs() == []
    learn.fit(1, 0.05)
    assert len(runs()) == 1


def test_list_is_newest_first_and_filters(three_runs, cli, capsys):
    assert cli(["runs"]) == 0
    out = capsys.readouterr().out
    ids = re.findall(r"^(\d+)\s+\d{4}-", out, re.M)
    assert ids == ["3", "2", "1"]
    assert "finished" in out and "valid_loss" in out and "3 runs in" in out
    assert cli(["runs", "tag", "2", "best", "one-cycle"]) == 0
    assert cli(["runs", "list", "--tag", "best"]) == 0
    out = capsys.readouterr().out
    assert re.findall(r"^(\d+)\s+\d{4}-", out, re.M) == ["2"]
    assert cli(["runs", "--status", "failed"]) == 0
    assert "no runs matching --status failed" in capsys.readouterr().out
    fingerprint = runs()[0].data_fingerprint[:10]
    assert cli(["runs", "list", "--data", fingerprint]) == 0
    assert re.findall(r"^(\d+)\s+\d{4}-", capsys.readouterr().out, re.M) == ["3"]


def test_an_empty_listing_says_where_it_looked_and_what_it_found(tmp_path, monkeypatch, cli,
                                                                 capsys):  # fmt: skip
    monkeypatch.delenv("SCRATCHISH_JOURNAL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    here = tmp_path / "work" / "project"
    here.mkdir(parents=True)
    for folder in [tmp_path / "work" / "sibling", here / "sub" / "deeper"]:
        folder.mkdir(parents=True)
        with sh.journal.start_run("elsewhere", journal=folder / ".scratchish" / "journal.db"):
            pass
    monkeypatch.chdir(here)
    assert cli(["runs"]) == 0
    out = capsys.readouterr().out
    assert f"looked for .scratchish/journal.db in {here}" in out
    assert "every folder above it" in out
    assert str(tmp_path / "work" / "sibling" / ".scratchish" / "journal.db") in out
    assert str(here / "sub" / "deeper" / ".scratchish" / "journal.db") in out
    assert "(1 runs)" in out and "--journal PATH" in out


def test_show_prints_everything_about_a_run(three_runs, cli, capsys):
    assert cli(["runs", "note", "1", "lr 0.05 is fine"]) == 0
    assert cli(["runs", "show", "1"]) == 0
    out = capsys.readouterr().out
    for text in ["run #1", "[finished]", "model: Sequential, 114 parameters", "optimizer: Adam",
                 "batch_size: 32", "seed: 0", "fingerprint", "NumPy", "epoch  train_loss",
                 "lr 0.05 is fine", "model structure:"]:  # fmt: skip
        assert text in out, text
    assert cli(["runs", "show", "99"]) == 1
    assert "no run 99" in capsys.readouterr().err
    assert cli(["runs", "show", "last"]) == 0
    assert "run #3" in capsys.readouterr().out


def test_compare_lines_up_the_settings_that_differ_and_plots(three_runs, cli, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out_png = tmp_path / "cmp.png"
    assert cli(["runs", "compare", "1", "3", "--out", str(out_png)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith("seed") and " 0 " in line and line.rstrip().endswith("1")
               for line in lines)  # fmt: skip
    assert any(line.startswith("data.fingerprint") for line in lines)
    assert any(line.startswith("data.n_train") for line in lines)
    assert not any(line.startswith("model.class") for line in lines)  # the same: not shown
    assert "valid_loss" in out and out_png.read_bytes()[:4] == b"\x89PNG"
    assert cli(["runs", "compare", "1", "3", "--all", "--no-plot"]) == 0
    assert "model.class" in capsys.readouterr().out


def test_compare_without_matplotlib_still_prints_the_table(three_runs, cli, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    assert cli(["runs", "compare", "1", "2"]) == 0
    out = capsys.readouterr().out
    assert "lr_schedule.policy" in out and "pip install 'scratchish[plot]'" in out


def test_note_tag_untag_delete(three_runs, cli, capsys, monkeypatch):
    assert cli(["runs", "tag", "1", "a", "b"]) == 0
    assert cli(["runs", "tag", "1", "a", "--remove"]) == 0
    assert runs()[-1].tags == ["b"]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no question asked
    assert cli(["runs", "delete", "1"]) == 1
    assert "add --yes" in capsys.readouterr().err and len(runs()) == 3
    assert cli(["runs", "delete", "1", "--yes"]) == 0
    assert [r.id for r in runs()] == [3, 2]
    assert cli(["runs", "note", "1", "gone"]) == 1


def test_export_csv_and_json(three_runs, cli, capsys, tmp_path):
    assert cli(["runs", "export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 2 + 4 + 3  # one per epoch
    first = [r for r in rows if r["run_id"] == "1"]
    assert [float(r["valid_loss"]) for r in first] == runs()[-1].history("valid_loss")
    assert cli(["runs", "export", "--format", "json", "--out", str(tmp_path / "r.json")]) == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert [d["id"] for d in data] == [3, 2, 1]
    assert data[2]["epochs"][0]["metrics"]["accuracy"] == runs()[-1].history("accuracy")[0]


def test_export_json_is_standard_even_with_nan(journal_file, cli, capsys):
    with sh.journal.start_run("nan") as run:
        run.log_epoch(1, {"valid_loss": math.nan})
    assert cli(["runs", "export", "--format", "json"]) == 0
    text = capsys.readouterr().out
    assert "NaN" not in text and json.loads(text)[0]["epochs"][0]["metrics"]["valid_loss"] is None


def test_journal_option_before_or_after_the_subcommand(three_runs, cli, capsys, monkeypatch,
                                                       journal_file):  # fmt: skip
    monkeypatch.setenv("SCRATCHISH_JOURNAL", "/nonexistent/journal.db")
    assert cli(["runs", "--journal", str(journal_file)]) == 0
    assert "3 runs in" in capsys.readouterr().out
    assert cli(["runs", "show", "2", "--journal", str(journal_file)]) == 0
    assert cli(["runs", "show", "2"]) == 1
    assert "no journal at /nonexistent/journal.db" in capsys.readouterr().err


def test_early_stopping_keeps_the_last_epoch(journal_file, recording, make_learner):
    from scratchish.learner import EarlyStoppingCallback

    learn = make_learner()
    learn.fit(30, 0.5, cbs=[EarlyStoppingCallback("valid_loss", patience=1, min_delta=10.0)])
    (run,) = runs()
    assert run.status == "finished" and len(run.epochs) == len(learn.recorder.values) == 2


def test_a_diverging_training_is_recorded_as_failed(journal_file, recording, make_learner):
    from scratchish.learner import TrainingDivergedError

    learn = make_learner()
    learn.loss_func = lambda pred, y: pred.mean() * float("nan")  # NaNGuard stops this
    with pytest.raises(TrainingDivergedError):
        learn.fit(3, 0.05)
    (run,) = runs()
    assert run.status == "failed" and "TrainingDivergedError" in run.error


def test_where_a_run_came_from_notebook_or_command(monkeypatch):
    import sys
    import types

    from scratchish.journal.record import source

    class Shell:
        config = {"IPKernelApp": {}}
        user_ns = {"__vsc_ipynb_file__": "/home/me/lesson.ipynb"}

    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=Shell))
    assert source()["kind"] == "notebook" and source()["notebook"] == "/home/me/lesson.ipynb"
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    monkeypatch.setattr(sys, "argv", ["/usr/bin/scratchish", "train", "--epochs", "2"])
    assert source() == {"kind": "command", "argv": sys.argv, "cwd": source()["cwd"]}


def test_git_commit_and_dirty_flag(tmp_path):
    import shutil
    import subprocess

    from scratchish.journal.record import git_state

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert git_state(tmp_path) is None  # not a repository
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "a.py").write_text("x = 1\n")
    subprocess.run([*git, "add", "a.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    state = git_state(tmp_path)
    assert len(state["commit"]) == 40 and state["dirty"] is False
    (tmp_path / "new.txt").write_text("untracked files do not count")
    assert git_state(tmp_path)["dirty"] is False
    (tmp_path / "a.py").write_text("x = 2\n")
    assert git_state(tmp_path)["dirty"] is True
