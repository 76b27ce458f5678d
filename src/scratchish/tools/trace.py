"""trace(): watch every op run, forward and backward, with its shapes and its time.

While a tracer is active, `Function.apply` and `backward` (autograd.py) hand each op to it
instead of calling `forward`/`backward` directly; the tracer calls the op, times it and keeps an
event. `BackwardRecorder` uses the same hook to keep each node's gradients for the
explanation tools. Read next: explain.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import autograd


class Tracer:
    """Base of the op tracers: a context manager that puts itself in `autograd._tracer`.

    Subclasses override `forward(fn, arrays, settings)` and `backward(fn, grad_out)`, and call
    `run_forward` / `run_backward` to run the op. Tracers nest: an inner one passes each op on
    to the outer one, so a `trace()` around `explain_backward` still sees every op.
    """

    def __init__(self) -> None:
        self.outer = None

    def __enter__(self):
        self.outer = autograd._tracer
        autograd._tracer = self
        return self

    def __exit__(self, *exc) -> None:
        autograd._tracer = self.outer

    def run_forward(self, fn, arrays, settings):
        if self.outer is None:
            return fn.forward(*arrays, **settings)
        return self.outer.forward(fn, arrays, settings)

    def run_backward(self, fn, grad_out):
        if self.outer is None:
            return fn.backward(grad_out)
        return self.outer.backward(fn, grad_out)

    def forward(self, fn, arrays, settings):
        return self.run_forward(fn, arrays, settings)

    def backward(self, fn, grad_out):
        return self.run_backward(fn, grad_out)


@dataclass
class Event:
    """One op call: which pass, which op, the shapes in and out, and how long it took."""

    phase: str  # "forward" or "backward"
    op: str  # the op's name, e.g. "matmul"
    in_shapes: tuple  # forward: the inputs' shapes; backward: grad_out's shape
    out_shapes: tuple  # forward: the result's shape; backward: one gradient shape per input
    seconds: float

    def __str__(self) -> str:
        shapes_in = ", ".join(_shape_text(s) for s in self.in_shapes)
        shapes_out = ", ".join(_shape_text(s) for s in self.out_shapes)
        return (
            f"{self.phase:<9}{self.op:<14}{shapes_in} -> {shapes_out}".ljust(72)
            + f"{_time_text(self.seconds):>10}"
        )


def _shape_text(shape) -> str:
    if shape is None:
        return "-"
    return "()" if shape == () else str(tuple(shape))


def _time_text(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


class trace(Tracer):  # noqa: N801 - used like a function: `with sh.tools.trace() as tr:`
    """Log every op's forward and backward with shapes and time: a first profiler.

    Returns:
        The tracer: `.events` holds one `Event` per op call, `print(tr)` lists them, and
        `tr.summary()` sums the time per op type (most expensive first).

    Example:
        >>> import scratchish as sh
        >>> x = sh.ones(2, 3, requires_grad=True)
        >>> with sh.tools.trace() as tr:
        ...     loss = (x * 2).sum()
        ...     loss.backward()
        >>> [(e.phase, e.op) for e in tr.events]
        [('forward', 'mul'), ('forward', 'sum'), ('backward', 'sum'), ('backward', 'mul')]
    """

    def __init__(self) -> None:
        super().__init__()
        self.events: list = []

    def forward(self, fn, arrays, settings):
        start = time.perf_counter()
        out = self.run_forward(fn, arrays, settings)
        seconds = time.perf_counter() - start
        in_shapes = tuple(np.shape(a) for a in arrays)
        self.events.append(Event("forward", fn.name(), in_shapes, (np.shape(out),), seconds))
        return out

    def backward(self, fn, grad_out):
        start = time.perf_counter()
        grads = self.run_backward(fn, grad_out)
        seconds = time.perf_counter() - start
        as_tuple = grads if type(grads) is tuple else (grads,)
        out_shapes = tuple(None if g is None else np.shape(g) for g in as_tuple)
        self.events.append(Event("backward", fn.name(), (np.shape(grad_out),), out_shapes, seconds))
        return grads

    def summary(self) -> TraceSummary:
        """Calls and time per op type, forward and backward, most expensive first."""
        rows: dict = {}
        for e in self.events:
            row = rows.setdefault(e.op, [0, 0.0, 0, 0.0])
            column = 0 if e.phase == "forward" else 2
            row[column] += 1
            row[column + 1] += e.seconds
        table = sorted(
            ((op, *row) for op, row in rows.items()), key=lambda r: r[2] + r[4], reverse=True
        )
        return TraceSummary(table)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.events) or "(no ops ran)"

    def __repr__(self) -> str:
        return f"<trace: {len(self.events)} events>"


class TraceSummary:
    """The per-op table of a trace: `rows` holds (op, forward calls, forward seconds,
    backward calls, backward seconds); `print()` it, or let Jupyter show it as a table."""

    headers = ("op", "fwd calls", "fwd time", "bwd calls", "bwd time", "total", "share")

    def __init__(self, rows: list) -> None:
        self.rows = rows
        self.total_seconds = sum(r[2] + r[4] for r in rows)

    def _cells(self) -> list:
        cells = []
        for op, n_fwd, t_fwd, n_bwd, t_bwd in self.rows:
            total = t_fwd + t_bwd
            share = total / self.total_seconds if self.total_seconds else 0.0
            cells.append(
                (
                    op,
                    str(n_fwd),
                    _time_text(t_fwd),
                    str(n_bwd),
                    _time_text(t_bwd),
                    _time_text(total),
                    f"{share:.0%}",
                )
            )
        n_calls = sum(r[1] + r[3] for r in self.rows)
        cells.append(("total", "", "", "", "", _time_text(self.total_seconds), f"{n_calls} calls"))
        return cells

    def __str__(self) -> str:
        lines = [f"{self.headers[0]:<14}" + "".join(f"{h:>11}" for h in self.headers[1:])]
        for cells in self._cells():
            lines.append(f"{cells[0]:<14}" + "".join(f"{c:>11}" for c in cells[1:]))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self.headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" for cells in self._cells()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class BackwardRecorder(Tracer):
    """Keep what backward computes at each node: the gradient arriving at its output
    (`grad_out[fn]`) and the gradient it sends to each input (`grads[fn]`, a tuple)."""

    def __init__(self) -> None:
        super().__init__()
        self.grad_out: dict = {}
        self.grads: dict = {}

    def backward(self, fn, grad_out):
        grads = self.run_backward(fn, grad_out)
        self.grad_out[fn] = np.array(grad_out, copy=True)
        as_tuple = grads if type(grads) is tuple else (grads,)
        self.grads[fn] = tuple(None if g is None else np.array(g, copy=True) for g in as_tuple)
        return grads
