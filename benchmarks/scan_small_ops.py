"""A scan for fixed costs: one call of 70 ops and functions on tiny tensors (a few values),
scratchish and PyTorch, sorted by how many times PyTorch's time scratchish takes.

On tiny tensors an op's time is all fixed cost: argument checks, NumPy calls, the autograd
record. That is what a data augmentation pays per image (a coin flip, a crop corner), what
sampling text pays per token (softmax, multinomial, cat, topk), and what a lesson's small
examples pay everywhere. scan_ops.py looks at (256, 512) tensors, where the work dominates;
this finds the op whose fixed cost is 10-300x PyTorch's (randn(100) took 731 us before
2026-11-29, PyTorch 2.5). Each op is timed as the best of 5 windows of 200 calls, one
library after the other.

    python benchmarks/scan_small_ops.py            # every op
    python benchmarks/scan_small_ops.py rand cat   # the ops whose names contain a word given
"""

from __future__ import annotations

import sys
import time

import numpy as np
from bench_train import load_lib
from common import print_slowest_first


def _ops(L):  # noqa: N803 - L is the library, as in scan_ops.py
    """name: fn() for library L, on the same tiny inputs in both."""
    F = L.nn.functional
    x = L.tensor(np.arange(12, dtype=np.float32).reshape(3, 4) / 7)
    v = L.tensor(np.arange(4, dtype=np.float32))
    rows, labels = L.tensor(np.array([0, 2])), L.tensor(np.array([1, 0, 3]))
    mask, probs = x > 0.5, L.tensor(np.array([0.2, 0.3, 0.5], dtype=np.float32))
    zeros_index = L.zeros(3, 1, dtype=L.int64)
    linear = L.nn.Linear(4, 4)
    mlp = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.ReLU(), L.nn.Linear(8, 2))
    sgd, adam = L.optim.SGD(linear.parameters(), lr=0.1), L.optim.Adam(mlp.parameters())
    return {
        # making tensors
        "zeros(3, 4)": lambda: L.zeros(3, 4),
        "full": lambda: L.full((3, 4), 2.0),
        "arange(10)": lambda: L.arange(10),
        "linspace(0, 1, 5)": lambda: L.linspace(0, 1, 5),
        "eye(3)": lambda: L.eye(3),
        "tensor([1., 2., 3.])": lambda: L.tensor([1.0, 2.0, 3.0]),
        "tensor(3.0)": lambda: L.tensor(3.0),
        "zeros_like": lambda: L.zeros_like(x),
        # random draws
        "rand(1)": lambda: L.rand(1),
        "rand(3, 4)": lambda: L.rand(3, 4),
        "randn(1)": lambda: L.randn(1),
        "randn(3, 4)": lambda: L.randn(3, 4),
        "randn(100)": lambda: L.randn(100),
        "randn_like": lambda: L.randn_like(x),
        "randint(0, 10, (1,))": lambda: L.randint(0, 10, (1,)),
        "randperm(10)": lambda: L.randperm(10),
        "normal(0, 1, (3,))": lambda: L.normal(0.0, 1.0, (3,)),
        "bernoulli": lambda: L.bernoulli(probs),
        "multinomial": lambda: L.multinomial(probs, 1),
        # indexing and shapes
        "x[0]": lambda: x[0],
        "x[:, 1]": lambda: x[:, 1],
        "x[index]": lambda: x[rows],
        "x[mask]": lambda: x[mask],
        "x[0, 1].item()": lambda: x[0, 1].item(),
        "tolist": lambda: x.tolist(),
        "cat": lambda: L.cat([x, x]),
        "stack": lambda: L.stack([v, v]),
        "reshape": lambda: x.reshape(4, 3),
        "permute": lambda: x.permute(1, 0),
        "t()": lambda: x.t(),
        "unsqueeze": lambda: x.unsqueeze(0),
        "expand": lambda: v.expand(3, 4),
        "chunk": lambda: x.chunk(2, dim=1),
        "flip": lambda: x.flip(0),
        "roll": lambda: x.roll(1, 0),
        "tril": lambda: x.tril(),
        "gather": lambda: x.gather(1, zeros_index),
        "scatter_add": lambda: L.zeros(3, 4).scatter_add(1, zeros_index, x[:, :1]),
        "masked_fill": lambda: x.masked_fill(mask, 0.0),
        "where": lambda: L.where(mask, x, 0.0),
        "nonzero": lambda: mask.nonzero(),
        # math and reductions
        "x + 1": lambda: x + 1,
        "x @ x.t()": lambda: x @ x.t(),
        "exp": lambda: x.exp(),
        "clamp": lambda: x.clamp(0, 1),
        "sum().item()": lambda: x.sum().item(),
        "mean(dim=0)": lambda: x.mean(dim=0),
        "std": lambda: x.std(),
        "norm": lambda: x.norm(),
        "cumsum": lambda: x.cumsum(1),
        "argmax(dim=1)": lambda: x.argmax(dim=1),
        "max(dim=1)": lambda: x.max(dim=1),
        "topk(2)": lambda: v.topk(2),
        "sort": lambda: v.sort(),
        "unique": lambda: labels.unique(),
        "allclose": lambda: L.allclose(x, x),
        "cdist": lambda: L.cdist(x, x),
        "einsum": lambda: L.einsum("ij,kj->ik", x, x),
        # functions and modules
        "softmax": lambda: F.softmax(x, dim=1),
        "log_softmax": lambda: F.log_softmax(x, dim=1),
        "cross_entropy": lambda: F.cross_entropy(x, labels),
        "mse_loss": lambda: F.mse_loss(x, x),
        "one_hot": lambda: F.one_hot(labels, 4),
        "Linear(4, 4)": lambda: linear(x),
        "MLP 4-8-2": lambda: mlp(x),
        "SGD step": sgd.step,
        "Adam step": adam.step,
        "state_dict": lambda: mlp.state_dict(),
        "manual_seed": lambda: L.manual_seed(0),
    }


def best_us(fn, calls: int = 200, windows: int = 5) -> float:
    """Microseconds per call: the best of `windows` windows of `calls` calls."""
    fn()
    best = float("inf")
    for _ in range(windows):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def main() -> None:
    sh, torch = load_lib("scratchish"), load_lib("torch")
    ops = {lib: _ops(lib) for lib in (sh, torch)}
    words = sys.argv[1:]
    rows = []
    for name in ops[sh]:
        if words and not any(word in name for word in words):
            continue
        us = {lib: best_us(ops[lib][name]) for lib in (sh, torch)}
        rows.append((name, us[sh], us[torch]))
    print_slowest_first(rows, "op (one call, tiny tensors)")


if __name__ == "__main__":
    main()
