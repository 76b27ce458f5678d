"""PyTorch: optim, from "Learning PyTorch with Examples".

The polynomial fit of sin(x) with an nn model and an optimizer from torch.optim. The tutorial
uses RMSprop; this copy uses SGD with momentum, the optimizer every course starts with.
Runs unchanged on PyTorch and scratchish.
"""

import math

import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

# Create Tensors to hold input and outputs.
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

# Prepare the input tensor (x, x^2, x^3).
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

# Use the nn package to define our model and loss function.
model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
loss_fn = nn.MSELoss(reduction="sum")

# Use the optim package to define an Optimizer that will update the weights of the model.
learning_rate = 1e-6
optimizer = optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
for t in range(2000):
    # Forward pass: compute predicted y by passing x to the model.
    y_pred = model(xx)

    # Compute and print loss.
    loss = loss_fn(y_pred, y)
    if t % 100 == 99:
        print(t, loss.item())

    # Before the backward pass, zero all of the gradients of the variables it will update.
    optimizer.zero_grad()

    # Backward pass: compute gradient of the loss with respect to model parameters
    loss.backward()

    # Calling the step function on an Optimizer makes an update to its parameters
    optimizer.step()

linear_layer = model[0]
print(
    f"Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + "
    f"{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3"
)
print(f"final loss {loss.item()}")
