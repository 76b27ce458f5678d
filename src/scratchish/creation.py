"""Making tensors: from data (`tensor`, `from_numpy`), filled (`zeros`, `full`, `eye`, ...),
random (`randn`, `rand`, `randint`, ...), and joining (`cat`, `stack`).

Random functions draw from random.py's generator, which gives the same numbers as PyTorch's
for the same seed. Every function takes PyTorch's keyword arguments (`dtype`, `device`,
`requires_grad`, `generator`, `out`). Read next: tensor.py.
"""

from __future__ import annotations

import builtins
import functools
import math
import operator

import numpy as np

from . import dtypes
from .errors import ArgumentError, DTypeError, ShapeError, UnsupportedError
from .ops.movement import Cat, IndexPad, Pad, Stack
from .random import _fma, default_generator, generator_or_default
from .tensor import (
    Tensor,
    _broadcast_shape,
    _check_device,
    _dims,
    _fill_value,
    _flag,
    _need_tensor,
    _number,
    _short_repr,
    _sizes,
    _to_array,
    _value,
    _whole_number,
    takes_tensor,
)


def _finish(array: np.ndarray, requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    if out is not None:
        out.array = array
        out.requires_grad = requires_grad
        return out
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True  # checks that the dtype is a float one
    return t


def _float(dtype) -> np.dtype:
    return dtypes.get_default_dtype().np if dtype is None else dtypes.np_dtype(dtype)


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (a number, nested lists, an array or a tensor).

    Python floats become float32 (the default dtype), Python ints int64, bools bool; NumPy
    arrays keep their dtype.

    Example:
        >>> import scratchish as sh
        >>> sh.tensor([[1, 2], [3, 4]]).dtype
        scratchish.int64
        >>> sh.tensor([0.5, 1.5])
        tensor([0.5000, 1.5000])
    """
    _check_device(device)
    raw = _to_array(data)
    if isinstance(raw, (np.ndarray, np.generic)):
        array = np.array(raw, dtype=None if dtype is None else dtypes.np_dtype(dtype), copy=True)
    else:
        try:
            array = np.array(raw)
        except (ValueError, TypeError) as e:
            raise ShapeError(
                f"tensor: could not turn the data into a rectangular array ({e}). Every row "
                f"must have the same length, e.g. [[1, 2], [3, 4]]."
            ) from None
        if array.dtype.kind == "O" or array.dtype.kind in "US":
            raise DTypeError(
                f"tensor: cannot make a tensor from {type(data).__name__} holding "
                f"{array.dtype.kind == 'O' and 'mixed objects' or 'text'}; give numbers, "
                f"nested lists of numbers, or a NumPy array."
            )
        if dtype is not None:
            array = array.astype(dtypes.np_dtype(dtype))
        elif array.dtype.kind == "f":
            array = array.astype(dtypes.get_default_dtype().np)
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64)
    if dtype is not None and array.dtype != dtypes.np_dtype(dtype):
        array = array.astype(dtypes.np_dtype(dtype))
    dtypes.as_dtype(array.dtype)  # complex, uint16, text...: a DTypeError listing the accepted
    return _finish(array, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like `tensor`, but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtypes.as_dtype(dtype)):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == dtypes.np_dtype(dtype)):
        return Tensor._make(data)
    return tensor(data, dtype, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with a NumPy array: changing one changes the other."""
    if not isinstance(array, np.ndarray):
        raise DTypeError(
            f"from_numpy: expected a NumPy array, got {type(array).__name__}; "
            f"use sh.tensor(...) for other data."
        )
    dtypes.as_dtype(array.dtype)  # raises for unsupported dtypes
    return Tensor._make(array)


def _filled(fill, shape: tuple, dtype, requires_grad, device, out=None) -> Tensor:
    _check_device(device)
    return _finish(fill(shape, dtype=_float(dtype)), requires_grad, out)


def _shape_from(name: str, sizes: tuple, size) -> tuple:
    """The shape of f(2, 3), f((2, 3)) or f(size=(2, 3)): torch accepts all three."""
    if size is None:
        return _sizes(sizes, name)
    shape = _sizes((size,), name)
    if sizes:
        raise ArgumentError(
            f"{name}: the size was given twice, as {name}({', '.join(map(repr, sizes))}, ...) "
            f"and as size={size!r}. Give it once: sh.{name}({', '.join(map(str, shape))}) "
            f"or sh.{name}(size={shape})."
        )
    return shape


def zeros(*sizes, size=None, out=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros: `sh.zeros(2, 3)`, `sh.zeros((2, 3))` or `sh.zeros(size=(2, 3))`."""
    shape = _shape_from("zeros", sizes, size)
    return _filled(np.zeros, shape, dtype, requires_grad, device, out)


def ones(*sizes, size=None, out=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones (the size as in `zeros`)."""
    shape = _shape_from("ones", sizes, size)
    return _filled(np.ones, shape, dtype, requires_grad, device, out)


def empty(*sizes, size=None, out=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor whose values are whatever was in memory (fill it before use)."""
    shape = _shape_from("empty", sizes, size)
    return _filled(np.empty, shape, dtype, requires_grad, device, out)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    """A tensor with every element `fill_value` (the dtype follows the value, as in torch):
    `sh.full((2, 3), 1.5)` or `sh.full(size=(2, 3), fill_value=1.5)`."""
    if dtype is None and isinstance(fill_value, builtins.bool):
        dtype = dtypes.bool
    elif dtype is None and isinstance(fill_value, builtins.int):
        dtype = dtypes.int64
    value = _fill_value("full", fill_value)  # None would become nan, silently
    t = _filled(np.empty, _sizes((size,), "full"), dtype, False, device)
    try:
        t.array[...] = value
    except (TypeError, ValueError) as e:
        raise DTypeError(
            f"full: cannot fill a {t.dtype} tensor with {fill_value!r} ({e}); give a number."
        ) from None
    return _finish(t.array, requires_grad, out)


@takes_tensor
def zeros_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(x.array.shape, dtypes.np_dtype(dtype or x.dtype)), requires_grad)


@takes_tensor
def ones_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(x.array.shape, dtypes.np_dtype(dtype or x.dtype)), requires_grad)


@takes_tensor
def empty_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.empty(x.array.shape, dtypes.np_dtype(dtype or x.dtype)), requires_grad)


@takes_tensor
def full_like(x: Tensor, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    fill_value = _fill_value("full_like", fill_value)
    return _finish(
        np.full(x.array.shape, fill_value, dtypes.np_dtype(dtype or x.dtype)), requires_grad
    )


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Numbers from start (inclusive) to end (exclusive) in steps: `sh.arange(5)` -> 0..4.
    Integer arguments give int64, any float gives float32 (as torch)."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    start, end, step = (
        _number("arange", k, v) for k, v in zip(("start", "end", "step"), (start, end, step))
    )
    if step == 0:
        raise ArgumentError("arange: step must not be 0.")
    if (step > 0 and end < start) or (step < 0 and end > start):  # torch refuses, NumPy gives []
        raise ArgumentError(
            f"arange: step={step} never gets from start={start} to end={end}. To count "
            f"{'down' if end < start else 'up'}, give step={-step}."
        )
    is_int = all(isinstance(v, (builtins.int, np.integer)) for v in (start, end, step))
    np_type = (
        dtypes.np_dtype(dtype)
        if dtype is not None
        else (np.int64 if is_int else dtypes.get_default_dtype().np)
    )
    if not is_int and np.dtype(np_type).kind in "iu":
        return _finish(_integer_arange(start, end, step, np.dtype(np_type)), requires_grad)
    return _finish(np.arange(start, end, step).astype(np_type), requires_grad)


def _integer_arange(start, end, step, np_type: np.dtype) -> np.ndarray:
    """arange of an integer dtype from float arguments, as torch does it: each value is
    start and step cut to whole numbers (toward 0). int64 cuts end too (so step=0.5 is 0); the
    smaller types take their length from the float arguments, ceil((end - start) / step)."""
    if np_type == np.int64:
        whole_step = builtins.int(step)
        if whole_step == 0:
            raise ArgumentError(
                f"arange: step={step} is 0 as a whole number, and an int64 arange cuts start, "
                f"end and step to whole numbers (as torch does). Give a whole step, or "
                f"dtype=sh.float32 for steps of {step}."
            )
        return np.arange(builtins.int(start), builtins.int(end), whole_step, dtype=np.int64)
    n = builtins.max(math.ceil((end - start) / step), 0)
    return (builtins.int(start) + np.arange(n) * builtins.int(step)).astype(np_type)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    """`steps` evenly spaced numbers from start to end, both included."""
    _check_device(device)
    if not isinstance(steps, (builtins.int, np.integer)) or steps < 0:
        raise ArgumentError(f"linspace: steps={steps!r} must be a whole number >= 0.")
    start, end = _number("linspace", "start", start), _number("linspace", "end", end)
    np_type = _float(dtype)
    if np_type.kind != "f" or steps < 2:
        return _finish(np.linspace(start, end, steps).astype(np_type), requires_grad)
    return _finish(_linspace_as_torch(start, end, steps, np_type), requires_grad)


def _linspace_as_torch(start, end, steps: int, np_type: np.dtype) -> np.ndarray:
    """linspace computed the way torch's CPU kernel does, in the output dtype, so the values
    match bit for bit (NumPy works in float64 and rounds once at the end, which in float32 can
    land 1 ulp away):

        step = (end - start) / (steps - 1)
        out[i] = start + i * step                   for i < steps // 2
        out[i] = end - (steps - 1 - i) * step       for the rest (so the last value is end)

    each line being a fused multiply-add (one rounding), as the compiler builds torch's loop.
    float16 is computed in float32 and rounded (close to PyTorch's values, not its bits)."""
    if np_type == np.float16:
        return _linspace_as_torch(start, end, steps, np.dtype(np.float32)).astype(np_type)
    start, end = np_type.type(start), np_type.type(end)
    step = (end - start) / np_type.type(steps - 1)
    i = np.arange(steps)
    first = i < steps // 2
    factor = np.where(first, i, -(steps - 1 - i)).astype(np_type)  # -(steps - 1 - i) * step
    # NumPy has no fused multiply-add: random.py's emulation, which randn uses too
    return _fma(factor, step, np.where(first, start, end).astype(np_type))


def logspace(
    start, end, steps: int, base: float = 10.0, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """`steps` numbers from base**start to base**end, evenly spaced on a log scale (learning
    rates to try: sh.logspace(-5, -1, 5))."""
    _check_device(device)
    if not isinstance(steps, (builtins.int, np.integer)) or steps < 0:
        raise ArgumentError(f"logspace: steps={steps!r} must be a whole number >= 0.")
    values = np.float64(base) ** np.linspace(start, end, steps)
    return _finish(values.astype(_float(dtype)), requires_grad)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle of a row x col matrix."""
    _check_device(device)
    row, col, offset = _triangle("tril_indices", row, col, offset)
    rows, cols = np.tril_indices(row, offset, col)
    return Tensor._make(np.stack([rows, cols]).astype(dtypes.np_dtype(dtype or dtypes.int64)))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) row and column indices of the upper triangle of a row x col matrix."""
    _check_device(device)
    row, col, offset = _triangle("triu_indices", row, col, offset)
    rows, cols = np.triu_indices(row, offset, col)
    return Tensor._make(np.stack([rows, cols]).astype(dtypes.np_dtype(dtype or dtypes.int64)))


def _triangle(op: str, row, col, offset) -> tuple:
    """tril_indices' and triu_indices' arguments, checked: sizes >= 0, a whole offset."""
    row, col = _whole_number(op, "row", row), _whole_number(op, "col", col)
    if row < 0 or col < 0:
        raise ArgumentError(f"{op}: row={row} and col={col} are sizes and must be >= 0.")
    return row, col, _whole_number(op, "offset", offset)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The identity matrix: ones on the diagonal."""
    _check_device(device)
    if not all(isinstance(k, (builtins.int, np.integer)) and k >= 0 for k in (n, m or 0)):
        raise ArgumentError(f"eye: sizes n={n!r}, m={m!r} must be whole numbers >= 0.")
    return _finish(np.eye(n, m, dtype=_float(dtype)), requires_grad)


@takes_tensor
def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    return x.tril(diagonal)


@takes_tensor
def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    return x.triu(diagonal)


def set_default_device(device) -> None:
    """Accepted for PyTorch code: scratchish has one device, the CPU. `set_default_device("cpu")`
    (or None) does nothing; any other device raises the CPU-only error."""
    _check_device(device)


def get_default_device():
    """The device new tensors are made on: always the CPU here."""
    from .tensor import device

    return device("cpu")


# ------------------------------------------------------------------ random
def manual_seed(seed: int):
    """Seed the default generator: the same seed gives the same numbers as torch.manual_seed."""
    return default_generator.manual_seed(seed)


def rand(*sizes, size=None, generator=None, out=None, dtype=None, device=None, requires_grad=False):
    """Uniform random numbers in [0, 1): `sh.rand(2, 3)` or `sh.rand(size=(2, 3))`."""
    _check_device(device)
    shape = _shape_from("rand", sizes, size)
    gen = generator_or_default(generator, "rand")
    return _finish(gen.uniform(shape, dtype=_float(dtype)), requires_grad, out)


def randn(
    *sizes, size=None, generator=None, out=None, dtype=None, device=None, requires_grad=False
):
    """Standard normal random numbers (mean 0, standard deviation 1), sized as `rand`."""
    _check_device(device)
    shape = _shape_from("randn", sizes, size)
    gen = generator_or_default(generator, "randn")
    return _finish(gen.normal(shape, dtype=_float(dtype)), requires_grad, out)


def randint(
    *args,
    low=None,
    high=None,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    device=None,
    requires_grad=False,
):
    """Random integers from low (inclusive, default 0) to high (exclusive), int64 unless
    `dtype` says otherwise. Both of torch's forms work, by position or keyword:
    `sh.randint(10, (3,))`, `sh.randint(2, 10, (3,))`, `sh.randint(low=2, high=10, size=(3,))`.

    Example:
        >>> import scratchish as sh
        >>> _ = sh.manual_seed(0)
        >>> sh.randint(10, (5,))
        tensor([4, 9, 3, 0, 3])
    """
    _check_device(device)
    if (
        len(args) == 3
        and low is high is size is None
        and _plain_ints(args[:2])
        and isinstance(args[2], (tuple, list))
    ):
        low, high, size = args[0], args[1], _sizes((args[2],), "randint")  # the common form
    else:
        low, high, size = _randint_args(args, low, high, size)
    np_type = np.dtype(np.int64) if dtype is None else dtypes.np_dtype(dtype)
    _check_randint_range(low, high, np_type)
    gen = generator_or_default(generator, "randint")
    return _finish(gen.randint(low, high, size).astype(np_type, copy=False), requires_grad, out)


_RANDINT_FORMS = "randint(high, size) or randint(low, high, size), e.g. sh.randint(0, 10, (3,))"


def _randint_args(args: tuple, low, high, size) -> tuple:
    """torch.randint's two forms, randint(high, size) and randint(low, high, size), with any
    of low, high and size given by keyword instead -> (low, high, size)."""
    given = {name: v for name, v in (("low", low), ("high", high), ("size", size)) if v is not None}
    args = list(args)
    if args and (isinstance(args[-1], (tuple, list)) or len(args) == 3):  # the size is last
        _give(given, "size", args.pop())
    # the numbers left are (low, high), or high alone: randint(10, (3,)) means [0, 10)
    names = ("low", "high") if len(args) == 2 or "low" in given or "high" in given else ("high",)
    if len(args) > len(names):
        raise ArgumentError(f"randint: too many arguments {tuple(args)!r}; write {_RANDINT_FORMS}.")
    for name, value in zip(names, args):
        _give(given, name, value)
    if "high" not in given or "size" not in given:
        missing = " and ".join(n for n in ("high", "size") if n not in given)
        raise ArgumentError(f"randint: no {missing} given; write {_RANDINT_FORMS}.")
    if not isinstance(given["size"], (tuple, list)):
        raise ArgumentError(
            f"randint: size must be a tuple, got {given['size']!r}; for example "
            f"size=({given['size']!r},). Write {_RANDINT_FORMS}."
        )
    low, high = (_whole(given.get(name, 0), name) for name in ("low", "high"))
    return low, high, _sizes((given["size"],), "randint")


def _plain_ints(values) -> bool:
    return all(type(v) is builtins.int for v in values)


def _whole(value, name: str) -> int:
    """An int, a NumPy int or a one-element int tensor, as a Python int."""
    if not isinstance(value, builtins.bool):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise DTypeError(f"randint: {name} must be an integer, got {value!r}.")


def _give(given: dict, name: str, value) -> None:
    if name in given:
        raise ArgumentError(
            f"randint: {name} was given twice, by position ({value!r}) and as {name}="
            f"{given[name]!r}. Give it once: {_RANDINT_FORMS}."
        )
    given[name] = value


def _check_randint_range(low: int, high: int, np_type: np.dtype) -> None:
    if high <= low:
        hint = f" Did you mean randint({high}, {low}, size)?" if high < low else ""
        raise ArgumentError(
            f"randint: high ({high}) must be greater than low ({low}); the range [low, high) "
            f"is empty.{hint}"
        )
    if np_type.kind not in "iub":
        return
    # as torch: the values must fit in the integer dtype asked for
    smallest, largest = (0, 1) if np_type.kind == "b" else _int_range(np_type)
    if low < smallest or high - 1 > largest:
        raise ArgumentError(
            f"randint: [{low}, {high}) does not fit in {np_type}, which holds {smallest}.."
            f"{largest}. Narrow the range or pass a wider dtype, e.g. dtype=sh.int64."
        )


@functools.cache
def _int_range(np_type: np.dtype) -> tuple[int, int]:
    """The smallest and largest values of an integer dtype (np.iinfo: 2 us a call, once)."""
    info = np.iinfo(np_type)
    return int(info.min), int(info.max)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad=False):
    """The numbers 0..n-1 in random order."""
    _check_device(device)
    gen = generator_or_default(generator, "randperm")
    array = gen.randperm(n)
    return _finish(array if dtype is None else array.astype(dtypes.np_dtype(dtype)))


@takes_tensor
def rand_like(x: Tensor, dtype=None, generator=None) -> Tensor:
    generator = generator_or_default(generator, "rand_like")
    return rand(*x.array.shape, dtype=dtype or x.dtype, generator=generator)


@takes_tensor
def randn_like(x: Tensor, dtype=None, generator=None) -> Tensor:
    generator = generator_or_default(generator, "randn_like")
    return randn(*x.array.shape, dtype=dtype or x.dtype, generator=generator)


@takes_tensor
def randint_like(x: Tensor, low=0, high=None, *, dtype=None, generator=None) -> Tensor:
    """randint with x's shape and dtype: randint_like(x, high) or randint_like(x, low, high)."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(x.array.shape), dtype=dtype or x.dtype, generator=generator)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, out=None) -> Tensor:
    """Normal random numbers; mean and std may be tensors (one draw per element)."""
    gen = generator_or_default(generator, "normal")
    mean_v, std_v = (
        v.array if isinstance(v, Tensor) else _number("normal", name, v)
        for name, v in (("mean", mean), ("std", std))
    )
    if (np.asarray(std_v) < 0).any():
        raise ArgumentError(f"normal: std must be >= 0, got {_short_repr(std)}.")
    if size is None:
        size = _broadcast_shape("normal", np.shape(mean_v), np.shape(std_v))
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    np_type = like.array.dtype if like is not None and dtype is None else _float(dtype)
    return _finish(gen.normal(_dims((size,)), mean_v, std_v, dtype=np_type), False, out)


@takes_tensor
def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,  # noqa: A002
    generator=None,
) -> Tensor:
    """Draw indices with probability proportional to the weights in each row of `input`."""
    gen = generator_or_default(generator, "multinomial")
    return Tensor._make(gen.multinomial(_value(input), num_samples, replacement))


@takes_tensor
def bernoulli(input: Tensor, *, generator=None) -> Tensor:  # noqa: A002
    """1 with probability p (each element of `input`), else 0."""
    gen = generator_or_default(generator, "bernoulli")
    p = _value(input)
    return Tensor._make(gen.bernoulli(p, np.shape(p), dtype=p.dtype))


# ------------------------------------------------------------------ joining
def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join tensors along an existing dim: shapes must agree everywhere else."""
    tensors = _check_join("cat", tensors, dim, same_shape=False)
    return _finish_op(Cat.apply(*tensors, dim=dim), out)


concat = concatenate = cat


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Stack tensors of the same shape along a new dim."""
    tensors = _check_join("stack", tensors, dim, same_shape=True)
    return _finish_op(Stack.apply(*tensors, dim=dim), out)


def _finish_op(t: Tensor, out):
    if out is None:
        return t
    out.array = t.array
    return out


def _check_join(name: str, tensors, dim: int, same_shape: bool):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise DTypeError(
            f"{name}: tensors must be a list or tuple of tensors, got "
            f"{type(tensors).__name__}: {name}([a, b], dim=0), not {name}(a, b)."
        )
    tensors = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    if not tensors:
        raise ArgumentError(f"{name}: expected a non-empty list of tensors.")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise ArgumentError(f"{name}: dim must be a whole number, got {dim!r}.")
    shapes = [t.array.shape for t in tensors]
    first = shapes[0]
    for i, s in enumerate(shapes):
        if same_shape and s != first:
            raise ShapeError(
                f"{name}: every tensor must have the same shape; tensor 0 has "
                f"{first} but tensor {i} has {s}."
            )
        if not same_shape:
            ndim = len(first)
            if len(s) != ndim or any(
                a != b for k, (a, b) in enumerate(zip(first, s)) if k != dim % max(ndim, 1)
            ):
                raise ShapeError(
                    f"{name}: tensors must match in every dim except dim {dim}; tensor 0 has "
                    f"shape {first} but tensor {i} has {s}."
                )
    kinds = {t.array.dtype for t in tensors}
    if len(kinds) > 1:
        # as torch: ints joined with float32 give float32 (NumPy would say float64)
        floats = [k for k in kinds if k.kind == "f"]
        target = np.result_type(*(floats or kinds))
        tensors = [t.to(target) for t in tensors]
    return tensors


@takes_tensor
def pad(x: Tensor, pad: tuple, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dims: `pad=(left, right, top, bottom, ...)` as in torch.nn.functional.pad.

    mode 'constant' fills with `value` (0 by default); 'reflect', 'replicate' and 'circular'
    copy values of x (see ops.movement.IndexPad) and pad the last 1, 2 or 3 dims of a batched
    or unbatched input, as PyTorch: 2 widths for (C, L) or (N, C, L), 4 for (C, H, W) or
    (N, C, H, W), 6 for (C, D, H, W) or (N, C, D, H, W). Negative widths crop, except in
    'constant' mode here.
    """
    return pad_as("pad", x, pad, mode, value)


def pad_as(who: str, x: Tensor, pad: tuple, mode: str = "constant", value=None) -> Tensor:
    """pad, with `who` naming the caller in error messages (a layer that pads its input)."""
    if mode not in PAD_MODES:
        raise ArgumentError(
            f"{who}: mode must be one of {', '.join(map(repr, PAD_MODES))}; got {mode!r}."
        )
    if not isinstance(pad, (list, tuple)) or not all(isinstance(p, (int, np.integer)) for p in pad):
        raise ArgumentError(
            f"{who}: pad must be a tuple of whole numbers (left, right, top, bottom, ...), got "
            f"{pad!r}; e.g. pad=(1, 1) adds one value on each side of the last dim."
        )
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ArgumentError(
            f"{who}: {pad} must hold (before, after) pairs for at most {x.ndim} dims."
        )
    pairs = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        pairs[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == "constant":
        return Pad.apply(x, widths=tuple(pairs), value=0.0 if value is None else value)
    if value is not None and value != 0:
        raise ArgumentError(
            f"{who}: mode={mode!r} copies values of the input, so it takes no value (got "
            f"value={value}); use mode='constant' to pad with {value}."
        )
    _check_copy_padding(x, pad, pairs, mode, who)
    return IndexPad.apply(x, widths=tuple(pairs), mode=mode)


PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _check_copy_padding(x: Tensor, pad: tuple, pairs: list, mode: str, who: str) -> None:
    """PyTorch's rules for the modes that copy values: which ranks, and widths that stay in x."""
    n_dims = len(pad) // 2
    if n_dims not in (1, 2, 3) or x.ndim not in (n_dims + 1, n_dims + 2):
        raise UnsupportedError(
            f"{who}: mode={mode!r} pads the last 1, 2 or 3 dims of a batched or unbatched input "
            f"(as PyTorch): 2 widths for (C, L) or (N, C, L), 4 for (C, H, W) or (N, C, H, W), "
            f"6 for (C, D, H, W) or (N, C, D, H, W); got {len(pad)} widths for a {x.ndim}-D "
            f"input of shape {tuple(x.shape)}. Add or remove a batch dim (x.unsqueeze(0)) or "
            f"give widths for the right number of dims."
        )
    for axis in range(x.ndim - n_dims, x.ndim):
        n, (before, after) = x.shape[axis], pairs[axis]
        where = f"dim {axis} (size {n}) padded by ({before}, {after})"
        if n + before + after < 1 or (
            mode == "circular" and n - max(-before, 0) - max(-after, 0) < 1
        ):
            raise ShapeError(
                f"{who}: {where} would leave no values: negative widths crop. Crop less."
            )
        if mode == "reflect" and (before >= n or after >= n):
            raise ShapeError(
                f"{who}: mode='reflect' mirrors values inside the input, so each width must be "
                f"less than the size it pads; {where}. Use mode='replicate' or 'circular', "
                f"or pad less."
            )
        kept = n - max(-before, 0) - max(-after, 0)
        if mode == "circular" and max(before, after) > kept:
            raise ShapeError(
                f"{who}: mode='circular' wraps around at most once, so each width must be at "
                f"most the size it pads ({kept} after cropping); {where}. Pad less."
            )


@takes_tensor
def where(condition, input=None, other=None):  # noqa: A002
    """`where(cond, a, b)`: a where cond else b; `where(cond)` alone gives the indices."""
    from .tensor import where as _where

    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if input is None or other is None:
        raise ArgumentError(
            "where: give both values, where(condition, input, other) (input where condition "
            "is True, else other), or neither: where(condition) gives the indices of the "
            "True elements."
        )
    return _where(condition, input, other)


@takes_tensor
def allclose(a: Tensor, b: Tensor, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    return a.allclose(b, rtol, atol, equal_nan)


@takes_tensor
def histogram(x: Tensor, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """(counts, bin_edges) of the values, as torch.histogram: `bins` equal-width bins over
    `range` (the data's min and max by default), or the bins between the increasing edges of
    a 1-d tensor `bins`. Where torch accepts edges that do not increase (and counts into
    overlapping bins), scratchish asks for increasing edges."""
    if isinstance(bins, Tensor):
        edges = bins.array
        if edges.ndim != 1 or edges.size < 2 or (np.diff(edges) < 0).any():
            raise ArgumentError(
                f"histogram: bins as a tensor are the bin edges: a 1-d tensor of at least 2 "
                f"increasing values, got {_short_repr(bins)}. For n equal bins pass an int."
            )
    elif _whole_number("histogram", "bins", bins) <= 0:
        raise ArgumentError(f"histogram: bins must be > 0, got {bins}, e.g. bins=10.")
    if range is not None:
        if not isinstance(range, (tuple, list)) or len(range) != 2:
            raise ArgumentError(
                f"histogram: range must be a pair (min, max), got {_short_repr(range)}."
            )
        range = tuple(_number("histogram", "range", v) for v in range)  # noqa: A001
        if range[0] > range[1]:
            raise ArgumentError(f"histogram: range {range} has min > max; give (min, max).")
    if weight is not None:
        _need_tensor("histogram", "weight", weight)
        if weight.numel() != x.numel():
            raise ShapeError(
                f"histogram: weight must have one weight per value ({x.numel()}), got "
                f"shape {tuple(weight.shape)}."
            )
    if range is None and isinstance(bins, builtins.int) and x.numel():
        low, high = float(x.array.min()), float(x.array.max())
        if not (math.isfinite(low) and math.isfinite(high)):  # NaN or inf among the values
            raise ArgumentError(
                f"histogram: the values include NaN or inf (min {low}, max {high}), so "
                f"their range has no finite bins. Give range=(min, max) to count the finite "
                f"values in it, or drop the others first: x[x.isfinite()]."
            )
    hist, edges = np.histogram(
        x.array.ravel(),
        bins=_value(bins),
        range=range,
        weights=None if weight is None else weight.array.ravel(),
        density=_flag("histogram", "density", density),
    )
    return Tensor._make(hist.astype(x.array.dtype)), Tensor._make(edges.astype(x.array.dtype))


@takes_tensor
def histc(input: Tensor, bins: int = 100, min=0, max=0, *, out=None) -> Tensor:  # noqa: A002
    """Counts of the values in `bins` equal-width bins between min and max, as torch.histc.

    min == max (the default 0, 0) means the data's own min and max; values outside [min, max]
    and NaNs are not counted; a value equal to max goes in the last bin. No gradient: counting
    is not differentiable (torch's histc has none either).

    Args:
        input: a float tensor of any shape (it is flattened).
        bins: the number of bins.
        min, max: the range covered by the bins.

    Shape:
        input (*) -> (bins,), with the input's dtype.

    Example:
        >>> import scratchish as sh
        >>> sh.histc(sh.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    x = _value(input)
    if x.dtype.kind != "f":
        raise DTypeError(
            f"histc: input must be a float tensor, got {input.dtype}. Convert it first: "
            f"sh.histc(x.float(), bins={bins})."
        )
    if isinstance(bins, builtins.bool) or not isinstance(bins, (builtins.int, np.integer)):
        raise DTypeError(f"histc: bins must be an int, got {bins!r}.")
    if bins <= 0:
        raise ArgumentError(f"histc: bins must be > 0, got {bins}.")
    x = x.ravel()
    low, high = (builtins.float(_number("histc", k, v)) for k, v in (("min", min), ("max", max)))
    if low == high and x.size:
        low, high = builtins.float(x.min()), builtins.float(x.max())
    if low == high:  # one value (or no data): widen the range to [value - 1, value + 1]
        low, high = low - 1, high + 1
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ArgumentError(
            f"histc: the range [{low}, {high}] is not finite. Pass finite min and max, or drop "
            f"the NaN and inf values first: x[x.isfinite()]."
        )
    if low > high:
        raise ArgumentError(
            f"histc: min ({low}) must be below max ({high}). Give both bounds with min < max, "
            f"or neither (min == max uses the data's own range)."
        )
    # torch's arithmetic, in the input's dtype: bin = int((x - min) * bins / (max - min))
    low, high = x.dtype.type(low), x.dtype.type(high)
    x = x[(x >= low) & (x <= high)]  # NaN compares False: not counted
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = (x - low) * x.dtype.type(bins) / (high - low)
        overflow = np.isinf(scaled) | np.isinf(high - low)
    if overflow.any():
        # NOTE: float16 overflows past 65504; torch then counts the value in bin 0, scratchish
        # redoes it in float64 instead (the one place where the two differ)
        wide = (x.astype(np.float64) - low) * bins / (np.float64(high) - low)
        scaled = np.where(overflow, wide, scaled)
    # a range too narrow for the dtype (max - min rounds to 0) gives 0 / 0: bin 0, as torch
    index = np.nan_to_num(scaled, nan=0.0).astype(np.int64)
    # x == max lands on index bins: the last bin includes its right edge
    np.minimum(index, bins - 1, out=index)
    counts = np.bincount(index, minlength=bins).astype(x.dtype)
    return _finish(counts, False, out)
