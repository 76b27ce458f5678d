"""A script with a bug of its own: the error must be shown as the user's, at this file's line."""

import torch


def learning_rate_for(epoch):
    if epoch > 1:
        raise ValueError(f"no learning rate planned for epoch {epoch}")
    return 0.1


w = torch.ones(3, requires_grad=True)
for epoch in range(3):
    lr = learning_rate_for(epoch)
