"""DataLoaders (`dls.train`, `dls.valid`) and one call per kind of data that builds them.

    dls_for(data)   a data set name ("digits"), a Split, an image folder, a CSV file or a
                    pandas DataFrame (a table), a text file; picks the kind from what it gets
    image_dls, table_dls, text_dls   the same, one kind each

Each kind carries a `prep` (ImagePrep, TablePrep, TextPrep): what the data is (classes,
column statistics, vocabulary) and how to turn one raw item into a model input (`encode`) and
an output back into an answer (`decode`). It is saved with an exported model, as JSON. Read
learner.py first; models.py next.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..data import DataLoader, Subset, TensorDataset
from ..datasets import LOADERS, CharText, DatasetError, Split, image_folder, load, text_file
from ..datasets.builtin import random_split
from ..functions import softmax
from ..tensor import Tensor

__all__ = [
    "DataLoaders",
    "ImagePrep",
    "Prediction",
    "TablePrep",
    "TextPrep",
    "dls_for",
    "image_dls",
    "read_csv",
    "table_dls",
    "text_dls",
]

MISSING = {"", "na", "nan", "n/a", "null", "none", "?", "-"}  # cell texts read as missing
NA_CATEGORY = "#na#"  # the category of missing (and unseen) values, index 0 (as fastai)


class DataLoaders:
    """The training and validation loaders, and what the data is.

    Args:
        train, valid: DataLoaders yielding (x..., y) batches.
        prep: an ImagePrep, TablePrep or TextPrep (None for plain tensors).

    Example:
        >>> import scratchish as sh
        >>> dls = DataLoaders.from_tensors(sh.randn(10, 3), sh.zeros(10), sh.randn(4, 3),
        ...                                sh.zeros(4), bs=4)
        >>> len(dls.train), len(dls.valid), dls.kind
        (3, 1, 'tensors')
    """

    def __init__(self, train, valid, prep=None) -> None:
        self.train, self.valid, self.prep = train, valid, prep

    @property
    def kind(self) -> str:
        """'images', 'table', 'text' or 'tensors'."""
        return self.prep.kind if self.prep is not None else "tensors"

    @property
    def classes(self) -> list[str] | None:
        return getattr(self.prep, "classes", None)

    @classmethod
    def from_dsets(cls, train_ds, valid_ds, bs: int = 64, prep=None) -> DataLoaders:
        """Shuffled training batches of bs, validation batches of 2 * bs in order."""
        return cls(
            DataLoader(train_ds, batch_size=bs, shuffle=True),
            DataLoader(valid_ds, batch_size=2 * bs),
            prep,
        )

    @classmethod
    def from_tensors(cls, x_train, y_train, x_valid, y_valid, bs=64, prep=None) -> DataLoaders:
        return cls.from_dsets(
            TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid), bs, prep
        )

    def __repr__(self) -> str:
        return (
            f"DataLoaders({self.kind}: train {len(self.train.dataset)} samples, valid "
            f"{len(self.valid.dataset)}, batch size {self.train.batch_size})"
        )


class Prediction(NamedTuple):
    """A classifier's answer for one item: the class name, its index and every probability."""

    label: str
    index: int
    probs: Tensor

    def __repr__(self) -> str:
        return f"Prediction({self.label!r}, index={self.index}, prob={self.probs[self.index]:.3f})"


def _decode_class(out: Tensor, classes: list[str]) -> Prediction:
    probs = softmax(out[0], dim=-1)
    index = int(probs.argmax().item())
    return Prediction(classes[index], index, probs)


# ----------------------------------------------------------------------------------------------
# data set names
# ----------------------------------------------------------------------------------------------


def dls_for(data, target: str | None = None, bs: int | None = None, valid_pct: float = 0.2,
            seed: int = 0, **kwargs) -> DataLoaders:  # fmt: skip
    """DataLoaders for whatever `data` is, picking the kind:

    - DataLoaders: returned as they are.
    - a data set name of `sh.datasets.load` ("digits", "iris", "sonnets"...).
    - a Split (`sh.datasets.digits()`): images if x is (N, C, H, W), else a table.
    - a CharText (`sh.datasets.text_file(...)`): text.
    - a folder: an image folder (one sub-folder per class).
    - a .csv/.tsv file or a pandas DataFrame: a table (`target` names the column to predict).
    - any other file: text, for a character-level language model.
    """
    if isinstance(data, DataLoaders):
        return data
    dls = _dls_for(data, target, bs, valid_pct, seed, **kwargs)
    if bs is None and len(dls.train) < 10:  # small data: smaller batches, more steps
        small = max(8, len(dls.train.dataset) // 10)
        dls = DataLoaders.from_dsets(dls.train.dataset, dls.valid.dataset, small, dls.prep)
    return dls


def _dls_for(data, target, bs, valid_pct, seed, **kwargs) -> DataLoaders:
    if isinstance(data, CharText):
        return text_dls(data, bs=bs or 32, **kwargs)
    if isinstance(data, Split):
        if data.x_train.ndim == 4:
            return image_dls(data, bs=bs or 64)
        return table_dls(data, target=target, bs=bs or 64, seed=seed)
    if hasattr(data, "columns") and not isinstance(data, (str, os.PathLike)):
        return table_dls(data, target=target, bs=bs or 64, valid_pct=valid_pct, seed=seed)
    path = Path(data)
    if not path.exists():
        key = str(data).strip().lower().replace("-", "_")
        if key in LOADERS or "/" not in str(data) and not path.suffix:
            return _dls_for(load(str(data)), target, bs, valid_pct, seed, **kwargs)
        raise DatasetError(
            f"{data}: no such file or folder, and not a data set name ({', '.join(LOADERS)})."
        )
    if path.is_dir():
        return image_dls(path, bs=bs or 64, valid_pct=valid_pct, seed=seed, **kwargs)
    if path.suffix.lower() in (".csv", ".tsv"):
        return table_dls(path, target=target, bs=bs or 64, valid_pct=valid_pct, seed=seed)
    return text_dls(path, bs=bs or 32, **kwargs)


# ----------------------------------------------------------------------------------------------
# images
# ----------------------------------------------------------------------------------------------


class ImagePrep:
    """Images of one size and channel count, and their class names.

    `encode` takes an image file (any format Pillow reads), an (H, W) or (C, H, W) array or
    tensor with values in [0, 1]; it is converted and resized as the training images were.
    """

    kind = "images"
    task = "classification"

    def __init__(self, classes: list[str], size: tuple[int, int], channels: int) -> None:
        self.classes, self.size, self.channels = list(classes), tuple(size), channels

    def config(self) -> dict:
        return {"kind": self.kind, "classes": self.classes, "size": list(self.size),
                "channels": self.channels}  # fmt: skip

    def expected(self) -> str:
        h, w = self.size
        return (
            f"an image file (.png, .jpg, ...) or a ({self.channels}, {h}, {w}) tensor with "
            f"values in [0, 1]"
        )

    def encode(self, item) -> tuple[Tensor]:
        if isinstance(item, (str, os.PathLike)):
            array = self._read(Path(item))
        elif isinstance(item, (Tensor, np.ndarray)):
            array = item.numpy() if isinstance(item, Tensor) else np.asarray(item)
            array = array.astype(np.float32)
            if array.ndim == 2:
                array = array[None]
            if array.shape != (self.channels, *self.size):
                raise DatasetError(
                    f"predict: the image has shape {tuple(array.shape)}, the model expects "
                    f"{self.expected()}."
                )
        else:
            raise DatasetError(f"predict: got {type(item).__name__}; expected {self.expected()}.")
        return (Tensor._make(np.ascontiguousarray(array[None])),)

    def _read(self, path: Path) -> np.ndarray:
        from ..datasets.images import _pillow, _to_array

        image_module = _pillow()
        if not path.is_file():
            raise DatasetError(f"predict: {path} is not a file; expected {self.expected()}.")
        try:
            with image_module.open(path) as img:
                img.load()
                return _to_array(img, self.size, self.channels, image_module)
        except Exception as e:  # Pillow raises many kinds; all mean "not an image I can read"
            raise DatasetError(
                f"predict: cannot read {path} as an image ({type(e).__name__}); this model "
                f"classifies images and expects {self.expected()}."
            ) from None

    def decode(self, out: Tensor) -> Prediction:
        return _decode_class(out, self.classes)


def image_dls(data, bs: int = 64, valid_pct: float = 0.2, seed: int = 0,
              size: int | None = None) -> DataLoaders:  # fmt: skip
    """DataLoaders for images: a Split of (N, C, H, W) tensors (e.g. `sh.datasets.digits()`)
    or an image folder (one sub-folder per class, read by `sh.datasets.image_folder`).

    Args:
        size: resize every image to size x size (folders only). Default: the most common
            size, but at most 64 (larger images make a NumPy CNN slow).
    """
    if not isinstance(data, Split):
        if size is None:
            size = _folder_size_cap(Path(data), 64)
        data = image_folder(data, size=size, valid_pct=valid_pct, seed=seed)
    classes = data.classes or [str(c) for c in range(int(data.y_train.max().item()) + 1)]
    _, channels, height, width = data.x_train.shape
    prep = ImagePrep(classes, (height, width), channels)
    return DataLoaders.from_dsets(data.train_ds, data.valid_ds, bs, prep)


def _folder_size_cap(root: Path, cap: int) -> int | None:
    """cap if the first readable image in the folder is larger than cap, else None."""
    from ..datasets.images import _pillow

    image_module = _pillow()
    for file in sorted(root.rglob("*")):
        if file.is_file() and not file.name.startswith("."):
            try:
                with image_module.open(file) as img:
                    return cap if max(img.size) > cap else None
            except Exception:  # not an image: image_folder will skip and report it
                continue
    return None


# ----------------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------------


def read_csv(path: str | os.PathLike) -> tuple[list[str], list[list[str]]]:
    """A CSV (or, for .tsv, tab-separated) file as (header, rows of strings).

    Errors name the line: an empty file, a row with the wrong number of fields, bytes that are
    not text.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DatasetError(
            f"{path}, line {line}: byte 0x{raw[e.start]:02X} is not UTF-8 text. Is it a CSV "
            f"file? Save it as UTF-8 CSV."
        ) from None
    if not text.strip():
        raise DatasetError(f"{path}: the file is empty (line 1 should be a header of names).")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        rows = []
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue  # blank lines
            if len(row) != len(header):
                raise DatasetError(
                    f"{path}, line {reader.line_num}: {len(row)} fields, but the header "
                    f"(line 1) has {len(header)} ({', '.join(header)}). Check for a missing "
                    f"or extra '{delimiter}' (or quote values that contain one)."
                )
            rows.append(row)
    except csv.Error as e:
        raise DatasetError(f"{path}, line {reader.line_num}: cannot parse the CSV: {e}.") from None
    header = [h.strip() for h in header]
    if not rows:
        raise DatasetError(f"{path}: only a header (line 1), no rows of data.")
    return header, rows


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return str(value).strip().lower() in MISSING


def _as_number(value) -> float | None:
    """The value as a float, None if missing; raises ValueError if it is not a number."""
    if _is_missing(value):
        return None
    return float(value)


def _columns_of(data) -> tuple[dict[str, list], str]:
    """{column name: values} from a CSV path, a pandas DataFrame or a Split; and a name."""
    if isinstance(data, Split):
        names = data.feature_names or [f"x{i}" for i in range(data.x_train.shape[1])]
        x = np.concatenate([data.x_train.numpy(), data.x_valid.numpy()])
        y = np.concatenate([data.y_train.numpy(), data.y_valid.numpy()])
        columns = {n: list(x[:, i].astype(float)) for i, n in enumerate(names)}
        if data.classes is not None:
            columns["target"] = [data.classes[int(v)] for v in y]
        else:
            columns["target"] = list(y.astype(float))
        return columns, data.name
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):  # a pandas DataFrame
        columns = {str(c): list(data[c].tolist()) for c in data.columns}
        return columns, "DataFrame"
    header, rows = read_csv(data)
    return {name: [row[i] for row in rows] for i, name in enumerate(header)}, Path(data).name


def _is_numeric(values: list) -> bool:
    try:
        present = [_as_number(v) for v in values]
    except (TypeError, ValueError):
        return False
    return any(v is not None for v in present)


def _detect_task(values: list) -> str:
    """'classification' if the target is text, or whole numbers with at most 20 distinct
    values (e.g. 0/1, ratings 1..5); else 'regression'."""
    if not _is_numeric(values):
        return "classification"
    numbers = [_as_number(v) for v in values if not _is_missing(v)]
    distinct = set(numbers)
    if all(float(v).is_integer() for v in distinct) and len(distinct) <= 20:
        return "classification"
    return "regression"


class TablePrep:
    """How the columns of a table become model inputs (statistics from the training rows):

    - numeric columns: standardised, (x - mean) / std; a missing value is replaced by the
      median, and a 0/1 column `<name>_na` (added for columns with missing training values)
      tells the model it was missing.
    - other columns: categories, embedded by the model; index 0 is "#na#", used for missing
      values and for categories not seen in training.
    - the target: class names (classification) or a number (regression).
    """

    kind = "table"

    def __init__(self, target, task, cat_names, cat_vocabs, cont_names, cont_stats, na_names,
                 classes=None, y_mean=0.0, y_std=1.0, column_order=None) -> None:  # fmt: skip
        self.target, self.task = target, task
        # the input columns in the table's order (for CSV lines given to predict)
        self.column_order = list(column_order or [*cat_names, *cont_names])
        self.cat_names, self.cat_vocabs = (
            list(cat_names),
            {k: list(v) for k, v in cat_vocabs.items()},
        )
        self.cont_names, self.cont_stats = list(cont_names), dict(cont_stats)
        self.na_names, self.classes = list(na_names), classes
        self.y_mean, self.y_std = float(y_mean), float(y_std)
        self._index = {k: {c: i for i, c in enumerate(v)} for k, v in self.cat_vocabs.items()}

    @classmethod
    def fit(cls, columns: dict[str, list], target: str, rows: np.ndarray, task=None) -> TablePrep:
        """Learn the statistics from `rows` (the training rows) of `columns`."""
        task = task or _detect_task(columns[target])
        cat_names, cat_vocabs, cont_names, cont_stats, na_names = [], {}, [], {}, []
        for name, values in columns.items():
            if name == target:
                continue
            train_values = [values[i] for i in rows]
            if _is_numeric(values):
                numbers = np.array([_as_number(v) for v in train_values], dtype=object)
                present = np.array([v for v in numbers if v is not None], dtype=np.float64)
                median = float(np.median(present)) if len(present) else 0.0
                filled = np.array([median if v is None else v for v in numbers], np.float64)
                std = float(filled.std()) or 1.0
                cont_names.append(name)
                cont_stats[name] = {"mean": float(filled.mean()), "std": std, "median": median}
                if len(present) < len(numbers):
                    na_names.append(name)
            else:
                counts = Counter(str(v).strip() for v in train_values if not _is_missing(v))
                cat_names.append(name)
                cat_vocabs[name] = [NA_CATEGORY, *sorted(counts)]
        classes, y_mean, y_std = None, 0.0, 1.0
        y_values = [columns[target][i] for i in rows]
        if task == "classification":
            classes = sorted({_label(v) for v in y_values}, key=_natural)
        else:
            y = np.array([_as_number(v) for v in y_values], dtype=np.float64)
            y_mean, y_std = float(y.mean()), float(y.std()) or 1.0
        order = [c for c in columns if c != target]
        return cls(target, task, cat_names, cat_vocabs, cont_names, cont_stats, na_names,
                   classes, y_mean, y_std, order)  # fmt: skip

    def config(self) -> dict:
        return {
            "kind": self.kind, "target": self.target, "task": self.task,
            "cat_names": self.cat_names, "cat_vocabs": self.cat_vocabs,
            "cont_names": self.cont_names, "cont_stats": self.cont_stats,
            "na_names": self.na_names, "classes": self.classes,
            "y_mean": self.y_mean, "y_std": self.y_std, "column_order": self.column_order,
        }  # fmt: skip

    @property
    def n_cont(self) -> int:
        return len(self.cont_names) + len(self.na_names)

    def encode_columns(self, columns: dict[str, list], n: int) -> tuple[Tensor, Tensor]:
        """(x_cat (n, n_cat) int64, x_cont (n, n_cont) float32) for n rows of `columns`."""
        x_cat = np.zeros((n, len(self.cat_names)), dtype=np.int64)
        for j, name in enumerate(self.cat_names):
            index = self._index[name]
            for i, v in enumerate(columns.get(name, [None] * n)):
                x_cat[i, j] = 0 if _is_missing(v) else index.get(str(v).strip(), 0)
        x_cont = np.zeros((n, self.n_cont), dtype=np.float32)
        for j, name in enumerate(self.cont_names):
            stats = self.cont_stats[name]
            for i, v in enumerate(columns.get(name, [None] * n)):
                number = self._number(name, v)
                x_cont[i, j] = (
                    (stats["median"] if number is None else number) - stats["mean"]
                ) / stats["std"]
                if name in self.na_names:
                    x_cont[i, len(self.cont_names) + self.na_names.index(name)] = number is None
        return Tensor._make(x_cat), Tensor._make(x_cont)

    def _number(self, name: str, value) -> float | None:
        try:
            return _as_number(value)
        except (TypeError, ValueError):
            raise DatasetError(
                f"column {name!r}: {value!r} is not a number, but the model was trained on "
                f"numbers in this column."
            ) from None

    def encode_targets(self, values: list) -> Tensor:
        if self.task == "classification":
            index = {c: i for i, c in enumerate(self.classes)}
            return Tensor._make(np.array([index[_label(v)] for v in values], dtype=np.int64))
        return Tensor._make(np.array([_as_number(v) for v in values], dtype=np.float32))

    def expected(self) -> str:
        names = self.column_order
        return (
            f"a table row: a dict {{column: value}}, a CSV line of {len(names)} values in the "
            f"order {', '.join(names)}, or 'column=value' pairs"
        )

    def encode(self, item) -> tuple[Tensor, Tensor]:
        """One row: a dict, a CSV line in column order, or a list of 'name=value' strings."""
        row = self.parse_row(item)
        return self.encode_columns({k: [v] for k, v in row.items()}, 1)

    def parse_row(self, item) -> dict:
        names = self.column_order
        if isinstance(item, dict):
            unknown = sorted(set(item) - set(names) - {self.target})
            if unknown:
                raise DatasetError(
                    f"predict: unknown column(s) {', '.join(unknown)}; the model reads "
                    f"{', '.join(names)}."
                )
            return item
        items = [item] if isinstance(item, str) else list(item)
        if items and all(isinstance(s, str) and "=" in s for s in items):
            return dict(s.split("=", 1) for s in items)
        if len(items) == 1 and isinstance(items[0], str):
            items = next(csv.reader([items[0]]))
        if len(items) != len(names):
            raise DatasetError(
                f"predict: got {len(items)} value(s) ({', '.join(map(str, items))[:80]}); "
                f"expected {self.expected()}."
            )
        return dict(zip(names, items))

    def decode(self, out: Tensor):
        if self.task == "classification":
            return _decode_class(out, self.classes)
        return float(out.reshape(-1)[0].item())


def _label(value) -> str:
    """A class label as text: 1.0 -> '1', ' cat ' -> 'cat'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    try:
        number = float(text)
        return str(int(number)) if number.is_integer() else text
    except ValueError:
        return text


def _natural(label: str):
    """Sort numbers as numbers ('2' before '10') and text as text."""
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label)


def table_dls(data, target: str | None = None, bs: int = 64, valid_pct: float = 0.2,
              seed: int = 0, task: str | None = None) -> DataLoaders:  # fmt: skip
    """DataLoaders for a table: a CSV file, a pandas DataFrame or a table Split (iris...).

    Args:
        target: the column to predict (default: the last column).
        task: 'classification' or 'regression'; default: detected from the target (see
            `TablePrep`).

    Batches are (x_cat, x_cont, y); see TablePrep for what the columns become.
    """
    columns, name = _columns_of(data)
    names = list(columns)
    target = target or ("target" if isinstance(data, Split) else names[-1])
    if target not in columns:
        raise DatasetError(
            f"{name}: no column named {target!r}. The columns are: {', '.join(names)}. "
            f"Pass the one to predict as target (--target on the command line)."
        )
    if len(names) < 2:
        raise DatasetError(f"{name}: only the column {target!r}; there is nothing to predict from.")
    keep = [i for i, v in enumerate(columns[target]) if not _is_missing(v)]
    n_dropped = len(columns[target]) - len(keep)
    if n_dropped:
        print(f"{name}: {n_dropped} rows have no {target!r} value and are left out.")
    columns = {k: [v[i] for i in keep] for k, v in columns.items()}
    n = len(keep)
    if isinstance(data, Split):
        n_train = len(data.y_train)
        train, valid = np.arange(n_train), np.arange(n_train, n)
    else:
        train, valid = _split_rows(n, valid_pct, seed, name)
    prep = TablePrep.fit(columns, target, train, task)
    x_cat, x_cont = prep.encode_columns(columns, n)
    y = prep.encode_targets(columns[target])
    ds = TensorDataset(x_cat, x_cont, y)
    return DataLoaders.from_dsets(Subset(ds, train.tolist()), Subset(ds, valid.tolist()), bs, prep)


def _split_rows(n: int, valid_pct: float, seed: int, name: str):
    need = max(math.ceil(1 / valid_pct), 2) if valid_pct > 0 else 2
    if n < need or n - int(n * valid_pct) < 1:
        raise DatasetError(
            f"{name}: too few rows for a validation split: {n} rows with valid_pct="
            f"{valid_pct} leave {int(n * valid_pct)} for validation. At least {need} rows are "
            f"needed (more, in practice: a model learns little from a handful of rows)."
        )
    return random_split(n, valid_pct, seed, name)


# ----------------------------------------------------------------------------------------------
# text
# ----------------------------------------------------------------------------------------------


class TextPrep:
    """A character vocabulary for a language model; `predict(prompt)` continues the text."""

    kind = "text"
    task = "language_model"

    def __init__(self, vocab: list[str], block_size: int) -> None:
        self.vocab, self.block_size = list(vocab), block_size
        self.stoi = {ch: i for i, ch in enumerate(self.vocab)}

    def config(self) -> dict:
        return {"kind": self.kind, "vocab": self.vocab, "block_size": self.block_size}

    def expected(self) -> str:
        return "a text prompt made of characters the model has seen in its training text"

    def encode(self, item) -> tuple[Tensor]:
        if not isinstance(item, str):
            raise DatasetError(f"predict: got {type(item).__name__}; expected {self.expected()}.")
        prompt = item or self.vocab[0]
        unknown = sorted(set(prompt) - self.stoi.keys())
        if unknown:
            raise DatasetError(
                f"predict: the characters {''.join(unknown)!r} are not in the model's "
                f"vocabulary ({''.join(self.vocab)!r}); expected {self.expected()}."
            )
        ids = np.array([[self.stoi[ch] for ch in prompt]], dtype=np.int64)
        return (Tensor._make(ids),)

    def predict(self, model, xb, n_chars: int = 200, temperature: float = 0.8,
                top_k: int | None = None) -> str:  # fmt: skip
        """The prompt followed by n_chars generated characters."""
        out = model.generate(xb[0], n_chars, temperature=temperature, top_k=top_k)
        return "".join(self.vocab[i] for i in out[0].tolist())

    def decode(self, out: Tensor):
        return out


def text_dls(data, bs: int = 32, block_size: int = 64, valid_pct: float = 0.1,
             stride: int | None = None) -> DataLoaders:  # fmt: skip
    """DataLoaders for a character-level language model on a text file (or a CharText).

    A sample is block_size characters and the same shifted by one (the next characters).
    Windows start every `stride` characters (default block_size // 2: each character is seen
    about twice per epoch, from different positions); validation windows do not overlap.
    """
    text = data if isinstance(data, CharText) else text_file(data, block_size, valid_pct)
    stride = stride or max(text.block_size // 2, 1)
    train = Subset(text.train, list(range(0, len(text.train), stride)))
    valid = Subset(text.valid, list(range(0, len(text.valid), text.block_size)))
    return DataLoaders.from_dsets(train, valid, bs, TextPrep(text.vocab, text.block_size))
