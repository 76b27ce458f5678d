"""Getting a data set file onto this machine once, safely: the cache folder, mirrors, SHA-256.

`fetch(remote, mirrors, folder)` returns the path of a verified file, downloading it first if
it is not there yet. mnist.py and cifar.py call it; builtin.py, images.py and text.py need no
network at all. The errors a learner may meet are defined here too. Read next: mnist.py.

How a download stays safe:
- bytes go to `<name>.part` next to the target, never to the target itself, and only a
  complete file whose SHA-256 matches is renamed into place (`os.replace` is atomic), so an
  interrupted or corrupted download never looks like a finished one;
- a `.part` left by an interrupted download is resumed with an HTTP Range request when the
  server supports it (otherwise the download starts again from zero);
- a file whose checksum is wrong is deleted, and the error names the file and both hashes;
- with no network, the error says which files to download elsewhere and where to put them.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScratchishError

CHUNK = 1 << 20  # read and hash 1 MiB at a time, so a 170 MB file never sits in memory


class DatasetError(ScratchishError, ValueError):
    """A data set file or folder that cannot be used: missing, empty, truncated, wrong format."""

    code = "dataset"


class ChecksumError(DatasetError):
    """A downloaded (or hand-placed) file whose SHA-256 differs from the published one."""

    code = "checksum"


class DownloadError(ScratchishError, ConnectionError):
    """No mirror could be reached: the machine is offline or every server failed."""

    code = "offline"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set as published: its name, size in bytes and SHA-256 (hex).

    Example:
        >>> import hashlib
        >>> f = RemoteFile("abc.txt", 3, hashlib.sha256(b"abc").hexdigest())
        >>> f.sha256[:16]
        'ba7816bf8f01cfea'
    """

    name: str
    size: int
    sha256: str


def cache_dir() -> Path:
    """The folder where downloaded data sets live: `$SCRATCHISH_DATA`, else
    `~/.cache/scratchish/datasets`. It is not created here (see `fetch`).

    Example:
        >>> os.environ["SCRATCHISH_DATA"] = "/data/sets"
        >>> str(cache_dir())
        '/data/sets'
        >>> del os.environ["SCRATCHISH_DATA"]
    """
    env = os.environ.get("SCRATCHISH_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "scratchish" / "datasets"


def sha256_of(path: str | os.PathLike) -> str:
    """The SHA-256 of a file as 64 hex digits, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, remote: RemoteFile, delete: bool = True) -> None:
    """Raise ChecksumError (and delete the file if `delete`) unless its SHA-256 is the
    published one."""
    actual = sha256_of(path)
    if actual == remote.sha256:
        return
    size = path.stat().st_size
    if delete:
        path.unlink()
    raise ChecksumError(
        f"{remote.name}: the SHA-256 of {path} ({size} bytes) is\n  {actual}\nbut the "
        f"published file ({remote.size} bytes) has\n  {remote.sha256}\nThe file is damaged "
        f"or is not the official one"
        + (", so it was deleted; call again to download it afresh." if delete else ".")
    )


def fetch(
    remote: RemoteFile,
    mirrors: list[str],
    folder: str | os.PathLike,
    download: bool = True,
    timeout: float = 30.0,
    verbose: bool = True,
    siblings: tuple[RemoteFile, ...] = (),
) -> Path:
    """The path of `folder/remote.name`, verified; downloaded from the first mirror that works
    if it is not there yet.

    Args:
        remote: the file's name, size and SHA-256.
        mirrors: base URLs tried in order; the file's URL is `mirror + remote.name`
            (http, https and file:// URLs work).
        folder: where the file goes; created if needed.
        download: if False, a missing file is an error instead of a download.
        timeout: seconds to wait for a server before trying the next mirror.
        verbose: print one line when a download starts and one when it ends.
        siblings: the other files of the same data set: the message for putting files in
            place by hand lists those that are missing too.

    Returns:
        The Path of the verified file.

    Raises:
        ChecksumError: the file's SHA-256 is wrong (the bad file is deleted).
        DownloadError: no mirror could be reached; the message says where to put the file.
        DatasetError: the file is missing and `download` is False.
    """
    folder = Path(folder).expanduser()
    target = folder / remote.name
    if target.exists():
        verify(target, remote)
        return target
    if not download:
        raise DatasetError(
            f"{remote.name} is not in {folder} and download=False. Call again with "
            f"download=True, or copy the file there by hand.\n"
            + manual_steps(_missing(remote, siblings, folder), mirrors, folder)
        )
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / (remote.name + ".part")
    failures = []
    if partial.exists() and partial.stat().st_size >= remote.size:
        partial.unlink()  # complete or too long: a server would refuse to resume it (HTTP 416)
    for mirror in mirrors:
        url = mirror + remote.name
        try:
            _download(url, partial, timeout, verbose)
        except (OSError, http.client.HTTPException, ValueError) as e:
            # OSError covers URLError, refused connections, timeouts and resets mid-way;
            # the .part file stays, so the next mirror (or the next call) resumes from it
            failures.append(f"  {url}: {_reason(e)}")
            continue
        have = partial.stat().st_size
        if have < remote.size:
            # a server that closes the connection early can look like a finished download
            failures.append(f"  {url}: stopped after {have:,} of {remote.size:,} bytes")
            continue
        try:
            verify(partial, remote)
        except ChecksumError as e:
            raise ChecksumError(f"{e.args[0]}\n(downloaded from {url})") from None
        os.replace(partial, target)  # atomic: the target is either absent or complete
        if verbose:
            print(f"saved {target}", file=sys.stderr)
        return target
    resume = (
        f"The {partial.stat().st_size:,} bytes received are kept in {partial.name}; calling "
        f"again resumes from there.\n"
        if partial.exists()
        else ""
    )
    raise DownloadError(
        f"could not download {remote.name} from any mirror:\n"
        + "\n".join(failures)
        + "\n"
        + resume
        + "If this machine is offline, download the files on a machine that is online and "
        "copy them here by hand.\n"
        + manual_steps(_missing(remote, siblings, folder), mirrors, folder)
    )


def _missing(remote: RemoteFile, siblings, folder: Path) -> list[RemoteFile]:
    others = [f for f in siblings if f.name != remote.name and not (folder / f.name).exists()]
    return [remote, *others]


def manual_steps(remotes: list[RemoteFile], mirrors: list[str], folder: Path) -> str:
    """The exact files and folder for putting a data set in place by hand."""
    lines = [f"Put these files, unchanged (do not unpack them), in the folder\n  {folder}"]
    for remote in remotes:
        where = mirrors[0] + remote.name if mirrors else remote.name
        lines.append(f"  {remote.name}  ({remote.size:,} bytes, from {where})")
    lines.append(
        "(To keep data sets in another place, set the environment variable SCRATCHISH_DATA "
        "to a folder: each data set then gets a sub-folder there named after it, such as "
        "mnist, fashion_mnist or cifar10.)"
    )
    return "\n".join(lines)


def _download(url: str, partial: Path, timeout: float, verbose: bool) -> None:
    """Append the bytes of `url` to `partial`, resuming from its current length if the
    server honours a Range request (206 Partial Content)."""
    have = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "scratchish"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        resumed = have > 0 and getattr(response, "status", None) == 206
        if verbose:
            size = response.headers.get("Content-Length")
            shown = f" ({int(size) / 1e6:.1f} MB)" if size and size.isdigit() else ""
            how = f"resuming at byte {have}" if resumed else "downloading"
            print(f"{how} {url}{shown}", file=sys.stderr)
        with open(partial, "ab" if resumed else "wb") as f:
            while chunk := response.read(CHUNK):
                f.write(chunk)


def _reason(e: BaseException) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError):
        return f"{e.reason} (no network, or the server is down)"
    if isinstance(e, http.client.IncompleteRead):
        return "the connection closed before the whole file arrived"
    return f"{type(e).__name__}: {e}"
