"""Workload (a) written by hand in NumPy, timed against scratchish and PyTorch in one run.

The hand-written step is PERF_NOTES' recipe for a fast NumPy MLP step: forward, backward and
Adam over one flat buffer that holds all weights (the weights are views into it), every
update in place with `out=`. No engine, no graph: the floor a NumPy library can reach. If
scratchish runs at ~1.0x of it, the remaining gap to a target lies in NumPy, not in
scratchish's bookkeeping.

    python benchmarks/bench_mlp_floor.py
"""

from __future__ import annotations

import numpy as np
from bench_train import load_lib, make_step
from common import alternate, median, median_ratio

BATCH, SIZES = 128, [(784, 512), (512, 256), (256, 10)]


def numpy_mlp_step(seed: int = 0):
    """One training step of the MLP (ReLU, cross-entropy, Adam lr 1e-3) on fixed data."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 784)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    n = sum(i * o + o for i, o in SIZES)
    flat = (rng.standard_normal(n) * 0.03).astype(np.float32)
    grad, m, v, tmp, tmp2 = (np.zeros_like(flat) for _ in range(5))
    weights, biases, grad_w, grad_b, start = [], [], [], [], 0
    for i, o in SIZES:  # views into the flat buffers: (out, in) weights, then the bias
        weights.append(flat[start : start + i * o].reshape(o, i))
        grad_w.append(grad[start : start + i * o].reshape(o, i))
        start += i * o
        biases.append(flat[start : start + o])
        grad_b.append(grad[start : start + o])
        start += o
    ones, rows = np.ones(BATCH, np.float32), np.arange(BATCH)
    beta1, beta2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
    t = [0]

    def step():
        acts = [x]
        for k, (w, b) in enumerate(zip(weights, biases)):
            z = acts[-1] @ w.T
            z += b
            if k < len(weights) - 1:
                np.maximum(z, 0, out=z)
            acts.append(z)
        # softmax cross-entropy: d loss / d logits = (softmax - one_hot) / batch
        z = acts.pop()
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        z[rows, y] -= 1
        g = z / BATCH
        for k in reversed(range(len(weights))):
            np.matmul(g.T, acts[k], out=grad_w[k])
            np.matmul(ones, g, out=grad_b[k])  # the bias gradient as a BLAS product
            if k:
                g = g @ weights[k]
                g *= acts[k] > 0
        t[0] += 1
        # Adam: m = lerp(m, g, 1 - beta1); v = beta2 v + (1 - beta2) g^2; flat -= ...
        np.multiply(m, beta1, out=m)
        np.multiply(grad, 1 - beta1, out=tmp)
        np.add(m, tmp, out=m)
        np.multiply(v, beta2, out=v)
        np.multiply(grad, grad, out=tmp)
        np.multiply(tmp, 1 - beta2, out=tmp)
        np.add(v, tmp, out=v)
        np.sqrt(v, out=tmp)
        np.divide(tmp, np.sqrt(1 - beta2 ** t[0]), out=tmp)
        np.add(tmp, eps, out=tmp)
        np.divide(m, tmp, out=tmp2)
        np.multiply(tmp2, lr / (1 - beta1 ** t[0]), out=tmp2)
        np.subtract(flat, tmp2, out=flat)

    return step


def main() -> None:
    steps = {
        "numpy": numpy_mlp_step(),
        "scratchish": make_step(load_lib("scratchish"), "mlp")[0],
    }
    try:
        steps["torch"] = make_step(load_lib("torch"), "mlp")[0]
    except ImportError:
        print("torch is not installed: comparing scratchish with the NumPy step only")
    times = alternate(steps, windows=9, min_seconds=0.4, pause=0.3)
    print(f"(a) MLP training step, ms (median of {len(times['numpy'])} alternating windows):")
    print("  " + "  ".join(f"{name} {median(t) * 1e3:.2f}" for name, t in times.items()))
    floor = median_ratio(times, "numpy", "scratchish")
    print(f"  scratchish / hand-written NumPy speed: {floor:.2f}")
    if "torch" in times:
        print(f"  hand-written NumPy / PyTorch speed: {median_ratio(times, 'torch', 'numpy'):.2f}")
        print(f"  scratchish / PyTorch speed: {median_ratio(times, 'torch', 'scratchish'):.2f}")


if __name__ == "__main__":
    main()
