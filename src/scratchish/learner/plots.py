"""Pictures of training: losses, the lr finder's curve, a confusion matrix, sample results.

Uses matplotlib (pip install 'scratchish[plot]') through `matplotlib.figure.Figure`, which
needs no screen (headless, as the Agg backend); in Jupyter a returned Figure shows itself.
Every PNG is written to a temporary file and renamed, so a crash never leaves half a picture.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["plot_confusion_matrix", "plot_losses", "plot_lr_find", "save_figure", "show_results"]


def _figure(**kwargs):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "plots need matplotlib, which is not installed. Install it with: "
            "pip install 'scratchish[plot]'"
        ) from None
    return Figure(**kwargs)


def save_figure(fig, fname) -> Path:
    """Write fig as a PNG to fname atomically (a temporary file, then os.replace)."""
    path = Path(fname)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=100, bbox_inches="tight")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _finish(fig, fname):
    if fname is not None:
        save_figure(fig, fname)
    return fig


def plot_losses(recorder, fname=None):
    """Training loss per batch (and its smoothed curve), validation loss at each epoch end."""
    from .callbacks import smooth

    fig = _figure(figsize=(6, 4))
    ax = fig.add_subplot()
    losses = np.array(recorder.losses)
    steps = np.arange(1, len(losses) + 1)
    ax.plot(steps, losses, alpha=0.3, color="C0", label="train (each batch)")
    if len(losses):
        ax.plot(steps, smooth(losses, 0.9), color="C0", label="train (smoothed)")
    if recorder.values:
        per_epoch = len(losses) / len(recorder.values)
        ends = [per_epoch * (i + 1) for i in range(len(recorder.values))]
        valid = [row[recorder.names.index("valid_loss")] for row in recorder.values]
        ax.plot(ends, valid, "o-", color="C1", label="valid (each epoch)")
    ax.set_xlabel("batches")
    ax.set_ylabel("loss")
    ax.set_yscale("log" if len(losses) and losses.min() > 0 else "linear")
    ax.legend()
    ax.set_title("losses")
    return _finish(fig, fname)


def plot_lr_find(result, fname=None):
    """The lr finder's loss against the learning rate (log scale), the suggestion marked."""
    from .callbacks import smooth

    fig = _figure(figsize=(6, 4))
    ax = fig.add_subplot()
    ax.plot(result.lrs, result.losses, alpha=0.3, color="C0", label="loss")
    ax.plot(result.lrs, smooth(result.losses), color="C0", label="smoothed")
    ax.axvline(result.suggestion, color="C1", linestyle="--",
               label=f"suggestion {result.suggestion:.2g} (steepest)")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.legend()
    ax.set_title("lr_find")
    return _finish(fig, fname)


def plot_confusion_matrix(counts: np.ndarray, classes=None, fname=None):
    """counts[i, j] = samples of true class i predicted as j, as a grid of numbers."""
    n = counts.shape[0]
    classes = classes or [str(i) for i in range(n)]
    size = min(2 + 0.5 * n, 12)
    fig = _figure(figsize=(size, size))
    ax = fig.add_subplot()
    ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(n), classes, rotation=90 if n > 10 else 0)
    ax.set_yticks(range(n), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    threshold = counts.max() / 2 if counts.size else 0
    if n <= 30:
        for i in range(n):
            for j in range(n):
                color = "white" if counts[i, j] > threshold else "black"
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", color=color)
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(f"confusion matrix (accuracy {accuracy:.1%})")
    return _finish(fig, fname)


def show_results(inputs, preds, targs, classes=None, fname=None):
    """Images with 'target / prediction' titles (red when wrong); other data is printed as
    rows and returned as a list of (target, prediction)."""
    x, p, t = inputs.numpy(), preds.numpy(), targs.numpy()
    if classes is not None:
        p = p.argmax(-1)
    rows = [(_name(t[i], classes), _name(p[i], classes)) for i in range(len(t))]
    if x.ndim != 4:
        for target, pred in rows:
            print(f"target {target:>12}   predicted {pred:>12}")
        return rows
    n = len(rows)
    n_cols = min(n, 3 if n <= 9 else 5)
    n_rows = -(-n // n_cols)
    fig = _figure(figsize=(2 * n_cols, 2.2 * n_rows))
    for i, (target, pred) in enumerate(rows):
        ax = fig.add_subplot(n_rows, n_cols, i + 1)
        image = x[i].transpose(1, 2, 0)
        ax.imshow(image[..., 0] if image.shape[-1] == 1 else image.clip(0, 1), cmap="gray")
        ax.set_title(f"{target} / {pred}", color="green" if target == pred else "red")
        ax.axis("off")
    fig.suptitle("target / prediction")
    return _finish(fig, fname)


def _name(value, classes) -> str:
    """A class name, or a number for regression."""
    if classes is not None:
        return classes[int(value)]
    return f"{float(np.ravel(value)[0]):.4g}"
