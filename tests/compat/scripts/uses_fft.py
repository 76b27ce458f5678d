"""A script that reaches a PyTorch API scratchish does not have (torch.fft)."""

import torch

x = torch.randn(8)
spectrum = torch.fft.fft(x)
print(spectrum)
