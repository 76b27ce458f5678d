"""The building blocks train real networks: the same loss sequence as PyTorch, a CNN that
learns digits, a small transformer that learns text, and float32 all the way through.
"""

import math

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn
from scratchish.nn import functional as F


def _mlp(lib, dtype):
    lib.manual_seed(0)
    model = lib.nn.Sequential(
        lib.nn.Linear(10, 32), lib.nn.ReLU(), lib.nn.Linear(32, 16), lib.nn.Tanh(),
        lib.nn.Linear(16, 3),
    )  # fmt: skip
    return model.to(dtype)


def _losses(lib, model, x, y, steps=20):
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_mlp_trains_with_the_same_losses_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 10))
    y = x[:, :3].argmax(1)  # a rule the network can learn
    ours = _losses(sh, _mlp(sh, sh.float64), sh.tensor(x), sh.tensor(y))
    theirs = _losses(torch, _mlp(torch, torch.float64), torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-8)
    assert ours[-1] < 0.5 * ours[0]  # it learned something


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (N, 16, 4, 4)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (N, 32, 2, 2)
        return self.fc(x.flatten(1))


def test_a_cnn_learns_the_digits():
    pytest.importorskip("sklearn")
    digits = sh.datasets.digits(valid_pct=0.2, seed=0)
    sh.manual_seed(0)
    model = SmallCNN()
    opt = sh.optim.Adam(model.parameters(), lr=3e-3)
    dl = sh.utils.data.DataLoader(
        sh.utils.data.TensorDataset(digits.x_train, digits.y_train), batch_size=32, shuffle=True
    )
    for _ in range(8):
        model.train()
        for xb, yb in dl:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    model.eval()
    with sh.no_grad():
        accuracy = (model(digits.x_valid).argmax(1) == digits.y_valid).float().mean().item()
    assert accuracy >= 0.97


class TinyTransformerLM(nn.Module):
    """Two pre-norm transformer blocks over characters."""

    def __init__(self, vocab, width=48, heads=4, context=32, layers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(context, width)
        self.blocks = nn.ModuleList(
            nn.ModuleDict(
                {
                    "ln1": nn.LayerNorm(width),
                    "attn": nn.MultiheadAttention(width, heads, batch_first=True),
                    "ln2": nn.LayerNorm(width),
                    "mlp": nn.Sequential(
                        nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
                    ),
                }
            )
            for _ in range(layers)
        )
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.tok(idx) + self.pos(sh.arange(T))
        causal = sh.ones(T, T, dtype=sh.bool).triu(1)  # True = may not attend
        for block in self.blocks:
            h = block["ln1"](x)
            x = x + block["attn"](h, h, h, attn_mask=causal, need_weights=False)[0]
            x = x + block["mlp"](block["ln2"](x))
        return self.head(self.ln(x))


def test_a_two_layer_transformer_learns_text_below_the_unigram_entropy():
    text = sh.datasets.sonnets()
    ids = np.asarray(text.ids)
    counts = np.bincount(ids, minlength=len(text.vocab)).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    unigram_entropy = float(-(p * np.log(p)).sum())  # the best loss without context, in nats

    sh.manual_seed(0)
    context, batch = 32, 16
    model = TinyTransformerLM(len(text.vocab), context=context)
    opt = sh.optim.AdamW(model.parameters(), lr=3e-3)
    data = sh.tensor(ids)
    for _ in range(150):
        starts = sh.randint(0, len(ids) - context - 1, (batch,)).tolist()
        xb = sh.stack([data[s : s + context] for s in starts])
        yb = sh.stack([data[s + 1 : s + 1 + context] for s in starts])
        loss = F.cross_entropy(model(xb).flatten(0, 1), yb.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert math.isfinite(loss.item())
    assert loss.item() < unigram_entropy - 0.5, (loss.item(), unigram_entropy)


def test_a_training_step_stays_float32():
    """No silent float64: activations, gradients, optimizer state and weights stay float32."""
    sh.manual_seed(0)
    model = SmallCNN()
    opt = sh.optim.Adam(model.parameters(), lr=1e-3)
    x, y = sh.randn(4, 1, 8, 8), sh.tensor([1, 2, 3, 4])
    seen = []
    model.register_forward_hook(lambda m, inp, out: seen.append(out.dtype))
    for module in model.children():
        module.register_forward_hook(lambda m, inp, out: seen.append(out.dtype))
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    assert loss.dtype == sh.float32
    assert seen and all(d == sh.float32 for d in seen)
    for p in model.parameters():
        assert p.dtype == sh.float32 and p.grad.dtype == sh.float32
    for state in opt.state.values():
        for value in state.values():
            if isinstance(value, sh.Tensor) and value.is_floating_point():
                assert value.dtype == sh.float32
