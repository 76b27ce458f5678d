"""A scan for slow ops: forward + backward of 91 ops and functions on a (256, 512)
float32 tensor, scratchish and PyTorch, sorted by how many times PyTorch's time scratchish
takes. Meant to find the op that is 5-50x slower than the rest (x ** 4 on negative numbers,
topk by a whole sort, np.where inside an activation), not to rank close ones: each op is
timed as the median of 15 calls, one library after the other.

    python benchmarks/scan_ops.py            # every op
    python benchmarks/scan_ops.py elu bce    # the ops whose names contain a word given
"""

from __future__ import annotations

import sys

import numpy as np
from bench_train import load_lib
from common import median_time, print_slowest_first


def _ops(L):
    """name: (input kind, fn(L, x)); inputs: any sign, positive, or inside (-1, 1)."""
    F = L.nn.functional
    every_4th = L.tensor(np.tile(np.arange(0, 512, 4), (256, 1)))
    picks = np.random.default_rng(1)
    rows = L.tensor(picks.integers(0, 256, 128))
    tokens = L.tensor(picks.integers(0, 256, (64, 32)))
    labels = L.tensor(picks.integers(0, 512, 256))
    return {
        "exp": ("any", lambda x: x.exp()),
        "log": ("positive", lambda x: x.log()),
        "sqrt": ("positive", lambda x: x.sqrt()),
        "rsqrt": ("positive", lambda x: x.rsqrt()),
        "sigmoid": ("any", lambda x: x.sigmoid()),
        "tanh": ("any", lambda x: x.tanh()),
        "sin": ("any", lambda x: x.sin()),
        "abs": ("any", lambda x: x.abs()),
        "x ** 2.5": ("positive", lambda x: x**2.5),
        "x ** 4, signed x": ("any", lambda x: x**4),
        "x ** 3, signed x": ("any", lambda x: x**3),
        "division": ("any", lambda x: x / (x.abs() + 1)),
        "clamp": ("any", lambda x: x.clamp(-1, 1)),
        "atan": ("any", lambda x: x.atan()),
        "asin": ("inside", lambda x: x.asin()),
        "erf": ("any", lambda x: x.erf()),
        "softplus": ("any", lambda x: F.softplus(x)),
        "elu": ("any", lambda x: F.elu(x)),
        "selu": ("any", lambda x: F.selu(x)),
        "gelu": ("any", lambda x: F.gelu(x)),
        "silu": ("any", lambda x: F.silu(x)),
        "mish": ("any", lambda x: F.mish(x)),
        "hardswish": ("any", lambda x: F.hardswish(x)),
        "hardsigmoid": ("any", lambda x: F.hardsigmoid(x)),
        "relu6": ("any", lambda x: F.relu6(x)),
        "leaky_relu": ("any", lambda x: F.leaky_relu(x, 0.1)),
        "logsigmoid": ("any", lambda x: F.logsigmoid(x)),
        "softsign": ("any", lambda x: F.softsign(x)),
        "softmax": ("any", lambda x: x.softmax(-1)),
        "log_softmax": ("any", lambda x: x.log_softmax(-1)),
        "logsumexp": ("any", lambda x: x.logsumexp(-1)),
        "max(dim)": ("any", lambda x: x.max(-1)[0]),
        "mean(dim 0)": ("any", lambda x: x.mean(0)),
        "var(dim)": ("any", lambda x: x.var(-1)),
        "norm(dim)": ("any", lambda x: x.norm(dim=-1)),
        "cumsum": ("any", lambda x: x.cumsum(-1)),
        "cumsum(dim 0)": ("any", lambda x: x.cumsum(0)),
        "prod(dim)": ("inside", lambda x: x.prod(-1)),
        "sort": ("any", lambda x: x.sort(-1)[0]),
        "topk 5": ("any", lambda x: x.topk(5, -1)[0]),
        "t().contiguous()": ("any", lambda x: x.t().contiguous()),
        "cat": ("any", lambda x: L.cat([x, x], 1)),
        "x[:, ::2]": ("any", lambda x: x[:, ::2]),
        "gather": ("any", lambda x: x.gather(1, every_4th)),
        "masked_fill": ("any", lambda x: x.masked_fill(x.detach() > 1, 0.0)),
        "where": ("any", lambda x: L.where(x > 0, x, x * 2)),
        "einsum ij,kj->ik": ("any", lambda x: L.einsum("ij,kj->ik", x, x[:64])),
        "layer_norm": ("any", lambda x: F.layer_norm(x, (512,))),
        "dropout": ("any", lambda x: F.dropout(x, 0.1)),
        "mse_loss": ("any", lambda x: F.mse_loss(x, x.detach() * 0.5)),
        "bce_with_logits": (
            "any",
            lambda x: F.binary_cross_entropy_with_logits(x, (x.detach() > 0).float()),
        ),
        # indexing, movement, shapes
        "index_select(0)": ("any", lambda x: x.index_select(0, rows)),
        "x[rows]": ("any", lambda x: x[rows]),
        "x[mask]": ("any", lambda x: x[x.detach() > 0]),
        "embedding": ("any", lambda x: F.embedding(tokens, x)),
        "scatter_add": ("any", lambda x: L.zeros(256, 512).scatter_add(1, every_4th, x[:, :128])),
        "index_add": ("any", lambda x: L.zeros(256, 512).index_add(0, rows, x[:128])),
        "roll": ("any", lambda x: x.roll(5, 1)),
        "flip": ("any", lambda x: x.flip(1)),
        "repeat": ("any", lambda x: x.repeat(2, 1)),
        "pad": ("any", lambda x: F.pad(x, (1, 1, 1, 1))),
        "tril": ("any", lambda x: x.tril()),
        "unfold": ("any", lambda x: x.unfold(1, 8, 4)),
        "stack": ("any", lambda x: L.stack([x, x], 0)),
        "split": ("any", lambda x: x.split(128, 1)[1]),
        "diff": ("any", lambda x: x.diff(dim=1)),
        "pixel_shuffle": ("any", lambda x: F.pixel_shuffle(x.reshape(2, 64, 32, 32), 2)),
        # reductions and norms
        "sum(dim)": ("any", lambda x: x.sum(-1)),
        "std(dim)": ("any", lambda x: x.std(-1)),
        "amax(dim 0)": ("any", lambda x: x.amax(0)),
        "median(dim)": ("any", lambda x: x.median(-1)[0]),
        "kthvalue": ("any", lambda x: x.kthvalue(10, -1)[0]),
        "normalize": ("any", lambda x: F.normalize(x, dim=1)),
        "cosine_similarity": ("any", lambda x: F.cosine_similarity(x, x.flip(0), dim=1)),
        "cdist": ("any", lambda x: L.cdist(x[:64], x[64:192])),
        # products
        "x @ x.T": ("any", lambda x: x @ x.t()),
        "bmm": ("any", lambda x: L.bmm(x.reshape(16, 16, 512), x.reshape(16, 512, 16))),
        "outer": ("any", lambda x: L.outer(x[0], x[1])),
        "conv1d": (
            "any",
            lambda x: F.conv1d(x.reshape(16, 16, 512), x[:16, :48].reshape(16, 16, 3)),
        ),
        "avg_pool1d": ("any", lambda x: F.avg_pool1d(x.reshape(256, 1, 512), 4)),
        "max_pool1d": ("any", lambda x: F.max_pool1d(x.reshape(256, 1, 512), 4)),
        "interpolate": ("any", lambda x: F.interpolate(x.reshape(2, 64, 32, 32), scale_factor=2)),
        # losses and misc
        "cross_entropy": ("any", lambda x: F.cross_entropy(x, labels)),
        "nll_loss": ("any", lambda x: F.nll_loss(x.log_softmax(-1), labels)),
        "kl_div": ("any", lambda x: F.kl_div(x.log_softmax(-1), x.detach().softmax(-1))),
        "smooth_l1_loss": ("any", lambda x: F.smooth_l1_loss(x, x.detach() * 0.5)),
        "l1_loss": ("any", lambda x: F.l1_loss(x, x.detach() * 0.5)),
        "glu": ("any", lambda x: F.glu(x)),
        "lerp": ("any", lambda x: L.lerp(x, x.detach() * 2, 0.3)),
        "addcmul": ("any", lambda x: L.addcmul(x, x, x, value=0.5)),
        "atan2": ("any", lambda x: L.atan2(x, x.detach() + 1)),
    }


def main() -> None:
    sh, torch = load_lib("scratchish"), load_lib("torch")
    rng = np.random.default_rng(0)
    signed = (rng.standard_normal((256, 512)) * 2).astype(np.float32)
    inputs = {
        "any": signed,
        "positive": np.abs(signed) + 0.1,
        "inside": np.clip(signed / 7, -0.99, 0.99),
    }
    rows = []
    ops = {lib: _ops(lib) for lib in (sh, torch)}
    words = sys.argv[1:]
    for name, (kind, _) in ops[sh].items():
        if words and not any(word in name for word in words):
            continue
        us = {}
        for lib in (sh, torch):
            x = lib.tensor(inputs[kind].copy(), requires_grad=True)
            fn = ops[lib][name][1]

            def step(lib=lib, x=x, fn=fn):
                out = fn(x)
                out.backward(lib.ones_like(out))
                x.grad = None

            us[lib] = median_time(step, 15) * 1e6
        rows.append((name, us[sh], us[torch]))
    print_slowest_first(rows, "op (forward + backward, (256, 512))")


if __name__ == "__main__":
    main()
