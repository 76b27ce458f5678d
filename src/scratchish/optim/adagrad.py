"""Adagrad: each weight's step shrinks with the sum of all its past squared gradients.

`_update` is the algorithm on NumPy arrays, in PyTorch's order of floating-point operations.
Read optimizer.py first for the flat buffers, and rmsprop.py for the running-average cousin.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, decayed_gradient


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer, 2011), as `torch.optim.Adagrad`.

    Update rule, per parameter theta with gradient grad, at step t = 1, 2, ...
    (PyTorch's algorithm)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        clr = lr / (1 + (t - 1) * lr_decay)       # the decayed learning rate
        s = s + g * g                             # the sum of squared gradients so far
        theta = theta - clr * g / (sqrt(s) + eps)

    Weights with large gradients so far take small steps, rare ones large steps; the steps
    only ever shrink (RMSprop and Adam replace the sum by a running average).

    State per parameter: 'step' (t) and 'sum' (s), which starts at initial_accumulator_value.
    As in PyTorch the state is created when the optimizer is built, not at the first step.

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: the starting value of the sum (default 0).
        eps: added to the denominator for numerical stability (default 1e-10).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused: accepted for PyTorch compatibility and ignored (scratchish always
            updates all parameters at once through one flat buffer).
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                    # g / sqrt(g^2) = sign(g): each weight moves by lr
        >>> [round(x, 4) for x in w.tolist()]
        [0.9, -1.9]
    """

    _nonnegative = {
        **Optimizer._nonnegative,
        "lr_decay": "lr_decay shrinks the learning rate as lr / (1 + (t - 1) * lr_decay); a "
        "negative one would grow it without bound",
        "initial_accumulator_value": "it is the starting sum of squared gradients, which "
        "cannot be negative",
    }

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)
        # PyTorch creates Adagrad's state here, so state_dict() lists it before any step
        for index, group in enumerate(self.param_groups):
            for flat in self._flats_of(index, group):
                for i in range(len(flat.params)):
                    self._init_state(flat, i, self._state_names(group), group)

    def _state_names(self, group: dict) -> tuple[str, ...]:
        return ("sum",)

    def _state_init_value(self, group: dict, name: str) -> float:
        return float(group["initial_accumulator_value"])

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        scaled, std = tmp
        g = decayed_gradient(group, param, grad, std, scaled)
        clr = lr / (1 + (step - 1) * lr_decay)
        # s = s + g * g
        state_sum = state["sum"]
        np.square(g, out=scaled)
        state_sum += scaled
        # theta = theta + (-clr * g) / (sqrt(s) + eps)
        np.multiply(g, -clr, out=scaled)
        np.sqrt(state_sum, out=std)  # g (if it lives in std) is not needed any more
        std += eps
        scaled /= std
        param += scaled
