"""A script for `scratchish run --check`: supported names, aliases, and two unsupported ones."""

import torch
import torch.nn as nn
from torch.nn import functional as F

torch.manual_seed(0)
x = torch.randn(8, 4, requires_grad=True)
y = torch.nn.functional.relu(x)
loss = F.softmax(y, dim=1).sum()
loss.backward()
spectrum = torch.fft.fft(x.detach())
model = nn.Module()
fast_model = torch.compile(model)
print(torch.cuda.is_available(), y.view(-1).shape)
