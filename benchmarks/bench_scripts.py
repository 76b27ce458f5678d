"""Wall time of the course scripts (tests/compat/scripts) on scratchish and on PyTorch, as ratios.

Issue 11's target: no script slower than 1.5x PyTorch, and the small-tensor ones faster, since
their cost is per-op overhead (PyTorch spends about 15 us per op here, in its dispatcher).

1. Every script the tests compare, run as the user runs it: `scratchish run FILE` against
   `python FILE`. Two worker processes, one per library, import their library once and then
   run the scripts when told to, so the times below leave out imports (PyTorch's ~2 s; shown
   apart as the cold start). Runs alternate (torch, scratchish, then scratchish, torch, ...)
   so that drift in the machine's speed hits both alike; the ratio is the median of the
   paired ratios, scratchish / torch (below 1: scratchish is faster).
2. The makemore part 2 training step (a batch-32 character MLP: embedding, tanh hidden layer
   of 200, cross-entropy, manual SGD), both libraries in this process, alternating windows.

Both libraries get one BLAS/OpenMP thread by default (--threads): these tensors are too small
for threads to help, and on a loaded two-core machine two threads per library make PyTorch up
to ten times slower while its threads wait for each other.

    python benchmarks/bench_scripts.py              # everything (about two minutes)
    python benchmarks/bench_scripts.py --reps 3     # fewer repetitions
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, os.pardir, "tests", "compat", "scripts")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

# the scripts tests/compat compares with PyTorch, smallest first
COURSE_SCRIPTS = [
    "tutorial_polynomial_autograd.py",
    "tutorial_custom_function.py",
    "tutorial_polynomial_nn.py",
    "tutorial_polynomial_optim.py",
    "lecture_bigram.py",
    "lecture_bigram_counts.py",
    "lecture_mlp.py",
    "lecture_gpt.py",
]


# ---------------------------------------------------------------------------------------------
# Part 1: the scripts, in two worker processes
# ---------------------------------------------------------------------------------------------
def worker(library: str) -> None:
    """Read script names on stdin, run each, answer with its wall time in seconds."""
    if library == "torch":
        import runpy

        import torch

        def run(path):
            torch.set_default_dtype(torch.float32)
            sys.argv = [path]
            runpy.run_path(path, run_name="__main__")
            return 0

    else:
        import scratchish as sh
        from scratchish import runner

        def run(path):
            sh.set_default_dtype(sh.float32)
            return runner.run(path, [])

    os.chdir(SCRIPTS)
    print("ready", flush=True)
    for line in sys.stdin:
        path = os.path.join(SCRIPTS, line.strip())
        sink = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(sink):
            code = run(path)
        elapsed = time.perf_counter() - start
        print(json.dumps({"seconds": elapsed, "code": code}), flush=True)


class Worker:
    def __init__(self, library: str, env: dict) -> None:
        self.library = library
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", library],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout.readline().strip() == "ready", f"{library} worker failed"

    def time(self, script: str) -> float:
        self.process.stdin.write(script + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if answer["code"] != 0:
            raise RuntimeError(f"{script} failed on {self.library}")
        return answer["seconds"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def cold_start(env: dict, reps: int) -> dict:
    """Seconds for a whole process running the smallest script: `python FILE` with PyTorch,
    `scratchish run FILE`; imports included."""
    script = os.path.join(SCRIPTS, COURSE_SCRIPTS[0])
    commands = {
        "torch": [sys.executable, script],
        "scratchish": [sys.executable, "-m", "scratchish.cli", "run", script],
    }
    times: dict = {name: [] for name in commands}
    for rep in range(reps):
        order = list(commands) if rep % 2 == 0 else list(commands)[::-1]
        for name in order:
            start = time.perf_counter()
            subprocess.run(commands[name], env=env, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    return times


def bench_scripts(env: dict, reps: int) -> list:
    workers = {name: Worker(name, env) for name in ("torch", "scratchish")}
    rows = []
    try:
        for script in COURSE_SCRIPTS:
            times: dict = {name: [] for name in workers}
            for name in workers:  # warm-up run: caches, lazy imports
                workers[name].time(script)
            for rep in range(reps):
                order = list(workers) if rep % 2 == 0 else list(workers)[::-1]
                for name in order:
                    times[name].append(workers[name].time(script))
            rows.append((script, times))
            print_row(script, times)
    finally:
        for w in workers.values():
            w.close()
    return rows


def print_row(label: str, times: dict) -> None:
    ratio = statistics.median(s / t for s, t in zip(times["scratchish"], times["torch"]))
    torch_s, ours_s = statistics.median(times["torch"]), statistics.median(times["scratchish"])
    print(f"  {label:40s} {torch_s:8.3f} s {ours_s:8.3f} s   {ratio:5.2f}x   {verdict(ratio)}")


def verdict(ratio: float) -> str:
    """Within 10% counts as even: runs on this machine vary by more than that."""
    if ratio < 0.9:
        return "faster"
    if ratio <= 1.1:
        return "even"
    return "slower, within 1.5x" if ratio <= 1.5 else "SLOWER than the 1.5x target"


# ---------------------------------------------------------------------------------------------
# Part 2: the makemore MLP training step, in this process
# ---------------------------------------------------------------------------------------------
def makemore_step(t, n_examples: int = 20_000, batch_size: int = 32):
    """One training step of makemore part 2 (block 3, embedding 10, hidden 200, 27 letters),
    written once for either library `t`."""
    F = t.nn.functional  # noqa: N806 - the course's name
    g = t.Generator().manual_seed(2147483647)
    X = t.randint(0, 27, (n_examples, 3), generator=g)  # noqa: N806
    Y = t.randint(0, 27, (n_examples,), generator=g)  # noqa: N806
    C = t.randn((27, 10), generator=g)  # noqa: N806
    W1 = t.randn((30, 200), generator=g) * (5 / 3) / 30**0.5  # noqa: N806
    b1 = t.randn(200, generator=g) * 0.01
    W2 = t.randn((200, 27), generator=g) * 0.01  # noqa: N806
    b2 = t.randn(27, generator=g) * 0
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True

    def step():
        ix = t.randint(0, X.shape[0], (batch_size,), generator=g)
        emb = C[X[ix]]  # (32, 3, 10)
        h = t.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)  # (32, 200)
        logits = h @ W2 + b2  # (32, 27)
        loss = F.cross_entropy(logits, Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -0.1 * p.grad
        return loss

    return step


def bench_makemore(windows: int) -> None:
    import torch
    from common import alternate, median, median_ratio

    import scratchish as sh

    torch.set_num_threads(1)
    steps = {"torch": makemore_step(torch), "scratchish": makemore_step(sh)}
    times = alternate(steps, windows=windows, min_seconds=0.2, pause=0.3)
    ratio = median_ratio(times, "scratchish", "torch")
    torch_us, ours_us = median(times["torch"]) * 1e6, median(times["scratchish"]) * 1e6
    target = "" if ratio < 0.9 else " (target: faster)"
    print(
        f"  {'makemore MLP step, batch 32':40s} {torch_us:7.0f} us {ours_us:7.0f} us   "
        f"{ratio:5.2f}x   {verdict(ratio)}{target}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="timed runs of each script")
    parser.add_argument("--threads", default="1", help="BLAS/OpenMP threads of each library")
    parser.add_argument("--worker", choices=["torch", "scratchish"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    for name in THREAD_VARIABLES:
        os.environ[name] = args.threads  # this process (part 2) and the workers
    env = dict(os.environ)
    src = os.path.join(HERE, os.pardir, "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))

    print(f"course scripts, median of {args.reps} alternating runs, {args.threads} thread(s) each")
    print(f"  {'':40s} {'torch':>10s} {'scratchish':>10s}   scratchish / torch")
    bench_scripts(env, args.reps)
    print("cold start: a whole process for the smallest script, imports included")
    times = cold_start(env, max(3, args.reps // 2))
    print_row(COURSE_SCRIPTS[0] + " (cold)", times)
    print("per-op overhead: one training step, both libraries in one process")
    bench_makemore(windows=max(5, args.reps))


if __name__ == "__main__":
    main()
