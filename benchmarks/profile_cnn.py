"""Where the LeNet CNN step (workloads (b) and (e)) spends its time, op by op.

Runs scratchish's training step (batch 64) and inference (batch 256) under `sh.tools.trace()`
and prints: time per op type (the trace summary), time per op and shapes (so the two
convolutions show apart), the optimizer step (not an op, so not in the trace) and what is left:
the engine's own overhead (step time minus ops and optimizer). PyTorch's step time is printed
alongside for scale.

    python benchmarks/profile_cnn.py                 # training and inference
    python benchmarks/profile_cnn.py --threads 1     # steadier on a busy machine
    python benchmarks/profile_cnn.py --cprofile      # add a cProfile of the training step
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from collections import defaultdict

import models
import numpy as np
from bench_train import load_lib
from common import median_time

import scratchish as sh


def build(lib, batch: int, train: bool):
    """LeNet, one batch of random data, and the step: (step, optimizer or None)."""
    lib.manual_seed(0)
    rng = np.random.default_rng(0)
    model = models.lenet(lib)
    x = lib.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    if not train:
        model.eval()

        def infer():
            with lib.no_grad():
                model(x)

        return infer, None
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad(set_to_none=True)
        lib.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step, opt


def per_op_and_shape(events, steps: int) -> list:
    """(phase, op, input shapes, ms per step), slowest first."""
    rows: dict = defaultdict(float)
    for e in events:
        shapes = ", ".join(str(tuple(s)) for s in e.in_shapes if s is not None)
        rows[(e.phase, e.op, shapes)] += e.seconds
    table = [(*key, seconds / steps * 1e3) for key, seconds in rows.items()]
    return sorted(table, key=lambda r: r[3], reverse=True)


def profile(workload: str, steps: int) -> None:
    train = workload == "cnn"
    batch = 64 if train else 256
    step, opt = build(sh, batch, train)
    step_pt, _ = build(load_lib("torch"), batch, train)
    t_sh, t_pt = median_time(step, steps), median_time(step_pt, steps)
    with sh.tools.trace() as tr:
        for _ in range(steps):
            step()
    summary = tr.summary()
    ops_ms = summary.total_seconds / steps * 1e3
    print(
        f"\n== {workload} (batch {batch}): scratchish {t_sh * 1e3:.2f} ms/step, torch "
        f"{t_pt * 1e3:.2f} ms/step (medians of {steps}): ratio {t_pt / t_sh:.2f}"
    )
    print(summary)
    print(f"\n{'phase':<9}{'op':<14}{'input shapes':<50}{'ms/step':>8}")
    for phase, op, shapes, ms in per_op_and_shape(tr.events, steps)[:16]:
        print(f"{phase:<9}{op:<14}{shapes[:49]:<50}{ms:8.3f}")
    opt_ms = median_time(opt.step, steps) * 1e3 if opt is not None else 0.0
    rest = t_sh * 1e3 - ops_ms - opt_ms
    print(
        f"ops {ops_ms:.2f} ms + optimizer {opt_ms:.2f} ms + rest (engine, zero_grad, "
        f"Python) {rest:.2f} ms = step {t_sh * 1e3:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["cnn", "cnn_infer"])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=0, help="BLAS and torch threads")
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()
    if args.threads:
        # one thread gives steadier numbers on a shared machine: no waiting for a
        # descheduled BLAS thread. load_lib gives torch as many threads as BLAS has.
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    for workload in args.workloads:
        profile(workload, args.steps)
    if args.cprofile:
        step, _ = build(sh, 64, train=True)
        step()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.steps):
            step()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
