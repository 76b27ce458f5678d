"""ASGD: plain SGD whose step size decays, plus a running average of the weights to use at
the end (Polyak-Ruppert averaging).

`_update` is the algorithm on NumPy arrays, in PyTorch's order of floating-point operations.
Read optimizer.py first for the flat buffers, and sgd.py for SGD itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, decayed_gradient


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky, 1992), as `torch.optim.ASGD`.

    Update rule, per parameter theta with gradient grad, at step t = 1, 2, ...
    (PyTorch's algorithm; eta starts at lr and mu at 1)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        theta = theta * (1 - lambd * eta)          # a decay toward zero
        theta = theta - eta * g                    # the SGD step
        if mu != 1:
            ax = ax + mu * (theta - ax)            # the running average of theta
        else:
            ax = theta
        eta = lr / (1 + lambd * lr * t)**alpha     # the step size for the next step
        mu = 1 / max(1, t - t0)                    # average from step t0 on

    The averaged weights are `optimizer.state[p]['ax']`; copy them into the model to use
    them (PyTorch does not do it for you either).

    State per parameter: 'step' (t), 'eta' and 'mu' (float32 numbers, as in PyTorch), 'ax'.

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: learning rate (default 1e-2).
        lambd: decay term (default 1e-4).
        alpha: power of the step-size decay (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.ASGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                    # SGD: w - 0.1 * 2w, and a tiny decay
        >>> [round(x, 4) for x in w.tolist()]
        [0.8, -1.6]
    """

    _scalar_states = ("eta", "mu")
    # alpha is the power of the decay here, not a smoothing constant: PyTorch does not check it
    _nonnegative = {k: v for k, v in Optimizer._nonnegative.items() if k != "alpha"}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _state_names(self, group: dict) -> tuple[str, ...]:
        return ("ax",)

    def _state_init_value(self, group: dict, name: str) -> float:
        return {"eta": float(group["lr"]), "mu": 1.0}.get(name, 0.0)

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        lr, lambd, alpha = float(group["lr"]), float(group["lambd"]), float(group["alpha"])
        t0 = float(group["t0"])
        scaled, g = tmp
        grad = decayed_gradient(group, param, grad, g, scaled)
        eta, mu = state["eta"], state["mu"]
        # theta = theta * (1 - lambd * eta);  theta = theta + (-eta) * g
        param *= 1 - lambd * eta
        param += np.multiply(grad, -eta, out=scaled)
        ax = state["ax"]
        if mu != 1:
            # ax = ax + (theta - ax) * mu
            np.subtract(param, ax, out=scaled)
            scaled *= mu
            ax += scaled
        else:
            np.copyto(ax, param)
        state["eta"] = lr / ((1 + lambd * lr * step) ** alpha)
        state["mu"] = 1 / max(1, step - t0)
