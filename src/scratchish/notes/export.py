"""Write the notes' graph for other tools: markmap (Markdown outline), Mermaid, Graphviz dot, JSON.

The graph is the one the mind map draws (mindmap.build_graph): the learner's notes, plus the
built-in cards they link to (or every card, with all_cards=True). Read next: cli_commands.py.
"""

from __future__ import annotations

import json

from ..errors import ArgumentError
from .mindmap import build_graph
from .store import NotesStore

FORMATS = ("markmap", "mermaid", "dot", "json")
COLOURS = {"faith": "#f59e0b", "revisit": "#e11d48", "understood": "#16a34a", None: "#3b82f6"}
CARD_COLOUR = "#e2e8f0"


def export(store: NotesStore, format: str, all_cards: bool = False) -> str:  # noqa: A002
    """The notes' graph as text in `format` ('markmap', 'mermaid', 'dot' or 'json').

    Args:
        store: the notes folder.
        format: one of FORMATS.
        all_cards: include every built-in card, not only those the notes link to.

    Example:
        >>> import tempfile
        >>> store = NotesStore(tempfile.mkdtemp())
        >>> _ = store.new("Why ReLU", "It bends lines. [[ReLU]]")
        >>> print(export(store, "mermaid").splitlines()[1])
          n0["Why ReLU"]:::faith
    """
    writers = {"markmap": to_markmap, "mermaid": to_mermaid, "dot": to_dot, "json": to_json}
    if format not in writers:
        raise ArgumentError(
            f"notes export: unknown format {format!r}; choose one of: {', '.join(FORMATS)}."
        )
    nodes, edges = _subgraph(build_graph(store), all_cards)
    return writers[format](nodes, edges)


def _subgraph(graph: dict, all_cards: bool) -> tuple[list, list]:
    """The notes and the cards next to them (or all), renumbered from 0, and their edges."""
    nodes = graph["nodes"]
    keep = {i for i, node in enumerate(nodes) if node["kind"] == "note" or all_cards}
    for a, b in graph["edges"]:
        if nodes[a]["kind"] == "note" or nodes[b]["kind"] == "note":
            keep |= {a, b}
    order = sorted(keep)
    new_index = {old: new for new, old in enumerate(order)}
    edges = [[new_index[a], new_index[b]] for a, b in graph["edges"] if a in keep and b in keep]
    return [nodes[i] for i in order], edges


def to_json(nodes: list, edges: list) -> str:
    """{"nodes": [...], "edges": [{"source": id, "target": id}]}, ids as in the mind map."""
    keys = ("id", "title", "kind", "status", "tags", "degree", "broken", "runs", "text")
    out_nodes = [{key: node[key] for key in keys} | {"path": node.get("path")} for node in nodes]
    out_edges = [{"source": nodes[a]["id"], "target": nodes[b]["id"]} for a, b in edges]
    return json.dumps({"nodes": out_nodes, "edges": out_edges}, indent=2, ensure_ascii=False)


def to_mermaid(nodes: list, edges: list) -> str:
    """A Mermaid flowchart: one box per concept, coloured by status, a line per link."""
    lines = ["graph LR"]
    for i, node in enumerate(nodes):
        style = node["status"] or ("card" if node["kind"] == "card" else "note")
        lines.append(f'  n{i}["{_mermaid_text(node["title"])}"]:::{style}')
    lines += [f"  n{a} --- n{b}" for a, b in edges]
    for status, colour in COLOURS.items():
        lines.append(f"  classDef {status or 'note'} fill:{colour},color:#000")
    lines.append(f"  classDef card fill:{CARD_COLOUR},color:#000")
    return "\n".join(lines) + "\n"


def to_dot(nodes: list, edges: list) -> str:
    """A Graphviz graph (render with `dot -Tsvg notes.dot -o notes.svg`)."""
    lines = ["graph notes {", '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    for i, node in enumerate(nodes):
        colour = CARD_COLOUR if node["kind"] == "card" else COLOURS[node["status"]]
        lines.append(f'  n{i} [label="{_dot_text(node["title"])}", fillcolor="{colour}"];')
    lines += [f"  n{a} -- n{b};" for a, b in edges]
    return "\n".join(lines + ["}"]) + "\n"


def to_markmap(nodes: list, edges: list) -> str:
    """A Markdown outline that markmap draws as a mind map: each note, and what it links to."""
    neighbours: dict = {i: [] for i in range(len(nodes))}
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    lines = ["# My notes", ""]
    for i, node in enumerate(nodes):
        if node["kind"] != "note":
            continue
        status = f" #{node['status']}" if node["status"] else ""
        lines.append(f"## {_markdown_text(node['title'])}{status}")
        for j in sorted(neighbours[i], key=lambda j: nodes[j]["title"].casefold()):
            kind = " (card)" if nodes[j]["kind"] == "card" else ""
            lines.append(f"- {_markdown_text(nodes[j]['title'])}{kind}")
        lines.append("")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    # Mermaid reads #name; as a character entity inside quoted labels.
    for char, entity in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, entity)
    return text


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _markdown_text(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_[]<>#" else ch for ch in text)
