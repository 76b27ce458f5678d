"""Shared pytest setup: make tests/helpers.py importable as `helpers` from every test file."""

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
