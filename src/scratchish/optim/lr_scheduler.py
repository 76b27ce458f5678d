"""Learning-rate schedulers: change `group['lr']` of an optimizer as training goes on.

Call `scheduler.step()` once per epoch (or per batch, for OneCycleLR) AFTER `optimizer.step()`.
Each scheduler computes the next lr the way `torch.optim.lr_scheduler` does (most of them
recursively from the current lr, so they chain), so the sequences match PyTorch's to the last
bit. Read optimizer.py first; the schedulers only read and write `param_groups`.
"""

from __future__ import annotations

import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import ArgumentError, DTypeError
from .optimizer import Optimizer

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]


def _check_optimizer(scheduler: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise DTypeError(
            f"{scheduler}: the first argument must be an optimizer (e.g. optim.SGD(...)), "
            f"got {type(optimizer).__name__}."
        )


def _per_group(name: str, optimizer: Optimizer, value) -> list:
    """One value per param group: a list as given, or a single value repeated."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ArgumentError(
                f"{name} must have one value per param group: it has {len(value)} values, "
                f"the optimizer has {len(optimizer.param_groups)} param groups."
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


def _check_whole(name: str, key: str, value, why: str, least: int = 1) -> None:
    """A whole-number argument (T_0, total_iters, ...) that must be >= least."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ArgumentError(f"{name}: {key}={value!r} must be a whole number >= {least}: {why}.")


def _start_momentum_cycle(
    name: str, optimizer: Optimizer, base_momentum, max_momentum, last_epoch: int
) -> tuple[bool, list, list]:
    """For the schedulers that cycle momentum (OneCycleLR, CyclicLR): check that the optimizer
    has one (SGD's momentum, or Adam's beta1), and on a fresh start set it to max_momentum and
    store both bounds in each group. Returns (use_beta1, base_momentums, max_momentums)."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ArgumentError(
            f"{name}(cycle_momentum=True): {type(optimizer).__name__} has no momentum or "
            f"betas to cycle; pass cycle_momentum=False."
        )
    use_beta1 = "betas" in optimizer.defaults
    base_momentums = _per_group("base_momentum", optimizer, base_momentum)
    max_momentums = _per_group("max_momentum", optimizer, max_momentum)
    if last_epoch == -1:
        for m_max, m_base, group in zip(max_momentums, base_momentums, optimizer.param_groups):
            _set_momentum(group, use_beta1, m_max)
            group["max_momentum"] = m_max
            group["base_momentum"] = m_base
    return use_beta1, base_momentums, max_momentums


def _set_momentum(group: dict, use_beta1: bool, value: float) -> None:
    """Set a group's momentum: Adam's beta1, or SGD's (RMSprop's) momentum."""
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


class LRScheduler:
    """Base class of the schedulers: subclasses compute the next lrs in `get_lr()`.

    Constructing a scheduler stores each group's lr as `group['initial_lr']` (the `base_lrs`)
    and takes one initial step, which sets the lr of epoch 0, as PyTorch does.

    Args:
        optimizer: the optimizer whose learning rates change.
        last_epoch: index of the last epoch; -1 (default) starts from the beginning. Give
            another value only when resuming (then each group needs 'initial_lr').

    Attributes:
        last_epoch: the number of `step()` calls so far (0 after construction).
        base_lrs: the learning rates at the start.
    """

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ArgumentError(
                        f"{type(self).__name__}(last_epoch={last_epoch}): param group {i} has "
                        f"no 'initial_lr', which resuming needs. Load the optimizer's state "
                        f"first, or use last_epoch=-1 for a fresh run."
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Count no steps yet and set the lr of epoch 0."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for epoch `last_epoch` (called by `step`)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last `step()`, one per param group."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set each group's lr. Call it after `optimizer.step()`.

        Args:
            epoch: deprecated in PyTorch; jumps to this epoch using the closed form.
        """
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", True):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`: call them "
                "in the opposite order (optimizer.step() first), or the first value of the "
                "schedule is skipped.",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        if epoch is not None:
            warnings.warn(
                "scheduler.step(epoch) is deprecated (as in PyTorch): call scheduler.step() "
                "once per epoch instead.",
                UserWarning,
                stacklevel=2,
            )
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything the scheduler holds except the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from `state_dict()`."""
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch).

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the epoch (or one per param group).
        last_epoch: see LRScheduler.

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> opt = optim.SGD([sh.zeros(2, requires_grad=True)], lr=1.0)
        >>> sched = optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.5**epoch)
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        self.optimizer = optimizer
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ArgumentError(
                    f"LambdaLR: expected {len(optimizer.param_groups)} lr_lambdas (one per "
                    f"param group), but got {len(lr_lambda)}."
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """As the base, but functions and lambdas are not saved (callable objects' attributes
        are)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        lr_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        for fn, saved in zip(self.lr_lambdas, lr_lambdas):
            if saved is not None:
                fn.__dict__.update(saved)

    def get_lr(self) -> list[float]:
        return [
            base_lr * lmbda(self.last_epoch)
            for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs)
        ]


class MultiplicativeLR(LambdaLR):
    """lr = lr * lr_lambda(epoch) at each step after the first.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the epoch giving the factor (or one per param group).
        last_epoch: see LRScheduler.
    """

    def get_lr(self) -> list[float]:
        if self.last_epoch > 0:
            return [
                group["lr"] * lmbda(self.last_epoch)
                for lmbda, group in zip(self.lr_lambdas, self.optimizer.param_groups)
            ]
        return self._current_lrs()


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size): multiply by gamma every step_size epochs.

    Args:
        optimizer: the optimizer.
        step_size: the number of epochs between decays.
        gamma: the factor of each decay (default 0.1).
        last_epoch: see LRScheduler.
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, (int, float)) or step_size <= 0:
            raise ArgumentError(
                f"StepLR: step_size={step_size!r} must be a positive integer (the number of "
                f"epochs between two decays of the lr)."
            )
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs
        ]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones reached): decay at given epochs.

    Args:
        optimizer: the optimizer.
        milestones: epoch indices at which to multiply the lr by gamma (increasing).
        gamma: the factor of each decay (default 0.1).
        last_epoch: see LRScheduler.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        return [
            group["lr"] * self.gamma ** self.milestones[self.last_epoch]
            for group in self.optimizer.param_groups
        ]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [
            base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)
            for base_lr in self.base_lrs
        ]


class ConstantLR(LRScheduler):
    """lr = base_lr * factor until epoch total_iters, then base_lr.

    Args:
        optimizer: the optimizer.
        factor: the factor applied until the milestone, in [0, 1] (default 1/3).
        total_iters: the number of epochs with the factor (default 5).
        last_epoch: see LRScheduler.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if factor > 1.0 or factor < 0:
            raise ArgumentError(f"ConstantLR: factor={factor} must be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
            for base_lr in self.base_lrs
        ]


class LinearLR(LRScheduler):
    """lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters)
    / total_iters): a linear ramp (a warm-up when start_factor < end_factor).

    Args:
        optimizer: the optimizer.
        start_factor: the factor at epoch 0, in (0, 1] (default 1/3).
        end_factor: the factor from epoch total_iters on, in [0, 1] (default 1).
        total_iters: the length of the ramp in epochs (default 5).
        last_epoch: see LRScheduler.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ArgumentError(
                f"LinearLR: start_factor={start_factor} must be in (0, 1]: the lr at epoch 0 "
                f"is base_lr * start_factor (to start from a tiny lr use e.g. 1e-3, not 0)."
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ArgumentError(f"LinearLR: end_factor={end_factor} must be in [0, 1].")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        # the ratio of this epoch's factor to the last one's
        factor = 1.0 + (self.end_factor - self.start_factor) / (
            self.total_iters * self.start_factor
            + (self.last_epoch - 1) * (self.end_factor - self.start_factor)
        )
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr
            * (
                self.start_factor
                + (self.end_factor - self.start_factor)
                * min(self.total_iters, self.last_epoch)
                / self.total_iters
            )
            for base_lr in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch.

    Args:
        optimizer: the optimizer.
        gamma: the factor applied every epoch.
        last_epoch: see LRScheduler.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.

    Computed recursively from the current lr, as PyTorch does (so it chains with other
    schedulers); past T_max the lr rises again (a cosine, period 2 * T_max).

    Args:
        optimizer: the optimizer.
        T_max: the number of epochs of the half cosine, from base_lr down to eta_min.
        eta_min: the lowest lr (default 0).
        last_epoch: see LRScheduler.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        if T_max <= 0:
            raise ArgumentError(
                f"CosineAnnealingLR: T_max={T_max} must be positive: the number of epochs "
                f"to go from the base lr down to eta_min (often the number of epochs)."
            )
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and self.last_epoch > 0:
            return [
                self.eta_min
                + (base_lr - self.eta_min)
                * (1 + math.cos(self.last_epoch * math.pi / self.T_max))
                / 2
                for base_lr in self.base_lrs
            ]
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return [
                group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                for base_lr, group in zip(self.base_lrs, groups)
            ]
        return [
            (1 + math.cos(math.pi * self.last_epoch / self.T_max))
            / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
            * (group["lr"] - self.eta_min)
            + self.eta_min
            for group in groups
        ]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base_lr in self.base_lrs
        ]


class _SchedulerOfSchedulers(LRScheduler):
    """What SequentialLR and ChainedScheduler share: the checks of their schedulers, and a
    state_dict with each child's state under '_schedulers' (PyTorch's layout)."""

    def _check_children(self, schedulers: list, optimizer) -> None:
        name = type(self).__name__
        if len(schedulers) < 1:
            raise ArgumentError(f"{name} expects at least one scheduler, but got none.")
        for i, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise DTypeError(
                    f"{name}: schedulers[{i}] is a {type(scheduler).__name__}, not a scheduler "
                    f"(it has no optimizer)."
                )
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ArgumentError(
                    f"{name} does not support ReduceLROnPlateau (index {i}): its step() needs "
                    f"the metric. Step it yourself, next to this one."
                )
            if scheduler.optimizer is not optimizer:
                raise ArgumentError(
                    f"{name} expects all schedulers to belong to the same optimizer, but "
                    f"scheduler {i} ({type(scheduler).__name__}) has another one."
                )

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        children = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for child, saved in zip(self._schedulers, children):
            child.load_state_dict(saved)


class SequentialLR(_SchedulerOfSchedulers):
    """Run schedulers one after another: schedulers[i] from milestones[i - 1] on.

    Args:
        optimizer: the optimizer (the same for every scheduler).
        schedulers: the schedulers, in order.
        milestones: the epochs at which to switch to the next one (len(schedulers) - 1).
        last_epoch: see LRScheduler.

    Example: a 5-epoch linear warm-up, then a cosine decay::

        warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
        decay = CosineAnnealingLR(opt, T_max=95)
        sched = SequentialLR(opt, [warmup, decay], milestones=[5])
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        self._check_children(schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ArgumentError(
                f"SequentialLR: expected {len(schedulers) - 1} milestones (one fewer than the "
                f"{len(schedulers)} schedulers), but got {len(milestones)}."
            )
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # reset the lrs, undo the initial step each scheduler took when it was built, and
        # take the initial step of the first one only
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._undo_initial_steps(self)
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    def _undo_initial_steps(self, scheduler) -> None:
        if hasattr(scheduler, "_schedulers"):
            for s in scheduler._schedulers:
                self._undo_initial_steps(s)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)  # restart the next scheduler at its epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2017): lr rises from max_lr / div_factor to max_lr,
    then anneals to a much lower lr; momentum (or Adam's beta1) moves the opposite way.
    Step it after every batch.

    Phases (pct = fraction of the phase done, anneal = cos or linear from a to b)::

        two phases (default):   initial_lr -> max_lr      for pct_start * total_steps steps
                                max_lr -> min_lr          for the rest
        three_phase=True:       initial_lr -> max_lr -> initial_lr -> min_lr
        initial_lr = max_lr / div_factor,  min_lr = initial_lr / final_div_factor
        cos anneal:     b + (a - b) / 2 * (cos(pi * pct) + 1)
        linear anneal:  (b - a) * pct + a

    Args:
        optimizer: the optimizer.
        max_lr: the peak lr (or one per param group).
        total_steps: the number of steps in the cycle; or give epochs and steps_per_epoch.
        epochs, steps_per_epoch: total_steps = epochs * steps_per_epoch.
        pct_start: the fraction of the cycle spent raising the lr (default 0.3).
        anneal_strategy: 'cos' (default) or 'linear'.
        cycle_momentum: also cycle momentum (SGD, RMSprop) or beta1 (Adam) (default True).
        base_momentum, max_momentum: the momentum range (defaults 0.85, 0.95).
        div_factor: initial_lr = max_lr / div_factor (default 25).
        final_div_factor: min_lr = initial_lr / final_div_factor (default 1e4).
        three_phase: use the paper's three phases instead of fastai's two.
        last_epoch: the index of the last batch; see LRScheduler.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer("OneCycleLR", optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ArgumentError(
                    f"OneCycleLR: expected a positive integer total_steps, got {total_steps}."
                )
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            for key, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(value, int) or value <= 0:
                    raise ArgumentError(
                        f"OneCycleLR: expected a positive integer {key}, got {value}."
                    )
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ArgumentError(
                "OneCycleLR: give either total_steps, or epochs and steps_per_epoch (e.g. "
                "OneCycleLR(opt, max_lr=0.1, epochs=10, steps_per_epoch=len(dl)))."
            )
        if three_phase:
            self._schedule_phases = [
                {
                    "end_step": float(pct_start * self.total_steps) - 1,
                    "start_lr": "initial_lr",
                    "end_lr": "max_lr",
                    "start_momentum": "max_momentum",
                    "end_momentum": "base_momentum",
                },
                {
                    "end_step": float(2 * pct_start * self.total_steps) - 2,
                    "start_lr": "max_lr",
                    "end_lr": "initial_lr",
                    "start_momentum": "base_momentum",
                    "end_momentum": "max_momentum",
                },
                {
                    "end_step": self.total_steps - 1,
                    "start_lr": "initial_lr",
                    "end_lr": "min_lr",
                    "start_momentum": "max_momentum",
                    "end_momentum": "max_momentum",
                },
            ]
        else:
            self._schedule_phases = [
                {
                    "end_step": float(pct_start * self.total_steps) - 1,
                    "start_lr": "initial_lr",
                    "end_lr": "max_lr",
                    "start_momentum": "max_momentum",
                    "end_momentum": "base_momentum",
                },
                {
                    "end_step": self.total_steps - 1,
                    "start_lr": "max_lr",
                    "end_lr": "min_lr",
                    "start_momentum": "base_momentum",
                    "end_momentum": "max_momentum",
                },
            ]
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ArgumentError(
                f"OneCycleLR: pct_start={pct_start!r} must be a float between 0 and 1 (the "
                f"fraction of the cycle spent raising the lr)."
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ArgumentError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}."
            )
        self._anneal_func_type = anneal_strategy

        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for max_lr_i, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = max_lr_i / div_factor
                group["max_lr"] = max_lr_i
                group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, _, _ = _start_momentum_cycle(
                "OneCycleLR", optimizer, base_momentum, max_momentum, last_epoch
            )
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            # cosine from start (pct = 0) to end (pct = 1)
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ArgumentError(
                f"OneCycleLR: tried to step {step_num} times, but the cycle has "
                f"total_steps={self.total_steps}. Step once per batch, and size the cycle "
                f"with epochs and steps_per_epoch=len(dataloader)."
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                    break
                start_step = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(group, self.use_beta1, momentum)
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by `factor` when a metric has stopped improving for `patience` epochs.

    Call `scheduler.step(val_loss)` after each epoch.

    Args:
        optimizer: the optimizer.
        mode: 'min' (the metric should fall, e.g. a loss) or 'max' (e.g. an accuracy).
        factor: new_lr = lr * factor, factor < 1 (default 0.1).
        patience: the number of epochs without improvement tolerated (default 10).
        threshold: the smallest change counted as an improvement (default 1e-4).
        threshold_mode: 'rel' (best * (1 -/+ threshold)) or 'abs' (best -/+ threshold).
        cooldown: epochs to wait after a reduction before counting again (default 0).
        min_lr: a lower bound on the lr (or one per group) (default 0).
        eps: a reduction smaller than this is skipped (default 1e-8).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ArgumentError(
                f"ReduceLROnPlateau: factor={factor} must be < 1.0 (new_lr = lr * factor)."
            )
        self.factor = factor
        _check_optimizer("ReduceLROnPlateau", optimizer)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ArgumentError(
                    f"ReduceLROnPlateau: expected {len(optimizer.param_groups)} min_lrs (one "
                    f"per param group), got {len(min_lr)}."
                )
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric and reduce the lr if it stopped improving."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise ArgumentError(
                    f"ReduceLROnPlateau: the optimizer now has "
                    f"{len(self.optimizer.param_groups)} param groups but min_lr gave "
                    f"{len(self.min_lrs)}; set scheduler.min_lrs to one value per group."
                )
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for i, group in enumerate(self.optimizer.param_groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ArgumentError(
                f"ReduceLROnPlateau: mode={mode!r} is unknown; use 'min' (for a loss) or "
                f"'max' (for an accuracy)."
            )
        if threshold_mode not in ("rel", "abs"):
            raise ArgumentError(
                f"ReduceLROnPlateau: threshold_mode={threshold_mode!r} is unknown; use 'rel' "
                f"or 'abs'."
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


class PolynomialLR(LRScheduler):
    """lr = base_lr * (1 - epoch / total_iters) ** power, then constant from total_iters on.

    Computed recursively from the current lr, as PyTorch does (so it chains):
    lr = lr * ((1 - epoch / total_iters) / (1 - (epoch - 1) / total_iters)) ** power.
    With power = 1 (the default) the lr falls in a straight line to 0 at total_iters.

    Args:
        optimizer: the optimizer.
        total_iters: the number of steps of the decay (default 5).
        power: the power of the polynomial (default 1.0).
        last_epoch: see LRScheduler.

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> opt = optim.SGD([sh.ones(1, requires_grad=True)], lr=1.0)
        >>> sched = optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
        >>> for epoch in range(1, 6):     # (1 - epoch / 4) ** 2
        ...     opt.step()
        ...     sched.step()
        ...     print(epoch, round(sched.get_last_lr()[0], 4))
        1 0.5625
        2 0.25
        3 0.0625
        4 0.0
        5 0.0
    """

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        _check_whole(
            "PolynomialLR", "total_iters", total_iters, "the number of steps to decay the lr to 0"
        )
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        decay_factor = (
            (1.0 - self.last_epoch / self.total_iters)
            / (1.0 - (self.last_epoch - 1) / self.total_iters)
        ) ** self.power
        return [group["lr"] * decay_factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr
            * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
            for base_lr in self.base_lrs
        ]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter, 2017): a cosine from base_lr down to eta_min, restarted at
    base_lr every T_i steps, with T_i growing by T_mult after each restart::

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2
        T_cur = steps since the last restart;  T_0 first, then T_i = T_i * T_mult

    `step(epoch)` may be given a fractional epoch (epoch + i / len(dataloader)) to anneal
    within an epoch, as in PyTorch, and does not warn (unlike the other schedulers).

    Args:
        optimizer: the optimizer.
        T_0: the number of steps before the first restart (a positive whole number).
        T_mult: the factor by which T_i grows after a restart (a whole number >= 1).
        eta_min: the lowest lr (default 0).
        last_epoch: see LRScheduler.

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> opt = optim.SGD([sh.ones(1, requires_grad=True)], lr=1.0)
        >>> sched = optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        >>> lrs = []
        >>> for _ in range(6):
        ...     opt.step()
        ...     sched.step()
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs                           # restarts after 2 steps, then after 4 more
        [0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,  # noqa: N803 - PyTorch's name
        T_mult: int = 1,  # noqa: N803
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        name = "CosineAnnealingWarmRestarts"
        _check_whole(name, "T_0", T_0, "the number of steps before the first restart")
        why = "the factor by which the period grows after each restart (1 keeps it)"
        _check_whole(name, "T_mult", T_mult, why)
        if isinstance(eta_min, bool) or not isinstance(eta_min, (int, float)):
            raise DTypeError(
                f"CosineAnnealingWarmRestarts: eta_min must be a number, got {eta_min!r}."
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for base_lr in self.base_lrs
        ]

    def step(self, epoch: float | None = None) -> None:
        """Advance one step, or jump to `epoch` (which may be fractional)."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch: float | None = None) -> None:
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:  # a restart
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ArgumentError(
                    f"CosineAnnealingWarmRestarts.step: epoch={epoch} is negative; give the "
                    f"number of epochs done (0 or more), or call step() without it."
                )
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # the restart n before epoch: T_0 * (1 + T_mult + ... + T_mult**(n-1))
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith, 2017): the lr goes up and down between base_lr and
    max_lr, once per cycle of step_size_up + step_size_down steps. Step it after every batch.

    At step t (PyTorch's formulas)::

        cycle = floor(1 + t / total_size)                 # 1, 2, ...
        x = 1 + t / total_size - cycle                    # 0 -> 1 within the cycle
        rise = x / step_ratio if x <= step_ratio else (x - 1) / (step_ratio - 1)
        lr = base_lr + (max_lr - base_lr) * rise * scale
        momentum = max_momentum - (max_momentum - base_momentum) * rise * scale

    with total_size = step_size_up + step_size_down, step_ratio = step_size_up / total_size
    and scale = 1 ('triangular'), 1 / 2**(cycle - 1) ('triangular2', halved each cycle),
    gamma**t ('exp_range'), or scale_fn(cycle or t) (scale_mode 'cycle' or 'iterations').

    Args:
        optimizer: the optimizer.
        base_lr: the lower lr (or one per param group); it replaces the optimizer's lr.
        max_lr: the upper lr (or one per param group).
        step_size_up: steps from base_lr up to max_lr (default 2000).
        step_size_down: steps back down (default: step_size_up).
        mode: 'triangular', 'triangular2' or 'exp_range' (ignored if scale_fn is given).
        gamma: the decay of 'exp_range' (default 1.0).
        scale_fn: your own scale, a function of one argument with values in [0, 1].
        scale_mode: 'cycle' or 'iterations': what scale_fn is given.
        cycle_momentum: also cycle momentum (SGD) or beta1 (Adam), inversely (default True).
        base_momentum, max_momentum: the momentum range (defaults 0.8, 0.9).
        last_epoch: the index of the last batch; see LRScheduler.

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> opt = optim.SGD([sh.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> sched = optim.lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2)
        >>> lrs = []
        >>> for _ in range(5):
        ...     opt.step()
        ...     sched.step()
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.3, 0.5, 0.3, 0.1, 0.3]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer("CyclicLR", optimizer)
        self.optimizer = optimizer
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        for key, value in (("step_size_up", step_size_up), ("step_size_down", step_size_down)):
            if value is not None and (isinstance(value, bool) or not value > 0):
                raise ArgumentError(
                    f"CyclicLR: {key}={value!r} must be a positive number of steps (often 2 to "
                    f"8 times the number of batches per epoch)."
                )
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ArgumentError(
                f"CyclicLR: mode={mode!r} is unknown and no scale_fn is given; use "
                f"'triangular', 'triangular2' or 'exp_range', or pass scale_fn."
            )
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, self.base_momentums, self.max_momentums = _start_momentum_cycle(
                "CyclicLR", optimizer, base_momentum, max_momentum, last_epoch
            )
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        # the built-in modes fix what their scale is a function of, as in PyTorch
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """The amplitude factor at cycle (or step) x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x  # exp_range

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [
            base_lr + (max_lr - base_lr) * scale_factor * scale
            for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)
        ]
        if self.cycle_momentum:
            for group, base_m, max_m in zip(
                self.optimizer.param_groups, self.base_momentums, self.max_momentums
            ):
                _set_momentum(
                    group, self.use_beta1, max_m - (max_m - base_m) * scale_factor * scale
                )
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """As LRScheduler's; a scale_fn is kept only if it is a callable object (its
        attributes), not a function or lambda, as in PyTorch."""
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = fn.__dict__.copy()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        fn = state_dict.pop("_scale_fn_custom")
        super().load_state_dict(state_dict)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


class ChainedScheduler(_SchedulerOfSchedulers):
    """Step several schedulers together: each step() steps every one of them in order, so
    their effects multiply (e.g. a constant warm-up factor times an exponential decay).

    Args:
        schedulers: the schedulers, all of the same optimizer.
        optimizer: that optimizer (default: the first scheduler's).

    Example:
        >>> import scratchish as sh
        >>> from scratchish import optim
        >>> opt = optim.SGD([sh.ones(1, requires_grad=True)], lr=1.0)
        >>> warm = optim.lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=2)
        >>> decay = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
        >>> sched = optim.lr_scheduler.ChainedScheduler([warm, decay])
        >>> round(sched.get_last_lr()[0], 4)      # 1.0 * 0.1 (warm-up) * 0.9**0
        0.1
        >>> for _ in range(3):
        ...     opt.step()
        ...     sched.step()
        >>> round(sched.get_last_lr()[0], 4)      # warm-up over: 1.0 * 0.9**3
        0.729
    """

    def __init__(self, schedulers: list[LRScheduler], optimizer: Optimizer | None = None) -> None:
        optimizer = optimizer or (getattr(schedulers[0], "optimizer", None) if schedulers else None)
        self._check_children(schedulers, optimizer)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = self._current_lrs()

    def step(self) -> None:  # type: ignore[override]
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()


def __getattr__(name: str):
    # a PyTorch name this module lacks raises a teaching error, not a bare AttributeError
    from .. import compat

    return compat.unsupported_attribute("torch.optim.lr_scheduler", name)
