"""Where a scratchish training step spends its time, by op type (sh.tools.trace).

The time outside the ops (optimizer step, zero_grad, autograd bookkeeping, Python) is shown
as one more row, so the table adds up to the wall time of the steps.

    python benchmarks/profile_ops.py mlp gpt cnn resnet resnet18
"""

from __future__ import annotations

import sys
import time

from bench_train import make_step

import scratchish as sh


def profile(workload: str, steps: int = 20) -> None:
    step, *_ = make_step(sh, workload)
    for _ in range(3):  # warm-up
        step()
    start = time.perf_counter()
    with sh.tools.trace() as tracer:
        for _ in range(steps):
            step()
    wall = time.perf_counter() - start
    summary = tracer.summary()
    print(f"\n{workload}: {steps} steps, {wall / steps * 1e3:.1f} ms per step (traced)")
    for op, _n_fwd, t_fwd, _n_bwd, t_bwd in summary.rows[:12]:
        share = (t_fwd + t_bwd) / wall * 100
        print(
            f"  {op:24s} fwd {t_fwd / steps * 1e3:7.2f} ms  bwd {t_bwd / steps * 1e3:7.2f} ms"
            f"  {share:5.1f}%"
        )
    other = wall - summary.total_seconds
    print(
        f"  {'(outside ops: optimizer, bookkeeping)':40s} {other / steps * 1e3:7.2f} ms  "
        f"{other / wall * 100:5.1f}%"
    )


if __name__ == "__main__":
    for name in sys.argv[1:] or ["mlp", "cnn", "gpt"]:
        profile(name, steps=3 if name.startswith("resnet18") else 20)  # 2 s a step
