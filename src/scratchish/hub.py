"""torch.hub's weight files: download a checkpoint once, keep it in a cache folder, load it.

    state_dict = torch.hub.load_state_dict_from_url(url)   # torchvision's weights use this

The cache is PyTorch's own, `$TORCH_HOME/hub/checkpoints` (by default
`~/.cache/torch/hub/checkpoints`), so a file PyTorch has already downloaded is found here
without downloading it again, and the other way round. A file name such as
`resnet18-f37072fd.pth` carries the start of the file's SHA-256: with check_hash=True a file
whose hash does not start so is refused. Downloads go to a `.part` file next to the target and
are renamed into place only when complete and verified, so an interrupted download never looks
finished; the next call resumes it where the server allows.

torch.hub.load (running a model's code from a GitHub repository) is not here: that code is
written for PyTorch. Read next: vision/models/_api.py, where the weights are named.
"""

from __future__ import annotations

import os
import re
import sys
import urllib.parse
from pathlib import Path

from . import compat
from .datasets.download import ChecksumError, DownloadError, _download, _reason, sha256_of
from .errors import ArgumentError

__all__ = ["download_url_to_file", "get_dir", "load_state_dict_from_url", "set_dir"]

# torch.hub's rule: the hash is what follows the last '-' of the name, up to the first '.'
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_hub_dir: str | None = None


def get_dir() -> str:
    """The hub's folder: what set_dir gave, else $TORCH_HOME/hub, where TORCH_HOME defaults to
    $XDG_CACHE_HOME/torch or ~/.cache/torch (PyTorch's own, shared with it)."""
    if _hub_dir is not None:
        return _hub_dir
    home = os.environ.get("TORCH_HOME")
    if home is None:
        cache = os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache"))
        home = os.path.join(cache, "torch")
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use folder `d` as the hub's folder from now on (checkpoints go to d/checkpoints)."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(
    url: str, dst: str | os.PathLike, hash_prefix: str | None = None, progress: bool = True
) -> None:
    """Download `url` to the file `dst`: into `dst.part` first (resumed if a download was cut
    off), checked against `hash_prefix` (the start of its SHA-256) when given, then renamed
    to `dst` in one step.

    Raises:
        DownloadError: the server could not be reached; the message says where to put the
            file by hand. The bytes received so far are kept for the next call.
        ChecksumError: the file's SHA-256 does not start with hash_prefix; the file is deleted.
    """
    target = Path(os.path.expanduser(os.fspath(dst)))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        _download(url, partial, timeout=30.0, verbose=progress)
    except OSError as e:  # URLError, refused connections, timeouts and resets mid-way
        kept = partial.stat().st_size if partial.exists() else 0
        raise DownloadError(
            f"could not download {url}: {_reason(e)}.\n"
            + (f"The {kept:,} bytes received are kept; calling again resumes.\n" if kept else "")
            + f"If this machine is offline, download the file on a machine that is online and "
            f"put it, unchanged, at\n  {target}"
        ) from None
    if hash_prefix is not None:
        digest = sha256_of(partial)
        if not digest.startswith(hash_prefix):
            partial.unlink()
            raise ChecksumError(
                f"{url}: the downloaded file's SHA-256 is {digest}, which does not start "
                f"with '{hash_prefix}' as its name says. The file is damaged or not the "
                f"published one, so it was deleted; call again to download it afresh."
            )
    os.replace(partial, target)  # atomic: the target is either absent or complete
    if progress:
        print(f"saved {target}", file=sys.stderr)


def load_state_dict_from_url(
    url: str,
    model_dir: str | os.PathLike | None = None,
    map_location=None,
    progress: bool = True,
    check_hash: bool = False,
    file_name: str | None = None,
    weights_only: bool = False,
) -> dict:
    """The state_dict in the checkpoint at `url`, downloaded to `model_dir` (default
    get_dir()/checkpoints) the first time and read from there afterwards.

    Args:
        url: where the file is (https, http or file://).
        model_dir: the folder to keep it in.
        map_location: accepted for PyTorch's code; everything loads onto the CPU.
        progress: print a line when a download starts and ends.
        check_hash: refuse a downloaded file whose SHA-256 does not start with the hex
            digits after the last '-' of its name (resnet18-f37072fd.pth: f37072fd).
        file_name: the name to keep it under (default: the last part of the URL).
        weights_only: accepted; the file is always read without running its code.

    Example:
        >>> sd = torch.hub.load_state_dict_from_url(
        ...     "https://download.pytorch.org/models/resnet18-f37072fd.pth")  # doctest: +SKIP
    """
    if not isinstance(url, str):
        raise ArgumentError(f"load_state_dict_from_url: url must be a str, got {url!r:.60}.")
    folder = Path(os.fspath(model_dir)) if model_dir is not None else None
    folder = folder or Path(get_dir()) / "checkpoints"
    name = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    if not name:
        raise ArgumentError(
            f"load_state_dict_from_url: {url!r} does not end in a file name; pass file_name=."
        )
    cached = folder.expanduser() / name
    if not cached.exists():
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(name)
            hash_prefix = match.group(1) if match else None
        download_url_to_file(url, cached, hash_prefix, progress=progress)
    from .serialization import load

    return load(cached, map_location=map_location, weights_only=True)


def __getattr__(name: str):
    return compat.unsupported_attribute("torch.hub", name)
