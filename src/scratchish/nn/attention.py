"""MultiheadAttention (Vaswani et al. 2017): several attention heads side by side, with
PyTorch's parameter names (in_proj_weight, in_proj_bias, out_proj) so state_dicts transfer.

The attention itself is softmax(q k^T / sqrt(head_dim) + mask) v, as in
F.scaled_dot_product_attention. Read next: transformer.py.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ArgumentError, DTypeError, ShapeError
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
    added to the scores. is_causal is a hint: a given attn_mask decides. Differs: is_causal=True
    without attn_mask builds the causal mask here (PyTorch asks for the mask as well).

    need_weights=False runs one fused op (F.scaled_dot_product_attention; the transformer
    layers call it so), and a query whose every key is masked gets 0 from the attention, as in
    PyTorch; need_weights=True computes the weights step by step and keeps them, and such a
    query gives NaN, as in PyTorch. With dropout, the same seed drops PyTorch's weights.

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
        batched = self._check_inputs(query, key, value)
        e, d = self.embed_dim, self.head_dim
        # the projections work on the input as it is laid out (no copy); an unbatched
        # (L, E) input is a batch of one, (L, 1, E)
        w, b = self.in_proj_weight, self.in_proj_bias
        if query is key and key is value:  # self-attention: one product for q, k and v
            q, k, v = F.linear(query, w, b).split(e, dim=-1)
        elif key is value:  # cross-attention (a decoder reading the encoder's memory)
            q = F.linear(query, w[:e], None if b is None else b[:e])
            k, v = F.linear(key, w[e:], None if b is None else b[e:]).split(e, dim=-1)
        else:
            bq, bk, bv = (None, None, None) if b is None else b.split(e)
            wq, wk, wv = w.split(e)
            q, k, v = F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)
        q, k, v = (self._to_heads(t, batched) for t in (q, k, v))  # (N, h, L or S, d)
        n, n_q, n_k = q.shape[0], q.shape[2], k.shape[2]
        bias = self._mask_bias(attn_mask, key_padding_mask, is_causal, n, n_q, n_k, batched, q)
        p = self.dropout if self.training else 0.0
        if need_weights:  # the weights are wanted: composed, so that they are kept
            scores = (q * (1.0 / math.sqrt(d))) @ k.transpose(-2, -1)  # (N, h, L, S)
            if bias is not None:
                scores = scores + Tensor._make(bias)
            weights = F.softmax(scores, dim=-1)
            out = F.dropout(weights, p) @ v  # (N, h, L, S) @ (N, h, S, d) -> (N, h, L, d)
        else:  # one fused op (ops/nn_ops.py); a query that sees no key gets 0, as in PyTorch
            bias = None if bias is None else Tensor._make(bias)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=p)
        out = self.out_proj(self._from_heads(out, batched))  # the input's layout
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)  # (N, L, S)
        return out, (weights if batched else weights.squeeze(0))

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> bool:
        """Raise a ShapeError for inputs that do not fit; return whether they are batched."""
        name = self._name()
        for what, t in (("query", query), ("key", key), ("value", value)):
            _check_sequence(name, what, t, "embed_dim", self.embed_dim, self.batch_first)
        if not query.ndim == key.ndim == value.ndim:
            raise ShapeError(
                f"{name}: query {tuple(query.shape)}, key {tuple(key.shape)} and value "
                f"{tuple(value.shape)} must all be batched (3-d) or all unbatched (2-d)."
            )
        if key.shape != value.shape:
            raise ShapeError(
                f"{name}: key {tuple(key.shape)} and value {tuple(value.shape)} must have the "
                f"same shape: each key position has one value."
            )
        batch_dim = 0 if self.batch_first else 1
        if query.ndim == 3 and query.shape[batch_dim] != key.shape[batch_dim]:
            raise ShapeError(
                f"{name}: query {tuple(query.shape)} and key {tuple(key.shape)} hold different "
                f"batch sizes (dim {batch_dim}, batch_first={self.batch_first}). Is one of "
                f"them in the other layout? x.transpose(0, 1) swaps (L, N, E) and (N, L, E)."
            )
        return query.ndim == 3

    def _to_heads(self, x: Tensor, batched: bool) -> Tensor:
        """(N, L, E), (L, N, E) or (L, E) -> (N, h, L, d), a view (no copy)."""
        h, d = self.num_heads, self.head_dim
        if batched and self.batch_first:
            n, n_x = x.shape[0], x.shape[1]
            return x.reshape(n, n_x, h, d).permute(0, 2, 1, 3)
        n_x, n = x.shape[0], (x.shape[1] if batched else 1)
        return x.reshape(n_x, n, h, d).permute(1, 2, 0, 3)

    def _from_heads(self, out: Tensor, batched: bool) -> Tensor:
        """(N, h, L, d) -> the input's layout with E = h * d features: one copy."""
        n, _, n_q, _ = out.shape
        if batched and self.batch_first:
            return out.permute(0, 2, 1, 3).reshape(n, n_q, self.embed_dim)
        out = out.permute(2, 0, 1, 3)  # (L, N, h, d)
        return out.reshape(n_q, n, self.embed_dim) if batched else out.reshape(n_q, -1)

    def _name(self) -> str:
        return f"{self._get_name()}(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def _mask_bias(self, attn_mask, key_padding_mask, is_causal, n, n_q, n_k, batched, q):
        """One float array, broadcastable to (N, h, L, S), added to the scores: 0 where
        attention is allowed, -inf where a bool mask says True, float masks as they are."""
        dtype, h, name = q.array.dtype, self.num_heads, self._name()
        bias = None
        if attn_mask is None and is_causal:
            attn_mask = ~np.tri(n_q, n_k, dtype=bool)
        if attn_mask is not None:
            m = _mask_array(attn_mask, "attn_mask", name, dtype)
            if m.shape not in ((n_q, n_k), (n * h, n_q, n_k)):
                causal = (
                    f" For a causal mask use nn.Transformer.generate_square_subsequent_mask({n_q})."
                    if n_q == n_k
                    else ""
                )
                raise ShapeError(
                    f"{name}: attn_mask has shape {m.shape}; expected (L, S) = {(n_q, n_k)} "
                    f"(L query positions, S key positions), or (N * num_heads, L, S) = "
                    f"{(n * h, n_q, n_k)} for one mask per sequence and head.{causal}"
                )
            bias = m.reshape(n, h, n_q, n_k) if m.ndim == 3 else m
        if key_padding_mask is not None:
            m = _mask_array(key_padding_mask, "key_padding_mask", name, dtype)
            if m.shape != ((n, n_k) if batched else (n_k,)):
                expected = f"(N, S) = {(n, n_k)}" if batched else f"(S,) = ({n_k},)"
                raise ShapeError(
                    f"{name}: key_padding_mask has shape {m.shape}; expected {expected}: "
                    f"one row per sequence, True at the key positions that are padding. "
                    f"If it is (S, N), pass key_padding_mask.T."
                )
            m = m.reshape(n, 1, 1, n_k)
            bias = m if bias is None else bias + m
        return bias

    def extra_repr(self) -> str:
        return ""


def _mask_array(mask, what: str, name: str, dtype) -> np.ndarray:
    """A bool mask (True = may NOT attend) as 0 / -inf, or a float mask as it is, in dtype."""
    m = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype == np.bool_:
        return np.where(m, -np.inf, 0.0).astype(dtype)
    if m.dtype.kind != "f":
        raise DTypeError(
            f"{name}: {what} is {m.dtype}; masks must be bool (True = may not attend) or "
            f"float (added to the scores). Convert it with mask.bool()."
        )
    return m.astype(dtype, copy=False)


def _check_sequence(
    name: str, what: str, x, width_name: str, width: int, batch_first: bool, hint: str = ""
) -> bool:
    """Raise a scratchish error unless x is a tensor (L, N, E), (N, L, E) with batch_first,
    or (L, E), with E = width; return whether it is batched (3-d). Shared with transformer.py."""
    if not isinstance(x, Tensor):
        raise DTypeError(f"{name}: {what} must be a Tensor, got {type(x).__name__}.")
    if x.ndim not in (2, 3) or x.shape[-1] != width:
        layout = "(N, L, E)" if batch_first else "(L, N, E)"
        raise ShapeError(
            f"{name}: {what} has shape {tuple(x.shape)}; expected {layout} with E = "
            f"{width_name} = {width} (batch_first={batch_first}), or (L, {width}) for one "
            f"unbatched sequence.{hint}"
        )
    return x.ndim == 3
