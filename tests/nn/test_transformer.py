"""MultiheadAttention's masks and the transformer modules (nn.TransformerEncoderLayer, ...,
nn.Transformer) against PyTorch: outputs and the gradients of the input and of every parameter
(our weights loaded into torch), the same initial weights for the same seed, dropout,
a small model trained with AdamW, state_dicts both ways, and the errors."""

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn

torch = pytest.importorskip("torch")

# PyTorch's notes about its own inference fast path and deprecated mask mixes: not ours to test
pytestmark = [
    pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning"),
    pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask:UserWarning"),
]

TOL = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-5)}
N, L, S, E, H, FF = 3, 5, 4, 8, 2, 16  # batch, target and source lengths, width, heads, ff


def to_torch_state(module):
    return {k: torch.from_numpy(v.numpy().copy()) for k, v in module.state_dict().items()}


def twins(make, dtype=np.float64, seed=0):
    """make(lib) in both libraries, ours with every parameter moved off its initial value (so
    that zero biases and unit LayerNorm weights are tested too), copied into torch's."""
    sh.manual_seed(seed)
    ours, theirs = make(nn), make(torch.nn)
    if dtype == np.float64:
        ours.double()
        theirs.double()
    rng = np.random.default_rng(seed)
    with sh.no_grad():
        for p in ours.parameters():
            p.add_(sh.tensor(rng.standard_normal(p.shape) * 0.2).to(p.dtype))
    theirs.load_state_dict(to_torch_state(ours))
    return ours, theirs


def seq(shape, dtype=np.float64, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def both(a):
    """A mask (or any array) for each library, without gradient."""
    return sh.tensor(a), torch.tensor(a)


def batched(shape_lnf, batch_first):
    """(L, N, E) as given, or (N, L, E) with batch_first."""
    length, n, e = shape_lnf
    return (n, length, e) if batch_first else (length, n, e)


def padding(n, length, empty_row=True):
    """(N, L) bool, True at padding: sequence 1 ends early; with empty_row, sequence 2 is all
    padding, so each of its queries may attend to no key."""
    pad = np.zeros((n, length), dtype=bool)
    pad[1, length - 2 :] = True
    if empty_row:
        pad[2, :] = True
    return pad


def check_outputs_and_grads(ours, theirs, out, tout, leaves, dtype=np.float64, seed=1):
    """Values of out, then the gradients of the leaves and of every parameter for the loss
    sum(out * g), g random."""
    tol = TOL[dtype]
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **tol)
    g = np.random.default_rng(seed).standard_normal(tout.shape).astype(dtype)
    out.backward(sh.tensor(g))
    tout.backward(torch.tensor(g))
    for x, tx in leaves:
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)
    tparams = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(tparams)
    for name, p in ours.named_parameters():
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), **tol, err_msg=name)


# --------------------------------------------------------------------------------------------
# MultiheadAttention: what the transformer layers use
# --------------------------------------------------------------------------------------------
def _mha_masks(kind, n, length, src_len):
    rng = np.random.default_rng(4)
    if kind == "padding_bool":
        return dict(key_padding_mask=padding(n, src_len, empty_row=False))
    if kind == "padding_float":
        return dict(key_padding_mask=rng.standard_normal((n, src_len)))
    if kind == "causal_bool_2d":
        return dict(attn_mask=~np.tri(length, src_len, dtype=bool))
    if kind == "float_3d":
        return dict(attn_mask=rng.standard_normal((n * H, length, src_len)))
    if kind == "bool_3d_and_padding":
        attn = rng.uniform(size=(n * H, length, src_len)) < 0.3
        attn[..., 0] = False  # every query keeps one key
        return dict(attn_mask=attn, key_padding_mask=padding(n, src_len, empty_row=False))
    raise AssertionError(kind)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize(
    "masks", ["padding_bool", "padding_float", "causal_bool_2d", "float_3d", "bool_3d_and_padding"]
)
def test_multihead_attention_masks_match_torch(masks, batch_first, need_weights):
    mha, tmha = twins(lambda m: m.MultiheadAttention(E, H, batch_first=batch_first))
    x, tx = seq(batched((L, N, E), batch_first))
    kwargs = _mha_masks(masks, N, L, L)
    ours = {k: sh.tensor(v) for k, v in kwargs.items()}
    theirs = {k: torch.tensor(v) for k, v in kwargs.items()}
    out, w = mha(x, x, x, need_weights=need_weights, **ours)
    tout, tw = tmha(tx, tx, tx, need_weights=need_weights, **theirs)
    if need_weights:
        np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), **TOL[np.float64])
    else:
        assert w is None and tw is None
    check_outputs_and_grads(mha, tmha, out, tout, [(x, tx)])


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_cross_attention_per_head_weights(batch_first):
    """The decoder's case: queries from one sequence, keys and values (the same tensor) from
    another of a different length; the weights per head (average_attn_weights=False)."""
    mha, tmha = twins(lambda m: m.MultiheadAttention(E, H, batch_first=batch_first))
    q, tq = seq(batched((L, N, E), batch_first), seed=1)
    mem, tmem = seq(batched((S, N, E), batch_first), seed=2)
    mask, tmask = both(np.random.default_rng(0).standard_normal((L, S)))
    out, w = mha(q, mem, mem, attn_mask=mask, average_attn_weights=False)
    tout, tw = tmha(tq, tmem, tmem, attn_mask=tmask, average_attn_weights=False)
    assert w.shape == tw.shape == (N, H, L, S)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), **TOL[np.float64])
    check_outputs_and_grads(mha, tmha, out, tout, [(q, tq), (mem, tmem)])


def test_multihead_attention_is_causal():
    """is_causal=True with the causal mask (what PyTorch needs) gives PyTorch's values; without
    the mask, scratchish makes it (PyTorch refuses)."""
    mha, tmha = twins(lambda m: m.MultiheadAttention(E, H, batch_first=True))
    x, tx = seq((N, L, E))
    causal = nn.Transformer.generate_square_subsequent_mask(L).double()
    tcausal = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    out, _ = mha(x, x, x, attn_mask=causal, is_causal=True, need_weights=False)
    tout, _ = tmha(tx, tx, tx, attn_mask=tcausal, is_causal=True, need_weights=False)
    without_mask, _ = mha(x, x, x, is_causal=True, need_weights=False)
    np.testing.assert_allclose(without_mask.detach().numpy(), out.detach().numpy(), rtol=1e-12)
    check_outputs_and_grads(mha, tmha, out, tout, [(x, tx)])


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # the NaN case
def test_multihead_attention_query_that_sees_no_key():
    """PyTorch: 0 from the attention (need_weights=False, the fused path) with gradients 0,
    but NaN when the weights are asked for (softmax of a row of -inf). Both are matched."""
    mha, tmha = twins(lambda m: m.MultiheadAttention(E, H))
    x, tx = seq((L, N, E))
    pad, tpad = both(padding(N, L))  # sequence 2: every key is padding
    out, _ = mha(x, x, x, key_padding_mask=pad, need_weights=False)
    tout, _ = tmha(tx, tx, tx, key_padding_mask=tpad, need_weights=False)
    # the attention gives 0, so the output is out_proj's bias
    np.testing.assert_allclose(
        out.detach().numpy()[:, 2], np.tile(mha.out_proj.bias.detach().numpy(), (L, 1))
    )
    check_outputs_and_grads(mha, tmha, out, tout, [(x, tx)])
    out, w = mha(x, x, x, key_padding_mask=pad)
    tout, tw = tmha(tx, tx, tx, key_padding_mask=tpad)
    assert (
        np.isnan(out.detach().numpy()[:, 2]).all() and np.isnan(tout.detach().numpy()[:, 2]).all()
    )
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-9)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_dropout_drops_torchs_weights(batch_first, need_weights):
    """In training, the same seed drops the same attention weights as PyTorch, fused or not."""
    make = lambda m: m.MultiheadAttention(E, H, dropout=0.3, batch_first=batch_first)  # noqa: E731
    mha, tmha = twins(make, dtype=np.float32)
    x, tx = seq(batched((L, N, E), batch_first), np.float32)
    sh.manual_seed(5)
    torch.manual_seed(5)
    out, _ = mha(x, x, x, need_weights=need_weights)
    tout, _ = tmha(tx, tx, tx, need_weights=need_weights)
    check_outputs_and_grads(mha, tmha, out, tout, [(x, tx)], np.float32)
    sh.manual_seed(6)  # another seed, other weights dropped
    assert not np.allclose(
        mha(x, x, x, need_weights=need_weights)[0].detach().numpy(), out.numpy(force=True)
    )


def test_multihead_attention_mask_errors():
    mha = nn.MultiheadAttention(E, H)
    x = sh.randn(L, N, E)
    with pytest.raises(sh.ShapeError, match=r"attn_mask has shape \(4, 4\); expected \(L, S\) = "):
        mha(x, x, x, attn_mask=sh.zeros(4, 4))
    with pytest.raises(sh.ShapeError, match=r"\(N \* num_heads, L, S\) = \(6, 5, 5\)"):
        mha(x, x, x, attn_mask=sh.zeros(N, L, L))
    with pytest.raises(
        sh.ShapeError, match=r"key_padding_mask has shape \(5, 3\).*key_padding_mask\.T"
    ):
        mha(x, x, x, key_padding_mask=sh.zeros(L, N, dtype=sh.bool))
    with pytest.raises(sh.DTypeError, match="int64.*mask.bool"):
        mha(x, x, x, key_padding_mask=sh.zeros(N, L, dtype=sh.int64))
    with pytest.raises(sh.ShapeError, match=r"query has shape \(5, 3, 7\).*E = embed_dim = 8"):
        mha(sh.randn(L, N, 7), x, x)
    with pytest.raises(sh.ShapeError, match="different batch sizes"):
        mha(x, sh.randn(L, 2, E), sh.randn(L, 2, E))
    with pytest.raises(sh.ShapeError, match="same shape"):
        mha(x, x, sh.randn(4, N, E))


# --------------------------------------------------------------------------------------------
# the layers, the stacks and the whole Transformer against PyTorch
# --------------------------------------------------------------------------------------------
LAYER_GRID = [
    (batch_first, norm_first, activation)
    for batch_first in (False, True)
    for norm_first in (False, True)
    for activation in ("relu", "gelu")
]


def _layer_kwargs(batch_first, norm_first, activation):
    return dict(
        dim_feedforward=FF,
        dropout=0.0,
        activation=activation,
        batch_first=batch_first,
        norm_first=norm_first,
    )


@pytest.mark.parametrize("batch_first, norm_first, activation", LAYER_GRID)
def test_encoder_layer_matches_torch(batch_first, norm_first, activation):
    kwargs = _layer_kwargs(batch_first, norm_first, activation)
    layer, tlayer = twins(lambda m: m.TransformerEncoderLayer(E, H, **kwargs))
    x, tx = seq(batched((L, N, E), batch_first))
    causal, tcausal = both(~np.tri(L, dtype=bool))
    pad, tpad = both(padding(N, L))  # sequence 2 sees no key at all
    out = layer(x, src_mask=causal, src_key_padding_mask=pad, is_causal=True)
    tout = tlayer(tx, src_mask=tcausal, src_key_padding_mask=tpad, is_causal=True)
    assert np.isfinite(out.detach().numpy()).all()
    check_outputs_and_grads(layer, tlayer, out, tout, [(x, tx)])


@pytest.mark.parametrize("batch_first, norm_first, activation", LAYER_GRID)
def test_decoder_layer_matches_torch(batch_first, norm_first, activation):
    kwargs = _layer_kwargs(batch_first, norm_first, activation)
    layer, tlayer = twins(lambda m: m.TransformerDecoderLayer(E, H, **kwargs))
    tgt, ttgt = seq(batched((L, N, E), batch_first), seed=1)
    mem, tmem = seq(batched((S, N, E), batch_first), seed=2)
    rng = np.random.default_rng(3)
    masks = dict(
        tgt_mask=np.triu(np.full((L, L), -np.inf), 1),  # float, as generate_square_... gives
        memory_mask=rng.standard_normal((L, S)),
        tgt_key_padding_mask=np.where(padding(N, L, empty_row=False), -1e9, 0.0),
        memory_key_padding_mask=np.where(padding(N, S), -np.inf, 0.0),  # float, one empty row
    )
    out = layer(tgt, mem, **{k: sh.tensor(v) for k, v in masks.items()}, tgt_is_causal=True)
    tout = tlayer(ttgt, tmem, **{k: torch.tensor(v) for k, v in masks.items()}, tgt_is_causal=True)
    check_outputs_and_grads(layer, tlayer, out, tout, [(tgt, ttgt), (mem, tmem)])


@pytest.mark.parametrize("batch_first, norm_first, activation", LAYER_GRID)
def test_transformer_matches_torch(batch_first, norm_first, activation):
    kwargs = _layer_kwargs(batch_first, norm_first, activation)
    model, tmodel = twins(
        lambda m: m.Transformer(E, H, num_encoder_layers=2, num_decoder_layers=2, **kwargs)
    )
    src, tsrc = seq(batched((S, N, E), batch_first), seed=1)
    tgt, ttgt = seq(batched((L, N, E), batch_first), seed=2)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(L).double()
    ttgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    src_pad, tsrc_pad = both(padding(N, S))
    tgt_pad, ttgt_pad = both(padding(N, L, empty_row=False))
    out = model(
        src,
        tgt,
        tgt_mask=tgt_mask,
        src_key_padding_mask=src_pad,
        tgt_key_padding_mask=tgt_pad,
        memory_key_padding_mask=src_pad,
    )
    tout = tmodel(
        tsrc,
        ttgt,
        tgt_mask=ttgt_mask,
        src_key_padding_mask=tsrc_pad,
        tgt_key_padding_mask=ttgt_pad,
        memory_key_padding_mask=tsrc_pad,
    )
    check_outputs_and_grads(model, tmodel, out, tout, [(src, tsrc), (tgt, ttgt)])


def test_float32_unbatched_and_a_callable_activation():
    """float32 (the default dtype), one unbatched sequence (L, E), and an activation given as
    a function (F.silu) instead of a string."""
    model, tmodel = twins(
        lambda m: m.Transformer(
            E, H, 1, 1, FF, dropout=0.0, activation=m.functional.silu, norm_first=True
        ),
        dtype=np.float32,
    )
    src, tsrc = seq((S, E), np.float32, seed=1)
    tgt, ttgt = seq((L, E), np.float32, seed=2)
    mask, tmask = both(~np.tri(L, dtype=bool))
    out, tout = model(src, tgt, tgt_mask=mask), tmodel(tsrc, ttgt, tgt_mask=tmask)
    assert out.shape == (L, E) and out.dtype == sh.float32
    check_outputs_and_grads(model, tmodel, out, tout, [(src, tsrc), (tgt, ttgt)], np.float32)


def test_an_activation_module_survives_the_copies():
    """nn.GELU('tanh') as the activation: a layer matches PyTorch's, and the stack's copies
    keep it. Differs: PyTorch's copy of a TransformerDecoderLayer whose activation is a
    module falls back to relu (its __setstate__ looks for the module among plain attributes)."""
    make = lambda m: m.TransformerDecoderLayer(  # noqa: E731
        E, H, FF, dropout=0.0, activation=m.GELU(approximate="tanh")
    )
    layer, tlayer = twins(make)
    tgt, ttgt = seq((L, N, E), seed=1)
    mem, tmem = seq((S, N, E), seed=2)
    check_outputs_and_grads(layer, tlayer, layer(tgt, mem), tlayer(ttgt, tmem), [(tgt, ttgt)])
    copies = nn.TransformerDecoder(layer, 2).layers
    assert all(isinstance(c.activation, nn.GELU) for c in copies)
    assert torch.nn.TransformerDecoder(tlayer, 2).layers[0].activation is torch.nn.functional.relu


def test_encoder_stack_with_final_norm_and_3d_mask():
    layer = lambda m: m.TransformerEncoderLayer(E, H, FF, dropout=0.0)  # noqa: E731
    enc, tenc = twins(lambda m: m.TransformerEncoder(layer(m), 3, norm=m.LayerNorm(E)))
    x, tx = seq((L, N, E))
    mask, tmask = both(np.random.default_rng(2).standard_normal((N * H, L, L)))
    out, tout = enc(x, mask=mask), tenc(tx, mask=tmask)
    check_outputs_and_grads(enc, tenc, out, tout, [(x, tx)])


# --------------------------------------------------------------------------------------------
# structure and initial weights
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.TransformerEncoderLayer(E, H, FF),
        lambda m: m.TransformerDecoderLayer(E, H, FF, bias=False),
        lambda m: m.TransformerEncoder(m.TransformerEncoderLayer(E, H, FF), 2, m.LayerNorm(E)),
        lambda m: m.TransformerDecoder(m.TransformerDecoderLayer(E, H, FF), 2),
        lambda m: m.Transformer(E, H, 2, 1, FF, norm_first=True),
    ],
    ids=["encoder_layer", "decoder_layer_no_bias", "encoder", "decoder", "transformer"],
)
def test_same_module_tree_and_same_initial_weights_for_the_same_seed(make):
    """Submodule names, state_dict keys and shapes are PyTorch's; the weights are drawn in
    PyTorch's order (the layers: xavier in the attention, kaiming in the Linears; the stacks:
    deep copies; Transformer: xavier_uniform_ over every matrix), so the same seed gives the
    same numbers."""
    sh.manual_seed(7)
    torch.manual_seed(7)
    ours, theirs = make(nn), make(torch.nn)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    state, tstate = ours.state_dict(), theirs.state_dict()
    assert list(state) == list(tstate)
    for key, value in state.items():
        np.testing.assert_array_equal(value.numpy(), tstate[key].numpy(), err_msg=key)


def test_stacks_copy_the_layer():
    layer = nn.TransformerEncoderLayer(E, H, FF)
    enc = nn.TransformerEncoder(layer, num_layers=2)
    first, second = enc.layers
    assert first is not layer and second is not first
    assert first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(
        first.linear1.weight.detach().numpy(), second.linear1.weight.detach().numpy()
    )
    with sh.no_grad():
        first.linear1.weight.zero_()
    assert (
        second.linear1.weight.detach().numpy().any() and layer.linear1.weight.detach().numpy().any()
    )
    assert enc.num_layers == 2 and enc.norm is None and enc.enable_nested_tensor


def test_generate_square_subsequent_mask_is_torchs():
    for sz, dtype, tdtype in [(4, None, None), (1, sh.float64, torch.float64), (0, None, None)]:
        mask = nn.Transformer.generate_square_subsequent_mask(sz, dtype=dtype)
        tmask = torch.nn.Transformer.generate_square_subsequent_mask(sz, dtype=tdtype)
        assert mask.dtype == (dtype or sh.float32)
        np.testing.assert_array_equal(mask.numpy(), tmask.numpy())


# --------------------------------------------------------------------------------------------
# dropout, training, state_dicts
# --------------------------------------------------------------------------------------------
def test_dropout_in_train_mode_and_eval():
    """Training: outputs differ between calls (fresh masks), and the same seed gives PyTorch's
    outputs (the masks are drawn in PyTorch's order: attention weights, dropout1, the
    feed-forward's dropout, dropout2). eval(): no dropout, the same output every call.
    Differs: with batch_first=True PyTorch draws dropout1's mask in the memory order of its
    (L, N, E) attention output, so the same seed drops other elements than here."""
    make = lambda m: m.TransformerEncoderLayer(E, H, FF, dropout=0.3)  # noqa: E731
    layer, tlayer = twins(make, dtype=np.float32)
    x, tx = seq((L, N, E), np.float32)
    pad, tpad = both(padding(N, L, empty_row=False))
    first = layer(x, src_key_padding_mask=pad)
    second = layer(x, src_key_padding_mask=pad)
    assert first.shape == second.shape == (L, N, E)
    assert not np.allclose(first.detach().numpy(), second.detach().numpy())
    sh.manual_seed(11)
    torch.manual_seed(11)
    out, tout = layer(x, src_key_padding_mask=pad), tlayer(tx, src_key_padding_mask=tpad)
    check_outputs_and_grads(layer, tlayer, out, tout, [(x, tx)], np.float32)
    layer.eval()
    assert not layer.self_attn.training and not layer.dropout1.training
    a, b = layer(x, src_key_padding_mask=pad), layer(x, src_key_padding_mask=pad)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


class SequenceModel:
    """Embedding -> TransformerEncoder (causal) -> Linear, the same code for both libraries."""

    def __init__(self, lib, vocab=11, d=16, heads=4, layers=2):
        enc_layer = lib.TransformerEncoderLayer(
            d, heads, 32, dropout=0.0, batch_first=True, norm_first=True
        )
        self.model = lib.Sequential(
            lib.Embedding(vocab, d),
            lib.TransformerEncoder(enc_layer, layers, norm=lib.LayerNorm(d)),
            lib.Linear(d, vocab),
        )

    def loss(self, lib, tokens, targets, mask):
        emb, enc, head = self.model
        logits = head(enc(emb(tokens), mask=mask, is_causal=True))
        return lib.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets)


def test_small_sequence_model_trains_as_in_torch():
    """20 AdamW steps from PyTorch's weights: the same loss at every step."""
    torch.manual_seed(0)
    theirs = SequenceModel(torch.nn)
    ours = SequenceModel(nn)
    ours.model.load_state_dict(
        {k: sh.tensor(v.numpy()) for k, v in theirs.model.state_dict().items()}
    )
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 11, (8, 12))
    targets = np.roll(tokens, -1, axis=1).reshape(-1)  # predict the next token
    mask = nn.Transformer.generate_square_subsequent_mask(12)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(12)
    opt = sh.optim.AdamW(ours.model.parameters(), lr=3e-3)
    topt = torch.optim.AdamW(theirs.model.parameters(), lr=3e-3)
    losses, tlosses = [], []
    for _ in range(20):
        for o in (opt, topt):
            o.zero_grad()
        loss = ours.loss(sh, sh.tensor(tokens), sh.tensor(targets), mask)
        tloss = theirs.loss(torch, torch.tensor(tokens), torch.tensor(targets), tmask)
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        losses.append(loss.item())
        tlosses.append(tloss.item())
    np.testing.assert_allclose(losses, tlosses, rtol=2e-4)
    assert losses[-1] < losses[0] - 0.5  # it learnt something


def test_state_dict_round_trip_both_ways():
    make = lambda m: m.Transformer(E, H, 1, 2, FF, dropout=0.0, batch_first=True)  # noqa: E731
    ours, theirs = make(nn), make(torch.nn)
    # torch -> ours: the same outputs
    ours.load_state_dict({k: sh.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    src, tsrc = seq((N, S, E), np.float32, seed=1)
    tgt, ttgt = seq((N, L, E), np.float32, seed=2)
    np.testing.assert_allclose(
        ours(src, tgt).detach().numpy(), theirs(tsrc, ttgt).detach().numpy(), **TOL[np.float32]
    )
    # ours -> torch -> a new ours: the same numbers
    again = make(nn)
    theirs.load_state_dict(to_torch_state(ours))
    again.load_state_dict({k: sh.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    for (key, a), (key2, b) in zip(ours.state_dict().items(), again.state_dict().items()):
        assert key == key2
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(nn.StateDictError):  # another architecture does not load
        make(nn).load_state_dict(nn.Transformer(E, H, 2, 2, FF).state_dict())


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------
def test_errors_name_the_problem_and_the_fix():
    with pytest.raises(sh.ArgumentError, match=r"d_model \(10\) must be divisible by nhead \(3\)"):
        nn.TransformerEncoderLayer(10, 3)
    with pytest.raises(sh.ArgumentError, match=r"fit d_model=10: \[1, 2, 5, 10\]"):
        nn.Transformer(10, 4)
    with pytest.raises(sh.ArgumentError, match="'relu', 'gelu'"):
        nn.TransformerDecoderLayer(E, H, activation="swish")
    with pytest.raises(sh.ArgumentError, match="num_layers"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H), 2.5)
    layer = nn.TransformerEncoderLayer(E, H, FF, batch_first=True)
    with pytest.raises(sh.ShapeError, match=r"src has shape \(3, 5\).*\(N, L, E\).*nn.Embedding"):
        layer(sh.zeros(3, 5))
    with pytest.raises(sh.ShapeError, match=r"src has shape \(3, 5, 6\).*E = d_model = 8"):
        layer(sh.zeros(3, 5, 6))
    with pytest.raises(sh.ShapeError, match=r"src has shape \(2, 3, 5, 8\)"):
        layer(sh.zeros(2, 3, 5, 8))
    x = sh.randn(N, L, E)
    with pytest.raises(
        sh.ShapeError, match=r"src_mask and src_key_padding_mask go to self_attn.*\(6, 6\)"
    ):
        layer(x, src_mask=nn.Transformer.generate_square_subsequent_mask(6))
    with pytest.raises(sh.ShapeError, match=r"key_padding_mask has shape \(5, 3\)"):
        layer(x, src_key_padding_mask=sh.zeros(L, N, dtype=sh.bool))
    model = nn.Transformer(E, H, 1, 1, FF)
    with pytest.raises(sh.ShapeError, match=r"different batch sizes \(dim 1"):
        model(sh.randn(S, 2, E), sh.randn(L, 3, E))
    with pytest.raises(sh.ShapeError, match=r"tgt \(5, 3, 8\) and memory \(4, 2, 8\) hold diff"):
        model.decoder(sh.randn(L, N, E), sh.randn(S, 2, E))
    with pytest.raises(sh.ShapeError, match="both be batched"):
        model.decoder.layers[0](sh.randn(L, E), sh.randn(S, N, E))
    with pytest.raises(sh.ShapeError, match=r"tgt has shape \(5, 3, 4\)"):
        model(sh.randn(S, N, E), sh.randn(L, N, 4))
    with pytest.raises(sh.ShapeError, match=r"memory_mask .*expected \(L, S\) = \(5, 4\)"):
        model(sh.randn(S, N, E), sh.randn(L, N, E), memory_mask=sh.zeros(L, L))
    with pytest.raises(sh.ArgumentError, match="sequence length"):
        nn.Transformer.generate_square_subsequent_mask(-1)


def test_the_names_are_in_nn_and_reachable_as_torch():
    for name in (
        "Transformer",
        "TransformerEncoder",
        "TransformerDecoder",
        "TransformerEncoderLayer",
        "TransformerDecoderLayer",
    ):
        assert name in nn.__all__ and getattr(nn, name) is getattr(sh.nn.transformer, name)
    assert repr(nn.TransformerEncoderLayer(E, H, FF)).startswith("TransformerEncoderLayer(")
