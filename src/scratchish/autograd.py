"""The engine: the Function base class, the backward pass, and no_grad.

Every op (ops/) is a Function with `forward` and `backward` on NumPy arrays. `Function.apply`
runs forward and, when a gradient is needed, links the result to the Function that made it.
`backward` walks those links from the loss back to the leaves in reverse topological order,
without recursion. Read next: ops/elementwise.py for the simplest ops.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import weakref
from heapq import heappop, heappush

import numpy as np

from .errors import (
    ArgumentError,
    BackwardError,
    IndexOutOfRangeError,
    InPlaceError,
    ScratchishError,
    ShapeError,
    UnsupportedError,
    broadcast_message,
)

_grad_enabled = True
_sequence = itertools.count(1)  # numbers the nodes as they are made
# The number (from _sequence) of the latest unrecorded in-place change of a tensor that is
# part of a graph (see note_write): backward checks a node only if it is older than that.
_last_write = 0
_new_tensor = object.__new__
_CHECK_ALL_SHAPES = os.environ.get("SCRATCHISH_CHECK_GRAD_SHAPES") == "1"

# The op tracer (tools/trace.py) when one is active, else None: apply and backward then call
# `_tracer.forward(fn, arrays, settings)` / `_tracer.backward(fn, grad_out)` instead of the op.
_tracer = None

# Functions whose result has at most this many elements keep their input tensors, so that
# draw_graph and explain_backward can show the numbers; larger ones keep only what backward needs.
KEEP_INPUTS_UP_TO = 64


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()` (then ops build no graph)."""
    return _grad_enabled


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Turn graph building on or off, as a call, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        self.prev = _grad_enabled
        self.mode = bool(mode)
        _grad_enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        global _grad_enabled
        _grad_enabled = self.prev

    def __call__(self, func):
        global _grad_enabled
        _grad_enabled = self.prev  # used as a decorator: change the mode only inside func

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(self.mode):
                return func(*args, **kwargs)

        return wrapper


class no_grad:  # noqa: N801 - PyTorch's name
    """Context manager (or decorator) in which ops record no graph: for evaluation and for
    updating weights by hand. Example: `with sh.no_grad(): w -= lr * w.grad`."""

    _mode = False

    def __new__(cls, func=None):
        # `@no_grad` without parentheses: decorate the function directly
        if func is not None:
            return cls()(func)
        return super().__new__(cls)

    def __enter__(self) -> None:
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = self._mode

    def __exit__(self, *exc) -> None:
        global _grad_enabled
        _grad_enabled = self.prev

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):  # noqa: N801 - PyTorch's name
    """Turn graph building back on inside a `no_grad` block."""

    _mode = True


inference_mode = no_grad


# Outside its domain an op gives nan or inf without a word, as PyTorch does: asin(2) is nan,
# log(0) is -inf, 1/0 is inf, 0/0 is nan. NumPy computes the same values but also prints a
# RuntimeWarning (an exception under `warnings.simplefilter("error")`). So the forward and
# backward of each op that can leave its domain (log, sqrt, asin, division, pow, exp, ...)
# run with NumPy's floating-point warnings off: they are decorated @quiet. The hot ops that
# stay in their domain for finite inputs (add, mul, relu, matmul, sum) do without, as
# switching costs about 0.3 us a call: infinities that meet there (inf - inf, 0 * inf) still
# warn.
try:  # NumPy 2 keeps the error mode in a context variable: setting it is the cheapest way
    from numpy._core._ufunc_config import _extobj_contextvar as _fp_mode

    with np.errstate(all="ignore"):
        _FP_SILENT = _fp_mode.get()
except ImportError:  # NumPy 1: np.errstate (about a microsecond)
    _fp_mode = None


def quiet(method):
    """Decorator for the forward or backward of an op (or a method composed of ops) that can
    leave its domain: out-of-domain values become nan or inf silently, as in PyTorch (NumPy
    would warn)."""
    if _fp_mode is None:

        @functools.wraps(method)
        def quiet_method(*args, **kwargs):
            with np.errstate(all="ignore"):
                return method(*args, **kwargs)

        return quiet_method

    silence, restore = _fp_mode.set, _fp_mode.reset  # looked up once: this runs per op

    @functools.wraps(method)
    def quiet_method(*args, **kwargs):
        token = silence(_FP_SILENT)
        try:
            return method(*args, **kwargs)
        finally:
            restore(token)

    return quiet_method


def repeated_dims_error(op: str, dims, ndim: int) -> ArgumentError | None:
    """The error for a reduction over a dim named twice, dim=(0, 0) or (0, -2) on 2 dims, as
    torch refuses it; None if dims repeats nothing (dims out of range have their own error)."""
    if not isinstance(dims, (tuple, list)):
        return None
    n = max(ndim, 1)
    seen = [d % n if isinstance(d, (int, np.integer)) and -n <= d < n else d for d in dims]
    for i, d in enumerate(seen):
        if d in seen[:i]:
            return ArgumentError(
                f"{op}: dim={tuple(dims)} names dim {d} more than once (torch refuses it too). "
                f"List each dim once: dim={tuple(dict.fromkeys(seen))}."
            )
    return None


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` down to `shape`: the backward of NumPy broadcasting.

    Broadcasting copies an operand along new leading axes and along axes of size 1; each copy
    contributed to the loss, so the gradient of the original is the sum over the copies.
    """
    if grad.shape == shape:
        return grad
    n_lead = grad.ndim - len(shape)
    axes = tuple(range(n_lead)) + tuple(
        n_lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[n_lead + i] != 1
    )
    by_products = _sum_by_products(grad, axes)
    if by_products is not None:
        return by_products.reshape(shape)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _sum_by_products(grad: np.ndarray, axes: tuple) -> np.ndarray | None:
    """grad summed over `axes` as matrix-vector products with ones (BLAS), when grad is a
    C-contiguous float array of 2^14 values or more whose axes kept form one block: read as
    (before, kept, after), the sum is ones @ (before, kept) rows if nothing comes after,
    else the (before, kept, after) planes @ ones, then over `before`. NumPy's sum over
    several axes, or down columns, is slow: a bias per channel of (32, 64, 28, 28),
    286 -> 103 us; per feature of (4096, 10), 68 -> 19 us; (256, 512) to (256, 1), 27 -> 20
    us; a Linear layer's bias, (768, 512) to (512,), 54 -> 27 us, (128, 128) 3.9 -> 1.3 us
    (Intel Xeon, 2026-11-27; an AMD VM before had NumPy as fast for rows of 128 values or
    more, and it was left to them). None otherwise (NumPy's sum then)."""
    kept = [d for d in range(grad.ndim) if d not in axes]
    fits = grad.dtype in (np.float32, np.float64) and grad.flags.c_contiguous
    if not (fits and kept and grad.size >= 1 << 14) or kept[-1] - kept[0] != len(kept) - 1:
        return None
    before = math.prod(grad.shape[: kept[0]])
    after = math.prod(grad.shape[kept[-1] + 1 :])
    planes = grad.reshape(before, -1, after)
    if after > 1:
        planes = planes @ np.ones(after, grad.dtype)  # (before, kept)
    return np.ones(before, grad.dtype) @ planes.reshape(before, -1)


class Function:
    """An op: `forward` computes the result from arrays, `backward` turns dL/dout into dL/dinput.

    Subclass it to write your own op (the first "from scratch" exercise)::

        class Cube(sh.Function):
            def forward(self, x):
                self.x = x                     # keep what backward needs
                return x**3

            def backward(self, grad_out):
                return grad_out * 3 * self.x**2   # d(x^3)/dx = 3x^2, times dL/dout

        y = Cube.apply(t)

    Positional arguments of `apply` are the op's inputs (tensors, arrays or Python numbers);
    keyword arguments are settings passed on to `forward` (a dim, a shape). `backward` returns
    one array (or None) per positional input. `self.needs_input_grad[i]` says whether input i
    needs a gradient, so backward can skip work. Gradients are first order: backward works on
    NumPy arrays, not tensors.

    `formula` and `derivatives` are the math in plain notation, used by the explanation tools.
    """

    formula = ""
    derivatives: tuple = ()

    # set by apply when a graph is recorded: one parent per input, the Function that made
    # it or the leaf tensor itself (None when the input needs no gradient). Edges point to
    # the node, not the tensor, so a later in-place change of a tensor cannot re-route them.
    parents: tuple = ()
    needs_input_grad: tuple = ()
    out_shape: tuple = ()
    # the input tensors, kept only for small results so the explanation tools can show values
    inputs: tuple = ()
    # the order in which nodes were made (PyTorch's sequence_nr): a node's inputs always have
    # smaller numbers, so visiting nodes from the largest number down is a topological order
    sequence_nr: int = 0
    # backward checks the shape of every gradient a Function returns. scratchish's own ops
    # skip the check (it costs ~0.2 us per edge); the test suite turns it on for them with
    # SCRATCHISH_CHECK_GRAD_SHAPES=1, which is also the switch to use when writing a new op.
    check_grad_shapes = True
    # What backward reads that a later in-place change could spoil (torch's saved tensors):
    # the inputs' values and the op's own result. If such a value was changed in place after
    # this node was made (under no_grad, or by an optimizer step), backward raises instead of
    # computing a wrong gradient. saves_inputs is True, False, "others" (a product: an input's
    # value is read only for the other inputs' gradients, as x in d(x w)/dw = x), or one of
    # these per input.
    saves_inputs: bool | str | tuple = True
    saves_output = False
    # True for ops whose result may share memory with input 0 (reshape, transpose, x[i]):
    # changing the result in place changes the input too
    returns_view = False
    # True when backward returns new arrays that nothing else holds (not grad_out itself, not
    # a view of it): backward may then add other gradients into them in place
    fresh_grads = False
    # set by note_write when this node's result tensor is changed in place without recording
    written_at: int = 0
    # set by backward while it runs: the gradient of this node's result gathered so far
    _grad = None
    # hooks on this node's result tensor (register_hook, retain_grad): see hook_list()
    _out_hooks: list | tuple = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.check_grad_shapes = _CHECK_ALL_SHAPES or not cls.__module__.startswith("scratchish.")

    def forward(self, *args, **kwargs) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def backward(self, grad_out: np.ndarray):
        raise NotImplementedError(f"{type(self).__name__} must define backward()")

    # An op with one input may also define `add_grad_into(acc, grad_out) -> bool`: add the
    # input's gradient into `acc`, the gradient gathered so far for that input, in place, and
    # return True (False: it cannot). The engine calls it instead of the op's backward when
    # it owns `acc` (see `owned` in backward below). Why: x[index]'s gradient is grad_out at
    # index in zeros of x's shape; added in place instead, the three slices of one tensor
    # (q, k, v = qkv.split(...)) make one array of its size, not three and two sums.
    add_grad_into = None

    @classmethod
    def apply(cls, *inputs, **settings):
        """Run the op on tensors (or numbers) and record it in the graph when needed."""
        # (This runs once per op, so it is written for speed: one pass over the inputs, no
        # comprehensions, the result tensor filled in place. The plain version is three lines:
        # arrays = [x.array for x in tensors]; out = fn.forward(*arrays); link out to fn.)
        fn = cls()
        arrays = []
        parents = []  # the node that made each input: its Function, or the leaf itself
        needs = []
        record = False
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.array)
                if x._requires_grad and _grad_enabled:
                    record = True
                    parents.append(x.grad_fn or x)
                    needs.append(True)
                    continue
            else:
                arrays.append(x)
            parents.append(None)
            needs.append(False)
        fn.needs_input_grad = tuple(needs)
        try:
            if _tracer is None:
                # (without settings, leaving out `**settings` saves copying an empty dict)
                out = fn.forward(*arrays, **settings) if settings else fn.forward(*arrays)
            else:
                out = _tracer.forward(fn, arrays, settings)
        except ScratchishError:
            raise
        except (ValueError, IndexError, TypeError) as e:
            fn.failed_settings = settings  # (the error path only) explain_error may name them
            raise fn.explain_error(e, arrays) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        result = _new_tensor(Tensor)  # Tensor._make, inlined
        result.array = out
        result.grad = None
        result._requires_grad = record
        result._grad_buffer = None
        result._hooks = ()
        if record:
            fn.parents = tuple(parents)
            fn.out_shape = out.shape
            fn.sequence_nr = next(_sequence)
            if out.size <= KEEP_INPUTS_UP_TO:
                fn.inputs = inputs
            result.grad_fn = fn
        else:
            result.grad_fn = None
        return result

    def explain_error(self, err: Exception, arrays: list) -> Exception:
        """Turn a NumPy error inside forward into a scratchish error that names this op."""
        name = self.name()
        shapes = [np.shape(a) for a in arrays if isinstance(a, np.ndarray)]
        if isinstance(err, IndexError):
            shown = ", ".join(str(s) for s in shapes)
            return IndexOutOfRangeError(
                f"{name}: {err} (input shapes: {shown}). Indices count from 0, so the last "
                f"valid index of a dim of size n is n - 1 (or -1)."
            )
        if "duplicate value in 'axis'" in str(err) and shapes:  # NumPy's words for dim=(0, 0)
            dims = getattr(self, "failed_settings", {}).get("dim")
            error = repeated_dims_error(name, dims, len(shapes[0]))
            if error is not None:
                return error
        if "broadcast" in str(err) and len(shapes) >= 2:
            return ShapeError(broadcast_message(name, *shapes))
        shown = ", ".join(str(s) for s in shapes)
        return ShapeError(f"{name}: {err} (input shapes: {shown})")

    @classmethod
    def name(cls) -> str:
        return cls.__name__.lower()

    # --- what PyTorch shows of a graph node ---
    @property
    def next_functions(self) -> tuple:
        """The nodes that made this node's inputs: (node, 0) pairs, None for leaves' inputs
        that need no gradient; AccumulateGrad for leaves, as in PyTorch."""
        return tuple(
            (AccumulateGrad(p) if isinstance(p, Tensor) else p, 0) for p in self.parents or ()
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"


class AccumulateGrad:
    """What PyTorch shows for a leaf in `grad_fn.next_functions`: its grad is stored there."""

    def __init__(self, variable) -> None:
        self.variable = variable
        self.next_functions = ()

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def topological_order(root: Function) -> list:
    """Every Function reachable from `root`, each after all the Functions that use its result.

    An iterative depth-first search (a list as the stack), so a chain of 50,000 ops needs no
    recursion. A node is appended after its inputs' nodes; reversing gives loss-to-leaves order.
    """
    for p in root.parents:
        if p is not None and not isinstance(p, Tensor):
            break
    else:
        return [root]  # a single op on leaves: nothing to sort
    order: list = []
    visited: set = set()
    stack = [(root, False)]
    while stack:
        fn, inputs_done = stack.pop()
        if inputs_done:
            order.append(fn)
            continue
        if fn in visited:
            continue
        visited.add(fn)
        stack.append((fn, True))
        for p in fn.parents or ():  # None once freed: backward then raises _FREED
            if p is not None and p not in visited and not isinstance(p, Tensor):
                stack.append((p, False))
    order.reverse()
    return order


def backward(tensor, gradient=None, retain_graph: bool = False, create_graph: bool = False) -> None:
    """Fill `.grad` of every leaf that `tensor` depends on with d(tensor)/d(leaf).

    Walks the graph from `tensor` to the leaves; each Function turns the gradient of its
    output into gradients of its inputs (the chain rule). Gradients add up where a value was
    used more than once, and add to what leaves already hold (call zero_grad between steps).
    The graph is freed afterwards unless `retain_graph=True`. This is also the method
    `Tensor.backward` (`loss.backward()` calls it with tensor = loss).
    """
    if create_graph:
        raise UnsupportedError(
            "backward(create_graph=True): scratchish computes first-order gradients only "
            "(backward works on NumPy arrays, which keeps every op short to read)."
        )
    if not tensor._requires_grad:
        raise BackwardError(
            "backward: this tensor does not require grad, so there is nothing to differentiate. "
            "Create the inputs you want gradients for with requires_grad=True (e.g. "
            "sh.tensor([1.0, 2.0], requires_grad=True)), and make sure the computation did not "
            "run inside sh.no_grad()."
        )
    out = tensor.array
    root = tensor.grad_fn
    if root is not None and root.parents is None:
        raise BackwardError(_FREED)
    if gradient is None:
        if out.size != 1:
            raise BackwardError(
                f"backward: the tensor has shape {out.shape}, not a single number, so "
                f"'the gradient' is ambiguous: one gradient per element. Reduce it to a "
                f"scalar first (loss = out.sum() or out.mean()), or pass the gradient of the "
                f"final loss with respect to this tensor: out.backward(gradient) with a "
                f"gradient of shape {out.shape}."
            )
        # d(out)/d(out) = 1: a 1 of out's shape, all of whose dims are 1 as it has one element
        # (np.ones(out.shape, out.dtype) in a third of the time)
        grad = np.array(1, dtype=out.dtype, ndmin=out.ndim)
    else:
        grad = gradient.array if isinstance(gradient, Tensor) else np.asarray(gradient)
        # (a node's out_shape is out.shape, already made: reading an array's .shape makes a
        # new tuple each time)
        shape = out.shape if root is None else root.out_shape
        if grad.shape != shape:
            raise BackwardError(
                f"backward: gradient has shape {grad.shape} but the tensor has shape "
                f"{shape}; they must match (one gradient per element)."
            )
        dtype = out.dtype
        if grad.dtype is not dtype and grad.dtype != dtype:  # (`is`: the common case, cheap)
            grad = grad.astype(dtype)

    if root is None:  # a leaf: its gradient is the one given
        _accumulate(tensor, grad)
        return
    root._grad = grad
    leaf_grads = None  # leaves with hooks: summed first, so each hook runs once (as torch)
    # Nodes whose gradient has arrived, the most recently made first (PyTorch's ready queue):
    # a node's consumers were all made after it, so when it is popped its gradient is complete.
    # The same order as reversed(topological_order(root)), without a separate pass. The root
    # comes first and is not queued: `fn` is the node being run, `ready` holds the others.
    ready: list = []
    # Gradient arrays that only this pass holds (its own sums, the fresh results of ops that
    # say so): later gradients for the same node are added into them in place, as PyTorch's
    # engine does, instead of making a new array for every sum.
    owned: set = set()
    fn = root
    last_write = _last_write
    try:
        while True:
            if fn.sequence_nr < last_write:  # something was changed in place after fn was made
                _check_saved_values(fn)
            grad_out = fn._grad
            fn._grad = None  # taken: an error below must not leave it for a later pass
            if owned:
                owned.discard(id(grad_out))  # passed on now: ops may return it or a view of it
            if fn._out_hooks:
                grad_out = _run_hooks(fn._out_hooks, grad_out)
            if _tracer is not None:
                grads = _tracer.backward(fn, grad_out)
            elif owned and fn.add_grad_into is not None and _adds_into_owned(fn, grad_out, owned):
                grads = ()  # added into its input's gradient in place
            else:
                grads = fn.backward(grad_out)
            if type(grads) is not tuple:
                grads = (grads,)
            check = fn.check_grad_shapes
            for parent, grad_x in zip(fn.parents, grads):
                if parent is None or grad_x is None:
                    continue
                if isinstance(parent, Tensor):  # a leaf: its gradient goes into .grad
                    if check and grad_x.shape != parent.array.shape:
                        _shape_error(fn, grad_x, parent.array.shape)
                    if parent._hooks:
                        # summed first and given at the end, so its hooks run once
                        if leaf_grads is None:
                            leaf_grads = {}
                        prev = leaf_grads.get(id(parent))
                        leaf_grads[id(parent)] = (
                            parent,
                            grad_x if prev is None else prev[1] + grad_x,
                        )
                        continue
                    acc = parent.grad
                    if acc is None:
                        _accumulate(parent, grad_x)
                    else:
                        acc.array += grad_x  # the common case of _accumulate, inlined
                    continue
                # a node: add to the gradient it will pass on when its turn comes
                if parent.parents is None:  # freed (its out_shape too) by an earlier backward
                    raise BackwardError(_FREED)
                if check and grad_x.shape != parent.out_shape:
                    _shape_error(fn, grad_x, parent.out_shape)
                prev = parent._grad
                if prev is None:
                    parent._grad = grad_x
                    if fn.fresh_grads:
                        owned.add(id(grad_x))
                    heappush(ready, (-parent.sequence_nr, parent))
                elif id(prev) in owned and prev.dtype == grad_x.dtype:
                    prev += grad_x
                else:
                    parent._grad = total = prev + grad_x
                    if type(total) is np.ndarray:  # (0-d operands give a NumPy scalar)
                        owned.add(id(total))
            if not retain_graph:
                # the graph is used up: drop what this node saved (its arrays) and its edges
                fn.__dict__.clear()
                fn.parents = None
            if not ready:
                break
            fn = heappop(ready)[1]
    except BaseException:
        for _, fn in ready:  # an error stopped the pass: the waiting nodes drop their gradient
            fn._grad = None
        raise
    if leaf_grads is not None:
        for leaf, grad_x in leaf_grads.values():
            _accumulate(leaf, grad_x)


def _adds_into_owned(fn, grad_out: np.ndarray, owned: set) -> bool:
    """Let fn add its input's gradient into that input's gathered gradient, if this pass owns
    that array (see backward); True if fn did."""
    parent = fn.parents[0]
    if not isinstance(parent, Function):
        return False  # a leaf or no gradient needed: the plain path
    acc = parent._grad
    if acc is None or id(acc) not in owned or acc.dtype != grad_out.dtype:
        return False
    return fn.add_grad_into(acc, grad_out)


def note_write(tensor) -> None:
    """Record that `tensor`'s values were changed in place without a graph node (under
    no_grad, by an optimizer step): nodes made before now that saved them must not run
    backward (PyTorch's version counter). Only tensors that are part of a graph matter."""
    global _last_write
    _last_write = now = next(_sequence)
    if tensor.grad_fn is None:
        tensor._written_at = now
        return
    node = tensor.grad_fn  # its consumers reach the tensor through its node
    while True:
        node.written_at = now
        if not (node.returns_view and node.parents):
            return
        base = node.parents[0]  # a view: the change reaches the tensor it views too
        if isinstance(base, Tensor) or base is None:
            if base is not None:
                base._written_at = now
            return
        node = base


def _written_at(parent) -> int:
    if isinstance(parent, Tensor):
        return getattr(parent, "_written_at", 0)  # a slot, set only by note_write
    return parent.written_at


def _check_saved_values(fn: Function) -> None:
    """Raise if a value `fn` saved for backward was changed in place after fn was made."""
    made = fn.sequence_nr
    for i, parent in enumerate(fn.parents):
        if parent is None or _written_at(parent) <= made:
            continue
        saves = fn.saves_inputs
        if isinstance(saves, tuple):
            saves = saves[i] if i < len(saves) else False
        if saves == "others":  # read only for the gradients of the other inputs
            saves = any(need for j, need in enumerate(fn.needs_input_grad) if j != i)
        if saves:
            what = (
                f"input {i} (a leaf tensor of shape {parent.array.shape})"
                if isinstance(parent, Tensor)
                else f"input {i} (the result of {parent.name()}, shape {parent.out_shape})"
            )
            raise InPlaceError(_stale_message(fn, what))
    if fn.saves_output and fn.written_at > made:
        raise InPlaceError(_stale_message(fn, f"its own result (shape {fn.out_shape})"))


def _stale_message(fn: Function, what: str) -> str:
    return (
        f"backward: {fn.name()} needs the value its {what} had in the forward pass, but that "
        f"tensor was changed in place since (inside no_grad, or by optimizer.step()), so its "
        f"gradient would be wrong. Run the forward pass again after the change, or change a "
        f"copy (x = x.clone()) instead. In a training loop the order is: "
        f"optimizer.zero_grad(), loss = ..., loss.backward(), optimizer.step()."
    )


def _shape_error(fn: Function, grad_x: np.ndarray, shape: tuple) -> None:
    raise ShapeError(
        f"{fn.name()}.backward returned a gradient of shape {grad_x.shape} for an input of "
        f"shape {shape}; each gradient must have its input's shape (use unbroadcast for "
        f"broadcast inputs)."
    )


_FREED = (
    "backward: this part of the graph was already used by an earlier backward() and has been "
    "freed to save memory. Recompute the forward pass before calling backward again, or pass "
    "retain_graph=True to the first backward() if you really need to go through it twice."
)


def hook_list(fn: Function) -> list:
    """The hooks on `fn`'s result tensor (run by backward on its gradient, in order), a list
    to add to: made on first use, so a node without hooks pays nothing for them."""
    if "_out_hooks" not in fn.__dict__:
        fn._out_hooks = []
    return fn._out_hooks


def _run_hooks(hooks: list, grad: np.ndarray) -> np.ndarray:
    for hook in hooks:
        result = hook(grad)
        if result is not None:
            grad = result
    return grad


def _accumulate(leaf, grad: np.ndarray) -> None:
    """Add `grad` into `leaf.grad`. The first gradient is copied (it may be shared with other
    nodes), into the leaf's preallocated buffer when an optimizer gave it one."""
    if leaf._hooks:
        grad = _run_hooks([lambda g, h=h: _hook_array(h, g) for h in leaf._hooks], grad)
    if leaf.grad is None:
        buf = leaf._grad_buffer
        if buf is not None and buf.shape == grad.shape:
            if grad is not buf:  # (an op may have written it there already: see grad_home)
                np.copyto(buf, grad)
            leaf.grad = Tensor._make(buf)
        else:
            leaf.grad = Tensor._make(np.array(grad, dtype=leaf.array.dtype, copy=True))
    else:
        acc = leaf.grad.array
        if acc.dtype == grad.dtype:
            acc += grad
        else:
            np.add(acc, grad, out=acc, casting="unsafe")


def grad_home(parents: tuple, i: int, shape: tuple, dtype) -> np.ndarray | None:
    """Where an op's backward may write input i's gradient directly, or None (make a new
    array, the plain way).

    When input i is a leaf with no gradient yet, no hooks, and a gradient buffer from its
    optimizer (see optim/optimizer.py), the gradient ends up copied into that buffer; an op
    that writes it there itself (`np.matmul(..., out=home)`) saves the copy, and _accumulate
    keeps it as it is. Not when the leaf is also another input of the same op (F.linear(w, w)):
    its other gradient would be copied over this one."""
    leaf = parents[i]
    if not isinstance(leaf, Tensor) or leaf.grad is not None or leaf._hooks:
        return None
    buf = leaf._grad_buffer
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        return None
    for j, other in enumerate(parents):
        if other is leaf and j != i:
            return None
    return buf


def _hook_array(hook, grad: np.ndarray):
    result = hook(Tensor._make(grad))
    return None if result is None else result.array


def retain_grad_hook(tensor):
    """A hook that stores a non-leaf tensor's gradient on it (for `tensor.retain_grad()`)."""
    ref = weakref.ref(tensor)

    def store(grad):
        t = ref()
        if t is not None:
            if t.grad is None:
                t.grad = Tensor._make(np.array(grad, copy=True))
            else:
                t.grad.array += grad
        return None

    return store


from .tensor import Tensor  # noqa: E402  (tensor.py imports this module first)
