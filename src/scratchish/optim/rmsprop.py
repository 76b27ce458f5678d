"""RMSprop: divide each step by a running root-mean-square of recent gradients (Hinton, 2012).

`_update` is the algorithm on NumPy arrays, in PyTorch's order of floating-point operations.
Read optimizer.py first for the flat buffers, and adam.py for the related Adam.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, decayed_gradient, lerp_, square_avg_


class RMSprop(Optimizer):
    """RMSprop, as `torch.optim.RMSprop`.

    Update rule, per parameter theta with gradient grad (PyTorch's algorithm)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g * g       # running mean of g^2
        v_tilde = v
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            v_tilde = v_tilde - g_avg * g_avg     # a running variance instead
        if momentum > 0:
            b = momentum * b + g / (sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (sqrt(v_tilde) + eps)

    State per parameter: 'step', 'square_avg' (v), 'momentum_buffer' (b) if momentum > 0,
    'grad_avg' (g_avg) if centered.

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the running averages (default 0.99).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by an estimate of the gradient's variance rather than its
            second moment.
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> opt.step()                    # g / sqrt(0.01 * g^2) = 10 * sign(g)
        >>> [round(x, 4) for x in w.tolist()]
        [0.9, -1.9]
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _state_names(self, group: dict) -> tuple[str, ...]:
        names = ("square_avg",)
        if group["momentum"] > 0:
            names += ("momentum_buffer",)
        if group["centered"]:
            names += ("grad_avg",)
        return names

    def _n_temporaries(self, group: dict) -> int:
        return 3

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        momentum = float(group["momentum"])
        scaled, avg, g = tmp
        grad = decayed_gradient(group, param, grad, g, scaled)
        # v = v * alpha + ((1 - alpha) * g) * g
        square_avg = state["square_avg"]
        square_avg_(square_avg, grad, alpha, scaled)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            lerp_(grad_avg, grad, 1.0 - alpha, scaled)
            # avg = sqrt(v - g_avg * g_avg)
            np.square(grad_avg, out=avg)
            np.subtract(square_avg, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(square_avg, out=avg)
        avg += eps
        if momentum > 0:
            # b = b * momentum + g / avg;  theta = theta + (-lr) * b
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += np.divide(grad, avg, out=scaled)
            param += np.multiply(buf, -lr, out=scaled)
        else:
            # theta = theta + ((-lr) * g) / avg
            np.multiply(grad, -lr, out=scaled)
            scaled /= avg
            param += scaled
