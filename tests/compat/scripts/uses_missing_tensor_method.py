"""A script that calls a Tensor method scratchish does not have (a typo of view)."""

import torch

x = torch.ones(6)
y = x.viwe(2, 3)
print(y)
