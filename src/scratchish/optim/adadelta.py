"""Adadelta: Adagrad's shrinking steps fixed with running averages, in the weights' own units.

`_update` is the algorithm on NumPy arrays, in PyTorch's order of floating-point operations.
Read optimizer.py first for the flat buffers, and adagrad.py for the algorithm it improves.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import ArgumentError
from .optimizer import Optimizer, decayed_gradient, square_avg_


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as `torch.optim.Adadelta`.

    Update rule, per parameter theta with gradient grad (PyTorch's algorithm)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = rho * v + (1 - rho) * g * g                  # running mean of g^2
        delta = sqrt(u + eps) / sqrt(v + eps) * g        # the step, in units of theta
        u = rho * u + (1 - rho) * delta * delta          # running mean of delta^2
        theta = theta - lr * delta

    The ratio of the two root-mean-squares gives each weight a step size of its own without a
    global learning rate (lr = 1, the default, is the paper's algorithm; lr scales it).

    State per parameter: 'step', 'square_avg' (v) and 'acc_delta' (u).

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: a factor on every step (default 1.0).
        rho: the decay of both running averages, in [0, 1] (default 0.9).
        eps: added inside both square roots (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adadelta([w])
        >>> (w * w).sum().backward()
        >>> opt.step()                    # the first steps are tiny: u starts at 0
        >>> [round(x, 4) for x in w.tolist()]
        [0.9968, -1.9968]
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict) -> None:
        super()._check_hyperparameters(group)
        rho = group["rho"]
        if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0.0 <= rho <= 1.0:
            raise ArgumentError(
                f"Adadelta: rho={rho!r} is outside [0, 1]. rho is the fraction of the running "
                f"averages kept per step (typical: rho=0.9)."
            )

    def _state_names(self, group: dict) -> tuple[str, ...]:
        return ("square_avg", "acc_delta")

    def _n_temporaries(self, group: dict) -> int:
        return 3

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        scaled, delta, g = tmp
        grad = decayed_gradient(group, param, grad, g, scaled)
        # v = v * rho + ((1 - rho) * g) * g
        square_avg_(square_avg, grad, rho, scaled)
        # delta = sqrt(u + eps) / sqrt(v + eps) * g
        np.add(square_avg, eps, out=scaled)
        np.sqrt(scaled, out=scaled)
        np.add(acc_delta, eps, out=delta)
        np.sqrt(delta, out=delta)
        delta /= scaled
        delta *= grad
        # u = u * rho + ((1 - rho) * delta) * delta
        square_avg_(acc_delta, delta, rho, scaled)
        # theta = theta + (-lr) * delta
        param += np.multiply(delta, -lr, out=scaled)
