"""Export a run to TensorBoard event files (tensorboardX, an optional extra), so that the
journal is never a dead end: `scratchish runs tensorboard ID --logdir tb` then
`tensorboard --logdir tb`. Each metric becomes a scalar per epoch; the settings, the model and
the notes become text. Read record.py for what a run holds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .record import Run

__all__ = ["export_tensorboard"]


def export_tensorboard(run: Run, logdir: str | Path) -> Path:
    """Write `run` as TensorBoard events in logdir/run-<id>-<name>; returns that folder.

    Raises:
        ImportError: tensorboardX is missing (the message says how to install it).
    """
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError(
            "runs tensorboard: exporting needs tensorboardX: pip install tensorboardX "
            "(then view with TensorBoard: pip install tensorboard; tensorboard --logdir DIR)"
        ) from None
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", run.name).strip("-") or "run"
    folder = Path(logdir) / f"run-{run.id}-{slug}"
    writer = SummaryWriter(logdir=str(folder))
    try:
        for e in sorted(run.epochs, key=lambda e: e["epoch"]):
            for name, value in e["metrics"].items():
                writer.add_scalar(name, value, global_step=e["epoch"])
        settings = json.dumps(run.config, indent=2, default=repr)
        writer.add_text("settings", f"```\n{settings}\n```", global_step=0)
        writer.add_text("status", f"{run.status} {run.error or ''}".strip(), global_step=0)
        for i, note in enumerate(run.notes):
            writer.add_text("notes", note["text"], global_step=i)
    finally:
        writer.close()
    return folder
