"""Layers against PyTorch: forward values and gradients of inputs and parameters, with the
weights copied into the torch module through load_state_dict."""

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn

torch = pytest.importorskip("torch")

TOL = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-5)}


def to_torch_state(module):
    return {k: torch.from_numpy(v.numpy().copy()) for k, v in module.state_dict().items()}


def twin(module, torch_module, dtype):
    """Cast both to dtype and give the torch module our weights."""
    if dtype == np.float64:
        module.double()
        torch_module.double()
    torch_module.load_state_dict(to_torch_state(module))
    return module, torch_module


def inputs(shape, dtype, seed=0, scale=1.0):
    a = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)
    return sh.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def check_parity(module, torch_module, x, tx, dtype, extra=()):
    out, tout = module(x, *extra[:1]), torch_module(tx, *extra[1:])
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **TOL[dtype])
    g = np.random.default_rng(1).standard_normal(tout.shape).astype(dtype)
    out.backward(sh.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **TOL[dtype])
    tparams = dict(torch_module.named_parameters())
    for name, p in module.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), tparams[name].grad.numpy(), **TOL[dtype], err_msg=name
        )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Linear(5, 3),
        lambda m: m.Linear(5, 3, bias=False),
        lambda m: m.LayerNorm(5),
        lambda m: m.LayerNorm(5, elementwise_affine=False),
        lambda m: m.LayerNorm(5, bias=False),
        lambda m: m.ReLU(),
        lambda m: m.LeakyReLU(0.2),
        lambda m: m.GELU(),
        lambda m: m.GELU(approximate="tanh"),
        lambda m: m.Tanh(),
        lambda m: m.Sigmoid(),
        lambda m: m.SiLU(),
        lambda m: m.Softmax(dim=-1),
        lambda m: m.LogSoftmax(dim=1),
        lambda m: m.Identity(),
        lambda m: m.Flatten(),
        lambda m: m.Sequential(m.Linear(5, 8), m.GELU(), m.LayerNorm(8), m.Linear(8, 2)),
    ],
)
def test_layer_parity(make, dtype):
    module, torch_module = twin(make(nn), make(torch.nn), dtype)
    x, tx = inputs((4, 3, 5), dtype, scale=2.0)
    check_parity(module, torch_module, x, tx, dtype)
    assert repr(module) == repr(torch_module)


def test_layernorm_over_two_dims_and_unflatten():
    module, torch_module = twin(nn.LayerNorm((3, 5)), torch.nn.LayerNorm((3, 5)), np.float64)
    with sh.no_grad():
        module.weight.normal_()
        module.bias.normal_()
    torch_module.load_state_dict(to_torch_state(module))
    x, tx = inputs((2, 3, 5), np.float64)
    check_parity(module, torch_module, x, tx, np.float64)
    u, tu = nn.Unflatten(1, (3, 5)), torch.nn.Unflatten(1, (3, 5))
    assert u(sh.zeros(2, 15)).shape == (2, 3, 5) and repr(u) == repr(tu)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_parity_with_padding_and_repeats(dtype):
    module, torch_module = twin(
        nn.Embedding(7, 4, padding_idx=0), torch.nn.Embedding(7, 4, padding_idx=0), dtype
    )
    idx = np.array([[0, 3, 3], [6, 1, 0]])
    out, tout = module(sh.tensor(idx)), torch_module(torch.tensor(idx))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy())
    g = np.random.default_rng(0).standard_normal(tout.shape).astype(dtype)
    out.backward(sh.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(
        module.weight.grad.numpy(), torch_module.weight.grad.numpy(), **TOL[dtype]
    )
    assert module.weight.grad.numpy()[0].sum() == 0  # the padding row learns nothing
    assert repr(module) == repr(torch_module) == "Embedding(7, 4, padding_idx=0)"


def test_embedding_errors_name_the_index():
    emb = nn.Embedding(5, 2)
    with pytest.raises(sh.IndexOutOfRangeError, match="index 7 .* 5 rows"):
        emb(sh.tensor([1, 7]))
    with pytest.raises(sh.DTypeError, match="long"):
        emb(sh.tensor([1.0]))


def test_linear_wrong_input_names_layer_shapes_and_fix():
    layer = nn.Linear(128, 10)
    with pytest.raises(sh.ShapeError) as err:
        layer(sh.zeros(64, 784))
    msg = str(err.value)
    for part in (
        "Linear(in_features=128",
        "784 features",
        "(64, 784)",
        "flatten",
        "nn.Linear(784, 10)",
    ):
        assert part in msg
    with pytest.raises(sh.DTypeError, match="float64"):
        layer(sh.zeros(2, 128, dtype=sh.float64))


def test_dropout_statistics_and_eval_identity():
    sh.manual_seed(0)
    drop = nn.Dropout(0.3)
    x = sh.ones(200_000, requires_grad=True)
    out = drop(x)
    kept = out.numpy(force=True) != 0
    assert abs(kept.mean() - 0.7) < 0.005
    np.testing.assert_allclose(out.numpy(force=True)[kept], 1 / 0.7, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), out.numpy(force=True))  # grad = mask
    drop.eval()
    assert drop(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert (nn.Dropout(1.0)(x).numpy(force=True) == 0).all()
    with pytest.raises(sh.ArgumentError):
        nn.Dropout(1.5)
    assert repr(drop) == repr(torch.nn.Dropout(0.3))


def test_dropout_draws_pytorchs_mask():
    sh.manual_seed(3)
    torch.manual_seed(3)
    out = nn.functional.dropout(sh.ones(1000), 0.4)
    tout = torch.nn.functional.dropout(torch.ones(1000), 0.4)
    np.testing.assert_allclose(out.numpy(), tout.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_parity(dtype, batch_first):
    sh.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=batch_first)
    torch_mha = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first)
    mha, torch_mha = twin(mha, torch_mha, dtype)
    with sh.no_grad():  # non-zero biases, so their gradients are tested too
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    torch_mha.load_state_dict(to_torch_state(mha))
    shape = (2, 5, 8) if batch_first else (5, 2, 8)
    x, tx = inputs(shape, dtype)
    causal = ~np.tri(5, dtype=bool)  # True = may not attend
    padding = np.zeros((2, 5), dtype=bool)
    padding[1, 3:] = True
    out, w = mha(x, x, x, attn_mask=sh.tensor(causal), key_padding_mask=sh.tensor(padding))
    tout, tw = torch_mha(
        tx, tx, tx, attn_mask=torch.tensor(causal), key_padding_mask=torch.tensor(padding)
    )
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), **TOL[dtype])
    g = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    out.backward(sh.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **TOL[dtype])
    tparams = dict(torch_mha.named_parameters())
    for name, p in mha.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), **TOL[dtype])


def test_multihead_attention_cross_attention_and_per_head_weights():
    mha, torch_mha = twin(
        nn.MultiheadAttention(6, 3), torch.nn.MultiheadAttention(6, 3), np.float64
    )
    q, tq = inputs((4, 2, 6), np.float64, seed=1)
    kv, tkv = inputs((7, 2, 6), np.float64, seed=2)
    float_mask = np.random.default_rng(3).standard_normal((4, 7))
    out, w = mha(q, kv, kv, attn_mask=sh.tensor(float_mask), average_attn_weights=False)
    tout, tw = torch_mha(
        tq, tkv, tkv, attn_mask=torch.tensor(float_mask), average_attn_weights=False
    )
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-9)
    assert w.shape == (2, 3, 4, 7)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(kv.grad.numpy(), tkv.grad.numpy(), rtol=1e-9, atol=1e-12)
    # unbatched input, no weights
    out1, none = mha(q[:, 0], kv[:, 0], kv[:, 0], need_weights=False)
    tout1, _ = torch_mha(tq[:, 0], tkv[:, 0], tkv[:, 0], need_weights=False)
    assert none is None and out1.shape == (4, 6)
    np.testing.assert_allclose(out1.detach().numpy(), tout1.detach().numpy(), rtol=1e-9)
    assert repr(mha) == repr(torch_mha)
    with pytest.raises(sh.ArgumentError, match="divisible"):
        nn.MultiheadAttention(10, 3)


class Block(nn.Module):
    """A pre-norm transformer block, written the same way for both libraries."""

    def __init__(self, lib, d=8, heads=2):
        super().__init__()
        self.ln1, self.ln2 = lib.LayerNorm(d), lib.LayerNorm(d)
        self.attn = lib.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = lib.Sequential(lib.Linear(d, 4 * d), lib.GELU(), lib.Linear(4 * d, d))

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class TorchBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = torch.nn.LayerNorm(8), torch.nn.LayerNorm(8)
        self.attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(8, 32), torch.nn.GELU(), torch.nn.Linear(32, 8)
        )

    forward = Block.forward


def test_two_layer_transformer_block_parity():
    sh.manual_seed(0)
    model = nn.Sequential(
        nn.Embedding(11, 8), Block(nn), Block(nn), nn.LayerNorm(8), nn.Linear(8, 11)
    )
    torch_model = torch.nn.Sequential(
        torch.nn.Embedding(11, 8),
        TorchBlock(),
        TorchBlock(),
        torch.nn.LayerNorm(8),
        torch.nn.Linear(8, 11),
    )
    assert list(model.state_dict()) == list(torch_model.state_dict())
    model, torch_model = twin(model, torch_model, np.float64)
    tokens = np.random.default_rng(0).integers(0, 11, (3, 6))
    mask = ~np.tri(6, dtype=bool)

    def run(m, lib, t):
        x = m[0](t)
        x = m[2](m[1](x, lib.tensor(mask)), lib.tensor(mask))
        return m[4](m[3](x))

    logits = run(model, sh, sh.tensor(tokens))
    tlogits = run(torch_model, torch, torch.tensor(tokens))
    np.testing.assert_allclose(
        logits.detach().numpy(), tlogits.detach().numpy(), rtol=1e-9, atol=1e-10
    )
    target = np.random.default_rng(1).integers(0, 11, (3 * 6,))
    nn.functional.cross_entropy(logits.reshape(-1, 11), sh.tensor(target)).backward()
    torch.nn.functional.cross_entropy(tlogits.reshape(-1, 11), torch.tensor(target)).backward()
    tparams = dict(torch_model.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name
        )


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    part = seq[1:]
    assert isinstance(part, nn.Sequential) and list(part._modules) == ["1", "2"]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    seq.append(nn.Sigmoid())
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    del seq[0]
    assert list(seq._modules) == ["0", "1", "2"]
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.ReLU())
    tlayers = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    tlayers.append(torch.nn.ReLU())
    assert repr(layers) == repr(tlayers)  # '(0-2): 3 x Linear(...)'
    assert len(list(layers.parameters())) == 6 and isinstance(layers[1:], nn.ModuleList)
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 2)})
    assert list(heads) == ["a", "b"] and "a" in heads and len(heads) == 2
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    theads = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 1), "b": torch.nn.Linear(2, 2)})
    assert repr(heads) == repr(theads)
