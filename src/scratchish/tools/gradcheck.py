"""gradcheck: is an op's hand-written backward right? Compare it with finite differences.

For a function f of tensors, autograd gives the exact gradient a backward() computes; nudging
each input element by +-eps and watching the output gives a numerical estimate. When the two
agree (in float64) the backward is right. Read next: tests/helpers.py, which runs this on every op.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..autograd import no_grad
from ..errors import ArgumentError, GradcheckError
from ..tensor import Tensor


@dataclass
class InputCheck:
    """The comparison for one input: where it differs most, and by how much."""

    position: int  # which argument of fn (0 is the first)
    shape: tuple
    max_abs_error: float  # max |analytic - numerical|
    max_rel_error: float  # max |analytic - numerical| / max(|numerical|, 1e-12)
    worst_index: tuple  # the element where the tolerance was exceeded most
    analytic: float  # both gradients at worst_index
    numerical: float
    passed: bool


class GradcheckReport:
    """What gradcheck found, one row per input checked. Truthy when every input passed.

    `print(report)` shows a small table; `report.inputs` holds one `InputCheck` per input.
    """

    def __init__(self, inputs: list) -> None:
        self.inputs = inputs

    def __bool__(self) -> bool:
        return all(check.passed for check in self.inputs)

    def __str__(self) -> str:
        lines = [f"{'input':<6}{'shape':<16}{'max abs err':>12}{'max rel err':>12}  result"]
        for c in self.inputs:
            result = "ok" if c.passed else f"FAILED at {c.worst_index}"
            lines.append(
                f"{c.position:<6}{str(c.shape):<16}{c.max_abs_error:>12.2e}"
                f"{c.max_rel_error:>12.2e}  {result}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"GradcheckReport(passed={bool(self)})\n{self}"


def gradcheck(
    fn,
    *inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> GradcheckReport:
    """Check autograd's gradients of `fn(*inputs)` against central differences, in float64.

    Every floating-point tensor input is copied to float64; the copies of those that require
    grad are checked. The outputs of `fn` (a tensor or a tuple of them) are reduced to one
    number with fixed random weights, L = sum_k sum(out_k * v_k), so a single backward() gives
    the analytic dL/dx. The numerical estimate for each element x_i is

        dL/dx_i ~ (L(x_i + eps) - L(x_i - eps)) / (2 eps)

    (two forward passes per element, so keep the inputs small). An element passes when
    |analytic - numerical| <= atol + rtol * |numerical|. Random weights make a wrong backward
    show up for any output element, not only for a plain sum.

    Args:
        fn: a function of the inputs returning a tensor or a tuple of tensors.
        *inputs: its arguments; tensors that require grad are checked, anything else
            (ints, index tensors, masks) is passed through unchanged.
        eps: the finite-difference step.
        atol, rtol: the absolute and relative tolerance.
        raise_exception: raise GradcheckError on the first failing input (default), or
            return the report with `passed=False` rows.

    Returns:
        A GradcheckReport: truthy when every checked input passed, printable as a table.

    Raises:
        GradcheckError: naming the input (position and shape), the worst element's index and
            both gradients there.

    Example:
        >>> import scratchish as sh
        >>> from scratchish.tools import gradcheck      # also sh.gradcheck
        >>> x = sh.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> bool(gradcheck(lambda t: (t * t).sum(dim=1), x))
        True
        >>> class BadSquare(sh.Function):               # backward forgot the factor 2
        ...     def forward(self, x):
        ...         self.x = x
        ...         return x * x
        ...     def backward(self, grad_out):
        ...         return grad_out * self.x
        >>> report = gradcheck(BadSquare.apply, x, raise_exception=False)
        >>> bool(report)
        False
        >>> print(report)                               # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        input shape            max abs err max rel err  result
        0     (2, 2)              ...        ...  FAILED at (...)
        >>> gradcheck(BadSquare.apply, x)                 # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        scratchish.errors.GradcheckError: gradcheck: input 0 (shape (2, 2)): ...
    """
    args = [_float64_copy(x) for x in inputs]
    checked = [i for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ArgumentError(
            "gradcheck: no input requires grad, so there is nothing to check. Create the "
            "inputs with requires_grad=True (e.g. sh.randn(3, dtype=sh.float64, "
            "requires_grad=True))."
        )
    with no_grad():
        weights = [
            np.random.default_rng(k).uniform(0.5, 1.5, o.array.shape)
            for k, o in enumerate(_outputs(fn(*args)))
        ]

    analytic = _analytic(fn, args, checked, weights)
    report = GradcheckReport([])
    for i in checked:
        numerical = _numerical(fn, args, i, weights, eps)
        check = _compare(i, analytic[i], numerical, atol, rtol)
        report.inputs.append(check)
        if raise_exception and not check.passed:
            raise GradcheckError(_explain(check, atol, rtol))
    return report


def _float64_copy(x):
    """A float64 copy of a float tensor (keeping requires_grad), anything else unchanged."""
    if isinstance(x, Tensor) and x.array.dtype.kind == "f":
        return Tensor._make(x.array.astype(np.float64, copy=True), x.requires_grad)
    return x


def _outputs(out) -> list:
    """The floating-point tensors fn returned (a tensor, or a tuple such as max's)."""
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.array.dtype.kind == "f"]


def _weighted_sum(out, weights) -> np.ndarray:
    return sum(float(np.sum(o.array * w)) for o, w in zip(_outputs(out), weights))


def _analytic(fn, args: list, checked: list, weights: list) -> dict:
    """dL/dx for every checked input, by one backward() through L = sum(out * weights)."""
    for i in checked:
        args[i].grad = None
    outs = _outputs(fn(*args))
    loss = None
    for o, w in zip(outs, weights):
        term = (o * Tensor._make(w)).sum()
        loss = term if loss is None else loss + term
    if loss is not None and loss.requires_grad:
        loss.backward()
    grads = {}
    for i in checked:
        g = args[i].grad
        grads[i] = np.zeros(args[i].array.shape) if g is None else g.array.copy()
        if grads[i].shape != args[i].array.shape:
            raise GradcheckError(
                f"gradcheck: input {i} has shape {args[i].array.shape} but its gradient has "
                f"shape {grads[i].shape}; a backward returned a gradient of the wrong shape."
            )
        args[i].grad = None
    return grads


def _numerical(fn, args: list, i: int, weights: list, eps: float) -> np.ndarray:
    """Central differences for every element of input i (its array is nudged in place)."""
    flat = args[i].array.reshape(-1)  # a view: writing to it changes the input
    grad = np.zeros(flat.shape)
    with no_grad():
        for k in range(flat.size):
            original = flat[k]
            flat[k] = original + eps
            plus = _weighted_sum(fn(*args), weights)
            flat[k] = original - eps
            minus = _weighted_sum(fn(*args), weights)
            flat[k] = original
            grad[k] = (plus - minus) / (2 * eps)
    return grad.reshape(args[i].array.shape)


def _compare(i: int, analytic: np.ndarray, numerical: np.ndarray, atol, rtol) -> InputCheck:
    diff = np.abs(analytic - numerical)
    shape = tuple(numerical.shape)
    if diff.size == 0:
        return InputCheck(i, shape, 0.0, 0.0, (), 0.0, 0.0, True)
    excess = diff - (atol + rtol * np.abs(numerical))  # > 0 where the tolerance is exceeded
    excess = np.where(np.isnan(excess), np.inf, excess)  # nan never passes
    worst = np.unravel_index(int(np.argmax(excess)), shape)
    rel = diff / np.maximum(np.abs(numerical), 1e-12)
    return InputCheck(
        position=i,
        shape=shape,
        max_abs_error=float(np.nanmax(diff)) if not np.isnan(diff).all() else float("nan"),
        max_rel_error=float(np.nanmax(rel)) if not np.isnan(rel).all() else float("nan"),
        worst_index=tuple(int(k) for k in worst),
        analytic=float(analytic[worst]),
        numerical=float(numerical[worst]),
        passed=bool(np.all(excess <= 0)),
    )


def _explain(check: InputCheck, atol, rtol) -> str:
    return (
        f"gradcheck: input {check.position} (shape {check.shape}): the analytic gradient "
        f"differs from the numerical one at index {check.worst_index}: analytic "
        f"{check.analytic:.6g}, numerical {check.numerical:.6g} (allowed difference "
        f"{atol:g} + {rtol:g} * |numerical|). Check the backward of the ops this input flows "
        f"into; a missing factor, a wrong sign or a forgotten unbroadcast are the usual causes."
    )
