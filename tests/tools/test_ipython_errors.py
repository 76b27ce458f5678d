"""Calm scratchish errors in IPython, tested through IPython's own shell (no browser)."""

import pytest

IPython = pytest.importorskip("IPython")
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

import scratchish as sh  # noqa: E402
from scratchish.tools import ipython as calm  # noqa: E402


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    calm.install(ip)
    ip.run_cell("import scratchish as sh")
    yield ip
    calm.uninstall(ip)
    ip.InteractiveTB.set_mode("Context")


def test_a_scratchish_error_is_explained_calmly(shell, capsys):
    result = shell.run_cell("x = sh.ones(2, 3)\ny = x @ sh.ones(4, 5)")
    out = capsys.readouterr()
    assert isinstance(result.error_in_exec, sh.ShapeError)  # the cell still failed
    text = out.out
    assert text.startswith("ShapeError [shape-mismatch]: shapes that do not fit together.")
    for part in (
        "What happened",
        "Where",
        "y = x @ sh.ones(4, 5)",
        "Likely cause",
        "What to try",
        "Read about",
        "%tb",
    ):
        assert part in text
    assert "Traceback" not in text + out.err


def test_the_full_traceback_is_available_on_request(shell, capsys):
    shell.run_cell("sh.ones(2, 3) @ sh.ones(4, 5)")
    capsys.readouterr()
    full = calm.last_traceback()
    assert full.startswith("Traceback (most recent call last)") and "autograd.py" in full
    assert repr(full) == str(full)  # shows as text when a cell returns it
    shell.run_line_magic("tb", "")
    shown = capsys.readouterr().out
    assert "ShapeError" in shown and "autograd.py" in shown


def test_xmode_minimal_and_verbose(shell, capsys):
    shell.run_line_magic("xmode", "Minimal")
    capsys.readouterr()
    shell.run_cell("sh.ones(2, 3) @ sh.ones(4, 5)")
    minimal = capsys.readouterr().out
    assert minimal.startswith("ShapeError: matmul") and len(minimal.splitlines()) == 1
    shell.run_line_magic("xmode", "Verbose")
    capsys.readouterr()
    shell.run_cell("sh.ones(2, 3) @ sh.ones(4, 5)")
    verbose = capsys.readouterr().out
    assert "What to try" in verbose and "Full traceback:" in verbose


def test_other_errors_keep_the_usual_traceback(shell, capsys):
    result = shell.run_cell("1 / 0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    out = capsys.readouterr()
    assert "ZeroDivisionError" in out.out + out.err and "What to try" not in out.out


def test_uninstall_restores_ipython_tracebacks(shell, capsys):
    calm.uninstall(shell)
    shell.run_cell("sh.ones(2, 3) @ sh.ones(4, 5)")
    out = capsys.readouterr()
    assert "What to try" not in out.out and "ShapeError" in out.out + out.err


def test_enable_outside_ipython_says_where_it_works(monkeypatch):
    monkeypatch.setattr(InteractiveShell, "_instance", None)
    with pytest.raises(sh.UnsupportedError, match="inside IPython or Jupyter"):
        calm.enable()
