"""Our own graph renderer: lay out a directed acyclic graph in layers and draw it as SVG (or
as a PNG through matplotlib), so that draw_graph needs no system package.

The layout is the classic layered (Sugiyama) method, top to bottom:
  1. layers: each node one layer below its lowest input (longest path), and a node with no
     inputs (a leaf) moved down to sit just above the first node that reads it;
  2. an edge that skips layers gets invisible "dummy" nodes, one per layer it crosses;
  3. order within each layer: a few sweeps that move each node to the average position
     (barycentre) of its neighbours in the layer above, then below; the order with the
     fewest edge crossings wins;
  4. x positions: each node pulled towards its neighbours, keeping the order and a gap.
Read next: graph.py, which builds the boxes drawn here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CHAR_W, LINE_H, PAD_X, PAD_Y = 7.2, 15.0, 10.0, 7.0  # 12px monospace text
GAP_X, GAP_Y, MARGIN = 22.0, 42.0, 16.0
FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"

STYLES = {
    "op": {"fill": "#fff3d6", "stroke": "#c08a1e", "shape": "oval"},
    "leaf": {"fill": "#e3efff", "stroke": "#3b6db3", "shape": "box"},
    "param": {"fill": "#dff3e4", "stroke": "#2f8a4a", "shape": "box"},
    "intermediate": {"fill": "#ffffff", "stroke": "#777777", "shape": "box"},
    "output": {"fill": "#fde2e2", "stroke": "#b33b3b", "shape": "box"},
    "module": {"fill": "#efe6fb", "stroke": "#6a45a8", "shape": "module"},
}


def style_of(kind: str, role: str) -> str:
    """The STYLES key for a node: ops and modules by kind, tensors by role."""
    return kind if kind in ("op", "module") else (role or "intermediate")


@dataclass
class Box:
    """A node to draw: its id, its lines of text (title first) and its style name."""

    id: str
    lines: list
    style: str


@dataclass
class Layout:
    """Where everything goes: node centres and sizes, each edge's points, the canvas size."""

    centre: dict  # id -> (x, y)
    size: dict  # id -> (width, height)
    routes: list  # one list of (x, y) points per edge, source to target
    width: float
    height: float


def escape(text: str) -> str:
    """Text made safe inside SVG/HTML."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def box_size(box: Box) -> tuple:
    width = max(len(line) for line in box.lines) * CHAR_W + 2 * PAD_X
    if STYLES[box.style]["shape"] == "oval":
        width += 12  # an oval needs room at its ends
    return width, len(box.lines) * LINE_H + 2 * PAD_Y


# ------------------------------------------------------------------------------------ layout
def _layers(ids: list, edges: list) -> dict:
    """Step 1: longest-path layering, then sources pulled down next to their first reader."""
    preds = {i: [] for i in ids}
    succs = {i: [] for i in ids}
    for src, dst in edges:
        preds[dst].append(src)
        succs[src].append(dst)
    layer: dict = {}
    for i in _topological(ids, preds, succs):
        layer[i] = max((layer[p] + 1 for p in preds[i]), default=0)
    for i in ids:
        if not preds[i] and succs[i]:
            layer[i] = min(layer[s] for s in succs[i]) - 1
    return layer


def _topological(ids: list, preds: dict, succs: dict) -> list:
    """Kahn's algorithm: nodes in an order where every edge goes forward."""
    waiting = {i: len(preds[i]) for i in ids}
    ready = [i for i in ids if waiting[i] == 0]
    order = []
    while ready:
        i = ready.pop(0)
        order.append(i)
        for s in succs[i]:
            waiting[s] -= 1
            if waiting[s] == 0:
                ready.append(s)
    return order


def _crossings(rows: list, down: dict) -> int:
    """How many edges cross between consecutive layers."""
    total = 0
    for upper, lower in zip(rows, rows[1:]):
        pos = {n: k for k, n in enumerate(lower)}
        ends = [(k, pos[t]) for k, n in enumerate(upper) for t in down[n] if t in pos]
        for a in range(len(ends)):
            for b in range(a + 1, len(ends)):
                if (ends[a][0] - ends[b][0]) * (ends[a][1] - ends[b][1]) < 0:
                    total += 1
    return total


def layout(boxes: list, edges: list) -> Layout:
    """Positions for `boxes` and `edges` (a DAG of box ids), top to bottom."""
    ids = [b.id for b in boxes]
    size = {b.id: box_size(b) for b in boxes}
    layer = _layers(ids, edges)
    # step 2: dummy nodes so that every edge joins neighbouring layers
    down = {i: [] for i in ids}
    up = {i: [] for i in ids}
    chains = []
    for k, (src, dst) in enumerate(edges):
        chain = [src]
        for level in range(layer[src] + 1, layer[dst]):
            dummy = f"_d{k}_{level}"
            layer[dummy], size[dummy] = level, (2.0, LINE_H)
            down[dummy], up[dummy] = [], []
            chain.append(dummy)
        chain.append(dst)
        for a, b in zip(chain, chain[1:]):
            down[a].append(b)
            up[b].append(a)
        chains.append(chain)
    n_layers = max(layer.values()) + 1 if layer else 0
    rows = [[] for _ in range(n_layers)]
    seen = {i: k for k, i in enumerate(ids)}
    for node in sorted(layer, key=lambda n: (layer[n], seen.get(n, len(ids)))):
        rows[layer[node]].append(node)
    rows = _order(rows, down, up)
    centre = _place(rows, size, down, up)
    width = max((centre[n][0] + size[n][0] / 2 for n in centre), default=0) + MARGIN
    height = max((centre[n][1] + size[n][1] / 2 for n in centre), default=0) + MARGIN
    routes = []
    for chain in chains:
        src, dst = chain[0], chain[-1]
        points = [(centre[src][0], centre[src][1] + size[src][1] / 2)]
        points += [centre[d] for d in chain[1:-1]]
        points.append((centre[dst][0], centre[dst][1] - size[dst][1] / 2))
        routes.append(points)
    real = {i: centre[i] for i in ids}
    return Layout(real, {i: size[i] for i in ids}, routes, width, height)


def _order(rows: list, down: dict, up: dict) -> list:
    """Step 3: barycentre sweeps, keeping the order with the fewest crossings."""
    best, best_crossings = [list(r) for r in rows], _crossings(rows, down)
    for sweep in range(8):
        if best_crossings == 0:
            break
        downward = sweep % 2 == 0
        sequence = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for k in sequence:
            fixed = rows[k - 1] if downward else rows[k + 1]
            pos = {n: p for p, n in enumerate(fixed)}
            neighbours = up if downward else down
            current = {n: p for p, n in enumerate(rows[k])}

            def centre_of(n, pos=pos, neighbours=neighbours, current=current):
                near = [pos[m] for m in neighbours[n] if m in pos]
                return sum(near) / len(near) if near else current[n]

            rows[k] = sorted(rows[k], key=lambda n: (centre_of(n), current[n]))
        crossings = _crossings(rows, down)
        if crossings < best_crossings:
            best, best_crossings = [list(r) for r in rows], crossings
    return best


def _place(rows: list, size: dict, down: dict, up: dict) -> dict:
    """Step 4: x by pulling each node towards its neighbours; y by layer."""
    x: dict = {}
    for row in rows:
        left = 0.0
        for n in row:
            x[n] = left + size[n][0] / 2
            left += size[n][0] + GAP_X
    for sweep in range(12):
        for row in rows if sweep % 2 == 0 else reversed(rows):
            wanted = {}
            for n in row:
                near = [x[m] for m in up[n] + down[n]]
                wanted[n] = sum(near) / len(near) if near else x[n]
            _spread(row, wanted, size, x)
    shift = MARGIN - min((x[n] - size[n][0] / 2 for n in x), default=0)
    centre, top = {}, MARGIN
    for row in rows:
        height = max((size[n][1] for n in row), default=0)
        for n in row:
            centre[n] = (x[n] + shift, top + height / 2)
        top += height + GAP_Y
    return centre


def _spread(row: list, wanted: dict, size: dict, x: dict) -> None:
    """Put each node of a row as near its wanted x as the order and the gaps allow."""
    for n in row:
        x[n] = wanted[n]
    for a, b in zip(row, row[1:]):  # push right where they overlap
        need = (size[a][0] + size[b][0]) / 2 + GAP_X
        if x[b] - x[a] < need:
            x[b] = x[a] + need
    overshoot = sum(x[n] - wanted[n] for n in row) / max(len(row), 1)
    for n in row:  # then move the whole row back so that on average nodes sit where wanted
        x[n] -= overshoot


# --------------------------------------------------------------------------------------- SVG
def to_svg(boxes: list, edges: list, title: str = "graph") -> str:
    """The graph as a standalone SVG document."""
    lay = layout(boxes, edges)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" '
        f'height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        f'font-family="{FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#555"/></marker></defs>',
        f'<rect x="0" y="0" width="{lay.width:.0f}" height="{lay.height:.0f}" fill="white"/>',
    ]
    for points in lay.routes:
        parts.append(
            f'<path d="{_curve(points)}" fill="none" stroke="#555" stroke-width="1.2" '
            'marker-end="url(#arrow)"/>'
        )
    for box in boxes:
        parts.append(_svg_box(box, lay.centre[box.id], lay.size[box.id]))
    parts.append("</svg>")
    return "\n".join(parts)


def _curve(points: list) -> str:
    """A smooth path through the points: a vertical-tangent cubic between each pair."""
    (x0, y0), rest = points[0], points[1:]
    d = [f"M {x0:.1f} {y0:.1f}"]
    for x1, y1 in rest:
        mid = (y0 + y1) / 2
        d.append(f"C {x0:.1f} {mid:.1f} {x1:.1f} {mid:.1f} {x1:.1f} {y1:.1f}")
        x0, y0 = x1, y1
    return " ".join(d)


def _svg_box(box: Box, centre: tuple, size: tuple) -> str:
    style = STYLES[box.style]
    (cx, cy), (w, h) = centre, size
    left, top = cx - w / 2, cy - h / 2
    colours = f'fill="{style["fill"]}" stroke="{style["stroke"]}" stroke-width="1.3"'
    if style["shape"] == "oval":
        outline = (
            f'<ellipse cx="{cx:.1f}" cy="{cy:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" {colours}/>'
        )
    else:
        width = ' stroke-width="2.2"' if style["shape"] == "module" else ""
        outline = (
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5" '
            f"{colours}{width}/>"
        )
    texts = []
    for k, line in enumerate(box.lines):
        y = top + PAD_Y + LINE_H * (k + 0.75)
        weight = ' font-weight="bold"' if k == 0 else ' fill="#333"'
        texts.append(
            f'<text x="{cx:.1f}" y="{y:.1f}" text-anchor="middle"{weight}>{escape(line)}</text>'
        )
    return f'<g id="{escape(box.id)}">{outline}{"".join(texts)}</g>'


# --------------------------------------------------------------------------------------- PNG
def to_png(boxes: list, edges: list, path, dpi: int = 100) -> Path:
    """Draw the same layout with matplotlib into a PNG file (ImportError without it)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path as MplPath

    lay = layout(boxes, edges)
    fig = Figure(figsize=(max(lay.width, 50) / dpi, max(lay.height, 50) / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, max(lay.width, 50))
    ax.set_ylim(max(lay.height, 50), 0)  # y grows downwards, as in SVG
    ax.axis("off")
    for points in lay.routes:
        verts = [points[0]]
        codes = [MplPath.MOVETO]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            mid = (y0 + y1) / 2
            verts += [(x0, mid), (x1, mid), (x1, y1)]
            codes += [MplPath.CURVE4] * 3
        ax.add_patch(
            FancyArrowPatch(
                path=MplPath(verts, codes),
                arrowstyle="-|>",
                mutation_scale=10,
                color="#555",
                lw=1.0,
            )
        )
    for box in boxes:
        style = STYLES[box.style]
        (cx, cy), (w, h) = lay.centre[box.id], lay.size[box.id]
        if style["shape"] == "oval":
            patch = Ellipse((cx, cy), w, h, facecolor=style["fill"], edgecolor=style["stroke"])
        else:
            patch = FancyBboxPatch(
                (cx - w / 2, cy - h / 2),
                w,
                h,
                boxstyle="round,pad=0,rounding_size=5",
                facecolor=style["fill"],
                edgecolor=style["stroke"],
            )
        ax.add_patch(patch)
        for k, line in enumerate(box.lines):
            y = cy - h / 2 + PAD_Y + LINE_H * (k + 0.5)
            ax.text(
                cx,
                y,
                line,
                ha="center",
                va="center",
                family="monospace",
                fontsize=8.6,
                fontweight="bold" if k == 0 else "normal",
            )
    fig.savefig(path, dpi=dpi, facecolor="white")
    return Path(path)
