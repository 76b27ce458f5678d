"""MultiheadAttention (Vaswani et al. 2017): several attention heads side by side, with
PyTorch's parameter names (in_proj_weight, in_proj_bias, out_proj) so state_dicts transfer.

The attention itself is softmax(q k^T / sqrt(head_dim) + mask) v, as in
F.scaled_dot_product_attention. Read next: loss.py.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ArgumentError, ShapeError
from ..tensor import Tensor, _check_device
from . import functional as F
from . import init
from .linear import NonDynamicallyQuantizableLinear, _empty
from .module import Module, Parameter, size_argument


class MultiheadAttention(Module):
    """out = concat(head_1, ..., head_h) @ W_o^T + b_o,
    head_i = softmax(q_i k_i^T / sqrt(head_dim) + mask) v_i, with q_i, k_i, v_i the i-th
    slices of the projections query @ W_q^T + b_q, key @ W_k^T + b_k, value @ W_v^T + b_v.

    Args:
        embed_dim: model width E; num_heads: heads h (E must divide by h).
        dropout: dropout on the attention weights while training.
        bias: projections with biases. batch_first: inputs are (N, L, E) instead of (L, N, E).

    Shape: query (L, N, E) or (N, L, E) with batch_first, or (L, E) unbatched; key and value
    (S, N, E) likewise. Returns (out of the query's shape, weights (N, L, S) averaged over the
    heads or (N, h, L, S), or None when need_weights=False).

    Masks follow PyTorch's MultiheadAttention: a bool attn_mask (L, S) or (N*h, L, S) and a
    bool key_padding_mask (N, S) mark with True what may NOT be attended to; float masks are
    added to the scores. Differs: is_causal=True without attn_mask builds the causal mask here
    (PyTorch asks for the mask as well).

    Weights: in_proj_weight (3E, E) xavier_uniform_, in_proj_bias zeros, out_proj a Linear
    whose bias is zeroed; drawn in PyTorch's order (out_proj first, then in_proj_weight).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim=None,
        vdim=None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_device(device)
        embed_dim = size_argument(
            "MultiheadAttention",
            "embed_dim",
            embed_dim,
            "the size of each token's vector, e.g. 512",
            minimum=1,
        )
        num_heads = size_argument(
            "MultiheadAttention",
            "num_heads",
            num_heads,
            "how many heads share embed_dim, e.g. 8",
            minimum=1,
        )
        if embed_dim % num_heads:
            raise ArgumentError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                f"({num_heads}): each head gets embed_dim // num_heads features."
            )
        if (
            add_bias_kv
            or add_zero_attn
            or (kdim not in (None, embed_dim))
            or (vdim not in (None, embed_dim))
        ):
            raise ArgumentError(
                "MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim "
                "different from embed_dim are not supported in scratchish."
            )
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = self.vdim = embed_dim
        self._qkv_same_embed_dim = True
        self.dropout, self.batch_first = dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = Parameter(_empty((3 * embed_dim, embed_dim), dtype))
        self.register_parameter("q_proj_weight", None)
        self.register_parameter("k_proj_weight", None)
        self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_empty((3 * embed_dim,), dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(
            embed_dim, embed_dim, bias=bias, dtype=dtype
        )
        self.bias_k = self.bias_v = None
        self.add_zero_attn = False
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        self_attention = query is key and key is value
        batched = query.ndim == 3
        if query.shape[-1] != self.embed_dim or query.ndim not in (2, 3):
            raise ShapeError(
                f"{self._get_name()}(embed_dim={self.embed_dim}, num_heads={self.num_heads}): "
                f"query has shape {tuple(query.shape)}; expected (L, N, {self.embed_dim}), "
                f"(N, L, {self.embed_dim}) with batch_first=True, or (L, {self.embed_dim})."
            )
        # work in (N, L, E)
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        n, n_q, e = query.shape
        n_k, h, d = key.shape[1], self.num_heads, self.head_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        if self_attention:  # one product for q, k and v
            q, k, v = F.linear(query, w, b).split(e, dim=-1)
        else:
            bq, bk, bv = (None, None, None) if b is None else b.split(e)
            wq, wk, wv = w.split(e)
            q, k, v = F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)
        q = q.reshape(n, n_q, h, d).transpose(1, 2)  # (N, L, E) -> (N, h, L, d)
        k = k.reshape(n, n_k, h, d).transpose(1, 2)  # (N, h, S, d)
        v = v.reshape(n, n_k, h, d).transpose(1, 2)  # (N, h, S, d)
        scores = (q * (1.0 / math.sqrt(d))) @ k.transpose(-2, -1)  # (N, h, L, S)
        bias = self._mask_bias(
            attn_mask, key_padding_mask, is_causal, n, n_q, n_k, batched, scores.array.dtype
        )
        if bias is not None:
            scores = scores + Tensor._make(bias)
        weights = F.softmax(scores, dim=-1)
        weights = F.dropout(weights, self.dropout, self.training)
        out = weights @ v  # (N, h, L, S) @ (N, h, S, d) -> (N, h, L, d)
        out = self.out_proj(out.transpose(1, 2).reshape(n, n_q, e))  # (N, L, E)
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)  # (N, L, S)
        return out, (weights if batched else weights.squeeze(0))

    def _mask_bias(self, attn_mask, key_padding_mask, is_causal, n, n_q, n_k, batched, dtype):
        """One float array, broadcastable to (N, h, L, S): 0 where allowed, -inf where a
        bool mask says True, float masks added."""

        def as_float(mask) -> np.ndarray:
            m = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
            return (
                np.where(m, -np.inf, 0.0).astype(dtype) if m.dtype == np.bool_ else m.astype(dtype)
            )

        bias = None
        if attn_mask is None and is_causal:
            attn_mask = ~np.tri(n_q, n_k, dtype=bool)
        if attn_mask is not None:
            m = as_float(attn_mask)
            if m.ndim == 3:  # (N * h, L, S)
                m = m.reshape(n, self.num_heads, n_q, n_k)
            bias = m
        if key_padding_mask is not None:
            m = as_float(key_padding_mask)
            m = m.reshape(n, 1, 1, n_k) if batched else m.reshape(1, 1, 1, n_k)
            bias = m if bias is None else bias + m
        return bias

    def extra_repr(self) -> str:
        return ""
