"""Dive into Deep Learning (d2l.ai), its PyTorch edition: LeNet written with lazy layers.

The book builds its models with nn.LazyConv2d and nn.LazyLinear, which read their input sizes
off the first batch, and makes the optimizer from model.parameters() before that batch, as its
Trainer does. Runs unchanged on PyTorch and scratchish. Random images stand in for
Fashion-MNIST (no download in tests).
"""

import torch
from torch import nn

torch.manual_seed(0)

# d2l's LeNet (chapter 7.6): sigmoid activations and average pooling, as in LeCun et al. 1998
net = nn.Sequential(
    nn.LazyConv2d(6, kernel_size=5, padding=2),
    nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.LazyConv2d(16, kernel_size=5),
    nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.LazyLinear(120),
    nn.Sigmoid(),
    nn.LazyLinear(84),
    nn.Sigmoid(),
    nn.LazyLinear(10),
)
print(net[0])

# the optimizer first, from parameters that have no shape yet (d2l's configure_optimizers)
optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
loss_fn = nn.CrossEntropyLoss()

X = torch.randn(64, 1, 28, 28)
y = torch.randint(0, 10, (64,))
for step in range(10):
    loss = loss_fn(net(X), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.6f}")

# after the first batch each lazy layer is the ordinary one, with the sizes it read
print(net[0])
print(net[7])
print("parameters:", sum(p.numel() for p in net.parameters()))
print(f"final loss {loss_fn(net(X), y).item():.6f}")
