"""Data types: PyTorch's names (`sh.float32`, `sh.long`, ...) over NumPy's dtypes.

A Tensor stores a NumPy array; `tensor.dtype` gives one of the objects below, which compare
equal to each other and to the matching NumPy dtype. Read next: tensor.py.
"""

from __future__ import annotations

import builtins

import numpy as np

from .errors import DTypeError


class dtype:  # noqa: N801 - PyTorch's name
    """A tensor element type, e.g. `sh.float32`. `.np` is the NumPy dtype behind it."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"scratchish.{self.name}"

    def __eq__(self, other) -> bool:
        if isinstance(other, dtype):
            return self.np == other.np
        try:
            return self.np == np.dtype(other)
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.np)

    def to_real(self) -> dtype:
        return self


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool = dtype("bool", np.bool_)  # noqa: A001 - PyTorch's name

# PyTorch's aliases
half = float16
float = float32  # noqa: A001
double = float64
short = int16
int = int32  # noqa: A001
long = int64

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
FROM_NUMPY = {d.np: d for d in _ALL}

_default_dtype = float32


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(d) -> None:
    """Make float tensors default to `d` (`sh.float32` or `sh.float64`), as torch does."""
    global _default_dtype
    d = as_dtype(d)
    if not d.is_floating_point:
        raise DTypeError(
            f"set_default_dtype: {d} is not a floating dtype; use sh.float32 or sh.float64."
        )
    _default_dtype = d


def as_dtype(d) -> dtype:
    """Turn `sh.float32`, `np.float32`, `'float32'`, `float`, `int` or `bool` into a dtype."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return _default_dtype
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    try:
        return FROM_NUMPY[np.dtype(d)]
    except (TypeError, KeyError, ValueError):
        accepted = ", ".join(f"sh.{x.name}" for x in _ALL)
        raise DTypeError(
            f"dtype {d!r} is not supported. Use one of {accepted} (or their NumPy equivalents)."
        ) from None


def np_dtype(d) -> np.dtype:
    """The NumPy dtype for anything `as_dtype` accepts."""
    return as_dtype(d).np


class finfo:  # noqa: N801 - PyTorch's name
    """The limits of a float dtype (the default one if none is given), as torch.finfo: eps
    (the gap after 1.0), max, min (= -max), tiny = smallest_normal, resolution, bits. Often
    used to mask scores: x.masked_fill(mask, sh.finfo(x.dtype).min)."""

    def __init__(self, type=None) -> None:  # noqa: A002 - PyTorch's name
        d = _default_dtype if type is None else as_dtype(type)
        if not d.is_floating_point:
            raise DTypeError(f"finfo: {d} is not a float dtype; use sh.iinfo({d}) for integers.")
        info = np.finfo(d.np)
        self.bits, self.dtype = info.bits, d.name
        self.eps, self.max = builtins.float(info.eps), builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = (
            10.0**-info.precision
        )  # a Python float, as torch (1e-06, not float32 1e-06)

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - PyTorch's name
    """The limits of an integer (or bool) dtype, as torch.iinfo: min, max, bits."""

    def __init__(self, type) -> None:  # noqa: A002 - PyTorch's name
        d = as_dtype(type)
        if d.np.kind not in "iu":
            raise DTypeError(
                f"iinfo: {d} is not an integer dtype; use sh.finfo({d}) for floats "
                f"(torch.iinfo takes no bool either)."
            )
        info = np.iinfo(d.np)
        self.bits, self.dtype = info.bits, d.name
        self.min, self.max = builtins.int(info.min), builtins.int(info.max)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


# torch's order of kinds when two dtypes meet: bool < integers < floats (NumPy's kind codes)
KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def promoted(a: np.dtype, b: np.dtype) -> np.dtype:
    """The NumPy dtype two of these combine into, as torch: the higher kind, and within a
    kind the larger (np.promote_types: uint8 with int8 is int16)."""
    ra, rb = KIND_RANK[a.kind], KIND_RANK[b.kind]
    if ra != rb:
        return a if ra > rb else b
    return np.promote_types(a, b)


def promote_types(type1, type2) -> dtype:
    """The dtype two tensors of these dtypes combine into (torch.promote_types): the higher
    kind (bool < integer < float), and within a kind the larger."""
    return FROM_NUMPY[promoted(as_dtype(type1).np, as_dtype(type2).np)]


def can_cast(from_, to) -> builtins.bool:
    """Whether torch's in-place ops and out= may cast `from_` to `to` (torch.can_cast): not
    from a higher kind to a lower one (float to integer, integer to bool)."""
    return KIND_RANK[as_dtype(from_).np.kind] <= KIND_RANK[as_dtype(to).np.kind]
