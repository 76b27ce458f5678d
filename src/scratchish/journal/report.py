"""Looking back at runs: the HTML report, the comparison (settings side by side and a plot).

`report_html(runs)` makes one self-contained page: a table of the runs, then each run's loss and
metric curves drawn as inline SVG (no script, no network: it opens offline, and can be mailed).
`settings_diff(runs)` lines up the settings that differ; `compare_plot(runs, path)` draws every
run's curves in one matplotlib figure (an optional extra). Read next: cli_commands.py.
"""

from __future__ import annotations

import html
import math
import time
from datetime import datetime
from pathlib import Path

from .record import Run

__all__ = ["compare_plot", "flatten", "report_html", "settings_diff", "svg_chart"]

# Okabe-Ito: eight colours that stay distinct for colour-blind readers
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000"]


def when(t: float | None) -> str:
    """A Unix time as local 'YYYY-MM-DD HH:MM' ('' for None)."""
    return "" if t is None else datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def number(value) -> str:
    """A metric for a table: 4 significant digits, nan shown as nan."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)


# ----------------------------------------------------------------------------------------------
# Settings, flattened and compared
# ----------------------------------------------------------------------------------------------


def flatten(run: Run) -> dict[str, str]:
    """A run's settings as 'dotted.key' -> text: config, the command's arguments, versions.
    The model's structure (long) is kept as is; tables cut it short."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            flat[prefix] = value if isinstance(value, str) else _json(value)

    walk("", run.config)
    command = run.source.get("command")
    if command:
        walk(f"command.{command['name']}", command.get("args", {}))
    env = {k: v for k, v in run.environment.items() if k != "host"}
    walk("env", env)
    return flat


def _json(value) -> str:
    import json

    return json.dumps(value, default=repr)


def settings_diff(runs: list[Run], show_all: bool = False) -> list[list[str]]:
    """Rows [setting, value in run 1, value in run 2, ...] where the runs differ (every
    setting with show_all). The first row is the header."""
    flats = [flatten(r) for r in runs]
    keys: dict[str, None] = {}
    for flat in flats:
        keys.update(dict.fromkeys(flat))
    rows = [["setting", *[f"#{r.id} {r.name}" for r in runs]]]
    for key in keys:
        values = [flat.get(key, "-") for flat in flats]
        if show_all or len(set(values)) > 1:
            rows.append([key, *values])
    return rows


def text_table(rows: list[list[str]], max_width: int = 40) -> str:
    """Rows as aligned text columns; cells longer than max_width end in '...'."""
    cut = [[c if len(c) <= max_width else c[: max_width - 3] + "..." for c in map(str, row)]
           for row in rows]  # fmt: skip
    cut = [[c.replace("\n", " ") for c in row] for row in cut]
    widths = [max(len(row[i]) for row in cut) for i in range(len(cut[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cut]
    return "\n".join(lines)


def final_metrics_text(run: Run, limit: int = 3) -> str:
    items = list(run.final_metrics.items())[:limit]
    return " ".join(f"{k} {number(v)}" for k, v in items)


# ----------------------------------------------------------------------------------------------
# Inline SVG charts
# ----------------------------------------------------------------------------------------------


def nice_ticks(low: float, high: float, n: int = 5) -> list[float]:
    """About n round numbers (1, 2 or 5 times a power of ten apart) covering [low, high]."""
    span = (high - low) or abs(high) or 1.0
    raw = span / max(n - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        if value >= low - step * 1e-9:
            ticks.append(round(value, 12))
        value += step
    return ticks or [low]


def svg_chart(series: dict[str, list[tuple[float, float]]], title: str, width: int = 440,
              height: int = 240, css_class: str = "curve") -> str:  # fmt: skip
    """A line chart as an SVG element: one <path class="curve" data-metric=NAME> per series
    (NaN values break the line), a dot per point (so a one-epoch run shows), axes, a legend."""
    left, right, top, bottom = 56, 12, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    points = [(x, y) for pts in series.values() for x, y in pts if math.isfinite(y)]
    if not points:
        return f'<p class="empty">{html.escape(title)}: no values recorded.</p>'
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_low, x_high = min(xs), max(xs)
    y_low, y_high = min(ys), max(ys)
    if y_low == y_high:  # a flat line: give it some room
        pad = abs(y_low) * 0.1 or 1.0
        y_low, y_high = y_low - pad, y_high + pad
    ticks = nice_ticks(y_low, y_high)
    y_low, y_high = min(y_low, ticks[0]), max(y_high, ticks[-1])

    def sx(x: float) -> float:
        return left + (plot_w * (x - x_low) / (x_high - x_low) if x_high > x_low else plot_w / 2)

    def sy(y: float) -> float:
        return top + plot_h * (1 - (y - y_low) / (y_high - y_low))

    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="{left}" y="15" class="title">{html.escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="frame"/>',
    ]
    for tick in ticks:
        y = sy(tick)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'class="grid"/>')  # fmt: skip
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="ytick">{tick:.4g}</text>')
    for x in _x_ticks(x_low, x_high):
        parts.append(f'<text x="{sx(x):.1f}" y="{top + plot_h + 16}" class="xtick">{x:g}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 3}" class="xlabel">epoch</text>')
    for i, (name, pts) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        path, pen_down = [], False
        for x, y in pts:
            if not math.isfinite(y):
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{sx(x):.1f},{sy(y):.1f}")
            pen_down = True
        if not path:
            continue
        label = html.escape(name)
        parts.append(f'<path class="{css_class}" data-metric="{label}" d="{" ".join(path)}" '
                     f'stroke="{colour}"><title>{label}</title></path>')  # fmt: skip
        for x, y in pts:
            if math.isfinite(y):
                parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" '
                             f'fill="{colour}"><title>{label} epoch {x:g}: {y:.6g}</title>'
                             f"</circle>")  # fmt: skip
        legend_y = top + 14 + 15 * i
        parts.append(f'<line x1="{left + plot_w - 118}" x2="{left + plot_w - 100}" '
                     f'y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{colour}" '
                     f'class="key"/>')  # fmt: skip
        parts.append(f'<text x="{left + plot_w - 96}" y="{legend_y}" class="legend">'
                     f"{label[:18]}</text>")  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts)


def _x_ticks(low: float, high: float) -> list[float]:
    if high <= low:
        return [low]
    step = max(1, math.ceil((high - low) / 8))
    ticks = list(range(math.ceil(low), math.floor(high) + 1, step))
    return ticks or [low]


def run_series(run: Run, losses: bool) -> dict[str, list[tuple[float, float]]]:
    """{metric: [(epoch, value), ...]} for the loss metrics (losses=True) or the others."""
    ordered = sorted(run.epochs, key=lambda e: e["epoch"])
    return {
        name: [(e["epoch"], e["metrics"].get(name, math.nan)) for e in ordered]
        for name in run.metric_names
        if ("loss" in name) == losses
    }


# ----------------------------------------------------------------------------------------------
# The report page
# ----------------------------------------------------------------------------------------------

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1000px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; }
td, th { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; }
.status { padding: 1px 6px; border-radius: 4px; font-size: .85em; color: #fff; }
.finished { background: #2a7d46; } .failed { background: #b3261e; }
.interrupted { background: #a05a00; } .running { background: #0b5cad; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { background: #fff; border: 1px solid #eee; }
svg .frame { fill: none; stroke: #999; } svg .grid { stroke: #eee; }
svg .title { font-weight: 600; font-size: 12px; }
svg .ytick { font-size: 10px; text-anchor: end; fill: #555; }
svg .xtick, svg .xlabel { font-size: 10px; text-anchor: middle; fill: #555; }
svg .legend { font-size: 10px; fill: #333; }
svg path.curve, svg path.overview, svg line.key { fill: none; stroke-width: 2; }
details pre { background: #f7f7f7; padding: .6em; overflow-x: auto; font-size: 12px; }
.note { background: #fffbe6; padding: 2px 6px; }
"""


def report_html(runs: list[Run], journal_path: str = "") -> str:
    """The whole report page for `runs` (newest first), as one HTML string."""
    e = html.escape
    rows = "".join(
        f'<tr><td><a href="#run-{r.id}">#{r.id}</a></td><td>{e(r.name)}</td>'
        f'<td><span class="status {e(r.status)}">{e(r.status)}</span></td>'
        f"<td>{when(r.started)}</td><td>{len(r.epochs)}</td><td>{duration(r.duration)}</td>"
        f"<td>{e(final_metrics_text(r))}</td><td>{e(' '.join(r.tags))}</td></tr>"
        for r in runs
    )
    overview = {f"#{r.id} {r.name}": [(x, y) for x, y in run_series(r, True).get(
        "valid_loss", [])] for r in runs[:8]}  # fmt: skip
    overview = {k: v for k, v in overview.items() if v}
    sections = "\n".join(_run_section(r) for r in runs)
    generated = when(time.time())
    empty = "<p>No runs recorded yet.</p>" if not runs else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scratchish runs</title><style>{STYLE}</style></head>
<body>
<h1>Training runs</h1>
<p>{len(runs)} runs from the journal <code>{e(str(journal_path))}</code>, {generated}.
This page needs no network: keep it, or send it.</p>
{empty}
<table class="runs"><tr><th>id</th><th>name</th><th>status</th><th>started</th><th>epochs</th>
<th>time</th><th>final metrics</th><th>tags</th></tr>{rows}</table>
<div class="overview">{
        svg_chart(overview, "valid_loss, newest runs", 640, 280, "overview") if overview else ""
    }</div>
{sections}
</body></html>
"""


def _run_section(run: Run) -> str:
    e = html.escape
    charts = []
    for losses, title in ((True, "losses"), (False, "metrics")):
        series = run_series(run, losses)
        if series:
            charts.append(svg_chart(series, f"#{run.id} {title}"))
    if not charts:
        charts.append("<p>No epochs recorded.</p>")
    facts_html = "".join(
        f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in _facts(run) if v
    )
    notes = "".join(f'<p class="note">{e(n["text"])}</p>' for n in run.notes)
    structure = e((run.config.get("model") or {}).get("structure", ""))
    return f"""<section class="run" id="run-{run.id}" data-run-id="{run.id}"
 data-curves="{_n_curves(run)}">
<h2>#{run.id} {e(run.name)} <span class="status {e(run.status)}">{e(run.status)}</span></h2>
<div class="charts">{"".join(charts)}</div>
<table class="facts">{facts_html}</table>{notes}
<details><summary>model structure</summary><pre>{structure}</pre></details>
</section>"""


def _facts(run: Run) -> list[tuple[str, str]]:
    """(label, text) pairs for a run's section; empty texts are left out."""
    c = run.config
    model, opt, data = c.get("model") or {}, c.get("optimizer") or {}, c.get("data") or {}
    n_params = model.get("n_params")
    settings = [f"{k} {c[k]}" for k in ("batch_size", "epochs", "seed", "lr") if k in c]
    return [
        ("model", f"{model.get('class', '')} ({n_params:,} parameters)" if n_params else ""),
        ("optimizer", opt.get("class", "")),
        ("lr schedule", _json(c["lr_schedule"]) if c.get("lr_schedule") else ""),
        ("settings", ", ".join(settings)),
        ("data", f"{data.get('name', '')} {(run.data_fingerprint or '')[:12]}".strip()),
        ("from", " ".join(run.source.get("argv", [])) or run.source.get("kind", "")),
        ("versions", " ".join(f"{k} {run.environment[k]}" for k in ("python", "numpy",
                                                                    "scratchish")
                              if k in run.environment)),
        ("git", _git_text(run.environment.get("git"))),
        ("error", run.error or ""),
    ]  # fmt: skip


def _n_curves(run: Run) -> int:
    """How many curves the run's charts draw: its metrics with at least one finite value."""
    return sum(any(math.isfinite(v) for v in run.history(n)) for n in run.metric_names)


def _git_text(git: dict | None) -> str:
    if not git:
        return ""
    return f"{git['commit'][:10]}{' (uncommitted changes)' if git.get('dirty') else ''}"


def write_report(runs: list[Run], path: str | Path, journal_path: str = "") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(runs, journal_path), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------
# The comparison plot (matplotlib, an optional extra)
# ----------------------------------------------------------------------------------------------


def compare_plot(runs: list[Run], path: str | Path) -> Path:
    """Every metric in its own panel, one line per run; saved as PNG at `path`.

    Raises:
        ImportError: matplotlib is missing (the message says how to install it).
    """
    try:
        from matplotlib.figure import Figure  # no pyplot: no window, no global state
    except ImportError:
        raise ImportError(
            "runs compare: the plot needs matplotlib: pip install 'scratchish[plot]'"
        ) from None
    names: dict[str, None] = {}
    for r in runs:
        names.update(dict.fromkeys(r.metric_names))
    metrics = list(names) or ["(no epochs)"]
    fig = Figure(figsize=(4.5 * min(len(metrics), 3), 3.4 * math.ceil(len(metrics) / 3)))
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(math.ceil(len(metrics) / 3), min(len(metrics), 3), i + 1)
        for j, run in enumerate(runs):
            epochs = [e["epoch"] for e in sorted(run.epochs, key=lambda e: e["epoch"])]
            if epochs:
                ax.plot(epochs, run.history(metric), marker="o", markersize=3,
                        color=COLOURS[j % len(COLOURS)], label=f"#{run.id} {run.name}")  # fmt: skip
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path
