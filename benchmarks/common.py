"""Shared benchmark machinery: alternating timing windows and ratios taken in one process.

The machine's speed drifts by up to 1.4x over minutes (see ../shared/PERF_NOTES.md), so
absolute numbers mean little. Each comparison alternates short windows of the contenders
(A, B, A, B, ...) and reports the median of the per-pair ratios, which is stable.
"""

from __future__ import annotations

import math
import statistics
import time


def calls_per_window(fn, min_seconds: float = 0.05) -> int:
    """How many calls of `fn` fill a window of `min_seconds`, estimated once.

    The count is fixed before timing starts, and every window that follows is kept: a rule
    that re-runs a window until it lasts `min_seconds` keeps only the slow windows (it
    selects for them), and when `n` calls take just under `min_seconds` it re-runs for
    minutes. (This module did that until 2026-11-26: the CNN-inference ratio swung from
    0.56 to 0.92 between runs, and a GPT run took six minutes.)"""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds / 4:
            return max(1, math.ceil(n * min_seconds / elapsed))
        n *= 2


def time_window(fn, n: int) -> float:
    """Seconds per call of `fn`, over one window of `n` calls."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def alternate(
    contenders: dict,
    windows: int = 7,
    min_seconds: float = 0.05,
    warmup: int = 3,
    pause: float = 0.0,
) -> dict:
    """Time each contender in alternating windows; return {name: [seconds per call, ...]}.

    `pause` seconds of sleep before each window let the thread pools of the contender that
    ran before go idle: after a matrix product OpenBLAS's threads spin for ~0.1 s, and
    PyTorch's OpenMP threads for a while after each parallel region, each taking a core from
    the other library's first steps of the next window. After the pause one untimed call
    brings the contender back to the steady state of a training loop."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    calls = {name: calls_per_window(fn, min_seconds) for name, fn in contenders.items()}
    times: dict = {name: [] for name in contenders}
    for _ in range(windows):
        for name, fn in contenders.items():
            if pause:
                time.sleep(pause)
                fn()  # untimed: wakes this contender's own threads, warms its caches
            times[name].append(time_window(fn, calls[name]))
    return times


def median_ratio(times: dict, num: str, den: str) -> float:
    """Median over windows of times[num][i] / times[den][i] (paired windows)."""
    return statistics.median(a / b for a, b in zip(times[num], times[den]))


def median(xs) -> float:
    return statistics.median(xs)


def median_time(fn, calls: int) -> float:
    """Median seconds per call of `fn` over `calls` calls, after one warm-up call (one
    contender alone: for profiles and scans, not for ratios, which alternate)."""
    fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_slowest_first(rows: list, heading: str) -> None:
    """The scans' table: rows of (name, scratchish us, PyTorch us), the largest ratio first."""
    width = max(len(heading), *(len(name) for name, _, _ in rows)) + 2
    print(f"{heading:<{width}}{'sh us':>10}{'pt us':>10}{'sh/pt':>8}")
    for name, sh_us, pt_us in sorted(rows, key=lambda row: row[1] / row[2], reverse=True):
        print(f"{name:<{width}}{sh_us:10.1f}{pt_us:10.1f}{sh_us / pt_us:8.2f}")
