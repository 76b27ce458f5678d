"""NAdam: Adam whose momentum looks one step ahead (Nesterov momentum), with a warm-up of mu.

`_update` is the algorithm on NumPy arrays, in PyTorch's order of floating-point operations.
Read optimizer.py first for the flat buffers, and adam.py for Adam itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, decayed_gradient, lerp_, square_avg_


class NAdam(Optimizer):
    """NAdam (Dozat, 2016), as `torch.optim.NAdam`.

    Update rule, per parameter theta with gradient grad, at step t = 1, 2, ...
    (PyTorch's algorithm)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            if decoupled_weight_decay:
                theta = theta - lr * weight_decay * theta
            else:
                g = g + weight_decay * theta
        mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))         # momentum warm-up
        mu_next = beta1 * (1 - 0.5 * 0.96**((t + 1) * momentum_decay))
        mu_product = mu_product * mu_t                                # mu_1 * ... * mu_t
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2**t)) + eps
        theta = theta - lr * (1 - mu_t) / (1 - mu_product) * g / denom
        theta = theta - lr * mu_next / (1 - mu_product * mu_next) * m / denom

    The last two lines are Adam's step split into the current gradient and the momentum
    after one more step: that look-ahead is Nesterov's idea.

    State per parameter: 'step' (t), 'mu_product' (a float32 number, as in PyTorch),
    'exp_avg' (m) and 'exp_avg_sq' (v).

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: learning rate (default 2e-3).
        betas: (beta1, beta2), the decay rates of the two running averages, each in [0, 1).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: weight decay (default 0): L2 through the gradient, or decoupled.
        momentum_decay: how fast mu_t warms up to beta1 (default 4e-3).
        decoupled_weight_decay: shrink theta directly, as AdamW does (NAdamW).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                    # about lr, a little more: the look-ahead
        >>> [round(x, 4) for x in w.tolist()]
        [0.8944, -1.8944]
    """

    _scalar_states = ("mu_product",)
    _nonnegative = {
        **Optimizer._nonnegative,
        "momentum_decay": "it sets how fast the momentum warms up to beta1; a negative one "
        "would make it fall instead",
    }

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _state_names(self, group: dict) -> tuple[str, ...]:
        return ("exp_avg", "exp_avg_sq")

    def _state_init_value(self, group: dict, name: str) -> float:
        return 1.0 if name == "mu_product" else 0.0

    def _n_temporaries(self, group: dict) -> int:
        return 3

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        momentum_decay = float(group["momentum_decay"])
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        scaled, denom, g = tmp
        grad = decayed_gradient(group, param, grad, g, scaled)
        bias_correction2 = 1 - beta2**step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        # mu_product is a float32 number in PyTorch, so the product is rounded to float32
        mu_product = float(np.float32(state["mu_product"]) * np.float32(mu))
        state["mu_product"] = mu_product
        # m = m + (1 - beta1) * (g - m);  v = v * beta2 + ((1 - beta2) * g) * g
        lerp_(exp_avg, grad, 1.0 - beta1, scaled)
        square_avg_(exp_avg_sq, grad, beta2, scaled)
        # denom = sqrt(v / (1 - beta2**t)) + eps
        np.divide(exp_avg_sq, bias_correction2, out=denom)
        np.sqrt(denom, out=denom)
        denom += eps
        # theta = theta + (c1 * g) / denom + (c2 * m) / denom
        mu_product_next = mu_product * mu_next
        np.multiply(grad, -lr * (1.0 - mu) / (1.0 - mu_product), out=scaled)
        scaled /= denom
        param += scaled
        np.multiply(exp_avg, (-lr * mu_next) / (1.0 - mu_product_next), out=scaled)
        scaled /= denom
        param += scaled
