"""The concept mind map: the learner's notes and the built-in cards as one offline HTML page.

build_graph() turns the notes folder and the cards into nodes and edges; export.py writes the
same graph as JSON, Mermaid, Graphviz dot or a markmap outline, and write_mindmap() puts it into
an HTML page whose JavaScript and CSS (mindmap_assets/) are written inline: the page fetches
nothing and works offline. Read next: mindmap_assets/mindmap.js (layout, clicks, search).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from importlib import resources
from pathlib import Path

from .cards import all_cards
from .parser import title_key
from .store import (
    NotesStore,
    library_link_location,
    look_up_runs,
    package_relative,
    resolve_library_link,
)


def build_graph(store: NotesStore, journal: str | os.PathLike | None = None) -> dict:
    """The mind map's data: one node per note and per card, one edge per link.

    Args:
        store: the notes folder.
        journal: the experiment journal that run:ID links are looked up in; default:
            $SCRATCHISH_JOURNAL, else the nearest .scratchish/journal.db. Without one, run
            links are kept, marked unresolved.

    Returns:
        {"nodes": [...], "edges": [[i, j], ...], "lookup": {title: i}}. Each node has id,
        title, kind ('note' or 'card'), status, tags, text (its Markdown), degree (the number
        of links touching it), broken (link targets found nowhere), sources (each sh: link:
        {"file", "line", "where"}, or {"file": None, "reason"} when it has no source), runs
        (the run:ID links, as written) and run_info (for a note: each ID's run from the
        journal: name, status, final_metrics; or found False and the reason).
        A note links to the card of the same title, so notes attach to the cards.
    """
    notes, cards = store.notes(), all_cards()
    runs = look_up_runs([i for note in notes for i in note.parsed.run_links], journal).runs
    nodes = [_note_node(note, runs) for note in notes] + [_card_node(card) for card in cards]
    lookup: dict = {}
    for index, node in enumerate(nodes):  # notes come first, so a note wins over a card
        for key in node.pop("keys"):
            lookup.setdefault(key, index)

    edges = set()
    parsed = [note.parsed for note in notes] + [card.parsed for card in cards]
    for source, (node, note) in enumerate(zip(nodes, parsed)):
        for link in note.links:
            target = lookup.get(title_key(link.target))
            if target is None:
                node["broken"].append(link.target)
            elif target != source:
                edges.add(tuple(sorted((source, target))))
        if node["kind"] == "note":  # a note attaches to the card on the same concept
            card_twin = _card_index(cards, node["title"], len(notes))
            if card_twin is not None:
                edges.add((source, card_twin))
    for a, b in edges:
        nodes[a]["degree"] += 1
        nodes[b]["degree"] += 1
    return {"nodes": nodes, "edges": sorted(list(edge) for edge in edges), "lookup": lookup}


def render_mindmap(
    store: NotesStore,
    title: str = "scratchish: concept map",
    journal: str | os.PathLike | None = None,
) -> str:
    """The mind map as one self-contained HTML page (a str); `journal` as in build_graph."""
    assets = resources.files("scratchish.notes") / "mindmap_assets"
    template = (assets / "mindmap.html").read_text(encoding="utf-8")
    css = (assets / "mindmap.css").read_text(encoding="utf-8")
    script = (assets / "mindmap.js").read_text(encoding="utf-8")
    # Only this exact script may run: the Content-Security-Policy names its hash. So even a
    # note that slipped past the escaping could not run script, and the page cannot fetch.
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
        "img-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )
    page = template.replace("{{TITLE}}", html.escape(title)).replace("{{CSP}}", csp)
    page = page.replace("{{CSS}}", css).replace("{{JS}}", script)
    return page.replace("{{DATA}}", embed_json(build_graph(store, journal)))


def embed_json(data) -> str:
    """JSON that is safe inside <script type="application/json">: '<', '>' and '&' are written
    as \\u003c, \\u003e, \\u0026, so no '</script>' or '<!--' in a note can end the block."""
    text = json.dumps(data, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def write_mindmap(
    store: NotesStore,
    out: str | os.PathLike | None = None,
    journal: str | os.PathLike | None = None,
) -> Path:
    """Write the mind map page (default: mindmap.html in the notes folder). Returns its path.
    `journal` is where run:ID links are looked up (as in build_graph)."""
    path = Path(out) if out is not None else store.folder / "mindmap.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_mindmap(store, journal=journal), encoding="utf-8")
    return path


def _note_node(note, runs: dict) -> dict:
    keys = {title_key(note.title), title_key(note.path.stem)}
    node = _node(f"note:{note.path.name}", note.title, "note", note.parsed, keys)
    node["path"] = str(note.path)
    node["created"] = note.created
    node["run_info"] = {run_id: runs[run_id] for run_id in note.parsed.run_links}
    return node


def _card_node(card) -> dict:
    return _node(f"card:{card.name}", card.title, "card", card.parsed, card.keys())


def _node(node_id: str, title: str, kind: str, parsed, keys: set) -> dict:
    return {
        "id": node_id,
        "title": title,
        "kind": kind,
        "status": parsed.status,
        "tags": parsed.tags,
        "text": _without_title(parsed.body, title),
        "degree": 0,
        "broken": [],
        "runs": parsed.run_links,
        "run_info": {},  # filled in for notes (_note_node): cards name no runs
        "sources": {name: _source(name) for name in parsed.library_links},
        "keys": sorted(keys),
    }


def _source(name: str) -> dict:
    """Where sh:name is defined: the file (full path, to open it), the line, and the short
    form 'scratchish/nn/linear.py:39'; or why there is no source to show."""
    location = library_link_location(name)
    if location is None:
        if resolve_library_link(name) is None:
            reason = "scratchish has no such name"
        else:
            reason = "it has no Python source (a value, or code from NumPy or C)"
        return {"file": None, "line": None, "where": None, "reason": reason}
    path, line = location
    return {"file": str(path), "line": line, "where": f"{package_relative(path)}:{line}"}


def _without_title(body: str, title: str) -> str:
    """The body without its first line if that is '# Title' (the panel shows the title)."""
    lines = body.strip("\n").split("\n")
    if lines and lines[0].lstrip("# ").strip() == title and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines).strip("\n")


def _card_index(cards, title: str, offset: int) -> int | None:
    key = title_key(title)
    for index, card in enumerate(cards):
        if key in card.keys():
            return offset + index
    return None
