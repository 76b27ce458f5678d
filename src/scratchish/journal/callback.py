"""JournalCallback: records each `Learner.fit*` as a run, a thin layer over `start_run`.

before_fit describes the Learner (model, optimizer, schedule, data...) and starts a run;
after_epoch records the epoch's row of the Recorder (committed at once, so a killed process
keeps its finished epochs); after_fit finishes the run; cleanup_fit marks it failed when an
exception stopped training, interrupted for Ctrl-C. Nothing here can stop training: a journal
that cannot be written warns once. Read record.py for what is recorded, learner.py for events.
"""

from __future__ import annotations

import hashlib
import sys
import time
import warnings
from pathlib import Path

from .record import (
    JournalWarning,
    Run,
    _plain,
    data_fingerprint,
    dataset_arrays,
    describe_model,
    describe_optimizer,
)

__all__ = ["JournalCallback", "describe_learner"]

SKIP_IN_SETTINGS = {"Recorder", "ProgressCallback", "JournalCallback", "NaNGuard"}


class JournalCallback:
    """Records every fit of the Learner in the journal; `learn.run` is the latest run.

    Args:
        journal: a journal path (default: SCRATCHISH_JOURNAL, else the nearest
            .scratchish/journal.db, else one made in the working folder).
        name: the runs' name (default: "<data>-<model class>").
        tags: tags for every run.

    Attributes:
        run: the latest Run (None before the first fit).
        command: set by `record_command` when a command (`scratchish train`) made the Learner,
            so that `scratchish runs rerun` can repeat it.
        seconds: the time spent recording, in total (what the journal costs).

    An lr_find is not recorded (it is a probe, not a run). It is not a subclass of the
    learner's Callback so that the journal does not import the learner: a callback is any
    object with an `order` and event methods.
    """

    # Right after the Recorder (10) has made the epoch's row, and before callbacks that may end
    # the fit from after_epoch (EarlyStoppingCallback, 40, raises CancelFitException there,
    # and the callbacks after it are not called for that epoch).
    order = 15

    def __init__(self, journal=None, name: str | None = None, tags=()) -> None:
        self.journal, self.name, self.tags = journal, name, list(tags)
        self.run: Run | None = None
        self.command: dict | None = None
        self.seconds = 0.0
        self._recording = False

    def __repr__(self) -> str:
        return "JournalCallback"

    def record_command(self, name: str, args) -> None:
        """Remember the command that made this Learner: its name ("train") and its parsed
        arguments (an argparse Namespace), kept in every run's source for `runs rerun`."""
        values = vars(args) if not isinstance(args, dict) else args
        kept = {k: _plain(v) for k, v in values.items() if not callable(v)}
        self.command = {"name": name, "args": kept}

    def add_artefact(self, path, kind: str | None = None) -> None:
        """Note a file written for the latest run (a checkpoint, a plot); never raises."""
        if self.run is not None:
            self._safely(self.run.add_artefact, path, kind)

    # ------------------------------------------------------------------------------- events
    def before_fit(self, learn) -> None:
        from ..learner.callbacks import LRFinder  # here: learner imports this module

        self._recording = not any(isinstance(cb, LRFinder) for cb in learn.cbs)
        if self._recording:
            self._safely(self._start, learn)

    def after_batch(self, learn) -> None:
        if self._recording and learn.training and self.run is not None:
            self.run.beat()  # writes at most every 30 s: one clock reading per batch

    def after_epoch(self, learn) -> None:
        if self._recording and self.run is not None:
            self._safely(self._log_epoch, learn)

    def after_fit(self, learn) -> None:
        if self._recording and self.run is not None and self.run.status == "running":
            status = "interrupted" if getattr(learn, "interrupted", False) else "finished"
            error = "stopped by Ctrl-C" if status == "interrupted" else None
            self._safely(self.run.finish, status, error)

    def cleanup_fit(self, learn) -> None:
        """Reached after after_fit, or instead of it when an exception escapes the loop."""
        if self._recording and self.run is not None and self.run.status == "running":
            error = sys.exc_info()[1]  # the exception on its way out of fit, if any
            if isinstance(error, KeyboardInterrupt):
                self._safely(self.run.finish, "interrupted", "KeyboardInterrupt (Ctrl-C)")
            elif error is not None:
                self._safely(self.run.finish, "failed", f"{type(error).__name__}: {error}")
            else:
                self._safely(self.run.finish, "finished")
        self._recording = False

    # ------------------------------------------------------------------------------ helpers
    def _start(self, learn) -> None:
        from .store import recording_disabled, start_run

        if self.journal is None and recording_disabled():  # SCRATCHISH_JOURNAL=off
            self.run = start_run(self.name or "run", tags=self.tags)  # in memory, no cost
            return
        config = describe_learner(learn)
        data = (self.command or {}).get("args", {}).get("data")
        if data and config["data"]["name"] == config["data"]["kind"]:  # a better name
            config["data"]["name"] = Path(str(data)).name
        name = self.name or f"{config['data']['name']}-{config['model']['class']}"
        self.run = start_run(
            name, config, journal=self.journal, tags=self.tags, command=self.command
        )

    def _log_epoch(self, learn) -> None:
        recorder = learn.recorder
        row = dict(zip(recorder.names, recorder.values[-1]))
        seconds = row.pop("time", None)
        row.pop("epoch", None)
        self.run.log_epoch(learn.epoch + 1, row, seconds)

    def _safely(self, action, *args) -> None:
        """Run a recording step; whatever goes wrong, warn once and let training go on."""
        start = time.perf_counter()
        try:
            action(*args)
        except Exception as error:
            warnings.warn(
                f"journal: recording failed ({type(error).__name__}: {error}); training goes "
                f"on without recording this run.",
                JournalWarning,
                stacklevel=3,
            )
            self._recording = False
        finally:
            self.seconds += time.perf_counter() - start


def describe_learner(learn) -> dict:
    """The settings of a Learner's coming fit: model, optimizer, loss, metrics, lr schedule,
    batch size, epochs, seed, callbacks and data (name, kind, sizes, fingerprint)."""
    from ..random import get_rng_state, initial_seed

    dls = learn.dls
    train_ds, valid_ds = dls.train.dataset, dls.valid.dataset
    fingerprint = data_fingerprint(*dataset_arrays(train_ds), *dataset_arrays(valid_ds))
    data_name = getattr(dls, "name", None) or getattr(getattr(dls, "prep", None), "name", None)
    config = {
        "model": describe_model(learn.model),
        "optimizer": describe_optimizer(learn.opt) if learn.opt is not None else None,
        "loss": _name(learn.loss_func),
        "metrics": [_name(m) for m in learn.metrics],
        "lr": learn.lr,
        "lr_schedule": _schedule(learn),
        "batch_size": getattr(dls.train, "batch_size", None),
        "epochs": learn.n_epochs,
        "start_epoch": learn.epochs.start,
        "seed": initial_seed(),
        # the random state at the start: equal states (and settings) give equal runs
        "rng_state": hashlib.sha256(get_rng_state().tobytes()).hexdigest()[:16],
        "callbacks": _callbacks(learn),
        "data": {
            "name": data_name or dls.kind,
            "kind": dls.kind,
            "n_train": len(train_ds),
            "n_valid": len(valid_ds),
            "fingerprint": fingerprint,
        },
    }
    describe = getattr(learn, "describe", None)  # a Learner may add its own settings
    if callable(describe):
        config.update(describe())
    return config


def _name(f) -> str:
    return getattr(f, "__name__", None) or type(f).__name__


def _schedule(learn) -> dict:
    from ..learner.callbacks import OneCycleScheduler

    for cb in learn.cbs:
        if isinstance(cb, OneCycleScheduler):
            keys = ("lr_max", "pct_start", "div_factor", "final_div_factor")
            return {"policy": "one_cycle", **{k: getattr(cb, k) for k in keys}}
    return {"policy": "constant", "lr": learn.lr}


def _callbacks(learn) -> dict:
    """Each callback with its simple settings (EarlyStopping's patience, GradientClip's
    max_norm...), so that a comparison shows them."""
    described = {}
    for cb in sorted(learn.cbs, key=lambda cb: getattr(cb, "order", 0)):
        name = type(cb).__name__
        if name in SKIP_IN_SETTINGS:
            continue
        simple = (bool, int, float, str, type(None))
        described[name] = {
            k: v for k, v in vars(cb).items() if not k.startswith("_") and isinstance(v, simple)
        }
    return described
