"""Small networks of the kinds a learner builds after the workloads, scratchish vs PyTorch: a
training step each (SGD momentum), forward + backward + update, on fixed data.

- a DCGAN discriminator and generator (Radford et al. 2016) for 32x32 images: strided 4x4
  convolutions and transposed convolutions, BatchNorm, LeakyReLU, ReLU, Tanh;
- an EfficientNet-like stack (Tan and Le 2019): MBConv blocks with SiLU, 3x3 and 5x5
  depthwise convolutions, squeeze-and-excite;
- a small U-Net (Ronneberger et al. 2015) on 64x64: max-pooling, transposed convolutions,
  concatenated skips;
- a tabular MLP with BatchNorm1d and dropout, batch 1024.

Each is written once, with lib = scratchish or torch. Alternating windows in one process,
medians (see common.py); speed ratio = PyTorch's time / scratchish's. Networks whose name
has one of the given words run alone:

    python benchmarks/bench_nets.py [word ...]
"""

from __future__ import annotations

import sys

import numpy as np
from bench_train import blas_threads, load_lib
from common import alternate, median, median_ratio


def dcgan_discriminator(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
        nn.Conv2d(256, 1, 4, 1, 0, bias=False), nn.Flatten(), nn.Sigmoid(),
    )  # fmt: skip


def dcgan_generator(lib):
    nn = lib.nn

    def up(c_in, c_out, stride, padding):
        return [
            nn.ConvTranspose2d(c_in, c_out, 4, stride, padding, bias=False),
            nn.BatchNorm2d(c_out), nn.ReLU(),
        ]  # fmt: skip

    return nn.Sequential(
        nn.Unflatten(1, (100, 1, 1)), *up(100, 256, 1, 0), *up(256, 128, 2, 1),
        *up(128, 64, 2, 1), nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False), nn.Tanh(),
    )  # fmt: skip


def efficientnet_like(lib):
    nn = lib.nn

    class SqueezeExcite(nn.Module):
        def __init__(self, c, reduced):
            super().__init__()
            self.reduce, self.expand = nn.Conv2d(c, reduced, 1), nn.Conv2d(reduced, c, 1)

        def forward(self, x):
            s = x.mean((2, 3), keepdim=True)
            return x * self.expand(nn.functional.silu(self.reduce(s))).sigmoid()

    def mbconv(c_in, c_out, kernel, stride, expand):
        hidden = c_in * expand
        return nn.Sequential(
            nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.SiLU(),
            nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.SiLU(), SqueezeExcite(hidden, max(1, c_in // 4)),
            nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out),
        )  # fmt: skip

    return nn.Sequential(
        nn.Conv2d(3, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.SiLU(),
        mbconv(32, 16, 3, 1, 1), mbconv(16, 24, 3, 2, 6), mbconv(24, 40, 5, 2, 6),
        mbconv(40, 80, 3, 2, 6), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(80, 10),
    )  # fmt: skip


def unet(lib):
    nn = lib.nn

    def twice(c_in, c_out):
        return nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
        )  # fmt: skip

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.down1, self.down2, self.bottom = twice(1, 16), twice(16, 32), twice(32, 64)
            self.up2, self.merge2 = nn.ConvTranspose2d(64, 32, 2, 2), twice(64, 32)
            self.up1, self.merge1 = nn.ConvTranspose2d(32, 16, 2, 2), twice(32, 16)
            self.pool, self.out = nn.MaxPool2d(2), nn.Conv2d(16, 1, 1)

        def forward(self, x):
            a = self.down1(x)
            b = self.down2(self.pool(a))
            c = self.bottom(self.pool(b))
            b = self.merge2(lib.cat([self.up2(c), b], 1))
            return self.out(self.merge1(lib.cat([self.up1(b), a], 1)))

    return UNet()


def tabular_mlp(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(64, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(256, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(256, 2),
    )  # fmt: skip


# name: (the model, input shape, loss)
NETS = {
    "DCGAN discriminator, 32x32, batch 64": (dcgan_discriminator, (64, 3, 32, 32), "bce"),
    "DCGAN generator, 100 -> 32x32, batch 64": (dcgan_generator, (64, 100), "mse"),
    "EfficientNet-like, 32x32, batch 64": (efficientnet_like, (64, 3, 32, 32), "ce"),
    "U-Net, 64x64, batch 16": (unet, (16, 1, 64, 64), "mse"),
    "tabular MLP, BatchNorm1d, batch 1024": (tabular_mlp, (1024, 64), "ce"),
}


def training_step(lib, make, shape, loss):
    """One SGD step of the network on fixed random data and targets."""
    lib.manual_seed(0)
    model, rng, F = make(lib), np.random.default_rng(0), lib.nn.functional
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32))
    with lib.no_grad():
        out_shape = tuple(model(x).shape)
    if loss == "ce":
        y = lib.tensor(rng.integers(0, out_shape[1], shape[0]))
        loss_fn = F.cross_entropy
    elif loss == "bce":
        y = lib.tensor(rng.random(out_shape).astype(np.float32))
        loss_fn = F.binary_cross_entropy
    else:
        y = lib.tensor(rng.standard_normal(out_shape).astype(np.float32))
        loss_fn = F.mse_loss
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def main(words: list) -> None:
    sh, torch = load_lib("scratchish"), load_lib("torch")
    print(f"BLAS threads {blas_threads()}, torch threads {torch.get_num_threads()}")
    print(f"{'network':<42}{'sh ms':>8}{'pt ms':>8}{'ratio':>7}")
    for name, (make, shape, loss) in NETS.items():
        if words and not any(word in name for word in words):
            continue
        steps = {lib.__name__: training_step(lib, make, shape, loss) for lib in (sh, torch)}
        times = alternate(steps, windows=7, min_seconds=0.3, pause=0.2)
        ratio = median_ratio(times, "torch", "scratchish")
        sh_ms, pt_ms = median(times["scratchish"]) * 1e3, median(times["torch"]) * 1e3
        print(f"{name:<42}{sh_ms:8.1f}{pt_ms:8.1f}{ratio:7.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
