"""What scratchish's layers around the ops cost inside a workload: the model run through its
modules (Module calls, the functional checks, Tensors, Function.apply) against the same ops'
forward called on NumPy arrays directly, alternating windows in one process.

The ops do the same arithmetic in both (the outputs agree to float32 rounding), so the
ratio is the engine's Python time, measured where it runs: between NumPy calls, whose data
has pushed the interpreter's code out of the CPU's caches (2026-11-29, AMD EPYC VM: an empty
function call right after a large matrix product takes ~4 us instead of 0.4). Inference
only: (e) MLP inference at batch 256 and (i) the char GPT writing one character, where the
engine's share is largest (small arrays, many ops).

    python benchmarks/bench_engine_layers.py [mlp_infer] [gpt_sample]
"""

from __future__ import annotations

import argparse
import math

import models
import numpy as np
from common import alternate, median, median_ratio

import scratchish as sh
from scratchish.ops.elementwise import Relu
from scratchish.ops.matmul import Linear
from scratchish.ops.nn_ops import EmbeddingLookup, Gelu, LayerNorm, ScaledDotProductAttention


def forward(op, *arrays, **settings):
    """op's forward on arrays, as Function.apply runs it when no gradient is needed."""
    fn = op()
    fn.needs_input_grad = (False,) * len(arrays)
    return fn.forward(*arrays, **settings)


def weights(model) -> dict:
    """The model's parameters as arrays by name (tied ones under each name)."""
    named = model.named_parameters(remove_duplicate=False)
    return {name: p.detach().numpy() for name, p in named}


def mlp_infer():
    """(e) the MLP at batch 256: scratchish's model, and its ops on arrays."""
    sh.manual_seed(0)
    model = models.mlp(sh).eval()
    x = np.random.default_rng(0).standard_normal((256, 784)).astype(np.float32)
    p, x_t = weights(model), sh.from_numpy(x)

    def on_arrays():
        h = x
        for k in (0, 2, 4):
            h = forward(Linear, h, p[f"{k}.weight"], p[f"{k}.bias"])
            h = forward(Relu, h) if k < 4 else h
        return h

    def through_modules():
        with sh.no_grad():
            return model(x_t).numpy()

    return on_arrays, through_modules


def gpt_sample(n_head: int = 4):
    """(i) the char GPT's forward on one sequence of 64 tokens, as writing text runs it."""
    sh.manual_seed(0)
    model = models.gpt(sh).eval()
    idx = np.random.default_rng(0).integers(0, 65, (1, 64))
    p, idx_t = weights(model), sh.tensor(idx)
    blocks = [
        {name.split(".", 2)[2]: w for name, w in p.items() if name.startswith(f"blocks.{i}.")}
        for i in range(len(model.blocks))
    ]

    def on_arrays():
        B, T = idx.shape
        x = forward(EmbeddingLookup, p["wte.weight"], index=idx)
        x = x + forward(EmbeddingLookup, p["wpe.weight"], index=np.arange(T))
        C = x.shape[-1]
        for w in blocks:
            qkv = forward(Linear, forward(LayerNorm, x, w["ln_1.weight"]), w["c_attn.weight"])
            q, k, v = (
                a.reshape(B, T, n_head, C // n_head).transpose(0, 2, 1, 3)
                for a in np.split(qkv, 3, axis=2)
            )
            scale = 1 / math.sqrt(C // n_head)
            y = forward(ScaledDotProductAttention, q, k, v, scale=scale, causal=True)
            y = np.ascontiguousarray(y.transpose(0, 2, 1, 3)).reshape(B, T, C)
            x = x + forward(Linear, y, w["c_proj.weight"])
            h = forward(Linear, forward(LayerNorm, x, w["ln_2.weight"]), w["fc.weight"])
            x = x + forward(Linear, forward(Gelu, h), w["proj.weight"])
        return forward(Linear, forward(LayerNorm, x, p["ln_f.weight"]), p["lm_head.weight"])

    def through_modules():
        with sh.no_grad():
            return model(idx_t)[0].numpy()

    return on_arrays, through_modules


WORKLOADS = {"mlp_infer": mlp_infer, "gpt_sample": gpt_sample}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=[*WORKLOADS], help=", ".join(WORKLOADS))
    names = parser.parse_args().workloads
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {unknown[0]!r}: choose from {', '.join(WORKLOADS)}")
    for name in names:
        on_arrays, through_modules = WORKLOADS[name]()
        gap = np.abs(on_arrays() - through_modules()).max()
        if not gap < 1e-4:  # then they would not time the same work
            raise SystemExit(f"{name}: the two forwards' outputs differ by up to {gap}")
        times = alternate({"arrays": on_arrays, "modules": through_modules}, windows=15)
        ratio = median_ratio(times, "modules", "arrays")
        print(
            f"{name}: ops on arrays {median(times['arrays']) * 1e3:.3f} ms, through "
            f"scratchish's modules {median(times['modules']) * 1e3:.3f} ms: {ratio:.3f}x the "
            f"time (median of {len(times['arrays'])} paired windows)"
        )


if __name__ == "__main__":
    main()
