"""Adamax: Adam with the infinity norm, a running maximum of |g|, in place of the RMS.

`_update` is the algorithm on NumPy arrays, in PyTorch's order of floating-point operations.
Read optimizer.py first for the flat buffers, and adam.py for Adam itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, decayed_gradient, lerp_


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2015, section 7.1), as `torch.optim.Adamax`.

    Update rule, per parameter theta with gradient grad, at step t = 1, 2, ...
    (PyTorch's algorithm)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g               # first moment, as Adam
        u = max(beta2 * u, abs(g) + eps)              # a decaying maximum of |g|
        theta = theta - lr / (1 - beta1**t) * m / u

    State per parameter: 'step' (t), 'exp_avg' (m) and 'exp_inf' (u).

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: learning rate (default 2e-3).
        betas: (beta1, beta2), the decay of m and of u, each in [0, 1).
        eps: added to |g| for numerical stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                    # the first step moves each weight by about lr
        >>> [round(x, 4) for x in w.tolist()]
        [0.9, -1.9]
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas) if isinstance(betas, list) else betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _state_names(self, group: dict) -> tuple[str, ...]:
        return ("exp_avg", "exp_inf")

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        scaled, g = tmp
        grad = decayed_gradient(group, param, grad, g, scaled)
        # m = m + (1 - beta1) * (g - m)
        lerp_(exp_avg, grad, 1.0 - beta1, scaled)
        # u = max(u * beta2, |g| + eps)
        exp_inf *= beta2
        np.abs(grad, out=scaled)
        scaled += eps
        np.maximum(exp_inf, scaled, out=exp_inf)
        # theta = theta + (-clr * m) / u
        clr = lr / (1 - beta1**step)
        np.multiply(exp_avg, -clr, out=scaled)
        scaled /= exp_inf
        param += scaled
