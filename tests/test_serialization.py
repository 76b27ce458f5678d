"""sh.save / sh.load: round trips, atomic writes, pickles refused (and never run), and files
that PyTorch reads with safetensors.torch (and the other way round)."""

import importlib.util
import io
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

import scratchish as sh
from scratchish import serialization
from scratchish.serialization import load, save

pytest.importorskip("safetensors")


def assert_same(loaded, original):
    """Same structure, same tensor values, dtypes and shapes."""
    if isinstance(original, (sh.Tensor, np.ndarray)):
        expected = original.numpy() if isinstance(original, sh.Tensor) else original
        assert isinstance(loaded, sh.Tensor)
        assert loaded.numpy().dtype == expected.dtype
        assert loaded.shape == expected.shape
        np.testing.assert_array_equal(loaded.numpy(), expected)
    elif isinstance(original, dict):
        assert list(loaded) == list(original)
        for key in original:
            assert_same(loaded[key], original[key])
    elif isinstance(original, (list, tuple)):
        assert type(loaded) is type(original) and len(loaded) == len(original)
        for a, b in zip(loaded, original):
            assert_same(a, b)
    elif isinstance(original, float) and np.isnan(original):
        assert np.isnan(loaded)
    else:
        assert type(loaded) is type(original) and loaded == original


def some_tensors():
    rng = np.random.default_rng(0)
    return {
        "f32": sh.tensor(rng.standard_normal((2, 3)).astype(np.float32)),
        "f64": sh.tensor(rng.standard_normal(4)),
        "i64": sh.arange(6).reshape(2, 3),
        "bool": sh.tensor([True, False, True]),
        "scalar": sh.tensor(3.5),
        "empty": sh.zeros(0, 4),
        "f16": sh.tensor(np.array([1.5, -2.0], dtype=np.float16)),
        "u8": sh.tensor(np.array([0, 255], dtype=np.uint8)),
        "i32": sh.tensor(np.array([[-7]], dtype=np.int32)),
        "transposed": sh.arange(6.0).reshape(2, 3).T,  # not C-contiguous
        "array": np.arange(5, dtype=np.int16),  # a NumPy array comes back as a Tensor
    }


# ------------------------------------------------------------------ round trips


def test_round_trip_dtypes_and_shapes(tmp_path):
    state = some_tensors()
    path = tmp_path / "state.safetensors"
    save(state, path)
    loaded = load(path)
    assert_same(loaded, state)
    loaded["f32"].add_(1)  # loaded weights can be trained further in place
    assert load(str(path))["f32"].allclose(state["f32"])


def test_round_trip_checkpoint_with_optimizer_state(tmp_path):
    checkpoint = {
        "model": {"0.weight": sh.randn(3, 2), "0.bias": sh.zeros(3)},
        "optimizer": {
            "state": {0: {"step": sh.tensor(4.0), "exp_avg": sh.ones(3, 2)}, 1: {}},
            "param_groups": [
                {
                    "lr": 1e-3,
                    "betas": (0.9, 0.999),
                    "eps": 1e-8,
                    "amsgrad": False,
                    "maximize": None,
                    "params": [0, 1],
                }
            ],
        },
        "epoch": 7,
        "best": float("inf"),
        "last": float("nan"),
        "name": "mlp",
        "history": [0.5, 0.25],
        "odd keys": {"__tensor__": "not a placeholder", (1, "a"): 2, 2.5: True, None: []},
        "__tuple__": (sh.ones(1), "x"),
    }
    path = tmp_path / "ckpt.safetensors"
    save(checkpoint, path)
    assert_same(load(path), checkpoint)


def test_round_trip_through_file_objects_and_numpy_scalars():
    buffer = io.BytesIO()
    save({"w": sh.ones(2), "n": np.int64(3), "x": np.float32(0.5)}, buffer)
    loaded = load(io.BytesIO(buffer.getvalue()))
    assert loaded["w"].tolist() == [1.0, 1.0] and loaded["n"] == 3 and loaded["x"] == 0.5
    assert type(loaded["n"]) is int


def test_saving_other_objects_names_them(tmp_path):
    with pytest.raises(TypeError, match=r"function_or_method at obj\['opt'\]\['fn'\]"):
        save({"opt": {"fn": len}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="complex128"):
        save({"z": np.zeros(2, dtype=complex)}, tmp_path / "x.safetensors")
    assert not list(tmp_path.iterdir())


def test_load_accepts_torch_keywords(tmp_path):
    path = tmp_path / "w.safetensors"
    save({"w": sh.ones(1)}, path)
    for kwargs in (
        {"map_location": "cpu"},
        {"map_location": sh.device("cpu")},
        {"map_location": {"cuda:0": "cpu"}},
        {"weights_only": True},
        {"weights_only": False, "mmap": True},
    ):
        assert load(path, **kwargs)["w"].tolist() == [1.0]
    with pytest.raises(TypeError, match="CPU only"):
        load(path, map_location="cuda")


# ------------------------------------------------------------------ atomic writes


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save({"w": sh.zeros(1000)}, path)
    before = path.read_bytes()

    def write_half_then_fail(file, payload):
        file.write(payload[: len(payload) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "_write_all", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save({"w": sh.ones(1000)}, path)
    assert path.read_bytes() == before
    assert load(path)["w"].sum().item() == 0
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]  # no temp file left


@pytest.mark.parametrize("error", [OSError("fsync failed"), KeyboardInterrupt()])
def test_failure_before_rename_leaves_no_file(tmp_path, monkeypatch, error):
    def fail(fd):
        raise error

    monkeypatch.setattr(serialization.os, "fsync", fail)
    with pytest.raises(type(error)):
        save({"w": sh.ones(3)}, tmp_path / "new.safetensors")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ refusing pickles


class Payload:
    """Unpickling this creates the marker file: what a malicious checkpoint could do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("name", ["evil.safetensors", "evil.pt", "evil.pkl"])
def test_pickle_is_refused_and_never_run(tmp_path, name):
    marker = tmp_path / "pwned"
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"w": Payload(marker)}))
    with pytest.raises(ValueError, match="not a safetensors file.*pickle.*never unpickles"):
        load(path)
    assert not marker.exists()


def test_torch_save_file_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2), "evil": Payload(marker)}, path)
    with pytest.raises(ValueError, match=r"'.*model\.pt' is not a safetensors file.*zip"):
        load(path)
    assert not marker.exists()


def test_damaged_file_is_refused(tmp_path):
    path = tmp_path / "cut.safetensors"
    save({"w": sh.ones(100)}, path)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="cut.safetensors"):
        load(path)


# ------------------------------------------------------------------ paths


def test_path_errors_name_the_path(tmp_path):
    missing = tmp_path / "nope.safetensors"
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        load(missing)
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        load(tmp_path)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save({}, tmp_path)
    with pytest.raises(ValueError, match=r"model\.pt.*does not end in \.safetensors"):
        save({"w": sh.ones(1)}, tmp_path / "model.pt")
    with pytest.raises(FileNotFoundError, match="no_dir"):
        save({"w": sh.ones(1)}, tmp_path / "no_dir" / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_missing_safetensors_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"pip install scratchish\[weights\]"):
        save({"w": sh.ones(1)}, io.BytesIO())


# ------------------------------------------------------------------ PyTorch interop


def test_pytorch_reads_our_file(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    state = {k: v for k, v in some_tensors().items() if k != "array"}
    path = tmp_path / "state.safetensors"
    save(state, path)
    theirs = load_file(path)
    assert set(theirs) == set(state)
    for key, ours in state.items():
        assert str(theirs[key].dtype) == f"torch.{ours.dtype.name}"
        np.testing.assert_array_equal(theirs[key].numpy(), ours.numpy())
    assert theirs["transposed"].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert isinstance(theirs["scalar"], torch.Tensor) and theirs["scalar"].shape == ()


def test_we_read_pytorch_files(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    state = {"b.weight": torch.randn(3, 4), "a.steps": torch.arange(5), "c": torch.tensor(True)}
    path = tmp_path / "torch.safetensors"
    save_file(state, path)
    loaded = load(path)
    assert set(loaded) == set(state)
    for key, value in state.items():
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy())
    save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, path)
    with pytest.raises(TypeError, match="'w'.*BF16.*float()"):
        load(path)


# ------------------------------------------------------------------ modules (nn)


def needs_nn(*names):
    """Skip unless scratchish.nn provides these layers (nn is written alongside)."""
    if importlib.util.find_spec("scratchish.nn") is None:
        pytest.skip("scratchish.nn does not exist yet")
    nn = importlib.import_module("scratchish.nn")
    missing = [n for n in names if not hasattr(nn, n)]
    if missing:
        pytest.skip(f"scratchish.nn has no {', '.join(missing)} yet")
    return nn


def build_pair(torch, make, layers):
    """The same architecture in scratchish and torch: make(nn_module) -> a module."""
    nn = needs_nn("Sequential", "Linear", "ReLU", *layers)
    return make(nn), make(torch.nn)


def mlp(nn):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def cnn(nn):
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 5 * 5, 2)
    )


def grouped_cnn(nn):
    """Grouped and depthwise layers: weights (C_out, C_in / groups, k...), as PyTorch's."""
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, groups=2),
        nn.Conv2d(4, 8, 3, padding=1, groups=4, bias=False),
        nn.Flatten(),
        nn.Linear(8 * 5 * 5, 2),
    )


@pytest.mark.parametrize(
    "make, layers, input_shape",
    [
        (mlp, (), (5, 4)),
        (cnn, ("Conv2d", "Flatten"), (2, 1, 5, 5)),
        (grouped_cnn, ("Conv2d", "Flatten"), (2, 2, 5, 5)),
    ],
)
def test_saved_module_loads_in_pytorch(tmp_path, make, layers, input_shape):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    ours, theirs = build_pair(torch, make, layers)
    path = tmp_path / "model.safetensors"
    save(ours.state_dict(), path)
    theirs.load_state_dict(load_file(path))
    x = np.random.default_rng(0).standard_normal(input_shape).astype(np.float32)
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(sh.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    fresh = make(needs_nn())
    fresh.load_state_dict(load(path))  # and back into scratchish
    np.testing.assert_allclose(fresh(sh.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_loading_into_the_wrong_architecture_names_the_keys(tmp_path):
    nn = needs_nn("Sequential", "Linear", "ReLU")
    path = tmp_path / "model.safetensors"
    save(mlp(nn).state_dict(), path)
    state = load(path)
    bigger = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(RuntimeError, match=r"4\.weight"):  # missing keys
        bigger.load_state_dict(state)
    smaller = nn.Sequential(nn.Linear(4, 8))
    with pytest.raises(RuntimeError, match=r"2\.weight"):  # unexpected keys
        smaller.load_state_dict(state)
    wider = nn.Sequential(nn.Linear(4, 9), nn.ReLU(), nn.Linear(9, 3))
    with pytest.raises(RuntimeError, match=r"0\.weight.*(\(8, 4\)|\[8, 4\])"):  # mis-shaped
        wider.load_state_dict(state)


def test_checkpoint_of_model_and_optimizer_resumes_exactly(tmp_path):
    nn = needs_nn("Sequential", "Linear", "ReLU")
    optim = pytest.importorskip("scratchish.optim")

    def one_step(model, opt):
        opt.zero_grad()
        model(sh.ones(2, 4)).sum().backward()
        opt.step()

    sh.manual_seed(0)
    model = mlp(nn)
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    one_step(model, opt)
    path = tmp_path / "ckpt.safetensors"
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}, path)
    checkpoint = load(path)
    resumed = mlp(nn)
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt = optim.Adam(resumed.parameters(), lr=0.5)
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    assert checkpoint["epoch"] == 1 and resumed_opt.param_groups[0]["lr"] == 0.01
    one_step(model, opt)
    one_step(resumed, resumed_opt)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_os_replace_is_used_for_the_final_rename(tmp_path, monkeypatch):
    renames = []
    real_replace = os.replace

    def spy(src, dst):
        renames.append((Path(src).parent, Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(serialization.os, "replace", spy)
    save({"w": sh.ones(1)}, tmp_path / "m.safetensors")
    assert renames == [(tmp_path, "m.safetensors")]  # the temp file was in the same directory
