"""The transformer of Vaswani et al. (2017), "Attention Is All You Need", with PyTorch's names:
TransformerEncoderLayer and TransformerDecoderLayer (attention + feed-forward, each wrapped in
a residual connection and a LayerNorm), TransformerEncoder and TransformerDecoder (stacks of
copies of a layer) and Transformer (an encoder and a decoder).

Built from attention.py (MultiheadAttention), linear.py, normalization.py and dropout.py; the
submodule names are PyTorch's, so state_dicts load both ways. Read next: loss.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from .. import dtypes
from ..errors import ArgumentError, DTypeError, ShapeError
from ..tensor import Tensor, _check_device
from . import functional as F
from . import init
from .activation import GELU, ReLU
from .attention import MultiheadAttention, _check_sequence
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module, size_argument
from .normalization import LayerNorm

__all__ = [
    "Transformer",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
]

# Note on masks, for every class here (PyTorch's conventions, from MultiheadAttention):
#   a bool mask marks with True what may NOT be attended to; a float mask is added to the
#   attention scores (0 keeps, -inf removes). src_mask / tgt_mask: (L, L) or (N * nhead, L, L);
#   memory_mask: (T, S); *_key_padding_mask: (N, S), True at padding positions.
#   is_causal is a hint that the mask is causal: the mask decides when one is given, and
#   is_causal=True without a mask makes the causal one (PyTorch asks for the mask as well).
# A query that may attend to no key at all gets 0 from the attention (the residual and the
# feed-forward still apply), as on PyTorch's standard path (training, or gradients needed).
# Differs: PyTorch has a second, inference-only "fast path" (eval mode under no_grad, batch_first,
# ...) that gives NaN for such a query, and TransformerEncoder's nested tensors there give 0 at
# every padded position; scratchish always computes the standard path.


def _get_activation_fn(activation: str | Callable) -> Callable:
    """'relu' -> F.relu, 'gelu' -> F.gelu; a callable (F.silu, nn.GELU(), ...) as it is."""
    if callable(activation):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise ArgumentError(
        f"activation should be 'relu', 'gelu' or a function of one tensor (F.silu, "
        f"nn.GELU(), ...), not {activation!r}."
    )


def _check_heads(layer: str, d_model: int, nhead: int) -> None:
    d_model = size_argument(layer, "d_model", d_model, "the width of each token's vector", 1)
    nhead = size_argument(layer, "nhead", nhead, "the number of attention heads", 1)
    if d_model > 0 and nhead > 0 and d_model % nhead == 0:
        return
    fits = [h for h in range(1, min(d_model, 16) + 1) if d_model > 0 and d_model % h == 0]
    raise ArgumentError(
        f"{layer}: d_model ({d_model}) must be divisible by nhead ({nhead}): each of the nhead "
        f"attention heads gets d_model // nhead features. nhead values that fit d_model="
        f"{d_model}: {fits}."
    )


def _check_input(module: Module, what: str, x, d_model: int, batch_first: bool) -> bool:
    """A ShapeError unless x is (L, N, E) / (N, L, E) / (L, E) with E = d_model; whether it is
    batched (3-d)."""
    name = f"{module._get_name()}(d_model={d_model})"
    hint = f" Token ids go through an nn.Embedding(vocab_size, {d_model}) first."
    return _check_sequence(name, what, x, "d_model", d_model, batch_first, hint)


def _check_pair(
    module: Module, first: tuple, second: tuple, d_model: int, batch_first: bool
) -> None:
    """Check two sequences that go together (src and tgt, tgt and memory), each a (name,
    tensor): the right width, both batched or both not, the same batch size."""
    (name_a, a), (name_b, b) = first, second
    batched = _check_input(module, name_a, a, d_model, batch_first)
    shown = f"{module._get_name()}(d_model={d_model}): {name_a} {tuple(a.shape)} and {name_b}"
    if _check_input(module, name_b, b, d_model, batch_first) != batched:
        raise ShapeError(
            f"{shown} {tuple(b.shape)} must both be batched (3-d) or both unbatched (2-d)."
        )
    batch_dim = 0 if batch_first else 1
    if batched and a.shape[batch_dim] != b.shape[batch_dim]:
        raise ShapeError(
            f"{shown} {tuple(b.shape)} hold different batch sizes (dim {batch_dim}, "
            f"batch_first={batch_first}): each sequence of {name_a} goes with one of {name_b}. "
            f"Is one of them (N, L, E) and the other (L, N, E)? x.transpose(0, 1) swaps them."
        )


_SRC_MASKS = ("src_mask", "src_key_padding_mask")
_TGT_MASKS = ("tgt_mask", "tgt_key_padding_mask")
_MEMORY_MASKS = ("memory_mask", "memory_key_padding_mask")


def _attend(layer, attn_name, x, kv, attn_mask, key_padding_mask, is_causal, mask_names):
    """layer.<attn_name>(x, kv, kv) with need_weights=False (the fused attention op), where a
    bad mask is named as the caller passed it (src_mask, ...), not as the attention calls it."""
    attn = getattr(layer, attn_name)
    try:
        return attn(
            x,
            kv,
            kv,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
    except (ShapeError, DTypeError) as err:
        raise type(err)(
            f"{layer._get_name()}: {mask_names[0]} and {mask_names[1]} go to {attn_name} as its "
            f"attn_mask and key_padding_mask. {err.args[0]}"
        ) from None


def _build_layer(
    layer, decoder, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
    batch_first, norm_first, bias, device, dtype,
) -> None:  # fmt: skip
    """Give an encoder (or decoder) layer its submodules, in PyTorch's order, which is the
    order of the state_dict keys and of the random draws: self_attn (and multihead_attn),
    linear1, dropout, linear2, norm1, norm2 (norm3), dropout1, dropout2 (dropout3), then
    the activation."""
    _check_device(device)
    _check_heads(layer._get_name(), d_model, nhead)

    def attention() -> MultiheadAttention:
        return MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dtype
        )

    def norm() -> LayerNorm:
        return LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)

    layer.self_attn = attention()
    if decoder:
        layer.multihead_attn = attention()  # queries from the target, keys from the memory
    layer.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
    layer.dropout = Dropout(dropout)
    layer.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
    layer.norm_first = norm_first
    layer.norm1, layer.norm2 = norm(), norm()
    if decoder:
        layer.norm3 = norm()
    layer.dropout1, layer.dropout2 = Dropout(dropout), Dropout(dropout)
    if decoder:
        layer.dropout3 = Dropout(dropout)
    layer.activation = _get_activation_fn(activation)


class TransformerEncoderLayer(Module):
    """One encoder layer: self-attention, then a feed-forward network, each with a residual
    connection, dropout and a LayerNorm.

    Post-norm (norm_first=False, the original paper):
        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
    Pre-norm (norm_first=True, often easier to train deep):
        x = x + dropout1(self_attn(norm1(x)))
        x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))

    Args:
        d_model: features per position E; nhead: attention heads (d_model must divide by it).
        dim_feedforward: width of the feed-forward network (default 2048).
        dropout: dropout probability everywhere (default 0.1).
        activation: "relu", "gelu" or a function of one tensor (default F.relu).
        layer_norm_eps: eps of the LayerNorms (1e-5). batch_first: (N, L, E) instead of
        (L, N, E). norm_first: pre-norm. bias: Linear and LayerNorm biases (True).

    Shape: src (L, N, E), (N, L, E) with batch_first, or (L, E) -> the same shape.
    Masks: see the note at the top of this file.

    Weights: as the layers it holds (MultiheadAttention xavier, Linear kaiming, LayerNorm
    ones and zeros); only nn.Transformer re-draws them with xavier_uniform_.

    Example:
        >>> import scratchish as sh
        >>> layer = sh.nn.TransformerEncoderLayer(d_model=16, nhead=4, batch_first=True)
        >>> layer(sh.randn(2, 5, 16)).shape
        scratchish.Size([2, 5, 16])
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _build_layer(
            self, False, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
            batch_first, norm_first, bias, device, dtype,
        )  # fmt: skip
        # 1 relu, 2 gelu, 0 other: what PyTorch's fast path reads; kept for code that looks
        if self.activation is F.relu or isinstance(self.activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif self.activation is F.gelu or isinstance(self.activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0

    def forward(
        self,
        src: Tensor,
        src_mask=None,
        src_key_padding_mask=None,
        is_causal: bool = False,
    ) -> Tensor:
        _check_input(self, "src", src, self.self_attn.embed_dim, self.self_attn.batch_first)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        masks = (attn_mask, key_padding_mask, is_causal)
        return self.dropout1(_attend(self, "self_attn", x, x, *masks, _SRC_MASKS))

    def _ff_block(self, x: Tensor) -> Tensor:
        # (.., E) -> (.., dim_feedforward) -> (.., E)
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    """One decoder layer: self-attention over the target, attention to the encoder's output
    (memory), then a feed-forward network; each with a residual connection, dropout and a
    LayerNorm (norm1, norm2, norm3: after each block, or before with norm_first=True).

    Post-norm:
        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(multihead_attn(x, memory, memory)))
        x = norm3(x + dropout3(linear2(dropout(activation(linear1(x))))))

    Args: as TransformerEncoderLayer.

    Shape: tgt (T, N, E), (N, T, E) with batch_first, or (T, E); memory (S, N, E) likewise
    -> the shape of tgt. Masks: see the note at the top of this file; tgt_mask is usually
    nn.Transformer.generate_square_subsequent_mask(T), so position t sees positions <= t.

    Example:
        >>> import scratchish as sh
        >>> layer = sh.nn.TransformerDecoderLayer(d_model=16, nhead=4)
        >>> layer(sh.randn(7, 2, 16), sh.randn(5, 2, 16)).shape
        scratchish.Size([7, 2, 16])
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _build_layer(
            self, True, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
            batch_first, norm_first, bias, device, dtype,
        )  # fmt: skip

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        d_model, batch_first = self.self_attn.embed_dim, self.self_attn.batch_first
        _check_pair(self, ("tgt", tgt), ("memory", memory), d_model, batch_first)
        memory_masks = (memory_mask, memory_key_padding_mask, memory_is_causal)
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, *memory_masks)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, *memory_masks))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        masks = (attn_mask, key_padding_mask, is_causal)
        return self.dropout1(_attend(self, "self_attn", x, x, *masks, _TGT_MASKS))

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask, key_padding_mask, is_causal) -> Tensor:
        # queries from the target, keys and values from the encoder's output
        masks = (attn_mask, key_padding_mask, is_causal)
        return self.dropout2(_attend(self, "multihead_attn", x, mem, *masks, _MEMORY_MASKS))

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


def _get_clones(module: Module, n: int) -> ModuleList:
    """n independent deep copies of module (each starts with the same weights, as in PyTorch)."""
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _check_num_layers(name: str, num_layers) -> None:
    if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)):
        raise ArgumentError(f"{name}: num_layers must be a whole number, got {num_layers!r}.")
    if num_layers < 0:
        raise ArgumentError(f"{name}: num_layers must be >= 0, got {num_layers}.")


class TransformerEncoder(Module):
    """A stack of num_layers copies of encoder_layer, then `norm` if given:
    x = norm(layer_n(... layer_1(src))).

    The layer is deep-copied num_layers times, so all copies start with the same weights (as
    in PyTorch; nn.Transformer re-draws them). enable_nested_tensor and mask_check are kept
    for PyTorch's signature: scratchish has no nested tensors (see the note at the top of
    this file for what that changes).

    Shape: src as the layer's input -> the same shape.

    Example:
        >>> import scratchish as sh
        >>> layer = sh.nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> encoder = sh.nn.TransformerEncoder(layer, num_layers=2)
        >>> mask = sh.nn.Transformer.generate_square_subsequent_mask(5)
        >>> encoder(sh.randn(5, 3, 16), mask=mask, is_causal=True).shape
        scratchish.Size([5, 3, 16])
    """

    def __init__(
        self,
        encoder_layer: Module,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        _check_num_layers(self._get_name(), num_layers)
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = False  # never: scratchish has no nested tensors
        self.mask_check = mask_check

    def forward(
        self,
        src: Tensor,
        mask=None,
        src_key_padding_mask=None,
        is_causal: bool | None = None,
    ) -> Tensor:
        output = src
        for layer in self.layers:
            output = layer(
                output,
                src_mask=mask,
                is_causal=bool(is_causal),
                src_key_padding_mask=src_key_padding_mask,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """A stack of num_layers copies of decoder_layer, each reading the same memory (the
    encoder's output), then `norm` if given.

    Differs: when the layer's activation is a module (nn.GELU()), PyTorch's copies fall back
    to relu (TransformerDecoderLayer.__setstate__ looks for it among plain attributes); here
    each copy keeps its own copy of the module.

    Shape: tgt (T, N, E), memory (S, N, E) (or batch first, or unbatched) -> tgt's shape.

    Example:
        >>> import scratchish as sh
        >>> layer = sh.nn.TransformerDecoderLayer(d_model=16, nhead=4, batch_first=True)
        >>> decoder = sh.nn.TransformerDecoder(layer, num_layers=2)
        >>> decoder(sh.randn(3, 7, 16), sh.randn(3, 5, 16)).shape
        scratchish.Size([3, 7, 16])
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None):
        super().__init__()
        _check_num_layers(self._get_name(), num_layers)
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        output = tgt
        for layer in self.layers:
            output = layer(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder transformer: memory = encoder(src), out = decoder(tgt, memory).

    Each stack ends with a LayerNorm (encoder.norm, decoder.norm). All weights with more than
    one dimension are then re-drawn with xavier_uniform_ (biases and LayerNorms keep theirs),
    as in PyTorch.

    Args:
        d_model (512), nhead (8), num_encoder_layers (6), num_decoder_layers (6),
        dim_feedforward (2048), dropout (0.1), activation (F.relu), custom_encoder and
        custom_decoder (modules used instead of the stacks), layer_norm_eps (1e-5),
        batch_first (False), norm_first (False), bias (True): as in TransformerEncoderLayer.

    Shape: src (S, N, E), tgt (T, N, E) (or batch first, or unbatched) -> (T, N, E).
    Masks: src_mask (S, S), tgt_mask (T, T), memory_mask (T, S), src_key_padding_mask and
    memory_key_padding_mask (N, S), tgt_key_padding_mask (N, T); see the note at the top of
    this file.

    Example:
        >>> import scratchish as sh
        >>> model = sh.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1,
        ...                           num_decoder_layers=1, dim_feedforward=32)
        >>> src, tgt = sh.randn(5, 2, 16), sh.randn(7, 2, 16)
        >>> tgt_mask = model.generate_square_subsequent_mask(7)
        >>> model(src, tgt, tgt_mask=tgt_mask).shape
        scratchish.Size([7, 2, 16])
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = F.relu,
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_device(device)
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps)
        layer_kwargs = dict(batch_first=batch_first, norm_first=norm_first, bias=bias, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(*layer_args, **layer_kwargs)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(*layer_args, **layer_kwargs)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self) -> None:
        # xavier_uniform_ for every matrix, in parameters() order (PyTorch's draws)
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        _check_pair(self, ("src", src), ("tgt", tgt), self.d_model, self.batch_first)
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """The causal mask (sz, sz): 0 on and below the diagonal, -inf above, so position i
        attends to positions 0..i only.

        Example:
            >>> import scratchish as sh
            >>> sh.nn.Transformer.generate_square_subsequent_mask(3)
            tensor([[0., -inf, -inf],
                    [0., 0., -inf],
                    [0., 0., 0.]])
        """
        _check_device(device)
        if isinstance(sz, bool) or not isinstance(sz, (int, np.integer)) or sz < 0:
            raise ArgumentError(
                f"generate_square_subsequent_mask: sz is the sequence length, a whole number "
                f">= 0; got {sz!r}."
            )
        np_type = dtypes.get_default_dtype().np if dtype is None else dtypes.np_dtype(dtype)
        return Tensor._make(np.triu(np.full((sz, sz), -np.inf, dtype=np_type), k=1))
