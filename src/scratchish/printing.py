"""How a tensor prints: PyTorch's layout, value for value, so printed numbers match a course's.

The rules (PyTorch's default print options):
- Floats get 4 decimals, or scientific notation (1.2345e-05) when the nonzero finite
  magnitudes span more than 1000x, exceed 1e8, or (non-integral values only) fall below 1e-4.
  Integral floats print as "1.", "2.". Every element is right-aligned to one width.
- More than 1000 elements: only the first and last 3 along each dim are shown, with "..." in
  between; the format above is then decided on the shown values alone.
- Lines wrap at 80 characters; the dtype (when it is not float32, int64 or bool), grad_fn and
  requires_grad follow the values, on a new line when they would not fit.
"""

from __future__ import annotations

import math

import numpy as np

PRECISION, THRESHOLD, EDGE_ITEMS, LINE_WIDTH = 4, 1000, 3, 80
PREFIX = "tensor("


def format_tensor(array: np.ndarray, dtype: str, default: np.dtype, extras: list[str]) -> str:
    """The repr of a tensor holding `array`, whose dtype prints as `dtype`; `default` is the
    default float dtype; `extras` ("grad_fn=...", "requires_grad=True") follow the values."""
    indent = len(PREFIX)
    suffixes = []
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != default:  # no values to tell an int tensor from a float one
            suffixes.append(f"dtype={dtype}")
    else:
        if array.dtype not in (default, np.int64, np.bool_):
            suffixes.append(f"dtype={dtype}")
        summarise = array.size > THRESHOLD
        fmt = _Formatter(_shown_values(array) if summarise else array)
        body = _nested(array, indent, summarise, fmt)
    return _add_suffixes(PREFIX + body, suffixes + extras, indent)


class _Formatter:
    """One format for every element: its notation, decided on the values, and its width."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.integral, self.scientific, self.width = True, False, 1
        flat = values.ravel().tolist()
        if not self.floating:
            self.width = max((len(str(v)) for v in flat), default=1)
            return
        shown = [v for v in flat if v != 0 and math.isfinite(v)]
        if not shown:
            return
        magnitudes = [abs(v) for v in shown]
        smallest, largest = min(magnitudes), max(magnitudes)
        self.integral = all(v == math.ceil(v) for v in shown)
        spread = largest / smallest > 1000.0 or largest > 1.0e8
        self.scientific = spread or (not self.integral and smallest < 1.0e-4)
        if self.scientific:
            self.width = max(len(f"{v:.{PRECISION}e}") for v in shown)
        elif self.integral:
            self.width = max(len(f"{v:.0f}") + 1 for v in shown)  # + 1 for the "."
        else:
            self.width = max(len(f"{v:.{PRECISION}f}") for v in shown)

    def __call__(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.scientific:
            text = f"{value:{self.width}.{PRECISION}e}"
        elif self.integral:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRECISION}f}"
        return text.rjust(self.width)


def _shown_values(array: np.ndarray) -> np.ndarray:
    """The values a summarised tensor shows: the first and last EDGE_ITEMS along each dim."""
    for axis, n in enumerate(array.shape):
        if n > 2 * EDGE_ITEMS:
            ends = np.r_[0:EDGE_ITEMS, n - EDGE_ITEMS : n]
            array = np.take(array, ends, axis=axis)
    return array


def _nested(array: np.ndarray, indent: int, summarise: bool, fmt: _Formatter) -> str:
    """[...] for one dim, recursively: rows separated by ",\\n" (a blank line per extra dim)."""
    if array.ndim == 0:
        return fmt(array.item())
    if array.ndim == 1:
        return _row(array, indent, summarise, fmt)
    n = array.shape[0]
    if summarise and n > 2 * EDGE_ITEMS:
        parts = [_nested(array[i], indent + 1, summarise, fmt) for i in range(EDGE_ITEMS)]
        parts.append("...")
        parts += [_nested(array[i], indent + 1, summarise, fmt) for i in range(n - EDGE_ITEMS, n)]
    else:
        parts = [_nested(array[i], indent + 1, summarise, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _row(array: np.ndarray, indent: int, summarise: bool, fmt: _Formatter) -> str:
    """A 1-d row of elements, as many per line as fit in LINE_WIDTH."""
    per_line = max(1, (LINE_WIDTH - indent) // (fmt.width + 2))
    n = array.shape[0]
    if summarise and n > 2 * EDGE_ITEMS:
        items = [fmt(v) for v in array[:EDGE_ITEMS].tolist()] + [" ..."]
        items += [fmt(v) for v in array[n - EDGE_ITEMS :].tolist()]
    else:
        items = [fmt(v) for v in array.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """text + ", suffix" for each suffix, wrapping to a new line where it would not fit."""
    parts = [text]
    line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > LINE_WIDTH:
            parts.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(parts) + ")"
