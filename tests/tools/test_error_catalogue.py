"""docs/errors.md: every scratchish error class is in the catalogue with its code, and the
examples there are real (run as doctests). Also the command line's calm error text."""

import builtins
import doctest
import importlib
import pkgutil
import re
import warnings
from pathlib import Path

import pytest

import scratchish as sh
from scratchish.tools.ipython import CATALOGUE, format_error_for_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def all_error_classes() -> set:
    """Every ScratchishError subclass defined anywhere in the scratchish package."""
    for module in pkgutil.walk_packages(sh.__path__, "scratchish."):
        try:
            importlib.import_module(module.name)
        except Exception as e:  # a module that cannot load cannot raise errors either
            warnings.warn(f"could not import {module.name}: {e}", stacklevel=1)
    found, todo = set(), [sh.ScratchishError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("scratchish") and cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return found


def test_every_error_class_is_in_the_catalogue_with_its_code():
    text = DOC.read_text(encoding="utf-8")
    headings = set(re.findall(r"^## (\S+)$", text, flags=re.M))
    classes = all_error_classes()
    assert {"ShapeError", "StateDictError", "DatasetError"} <= {c.__name__ for c in classes}
    for cls in classes:
        assert f"`{cls.__name__}`" in text, f"{cls.__name__} is missing from docs/errors.md"
        assert cls.code in headings, f"code {cls.code!r} ({cls.__name__}) has no section"
        assert cls.code in CATALOGUE, f"code {cls.code!r} missing from tools/ipython.py"
    assert set(CATALOGUE) <= headings  # and the page has a section for every entry


def test_the_also_a_column_names_real_base_classes():
    # | [`code`](#code) | `First`, `Other` | `Builtin`, `Builtin` (and `Extra`) |: the first
    # class of each row subclasses every built-in named before "(and"
    text = DOC.read_text(encoding="utf-8")
    classes = {c.__name__: c for c in all_error_classes()}
    rows = re.findall(r"^\| \[`[\w-]+`\]\(#[\w-]+\) \| `(\w+)`[^|]* \| ([^|]+) \|$", text, re.M)
    assert len(rows) >= 15
    for name, bases in rows:
        for builtin in re.findall(r"`(\w+)`", bases.split("(and")[0]):
            assert issubclass(classes[name], getattr(builtins, builtin)), (name, builtin)


def test_the_examples_in_the_catalogue_run():
    result = doctest.testfile(
        str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.attempted >= 15 and result.failed == 0


def test_every_message_ends_with_its_code():
    with pytest.raises(sh.ShapeError) as info:
        sh.ones(2, 3) @ sh.ones(4, 5)
    assert str(info.value).endswith("[shape-mismatch]")


def failing_matmul():
    try:
        sh.ones(2, 3) @ sh.ones(4, 5)
    except sh.ShapeError as e:
        return e


def test_cli_shows_the_calm_explanation_without_a_traceback():
    text = format_error_for_cli(failing_matmul(), debug=False)
    assert text.startswith("ShapeError [shape-mismatch]: shapes that do not fit together.")
    for part in (
        "What happened",
        "inner sizes 3 and 4 differ",
        "Likely cause",
        "What to try",
        "Read about",
        "docs/errors.md#shape-mismatch",
        "--debug",
    ):
        assert part in text
    assert "Traceback (most recent call last)" not in text
    assert "test_error_catalogue.py" in text  # where: the user's line, not scratchish's


def test_cli_debug_adds_the_full_traceback():
    text = format_error_for_cli(failing_matmul(), debug=True)
    assert "What to try" in text
    assert "Traceback (most recent call last)" in text and "autograd.py" in text


def test_cli_shows_other_errors_as_python_does():
    try:
        {}["missing"]
    except KeyError as e:
        text = format_error_for_cli(e, debug=False)
    assert text.startswith("Traceback (most recent call last)") and "KeyError" in text
