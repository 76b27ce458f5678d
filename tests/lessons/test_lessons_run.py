"""Every lesson runs from top to bottom, offline, within its time budget, and prints its claims.

Each notebook checks its own claims with `assert` in its cells (execution stops at the first
false one); this test also reads the printed output and checks the numbers again, so a lesson
that stops printing a claim fails too. Each lesson runs in a fresh folder (as a learner's
copy would), with its own journal and notes, the network blocked, matplotlib off screen.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

from scratchish.course import lessons, lessons_folder  # noqa: E402

CELL_TIMEOUT = 180  # seconds: a cell that runs longer fails the lesson
LESSON_BUDGET = 180  # seconds for a whole lesson on the project's 2-core machine

# The first cell the test runs in the kernel, before the lesson: the lessons must not need the
# network (bundled data only), so any attempt to connect fails loudly.
BLOCK_NETWORK = """
import socket as _socket
def _offline(*args, **kwargs):
    raise OSError("the lessons run offline: this one tried to use the network")
_socket.socket.connect = _offline
_socket.create_connection = _offline
del _socket, _offline
"""

# What each lesson must print: (regular expression, check of the captured number, meaning).
CLAIMS = {
    "01_first_model.ipynb": [
        (r"validation accuracy: ([\d.]+)%", lambda v: v > 95, "digits accuracy above 95%"),
        (r"(\d+) right out of 359", lambda v: v > 340, "the confusion matrix's diagonal"),
        (r"taken on faith: (Cross-entropy)", None, "the faith note was written"),
    ],
    "02_your_own_data.ipynb": [
        (r"table accuracy: ([\d.]+)%", lambda v: v > 85, "the CSV classifier"),
        (r"shapes accuracy: ([\d.]+)%", lambda v: v > 90, "the image-folder classifier"),
        (r"your drawing: (triangle)", None, "a new picture is classified"),
    ],
    "03_inside_fit.ipynb": [
        (r"my loop: accuracy ([\d.]+)%", lambda v: v > 93, "the hand-written loop"),
        (r"the Learner: accuracy ([\d.]+)%", lambda v: v > 93, "the Learner's loop"),
        (r"difference: (0\.0+) percentage points", None, "the two loops agree exactly"),
    ],
    "04_what_a_gradient_is.ipynb": [
        (r"by hand: w = ([\d.]+)", lambda v: abs(v - 2.05) < 0.05, "the slope found by hand"),
        (r"autograd: dL/dw = (-?[\d.]+)", lambda v: abs(v + 18.333) < 1e-3, "autograd's slope"),
        (r"with autograd: w = ([\d.]+)", lambda v: abs(v - 2.05) < 0.05, "the same line"),
    ],
    "05_backprop_from_scratch.ipynb": [
        (r"gradcheck of the buggy sigmoid: (False)", None, "gradcheck catches the bug"),
        (r"gradcheck of MySigmoid: (True)", None, "the fixed op passes"),
        (r"gradcheck of MyLinear: (True)", None, "the linear op passes"),
        (r"accuracy with my ops: ([\d.]+)%", lambda v: v > 90, "a model trained on own ops"),
    ],
    "06_convolutions.ipynb": [
        (r"CNN accuracy: ([\d.]+)%", lambda v: v > 95, "the CNN on digits"),
        (r"healthy net \(gradients\): (No problems found\.)", None, "a healthy net is fine"),
        (r"(Vanishing gradients)", None, "the broken net is diagnosed"),
    ],
    "07_text.ipynb": [
        (r"validation loss: ([\d.]+)", lambda v: v < 2.3, "far below guessing (4.19)"),
        (r"attention rows sum to (1\.0+)", None, "the pictured weights are a softmax"),
        (r"(Shall I compare thee)", None, "the model writes from a prompt"),
    ],
    "08_workflow.ipynb": [
        (r"runs in the journal: (\d+)", lambda v: v >= 3, "the runs were recorded"),
        (r"(identical): all \d+ metric values", None, "`runs rerun` finds the same numbers"),
        (r"rerun matches: (True)", None, "a rerun gives the same numbers"),
        (r"mind map: (\S+mindmap\.html)", None, "the mind map page is written"),
    ],
}


def lesson_files() -> list[Path]:
    return [lessons_folder() / lesson.filename for lesson in lessons()]


def printed_text(notebook) -> str:
    """Everything the lesson's cells printed (streams) or showed as plain text."""
    parts = []
    for cell in notebook.cells:
        previous_stream = None
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = output.get("text", "")
                # the kernel may flush one print() as several stream messages ("label:" then
                # " 3\n"); Jupyter shows them as one text, so join them without a separator
                if previous_stream == output.get("name") and parts:
                    parts[-1] += text
                else:
                    parts.append(text)
                previous_stream = output.get("name")
            elif "data" in output:
                parts.append(output["data"].get("text/plain", ""))
                previous_stream = None
    return "\n".join(parts)


def run_lesson(path: Path, folder: Path):
    """Execute the notebook in `folder`; returns (executed notebook, seconds)."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(BLOCK_NETWORK))
    env = dict(os.environ)
    # `!scratchish ...` in a lesson: the console script installed next to this Python
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        MPLBACKEND="Agg",  # draw off screen
        SCRATCHISH_JOURNAL=str(folder / ".scratchish" / "journal.db"),  # never a shared one
        SCRATCHISH_DATA=str(folder / "data-cache"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        # one BLAS thread: the lessons' matrices are small, and on 2 busy cores OpenBLAS's
        # spinning threads made lesson 7 six times slower (CPU) than one thread
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    start = time.perf_counter()
    client.execute(env=env)
    return notebook, time.perf_counter() - start


def test_there_are_eight_lessons_with_claims():
    names = [path.name for path in lesson_files()]
    assert len(names) == 8
    assert sorted(CLAIMS) == names


def test_printed_text_joins_one_print_split_over_stream_messages():
    # CI saw print("runs in the journal:", 3) arrive as two stdout messages
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="runs in the journal:"),
        nbformat.v4.new_output("stream", name="stdout", text=" 3\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "<Image>"}),
        nbformat.v4.new_output("stream", name="stdout", text="after\n"),
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    assert printed_text(notebook) == "runs in the journal: 3\n\n<Image>\nafter\n"


@pytest.mark.parametrize("path", lesson_files(), ids=lambda path: path.stem)
def test_lesson_runs_and_prints_its_claims(path, tmp_path):
    try:
        notebook, seconds = run_lesson(path, tmp_path)
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"{path.name} failed while running:\n{error}")
    print(f"{path.name}: {seconds:.1f} s")
    assert seconds < LESSON_BUDGET, f"{path.name} took {seconds:.0f} s (budget {LESSON_BUDGET})"
    text = printed_text(notebook)
    for pattern, check, meaning in CLAIMS[path.name]:
        found = re.search(pattern, text)
        assert found, f"{path.name} should print {pattern!r} ({meaning}); it printed:\n{text}"
        if check is not None:
            value = float(found.group(1))
            assert check(value), f"{path.name}: {meaning}: got {value}"
