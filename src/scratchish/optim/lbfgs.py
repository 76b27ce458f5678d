"""L-BFGS: a quasi-Newton method that builds a picture of the loss's curvature from the last
few steps, and needs a closure because one step evaluates the loss several times.

Unlike the other optimizers it does not use `_update` on the flat buffers: its state is one
flat vector for the whole model, and a step is a loop of evaluations. Written with NumPy as
`torch.optim.LBFGS` is written with tensors, line for line, so the numbers match. Read
optimizer.py and sgd.py first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..errors import ArgumentError, DTypeError
from ..tensor import Tensor
from .optimizer import Optimizer


class LBFGS(Optimizer):
    """L-BFGS (Nocedal, 1980; Liu & Nocedal, 1989), as `torch.optim.LBFGS`: heavily inspired
    by minFunc, with an optional strong-Wolfe line search.

    One `step(closure)` runs up to max_iter iterations (PyTorch's algorithm)::

        g = gradient of the loss (closure() then the parameters' .grad), as one flat vector
        for each iteration k = 1, 2, ...:
            if this is the very first iteration:  d = -g,  H = 1
            else:
                y = g - g_prev;  s = t * d               # the last change of g and of theta
                if y . s > 1e-10: remember (y, s), forgetting the oldest past history_size;
                                  H = (y . s) / (y . y)  # a scale for the inverse Hessian
                d = -(inverse Hessian estimate) @ g      # the two-loop recursion over (y, s)
            t = lr (min(1, 1 / sum|g|) * lr on the very first iteration)
            if g . d > -tolerance_change: stop           # not a descent direction any more
            line_search_fn None:    theta = theta + t * d, then re-evaluate the loss and g
            'strong_wolfe':         search t along d until the strong Wolfe conditions hold
            stop after max_iter iterations or max_eval evaluations, or when max |g| <=
            tolerance_grad, max |t * d| <= tolerance_change or the loss changed less than
            tolerance_change

    The closure must zero the gradients, compute the loss, call backward and return the loss.
    It is called with gradients enabled.

    State (PyTorch's layout, all under the first parameter, as one optimizer-wide state):
    'func_evals', 'n_iter', 'd', 't', 'old_dirs', 'old_stps', 'ro', 'H_diag',
    'prev_flat_grad', 'prev_loss' and 'al'.

    Args:
        params: the tensors to optimize: one param group only (as PyTorch).
        lr: learning rate, the step along d (default 1).
        max_iter: iterations per step() (default 20).
        max_eval: loss evaluations per step() (default max_iter * 5 // 4).
        tolerance_grad: stop when max |g| is at most this (default 1e-7).
        tolerance_change: stop when the step or the loss changes less (default 1e-9).
        history_size: how many (y, s) pairs to remember (default 100).
        line_search_fn: None or 'strong_wolfe'.

    Where we differ from PyTorch: all parameters must share one dtype (PyTorch concatenates
    the gradients of mixed dtypes into the promoted dtype); sparse and complex parameters do
    not exist in scratchish.

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> w = sh.tensor([3.0, -2.0], dtype=sh.float64, requires_grad=True)
        >>> opt = optim.LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((w - sh.tensor([1.0, 1.0], dtype=sh.float64)) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> loss = opt.step(closure)      # a quadratic: solved within one step
        >>> [round(x, 6) for x in w.tolist()]
        [1.0, 1.0]
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ArgumentError(
                f"LBFGS: line_search_fn={line_search_fn!r} is unknown: only None (a fixed step "
                f"of lr) and 'strong_wolfe' are supported, as in PyTorch."
            )
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        self._check_hyperparameters(defaults)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ArgumentError(
                "LBFGS doesn't support per-parameter options (parameter groups): give it one "
                "list of parameters, e.g. LBFGS(model.parameters())."
            )
        if len({p.array.dtype for p in self._params}) > 1:
            raise DTypeError(
                f"LBFGS: the parameters have several dtypes "
                f"({sorted({str(p.dtype) for p in self._params})}); LBFGS keeps one flat "
                f"vector of them all. Convert the model to one dtype (model.double())."
            )

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ArgumentError(
                "LBFGS doesn't support per-parameter options (parameter groups): build it "
                "with all the parameters at once."
            )
        super().add_param_group(param_group)

    def _adopt_state(self, flat) -> None:
        """LBFGS's state is about the whole flat vector, not per parameter: nothing to move
        into the flat buffers (see Optimizer._adopt_state)."""

    # ------------------------------------------------------------------ flat vectors
    def _gather_flat_grad(self) -> np.ndarray:
        """All gradients as one new flat array (zeros for a parameter without one)."""
        return np.concatenate(
            [
                np.zeros(p.array.size, p.array.dtype) if p.grad is None else p.grad.array.ravel()
                for p in self._params
            ]
        )

    def _add_grad(self, step_size, update: np.ndarray) -> None:
        """theta = theta + step_size * update, parameter by parameter."""
        offset = 0
        for p in self._params:
            n = p.array.size
            p._note_write()
            p.array += step_size * update[offset : offset + n].reshape(p.array.shape)
            offset += n

    def _clone_param(self) -> list[np.ndarray]:
        return [p.array.copy() for p in self._params]

    def _set_param(self, values: list[np.ndarray]) -> None:
        for p, value in zip(self._params, values):
            p._note_write()
            np.copyto(p.array, value)

    def _directional_evaluate(self, closure, x, t, d) -> tuple[float, np.ndarray]:
        """The loss and gradient at x + t * d (the parameters are put back to x after)."""
        self._add_grad(t, d)
        loss = float(_evaluate(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ the step
    def step(self, closure: Callable[[], Any] | None = None):  # type: ignore[override]
        """Run up to max_iter L-BFGS iterations; returns the loss from the first evaluation.

        Args:
            closure: re-evaluates the model and returns the loss (required).
        """
        if closure is None:
            raise ArgumentError(
                "LBFGS.step needs a closure: a function that zeroes the gradients, computes "
                "the loss, calls loss.backward() and returns the loss, e.g. "
                "opt.step(closure). L-BFGS evaluates the loss several times per step."
            )
        self._opt_called = True
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = _evaluate(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        opt_cond = np.abs(flat_grad).max() <= tolerance_grad
        if opt_cond:  # already at a minimum (as far as tolerance_grad can tell)
            return orig_loss

        # the memory of earlier steps (numbers of the parameters' dtype, as PyTorch's 0-d
        # tensors: NumPy scalars keep float32 arithmetic in float32 too)
        d, t = _unwrap(state.get("d")), _unwrap(state.get("t"))
        old_dirs, old_stps = _unwrap(state.get("old_dirs")), _unwrap(state.get("old_stps"))
        ro, H_diag = _unwrap(state.get("ro")), _unwrap(state.get("H_diag"))  # noqa: N806
        prev_flat_grad = _unwrap(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")
        al = _unwrap(state.get("al"))

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # ---- the descent direction d
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1  # noqa: N806
            else:
                y = flat_grad - prev_flat_grad  # how the gradient changed
                s = d * t  # how theta changed
                ys = y.dot(s)
                if ys > 1e-10:  # curvature is positive along s: remember the pair
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)  # noqa: N806 - the scale of the initial Hessian
                # the two-loop recursion: d = -H^-1 g from the remembered pairs
                num_old = len(old_dirs)
                if al is None:
                    al = [None] * history_size
                    state["al"] = al  # (here, for PyTorch's order of state keys)
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q += -al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                np.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss

            # ---- the step length t
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)  # the slope along d
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:  # 'strong_wolfe'
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)  # a fixed step
                if n_iter != max_iter:
                    # re-evaluate only if another iteration follows (PyTorch's reasoning: in
                    # a stochastic setting the last evaluation would be of no use)
                    loss = float(_evaluate(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # ---- stop?
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:  # the step is too small
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss does not move
                break

        # kept as tensors, as PyTorch keeps them, so state_dict() looks the same
        state["d"], state["t"] = _wrap(d), _wrap(t)
        state["old_dirs"], state["old_stps"] = _wrap(old_dirs), _wrap(old_stps)
        state["ro"], state["H_diag"] = _wrap(ro), _wrap(H_diag)
        state["prev_flat_grad"], state["prev_loss"] = _wrap(prev_flat_grad), prev_loss
        if al is not None:
            state["al"] = _wrap(al)
        return orig_loss


def _evaluate(closure):
    with enable_grad():
        return closure()


def _wrap(value):
    """NumPy arrays and scalars in the state become Tensors (lists element by element)."""
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return Tensor._make(np.array(value))
    return value


def _unwrap(value):
    """The inverse of _wrap: Tensors back to arrays, 0-d ones to NumPy scalars."""
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    if isinstance(value, Tensor):
        return value.array[()] if value.ndim == 0 else value.array.copy()
    return value


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, kept
    within bounds (the interval by default); the middle when the cubic has no minimum."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    # d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2);  d2 = sqrt(d1^2 - g1 g2)
    # min_pos = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A line search for t along d that satisfies the strong Wolfe conditions:
    f(x + t d) <= f + c1 t gtd (enough decrease) and |slope at t| <= c2 |gtd| (flat enough).
    First bracket an interval that holds such a t, then zoom in with cubic interpolation.
    Returns (f_new, g_new, t, number of evaluations)."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # ---- bracketing
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # ---- zoom: shrink the bracket until a point satisfies the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break  # the bracket is too small
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # a t too close to an end of the bracket, twice in a row (or outside it), is moved
        # to 10% of the bracket's length from that end
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # not enough decrease, or not below the low end: t becomes the high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True  # the strong Wolfe conditions hold
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the old high end becomes the new low end
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            # t becomes the new low end
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals
