"""RAdam: Adam that takes plain momentum steps until its variance estimate can be trusted.

`_update` is the algorithm on NumPy arrays, in PyTorch's order of floating-point operations.
Read optimizer.py first for the flat buffers, and adam.py for Adam itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, decayed_gradient, lerp_, square_avg_


class RAdam(Optimizer):
    """RAdam (Liu et al., 2020, "On the Variance of the Adaptive Learning Rate and Beyond"),
    as `torch.optim.RAdam`.

    Update rule, per parameter theta with gradient grad, at step t = 1, 2, ...
    (PyTorch's algorithm)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            if decoupled_weight_decay:
                theta = theta - lr * weight_decay * theta
            else:
                g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1                  # the longest moving average
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5:                                  # v is reliable: rectified Adam step
            l = sqrt(1 - beta2**t) / (sqrt(v) + eps)
            r = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            theta = theta - lr * m_hat * l * r
        else:                                          # the first few steps: momentum SGD
            theta = theta - lr * m_hat

    State per parameter: 'step' (t), 'exp_avg' (m) and 'exp_avg_sq' (v).

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2), the decay rates of the two running averages, each in [0, 1).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: weight decay (default 0): L2 through the gradient, or decoupled.
        decoupled_weight_decay: shrink theta directly, as AdamW does.
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                    # rho_1 = 1 <= 5: a momentum step, lr * g
        >>> [round(x, 4) for x in w.tolist()]
        [0.8, -1.6]
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas) if isinstance(betas, list) else betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _state_names(self, group: dict) -> tuple[str, ...]:
        return ("exp_avg", "exp_avg_sq")

    def _n_temporaries(self, group: dict) -> int:
        return 3

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        scaled, adaptive, g = tmp
        grad = decayed_gradient(group, param, grad, g, scaled)
        # m = m + (1 - beta1) * (g - m);  v = v * beta2 + ((1 - beta2) * g) * g
        lerp_(exp_avg, grad, 1.0 - beta1, scaled)
        square_avg_(exp_avg_sq, grad, beta2, scaled)

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        # update = (m / (1 - beta1**t)) * lr
        np.divide(exp_avg, bias_correction1, out=scaled)
        scaled *= lr
        if rho_t > 5.0:
            # l = (1 / (sqrt(v) + eps)) * sqrt(1 - beta2**t)   (PyTorch's c / x is 1/x * c)
            np.sqrt(exp_avg_sq, out=adaptive)
            adaptive += eps
            np.reciprocal(adaptive, out=adaptive)
            adaptive *= bias_correction2**0.5
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            scaled *= adaptive
            scaled *= rect
        param -= scaled
