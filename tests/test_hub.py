"""torch.hub's weight files: download once into PyTorch's cache, check the hash in the name,
load; files here are written by the tests and fetched through file:// URLs (no network)."""

import hashlib

import numpy as np
import pytest

import scratchish as sh
from scratchish import compat, hub
from scratchish.datasets.download import ChecksumError, DownloadError


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    """A fresh TORCH_HOME, so the user's cache is neither read nor written."""
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    return tmp_path / "torch_home" / "hub"


def _published(folder, state):
    """A .pth file named like torchvision's, name-<start of its SHA-256>.pth, and its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    plain = folder / "tiny.pth"
    sh.save(state, plain)
    prefix = hashlib.sha256(plain.read_bytes()).hexdigest()[:8]
    named = plain.rename(folder / f"tiny-{prefix}.pth")
    return named, named.as_uri(), prefix


def test_get_dir_follows_torch_home_and_set_dir(hub_dir, tmp_path):
    assert hub.get_dir() == str(hub_dir)
    hub.set_dir(tmp_path / "elsewhere")
    assert hub.get_dir() == str(tmp_path / "elsewhere")


def test_load_state_dict_from_url_downloads_once_then_reads_the_cache(hub_dir, tmp_path, capsys):
    weights = {"w": sh.arange(6.0).reshape(2, 3), "b": sh.tensor([1.5, -2.0])}
    source, url, _ = _published(tmp_path / "server", weights)
    loaded = hub.load_state_dict_from_url(url, check_hash=True)
    cached = hub_dir / "checkpoints" / source.name
    assert cached.read_bytes() == source.read_bytes()
    assert not cached.with_name(cached.name + ".part").exists()
    assert sorted(loaded) == ["b", "w"]
    np.testing.assert_array_equal(loaded["w"].numpy(), weights["w"].numpy())
    assert "saved" in capsys.readouterr().err
    source.unlink()  # the second call must not need the server
    again = hub.load_state_dict_from_url(url, progress=False)
    np.testing.assert_array_equal(again["b"].numpy(), [1.5, -2.0])
    # model_dir and file_name choose where it is kept
    other = tmp_path / "models"
    cached.rename(tmp_path / "copy.pth")
    url2 = (tmp_path / "copy.pth").as_uri()
    hub.load_state_dict_from_url(url2, model_dir=other, file_name="mine.pth", progress=False)
    assert (other / "mine.pth").exists()


def test_a_file_whose_hash_is_not_its_names_is_refused_and_deleted(hub_dir, tmp_path):
    source, _, prefix = _published(tmp_path / "server", {"w": sh.ones(3)})
    wrong = "0" * 8 if prefix != "0" * 8 else "1" * 8
    renamed = source.rename(source.with_name(f"tiny-{wrong}.pth"))
    with pytest.raises(ChecksumError, match=f"does not start with '{wrong}'.*deleted"):
        hub.load_state_dict_from_url(renamed.as_uri(), check_hash=True, progress=False)
    assert list((hub_dir / "checkpoints").iterdir()) == []
    # without check_hash the same file loads
    assert hub.load_state_dict_from_url(renamed.as_uri(), progress=False)["w"].shape == (3,)


def test_an_unreachable_url_says_where_to_put_the_file(hub_dir, tmp_path):
    url = (tmp_path / "nowhere" / "resnet18-f37072fd.pth").as_uri()
    with pytest.raises(DownloadError, match=r"(?s)could not download .*put it, unchanged, at\n.*"
                       r"checkpoints/resnet18-f37072fd\.pth"):  # fmt: skip
        hub.load_state_dict_from_url(url, progress=False)
    with pytest.raises(sh.ArgumentError, match="does not end in a file name"):
        hub.load_state_dict_from_url("https://example.org/", progress=False)


def test_torch_hub_resolves_here_and_hub_load_explains():
    assert compat.resolve("torch.hub.load_state_dict_from_url") is hub.load_state_dict_from_url
    with pytest.raises(sh.UnsupportedError, match="written for PyTorch.*torchvision.models"):
        compat.resolve("torch.hub.load")
