"""The errors scratchish raises when something you wrote cannot work, and why.

Every class also subclasses the Python built-in you would expect (ValueError, TypeError,
RuntimeError), so `except ValueError:` in your code keeps working, and RuntimeError wherever
PyTorch raises one for the same mistake (shapes, dtypes, bad arguments), so an
`except RuntimeError:` copied from PyTorch code catches scratchish's error too. Each message
names the operation, the values or shapes involved, and a likely fix, and ends with a short
code that the error catalogue explains. Read next: autograd.py, where errors are raised for
ops.
"""

from __future__ import annotations


class ScratchishError(Exception):
    """Base of every scratchish error. `code` is the short name printed after the message.

    The message ends with the concept card that helps with the code (notes/explain.py
    ERROR_CARDS). A raise site that knows better names its own: `card="cross-entropy"` for a
    class label that is too large, where the usual index error reads the indexing card.
    """

    code = "error"
    card: str | None = None  # None: the card of `code`

    def __init__(self, *args, card: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)  # kwargs: AttributeError's name=, ...
        if card is not None:
            self.card = card

    def __str__(self) -> str:
        # imported here: the notes package imports this module
        from .notes.explain import card_for_error

        card = self.card if self.card is not None else card_for_error(self.code)
        read = f" Read more: sh.explain({card!r})." if card else ""
        return f"{super().__str__()}{read} [{self.code}]"


class ShapeError(ScratchishError, RuntimeError, ValueError):
    """Shapes that do not fit together: broadcasting, matmul, reshape, a layer's input."""

    code = "shape-mismatch"


class DTypeError(ScratchishError, RuntimeError, TypeError):
    """A dtype or Python object that an operation does not accept."""

    code = "dtype"


class IndexOutOfRangeError(ScratchishError, IndexError, ValueError):
    """An index (or class label) outside the valid range."""

    code = "index-out-of-range"


class BackwardError(ScratchishError, RuntimeError, ValueError):
    """backward() was called in a way that cannot work (non-scalar, no grad, freed graph)."""

    code = "backward"


class InPlaceError(ScratchishError, RuntimeError, ValueError):
    """An in-place change to a tensor that autograd still needs."""

    code = "in-place"


class UnsupportedError(ScratchishError, NotImplementedError, TypeError):
    """A PyTorch feature that scratchish does not have (CUDA, an API not yet written)."""

    code = "unsupported"


class GradcheckError(ScratchishError, AssertionError, ValueError):
    """gradcheck found an analytic gradient that differs from the numerical one."""

    code = "gradcheck"


class ArgumentError(ScratchishError, RuntimeError, ValueError):
    """An argument with a value that makes no sense (negative learning rate, empty list, ...)."""

    code = "bad-argument"


def broadcast_message(op: str, *shapes: tuple) -> str:
    """Explain why shapes cannot broadcast, naming the first dimension that clashes."""
    shown = " and ".join(str(tuple(s)) for s in shapes)
    ndim = max(len(s) for s in shapes)
    for back in range(1, ndim + 1):
        sizes = {s[-back] for s in shapes if len(s) >= back}
        sizes.discard(1)
        if len(sizes) > 1:
            a, b = sorted(sizes)[:2]
            where = (
                "last"
                if back == 1
                else f"{back}th from last"
                if back > 3
                else {2: "2nd from last", 3: "3rd from last"}[back]
            )
            return (
                f"{op}: shapes {shown} cannot be broadcast together: sizes {a} and {b} differ "
                f"in the {where} dimension. Broadcasting lines shapes up from the right and "
                f"each pair of sizes must be equal or 1. Check the shapes with .shape; you may "
                f"need .reshape, .unsqueeze or .T on one of them."
            )
    return f"{op}: shapes {shown} cannot be broadcast together."
