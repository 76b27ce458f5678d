"""Every built-in card links only to cards, files and names that exist, and its example runs.

sh: links are resolved by importing scratchish and looking the name up. A link into a module
that another issue is still writing (IN_PROGRESS) is skipped, with the reason, while that
module cannot be imported; any other unresolved link fails.
"""

import ast
import contextlib
import importlib
import io
import re
from pathlib import Path

import pytest

from scratchish.notes import card_for_error, explain
from scratchish.notes.cards import all_cards, find_card
from scratchish.notes.explain import ERROR_CARDS, render_markdown
from scratchish.notes.store import resolve_library_link

REPO = Path(__file__).resolve().parents[2]
CARDS = all_cards()
IDS = [card.name for card in CARDS]
# Modules being written by other issues; a card may link ahead to them.
IN_PROGRESS = {
    "scratchish.learner",
    "scratchish.nn.linear",
    "scratchish.nn.conv",
    "scratchish.nn.batchnorm",
    "scratchish.nn.normalization",
    "scratchish.nn.dropout",
    "scratchish.nn.sparse",
    "scratchish.nn.attention",
    "scratchish.nn.functional",
    "scratchish.optim.sgd",
    "scratchish.optim.adam",
    "scratchish.optim.adamw",
    "scratchish.optim.lr_scheduler",
}


def test_there_are_about_thirty_cards_covering_the_issue():
    assert len(CARDS) >= 30
    wanted = [
        "tensor", "derivative", "gradient", "chain rule", "back-propagation", "loss",
        "gradient descent", "learning rate", "SGD", "momentum", "Adam", "batch and epoch",
        "overfitting", "validation set", "initialisation", "ReLU", "softmax", "cross-entropy",
        "broadcasting", "convolution", "pooling", "batch norm", "layer norm", "dropout",
        "embedding", "attention", "learning-rate finder", "one-cycle schedule",
    ]  # fmt: skip
    assert [name for name in wanted if find_card(name) is None] == []


def test_names_titles_and_aliases_are_unambiguous():
    seen = {}
    for card in CARDS:
        for key in card.keys():
            assert seen.setdefault(key, card.name) == card.name, (key, card.name, seen[key])


@pytest.mark.parametrize("card", CARDS, ids=IDS)
def test_card_shape(card):
    assert card.title and card.parsed.heading == card.title
    assert "## In scratchish" in card.text and "## Try it" in card.text
    assert "## Related" in card.text
    assert len(card.parsed.links) >= 2, "link to at least two related cards"
    assert card.parsed.library_links or card.parsed.source_links
    assert card.parsed.source_links, "name the file (and class) that implements the idea"


@pytest.mark.parametrize("card", CARDS, ids=IDS)
def test_wikilinks_lead_to_cards(card):
    missing = [link.target for link in card.parsed.links if find_card(link.target) is None]
    assert missing == []


@pytest.mark.parametrize("card", CARDS, ids=IDS)
def test_source_links_lead_to_files_and_names_that_exist(card):
    waiting = []
    for link in card.parsed.source_links:
        path = REPO / link.path
        module = link.path.removeprefix("src/").removesuffix(".py").replace("/", ".")
        if not path.is_file() and any(module.startswith(m) for m in IN_PROGRESS):
            waiting.append(link.path)
            continue
        assert path.is_file(), f"{card.name}: {link.path} does not exist"
        if link.name:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            defined = {
                node.name
                for node in ast.walk(tree)
                if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            }
            assert link.name in defined, f"{card.name}: no {link.name} in {link.path}"
    if waiting:
        pytest.skip("files still being written by another issue: " + ", ".join(waiting))


@pytest.mark.parametrize("card", CARDS, ids=IDS)
def test_library_links_resolve(card):
    waiting = []
    for name in card.parsed.library_links:
        if resolve_library_link(name) is not None:
            continue
        module = _in_progress_module(name)
        if module is not None:
            waiting.append(f"sh:{name} ({module} is still being written)")
            continue
        pytest.fail(f"{card.name}: sh:{name} does not name anything in scratchish")
    if waiting:
        pytest.skip("links to modules not importable yet: " + ", ".join(waiting))


def _in_progress_module(name: str) -> str | None:
    """The in-progress module a name points into, if that module cannot be imported."""
    parts = ["scratchish", *name.split(".")]
    for cut in range(len(parts), 1, -1):
        module = ".".join(parts[:cut])
        if module in IN_PROGRESS:
            try:
                importlib.import_module(module)
            except ImportError:
                return module
            # The module exists: the name must then be found in it; a wrong name fails.
            return None
    return None


@pytest.mark.parametrize("card", CARDS, ids=IDS)
def test_try_it_example_runs(card):
    blocks = re.findall(r"```python\n(.*?)```", card.text, re.S)
    assert len(blocks) == 1
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(blocks[0], f"<card {card.name}>", "exec"), {})  # noqa: S102
    except ImportError as error:
        if error.name and any(error.name.startswith(m) for m in IN_PROGRESS):
            pytest.skip(f"{error.name} is still being written")
        raise


def test_explain_prints_a_card_and_suggests_names(capsys):
    view = explain("Softmax")
    out = capsys.readouterr().out
    assert "# Softmax" in out and "exp" in out
    assert view.card.name == "softmax"
    assert explain("backprop").card.name == "back-propagation"
    assert explain("chain_rule").card.name == "chain-rule"
    with pytest.raises(ValueError, match="Did you mean: 'softmax'"):
        explain("sofmax")
    explain()
    assert "chain-rule" in capsys.readouterr().out


def test_explain_in_jupyter_is_safe_html():
    view = explain("cross entropy")
    html = view._repr_html_()
    assert "<h3>Cross-entropy</h3>" in html and "<pre><code>" in html
    assert view._repr_markdown_().startswith("# Cross-entropy")
    assert str(view).startswith("# Cross-entropy")


def test_markdown_renderer_escapes_everything():
    evil = (
        '<script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3)) '
        '[[a" onclick="alert(4)]] `<b>code</b>` **bold** [ok](https://example.org)'
    )
    html = render_markdown(evil)
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html and "[x](javascript:alert(3))" in html  # left as text
    assert 'onclick="' not in html and "&quot; onclick=&quot;" in html
    assert "<code>&lt;b&gt;code&lt;/b&gt;</code>" in html and "<strong>bold</strong>" in html
    assert '<a href="https://example.org"' in html


def test_every_error_code_maps_to_a_card_or_none():
    from scratchish import errors

    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.ScratchishError)
    }
    assert set(ERROR_CARDS) <= codes  # no mapping for a code that does not exist
    for code in codes:
        name = card_for_error(code)
        assert name is None or find_card(name) is not None
    assert card_for_error("shape-mismatch") == "broadcasting"
    assert card_for_error("backward") == "back-propagation"
    assert card_for_error("in-place") == "autograd"
    assert card_for_error("dtype") == "tensor"
    assert card_for_error("index-out-of-range") == "indexing"
    assert card_for_error("no-such-code") is None
