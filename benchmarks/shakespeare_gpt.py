"""The end-to-end figure: a character-level GPT trained on Tiny Shakespeare, both libraries.

nanoGPT's CPU recipe (its README): 4 layers, 4 heads, width 128, context 64, batch 12, 2000
iterations, no dropout, AdamW lr 1e-3 betas (0.9, 0.99) weight decay 0.1, 100 warm-up steps,
cosine decay to 1e-4. nanoGPT reports a validation loss of about 1.88. The same seed gives the
same weights and the same batches in both libraries, so their loss curves should agree
closely. Needs ../shared/data/tinyshakespeare.txt (not part of the project: skips without it).

The loop is nanoGPT's train.py: every 250 iterations (and after the last) it estimates the
loss as nanoGPT does, the mean over 20 random training batches and then 20 validation
batches (`--eval_iters=20`), and it draws each training batch one step ahead (nanoGPT
prefetches it during the forward pass). The estimates' batches come from the same random
generator as the training batches, so they decide which batches the model trains on: without
them, seed 1337 ends at 1.90 instead of 1.89 (benchmarks/README.md). The training time
excludes the estimates. At the end a 200-batch validation loss gives a closer figure.

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

EVAL_INTERVAL = 250  # nanoGPT's eval_interval for shakespeare_char
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

    def mean_loss(data, n_batches):
        model.eval()
        with lib.no_grad():
            losses = [model(*get_batch(data))[1].item() for _ in range(n_batches)]
        model.train()
        return float(np.mean(losses))

    def report(it, seconds):
        """nanoGPT's estimate_loss with --eval_iters=20 (20 training batches, then 20
        validation batches, +-0.01 of noise, drawn from the training batches' generator),
        printed as its log line."""
        losses = {"train": mean_loss(train_t, 20), "val": mean_loss(valid_t, 20)}
        print(
            f"  {lib.__name__:10s} step {it:5d}: train loss {losses['train']:.4f}, "
            f"val loss {losses['val']:.4f} ({seconds:.0f} s of training)",
            flush=True,
        )
        return losses

    train_seconds = 0.0
    x, y = get_batch(train_t)  # as nanoGPT: the first batch before the loop, ...
    for it in range(iters):
        if it % EVAL_INTERVAL == 0:
            report(it, train_seconds)
        start = time.perf_counter()
        for group in opt.param_groups:
            group["lr"] = lr_at(it, iters)
        _, loss = model(x, y)
        x, y = get_batch(train_t)  # ... and the next one right after the forward pass
        opt.zero_grad(set_to_none=True)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        train_seconds += time.perf_counter() - start
    final = report(iters, train_seconds)  # nanoGPT's last line: after `iters` steps
    val200 = mean_loss(valid_t, 200)
    sample = generate(lib, model, chars, block)
    return final, val200, train_seconds, sample


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
    for name, (final, val200, seconds, sample) in results.items():
        print(
            f"\n{name}: after {args.iters} iterations validation loss {final['val']:.4f} as "
            f"nanoGPT reports it (20 batches; training loss {final['train']:.4f}), "
            f"{val200:.4f} over 200 batches; {seconds:.0f} s of training "
            f"({args.iters * 12 * 64 / seconds:.0f} tokens/s)"
        )
        print(f"sample:\n{sample}")
    if len(results) == 2:
        t_sh, t_pt = results["scratchish"][2], results["torch"][2]
        print(f"\nwall-time ratio torch/scratchish: {t_pt / t_sh:.2f} (above 1: scratchish faster)")


if __name__ == "__main__":
    main()
