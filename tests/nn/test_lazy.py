"""Lazy layers (nn.LazyLinear, nn.LazyConv2d, ...): sizes from the first batch, PyTorch's
weights for PyTorch's seed, the change into the ordinary layer, placeholders that refuse use,
an optimizer made before the first call, saving, loading, copying, and the Learner."""

import copy
import os
import pickle

import numpy as np
import pytest

import scratchish as sh
from helpers import optional_torch
from scratchish import nn
from scratchish.errors import ArgumentError, ShapeError
from scratchish.journal import describe_model
from scratchish.nn.module import is_lazy

torch = optional_torch()
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch==2.13.0")

# (lazy layer, its arguments, an input shape, the ordinary layer it becomes with the same
# arguments plus the size it reads off the input)
LAYERS = [
    ("LazyLinear", (5,), (4, 7), "Linear", (7, 5)),
    ("LazyLinear", (3, False), (2, 6, 9), "Linear", (9, 3, False)),
    ("LazyConv1d", (4, 3), (2, 6, 10), "Conv1d", (6, 4, 3)),
    ("LazyConv2d", (6, 3), (2, 4, 8, 8), "Conv2d", (4, 6, 3)),
    ("LazyConv2d", (6, 3), (4, 8, 8), "Conv2d", (4, 6, 3)),  # one sample: channels in dim 0
    ("LazyConv3d", (2, 2), (1, 3, 4, 4, 4), "Conv3d", (3, 2, 2)),
    ("LazyConvTranspose1d", (3, 2), (2, 4, 5), "ConvTranspose1d", (4, 3, 2)),
    ("LazyConvTranspose2d", (3, 2), (2, 4, 5, 5), "ConvTranspose2d", (4, 3, 2)),
    ("LazyConvTranspose3d", (2, 2), (1, 4, 3, 3, 3), "ConvTranspose3d", (4, 2, 2)),
    ("LazyBatchNorm1d", (), (8, 5), "BatchNorm1d", (5,)),
    ("LazyBatchNorm2d", (), (4, 3, 6, 6), "BatchNorm2d", (3,)),
    ("LazyBatchNorm3d", (), (2, 3, 4, 4, 4), "BatchNorm3d", (3,)),
    ("LazyInstanceNorm1d", (), (2, 3, 8), "InstanceNorm1d", (3, 1e-5, 0.1, True, True)),
    ("LazyInstanceNorm2d", (), (2, 3, 5, 5), "InstanceNorm2d", (3, 1e-5, 0.1, True, True)),
    ("LazyInstanceNorm3d", (), (2, 3, 4, 4, 4), "InstanceNorm3d", (3, 1e-5, 0.1, True, True)),
]
IDS = [f"{lazy}-{shape}" for lazy, _, shape, _, _ in LAYERS]


def _input(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize(("lazy", "args", "shape", "plain", "plain_args"), LAYERS, ids=IDS)
def test_a_lazy_layer_becomes_the_layer_it_would_have_been(lazy, args, shape, plain, plain_args):
    # the same seed gives the lazy layer, after its first call, the ordinary layer's weights:
    # nothing is drawn at construction, all of it at the first call
    sh.manual_seed(3)
    layer = getattr(nn, lazy)(*args)
    x = sh.tensor(_input(shape))
    out = layer(x)
    sh.manual_seed(3)
    reference = getattr(nn, plain)(*plain_args)
    assert type(layer) is type(reference)
    assert repr(layer) == repr(reference)
    assert layer._forward_pre_hooks == {}  # the hook removed itself: the fast path again
    ours, theirs = layer.state_dict(), reference.state_dict()
    assert list(ours) == list(theirs)
    for key in theirs:
        assert ours[key].shape == theirs[key].shape
    for key in dict(reference.named_parameters()):
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
    sh.manual_seed(3)
    reference = getattr(nn, plain)(*plain_args)
    np.testing.assert_array_equal(out.detach().numpy(), reference(x).detach().numpy())


@needs_torch
@pytest.mark.parametrize(("lazy", "args", "shape", "plain", "plain_args"), LAYERS, ids=IDS)
def test_lazy_layers_as_torchs(lazy, args, shape, plain, plain_args):
    sh.manual_seed(5)
    torch.manual_seed(5)
    ours, theirs = getattr(nn, lazy)(*args), getattr(torch.nn, lazy)(*args)
    assert repr(ours) == repr(theirs)
    x = _input(shape)
    out, expected = ours(sh.tensor(x)), theirs(torch.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == plain
    assert repr(ours) == repr(theirs)
    for (name, p), (t_name, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == t_name
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=2e-5)


@needs_torch
def test_an_optimizer_made_before_the_first_call_trains_as_torchs():
    # d2l.ai's way: the model's optimizer is made from the lazy parameters, then fit runs
    def build(lib):
        return lib.Sequential(
            lib.LazyConv2d(6, 5, padding=2),
            lib.LazyBatchNorm2d(),
            lib.ReLU(),
            lib.MaxPool2d(2),
            lib.Flatten(),
            lib.LazyLinear(10),
        )

    sh.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = build(nn), build(torch.nn)
    # SGD: the conv's bias, before batch norm, gets a gradient of rounding noise only, which
    # Adam would scale up to whole steps of either sign
    opt = sh.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9)
    t_opt = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
    x, y = _input((8, 3, 8, 8)), np.arange(8) % 10
    for _ in range(4):
        loss = nn.functional.cross_entropy(ours(sh.tensor(x)), sh.tensor(y))
        t_loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        opt.zero_grad()
        t_opt.zero_grad()
        loss.backward()
        t_loss.backward()
        opt.step()
        t_opt.step()
        assert loss.item() == pytest.approx(t_loss.item(), rel=1e-5)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), atol=1e-5)


def test_the_optimizer_updates_the_same_parameter_objects():
    sh.manual_seed(0)
    model = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(1))
    params = list(model.parameters())
    opt = sh.optim.SGD(params, lr=0.1)
    x = sh.randn(16, 3)
    loss = model(x).square().mean()
    before = [p.detach().numpy().copy() for p in params]
    loss.backward()
    opt.step()
    assert [p is q for p, q in zip(model.parameters(), params)] == [True] * 4
    assert [type(p) for p in params] == [nn.Parameter] * 4
    for p, old in zip(params, before):
        np.testing.assert_allclose(p.detach().numpy(), old - 0.1 * p.grad.numpy(), rtol=1e-6)
    assert model(x).square().mean().item() < loss.item()


def test_a_placeholder_refuses_use_and_says_to_run_the_model_once():
    layer = nn.LazyLinear(3)
    w = layer.weight
    assert isinstance(w, nn.UninitializedParameter) and isinstance(w, nn.Parameter)
    assert is_lazy(w) and layer.has_uninitialized_params()
    assert repr(w) == "<UninitializedParameter>"
    assert w.dtype == sh.float32 and w.requires_grad and w.grad is None
    for use in (
        lambda: w.numel(),
        lambda: w.shape,
        lambda: w.sum(),
        lambda: w * 2,
        lambda: nn.init.xavier_uniform_(w),
        lambda: sum(p.numel() for p in layer.parameters()),
    ):
        with pytest.raises(ArgumentError, match=r"no shape yet.*model\(x\)"):
            use()


def test_state_dict_shows_placeholders_and_loading_gives_them_shapes():
    layer = nn.LazyLinear(3)
    state = layer.state_dict()
    assert list(state) == ["weight", "bias"] and all(is_lazy(v) for v in state.values())
    trained = nn.Linear(5, 3)
    layer.load_state_dict(trained.state_dict())
    assert layer.weight.shape == (3, 5) and not layer.has_uninitialized_params()
    np.testing.assert_array_equal(layer.weight.numpy(force=True), trained.weight.numpy(True))
    x = sh.randn(2, 5)
    np.testing.assert_array_equal(layer(x).detach().numpy(), trained(x).detach().numpy())
    assert repr(layer) == "Linear(in_features=5, out_features=3, bias=True)"
    with pytest.raises(ArgumentError, match="no shape yet"):
        nn.Linear(5, 3).load_state_dict(nn.LazyLinear(3).state_dict())


def test_lazy_norm_statistics_load_and_the_dtype_moves_before_the_call():
    bn = nn.LazyBatchNorm1d()
    source = nn.BatchNorm1d(4)
    source(sh.randn(8, 4) * 3 + 1)
    bn.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(bn.running_mean.numpy(), source.running_mean.numpy())
    assert bn.num_batches_tracked.item() == 1
    layer = nn.LazyLinear(2).to(sh.float64)
    assert layer.weight.dtype == sh.float64
    layer(sh.randn(3, 4, dtype=sh.float64))
    assert layer.weight.dtype == sh.float64 and layer.weight.shape == (2, 4)


def test_a_lazy_model_copies_and_pickles_before_its_first_call():
    model = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2))
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        twin(sh.randn(3, 6))
        assert [type(m).__name__ for m in twin] == ["Linear", "ReLU", "Linear"]
        assert twin[0].weight.shape == (4, 6)
    assert model[0].has_uninitialized_params()  # the original is untouched


def test_bad_first_inputs_are_explained():
    with pytest.raises(ArgumentError, match=r"5 channels.*3 groups"):
        nn.LazyConv2d(6, 3, groups=3)(sh.randn(1, 5, 8, 8))
    with pytest.raises(ShapeError, match=r"4-D batch.*3-D single sample.*\(8, 8\)"):
        nn.LazyConv2d(6, 3)(sh.randn(8, 8))
    with pytest.raises(ShapeError, match="0-d tensor"):
        nn.LazyLinear(3)(sh.tensor(1.0))
    with pytest.raises(ShapeError, match=r"LazyBatchNorm2d expects a 4-D input"):
        nn.LazyBatchNorm2d()(sh.randn(3, 4))
    with pytest.raises(ArgumentError, match="out_features must be a whole number"):
        nn.LazyLinear(-2)
    with pytest.raises(ArgumentError, match="groups=4 must divide out_channels"):
        nn.LazyConv2d(6, 3, groups=4)


def test_the_learner_and_the_journal_take_a_lazy_model(tmp_path):
    from scratchish.learner import DataLoaders, Learner, accuracy

    os.chdir(tmp_path)
    sh.manual_seed(0)
    x = sh.randn(200, 2)
    y = (x[:, 0] > 0).long()
    dls = DataLoaders.from_tensors(x[:160], y[:160], x[160:], y[160:], bs=32)
    model = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(2))
    assert describe_model(model)["n_params"] is None  # not known before the first batch
    learn = Learner(dls, model, metrics=[accuracy], progress=False, journal=tmp_path / "j")
    learn.lr_find(num_it=20, show=False)  # saves and restores the weights: sizes them first
    assert type(model[0]) is nn.Linear and model[0].weight.shape == (8, 2)
    learn.fit(3, lr=0.1)
    assert learn.recorder.last("accuracy") > 0.9
    assert describe_model(model)["n_params"] == 2 * 8 + 8 + 8 * 2 + 2


def test_an_instance_norm_reads_the_channels_of_a_single_sample_from_dim_0():
    norm = nn.LazyInstanceNorm2d()
    x = sh.randn(3, 5, 5)
    out = norm(x)
    assert type(norm) is nn.InstanceNorm2d and norm.num_features == 3
    assert norm.affine and norm.track_running_stats  # PyTorch's lazy defaults
    expected = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)(x.unsqueeze(0))
    np.testing.assert_allclose(out.detach().numpy(), expected[0].detach().numpy(), atol=1e-6)


def test_the_ordinary_convolutions_still_refuse_no_input_channels():
    with pytest.raises(ArgumentError, match="in_channels must be a whole number >= 1"):
        nn.Conv2d(0, 4, 3)
    with pytest.raises(ArgumentError, match="in_channels must be a whole number >= 1"):
        nn.ConvTranspose2d(0, 4, 3)
