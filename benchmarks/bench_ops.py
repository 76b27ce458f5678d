"""Per-op cost of forward + backward on 32x32 tensors: scratchish vs raw NumPy vs PyTorch.

Small tensors make the per-op overhead (Python bookkeeping, PyTorch's dispatcher) visible:
the arithmetic itself takes about a microsecond. Targets (issue: the engine): scratchish no
slower than PyTorch, and at most 3x the hand-written NumPy forward + backward.

    python benchmarks/bench_ops.py
"""

from __future__ import annotations

import sys

import numpy as np

from common import alternate, median, median_ratio

import scratchish as sh

N = 32


def numpy_cases(a, b, g):
    """Forward + backward written by hand in NumPy: the floor any engine pays."""

    def add():
        out = a + b
        return out, g, g  # d(a+b)/da = 1, /db = 1

    def mul():
        return a * b, g * b, g * a

    def matmul():
        return a @ b, g @ b.T, a.T @ g

    def relu():
        out = np.maximum(a, 0)
        return out, g * (out > 0)

    def sum_():
        return a.sum(), np.broadcast_to(np.float32(1.0), a.shape)

    def chain():
        # y = relu(a * b + a) - b, then sum, forward and backward by hand (10 ops)
        p = a * b
        s = p + a
        r = np.maximum(s, 0)
        y = r - b
        total = y.sum()
        gy = np.ones_like(y)
        gr = gy
        gs = gr * (r > 0)
        ga = gs + gs * b
        gb = gs * a - gy
        return total, ga, gb

    return {"add": add, "mul": mul, "matmul": matmul, "relu": relu, "sum": sum_, "chain": chain}


def framework_cases(lib, a, b, g):
    """The same computations with autograd in scratchish or torch (`lib` is the module)."""

    def add():
        (a + b).backward(g)

    def mul():
        (a * b).backward(g)

    def matmul():
        (a @ b).backward(g)

    def relu():
        a.relu().backward(g)

    def sum_():
        a.sum().backward()

    def chain():
        (((a * b + a).relu()) - b).sum().backward()

    return {"add": add, "mul": mul, "matmul": matmul, "relu": relu, "sum": sum_, "chain": chain}


def main() -> None:
    rng = np.random.default_rng(0)
    a_np, b_np = (rng.standard_normal((N, N)).astype(np.float32) for _ in range(2))
    g_np = np.ones((N, N), np.float32)
    contenders = {"numpy": numpy_cases(a_np, b_np, g_np)}
    sa = sh.tensor(a_np, requires_grad=True)
    sb = sh.tensor(b_np, requires_grad=True)
    contenders["scratchish"] = framework_cases(sh, sa, sb, sh.tensor(g_np))
    try:
        import torch

        torch.set_num_threads(2)
        ta = torch.tensor(a_np, requires_grad=True)
        tb = torch.tensor(b_np, requires_grad=True)
        contenders["torch"] = framework_cases(torch, ta, tb, torch.tensor(g_np))
    except ImportError:
        print("torch is not installed: comparing with NumPy only", file=sys.stderr)

    print(f"forward+backward per op on {N}x{N} float32, microseconds (median of windows)")
    header = f"{'op':8s}" + "".join(f"{name:>12s}" for name in contenders)
    header += f"{'sh/numpy':>10s}" + (f"{'sh/torch':>10s}" if "torch" in contenders else "")
    print(header)
    for op in contenders["numpy"]:
        times = alternate({name: cases[op] for name, cases in contenders.items()})
        row = f"{op:8s}" + "".join(f"{median(times[n]) * 1e6:12.1f}" for n in contenders)
        row += f"{median_ratio(times, 'scratchish', 'numpy'):10.2f}"
        if "torch" in contenders:
            row += f"{median_ratio(times, 'scratchish', 'torch'):10.2f}"
        print(row)


if __name__ == "__main__":
    main()
