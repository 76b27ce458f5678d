"""`scratchish run`: run a PyTorch script or notebook with torch served by scratchish.

`run(path, args)` runs a .py file as `python FILE ARGS` would, or a notebook's code cells in
order as Jupyter would, under compat.as_torch, showing only the user's frames when it fails.
`check(path)` lists, without running, the torch names a file uses. Read next: compat.py.
"""

from __future__ import annotations

import ast
import contextlib
import json
import linecache
import os
import runpy
import sys
import sysconfig
import traceback
import types
import warnings
from dataclasses import dataclass, field

from . import compat
from .errors import ArgumentError, ScratchishError
from .tensor import Tensor


@dataclass
class Cell:
    """A piece of code to run: a whole script, or one code cell of a notebook."""

    source: str  # the code, with IPython magics replaced by `pass`
    filename: str  # what tracebacks show: the script's path, or "nb.ipynb [cell 3]"
    label: str = ""  # where it is, for --check: "" for a script, "cell 3, " for a notebook
    notes: list = field(default_factory=list)  # one line per skipped magic


# ---------------------------------------------------------------------------------------------
# Reading scripts and notebooks
# ---------------------------------------------------------------------------------------------
def load_cells(path: str) -> list:
    """The code in a .py file (one Cell) or in a notebook's code cells (one Cell each)."""
    if not os.path.isfile(path):
        where = "" if os.path.isabs(path) else f" (looked in {os.getcwd()})"
        raise ArgumentError(f"no such file: {path}{where}")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".ipynb"):
        return _notebook_cells(path, text)
    return [Cell(text, path)]


def _notebook_cells(path: str, text: str) -> list:
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as e:
        raise ArgumentError(
            f"{path} is not a valid notebook: it is not JSON ({e.msg} at line {e.lineno}, "
            f"column {e.colno}). Open it in Jupyter and save it again, or run a .py script."
        ) from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ArgumentError(
            f"{path} is JSON but not a Jupyter notebook (format 4): it has no list of 'cells'."
        )
    cells = []
    for number, cell in enumerate(notebook["cells"], start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):  # notebooks store a cell as a list of lines
            source = "".join(source)
        code, notes = _skip_magics(source, f"cell {number}")
        cells.append(Cell(code, f"{path} [cell {number}]", f"cell {number}, ", notes))
    return cells


def _skip_magics(source: str, where: str) -> tuple:
    """Replace IPython magics (`%time ...`, `!pip ...`) by `pass`; skip `%%` cells entirely.

    `pass` keeps the line numbers, and keeps an indented block that held a magic non-empty.
    """
    lines = source.splitlines()
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        return "", [f"{where}: skipped (the cell magic {first.split()[0]} needs IPython)"]
    kept, notes = [], []
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            kept.append(line[: len(line) - len(stripped)] + "pass")
            notes.append(f"{where}, line {number}: skipped the IPython magic `{stripped}`")
        else:
            kept.append(line)
    return "\n".join(kept), notes


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------
def run(path: str, args=()) -> int:
    """Run a PyTorch script or notebook on scratchish; return the exit code.

    Args:
        path: a .py script or a .ipynb notebook.
        args: the script's own arguments (its sys.argv[1:]).

    Returns:
        0 on success, the script's own code for sys.exit(code), 1 when it raised an error
        (shown with the user's frames only, on stderr).
    """
    try:
        cells = load_cells(path)
    except ArgumentError as e:
        _say(str(e))
        return 1
    notebook = path.endswith(".ipynb")
    own_files = {path, os.path.abspath(path)} | {cell.filename for cell in cells}
    with _script_environment(path, list(args), notebook):
        try:
            if notebook:
                _run_notebook(cells)
            else:
                runpy.run_path(path, run_name="__main__")
        except SystemExit as e:
            return _exit_code(e)
        except KeyboardInterrupt:
            _say("interrupted")
            return 130
        except Exception as e:  # the user's error: shown as theirs, not as ours
            sys.stdout.flush()
            sys.stderr.write(format_user_error(e, own_files))
            return 1
    return 0


@contextlib.contextmanager
def _script_environment(path: str, args: list, notebook: bool):
    """What `python FILE ARGS` (or Jupyter) gives a script, with torch served by scratchish:
    sys.argv, the script's folder first on sys.path (a notebook also runs in its folder, as in
    Jupyter), and matplotlib drawing off screen. Everything is put back afterwards."""
    saved_argv, saved_path, saved_cwd = sys.argv[:], sys.path[:], os.getcwd()
    saved_backend = os.environ.get("MPLBACKEND")
    folder = os.path.dirname(os.path.abspath(path))
    sys.argv = [path, *args]
    sys.path.insert(0, folder)
    # headless: figures are drawn in memory and plt.show() opens no window. The variable is
    # read when matplotlib is imported; when it already is, switch it directly.
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")
    try:
        if notebook:
            os.chdir(folder)
        with warnings.catch_warnings(), compat.as_torch():
            warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown")
            yield
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        os.chdir(saved_cwd)
        if saved_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = saved_backend


def _run_notebook(cells: list) -> None:
    """Run the code cells in order in one namespace, the module __main__, as Jupyter does."""
    main = types.ModuleType("__main__")
    saved_main = sys.modules["__main__"]
    sys.modules["__main__"] = main  # so pickle finds classes defined in the notebook
    try:
        for cell in cells:
            for note in cell.notes:
                _say(note)
            run_cell(cell, main.__dict__)
    finally:
        sys.modules["__main__"] = saved_main


def run_cell(cell: Cell, namespace: dict) -> None:
    """Run one notebook cell; print the value of its last line when that is an expression
    (not None, and not ended by `;`), as Jupyter shows it."""
    # tracebacks read source lines through linecache: give it the cell's code
    linecache.cache[cell.filename] = (
        len(cell.source),
        None,
        cell.source.splitlines(keepends=True),
        cell.filename,
    )
    tree = ast.parse(cell.source, cell.filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not cell.source.rstrip().endswith(";"):
        last = ast.Expression(tree.body.pop().value)
    # exec and eval: running the user's code is the point of this function
    exec(compile(tree, cell.filename, "exec"), namespace)
    if last is not None:
        value = eval(compile(last, cell.filename, "eval"), namespace)
        if value is not None:
            print(repr(value))


def _exit_code(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    _say(str(e.code))  # sys.exit("message") prints the message and exits with 1
    return 1


def _say(message: str) -> None:
    sys.stdout.flush()
    print(f"scratchish run: {message}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Errors from the user's code
# ---------------------------------------------------------------------------------------------
def _library_folders() -> tuple:
    """Folders whose frames are not the user's: scratchish itself, the standard library and
    installed packages."""
    paths = sysconfig.get_paths()
    folders = {os.path.dirname(os.path.abspath(compat.__file__))}
    folders |= {os.path.abspath(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(folder + os.sep for folder in folders)


def is_user_frame(filename: str, own_files: set) -> bool:
    if filename in own_files:
        return True
    if filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>
        return False
    return not os.path.abspath(filename).startswith(_library_folders())


def format_user_error(exc: BaseException, own_files: set) -> str:
    """The traceback of an error in the user's code, keeping only the user's frames.

    An error raised inside scratchish (a teaching error, a shape error) thus shows the line of
    the user's file that led to it, then the message with what to do instead.
    """
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if is_user_frame(f.filename, own_files)
    ]
    lines = []
    if frames:
        lines.append("Traceback (most recent call last, your code only):\n")
        lines += traceback.format_list(frames)
    deepest = traceback.extract_tb(exc.__traceback__)[-1:]
    package = os.path.dirname(os.path.abspath(compat.__file__))
    if (
        deepest
        and not isinstance(exc, ScratchishError)
        and os.path.abspath(deepest[0].filename).startswith(package + os.sep)
    ):
        # not one of scratchish's explained errors: say where it came from, it may be our bug
        where = os.path.relpath(deepest[0].filename, os.path.dirname(package))
        lines.append(
            f"  (raised inside scratchish, {where}, line {deepest[0].lineno}; if your code "
            f"looks right, this may be a scratchish bug worth reporting)\n"
        )
    lines += traceback.format_exception_only(type(exc), _taught(exc))
    return "".join(lines) + magic_hint(exc)


def magic_hint(exc: BaseException) -> str:
    """For a SyntaxError at a line such as `%matplotlib inline` or `!pip install ...`
    (notebook code pasted into a .py file), what that line is and what to do with it."""
    text = (getattr(exc, "text", None) or "").lstrip()
    if not isinstance(exc, SyntaxError) or not text.startswith(("%", "!")):
        return ""
    return (
        f"  {text.split()[0]} is a Jupyter command (an IPython magic or a shell command), not "
        f"Python: in a .py file delete the line (a plot shows with plt.show()), or keep the "
        f"code in a notebook (.ipynb), which scratchish run takes too.\n"
    )


def _taught(exc: BaseException) -> BaseException:
    """A PyTorch Tensor method scratchish lacks (`x.pin_memory()`) raises Python's plain
    AttributeError: Tensor has no `__getattr__` to raise a teaching error, because a class
    with one makes every attribute read of every tensor slower (Python 3.11 then cannot
    specialise them: +1 us per op in the engine). Here it gets the teaching message."""
    name = getattr(exc, "name", None)
    if (
        type(exc) is AttributeError
        and isinstance(getattr(exc, "obj", None), Tensor)
        and isinstance(name, str)
        and not name.startswith("__")
    ):
        return compat.UnsupportedAPIError(
            compat.unsupported_message(f"torch.Tensor.{name}", owner=Tensor)
        )
    return exc


# ---------------------------------------------------------------------------------------------
# --check: which torch names a file uses, without running it
# ---------------------------------------------------------------------------------------------
def torch_names(tree: ast.AST) -> list:
    """(PyTorch name, line) for every torch name the code uses, import aliases resolved.

    `import torch.nn as nn; nn.Linear` gives "torch.nn.Linear"; `from torch.nn import
    functional as F; F.relu` gives "torch.nn.functional.relu". Methods called on results
    (`x.view(...)`) are not followed, and neither are uses of an alias the code also binds
    to something else (`from torch.utils import data`, then `data = load()`: `data.shape`
    is most likely the local value's).
    """
    aliases: dict = {}  # local name -> the PyTorch name it stands for
    found: list = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_torch(alias.name):
                    if alias.name != "torch":
                        found.append((alias.name, node.lineno))
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:  # `import torch.nn` binds the name torch
                        top = alias.name.split(".")[0]
                        aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_torch(node.module):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.append((full, node.lineno))
                aliases[alias.asname or alias.name] = full
    rebound = _bound_otherwise(tree)
    # a chain a.b.c is reported once, as a whole: skip the Attribute nodes inside a longer one
    inside = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inside:
            chain = _dotted(node)
            if chain is not None:
                base, _, rest = chain.partition(".")
                if base in aliases and base not in rebound:
                    found.append((f"{aliases[base]}.{rest}", node.lineno))
    return sorted(found, key=lambda item: item[1])


def _bound_otherwise(tree: ast.AST) -> set:
    """The names the code binds other than by importing: assigned, loop or with targets,
    function parameters, functions and classes, except ... as name."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _is_torch(module: str | None) -> bool:
    return module is not None and (
        module.split(".")[0] == "torch" or module.split(".")[0] in compat.COMPANIONS
    )


def _dotted(node: ast.AST) -> str | None:
    """The dotted name `a.b.c` of a chain of attributes on a plain name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def check_name(api: str) -> str | None:
    """None when scratchish has the PyTorch name `api`, else why not and what to use."""
    try:
        compat.resolve(api)
    except (AttributeError, ImportError) as e:
        return str(e).removesuffix(" [unsupported]")
    return None


def check(path: str) -> int:
    """Print every torch name `path` uses and whether scratchish supports it, without running
    it. Returns 0 when all are supported, 1 otherwise (or when the file cannot be read)."""
    try:
        cells = load_cells(path)
    except ArgumentError as e:
        _say(str(e))
        return 1
    uses: dict = {}  # PyTorch name -> places it is used, in order
    for cell in cells:
        try:
            tree = ast.parse(cell.source, cell.filename)
        except SyntaxError as e:
            sys.stderr.write("".join(traceback.format_exception_only(type(e), e)) + magic_hint(e))
            return 1
        for api, line in torch_names(tree):
            uses.setdefault(api, []).append(f"{cell.label}line {line}" if cell.label else line)
    problems = {api: check_name(api) for api in uses}
    print(f"{path}: the torch names it uses, and whether scratchish supports them")
    for api, places in uses.items():
        places = list(dict.fromkeys(places))  # each place once
        where = ", ".join(str(p) for p in places)
        if not cells[0].label:  # a script: "line 3" or "lines 3, 9"
            where = f"line {where}" if len(places) == 1 else f"lines {where}"
        verdict = "ok" if problems[api] is None else f"NOT SUPPORTED. {problems[api]}"
        print(f"  {api} ({where}): {verdict}")
    n_bad = sum(problem is not None for problem in problems.values())
    print(f"{len(uses)} names, {len(uses) - n_bad} supported, {n_bad} not supported.")
    return 1 if n_bad else 0
