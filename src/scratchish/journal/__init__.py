"""The experiment journal: every training run recorded in a local SQLite file, no server.

    import scratchish as sh
    with sh.journal.start_run("my-mlp", config={"lr": 0.1}, model=model) as run:
        for epoch in range(1, 6):
            ...                                             # train and validate
            run.log_epoch(epoch, {"train_loss": tl, "valid_loss": vl, "accuracy": acc})
    sh.journal.runs()            # every run, newest first (the Learner records its own)

From the command line: `scratchish runs` (list, show, compare, report, note, tag, delete,
export, rerun, tensorboard). Read record.py (what a run holds), then store.py (the file),
callback.py (the Learner's JournalCallback), report.py, rerun.py, cli_commands.py.
"""

from .callback import JournalCallback
from .record import (
    JournalWarning,
    Run,
    data_fingerprint,
    describe_model,
    describe_optimizer,
)
from .store import (
    Journal,
    JournalError,
    NoJournalError,
    RunNotFoundError,
    find_journal,
    journal_path,
    open_journal,
    runs,
    start_run,
)

__all__ = [
    "Journal",
    "JournalCallback",
    "JournalError",
    "JournalWarning",
    "NoJournalError",
    "Run",
    "RunNotFoundError",
    "data_fingerprint",
    "describe_model",
    "describe_optimizer",
    "find_journal",
    "journal_path",
    "open_journal",
    "runs",
    "start_run",
]
