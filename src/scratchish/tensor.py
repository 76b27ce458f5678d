"""Tensor: a NumPy array, plus what autograd needs to send gradients back to it.

`t.array` is the NumPy array holding the values (`t.numpy()` returns it, sharing memory).
`t.grad` is filled by `backward()`, and `t.grad_fn` is the op that made `t` (None for the
tensors you create: the leaves). Every method is one line that calls an op from ops/; read
this file first, then autograd.py. Names and behaviour follow PyTorch's `torch.Tensor`.

Where we differ from STYLE.md's sketch: the array lives in `.array`, not `.data`, because
PyTorch code uses `p.data` as a *tensor* (`p.data.zero_()`, `p.data += ...`), and that code
must run unchanged here.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import math
import warnings
import weakref
from collections import namedtuple
from collections.abc import Callable

import numpy as np

from . import autograd, dtypes
from .errors import (
    ArgumentError,
    DTypeError,
    IndexOutOfRangeError,
    InPlaceError,
    ShapeError,
    UnsupportedError,
    broadcast_message,
)
from .ops.elementwise import (
    Abs,
    Acos,
    Acosh,
    Add,
    Asin,
    Asinh,
    Atan,
    Atan2,
    Atanh,
    Cast,
    Clamp,
    Cos,
    Div,
    Exp,
    Expm1,
    FMod,
    Hypot,
    LeakyRelu,
    Log,
    Log1p,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Relu,
    Remainder,
    Sigmoid,
    Sin,
    Sqrt,
    Step,
    Sub,
    Tanh,
    Where,
    trunc_divide,
)
from .ops.elementwise import sign as sign_array
from .ops.matmul import MatMul
from .ops.movement import (
    Contiguous,
    Expand,
    Flip,
    Gather,
    GetItem,
    IndexAdd,
    Permute,
    Reshape,
    Roll,
    Scatter,
    ScatterAdd,
    SetItem,
    Transpose,
    Triangle,
    Unfold,
)
from .ops.reduce import (
    Amax,
    Amin,
    CumProd,
    CumSum,
    LogCumSumExp,
    LogSoftmax,
    LogSumExp,
    MaxDim,
    Mean,
    MinDim,
    Norm2,
    NormP,
    Prod,
    Softmax,
    Sum,
    empty_reduction_error,
)

# what max(dim), min(dim), topk and sort return, as in PyTorch
values_indices = namedtuple("values_indices", ["values", "indices"])
aminmax_result = namedtuple("aminmax", ["min", "max"])  # torch.return_types.aminmax
# what the older torch.svd returns
svd_result = namedtuple("svd_result", ["U", "S", "V"])
frexp_result = namedtuple("frexp", ["mantissa", "exponent"])  # torch.return_types.frexp


class Size(tuple):
    """A tensor's shape: a tuple of ints (PyTorch's torch.Size)."""

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"scratchish.Size({list(self)})"


class device:  # noqa: N801 - PyTorch's name
    """Where a tensor lives. scratchish runs on the CPU only: `device("cpu")`."""

    def __init__(self, type: str = "cpu", index=None) -> None:  # noqa: A002
        if isinstance(type, device):
            type = type.type  # noqa: A001
        name = str(type).split(":")[0]
        if name != "cpu":
            raise UnsupportedError(_no_gpu(f"device({type!r})"))
        self.type, self.index = "cpu", None

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"

    def __eq__(self, other) -> bool:
        return isinstance(other, device) or other == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")


class layout:  # noqa: N801 - PyTorch's name
    """How a tensor's elements sit in memory. Every scratchish tensor is dense (a NumPy array),
    so there is one layout, `sh.strided`; torch's sparse ones do not exist here."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"scratchish.{self.name}"


strided = layout("strided")


def _no_gpu(what: str) -> str:
    return (
        f"{what}: scratchish runs on the CPU only (it is NumPy underneath), so there is no GPU "
        f"to move to. Use device='cpu' or simply leave the device out; "
        f"torch.cuda.is_available() answers False here, so code written as "
        f"`device = 'cuda' if torch.cuda.is_available() else 'cpu'` works as it is."
    )


def to_arguments(args: tuple, kwargs: dict):
    """The dtype asked for by `.to(...)` on a tensor or a module, or None; checks that any
    device given is the CPU. Accepts `.to(dtype)`, `.to(device)`, `.to(tensor)`,
    `.to(device, dtype)` and the keywords `dtype=` and `device=`."""
    target = kwargs.get("dtype")
    _check_device(kwargs.get("device"))
    for a in args:
        if isinstance(a, Tensor):
            target = a.dtype
        elif isinstance(a, (str, device)):
            _check_device(a)
        elif a is not None:
            target = a
    return target


def _check_device(dev) -> None:
    if dev is not None and not isinstance(dev, device):
        device(dev)  # raises with a clear message unless it is the CPU


def _layout_of_view(out: Tensor, src: Tensor, same_view) -> Tensor:
    """Mark `out`, a view of `src` made by a movement op, as laid out by the user where
    torch's view would not be contiguous either: view() then refuses to copy it and
    is_contiguous() says False, as torch's. Where src's layout is one scratchish chose (a
    conv's channels-last output) src counts as row-major, as torch's is: same_view applied
    to a row-major stand-in of src's shape gives the layout torch's view would have."""
    if src.array.flags.c_contiguous or getattr(src, "_user_layout", False):
        if not out.array.flags.c_contiguous:
            out._user_layout = True
    elif not same_view(_row_major_stand_in(src.array.shape)).flags.c_contiguous:
        out._user_layout = True  # (out itself may be row-major: a channels-last permuted)
    return out


def _same_layout(out: Tensor, src: Tensor) -> Tensor:
    """out, which shares src's memory as it is (detach, .data), marked as src is."""
    if getattr(src, "_user_layout", False):
        out._user_layout = True
    return out


@functools.lru_cache(maxsize=256)
def _row_major_stand_in(shape: tuple) -> np.ndarray:
    """An array of `shape` with row-major strides over a single byte: only its strides are
    asked for (views made of it); its elements are never read. Kept per shape: making one
    takes ~6 us."""
    byte = np.zeros(1, np.int8)
    strides = _row_major_strides(shape, 1)
    return np.lib.stride_tricks.as_strided(byte, shape=shape, strides=strides, writeable=False)


def _row_major_strides(shape: tuple, itemsize: int) -> list:
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= builtins.max(n, 1)
    return strides[::-1]


def _is_basic_index(index) -> bool:
    """Slices, ints, None and Ellipsis only (NumPy then makes a view, reading nothing)."""
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.all(
        p is None
        or p is Ellipsis
        or isinstance(p, (slice, builtins.int, np.integer))
        and not isinstance(p, builtins.bool)
        for p in parts
    )


def _index(index):
    """Turn tensors inside an index into arrays; everything else NumPy understands as is."""
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, tuple):
        return tuple(i.array if isinstance(i, Tensor) else i for i in index)
    return index


def _dims(args: tuple):
    """Shapes given as f(2, 3) or f((2, 3)) or f([2, 3]) -> (2, 3), each size a whole number
    (NumPy ints and one-element int tensors count, as in torch)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = tuple(args[0])
    for d in args:
        if type(d) is not builtins.int:  # the common case skips the slow path
            return tuple(_size(d, args) for d in args)
    return args


def _size(d, shape: tuple) -> int:
    if isinstance(d, Tensor) and d.array.size == 1:
        d = d.array.reshape(())[()]
    if isinstance(d, (builtins.int, np.integer)) and not isinstance(d, (builtins.bool, np.bool_)):
        return builtins.int(d)
    raise ArgumentError(
        f"a shape must be whole numbers, e.g. (2, 3) or 2, 3 (-1 for 'the rest' in reshape); "
        f"got {_short_repr(shape, 60)}, where {_short_repr(d)} is a {type(d).__name__}."
    )


_NOT_GIVEN = object()  # an argument left out: fn's own signature check reports it

# NumPy's keyword names and PyTorch's: torch's built-in functions and methods take both
# (x.sum(axis=0, keepdims=True) is x.sum(dim=0, keepdim=True)), and code written by people
# who know NumPy, d2l.ai's among it, uses NumPy's
_NUMPY_KEYWORDS = {"axis": "dim", "keepdims": "keepdim"}


def _numpy_keywords(fn):
    """fn, also taking `axis` for `dim` and `keepdims` for `keepdim` (see _NUMPY_KEYWORDS)."""

    @functools.wraps(fn)
    def renamed(*args, **kwargs):
        if kwargs:  # the common case, no keywords, costs one test
            for numpy_name, torch_name in _NUMPY_KEYWORDS.items():
                if numpy_name in kwargs:
                    if torch_name in kwargs:
                        raise ArgumentError(
                            f"{fn.__name__}: got both {torch_name}= and {numpy_name}= (NumPy's "
                            f"name for it); give one."
                        )
                    kwargs[torch_name] = kwargs.pop(numpy_name)
        return fn(*args, **kwargs)

    return renamed


def takes_tensor(fn):
    """Decorator for a function form of a method (`sh.var(x)` is `x.var()`): its first
    argument, and any other argument annotated `Tensor` (`other: Tensor`), must be a Tensor,
    as in torch. Without it, `sh.var([1, 2])` would fail inside with "'list' object has no
    attribute 'var'"; with it, the error names the function, the argument, what it got and how
    to make a tensor."""
    name = fn.__name__
    params = list(inspect.signature(fn).parameters.values())
    checks = [
        (i, p.name)
        for i, p in enumerate(params)
        if (i == 0 or p.annotation == "Tensor") and p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    first = params[0].name
    if {"dim", "keepdim"} & {p.name for p in params}:  # torch.sum(x, axis=0, keepdims=True)
        fn = _numpy_keywords(fn)

    if len(checks) == 1:  # the common case, kept short: it runs on every call

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            value = args[0] if args else kwargs.get(first, _NOT_GIVEN)
            if (
                type(value) is not Tensor
                and value is not _NOT_GIVEN
                and not isinstance(value, Tensor)
            ):
                raise DTypeError(not_a_tensor(name, first, value))
            return fn(*args, **kwargs)

        return checked

    @functools.wraps(fn)
    def checked_all(*args, **kwargs):
        for i, argument in checks:
            value = args[i] if i < len(args) else kwargs.get(argument, _NOT_GIVEN)
            if value is not _NOT_GIVEN and not isinstance(value, Tensor):
                raise DTypeError(not_a_tensor(name, argument, value))
        return fn(*args, **kwargs)

    return checked_all


class Tensor:
    """A multi-dimensional array of numbers that remembers how it was computed.

    Create tensors with `sh.tensor`, `sh.zeros`, `sh.randn`, ...; `Tensor(data)` also works
    and, like `torch.Tensor`, always gives the default float dtype.

    Example:
        >>> import scratchish as sh
        >>> x = sh.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    __slots__ = (
        "array",
        "grad",
        "_requires_grad",
        "grad_fn",
        "_grad_buffer",
        "_hooks",
        "_written_at",  # set only when changed in place outside a graph (autograd.note_write)
        "_detached_from",  # set only by detach(): a change of the copy is a change of the original
        "_user_layout",  # set only by movement ops whose view torch too lays out non-contiguously
        "__weakref__",
    )
    # a NumPy array on the left of + - * / @ defers to our reflected methods
    __array_priority__ = 1000

    def __init__(self, *data, requires_grad: bool = False) -> None:
        if len(data) == 1 and not isinstance(data[0], builtins.int):
            array = np.asarray(_to_array(data[0]), dtype=dtypes.get_default_dtype().np)
        else:
            array = np.empty(_dims(data), dtype=dtypes.get_default_dtype().np)
        _init(self, array, False)
        self.requires_grad = requires_grad

    @staticmethod
    def _make(array: np.ndarray, requires_grad: bool = False) -> Tensor:
        """Wrap an ndarray without copying or checking (the fast path ops use)."""
        t = _new(Tensor)
        t.array = array  # (the same six lines as _init, inlined: this runs once per op)
        t.grad = None
        t._requires_grad = requires_grad
        t.grad_fn = None
        t._grad_buffer = None
        t._hooks = ()
        return t

    # ---------------------------------------------------------------- attributes
    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.FROM_NUMPY[self.array.dtype]

    @property
    def device(self) -> device:
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.array.dtype.kind not in "fc":
            raise DTypeError(
                f"requires_grad: only floating-point tensors can require gradients, this one "
                f"is {self.dtype}. Make it a float first: t = t.float()."
            )
        if not value and self.grad_fn is not None:
            raise ArgumentError(
                "requires_grad: you can only change requires_grad on leaf tensors (ones you "
                "created). To stop gradients flowing through a result use .detach()."
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """The same values as a tensor outside the graph (shares memory): `p.data.zero_()`."""
        return _same_layout(Tensor._make(self.array), self)

    @data.setter
    def data(self, value) -> None:
        self.array = value.array if isinstance(value, Tensor) else np.asarray(value)

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return self if self.ndim < 2 else self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.array.shape[_check_dim("size", dim, self.ndim)]

    def dim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return self.array.size

    nelement = numel

    def element_size(self) -> int:
        return self.array.itemsize

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    def numpy(self, force: bool = False) -> np.ndarray:
        """The NumPy array behind this tensor (the same memory: changes show in both)."""
        if self._requires_grad and not force:
            raise ArgumentError(
                "numpy(): this tensor requires grad, so its NumPy array would lose the link to "
                "the graph. Use t.detach().numpy() (same memory, no gradient)."
            )
        return self.array

    def item(self):
        if self.array.size != 1:
            raise ShapeError(
                f"item(): the tensor has {self.array.size} elements (shape {self.array.shape}), "
                f"item() needs exactly one. Reduce it first (t.sum(), t.mean()) or pick an "
                f"element (t[0])."
            )
        return self.array.item()

    def tolist(self):
        return self.array.tolist()

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory, no gradient). As in torch, an
        in-place change of the result counts as a change of this tensor for backward's check
        that saved values are unchanged; `.data` does not."""
        out = _same_layout(Tensor._make(self.array), self)
        if self._requires_grad:  # a weak reference: a kept `loss.detach()` must not keep a graph
            out._detached_from = weakref.ref(self)
        return out

    def detach_(self) -> Tensor:
        self.grad_fn, self._requires_grad = None, False
        return self

    def clone(self, *, memory_format=None) -> Tensor:
        """A copy that owns its memory; gradients flow back through it. memory_format is
        accepted for PyTorch code (NumPy arrays here are always row-major)."""
        return self * 1 if self._requires_grad else Tensor._make(self.array.copy())

    def contiguous(self) -> Tensor:
        """The same values laid out row-major (copied only when they are not already)."""
        return self if self.array.flags.c_contiguous else Contiguous.apply(self)

    def is_contiguous(self) -> bool:
        """Whether torch's tensor would be contiguous. Some ops here lay out their result
        otherwise for speed (a convolution's output is channels-last in memory); those count
        as contiguous, as torch's are: only a transpose, permute, expand or slice makes a
        tensor non-contiguous (see _user_layout)."""
        return not getattr(self, "_user_layout", False)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args, **kwargs) -> Tensor:
        raise UnsupportedError(_no_gpu("cuda()"))

    def to(self, *args, **kwargs) -> Tensor:
        """Convert dtype (`t.to(sh.float64)`); devices other than the CPU are not available."""
        target = to_arguments(args, kwargs)
        if target is None or dtypes.as_dtype(target).np == self.array.dtype:
            return self
        return self.type(target)

    def type(self, dtype=None):
        if dtype is None:
            return {
                "float32": "scratchish.FloatTensor",
                "float64": "scratchish.DoubleTensor",
                "int64": "scratchish.LongTensor",
            }.get(self.array.dtype.name, "Tensor")
        target = dtypes.as_dtype(dtype).np
        if self._requires_grad and target.kind == "f":
            return Cast.apply(self, dtype=target)
        return Tensor._make(self.array.astype(target))

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool)

    # ---------------------------------------------------------------- autograd
    # t.backward(gradient=None, retain_graph=False, create_graph=False): the backward pass
    # of autograd.py, with this tensor as the root. (The function itself rather than a method
    # that calls it: one Python call less on every backward.)
    backward = autograd.backward

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in `.grad` after backward (once, however
        often it is called)."""
        if self.grad_fn is not None and not self.retains_grad:
            store = autograd.retain_grad_hook(self)
            store.retains_grad = True  # tells it apart from hooks of register_hook
            autograd.hook_list(self.grad_fn).append(store)

    @property
    def retains_grad(self) -> bool:
        """Whether retain_grad() was called on this non-leaf tensor. backward frees the graph
        and its hooks; a non-leaf tensor's .grad is then the sign (only retain_grad fills it)."""
        if self.grad_fn is None:
            return False
        hooks = self.grad_fn._out_hooks
        return self.grad is not None or builtins.any(
            getattr(h, "retains_grad", False) for h in hooks
        )

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; it may return a new one."""
        if self.grad_fn is None:
            self._hooks = [*self._hooks, hook]
        else:
            autograd.hook_list(self.grad_fn).append(lambda g: autograd._hook_array(hook, g))
        return hook

    # ---------------------------------------------------------------- arithmetic
    # Each binary op first tries the common case, another tensor of the same dtype, which
    # needs none of the type rules of _operands (it runs once per op, so this pays). Arrays
    # of one dtype share one dtype object, so `is` finds it at a third of the cost of `==`;
    # a dtype equal but not the same object goes through _operands, which gives the same.
    def __add__(self, other):
        if isinstance(other, Tensor) and other.array.dtype is self.array.dtype:
            return Add.apply(self, other)
        return Add.apply(*_operands(self, other))

    def __radd__(self, other):
        return Add.apply(*_operands(self, other)[::-1])

    def __sub__(self, other):
        if isinstance(other, Tensor) and other.array.dtype is self.array.dtype:
            return Sub.apply(self, other)
        return Sub.apply(*_operands(self, other))

    def __rsub__(self, other):
        return Sub.apply(*_operands(self, other)[::-1])

    def __mul__(self, other):
        if isinstance(other, Tensor) and other.array.dtype is self.array.dtype:
            return Mul.apply(self, other)
        return Mul.apply(*_operands(self, other))

    def __rmul__(self, other):
        return Mul.apply(*_operands(self, other)[::-1])

    def __truediv__(self, other):
        if isinstance(other, Tensor) and other.array.dtype is self.array.dtype:
            if self.array.dtype.kind == "f":
                return Div.apply(self, other)
        return Div.apply(*_operands(self, other, true_div=True))

    def __rtruediv__(self, other):
        return Div.apply(*_operands(self, other, true_div=True)[::-1])

    def __floordiv__(self, other):
        return self.floor_divide(other)

    @autograd.quiet  # x / 0 and x % 0 give inf and nan silently, as torch
    def __rfloordiv__(self, other):
        a, b = _operands(self, other)  # torch's dtype rules, then other // self
        _check_integer_divisor("floor_divide", b, a)
        return Tensor._make(np.asarray(np.floor_divide(_value(b), _value(a))))

    @autograd.quiet  # x / 0 and x % 0 give inf and nan silently, as torch
    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        return _remainder_op("remainder", Remainder, self, other, reflected=True)

    def __lshift__(self, other):
        return self.bitwise_left_shift(other)

    def __rshift__(self, other):
        return self.bitwise_right_shift(other)

    def __pow__(self, other):
        return Pow.apply(*_operands(self, other))

    def __rpow__(self, other):
        return Pow.apply(*_operands(self, other)[::-1])

    def __matmul__(self, other):
        return MatMul.apply(*_product_operands("matmul", self, _tensor_operand(other)))

    def __rmatmul__(self, other):
        return MatMul.apply(*_product_operands("matmul", _tensor_operand(other), self))

    def __neg__(self):
        return Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return Abs.apply(self)

    def __invert__(self):
        return Tensor._make(~self.array)

    def __and__(self, other):
        return Tensor._make(self.array & _value(other))

    def __or__(self, other):
        return Tensor._make(self.array | _value(other))

    def __xor__(self, other):
        return Tensor._make(self.array ^ _value(other))

    __rand__, __ror__ = __and__, __or__

    add = __add__
    sub = __sub__
    subtract = __sub__
    mul = __mul__
    multiply = __mul__

    def div(self, other, *, rounding_mode=None):
        """self / other; rounding_mode='trunc' rounds the quotient toward zero, 'floor' down
        (as torch.div: integers then stay integers, and the result has no gradient)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self.floor_divide(other)
        if rounding_mode == "trunc":
            return self._trunc_divide(other)
        raise ArgumentError(
            f"div: rounding_mode must be None (true division), 'trunc' or 'floor', got "
            f"{rounding_mode!r}."
        )

    divide = div

    @autograd.quiet  # x / 0 gives inf and nan silently, as torch
    def _trunc_divide(self, other):
        a, b = _operands(self, other, "div")
        _broadcast_shape("div", np.shape(_value(a)), np.shape(_value(b)))
        _check_integer_divisor("div", a, b)
        return Tensor._make(np.asarray(trunc_divide(_value(a), _value(b))))

    pow = __pow__
    matmul = __matmul__
    neg = __neg__
    abs = __abs__

    def mm(self, mat2):
        mat2 = _tensor_operand(mat2)
        _check_ndim("mm", "self", self, 2)
        _check_ndim("mm", "mat2", mat2, 2)
        return MatMul.apply(*_product_operands("mm", self, mat2))

    def bmm(self, mat2):
        mat2 = _tensor_operand(mat2)
        _check_ndim("bmm", "self", self, 3)
        _check_ndim("bmm", "mat2", mat2, 3)
        return MatMul.apply(*_product_operands("bmm", self, mat2))

    def dot(self, other):
        return MatMul.apply(*_product_operands("dot", self, _tensor_operand(other)))

    # in place: `x += 1`, `w -= lr * w.grad` (under no_grad), `x.add_(y)`
    def __iadd__(self, other):
        return self._inplace(Add, np.add, other)

    def __isub__(self, other):
        return self._inplace(Sub, np.subtract, other)

    def __imul__(self, other):
        return self._inplace(Mul, np.multiply, other)

    def __itruediv__(self, other):
        return self._inplace(Div, np.true_divide, other)

    def add_(self, other, alpha=1):
        if alpha != 1:  # the check stays off the common path
            other = other * _number("add_", "alpha", alpha)
        return self._inplace(Add, np.add, other)

    def sub_(self, other, alpha=1):
        if alpha != 1:
            other = other * _number("sub_", "alpha", alpha)
        return self._inplace(Sub, np.subtract, other)

    def mul_(self, other):
        return self._inplace(Mul, np.multiply, other)

    def div_(self, other):
        return self._inplace(Div, np.true_divide, other)

    def _inplace(self, op, ufunc, other):
        """Change this tensor's values. With no graph to record (the usual case: under
        no_grad, or no gradients involved) the array is changed where it is, so views of it
        see the change, as in PyTorch. Inside a graph the op is recorded and this tensor
        takes the result; edges already recorded keep pointing at the old value's node."""
        if self._needs_graph(other):
            return self._become(op.apply(*_operands(self, other)))
        self._note_write()
        try:
            ufunc(self.array, _value(other), out=self.array, casting="same_kind")
        except (TypeError, ValueError) as e:
            raise DTypeError(
                f"{ufunc.__name__} in place: cannot store the result in this {self.dtype} "
                f"tensor of shape {self.array.shape} ({e}). Use the out-of-place form "
                f"(x = x + y) or convert first (x = x.float())."
            ) from None
        return self

    def _become(self, new: Tensor) -> Tensor:
        """Take the result of a recorded in-place op: its values and its node."""
        self.array, self.grad_fn, self._requires_grad = new.array, new.grad_fn, True
        return self

    def _note_write(self) -> None:
        """Called before an unrecorded in-place change: nodes that saved these values must
        not run backward with the new ones (autograd.note_write)."""
        if self._requires_grad:
            autograd.note_write(self)
        elif getattr(self, "_detached_from", None) is not None:
            original = self._detached_from()
            if original is not None:
                original._note_write()

    def _needs_graph(self, *others) -> bool:
        if not autograd._grad_enabled:
            return False
        if not (
            self._requires_grad
            or builtins.any(isinstance(x, Tensor) and x._requires_grad for x in others)
        ):
            return False
        if self.grad_fn is None and self._requires_grad:
            raise InPlaceError(
                "in-place change of a leaf tensor that requires grad (a weight): autograd "
                "needs its old value. Update weights inside `with sh.no_grad():` (e.g. "
                "`with sh.no_grad(): w -= lr * w.grad`), or use an optimizer."
            )
        return True

    def __setitem__(self, index, value) -> None:
        index = _index(index)
        if self._needs_graph(value):
            self._become(SetItem.apply(self, _tensor_operand(value), index=index))
            return
        self._note_write()
        try:
            self.array[index] = _value(value)
        except (IndexError, ValueError, TypeError) as e:
            raise ShapeError(
                f"setitem: cannot assign a value of shape {np.shape(_value(value))} to "
                f"t[{_show_index(index)}] of a tensor with shape {self.array.shape}: {e}"
            ) from None

    # values changed in place, none of them recorded in the graph
    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value) -> Tensor:
        number = _fill_value("fill_", value)
        if self._needs_graph(value):  # recorded: the old values get no gradient, as torch's
            keep = np.zeros(self.array.shape, dtype=bool)
            return self._replace_(lambda x: where(keep, x, _tensor_operand(value)), value)
        self._note_write()
        self.array[...] = number
        return self

    def copy_(self, src, non_blocking: bool = False) -> Tensor:
        _need_tensor("copy_", "src", src)
        if _broadcast_shape("copy_", self.shape, src.shape) != self.shape:
            raise ShapeError(
                f"copy_: src of shape {tuple(src.shape)} does not fit in this tensor of shape "
                f"{tuple(self.shape)}: src must have the same shape or broadcast to it (size-1 "
                f"dims repeat). Reshape src, or copy into a slice: x[0].copy_(src)."
            )
        if self._needs_graph(src):  # recorded: the gradient goes to src (0 to the old values)
            keep = np.zeros(self.array.shape, dtype=bool)
            return self._replace_(lambda x: where(keep, x, _tensor_operand(src).to(x.dtype)), src)
        self._note_write()
        np.copyto(self.array, np.broadcast_to(_value(src), self.array.shape), casting="unsafe")
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        from .random import generator_or_default

        gen = generator_or_default(generator, "normal_")
        self._note_write()
        self.array[...] = gen.normal(self.array.shape, mean, std, dtype=self.array.dtype)
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        from .random import generator_or_default

        gen = generator_or_default(generator, "uniform_")
        self._note_write()
        self.array[...] = gen.uniform(self.array.shape, a, b, dtype=self.array.dtype)
        return self

    def bernoulli_(self, p: float = 0.5, *, generator=None) -> Tensor:
        """Fill with 1 (probability p) or 0, drawn as PyTorch's Tensor.bernoulli_(p)."""
        from .random import generator_or_default

        gen = generator_or_default(generator, "bernoulli_")
        self._note_write()
        self.array[...] = gen.bernoulli(_value(p), self.array.shape, dtype=self.array.dtype)
        return self

    def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
        from .random import generator_or_default

        gen = generator_or_default(generator, "exponential_")
        self._note_write()
        self.array[...] = gen.exponential(self.array.shape, lambd, dtype=self.array.dtype)
        return self

    def bernoulli(self, *, generator=None) -> Tensor:
        """1 with probability p (each element of this tensor), else 0: torch.bernoulli(self)."""
        from .creation import bernoulli

        return bernoulli(self, generator=generator)

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None):
        """Indices drawn with probability proportional to this tensor's rows (torch.multinomial)."""
        from .creation import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002
        return self._replace_(lambda x: x.clamp(min, max))

    def masked_fill_(self, mask, value) -> Tensor:
        self[_bool_condition("masked_fill_", "mask", mask)] = value  # an int mask would index
        return self

    # ---------------------------------------------------------------- more of torch's ops
    # Each is composed from the ops above (so backward comes with them), except log1p,
    # expm1 and the 2-norm, which are primitives for accuracy (ops/).
    def scatter(self, dim: int, index, src=None, *, value=None, reduce=None):
        """A copy with src's values (or `value`) written at `index` along dim: out[i][index[i][j]]
        = src[i][j] for dim=1. One-hot rows: sh.zeros(n, k).scatter(1, y.unsqueeze(1), 1.0)."""
        if reduce is not None:
            raise UnsupportedError(
                "scatter(reduce=...): not supported (torch deprecates it too); use "
                "scatter_add for sums, or scatter_reduce in PyTorch."
            )
        index, dim = self._scatter_index("scatter", index, dim)
        if src is None or not isinstance(src, Tensor):
            fill = value if src is None else src
            src = Tensor._make(np.full(index.shape, _value(fill), dtype=self.array.dtype))
        return Scatter.apply(self, _as_1d_if_0d(src, self), index=index, dim=dim)

    def scatter_add(self, dim: int, index, src):
        index, dim = self._scatter_index("scatter_add", index, dim)
        return ScatterAdd.apply(self, _as_1d_if_0d(src, self), index=index, dim=dim)

    def index_add(self, dim: int, index, source, *, alpha=1):
        """A copy with source's slices added at `index` along dim (repeats add up)."""
        dim = _check_dim("index_add", dim, self.ndim)
        index = np.asarray(_value(index)).astype(np.int64, copy=False).reshape(-1)
        source = _tensor_operand(source)
        expected = list(self.shape)
        expected[dim] = index.size  # one slice of source per index
        if list(source.shape) != expected:
            raise ShapeError(
                f"index_add: source has shape {tuple(source.shape)}, but with {index.size} "
                f"indices along dim {dim} of a tensor of shape {tuple(self.shape)} it must be "
                f"{tuple(expected)}: one slice of source per index, the other dims as self's."
            )
        return IndexAdd.apply(self, source, index=index, dim=dim, alpha=alpha)

    def index_fill(self, dim: int, index, value):
        dim = _check_dim("index_fill", dim, self.ndim)
        mask = np.zeros(self.shape[dim], dtype=bool)
        mask[np.asarray(_value(index))] = True
        shape = [1] * self.ndim
        shape[dim] = -1
        return where(mask.reshape(shape), value, self)

    def _scatter_index(self, name: str, index, dim: int) -> tuple:
        dim = _check_dim(name, dim, self.ndim)
        index = np.asarray(_value(index))
        if index.ndim == 0 and self.ndim == 1:  # torch counts a 0-d index as 1-d: one value
            index = index.reshape(1)
        if index.ndim != self.ndim or index.dtype.kind not in "iu":
            raise ShapeError(
                f"{name}: index must be an integer tensor with as many dims as self ("
                f"{self.ndim}), got {index.dtype} of shape {index.shape}. For one value per "
                f"row use index.unsqueeze({dim})."
            )
        return index.astype(np.int64, copy=False), dim

    def scatter_(self, dim: int, index, src=None, *, value=None, reduce=None):
        operand = src if isinstance(src, Tensor) else None
        return self._replace_(
            lambda x: x.scatter(dim, index, src, value=value, reduce=reduce), operand
        )

    def scatter_add_(self, dim: int, index, src):
        return self._replace_(lambda x: x.scatter_add(dim, index, src), src)

    def index_add_(self, dim: int, index, source, *, alpha=1):
        return self._replace_(lambda x: x.index_add(dim, index, source, alpha=alpha), source)

    def index_fill_(self, dim: int, index, value):
        return self._replace_(lambda x: x.index_fill(dim, index, value))

    def erf(self):
        from .ops.nn_ops import Erf

        return Erf.apply(_floating(self))

    def trunc(self):
        """Rounded towards 0 (its gradient is 0, as floor's)."""
        return Step.apply(self, step=np.trunc)

    def frac(self):
        return self - self.trunc()

    @autograd.quiet  # x / 0 and x % 0 give inf and nan silently, as torch
    def fmod(self, other):
        """The remainder of self / other with the sign of self (C's fmod)."""
        return _remainder_op("fmod", FMod, self, other)

    def remainder(self, other):
        """The remainder of self / other with the sign of other (Python's %)."""
        return _remainder_op("remainder", Remainder, self, other)

    def exp2(self):
        return 2.0 ** _floating(self)

    def tan(self):
        return self.sin() / self.cos()

    def sinh(self):
        return (self.exp() - (-self).exp()) / 2

    def cosh(self):
        return (self.exp() + (-self).exp()) / 2

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """nan -> `nan`, +inf/-inf -> `posinf`/`neginf` (default: the dtype's largest values).
        Ints and bools hold no nan or inf: a copy, as torch."""
        nan = _number("nan_to_num", "nan", nan)
        for name, value in (("posinf", posinf), ("neginf", neginf)):
            if value is not None:
                _number("nan_to_num", name, value)
        if self.array.dtype.kind not in "fc":
            return Tensor._make(self.array.copy())
        info = np.finfo(self.array.dtype)
        x = where(np.isnan(self.array), nan, self)
        x = where(np.isposinf(self.array), info.max if posinf is None else posinf, x)
        return where(np.isneginf(self.array), info.min if neginf is None else neginf, x)

    def median(self, dim=None, keepdim=False):
        """The lower median (of an even count, the smaller middle value, as torch); nan where
        the values hold a nan (nanmedian skips them). With dim: (values, indices)."""
        return _median("median", self, dim, keepdim, skip_nan=False)

    @takes_tensor
    def type_as(self, other: Tensor):
        return self.to(other.dtype)

    def movedim(self, source, destination):
        source = [
            _check_dim("movedim", d, self.ndim) for d in _int_list("movedim", "source", source)
        ]
        destination = [
            _check_dim("movedim", d, self.ndim)
            for d in _int_list("movedim", "destination", destination)
        ]
        if len(source) != len(destination):
            raise ArgumentError(
                f"movedim: source {source} and destination {destination} must list the same "
                f"number of dims, e.g. x.movedim(0, -1) or x.movedim((0, 1), (2, 3))."
            )
        order = [d for d in range(self.ndim) if d not in source]
        for dst, src in sorted(zip(destination, source)):
            order.insert(dst, src)
        return self.permute(*order)

    moveaxis = movedim

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dim (as torch; NumPy counts bytes)."""
        if self.is_contiguous():  # torch's strides: row-major (see is_contiguous)
            steps = tuple(_row_major_strides(self.array.shape, 1))
        else:
            steps = tuple(s // self.array.itemsize for s in self.array.strides)
        if dim is None:
            return steps
        _need_dims("stride", self)
        return steps[_check_dim("stride", dim, self.ndim)]

    def clamp_min(self, min):  # noqa: A002
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002
        return self.clamp(max=max)

    def lerp(self, end, weight):
        """self + weight * (end - self): a step of `weight` from self towards end."""
        return self + weight * (end - self)

    def reciprocal(self):
        return 1.0 / _floating(self)

    def log1p(self):
        return Log1p.apply(_floating(self))

    def expm1(self):
        return Expm1.apply(_floating(self))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm over `dim` (all elements by default): 2 ("fro"), 1, inf or any p > 0."""
        x = _floating(self if dtype is None else self.to(dtype))
        if p in ("fro", 2):
            return Norm2.apply(x, dim=_dim(dim), keepdim=keepdim)
        if p == 1:
            return x.abs().sum(dim, keepdim)
        if p == math.inf:
            return x.abs().amax(dim, keepdim)
        if not isinstance(p, (builtins.int, builtins.float)) or p <= 0:
            raise UnsupportedError(
                f"norm: p={p!r} is not supported; use p=2 ('fro'), 1, float('inf') or a number > 0."
            )
        return NormP.apply(x, p=builtins.float(p), dim=_dim(dim), keepdim=keepdim)

    def flip(self, dims):
        """The elements in reverse order along each of `dims` (a copy, as in torch)."""
        dims = {_check_dim("flip", d, self.ndim) for d in _int_list("flip", "dims", dims)}
        return Flip.apply(self, dims=tuple(sorted(dims)))

    def outer(self, vec2):
        """out[i, j] = self[i] * vec2[j], for two 1-d tensors."""
        _need_tensor("outer", "vec2", vec2)
        if self.ndim != 1 or _value(vec2).ndim != 1:
            raise ShapeError(
                f"outer: both inputs must be 1-d, got shapes {self.shape} and "
                f"{tuple(_value(vec2).shape)}; flatten them first (x.flatten())."
            )
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    def mv(self, vec):
        return self @ vec

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1):
        """The elements [i, i + offset] of the (dim1, dim2) planes, as a new last dim."""
        dim1, dim2 = (
            _check_dim("diagonal", dim1, self.ndim),
            _check_dim("diagonal", dim2, self.ndim),
        )
        offset = _whole_number("diagonal", "offset", offset)
        rest = [d for d in range(self.ndim) if d not in (dim1, dim2)]
        x = self.permute(*rest, dim1, dim2)
        n1, n2 = x.shape[-2], x.shape[-1]
        rows = np.arange(builtins.max(0, -offset), builtins.min(n1, n2 - offset))
        return x[..., rows, rows + offset]

    def trace(self):
        if self.ndim != 2:
            raise ShapeError(f"trace: needs a 2-d tensor, got shape {self.shape}.")
        return self.diagonal().sum()

    def diag(self, diagonal: int = 0):
        """1-d: a square matrix with self on diagonal `diagonal`; 2-d: that diagonal."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise ShapeError(f"diag: needs a 1-d or 2-d tensor, got shape {self.shape}.")
        n = self.shape[0] + builtins.abs(diagonal)
        rows = np.arange(self.shape[0]) + builtins.max(0, -diagonal)
        out = Tensor._make(np.zeros((n, n), dtype=self.array.dtype))
        out[rows, rows + diagonal] = self
        return out

    def tile(self, dims):
        dims = tuple(_int_list("tile", "dims", dims))
        return self.repeat(*((1,) * (self.ndim - len(dims)) + dims))

    def repeat_interleave(self, repeats, dim=None):
        """Each element `repeats` times in a row (along `dim`; flattened when dim is None)."""
        x = self.flatten() if dim is None else self
        dim = 0 if dim is None else _check_dim("repeat_interleave", dim, x.ndim)
        try:
            index = np.repeat(np.arange(x.shape[dim]), _value(repeats))
        except (TypeError, ValueError) as e:
            raise ArgumentError(
                f"repeat_interleave: repeats must be a whole number >= 0 or one per element "
                f"along dim {dim} ({x.shape[dim]} of them), got {repeats!r} ({e})."
            ) from None
        return x.index_select(dim, index)

    @takes_tensor
    def masked_select(self, mask: Tensor):
        """The elements where `mask` is True, as a 1-d tensor (mask broadcasts to self)."""
        mask = np.asarray(_bool_condition("masked_select", "mask", mask), dtype=bool)
        shape = _broadcast_shape("masked_select", self.shape, mask.shape)
        x = self if self.shape == shape else self.expand(*shape)
        return x[np.broadcast_to(mask, shape)]

    # inverse trigonometric and hyperbolic functions: primitives (ops/elementwise.py)
    def asin(self):
        return Asin.apply(_floating(self))

    def acos(self):
        return Acos.apply(_floating(self))

    def atan(self):
        return Atan.apply(_floating(self))

    def asinh(self):
        return Asinh.apply(_floating(self))

    def acosh(self):
        return Acosh.apply(_floating(self))

    def atanh(self):
        return Atanh.apply(_floating(self))

    @takes_tensor
    def atan2(self, other: Tensor):
        """The angle of the point (x=other, y=self) in (-pi, pi]: atan(self / other), with
        the quadrant from both signs."""
        return Atan2.apply(*_float_operands(self, other))

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
    arctan2 = atan2

    @takes_tensor
    def hypot(self, other: Tensor):
        """sqrt(self^2 + other^2), the length of the hypotenuse (no overflow in the squares)."""
        return Hypot.apply(*_float_operands(self, other))

    def erfc(self):
        from .ops.nn_ops import Erfc

        return Erfc.apply(_floating(self))

    def erfinv(self):
        from .ops.nn_ops import Erfinv

        return Erfinv.apply(_floating(self))

    # the gamma family and Bessel's I0: primitives in ops/special.py (arrays there, in float64)
    def lgamma(self):
        """log|Gamma(x)|: inf at 0 and the negative integers (torch.lgamma)."""
        from .ops.special import Lgamma

        return Lgamma.apply(_floating(self))

    def digamma(self):
        """psi(x) = d/dx lgamma(x): -inf at 0, nan at the negative integers (torch.digamma)."""
        from .ops.special import Digamma

        return Digamma.apply(_floating(self))

    def polygamma(self, n: int):
        """The n-th derivative of digamma (n = 0 is digamma itself): torch's x.polygamma(n),
        the same as torch.polygamma(n, x)."""
        from .ops.special import Digamma, Polygamma

        n = _whole_number("polygamma", "n", n)
        if n < 0:
            raise ArgumentError(
                f"polygamma: n={n} is negative; n counts derivatives of digamma, so n >= 0 "
                f"(n=0 is digamma, n=1 trigamma)."
            )
        x = _floating(self)
        return Digamma.apply(x) if n == 0 else Polygamma.apply(x, n=n)

    def mvlgamma(self, p: int):
        """log of the multivariate gamma function of dimension p, elementwise:
        p (p - 1) / 4 log(pi) + sum_{j=0}^{p-1} lgamma(x - j / 2). Every element must be
        greater than (p - 1) / 2 (as torch)."""
        p = _whole_number("mvlgamma", "p", p)
        if p < 1:
            raise ArgumentError(f"mvlgamma: p={p} must be at least 1 (the dimension).")
        x = _floating(self)
        limit = (p - 1) / 2
        if not (x.array > limit).all():
            bad = builtins.float(x.array[~(x.array > limit)].flat[0])
            raise ArgumentError(
                f"mvlgamma: every element must be greater than (p - 1) / 2 = {limit} for "
                f"p={p}, but the input holds {bad:.6g}. The multivariate gamma function is "
                f"defined only there: shift the input or use a smaller p."
            )
        halves = Tensor._make(-np.arange(p, dtype=x.array.dtype) / 2)  # 0, -1/2, -1, ...
        terms = (x.unsqueeze(-1) + halves).lgamma().sum(-1)
        return terms + p * (p - 1) / 4 * math.log(math.pi)

    def igamma(self, other):
        """P(self, other), the regularized lower incomplete gamma function (torch.igamma,
        torch.special.gammainc); the gradient flows to `other` only, as in torch."""
        return _incomplete_gamma("igamma", self, other, upper=False)

    def igammac(self, other):
        """Q(self, other) = 1 - P(self, other), the regularized upper incomplete gamma function
        (torch.igammac, torch.special.gammaincc); the gradient flows to `other` only."""
        return _incomplete_gamma("igammac", self, other, upper=True)

    def i0(self):
        """I0(x), the modified Bessel function of the first kind of order 0 (torch.i0)."""
        from .ops.special import I0

        return I0.apply(_floating(self))

    @takes_tensor
    def logaddexp(self, other: Tensor):
        """log(exp(self) + exp(other)) without overflow: logsumexp over the pair."""
        from .creation import stack

        a, b = _float_operands(self, other)
        shape = _broadcast_shape("logaddexp", np.shape(a), np.shape(b))
        pair = [_expanded(a, shape, a.array.dtype), _expanded(b, shape, a.array.dtype)]
        return stack(pair).logsumexp(0)

    @takes_tensor
    def logaddexp2(self, other: Tensor):
        """log2(2^self + 2^other): logaddexp in base 2, log2(2^a + 2^b) = logaddexp(a ln2,
        b ln2) / ln2."""
        a, b = _float_operands(self, other)
        return (a * math.log(2)).logaddexp(b * math.log(2)) * (1 / math.log(2))

    def xlogy(self, other):
        """self * log(other), and 0 where self is 0 (unless other is nan): an entropy term
        p log p with p = 0 counts as 0. Where self = 0 and other = 0, other gets a gradient
        of 0 (torch's is nan there)."""
        x, y = _float_operands(self, other, "xlogy")
        _broadcast_shape("xlogy", np.shape(_value(x)), np.shape(_value(y)))
        # where x = 0 and y <= 0 the log is not taken (0 * log(0) would be nan); nan stays nan
        skip = (np.asarray(_value(x)) == 0) & (np.asarray(_value(y)) <= 0)
        y_safe = where(skip, 1.0, _expanded(y, skip.shape, x.array.dtype))
        return x * y_safe.log()

    def logit(self, eps=None):
        """log(p / (1 - p)), the inverse of sigmoid; with eps, p is clamped to [eps, 1 - eps]
        first (no gradient outside, as torch)."""
        if eps is not None and (
            isinstance(eps, builtins.bool) or not isinstance(eps, (builtins.int, builtins.float))
        ):
            raise ArgumentError(f"logit: eps must be a number such as 1e-6, or None; got {eps!r}.")
        p = _floating(self) if eps is None else _floating(self).clamp(eps, 1 - eps)
        return p.log() - (-p).log1p()

    def copysign(self, other):
        """|self| with the sign of other (signed zeros count: copysign(1, -0.0) = -1). The
        sign carries no gradient (torch gives other a zero gradient)."""
        x = _floating(self)
        negative = np.signbit(_value(_operands(x, other, "copysign")[1]))
        return x.abs() * where(negative, -1.0, 1.0).to(x.dtype)

    def sgn(self):
        """sign(x) for real tensors (torch.sgn extends sign to complex numbers)."""
        return self.sign()

    def sinc(self):
        """sin(pi x) / (pi x), and 1 at x = 0 (the normalised sinc)."""
        x = _floating(self)
        at_zero = x.array == 0
        safe = where(at_zero, 1.0, x) * math.pi  # the 0/0 branch must not reach backward
        return where(at_zero, 1.0, safe.sin() / safe)

    def deg2rad(self):
        return _floating(self) * (math.pi / 180)

    def rad2deg(self):
        return _floating(self) * (180 / math.pi)

    def true_divide(self, other):
        return self / other

    def float_power(self, exponent):
        """self ** exponent computed in float64, whatever the dtypes (torch.float_power)."""
        base = self.to(dtypes.float64)
        if isinstance(exponent, Tensor):
            exponent = exponent.to(dtypes.float64)
        return base**exponent

    @takes_tensor
    def fmax(self, other: Tensor):
        """Elementwise max that ignores nan (nan only where both are nan); at ties the
        gradient goes to self, as torch.fmax."""
        a, b = _operands(self, other)
        _broadcast_shape("fmax", a.shape, b.shape)
        b_array = np.asarray(_value(b))
        take_a = (np.asarray(_value(a)) >= b_array) | np.isnan(b_array)
        return where(take_a, a, b)

    @takes_tensor
    def fmin(self, other: Tensor):
        """Elementwise min that ignores nan; at ties the gradient goes to self (torch.fmin)."""
        a, b = _operands(self, other)
        _broadcast_shape("fmin", a.shape, b.shape)
        b_array = np.asarray(_value(b))
        take_a = (np.asarray(_value(a)) <= b_array) | np.isnan(b_array)
        return where(take_a, a, b)

    # reductions that skip nan, order statistics and scans, composed from sort, gather and
    # where (logcumsumexp is a primitive: ops/reduce.py)
    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum with nan counted as 0 (no gradient reaches the nans)."""
        x = self if dtype is None else self.to(dtype)
        return where(np.isnan(x.array), 0, x).sum(_dim(dim), keepdim)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """The mean of the values that are not nan (nan where all of them are)."""
        x = self if dtype is None else self.to(dtype)
        if x.array.dtype.kind != "f":
            raise DTypeError(
                f"nanmean: the tensor is {x.dtype}; only floats hold nan, so use mean, or "
                f"convert first: t.float().nanmean()."
            )
        dim, keepdim = _reduce_dims("nanmean", dim, x.ndim), _flag("nanmean", "keepdim", keepdim)
        dim = None if dim == () else dim  # no dims listed: all of them, as torch
        count = np.sum(~np.isnan(x.array), axis=dim, keepdims=keepdim)
        with np.errstate(invalid="ignore"):  # an all-nan slice: 0 / 0 = nan, as torch
            return x.nansum(dim, keepdim) / count.astype(x.array.dtype)

    def nanmedian(self, dim=None, keepdim=False):
        """The lower median of the values that are not nan (nan where all are); with dim:
        (values, indices)."""
        return _median("nanmedian", self, dim, keepdim, skip_nan=True)

    def aminmax(self, *, dim=None, keepdim=False):
        """(min, max) in one call; tied extremes share the gradient, as amin and amax."""
        return aminmax_result(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def kthvalue(self, k: int, dim: int | None = -1, keepdim: bool = False):
        """(values, indices) of the k-th smallest element along dim (k = 1 is the smallest).
        Of tied values the index is the first in a stable sort; torch may pick another."""
        dim = _check_dim("kthvalue", -1 if dim is None else dim, self.ndim)
        k = _whole_number("kthvalue", "k", k)
        if self.ndim == 0:  # one element: k must be 1
            return values_indices(*(t.reshape(()) for t in self.reshape(1).kthvalue(k, 0)))
        n = self.array.shape[dim]
        if not 1 <= k <= n:
            largest = f"k={n} the largest" if n else f"dim {dim} is empty"
            raise IndexOutOfRangeError(
                f"kthvalue: k={k} is out of range for dim {dim} of size {n}; k counts from 1 "
                f"(k=1 is the smallest, {largest})."
            )
        index = _kth_smallest(self.array, k, dim)
        if index is None:  # a nan is the k-th smallest: the whole sort places it
            values, indices = self.sort(dim, stable=True)
            v, i = values.narrow(dim, k - 1, 1), indices.narrow(dim, k - 1, 1)
            return _kept(values_indices(v, i), dim, keepdim)
        return _kept(values_indices(self.gather(dim, index), Tensor._make(index)), dim, keepdim)

    def mode(self, dim: int = -1, keepdim: bool = False):
        """(values, indices): the most frequent value along dim (the smallest of equally
        frequent ones) and the last index where it occurs, as torch.mode."""
        if self.ndim == 0:
            return values_indices(*self.reshape(1).mode(0))
        dim = _check_dim("mode", dim, self.ndim)
        rows = np.moveaxis(self.array, dim, -1)  # (..., n)
        n = rows.shape[-1]
        if n == 0:
            raise IndexOutOfRangeError(
                f"mode: dim {dim} of the tensor of shape {tuple(self.shape)} is empty, so it "
                f"has no most frequent value. Reduce along a dim that holds values."
            )
        ordered = np.sort(rows, axis=-1)
        # in the sorted rows equal values form runs; a value's count is its run's length
        steps = np.arange(n)
        starts = np.ones(ordered.shape, dtype=bool)
        starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
        ends = np.ones(ordered.shape, dtype=bool)
        ends[..., :-1] = starts[..., 1:]
        run_start = np.maximum.accumulate(np.where(starts, steps, 0), axis=-1)
        run_end = np.flip(np.minimum.accumulate(np.flip(np.where(ends, steps, n), -1), -1), -1)
        best = np.argmax(run_end - run_start, axis=-1)  # the first longest run: smallest value
        value = np.take_along_axis(ordered, best[..., None], -1)  # (..., 1)
        last = n - 1 - np.argmax(np.flip(rows == value, -1), axis=-1)  # its last index
        index = np.expand_dims(last, dim).astype(np.int64)
        return _kept(values_indices(self.gather(dim, index), Tensor._make(index)), dim, keepdim)

    def cummax(self, dim: int):
        """(values, indices): the running max along dim and where it was reached (the latest
        index at ties; nan, once met, stays the max, as torch). The gradient goes to those
        indices."""
        return self._running_extreme("cummax", dim, np.maximum, np.greater_equal)

    def cummin(self, dim: int):
        """(values, indices): the running min along dim and where it was reached."""
        return self._running_extreme("cummin", dim, np.minimum, np.less_equal)

    def _running_extreme(self, name: str, dim: int, pick, at_least_as_good):
        dim = _check_dim(name, dim, self.ndim)
        x = self.array.reshape(self.shape or (1,))
        best = pick.accumulate(x, axis=dim)  # NumPy's maximum/minimum carry nan along
        # position j holds the running value when x_j is it (or both are nan); the index at i
        # is the latest such j <= i
        steps = np.arange(x.shape[dim]).reshape([-1] + [1] * (x.ndim - dim - 1))
        holds = at_least_as_good(x, best) | (np.isnan(x) & np.isnan(best))
        index = np.maximum.accumulate(np.where(holds, steps, 0), axis=dim)
        index = index.reshape(self.shape).astype(np.int64)
        values = self.gather(dim, index) if self.ndim else self * 1
        return values_indices(values, Tensor._make(index))

    def logcumsumexp(self, dim: int):
        return LogCumSumExp.apply(_floating(self), dim=_check_dim("logcumsumexp", dim, self.ndim))

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """The q-th quantiles along dim (of all elements when dim is None); q a number or a
        1-d tensor of numbers in [0, 1] (its values then make a new first dim). Between two
        sorted values the result is interpolated: 'linear', 'lower', 'higher', 'nearest' or
        'midpoint', as numpy.quantile. A slice with nan gives nan."""
        return _quantile("quantile", self, q, dim, keepdim, interpolation, skip_nan=False)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """quantile of the values that are not nan (nan where all of them are)."""
        return _quantile("nanquantile", self, q, dim, keepdim, interpolation, skip_nan=True)

    def msort(self):
        """Sorted along dim 0: sort(dim=0).values."""
        return self.sort(0).values

    # ---------------------------------------------------------------- fused products
    # torch's "add a product" ops: out = beta * self + alpha * product, composed from @ and *
    # (so backward comes with them). self broadcasts to the product's shape.
    @takes_tensor
    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1):
        """beta * self + alpha * (mat1 @ mat2): a linear layer's x @ w.T + b in one call."""
        _check_ndim("addmm", "mat1", mat1, 2)
        _check_ndim("addmm", "mat2", mat2, 2)
        return self._plus_product("addmm", mat1 @ mat2, beta, alpha)

    @takes_tensor
    def addmv(self, mat: Tensor, vec: Tensor, *, beta=1, alpha=1):
        """beta * self + alpha * (mat @ vec), for a matrix and a vector."""
        _check_ndim("addmv", "mat", mat, 2)
        _check_ndim("addmv", "vec", vec, 1)
        return self._plus_product("addmv", mat @ vec, beta, alpha)

    @takes_tensor
    def addr(self, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1):
        """beta * self + alpha * outer(vec1, vec2)."""
        return self._plus_product("addr", vec1.outer(vec2), beta, alpha)

    @takes_tensor
    def baddbmm(self, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1):
        """beta * self + alpha * (batch1 @ batch2), batch by batch: (b, n, m) @ (b, m, p)."""
        return self._plus_product("baddbmm", batch1.bmm(batch2), beta, alpha)

    @takes_tensor
    def addbmm(self, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1):
        """beta * self + alpha * sum over b of batch1[b] @ batch2[b]: (n, p) from (b, n, m)
        and (b, m, p)."""
        return self._plus_product("addbmm", batch1.bmm(batch2).sum(0), beta, alpha)

    @takes_tensor
    def addcmul(self, tensor1: Tensor, tensor2: Tensor, *, value=1):
        """self + value * tensor1 * tensor2 (all three broadcast): Adam's moment updates."""
        product = tensor1 * tensor2
        return self + (product if value == 1 else product * value)

    @takes_tensor
    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, *, value=1):
        """self + value * tensor1 / tensor2 (all three broadcast): Adam's step."""
        quotient = tensor1 / tensor2
        return self + (quotient if value == 1 else quotient * value)

    def _plus_product(self, op: str, product, beta, alpha):
        if np.broadcast_shapes(self.shape, product.shape) != product.shape:
            raise ShapeError(
                f"{op}: input of shape {tuple(self.shape)} does not broadcast to the product's "
                f"shape {tuple(product.shape)}; give an input of that shape (or one that "
                f"broadcasts to it, like a bias row of shape {tuple(product.shape[-1:])})."
            )
        product = product if alpha == 1 else product * alpha
        if beta == 0:  # self is ignored (its nan and inf do not spread) and gets 0 gradient
            return where(np.zeros(product.shape, dtype=bool), self, product)
        return (self if beta == 1 else self * beta) + product

    @takes_tensor
    def addmm_(self, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1):
        return self._replace_(lambda x: x.addmm(mat1, mat2, beta=beta, alpha=alpha), mat1, mat2)

    @takes_tensor
    def addmv_(self, mat: Tensor, vec: Tensor, *, beta=1, alpha=1):
        return self._replace_(lambda x: x.addmv(mat, vec, beta=beta, alpha=alpha), mat, vec)

    @takes_tensor
    def addr_(self, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1):
        return self._replace_(lambda x: x.addr(vec1, vec2, beta=beta, alpha=alpha), vec1, vec2)

    @takes_tensor
    def baddbmm_(self, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1):
        return self._replace_(
            lambda x: x.baddbmm(batch1, batch2, beta=beta, alpha=alpha), batch1, batch2
        )

    @takes_tensor
    def addbmm_(self, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1):
        return self._replace_(
            lambda x: x.addbmm(batch1, batch2, beta=beta, alpha=alpha), batch1, batch2
        )

    @takes_tensor
    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, *, value=1):
        return self._replace_(lambda x: x.addcmul(tensor1, tensor2, value=value), tensor1, tensor2)

    @takes_tensor
    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, *, value=1):
        return self._replace_(lambda x: x.addcdiv(tensor1, tensor2, value=value), tensor1, tensor2)

    # ---------------------------------------------------------------- products and distances
    # composed from the ops above, so their gradients come free
    @takes_tensor
    def cross(self, other: Tensor, dim=None):
        """The cross product of 3-vectors along `dim` (inputs broadcast). dim=None takes the
        first dim of size 3, torch.cross's old default; torch.linalg.cross uses dim=-1."""
        if self.ndim != other.ndim:
            raise ShapeError(
                f"cross: inputs must have the same number of dims (as in torch), got shapes "
                f"{tuple(self.shape)} and {tuple(other.shape)}; add size-1 dims with unsqueeze."
            )
        shape = _broadcast_shape("cross", self.shape, other.shape)
        if dim is None:
            dim = next((d for d, n in enumerate(shape) if n == 3), None)
            if dim is None:
                raise ShapeError(
                    f"cross: no dim of size 3 in shapes {tuple(self.shape)} and "
                    f"{tuple(other.shape)}; the cross product is of 3-vectors."
                )
        dim = _check_dim("cross", dim, len(shape))
        for name, x in (("input", self), ("other", other)):
            if x.shape[dim] != 3:
                raise ShapeError(
                    f"cross: {name} of shape {tuple(x.shape)} has no size 3 at dim "
                    f"{dim}; the cross product is of 3-vectors. Pass the dim "
                    f"that holds the (x, y, z) components: cross(a, b, dim=...)."
                )
        from .creation import stack

        a0, a1, a2 = (self.select(dim, i) for i in range(3))
        b0, b1, b2 = (other.select(dim, i) for i in range(3))
        # a x b = (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0)
        return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim=dim)

    @takes_tensor
    def kron(self, other: Tensor):
        """The Kronecker product: every element of self times a whole copy of other, laid out
        in blocks. Shape: (I, J) and (K, L) -> (I * K, J * L); any number of dims."""
        ndim = builtins.max(self.ndim, other.ndim)
        a_shape = (1,) * (ndim - self.ndim) + tuple(self.shape)
        b_shape = (1,) * (ndim - other.ndim) + tuple(other.shape)
        # a[i, j] * b[k, l] lands at out[i * K + k, j * L + l]: interleave the dims,
        # (I, 1, J, 1) * (1, K, 1, L) -> (I, K, J, L), then merge each pair
        a = self.reshape([n for size in a_shape for n in (size, 1)])
        b = other.reshape([n for size in b_shape for n in (1, size)])
        return (a * b).reshape([m * n for m, n in zip(a_shape, b_shape)])

    @takes_tensor
    def dist(self, other: Tensor, p=2):
        """The p-norm of self - other, over all elements (they broadcast); any p, as
        linalg.vector_norm (0 counts the elements that differ)."""
        from . import linalg

        return linalg.vector_norm(self - other, p)

    def renorm(self, p, dim: int, maxnorm):
        """Each slice along `dim` whose p-norm exceeds maxnorm scaled down to norm maxnorm
        (torch's factor: maxnorm / (norm + 1e-7)); the others unchanged."""
        dim = _check_dim("renorm", dim, self.ndim)
        others = tuple(d for d in range(self.ndim) if d != dim)
        norms = self.norm(p, dim=others, keepdim=True)
        return self * where(norms.array > maxnorm, maxnorm / (norms + 1e-7), 1.0)

    def renorm_(self, p, dim: int, maxnorm):
        return self._replace_(lambda x: x.renorm(p, dim, maxnorm))

    def cov(self, *, correction=1, fweights=None, aweights=None):
        """The covariance matrix of the variables in the rows (observations in the columns):
        sum over k of w_k (x_ik - mean_i)(x_jk - mean_j), divided by the weight total minus
        `correction` (1: unbiased, 0: the mean). fweights are integer repeat counts,
        aweights relative importances. Shape: (vars, obs) -> (vars, vars); (obs,) -> ().
        Squeezed as torch's: a single variable gives a 0-d tensor."""
        if self.ndim > 2:
            raise ShapeError(
                f"cov: input must be 1-d or 2-d (variables in rows, observations in columns), "
                f"got shape {tuple(self.shape)}; reshape it (x.flatten(1)) first."
            )
        x = _floating(self).reshape(1, -1) if self.ndim < 2 else _floating(self)
        fw = _cov_weights(fweights, "fweights", x)
        aw = _cov_weights(aweights, "aweights", x)
        w = None  # each observation's weight: fweights * aweights, either, or none
        for given in (fw, aw):
            if given is not None:
                w = given if w is None else w * given
        if w is None:
            total, mean = x.shape[1], x.mean(1, keepdim=True)
            xw = x - mean
        else:
            total = w.sum()
            mean = (x * w).sum(1, keepdim=True) / total
            xw = (x - mean) * w
        if aw is None:
            dof = total - correction
        else:  # with importance weights: total - correction * sum(w * aweights) / total
            dof = total - correction * (w * aw).sum() / total
        # too few observations for the correction: 0, so the result is inf or nan, and a
        # warning, as torch
        dof = dof.clamp_min(0) if isinstance(dof, Tensor) else builtins.max(dof, 0)
        if builtins.float(_value(dof)) == 0:
            warnings.warn(
                "cov(): degrees of freedom is <= 0: the correction is not smaller than the "
                "number of observations, so the result is inf or nan. Give more observations "
                "(columns), or correction=0.",
                RuntimeWarning,
                stacklevel=2,
            )
        return (xw @ (x - mean).T / dof).squeeze()

    def corrcoef(self):
        """Pearson's correlation coefficients: cov(x)[i, j] / (std_i std_j), clipped to
        [-1, 1]. Shape: (vars, obs) -> (vars, vars)."""
        c = self.cov()
        if c.ndim == 0:
            return c / c
        std = c.diagonal().sqrt()
        return (c / std.unsqueeze(1) / std.unsqueeze(0)).clamp(-1, 1)

    # ---------------------------------------------------------------- matrix functions
    # each is a function of torch.linalg, written in linalg.py (primitives in ops/linalg.py)
    def det(self):
        from . import linalg

        return linalg.det(self)

    def logdet(self):
        from . import linalg

        return linalg.logdet(self)

    def slogdet(self):
        from . import linalg

        return linalg.slogdet(self)

    def inverse(self):
        from . import linalg

        return linalg.inv(self)

    def pinverse(self, rcond: float = 1e-15):
        from . import linalg

        return linalg.pinv(self, rtol=_number("pinverse", "rcond", rcond))

    def cholesky(self, upper: bool = False):
        from . import linalg

        return linalg.cholesky(self, upper=upper)

    def matrix_power(self, n: int):
        from . import linalg

        return linalg.matrix_power(self, n)

    def matrix_exp(self):
        from . import linalg

        return linalg.matrix_exp(self)

    @takes_tensor
    def cholesky_solve(self, input2: Tensor, upper: bool = False):
        """X with A @ X = self, where A = L @ L.mT from its Cholesky factor L = input2 (or
        U.mT @ U with upper=True). L's other triangle must be zero, as cholesky gives it:
        the gradient is torch's, which treats L as a full matrix."""
        from . import linalg

        return linalg.solve(input2.mT @ input2 if upper else input2 @ input2.mT, self)

    def cholesky_inverse(self, upper: bool = False):
        """inv(A) from A's Cholesky factor L = self: inv(L @ L.mT) (U.mT @ U with upper)."""
        from . import linalg

        return linalg.inv(self.mT @ self if upper else self @ self.mT)

    def svd(self, some: bool = True, compute_uv: bool = True):
        """torch.svd, the older form of linalg.svd: (U, S, V) with V = Vh.mT (not Vh), reduced
        unless some=False; compute_uv=False gives zero U and V, as torch's."""
        from . import linalg

        if not compute_uv:  # zero (m, m) and (n, n) matrices in place of U and V
            batch, (m, n) = tuple(self.shape[:-2]), self.shape[-2:]
            u, v = (Tensor._make(np.zeros((*batch, k, k), self.array.dtype)) for k in (m, n))
            return svd_result(u, linalg.svdvals(self), v)
        u, s, vh = linalg.svd(self, full_matrices=not some)
        return svd_result(u, s, vh.mT)

    # values that carry no gradient (indices, counts, truth values)
    def nonzero(self, *, as_tuple=False):
        """The indices of the non-zero elements: an (n, ndim) tensor, or one tensor per dim
        with as_tuple=True (a 0-d tensor counts as 1-d there, as torch)."""
        where_nonzero = np.nonzero(self.array.reshape(1) if self.ndim == 0 else self.array)
        if as_tuple:
            return tuple(Tensor._make(i.astype(np.int64)) for i in where_nonzero)
        if self.ndim == 0:  # (1, 0) or (0, 0): one index of no coordinates per non-zero
            return Tensor._make(np.zeros((where_nonzero[0].size, 0), np.int64))
        return Tensor._make(np.stack(where_nonzero, axis=-1).astype(np.int64))

    def count_nonzero(self, dim=None):
        if dim is not None:
            dim = tuple(
                _check_dim("count_nonzero", d, self.ndim)
                for d in _int_list("count_nonzero", "dim", dim)
            )
        return Tensor._make(np.asarray(np.count_nonzero(self.array, axis=dim), np.int64))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        """The distinct values, in increasing order (with dim: the distinct slices)."""
        values, inverse, counts = np.unique(
            self.array, return_inverse=True, return_counts=True, axis=dim
        )
        out = [Tensor._make(values)]
        if return_inverse:
            shape = self.shape if dim is None else (self.shape[dim],)
            out.append(Tensor._make(inverse.reshape(shape).astype(np.int64)))
        if return_counts:
            out.append(Tensor._make(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def bincount(self, weights=None, minlength: int = 0):
        """How many times each value 0, 1, ..., max occurs (summing weights if given)."""
        if self.ndim != 1 or self.array.dtype.kind not in "iu" or (self.array < 0).any():
            raise ArgumentError(
                f"bincount: counts the values of a 1-d tensor of whole numbers >= 0, got a "
                f"{self.dtype} tensor of shape {tuple(self.shape)}. Flatten it and make it "
                f"ints first: x.flatten().long()."
            )
        if weights is not None:
            _need_tensor("bincount", "weights", weights)
            if weights.shape != self.shape:
                raise ShapeError(
                    f"bincount: weights must be 1-d with one weight per value "
                    f"({self.shape[0]}), got shape {tuple(weights.shape)}."
                )
        if _whole_number("bincount", "minlength", minlength) < 0:
            raise ArgumentError(f"bincount: minlength must be >= 0, got {minlength}.")
        counts = np.bincount(self.array, _value(weights), minlength)
        return Tensor._make(counts if weights is not None else counts.astype(np.int64))

    @takes_tensor
    def isclose(self, other: Tensor, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|self - other| <= atol + rtol * |other|, elementwise (nan == nan if equal_nan)."""
        return Tensor._make(_isclose("isclose", self, other, rtol, atol, equal_nan))

    def logical_and(self, other):
        return _compare("logical_and", np.logical_and, self, other)

    def logical_or(self, other):
        return _compare("logical_or", np.logical_or, self, other)

    def logical_xor(self, other):
        return _compare("logical_xor", np.logical_xor, self, other)

    def logical_not(self):
        return Tensor._make(np.logical_not(self.array))

    def signbit(self):
        """True where the sign bit is set: negative numbers and -0.0."""
        return Tensor._make(np.signbit(self.array))

    def isposinf(self):
        return Tensor._make(np.isposinf(self.array))

    def isneginf(self):
        return Tensor._make(np.isneginf(self.array))

    @takes_tensor
    def heaviside(self, values: Tensor):
        """0 where self < 0, 1 where self > 0, and `values` where self == 0 (no gradient)."""
        values = _tensor_operand(values)
        if values.array.dtype != self.array.dtype:
            raise DTypeError(
                f"heaviside: self is {self.dtype} and values is {values.dtype}; torch asks for "
                f"the same dtype. Convert one: values.to(x.dtype)."
            )
        # torch's rule, x == 0 ? values : x > 0, so heaviside(nan) = 0 (NumPy's gives nan)
        step = lambda x, v: np.where(x == 0, v, x > 0).astype(x.dtype)  # noqa: E731
        return _no_grad_result("heaviside", step, self, values)

    @autograd.quiet  # x / 0 and x % 0 give inf and nan silently, as torch
    def floor_divide(self, other):
        """self / other rounded down (no gradient), as torch.floor_divide and //."""
        a, b = _operands(self, other, "floor_divide")
        _broadcast_shape("floor_divide", np.shape(_value(a)), np.shape(_value(b)))
        _check_integer_divisor("floor_divide", a, b)
        return Tensor._make(np.asarray(np.floor_divide(_value(a), _value(b))))

    # in place, for the ops above and the common unary ones: `x.sqrt_()`, `w.lerp_(w2, 0.1)`
    def _replace_(self, result: Callable[[Tensor], Tensor], *others) -> Tensor:
        """Set this tensor to result(self): recorded when a graph needs it (see _inplace; the
        `others` are the other tensors result reads), else written into the array where it
        is, so views see the change."""
        if self._needs_graph(*others):
            return self._become(self._same_shape(result(self)))
        with autograd.no_grad():
            new = self._same_shape(result(self))
        self._note_write()
        try:
            np.copyto(self.array, new.array, casting="same_kind")
        except TypeError:
            raise DTypeError(
                f"in-place op: the result is {new.dtype}, which this {self.dtype} tensor cannot "
                f"hold (as in torch). Use the out-of-place form (x = x.sin() for x.sin_()), or "
                f"convert first (x = x.float())."
            ) from None
        return self

    def _same_shape(self, new: Tensor) -> Tensor:
        """new, if it has this tensor's shape: an in-place op cannot grow a tensor (torch)."""
        if new.shape != self.shape:
            raise ShapeError(
                f"in-place op: the result has shape {tuple(new.shape)}, but the tensor it is "
                f"written into has shape {tuple(self.shape)}; an in-place op cannot change a "
                f"tensor's shape. Use the out-of-place form (x = x.addcmul(...) for "
                f"x.addcmul_(...)), or expand x first."
            )
        return new

    def sqrt_(self):
        return self._replace_(Tensor.sqrt)

    def exp_(self):
        return self._replace_(Tensor.exp)

    def log_(self):
        return self._replace_(Tensor.log)

    def abs_(self):
        return self._replace_(Tensor.abs)

    def neg_(self):
        return self._replace_(Tensor.__neg__)

    def pow_(self, exponent):
        return self._replace_(lambda x: x**exponent)

    def relu_(self):
        return self._replace_(Tensor.relu)

    def sigmoid_(self):
        return self._replace_(Tensor.sigmoid)

    def tanh_(self):
        return self._replace_(Tensor.tanh)

    def clamp_min_(self, min):  # noqa: A002
        return self._replace_(lambda x: x.clamp(min=min))

    def clamp_max_(self, max):  # noqa: A002
        return self._replace_(lambda x: x.clamp(max=max))

    def lerp_(self, end, weight):
        return self._replace_(lambda x: x.lerp(end, weight), end)

    # erfinv_ is in every truncated-normal init (uniform_, erfinv_, mul_, add_, clamp_)
    def erfinv_(self):
        return self._replace_(Tensor.erfinv)

    def erfc_(self):
        return self._replace_(Tensor.erfc)

    def lgamma_(self):
        return self._replace_(Tensor.lgamma)

    def digamma_(self):
        return self._replace_(Tensor.digamma)

    def polygamma_(self, n: int):
        return self._replace_(lambda x: x.polygamma(n))

    def mvlgamma_(self, p: int):
        return self._replace_(lambda x: x.mvlgamma(p))

    def i0_(self):
        return self._replace_(Tensor.i0)

    def igamma_(self, other):
        return self._replace_(lambda x: x.igamma(other), other)

    def igammac_(self, other):
        return self._replace_(lambda x: x.igammac(other), other)

    def asin_(self):
        return self._replace_(Tensor.asin)

    def acos_(self):
        return self._replace_(Tensor.acos)

    def atan_(self):
        return self._replace_(Tensor.atan)

    def asinh_(self):
        return self._replace_(Tensor.asinh)

    def acosh_(self):
        return self._replace_(Tensor.acosh)

    def atanh_(self):
        return self._replace_(Tensor.atanh)

    arcsin_, arccos_, arctan_ = asin_, acos_, atan_
    arcsinh_, arccosh_, arctanh_ = asinh_, acosh_, atanh_

    def atan2_(self, other):
        return self._replace_(lambda x: x.atan2(other), other)

    arctan2_ = atan2_

    def hypot_(self, other):
        return self._replace_(lambda x: x.hypot(other), other)

    def logit_(self, eps=None):
        return self._replace_(lambda x: x.logit(eps))

    def sinc_(self):
        return self._replace_(Tensor.sinc)

    def deg2rad_(self):
        return self._replace_(Tensor.deg2rad)

    def rad2deg_(self):
        return self._replace_(Tensor.rad2deg)

    def copysign_(self, other):
        return self._replace_(lambda x: x.copysign(other), other)

    def xlogy_(self, other):
        return self._replace_(lambda x: x.xlogy(other), other)

    def floor_divide_(self, other):
        return self._replace_(lambda x: x.floor_divide(other))

    # ---------------------------------------------------------------- comparisons
    def __eq__(self, other):  # type: ignore[override]
        if other is None or isinstance(other, str):
            return NotImplemented  # Python then says False, as torch: `t == None` is False
        return _compare("eq", np.equal, self, other)

    def __ne__(self, other):  # type: ignore[override]
        if other is None or isinstance(other, str):
            return NotImplemented  # Python then says True, as torch
        return _compare("ne", np.not_equal, self, other)

    def eq(self, other):
        return _compare("eq", np.equal, self, other)

    def ne(self, other):
        return _compare("ne", np.not_equal, self, other)

    def __lt__(self, other):
        return _compare("lt", np.less, self, other)

    def __le__(self, other):
        return _compare("le", np.less_equal, self, other)

    def __gt__(self, other):
        return _compare("gt", np.greater, self, other)

    def __ge__(self, other):
        return _compare("ge", np.greater_equal, self, other)

    __hash__ = object.__hash__
    lt, le, gt, ge = __lt__, __le__, __gt__, __ge__

    def equal(self, other) -> bool:
        _need_tensor("equal", "other", other)
        return self.array.shape == _value(other).shape and bool((self.array == _value(other)).all())

    @takes_tensor
    def allclose(self, other: Tensor, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        """True if isclose holds everywhere."""
        return builtins.bool(_isclose("allclose", self, other, rtol, atol, equal_nan).all())

    def isnan(self):
        return Tensor._make(np.isnan(self.array))

    def isinf(self):
        return Tensor._make(np.isinf(self.array))

    def isfinite(self):
        return Tensor._make(np.isfinite(self.array))

    def any(self, dim=None, keepdim=False):
        dim, keepdim = _reduce_dims("any", dim, self.ndim), _flag("any", "keepdim", keepdim)
        return Tensor._make(np.asarray(self.array.any(axis=dim, keepdims=keepdim)))

    def all(self, dim=None, keepdim=False):
        dim, keepdim = _reduce_dims("all", dim, self.ndim), _flag("all", "keepdim", keepdim)
        return Tensor._make(np.asarray(self.array.all(axis=dim, keepdims=keepdim)))

    # ---------------------------------------------------------------- elementwise math
    def exp(self):
        return Exp.apply(_floating(self))

    def log(self):
        return Log.apply(_floating(self))

    def log10(self):
        return Log.apply(_floating(self)) * (1 / math.log(10))

    def log2(self):
        return Log.apply(_floating(self)) * (1 / math.log(2))

    def sqrt(self):
        return Sqrt.apply(_floating(self))

    def rsqrt(self):
        return 1 / Sqrt.apply(self)

    def square(self):
        return Mul.apply(self, self)

    def sin(self):
        return Sin.apply(_floating(self))

    def cos(self):
        return Cos.apply(_floating(self))

    def tanh(self):
        return Tanh.apply(_floating(self))

    def sigmoid(self):
        return Sigmoid.apply(_floating(self))

    def relu(self):
        return Relu.apply(self)

    def leaky_relu(self, negative_slope=0.01):
        return LeakyRelu.apply(self, negative_slope=negative_slope)

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        if min is None and max is None:
            raise ArgumentError(
                "clamp: give min, max or both (e.g. x.clamp(min=0)); with neither there is "
                "nothing to clamp to (torch refuses it too)."
            )
        x = self
        if x.array.dtype.kind in "biu" and any(isinstance(b, builtins.float) for b in (min, max)):
            x = x.float()  # an int tensor clamped to a float bound is a float one, as in torch
        try:
            return Clamp.apply(x, min=_value(min), max=_value(max))
        except ShapeError:
            raise _clamp_error(self, min, max) from None

    clip = clamp

    def maximum(self, other):
        return Maximum.apply(*_operands(self, other))

    def minimum(self, other):
        return Minimum.apply(*_operands(self, other))

    def sign(self):
        """-1, 0 or 1 (a gradient of 0); sign(nan) = 0, as in torch (NumPy gives nan). A bool
        tensor is its own sign, as torch."""
        if self.array.dtype == np.bool_:
            return Tensor._make(self.array.copy())
        return Step.apply(self, step=sign_array)

    # floor, ceil, round, trunc and sign: constant between their jumps, so their gradient is
    # 0 everywhere, and recorded as such (Step), as PyTorch does
    def floor(self):
        return Step.apply(self, step=np.floor)

    def ceil(self):
        return Step.apply(self, step=np.ceil)

    def round(self, decimals: int = 0):
        decimals = _whole_number("round", "decimals", decimals)
        return Step.apply(self, step=np.round, decimals=decimals or None)

    def where(self, condition, other):
        return where(condition, self, other)

    def masked_fill(self, mask, value):
        return Where.apply(_bool_condition("masked_fill", "mask", mask), _value(value), self)

    def softmax(self, dim: int):
        return Softmax.apply(self, dim=dim)

    def log_softmax(self, dim: int):
        return LogSoftmax.apply(self, dim=dim)

    # ---------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False, dtype=None, *, keepdims=None):
        x = self if dtype is None else self.to(dtype)
        return Sum.apply(x, dim=_dim(dim), keepdim=_keep(keepdim, keepdims))

    def mean(self, dim=None, keepdim=False, dtype=None, *, keepdims=None):
        x = self if dtype is None else self.to(dtype)
        if x.array.dtype.kind not in "fc":
            raise DTypeError(
                f"mean: the tensor is {x.dtype}; the mean of integers is a fraction, so "
                f"convert first: t.float().mean()."
            )
        return Mean.apply(x, dim=_dim(dim), keepdim=_keep(keepdim, keepdims))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, keepdims=None):
        """Variance: mean of squared deviations, divided by n - correction (1 by default)."""
        return self._variance("var", dim, unbiased, keepdim, correction, keepdims)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, keepdims=None):
        """sqrt(var). Where the values are all equal (var 0) the slope of sqrt is infinite, and
        torch defines the gradient as 0 there: sqrt runs on 1 in those places and its result is
        set back to 0, so no gradient flows through them."""
        var = self._variance("std", dim, unbiased, keepdim, correction, keepdims)
        flat = var.array == 0
        if not np.count_nonzero(flat):
            return var.sqrt()
        return var.masked_fill(flat, 1.0).sqrt().masked_fill(flat, 0.0)

    def _variance(self, op: str, dim, unbiased, keepdim, correction, keepdims):
        """var's formula, its arguments checked under the name of the op called (var or std)."""
        _need_float_for(op, self)
        correction = _correction(op, unbiased, correction)
        dim, keepdim = _dims_once(op, _dim(dim), self.ndim), _keep(keepdim, keepdims)
        mean = self.mean(dim, keepdim=True)
        deviation = self - mean
        n = self.array.size // max(mean.array.size, 1)  # the values in each mean
        return (deviation * deviation).sum(dim, keepdim=keepdim) / max(n - correction, 0)

    def prod(self, dim=None, keepdim=False):
        dim = dim if dim is None else _check_dim("prod", dim, self.ndim)
        return Prod.apply(self, dim=dim, keepdim=keepdim)

    def cumsum(self, dim: int):
        return CumSum.apply(self, dim=_check_dim("cumsum", dim, self.ndim))

    def cumprod(self, dim: int):
        return CumProd.apply(self, dim=_check_dim("cumprod", dim, self.ndim))

    def histc(self, bins=100, min=0, max=0):  # noqa: A002 (torch's argument names)
        from .creation import histc

        return histc(self, bins, min, max)

    def amax(self, dim=None, keepdim=False):
        return Amax.apply(self, dim=_dim(dim), keepdim=keepdim)

    def amin(self, dim=None, keepdim=False):
        return Amin.apply(self, dim=_dim(dim), keepdim=keepdim)

    def max(self, dim=None, keepdim=False):
        """max() -> the largest value; max(dim) -> (values, indices); max(other) -> maximum."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            return Amax.apply(self, nan_is_top=True)
        return _values_indices(MaxDim, self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        """min() -> the smallest value; min(dim) -> (values, indices); min(other) -> minimum."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            return Amin.apply(self, nan_is_top=True)
        return _values_indices(MinDim, self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        dim = dim if dim is None else _check_dim("argmax", dim, self.ndim)
        return Tensor._make(_arg(np.argmax, self.array, dim, keepdim))

    def argmin(self, dim=None, keepdim=False):
        dim = dim if dim is None else _check_dim("argmin", dim, self.ndim)
        return Tensor._make(_arg(np.argmin, self.array, dim, keepdim))

    def logsumexp(self, dim, keepdim=False):
        return LogSumExp.apply(self, dim=_dim(dim), keepdim=keepdim)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
        dim = _check_dim("topk", dim, self.ndim)
        k = _whole_number("topk", "k", k)
        if not 0 <= k <= self.array.shape[dim]:
            raise ArgumentError(
                f"topk: k={k} must be from 0 to the size {self.array.shape[dim]} of dim {dim}."
            )
        if largest and _has_nan(self.array):  # NaN ranks above every number, as in torch
            index = np.take(_nans_first(self.array, dim), np.arange(k), axis=dim)
        else:
            index = _first_k(-self.array if largest else self.array, k, dim)
        return values_indices(Gather.apply(self, index=index, dim=dim), Tensor._make(index))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        dim = _check_dim("sort", dim, self.ndim)
        if descending and _has_nan(self.array):  # NaN ranks above every number, as in torch
            index = _nans_first(self.array, dim)
        else:
            index = stable_argsort(-self.array if descending else self.array, dim)
        return values_indices(Gather.apply(self, index=index, dim=dim), Tensor._make(index))

    def argsort(self, dim: int = -1, descending: bool = False):
        return self.sort(dim, descending).indices

    def gather(self, dim: int, index):
        if not isinstance(index, (Tensor, np.ndarray)):
            raise DTypeError(not_a_tensor("gather", "index", index))
        dim = _check_dim("gather", dim, self.ndim)
        index = np.asarray(_value(index))
        if index.ndim == 0 and self.ndim == 1:  # torch: a 0-d index gives a 0-d value
            return Gather.apply(self, index=index.reshape(1), dim=dim).reshape(())
        return Gather.apply(self, index=index, dim=dim)

    # ---------------------------------------------------------------- shape
    def reshape(self, *shape):
        return self._reshaped("reshape", _dims(shape))

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (builtins.int, tuple, list, Size)):
            return self.to(shape[0])  # view(dtype)
        shape = _dims(shape)
        out = self._reshaped("view", shape)
        # A view shares the tensor's memory, as in torch: where NumPy had to copy (the elements
        # are not one after another in memory), refuse, as torch does, rather than copy. Not
        # for a layout scratchish chose (a conv's channels-last output): torch's tensor is
        # contiguous there, and its view works, so this one copies (see is_contiguous).
        if (
            getattr(self, "_user_layout", False)
            and self.array.size
            and not np.may_share_memory(out.array, self.array)
        ):
            raise _view_copy_error(self.array.shape, shape)
        return out

    def _reshaped(self, op: str, shape: tuple) -> Tensor:
        """Reshape for reshape and view, with an error that names the op and the sizes."""
        if builtins.min(shape, default=0) < -1:  # NumPy would read any negative size as -1
            raise _reshape_error(op, self.array.shape, shape)
        try:
            out = Reshape.apply(self, shape=shape)
        except ShapeError:
            raise _reshape_error(op, self.array.shape, shape) from None
        return _layout_of_view(out, self, lambda a: a.reshape(out.array.shape))

    @takes_tensor
    def view_as(self, other: Tensor):
        return self.view(other.shape)

    @takes_tensor
    def reshape_as(self, other: Tensor):
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        shape = self.array.shape
        if not shape:
            return self.reshape(1)
        start = _check_dim("flatten", start_dim, len(shape))
        end = _check_dim("flatten", end_dim, len(shape))
        if start > end:
            raise ArgumentError(
                f"flatten: start_dim={start_dim} comes after end_dim={end_dim} for a tensor "
                f"of shape {tuple(shape)}; flatten joins dims start_dim to end_dim, so give "
                f"start_dim <= end_dim (e.g. x.flatten({end_dim}, {start_dim}))."
            )
        # the joined size written out, not -1: a size-0 dim elsewhere leaves -1 undecidable
        return self.reshape(*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])

    def unflatten(self, dim: int, sizes):
        """Dim `dim` split into several of `sizes` (one of them may be -1):
        x.unflatten(1, (3, 4)) turns (B, 12) into (B, 3, 4)."""
        shape = self.array.shape
        dim = _check_dim("unflatten", dim, len(shape))
        sizes = _int_list("unflatten", "sizes", sizes)
        return self.reshape(*shape[:dim], *sizes, *shape[dim + 1 :])

    def ravel(self):
        return self.reshape(-1)

    def squeeze(self, dim=None):
        shape = self.array.shape
        if dim is None:
            return self.reshape(*(n for n in shape if n != 1))
        dims = {_check_dim("squeeze", d, len(shape)) for d in _int_list("squeeze", "dim", dim)}
        return self.reshape(*(n for i, n in enumerate(shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim: int):
        shape = self.array.shape
        dim = _check_dim("unsqueeze", dim, len(shape) + 1)
        return self.reshape(*shape[:dim], 1, *shape[dim:])

    def transpose(self, dim0: int, dim1: int):
        out = Transpose.apply(self, dim0=dim0, dim1=dim1)
        return _layout_of_view(out, self, lambda a: np.swapaxes(a, dim0, dim1))

    swapaxes = swapdims = transpose

    def adjoint(self):
        """The last two dims swapped (the conjugate transpose; tensors here are real)."""
        if self.ndim < 2:
            raise ShapeError(
                f"adjoint: needs a matrix or a batch of matrices, got a {self.ndim}-d tensor "
                f"of shape {tuple(self.shape)}. For a column vector use x.unsqueeze(1) first."
            )
        return self.transpose(-2, -1)

    def t(self):
        if self.ndim > 2:
            raise ShapeError(
                f"t(): expects a tensor with at most 2 dims, got {self.ndim}; "
                f"use .transpose(dim0, dim1) or .mT."
            )
        return self.T

    def permute(self, *dims):
        dims = tuple(_check_dim("permute", d, self.ndim) for d in _dims(dims))
        try:
            out = Permute.apply(self, dims=dims)
            return _layout_of_view(out, self, lambda a: a.transpose(dims))
        except ShapeError:
            raise ShapeError(
                f"permute: dims {dims} for a tensor of shape {tuple(self.array.shape)}: each dim "
                f"must appear exactly once, in its new place (e.g. x.permute"
                f"{tuple(reversed(range(self.ndim)))} reverses them)."
            ) from None

    def expand(self, *shape):
        shape = _dims(shape)
        full = tuple(
            n if s == -1 else s
            for s, n in zip(shape, (None,) * (len(shape) - self.ndim) + self.array.shape)
        )
        try:
            out = Expand.apply(self, shape=full)
            return _layout_of_view(out, self, lambda a: np.broadcast_to(a, full))
        except ShapeError:
            raise _expand_error(self.array.shape, shape) from None

    @takes_tensor
    def expand_as(self, other: Tensor):
        return self.expand(other.shape)

    def repeat(self, *sizes):
        sizes = _dims(sizes)
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.array.shape)
        return _cat_repeat(x, sizes)

    def split(self, split_size, dim: int = 0):
        dim = _check_dim("split", dim, self.ndim)
        n = self.array.shape[dim]
        if isinstance(split_size, (builtins.int, np.integer)) and split_size > 0:
            bounds = list(range(0, n, split_size)) + [n] if n else [0, 0]  # torch: one empty
        else:
            sizes = _int_list("split", "split_size_or_sections", split_size)
            if builtins.sum(sizes) != n or builtins.min(sizes, default=0) < 0:
                raise ArgumentError(
                    f"split: split_size_or_sections {split_size!r} must be a whole number > 0, "
                    f"or sizes >= 0 that add up to {n} (the size of dim {dim})."
                )
            bounds = [0, *np.cumsum(sizes).tolist()]
        return tuple(self._view_at(_slice_at(dim, a, b)) for a, b in zip(bounds, bounds[1:]))

    def chunk(self, chunks: int, dim: int = 0):
        dim = _check_dim("chunk", dim, self.ndim)
        if _whole_number("chunk", "chunks", chunks) < 1:
            raise ArgumentError(f"chunk: chunks must be >= 1, got {chunks}.")
        n = self.array.shape[dim]
        if n == 0:  # torch gives `chunks` empty pieces
            return tuple(self.narrow(dim, 0, 0) for _ in range(chunks))
        return self.split(-(-n // chunks), dim)

    def unbind(self, dim: int = 0):
        _need_dims("unbind", self)
        dim = _check_dim("unbind", dim, self.ndim)
        return tuple(self.select(dim, i) for i in range(self.array.shape[dim]))

    def select(self, dim: int, index: int):
        return self[_slice_at(dim, index, None)]

    def narrow(self, dim: int, start: int, length: int):
        return self[_slice_at(dim, start, start + length)]

    # where, not a product with a 0/1 mask: -inf * 0 would be nan (triu of -inf: causal masks)
    def tril(self, diagonal: int = 0):
        diagonal = _whole_number("tril", "diagonal", diagonal)
        _at_least_ndim("tril", self, 2)
        return Triangle.apply(self, diagonal=diagonal, upper=False)

    def triu(self, diagonal: int = 0):
        diagonal = _whole_number("triu", "diagonal", diagonal)
        _at_least_ndim("triu", self, 2)
        return Triangle.apply(self, diagonal=diagonal, upper=True)

    def __getitem__(self, index):
        return self._view_at(_index(index), basic=None)

    def _view_at(self, index, basic: bool | None = True) -> Tensor:
        """self[index] for an index already read by _index; basic=True where it is known to
        be ints and slices (a view), None to look (only where the layout needs marking).
        split and chunk call it directly, without __getitem__'s reading of the index (a qkv
        split into three took 21 us, PyTorch's 12)."""
        out = GetItem.apply(self, index=index)
        if out.array.flags.c_contiguous and self.array.flags.c_contiguous:
            return out  # the common case: nothing to mark
        if basic or (basic is None and _is_basic_index(index)):
            return _layout_of_view(out, self, lambda a: a[index])
        return out  # advanced indexing copies, into a new row-major array

    def index_select(self, dim: int, index):
        """The slices at `index` (a 1-d integer tensor, repeats allowed) along dim."""
        index = np.asarray(_value(index))
        if index.ndim > 1 or index.dtype.kind not in "iu":
            raise ShapeError(
                f"index_select: index must be a 1-d integer tensor, got {index.dtype} of shape "
                f"{index.shape}. Flatten it first (index.flatten()), or use gather."
            )
        dim = _check_dim("index_select", dim, self.ndim)
        n = self.array.shape[dim] if self.ndim else 1
        if index.size and not (0 <= index.min() and index.max() < n):
            bad = index.min() if index.min() < 0 else index.max()
            raise IndexOutOfRangeError(
                f"index_select: index {bad} is out of range for dim {dim} of size {n}; indices "
                f"go from 0 to {n - 1} (negative ones are not allowed here, as in torch)."
            )
        return self[_slice_at(dim, index.reshape(-1), None)]  # 0-d index: the dim stays

    def roll(self, shifts, dims=None):
        """Elements shifted by `shifts` along `dims`, those pushed off the end coming back
        at the start (of the flattened tensor when dims is None)."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = tuple(_int_list("roll", "shifts", shifts))
        dims = tuple(_int_list("roll", "dims", dims))
        if len(shifts) != len(dims):
            raise ArgumentError(
                f"roll: give one shift per dim, got shifts={shifts} for dims={dims}."
            )
        x = self
        for shift, dim in zip(shifts, dims):
            n = self.array.shape[_check_dim("roll", dim, self.ndim)]
            if n:
                x = Roll.apply(x, shift=shift, dim=dim % self.ndim)  # out[i] = x[i - shift]
        return x

    def rot90(self, k: int = 1, dims=(0, 1)):
        """Rotated by 90 degrees k times, from the first of `dims` towards the second."""
        k = _whole_number("rot90", "k", k)
        if not isinstance(dims, (list, tuple, Size)) or len(dims) != 2:
            raise ArgumentError(f"rot90: dims must hold two dims, such as (0, 1); got {dims!r}.")
        d0, d1 = (_check_dim("rot90", d, self.ndim) for d in dims)
        if d0 == d1:
            raise ArgumentError(f"rot90: the two dims must differ, got {tuple(dims)}.")
        k %= 4
        if k == 1:
            return self.flip(d1).transpose(d0, d1)
        if k == 2:
            return self.flip((d0, d1))
        if k == 3:
            return self.flip(d0).transpose(d0, d1)
        return self.clone()

    def diff(self, n: int = 1, dim: int = -1, prepend=None, append=None):
        """out[i] = x[i + 1] - x[i] along dim, n times (bool tensors: x[i + 1] != x[i]);
        prepend and append are joined to x along dim first."""
        from .creation import cat

        _need_dims("diff", self)
        dim = _check_dim("diff", dim, self.ndim)
        if _whole_number("diff", "n", n) < 0:
            raise ArgumentError(f"diff: n must be 0 or more, got {n}.")
        x = self
        if prepend is not None or append is not None:
            x = cat([_tensor_operand(t) for t in (prepend, self, append) if t is not None], dim)
        for _ in range(n):
            length = x.shape[dim]
            if length == 0:
                break
            after, before = x.narrow(dim, 1, length - 1), x.narrow(dim, 0, length - 1)
            x = after != before if x.array.dtype == np.bool_ else after - before
        return x

    def tensor_split(self, indices_or_sections, dim: int = 0):
        """Pieces along dim: n nearly equal ones for an int n (the first n % size one
        longer), or cut before each of a list of indices."""
        dim = _check_dim("tensor_split", dim, self.ndim)
        size = self.array.shape[dim]
        cuts = indices_or_sections
        if isinstance(cuts, Tensor):
            if cuts.array.dtype.kind not in "iu" or cuts.ndim > 1:
                raise ArgumentError(
                    f"tensor_split: indices_or_sections as a tensor must be a 0-d or 1-d int "
                    f"tensor, got a {cuts.dtype} tensor of shape {tuple(cuts.shape)}."
                )
            cuts = cuts.tolist()
        if not isinstance(cuts, (list, tuple)):
            n = _whole_number("tensor_split", "indices_or_sections", cuts)
            if n <= 0:
                raise ArgumentError(
                    f"tensor_split: the number of sections must be at least 1, got {n}."
                )
            step, extra = divmod(size, n)
            lengths = [step + 1] * extra + [step] * (n - extra)
            bounds = [0, *np.cumsum(lengths).tolist()]
        else:
            bounds = [0, *_int_list("tensor_split", "indices_or_sections", cuts), size]
        return tuple(self._view_at(_slice_at(dim, a, b)) for a, b in zip(bounds, bounds[1:]))

    def masked_scatter(self, mask, source):
        """A copy with source's first elements, in order, written where mask is True (mask
        broadcasts to self): out[mask] = source.flatten()[:mask.sum()]."""
        _need_tensor("masked_scatter", "mask", mask)
        _need_tensor("masked_scatter", "source", source)
        mask = np.asarray(_value(mask))
        source = _tensor_operand(source)
        if mask.dtype != np.bool_ or source.array.dtype != self.array.dtype:
            raise DTypeError(
                f"masked_scatter: needs a bool mask and a source of self's dtype {self.dtype}, "
                f"got a {mask.dtype} mask and a {source.dtype} source. Convert them: "
                f"mask.bool(), source.to(x.dtype)."
            )
        shape = _broadcast_shape("masked_scatter", self.shape, mask.shape)
        mask = np.broadcast_to(mask, shape)
        n = builtins.int(mask.sum())
        if source.numel() < n:
            raise ShapeError(
                f"masked_scatter: the mask selects {n} elements but source holds only "
                f"{source.numel()}; source needs at least as many elements as the mask has True."
            )
        out = (self if tuple(self.shape) == shape else self.expand(*shape)).clone()
        out[mask] = source.flatten()[:n]
        return out

    # ---------------------------------------------------------------- torch's other names
    # aliases torch documents (torch.absolute is torch.abs, ...): the same op under both names
    absolute, absolute_, negative, negative_ = __abs__, abs_, __neg__, neg_
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
    clip_, divide_, multiply_, subtract_, true_divide_ = clamp_, div_, mul_, sub_, div_
    fix, ger, ndimension, argwhere = trunc, outer, dim, nonzero
    unsafe_chunk, unsafe_split = chunk, split

    def positive(self):
        """self itself, as torch.positive (bool tensors refused, as in torch)."""
        if self.array.dtype == np.bool_:
            raise DTypeError("positive: not defined for bool tensors (as in torch); use x.int().")
        return self

    def is_same_size(self, other) -> bool:
        _need_tensor("is_same_size", "other", other)
        return self.array.shape == other.array.shape

    def inner(self, other):
        """Sums over the last dim of both: out[i.., j..] = sum_k self[i.., k] * other[j.., k]."""
        other = _tensor_operand(other)
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        k = self.shape[-1]
        if other.shape[-1] != k:
            raise ShapeError(
                f"inner: the last dims must match, got shapes {tuple(self.shape)} and "
                f"{tuple(other.shape)}."
            )
        # (I, K) @ (K, J) -> (I, J), then back to self's and other's leading dims
        flat = self.reshape(-1, k) @ other.reshape(-1, k).T
        return flat.reshape(*self.shape[:-1], *other.shape[:-1])

    def vdot(self, other):
        _check_ndim("vdot", "self", self, 1)
        _check_ndim("vdot", "other", other, 1)
        return self.dot(other)

    def take(self, index):
        """self's values at `index` into the flattened tensor: out has index's shape."""
        _need_tensor("take", "index", index)
        n = self.array.size
        if index.array.dtype.kind not in "iu" or ((index.array < -n) | (index.array >= n)).any():
            raise IndexOutOfRangeError(
                f"take: index must be a tensor of whole numbers in [-{n}, {n}) (self has {n} "
                f"elements), got a {index.dtype} tensor {_short_repr(index.tolist())}."
            )
        return self.reshape(-1)[index.array]

    def take_along_dim(self, indices, dim=None):
        from .functions import take_along_dim

        return take_along_dim(self, indices, dim)

    def broadcast_to(self, size):
        return self.expand(size)

    def fliplr(self):
        _at_least_ndim("fliplr", self, 2)
        return self.flip(1)

    def flipud(self):
        _at_least_ndim("flipud", self, 1)
        return self.flip(0)

    def hsplit(self, indices_or_sections):
        _at_least_ndim("hsplit", self, 1)
        return _split_evenly("hsplit", self, indices_or_sections, 0 if self.ndim == 1 else 1)

    def vsplit(self, indices_or_sections):
        _at_least_ndim("vsplit", self, 2)
        return _split_evenly("vsplit", self, indices_or_sections, 0)

    def dsplit(self, indices_or_sections):
        _at_least_ndim("dsplit", self, 3)
        return _split_evenly("dsplit", self, indices_or_sections, 2)

    def split_with_sizes(self, split_sizes, dim: int = 0):
        return self.split(_int_list("split_with_sizes", "split_sizes", split_sizes), dim)

    def narrow_copy(self, dim: int, start: int, length: int):
        return self.narrow(dim, start, length).clone()

    def diagflat(self, offset: int = 0):
        return self.flatten().diag(_whole_number("diagflat", "offset", offset))

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1):
        """Each last-dim vector of self put on a diagonal (offset above the main one) of the
        (dim1, dim2) matrices of a tensor with one more dim."""
        offset = _whole_number("diag_embed", "offset", offset)
        dim1, dim2 = (_check_dim("diag_embed", d, self.ndim + 1) for d in (dim1, dim2))
        if dim1 == dim2:
            raise ArgumentError(f"diag_embed: dim1 and dim2 must differ, both are {dim1}.")
        n = self.shape[-1] if self.ndim else 1
        m = n + builtins.abs(offset)
        # a 0/1 matrix (n, m*m) sends element i to position (i, i + offset) of an (m, m) matrix
        place = np.zeros((n, m, m), dtype=self.array.dtype)
        rows = np.arange(n) + builtins.max(-offset, 0)
        place[np.arange(n), rows, rows + offset] = 1
        x = self.reshape(*self.shape[:-1], n) if self.ndim else self.reshape(1)
        out = (x @ Tensor._make(place.reshape(n, m * m))).reshape(*x.shape[:-1], m, m)
        return out.movedim((-2, -1), (dim1, dim2))

    def sum_to_size(self, *size):
        """self summed down to `size`, which must broadcast to self's shape (the inverse of
        expand, as in the backward of a broadcast)."""
        shape = _dims(size)
        lead = self.ndim - len(shape)
        if lead < 0 or builtins.any(s not in (1, n) for s, n in zip(shape, self.shape[lead:])):
            raise ShapeError(
                f"sum_to_size: size {shape} must broadcast to self's shape {tuple(self.shape)} "
                f"(each size 1 or equal, counted from the last dim)."
            )
        x = self.sum(tuple(range(lead))) if lead else self
        ones = tuple(i for i, (s, n) in enumerate(zip(shape, x.shape)) if s == 1 and n != 1)
        return x.sum(ones, keepdim=True) if ones else x

    def unfold(self, dimension: int, size: int, step: int):
        """Windows of `size` elements every `step` along dim: dim holds the windows, a new last
        dim their elements (ops/movement.py Unfold). Differs from torch: a copy, not a view
        (values and gradients match)."""
        dim = _check_dim("unfold", dimension, self.ndim)
        size, step = _whole_number("unfold", "size", size), _whole_number("unfold", "step", step)
        n = self.shape[dim] if self.ndim else 1
        if not 0 <= size <= n or step < 1:
            raise ArgumentError(
                f"unfold: needs 0 <= size <= {n} (the size of dim {dim}) and step >= 1, got "
                f"size={size}, step={step}."
            )
        if self.ndim == 0:  # one element: one window of it (size 0 or 1), as torch
            return Unfold.apply(self.reshape(1), dim=0, size=size, step=step).reshape(-1)
        out = Unfold.apply(self, dim=dim, size=size, step=step)
        if not out.array.flags.c_contiguous:
            out._user_layout = True  # overlapping windows, in torch too
        return out

    # attributes torch gives every tensor: here always a dense CPU one, real-valued
    is_cpu, is_sparse, is_quantized, is_meta, is_nested = True, False, False, False, False

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self.array.dtype.kind in "if"

    def is_inference(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False

    @property
    def layout(self) -> layout:
        return strided

    def get_device(self) -> int:
        return -1  # torch's answer for a CPU tensor

    @property
    def itemsize(self) -> int:
        return self.array.itemsize

    @property
    def nbytes(self) -> int:
        return self.array.nbytes

    def data_ptr(self) -> int:
        return self.array.__array_interface__["data"][0]

    def storage_offset(self) -> int:
        """How many elements into the memory it shares with other tensors this one starts."""
        root = self.array
        while isinstance(root.base, np.ndarray):
            root = root.base
        return (self.data_ptr() - root.__array_interface__["data"][0]) // self.array.itemsize

    def is_nonzero(self) -> bool:
        if self.array.size != 1:
            raise ShapeError(
                f"is_nonzero: needs a tensor with one element, got {self.array.size}; use "
                f"(t != 0).any() or (t != 0).all()."
            )
        return bool(self.array.reshape(())[()])

    def isreal(self):
        return Tensor._make(np.ones(self.array.shape, dtype=bool))

    # integer and floating-point bit-level ops (no gradient)
    def bitwise_and(self, other):
        return _whole_numbers_op("bitwise_and", np.bitwise_and, self, other)

    def bitwise_or(self, other):
        return _whole_numbers_op("bitwise_or", np.bitwise_or, self, other)

    def bitwise_xor(self, other):
        return _whole_numbers_op("bitwise_xor", np.bitwise_xor, self, other)

    def bitwise_not(self):
        return _whole_numbers_op("bitwise_not", np.invert, self)

    def bitwise_left_shift(self, other):
        return _whole_numbers_op("bitwise_left_shift", np.left_shift, self, other, bools=False)

    def bitwise_right_shift(self, other):
        return _whole_numbers_op("bitwise_right_shift", np.right_shift, self, other, bools=False)

    def gcd(self, other):
        return _whole_numbers_op("gcd", np.gcd, self, other, bools=False)

    def lcm(self, other):
        return _whole_numbers_op("lcm", np.lcm, self, other, bools=False)

    def ldexp(self, other):
        """self * 2**other."""
        _need_tensor("ldexp", "other", other)
        return _floating(self) * (2.0 ** _tensor_operand(other).to(_floating(self).dtype))

    def frexp(self):
        """(mantissa, exponent) with self = mantissa * 2**exponent, 0.5 <= |mantissa| < 1."""
        if self.array.dtype.kind != "f":
            raise DTypeError(
                f"frexp: needs a floating-point tensor, got {self.dtype}; use x.float()."
            )
        mantissa, exponent = np.frexp(self.array)
        return frexp_result(Tensor._make(mantissa), Tensor._make(exponent.astype(np.int32)))

    def nextafter(self, other):
        """The next floating-point value after self towards other (no gradient)."""
        _need_tensor("nextafter", "other", other)
        if self.array.dtype.kind != "f" or other.array.dtype != self.array.dtype:
            raise DTypeError(
                f"nextafter: needs two floating-point tensors of one dtype, got {self.dtype} and "
                f"{other.dtype}; convert one: other.to(x.dtype)."
            )
        return _no_grad_result("nextafter", np.nextafter, self, other)

    def hardshrink(self, lambd: float = 0.5):
        from .nn.functional import hardshrink

        return hardshrink(self, _real_number("hardshrink", "lambd", lambd))

    def prelu(self, weight):
        from .nn.functional import prelu

        return prelu(self, weight)

    # copies with other values written in: index_copy, index_put, put
    def index_copy(self, dim: int, index, source):
        """A copy with source's slices at `index` along dim: out.select(dim, index[j]) =
        source.select(dim, j)."""
        return self.index_fill(dim, index, 0).index_add(dim, index, source)

    def index_put(self, indices, values, accumulate: bool = False):
        """A copy with out[indices] = values (+= when accumulate; repeated indices add up)."""
        if not isinstance(indices, (tuple, list)):
            raise ArgumentError(
                f"index_put: indices must be a tuple of tensors, e.g. (rows, cols), got "
                f"{_short_repr(indices)}."
            )
        index = tuple(np.asarray(_value(i)) for i in indices)
        if not accumulate:
            out = self.clone()
            out[index] = values
            return out
        # accumulate: number the indexed positions 0..N-1 and add each row of values at its own
        k = len(index)
        lead = self.shape[:k]
        index = tuple(np.where(i < 0, i + n, i) for i, n in zip(index, lead))
        try:
            flat = np.ravel_multi_index(np.broadcast_arrays(*index), lead, mode="raise")
        except (ValueError, TypeError) as e:
            raise IndexOutOfRangeError(
                f"index_put: the indices must be whole numbers within the first {k} dims "
                f"{tuple(lead)} of self ({e})."
            ) from None
        flat = flat.reshape(-1)
        rows = self.reshape(-1, *self.shape[k:])
        source = _tensor_operand(values).to(self.dtype).expand(flat.size, *self.shape[k:])
        return rows.index_add(0, flat, source).reshape(self.shape)

    def put(self, index, source, accumulate: bool = False):
        """A copy with source's values written at `index` into the flattened tensor."""
        _need_tensor("put", "index", index)
        _need_tensor("put", "source", source)
        flat = self.reshape(-1).index_put((index.reshape(-1),), source.reshape(-1), accumulate)
        return flat.reshape(self.shape)

    def scatter_reduce(self, dim: int, index, src, reduce: str, *, include_self: bool = True):
        """A copy where src's values at `index` along dim are summed ("sum") or averaged
        ("mean") into self's (with self's own value unless include_self=False). Differs from
        torch: "prod", "amax" and "amin" are not supported."""
        if reduce not in ("sum", "mean"):
            raise UnsupportedError(
                f"scatter_reduce: reduce={reduce!r} is not supported here, only 'sum' and "
                f"'mean'; for a maximum use scatter_reduce in PyTorch."
            )
        _need_tensor("scatter_reduce", "src", src)
        index, dim = self._scatter_index("scatter_reduce", index, dim)
        base = self if include_self else self.scatter(dim, index, 0)
        total = base.scatter_add(dim, index, src)
        if reduce == "sum":
            return total
        # mean: divide by how many values met at each place (1 where none came, keeping self)
        ones = np.ones(index.shape, dtype=np.int64)
        counts = np.zeros(self.array.shape, dtype=np.int64)
        np.add.at(counts, _along(index, dim), ones)
        counts = np.maximum(counts + builtins.int(include_self), 1)
        if self.array.dtype.kind != "f":
            return total.floor_divide(Tensor._make(counts))
        return total / Tensor._make(counts.astype(self.array.dtype))

    # in place, for the ops above and the earlier ones that lacked it
    def _replace_no_grad_(self, result: Callable[[Tensor], Tensor], *others) -> Tensor:
        """_replace_ for ops with no gradient (floor_, eq_, ...): in a graph the old values
        get a gradient of 0, as in torch, and this tensor stays a non-leaf."""
        keep = np.zeros(self.array.shape, dtype=bool)
        return self._replace_(lambda x: where(keep, x, result(x).to(x.dtype)), *others)

    def _view_(self, result: Callable[[Tensor], Tensor]) -> Tensor:
        """Make this tensor the view result(self), of another shape (t_, squeeze_, ...): recorded
        when a graph needs it, as torch. The values stay where they are, so nothing that saved
        them needs to know."""
        if self._needs_graph():
            return self._become(result(self))
        self.array = result(self).array
        return self

    def ceil_(self):
        return self._replace_no_grad_(Tensor.ceil)

    def floor_(self):
        return self._replace_no_grad_(Tensor.floor)

    def round_(self, decimals: int = 0):
        return self._replace_no_grad_(lambda x: x.round(decimals))

    def trunc_(self):
        return self._replace_no_grad_(Tensor.trunc)

    fix_ = trunc_

    def sign_(self):
        return self._replace_no_grad_(Tensor.sign)

    def sgn_(self):
        return self._replace_no_grad_(Tensor.sgn)

    def frac_(self):
        return self._replace_(Tensor.frac)

    def cos_(self):
        return self._replace_(Tensor.cos)

    def cosh_(self):
        return self._replace_(Tensor.cosh)

    def sin_(self):
        return self._replace_(Tensor.sin)

    def sinh_(self):
        return self._replace_(Tensor.sinh)

    def tan_(self):
        return self._replace_(Tensor.tan)

    def rsqrt_(self):
        return self._replace_(Tensor.rsqrt)

    def reciprocal_(self):
        return self._replace_(Tensor.reciprocal)

    def square_(self):
        return self._replace_(Tensor.square)

    def log10_(self):
        return self._replace_(Tensor.log10)

    def log1p_(self):
        return self._replace_(Tensor.log1p)

    def log2_(self):
        return self._replace_(Tensor.log2)

    def exp2_(self):
        return self._replace_(Tensor.exp2)

    def expm1_(self):
        return self._replace_(Tensor.expm1)

    def erf_(self):
        return self._replace_(Tensor.erf)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._replace_(lambda x: x.nan_to_num(nan, posinf, neginf))

    def fmod_(self, other):
        return self._replace_(lambda x: x.fmod(other), other)

    def remainder_(self, other):
        return self._replace_(lambda x: x.remainder(other), other)

    def float_power_(self, exponent):
        if self.array.dtype != np.float64:
            raise DTypeError(
                f"float_power_: computes in float64, which a {self.dtype} tensor cannot hold "
                f"(as in torch); use x = x.float_power(e), or x.double() first."
            )
        return self._replace_(lambda x: x.float_power(exponent), exponent)

    def heaviside_(self, values):
        return self._replace_no_grad_(lambda x: x.heaviside(values))

    def cumsum_(self, dim: int):
        return self._replace_(lambda x: x.cumsum(dim))

    def cumprod_(self, dim: int):
        return self._replace_(lambda x: x.cumprod(dim))

    # comparisons and logic in place: 1 or 0 (True or False) in self's dtype, as torch
    def eq_(self, other):
        return self._replace_no_grad_(lambda x: x.eq(_comparable("eq_", other)))

    def ne_(self, other):
        return self._replace_no_grad_(lambda x: x.ne(_comparable("ne_", other)))

    def lt_(self, other):
        return self._replace_no_grad_(lambda x: x.lt(_comparable("lt_", other)))

    def le_(self, other):
        return self._replace_no_grad_(lambda x: x.le(_comparable("le_", other)))

    def gt_(self, other):
        return self._replace_no_grad_(lambda x: x.gt(_comparable("gt_", other)))

    def ge_(self, other):
        return self._replace_no_grad_(lambda x: x.ge(_comparable("ge_", other)))

    greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_

    def logical_and_(self, other):
        return self._replace_no_grad_(lambda x: x.logical_and(_comparable("logical_and_", other)))

    def logical_or_(self, other):
        return self._replace_no_grad_(lambda x: x.logical_or(_comparable("logical_or_", other)))

    def logical_xor_(self, other):
        return self._replace_no_grad_(lambda x: x.logical_xor(_comparable("logical_xor_", other)))

    def logical_not_(self):
        return self._replace_no_grad_(Tensor.logical_not)

    def bitwise_and_(self, other):
        return self._replace_(lambda x: x.bitwise_and(other))

    def bitwise_or_(self, other):
        return self._replace_(lambda x: x.bitwise_or(other))

    def bitwise_xor_(self, other):
        return self._replace_(lambda x: x.bitwise_xor(other))

    def bitwise_not_(self):
        return self._replace_(Tensor.bitwise_not)

    def gcd_(self, other):
        return self._replace_(lambda x: x.gcd(other))

    def lcm_(self, other):
        return self._replace_(lambda x: x.lcm(other))

    def ldexp_(self, other):
        return self._replace_(lambda x: x.ldexp(other), other)

    def nextafter_(self, other):
        return self._replace_no_grad_(lambda x: x.nextafter(other))

    def tril_(self, diagonal: int = 0):
        return self._replace_(lambda x: x.tril(diagonal))

    def triu_(self, diagonal: int = 0):
        return self._replace_(lambda x: x.triu(diagonal))

    def masked_scatter_(self, mask, source):
        return self._replace_(lambda x: x.masked_scatter(mask, source), source)

    def index_copy_(self, dim: int, index, source):
        return self._replace_(lambda x: x.index_copy(dim, index, source), source)

    def index_put_(self, indices, values, accumulate: bool = False):
        return self._replace_(lambda x: x.index_put(indices, values, accumulate), values)

    def scatter_reduce_(self, dim: int, index, src, reduce: str, *, include_self: bool = True):
        operation = lambda x: x.scatter_reduce(dim, index, src, reduce, include_self=include_self)  # noqa: E731
        return self._replace_(operation, src)

    def put_(self, index, source, accumulate: bool = False):
        return self._replace_(lambda x: x.put(index, source, accumulate), source)

    # in place with a new shape: the same values seen another way
    def t_(self):
        return self._view_(Tensor.t)

    def transpose_(self, dim0: int, dim1: int):
        return self._view_(lambda x: x.transpose(dim0, dim1))

    swapaxes_ = swapdims_ = transpose_

    def squeeze_(self, dim=None):
        return self._view_(lambda x: x.squeeze(dim))

    def unsqueeze_(self, dim: int):
        return self._view_(lambda x: x.unsqueeze(dim))

    # ---------------------------------------------------------------- new tensors like this
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return _new_like(np.zeros, _sizes(size, "new_zeros"), dtype or self.dtype, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return _new_like(np.ones, _sizes(size, "new_ones"), dtype or self.dtype, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return _new_like(np.empty, _sizes(size, "new_empty"), dtype or self.dtype, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        value = _fill_value("new_full", fill_value)
        t = _new_like(np.empty, _sizes((size,), "new_full"), dtype or self.dtype, requires_grad)
        t.array[...] = value
        return t

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from .creation import tensor

        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    # ---------------------------------------------------------------- Python protocols
    def __len__(self) -> int:
        if not self.array.ndim:
            raise TypeError("len() of a 0-d tensor: it holds one number; use .item().")
        return self.array.shape[0]

    def __iter__(self):
        if not self.array.ndim:
            raise TypeError("iteration over a 0-d tensor: it holds one number; use .item().")
        return (self[i] for i in range(self.array.shape[0]))

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise ShapeError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous: "
                f"use (t > 0).any() or (t > 0).all() to say which you mean."
            )
        return bool(self.array)

    def __float__(self) -> float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return builtins.int(self.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return builtins.int(self.item())

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """Lets NumPy, matplotlib and SciPy take tensors directly."""
        if copy:
            return np.array(self.array, dtype=dtype, copy=True)
        return self.array if dtype is None else self.array.astype(dtype, copy=False)

    def __format__(self, spec: str) -> str:
        if self.array.ndim == 0:  # f"{loss:.4f}" and f"{loss}" print the number, as in torch
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self) -> str:
        return _format(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self.array, self._requires_grad))

    def __deepcopy__(self, memo):
        t = _new(type(self))
        _init(t, self.array.copy(), self._requires_grad)
        if self.grad is not None:
            t.grad = Tensor._make(self.grad.array.copy())
        memo[id(self)] = t
        return t

    # drawing and explanation tools attach here (tools/ adds the implementations)
    def explain(self, **kwargs):
        from .tools.explain import explain_backward

        return explain_backward(self, **kwargs)


_new = object.__new__
_CPU = object.__new__(device)
_CPU.type, _CPU.index = "cpu", None


def _init(t: Tensor, array: np.ndarray, requires_grad: bool) -> None:
    t.array = array
    t.grad = None
    t._requires_grad = requires_grad
    t.grad_fn = None
    t._grad_buffer = None
    t._hooks = ()


def _rebuild(array, requires_grad):
    return Tensor._make(array, requires_grad)


def _to_array(data):
    if isinstance(data, Tensor):
        return data.array
    if isinstance(data, (list, tuple)) and data and any(isinstance(x, Tensor) for x in data):
        return np.array([_to_array(x) for x in data])
    return data


def _as_1d_if_0d(src, self_: Tensor):
    """scatter's src as torch reads it beside a 1-d self: a 0-d tensor counts as 1-d."""
    if isinstance(src, Tensor) and src.ndim == 0 and self_.ndim == 1:
        return src.reshape(1)
    return src


def _value(x):
    """The array (or number) inside x, for ops that record no graph."""
    return x.array if isinstance(x, Tensor) else x


_PY_SCALARS = (builtins.int, builtins.float, builtins.bool)


def _floating(x: Tensor) -> Tensor:
    """x, converted to the default float dtype if it holds ints (exp of an int tensor is
    float32, as in torch, not NumPy's float64)."""
    return x if x.array.dtype.kind in "fc" else x.to(dtypes.get_default_dtype())


def _incomplete_gamma(name: str, a: Tensor, x, upper: bool) -> Tensor:
    """P(a, x) or Q(a, x) (ops/special.py), after torch's checks and type rules."""
    from .ops.special import IncompleteGamma

    if a.requires_grad:
        raise UnsupportedError(
            f"{name}: the derivative with respect to input (a, the shape) is not implemented "
            f"(as in torch); only `other` (x) can require grad. Pass input.detach()."
        )
    a, x = _float_operands(_floating(a), x)
    if not isinstance(x, Tensor):
        x = Tensor._make(np.asarray(_value(x), dtype=a.array.dtype))
    return IncompleteGamma.apply(a, x, upper=upper)


def not_a_tensor(name: str, argument: str, value) -> str:
    """The message for a function that needs a tensor and got `value`."""
    got = f"{type(value).__name__} ({_short_repr(value)})"
    if value is None:
        hint = (
            "A variable that should hold a tensor holds None: check the line that set it (a "
            "function without `return` gives None)."
        )
    elif isinstance(value, np.ndarray):
        hint = "Convert the array first: sh.from_numpy(a) (shares memory) or sh.tensor(a)."
    elif isinstance(value, (builtins.int, builtins.float, builtins.bool)):
        hint = f"Make one: sh.tensor({value!r}) (for plain numbers, Python's math module does)."
    elif isinstance(value, (list, tuple)):
        hint = f"Make one first: sh.tensor({_short_repr(value)})."
    else:
        hint = "Make one first, e.g. sh.tensor([1.0, 2.0])."
    return f"{name}: {argument} must be a Tensor, got {got}. {hint}"


def _short_repr(value, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _operands(a: Tensor, b, op: str = "", true_div: bool = False):
    """Line up a tensor and another operand with PyTorch's type rules.

    Python numbers are 'weak' (float32 * 2.5 stays float32, as in PyTorch and NumPy 2);
    an int tensor divided or combined with a float becomes the default float dtype.
    """
    a_kind = a.array.dtype.kind
    if isinstance(b, np.generic) and not isinstance(b, np.ndarray):
        b = b.item()  # a NumPy scalar counts as a Python number, as in torch (np.float64 is weak)
    if isinstance(b, Tensor):
        if a.array.dtype != b.array.dtype:
            return _promote(a, b)
        if true_div and a_kind in "biu":
            return a.float(), b.float()
        return a, b
    if isinstance(b, _PY_SCALARS):
        if a_kind in "biu" and (true_div or isinstance(b, builtins.float)):
            return a.float(), b
        return a, b
    if isinstance(b, (np.ndarray, list, tuple)):
        array = np.asarray(b)
        dtypes.as_dtype(array.dtype)  # text, objects, complex: a DTypeError, not a KeyError
        return _operands(a, Tensor._make(array), op, true_div)
    raise DTypeError(
        f"{op + ': ' if op else ''}cannot combine a Tensor with a {type(b).__name__} "
        f"({_short_repr(b)}). Use a number, a tensor or a NumPy array."
    )


def _promote(a: Tensor, b: Tensor):
    """Tensors of different dtypes, both converted to _promoted_dtype's."""
    target = _promoted_dtype(a.array, b.array)
    return a.to(target), b.to(target)


def _promoted_dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """The dtype two tensors' arrays combine into, as torch: the one of lower kind (bool <
    int < float) or lower precision converts; a 0-d tensor does not promote a bigger one of
    the same kind."""
    same_kind = dtypes.KIND_RANK[a.dtype.kind] == dtypes.KIND_RANK[b.dtype.kind]
    if same_kind and (a.ndim == 0) != (b.ndim == 0):
        return (b if a.ndim == 0 else a).dtype
    return dtypes.promoted(a.dtype, b.dtype)


def _number_dtype(dtype: np.dtype, number) -> np.dtype:
    """The dtype a tensor of `dtype` and a Python number combine into, as torch (a number
    is 'weak'): an int or bool tensor and a float give the default float, a bool tensor and
    an int int64; otherwise the tensor's own dtype."""
    if isinstance(number, builtins.float) and dtype.kind in "biu":
        return dtypes.get_default_dtype().np
    if isinstance(number, builtins.int) and not isinstance(number, builtins.bool):
        return np.dtype(np.int64) if dtype.kind == "b" else dtype
    return dtype


def _float_operands(a: Tensor, b, op: str = "") -> tuple:
    """a and b lined up by _operands, then both floating (atan2 of ints is float, as torch)."""
    a, b = _operands(a, b, op)
    if a.array.dtype.kind in "fc":
        return a, b
    return a.to(dtypes.get_default_dtype()), (
        b.to(dtypes.get_default_dtype()) if isinstance(b, Tensor) else builtins.float(b)
    )


def _expanded(x, shape, dtype) -> Tensor:
    """x (a tensor, or a number taken as `dtype`) as a tensor of `shape`."""
    x = x if isinstance(x, Tensor) else Tensor._make(np.asarray(x, dtype=dtype))
    return x if tuple(x.shape) == tuple(shape) else x.expand(*shape)


def _remainder_op(op: str, fn, x: Tensor, other, reflected: bool = False) -> Tensor:
    """fmod or remainder (FMod, Remainder) with torch's type rules: other % x if reflected.
    An integer divisor of 0 raises, as in torch; a float one gives nan."""
    a, b = _operands(x, other, op)
    if reflected:
        a, b = b, a
    _check_integer_divisor(op, a, b)
    return fn.apply(a, b)


def _check_integer_divisor(op: str, a, b) -> None:
    """Integers divided by 0 have no answer: torch raises, NumPy would give 0 and a warning."""
    divisor = np.asarray(_value(b))
    if np.asarray(_value(a)).dtype.kind in "biu" and divisor.dtype.kind in "biu":
        if (divisor == 0).any():
            raise ArgumentError(
                f"{op}: integer division by zero (the divisor holds a 0). Divide floats "
                f"instead (x.float() // y gives inf or nan there), or mask the zeros first."
            )


def _median(op: str, x: Tensor, dim, keepdim: bool, skip_nan: bool):
    """median and nanmedian: sort (nan goes last), then read the sorted values at
    (n_valid - 1) // 2, n_valid counting the values that are not nan. median reads a slice
    holding nan at its first nan instead (position n_valid), so the result is nan, as torch."""

    def position(n_valid, n: int):
        if skip_nan:
            return np.maximum(n_valid - 1, 0) // 2
        return np.where(n_valid < n, n_valid, (n - 1) // 2)

    if dim is None:
        flat = x.flatten().sort()[0]
        n_valid = np.count_nonzero(~np.isnan(flat.array))
        return flat[builtins.int(position(n_valid, flat.shape[0]))]
    dim = _check_dim(op, dim, x.ndim)
    if x.ndim == 0:  # one element: itself, at index 0
        return values_indices(
            *(t.reshape(()) for t in _median(op, x.reshape(1), 0, True, skip_nan))
        )
    n = x.array.shape[dim]
    if n and not (x.array.dtype.kind == "f" and np.isnan(x.array).any()):
        index = _kth_smallest(x.array, (n - 1) // 2 + 1, dim)  # the lower median, no sort
        return _kept(values_indices(x.gather(dim, index), Tensor._make(index)), dim, keepdim)
    values, indices = x.sort(dim)
    n_valid = np.sum(~np.isnan(values.array), axis=dim, keepdims=True)
    middle = position(n_valid, x.array.shape[dim])
    picked = values.gather(dim, middle), np.take_along_axis(indices.array, middle, dim)
    return _kept(values_indices(picked[0], Tensor._make(picked[1])), dim, keepdim)


def _kth_smallest(x: np.ndarray, k: int, axis: int) -> np.ndarray | None:
    """The index, along `axis` (kept as size 1), of the element a stable sort of x puts at
    place k - 1 (kthvalue's and median's: of equal values, the k-th place goes to them in
    index order); None where that element is a nan (the caller sorts).

    Without sorting: the k-th smallest value v by np.partition, in linear time; b values
    smaller than v fill places 0 .. b - 1, so place k - 1 holds the (k - 1 - b)-th value
    equal to v in index order. (256, 512), the median: 0.5 ms, against 6 ms for the whole
    stable sort (2026-11-27)."""
    rows = np.moveaxis(x, axis, -1)
    kth = np.partition(rows, k - 1, axis=-1)[..., k - 1 : k]
    if x.dtype.kind == "f" and np.isnan(kth).any():
        return None
    equal = rows == kth
    nth = (k - 1) - np.count_nonzero(rows < kth, axis=-1, keepdims=True)  # 0: the first equal
    if nth.any():  # the first position where more than nth equal values have been seen
        equal = np.cumsum(equal, axis=-1) > nth
    return np.moveaxis(np.argmax(equal, axis=-1, keepdims=True), -1, axis)


def _kept(result: tuple, dim: int, keepdim: bool) -> tuple:
    """(values, indices) with `dim` kept as size 1, or squeezed away unless keepdim."""
    return result if keepdim else values_indices(*(t.squeeze(dim) for t in result))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(op, x, q, dim, keepdim, interpolation, skip_nan):
    """quantile and nanquantile: sort the values, then read them at rank q * (n - 1)."""
    if x.array.dtype.kind != "f":
        raise DTypeError(f"{op}: the tensor is {x.dtype}; convert it first: t.float().{op}(q).")
    if interpolation not in _INTERPOLATIONS:
        raise ArgumentError(
            f"{op}: interpolation={interpolation!r} is not one of {', '.join(_INTERPOLATIONS)}."
        )
    try:
        qs = np.asarray(_value(q), dtype=x.array.dtype)
    except (TypeError, ValueError):
        qs = None  # not numbers ('abc', an object): the message below
    if qs is None or qs.ndim > 1 or not ((qs >= 0) & (qs <= 1)).all():
        raise ArgumentError(
            f"{op}: q must be a number or a 1-d tensor of numbers in [0, 1], got {q!r}. For "
            f"percentiles divide by 100 (the 90th percentile is q=0.9)."
        )
    ndim = x.ndim
    if dim is None:
        values = x.flatten().sort().values  # (n,)
    else:
        dim = _check_dim(op, dim, ndim)
        values = x.movedim(dim, -1).sort().values  # (..., n), the dim reduced last
    n = values.shape[-1]
    if n == 0:
        raise ArgumentError(
            f"{op}: the values to take quantiles of are empty (shape {tuple(x.shape)}); pass a "
            f"tensor that holds values{'' if dim is None else f' along dim {dim}'}."
        )
    is_nan = np.isnan(values.array)  # sort puts nan last
    if skip_nan:
        n_valid = (~is_nan).sum(-1, keepdims=True)
        ranks = np.maximum(qs.reshape(-1) * (n_valid - 1), 0)  # (..., n_q)
    else:  # a slice with nan: the rank of the last value, a nan, as torch
        ranks = np.where(is_nan.any(-1, keepdims=True), n - 1, qs.reshape(-1) * (n - 1))
    ranks = ranks.astype(x.array.dtype)
    if interpolation in ("lower", "higher", "nearest"):
        rounding = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}[interpolation]
        out = values.gather(-1, rounding(ranks).astype(np.int64))  # round: half to even
    else:
        below, above = np.floor(ranks), np.ceil(ranks)
        weight = ranks - below if interpolation == "linear" else np.full_like(ranks, 0.5)
        v_below = values.gather(-1, below.astype(np.int64))
        out = v_below.lerp(values.gather(-1, above.astype(np.int64)), weight)
    out = out.movedim(-1, 0) if qs.ndim == 1 else out.squeeze(-1)  # q's dim goes first
    if keepdim:
        first = qs.ndim  # after q's dim, if any
        if dim is None:
            out = out.reshape(*out.shape[:first], *([1] * ndim))
        else:
            out = out.unsqueeze(first + dim)
    return out


def _tensor_operand(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, list, tuple, *_PY_SCALARS)):
        return Tensor._make(np.asarray(x))
    raise DTypeError(f"expected a tensor, got {type(x).__name__} ({x!r}).")


def _dim(dim):
    if isinstance(dim, list):
        return tuple(dim)
    return dim


def _dims_once(op: str, dim, ndim: int):
    """dim, unless it is a tuple naming a dim twice: then the error that torch raises too (var
    and std check first, since the mean inside them would report it under its own name)."""
    if isinstance(dim, tuple) and len(dim) > 1:
        error = autograd.repeated_dims_error(op, dim, ndim)
        if error is not None:
            raise error
    return dim


def _correction(op: str, unbiased, correction):
    """The divisor's correction of var and std: n - 1 by default or with unbiased=True, n with
    unbiased=False. unbiased must be a bool, as in torch (a string such as "no" is truthy)."""
    if unbiased is not None and not isinstance(unbiased, (builtins.bool, np.bool_)):
        raise DTypeError(
            f"{op}: unbiased must be True or False, got {unbiased!r} "
            f"({type(unbiased).__name__}); torch refuses it too. unbiased=True divides by n - 1, "
            f"False by n; or pass correction=1 or correction=0."
        )
    if correction is None:
        return 1 if unbiased is None or unbiased else 0
    return correction


def _keep(keepdim, keepdims):
    return keepdim if keepdims is None else keepdims


def _compare(op: str, ufunc, x: Tensor, other) -> Tensor:
    """x <op> other elementwise, as a bool tensor; a bad operand gets an error naming op."""
    try:
        return Tensor._make(ufunc(x.array, _value(other)))
    except (TypeError, ValueError, AttributeError) as e:  # AttributeError: NumPy objects
        if isinstance(other, (Tensor, np.ndarray)) and "broadcast" in str(e):
            raise ShapeError(broadcast_message(op, x.array.shape, _value(other).shape)) from None
        raise DTypeError(
            f"{op}: cannot compare a {x.array.dtype} tensor with {_short_repr(other)} "
            f"({type(other).__name__}); compare with a number or a tensor."
        ) from None


def _isclose(op: str, a: Tensor, b: Tensor, rtol, atol, equal_nan) -> np.ndarray:
    """isclose and allclose, with their arguments checked."""
    _broadcast_shape(op, a.shape, b.shape)
    rtol, atol = _number(op, "rtol", rtol), _number(op, "atol", atol)
    return np.isclose(a.array, b.array, rtol, atol, _flag(op, "equal_nan", equal_nan))


def _need_dims(op: str, x: Tensor) -> None:
    """A ShapeError for a 0-d tensor, where torch asks for at least one dim."""
    if x.ndim == 0:
        raise ShapeError(
            f"{op}: needs a tensor with at least one dim, got a 0-d tensor (a single number, "
            f"{_short_repr(x)}). Make it 1-d first: x.reshape(1)."
        )


def _need_tensor(op: str, name: str, value) -> None:
    if not isinstance(value, Tensor):
        raise DTypeError(not_a_tensor(op, name, value))


def _need_tensors_or_none(op: str, **named) -> None:
    """Each argument must be a Tensor or None (optional weights, biases, running stats)."""
    for name, value in named.items():
        if value is not None and not isinstance(value, Tensor):
            raise DTypeError(not_a_tensor(op, name, value) + " Or pass None.")


def _along(index: np.ndarray, dim: int) -> tuple:
    """The full NumPy index of the places index points at along dim (the others: their own
    position), as scatter uses it: out[i][index[i][j]] for dim=1."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _at_least_ndim(op: str, x: Tensor, ndim: int) -> None:
    if x.ndim < ndim:
        raise ShapeError(
            f"{op}: needs a tensor with at least {ndim} dims, got shape {tuple(x.shape)}."
        )


def _split_evenly(op: str, x: Tensor, indices_or_sections, dim: int) -> tuple:
    """tensor_split along dim, but a number of sections must divide the dim (hsplit...)."""
    sections = _value(indices_or_sections)
    if np.ndim(sections) == 0:
        n = _whole_number(op, "sections", sections)
        if n < 1 or x.shape[dim] % n:
            raise ArgumentError(
                f"{op}: {n} sections must be >= 1 and divide dim {dim} of size "
                f"{x.shape[dim]} evenly; for uneven pieces use x.tensor_split({n}, {dim})."
            )
        return x.tensor_split(n, dim)
    return x.tensor_split(_int_list(op, "indices", indices_or_sections), dim)


def _whole_numbers_op(op: str, ufunc, x: Tensor, *others, bools: bool = True) -> Tensor:
    """ufunc(x, *others) for integer (and, if bools, bool) tensors; no gradient, as torch."""
    kinds = "iub" if bools else "iu"
    arrays = [x.array, *(np.asarray(_value(o)) for o in others)]
    for a in arrays:
        if a.dtype.kind not in kinds:
            raise DTypeError(
                f"{op}: works on {'integer or bool' if bools else 'integer'} tensors only, "
                f"got {a.dtype}; use x.long() first."
            )
    return _no_grad_result(op, ufunc, *arrays)


def _no_grad_result(op: str, ufunc, *values) -> Tensor:
    """ufunc of the values' arrays as a tensor without a gradient; shapes checked."""
    arrays = [np.asarray(_value(v)) for v in values]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise ShapeError(broadcast_message(op, *(a.shape for a in arrays[:2]))) from None
    return Tensor._make(np.asarray(ufunc(*arrays)).reshape(shape))


def _real_number(op: str, name: str, value):
    """`value`, if a real number (bools refused), or an ArgumentError naming the op."""
    if isinstance(value, (builtins.int, builtins.float, np.integer, np.floating)) and not (
        isinstance(value, builtins.bool)
    ):
        return value
    raise ArgumentError(f"{op}: {name} must be a number, got {_short_repr(value)}.")


def _comparable(op: str, other):
    """`other`, if a tensor or a number to compare with, or a DTypeError naming the op."""
    if isinstance(other, (Tensor, builtins.int, builtins.float, np.number, np.bool_)):
        return other
    raise DTypeError(
        f"{op}: compares with a number or a tensor, got {_short_repr(other)} "
        f"({type(other).__name__})."
    )


# topk of this many values or fewer (one row of a character vocabulary's logits, say) sorts
# them all: the few calls of a sort cost less than the partition's dozen. One row of 1000, k =
# 10: 29 against 57 us; (12, 65) even; (4, 1000) 143 against 85 (2026-11-29).
SMALL_TOPK = 2048


def _first_k(key: np.ndarray, k: int, axis: int) -> np.ndarray:
    """The first k of np.argsort(key, axis, kind="stable") (topk's order: ties by index).

    Sorting the whole axis to keep k is slow: (256, 512), k = 5, 5.4 ms. The k-th smallest
    key per row is found by np.partition instead, in linear time; where exactly k keys per row
    are at or below it (no tie straddles the k-th place, no NaN among the k), those k are
    the answer, sorted among themselves: 0.35 ms (found in the flat mask: np.nonzero of the
    2-D mask took 0.25 ms, of the flat one 0.02). Otherwise the whole sort."""
    n = key.shape[axis]
    if 0 < k < n and key.size > SMALL_TOPK:
        rows = np.moveaxis(key, axis, -1)
        kth = np.partition(rows, k - 1, axis=-1)[..., k - 1 : k]
        kept = rows <= kth
        if (np.count_nonzero(kept, axis=-1) == k).all():
            cols = (np.flatnonzero(kept) % n).reshape(*rows.shape[:-1], k)  # in index order
            order = np.argsort(np.take_along_axis(rows, cols, -1), axis=-1, kind="stable")
            return np.moveaxis(np.take_along_axis(cols, order, -1), -1, axis)
    order = stable_argsort(key, axis)
    if axis % key.ndim == key.ndim - 1:
        return order[..., :k].copy()  # (a copy: a view would keep all of `order` alive)
    return np.take(order, np.arange(k), axis=axis)


def _has_nan(x: np.ndarray) -> bool:
    return x.dtype.kind in "fc" and bool(np.isnan(x).any())


def _nans_first(x: np.ndarray, axis: int) -> np.ndarray:
    """The order of a descending stable sort of x along `axis` as torch's: NaN ranks above
    every number, +inf included, so each row's NaNs come first (in index order). Sorting -x
    puts them last (NaN sorts last in NumPy); they are moved round to the front."""
    order = stable_argsort(-x, axis)
    nans = np.isnan(x).sum(axis=axis, keepdims=True)
    n = x.shape[axis]
    place = np.arange(n).reshape([n if a == axis % x.ndim else 1 for a in range(x.ndim)])
    return np.take_along_axis(order, (place - nans) % n, axis=axis)


def stable_argsort(key: np.ndarray, axis: int) -> np.ndarray:
    """np.argsort(key, axis, kind="stable"): equal keys in index order, as torch.sort.

    NumPy's stable sort of floats is a merge sort; its default sort has a vectorised
    (AVX-512) version, 3x faster on (256, 512), but leaves equal keys in any order. So rows
    are sorted that way, and only those with equal neighbours after it (ties, -0.0 and 0.0,
    or two nans: nan sorts last) are sorted again stably. Forward + backward of sort on
    (256, 512) of N(0, 1) values, separate processes, alternating: 7.9-8.2 -> 3.8-4.0 ms
    (PyTorch 3.2), 2026-11-27."""
    if key.dtype.kind != "f" or key.ndim == 0 or key.shape[axis] < 2:
        return np.argsort(key, axis=axis, kind="stable")  # (integers tie often)
    last = axis % key.ndim == key.ndim - 1  # (np.moveaxis costs ~5 us a call: not for it)
    rows = key if last else np.moveaxis(key, axis, -1)
    order = np.argsort(rows, axis=-1)
    ranked = np.sort(rows, axis=-1)  # the same sorted values (vectorised too)
    tied = (ranked[..., 1:] == ranked[..., :-1]).any(axis=-1) | np.isnan(ranked[..., -2])
    if tied.any():
        order[tied] = np.argsort(rows[tied], axis=-1, kind="stable")
    return order if last else np.moveaxis(order, -1, axis)


def _whole_number(op: str, name: str, value) -> int:
    """`value` as an int, or an ArgumentError naming the op and the argument. A one-element
    int tensor counts, as in torch."""
    if isinstance(value, (builtins.int, np.integer)) and not isinstance(value, builtins.bool):
        return builtins.int(value)
    if isinstance(value, Tensor) and value.array.size == 1 and value.array.dtype.kind in "iu":
        return builtins.int(value.array.item())
    raise ArgumentError(f"{op}: {name} must be a whole number, got {value!r}.")


def _int_list(op: str, name: str, value) -> list:
    """An int or a sequence of ints as a list of ints, or an ArgumentError naming the op."""
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, (builtins.int, np.integer)) and not isinstance(value, builtins.bool):
        return [builtins.int(value)]
    if isinstance(value, (list, tuple, Size)):
        return [_whole_number(op, name, v) for v in value]
    raise ArgumentError(
        f"{op}: {name} must be a whole number or a list of them, got {value!r}, e.g. (0, 1)."
    )


def _reduce_dims(op: str, dim, ndim: int):
    """The dims a reduction runs over, as NumPy's axis: None (all of them), one dim, or a
    tuple of dims from a list, each checked (any(dim=[0, 1]) works, as in torch)."""
    if dim is None or isinstance(dim, (builtins.int, np.integer)):
        return dim if dim is None else _check_dim(op, dim, ndim)
    return tuple(_check_dim(op, d, ndim) for d in _int_list(op, "dim", dim))


def _flag(op: str, name: str, value) -> bool:
    """`value` as a bool (keepdim, equal_nan...), or an ArgumentError: torch takes only
    True or False there, and NumPy would read None or a string as a truth value."""
    if value is True or value is False:  # the common case, fast
        return value
    if isinstance(value, np.bool_):
        return builtins.bool(value)
    raise ArgumentError(f"{op}: {name} must be True or False, got {_short_repr(value)}.")


def _number(op: str, name: str, value):
    """A Python number from a number, a NumPy scalar or a one-element tensor (torch takes
    sh.arange(t) for a 0-d t), or an ArgumentError naming the argument."""
    if type(value) is builtins.float or type(value) is builtins.int:  # the common case, fast
        return value
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, (np.ndarray, np.generic)) and value.size == 1:
        value = value.item()
    if isinstance(value, builtins.bool) or not isinstance(value, (builtins.int, builtins.float)):
        raise ArgumentError(f"{op}: {name} must be a number, got {_short_repr(value)}.")
    return value


def _fill_value(op: str, value):
    """A value to fill a tensor with: a number (bools count) or a 0-d tensor, as torch's
    fill_, full and new_full take; a list or a longer tensor gets an ArgumentError."""
    if isinstance(value, (builtins.bool, np.bool_)):
        return builtins.bool(value)
    if isinstance(value, Tensor) and value.ndim == 0:
        return value.array[()]
    if isinstance(value, (builtins.int, builtins.float, np.number)):
        return value
    if not isinstance(value, Tensor):  # None, a string, a list: torch raises TypeError too
        raise DTypeError(
            f"{op}: the fill value must be a number or a 0-d tensor, got {_short_repr(value)} "
            f"({type(value).__name__}). Give the number itself, e.g. 0.0 (or float('nan') "
            f"if you want nan); to copy a tensor's values in, use x.copy_(src)."
        )
    raise ArgumentError(
        f"{op}: the fill value must be a number or a 0-d tensor, got {_short_repr(value)} of "
        f"shape {tuple(value.shape)}. Take one element (t[0]), or to copy a tensor's values "
        f"in, use x.copy_(src) (src broadcasts to x)."
    )


def _sizes(size, name: str = "size") -> tuple:
    """A shape given as f(2, 3) or f((2, 3)), checked: whole numbers >= 0."""
    shape = _dims(size)
    if not builtins.all(d >= 0 for d in shape):
        raise ArgumentError(
            f"{name}: size {shape!r}: every size must be a whole number >= 0 (torch has no "
            f"negative sizes)."
        )
    return shape


def _broadcast_shape(op: str, *shapes) -> tuple:
    """The shape that `shapes` broadcast to, or a ShapeError naming op and the dim that
    clashes (NumPy's message names neither)."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(broadcast_message(op, *shapes)) from None


def _reshape_error(op: str, shape: tuple, target: tuple) -> ShapeError:
    """Why a tensor of `shape` cannot take the shape `target`, and what would fit."""
    n = math.prod(shape)
    if target.count(-1) > 1 or builtins.min(target, default=0) < -1:
        why = "each size must be >= 0, and at most one may be -1 (worked out from the others)"
    elif -1 in target:
        known = math.prod(s for s in target if s != -1)
        if known == 0 == n:
            why = "with a 0 among the other sizes, any size would do for -1 (torch refuses it)"
        else:
            why = (
                f"the sizes other than -1 multiply to {known}, which no size for -1 turns into {n}"
            )
    else:
        why = f"{target} holds {math.prod(target)}"
    return ShapeError(
        f"{op}: cannot give a tensor of shape {tuple(shape)} the shape {target}: the tensor has "
        f"{n} elements and {why}. The sizes must multiply to {n}; write -1 for one of them to "
        f"have it worked out (e.g. x.{op}(-1) or x.{op}({shape[0] if shape else 1}, -1))."
    )


def _view_copy_error(shape: tuple, target: tuple) -> ShapeError:
    """Why view() refused: the new shape would need a copy of a non-contiguous tensor."""
    sizes = ", ".join(str(s) for s in target)
    return ShapeError(
        f"view: this tensor of shape {tuple(shape)} is not laid out row by row in memory (it "
        f"comes from a transpose, permute, expand or a slice), so it cannot be viewed as "
        f"({sizes}) without copying, and a view never copies. Use x.reshape({sizes}), which "
        f"copies when it must, or x.contiguous().view({sizes})."
    )


def _expand_error(shape: tuple, target: tuple) -> ShapeError:
    """Why a tensor of `shape` cannot be expanded to `target`, naming the dim that clashes."""
    why = f"give at least {len(shape)} sizes, one per dim (new dims go on the left)"
    lead = len(target) - len(shape)
    for i, size in enumerate(target if lead >= 0 else ()):
        old = shape[i - lead] if i >= lead else None
        if size < (0 if old is None else -1):
            why = f"size {size} of dim {i} is not allowed (-1, 'keep', only for existing dims)"
            break
        if old is not None and size not in (-1, old) and old != 1:
            why = f"dim {i} has size {old}; only a dim of size 1 can be expanded (to {size})"
            break
    return ShapeError(
        f"expand: a tensor of shape {tuple(shape)} cannot be expanded to {target}: {why}. "
        f"expand repeats size-1 dims without copying; to copy data along a dim of another "
        f"size use .repeat, or check the shapes with .shape."
    )


def _clamp_error(x: Tensor, low, high) -> DTypeError | ShapeError:
    """Why clamp failed: a bound that is not a number or tensor, or shapes that clash."""
    bounds = [(name, b) for name, b in (("min", low), ("max", high)) if b is not None]
    for name, b in bounds:
        if not isinstance(b, (Tensor, np.ndarray, np.number, *_PY_SCALARS)):
            return DTypeError(
                f"clamp: {name} must be a number or a tensor, got {type(b).__name__} "
                f"({_short_repr(b)}); e.g. x.clamp(min=0.0, max=1.0)."
            )
    shapes = [np.shape(_value(b)) for _, b in bounds]
    return ShapeError(broadcast_message("clamp", tuple(x.shape), *shapes))


def _need_float_for(name: str, t: Tensor) -> None:
    """Raise a DTypeError for a statistic that has no meaning on integers (var, std)."""
    if t.array.dtype.kind not in "fc":
        raise DTypeError(
            f"{name}: the tensor is {t.dtype}; {name} works on floating-point numbers (torch "
            f"refuses integers too), so convert first: t.float().{name}()."
        )


def _check_dim(op: str, dim: int, ndim: int) -> int:
    """`dim` as a non-negative axis, or an IndexOutOfRangeError naming the valid range."""
    n = builtins.max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    if not isinstance(dim, (builtins.int, np.integer)) or not -n <= dim < n:
        if isinstance(dim, Tensor) and dim.array.size == 1 and dim.array.dtype.kind in "iu":
            return _check_dim(op, dim.array.item(), ndim)  # a one-element int tensor, as torch
        raise IndexOutOfRangeError(
            f"{op}: dim {dim!r} is out of range for a tensor with {ndim} dims; use a dim from "
            f"{-n} to {n - 1} (negative dims count from the end)."
        )
    return builtins.int(dim) % n


def _product_operands(op: str, a: Tensor, b: Tensor) -> tuple:
    """(a, b) for a matrix product, or a DTypeError if their dtypes differ.

    Elementwise ops promote (float32 + float64 is float64), but torch's matrix products refuse
    mixed dtypes ("expected m1 and m2 to have the same dtype"). Refusing here too means the
    learner meets that error, and its fix, with scratchish rather than later in PyTorch.
    """
    numeric = a.array.dtype.kind in "biufc" and b.array.dtype.kind in "biufc"
    if numeric and a.array.dtype != b.array.dtype:  # (other values: MatMul explains them)
        raise DTypeError(
            f"{op}: the operands are {a.dtype} and {b.dtype}; a matrix product needs both of "
            f"the same dtype (PyTorch refuses too, it does not promote here). Convert one: "
            f"x.to(w.dtype), or x.float() for data from NumPy, which makes float64 by default."
        )
    return a, b


def _check_ndim(op: str, name: str, x, ndim: int) -> None:
    """A ShapeError unless x has `ndim` dims (mm, bmm and the fused products insist, as torch)."""
    shape = np.shape(_value(x))
    if len(shape) != ndim:
        raise ShapeError(
            f"{op}: {name} must be {ndim}-d, got shape {tuple(shape)}. Reshape it (unsqueeze(0) "
            f"adds a leading dim, squeeze() drops size-1 dims), or use torch.matmul (@), which "
            f"takes any number of dims."
        )


def _cov_weights(w, name: str, x: Tensor):
    """cov's fweights or aweights as a tensor of x's dtype, checked: one per observation."""
    if w is None:
        return None
    w = _tensor_operand(w)
    if w.ndim != 1 or w.shape[0] != x.shape[1]:
        raise ShapeError(
            f"cov: {name} must be 1-d with one weight per observation ({x.shape[1]}), got "
            f"shape {tuple(w.shape)}."
        )
    if name == "fweights" and w.array.dtype.kind not in "iu":
        raise DTypeError(
            f"cov: fweights are repeat counts and must be integers, got {w.dtype}; use "
            f"aweights for fractional weights."
        )
    if (w.array < 0).any():
        raise ArgumentError(f"cov: {name} must not be negative, got {w.array.tolist()}.")
    return w.to(x.dtype)


def _arg(fn, array, dim, keepdim):
    if array.size == 0 and (dim is None or array.shape[dim] == 0):
        raise empty_reduction_error(fn.__name__, array.shape)
    if dim is None:
        out = np.asarray(fn(array))
        return out.reshape((1,) * array.ndim) if keepdim else out
    return np.asarray(fn(array, axis=dim, keepdims=keepdim))


def _values_indices(op, x: Tensor, dim: int, keepdim: bool):
    fn_values = op.apply(x, dim=dim, keepdim=keepdim)
    # the op saved the chosen indices; recompute them when no graph was recorded
    fn = fn_values.grad_fn
    if fn is not None:
        indices = fn.indices if keepdim else fn.indices.squeeze(dim)
    else:
        pick = np.argmax if op is MaxDim else np.argmin
        indices = pick(x.array, axis=dim)
        if keepdim:
            indices = np.expand_dims(indices, dim)
    return values_indices(fn_values, Tensor._make(np.asarray(indices, dtype=np.int64)))


def _slice_at(dim: int, start, stop):
    """An index that takes start:stop (or the single item `start` when stop is None)."""
    pick = start if stop is None else slice(start, stop)
    if dim < 0:
        return (Ellipsis, pick) + (slice(None),) * (-dim - 1)
    return (slice(None),) * dim + (pick,)


def _cat_repeat(x: Tensor, sizes) -> Tensor:
    from .creation import cat

    for dim, n in enumerate(sizes):
        if n != 1:
            x = cat([x] * n, dim=dim)
    return x


def _new_like(fill, shape, dtype, requires_grad) -> Tensor:
    t = Tensor._make(fill(shape, dtype=dtypes.np_dtype(dtype)))
    t.requires_grad = requires_grad
    return t


def _show_index(index) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    return ", ".join(f"<array {p.shape}>" if isinstance(p, np.ndarray) else repr(p) for p in parts)


def _scalar_dtype(*values):
    """The dtype torch gives to Python numbers: default float, int64 or bool."""
    if builtins.any(isinstance(v, builtins.float) for v in values):
        return dtypes.get_default_dtype().np
    if builtins.all(isinstance(v, builtins.bool) for v in values):
        return np.bool_
    return None  # arrays or ints: NumPy's choice (int64 for Python ints)


def where(condition, input, other):  # noqa: A002 - PyTorch's names
    """out = input where condition else other (elementwise; condition carries no gradient)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        # two numbers: a float gives the default float dtype, as torch.where(c, 1.0, 0.0)
        dtype = _scalar_dtype(input, other)
        input = _where_operand("input", input, dtype)  # noqa: A001
        other = _where_operand("other", other, dtype)
    elif not isinstance(input, Tensor) and isinstance(other, Tensor):
        other = _widened_for(other, input)
        input = _where_operand("input", input, other.array.dtype)  # noqa: A001
    elif isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = _widened_for(input, other)  # noqa: A001
        other = _where_operand("other", other, input.array.dtype)
    return Where.apply(_bool_condition("where", "condition", condition), input, other)


def _bool_condition(op: str, name: str, condition):
    """The array inside a mask or condition, which must hold booleans, as torch insists: an
    int or float tensor of 0s and 1s is a number, not a yes/no (where takes uint8 with a
    warning, as torch does)."""
    array = _value(condition)
    kind = getattr(array, "dtype", _BOOL).kind  # lists and Python bools: NumPy decides
    if kind == "b":
        return array
    if op == "where" and array.dtype == np.uint8:
        warnings.warn(
            "where: a uint8 condition is deprecated in torch; use a bool one (cond.bool()).",
            UserWarning,
            stacklevel=4,  # sh.where -> tensor.where -> here
        )
        return array
    raise DTypeError(
        f"{op}: the {name} must hold booleans (torch refuses other dtypes too), got "
        f"{array.dtype} {_short_repr(condition)}. Make it a bool tensor: {name}.bool() for "
        f"0/1 values, or a comparison such as {name} > 0."
    )


_BOOL = np.dtype(bool)


def _widened_for(t: Tensor, number) -> Tensor:
    """t converted as torch's type rules ask where it meets a Python number (_number_dtype:
    so where(c, int_tensor, 0.5) holds 0.5, not 0)."""
    target = _number_dtype(t.array.dtype, number)
    return t if target == t.array.dtype else t.to(target)


def _where_operand(name: str, value, dtype) -> Tensor:
    """where's input or other given as a number (or an array), as a tensor of `dtype`."""
    try:
        return Tensor._make(np.asarray(value, dtype=dtype))
    except (TypeError, ValueError):
        raise DTypeError(
            f"where: {name} must be a tensor or a number, got {type(value).__name__} "
            f"({_short_repr(value)})."
        ) from None


def _format(t: Tensor) -> str:
    from .printing import format_tensor

    extras = []
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return format_tensor(t.array, str(t.dtype), dtypes.get_default_dtype().np, extras)


# PyTorch's built-in Tensor methods that take a dim also take NumPy's names for it (see
# _NUMPY_KEYWORDS); its Python-level ones (norm, split, unique, unflatten) do not, and neither
# do these here.
_METHODS_WITH_NUMPY_KEYWORDS = (
    *("all", "amax", "amin", "aminmax", "any", "argmax", "argmin", "argsort", "chunk"),
    *("count_nonzero", "cross", "cummax", "cummin", "cumprod", "cumprod_", "cumsum", "cumsum_"),
    *("diff", "gather", "index_add", "index_add_", "index_copy", "index_copy_", "index_fill"),
    *("index_fill_", "index_select", "kthvalue", "log_softmax", "logcumsumexp", "logsumexp"),
    *("max", "mean", "median", "min", "mode", "nanmean", "nanmedian", "nanquantile", "nansum"),
    *("narrow", "narrow_copy", "prod", "quantile", "renorm", "renorm_", "repeat_interleave"),
    *("scatter", "scatter_", "scatter_add", "scatter_add_", "scatter_reduce", "scatter_reduce_"),
    *("select", "size", "softmax", "sort", "split_with_sizes", "squeeze", "squeeze_", "std"),
    *("stride", "sum", "take_along_dim", "tensor_split", "topk", "unbind", "unsqueeze"),
    *("unsqueeze_", "var"),
)
for _name in _METHODS_WITH_NUMPY_KEYWORDS:
    setattr(Tensor, _name, _numpy_keywords(getattr(Tensor, _name)))
