"""Where a scratchish training step spends its time, by op type (sh.tools.trace).

The time outside the ops (optimizer step, zero_grad, autograd bookkeeping, Python) is shown
as one more row, so the table adds up to the wall time of the steps.

With --torch, PyTorch's step beside it, measured inside the step as scratchish's is: the same
model and data (bench_train.make_step) run under torch.profiler in a process of its own (its
threads would otherwise share the cores with scratchish's), and the self time of the PyTorch
kernels that do each scratchish op's work (TORCH_KERNELS) summed per step. An op's cost
inside a step can be far from its cost alone, run back to back: the data has left the cache
by the time the op runs (the char GPT's LayerNorm, 2026-11-29: 80 us forward alone, 337 us
in the step). The rows compare like with like only where the mapping holds; whatever no row
claims, the optimizer and Python included, is the last row in both, the step's wall time less
the rows above.

    python benchmarks/profile_ops.py mlp gpt cnn resnet resnet18
    python benchmarks/profile_ops.py gpt --torch
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench_train import load_lib, make_step

import scratchish as sh

# The PyTorch 2.13 kernels (names in torch.profiler) that do the work of each scratchish op,
# forward and backward. ReLU runs as clamp_min and its gradient as threshold_backward; a
# Linear layer without a bias as mm, with one as addmm. Kernels not named here (the
# optimizer's, views, copies, a bias's gradient (aten::sum), which scratchish's linear makes
# itself) fall in the last row, as does scratchish's time outside its ops.
TORCH_KERNELS = {
    "linear": ("aten::mm", "aten::addmm"),
    "matmul": ("aten::bmm",),
    "scaleddotproductattention": (
        "aten::_scaled_dot_product_flash_attention_for_cpu",
        "aten::_scaled_dot_product_flash_attention_for_cpu_backward",
    ),
    "gelu": ("aten::gelu", "aten::gelu_backward"),
    "layernorm": ("aten::native_layer_norm", "aten::native_layer_norm_backward"),
    "conv2d": ("aten::mkldnn_convolution", "aten::convolution_backward"),
    "batchnorm": ("aten::native_batch_norm", "aten::native_batch_norm_backward"),
    "relu": ("aten::clamp_min", "aten::threshold_backward"),
    "maxpool2d": ("aten::max_pool2d_with_indices", "aten::max_pool2d_with_indices_backward"),
    "crossentropy": (
        "aten::_log_softmax",
        "aten::_log_softmax_backward_data",
        "aten::nll_loss_forward",
        "aten::nll_loss_backward",
    ),
    "embeddinglookup": ("aten::index_select", "aten::embedding_dense_backward"),
    "add": ("aten::add",),  # a new array: the residual adds (the optimizer's are add_)
}
REST = "(the rest: optimizer, Python, ...)"


def trace_scratchish(workload: str, steps: int) -> tuple[float, dict]:
    """Seconds a traced step takes, and per op type its (forward, backward) seconds a step."""
    step, *_ = make_step(sh, workload)
    for _ in range(3):  # warm-up
        step()
    start = time.perf_counter()
    with sh.tools.trace() as tracer:
        for _ in range(steps):
            step()
    wall = (time.perf_counter() - start) / steps
    ops = {op: (t_fwd / steps, t_bwd / steps) for op, _, t_fwd, _, t_bwd in tracer.summary().rows}
    return wall, ops


def profile_torch(workload: str, steps: int) -> tuple[float, dict]:
    """Seconds a profiled PyTorch step takes, and per kernel its self time a step."""
    torch = load_lib("torch")
    step, *_ = make_step(torch, workload)
    for _ in range(3):
        step()
    activities = [torch.profiler.ProfilerActivity.CPU]
    with torch.profiler.profile(activities=activities) as prof:
        start = time.perf_counter()
        for _ in range(steps):
            step()
        wall = (time.perf_counter() - start) / steps
    kernels = {e.key: e.self_cpu_time_total / 1e6 / steps for e in prof.key_averages()}
    return wall, kernels


def torch_by_op(kernels: dict) -> dict:
    """PyTorch's kernel times summed into scratchish's op types (TORCH_KERNELS)."""
    return {op: sum(kernels.get(k, 0.0) for k in names) for op, names in TORCH_KERNELS.items()}


def profile(workload: str, steps: int = 20) -> None:
    wall, ops = trace_scratchish(workload, steps)
    print(f"\n{workload}: {steps} steps, {wall * 1e3:.1f} ms per step (traced)")
    for op, (t_fwd, t_bwd) in list(ops.items())[:12]:
        print(
            f"  {op:24s} fwd {t_fwd * 1e3:7.2f} ms  bwd {t_bwd * 1e3:7.2f} ms"
            f"  {(t_fwd + t_bwd) / wall * 100:5.1f}%"
        )
    other = wall - sum(t_fwd + t_bwd for t_fwd, t_bwd in ops.values())
    outside = "(outside ops: optimizer, bookkeeping)"
    print(f"  {outside:40s} {other * 1e3:7.2f} ms  {other / wall:5.1%}")


def compare(workload: str, steps: int = 20) -> None:
    """scratchish's step and PyTorch's (in a child process) side by side, by op type."""
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--torch-child", workload, str(steps)],
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:  # PyTorch missing, or the workload failed there
        raise SystemExit(
            f"PyTorch's profile of {workload!r} failed (--torch needs torch==2.13.0, see the "
            f"README):\n{child.stderr.strip()}"
        )
    torch_wall, kernels = json.loads(child.stdout.strip().splitlines()[-1])
    wall, ops = trace_scratchish(workload, steps)
    theirs = torch_by_op(kernels)
    rows = [(op, sum(ops.get(op, (0.0, 0.0))), theirs.get(op, 0.0)) for op in {*ops, *theirs}]
    rows = [r for r in rows if r[1] + r[2] > 0.001 * wall]  # drop what costs nothing here
    rows.sort(key=lambda r: -max(r[1], r[2]))
    rows.append((REST, wall - sum(r[1] for r in rows), torch_wall - sum(r[2] for r in rows)))
    print(
        f"\n{workload}: {steps} steps; scratchish {wall * 1e3:.1f} ms a step (traced), "
        f"PyTorch {torch_wall * 1e3:.1f} ms (under torch.profiler)"
    )
    print(f"  {'op':36s} {'scratchish':>10s} {'PyTorch':>10s} {'sh/pt':>7s}   ms a step")
    for op, mine, theirs_ in rows:
        comparable = op in TORCH_KERNELS or op == REST
        ratio = f"{mine / theirs_:7.2f}" if comparable and theirs_ > 0 else ""
        print(f"  {op:36s} {mine * 1e3:10.2f} {theirs_ * 1e3:10.2f} {ratio:>7s}")
    unmapped = sorted(op for op, _, _ in rows if op not in TORCH_KERNELS and op != REST)
    if unmapped:
        print(f"  (no PyTorch kernels named for {', '.join(unmapped)}: theirs are in the last row)")
    missing = sorted(op for op, _, pt in rows if op in TORCH_KERNELS and pt == 0)
    if missing:  # a kernel PyTorch renamed, or a different path taken: see TORCH_KERNELS
        print(f"  (none of the PyTorch kernels named for {', '.join(missing)} ran)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["mlp", "cnn", "gpt"])
    parser.add_argument("--torch", action="store_true", help="PyTorch's step beside it")
    parser.add_argument(
        "--torch-child", nargs=2, metavar=("WORKLOAD", "STEPS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.torch_child:  # the child process of compare(): print PyTorch's profile as JSON
        print(json.dumps(profile_torch(args.torch_child[0], int(args.torch_child[1]))))
        return
    for name in args.workloads:
        steps = 3 if name.startswith("resnet18") else 20  # 2 s a step
        (compare if args.torch else profile)(name, steps)


if __name__ == "__main__":
    main()
