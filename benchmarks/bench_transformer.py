"""A 2-layer nn.TransformerEncoder, forward + backward, scratchish vs PyTorch.

    python benchmarks/bench_transformer.py [--windows 7] [--threads 2]

--threads sets PyTorch's threads; give NumPy's BLAS the same through the environment
(OPENBLAS_NUM_THREADS=1 for --threads 1). On a loaded machine 1 thread is the fairer
comparison: two threads that wait for each other lose more under contention.

d_model 128, nhead 4, dim_feedforward 512, sequences of 64, batch 16, batch_first, a causal
mask and a padding mask; in training mode with dropout 0.1 (the default) and with dropout 0.
The same weights in both libraries. Prints seconds per step and the median of the paired
ratios (common.py), PyTorch / scratchish time (above 1: scratchish faster).
"""

from __future__ import annotations

import argparse

import numpy as np
from common import alternate, median, median_ratio

D_MODEL, NHEAD, FF, SEQ, BATCH, LAYERS = 128, 4, 512, 64, 16, 2


def build(lib, dropout: float):
    layer = lib.nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, dropout=dropout, batch_first=True)
    return lib.nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)


def step_fn(lib, model, x, mask, padding):
    def step():
        model.zero_grad()
        out = model(x, mask=mask, src_key_padding_mask=padding, is_causal=True)
        out.sum().backward()

    return step


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    import scratchish as sh

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32)
    pad_np = np.zeros((BATCH, SEQ), dtype=bool)
    pad_np[::2, SEQ - 8 :] = True  # every other sequence ends 8 positions early
    for dropout in (0.1, 0.0):
        model = build(sh, dropout)
        tmodel = build(torch, dropout)
        tmodel.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
        mask = sh.nn.Transformer.generate_square_subsequent_mask(SEQ)
        tmask = torch.nn.Transformer.generate_square_subsequent_mask(SEQ)
        ours = step_fn(sh, model, sh.tensor(x_np, requires_grad=True), mask, sh.tensor(pad_np))
        theirs = step_fn(
            torch, tmodel, torch.tensor(x_np, requires_grad=True), tmask, torch.tensor(pad_np)
        )
        times = alternate({"scratchish": ours, "torch": theirs}, windows=args.windows, pause=0.3)
        ratio = median_ratio(times, "torch", "scratchish")
        print(
            f"dropout {dropout}: scratchish {median(times['scratchish']) * 1e3:.1f} ms, "
            f"PyTorch {median(times['torch']) * 1e3:.1f} ms per step; "
            f"speed ratio (PyTorch time / scratchish time) {ratio:.2f}"
        )


if __name__ == "__main__":
    main()
