"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

The whole algorithm is Adam's (adam.py) with `decoupled_weight_decay=True`: the weights shrink
by lr * weight_decay directly, instead of through the gradient (and so through the moments).
"""

from __future__ import annotations

from collections.abc import Iterable

from .adam import Adam


class AdamW(Adam):
    """AdamW, as `torch.optim.AdamW`: Adam whose weight decay does not go through the moments.

    Update rule, per parameter theta with gradient grad, at step t = 1, 2, ...::

        g = -grad if maximize else grad
        theta = theta - lr * weight_decay * theta   # decoupled: before, and apart from, Adam
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        if amsgrad:
            v_max = max(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (sqrt(v_hat) + eps)

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2), the decay rates of the two running averages, each in [0, 1).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: decoupled weight decay (default 1e-2, unlike Adam's 0).
        amsgrad: use the AMSGrad variant.
        maximize: maximize the objective instead of minimizing it.
        foreach, fused, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()                    # w * (1 - 0.1 * 0.5), then Adam's step of about lr
        >>> [round(x, 4) for x in w.tolist()]
        [0.85, -1.8]
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # as PyTorch: AdamW always decouples
            group["decoupled_weight_decay"] = True
