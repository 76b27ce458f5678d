"""Keep freed array memory in the process for the next training step (Linux with glibc).

A training step allocates every activation in the forward pass and frees them all in
backward. By default glibc's malloc hands a large free block at the top of its heap back to
the operating system (when it exceeds 128 KiB at first, a few MiB later) and serves arrays
above its mmap threshold with fresh mappings. Either way the next step touches pages the
kernel must find and zero again: the char GPT of the benchmarks took ~11,500 page faults per
step, and ran ~18% faster without them. PyTorch's CPU guides fix the same thing by swapping in
jemalloc or tcmalloc; scratchish tunes glibc's malloc instead, once, when it is imported:

- M_MMAP_THRESHOLD = 32 MiB (glibc's maximum): arrays up to 32 MiB come from the heap, whose
  free blocks are reused, instead of a new mapping each time;
- M_TRIM_THRESHOLD = 1 GiB: freed memory stays in the process for the next step unless more
  than 1 GiB lies free at the top of the heap.

The price: the process's resident memory stays near its peak instead of shrinking between
steps (the peak itself is unchanged). Opt out with the environment variable
SCRATCHISH_KEEP_FREED_MEMORY=0, or by setting glibc's own MALLOC_MMAP_THRESHOLD_ or
MALLOC_TRIM_THRESHOLD_, which scratchish then leaves alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

OPT_OUT = "SCRATCHISH_KEEP_FREED_MEMORY"
_M_TRIM_THRESHOLD = -1  # the mallopt parameter numbers of glibc's malloc.h
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 1 << 30


def keep_freed_memory() -> bool:
    """Tune glibc's malloc as the module docstring says. Returns True if it did; False on
    other C libraries and systems, or when the user opted out."""
    if not sys.platform.startswith("linux") or os.environ.get(OPT_OUT, "1") == "0":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False  # the user tuned malloc already
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 (present in glibc only, e.g. not in musl)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    # (the mmap threshold first: setting either one stops glibc from adjusting it by itself)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


KEPT = keep_freed_memory()
