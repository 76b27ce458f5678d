"""sh.explain("softmax"): show a built-in concept card, in the terminal or in Jupyter.

Also maps the short code at the end of every scratchish error ('shape-mismatch', 'backward',
...) to the card that helps with it (card_for_error), so that teaching errors can end with
"sh.explain('broadcasting')". Read next: cards.py (where cards come from).
"""

from __future__ import annotations

import difflib
import html
import re
import sys

from ..errors import ArgumentError
from .cards import Card, all_cards, find_card

# The error codes of errors.py, and the card a learner who hit one should read.
ERROR_CARDS = {
    "shape-mismatch": "broadcasting",
    "dtype": "tensor",
    "index-out-of-range": "indexing",  # class-label errors name the cross-entropy card themselves
    "backward": "back-propagation",
    "in-place": "autograd",
    "gradcheck": "derivative",
}


def card_for_error(code: str) -> str | None:
    """The name of the card that helps with an error code, or None if no card does.

    Example:
        >>> card_for_error("shape-mismatch")
        'broadcasting'
        >>> card_for_error("unsupported") is None
        True
    """
    return ERROR_CARDS.get(code)


class CardView:
    """A card ready to show: as text in a terminal (`print`, or the REPL's echo), as Markdown
    or HTML in Jupyter (`_repr_markdown_`, `_repr_html_`). The HTML is escaped first, so a card
    or note can never run script in the notebook."""

    def __init__(self, card: Card) -> None:
        self.card = card

    def __str__(self) -> str:
        return self.card.body + "\n"

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        return self.card.body

    def _repr_html_(self) -> str:
        return f'<div class="scratchish-card">{render_markdown(self.card.body)}</div>'


class CardIndex:
    """The list of all cards, shown when explain() is called without a name."""

    def __str__(self) -> str:
        rows = [f"  {card.name:<24} {card.title}" for card in all_cards()]
        return "Concept cards (sh.explain(NAME) shows one):\n" + "\n".join(rows) + "\n"

    def __repr__(self) -> str:
        return str(self)


def explain(name: str | None = None) -> CardView | CardIndex:
    """Show the concept card called `name` ("softmax", "chain rule", "backprop", ...).

    In a script the card is printed. In the Python prompt or Jupyter the returned object is
    shown instead (as text, or as HTML in a notebook), so it does not appear twice.
    `sh.explain()` without a name lists every card.

    Args:
        name: a card's name, title or alias; case, spaces, '-' and '_' do not matter.

    Returns:
        A CardView (or, without a name, a CardIndex) that displays itself.

    Raises:
        ArgumentError: no card has that name; the message suggests close ones.

    Example:
        >>> explain("softmax")  # doctest: +ELLIPSIS
        # Softmax
        ...
    """
    if name is None:
        view = CardIndex()
    else:
        card = find_card(str(name))
        if card is None:
            raise ArgumentError(_unknown(str(name)))
        view = CardView(card)
    if not _interactive():
        print(view)
    return view


def _interactive() -> bool:
    """True in the Python prompt (sys.ps1 exists) and in IPython or Jupyter."""
    return hasattr(sys, "ps1") or "IPython" in sys.modules and _in_ipython()


def _in_ipython() -> bool:
    from IPython import get_ipython  # only called when IPython is already imported

    return get_ipython() is not None


def _unknown(name: str) -> str:
    spellings = {}
    for card in all_cards():
        for spelled in (card.name, card.title, *card.aliases):
            spellings.setdefault(spelled.lower(), card.name)
    close = difflib.get_close_matches(name.lower(), list(spellings), n=6, cutoff=0.6)
    names = list(dict.fromkeys(spellings[spelled] for spelled in close))[:3]
    hint = f" Did you mean: {', '.join(repr(n) for n in names)}?" if names else ""
    return f"explain: no concept card named {name!r}.{hint} sh.explain() lists all cards."


# --- a small, safe Markdown renderer -----------------------------------------------------------
# Everything is escaped first; only then are a few patterns turned into tags. No raw HTML from
# the text ever reaches the page, and links are only made for http(s) addresses.

_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<em>\1</em>"),
    (
        re.compile(r"\[([^\[\]]+)\]\((https?://[^\s()&]+)\)"),
        r'<a href="\2" rel="noopener noreferrer" target="_blank">\1</a>',
    ),
    (re.compile(r"!?\[\[([^\[\]|]+)\|([^\[\]]+)\]\]"), r'<span class="wikilink">\2</span>'),
    (re.compile(r"!?\[\[([^\[\]|]+)\]\]"), r'<span class="wikilink">\1</span>'),
    (re.compile(r"(?<![\w#&/;])#([^\W\d][\w/-]*)"), r'<span class="tag">#\1</span>'),
]


def render_inline(text: str) -> str:
    """Escape one line of text, then render `code`, **bold**, *italic*, links and #tags."""
    pieces = re.split(r"(`+[^`]+?`+)", text)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2 == 1:  # a code span: escaped, nothing else rendered inside
            out.append(f"<code>{html.escape(piece.strip('`'))}</code>")
            continue
        piece = html.escape(piece)
        for pattern, replacement in _INLINE:
            piece = pattern.sub(replacement, piece)
        out.append(piece)
    return "".join(out)


def render_markdown(text: str) -> str:
    """Markdown to HTML, safely: headings, paragraphs, lists, code blocks and inline marks.

    Example:
        >>> render_markdown("# Hi\\n<script>alert(1)</script> **bold**")
        '<h3>Hi</h3>\\n<p>&lt;script&gt;alert(1)&lt;/script&gt; <strong>bold</strong></p>'
    """
    blocks, paragraph, items, code = [], [], [], None

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + " ".join(render_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{render_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.replace("\r\n", "\n").split("\n"):
        if code is not None:  # inside a fenced code block
            if line.strip().startswith(("```", "~~~")):
                blocks.append("<pre><code>" + html.escape("\n".join(code)) + "</code></pre>")
                code = None
            else:
                code.append(line)
            continue
        stripped = line.strip()
        heading = re.match(r"(#{1,6})\s+(.*?)\s*#*$", stripped)
        if stripped.startswith(("```", "~~~")):
            flush()
            code = []
        elif heading:
            flush()
            level = min(len(heading.group(1)) + 2, 6)  # a card's '# Title' becomes an h3
            blocks.append(f"<h{level}>{render_inline(heading.group(2))}</h{level}>")
        elif re.match(r"([-*+]|\d+[.)])\s+", stripped):
            if paragraph:
                flush()
            items.append(re.sub(r"^([-*+]|\d+[.)])\s+", "", stripped))
        elif not stripped:
            flush()
        elif items and line.startswith(" "):
            items[-1] += " " + stripped  # a list item's continuation line
        else:
            if items:
                flush()
            paragraph.append(stripped)
    if code is not None:
        blocks.append("<pre><code>" + html.escape("\n".join(code)) + "</code></pre>")
    flush()
    return "\n".join(blocks)
