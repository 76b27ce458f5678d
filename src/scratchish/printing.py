"""How a tensor prints: PyTorch's layout, value for value, so printed numbers match a course's.

The rules (PyTorch's default print options; `sh.set_printoptions` changes them as
`torch.set_printoptions` does):
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

from .errors import ArgumentError

PREFIX = "tensor("
_PROFILES = {  # precision, threshold, edgeitems, linewidth: torch's three profiles
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}
_options = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """How tensors print, as torch.set_printoptions: a profile ("default", "short" or
    "full": every value) first, then each option given. sci_mode True or False forces or
    forbids scientific notation; None (also when not given, as in torch) decides per tensor.

    Example:
        >>> import scratchish as sh
        >>> sh.set_printoptions(precision=2, sci_mode=False)
        >>> sh.tensor([1 / 3, 1e-5])
        tensor([0.33, 0.00])
        >>> sh.set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ArgumentError(
                f"set_printoptions: profile {profile!r} is not one of "
                f"{', '.join(map(repr, _PROFILES))} (or leave it out and set options one by one)."
            )
        names = ("precision", "threshold", "edgeitems", "linewidth")
        _options.update(zip(names, _PROFILES[profile]))
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems}
    given["linewidth"] = linewidth
    for name, value in given.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ArgumentError(
                f"set_printoptions: {name} must be a number >= 0, got {value!r}; "
                f"the default is {_PROFILES['default'][list(given).index(name)]}."
            )
        _options[name] = value
    _options["sci_mode"] = sci_mode


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
        if not _options["edgeitems"]:  # no values shown at all: the shape instead
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype not in (default, np.int64, np.bool_):
            suffixes.append(f"dtype={dtype}")
        summarise = array.size > _options["threshold"]
        fmt = _Formatter(_shown_values(array) if summarise else array)
        body = _nested(array, indent, summarise, fmt)
    return _add_suffixes(PREFIX + body, suffixes + extras, indent)


class _Formatter:
    """One format for every element: its notation, decided on the values, and its width."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.integral, self.scientific, self.width = True, False, 1
        self.precision = _options["precision"]
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
        self.scientific = _options["sci_mode"]
        if self.scientific is None:
            self.scientific = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        self.precision = _options["precision"]
        if self.scientific:
            self.width = max(len(f"{v:.{self.precision}e}") for v in shown)
        elif self.integral:
            self.width = max(len(f"{v:.0f}") + 1 for v in shown)  # + 1 for the "."
        else:
            self.width = max(len(f"{v:.{self.precision}f}") for v in shown)

    def __call__(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.scientific:
            text = f"{value:{self.width}.{self.precision}e}"
        elif self.integral:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{self.precision}f}"
        return text.rjust(self.width)


def _shown_values(array: np.ndarray) -> np.ndarray:
    """The values a summarised tensor shows: the first and last edgeitems along each dim."""
    edge = _options["edgeitems"]
    for axis, n in enumerate(array.shape):
        if n > 2 * edge:
            array = np.take(array, np.r_[0:edge, n - edge : n], axis=axis)
    return array


def _nested(array: np.ndarray, indent: int, summarise: bool, fmt: _Formatter) -> str:
    """[...] for one dim, recursively: rows separated by ",\\n" (a blank line per extra dim)."""
    if array.ndim == 0:
        return fmt(array.item())
    if array.ndim == 1:
        return _row(array, indent, summarise, fmt)
    n, edge = array.shape[0], _options["edgeitems"]
    if summarise and n > 2 * edge:
        parts = [_nested(array[i], indent + 1, summarise, fmt) for i in range(edge)]
        parts.append("...")
        parts += [_nested(array[i], indent + 1, summarise, fmt) for i in range(n - edge, n)]
    else:
        parts = [_nested(array[i], indent + 1, summarise, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _row(array: np.ndarray, indent: int, summarise: bool, fmt: _Formatter) -> str:
    """A 1-d row of elements, as many per line as fit in the line width."""
    per_line = max(1, int((_options["linewidth"] - indent) // (fmt.width + 2)))
    n, edge = array.shape[0], _options["edgeitems"]
    if summarise and not edge:
        items = ["..."]
    elif summarise and n > 2 * edge:
        items = [fmt(v) for v in array[:edge].tolist()] + [" ..."]
        items += [fmt(v) for v in array[n - edge :].tolist()]
    else:
        items = [fmt(v) for v in array.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """text + ", suffix" for each suffix, wrapping to a new line where it would not fit."""
    parts = [text]
    line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > _options["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(parts) + ")"
