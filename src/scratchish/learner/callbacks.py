"""Callbacks: small objects that the Learner's loop calls at each event, in `order`.

A callback is any object with an `order` (lower runs first) and methods named after the events
it cares about, each taking the learner: `def after_batch(self, learn): ...`. It can stop the
loop by raising CancelBatchException, CancelEpochException or CancelFitException. This file
holds the exceptions, the Callback base class and the built-in callbacks. Read learner.py first.
"""

from __future__ import annotations

import math
import sys
import time
import warnings

import numpy as np

from ..errors import ScratchishError
from ..nn.utils import clip_grad_norm_

__all__ = [
    "Callback",
    "CancelBatchException",
    "CancelEpochException",
    "CancelFitException",
    "CancelTrainException",
    "CancelValidException",
    "EarlyStoppingCallback",
    "GradientClip",
    "LRFinder",
    "NaNGuard",
    "OneCycleScheduler",
    "ProgressCallback",
    "Recorder",
    "SaveModelCallback",
    "TrainingDivergedError",
]


class CancelFitException(Exception):
    """Raise in a callback to stop training; `after_fit` still runs."""


class CancelEpochException(Exception):
    """Raise in a callback to skip the rest of this epoch; `after_epoch` still runs."""


class CancelTrainException(Exception):
    """Raise in a callback to skip the rest of this training pass; `after_train` still runs."""


class CancelValidException(Exception):
    """Raise in a callback to skip this validation pass; `after_validate` still runs."""


class CancelBatchException(Exception):
    """Raise in a callback to skip the rest of this batch; `after_batch` still runs."""


class TrainingDivergedError(ScratchishError, ArithmeticError):
    """The loss became nan or inf: the weights are garbage from here on."""

    code = "diverged"


class Callback:
    """Base class: set `order` and define the event methods you need (each takes `learn`)."""

    order = 0

    def __repr__(self) -> str:
        return type(self).__name__


# ----------------------------------------------------------------------------------------------
# Recorder: losses, learning rates and metrics
# ----------------------------------------------------------------------------------------------


class Recorder(Callback):
    """Records every training batch's loss and lr, and a row per epoch with the validation
    loss and metrics. The Learner always has one, as `learn.recorder`.

    Attributes:
        losses, lrs: per training batch.
        names: the column names of `values`, e.g. ["epoch", "train_loss", "valid_loss",
            "accuracy", "time"].
        values: one row per epoch.
    """

    order = 10

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.lrs: list[float] = []
        self.values: list[list[float]] = []
        self.names: list[str] = []

    def before_fit(self, learn) -> None:
        metric_names = [getattr(m, "__name__", type(m).__name__) for m in learn.metrics]
        self.names = ["epoch", "train_loss", "valid_loss", *metric_names, "time"]

    def before_epoch(self, learn) -> None:
        self.start_time = time.perf_counter()
        self.train_total, self.train_count = 0.0, 0
        self.valid_total, self.valid_count = 0.0, 0
        self.preds, self.targs = [], []

    def before_validate(self, learn) -> None:
        self.valid_total, self.valid_count = 0.0, 0
        self.preds, self.targs = [], []

    def after_loss(self, learn) -> None:
        loss, n = learn.loss.item(), len(learn.yb)
        if learn.training:
            self.train_total, self.train_count = self.train_total + loss * n, self.train_count + n
            self.losses.append(loss)
            self.lrs.append(learn.opt.param_groups[0]["lr"])
        else:
            self.valid_total, self.valid_count = self.valid_total + loss * n, self.valid_count + n
            if learn.metrics:  # keep what the metrics need, detached and as arrays
                self.preds.append(learn.pred.detach().numpy())
                self.targs.append(learn.yb.detach().numpy())

    def after_epoch(self, learn) -> None:
        train_loss = self.train_total / max(self.train_count, 1)
        valid_loss = self.valid_total / max(self.valid_count, 1) if self.valid_count else math.nan
        metrics = [math.nan] * len(learn.metrics)
        if self.valid_count and learn.metrics:
            preds, targs = np.concatenate(self.preds), np.concatenate(self.targs)
            metrics = [float(m(preds, targs)) for m in learn.metrics]
        elapsed = time.perf_counter() - self.start_time
        self.values.append([learn.epoch, train_loss, valid_loss, *metrics, elapsed])

    def last(self, name: str) -> float:
        """The last epoch's value in column `name` (e.g. "valid_loss", "accuracy")."""
        if name not in self.names or not self.values:
            raise KeyError(
                f"Recorder: no value {name!r} recorded yet; the columns are {self.names}."
            )
        return self.values[-1][self.names.index(name)]

    def state_dict(self) -> dict:
        return {"losses": self.losses, "lrs": self.lrs, "values": self.values, "names": self.names}

    def load_state_dict(self, state: dict) -> None:
        self.losses, self.lrs = list(state["losses"]), list(state["lrs"])
        self.values, self.names = [list(v) for v in state["values"]], list(state["names"])


# ----------------------------------------------------------------------------------------------
# Progress: bars while training, a table row per epoch
# ----------------------------------------------------------------------------------------------


def _tqdm():
    try:
        from tqdm.auto import tqdm  # a bar in the terminal, a widget in Jupyter
    except ImportError:
        return None
    return tqdm


class ProgressCallback(Callback):
    """A progress bar over each epoch's batches (tqdm's auto mode: terminal or Jupyter) and a
    table with one row per epoch. Without tqdm the table is still printed, with a note saying
    how to get the bars (pip install 'scratchish[progress]').

    Args:
        bars: show progress bars.
        table: print the per-epoch table.
        file: where to print the table (default sys.stdout).
    """

    order = 20
    _told_about_tqdm = False

    def __init__(self, bars: bool = True, table: bool = True, file=None) -> None:
        self.bars, self.table, self.file = bars, table, file
        self.bar = None

    def _print(self, line: str) -> None:
        tqdm = _tqdm() if self.bars else None
        out = self.file or sys.stdout
        if tqdm is not None:
            tqdm.write(line, file=out)
        else:
            print(line, file=out, flush=True)

    def before_fit(self, learn) -> None:
        if self.bars and _tqdm() is None and not ProgressCallback._told_about_tqdm:
            ProgressCallback._told_about_tqdm = True
            self._print("(no progress bars: install them with pip install 'scratchish[progress]')")
        if self.table and learn.epochs:
            self.widths = [max(len(n), 10) for n in learn.recorder.names]
            self._print("  ".join(n.rjust(w) for n, w in zip(learn.recorder.names, self.widths)))

    def _open_bar(self, learn, what: str) -> None:
        tqdm = _tqdm() if self.bars else None
        if tqdm is not None:
            desc = f"epoch {learn.epoch + 1}/{learn.n_epochs} {what}"
            self.bar = tqdm(total=len(learn.dl), desc=desc, leave=False, file=sys.stderr)

    def before_train(self, learn) -> None:
        self._open_bar(learn, "train")

    def before_validate(self, learn) -> None:
        self._open_bar(learn, "valid")

    def after_batch(self, learn) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if learn.training:
                self.bar.set_postfix(loss=f"{learn.loss.item():.4f}", refresh=False)

    def _close_bar(self, learn=None) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    after_train = after_validate = _close_bar

    def after_epoch(self, learn) -> None:
        if self.table:
            row = learn.recorder.values[-1]
            cells = [_format_cell(name, v) for name, v in zip(learn.recorder.names, row)]
            self._print("  ".join(c.rjust(w) for c, w in zip(cells, self.widths)))

    def cleanup_fit(self, learn) -> None:
        self._close_bar()


def _format_cell(name: str, value) -> str:
    if name == "epoch":
        return str(int(value) + 1)
    if name == "time":
        return f"{int(value) // 60:02d}:{value % 60:05.2f}"
    return f"{value:.6f}" if abs(value) < 1e4 else f"{value:.4g}"


# ----------------------------------------------------------------------------------------------
# Guards and helpers
# ----------------------------------------------------------------------------------------------


class NaNGuard(Callback):
    """Stops training as soon as the loss is nan or inf, with an explanation, instead of
    training on garbage. The Learner always has one.

    Raises:
        TrainingDivergedError (an ArithmeticError) naming the epoch, batch and learning rate.
    """

    order = 5

    def after_loss(self, learn) -> None:
        loss = learn.loss.item()
        if math.isfinite(loss):
            return
        lr = learn.opt.param_groups[0]["lr"] if learn.opt is not None else learn.lr
        phase = "training" if learn.training else "validation"
        raise TrainingDivergedError(
            f"The loss became {loss} at epoch {learn.epoch + 1}, batch {learn.iter + 1} "
            f"({phase}), with learning rate {lr:.3g}, so training stopped: from here on the "
            f"weights are garbage. This almost always means the learning rate is too high, so "
            f"each step overshoots and the weights grow without bound. Try a learning rate 10 "
            f"times lower, or run learn.lr_find() to pick one. (Other causes: inputs that are "
            f"not scaled, e.g. pixels in 0..255 instead of 0..1, or nan in the data.)"
        )


class GradientClip(Callback):
    """Scales the gradients after backward so that their joint norm is at most `max_norm`
    (nn.utils.clip_grad_norm_): a bad batch cannot throw the weights far."""

    order = 0

    def __init__(self, max_norm: float = 1.0) -> None:
        self.max_norm = max_norm

    def after_backward(self, learn) -> None:
        clip_grad_norm_(learn.model.parameters(), self.max_norm)


class OneCycleScheduler(Callback):
    """The 1cycle policy: the lr warms up to lr_max, then anneals (cosine) to almost zero,
    while Adam's beta1 (or SGD's momentum) moves the opposite way. Uses optim.lr_scheduler's
    OneCycleLR, stepped after every training batch. `learn.fit_one_cycle` adds it for you.

    With `start_epoch > 0` (resuming a checkpoint) the schedule is stepped forward to where
    it was, so the rest of the run is the same as without the interruption.
    """

    order = 0

    def __init__(self, lr_max: float, pct_start: float = 0.25, div_factor: float = 25.0,
                 final_div_factor: float = 1e5) -> None:  # fmt: skip
        self.lr_max, self.pct_start = lr_max, pct_start
        self.div_factor, self.final_div_factor = div_factor, final_div_factor

    def before_fit(self, learn) -> None:
        from ..optim.lr_scheduler import OneCycleLR

        n_batches = len(learn.dls.train)
        total = learn.n_epochs * n_batches
        # OneCycleLR (as PyTorch's) needs at least one step in each phase
        pct_start = min(max(self.pct_start, 1.5 / total), 0.5) if total >= 4 else None
        self.schedule = None
        if pct_start is None:  # too few steps for a cycle: keep lr_max constant
            return
        self.schedule = OneCycleLR(
            learn.opt,
            max_lr=self.lr_max,
            total_steps=total,
            pct_start=pct_start,
            div_factor=self.div_factor,
            final_div_factor=self.final_div_factor,
        )
        with warnings.catch_warnings():  # resuming: catch up (no optimizer steps, on purpose)
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(learn.epochs.start * n_batches):
                self.schedule.step()

    def after_step(self, learn) -> None:
        if self.schedule is not None and self.schedule.last_epoch < self.schedule.total_steps:
            self.schedule.step()


class EarlyStoppingCallback(Callback):
    """Stops training when `monitor` has not improved for `patience` epochs.

    Args:
        monitor: a column of the Recorder, e.g. "valid_loss" or "accuracy".
        comp: np.less (lower is better) or np.greater; default: np.greater for accuracy-like
            metrics (accuracy, f1_score, r2_score), else np.less.
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
    """

    order = 40

    def __init__(self, monitor="valid_loss", comp=None, min_delta=0.0, patience=3) -> None:
        self.monitor, self.min_delta, self.patience = monitor, min_delta, patience
        self.comp = comp if comp is not None else _default_comp(monitor)

    def before_fit(self, learn) -> None:
        self.best, self.wait = None, 0

    def after_epoch(self, learn) -> None:
        value = learn.recorder.last(self.monitor)
        delta = self.min_delta if self.comp is np.greater else -self.min_delta
        if self.best is None or self.comp(value - delta, self.best):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            print(
                f"EarlyStoppingCallback: no improvement in {self.monitor} for {self.wait} "
                f"epochs (best {self.best:.6g}); stopping after epoch {learn.epoch + 1}."
            )
            raise CancelFitException()


def _default_comp(monitor: str):
    higher_is_better = ("accuracy", "f1", "r2", "score")
    return np.greater if any(h in monitor for h in higher_is_better) else np.less


class SaveModelCallback(Callback):
    """Saves a checkpoint (`learn.save(fname)`) whenever `monitor` improves, and at the end
    of fit loads the best weights back into the model.

    Args:
        monitor: a column of the Recorder, e.g. "valid_loss" or "accuracy".
        comp: np.less or np.greater (default as EarlyStoppingCallback).
        fname: the checkpoint name, in `learn.path / learn.model_dir`.
        at_end: load the best weights into the model after fit (also after an interruption).
    """

    order = 30

    def __init__(self, monitor="valid_loss", comp=None, fname="best", at_end=True) -> None:
        self.monitor, self.fname, self.at_end = monitor, fname, at_end
        self.comp = comp if comp is not None else _default_comp(monitor)
        self.best, self.best_epoch = None, None

    def before_fit(self, learn) -> None:
        self.best, self.best_epoch = None, None

    def after_epoch(self, learn) -> None:
        value = learn.recorder.last(self.monitor)
        if self.best is None or self.comp(value, self.best):
            self.best, self.best_epoch = value, learn.epoch
            self.path = learn.save(self.fname)

    def after_fit(self, learn) -> None:
        if self.at_end and self.best_epoch is not None:
            learn.load(self.fname, with_opt=False, quiet=True)
            print(
                f"SaveModelCallback: the model now holds the best weights, from epoch "
                f"{self.best_epoch + 1} ({self.monitor} {self.best:.6g}), saved in {self.path}"
            )


# ----------------------------------------------------------------------------------------------
# The learning rate finder
# ----------------------------------------------------------------------------------------------


class LRFinder(Callback):
    """Raises the lr exponentially from start_lr to end_lr over num_it batches, recording the
    loss, and stops once the loss exceeds 4x the lowest seen (it has blown up). No validation.
    `learn.lr_find()` runs it and restores the weights afterwards."""

    order = 0

    def __init__(self, start_lr=1e-7, end_lr=10.0, num_it=100, stop_factor=4.0) -> None:
        self.start_lr, self.end_lr, self.num_it = start_lr, end_lr, num_it
        self.stop_factor = stop_factor
        self.lrs: list[float] = []
        self.losses: list[float] = []

    def before_batch(self, learn) -> None:
        # lr_i = start_lr * (end_lr / start_lr) ** (i / (num_it - 1)): even steps in log(lr)
        i = len(self.lrs)
        if i >= self.num_it:
            raise CancelFitException()
        lr = self.start_lr * (self.end_lr / self.start_lr) ** (i / max(self.num_it - 1, 1))
        for group in learn.opt.param_groups:
            group["lr"] = lr

    def after_loss(self, learn) -> None:
        loss = learn.loss.item()
        self.lrs.append(learn.opt.param_groups[0]["lr"])
        self.losses.append(loss)
        if not math.isfinite(loss) or loss > self.stop_factor * min(self.losses):
            raise CancelFitException()  # blown up: nothing more to learn about this lr range

    def before_validate(self, learn) -> None:
        raise CancelValidException()


def smooth(losses, beta: float = 0.98) -> np.ndarray:
    """Exponential moving average with bias correction (as Adam's): the losses of single
    batches are noisy, and the lr finder reads slopes, which noise ruins."""
    out, avg = [], 0.0
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** (i + 1)))
    return np.array(out)


def centered_mean(losses, half_width: int) -> np.ndarray:
    """The mean of each loss and its half_width neighbours on either side: smooths without
    the lag of a moving average (the lag would put the steepest point too late)."""
    losses = np.asarray(losses, dtype=np.float64)
    out = np.empty_like(losses)
    for i in range(len(losses)):
        out[i] = losses[max(i - half_width, 0) : i + half_width + 1].mean()
    return out


def suggest_lr(lrs, losses) -> tuple[float, int]:
    """The lr where the (centred-mean) smoothed loss falls fastest per step in log(lr),
    looking only before the lowest loss (past it the loss is blowing up).

    Returns (lr, its index).
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    losses = np.where(np.isfinite(losses), losses, np.inf)
    smoothed = centered_mean(losses, max(len(losses) // 25, 1))
    n = int(np.argmin(smoothed)) + 1  # up to the lowest loss
    if n < 3:
        return float(lrs[max(n - 1, 0)] / 10), max(n - 1, 0)
    slopes = np.gradient(smoothed[:n], np.log10(lrs[:n]))  # d(loss) / d(log10 lr)
    i = int(np.argmin(slopes))
    return float(lrs[i]), i


class LRFindResult:
    """What `learn.lr_find()` found: the suggestion, the reason in a sentence, the curve."""

    def __init__(self, lrs, losses) -> None:
        self.lrs, self.losses = list(lrs), list(losses)
        self.suggestion, self.index = suggest_lr(lrs, losses)
        smoothed = centered_mean(np.where(np.isfinite(losses), losses, np.inf), 2)
        self.lowest_lr = float(lrs[int(np.argmin(smoothed))]) if len(lrs) else math.nan
        self.reason = (
            f"Suggested learning rate {self.suggestion:.2g}: there the loss falls fastest "
            f"(the steepest slope of the smoothed loss), while the lowest loss comes at "
            f"{self.lowest_lr:.2g}, just before the loss blows up; a rate well below that edge "
            f"learns fast and stays stable."
        )

    def __iter__(self):  # lr = learn.lr_find().suggestion, or lr, *_ = learn.lr_find()
        return iter((self.suggestion, self.lrs, self.losses))

    def __repr__(self) -> str:
        return f"LRFindResult(suggestion={self.suggestion:.3g})"
