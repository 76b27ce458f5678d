"""The built-in models the one-call learners pick, each described by a JSON-able `config`.

    SimpleCNN        images: conv-batchnorm-relu blocks, global average pooling, a linear head
    MLP              anything flat: linear-relu layers (images are flattened first)
    TabularModel     tables: an embedding per categorical column, then an MLP
    CharTransformer  text: a small GPT over characters, with generate()

`build_model(model.config)` rebuilds any of them (export.py relies on it). Read learner.py
and data.py first.
"""

from __future__ import annotations

import math

from .. import nn
from ..autograd import no_grad
from ..creation import arange, cat, multinomial
from ..errors import ArgumentError
from ..functions import softmax
from ..nn import functional as F
from ..tensor import Tensor

__all__ = ["MLP", "CharTransformer", "SimpleCNN", "TabularModel", "build_model", "emb_sz_rule"]


class SimpleCNN(nn.Module):
    """A small CNN for classifying images of any size.

    Each width gives a block conv 3x3 -> BatchNorm2d -> ReLU; the first keeps the size, the
    others halve it (stride 2). Global average pooling then makes the result independent of
    the image size, and a linear layer gives one score per class.

    Args:
        c_in: input channels (1 grey, 3 RGB).
        n_out: the number of classes.
        widths: channels of each block.

    Shape: (N, c_in, H, W) -> (N, n_out).
    """

    def __init__(self, c_in: int = 1, n_out: int = 10, widths=(16, 32, 64)) -> None:
        super().__init__()
        self.config = {"name": "SimpleCNN", "c_in": c_in, "n_out": n_out, "widths": list(widths)}
        layers, c = [], c_in
        for i, width in enumerate(widths):
            stride = 1 if i == 0 else 2
            layers += [nn.Conv2d(c, width, 3, stride=stride, padding=1, bias=False),
                       nn.BatchNorm2d(width), nn.ReLU()]  # fmt: skip
            c = width
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_out)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class MLP(nn.Module):
    """Linear -> ReLU layers for flat inputs; (N, C, H, W) images are flattened first.

    Args:
        n_in: input features (C * H * W for images).
        n_out: outputs (classes, or 1 for regression).
        hidden: the width of each hidden layer.

    Shape: (N, *) -> (N, n_out).
    """

    def __init__(self, n_in: int, n_out: int, hidden=(128, 64)) -> None:
        super().__init__()
        self.config = {"name": "MLP", "n_in": n_in, "n_out": n_out, "hidden": list(hidden)}
        layers, n = [nn.Flatten()], n_in
        for width in hidden:
            layers += [nn.Linear(n, width), nn.ReLU()]
            n = width
        layers.append(nn.Linear(n, n_out))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


def emb_sz_rule(n_categories: int) -> int:
    """fastai's rule of thumb for an embedding's width: min(600, round(1.6 * n^0.56))."""
    return min(600, round(1.6 * n_categories**0.56))


class TabularModel(nn.Module):
    """Tables: each categorical column is looked up in its own embedding (a learned vector
    per category), the vectors are joined with the numeric columns and go through an MLP
    (Linear -> ReLU -> BatchNorm1d per layer).

    For regression, the output is rescaled as out * y_std + y_mean, so the layers work on
    numbers near 0 whatever the target's units.

    Args:
        emb_szs: (number of categories, width) for each categorical column.
        n_cont: the number of numeric columns.
        n_out: classes, or 1 for regression.
        layers: hidden widths.
        y_mean, y_std: the target's scale (regression).

    Shape: x_cat (N, n_cat) int64, x_cont (N, n_cont) float32 -> (N, n_out).
    """

    def __init__(self, emb_szs, n_cont: int, n_out: int, layers=(200, 100),
                 y_mean: float = 0.0, y_std: float = 1.0) -> None:  # fmt: skip
        super().__init__()
        emb_szs = [[int(n), int(d)] for n, d in emb_szs]
        self.config = {"name": "TabularModel", "emb_szs": emb_szs, "n_cont": n_cont,
                       "n_out": n_out, "layers": list(layers), "y_mean": y_mean,
                       "y_std": y_std}  # fmt: skip
        self.embeds = nn.ModuleList([nn.Embedding(n, d) for n, d in emb_szs])
        self.y_mean, self.y_std = y_mean, y_std
        blocks, n = [], sum(d for _, d in emb_szs) + n_cont
        for width in layers:
            blocks += [nn.Linear(n, width), nn.ReLU(), nn.BatchNorm1d(width)]
            n = width
        blocks.append(nn.Linear(n, n_out))
        self.layers = nn.Sequential(*blocks)

    def forward(self, x_cat: Tensor, x_cont: Tensor) -> Tensor:
        parts = [embed(x_cat[:, i]) for i, embed in enumerate(self.embeds)]  # each (N, d_i)
        x = cat([*parts, x_cont], dim=1)  # (N, sum d_i + n_cont)
        return self.layers(x) * self.y_std + self.y_mean


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t only sees positions <= t."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd)  # queries, keys and values in one matmul
        self.proj = nn.Linear(n_embd, n_embd)

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.qkv(x).split(C, dim=2)  # each (B, T, C)
        q = q.reshape(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.reshape(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        v = v.reshape(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, nh, T, hs)
        y = y.transpose(1, 2).reshape(B, T, C)  # heads side by side again: (B, T, C)
        return self.proj(y)


class Block(nn.Module):
    """A transformer block: x + attention(layernorm(x)), then x + mlp(layernorm(x))."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd)
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CharTransformer(nn.Module):
    """A small GPT over characters (as karpathy/nanoGPT's model.py, smaller).

    Args:
        vocab_size: the number of distinct characters.
        block_size: the longest context, in characters.
        n_embd: the width of every position's vector.
        n_head: attention heads (n_embd must divide by it).
        n_layer: transformer blocks.

    Shape: ids (B, T) int64, T <= block_size -> logits (B, T, vocab_size).
    """

    def __init__(self, vocab_size: int, block_size: int = 64, n_embd: int = 64,
                 n_head: int = 4, n_layer: int = 2) -> None:  # fmt: skip
        super().__init__()
        if n_embd % n_head:
            raise ArgumentError(f"CharTransformer: n_embd={n_embd} must divide by n_head={n_head}.")
        self.config = {"name": "CharTransformer", "vocab_size": vocab_size,
                       "block_size": block_size, "n_embd": n_embd, "n_head": n_head,
                       "n_layer": n_layer}  # fmt: skip
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, n_embd)  # what each character is
        self.pos_emb = nn.Embedding(block_size, n_embd)  # where it is
        self.blocks = nn.Sequential(*[Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx: Tensor) -> Tensor:
        B, T = idx.shape
        if T > self.block_size:
            raise ArgumentError(
                f"CharTransformer: got {T} characters, the model sees at most "
                f"block_size={self.block_size}; pass the last {self.block_size}."
            )
        x = self.tok_emb(idx) + self.pos_emb(arange(T))  # (B, T, C) + (T, C) -> (B, T, C)
        x = self.ln_f(self.blocks(x))  # (B, T, C)
        return self.head(x)  # (B, T, vocab_size)

    def generate(self, idx: Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None) -> Tensor:  # fmt: skip
        """Continue `idx` (B, T) by sampling max_new_tokens characters, one at a time, each
        from softmax(logits / temperature) (optionally only the top_k most likely).

        Returns: (B, T + max_new_tokens) ids.
        """
        was_training = self.training
        self.eval()
        with no_grad():
            for _ in range(max_new_tokens):
                context = idx[:, -self.block_size :]  # the last block_size characters
                logits = self(context)[:, -1, :] / max(temperature, 1e-6)  # (B, vocab)
                if top_k is not None:
                    kth = logits.topk(min(top_k, logits.shape[-1]), dim=-1)[0][:, -1:]
                    logits = logits.masked_fill(logits < kth, -math.inf)
                probs = softmax(logits, dim=-1)
                idx = cat([idx, multinomial(probs, 1)], dim=1)  # (B, T + 1)
        self.train(was_training)
        return idx


MODELS = {cls.__name__: cls for cls in (SimpleCNN, MLP, TabularModel, CharTransformer)}


def build_model(config: dict) -> nn.Module:
    """A built-in model from its `config` (its weights are fresh: load a state_dict next)."""
    kwargs = dict(config)
    name = kwargs.pop("name", None)
    if name not in MODELS:
        raise ArgumentError(
            f"build_model: unknown model {name!r}; the built-in models are {', '.join(MODELS)}."
        )
    return MODELS[name](**kwargs)
