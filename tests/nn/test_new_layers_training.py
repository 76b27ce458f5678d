"""The new layers train together as PyTorch's do: a 1-d CNN (Conv1d, GroupNorm, Mish, PReLU,
pooling) and a small image model (InstanceNorm2d, Dropout2d, Upsample, AdaptiveMaxPool2d,
SELU) give PyTorch's losses step by step from the same seed, and learn."""

import numpy as np
import pytest

import scratchish as sh

torch = pytest.importorskip("torch")


def _sequence_model(lib):
    nn = lib.nn
    lib.manual_seed(0)
    return nn.Sequential(
        nn.Conv1d(2, 8, 5, padding=2),
        nn.GroupNorm(2, 8),
        nn.Mish(),
        nn.MaxPool1d(2),
        nn.Conv1d(8, 8, 3, padding="same"),
        nn.PReLU(8),
        nn.AvgPool1d(2),
        nn.Flatten(),
        nn.Hardswish(),
        nn.Linear(8 * 4, 3),
    ).double()


def _image_model(lib):
    nn = lib.nn
    lib.manual_seed(1)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.InstanceNorm2d(4, affine=True),
        nn.PReLU(),
        nn.Dropout2d(0.2),
        nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.Conv2d(4, 4, 3, stride=2, padding=1),
        nn.SELU(),
        nn.AdaptiveMaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16, 3),
    ).double()


def _train(lib, model, x, y, loss_fn, steps=40):
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    lib.manual_seed(2)  # the dropout masks, drawn in the same order in both libraries
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize(
    "make, shape, loss_name",
    [
        (_sequence_model, (32, 2, 16), "cross_entropy"),
        (_image_model, (16, 1, 6, 6), "multi_margin_loss"),
    ],
)
def test_new_layers_train_with_torchs_losses(make, shape, loss_name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    y = (x.reshape(shape[0], -1)[:, :3]).argmax(1)  # a rule the network can learn
    ours = _train(sh, make(sh), sh.tensor(x), sh.tensor(y), getattr(sh.nn.functional, loss_name))
    theirs = _train(
        torch,
        make(torch),
        torch.tensor(x),
        torch.tensor(y),
        getattr(torch.nn.functional, loss_name),
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
    assert ours[-1] < 0.7 * ours[0]  # it learned something
