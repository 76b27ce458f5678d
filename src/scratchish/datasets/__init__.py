"""Data sets that work offline first: `sh.datasets.digits()`, `mnist()`, `image_folder(path)`...

Every loader returns tensors ready for `scratchish.data.TensorDataset` and `DataLoader`:
    builtin.py   scikit-learn's bundled sets (digits, iris, wine, breast_cancer, diabetes)
                 and the Split they all return                              <- read this first
    download.py  the cache folder, SHA-256 checks, atomic downloads, the offline message
    mnist.py     MNIST and Fashion-MNIST (the IDX format)
    cifar.py     CIFAR-10 (the binary format: fixed 3,073-byte records)
    images.py    a folder of your own images, one sub-folder per class
    text.py      any text file as characters, and the bundled sonnets

Example:
    >>> import scratchish as sh
    >>> x_train, y_train, x_valid, y_valid = sh.datasets.load("digits")
    >>> x_train.shape, y_valid.shape
    (scratchish.Size([1438, 1, 8, 8]), scratchish.Size([359]))
"""

from __future__ import annotations

import difflib
from typing import NamedTuple

# `mnist` below is the loader function: it takes the public name over the module mnist.py,
# which stays reachable as `mnist_module` (and importlib.import_module("...datasets.mnist"))
from . import cifar
from . import mnist as mnist_module
from .builtin import BUNDLED, Split, breast_cancer, diabetes, digits, iris, wine
from .cifar import cifar10, read_cifar_batch
from .download import (
    ChecksumError,
    DatasetError,
    DownloadError,
    RemoteFile,
    cache_dir,
    fetch,
    sha256_of,
)
from .images import ImageFolderSplit, image_folder
from .mnist import fashion_mnist, mnist, read_idx
from .text import CharDataset, CharText, sonnets, sonnets_path, text_file

__all__ = [
    "CharDataset",
    "CharText",
    "ChecksumError",
    "DatasetError",
    "DatasetInfo",
    "DownloadError",
    "ImageFolderSplit",
    "RemoteFile",
    "Split",
    "available",
    "breast_cancer",
    "cache_dir",
    "cifar10",
    "diabetes",
    "digits",
    "fashion_mnist",
    "fetch",
    "image_folder",
    "iris",
    "load",
    "mnist",
    "read_cifar_batch",
    "read_idx",
    "sha256_of",
    "sonnets",
    "text_file",
    "wine",
]

DOWNLOADED = {
    "mnist": (mnist, "images 1x28x28, 10 classes", "70,000 images, 11.6 MB download"),
    "fashion_mnist": (
        fashion_mnist,
        "images 1x28x28, 10 classes",
        "70,000 images, 30.9 MB download",
    ),
    "cifar10": (cifar10, "images 3x32x32, 10 classes", "60,000 images, 170 MB download"),
}
TEXTS = {"sonnets": (sonnets, "text, characters", "17,500 characters")}
LOADERS = {
    name: loader for table in (BUNDLED, DOWNLOADED, TEXTS) for name, (loader, *_) in table.items()
}


class DatasetInfo(NamedTuple):
    """One row of `available()`: what a named data set is and whether it is on this machine."""

    name: str
    kind: str  # e.g. "images 1x28x28, 10 classes"
    size: str  # e.g. "70,000 images, 11.6 MB download"
    status: str  # "bundled", "cached" or "not downloaded"
    where: str  # the folder or package it comes from


def available() -> list[DatasetInfo]:
    """Every named data set, whether it is here (bundled or cached) and where it lives.

    Example:
        >>> rows = available()
        >>> [r.name for r in rows][:3], rows[0].status
        (['digits', 'iris', 'wine'], 'bundled')
    """
    rows = [
        DatasetInfo(n, kind, size, "bundled", "scikit-learn")
        for n, (_, kind, size) in BUNDLED.items()
    ]
    for name, (_, kind, size) in DOWNLOADED.items():
        cached = cifar.is_cached() if name == "cifar10" else mnist_module.is_cached(name)
        status = "cached" if cached else "not downloaded"
        rows.append(DatasetInfo(name, kind, size, status, str(cache_dir() / name)))
    for name, (_, kind, size) in TEXTS.items():
        rows.append(DatasetInfo(name, kind, size, "bundled", str(sonnets_path())))
    return rows


def load(name: str, **kwargs):
    """A named data set: `load("digits")` is `digits()`; keyword arguments are passed on.

    Names: digits, iris, wine, breast_cancer, diabetes (bundled), mnist, fashion_mnist,
    cifar10 (downloaded once), sonnets (bundled text). For your own data use
    `image_folder(path)` or `text_file(path)`.
    """
    key = str(name).strip().lower().replace("-", "_")
    key = {"cifar_10": "cifar10", "fashionmnist": "fashion_mnist"}.get(key, key)
    if key not in LOADERS:
        close = difflib.get_close_matches(key, LOADERS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DatasetError(
            f"load: no data set named {name!r}.{hint} The named data sets are: "
            f"{', '.join(LOADERS)}. For a folder of images use image_folder(path); for a "
            f"text file use text_file(path)."
        )
    return LOADERS[key](**kwargs)
