"""Rprop: each weight keeps its own step size, grown while its gradient keeps its sign and
shrunk when the sign flips; only the sign of the gradient is used.

`_update` is the algorithm on NumPy arrays, in PyTorch's order of operations.
Read optimizer.py first for the flat buffers, and sgd.py for the plain step.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import ArgumentError
from .optimizer import Optimizer


class Rprop(Optimizer):
    """Rprop, resilient backpropagation (Riedmiller & Braun, 1993), as `torch.optim.Rprop`.

    Update rule, per parameter theta with gradient grad (PyTorch's algorithm; the step
    sizes start at lr)::

        g = -grad if maximize else grad
        same = g * g_prev                          # > 0: same sign as last step
        factor = etaplus if same > 0 else etaminus if same < 0 else 1
        step_size = clamp(step_size * factor, step_size_min, step_size_max)
        if same < 0:
            g = 0                                  # the sign flipped: pause this weight
        theta = theta - sign(g) * step_size
        g_prev = g

    Made for full-batch training: with mini-batches the sign of the gradient flips often.

    State per parameter: 'step', 'prev' (g_prev) and 'step_size'.

    Args:
        params: tensors or param-group dicts to optimize (e.g. `model.parameters()`).
        lr: the initial step size of every weight (default 1e-2).
        etas: (etaminus, etaplus), the shrink and growth factors, 0 < etaminus < 1 < etaplus
            (default (0.5, 1.2)).
        step_sizes: (step_size_min, step_size_max), the bounds of a step (default (1e-6, 50)).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False (the step is not recorded in a graph).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Rprop([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                    # each weight moves by lr against its gradient's sign
        >>> [round(x, 4) for x in w.tolist()]
        [0.9, -1.9]
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict) -> None:
        super()._check_hyperparameters(group)
        for key, example in (("etas", "(0.5, 1.2)"), ("step_sizes", "(1e-6, 50)")):
            pair = group[key]
            if not (
                isinstance(pair, (tuple, list))
                and len(pair) == 2
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in pair)
            ):
                raise ArgumentError(
                    f"Rprop: {key} must be a pair of numbers such as {example}, got {pair!r}."
                )
        etaminus, etaplus = group["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ArgumentError(
                f"Rprop: etas=({etaminus}, {etaplus}) must satisfy 0 < etaminus < 1 < etaplus: "
                f"a step shrinks by etaminus when the gradient flips sign and grows by etaplus "
                f"when it keeps it. Typical: etas=(0.5, 1.2)."
            )

    def _state_names(self, group: dict) -> tuple[str, ...]:
        return ("prev", "step_size")

    def _state_init_value(self, group: dict, name: str) -> float:
        return float(group["lr"]) if name == "step_size" else 0.0

    def _n_temporaries(self, group: dict) -> int:
        return 3

    def _update(self, group, param, grad, state, tmp, step, fresh) -> None:
        etaminus, etaplus = (float(e) for e in group["etas"])
        step_size_min, step_size_max = (float(s) for s in group["step_sizes"])
        prev, step_size = state["prev"], state["step_size"]
        same, factor, g = tmp
        if group["maximize"]:
            grad = np.negative(grad, out=g)
        # factor = etaplus where g * g_prev > 0, etaminus where < 0, 1 where 0
        np.multiply(grad, prev, out=same)
        flipped = same < 0
        factor.fill(1)
        np.copyto(factor, etaplus, where=same > 0)
        np.copyto(factor, etaminus, where=flipped)
        # step_size = clamp(step_size * factor, min, max)
        step_size *= factor
        np.clip(step_size, step_size_min, step_size_max, out=step_size)
        # g_prev = g, with 0 where the sign flipped;  theta = theta - sign(g) * step_size
        np.copyto(prev, grad)
        prev[flipped] = 0
        np.sign(prev, out=same)
        same *= step_size
        param -= same
