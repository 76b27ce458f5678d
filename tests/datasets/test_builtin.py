"""builtin.py and the package front door: scikit-learn's bundled sets, load(), available()."""

import importlib

import numpy as np
import pytest

import scratchish as sh
from scratchish.datasets import DatasetError, Split

sklearn_datasets = pytest.importorskip("sklearn.datasets")
mnist_module = importlib.import_module("scratchish.datasets.mnist")


def test_digits_shapes_scaling_and_classes():
    ds = sh.datasets.digits()
    assert isinstance(ds, Split) and ds.task == "classification" and ds.n_classes == 10
    assert ds.x_train.shape == (1438, 1, 8, 8) and ds.x_valid.shape == (359, 1, 8, 8)
    assert ds.x_train.dtype == sh.float32 and ds.y_train.dtype == sh.int64
    x = ds.x_train.numpy()
    assert x.min() == 0.0 and x.max() == 1.0
    assert ds.classes == [str(d) for d in range(10)]


def test_the_split_keeps_images_with_their_labels_and_loses_nothing():
    bunch = sklearn_datasets.load_digits()
    ds = sh.datasets.digits()
    x = np.concatenate([ds.x_train.numpy(), ds.x_valid.numpy()]).reshape(-1, 64) * 16
    y = np.concatenate([ds.y_train.numpy(), ds.y_valid.numpy()])
    # every (image, label) pair of scikit-learn's data appears once, and no other
    theirs = sorted(map(tuple, np.c_[bunch.data, bunch.target].astype(int)))
    ours = sorted(map(tuple, np.c_[x, y].round().astype(int)))
    assert ours == theirs


def test_digits_are_learnable_by_nearest_centroid():
    # a real-data check that the labels mean something: 10 class means classify > 85%
    x_train, y_train, x_valid, y_valid = (t.numpy() for t in sh.datasets.digits())
    x_train, x_valid = x_train.reshape(len(x_train), -1), x_valid.reshape(len(x_valid), -1)
    centroids = np.stack([x_train[y_train == k].mean(0) for k in range(10)])
    distances = ((x_valid[:, None] - centroids[None]) ** 2).sum(-1)
    assert (distances.argmin(1) == y_valid).mean() > 0.85


def test_the_split_is_seeded_and_matches_torch_randperm():
    a, b = sh.datasets.digits(seed=0), sh.datasets.digits(seed=0)
    assert a.y_valid.tolist() == b.y_valid.tolist()
    assert sh.datasets.digits(seed=1).y_valid.tolist() != a.y_valid.tolist()
    torch = pytest.importorskip("torch")
    n = 150
    valid = np.sort(torch.randperm(n, generator=torch.Generator().manual_seed(3))[:30].numpy())
    _, y_valid = sh.datasets.iris(split="valid", seed=3)
    target = sklearn_datasets.load_iris().target
    assert y_valid.tolist() == target[valid].tolist()


def test_split_argument_and_unpacking():
    x, y = sh.datasets.digits(split="train")
    assert x.shape[0] == y.shape[0] == 1438
    x_train, y_train, x_valid, y_valid = sh.datasets.digits(valid_pct=0.5)
    assert len(y_train) == 899 and len(y_valid) == 898
    assert "digits" in repr(sh.datasets.digits()) and "10 classes" in repr(sh.datasets.digits())


@pytest.mark.parametrize(
    "name, n, n_features, n_classes",
    [("iris", 150, 4, 3), ("wine", 178, 13, 3), ("breast_cancer", 569, 30, 2)],
)
def test_tables(name, n, n_features, n_classes):
    ds = sh.datasets.load(name)
    assert ds.x_train.shape[1] == n_features and len(ds.y_train) + len(ds.y_valid) == n
    assert ds.x_train.dtype == sh.float32 and ds.n_classes == n_classes
    assert len(ds.feature_names) == n_features
    assert set(ds.y_train.tolist()) == set(range(n_classes))


def test_diabetes_is_a_regression():
    ds = sh.datasets.diabetes()
    assert ds.classes is None and ds.task == "regression"
    assert ds.y_train.dtype == sh.float32 and ds.x_train.shape == (354, 10)
    assert 20 < float(ds.y_train.min()) and float(ds.y_train.max()) < 350


def test_bad_split_arguments():
    with pytest.raises(ValueError, match="valid_pct=1.5 must be a fraction"):
        sh.datasets.digits(valid_pct=1.5)
    with pytest.raises(ValueError, match="split='test' is not one of"):
        sh.datasets.digits(split="test")


def test_too_few_rows_for_a_validation_split_says_how_many_are_needed():
    with pytest.raises(DatasetError, match="At least 200 samples are needed") as err:
        sh.datasets.iris(valid_pct=0.005)  # 150 * 0.005 = 0.75 -> no validation sample
    assert "150 samples" in str(err.value)


def test_load_by_name_accepts_spellings_and_suggests():
    assert sh.datasets.load("Breast-Cancer").name == "breast_cancer"
    x, _ = sh.datasets.load("digits", split="valid", valid_pct=0.1)
    assert x.shape[0] == 179
    with pytest.raises(DatasetError) as err:
        sh.datasets.load("digit")
    msg = str(err.value)
    assert "Did you mean 'digits'?" in msg and "mnist" in msg and "image_folder(path)" in msg


def test_available_lists_what_exists_and_what_is_cached(monkeypatch, tmp_path):
    monkeypatch.setenv("SCRATCHISH_DATA", str(tmp_path))
    rows = {r.name: r for r in sh.datasets.available()}
    assert list(rows)[:5] == ["digits", "iris", "wine", "breast_cancer", "diabetes"]
    assert {"mnist", "fashion_mnist", "cifar10", "sonnets"} <= set(rows)
    assert rows["digits"].status == "bundled" and rows["sonnets"].status == "bundled"
    assert rows["mnist"].status == "not downloaded"
    assert rows["mnist"].where == str(tmp_path / "mnist")
    # the right files, of the right sizes, count as cached
    (tmp_path / "mnist").mkdir()
    for f in mnist_module.MNIST_FILES:
        (tmp_path / "mnist" / f.name).write_bytes(b"\0" * f.size)
    rows = {r.name: r for r in sh.datasets.available()}
    assert rows["mnist"].status == "cached" and rows["cifar10"].status == "not downloaded"
    for name in sh.datasets.LOADERS:  # every name that load() knows is listed
        assert name in rows


def test_split_feeds_a_tensor_dataset():
    data = pytest.importorskip("scratchish.data")
    ds = sh.datasets.iris()
    assert len(ds.train_ds) == 120 and len(ds.valid_ds) == 30
    xb, yb = next(iter(data.DataLoader(ds.train_ds, batch_size=16)))
    assert xb.shape == (16, 4) and yb.dtype == sh.int64
