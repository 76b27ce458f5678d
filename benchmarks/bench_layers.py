"""Layers outside the five workloads, scratchish vs PyTorch, forward (no_grad) and forward +
backward: ResNet's 3 x 3 convolutions (64 and 16 channels), depthwise convolutions
(MobileNet's 3 x 3, ConvNeXt's 7 x 7; on fresh input and on a 1x1 conv's output), a grouped
one, upsampling (U-Nets, GAN generators), ResNet's stem max-pool, average pooling, the
normalisations, SiLU and the recurrent layers.

Alternating windows in one process, medians (see common.py); speed ratio = PyTorch's time /
scratchish's. `python benchmarks/bench_layers.py depthwise` runs the layers whose name has
that word.

    python benchmarks/bench_layers.py
"""

from __future__ import annotations

import sys

import numpy as np
from bench_train import blas_threads, load_lib
from common import alternate, median, median_ratio


def _depthwise(c, **kwargs):
    return lambda lib: lib.nn.Conv2d(c, c, groups=c, **kwargs)


CONV_OUTPUT = "conv output"  # the input made by a 1x1 convolution of the library (its layout)

# name, input (N, C, H, W), the layer made with lib = scratchish or torch[, CONV_OUTPUT]
LAYERS = [
    (  # the layer ResNets are made of: most of their time
        "conv 3x3 64->64, ResNet 56x56",
        (16, 64, 56, 56),
        lambda lib: lib.nn.Conv2d(64, 64, 3, padding=1, bias=False),
    ),
    (  # a CIFAR ResNet's first stage: few channels, by kernel rows (ops/conv.py rows_product)
        "conv 3x3 16->16, CIFAR 32x32",
        (64, 16, 32, 32),
        lambda lib: lib.nn.Conv2d(16, 16, 3, padding=1, bias=False),
    ),
    (  # LeNet's second layer (workload (b)); its dL/dx, to 16 channels, goes by kernel rows
        "conv 5x5 16->32, LeNet 14x14",
        (64, 16, 14, 14),
        lambda lib: lib.nn.Conv2d(16, 32, 5, padding=2),
    ),
    ("depthwise 3x3, MobileNet-like", (32, 64, 28, 28), _depthwise(64, kernel_size=3, padding=1)),
    (
        "depthwise 3x3 stride 2",
        (32, 32, 56, 56),
        _depthwise(32, kernel_size=3, padding=1, stride=2),
    ),
    ("depthwise 7x7, ConvNeXt-like", (16, 96, 28, 28), _depthwise(96, kernel_size=7, padding=3)),
    # in a network a depthwise layer's input is a convolution's output: channels-last memory
    # in scratchish, (N, C, H, W) in PyTorch; each library gets its own conv's layout here
    (
        "depthwise 3x3 on a conv's output",
        (32, 64, 28, 28),
        _depthwise(64, kernel_size=3, padding=1),
        CONV_OUTPUT,
    ),
    (
        "depthwise 3x3 s2 on a conv's output",
        (32, 32, 56, 56),
        _depthwise(32, kernel_size=3, padding=1, stride=2),
        CONV_OUTPUT,
    ),
    (
        "depthwise 7x7 on a conv's output",
        (16, 96, 28, 28),
        _depthwise(96, kernel_size=7, padding=3),
        CONV_OUTPUT,
    ),
    ("upsample x2 nearest", (32, 64, 28, 28), lambda lib: lib.nn.Upsample(scale_factor=2)),
    (
        "upsample x2 bilinear",
        (32, 64, 28, 28),
        lambda lib: lib.nn.Upsample(scale_factor=2, mode="bilinear"),
    ),
    ("conv 3x3 groups=4", (32, 64, 28, 28), lambda lib: lib.nn.Conv2d(64, 64, 3, 1, 1, groups=4)),
    ("max-pool 3x3 stride 2, ResNet stem", (32, 64, 28, 28), lambda lib: lib.nn.MaxPool2d(3, 2, 1)),
    ("avg-pool 2x2, DenseNet transition", (32, 64, 28, 28), lambda lib: lib.nn.AvgPool2d(2)),
    ("avg-pool 3x3 stride 1, Inception", (32, 64, 28, 28), lambda lib: lib.nn.AvgPool2d(3, 1, 1)),
    ("BatchNorm2d", (32, 64, 28, 28), lambda lib: lib.nn.BatchNorm2d(64)),
    ("BatchNorm1d, an MLP's 256 features", (4096, 256), lambda lib: lib.nn.BatchNorm1d(256)),
    ("GroupNorm 8 groups", (32, 64, 28, 28), lambda lib: lib.nn.GroupNorm(8, 64)),
    ("SiLU", (32, 64, 28, 28), lambda lib: lib.nn.SiLU()),
    ("LSTM 64->128, 50 steps", (32, 50, 64), lambda lib: lib.nn.LSTM(64, 128, batch_first=True)),
    ("GRU 64->128, 50 steps", (32, 50, 64), lambda lib: lib.nn.GRU(64, 128, batch_first=True)),
    (  # a char-RNN's body: 2 layers of 256 over 64 characters
        "LSTM 2 layers of 256, 64 steps",
        (32, 64, 256),
        lambda lib: lib.nn.LSTM(256, 256, num_layers=2, batch_first=True),
    ),
]


def layer_steps(lib, shape, make, *options):
    """(forward without grad, forward + backward) of one layer on fixed data."""
    lib.manual_seed(0)
    layer = make(lib)
    x = lib.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    if CONV_OUTPUT in options:
        with lib.no_grad():
            x = lib.nn.Conv2d(shape[1], shape[1], 1)(x)
    x.requires_grad_(True)

    def run():
        out = layer(x)
        return out[0] if isinstance(out, tuple) else out  # a recurrent layer: (output, state)

    # a gradient as a network's next layer sends back (out.sum()'s would be one number
    # broadcast, which some backward passes read more cheaply than a real one)
    with lib.no_grad():
        out = run()
    grad = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
    if CONV_OUTPUT in options:  # in the output's memory layout, as the next layer sends it
        like = np.empty_like(out.numpy())  # order K: the same strides
        like[...] = grad
        grad = like
    grad = lib.from_numpy(grad)

    def forward():
        with lib.no_grad():
            run()

    def train():
        run().backward(grad)

    return forward, train


def main(words: list) -> None:
    sh, torch = load_lib("scratchish"), load_lib("torch")
    print(f"BLAS threads {blas_threads()}, torch threads {torch.get_num_threads()}")
    print(f"{'layer':<36}{'input':<18}{'pass':<10}{'sh ms':>8}{'pt ms':>8}{'ratio':>7}")
    for name, shape, *layer in LAYERS:
        if words and not any(word in name for word in words):
            continue
        steps = {lib.__name__: layer_steps(lib, shape, *layer) for lib in (sh, torch)}
        for i, what in enumerate(["forward", "fwd+bwd"]):
            times = alternate({lib: pair[i] for lib, pair in steps.items()}, windows=9)
            ratio = median_ratio(times, "torch", "scratchish")
            sh_ms, pt_ms = median(times["scratchish"]) * 1e3, median(times["torch"]) * 1e3
            print(f"{name:<36}{str(shape):<18}{what:<10}{sh_ms:8.2f}{pt_ms:8.2f}{ratio:7.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
