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
    with pytest.raises(ValueError, match="bare Python pickle.*never unpickles anything else"):
        load(path)
    assert not marker.exists()


def test_code_in_a_torch_save_file_is_refused_and_never_run(tmp_path):
    # torch.save's format with a payload that would create a file when unpickled: the
    # allowlist stops it at its first name, before anything is called
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    save({"w": sh.ones(2)}, path)
    evil = zip_with_pickle(path, pickle.dumps({"evil": Payload(marker)}, protocol=2))
    with pytest.raises(ValueError, match=r"holds a [\w.]+, which scratchish does not load"):
        load(evil)
    assert not marker.exists()


def zip_with_pickle(path, data_pkl: bytes):
    """A copy of the torch-format file at `path` with its data.pkl replaced."""
    import zipfile

    out = path.with_name("evil.pt")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            payload = data_pkl if info.filename.endswith("/data.pkl") else src.read(info)
            dst.writestr(info.filename, payload)
    return out


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
    with pytest.raises(ValueError, match=r"model\.npz.*does not end in \.safetensors or a Py"):
        save({"w": sh.ones(1)}, tmp_path / "model.npz")
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


# ------------------------------------------------------------------ PyTorch's own format


def checkpoint():
    """A training checkpoint as PyTorch's tutorial saves one: a model's and an optimizer's
    state_dicts (0-d step tensors), numbers, and tensors of several dtypes and layouts."""
    sh.manual_seed(0)
    model = sh.nn.Sequential(sh.nn.Linear(3, 4), sh.nn.ReLU(), sh.nn.Linear(4, 2))
    opt = sh.optim.Adam(model.parameters(), lr=0.01)
    model(sh.randn(5, 3)).square().mean().backward()
    opt.step()
    return {
        "epoch": 3,
        "loss": np.float32(0.25),
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": opt.state_dict(),
        "transposed": sh.arange(6).reshape(2, 3).t(),
        "flags": sh.tensor([True, False]),
        "half": sh.ones(2, dtype=sh.float16),
        "names": ("a", "b"),
    }


def assert_same_values(ours, theirs):
    """Equal structure and values; tensors of either library compared as arrays."""
    if isinstance(ours, dict):
        assert list(ours) == list(theirs)
        for key in ours:
            assert_same_values(ours[key], theirs[key])
    elif isinstance(ours, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same_values(a, b)
    elif hasattr(ours, "shape"):
        a, b = np.asarray(ours.detach().numpy()), np.asarray(theirs.detach().numpy())
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    else:
        assert ours == theirs


def test_a_pth_file_round_trips_with_its_structure(tmp_path):
    ck = checkpoint()
    path = tmp_path / "checkpoint.pth"
    save(ck, path)
    back = load(path)
    expected = dict(ck, loss=0.25)  # a NumPy scalar comes back as the Python number
    assert_same_values(back, expected)
    assert type(back["model_state_dict"]) is type(ck["model_state_dict"])
    assert back["optimizer_state_dict"]["state"][0]["step"].shape == ()
    assert back["transposed"].is_contiguous()


def test_storages_are_aligned_for_torchs_mmap(tmp_path):
    import zipfile

    path = tmp_path / "m.pt"
    save({"a": sh.ones(3), "b": sh.zeros(5, dtype=sh.int64)}, path)
    with zipfile.ZipFile(path) as archive:
        data = [i for i in archive.infolist() if "/data/" in i.filename]
        assert len(data) == 2
        for info in data:  # the bytes start after the local header, its name and extra field
            start = info.header_offset + 30 + len(info.filename) + len(info.extra)
            assert start % 64 == 0


def test_torch_loads_our_pth_and_trains_on(tmp_path):
    torch = pytest.importorskip("torch")
    ck = checkpoint()
    path = tmp_path / "checkpoint.pth"
    save(ck, path)
    theirs = torch.load(path, weights_only=True)  # torch's safe mode accepts the file
    assert_same_values(dict(ck, loss=0.25), theirs)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    model.load_state_dict(theirs["model_state_dict"])
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    opt.load_state_dict(theirs["optimizer_state_dict"])
    assert opt.state_dict()["state"][0]["step"].item() == 1.0
    assert torch.load(path, weights_only=True, mmap=True)["epoch"] == 3


def test_we_load_torch_save_files(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    base = torch.arange(10.0)
    theirs = {
        "model": model.state_dict(),
        "opt": opt.state_dict(),
        "view": base[2:5],  # views into one storage, at an offset and with a stride
        "strided": base[::3],
        "step": torch.tensor(7),
        "half": torch.ones(2, 2, dtype=torch.float16),
    }
    path = tmp_path / "torch.pth"
    torch.save(theirs, path)
    ours = load(path)
    assert_same_values(ours, theirs)
    mine = sh.nn.Linear(3, 2)
    mine.load_state_dict(ours["model"])
    np.testing.assert_array_equal(mine.weight.detach().numpy(), model.weight.detach().numpy())
    sgd = sh.optim.SGD(mine.parameters(), lr=0.1, momentum=0.9)
    sgd.load_state_dict(ours["opt"])  # the momentum buffers come along
    np.testing.assert_array_equal(
        sgd.state[mine.weight]["momentum_buffer"].numpy(),
        opt.state[model.weight]["momentum_buffer"].numpy(),
    )


def test_a_whole_model_is_refused_both_ways(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "whole.pth")
    with pytest.raises(ValueError, match=r"torch\.nn\.modules\.linear\.Linear.*state_dict"):
        load(tmp_path / "whole.pth")
    with pytest.raises(ValueError, match=r"obj\['m'\] is a Linear.*state_dict\(\)"):
        save({"m": sh.nn.Linear(2, 2)}, tmp_path / "mine.pth")
    assert not (tmp_path / "mine.pth").exists()
