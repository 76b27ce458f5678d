"""Read one Markdown note: its front matter, [[wikilinks]], #tags, run:ID and sh:name links.

A note is plain Markdown, the same files that common note tools (Obsidian, Logseq, Foam...)
read. This module only reads text: it never touches the disk. store.py uses it to load the
notes folder; mindmap.py and export.py draw what it finds. Read next: store.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# The three statuses a learner gives a note, as tags. The order is the order of progress.
STATUSES = ("faith", "revisit", "understood")

# --- the patterns -------------------------------------------------------------------------------
# Fenced code blocks: ``` or ~~~ on a line of their own, up to the same fence (or the end).
FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)", re.M | re.S)
# Inline code spans: `code` or ``code with ` inside``.
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
# Web addresses, so that the #fragment of https://site/page#part is not a tag.
URL = re.compile(r"(?:https?|ftp|file)://[^\s<>()\]]+|www\.[^\s<>()\]]+")
# [[target]], [[target|alias]], [[target#heading|alias]] and embeds ![[target]].
WIKILINK = re.compile(r"!?\[\[([^\[\]|#\n]*)(?:#([^\[\]|\n]*))?(?:\|([^\[\]\n]*))?\]\]")
# A #tag: not after a letter, digit, '#', '&' or '/' (so '##', '&#39;' and 'a/#b' are not tags),
# starting with a letter or '_' (so '#1' is an issue number, not a tag), then letters, digits
# and _ - /. '# Heading' is not a tag because a space follows the '#'.
TAG = re.compile(r"(?<![\w#&/])#([^\W\d][\w/-]*)")
# run:ID links to a run of the experiment journal, sh:name links to the library.
RUN_LINK = re.compile(r"(?<![\w/:.-])run:([A-Za-z0-9][\w.-]*)")
LIBRARY_LINK = re.compile(r"(?<![\w/:.-])sh:([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
# A source link: a file in the package, in backticks, optionally followed by a name in
# backticks: `src/scratchish/ops/elementwise.py` `Relu`
SOURCE_LINK = re.compile(r"`(src/scratchish/[\w./-]+\.py)`(?:[ \t]+`([A-Za-z_]\w*)`)?")


@dataclass(frozen=True)
class WikiLink:
    """One [[target|alias]]: `target` names a note or card, `alias` is the text shown."""

    target: str
    alias: str | None = None
    heading: str | None = None


@dataclass(frozen=True)
class SourceLink:
    """A file of the package (`path`, from the repository root) and a name defined in it."""

    path: str
    name: str | None = None


@dataclass
class ParsedNote:
    """Everything parse_note finds in one note. Tags are lower case, without the '#'."""

    front_matter: dict = field(default_factory=dict)
    body: str = ""
    links: list = field(default_factory=list)  # WikiLink, in order, without repeats
    tags: list = field(default_factory=list)  # from the body and the front matter's `tags:`
    run_links: list = field(default_factory=list)  # the IDs of run:ID
    library_links: list = field(default_factory=list)  # the names of sh:name, e.g. "nn.Linear"
    source_links: list = field(default_factory=list)  # SourceLink
    heading: str | None = None  # the first '# Heading', if any

    @property
    def status(self) -> str | None:
        """'understood', 'revisit' or 'faith' (the most advanced one tagged), or None."""
        for status in reversed(STATUSES):
            if status in self.tags:
                return status
        return None


def parse_note(text: str) -> ParsedNote:
    """Read a note's front matter, links and tags.

    Wikilinks and tags inside code (fenced blocks or `spans`) and web addresses do not count.
    sh: and run: links count in code spans (`sh:nn.Linear` is how one usually writes them),
    but not in fenced code blocks.

    Example:
        >>> note = parse_note("ReLU keeps positives [[tensor|tensors]] #faith `x #notatag`")
        >>> note.links[0].target, note.links[0].alias, note.tags
        ('tensor', 'tensors', ['faith'])
    """
    text = text.replace("\r\n", "\n")
    front_matter, body = split_front_matter(text)
    no_blocks = mask(FENCE, body)  # offsets are kept: masks replace text by spaces
    no_code = mask(URL, mask(CODE_SPAN, no_blocks))

    note = ParsedNote(front_matter=front_matter, body=body)
    for match in WIKILINK.finditer(no_code):
        target = normalise_title(match.group(1))
        if target:
            alias = match.group(3).strip() if match.group(3) else None
            heading = match.group(2).strip() if match.group(2) else None
            _add(note.links, WikiLink(target, alias or None, heading or None))
    for tag in front_matter_list(front_matter, "tags"):
        _add(note.tags, tag.lstrip("#").lower())
    for match in TAG.finditer(no_code):
        _add(note.tags, match.group(1).rstrip("/-").lower())
    for match in RUN_LINK.finditer(no_blocks):
        _add(note.run_links, match.group(1).rstrip(".-"))
    for match in LIBRARY_LINK.finditer(no_blocks):
        _add(note.library_links, match.group(1))
    for match in SOURCE_LINK.finditer(no_blocks):
        _add(note.source_links, SourceLink(match.group(1), match.group(2)))
    heading = re.search(r"^#[ \t]+(.+?)[ \t#]*$", no_code, re.M)
    if heading:
        note.heading = body[heading.start(1) : heading.end(1)].strip()
    return note


def mask(pattern: re.Pattern, text: str) -> str:
    """Replace every match of `pattern` by spaces (newlines kept), so offsets stay the same."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def code_free(text: str) -> str:
    """`text` with code blocks, code spans and web addresses blanked out (offsets kept)."""
    return mask(URL, mask(CODE_SPAN, mask(FENCE, text)))


def normalise_title(title: str) -> str:
    """A title as written, tidied: Unicode NFC form, spaces collapsed, no spaces at the ends."""
    return " ".join(unicodedata.normalize("NFC", title).split())


def title_key(title: str) -> str:
    """The form used to compare titles: 'Chain  Rule' and 'chain rule' are the same note."""
    return normalise_title(title).casefold()


# --- front matter -------------------------------------------------------------------------------


def split_front_matter(text: str) -> tuple[dict, str]:
    """Split `---` front matter off the top of a note. Returns (front matter, the rest).

    The front matter is the block between a first line `---` and the next line `---` (or
    `...`). Without it, the front matter is {} and the whole text is the body.
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            return parse_front_matter("\n".join(lines[1:end])), "\n".join(lines[end + 1 :])
    return {}, text  # no closing line: it was a horizontal rule, not front matter


def parse_front_matter(block: str) -> dict:
    """Read the simple YAML that notes use, without a YAML library. Values stay strings.

    The subset understood:

        title: Chain rule            key: value (surrounding quotes removed)
        tags: [faith, maths]         a list in brackets, comma separated
        aliases:                     a list, one '- item' a line below the key
          - chain-rule
        # a comment                  ignored, as are blank lines

    Anything else (nested maps, multi-line strings) is kept as the raw text of the line's value.
    Why not PyYAML: it is not a dependency, and YAML turns `created: 2024-05-01` into a date
    and `status: no` into False; a note tool should give back what the learner typed.

    Example:
        >>> parse_front_matter("title: 'Chain rule'\\ntags: [faith, maths]")
        {'title': 'Chain rule', 'tags': ['faith', 'maths']}
    """
    result: dict = {}
    key = None
    for line in block.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("- ") or stripped == "-":
            if key is not None and isinstance(result.get(key), list):
                result[key].append(_unquote(stripped[1:].strip()))
            continue
        name, colon, value = stripped.partition(":")
        if not colon or not name.strip():
            continue
        key, value = name.strip(), value.strip()
        if not value:
            result[key] = []  # the items follow as '- item' lines
        elif value.startswith("[") and value.endswith("]"):
            items = [item.strip() for item in value[1:-1].split(",")]
            result[key] = [_unquote(item) for item in items if item]
        else:
            result[key] = _unquote(value)
    return result


def front_matter_list(front_matter: dict, key: str) -> list:
    """A front matter value as a list of strings: `tags: a, b`, `tags: [a, b]` or '- a' lines."""
    value = front_matter.get(key, [])
    if isinstance(value, str):
        value = [item.strip() for item in value.replace(",", " ").split()]
    return [str(item) for item in value if str(item).strip()]


def _unquote(value: str) -> str:
    """'text' -> text ('' inside stands for '), "text" -> text (with \\" and \\\\ undone)."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def _add(items: list, item) -> None:
    if item and item not in items:
        items.append(item)
