"""torch.autograd on scratchish: PyTorch's way of writing an op, built on scratchish's engine.

`Function` (static forward/backward with ctx, on tensors) is adapted to the engine's own op
pattern (autograd.Function, on arrays) by one node, TorchStyleNode. Also here: grad, backward,
Variable, no_grad, gradcheck. Read next: autograd.py, the engine this builds on.
"""

from __future__ import annotations

import importlib

import numpy as np

from . import autograd, compat
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .errors import ArgumentError, BackwardError, UnsupportedError
from .tensor import Tensor

__all__ = [
    "Function",
    "FunctionCtx",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]

# `import torch.autograd.functional` must reach the import hook's advice instead of Python's
# "torch.autograd is not a package": an empty __path__ makes this module a package.
__path__: list = []


class FunctionCtx:
    """The `ctx` passed to forward and backward: it carries what backward needs.

    Tensors go through `ctx.save_for_backward(...)` and come back as `ctx.saved_tensors`; any
    other value can be kept as an attribute (`ctx.scale = scale`). `ctx.needs_input_grad[i]`
    says whether argument i of forward needs a gradient, so backward can skip work.
    """

    def __init__(self, needs_input_grad: tuple) -> None:
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple = ()
        self.non_differentiable: tuple = ()

    def save_for_backward(self, *tensors) -> None:
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Outputs that get no gradient (indices, masks): they are returned outside the graph."""
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors) -> None:
        """Accepted for PyTorch code that changes inputs in place; scratchish needs no note of
        it (the result is whatever forward returns)."""

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted; scratchish always passes backward a full (zero-filled) gradient."""


class Function:
    """A custom op written as in PyTorch: static forward and backward on tensors.

    `forward(ctx, *args)` computes the result with tensor operations (no graph is recorded
    inside it); `backward(ctx, *grad_outputs)` receives dL/d(output) for each output and returns
    one gradient per argument of forward (None for non-tensors or when not needed). Call the op
    with `YourFunction.apply(*args)`. scratchish's own op pattern (autograd.Function, forward
    and backward on NumPy arrays) is the other way to write the same thing.

    Example:
        >>> import scratchish as sh
        >>> from scratchish.autograd_api import Function
        >>> class Cube(Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x**3
        ...
        ...     @staticmethod
        ...     def backward(ctx, grad_output):
        ...         (x,) = ctx.saved_tensors
        ...         return grad_output * 3 * x**2   # d(x^3)/dx = 3x^2
        >>> x = sh.tensor([1.0, 2.0], requires_grad=True)
        >>> Cube.apply(x).sum().backward()
        >>> x.grad
        tensor([ 3., 12.])
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a torch.autograd.Function must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a torch.autograd.Function must define backward(ctx, ...)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on `args` and, when an input needs a gradient, record the op."""
        record = autograd.is_grad_enabled() and any(
            isinstance(a, Tensor) and a.requires_grad for a in args
        )
        ctx = FunctionCtx(tuple(record and isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not record:
            return out
        outputs = out if isinstance(out, tuple) else (out,)
        linked = [o for o in outputs if _differentiable(o, ctx)]
        if not linked:
            return out
        node_out = TorchStyleNode.apply(*args, function=cls, ctx=ctx, outputs=linked)
        if not isinstance(out, tuple):
            return node_out
        # several outputs travel as one flat node output; each gets its slice back
        pieces = iter(_unpack(node_out, [o.array.shape for o in linked]))
        return tuple(next(pieces) if _differentiable(o, ctx) else o for o in outputs)

    def __call__(self, *args):
        raise UnsupportedError(
            f"{type(self).__name__}()(...): calling an instance of a Function is PyTorch's old "
            f"style. Make forward and backward @staticmethods taking ctx, and call "
            f"{type(self).__name__}.apply(...)."
        )


def _differentiable(out, ctx: FunctionCtx) -> bool:
    return (
        isinstance(out, Tensor)
        and out.is_floating_point()
        and not any(out is n for n in ctx.non_differentiable)
    )


def _unpack(flat: Tensor, shapes: list) -> list:
    pieces, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        pieces.append(flat[start : start + size].reshape(shape))
        start += size
    return pieces


class TorchStyleNode(autograd.Function):
    """The engine node for one call of a torch-style Function.

    forward receives the arrays of the inputs (ignored: the user's forward has already run on
    the tensors) and returns the output's array; several outputs are joined into one flat
    array. backward wraps dL/d(output) as tensors, calls the user's backward, and unwraps the
    gradients it returns.
    """

    def forward(self, *arrays, function, ctx, outputs):
        self.function, self.ctx = function, ctx
        self.formula = f"out = {function.__name__}.forward(ctx, ...)"
        self.in_shapes = [np.shape(a) for a in arrays]
        self.in_dtypes = [a.dtype if isinstance(a, np.ndarray) else None for a in arrays]
        self.out_shapes = [o.array.shape for o in outputs]
        if len(outputs) == 1:
            return outputs[0].array
        dtypes = {o.array.dtype for o in outputs}
        if len(dtypes) > 1:
            raise UnsupportedError(
                f"{function.__name__}.forward returned floating-point outputs of different "
                f"dtypes {sorted(str(d) for d in dtypes)}; scratchish needs them to share one "
                f"dtype. Convert them (e.g. .float()) before returning."
            )
        return np.concatenate([o.array.ravel() for o in outputs])

    def backward(self, grad_out: np.ndarray):
        # dL/d(output k) for each output, as tensors, the way PyTorch hands them over
        grad_outputs = [Tensor._make(g) for g in self._split(grad_out)]
        with no_grad():  # first order: the user's backward records no graph
            grads = self.function.backward(self.ctx, *grad_outputs)
        if not isinstance(grads, tuple):
            grads = (grads,)
        n_inputs = len(self.in_shapes)
        if len(grads) < n_inputs or any(g is not None for g in grads[n_inputs:]):
            raise BackwardError(
                f"{self.name()}.backward returned {len(grads)} gradient(s), but forward takes "
                f"{n_inputs} argument(s) after ctx: return one gradient per argument, None for "
                f"arguments that are not tensors or need no gradient."
            )
        return tuple(
            self._array(g, i) if need else None
            for i, (g, need) in enumerate(zip(grads, self.needs_input_grad))
        )

    def _split(self, grad_out: np.ndarray) -> list:
        if len(self.out_shapes) == 1:
            return [grad_out]
        parts, start = [], 0
        for shape in self.out_shapes:
            size = int(np.prod(shape))
            parts.append(grad_out[start : start + size].reshape(shape))
            start += size
        return parts

    def _array(self, grad, i: int):
        """The user's gradient for input i as an array of the input's shape and dtype."""
        if grad is None:
            return None
        array = np.asarray(
            grad.array if isinstance(grad, Tensor) else grad, dtype=self.in_dtypes[i]
        )
        shape = self.in_shapes[i]
        if array.shape != shape and _broadcasts_to(shape, array.shape):
            array = autograd.unbroadcast(array, shape)  # as PyTorch: sum over broadcast copies
        return array  # a wrong shape is reported by the engine, naming this op

    def name(self) -> str:
        function = self.__dict__.get("function")
        return function.__name__ if function is not None else "Function"

    def __repr__(self) -> str:
        return f"<{self.name()}Backward>"


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# torch.autograd.grad and torch.autograd.backward
# ---------------------------------------------------------------------------------------------
def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _leaves(outputs: tuple) -> list:
    """Every leaf tensor that a backward pass from `outputs` would give a gradient to."""
    found: dict = {}
    for out in outputs:
        if out.grad_fn is None:
            if out.requires_grad:
                found[id(out)] = out
            continue
        if out.grad_fn.parents is None:
            continue  # a freed graph: backward itself says so
        for fn in autograd.topological_order(out.grad_fn):
            for parent in fn.parents or ():
                if isinstance(parent, Tensor):
                    found[id(parent)] = parent
    return list(found.values())


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
) -> tuple:
    """The gradients of `outputs` with respect to `inputs`, returned, not stored in `.grad`.

    `d(sum_k outputs[k] * grad_outputs[k]) / d(inputs[i])` for each input, as a tuple. Nothing
    already in any `.grad` changes. First order only (`create_graph=True` is not supported).

    Args:
        outputs: a tensor or a sequence of tensors to differentiate.
        inputs: a tensor or a sequence of tensors (leaves or intermediate results).
        grad_outputs: dL/d(output) for each output; None for single-element outputs.
        retain_graph: keep the graph for another backward (default: free it).
        allow_unused: give None for inputs the outputs do not depend on (else an error).
        materialize_grads: give zeros instead of None for unused inputs.

    Example:
        >>> import scratchish as sh
        >>> from scratchish import autograd_api
        >>> x = sh.tensor([1.0, 2.0], requires_grad=True)
        >>> autograd_api.grad((x ** 2).sum(), x)
        (tensor([2., 4.]),)
    """
    if create_graph or is_grads_batched:
        raise UnsupportedError(
            "torch.autograd.grad(create_graph=True / is_grads_batched=True): scratchish "
            "computes first-order gradients only (backward works on NumPy arrays)."
        )
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    grad_outputs = _as_tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ArgumentError(
            f"grad: {len(outputs)} output(s) but {len(grad_outputs)} grad_outputs; give one "
            f"gradient (or None) per output."
        )
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise BackwardError(
                f"grad: input {i} does not require grad, so it has no gradient. Create it with "
                f"requires_grad=True (or call x.requires_grad_() before computing the outputs)."
            )

    # Leaves keep their .grad: set it aside, let backward fill a fresh one, then put it back.
    # The optimizer's gradient buffer is set aside too, or backward would write into it.
    leaves = _leaves(outputs)
    saved = [(leaf, leaf.grad, leaf._grad_buffer) for leaf in leaves]
    captured: dict = {}  # id(intermediate input) -> its gradient array
    hooks = []  # (the hook list of the node that made an intermediate input, the hook)
    try:
        for leaf in leaves:
            leaf.grad, leaf._grad_buffer = None, None
        for x in inputs:
            if x.grad_fn is not None:  # an intermediate result: catch the gradient of its node
                hook = _capture(captured, id(x))
                hook_list = autograd.hook_list(x.grad_fn)
                hook_list.append(hook)
                hooks.append((hook_list, hook))
        for k, (out, g) in enumerate(zip(outputs, grad_outputs)):
            last = k == len(outputs) - 1
            autograd.backward(out, g, retain_graph=bool(retain_graph) or not last)
        results = []
        for i, x in enumerate(inputs):
            if x.grad_fn is None:
                result = x.grad
            else:
                array = captured.get(id(x))
                result = None if array is None else Tensor._make(array)
            if result is None and materialize_grads:
                result = Tensor._make(np.zeros_like(x.array))
            if result is None and not allow_unused:
                raise BackwardError(
                    f"grad: input {i} (shape {tuple(x.shape)}) was not used to compute the "
                    f"outputs, so its gradient is undefined. Pass allow_unused=True to get None "
                    f"for it, or check that the outputs really depend on it."
                )
            results.append(result)
    finally:
        for leaf, old_grad, old_buffer in saved:
            leaf.grad, leaf._grad_buffer = old_grad, old_buffer
        for hook_list, hook in hooks:
            if hook in hook_list:
                hook_list.remove(hook)
    return tuple(results)


def _capture(captured: dict, key: int):
    def hook(grad_array: np.ndarray) -> None:
        previous = captured.get(key)
        captured[key] = grad_array.copy() if previous is None else previous + grad_array

    return hook


def backward(
    tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None
) -> None:
    """Add the gradients of `tensors` into the `.grad` of the leaves (or only of `inputs`).

    The same as calling `t.backward(g)` for each tensor and its gradient.
    """
    if create_graph:
        raise UnsupportedError(
            "torch.autograd.backward(create_graph=True): scratchish computes first-order "
            "gradients only (backward works on NumPy arrays)."
        )
    tensors = _as_tuple(tensors)
    grad_tensors = (None,) * len(tensors) if grad_tensors is None else _as_tuple(grad_tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        found = grad(tensors, inputs, grad_tensors, retain_graph, allow_unused=True)
        for x, g in zip(inputs, found):
            if g is not None:
                x.grad = g if x.grad is None else x.grad + g
        return
    for k, (t, g) in enumerate(zip(tensors, grad_tensors)):
        last = k == len(tensors) - 1
        autograd.backward(t, g, retain_graph=bool(retain_graph) or not last)


def Variable(data, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # noqa: N802
    """Old PyTorch tutorials wrap tensors in Variable; today a Variable is just the tensor.

    Returns `data` itself (made a tensor if needed), with requires_grad set when asked.
    """
    from .creation import tensor

    t = data if isinstance(data, Tensor) else tensor(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Accepted and ignored: scratchish checks every gradient's shape and names the op that
    went wrong anyway. Works as a call, a context manager or a decorator."""

    def __init__(self, mode: bool = True, check_nan: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        pass

    def __call__(self, func):
        return func


class detect_anomaly(set_detect_anomaly):  # noqa: N801 - PyTorch's name
    """Accepted and ignored, as set_detect_anomaly."""

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(True, check_nan)


def __getattr__(name: str):
    # gradcheck lives in tools/, imported only when asked for
    if name in ("gradcheck", "gradgradcheck"):
        module = importlib.import_module("scratchish.tools.gradcheck")
        if hasattr(module, name):
            return getattr(module, name)
    return compat.unsupported_attribute("torch.autograd", name)
