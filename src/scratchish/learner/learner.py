"""The Learner: a model, its data, a loss and an optimizer, trained by one loop.

Read this file top to bottom: `fit` -> `_do_epoch` -> `_one_pass` -> `_one_batch` is the whole
training loop (as fastai's course22p2 miniai/learner.py). Everything else (recording losses,
progress bars, schedules, early stopping...) is a callback (callbacks.py) that the loop calls
at each event, in `order`. Then read data.py (the DataLoaders) and models.py (built-in models).
"""

from __future__ import annotations

import copy
import math
import signal
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from .. import nn, optim
from ..autograd import no_grad
from ..errors import ArgumentError
from ..journal import JournalCallback
from ..nn.module import is_lazy
from ..random import get_rng_state, set_rng_state
from ..serialization import load as sh_load
from ..serialization import save as sh_save
from ..tensor import Tensor
from .callbacks import (
    CancelBatchException,
    CancelEpochException,
    CancelFitException,
    CancelTrainException,
    CancelValidException,
    LRFinder,
    LRFindResult,
    NaNGuard,
    OneCycleScheduler,
    ProgressCallback,
    Recorder,
)

__all__ = ["Learner", "image_learner", "learner_for", "tabular_learner", "text_learner"]

# The events, in the order the loop fires them (after_cancel_* only when a callback cancels).
EVENTS = (
    "before_fit",
    "before_epoch",
    "before_train",
    "before_batch",
    "after_pred",
    "after_loss",
    "after_backward",
    "after_step",
    "after_batch",
    "after_train",
    "before_validate",
    "after_validate",
    "after_epoch",
    "after_fit",
    "cleanup_fit",
)


def _flat_cross_entropy(pred: Tensor, targ: Tensor) -> Tensor:
    """Cross-entropy for (N, C) or (B, T, C) scores: a language model's (B, T) targets become
    B*T samples."""
    return nn.functional.cross_entropy(pred.reshape(-1, pred.shape[-1]), targ.reshape(-1))


def _flat_mse(pred: Tensor, targ: Tensor) -> Tensor:
    """Mean squared error between (N, 1) predictions and (N,) targets (flattened to match)."""
    return nn.functional.mse_loss(pred.reshape(-1), targ.reshape(-1))


class Learner:
    """Trains `model` on `dls` with `loss_func`, steered by callbacks.

    Args:
        dls: DataLoaders (data.py): `.train` and `.valid` loaders yielding (x..., y) batches.
        model: an nn.Module; a batch (x..., y) is fed as `model(*x)`.
        loss_func: `loss_func(pred, y) -> Tensor`; None picks cross-entropy when the targets
            are class indices (int64) and mean squared error otherwise.
        opt_func: makes the optimizer: `opt_func(model.parameters(), lr=lr)` (default Adam).
        lr: the default learning rate of `fit`.
        metrics: functions `metric(preds, targs) -> float` (metrics.py), run on the whole
            validation set after each epoch.
        cbs: extra callbacks. A Recorder, a NaNGuard and (with progress=True) a
            ProgressCallback are always added.
        path: the folder for checkpoints (`path / "models"`) and exports.
        progress: show progress bars and the per-epoch table.

    Example:
        >>> import scratchish as sh
        >>> from scratchish.learner import Learner, DataLoaders, accuracy
        >>> sh.manual_seed(0) and None
        >>> x = sh.randn(200, 2); y = (x[:, 0] > 0).long()
        >>> dls = DataLoaders.from_tensors(x[:160], y[:160], x[160:], y[160:], bs=32)
        >>> learn = Learner(dls, sh.nn.Linear(2, 2), metrics=[accuracy], progress=False)
        >>> learn.fit(3, lr=0.1)
        >>> learn.recorder.last("accuracy") > 0.9
        True
    """

    def __init__(
        self,
        dls,
        model: nn.Module,
        loss_func: Callable | None = None,
        opt_func: Callable = optim.Adam,
        lr: float = 1e-3,
        metrics: Iterable[Callable] | Callable | None = None,
        cbs: Iterable | None = None,
        path: str | Path = ".",
        model_dir: str = "models",
        progress: bool = True,
        journal: bool | str | Path = True,
    ) -> None:
        self.dls, self.model, self.opt_func, self.lr = dls, model, opt_func, lr
        self.loss_func = loss_func if loss_func is not None else _default_loss(dls)
        self.metrics = [metrics] if callable(metrics) else list(metrics or [])
        self.path, self.model_dir = Path(path), model_dir
        self.opt = None
        self.epoch, self.epochs_done, self.n_epochs = 0, 0, 0
        self.epochs = range(0)
        self.training, self.interrupted = False, False
        self._stop_requested = False
        self.recorder = Recorder()
        self.cbs: list = []
        self.add_cbs([self.recorder, NaNGuard()])
        # every fit is recorded in the experiment journal (journal/): learn.run is the latest
        self.journal = JournalCallback(None if journal is True else journal) if journal else None
        if self.journal is not None:
            self.add_cbs([self.journal])
        if progress:
            self.add_cbs([ProgressCallback()])
        self.add_cbs(cbs or [])

    # ------------------------------------------------------------------------------ callbacks
    def add_cbs(self, cbs: Iterable) -> None:
        for cb in cbs:
            self.cbs.append(cb)

    def remove_cbs(self, cbs: Iterable) -> None:
        for cb in cbs:
            self.cbs.remove(cb)

    def callback(self, event: str) -> None:
        """Call `cb.<event>(self)` on every callback that has it, lowest `order` first."""
        for cb in sorted(self.cbs, key=lambda cb: cb.order):
            method = getattr(cb, event, None)
            if method is not None:
                method(self)

    def _with_events(self, f: Callable, name: str, cancel: type) -> None:
        """before_<name>; f(); after_<name>. A callback raising `cancel` skips to the end."""
        try:
            self.callback(f"before_{name}")
            f()
        except cancel:
            self.callback(f"after_cancel_{name}")
        self.callback(f"after_{name}")

    # ------------------------------------------------------------------------ the training loop
    def fit(self, n_epochs: int = 1, lr: float | None = None, cbs=None, start_epoch: int = 0):
        """Train for epochs start_epoch .. n_epochs - 1 at a constant learning rate.

        Args:
            n_epochs: the number of epochs of the whole run.
            lr: the learning rate (default: the Learner's lr).
            cbs: callbacks for this call only.
            start_epoch: resume a run that was saved after `start_epoch` epochs
                (`learn.load(name)` first): the remaining epochs match the uninterrupted run.

        Ctrl-C stops after the current batch; the message says how to resume.
        """
        cbs = list(cbs or [])
        self.add_cbs(cbs)
        self.n_epochs, self.epochs = n_epochs, range(start_epoch, n_epochs)
        self.epochs_done = start_epoch
        self.lr = self.lr if lr is None else lr
        if self.opt is None:
            self.opt = self.opt_func(self.model.parameters(), lr=self.lr)
        for group in self.opt.param_groups:
            group["lr"] = self.lr
        self.interrupted = self._stop_requested = False
        self._fit_method = "fit_one_cycle" if self._one_cycle() else "fit"
        try:
            with _StopOnCtrlC(self):
                self._with_events(self._do_fit, "fit", CancelFitException)
        except KeyboardInterrupt:  # a second Ctrl-C, or one outside the main thread
            self._save_interrupted()
            self.callback("after_fit")
        finally:
            self.callback("cleanup_fit")
            self.remove_cbs(cbs)
        if self.interrupted:
            self._explain_interruption()

    def _do_fit(self) -> None:
        for epoch in self.epochs:
            self.epoch = epoch
            self._with_events(self._do_epoch, "epoch", CancelEpochException)

    def _do_epoch(self) -> None:
        self._one_pass(training=True)
        with no_grad():
            self._one_pass(training=False)
        self.epochs_done = self.epoch + 1

    def _one_pass(self, training: bool) -> None:
        """One pass over the training data (learning) or the validation data (measuring)."""
        self.training = training
        self.model.train(training)
        self.dl = self.dls.train if training else self.dls.valid
        if training:
            self._with_events(self._all_batches, "train", CancelTrainException)
        else:
            self._with_events(self._all_batches, "validate", CancelValidException)

    def _call_model(self, xb: tuple):
        """model(*inputs), with a plain explanation when the model takes another number of
        inputs than the batches hold (e.g. a one-input model on tabular data)."""
        try:
            return self.model(*xb)
        except TypeError as e:
            if "positional argument" not in str(e):
                raise
            shapes = ", ".join(str(tuple(x.shape)) for x in xb)
            raise ArgumentError(
                f"Learner: each batch holds {len(xb)} input(s) of shapes {shapes} (then the "
                f"target), but calling the model with them failed: {e}. Tabular data comes "
                f"as (categorical columns, numeric columns): use sh.tabular_learner(...), or "
                f"give the model a forward(x_cat, x_num)."
            ) from None

    def _all_batches(self) -> None:
        for i, batch in enumerate(self.dl):
            self.iter = i
            self.xb, self.yb = tuple(batch[:-1]), batch[-1]  # inputs, then the target
            self._with_events(self._one_batch, "batch", CancelBatchException)
            if self._stop_requested:  # Ctrl-C was pressed during this batch
                self._save_interrupted()
                raise CancelFitException()

    def _one_batch(self) -> None:
        self.pred = self._call_model(self.xb)
        self.callback("after_pred")
        self.loss = self.loss_func(self.pred, self.yb)
        self.callback("after_loss")
        if not self.training:
            return
        self.loss.backward()
        self.callback("after_backward")
        self.opt.step()
        self.callback("after_step")
        self.opt.zero_grad()

    # ------------------------------------------------------------------- schedules and lr_find
    def fit_one_cycle(self, n_epochs: int, lr_max: float | None = None, cbs=None,
                      start_epoch: int = 0, pct_start: float = 0.25) -> None:  # fmt: skip
        """Train with the 1cycle policy (OneCycleScheduler): warm up to lr_max, anneal to ~0.

        Args: as `fit`; lr_max is the peak learning rate (default: the Learner's lr).
        """
        lr_max = self.lr if lr_max is None else lr_max
        schedule = OneCycleScheduler(lr_max, pct_start=pct_start)
        self.fit(n_epochs, lr_max, cbs=[schedule, *list(cbs or [])], start_epoch=start_epoch)

    def lr_find(self, start_lr=1e-7, end_lr=10.0, num_it=100, show=True) -> LRFindResult:
        """Try learning rates from start_lr up, exponentially, one batch each, until the loss
        blows up (more than 4x its lowest value); suggest the one where it fell fastest.

        The model, optimizer and random state are restored afterwards, so lr_find leaves no
        trace. `result.reason` says in one sentence why the suggestion was picked;
        `learn.plot_lr_find()` (or show=True in a notebook) draws the curve.

        Returns:
            LRFindResult with .suggestion, .reason, .lrs, .losses.
        """
        self._size_lazy_layers()
        saved_model = {k: v.clone() for k, v in self.model.state_dict().items()}
        saved_opt, saved_rng, saved_lr = self.opt, get_rng_state(), self.lr
        saved_recorder = copy.deepcopy(self.recorder.state_dict())
        finder = LRFinder(start_lr, end_lr, num_it)
        self.opt = self.opt_func(self.model.parameters(), lr=start_lr)
        n_epochs = math.ceil(num_it / max(len(self.dls.train), 1))
        progress = [cb for cb in self.cbs if isinstance(cb, ProgressCallback)]
        self.remove_cbs(progress)  # no table of epochs that are not epochs
        try:
            self.fit(n_epochs, start_lr, cbs=[finder])
        finally:
            self.add_cbs(progress)
            self.model.load_state_dict(saved_model)
            self.opt, self.lr = saved_opt, saved_lr
            set_rng_state(saved_rng)
            self.recorder.load_state_dict(saved_recorder)
        self.lr_find_result = LRFindResult(finder.lrs, finder.losses)
        if show:
            print(self.lr_find_result.reason)
        return self.lr_find_result

    def _size_lazy_layers(self) -> None:
        """Give lazy layers (nn.LazyLinear, ...) their sizes before lr_find, which must save
        the weights to put them back: one validation batch (the loader does not shuffle, so
        no random number is drawn but the layers' own init) through the model, in eval mode
        (batch norm's statistics and dropout untouched), without gradients."""
        if not any(is_lazy(t) for t in [*self.model.parameters(), *self.model.buffers()]):
            return
        training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                self._call_model(tuple(next(iter(self.dls.valid))[:-1]))
        finally:
            self.model.train(training)

    # ------------------------------------------------------------------------------ inference
    def get_preds(self, dl=None, with_input: bool = False):
        """The model's outputs and the targets over a whole loader (default: validation).

        Returns:
            (preds, targs) tensors, or (inputs, preds, targs) with with_input=True (inputs is
            the first input of each batch, concatenated).
        """
        dl = self.dls.valid if dl is None else dl
        self.model.eval()
        inputs, preds, targs = [], [], []
        with no_grad():
            for batch in dl:
                xb, yb = tuple(batch[:-1]), batch[-1]
                preds.append(self.model(*xb).numpy())
                targs.append(yb.numpy())
                if with_input:
                    inputs.append(xb[0].numpy())
        joined = [Tensor._make(np.concatenate(a)) for a in (inputs, preds, targs) if a]
        return tuple(joined)

    def validate(self, dl=None) -> dict[str, float]:
        """The loss and the metrics over a whole loader (default: validation), as a dict."""
        preds, targs = self.get_preds(dl)
        with no_grad():
            result = {"valid_loss": self.loss_func(preds, targs).item()}
        for m in self.metrics:
            result[getattr(m, "__name__", type(m).__name__)] = float(m(preds, targs))
        return result

    def predict(self, item, **kwargs):
        """Predict one item: an image (file or tensor), a table row (dict), a text prompt...

        What `item` may be and what comes back depends on the data (see `dls.prep`): for a
        classifier a Prediction (label, index, probs), for regression a number, for a
        language model the generated text. Data without a `prep` (plain tensors) take one
        sample as a tensor and give the model's output for it.
        """
        prep = getattr(self.dls, "prep", None)
        xb = prep.encode(item) if prep is not None else (_batch_of_one(item),)
        self.model.eval()
        if prep is not None and hasattr(prep, "predict"):  # e.g. text: generate
            return prep.predict(self.model, xb, **kwargs)
        with no_grad():
            out = self.model(*xb)
        return prep.decode(out) if prep is not None else out[0]

    # ----------------------------------------------------------------------- saving, exporting
    def _checkpoint_path(self, name: str | Path) -> Path:
        path = Path(name)
        if path.suffix != ".safetensors":
            path = path.with_name(path.name + ".safetensors")
        return path if path.is_absolute() else self.path / self.model_dir / path

    @property
    def run(self):
        """The journal's record of the latest fit (a sh.journal.Run), or None."""
        return self.journal.run if self.journal is not None else None

    def save(self, name: str | Path, with_opt: bool = True) -> Path:
        """Save a checkpoint: the model, the optimizer's state, the epochs done, the recorder
        and the random state, so that `load` + `fit(..., start_epoch=...)` resumes exactly.

        Written atomically to `path / model_dir / name.safetensors` (safetensors, no pickle).
        Returns the file's path.
        """
        path = self._checkpoint_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        checkpoint = {
            "model": self.model.state_dict(),
            "opt": self.opt.state_dict() if (with_opt and self.opt is not None) else None,
            "epochs_done": self.epochs_done,
            "n_epochs": self.n_epochs,
            "recorder": self.recorder.state_dict(),
            "rng": get_rng_state(),
        }
        sh_save(checkpoint, path)
        if self.journal is not None:
            self.journal.add_artefact(path, "checkpoint")
        return path

    def load(self, name: str | Path, with_opt: bool = True, quiet: bool = False) -> Learner:
        """Load a checkpoint written by `save` (model, and with_opt the optimizer, recorder,
        epochs done and random state). Returns the Learner."""
        path = self._checkpoint_path(name)
        if not path.is_file():
            raise FileNotFoundError(
                f"Learner.load: no checkpoint {path}. Checkpoints are saved by learn.save(name) "
                f"into {self.path / self.model_dir}."
            )
        checkpoint = sh_load(str(path))
        self.model.load_state_dict(checkpoint["model"])
        if with_opt and checkpoint.get("opt") is not None:
            if self.opt is None:
                self.opt = self.opt_func(self.model.parameters(), lr=self.lr)
            self.opt.load_state_dict(checkpoint["opt"])
        if with_opt:
            self.epochs_done = checkpoint["epochs_done"]
            self.recorder.load_state_dict(checkpoint["recorder"])
            set_rng_state(checkpoint["rng"].numpy())
        if not quiet:
            print(f"loaded {path} (after {checkpoint['epochs_done']} epochs)")
        return self

    def export(self, fname: str | Path = "export.safetensors") -> Path:
        """Save the model for inference: weights, its architecture as JSON and what predict
        needs (class names, vocabulary, column statistics). `load_learner(path)` reloads it
        without the training code and without pickle. See export.py."""
        from .export import export

        return export(self, fname)

    # ------------------------------------------------------------------- looking at the results
    def show_training_loop(self) -> None:
        """Print the loop's events in order, and the callbacks each one calls."""
        print(training_loop_text(self))

    def plot_losses(self, fname=None):
        """The training loss per batch and the validation loss per epoch (a matplotlib Figure;
        saved to fname as PNG if given). Needs matplotlib (pip install 'scratchish[plot]')."""
        from .plots import plot_losses

        return plot_losses(self.recorder, fname)

    def plot_lr_find(self, fname=None):
        """The lr_find curve with its suggestion marked (run lr_find first)."""
        from .plots import plot_lr_find

        if not hasattr(self, "lr_find_result"):
            raise ArgumentError("plot_lr_find: run learn.lr_find() first.")
        return plot_lr_find(self.lr_find_result, fname)

    def confusion_matrix(self, dl=None) -> np.ndarray:
        """counts[i, j] = samples of true class i predicted as class j (validation set)."""
        preds, targs = self.get_preds(dl)
        n = preds.shape[-1]
        counts = np.zeros((n, n), dtype=np.int64)
        np.add.at(counts, (targs.numpy().reshape(-1), preds.numpy().argmax(-1).reshape(-1)), 1)
        return counts

    def plot_confusion_matrix(self, fname=None, dl=None):
        """The confusion matrix as a picture (a matplotlib Figure; PNG at fname if given)."""
        from .plots import plot_confusion_matrix

        return plot_confusion_matrix(self.confusion_matrix(dl), _classes(self), fname)

    def top_losses(self, k: int = 9, dl=None) -> tuple[Tensor, Tensor]:
        """The k validation samples the model got most wrong: (losses, indices), largest first."""
        preds, targs = self.get_preds(dl)
        with no_grad():
            losses = np.array(
                [
                    self.loss_func(preds[i : i + 1], targs[i : i + 1]).item()
                    for i in range(len(targs))
                ]
            )
        order = np.argsort(-losses, kind="stable")[:k]
        return Tensor._make(losses[order].astype(np.float32)), Tensor._make(order)

    def show_results(self, n: int = 9, fname=None, dl=None):
        """Validation samples with their targets and predictions: a Figure of images for
        image data, else printed rows. Returns the Figure (or the rows)."""
        from .plots import show_results

        inputs, preds, targs = self.get_preds(dl, with_input=True)
        return show_results(inputs[:n], preds[:n], targs[:n], _classes(self), fname)

    # ------------------------------------------------------------------------ Ctrl-C handling
    def _save_interrupted(self) -> None:
        """Checkpoint the training state as it is now, before callbacks (SaveModelCallback)
        put the best weights back into the model."""
        self.interrupted = True
        self._interrupted_path = self.save("interrupted")

    def _explain_interruption(self) -> None:
        print(
            f"\nStopped by Ctrl-C during epoch {self.epoch + 1} of {self.n_epochs}, after "
            f"{self.epochs_done} complete epochs. The model keeps its weights (the best ones "
            f"if a SaveModelCallback was used); the training state is saved in "
            f"{self._interrupted_path}. To resume: learn.load('interrupted') then "
            f"learn.{self._fit_method}({self.n_epochs}, <the same lr>, start_epoch="
            f"{self.epochs_done}); epoch {self.epochs_done + 1} restarts from its beginning."
        )

    def _one_cycle(self) -> bool:
        return any(isinstance(cb, OneCycleScheduler) for cb in self.cbs)


def _default_loss(dls) -> Callable:
    """Cross-entropy for class labels (int64 targets), else mean squared error."""
    prep = getattr(dls, "prep", None)
    task = getattr(prep, "task", None)
    if task == "regression":
        return _flat_mse
    if task is not None:
        return _flat_cross_entropy
    first = next(iter(dls.train))
    is_int = np.issubdtype(first[-1].numpy().dtype, np.integer)
    return _flat_cross_entropy if is_int else _flat_mse


def _batch_of_one(item) -> Tensor:
    array = item.numpy() if isinstance(item, Tensor) else np.asarray(item, dtype=np.float32)
    return Tensor._make(np.ascontiguousarray(array[None]))


def _classes(learn: Learner) -> list[str] | None:
    prep = getattr(learn.dls, "prep", None)
    return getattr(prep, "classes", None)


class _StopOnCtrlC:
    """While fitting, the first Ctrl-C asks the loop to stop after the current batch (so the
    weights are never left half-updated); a second Ctrl-C stops at once. Only in the main
    thread, where Python delivers signals."""

    def __init__(self, learn: Learner) -> None:
        self.learn = learn
        self.previous = None

    def _handler(self, signum, frame) -> None:
        if self.learn._stop_requested:
            raise KeyboardInterrupt
        self.learn._stop_requested = True
        print("\nCtrl-C: stopping after this batch (press Ctrl-C again to stop at once)...")

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def training_loop_text(learn: Learner) -> str:
    """The loop's structure with each event's callbacks, as `show_training_loop` prints it."""
    cbs = sorted(learn.cbs, key=lambda cb: cb.order)
    who = lambda event: [repr(cb) for cb in cbs if hasattr(cb, event)]  # noqa: E731
    layout = [
        (0, "fit", ["before_fit"]),
        (1, "for each epoch", ["before_epoch"]),
        (2, "train: for each batch of dls.train", ["before_train", "before_batch"]),
        (3, "pred = model(*xb)", ["after_pred"]),
        (3, "loss = loss_func(pred, yb)", ["after_loss"]),
        (3, "loss.backward()", ["after_backward"]),
        (3, "opt.step()", ["after_step"]),
        (3, "opt.zero_grad()", []),
        (2, "end of batch", ["after_batch"]),
        (2, "end of train", ["after_train"]),
        (2, "validate: for each batch of dls.valid (no backward, no step)", ["before_validate"]),
        (2, "end of validate", ["after_validate"]),
        (1, "end of epoch", ["after_epoch"]),
        (0, "end of fit", ["after_fit"]),
    ]
    lines = []
    for depth, what, events in layout:
        lines.append("    " * depth + what)
        for event in events:
            lines.append("    " * depth + f"  - {event:<15}: {who(event)}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# One call per kind of data: the DataLoaders, a sensible model, loss and metrics
# ----------------------------------------------------------------------------------------------


def _learner(dls, model, metrics, lr, **kwargs) -> Learner:
    return Learner(dls, model, metrics=metrics, lr=lr, **kwargs)


def image_learner(data, model: str | nn.Module = "auto", metrics=None, lr: float = 1e-2,
                  bs: int = 64, **kwargs) -> Learner:  # fmt: skip
    """A Learner that classifies images: a Split of (N, C, H, W) tensors such as
    `sh.datasets.digits()`, an image folder (one sub-folder per class), or DataLoaders.

    Args:
        model: "auto" or "cnn" (SimpleCNN), "mlp" (MLP on the flattened pixels), or a Module.
        metrics: default [accuracy].
        lr: the default learning rate (Adam).
        kwargs: passed to Learner (cbs, path, progress...).

    Example:
        >>> import scratchish as sh
        >>> learn = sh.learner.image_learner(sh.datasets.digits(), progress=False)
        >>> type(learn.model).__name__, learn.dls.classes[:3]
        ('SimpleCNN', ['0', '1', '2'])
    """
    from .data import DataLoaders, image_dls
    from .metrics import accuracy
    from .models import MLP, SimpleCNN

    dls = data if isinstance(data, DataLoaders) else image_dls(data, bs=bs)
    prep = dls.prep
    n_classes, (height, width) = len(prep.classes), prep.size
    if model in ("auto", "cnn"):
        model = SimpleCNN(prep.channels, n_classes)
    elif model == "mlp":
        model = MLP(prep.channels * height * width, n_classes)
    elif not isinstance(model, nn.Module):
        raise ArgumentError(
            f"image_learner: model={model!r}; use 'auto', 'cnn', 'mlp' or a Module."
        )
    return _learner(dls, model, [accuracy] if metrics is None else metrics, lr, **kwargs)


def tabular_learner(data, target: str | None = None, model: str | nn.Module = "auto",
                    metrics=None, lr: float = 1e-2, bs: int = 64, layers=(200, 100),
                    **kwargs) -> Learner:  # fmt: skip
    """A Learner for a table: a CSV file, a pandas DataFrame, a table Split (iris...) or
    DataLoaders. Classification or regression is detected from the target (see TablePrep).

    Args:
        target: the column to predict (default: the last).
        model: "auto" or "mlp" (TabularModel: embeddings + MLP), or a Module.
        metrics: default [accuracy, f1_score] (classification), [mae, rmse, r2_score]
            (regression).
    """
    from .data import DataLoaders, table_dls
    from .metrics import accuracy, f1_score, mae, r2_score, rmse
    from .models import TabularModel, emb_sz_rule

    dls = data if isinstance(data, DataLoaders) else table_dls(data, target=target, bs=bs)
    prep = dls.prep
    regression = prep.task == "regression"
    if model in ("auto", "mlp"):
        emb_szs = [(len(prep.cat_vocabs[n]), emb_sz_rule(len(prep.cat_vocabs[n])))
                   for n in prep.cat_names]  # fmt: skip
        n_out = 1 if regression else len(prep.classes)
        model = TabularModel(emb_szs, prep.n_cont, n_out, layers, prep.y_mean, prep.y_std)
    elif not isinstance(model, nn.Module):
        raise ArgumentError(f"tabular_learner: model={model!r}; use 'auto', 'mlp' or a Module.")
    if metrics is None:
        metrics = [mae, rmse, r2_score] if regression else [accuracy, f1_score]
    return _learner(dls, model, metrics, lr, **kwargs)


def text_learner(data, model: str | nn.Module = "auto", metrics=None, lr: float = 3e-3,
                 bs: int = 32, block_size: int = 64, n_embd: int = 64, n_head: int = 4,
                 n_layer: int = 2, **kwargs) -> Learner:  # fmt: skip
    """A character-level language model (CharTransformer) for a text file, a CharText or
    DataLoaders; `learn.predict("prompt")` continues the text.

    Args:
        block_size: characters of context.
        n_embd, n_head, n_layer: the transformer's size.
        metrics: default [accuracy] (of the next character).
    """
    from .data import DataLoaders, text_dls
    from .metrics import accuracy
    from .models import CharTransformer

    dls = data if isinstance(data, DataLoaders) else text_dls(data, bs=bs, block_size=block_size)
    prep = dls.prep
    if model in ("auto", "transformer"):
        model = CharTransformer(len(prep.vocab), prep.block_size, n_embd, n_head, n_layer)
    elif not isinstance(model, nn.Module):
        raise ArgumentError(f"text_learner: model={model!r}; use 'auto' or a Module.")
    return _learner(dls, model, [accuracy] if metrics is None else metrics, lr, **kwargs)


def learner_for(data, target: str | None = None, model="auto", bs: int | None = None,
                **kwargs) -> Learner:  # fmt: skip
    """The one call: DataLoaders for `data` (see data.dls_for: a data set name, a Split, an
    image folder, a CSV file or DataFrame, a text file), and the Learner for that kind."""
    from .data import dls_for

    # these describe the data (dls_for), the rest the Learner
    data_keys = ("block_size", "size", "valid_pct", "seed", "stride")
    data_kwargs = {k: kwargs.pop(k) for k in data_keys if k in kwargs}
    dls = dls_for(data, target=target, bs=bs, **data_kwargs)
    if dls.kind == "images":
        return image_learner(dls, model=model, **kwargs)
    if dls.kind == "table":
        return tabular_learner(dls, model=model, **kwargs)
    if dls.kind == "text":
        return text_learner(dls, model=model, **kwargs)
    raise ArgumentError(f"learner_for: cannot pick a model for {dls.kind} data; use Learner.")
