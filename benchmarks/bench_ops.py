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
    """Forward + backward written by hand in NumPy, gradients added into the leaves' grads as
    any training code must: the floor an engine pays."""
    grad_a, grad_b = np.zeros_like(a), np.zeros_like(b)

    def add():
        out = a + b
        grad_a.__iadd__(g)  # d(a+b)/da = 1, d(a+b)/db = 1
        grad_b.__iadd__(g)
        return out

    def mul():
        out = a * b
        grad_a.__iadd__(g * b)
        grad_b.__iadd__(g * a)
        return out

    def matmul():
        out = a @ b
        grad_a.__iadd__(g @ b.T)
        grad_b.__iadd__(a.T @ g)
        return out

    def relu():
        out = np.maximum(a, 0)
        grad_a.__iadd__(g * (out > 0))
        return out

    def sum_():
        total = a.sum()
        grad_a.__iadd__(np.ones_like(a))
        return total

    def chain():
        # 10 ops: y = sum(sigmoid(tanh(relu(a * b + a) - b) * a + b) * b / 2)
        t1 = a * b
        t2 = t1 + a
        t3 = np.maximum(t2, 0)
        t4 = t3 - b
        t5 = np.tanh(t4)
        t6 = t5 * a
        t7 = t6 + b
        t8 = 1 / (1 + np.exp(-t7))
        t9 = t8 * b
        t10 = t9 / 2
        total = t10.sum()
        g9 = np.full_like(t10, 0.5)
        g8 = g9 * b
        g7 = g8 * t8 * (1 - t8)
        g5 = g7 * a
        g4 = g5 * (1 - t5 * t5)
        g2 = g4 * (t2 > 0)
        grad_a.__iadd__(g2 * b + g2 + g7 * t5)
        grad_b.__iadd__(g9 * t8 + g7 - g4 + g2 * a)
        return total

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
        ((((a * b + a).relu() - b).tanh() * a + b).sigmoid() * b / 2).sum().backward()

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
