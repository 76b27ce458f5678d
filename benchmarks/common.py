"""Shared benchmark machinery: alternating timing windows and ratios taken in one process.

The machine's speed drifts by up to 1.4x over minutes (see ../shared/PERF_NOTES.md), so
absolute numbers mean little. Each comparison alternates short windows of the contenders
(A, B, A, B, ...) and reports the median of the per-pair ratios, which is stable.
"""

from __future__ import annotations

import statistics
import time


def time_window(fn, min_seconds: float = 0.05) -> float:
    """Seconds per call of `fn`, over a window of at least `min_seconds`."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / n
        n *= 2 if elapsed < min_seconds / 4 else 1
        n = max(n, int(n * min_seconds / max(elapsed, 1e-9)))


def alternate(
    contenders: dict, windows: int = 7, min_seconds: float = 0.05, warmup: int = 3
) -> dict:
    """Time each contender in alternating windows; return {name: [seconds per call, ...]}."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    times: dict = {name: [] for name in contenders}
    for _ in range(windows):
        for name, fn in contenders.items():
            times[name].append(time_window(fn, min_seconds))
    return times


def median_ratio(times: dict, num: str, den: str) -> float:
    """Median over windows of times[num][i] / times[den][i] (paired windows)."""
    return statistics.median(a / b for a, b in zip(times[num], times[den]))


def median(xs) -> float:
    return statistics.median(xs)
