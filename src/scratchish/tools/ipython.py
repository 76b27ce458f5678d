"""Calm errors: a scratchish error explained (what happened, the likely cause, what to try,
the idea to read about) instead of a wall of red traceback, in IPython/Jupyter and on the
command line. The full traceback is always one step away (`%tb`, `last_traceback()`,
`--debug`).

Every scratchish error ends with a short code, `[shape-mismatch]`; CATALOGUE below and
docs/errors.md explain each code. Read next: errors.py, which defines the codes.
"""

from __future__ import annotations

import os
import sys
import textwrap
import traceback
from dataclasses import dataclass

from ..errors import ScratchishError, UnsupportedError

DOCS = "docs/errors.md"


@dataclass(frozen=True)
class Entry:
    """What the catalogue says about one error code."""

    title: str  # what kind of problem, in a few words
    cause: str  # the usual reason
    fix: str  # what to try
    concept: str  # the idea behind it, to read about


CATALOGUE = {
    "shape-mismatch": Entry(
        "shapes that do not fit together",
        "Two tensors meet whose shapes cannot combine: a matmul whose inner sizes differ, "
        "an elementwise op whose shapes do not broadcast, or a layer whose in_features is "
        "not the size of its input (often an image that was not flattened).",
        "Print the .shape of each operand just before the failing line. Transpose (.T), "
        "reshape, unsqueeze or flatten one of them, or change the layer's in_features.",
        "broadcasting and matrix-multiplication shapes",
    ),
    "dtype": Entry(
        "a value of the wrong type",
        "An integer tensor where floats are needed (only floats can require gradients), "
        "float32 meeting float64, or a Python object that is not a number or a tensor.",
        "Convert with .float(), .long() or .to(dtype); make the model and its input the "
        "same dtype (model.to(x.dtype) or x.to(sh.float32)).",
        "dtypes: float32 by default, integers for labels and indices",
    ),
    "index-out-of-range": Entry(
        "an index outside the valid range",
        "An index at or beyond a dimension's size, or a class label that is not below the "
        "number of classes (labels counted from 1 instead of 0, or a last layer too small).",
        "Check the index against .shape; for labels check y.min() and y.max() against the "
        "number of outputs of the last layer.",
        "zero-based indexing and class labels 0..C-1",
    ),
    "backward": Entry(
        "backward() was called in a way that cannot work",
        "backward() on a tensor with many elements, on a result that does not depend on any "
        "tensor with requires_grad=True, or a second time through a graph already freed.",
        "Reduce to a single number first (loss = out.mean()); create the weights with "
        "requires_grad=True and do not compute the loss inside no_grad(); recompute the "
        "forward pass before each backward().",
        "the computation graph and how backward walks it",
    ),
    "in-place": Entry(
        "an in-place change that autograd cannot allow",
        "A tensor that the graph still needs (a weight with requires_grad=True, or a saved "
        "input) was changed in place, e.g. w -= lr * w.grad outside no_grad().",
        "Update weights inside `with sh.no_grad():` or use an optimizer; otherwise write "
        "x = x + 1 instead of x += 1.",
        "why autograd keeps the values it needs for backward",
    ),
    "unsupported": Entry(
        "a PyTorch feature that scratchish does not have",
        "scratchish implements what beginner courses use, on the CPU with NumPy: there is no "
        "GPU, and some PyTorch APIs and modules are not written yet.",
        "Use the CPU (leave device out, or device='cpu'); `scratchish run --check FILE` lists "
        "every torch name a script uses and whether scratchish has it.",
        "what scratchish covers, and why it runs on the CPU only",
    ),
    "gradcheck": Entry(
        "a backward that disagrees with the numerical gradient",
        "The hand-written backward of an op returns a gradient that differs from finite "
        "differences: a wrong formula, a missing factor, or a sum over broadcast axes.",
        "Work out d(out)/d(input) on paper for a 1-element input, compare with the report's "
        "worst element, and check unbroadcast for inputs that were broadcast.",
        "checking gradients with finite differences",
    ),
    "bad-argument": Entry(
        "an argument whose value makes no sense",
        "A setting out of its range (a negative learning rate, an empty list of parameters), "
        "or a state_dict whose keys or shapes do not match the model.",
        "Read the message for the expected range; for a state_dict compare "
        "model.state_dict().keys() and shapes with the checkpoint's.",
        "the arguments of each function (its docstring)",
    ),
    "dataset": Entry(
        "a data set that cannot be used",
        "A data set name that does not exist, a file that is missing, empty, truncated or in "
        "another format, or too few samples for the split asked for.",
        "Check the name and the path; delete a damaged file and download it again.",
        "datasets and where scratchish keeps them",
    ),
    "checksum": Entry(
        "a downloaded file that is damaged or not the official one",
        "The file's SHA-256 differs from the published one: an interrupted download, a proxy "
        "page saved instead of the file, or a different version.",
        "Delete the file and download it again (or copy the official file by hand).",
        "verifying downloads with checksums",
    ),
    "offline": Entry(
        "no server could be reached",
        "The machine is offline, or every mirror failed.",
        "Connect and try again, or follow the message's steps to place the file by hand; the "
        "bundled data sets need no network.",
        "offline-first data sets",
    ),
    "note-exists": Entry(
        "a note with this title already exists",
        "Each concept has one note; this title is taken (nothing was overwritten).",
        "Open the existing file (its path is in the message) and add to it, or pick another title.",
        "your notes folder: one note per concept",
    ),
    "note-not-found": Entry(
        "no note has this title",
        "A misspelt title, or a note that was not created yet.",
        "List your notes to see their titles, or create the note.",
        "your notes folder: one note per concept",
    ),
    "diverged": Entry(
        "the training blew up: the loss became nan or inf",
        "A learning rate too high (most often), a log of 0 or a division by 0 in a hand-written "
        "loss, or inputs that were not normalised.",
        "Divide the learning rate by 10 or run the LR finder; use cross_entropy rather than "
        "log(softmax(x)); scale the inputs. sh.tools.GradientFlow shows where it blows up.",
        "learning rates, and why training diverges",
    ),
    "journal": Entry(
        "the experiment journal cannot be read or written",
        "A damaged or half-copied journal file, one from a newer scratchish, or --journal "
        "pointing at another program's file.",
        "Move the file the message names aside (a new journal is created on the next run), or "
        "set SCRATCHISH_JOURNAL=off to train without recording.",
        "the experiment journal",
    ),
    "error": Entry(
        "something scratchish could not do",
        "See the message: it names the operation and the values involved.",
        "Follow the suggestion at the end of the message.",
        "the error catalogue",
    ),
}


def entry_for(exc: BaseException) -> Entry:
    """The catalogue entry for an exception (the generic one for unknown codes)."""
    return CATALOGUE.get(getattr(exc, "code", "error"), CATALOGUE["error"])


def _message(exc: BaseException) -> str:
    """The message without the trailing ' [code]' (shown separately)."""
    text = str(exc)
    code = getattr(exc, "code", None)
    suffix = f" [{code}]"
    return text[: -len(suffix)] if code and text.endswith(suffix) else text


def _where(tb) -> str:
    """The last line of *your* code in the traceback (frames inside scratchish skipped)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [
        f
        for f in traceback.extract_tb(tb)
        if not os.path.abspath(f.filename).startswith(package + os.sep)
    ]
    if not frames:
        return ""
    f = frames[-1]
    line = f" : {f.line.strip()}" if f.line else ""
    return f"{f.filename}, line {f.lineno}{line}"


def _block(title: str, text: str) -> list:
    lines = [title]
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, 92, initial_indent="    ", subsequent_indent="    ")
    return lines


def explain_error(exc: BaseException, tb=None, full_traceback_hint: str = "") -> str:
    """The calm explanation of a scratchish error, as plain text.

    Example:
        >>> import scratchish as sh
        >>> try:
        ...     sh.ones(2, 3) @ sh.ones(4, 5)
        ... except sh.ScratchishError as e:
        ...     print(explain_error(e).splitlines()[0])
        ShapeError [shape-mismatch]: shapes that do not fit together.
    """
    entry = entry_for(exc)
    code = getattr(exc, "code", "error")
    lines = [f"{type(exc).__name__} [{code}]: {entry.title}."]
    lines += _block("What happened", _message(exc))
    where = _where(tb if tb is not None else exc.__traceback__)
    if where:
        lines += _block("Where", where)
    lines += _block("Likely cause", entry.cause)
    lines += _block("What to try", entry.fix)
    lines += _block("Read about", f"{entry.concept}: {DOCS}#{code}")
    if full_traceback_hint:
        lines.append(full_traceback_hint)
    return "\n".join(lines)


def format_error_for_cli(exc: BaseException, debug: bool) -> str:
    """What the command line prints for an error that stopped a script.

    A scratchish error gets the calm explanation, and the full traceback only with --debug.
    Any other error is a plain Python error: its traceback is always shown.
    """
    full = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if not isinstance(exc, ScratchishError):
        return full.rstrip("\n")
    if debug:
        return explain_error(exc) + "\n\nFull traceback (--debug):\n" + full.rstrip("\n")
    return explain_error(
        exc,
        full_traceback_hint="(Run again as `scratchish --debug COMMAND ...` for the full "
        "traceback.)",
    )


# ------------------------------------------------------------------------------ IPython
class Text(str):
    """A string that shows as itself (no quotes, real newlines) when a cell returns it."""

    def __repr__(self) -> str:
        return str(self)


_last: tuple | None = None  # (type, value, traceback) of the last scratchish error shown


def last_traceback() -> Text:
    """The full traceback of the last scratchish error shown calmly (also `%tb`)."""
    if _last is None:
        return Text("No scratchish error has been shown yet.")
    return Text("".join(traceback.format_exception(*_last)).rstrip("\n"))


def _handler(shell, etype, value, tb, tb_offset=None) -> list:
    """IPython's custom exception handler: print the calm explanation.

    It follows %xmode: Minimal prints one line, Verbose adds the full traceback, the other
    modes (Context, the default, and Plain) print the explanation alone.
    """
    global _last
    _last = (etype, value, tb)
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # what %tb shows
    if sys.version_info >= (3, 12):
        sys.last_exc = value
    mode = getattr(getattr(shell, "InteractiveTB", None), "mode", "Context")
    hint = "(Full traceback: %tb, or sh.tools.ipython.last_traceback().)"
    if mode == "Minimal":
        text = f"{type(value).__name__}: {value}  {hint}"
    else:
        text = explain_error(value, tb, full_traceback_hint="" if mode == "Verbose" else hint)
        if mode == "Verbose":
            stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
            text += "\n\nFull traceback:\n" + shell.InteractiveTB.stb2text(stb)
    print(text)
    return [text]


def install(ipython) -> None:
    """Render scratchish errors calmly in this IPython shell (`%load_ext scratchish` calls it).

    Other errors keep IPython's usual traceback.
    """
    ipython.set_custom_exc((ScratchishError,), _handler)


def uninstall(ipython) -> None:
    """Back to IPython's usual tracebacks for every error."""
    ipython.set_custom_exc((), None)


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None  # noqa: N806
    shell = get_ipython() if get_ipython is not None else None
    if shell is None:
        raise UnsupportedError(
            "sh.tools.ipython.enable() works inside IPython or Jupyter, and this is plain "
            "Python. Here errors print as usual; `scratchish run` prints them calmly."
        )
    return shell


def enable() -> None:
    """Turn calm error rendering on in the running IPython/Jupyter session."""
    install(_shell())


def disable() -> None:
    """Turn it off again (IPython's usual tracebacks)."""
    uninstall(_shell())
