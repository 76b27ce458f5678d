"""The command line's answer to a scratchish error: a calm explanation and exit code 1; the
full traceback only with `scratchish --debug ...`.

Every command handles its own expected errors (`runs show 999` prints one line and returns 1),
so a scratchish error reaches cli.main only from a failure nobody planned for. The tests make
`runs show` hit one: a real matmul with shapes that do not fit (a ShapeError).
"""

import pytest

import scratchish as sh
import scratchish.journal.cli_commands as runs_commands
from scratchish.cli import main


@pytest.fixture
def empty_journal(tmp_path, monkeypatch):
    path = tmp_path / "journal.db"
    sh.journal.Journal(path, create=True).close()
    monkeypatch.setenv("SCRATCHISH_JOURNAL", str(path))
    monkeypatch.chdir(tmp_path)
    return path


@pytest.fixture
def failing_show(monkeypatch, empty_journal):
    """`runs show` fails with a ShapeError from deep inside the library."""

    def show_that_fails(args):
        return sh.randn(2, 3) @ sh.randn(4, 5)

    # register() looks the handler up when the parser is built, so main() gets this one
    monkeypatch.setattr(runs_commands, "runs_show", show_that_fails)


def test_a_command_handles_its_own_expected_errors(empty_journal, capsys):
    assert main(["runs", "show", "999"]) == 1
    out, err = capsys.readouterr()
    assert "no run 999" in err and "Traceback" not in err and out == ""


def test_without_debug_a_calm_explanation_and_no_traceback(failing_show, capsys):
    assert main(["runs", "show", "1"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("ShapeError [shape-mismatch]")
    for part in ("What happened", "matmul: (2, 3) @ (4, 5)", "Likely cause", "What to try"):
        assert part in err
    assert "Run again as `scratchish --debug COMMAND ...` for the full traceback." in err
    assert "Traceback" not in err and "show_that_fails" not in err


def test_with_debug_the_full_traceback_too(failing_show, capsys):
    assert main(["--debug", "runs", "show", "1"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    explanation, _, traceback = err.partition("Full traceback (--debug):")
    assert "What happened" in explanation and "matmul: (2, 3) @ (4, 5)" in explanation
    assert traceback.lstrip().startswith("Traceback (most recent call last):")
    assert "in show_that_fails" in traceback  # the frames, down to where it failed
    assert "scratchish.errors.ShapeError: matmul" in traceback
    assert "Run again as" not in err


def test_other_errors_are_not_hidden(monkeypatch, empty_journal):
    # A bug (not a scratchish error) keeps its usual Python traceback: main does not catch it.
    def show_with_a_bug(args):
        return 1 / 0

    monkeypatch.setattr(runs_commands, "runs_show", show_with_a_bug)
    with pytest.raises(ZeroDivisionError):
        main(["runs", "show", "1"])
