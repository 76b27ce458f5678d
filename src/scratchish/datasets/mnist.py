"""MNIST and Fashion-MNIST: the IDX file format, read with NumPy, and the two loaders.

`read_idx(path)` reads any IDX file, gzipped or not. `mnist()` and `fashion_mnist()` fetch the
four official files once into the cache folder (download.py verifies their SHA-256), then
read them. Read next: cifar.py, the same idea for CIFAR-10.

The IDX format (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"), all integers big-endian:
    bytes 0-1  zero
    byte  2    the element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
               0x0D float32, 0x0E float64
    byte  3    the number of dimensions, d
    then d     uint32 sizes, then the elements in C (row-major) order.
So the "magic number" of the first 4 bytes is 2051 (0x00000803: uint8, 3 dims) for a file of
images (N, 28, 28) and 2049 (0x00000801: uint8, 1 dim) for a file of labels (N,).
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from ..tensor import Tensor
from .builtin import Split, check_split_args, select, to_split
from .download import DatasetError, RemoteFile, cache_dir, fetch, manual_steps

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049

# element type code -> NumPy dtype, big-endian (">") as the format stores it
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# The official files with their sizes and SHA-256 sums. Neither site publishes SHA-256 (LeCun's
# page published none, torchvision pins MD5s); these are the SHA-256 of the files that match
# torchvision's MD5s, as pinned independently by Hugging Face datasets, Guild AI, torch.rb and
# others. torchvision's MD5s, for reference: f68b3c2dcbeaaa9fbdd348bbdeb94873,
# d53e105ee54ea40749a09fcbcd1e9432, 9fb629c4189551a2d022fa330f9573f3,
# ec29112dd5afa0611ce80d1b7f02629c (in the order below).
MNIST_FILES = (
    RemoteFile(
        "train-images-idx3-ubyte.gz",
        9_912_422,
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    RemoteFile(
        "train-labels-idx1-ubyte.gz",
        28_881,
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        1_648_877,
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        4_542,
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
)
# yann.lecun.com no longer serves the files; these are the mirrors PyTorch and TensorFlow use
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
MNIST_CLASSES = [str(d) for d in range(10)]

# Zalando's files (https://github.com/zalandoresearch/fashion-mnist); its README publishes the
# MD5s torchvision pins (8d4fb7e6c68d591d4c3dfef9ec88bf0d, 25c81989df183df01b3e8a0aad5dffbe,
# bef4ecab320f06d8554ea6380940ec79, bb300cfdad3c16e7a12a480ee83cd310); the SHA-256 below are
# those files' sums as pinned by several independent projects.
FASHION_FILES = (
    RemoteFile(
        "train-images-idx3-ubyte.gz",
        26_421_880,
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    ),
    RemoteFile(
        "train-labels-idx1-ubyte.gz",
        29_515,
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    ),
    RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        4_422_102,
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    ),
    RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        5_148,
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ),
)
FASHION_MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
]
FASHION_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip


def read_idx(path: str | os.PathLike, expect_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or not: told apart by its first bytes, not its name).

    Args:
        path: the file.
        expect_magic: if given, the magic number the file must have (2051 for images, 2049
            for labels); a different one is an error naming the file and both values.

    Returns:
        An ndarray of the file's shape, in native byte order (uint8 for MNIST).

    Example:
        >>> import gzip, struct, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "labels.gz")
        >>> with gzip.open(path, "wb") as f:
        ...     _ = f.write(struct.pack(">II", 2049, 3) + bytes([7, 2, 1]))
        >>> read_idx(path, expect_magic=2049)
        array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) == 0:
        raise DatasetError(
            f"{path}: the file is empty (0 bytes); an IDX file starts with a "
            f"4-byte magic number. Delete it and download it again."
        )
    if len(raw) < 4:
        raise DatasetError(f"{path}: only {len(raw)} bytes, too short for an IDX header.")
    magic = int.from_bytes(raw[:4], "big")
    zero, code, ndim = raw[0] | raw[1], raw[2], raw[3]
    if (expect_magic is not None and magic != expect_magic) or zero or code not in IDX_DTYPES:
        wanted = f"{expect_magic}" if expect_magic is not None else "one starting with 0x0000"
        raise DatasetError(
            f"{path}: magic number {magic} (0x{magic:08X}) is not {wanted}. An IDX file starts "
            f"with 0x00 0x00, a type byte (0x08 for uint8) and the number of dimensions: 2051 "
            f"for images, 2049 for labels. Is this the right file (images vs labels), and is "
            f"it an IDX file at all?"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(
            f"{path}: the header promises {ndim} dimension sizes but the file "
            f"ends after {len(raw)} bytes."
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise DatasetError(
            f"{path}: the header says shape {shape} of {dtype.name} ({expected:,} bytes of data) "
            f"but the file holds {len(raw) - header:,} bytes after the header: it is truncated "
            f"or damaged. Delete it and download it again."
        )
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a native-order, writable copy


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file.")
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":  # the gzip signature
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetError(
            f"{path}: the gzip data is damaged or cut short ({e}). Delete the "
            f"file and download it again."
        ) from None


def mnist(
    root: str | os.PathLike | None = None,
    download: bool = True,
    split: str | None = None,
) -> Split | tuple[Tensor, Tensor]:
    """MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grey.

    Downloaded once (11.6 MB) into `root`, by default `<cache_dir()>/mnist`; the SHA-256 of
    each file is checked every time it is read. The validation part is MNIST's official test
    set (t10k), as in torchvision's `MNIST(train=False)`.

    Args:
        root: the folder holding (or to receive) the four .gz files.
        download: download missing files; if False they must already be there.
        split: None for the whole Split, 'train' or 'valid' for that part's (x, y).

    Shape:
        x: (N, 1, 28, 28) float32 in [0, 1] (bytes / 255). y: (N,) int64 in 0..9.

    Returns:
        A Split (or a pair of tensors if `split` is given).
    """
    return _idx_dataset("mnist", MNIST_FILES, MNIST_MIRRORS, MNIST_CLASSES, root, download, split)


def fashion_mnist(
    root: str | os.PathLike | None = None,
    download: bool = True,
    split: str | None = None,
) -> Split | tuple[Tensor, Tensor]:
    """Zalando's Fashion-MNIST: MNIST's format and sizes, with 10 kinds of clothing.

    Downloaded once (30.9 MB) into `root`, by default `<cache_dir()>/fashion_mnist`. Args,
    Shape and Returns as `mnist`; `classes` are the clothing names ('T-shirt/top', ...).
    """
    return _idx_dataset(
        "fashion_mnist", FASHION_FILES, FASHION_MIRRORS, FASHION_CLASSES, root, download, split
    )


def _idx_dataset(name, files, mirrors, classes, root, download, split):
    check_split_args(split, 0.0, name)
    folder = Path(root) if root is not None else cache_dir() / name
    paths = [fetch(f, mirrors, folder, download=download, siblings=files) for f in files]
    x_train, y_train, x_valid, y_valid = (
        read_idx(p, IMAGES_MAGIC if i % 2 == 0 else LABELS_MAGIC) for i, p in enumerate(paths)
    )
    _check_pair(paths[0], x_train, paths[1], y_train, len(classes))
    _check_pair(paths[2], x_valid, paths[3], y_valid, len(classes))
    parts = to_split(
        (x_train[:, None] / np.float32(255)),  # (N, 28, 28) -> (N, 1, 28, 28) in [0, 1]
        y_train,
        (x_valid[:, None] / np.float32(255)),
        y_valid,
        list(classes),
        name,
    )
    return select(parts, split)


def _check_pair(images_path, images, labels_path, labels, n_classes: int) -> None:
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetError(
            f"{images_path.name} holds images of shape {images.shape} and {labels_path.name} "
            f"labels of shape {labels.shape}: expected (N, rows, cols) and (N,) with the same "
            f"N. One of the files is not the one it is named after."
        )
    if len(labels) and labels.max() >= n_classes:
        raise DatasetError(
            f"{labels_path}: label {labels.max()} is outside 0..{n_classes - 1}; the file is "
            f"damaged or belongs to another data set."
        )


def is_cached(name: str) -> bool:
    """Whether all files of 'mnist' or 'fashion_mnist' are in the cache folder (by name and
    size; the checksum is checked when they are read)."""
    files = MNIST_FILES if name == "mnist" else FASHION_FILES
    folder = cache_dir() / name
    return all(
        (folder / f.name).is_file() and (folder / f.name).stat().st_size == f.size for f in files
    )


def help_text(name: str) -> str:
    """Where to put the files of 'mnist' or 'fashion_mnist' by hand."""
    files, mirrors = (
        (MNIST_FILES, MNIST_MIRRORS) if name == "mnist" else (FASHION_FILES, FASHION_MIRRORS)
    )
    return manual_steps(list(files), mirrors, cache_dir() / name)
