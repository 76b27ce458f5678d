"""The file formats, on small files the tests write: IDX (MNIST, Fashion-MNIST) and CIFAR-10's
binary records, plain and inside the .tar.gz; never the network."""

import gzip
import hashlib
import importlib
import io
import struct
import tarfile

import numpy as np
import pytest

import scratchish as sh
from scratchish.datasets import DatasetError, RemoteFile, read_cifar_batch, read_idx

mnist_module = importlib.import_module("scratchish.datasets.mnist")
cifar_module = importlib.import_module("scratchish.datasets.cifar")


def idx_bytes(array, magic=None):
    """An IDX file: 0x00 0x00, type byte, ndim byte, big-endian sizes, big-endian data."""
    codes = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}
    code = codes[array.dtype.str[1:]]
    head = struct.pack(">I", magic) if magic is not None else bytes([0, 0, code, array.ndim])
    sizes = struct.pack(f">{array.ndim}I", *array.shape)
    return head + sizes + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, data, gz=False):
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


# ---------------------------------------------------------------- IDX
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_round_trips_every_type(tmp_path, dtype, gz):
    array = (np.arange(2 * 3 * 4) - 5).reshape(2, 3, 4).astype(dtype)
    got = read_idx(write(tmp_path / "f", idx_bytes(array), gz))
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_read_idx_knows_gzip_by_its_bytes_not_its_name(tmp_path):
    labels = np.array([3, 1, 4], np.uint8)
    plain = write(tmp_path / "labels.gz", idx_bytes(labels))  # not gzipped despite the name
    zipped = write(tmp_path / "labels", idx_bytes(labels), gz=True)
    assert read_idx(plain).tolist() == read_idx(zipped).tolist() == [3, 1, 4]


def test_read_idx_magic_of_real_mnist_files(tmp_path):
    images = np.zeros((2, 28, 28), np.uint8)
    assert idx_bytes(images)[:4] == struct.pack(">I", 2051)
    assert idx_bytes(np.zeros(2, np.uint8))[:4] == struct.pack(">I", 2049)
    path = write(tmp_path / "i", idx_bytes(images))
    assert read_idx(path, expect_magic=2051).shape == (2, 28, 28)


def test_wrong_magic_names_the_file_and_the_value(tmp_path):
    labels = write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(3, np.uint8)), 1)
    with pytest.raises(DatasetError) as err:
        read_idx(labels, expect_magic=2051)  # a labels file where images were expected
    msg = str(err.value)
    assert "train-labels-idx1-ubyte.gz" in msg and "2049" in msg and "2051" in msg
    assert "0x00000801" in msg

    junk = write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0" + bytes(100))
    with pytest.raises(DatasetError, match=r"photo\.jpg: magic number 4292411360 \(0xFFD8FFE0\)"):
        read_idx(junk)


def test_empty_truncated_and_broken_files_say_which_file(tmp_path):
    with pytest.raises(DatasetError, match=r"empty\.idx: the file is empty"):
        read_idx(write(tmp_path / "empty.idx", b""))
    full = idx_bytes(np.zeros((10, 4, 4), np.uint8))
    with pytest.raises(DatasetError, match=r"cut\.idx: the header says shape \(10, 4, 4\)") as e:
        read_idx(write(tmp_path / "cut.idx", full[:-7]))
    assert "153 bytes after the header" in str(e.value)
    with pytest.raises(DatasetError, match=r"head\.idx: the header promises 3 dimension"):
        read_idx(write(tmp_path / "head.idx", full[:9]))
    with pytest.raises(DatasetError, match=r"bad\.gz: the gzip data is damaged or cut short"):
        read_idx(write(tmp_path / "bad.gz", gzip.compress(full)[:30]))
    with pytest.raises(DatasetError, match="no such file"):
        read_idx(tmp_path / "missing.idx")


def mnist_folder(tmp_path, monkeypatch, n_train=5, n_valid=3, train_labels=None):
    """Write the four MNIST files (gzipped IDX) and point the loader's checksums at them."""
    rng = np.random.default_rng(0)
    train_labels = np.arange(n_train) % 10 if train_labels is None else train_labels
    arrays = [
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        np.asarray(train_labels, np.uint8),
        rng.integers(0, 256, (n_valid, 28, 28), dtype=np.uint8),
        (np.arange(n_valid) % 10).astype(np.uint8),
    ]
    remotes = []
    for remote, array in zip(mnist_module.MNIST_FILES, arrays):
        data = gzip.compress(idx_bytes(array))
        (tmp_path / remote.name).write_bytes(data)
        remotes.append(RemoteFile(remote.name, len(data), hashlib.sha256(data).hexdigest()))
    monkeypatch.setattr(mnist_module, "MNIST_FILES", tuple(remotes))
    monkeypatch.setattr(mnist_module, "FASHION_FILES", tuple(remotes))
    return arrays


def test_mnist_reads_the_four_files_into_a_split(tmp_path, monkeypatch):
    arrays = mnist_folder(tmp_path, monkeypatch)
    ds = sh.datasets.mnist(root=tmp_path, download=False)
    assert ds.x_train.shape == (5, 1, 28, 28) and ds.x_valid.shape == (3, 1, 28, 28)
    assert ds.x_train.dtype == sh.float32 and ds.y_train.dtype == sh.int64
    np.testing.assert_allclose(ds.x_train.numpy()[:, 0], arrays[0] / 255, rtol=1e-6)
    assert ds.y_train.tolist() == [0, 1, 2, 3, 4] and ds.classes == [str(d) for d in range(10)]
    x, y = sh.datasets.fashion_mnist(root=tmp_path, download=False, split="valid")
    assert x.shape == (3, 1, 28, 28) and y.tolist() == [0, 1, 2]
    assert sh.datasets.fashion_mnist(root=tmp_path, download=False).classes[0] == "T-shirt/top"


def test_mnist_checks_the_files_fit_together(tmp_path, monkeypatch):
    mnist_folder(tmp_path, monkeypatch, train_labels=[0, 1, 2, 3, 11])
    with pytest.raises(DatasetError, match=r"train-labels-idx1-ubyte\.gz: label 11 is outside"):
        sh.datasets.mnist(root=tmp_path, download=False)


def test_mnist_rejects_a_file_that_was_swapped(tmp_path, monkeypatch):
    mnist_folder(tmp_path, monkeypatch)
    # copy the labels file over the images file, and re-pin its checksum as the user's file
    images, labels = mnist_module.MNIST_FILES[:2]
    (tmp_path / images.name).write_bytes((tmp_path / labels.name).read_bytes())
    swapped = RemoteFile(images.name, labels.size, labels.sha256)
    monkeypatch.setattr(mnist_module, "MNIST_FILES", (swapped, *mnist_module.MNIST_FILES[1:]))
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte\.gz: magic number 2049"):
        sh.datasets.mnist(root=tmp_path, download=False)


def test_the_real_mnist_checksums_are_pinned():
    names = [f.name for f in mnist_module.MNIST_FILES]
    assert names == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    for f in (*mnist_module.MNIST_FILES, *mnist_module.FASHION_FILES, cifar_module.CIFAR10_FILE):
        assert len(f.sha256) == 64 and int(f.sha256, 16) >= 0 and f.size > 1000


# ---------------------------------------------------------------- CIFAR-10
def cifar_records(labels, rng):
    """Binary records: one label byte, then the red, green and blue 32x32 planes."""
    images = rng.integers(0, 256, (len(labels), 3, 32, 32), dtype=np.uint8)
    records = [bytes([label]) + img.tobytes() for label, img in zip(labels, images)]
    return b"".join(records), images


def test_read_cifar_batch_puts_pixels_in_channel_row_column_order():
    rng = np.random.default_rng(1)
    data, images = cifar_records([6, 9, 0], rng)
    got_images, got_labels = read_cifar_batch(data)
    assert got_labels.tolist() == [6, 9, 0] and got_labels.dtype == np.int64
    np.testing.assert_array_equal(got_images, images)
    # byte 1 of a record is the red pixel at row 0, column 0; byte 1025 the green one
    assert got_images[1, 0, 0, 0] == data[3073 + 1] and got_images[1, 1, 0, 0] == data[3073 + 1025]
    assert got_images[1, 0, 0, 1] == data[3073 + 2] and got_images[1, 0, 1, 0] == data[3073 + 33]


def test_read_cifar_batch_errors_name_the_file():
    with pytest.raises(DatasetError, match="data_batch_1.bin: the file is empty"):
        read_cifar_batch(b"", "data_batch_1.bin")
    data, _ = cifar_records([1, 2], np.random.default_rng(0))
    with pytest.raises(DatasetError, match=r"data_batch_2\.bin: 6,000 bytes is not a whole"):
        read_cifar_batch(data[:6000], "data_batch_2.bin")
    bad = bytearray(data)
    bad[3073] = 42
    with pytest.raises(DatasetError, match=r"test_batch\.bin: record 1 has label 42"):
        read_cifar_batch(bytes(bad), "test_batch.bin")


def cifar_archive(tmp_path, monkeypatch, skip=(), meta=True):
    """A small cifar-10-binary.tar.gz: 2 records per training batch, 3 in the test batch."""
    rng = np.random.default_rng(2)
    members, labels = {}, {}
    for i in range(1, 6):
        members[f"data_batch_{i}.bin"], _ = cifar_records([i, i + 1], rng)
        labels[f"data_batch_{i}.bin"] = [i, i + 1]
    members["test_batch.bin"], _ = cifar_records([7, 8, 9], rng)
    if meta:
        members["batches.meta.txt"] = "\n".join(cifar_module.CIFAR10_CLASSES).encode() + b"\n\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            if name in skip:
                continue
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    data = buffer.getvalue()
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(data)
    remote = RemoteFile("cifar-10-binary.tar.gz", len(data), hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(cifar_module, "CIFAR10_FILE", remote)
    return members


def test_cifar10_reads_the_batches_inside_the_archive(tmp_path, monkeypatch):
    members = cifar_archive(tmp_path, monkeypatch)
    ds = sh.datasets.cifar10(root=tmp_path, download=False)
    assert ds.x_train.shape == (10, 3, 32, 32) and ds.x_valid.shape == (3, 3, 32, 32)
    assert ds.y_train.tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]
    assert ds.y_valid.tolist() == [7, 8, 9] and ds.classes[0] == "airplane"
    expected, _ = read_cifar_batch(members["test_batch.bin"])
    np.testing.assert_allclose(ds.x_valid.numpy(), expected / 255, rtol=1e-6)
    assert float(ds.x_train.max()) <= 1.0 and ds.x_train.dtype == sh.float32
    assert not list(tmp_path.glob("cifar-10-batches-bin*"))  # nothing unpacked to disk

    x, y = sh.datasets.cifar10(root=tmp_path, download=False, split="train", as_float=False)
    assert x.dtype == sh.uint8 and y.shape == (10,)


def test_cifar10_archive_problems_are_explained(tmp_path, monkeypatch):
    cifar_archive(tmp_path, monkeypatch, skip=("data_batch_3.bin",), meta=False)
    with pytest.raises(DatasetError, match=r"has no cifar-10-batches-bin/data_batch_3\.bin"):
        sh.datasets.cifar10(root=tmp_path, download=False)

    bad = b"this is not a tar.gz"
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(bad)
    remote = RemoteFile("cifar-10-binary.tar.gz", len(bad), hashlib.sha256(bad).hexdigest())
    monkeypatch.setattr(cifar_module, "CIFAR10_FILE", remote)
    with pytest.raises(DatasetError, match=r"cifar-10-binary\.tar\.gz: not a readable"):
        sh.datasets.cifar10(root=tmp_path, download=False)


def test_cifar10_without_the_archive_says_where_to_put_it(tmp_path):
    with pytest.raises(DatasetError) as err:
        sh.datasets.cifar10(root=tmp_path, download=False)
    msg = str(err.value)
    assert "cifar-10-binary.tar.gz" in msg and str(tmp_path) in msg
    assert "170,052,171 bytes" in msg
