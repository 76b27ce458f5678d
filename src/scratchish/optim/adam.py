"""Adam: per-parameter step sizes from running averages of the gradient and its square.

`_update` is the algorithm on NumPy arrays, written in PyTorch's order of floating-point
operations so the numbers match torch.optim.Adam step by step. AdamW (adamw.py) is this class
with decoupled weight decay. Read optimizer.py first for the flat buffers.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, decayed_gradient, lerp_, square_avg_


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015, Algorithm 1), as `torch.optim.Adam`.

    Update rule, per parameter theta with gradient grad, at step t = 1, 2, ...
    (PyTorch's algorithm)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            if decoupled_weight_decay:          # AdamW
                theta = theta - lr * weight_decay * theta
            else:
                g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g         # first moment: a running mean of g
        v = beta2 * v + (1 - beta2) * g * g     # second moment: a running mean of g^2
        m_hat = m / (1 - beta1**t)              # undo the bias toward 0 of the first steps
        if amsgrad:
            v_max = max(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (sqrt(v_hat) + eps)

    State per parameter: 'step' (t), 'exp_avg' (m), 'exp_avg_sq' (v), and 'max_exp_avg_sq'
    (v_max) with amsgrad. Computed as PyTorch does: m is updated by lerp, and the last line as
    theta += -(lr / (1 - beta1**t)) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps).

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2), the decay rates of the two running averages, each in [0, 1).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        amsgrad: use the AMSGrad variant (Reddi et al., 2018).
        maximize: maximize the objective instead of minimizing it.
        decoupled_weight_decay: apply weight decay to theta directly, as AdamW.
        foreach, fused, capturable: accepted for PyTorch compatibility and ignored
            (scratchish always updates all parameters at once through one flat buffer).
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                    # the first step moves each weight by about lr
        >>> [round(x, 4) for x in w.tolist()]
        [0.9, -1.9]
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas) if isinstance(betas, list) else betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _state_names(self, group: dict) -> tuple[str, ...]:
        if group["amsgrad"]:
            return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
        return ("exp_avg", "exp_avg_sq")

    def _n_temporaries(self, group: dict) -> int:
        return 3

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        scaled, denom, g = tmp
        grad = decayed_gradient(group, param, grad, g, scaled)
        # m = m + (1 - beta1) * (g - m);  v = v * beta2 + ((1 - beta2) * g) * g
        lerp_(exp_avg, grad, 1.0 - beta1, scaled)
        square_avg_(exp_avg_sq, grad, beta2, scaled)

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"]
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            exp_avg_sq = max_exp_avg_sq
        # denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        np.sqrt(exp_avg_sq, out=denom)
        denom /= bias_correction2_sqrt
        denom += eps
        # theta = theta + (-step_size * m) / denom
        np.multiply(exp_avg, -step_size, out=scaled)
        scaled /= denom
        param += scaled
