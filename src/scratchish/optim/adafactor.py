"""Adafactor: Adam-like steps whose second moment, for a matrix, is kept as one number per
row and one per column instead of one per weight, so the optimizer's memory stays small.

Its steps depend on norms of whole parameters, not element by element, so it writes its own
`step` over the parameters (as lbfgs.py does) rather than `_update` on the flat buffers.
Written with NumPy as `torch.optim.Adafactor` is written with tensors. Read optimizer.py and
adam.py first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..errors import ArgumentError
from ..tensor import Tensor
from .lbfgs import _evaluate
from .optimizer import Optimizer, lerp_


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018), as `torch.optim.Adafactor` (PyTorch's variant:
    no first moment, a relative step size, and weight decay applied to theta directly).

    Update rule, per parameter theta (of n elements) with gradient grad, at step t = 1, 2, ...
    (PyTorch's algorithm)::

        g = -grad if maximize else grad
        beta2_t = 1 - t**beta2_decay                        # forgets less as t grows
        rho = min(lr, 1 / sqrt(t))
        alpha = max(eps2, ||theta|| / sqrt(n)) * rho         # a step relative to theta's size
        theta = theta * (1 - lr * weight_decay)
        if theta has 2 or more dims:                         # factored, over the last two
            R = beta2_t * R + (1 - beta2_t) * mean(g^2 over the last dim)     # one per row
            C = beta2_t * C + (1 - beta2_t) * mean(g^2 over the dim before)   # one per column
            v = (R @ C) / max(mean(R over rows), eps1)        # a rank-1 estimate of g^2
        else:
            v = beta2_t * v + (1 - beta2_t) * g^2
        u = g / sqrt(max(v, eps1^2))
        theta = theta - alpha / max(1, ||u|| / (sqrt(n) * d)) * u      # update clipping by d

    State per parameter: 'step', and 'row_var' (R) and 'col_var' (C) for a parameter of 2 or
    more dims, 'variance' (v) for a vector or a number.

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: the largest relative step, rho's cap (default 1e-2).
        beta2_decay: the power of the decay of beta2_t, <= 0 (default -0.8).
        eps: (eps1, eps2): eps1 floors the variance (None: the dtype's machine epsilon),
            eps2 the size of theta in alpha (default (None, 1e-3)).
        d: the clipping threshold of the update's RMS, >= 1 (default 1.0).
        weight_decay: decoupled weight decay (default 0).
        maximize: maximize the objective instead of minimizing it.
        foreach: accepted for PyTorch compatibility and ignored.

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
        >>> opt = optim.Adafactor([w])
        >>> (w * w).sum().backward()
        >>> opt.step()                    # a step of about ||w|| / 2 * lr (clipped by d)
        >>> [[round(x, 4) for x in row] for row in w.tolist()]
        [[0.9732, -1.9834], [0.4902, 2.9817]]
    """

    # eps is a pair here, checked in _check_hyperparameters
    _nonnegative = {k: v for k, v in Optimizer._nonnegative.items() if k != "eps"}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        if not group["beta2_decay"] <= 0.0:
            raise ArgumentError(
                f"Adafactor: beta2_decay={group['beta2_decay']} must be <= 0: beta2_t = 1 - "
                f"t**beta2_decay must grow toward 1 (typical: -0.8)."
            )
        eps = group["eps"]
        if not (isinstance(eps, (tuple, list)) and len(eps) == 2):
            raise ArgumentError(f"Adafactor: eps must be a pair (eps1, eps2), got {eps!r}.")
        if (eps[0] is not None and not eps[0] >= 0.0) or not eps[1] >= 0.0:
            raise ArgumentError(
                f"Adafactor: eps={tuple(eps)} must hold numbers >= 0 (eps1 may be None: the "
                f"dtype's machine epsilon). Typical: eps=(None, 1e-3)."
            )
        if not group["d"] >= 1.0:
            raise ArgumentError(
                f"Adafactor: d={group['d']} must be >= 1: it is the largest RMS an update "
                f"may have before it is scaled down."
            )

    def _adopt_state(self, flat) -> None:
        """Adafactor's row and column state does not have the parameters' shapes: it stays
        as it is, out of the flat buffers (see Optimizer._adopt_state)."""

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step on every parameter that has a gradient.

        Args:
            closure: optional function that re-evaluates the model and returns the loss.
        """
        loss = None if closure is None else _evaluate(closure)
        self._opt_called = True
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p._note_write()
                    self._update_one(group, p.array, p.grad.array, self.state[p])
        return loss

    def _update_one(self, group, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
        lr, d, wd = float(group["lr"]), float(group["d"]), float(group["weight_decay"])
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(param.dtype).eps)
        if not state:
            state["step"] = Tensor._make(np.zeros((), np.float32))
            if grad.ndim > 1:
                row_shape, col_shape = list(grad.shape), list(grad.shape)
                row_shape[-1], col_shape[-2] = 1, 1
                state["row_var"] = Tensor._make(np.zeros(row_shape, grad.dtype))
                state["col_var"] = Tensor._make(np.zeros(col_shape, grad.dtype))
            else:
                state["variance"] = Tensor._make(np.zeros_like(grad))
        if group["maximize"]:
            grad = -grad
        step = state["step"].array
        step += 1
        t = float(step)
        one_minus_beta2_t = t ** float(group["beta2_decay"])
        rho_t = min(lr, 1 / (t**0.5))
        alpha = max(eps2, float(np.linalg.norm(param)) / (param.size**0.5)) * rho_t
        if wd != 0:
            param *= 1 - lr * wd
        if grad.ndim > 1:
            row_var, col_var = state["row_var"].array, state["col_var"].array
            # mean of g^2 over the last dim (rows) and over the dim before (columns)
            row_mean = np.square(np.linalg.norm(grad, axis=-1, keepdims=True)) / grad.shape[-1]
            lerp_(row_var, row_mean, one_minus_beta2_t, np.empty_like(row_var))
            col_mean = np.square(np.linalg.norm(grad, axis=-2, keepdims=True)) / grad.shape[-2]
            lerp_(col_var, col_mean, one_minus_beta2_t, np.empty_like(col_var))
            var_estimate = row_var @ col_var  # (..., rows, 1) @ (..., 1, cols): rank 1
            var_estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"].array
            lerp_(variance, grad * grad, one_minus_beta2_t, np.empty_like(variance))
            var_estimate = variance.copy()
        # u = g / sqrt(max(v, eps1^2))   (PyTorch: rsqrt, then times g)
        update = 1 / np.sqrt(np.maximum(var_estimate, eps1 * eps1))
        update *= grad
        denom = max(1.0, float(np.linalg.norm(update)) / ((update.size**0.5) * d))
        param += (-alpha / denom) * update
