"""Shared pytest setup: make tests/helpers.py importable as `helpers` from every test file."""

import os
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


# Tests and doctests must not write a journal into the working folder; the journal's own tests
# point SCRATCHISH_JOURNAL at a folder of their own.
os.environ.setdefault("SCRATCHISH_JOURNAL", "off")
# ... and must not find a journal someone left in a folder above the temporary folders
# (e.g. /tmp/.scratchish after a `scratchish train` run in /tmp): searches stop below it.
os.environ.setdefault("SCRATCHISH_CEILING_DIRECTORIES", tempfile.gettempdir())
# Check the shape of every gradient scratchish's own ops return (off by default for speed).
os.environ.setdefault("SCRATCHISH_CHECK_GRAD_SHAPES", "1")

# Threads split arrays by the same grain on every machine: value_grain measures a factor per
# machine otherwise (_threads.py), and the thread tests count the parts. Its own tests unpin it.
from scratchish import _threads  # noqa: E402  (after the settings above)

_threads._grain_factor = 1
