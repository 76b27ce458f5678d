"""Training and inference throughput, scratchish vs PyTorch, in one run, alternating.

Workloads (the performance issue): (a) MLP 784-512-256-10, Adam, batch 128; (b) LeNet-like
CNN, SGD momentum, batch 64; (c) char-level GPT (4 layers, 4 heads, width 128, context 64,
batch 12), AdamW, gradient clipping 1.0; (e) inference (no_grad, eval) of (a) and (b) at
batch 256. Per-op overhead (d) is bench_ops.py. For each: samples (or tokens) per second of
both, the ratio scratchish/PyTorch (median of paired windows), achieved GFLOP/s as a share of
this machine's float32 matrix-product peak (measured here), peak memory of training, and the
minor page faults of one training step (flt: memory the allocator gave back and took again),
and the project VM's far state (its two cores far apart, which slows OpenBLAS's two-thread
products and not PyTorch's): how many pairs of windows began in it (far), probed in the
pause before each pair, and the ratio over the other pairs (near).

    python benchmarks/bench_train.py                 # everything (a few minutes)
    python benchmarks/bench_train.py mlp cnn         # some workloads
    python benchmarks/bench_train.py --same-process  # both libraries in this process

Each library runs in a process of its own (two workers that this run drives in turn,
window after window), as a user runs it: in one process, importing scratchish tunes glibc's
malloc for PyTorch too (PyTorch alone takes ~1,000 page faults per MLP step, 0 next to
scratchish), and the two libraries' thread pools spin on each other's cores. Given that
setting in its own process too (glibc's MALLOC_MMAP_THRESHOLD_=268435456 and
MALLOC_TRIM_THRESHOLD_=1073741824 in the environment), PyTorch trains (a) and (b) 17-40%
faster (2026-11-27); the issue's targets are against PyTorch as it comes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time

import models
import numpy as np
from common import alternate, calls_per_window, median, median_ratio, time_window

HERE = os.path.dirname(os.path.abspath(__file__))


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")
    except Exception:
        return os.cpu_count() or 1


def matmul_peak_gflops(n: int = 1024, seconds: float = 0.5) -> float:
    """The machine's float32 matrix-product rate, the ceiling for all workloads."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    a @ a
    best = 0.0
    for _ in range(5):
        start, count = time.perf_counter(), 0
        while time.perf_counter() - start < seconds / 5:
            a @ a
            count += 1
        best = max(best, 2 * n**3 * count / (time.perf_counter() - start) / 1e9)
    return best


def child_result(args: list[str], env: dict | None = None) -> dict:
    """Run this script with `args` in a fresh Python process and return the JSON object its
    last line prints; {} (and the child's error shown) if it printed none."""
    out = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        cwd=HERE,
        env=None if env is None else {**os.environ, **env},
        check=False,
    )
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        print(out.stderr[-2000:], file=sys.stderr)
        return {}


def one_thread_peak_gflops() -> float:
    """The same matrix-product rate with one BLAS thread, measured in a fresh process (BLAS
    reads its thread count when it loads)."""
    one = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return child_result(["--peak-child"], env=one).get("gflops", float("nan"))


def describe_cpu(torch) -> str:
    """The CPU and the widest vector instructions each library's kernels use, as one line.

    The project's VM has come up with AVX-512 hidden (NumPy's kernels AVX2, OpenBLAS's
    Haswell/Zen ones) and with it visible (NumPy AVX-512, OpenBLAS's SkylakeX kernels, MKL and
    oneDNN in PyTorch AVX-512), and the ratios differ between the two: benchmarks/README.md.
    """
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1] for line in f if line.startswith("model name"))
        model = model.strip()
    except (OSError, StopIteration):
        pass
    try:  # NumPy's own table of the CPU features it found (not public API, hence the guard)
        from numpy._core._multiarray_umath import __cpu_features__ as found

        numpy_simd = "AVX-512" if found.get("AVX512_SKX") else "AVX2" if found.get("AVX2") else "?"
    except ImportError:
        numpy_simd = "?"
    kernel = "?"
    try:
        from threadpoolctl import threadpool_info

        kernel = next(i.get("architecture") for i in threadpool_info() if i["user_api"] == "blas")
    except Exception:  # threadpoolctl missing, or no BLAS it knows
        pass
    capability = torch.backends.cpu.get_cpu_capability()
    return f"cpu: {model}; NumPy {numpy_simd}, OpenBLAS kernel {kernel}, PyTorch {capability}"


# Below this share of twice the one-thread rate, the two cores work together badly: the
# machine's slow state (benchmarks/README.md), in which scratchish loses more than PyTorch.
GOOD_SCALING = 0.92


def describe_scaling(peak: float, one: float) -> str:
    """How well the multi-threaded matrix product scales over one thread, as one line."""
    threads = blas_threads()
    scaling = peak / (threads * one)
    line = f"{threads}-thread matmul = {scaling:.0%} of {threads}x one thread ({one:.0f} GFLOP/s)"
    if threads > 1 and scaling < GOOD_SCALING:
        line += ": SLOW STATE, threads hand work to each other slowly (see benchmarks/README.md)"
    return line


# The VM's far state (benchmarks/README.md, 2026-11-29, thirty-third session): its two vCPUs
# sometimes run on cores far apart, a cache line's round trip between them taking 330-370 ns
# instead of 50-80, for seconds to minutes at a time. OpenBLAS's x @ w.T of (256, 784) @
# (784, 512) then takes 1.25-1.35x as long (its two threads share the blocks they pack,
# probably the reason); the same product transposed (w @ x.T), and PyTorch's, take as long
# as ever. The 1024 x 1024 product above scales as well as ever then: probed on its own.
# The probe's ratio is taken relative to one thread's, so that a machine whose OpenBLAS
# simply runs one layout faster is not read as far.
FAR_PENALTY = 1.1


class LayoutProbe:
    """x @ w.T's time over w @ x.T's for the MLP's first product, (256, 784) @ (784, 512),
    divided by the same ratio on one thread (`one_thread`, measured once: the two layouts'
    own difference, 1.01-1.06 on the Zen 4, which the far state cannot touch): 0.94-1.00
    with the two cores near each other, 1.15-1.3 far apart. One call takes ~35 ms (three
    pairs of five products), so it fits in the pause before each pair of windows, with time
    left for OpenBLAS's threads in this process to stop spinning (~0.1 s) before a worker's
    window begins: bench_train probes only with a pause of PROBE_PAUSE or more."""

    def __init__(self):
        import scratchish

        rng = np.random.default_rng(0)
        x = rng.standard_normal((256, 784)).astype(np.float32)
        w = rng.standard_normal((512, 784)).astype(np.float32)
        out, out_t = np.empty((256, 512), np.float32), np.empty((512, 256), np.float32)
        self.nt = lambda: np.matmul(x, w.T, out=out)
        self.t = lambda: np.matmul(w, x.T, out=out_t)
        threads = scratchish.get_num_threads()
        scratchish.set_num_threads(1)  # OpenBLAS's threads too
        try:
            for _ in range(3):
                self.nt(), self.t()
            self.one_thread = self._ratio(pairs=5)
        finally:
            scratchish.set_num_threads(threads)

    def _ratio(self, pairs: int, calls: int = 5) -> float:
        times = {"nt": [], "t": []}
        for _ in range(pairs):
            times["nt"].append(time_window(self.nt, calls))
            times["t"].append(time_window(self.t, calls))
        return median_ratio(times, "nt", "t")

    def __call__(self, pairs: int = 3) -> float:
        return self._ratio(pairs) / self.one_thread


def describe_cores(probe: LayoutProbe) -> str:
    """The layout probe's result (nine pairs of windows) as one line."""
    penalty = probe(pairs=9)
    line = (
        f"OpenBLAS's x @ w.T over w @ x.T, two threads against one: {penalty:.2f} "
        f"(one thread: {probe.one_thread:.2f})"
    )
    if penalty > FAR_PENALTY:
        line += ": FAR STATE, the two cores are far apart (see benchmarks/README.md)"
    return line


PROBE_PAUSE = 0.2  # seconds: see LayoutProbe
MIN_NEAR = 3  # the fewest pairs of windows a ratio over the near ones is given from


def far_windows(times: dict) -> tuple[int, float | None]:
    """How many pairs of windows began in the far state, and the throughput ratio over the
    other pairs (None where all were near, or fewer than MIN_NEAR were)."""
    far = [penalty > FAR_PENALTY for penalty in times["probe"]]
    near = {name: [t for t, f in zip(times[name], far) if not f] for name in ("sh", "pt")}
    if not any(far) or len(near["sh"]) < MIN_NEAR:
        return sum(far), None
    return sum(far), 1 / median_ratio(near, "sh", "pt")


# ---------------------------------------------------------------- workloads
def make_step(lib, workload: str):
    """Build a model, data and one training (or inference) step for `lib`.

    Returns (step function, samples per step, FLOPs per step, unit).
    """
    lib.manual_seed(0)
    rng = np.random.default_rng(0)
    F = lib.nn.functional
    if workload in ("mlp", "mlp_infer"):
        batch = 128 if workload == "mlp" else 256
        model = models.mlp(lib)
        x = lib.tensor(rng.standard_normal((batch, 784)).astype(np.float32))
        y = lib.tensor(rng.integers(0, 10, batch))
        flops = models.mlp_train_flops(batch)
        if workload == "mlp_infer":
            return _inference(lib, model, x), batch, flops // 3, "samples"
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        return _train(model, opt, lambda: F.cross_entropy(model(x), y)), batch, flops, "samples"
    if workload in ("cnn", "cnn_infer"):
        batch = 64 if workload == "cnn" else 256
        fwd, infer = models.lenet_forward_flops(batch), workload == "cnn_infer"
        return _classifier(lib, rng, models.lenet(lib), (batch, 1, 28, 28), 10, fwd, 0.01, infer)
    if workload in ("resnet", "mobilenet"):  # 32x32 images, SGD momentum, batch 64
        model, flops, lr = {
            "resnet": (models.resnet20, models.resnet20_forward_flops, 0.1),
            "mobilenet": (models.mobilenet, models.mobilenet_forward_flops, 0.05),
        }[workload]
        return _classifier(lib, rng, model(lib), (64, 3, 32, 32), 10, flops(64), lr, False)
    if workload in ("resnet18", "resnet18_infer"):  # 224x224 photos, 1000 classes, batch 16
        fwd, infer = models.resnet18_forward_flops(16), workload == "resnet18_infer"
        model = models.resnet18(lib)
        return _classifier(lib, rng, model, (16, 3, 224, 224), 1000, fwd, 0.01, infer)
    if workload == "gpt_sample":  # one character at a time from a full context, as generating
        model, T = models.gpt(lib), 64
        model.eval()
        idx = lib.tensor(rng.integers(0, 65, (1, T)))

        def sample():
            nonlocal idx
            with lib.no_grad():
                logits, _ = model(idx[:, -T:])
                probs = lib.nn.functional.softmax(logits[:, -1, :] / 0.8, dim=-1)
                idx = lib.cat([idx[:, 1:], lib.multinomial(probs, num_samples=1)], dim=1)

        return sample, 1, models.gpt_train_flops(1, T) // 3, "tokens"
    if workload == "gpt":
        batch, T = 12, 64
        model = models.gpt(lib)
        opt = models.gpt_optimizer(lib, model)
        idx = lib.tensor(rng.integers(0, 65, (batch, T)))
        targets = lib.tensor(rng.integers(0, 65, (batch, T)))

        def loss_fn():
            return model(idx, targets)[1]

        step = _train(
            model, opt, loss_fn, clip=lambda: lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        )
        return step, batch * T, models.gpt_train_flops(batch, T), "tokens"
    raise SystemExit(f"unknown workload {workload!r}")


def _classifier(lib, rng, model, shape, classes, fwd_flops, lr, infer):
    """An image classifier's step on random images of `shape` (N, C, H, W): inference (no_grad,
    eval) if `infer`, else SGD momentum training on cross-entropy. Returns as make_step."""
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32))
    y = lib.tensor(rng.integers(0, classes, shape[0]))
    if infer:
        return _inference(lib, model, x), shape[0], fwd_flops, "samples"
    opt = lib.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    step = _train(model, opt, lambda: lib.nn.functional.cross_entropy(model(x), y))
    return step, shape[0], 3 * fwd_flops, "samples"


def _train(model, opt, loss_fn, clip=None):
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        if clip is not None:
            clip()
        opt.step()

    return step


def _inference(lib, model, x):
    model.eval()

    def step():
        with lib.no_grad():
            model(x)

    return step


def load_lib(name: str):
    if name == "torch":
        import torch

        torch.set_num_threads(blas_threads())
        return torch
    import scratchish

    return scratchish


# ---------------------------------------------------------------- one process per library
def _window_worker(lib_name: str, workload: str, min_seconds: float, conn) -> None:
    """A child process: build the step, warm up, say so; when the parent asks, report its
    calls per window; then time a window each time the parent asks (one untimed call first,
    as `alternate` does)."""
    step, *_ = make_step(load_lib(lib_name), workload)
    for _ in range(3):
        step()
    conn.send("ready")
    conn.recv()
    conn.send(calls_per_window(step, min_seconds))
    while (calls := conn.recv()) is not None:
        step()
        conn.send(time_window(step, calls))


def alternate_processes(
    workload: str, windows: int, min_seconds: float, pause: float, probe=None
) -> dict[str, list[float]]:
    """`alternate` with each library in its own process: {"sh": [...], "pt": [...]}, and
    under "probe" what probe() returned at the start of each pause before a pair of windows
    (both workers idle then), where one is given."""
    context = multiprocessing.get_context("spawn")
    workers = {}
    for name, lib_name in (("sh", "scratchish"), ("pt", "torch")):
        parent, child = context.Pipe()
        process = context.Process(
            target=_window_worker, args=(lib_name, workload, min_seconds, child), daemon=True
        )
        process.start()
        workers[name] = (process, parent)
    try:
        for _, conn in workers.values():
            conn.recv()  # built and warmed up
        # each worker sizes its window alone: one still importing its library took a core
        # from the other, whose estimate then came out 2-3x too short (13 MLP steps a window
        # for scratchish against 65 for PyTorch, 2026-11-27)
        calls = {}
        for name, (_, conn) in workers.items():
            conn.send("estimate")
            calls[name] = conn.recv()
        times: dict[str, list[float]] = {name: [] for name in workers}
        if probe is not None:
            times["probe"] = []
        for _ in range(windows):
            for name, (_, conn) in workers.items():
                start = time.perf_counter()
                if probe is not None and name == "sh":
                    times["probe"].append(probe())
                time.sleep(max(0.0, pause - (time.perf_counter() - start)))
                conn.send(calls[name])
                times[name].append(conn.recv())
        return times
    finally:
        for process, conn in workers.values():
            conn.send(None)
            process.join(timeout=10)


# ---------------------------------------------------------------- memory, in a child process
def peak_memory_mb(lib_name: str, workload: str, steps: int = 20) -> tuple[float, float]:
    """Peak resident memory added by training, and the minor page faults of a training step
    after the first few, measured in a fresh process for each library.

    The faults show memory that the allocator hands back to the system and takes again at
    every step: zeroed pages, faulted in one by one. glibc's malloc does that for large
    blocks unless told otherwise; scratchish tells it at import (src/scratchish/_memory.py),
    PyTorch does not."""
    result = child_result(["--memory-child", lib_name, workload, str(steps)])
    return result.get("peak_mb", float("nan")), result.get("faults", float("nan"))


def _memory_child(lib_name: str, workload: str, steps: int) -> None:
    lib = load_lib(lib_name)
    step, *_ = make_step(lib, workload)
    before = _rss_mb()
    warm = 3  # the first steps fault in memory that later steps reuse: not counted
    for _ in range(warm):
        step()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps - warm):
        step()
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / (steps - warm)
    print(json.dumps({"peak_mb": _peak_rss_mb() - before, "faults": faults}))


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: Linux carries that over
    from the parent through fork + exec, so a child would report the benchmark's own peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB -> MiB
    return float("nan")


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---------------------------------------------------------------- main
WORKLOADS = {
    "mlp": "(a) MLP 784-512-256-10, Adam, batch 128",
    "cnn": "(b) LeNet CNN, SGD momentum, batch 64",
    "gpt": "(c) char GPT 4x4x128, ctx 64, batch 12, AdamW, clip 1.0",
    "mlp_infer": "(e) MLP inference, batch 256",
    "cnn_infer": "(e) CNN inference, batch 256",
}
# run only when named (`python benchmarks/bench_train.py resnet`): no target in the issue,
# CNNs of the kind a learner trains next: BatchNorm and 3x3 convolutions of 16 to 64 channels
# (ResNet); 1x1 and 3x3 depthwise convolutions, ReLU6 (MobileNetV2)
EXTRA = {
    "resnet": "(f) ResNet-20, 32x32 images, SGD momentum, batch 64",
    "mobilenet": "(g) MobileNetV2, 8 blocks, 32x32, SGD momentum, batch 64",
    # a first lesson's network (fine-tuning on photos): 64 to 512 channels, 7x7 stem
    "resnet18": "(h) ResNet-18, 224x224 images, SGD momentum, batch 16",
    "resnet18_infer": "(h) ResNet-18 inference, 224x224 images, batch 16",
    # what a learner does with (c) once trained: write text, a token at a time (small ops)
    "gpt_sample": "(i) char GPT sampling, 1 sequence, context 64",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--windows", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.4, help="length of one window")
    parser.add_argument("--pause", type=float, default=0.3, help="idle seconds before each window")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument(
        "--same-process", action="store_true", help="run both libraries in this process"
    )
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--peak-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        print(json.dumps({"gflops": matmul_peak_gflops()}))
        return
    if args.memory_child:
        _memory_child(args.memory_child[0], args.memory_child[1], int(args.memory_child[2]))
        return

    import scratchish

    torch = load_lib("torch")
    peak = matmul_peak_gflops()
    print(
        f"machine: {os.cpu_count()} cores, BLAS threads {blas_threads()}, torch threads "
        f"{torch.get_num_threads()}, float32 matmul peak {peak:.0f} GFLOP/s; "
        + ("both libraries in this process" if args.same_process else "a process per library")
    )
    print(describe_cpu(torch))
    print(f"before: {describe_scaling(peak, one_thread_peak_gflops())}")
    probe = LayoutProbe()
    print(f"before: {describe_cores(probe)}")
    print(
        f"{'workload':58s} {'scratchish':>12s} {'torch':>12s} {'ratio':>6s} "
        f"{'%peak sh':>8s} {'%peak pt':>8s} {'mem sh':>7s} {'mem pt':>7s} {'flt sh':>6s} "
        f"{'flt pt':>6s} {'far':>5s} {'near':>5s}"
    )
    probing = not args.same_process and args.pause >= PROBE_PAUSE
    far_total = 0
    for workload in args.workloads:
        step_sh, n, flops, unit = make_step(scratchish, workload)
        if args.same_process:
            step_pt, *_ = make_step(torch, workload)
            times = alternate(
                {"sh": step_sh, "pt": step_pt}, args.windows, args.seconds, pause=args.pause
            )
        else:
            times = alternate_processes(
                workload, args.windows, args.seconds, args.pause, probe if probing else None
            )
        far = near = "-"
        if probing:
            count, near_ratio = far_windows(times)
            far_total += count
            far = f"{count}/{len(times['probe'])}"
            near = "-" if near_ratio is None else f"{near_ratio:.2f}"
        rate_sh, rate_pt = n / median(times["sh"]), n / median(times["pt"])
        ratio = 1 / median_ratio(times, "sh", "pt")  # throughput ratio sh / pt
        share_sh = flops / median(times["sh"]) / 1e9 / peak * 100
        share_pt = flops / median(times["pt"]) / 1e9 / peak * 100
        if args.no_memory or workload.endswith("_infer"):
            mem = faults = ("-", "-")
        else:
            measured = [peak_memory_mb(lib, workload) for lib in ("scratchish", "torch")]
            mem = tuple(f"{mb:.0f}M" for mb, _ in measured)  # not `peak`: the matmul peak
            faults = tuple(f"{count:.0f}" for _, count in measured)
        name = {**WORKLOADS, **EXTRA}[workload]
        digits = 1 if min(rate_sh, rate_pt) < 100 else 0  # ResNet-18: 6.4, not 6, images/s
        print(
            f"{name:58s} {rate_sh:9.{digits}f} {unit[0]}/s {rate_pt:9.{digits}f} {unit[0]}/s "
            f"{ratio:6.2f} {share_sh:7.0f}% {share_pt:7.0f}% {mem[0]:>7s} {mem[1]:>7s} "
            f"{faults[0]:>6s} {faults[1]:>6s} {far:>5s} {near:>5s}",
            flush=True,
        )
    # the state can change within minutes: measured again at the end
    print(f"after: {describe_scaling(matmul_peak_gflops(), one_thread_peak_gflops())}")
    print(f"after: {describe_cores(probe)}")
    if far_total:
        print(
            f"far: of each row's pairs of windows, those that began in the VM's far state "
            f"(OpenBLAS's x @ w.T over {FAR_PENALTY}x the time of w @ x.T, relative to the "
            f"same on one thread; that state slows scratchish's products and not PyTorch's); "
            f"near: the ratio over the other pairs, where there are {MIN_NEAR} or more "
            f"(benchmarks/README.md)"
        )


if __name__ == "__main__":
    main()
