"""`runs report` (one HTML page, opened offline in headless Chromium) and `runs tensorboard`."""

import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser

import pytest

import scratchish as sh
from scratchish.journal import runs
from scratchish.journal.report import nice_ticks, report_html, svg_chart


@pytest.fixture
def trained(journal_file, recording, make_learner):
    """Four runs: three real trainings and a one-epoch run with a NaN metric."""
    for seed, n_epochs in [(0, 3), (1, 4), (2, 2)]:
        make_learner(seed=seed).fit(n_epochs, 0.05)
    with sh.journal.start_run("one <b>epoch</b>") as run:  # a name that must be escaped
        run.log_epoch(1, {"train_loss": 0.5, "valid_loss": float("nan")})
    return runs()


class Curves(HTMLParser):
    """Counts, per <section class="run">, the <path class="curve"> elements inside it."""

    def __init__(self):
        super().__init__()
        self.sections, self.current = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "run" in attrs.get("class", ""):
            self.current = attrs["data-run-id"]
            self.sections[self.current] = {"expected": int(attrs["data-curves"]), "paths": []}
        elif tag == "path" and attrs.get("class") == "curve" and self.current is not None:
            self.sections[self.current]["paths"].append(attrs)

    def handle_endtag(self, tag):
        if tag == "section":
            self.current = None


def _check_curves(page: str, all_runs) -> None:
    parser = Curves()
    parser.feed(page)
    assert sorted(parser.sections) == sorted(str(r.id) for r in all_runs)
    for run in all_runs:
        section = parser.sections[str(run.id)]
        finite = [n for n in run.metric_names if any(v == v for v in run.history(n))]
        assert [p["data-metric"] for p in section["paths"]] == [
            n for n in finite if "loss" in n
        ] + [n for n in finite if "loss" not in n]
        assert len(section["paths"]) == section["expected"]
        for p in section["paths"]:
            points = re.findall(r"[ML]([\d.]+),([\d.]+)", p["d"])
            assert len(points) == sum(v == v for v in run.history(p["data-metric"]))


def test_the_report_has_every_runs_curves(trained, cli, capsys, tmp_path):
    out = tmp_path / "report.html"
    assert cli(["runs", "report", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    page = out.read_text()
    _check_curves(page, trained)
    assert "one &lt;b&gt;epoch&lt;/b&gt;" in page and "<b>epoch</b>" not in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page


def test_the_report_opens_offline_in_headless_chromium(trained, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    page = tmp_path / "report.html"
    page.write_text(report_html(trained, "journal.db"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip
    dom = subprocess.run([chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<svg" in dom.stdout
    _check_curves(dom.stdout, trained)  # the DOM Chromium built from the page
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, *flags, f"--screenshot={shot}", "--window-size=1000,1400",
                    page.as_uri()], capture_output=True, timeout=60)  # fmt: skip
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1000, 1400)


def test_an_empty_journal_gives_a_page_that_says_so(journal_file):
    assert "No runs recorded yet." in report_html([], "journal.db")


def test_svg_chart_breaks_lines_at_nan_and_shows_single_points():
    svg = svg_chart({"a": [(1, 1.0), (2, float("nan")), (3, 2.0), (4, 3.0)]}, "t")
    (d,) = re.findall(r' d="([^"]+)"', svg)
    assert d.count("M") == 2 and d.count("L") == 1
    assert svg.count("<circle") == 3
    assert "no values recorded" in svg_chart({"a": [(1, float("nan"))]}, "t")
    assert nice_ticks(0.13, 0.92) == [0.2, 0.4, 0.6, 0.8]
    assert nice_ticks(1.0, 1.0)[0] <= 1.0


def _scalars(folder):
    """(tag, step, value) of every scalar in the event files of `folder`."""
    from tensorboardX.proto import event_pb2

    found = []
    for path in folder.glob("events.out.tfevents.*"):
        data = path.read_bytes()
        offset = 0
        while offset < len(data):  # TFRecord: length u64, crc u32, payload, crc u32
            (length,) = struct.unpack("<Q", data[offset : offset + 8])
            payload = data[offset + 12 : offset + 12 + length]
            offset += 12 + length + 4
            event = event_pb2.Event.FromString(payload)
            for v in event.summary.value:
                if v.HasField("simple_value"):
                    found.append((v.tag, event.step, v.simple_value))
    return found


def test_a_run_exports_to_tensorboard(trained, cli, capsys, tmp_path):
    pytest.importorskip("tensorboardX")
    assert cli(["runs", "tensorboard", "1", "--logdir", str(tmp_path / "tb")]) == 0
    assert "tensorboard --logdir" in capsys.readouterr().out
    (folder,) = (tmp_path / "tb").iterdir()
    assert folder.name.startswith("run-1-")
    run = [r for r in trained if r.id == 1][0]
    got = sorted(_scalars(folder))
    want = sorted((n, e["epoch"], pytest.approx(v, rel=1e-6)) for e in run.epochs
                  for n, v in e["metrics"].items())  # fmt: skip
    assert got == want


def test_tensorboard_without_tensorboardx_says_how_to_install(trained, cli, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import fails as if missing
    assert cli(["runs", "tensorboard", "1"]) == 1
    assert "pip install tensorboardX" in capsys.readouterr().err
