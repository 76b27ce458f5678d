"""Module and Parameter: registration, walking the tree, state_dict round trips with
PyTorch, hooks, modes, dtype moves, repr."""

import copy
import pickle

import numpy as np
import pytest

import scratchish as sh
from scratchish import nn

torch = pytest.importorskip("torch")


def to_torch_state(module):
    return {k: torch.from_numpy(v.numpy().copy()) for k, v in module.state_dict().items()}


class Tied(nn.Module):
    """A tiny language model whose output layer shares the embedding's weight."""

    def __init__(self, lib=nn, tensors=sh):
        super().__init__()
        build(self, lib, tensors)

    def forward(self, idx):
        return self.head(self.norm(self.emb(idx)))


def build(model, lib, tensors):
    """The same layers for both libraries: lib is nn or torch.nn, tensors sh or torch."""
    model.emb = lib.Embedding(10, 4)
    model.norm = lib.LayerNorm(4)
    model.head = lib.Linear(4, 10, bias=False)
    model.head.weight = model.emb.weight
    model.register_buffer("pos", tensors.zeros(3))
    model.register_buffer("cache", tensors.zeros(2), persistent=False)


class TorchTied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        build(self, torch.nn, torch)

    forward = Tied.forward


def test_parameter_shares_data_and_prints_like_torch():
    t = sh.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert p.array is t.array and p.requires_grad and isinstance(p, sh.Tensor)
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert isinstance(copy.deepcopy(p), nn.Parameter)
    assert isinstance(pickle.loads(pickle.dumps(p)), nn.Parameter)


def test_weight_tying_dedups_parameters_and_keeps_state_dict_keys():
    model, torch_model = Tied(), TorchTied()
    names = [n for n, _ in model.named_parameters()]
    assert names == [n for n, _ in torch_model.named_parameters()]
    assert names == ["emb.weight", "norm.weight", "norm.bias"]
    assert len(list(model.parameters())) == 3
    assert list(model.state_dict()) == list(torch_model.state_dict())
    assert "cache" not in model.state_dict() and "pos" in model.state_dict()
    assert [n for n, _ in model.named_buffers()] == ["pos", "cache"]
    assert [n for n, _ in model.named_modules()] == ["", "emb", "norm", "head"]
    assert [n for n, _ in model.named_children()] == ["emb", "norm", "head"]
    # the tied weight gets both gradients
    torch_model.load_state_dict(to_torch_state(model))
    idx = np.array([[1, 2, 3]])
    model(sh.tensor(idx)).sum().backward()
    torch_model(torch.tensor(idx)).sum().backward()
    np.testing.assert_allclose(
        model.emb.weight.grad.numpy(), torch_model.emb.weight.grad.numpy(), rtol=1e-5, atol=1e-6
    )


def test_state_dict_shares_memory_and_load_copies_in_place():
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    sd = model.state_dict()
    assert sd["0.weight"].array is model[0].weight.array
    assert not sd["0.weight"].requires_grad
    weight_array = model[0].weight.array
    torch.manual_seed(0)
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
    result = model.load_state_dict(torch_model.state_dict())  # torch tensors load directly
    assert model[0].weight.array is weight_array  # same array: optimizers stay valid
    np.testing.assert_array_equal(weight_array, torch_model[0].weight.detach().numpy())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    # round trip through torch
    other = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(other[0].bias.numpy(force=True), model[0].bias.numpy(force=True))


def test_load_state_dict_errors_name_keys_and_shapes():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    sd = dict(model.state_dict())
    before = model[0].weight.numpy(force=True).copy()
    bad = dict(sd)
    bad["0.weight"] = sh.zeros(5, 3)
    del bad["1.bias"]
    bad["extra.weight"] = sh.zeros(1)
    with pytest.raises(nn.StateDictError) as err:
        model.load_state_dict(bad)
    msg = str(err.value)
    assert '"1.bias"' in msg and '"extra.weight"' in msg
    assert "0.weight" in msg and "(5, 3)" in msg and "(4, 3)" in msg
    assert isinstance(err.value, RuntimeError) and isinstance(err.value, sh.ScratchishError)
    np.testing.assert_array_equal(model[0].weight.numpy(force=True), before)  # unchanged
    partial = dict(sd)
    del partial["1.bias"]
    partial["extra"] = sh.zeros(1)
    missing, unexpected = model.load_state_dict(partial, strict=False)
    assert missing == ["1.bias"] and unexpected == ["extra"]
    with pytest.raises(nn.StateDictError, match="size mismatch"):
        model.load_state_dict({**sd, "0.bias": sh.zeros(3)}, strict=False)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Sequential(
            m.Linear(784, 128), m.ReLU(), m.Dropout(0.2), m.LayerNorm(128), m.Linear(128, 10)
        ),
        lambda m: m.Sequential(
            m.Flatten(),
            m.Sequential(m.Linear(4, 4), m.GELU("tanh")),
            m.LeakyReLU(0.1, inplace=True),
            m.Softmax(dim=1),
        ),
        lambda m: m.ModuleDict({"enc": m.Embedding(5, 2, padding_idx=1), "act": m.Tanh()}),
        lambda m: m.MultiheadAttention(4, 2),
        lambda m: m.Sequential(m.CrossEntropyLoss(), m.MSELoss(), m.BCEWithLogitsLoss()),
    ],
)
def test_repr_and_state_dict_keys_equal_torch(make):
    model, torch_model = make(nn), make(torch.nn)
    assert repr(model) == repr(torch_model)
    assert list(model.state_dict()) == list(torch_model.state_dict())


def test_custom_module_repr_and_summary():
    model, torch_model = Tied(), TorchTied()
    assert repr(model) == repr(torch_model).replace("TorchTied", "Tied")
    text = model.summary()
    assert "Total params: 48 (trainable 48, frozen 0)" in text  # 40 + 4 + 4, tied counted once


def test_hooks_run_and_remove():
    layer = nn.Linear(2, 2)
    seen = []
    pre = layer.register_forward_pre_hook(lambda m, args: seen.append(("pre", args[0].shape)))
    post = layer.register_forward_hook(lambda m, args, out: out * 0)
    out = layer(sh.ones(3, 2))
    assert seen == [("pre", (3, 2))] and (out.numpy(force=True) == 0).all()
    pre.remove()
    post.remove()
    assert (layer(sh.ones(3, 2)).numpy(force=True) != 0).any() and len(seen) == 1
    double = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    np.testing.assert_allclose(
        layer(sh.ones(1, 2)).numpy(force=True),
        (layer.weight.sum(1) * 2 + layer.bias).numpy(force=True)[None],
    )
    double.remove()


def test_train_eval_apply_requires_grad_zero_grad():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert model.training and model[1].training
    assert model.eval() is model and not model[1].training
    model.train()
    assert model[1].training
    names = []
    model.apply(lambda m: names.append(type(m).__name__))
    assert names == ["Linear", "Dropout", "Sequential"]
    model[0](sh.ones(1, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert (model[0].weight.grad.numpy() == 0).all()
    model.zero_grad()
    assert model[0].weight.grad is None
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_dtype_keeps_parameter_objects_and_cuda_explains():
    model = nn.Sequential(nn.Linear(2, 3))
    weight = model[0].weight
    assert model.to(sh.float64) is model and model[0].weight is weight
    assert weight.dtype == sh.float64 and model(sh.ones(1, 2, dtype=sh.float64)).dtype == sh.float64
    model.float()
    assert weight.dtype == sh.float32
    assert model.to("cpu") is model and model.cpu() is model
    with pytest.raises(sh.UnsupportedError, match="CPU only"):
        model.cuda()
    with pytest.raises(sh.UnsupportedError):
        model.to("cuda")


def test_setattr_registration_rules_and_errors():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(sh.ones(2))
            self.sub = nn.Linear(1, 1)
            self.plain = 3

    net = Net()
    assert "w" in net._parameters and "sub" in net._modules and net.plain == 3
    with pytest.raises(sh.ArgumentError, match="nn.Parameter or None"):
        net.w = sh.ones(2)
    net.w = None
    assert net.w is None
    del net.sub
    assert "sub" not in net._modules
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        net.missing  # noqa: B018

    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"add super\(\)\.__init__\(\)"):
        Forgot()
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)
