"""The `scratchish` command line: a thin layer over the library, one function per command.

    scratchish run FILE.py|FILE.ipynb [ARGS...]   run PyTorch code with torch served by scratchish
    scratchish run --check FILE                  list the torch names FILE uses, and which exist

To add a command, write `add_<name>_command(commands)` (its arguments) and `<name>_command(args)`
(what it does, returning the exit code), and call the first in build_parser. Read next:
runner.py (`run`).
"""

from __future__ import annotations

import argparse
import sys

from .course import register as add_course_commands
from .errors import ScratchishError
from .journal.cli_commands import register as add_runs_commands
from .learner.train_cli import register as add_learner_commands
from .notes.cli_commands import register as add_notes_commands
from .tools.ipython import format_error_for_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scratchish",
        description="scratchish: deep learning from scratch-ish, PyTorch's API on NumPy.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when something fails"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    add_learner_commands(commands)
    add_runs_commands(commands)
    add_run_command(commands)
    add_notes_commands(commands)
    add_course_commands(commands)
    return parser


def add_run_command(commands) -> None:
    parser = commands.add_parser(
        "run",
        help="run a PyTorch script or notebook on scratchish",
        description=(
            "Run a PyTorch script (.py) or a notebook's code cells (.ipynb) with `import torch` "
            "giving scratchish. Arguments after FILE go to the script (its sys.argv). "
            "IPython magics in notebooks are skipped; matplotlib draws off screen."
        ),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not run: list every torch name FILE uses and whether scratchish supports it",
    )
    parser.add_argument("file", metavar="FILE", help="a .py script or a .ipynb notebook")
    parser.add_argument(
        "args", nargs=argparse.REMAINDER, metavar="ARGS", help="arguments for the script"
    )
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    from . import runner  # imported here so that other commands do not pay for it

    if args.check:
        return runner.check(args.file)
    return runner.run(args.file, args.args)


def main(argv: list | None = None) -> int:
    """The console entry `scratchish`: parse the command line and run the command.

    Returns the exit code (the console script passes it to sys.exit).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except ScratchishError as e:
        # a mistake we can explain: the calm explanation, the traceback only with --debug
        print(format_error_for_cli(e, args.debug), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
