"""CIFAR-10: 60,000 colour images 32x32 in 10 classes, read from the official binary version.

`read_cifar_batch(data)` reads the fixed-size records with NumPy; `cifar10()` fetches the
archive once (download.py checks its SHA-256) and reads its six batches straight out of the
.tar.gz, without unpacking anything to disk. Read next: images.py, for your own image folders.

Why the binary version: the CIFAR page (https://www.cs.toronto.edu/~kriz/cifar.html) offers
the same data three ways, "python", "Matlab" and "binary (suitable for C programs)", with MD5s
for each. The python version is a set of pickles, and unpickling runs whatever code the file
names, so a tampered file could run code on your machine. The binary version is equally
official and has the same images and labels, in fixed 3,073-byte records:
    byte 0         the label, 0..9
    bytes 1..3072  the image: 1024 red, then 1024 green, then 1024 blue bytes, each a 32x32
                   plane stored row by row
so a whole batch is one `np.frombuffer(...).reshape(N, 3073)`, and no code is ever run.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import numpy as np

from ..tensor import Tensor
from .builtin import Split, check_split_args, select, to_split
from .download import DatasetError, RemoteFile, cache_dir, fetch, manual_steps

RECORD = 1 + 3 * 32 * 32  # one label byte, then the 3x32x32 image
# Size and SHA-256 of cifar-10-binary.tar.gz as pinned by MLDatasets.jl, gomlx and others; the
# CIFAR page itself publishes MD5 c32a1d4ab5d03f1284b67883e8d87530 for this file.
CIFAR10_FILE = RemoteFile(
    "cifar-10-binary.tar.gz",
    170_052_171,
    "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
)
CIFAR10_MIRRORS = ["https://www.cs.toronto.edu/~kriz/"]
CIFAR10_FOLDER = "cifar-10-batches-bin"  # the folder inside the archive
TRAIN_BATCHES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_BATCH = "test_batch.bin"
CIFAR10_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip


def read_cifar_batch(data: bytes, name: str = "batch") -> tuple[np.ndarray, np.ndarray]:
    """Read CIFAR-10 binary records.

    Args:
        data: the bytes of one batch file (e.g. `open("data_batch_1.bin", "rb").read()`).
        name: the file's name, for error messages.

    Shape:
        Returns images (N, 3, 32, 32) uint8 (channels red, green, blue) and labels (N,) int64.

    Example:
        >>> record = bytes([3]) + bytes(range(256)) * 12   # label 3, then 3072 pixel bytes
        >>> images, labels = read_cifar_batch(record * 2)
        >>> images.shape, labels.tolist(), images[0, 0, 0, :3].tolist()
        ((2, 3, 32, 32), [3, 3], [0, 1, 2])
    """
    if len(data) == 0:
        raise DatasetError(f"{name}: the file is empty (0 bytes).")
    if len(data) % RECORD:
        raise DatasetError(
            f"{name}: {len(data):,} bytes is not a whole number of {RECORD}-byte CIFAR-10 "
            f"records (1 label byte + 3x32x32 pixels); record {len(data) // RECORD} is cut "
            f"short. The file is truncated, or it is the python (pickle) version, which this "
            f"reader does not open."
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DatasetError(
            f"{name}: record {bad} has label {labels[bad]}, but CIFAR-10 labels are 0..9. Is "
            f"this a CIFAR-100 file (2 label bytes per record)?"
        )
    images = records[:, 1:].reshape(-1, 3, 32, 32).copy()  # (N, 3072) -> (N, C, H, W)
    return images, labels


def read_cifar_archive(path: str | os.PathLike) -> tuple[dict[str, bytes], list[str]]:
    """The bytes of the six batch files inside cifar-10-binary.tar.gz, by file name, and the
    class names from batches.meta.txt. Only those regular files are read; nothing is
    written to disk, so odd paths inside the archive cannot do harm."""
    wanted = {f"{CIFAR10_FOLDER}/{n}" for n in [*TRAIN_BATCHES, TEST_BATCH, "batches.meta.txt"]}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:  # one pass over the stream, in archive order
                if member.name in wanted and member.isfile():
                    found[member.name.split("/")[-1]] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as e:
        raise DatasetError(
            f"{path}: not a readable .tar.gz archive ({e}). Delete it and download it again."
        ) from None
    missing = [n for n in [*TRAIN_BATCHES, TEST_BATCH] if n not in found]
    if missing:
        raise DatasetError(
            f"{path}: the archive has no {CIFAR10_FOLDER}/{missing[0]} (missing: "
            f"{', '.join(missing)}). Is it cifar-10-binary.tar.gz?"
        )
    meta = found.pop("batches.meta.txt", b"").decode("ascii", "replace").split()
    return found, meta if len(meta) == 10 else list(CIFAR10_CLASSES)


def cifar10(
    root: str | os.PathLike | None = None,
    download: bool = True,
    split: str | None = None,
    as_float: bool = True,
) -> Split | tuple[Tensor, Tensor]:
    """CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, 10 classes.

    Downloaded once (170 MB) into `root`, by default `<cache_dir()>/cifar10`; its SHA-256 is
    checked every time it is read. The validation part is the official test batch.

    Args:
        root: the folder holding (or to receive) cifar-10-binary.tar.gz.
        download: download it if missing; if False it must already be there.
        split: None for the whole Split, 'train' or 'valid' for that part's (x, y).
        as_float: True gives float32 images in [0, 1] (about 740 MB for all 60,000); False
            keeps the uint8 bytes (185 MB): convert each batch with `xb.float() / 255`.

    Shape:
        x: (N, 3, 32, 32) float32 (or uint8), channels red, green, blue. y: (N,) int64.

    Returns:
        A Split (or a pair of tensors if `split` is given).
    """
    check_split_args(split, 0.0, "cifar10")
    folder = Path(root) if root is not None else cache_dir() / "cifar10"
    path = fetch(CIFAR10_FILE, CIFAR10_MIRRORS, folder, download=download)
    batches, classes = read_cifar_archive(path)
    train = [read_cifar_batch(batches[n], n) for n in TRAIN_BATCHES]
    x_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    x_valid, y_valid = read_cifar_batch(batches[TEST_BATCH], TEST_BATCH)
    if as_float:
        x_train, x_valid = x_train / np.float32(255), x_valid / np.float32(255)
    dtype = np.float32 if as_float else np.uint8
    parts = to_split(x_train, y_train, x_valid, y_valid, classes, "cifar10", x_dtype=dtype)
    return select(parts, split)


def is_cached() -> bool:
    """Whether cifar-10-binary.tar.gz is in the cache folder (by name and size)."""
    path = cache_dir() / "cifar10" / CIFAR10_FILE.name
    return path.is_file() and path.stat().st_size == CIFAR10_FILE.size


def help_text() -> str:
    """Where to put the CIFAR-10 archive by hand."""
    return manual_steps([CIFAR10_FILE], CIFAR10_MIRRORS, cache_dir() / "cifar10")
