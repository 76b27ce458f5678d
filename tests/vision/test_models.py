"""torchvision.models: the classifiers have torchvision's parameter counts and state_dict
names (so its .pth weights load), compute what PyTorch computes with those weights, train,
and load pretrained weights from PyTorch's cache. No network: weight files are made here."""

import warnings

import numpy as np
import pytest

import scratchish as sh
from helpers import optional_torch
from scratchish import compat, hub, nn
from scratchish.vision import models

torch = optional_torch()

# torchvision's published sizes: parameters and state_dict entries (with BatchNorm buffers)
SIZES = {
    "resnet18": (11_689_512, 122),
    "resnet50": (25_557_032, 320),
    "resnext50_32x4d": (25_028_904, 320),
    "vgg11_bn": (132_868_840, 62),
    "alexnet": (61_100_840, 16),
    "mobilenet_v2": (3_504_872, 314),
}
# a few entries of each, with their shapes, as in torchvision's files
ENTRIES = {
    "resnet18": {
        "conv1.weight": (64, 3, 7, 7),
        "layer2.0.downsample.0.weight": (128, 64, 1, 1),
        "layer4.1.bn2.running_var": (512,),
        "fc.weight": (1000, 512),
    },
    "resnet50": {"layer1.0.conv3.weight": (256, 64, 1, 1), "fc.weight": (1000, 2048)},
    "resnext50_32x4d": {"layer1.0.conv2.weight": (128, 4, 3, 3)},
    "vgg11_bn": {"features.1.running_mean": (64,), "classifier.6.weight": (1000, 4096)},
    "alexnet": {"features.10.weight": (256, 256, 3, 3), "classifier.1.weight": (4096, 9216)},
    "mobilenet_v2": {
        "features.0.0.weight": (32, 3, 3, 3),
        "features.1.conv.0.0.weight": (32, 1, 3, 3),
        "features.2.conv.0.0.weight": (96, 16, 1, 1),
        "features.18.0.weight": (1280, 320, 1, 1),
        "classifier.1.weight": (1000, 1280),
    },
}


@pytest.mark.parametrize("name", sorted(SIZES))
def test_models_have_torchvisions_sizes_and_names(name):
    model = models.get_model(name)
    n_params, n_entries = SIZES[name]
    assert sum(p.numel() for p in model.parameters()) == n_params
    assert models.get_model_weights(name).DEFAULT.meta["num_params"] == n_params
    state = model.state_dict()
    assert len(state) == n_entries
    for key, shape in ENTRIES[name].items():
        assert tuple(state[key].shape) == shape, key


def test_a_small_resnet_classifies_and_trains():
    sh.manual_seed(0)
    model = models.resnet18(num_classes=3)
    # torchvision's initialization: BatchNorm weight 1, conv weights Kaiming (fan_out)
    assert float(model.bn1.weight.min()) == 1.0
    std = float(model.conv1.weight.detach().numpy().std())
    assert abs(std - (2 / (64 * 49)) ** 0.5) < 0.003
    x, y = sh.randn(6, 3, 32, 32), sh.tensor([0, 1, 2, 0, 1, 2])
    assert model(x).shape == (6, 3)
    opt = sh.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(8):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_zero_init_residual_starts_each_block_as_the_identity():
    model = models.resnet18(zero_init_residual=True)
    assert float(model.layer1[0].bn2.weight.abs().max()) == 0.0
    assert float(models.resnet50(zero_init_residual=True).layer3[2].bn3.weight.abs().max()) == 0


def _torch_resnet(state, x, bottleneck):
    """ResNet's forward (eval) written with torch.nn.functional, reading the state_dict by
    torchvision's names: what torchvision's ResNet computes with the same weights."""
    F, t = torch.nn.functional, {k: torch.from_numpy(v.numpy()) for k, v in state.items()}

    def bn(prefix, h):
        return F.batch_norm(h, t[f"{prefix}.running_mean"], t[f"{prefix}.running_var"],
                            t[f"{prefix}.weight"], t[f"{prefix}.bias"], False)  # fmt: skip

    h = F.max_pool2d(
        F.relu(bn("bn1", F.conv2d(x, t["conv1.weight"], stride=2, padding=3))), 3, 2, 1
    )
    for stage in range(1, 5):
        i = 0
        while f"layer{stage}.{i}.conv1.weight" in t:
            p, stride = f"layer{stage}.{i}", 2 if stage > 1 and i == 0 else 1
            if bottleneck:
                out = F.relu(bn(f"{p}.bn1", F.conv2d(h, t[f"{p}.conv1.weight"])))
                out = F.relu(
                    bn(f"{p}.bn2", F.conv2d(out, t[f"{p}.conv2.weight"], stride=stride, padding=1))
                )
                out = bn(f"{p}.bn3", F.conv2d(out, t[f"{p}.conv3.weight"]))
            else:
                out = F.relu(
                    bn(f"{p}.bn1", F.conv2d(h, t[f"{p}.conv1.weight"], stride=stride, padding=1))
                )
                out = bn(f"{p}.bn2", F.conv2d(out, t[f"{p}.conv2.weight"], padding=1))
            if f"{p}.downsample.0.weight" in t:
                h = bn(
                    f"{p}.downsample.1", F.conv2d(h, t[f"{p}.downsample.0.weight"], stride=stride)
                )
            h, i = F.relu(out + h), i + 1
    return F.linear(h.mean((2, 3)), t["fc.weight"], t["fc.bias"])


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_resnet_computes_what_torch_computes_with_its_weights(name):
    if torch is None:
        pytest.skip("needs torch")
    sh.manual_seed(1)
    model = models.get_model(name, num_classes=5)
    for m in model.modules():  # BatchNorm statistics as after training, not 0 and 1
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(sh.randn(m.num_features) * 0.1)
            m.running_var.copy_(sh.rand(m.num_features) + 0.5)
    model.eval()
    x = np.random.default_rng(2).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with sh.no_grad():
        ours = model(sh.tensor(x)).numpy()
    theirs = _torch_resnet(model.state_dict(), torch.from_numpy(x), name == "resnet50").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4 * np.abs(theirs).max())


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    return folder


def test_pretrained_weights_load_from_pytorchs_cache(torch_home):
    sh.manual_seed(3)
    trained = models.mobilenet_v2()
    # the file torchvision would have downloaded, in PyTorch's format, where PyTorch keeps it
    sh.save(trained.state_dict(), torch_home / "mobilenet_v2-7ebf99e0.pth")
    weights = models.MobileNet_V2_Weights.DEFAULT
    assert weights is models.MobileNet_V2_Weights.IMAGENET1K_V2
    assert repr(weights) == "MobileNet_V2_Weights.IMAGENET1K_V2"
    model = models.mobilenet_v2(weights=weights).eval()
    x = sh.randn(1, 3, 40, 40)
    with sh.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), trained.eval()(x).numpy())
    again = models.get_model("mobilenet_v2", weights="DEFAULT")  # names work too
    np.testing.assert_array_equal(
        again.classifier[1].bias.detach().numpy(), trained.classifier[1].bias.detach().numpy()
    )
    # the preprocessing the weights were evaluated with: resize 232, crop 224, normalized
    preprocess = weights.transforms()
    assert (preprocess.resize_size, preprocess.crop_size) == ([232], [224])
    image = sh.randint(0, 256, (3, 300, 260), dtype=sh.uint8)
    batch = preprocess(image).unsqueeze(0)
    assert batch.shape == (1, 3, 224, 224) and batch.dtype == sh.float32
    assert -2.2 < float(batch.min()) < -1.7 and 2.3 < float(batch.max()) < 2.7


def test_old_pretrained_flag_warns_and_maps_to_v1(torch_home):
    sh.save(models.alexnet().state_dict(), torch_home / "alexnet-owt-7be5be79.pth")
    with pytest.warns(
        UserWarning, match=r"'pretrained' is deprecated.*AlexNet_Weights\.IMAGENET1K_V1"
    ):
        models.alexnet(pretrained=True)
    with warnings.catch_warnings(record=True):
        assert isinstance(models.alexnet(pretrained=False), models.AlexNet)


def test_weights_mistakes_explain():
    with pytest.raises(sh.ArgumentError, match=r"num_classes=10 .*model\.fc = nn\.Linear"):
        models.resnet18(weights="DEFAULT", num_classes=10)
    with pytest.raises(sh.ArgumentError, match=r"takes ResNet18_Weights .*not ResNet50_Weights"):
        models.resnet18(weights=models.ResNet50_Weights.DEFAULT)
    with pytest.raises(
        sh.ArgumentError, match=r"ResNet18_Weights has \['DEFAULT', 'IMAGENET1K_V1'\]"
    ):
        models.resnet18(weights="IMAGENET1K_V2")
    with pytest.raises(sh.ArgumentError, match="Did you mean resnet18"):
        models.get_model("resnet19")


def test_model_registry_as_torchvisions():
    assert "resnet18" in models.list_models() and "vgg16_bn" in models.list_models()
    assert models.list_models(include="vgg1?") == ["vgg11", "vgg13", "vgg16", "vgg19"]
    assert "resnet50" not in models.list_models(include="resnet*", exclude="*50")
    weights = models.get_weight("ResNet50_Weights.IMAGENET1K_V2")
    assert weights.url == "https://download.pytorch.org/models/resnet50-11ad3fa6.pth"
    assert models.get_model_weights("resnet50").DEFAULT is weights
    assert compat.resolve("torchvision.models.resnet18") is models.resnet18


def test_meta_names_what_is_not_bundled():
    meta = models.ResNet18_Weights.DEFAULT.meta
    assert meta["min_size"] == (1, 1) and meta.get("categories") is None
    with pytest.raises(sh.UnsupportedError, match="1000 ImageNet classes are not bundled"):
        meta["categories"]
    with pytest.raises(KeyError):
        meta["recipe"]
