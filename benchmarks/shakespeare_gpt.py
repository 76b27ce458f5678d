"""The end-to-end figure: a character-level GPT trained on Tiny Shakespeare, both libraries.

nanoGPT's CPU recipe (its README): 4 layers, 4 heads, width 128, context 64, batch 12, 2000
iterations, no dropout, AdamW lr 1e-3 betas (0.9, 0.99) weight decay 0.1, 100 warm-up steps,
cosine decay to 1e-4. nanoGPT reports a validation loss of about 1.88. The same seed gives the
same weights and the same batches in both libraries, so their loss curves should agree
closely. Needs ../shared/data/tinyshakespeare.txt (not part of the project: skips without it).

    python benchmarks/shakespeare_gpt.py                  # both, 2000 iterations each
    python benchmarks/shakespeare_gpt.py --lib scratchish --iters 200
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import models
import numpy as np

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "tinyshakespeare.txt")


def load_text(path: str):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    n = int(0.9 * len(ids))
    return ids[:n], ids[n:], chars


def lr_at(it: int, iters: int, lr=1e-3, min_lr=1e-4, warmup=100) -> float:
    """nanoGPT's schedule: linear warm-up, then cosine decay to min_lr."""
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    ratio = (it - warmup) / max(iters - warmup, 1)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


def run(lib, train, valid, chars, iters: int, seed: int = 1337, batch=12, block=64):
    lib.manual_seed(seed)
    model = models.gpt(lib, vocab=len(chars), block_size=block)
    opt = models.gpt_optimizer(lib, model, lr=1e-3, weight_decay=0.1, betas=(0.9, 0.99))
    train_t, valid_t = lib.tensor(train), lib.tensor(valid)

    def get_batch(data):
        ix = lib.randint(len(data) - block, (batch,))
        x = lib.stack([data[i : i + block] for i in ix.tolist()])
        y = lib.stack([data[i + 1 : i + 1 + block] for i in ix.tolist()])
        return x, y

    def estimate(data, n_batches=200):
        """The loss as nanoGPT reports it (`--eval_iters=20`: the mean over 20 random
        batches, +-0.01 of noise) and over 200 batches (a closer estimate)."""
        model.eval()
        with lib.no_grad():
            losses = [model(*get_batch(data))[1].item() for _ in range(n_batches)]
        model.train()
        return float(np.mean(losses[:20])), float(np.mean(losses))

    start = time.perf_counter()
    for it in range(iters):
        for group in opt.param_groups:
            group["lr"] = lr_at(it, iters)
        x, y = get_batch(train_t)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if it % 250 == 0:
            print(
                f"  {lib.__name__:10s} iter {it:5d} loss {loss.item():.4f} "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    train_seconds = time.perf_counter() - start
    val = estimate(valid_t)
    train_loss = estimate(train_t)  # nanoGPT prints both
    sample = generate(lib, model, chars, block)
    return val, train_loss, train_seconds, sample


def generate(lib, model, chars, block, n=300):
    model.eval()
    idx = lib.zeros((1, 1), dtype=lib.long)
    with lib.no_grad():
        for _ in range(n):
            logits, _ = model(idx[:, -block:])
            probs = logits[:, -1, :].softmax(dim=-1)
            idx = lib.cat([idx, lib.multinomial(probs, num_samples=1)], dim=1)
    return "".join(chars[i] for i in idx[0].tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--lib", choices=["both", "scratchish", "torch"], default="both")
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--seed", type=int, default=1337, help="nanoGPT's seed by default")
    args = parser.parse_args()
    if not os.path.exists(args.data):
        print(f"skipped: {args.data} is absent (Tiny Shakespeare is not part of the project)")
        return
    train, valid, chars = load_text(args.data)
    libs = []
    if args.lib in ("both", "scratchish"):
        import scratchish

        libs.append(scratchish)
    if args.lib in ("both", "torch"):
        try:
            import torch

            torch.set_num_threads(os.cpu_count() or 1)
            libs.append(torch)
        except ImportError:
            print("torch is not installed: scratchish only", file=sys.stderr)
    results = {}
    for lib in libs:
        print(f"{lib.__name__}: {args.iters} iterations", flush=True)
        results[lib.__name__] = run(lib, train, valid, chars, args.iters, seed=args.seed)
    for name, ((val20, val), (train20, train_loss), seconds, sample) in results.items():
        print(
            f"\n{name}: validation loss {val20:.4f} over 20 batches as nanoGPT reports it, "
            f"{val:.4f} over 200; training loss {train20:.4f} over 20, {train_loss:.4f} over "
            f"200; after {args.iters} iterations, "
            f"{seconds:.0f} s of training ({args.iters * 12 * 64 / seconds:.0f} tokens/s)"
        )
        print(f"sample:\n{sample}")
    if len(results) == 2:
        t_sh, t_pt = results["scratchish"][2], results["torch"][2]
        print(f"\nwall-time ratio torch/scratchish: {t_pt / t_sh:.2f} (above 1: scratchish faster)")


if __name__ == "__main__":
    main()
