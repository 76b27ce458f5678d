"""SGD: stochastic gradient descent, optionally with momentum, Nesterov, weight decay.

The simplest optimizer and the one to read first: `_update` is the whole algorithm, on NumPy
arrays. The bookkeeping (groups, state, flat buffers) is in optimizer.py. Read next: adam.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import ArgumentError
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as `torch.optim.SGD`.

    Update rule, per parameter theta with gradient grad (PyTorch's algorithm)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            if first step:
                b = g
            else:
                b = momentum * b + (1 - dampening) * g
            if nesterov:
                g = g + momentum * b
            else:
                g = b
        theta = theta - lr * g

    `b` is `state[p]['momentum_buffer']`. (PyTorch's docs apply `maximize` at the end, as
    theta + lr * g; its code, and this one, negate the gradient first.)

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused: accepted for PyTorch compatibility and ignored (scratchish always
            updates all parameters at once through one flat buffer).
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward()      # grad = 2 * w = [2, 4]
        >>> opt.step()                    # w = w - 0.1 * grad
        >>> w.tolist()
        [0.800000011920929, 1.600000023841858]
    """

    _uses_step = False

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict) -> None:
        super()._check_hyperparameters(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ArgumentError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0 (got "
                f"momentum={group['momentum']}, dampening={group['dampening']}): Nesterov "
                f"looks ahead along the momentum. Try SGD(params, lr, momentum=0.9, "
                f"nesterov=True)."
            )

    def _state_names(self, group: dict) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, wd = float(group["dampening"]), float(group["weight_decay"])
        g, scaled = grad, tmp[1]
        if group["maximize"]:
            g = np.negative(grad, out=tmp[0])
        if wd != 0:
            # g = g + wd * theta
            np.multiply(param, wd, out=scaled)
            g = np.add(g, scaled, out=tmp[0])
        if momentum != 0:
            buf = state["momentum_buffer"]
            if fresh:
                np.copyto(buf, g)  # b = g on the first step
            else:
                # b = momentum * b + (1 - dampening) * g
                buf *= momentum
                if dampening != 0:
                    buf += np.multiply(g, 1.0 - dampening, out=scaled)
                else:
                    buf += g
            if group["nesterov"]:
                # g = g + momentum * b
                np.multiply(buf, momentum, out=scaled)
                g = np.add(g, scaled, out=tmp[0])
            else:
                g = buf
        # theta = theta - lr * g
        param += np.multiply(g, -lr, out=scaled)
