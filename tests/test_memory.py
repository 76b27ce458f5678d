"""scratchish keeps freed array memory for the next step (glibc's malloc, see _memory.py)."""

import os
import subprocess
import sys

import pytest

import scratchish as sh

# A training step in miniature: the forward pass keeps 30 activations of 1.5 MB (the char
# GPT's GELU inputs), backward frees them all; then the page faults of five more steps.
STEP = """
import resource
import numpy as np
import scratchish as sh

def step():
    kept = [np.ones(393_216, np.float32) for _ in range(30)]
    del kept

step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
print(sh._memory.KEPT, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5)
"""

glibc_only = pytest.mark.skipif(
    not sh._memory.KEPT, reason="malloc tuning applies to Linux with glibc only"
)


def _faults_per_step(**env) -> tuple[str, float]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "SCRATCHISH_"))}
    out = subprocess.run(
        [sys.executable, "-c", STEP], env={**clean, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    kept, faults = out.stdout.split()
    return kept, float(faults)


@glibc_only
def test_freed_activations_are_reused_without_page_faults():
    kept, faults = _faults_per_step()
    assert kept == "True"
    # 45 MB of fresh pages would be ~11,000 faults; reused memory needs none
    assert faults < 200


@glibc_only
def test_the_tuning_can_be_turned_off_and_then_each_step_faults_again():
    kept, faults = _faults_per_step(SCRATCHISH_KEEP_FREED_MEMORY="0")
    assert kept == "False"
    assert faults > 5_000  # glibc returned the freed 45 MB to the kernel: the pages fault again
    kept, _ = _faults_per_step(MALLOC_TRIM_THRESHOLD_="100000000")
    assert kept == "False"  # the user's own malloc settings win
