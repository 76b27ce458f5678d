"""The benchmark workloads, written once for both libraries.

scratchish has PyTorch's API, so each model is built by the same code with `lib` = torch or
scratchish. That is the point of the comparison: the same program, two engines.
"""

from __future__ import annotations

import math


def mlp(lib):
    """(a) MLP 784-512-256-10 with ReLU."""
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
    )


def lenet(lib):
    """(b) LeNet-like CNN on 1x28x28."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


# ResNet-20's stages: (channels, size of the feature maps); 3 basic blocks each
RESNET20_STAGES = ((16, 32), (32, 16), (64, 8))


def basic_block(lib):
    """ResNet's basic block (He et al. 2016), a class of `lib`: two 3x3 convolutions with
    batch norm, added to the input (through a 1x1 convolution where the shape changes)."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(c_out)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            self.shortcut = nn.Identity()
            if stride != 1 or c_in != c_out:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
                )

        def forward(self, x):
            y = self.bn2(self.conv2(self.bn1(self.conv1(x)).relu()))
            return (y + self.shortcut(x)).relu()

    return Block


def resnet20(lib, blocks=3):
    """(f) ResNet-20 for 32x32 images (He et al. 2016, section 4.2: CIFAR-10), batch norm
    after every convolution, a 1x1 convolution on the shortcut where the shape changes."""
    nn = lib.nn

    Block = basic_block(lib)
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    c_in = 16
    for k, (c_out, _) in enumerate(RESNET20_STAGES):
        for i in range(blocks):
            layers.append(Block(c_in, c_out, 2 if k > 0 and i == 0 else 1))
            c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, 10)]
    return nn.Sequential(*layers)


def resnet20_forward_flops(batch: int, blocks=3) -> int:
    """The convolutions' and the classifier's products (batch norm and the rest are small)."""
    shapes, c_in = [(batch * 32 * 32, 3 * 9, 16)], 16
    for c_out, size in RESNET20_STAGES:
        pixels = batch * size * size
        shapes += [(pixels, c_in * 9, c_out)] + [(pixels, c_out * 9, c_out)] * (2 * blocks - 1)
        if c_in != c_out:
            shapes.append((pixels, c_in, c_out))  # the 1x1 shortcut
        c_in = c_out
    return matmul_flops(shapes + [(batch, c_in, 10)])


RESNET18_STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))  # (channels, first block's stride)


def resnet18(lib, classes=1000):
    """(h) ResNet-18 for 224x224 images, torchvision's layout (He et al. 2016, table 1): a 7x7
    stride-2 stem, a 3x3 stride-2 max-pool, four stages of two basic blocks, average pooling
    and the classifier. The network a learner fine-tunes in a first lesson on photos."""
    nn = lib.nn

    Block = basic_block(lib)
    layers = [
        nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
    ]  # fmt: skip
    c_in = 64
    for c_out, stride in RESNET18_STAGES:
        layers += [Block(c_in, c_out, stride), Block(c_out, c_out, 1)]
        c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, classes)]
    return nn.Sequential(*layers)


def resnet18_forward_flops(batch: int, classes=1000) -> int:
    """The convolutions' and the classifier's products: 1.8 GFLOP-multiply-adds an image."""
    shapes, size, c_in = [(batch * 112 * 112, 3 * 49, 64)], 56, 64
    for c_out, stride in RESNET18_STAGES:
        size //= stride
        pixels = batch * size * size
        shapes += [(pixels, c_in * 9, c_out)] + [(pixels, c_out * 9, c_out)] * 3
        if c_in != c_out:
            shapes.append((pixels, c_in, c_out))  # the 1x1 shortcut
        c_in = c_out
    return matmul_flops(shapes + [(batch, c_in, classes)])


# MobileNetV2's inverted residual blocks for 32x32 images, a shortened list: (expansion t,
# output channels, stride), each block 1x1 expand -> 3x3 depthwise -> 1x1 project
MOBILENET_BLOCKS = ((1, 16, 1), (6, 24, 1), (6, 24, 1), (6, 32, 2), (6, 32, 1), (6, 64, 2),
                    (6, 64, 1), (6, 96, 1))  # fmt: skip


def mobilenet(lib):
    """(g) A MobileNetV2 (Sandler et al. 2018) for 32x32 images, shortened to 8 blocks: batch
    norm and ReLU6 after each convolution but the projection, a residual where the shape
    stays. Most of its layers are 1x1 convolutions and 3x3 depthwise ones."""
    nn = lib.nn

    def conv_bn(c_in, c_out, kernel, stride=1, groups=1, relu=True):
        layers = [
            nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
        ]
        return layers + [nn.ReLU6()] if relu else layers

    class Block(nn.Module):
        def __init__(self, c_in, t, c_out, stride):
            super().__init__()
            hidden = c_in * t
            expand = conv_bn(c_in, hidden, 1) if t != 1 else []
            self.body = nn.Sequential(
                *expand,
                *conv_bn(hidden, hidden, 3, stride, groups=hidden),
                *conv_bn(hidden, c_out, 1, relu=False),
            )
            self.residual = stride == 1 and c_in == c_out

        def forward(self, x):
            return x + self.body(x) if self.residual else self.body(x)

    layers, c_in = conv_bn(3, 32, 3), 32
    for t, c_out, stride in MOBILENET_BLOCKS:
        layers.append(Block(c_in, t, c_out, stride))
        c_in = c_out
    layers += [*conv_bn(c_in, 320, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(320, 10)]
    return nn.Sequential(*layers)


def mobilenet_forward_flops(batch: int) -> int:
    """The convolutions' and the classifier's multiply-adds, twice (a depthwise layer's as
    products of one channel: (pixels, 9, 1) per channel)."""
    size, c_in = 32, 32
    shapes = [(batch * size * size, 27, 32)]
    for t, c_out, stride in MOBILENET_BLOCKS:
        hidden = c_in * t
        if t != 1:
            shapes.append((batch * size * size, c_in, hidden))
        size //= stride
        shapes += [(batch * size * size * hidden, 9, 1), (batch * size * size, hidden, c_out)]
        c_in = c_out
    return matmul_flops(shapes + [(batch * size * size, c_in, 320), (batch, 320, 10)])


def gpt(lib, vocab=65, n_layer=4, n_head=4, n_embd=128, block_size=64, bias=False):
    """(c) A character-level GPT in nanoGPT's shape: pre-norm blocks, GELU MLP, tied weights,
    and, as nanoGPT's default (`bias = False` in its train.py), no biases in the Linear and
    LayerNorm layers."""
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd, bias=bias)
            self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
            self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
            self.ln_2 = nn.LayerNorm(n_embd, bias=bias)
            self.fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
            self.gelu = nn.GELU()
            self.proj = nn.Linear(4 * n_embd, n_embd, bias=bias)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(n_embd, dim=2)
            q = q.view(B, T, n_head, C // n_head).transpose(1, 2)  # (B, nh, T, hs)
            k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
            v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            x = x + self.c_proj(y)
            return x + self.proj(self.gelu(self.fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(vocab, n_embd)
            self.wpe = nn.Embedding(block_size, n_embd)
            self.blocks = nn.ModuleList([Block() for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd, bias=bias)
            self.lm_head = nn.Linear(n_embd, vocab, bias=False)
            self.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT
            self.apply(self._init_weights)
            for name, p in self.named_parameters():
                if name.endswith("c_proj.weight") or name.endswith(".proj.weight"):
                    nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            B, T = idx.shape
            pos = lib.arange(0, T, dtype=lib.long)
            x = self.wte(idx) + self.wpe(pos)
            for block in self.blocks:
                x = block(x)
            logits = self.lm_head(self.ln_f(x))
            if targets is None:
                return logits, None
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
            return logits, loss

    return GPT()


def gpt_optimizer(lib, model, lr=1e-3, weight_decay=0.1, betas=(0.9, 0.99)):
    """nanoGPT's AdamW groups: decay the matrices, not the biases and norms."""
    params = {name: p for name, p in model.named_parameters()}
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return lib.optim.AdamW(groups, lr=lr, betas=betas)


def matmul_flops(shapes) -> int:
    """2*m*k*n per (m, k, n) product."""
    return sum(2 * m * k * n for m, k, n in shapes)


def mlp_train_flops(batch: int) -> int:
    # forward products, and backward costs two more of each (grad of input and of weight)
    fwd = matmul_flops([(batch, 784, 512), (batch, 512, 256), (batch, 256, 10)])
    return 3 * fwd


def lenet_forward_flops(batch: int) -> int:
    conv1 = (batch * 28 * 28, 1 * 25, 16)
    conv2 = (batch * 14 * 14, 16 * 25, 32)
    return matmul_flops([conv1, conv2, (batch, 1568, 128), (batch, 128, 10)])


def gpt_train_flops(batch=12, T=64, d=128, n_layer=4, vocab=65) -> int:
    tokens = batch * T
    per_layer = [(tokens, d, 3 * d), (tokens, d, d), (tokens, d, 4 * d), (tokens, 4 * d, d)]
    attention = 2 * 2 * batch * T * T * d  # q @ k.T and att @ v, all heads together
    fwd = n_layer * (matmul_flops(per_layer) + attention) + matmul_flops([(tokens, d, vocab)])
    return 3 * fwd
