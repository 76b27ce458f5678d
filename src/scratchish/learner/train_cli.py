"""The `scratchish train`, `predict` and `datasets` commands: a thin layer over the Learner.

    scratchish train                       the bundled digits, a small CNN, about 10 seconds
    scratchish train data.csv --target y   a table; an image folder; a text file
    scratchish predict runs/digits/model.safetensors picture.png
    scratchish datasets                    what data sets exist and which are on this machine

`register(subparsers)` adds the three commands to cli.py's parser; `cmd_*(args)` run them and
return the exit code. Read learner.py for what training does.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from ..datasets import DatasetError
from ..errors import ScratchishError

__all__ = ["cmd_datasets", "cmd_predict", "cmd_train", "register"]

DEFAULT_EPOCHS = {"images": 5, "table": 10, "text": 2}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def register(subparsers) -> None:
    """Add `train`, `predict` and `datasets` to an argparse subparsers object."""
    train = subparsers.add_parser(
        "train",
        help="train a model on a data set, a CSV file, an image folder or a text file",
        description=(
            "Train a model and save it, with a loss plot (and a confusion matrix for "
            "classifiers), in --out. With no DATA it trains a small CNN on the handwritten "
            "digits bundled with scikit-learn: offline, in seconds, about 98%% accurate."
        ),
        epilog=(
            "examples:\n"
            "  scratchish train                          the bundled digits\n"
            "  scratchish train iris                     a named data set (scratchish datasets)\n"
            "  scratchish train houses.csv --target price   a table: predict the price column\n"
            "  scratchish train pets/                    images, one sub-folder per class\n"
            "  scratchish train book.txt --epochs 3      a character-level language model"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "data", nargs="?", default="digits", metavar="DATA",
        help="a data set name (default: digits), a .csv file, an image folder or a text file",
    )  # fmt: skip
    train.add_argument("--target", metavar="COLUMN", help="CSV only: the column to predict "
                       "(default: the last column)")  # fmt: skip
    train.add_argument("--model", default="auto", choices=["auto", "mlp", "cnn"],
                       help="auto picks from the data: cnn for images, an MLP with embeddings "
                       "for tables, a small transformer for text (default: auto)")  # fmt: skip
    train.add_argument("--epochs", type=int, metavar="N", help="passes over the training data "
                       "(default: 5 images, 10 tables, 2 text)")  # fmt: skip
    train.add_argument("--lr", default="auto", metavar="auto|VALUE",
                       help="the peak learning rate; auto runs the lr finder first "
                       "(default: auto)")  # fmt: skip
    train.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="random seed: the same seed gives the same model (default: 0)",
    )
    train.add_argument("--bs", type=int, metavar="N", help="batch size (default: 64, 32 text)")
    train.add_argument("--out", metavar="DIR", help="where to save the model and plots "
                       "(default: ./runs/<data name>)")  # fmt: skip
    train.add_argument("--no-bars", action="store_true", help="no progress bars")
    train.set_defaults(handler=cmd_train)

    predict = subparsers.add_parser(
        "predict",
        help="use a trained model: classify images, predict table rows, continue a text",
        description=(
            "Load a model saved by `scratchish train` and predict. INPUT is, for an image "
            "model, image files; for a table model, a CSV file with a header, a CSV line of "
            "values in column order, or COLUMN=VALUE pairs; for a text model, the prompt."
        ),
    )
    predict.add_argument("model", metavar="MODEL", help="the model.safetensors file `train` saved")
    predict.add_argument("inputs", nargs="+", metavar="INPUT", help="what to predict for")
    predict.add_argument("--n-chars", type=int, default=200, help="text: characters to generate")
    predict.set_defaults(handler=cmd_predict)

    datasets = subparsers.add_parser(
        "datasets",
        help="list the named data sets and whether each is on this machine",
        description="List the data sets `scratchish train NAME` knows, and where they live.",
    )
    datasets.set_defaults(handler=cmd_datasets)


# ----------------------------------------------------------------------------------------------
# train
# ----------------------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    """Train on args.data, save model + plots in args.out; returns the exit code."""
    from .. import random as sh_random
    from .callbacks import ProgressCallback, SaveModelCallback, TrainingDivergedError
    from .learner import learner_for

    start = time.perf_counter()
    sh_random.manual_seed(args.seed)
    name = _data_name(args.data)
    out = Path(args.out) if args.out else Path("runs") / name
    try:
        lr = None if args.lr == "auto" else float(args.lr)
    except ValueError:
        print(f"error: --lr must be 'auto' or a number such as 0.01, not {args.lr!r}.",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        learn = learner_for(args.data, target=args.target, model=args.model, bs=args.bs,
                            path=out, progress=False)  # fmt: skip
    except (DatasetError, ScratchishError, FileNotFoundError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    learn.add_cbs([ProgressCallback(bars=not getattr(args, "no_bars", False))])
    if learn.journal is not None:  # so that `scratchish runs rerun` can repeat this command
        learn.journal.record_command("train", args)
    kind = learn.dls.kind
    epochs = args.epochs or DEFAULT_EPOCHS[kind]
    _describe(learn, name, epochs)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    if lr is None:
        result = learn.lr_find(show=False)
        lr = result.suggestion
        print(f"lr_find: {result.reason}")
        files.append(_try_plot(learn.plot_lr_find, out / "lr_find.png"))
    monitor = "valid_loss"
    try:
        learn.fit_one_cycle(epochs, lr, cbs=[SaveModelCallback(monitor, fname="best")])
    except TrainingDivergedError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    files.append(learn.export((out / "model.safetensors").resolve()))
    files.append(_write_history(learn, out / "history.csv"))
    files.append(_try_plot(learn.plot_losses, out / "losses.png"))
    if kind in ("images", "table") and learn.dls.classes is not None:
        files.append(_try_plot(learn.plot_confusion_matrix, out / "confusion_matrix.png"))
    if learn.journal is not None:
        for f in files:
            if f is not None:
                learn.journal.add_artefact(f)
    _report(learn, kind, files, start)
    return 0


def _data_name(data: str) -> str:
    path = Path(str(data))
    return (path.stem if path.suffix else path.name) or "run"


def _describe(learn, name: str, epochs: int) -> None:
    dls = learn.dls
    n_params = sum(p.numel() for p in learn.model.parameters())
    what = {"images": "images", "table": "table rows", "text": "text windows"}[dls.kind]
    task = getattr(dls.prep, "task", "")
    classes = f", {len(dls.classes)} classes" if dls.classes else ""
    print(
        f"data: {name}: {len(dls.train.dataset)} training and {len(dls.valid.dataset)} "
        f"validation {what} ({task}{classes})\n"
        f"model: {type(learn.model).__name__} with {n_params:,} parameters; "
        f"{epochs} epochs of one-cycle training with Adam"
    )


def _try_plot(plot, fname) -> Path | None:
    try:
        plot(fname)
    except ImportError as e:  # matplotlib missing: the model is still saved
        print(f"(no {Path(fname).name}: {e})", file=sys.stderr)
        return None
    return Path(fname)


def _write_history(learn, fname: Path) -> Path:
    """The per-epoch table as CSV, written atomically."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(learn.recorder.names)
    for row in learn.recorder.values:
        writer.writerow([int(row[0]) + 1, *(f"{v:.6g}" for v in row[1:])])
    fd, tmp = tempfile.mkstemp(prefix=f".{fname.name}.", suffix=".tmp", dir=fname.parent)
    with os.fdopen(fd, "w", newline="") as f:
        f.write(text.getvalue())
    os.replace(tmp, fname)
    return fname


def _report(learn, kind: str, files, start: float) -> None:
    result = learn.validate()
    scores = ", ".join(f"{k} {v:.4f}" for k, v in result.items())
    print(f"\nvalidation: {scores}")
    if kind == "text":
        sample = learn.predict(learn.dls.prep.vocab[0], n_chars=200)
        print(f"a sample of generated text:\n{sample}\n")
    print("saved:")
    for f in files:
        if f is not None:
            print(f"  {f}")
    model = next(f for f in files if f is not None and f.name == "model.safetensors")
    example = {"images": "IMAGE.png", "table": "COLUMN=VALUE ...", "text": "'a prompt'"}[kind]
    print(f"use it: scratchish predict {model} {example}")
    print(f"wall time: {time.perf_counter() - start:.1f} s")


# ----------------------------------------------------------------------------------------------
# predict
# ----------------------------------------------------------------------------------------------


def cmd_predict(args: argparse.Namespace) -> int:
    """Load an exported model and predict for args.inputs; returns the exit code."""
    from .export import load_learner

    try:
        learn = load_learner(args.model)
    except (FileNotFoundError, ScratchishError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        for line in _predictions(learn, args):
            print(line)
    except (DatasetError, ScratchishError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def _predictions(learn, args):
    kind = learn.dls.kind
    inputs = args.inputs
    if kind == "images":
        for item in inputs:
            p = learn.predict(item)
            yield f"{item}: {p.label} (probability {p.probs[p.index].item():.3f})"
    elif kind == "table":
        yield from _table_predictions(learn, inputs)
    elif kind == "text":
        if len(inputs) == 1 and Path(inputs[0]).suffix.lower() in IMAGE_SUFFIXES:
            raise DatasetError(
                f"predict: {inputs[0]} looks like an image file, but this model is a language "
                f"model: it expects {learn.dls.prep.expected()}."
            )
        yield learn.predict(" ".join(inputs), n_chars=args.n_chars)
    else:
        raise DatasetError(f"predict: this model has no data description ({kind}).")


def _table_predictions(learn, inputs):
    prep = learn.dls.prep
    if len(inputs) == 1 and Path(inputs[0]).suffix.lower() in (".csv", ".tsv"):
        from .data import read_csv

        header, rows = read_csv(inputs[0])
        for i, row in enumerate(rows, start=2):
            yield f"line {i}: {_show(prep, learn.predict(dict(zip(header, row))))}"
        return
    if len(inputs) == 1 and Path(inputs[0]).suffix.lower() in IMAGE_SUFFIXES:
        raise DatasetError(
            f"predict: {inputs[0]} looks like an image file, but this model reads table rows: "
            f"it expects {prep.expected()}."
        )
    yield _show(prep, learn.predict(inputs if len(inputs) > 1 else inputs[0]))


def _show(prep, prediction) -> str:
    if prep.task == "regression":
        return f"{prep.target} = {prediction:.6g}"
    p = prediction
    return f"{prep.target} = {p.label} (probability {p.probs[p.index].item():.3f})"


# ----------------------------------------------------------------------------------------------
# datasets
# ----------------------------------------------------------------------------------------------


def cmd_datasets(args: argparse.Namespace) -> int:
    """Print every named data set: what it is, whether it is here, where it lives."""
    from ..datasets import available

    rows = [("name", "what", "size", "status", "where")]
    rows += [(r.name, r.kind, r.size, r.status, r.where) for r in available()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4])
    print(
        "\nTrain on one with: scratchish train NAME. Your own data: scratchish train "
        "FILE.csv --target COLUMN, an image folder, or a text file."
    )
    return 0
