"""`runs rerun`: a repeated run gives the same metrics bit for bit, or says why it cannot."""

import copy
import csv
import json
import sqlite3
import textwrap

import numpy as np
import pytest

from scratchish.journal import Journal, runs
from scratchish.journal.rerun import compare_metrics, what_changed

SCRIPT = textwrap.dedent(
    """
    # a hand-written loop recorded with the plain API; the data is read from data.npy
    import sys
    import numpy as np
    import scratchish as sh

    sh.manual_seed(int(sys.argv[1]))
    data = np.load("data.npy")
    x, y = sh.from_numpy(data[:, :3]), sh.from_numpy(data[:, 3:])
    model = sh.nn.Sequential(sh.nn.Linear(3, 8), sh.nn.Tanh(), sh.nn.Linear(8, 1))
    opt = sh.optim.Adam(model.parameters(), lr=0.05)
    with sh.journal.start_run("script", {"seed": int(sys.argv[1])}, model=model, optimizer=opt,
                              data=[x, y]) as run:
        for epoch in range(1, 6):
            perm = sh.randperm(len(x))
            for i in range(0, len(x), 16):
                idx = perm[i : i + 16]
                loss = sh.nn.functional.mse_loss(model(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            run.log_epoch(epoch, {"train_loss": loss.item()})
    """
)


def _write_table(path, n=150):
    rng = np.random.default_rng(0)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x1", "x2", "color", "label"])
        for _ in range(n):
            x1, x2, color = rng.normal(), rng.normal(), rng.choice(["red", "green", "blue"])
            label = "yes" if x1 + (color == "red") > 0.3 else "no"
            writer.writerow([f"{x1:.3f}", f"{x2:.3f}", color, label])
    return path


def test_a_scratchish_train_run_reruns_identically_bit_for_bit(journal_file, recording, cli,
                                                                capsys):  # fmt: skip
    table = _write_table(journal_file.parent / "table.csv")
    argv = ["train", "table.csv", "--target", "label", "--epochs", "3", "--lr", "0.01",
            "--seed", "3", "--out", "first", "--no-bars"]  # fmt: skip
    assert cli(argv) == 0
    (original,) = runs()
    assert original.source["kind"] == "scratchish train"
    assert original.source["command"]["args"]["seed"] == 3
    assert original.source["command"]["args"]["data"] == "table.csv"
    capsys.readouterr()

    assert cli(["runs", "rerun", str(original.id)]) == 0
    out = capsys.readouterr().out
    assert "identical: all 12 metric values of 3 epochs are equal bit for bit" in out
    repeat, first = runs()
    assert first.id == original.id and repeat.rerun_of == original.id
    assert compare_metrics(first, repeat) == []
    assert [e["metrics"] for e in repeat.epochs] == [e["metrics"] for e in original.epochs]
    assert (journal_file.parent / "runs" / f"rerun-of-{original.id}" / "model.safetensors").exists()
    assert table.exists()


def _script_run(tmp_path, cli, seed=0):
    (tmp_path / "train.py").write_text(SCRIPT)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-1.0], [0.5]], dtype=np.float32)).astype(np.float32)
    np.save(tmp_path / "data.npy", np.concatenate([x, y], axis=1))
    import subprocess
    import sys

    subprocess.run([sys.executable, "train.py", str(seed)], cwd=tmp_path, check=True)


def test_a_script_run_reruns_identically(journal_file, cli, capsys):
    _script_run(journal_file.parent, cli)
    (original,) = runs()
    assert original.source["kind"] == "script" and original.source["argv"][1:] == ["0"]
    assert cli(["runs", "rerun", "1"]) == 0
    assert "identical: all 5 metric values" in capsys.readouterr().out
    assert runs()[0].rerun_of == 1


def test_a_rerun_on_changed_data_says_the_data_changed(journal_file, cli, capsys):
    _script_run(journal_file.parent, cli)
    data = np.load(journal_file.parent / "data.npy")
    data[0, 0] += 1.0
    np.save(journal_file.parent / "data.npy", data)
    assert cli(["runs", "rerun", "1"]) == 1
    out = capsys.readouterr().out
    assert "different: the metrics did not come out the same" in out
    assert "epoch 1 train_loss" in out
    assert "the data changed: fingerprint" in out


def test_what_changed_names_versions_code_and_script(journal_file, cli):
    _script_run(journal_file.parent, cli)
    (run,) = runs()
    other = copy.deepcopy(run)
    other.environment.update(numpy="1.0.0", python="2.7.18")
    other.environment["git"] = {"commit": "abc", "dirty": True}
    reasons = what_changed(run, other)
    assert "numpy was" in reasons[0] + reasons[1] and "is now 1.0.0" in " ".join(reasons)
    assert any("python was" in r for r in reasons)
    assert any("your project was at commit" in r for r in reasons)
    (journal_file.parent / "train.py").write_text(SCRIPT + "\n# edited\n")
    assert any("was edited since" in r for r in what_changed(run, run))


def test_a_notebook_run_cannot_be_rerun_and_says_why(journal_file, cli, capsys):
    from scratchish.journal import start_run

    with start_run("nb", {"seed": 42}):
        pass
    with sqlite3.connect(journal_file) as db:
        source = {"kind": "notebook", "notebook": "lesson3.ipynb", "argv": [], "cwd": "/"}
        db.execute("UPDATE runs SET source = ?", (json.dumps(source),))
    db.close()
    assert cli(["runs", "rerun", "1"]) == 2
    err = capsys.readouterr().err
    assert "notebook 'lesson3.ipynb'" in err and "seed (42)" in err


def test_compare_metrics_is_bit_exact():
    from scratchish.journal import Run

    a, b = Run("a"), Run("b")
    for run, v in ((a, 0.1 + 0.2), (b, 0.3)):
        run.log_epoch(1, {"loss": v, "acc": float("nan")})
    (difference,) = compare_metrics(a, b)
    assert "epoch 1 loss" in difference and "5.55e-17" in difference
    b.log_epoch(1, {"loss": 0.1 + 0.2, "acc": float("nan")})
    assert compare_metrics(a, b) == []


def test_rerun_of_an_unknown_run(journal_file, cli, capsys):
    with Journal(journal_file, create=True):
        pass
    assert cli(["runs", "rerun", "5"]) == 2
    assert "no run 5" in capsys.readouterr().err


@pytest.fixture(autouse=True)
def _quiet_matplotlib(monkeypatch, tmp_path):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
