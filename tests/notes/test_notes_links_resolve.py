"""run:ID links resolve to the experiment journal and sh:name links to the source: `notes list
--broken` reports runs the journal does not hold, the mind map shows each run's name, status
and final metrics and each name's file and line, and no journal is never a crash.

Every test makes its own journal with sh.journal.start_run and points SCRATCHISH_JOURNAL at
it (tests/conftest.py turns the journal off for the rest of the suite).
"""

import argparse
import inspect
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import scratchish as sh
from scratchish.notes.cli_commands import register
from scratchish.notes.mindmap import build_graph, render_mindmap, write_mindmap
from scratchish.notes.store import NotesStore, look_up_runs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EVIL_NAME = "<script>window.__pwned = 1</script>evil"


@pytest.fixture
def journal(tmp_path, monkeypatch):
    """A journal holding run 1 (finished), run 2 (failed, nan loss) and run 3 (an evil name),
    named by SCRATCHISH_JOURNAL; the working folder is tmp_path."""
    path = tmp_path / "journal.db"
    monkeypatch.setenv("SCRATCHISH_JOURNAL", str(path))
    monkeypatch.chdir(tmp_path)
    with sh.journal.start_run("digits-cnn", {"lr": 0.1}) as run:
        run.log_epoch(1, {"train_loss": 0.9, "valid_loss": 0.8, "accuracy": 0.71})
        run.log_epoch(2, {"train_loss": 0.4, "valid_loss": 0.35, "accuracy": 0.9375})
    assert run.id == 1
    with pytest.raises(RuntimeError), sh.journal.start_run("too-fast", {"lr": 50.0}) as run:
        run.log_epoch(1, {"train_loss": float("nan")})
        raise RuntimeError("the loss became nan")
    with sh.journal.start_run(EVIL_NAME) as run:
        run.log_epoch(1, {"train_loss": 1.0})
    return path


@pytest.fixture
def store(tmp_path):
    return NotesStore(tmp_path / "notes")


@pytest.fixture
def cli(tmp_path, capsys):
    """cli("list", "--broken") -> (exit code, stdout, stderr): `scratchish notes ...`."""
    parser = argparse.ArgumentParser(prog="scratchish")
    register(parser.add_subparsers())

    def run_command(*argv):
        args = parser.parse_args(["notes", *argv])
        code = args.handler(args)
        out, err = capsys.readouterr()
        return code, out, err

    return run_command


def note_node(graph, title):
    return next(n for n in graph["nodes"] if n["kind"] == "note" and n["title"] == title)


def page_data(page: str) -> dict:
    """The graph embedded in the page, read as strict JSON (no NaN, which JSON.parse refuses)."""
    block = page.split('type="application/json">')[1].split("</script>")[0]
    assert "<" not in block and ">" not in block
    return json.loads(block, parse_constant=lambda name: pytest.fail(f"{name} in the page data"))


# --- notes list --broken ------------------------------------------------------------------------


def test_runs_missing_from_the_journal_are_broken(journal, store):
    store.new("CNN", "Trained in run:1 and run:2; run:99 was deleted; run:abc is a typo.")
    broken = store.broken_links()
    assert [(b.note, b.link) for b in broken] == [("CNN", "run:99"), ("CNN", "run:abc")]
    assert "no run 99" in broken[0].reason and str(journal) in broken[0].reason
    assert "not a run id" in broken[1].reason
    assert not any(b.reason.endswith("]") for b in broken)  # no "[journal]" code in a reason


def test_cli_broken_finds_the_journal_the_usual_ways(journal, store, cli, tmp_path, monkeypatch):
    store.new("CNN", "run:1 run:7 [[Nowhere]]")
    code, out, _ = cli("list", "--broken")  # $SCRATCHISH_JOURNAL
    assert code == 0
    assert "CNN: run:7: no run 7" in out and "CNN: [[Nowhere]]" in out
    assert "run:1" not in out and "2 broken links." in out

    # --journal PATH, after `list` or before it, wins over the environment variable
    other = tmp_path / "other.db"
    with sh.journal.start_run("only-run", journal=other) as run:
        run.log_epoch(1, {"train_loss": 0.5})
    monkeypatch.setenv("SCRATCHISH_JOURNAL", str(tmp_path / "missing.db"))
    for argv in (["list", "--broken", "--journal", str(other)],
                 ["--journal", str(other), "list", "--broken"]):  # fmt: skip
        code, out, _ = cli(*argv)
        assert code == 0 and "CNN: run:7: no run 7" in out and "not checked" not in out

    # the nearest .scratchish/journal.db, as `scratchish runs` finds it
    monkeypatch.delenv("SCRATCHISH_JOURNAL")
    with sh.journal.start_run("nearest", journal=tmp_path / ".scratchish" / "journal.db") as run:
        run.log_epoch(1, {"train_loss": 0.5})
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    code, out, _ = cli("--dir", str(store.folder), "list", "--broken")
    assert code == 0 and "CNN: run:7: no run 7" in out and "run:1" not in out


def test_without_a_journal_run_links_are_unchecked_not_a_crash(store, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCRATCHISH_JOURNAL", str(tmp_path / "no-journal-here.db"))
    store.new("CNN", "run:1 and run:2")
    assert store.broken_links() == []  # nothing to check against: not reported as broken
    lookup = store.check_run_links()
    assert lookup.journal is None and "no journal at" in lookup.problem
    assert {i: r["found"] for i, r in lookup.runs.items()} == {"1": False, "2": False}
    code, out, _ = cli("list", "--broken")
    assert code == 0
    assert "0 broken links." in out and "2 run: links not checked: no journal at" in out


def test_a_damaged_journal_is_reported_not_raised(store, tmp_path, monkeypatch):
    bad = tmp_path / "journal.db"
    bad.write_bytes(b"this is not an SQLite file" * 100)
    monkeypatch.setenv("SCRATCHISH_JOURNAL", str(bad))
    store.new("CNN", "run:1")
    lookup = store.check_run_links()
    assert "damaged" in lookup.problem and not lookup.runs["1"]["found"]
    graph = build_graph(store)
    assert "damaged" in note_node(graph, "CNN")["run_info"]["1"]["reason"]
    assert bad.read_bytes() == b"this is not an SQLite file" * 100  # left as it was


def test_no_run_links_means_the_journal_is_not_opened(store, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the journal was opened")

    monkeypatch.setattr("scratchish.notes.store.open_journal", refuse)
    store.new("Plain", "no runs here [[softmax]]")
    assert store.broken_links() == [] and look_up_runs([]).runs == {}
    assert note_node(build_graph(store), "Plain")["run_info"] == {}


# --- the mind map -------------------------------------------------------------------------------


def test_map_shows_each_runs_name_status_and_final_metrics(journal, store):
    store.new("CNN", "The good one: run:1. The one that blew up: run:2. Gone: run:42.")
    page = render_mindmap(store)
    node = note_node(page_data(page), "CNN")
    assert node["runs"] == ["1", "2", "42"]
    good, blew_up, gone = (node["run_info"][i] for i in ("1", "2", "42"))
    assert good == {
        "id": "1",
        "found": True,
        "run_id": 1,
        "name": "digits-cnn",
        "status": "finished",
        "final_metrics": {"train_loss": 0.4, "valid_loss": 0.35, "accuracy": 0.9375},
    }
    assert (blew_up["name"], blew_up["status"]) == ("too-fast", "failed")
    assert blew_up["final_metrics"] == {"train_loss": "nan"}  # JSON has no NaN
    assert gone["found"] is False and "no run 42" in gone["reason"]


def test_a_run_name_is_escaped_like_the_rest_of_the_page(journal, store):
    store.new("Evil run", "run:3")
    page = render_mindmap(store)
    assert page.count("<script") == 2  # only the page's own two
    assert note_node(page_data(page), "Evil run")["run_info"]["3"]["name"] == EVIL_NAME


def test_map_without_a_journal_shows_runs_unresolved(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCRATCHISH_JOURNAL")  # found the usual way: and there is none
    if sh.journal.find_journal() is not None:
        pytest.skip(f"a journal exists above the test folder: {sh.journal.find_journal()}")
    store.new("CNN", "run:1")
    node = note_node(page_data(render_mindmap(store)), "CNN")
    assert node["run_info"]["1"]["found"] is False
    assert "no journal found" in node["run_info"]["1"]["reason"]


def test_cli_map_uses_the_journal_option(journal, store, cli, tmp_path, monkeypatch):
    store.new("CNN", "run:1")
    monkeypatch.setenv("SCRATCHISH_JOURNAL", str(tmp_path / "missing.db"))
    code, out, _ = cli("map", "--journal", str(journal))
    assert code == 0 and "mindmap.html" in out
    page = (store.folder / "mindmap.html").read_text(encoding="utf-8")
    assert note_node(page_data(page), "CNN")["run_info"]["1"]["name"] == "digits-cnn"


def test_library_links_resolve_to_the_source_file_and_line(store):
    store.new("Layers", "sh:nn.Linear sh:Tensor.backward sh:Tensor.shape sh:float32 sh:nn.Nope")
    sources = note_node(build_graph(store), "Layers")["sources"]
    for name, obj in [
        ("nn.Linear", sh.nn.Linear),
        ("Tensor.backward", sh.Tensor.backward),
        ("Tensor.shape", sh.Tensor.shape.fget),  # a property: its getter
    ]:
        source = sources[name]
        assert source["file"] == str(Path(inspect.getsourcefile(obj)).resolve())
        assert source["line"] == inspect.getsourcelines(obj)[1]
        assert source["where"].startswith("scratchish/")
        assert source["file"].endswith(source["where"].split(":")[0])
        with open(source["file"], encoding="utf-8") as f:
            defined = f.read().splitlines()[source["line"] - 1]
        short = name.rsplit(".", 1)[-1]
        assert re.search(rf"^\s*(class|def) {short}\b", defined) or "@" in defined, defined
    assert sources["float32"]["file"] is None and "no Python source" in sources["float32"]["reason"]
    assert sources["nn.Nope"]["file"] is None and "no such name" in sources["nn.Nope"]["reason"]
    assert [b.link for b in store.broken_links()] == ["sh:nn.Nope"]


# --- in the browser -----------------------------------------------------------------------------


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_clicked_note_shows_its_runs_and_sources(journal, store, tmp_path):
    store.new("CNN", "run:1 run:2 run:3 run:42 sh:nn.Linear [[softmax]]")
    page = write_mindmap(store)
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,800",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri() + "#selftest",  # the page clicks the note and reports (mindmap.js)
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    found = re.search(r'<pre id="selftest-result">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no self-test result in the page; stderr: {done.stderr[-2000:]}"
    text = found.group(1)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        text = text.replace(entity, char)
    result = json.loads(text)
    assert result["clicked"] == "CNN"
    panel = result["panel_text"]
    assert "run:1 digits-cnn finished" in panel
    assert "train_loss 0.4, valid_loss 0.35, accuracy 0.9375" in panel
    assert "run:2 too-fast failed" in panel and "train_loss nan" in panel
    assert f"run:3 {EVIL_NAME}" in panel  # shown as text
    assert "run:42 (unresolved): no run 42" in panel
    line = inspect.getsourcelines(sh.nn.Linear)[1]
    assert f"sh:nn.Linear in scratchish/nn/linear.py:{line}" in panel
    assert f"{inspect.getsourcefile(sh.nn.Linear)}, line {line}" in panel
    assert result["unsafe_elements"] == 0 and result["pwned"] is None
