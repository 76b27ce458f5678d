"""One call per kind of data: tables (CSV, DataFrame), image folders, text; and bad input."""

import csv

import numpy as np
import pytest

import scratchish as sh
from scratchish.datasets import DatasetError
from scratchish.learner import learner_for, read_csv, table_dls, tabular_learner


def test_csv_classification_learns_with_missing_values(tmp_path, write_table):
    path = write_table(tmp_path / "table.csv")
    sh.manual_seed(0)
    learn = learner_for(path, path=tmp_path, progress=False)
    prep = learn.dls.prep
    assert prep.task == "classification" and prep.classes == ["no", "yes"]
    assert prep.cat_names == ["color"] and prep.cat_vocabs["color"][0] == "#na#"
    assert prep.cont_names == ["x1", "x2"] and prep.na_names == ["x1", "x2"]
    x_cat, x_cont, y = next(iter(learn.dls.train))
    assert x_cat.dtype == sh.int64 and x_cont.shape[1] == 4  # x1, x2 + two missing flags
    learn.fit_one_cycle(8, 1e-2)
    _, targs = learn.get_preds()
    baseline = max(np.bincount(targs.numpy())) / len(targs)
    accuracy = learn.recorder.last("accuracy")
    assert accuracy >= 0.8 and accuracy > baseline + 0.15
    assert learn.predict({"x1": "2.5", "x2": "", "color": "red"}).label == "yes"
    assert learn.predict("-2.5,0,green").label == "no"  # a CSV line in column order
    assert learn.predict(["x1=-2", "color=unseen"]).label == "no"  # unseen -> #na#


def test_csv_regression_is_detected_and_learns(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "houses.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["size", "city", "price"])
        for _ in range(300):
            size, city = rng.uniform(50, 150), rng.choice(["a", "b"])
            w.writerow([f"{size:.1f}", city, f"{1000 * size + (20000 if city == 'a' else 0):.2f}"])
    sh.manual_seed(0)
    learn = tabular_learner(path, target="price", path=tmp_path, progress=False)
    assert learn.dls.prep.task == "regression"
    learn.fit_one_cycle(10, 1e-2)
    assert learn.recorder.names[3:6] == ["mae", "rmse", "r2_score"]
    assert learn.recorder.last("r2_score") > 0.9
    price = learn.predict({"size": "100", "city": "a"})
    assert isinstance(price, float) and abs(price - 120000) < 15000


def test_dataframe_like_objects_are_tables(tmp_path):
    class Column:  # the parts of a pandas Series that table_dls uses
        def __init__(self, values):
            self.values = values

        def tolist(self):
            return list(self.values)

    class FakeFrame:  # pandas is optional; its DataFrame is read through columns and []
        def __init__(self, data):
            self.data = data
            self.columns = list(data)

        def __getitem__(self, name):
            return Column(self.data[name])

    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    frame = FakeFrame({"x": list(x), "kind": ["a", None] * 50, "y": [int(v > 0) for v in x]})
    dls = table_dls(frame, target="y")
    assert dls.prep.task == "classification" and dls.prep.cat_names == ["kind"]
    assert len(dls.train.dataset) == 80 and len(dls.valid.dataset) == 20


def test_table_errors_say_what_is_wrong(tmp_path, write_table):
    path = write_table(tmp_path / "t.csv", n=20)
    with pytest.raises(DatasetError, match=r"no column named 'price'.*x1, x2, color, label"):
        table_dls(path, target="price")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DatasetError, match="empty"):
        read_csv(empty)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b,c\n1,2,3\n4,5\n")
    with pytest.raises(DatasetError, match=r"line 3: 2 fields.*header \(line 1\) has 3"):
        read_csv(ragged)
    bad_bytes = tmp_path / "bytes.csv"
    bad_bytes.write_bytes(b"a,b\n1,2\n\xff\xfe,3\n")
    with pytest.raises(DatasetError, match="line 3"):
        read_csv(bad_bytes)
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("a,b\n1,0\n2,1\n3,0\n")
    with pytest.raises(DatasetError, match=r"too few rows.*3 rows.*At least 5 rows"):
        table_dls(tiny, target="b")


def test_image_folder_trains_a_cnn(tmp_path, make_shapes):
    pytest.importorskip("PIL")
    root = make_shapes(tmp_path / "shapes")
    (root / "circle" / "broken.png").write_bytes(b"not an image")
    sh.manual_seed(0)
    learn = learner_for(root, path=tmp_path, progress=False)
    assert type(learn.model).__name__ == "SimpleCNN"
    assert learn.dls.classes == ["bar", "circle", "square"] and learn.dls.prep.size == (16, 16)
    learn.fit_one_cycle(5, 1e-2)
    assert learn.recorder.last("accuracy") >= 0.9
    assert learn.predict(root / "square" / "0.png").label == "square"


def test_image_folder_with_one_class_says_why(tmp_path, make_shapes):
    pytest.importorskip("PIL")
    root = make_shapes(tmp_path / "shapes", n=3)
    for name in ["bar", "circle"]:
        for f in (root / name).iterdir():
            f.unlink()
        (root / name).rmdir()
    with pytest.raises(DatasetError, match="only one class"):
        learner_for(root, progress=False)


def test_text_file_trains_a_language_model_that_generates(tmp_path):
    path = tmp_path / "cat.txt"
    path.write_text("the cat sat on the mat. " * 150)
    sh.manual_seed(0)
    learn = learner_for(path, path=tmp_path, progress=False, block_size=32, n_embd=32)
    assert type(learn.model).__name__ == "CharTransformer"
    learn.fit_one_cycle(4, 1e-2)
    # uniform guessing over the 11 characters costs ln(11) = 2.4 nats
    assert learn.recorder.last("valid_loss") < 0.5
    text = learn.predict("the c", n_chars=30, temperature=0.5)
    assert text.startswith("the c") and len(text) == 35
    assert "cat" in text or "mat" in text
    with pytest.raises(DatasetError, match="not in the model's vocabulary"):
        learn.predict("XYZ")
